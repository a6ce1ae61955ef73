//! Reader and writer for Java Card export files (`.exp`), as defined by the
//! chapter "Export File Format" of the Java Card Virtual Machine
//! specification.
//!
//! An export file describes the public API of one package: its AID and
//! version, and for every public class and interface the tokens of its
//! externally visible methods and fields. A converter reads the export files
//! of the packages an applet imports to emit token references; the card
//! binds those tokens again.
//!
//! ```text
//! ExportFile {
//!   u4 magic                          0x00FACADE
//!   u1 minor_version, u1 major_version  format 2.1, 2.2 or 2.3
//!   u2 constant_pool_count
//!   cp_info constant_pool[]           Utf8 (1), Integer (3), Classref (7), Package (13)
//!   u2 this_package                   -> CONSTANT_Package
//!   u1 referenced_package_count       format 2.3 only
//!   u2 referenced_packages[]          format 2.3 only, -> CONSTANT_Package
//!   u1 export_class_count
//!   class_info classes[] {
//!     u1 token, u2 access_flags, u2 name_index (-> Classref)
//!     u2 export_supers_count, u2 supers[] (-> Classref)
//!     u1 export_interfaces_count, u2 interfaces[] (-> Classref)
//!     u2 export_fields_count, field_info fields[] {
//!       u1 token, u2 access_flags, u2 name_index, u2 descriptor_index,
//!       u2 attributes_count, attribute_info attributes[] (ConstantValue)
//!     }
//!     u2 export_methods_count, method_info methods[] {
//!       u1 token, u2 access_flags, u2 name_index, u2 descriptor_index
//!     }
//!     u1 CAP22_inheritable_public_method_token_count   format 2.3 only
//!   }
//! }
//! ```
//!
//! Parsing validates every constant-pool reference, so the accessors of a
//! parsed [`ExportFile`] always find what they look for. Writing a parsed
//! file gives back the same bytes.

#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod error;
mod read;
mod write;

use alloc::string::String;
use alloc::vec::Vec;

pub use error::{ConstantKind, ExpError, ExpErrorKind, WriteError};

/// The first four bytes of every export file.
pub const MAGIC: u32 = 0x00FA_CADE;

/// Name of the only attribute the format defines, on constant fields.
pub const CONSTANT_VALUE: &str = "ConstantValue";

/// Access flags of classes, fields and methods, and the package flag.
pub mod flags {
    pub const ACC_PUBLIC: u16 = 0x0001;
    pub const ACC_PROTECTED: u16 = 0x0004;
    pub const ACC_STATIC: u16 = 0x0008;
    pub const ACC_FINAL: u16 = 0x0010;
    pub const ACC_INTERFACE: u16 = 0x0200;
    pub const ACC_ABSTRACT: u16 = 0x0400;
    pub const ACC_SHAREABLE: u16 = 0x0800;
    pub const ACC_REMOTE: u16 = 0x1000;
    /// `CONSTANT_Package_info.flags`: the package defines no applets.
    pub const ACC_LIBRARY: u8 = 0x01;
    /// Token of a field that has no token: a compile-time constant, which
    /// the converter inlines.
    pub const NO_TOKEN: u8 = 0xFF;
}

/// The version of the export file format itself (not of the package).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FormatVersion {
    /// Java Card 2.1 and later; what older SDKs and GlobalPlatform's
    /// classic export files use.
    V2_1,
    /// The number the Java Card 2.2.x specifications give; the layout is
    /// that of 2.1.
    V2_2,
    /// Java Card 3.1 and later: adds referenced packages and, per class, the
    /// count of public methods a CAP 2.2 package may inherit.
    V2_3,
}

impl FormatVersion {
    /// The version with these major and minor numbers, if supported.
    pub const fn from_numbers(major: u8, minor: u8) -> Option<Self> {
        match (major, minor) {
            (2, 1) => Some(Self::V2_1),
            (2, 2) => Some(Self::V2_2),
            (2, 3) => Some(Self::V2_3),
            _ => None,
        }
    }

    pub const fn major(self) -> u8 {
        2
    }

    pub const fn minor(self) -> u8 {
        match self {
            Self::V2_1 => 1,
            Self::V2_2 => 2,
            Self::V2_3 => 3,
        }
    }

    /// Whether this format has `referenced_packages` and the per-class
    /// `CAP22_inheritable_public_method_token_count`.
    pub const fn has_references(self) -> bool {
        matches!(self, Self::V2_3)
    }
}

impl core::fmt::Display for FormatVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}", self.major(), self.minor())
    }
}

/// One constant pool entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Constant {
    /// Tag 1.
    Utf8(String),
    /// Tag 3: a constant field's value.
    Integer(i32),
    /// Tag 7: a class or interface, by the index of its `Utf8` name
    /// (`javacard/framework/APDU`).
    ClassRef { name_index: u16 },
    /// Tag 13.
    Package(PackageInfo),
}

impl Constant {
    pub const TAG_UTF8: u8 = 1;
    pub const TAG_INTEGER: u8 = 3;
    pub const TAG_CLASSREF: u8 = 7;
    pub const TAG_PACKAGE: u8 = 13;

    pub fn kind(&self) -> ConstantKind {
        match self {
            Constant::Utf8(_) => ConstantKind::Utf8,
            Constant::Integer(_) => ConstantKind::Integer,
            Constant::ClassRef { .. } => ConstantKind::ClassRef,
            Constant::Package(_) => ConstantKind::Package,
        }
    }
}

/// `CONSTANT_Package_info`: a package's name, version and AID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PackageInfo {
    /// [`flags::ACC_LIBRARY`] or 0.
    pub flags: u8,
    /// Index of the `Utf8` name (`javacard/framework`).
    pub name_index: u16,
    pub minor_version: u8,
    pub major_version: u8,
    pub aid: Vec<u8>,
}

/// A whole export file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExportFile {
    pub version: FormatVersion,
    pub constant_pool: Vec<Constant>,
    /// Index of this package's `CONSTANT_Package`.
    pub this_package: u16,
    /// Indexes of `CONSTANT_Package` entries of the packages that declare
    /// supertypes or descriptor types used here. Always empty before 2.3.
    pub referenced_packages: Vec<u16>,
    pub classes: Vec<ClassInfo>,
}

/// `class_info`: a public class or interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClassInfo {
    pub token: u8,
    pub access_flags: u16,
    /// Index of the class's `Classref`.
    pub name_index: u16,
    /// `Classref` indexes of all public superclasses; the converter lists
    /// them from `java/lang/Object` down to the direct superclass.
    pub supers: Vec<u16>,
    /// `Classref` indexes of all public superinterfaces.
    pub interfaces: Vec<u16>,
    pub fields: Vec<FieldInfo>,
    pub methods: Vec<MethodInfo>,
    /// Format 2.3 only (`None` before).
    pub cap22_inheritable_public_method_token_count: Option<u8>,
}

/// `field_info`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldInfo {
    /// [`flags::NO_TOKEN`] for compile-time constants.
    pub token: u8,
    pub access_flags: u16,
    pub name_index: u16,
    pub descriptor_index: u16,
    pub attributes: Vec<Attribute>,
}

/// `method_info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MethodInfo {
    pub token: u8,
    pub access_flags: u16,
    pub name_index: u16,
    pub descriptor_index: u16,
}

/// `attribute_info`: `ConstantValue` (whose `info` is the u2 index of a
/// `CONSTANT_Integer`) or an unknown attribute, kept as bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    pub name_index: u16,
    pub info: Vec<u8>,
}

impl ExportFile {
    /// Parses and validates an export file.
    pub fn parse(data: &[u8]) -> Result<Self, ExpError> {
        read::parse(data)
    }

    /// Serializes this file.
    pub fn write(&self) -> Result<Vec<u8>, WriteError> {
        let mut out = Vec::new();
        write::write(self, &mut out)?;
        Ok(out)
    }

    /// Reads and parses an export file from disk.
    #[cfg(feature = "std")]
    pub fn read_file(path: &std::path::Path) -> Result<Self, LoadError> {
        let data = std::fs::read(path).map_err(|e| LoadError::Io {
            path: path.into(),
            error: e,
        })?;
        Self::parse(&data).map_err(|e| LoadError::Parse {
            path: path.into(),
            error: e,
        })
    }

    /// The constant at `index`.
    pub fn constant(&self, index: u16) -> Option<&Constant> {
        self.constant_pool.get(usize::from(index))
    }

    /// The string of the `Utf8` constant at `index`.
    pub fn utf8(&self, index: u16) -> Option<&str> {
        match self.constant(index)? {
            Constant::Utf8(s) => Some(s),
            _ => None,
        }
    }

    /// The value of the `Integer` constant at `index`.
    pub fn integer(&self, index: u16) -> Option<i32> {
        match self.constant(index)? {
            Constant::Integer(v) => Some(*v),
            _ => None,
        }
    }

    /// The name of the `Classref` constant at `index`.
    pub fn class_name(&self, index: u16) -> Option<&str> {
        match self.constant(index)? {
            Constant::ClassRef { name_index } => self.utf8(*name_index),
            _ => None,
        }
    }

    /// The `Package` constant at `index`.
    pub fn package(&self, index: u16) -> Option<&PackageInfo> {
        match self.constant(index)? {
            Constant::Package(p) => Some(p),
            _ => None,
        }
    }

    /// This package's `CONSTANT_Package`.
    pub fn this_package(&self) -> Option<&PackageInfo> {
        self.package(self.this_package)
    }

    /// This package's name, with slashes (`javacard/framework`).
    pub fn package_name(&self) -> Option<&str> {
        self.utf8(self.this_package()?.name_index)
    }

    /// The value of a field's `ConstantValue` attribute, if it has one.
    pub fn constant_value(&self, field: &FieldInfo) -> Option<i32> {
        field.attributes.iter().find_map(|a| {
            if self.utf8(a.name_index)? != CONSTANT_VALUE {
                return None;
            }
            let idx: [u8; 2] = a.info.as_slice().try_into().ok()?;
            self.integer(u16::from_be_bytes(idx))
        })
    }
}

/// Failure to load an export file from disk.
#[cfg(feature = "std")]
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{}: {error}", path.display())]
    Io {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
    #[error("{}: {error}", path.display())]
    Parse {
        path: std::path::PathBuf,
        error: ExpError,
    },
}

#[cfg(test)]
mod tests;
