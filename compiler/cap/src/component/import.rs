//! Import component (tag 4): the packages this one uses; the index of each is
//! its package token.

use alloc::vec::Vec;

use super::{read_vec, PackageInfo};
use crate::bytes::{Reader, Writer};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportComponent {
    pub packages: Vec<PackageInfo>,
}

impl ImportComponent {
    pub fn parse(r: &mut Reader<'_>) -> Result<ImportComponent> {
        let count = r.u1("import count")?;
        let packages = read_vec(r, count.into(), PackageInfo::read)?;
        Ok(ImportComponent { packages })
    }

    pub fn write(&self, w: &mut Writer) {
        w.u1(self.packages.len() as u8);
        for p in &self.packages {
            p.write(w);
        }
    }
}
