//! The components of a CAP file (JCVM specification, chapter 6), one module each,
//! and the small items several of them share.

use alloc::vec::Vec;
use core::fmt;

use crate::bytes::{Reader, Writer};
use crate::error::{CapErrorKind, Result};

pub mod applet;
pub mod class;
pub mod constant_pool;
pub mod debug;
pub mod descriptor;
pub mod directory;
pub mod export;
pub mod header;
pub mod import;
pub mod method;
pub mod reference_location;
pub mod static_field;

pub use applet::{AppletComponent, AppletInfo};
pub use class::{ClassComponent, ClassEntry, ClassInfo, ImplementedInterface, InterfaceInfo};
pub use constant_pool::{ConstantPool, CpEntry};
pub use debug::DebugComponent;
pub use descriptor::{
    ClassDescriptor, DescriptorComponent, FieldDescriptor, FieldRef, FieldType, MethodDescriptor,
    TypeDescriptorInfo,
};
pub use directory::{CustomComponentInfo, Directory, StaticFieldSizeInfo};
pub use export::{ClassExport, ExportComponent};
pub use header::Header;
pub use import::ImportComponent;
pub use method::{ExceptionHandler, MethodComponent, MethodHeader, MethodInfo};
pub use reference_location::ReferenceLocation;
pub use static_field::{ArrayInit, StaticFieldComponent};

/// The tag byte that starts every component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComponentTag {
    Header,
    Directory,
    Applet,
    Import,
    ConstantPool,
    Class,
    Method,
    StaticField,
    ReferenceLocation,
    Export,
    Descriptor,
    Debug,
    StaticResources,
    /// A custom component (tags 128–255) or one this reader does not know.
    Other(u8),
}

impl ComponentTag {
    /// The components defined by the specification, in tag order.
    pub const STANDARD: [ComponentTag; 12] = [
        ComponentTag::Header,
        ComponentTag::Directory,
        ComponentTag::Applet,
        ComponentTag::Import,
        ComponentTag::ConstantPool,
        ComponentTag::Class,
        ComponentTag::Method,
        ComponentTag::StaticField,
        ComponentTag::ReferenceLocation,
        ComponentTag::Export,
        ComponentTag::Descriptor,
        ComponentTag::Debug,
    ];

    pub fn from_u8(tag: u8) -> ComponentTag {
        match tag {
            1 => ComponentTag::Header,
            2 => ComponentTag::Directory,
            3 => ComponentTag::Applet,
            4 => ComponentTag::Import,
            5 => ComponentTag::ConstantPool,
            6 => ComponentTag::Class,
            7 => ComponentTag::Method,
            8 => ComponentTag::StaticField,
            9 => ComponentTag::ReferenceLocation,
            10 => ComponentTag::Export,
            11 => ComponentTag::Descriptor,
            12 => ComponentTag::Debug,
            13 => ComponentTag::StaticResources,
            other => ComponentTag::Other(other),
        }
    }

    pub fn to_u8(self) -> u8 {
        match self {
            ComponentTag::Header => 1,
            ComponentTag::Directory => 2,
            ComponentTag::Applet => 3,
            ComponentTag::Import => 4,
            ComponentTag::ConstantPool => 5,
            ComponentTag::Class => 6,
            ComponentTag::Method => 7,
            ComponentTag::StaticField => 8,
            ComponentTag::ReferenceLocation => 9,
            ComponentTag::Export => 10,
            ComponentTag::Descriptor => 11,
            ComponentTag::Debug => 12,
            ComponentTag::StaticResources => 13,
            ComponentTag::Other(t) => t,
        }
    }

    /// The file name the converter gives this component inside the JAR.
    pub fn file_name(self) -> Option<&'static str> {
        Some(match self {
            ComponentTag::Header => "Header.cap",
            ComponentTag::Directory => "Directory.cap",
            ComponentTag::Applet => "Applet.cap",
            ComponentTag::Import => "Import.cap",
            ComponentTag::ConstantPool => "ConstantPool.cap",
            ComponentTag::Class => "Class.cap",
            ComponentTag::Method => "Method.cap",
            ComponentTag::StaticField => "StaticField.cap",
            ComponentTag::ReferenceLocation => "RefLocation.cap",
            ComponentTag::Export => "Export.cap",
            ComponentTag::Descriptor => "Descriptor.cap",
            ComponentTag::Debug => "Debug.cap",
            ComponentTag::StaticResources => "StaticResources.cap",
            ComponentTag::Other(_) => return None,
        })
    }
}

impl fmt::Display for ComponentTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ComponentTag::Header => "Header",
            ComponentTag::Directory => "Directory",
            ComponentTag::Applet => "Applet",
            ComponentTag::Import => "Import",
            ComponentTag::ConstantPool => "ConstantPool",
            ComponentTag::Class => "Class",
            ComponentTag::Method => "Method",
            ComponentTag::StaticField => "StaticField",
            ComponentTag::ReferenceLocation => "ReferenceLocation",
            ComponentTag::Export => "Export",
            ComponentTag::Descriptor => "Descriptor",
            ComponentTag::Debug => "Debug",
            ComponentTag::StaticResources => "StaticResources",
            ComponentTag::Other(t) => return write!(f, "custom({t})"),
        };
        f.write_str(name)
    }
}

/// CAP file format version, from the Header component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CapVersion {
    pub major: u8,
    pub minor: u8,
}

impl CapVersion {
    pub const V2_1: CapVersion = CapVersion { major: 2, minor: 1 };
    pub const V2_2: CapVersion = CapVersion { major: 2, minor: 2 };
    pub const V2_3: CapVersion = CapVersion { major: 2, minor: 3 };
}

impl fmt::Display for CapVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// An application identifier: 5 to 16 bytes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Aid(pub Vec<u8>);

impl Aid {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A length-prefixed AID (`u1 AID_length; u1 AID[]`).
    pub(crate) fn read(r: &mut Reader<'_>, what: &'static str) -> Result<Aid> {
        let at = r.pos();
        let len = r.u1(what)?;
        if !(5..=16).contains(&len) {
            return Err(r.error_at(
                at,
                CapErrorKind::InvalidValue {
                    what: "AID length (must be 5..=16)",
                    value: len.into(),
                },
            ));
        }
        Ok(Aid(r.bytes(len.into(), what)?.to_vec()))
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.u1(self.0.len() as u8);
        w.bytes(&self.0);
    }
}

impl fmt::Display for Aid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Aid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Aid({self})")
    }
}

/// `package_info`: a package's version and AID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PackageInfo {
    pub minor: u8,
    pub major: u8,
    pub aid: Aid,
}

impl PackageInfo {
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<PackageInfo> {
        let minor = r.u1("package minor version")?;
        let major = r.u1("package major version")?;
        let aid = Aid::read(r, "package AID")?;
        Ok(PackageInfo { minor, major, aid })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.u1(self.minor);
        w.u1(self.major);
        self.aid.write(w);
    }
}

/// A reference to a class or interface: an offset into this package's Class
/// component, or an imported class by package and class token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClassRef {
    Internal(u16),
    External { package_token: u8, class_token: u8 },
}

impl ClassRef {
    pub(crate) fn read(r: &mut Reader<'_>, what: &'static str) -> Result<ClassRef> {
        let v = r.u2(what)?;
        Ok(ClassRef::from_u16(v))
    }

    pub fn from_u16(v: u16) -> ClassRef {
        if v & 0x8000 != 0 {
            ClassRef::External {
                package_token: ((v >> 8) & 0x7f) as u8,
                class_token: v as u8,
            }
        } else {
            ClassRef::Internal(v)
        }
    }

    pub fn to_u16(self) -> u16 {
        match self {
            ClassRef::Internal(o) => o,
            ClassRef::External {
                package_token,
                class_token,
            } => 0x8000 | (u16::from(package_token & 0x7f) << 8) | u16::from(class_token),
        }
    }

    pub(crate) fn write(self, w: &mut Writer) {
        w.u2(self.to_u16());
    }
}

/// A reference to a static field or static method: an offset into this
/// package's StaticField image / Method component, or an imported one by tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaticRef {
    Internal {
        offset: u16,
    },
    External {
        package_token: u8,
        class_token: u8,
        token: u8,
    },
}

impl StaticRef {
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<StaticRef> {
        let first = r.u1("static reference")?;
        if first & 0x80 != 0 {
            let class_token = r.u1("class token")?;
            let token = r.u1("static member token")?;
            Ok(StaticRef::External {
                package_token: first & 0x7f,
                class_token,
                token,
            })
        } else {
            if first != 0 {
                return Err(r.error_at(
                    r.pos() - 1,
                    CapErrorKind::NonZeroPadding {
                        what: "padding of internal static reference",
                        value: first.into(),
                    },
                ));
            }
            Ok(StaticRef::Internal {
                offset: r.u2("static offset")?,
            })
        }
    }

    pub(crate) fn write(self, w: &mut Writer) {
        match self {
            StaticRef::Internal { offset } => {
                w.u1(0);
                w.u2(offset);
            }
            StaticRef::External {
                package_token,
                class_token,
                token,
            } => {
                w.u1(0x80 | package_token);
                w.u1(class_token);
                w.u1(token);
            }
        }
    }
}

/// A type in a `type_descriptor`, decoded from its nibbles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JcType {
    Void,
    Boolean,
    Byte,
    Short,
    Int,
    Reference(ClassRef),
    BooleanArray,
    ByteArray,
    ShortArray,
    IntArray,
    ReferenceArray(ClassRef),
}

/// A field type or method signature as nibbles (`type_descriptor`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TypeDescriptor {
    /// Nibble values, excluding the padding nibble of an odd count.
    pub nibbles: Vec<u8>,
}

impl TypeDescriptor {
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<TypeDescriptor> {
        let count = usize::from(r.u1("type descriptor nibble count")?);
        let bytes = r.bytes(count.div_ceil(2), "type descriptor nibbles")?;
        let mut nibbles = Vec::with_capacity(count);
        for i in 0..count {
            let b = bytes[i / 2];
            nibbles.push(if i % 2 == 0 { b >> 4 } else { b & 0xf });
        }
        if count % 2 == 1 && bytes[count / 2] & 0xf != 0 {
            return Err(r.error_at(
                r.pos() - 1,
                CapErrorKind::NonZeroPadding {
                    what: "type descriptor padding nibble",
                    value: (bytes[count / 2] & 0xf).into(),
                },
            ));
        }
        Ok(TypeDescriptor { nibbles })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.u1(self.nibbles.len() as u8);
        for pair in self.nibbles.chunks(2) {
            let hi = pair[0] << 4;
            let lo = pair.get(1).copied().unwrap_or(0);
            w.u1(hi | lo);
        }
    }

    /// Size in bytes once written.
    pub fn encoded_len(&self) -> usize {
        1 + self.nibbles.len().div_ceil(2)
    }

    /// The types in order (for a method: the parameters, then the return type).
    /// `None` if the nibbles are not a well-formed sequence.
    pub fn types(&self) -> Option<Vec<JcType>> {
        let n = &self.nibbles;
        let mut out = Vec::new();
        let mut i = 0;
        let class_ref = |i: usize| -> Option<ClassRef> {
            let s = n.get(i..i + 4)?;
            let v = (u16::from(s[0]) << 12)
                | (u16::from(s[1]) << 8)
                | (u16::from(s[2]) << 4)
                | u16::from(s[3]);
            Some(ClassRef::from_u16(v))
        };
        while i < n.len() {
            let t = match n[i] {
                0x1 => JcType::Void,
                0x2 => JcType::Boolean,
                0x3 => JcType::Byte,
                0x4 => JcType::Short,
                0x5 => JcType::Int,
                0x6 => {
                    let c = class_ref(i + 1)?;
                    i += 4;
                    JcType::Reference(c)
                }
                0xA => JcType::BooleanArray,
                0xB => JcType::ByteArray,
                0xC => JcType::ShortArray,
                0xD => JcType::IntArray,
                0xE => {
                    let c = class_ref(i + 1)?;
                    i += 4;
                    JcType::ReferenceArray(c)
                }
                _ => return None,
            };
            out.push(t);
            i += 1;
        }
        Some(out)
    }
}

/// Reads a `u1 count` followed by that many items.
pub(crate) fn read_vec<T>(
    r: &mut Reader<'_>,
    count: usize,
    mut item: impl FnMut(&mut Reader<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    // Never trust a count for the allocation: each item takes at least one byte.
    let mut v = Vec::with_capacity(count.min(r.remaining()));
    for _ in 0..count {
        v.push(item(r)?);
    }
    Ok(v)
}
