//! Applet component (tag 3): the applets this package defines.

use alloc::vec::Vec;

use super::{read_vec, Aid};
use crate::bytes::{Reader, Writer};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppletInfo {
    pub aid: Aid,
    /// Offset of the `install(byte[], short, byte)` method in the Method component.
    pub install_method_offset: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppletComponent {
    pub applets: Vec<AppletInfo>,
}

impl AppletComponent {
    pub fn parse(r: &mut Reader<'_>) -> Result<AppletComponent> {
        let count = r.u1("applet count")?;
        let applets = read_vec(r, count.into(), |r| {
            Ok(AppletInfo {
                aid: Aid::read(r, "applet AID")?,
                install_method_offset: r.u2("install method offset")?,
            })
        })?;
        Ok(AppletComponent { applets })
    }

    pub fn write(&self, w: &mut Writer) {
        w.u1(self.applets.len() as u8);
        for a in &self.applets {
            a.aid.write(w);
            w.u2(a.install_method_offset);
        }
    }
}
