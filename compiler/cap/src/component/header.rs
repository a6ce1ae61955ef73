//! Header component (tag 1): magic, format version, package flags, AID and name.

use alloc::string::String;
use alloc::vec::Vec;

use super::{CapVersion, PackageInfo};
use crate::bytes::{Reader, Writer};
use crate::error::{CapErrorKind, Result};

pub const CAP_MAGIC: u32 = 0xDECA_FFED;

/// The package uses the `int` type.
pub const ACC_INT: u8 = 0x01;
/// The package has an Export component.
pub const ACC_EXPORT: u8 = 0x02;
/// The package has an Applet component.
pub const ACC_APPLET: u8 = 0x04;
/// Extended (large) CAP file format of Java Card 3.1.
pub const ACC_EXTENDED: u8 = 0x08;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub version: CapVersion,
    pub flags: u8,
    pub package: PackageInfo,
    /// Fully qualified package name with `/` separators (format 2.2 and later);
    /// converters leave it empty unless the package has remote interfaces.
    pub package_name: Option<Vec<u8>>,
}

impl Header {
    pub fn parse(r: &mut Reader<'_>) -> Result<Header> {
        let magic = r.u4("magic")?;
        if magic != CAP_MAGIC {
            return Err(r.error_at(
                0,
                CapErrorKind::BadMagic {
                    expected: CAP_MAGIC,
                    found: magic,
                },
            ));
        }
        let minor = r.u1("minor version")?;
        let major = r.u1("major version")?;
        let version = CapVersion { major, minor };
        if major != 2 || !(1..=3).contains(&minor) {
            return Err(r.error_at(4, CapErrorKind::UnsupportedVersion { major, minor }));
        }
        let flags = r.u1("flags")?;
        if flags & ACC_EXTENDED != 0 {
            return Err(r.error_at(6, CapErrorKind::ExtendedFormat));
        }
        let package = PackageInfo::read(r)?;
        let package_name = if version >= CapVersion::V2_2 {
            let len = r.u1("package name length")?;
            Some(r.bytes(len.into(), "package name")?.to_vec())
        } else {
            None
        };
        Ok(Header {
            version,
            flags,
            package,
            package_name,
        })
    }

    pub fn write(&self, w: &mut Writer) {
        w.u4(CAP_MAGIC);
        w.u1(self.version.minor);
        w.u1(self.version.major);
        w.u1(self.flags);
        self.package.write(w);
        if let Some(name) = &self.package_name {
            w.u1(name.len() as u8);
            w.bytes(name);
        }
    }

    pub fn uses_int(&self) -> bool {
        self.flags & ACC_INT != 0
    }

    /// The package name as text, if present and non-empty.
    pub fn package_name_str(&self) -> Option<String> {
        self.package_name
            .as_ref()
            .filter(|n| !n.is_empty())
            .map(|n| String::from_utf8_lossy(n).into_owned())
    }
}
