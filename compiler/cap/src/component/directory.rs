//! Directory component (tag 2): the size of every component, the static field
//! image sizes, counts, and the custom components.

use alloc::vec::Vec;

use super::{read_vec, Aid, CapVersion};
use crate::bytes::{Reader, Writer};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StaticFieldSizeInfo {
    pub image_size: u16,
    pub array_init_count: u16,
    pub array_init_size: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomComponentInfo {
    pub tag: u8,
    pub size: u16,
    pub aid: Aid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory {
    /// Sizes of components 1..=11 (format 2.1) or 1..=12 (2.2 and later),
    /// indexed by tag − 1.
    pub component_sizes: Vec<u16>,
    /// Format 2.3: size of the StaticResources component (tag 13).
    pub static_resources_size: Option<u32>,
    pub static_field_size: StaticFieldSizeInfo,
    pub import_count: u8,
    pub applet_count: u8,
    pub custom_components: Vec<CustomComponentInfo>,
}

impl Directory {
    fn size_count(version: CapVersion) -> usize {
        if version >= CapVersion::V2_2 {
            12
        } else {
            11
        }
    }

    pub fn parse(r: &mut Reader<'_>, version: CapVersion) -> Result<Directory> {
        let component_sizes = read_vec(r, Self::size_count(version), |r| r.u2("component size"))?;
        let static_resources_size = if version >= CapVersion::V2_3 {
            Some(r.u4("static resources component size")?)
        } else {
            None
        };
        let static_field_size = StaticFieldSizeInfo {
            image_size: r.u2("static field image size")?,
            array_init_count: r.u2("array init count")?,
            array_init_size: r.u2("array init size")?,
        };
        let import_count = r.u1("import count")?;
        let applet_count = r.u1("applet count")?;
        let custom_count = r.u1("custom count")?;
        let custom_components = read_vec(r, custom_count.into(), |r| {
            Ok(CustomComponentInfo {
                tag: r.u1("custom component tag")?,
                size: r.u2("custom component size")?,
                aid: Aid::read(r, "custom component AID")?,
            })
        })?;
        Ok(Directory {
            component_sizes,
            static_resources_size,
            static_field_size,
            import_count,
            applet_count,
            custom_components,
        })
    }

    pub fn write(&self, w: &mut Writer) {
        for s in &self.component_sizes {
            w.u2(*s);
        }
        if let Some(s) = self.static_resources_size {
            w.u4(s);
        }
        w.u2(self.static_field_size.image_size);
        w.u2(self.static_field_size.array_init_count);
        w.u2(self.static_field_size.array_init_size);
        w.u1(self.import_count);
        w.u1(self.applet_count);
        w.u1(self.custom_components.len() as u8);
        for c in &self.custom_components {
            w.u1(c.tag);
            w.u2(c.size);
            c.aid.write(w);
        }
    }

    /// The size this directory records for a standard component (tag 1..=12).
    pub fn size_of(&self, tag: u8) -> Option<u16> {
        self.component_sizes
            .get(usize::from(tag).checked_sub(1)?)
            .copied()
    }
}
