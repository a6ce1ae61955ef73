//! Export component (tag 10): the static fields and methods, and the classes,
//! that other packages may link to, indexed by token.

use alloc::vec::Vec;

use crate::bytes::{Reader, Writer};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassExport {
    /// Class component offset; the index of this entry is the class token.
    pub class_offset: u16,
    /// StaticField image offsets, indexed by static field token.
    pub static_field_offsets: Vec<u16>,
    /// Method component offsets, indexed by static method token.
    pub static_method_offsets: Vec<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportComponent {
    pub classes: Vec<ClassExport>,
}

impl ExportComponent {
    pub fn parse(r: &mut Reader<'_>) -> Result<ExportComponent> {
        let count = r.u1("class count")?;
        let classes = super::read_vec(r, count.into(), |r| {
            let class_offset = r.u2("class offset")?;
            let fields = r.u1("static field count")?;
            let methods = r.u1("static method count")?;
            Ok(ClassExport {
                class_offset,
                static_field_offsets: super::read_vec(r, fields.into(), |r| {
                    r.u2("static field offset")
                })?,
                static_method_offsets: super::read_vec(r, methods.into(), |r| {
                    r.u2("static method offset")
                })?,
            })
        })?;
        Ok(ExportComponent { classes })
    }

    pub fn write(&self, w: &mut Writer) {
        w.u1(self.classes.len() as u8);
        for c in &self.classes {
            w.u2(c.class_offset);
            w.u1(c.static_field_offsets.len() as u8);
            w.u1(c.static_method_offsets.len() as u8);
            for o in c
                .static_field_offsets
                .iter()
                .chain(&c.static_method_offsets)
            {
                w.u2(*o);
            }
        }
    }
}
