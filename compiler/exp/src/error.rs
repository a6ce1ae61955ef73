//! Errors of the export-file reader and writer. A read error names the byte
//! offset (counted from the start of the file) of the item that was wrong and
//! what was expected there.

use core::fmt;

/// A malformed or unsupported export file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("export file offset {offset:#x}: {kind}")]
pub struct ExpError {
    /// Byte offset of the offending item, from the start of the file.
    pub offset: usize,
    /// What was wrong.
    pub kind: ExpErrorKind,
}

/// What was wrong with an export file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpErrorKind {
    #[error("unexpected end of data: expected {what} ({needed} byte(s)), {available} left")]
    UnexpectedEnd {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    #[error("bad magic {found:#010x}, expected 0x00facade")]
    BadMagic { found: u32 },
    #[error("unsupported export file format {major}.{minor} (supported: 2.1, 2.2, 2.3)")]
    UnsupportedVersion { major: u8, minor: u8 },
    #[error("unknown constant pool tag {0} (expected 1, 3, 7 or 13)")]
    UnknownConstantTag(u8),
    #[error("CONSTANT_Utf8 bytes are not valid UTF-8")]
    InvalidUtf8,
    #[error("{what}: constant pool index {index} out of range (pool has {count} entries)")]
    IndexOutOfRange {
        what: &'static str,
        index: u16,
        count: usize,
    },
    #[error("{what}: constant pool index {index} is {found}, expected {expected}")]
    WrongConstant {
        what: &'static str,
        index: u16,
        expected: ConstantKind,
        found: ConstantKind,
    },
    #[error("ConstantValue attribute of length {0}, expected 2")]
    BadConstantValueLength(u32),
    #[error("{count} byte(s) left over after the last class")]
    TrailingBytes { count: usize },
}

/// The kind of a constant pool entry, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstantKind {
    Utf8,
    Integer,
    ClassRef,
    Package,
}

impl fmt::Display for ConstantKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConstantKind::Utf8 => "CONSTANT_Utf8",
            ConstantKind::Integer => "CONSTANT_Integer",
            ConstantKind::ClassRef => "CONSTANT_Classref",
            ConstantKind::Package => "CONSTANT_Package",
        })
    }
}

/// A model that cannot be written as an export file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("{what} has {count} entries, at most {max} fit")]
    TooMany {
        what: &'static str,
        count: usize,
        max: usize,
    },
    #[error("{what} is present but export file format {major}.{minor} has no place for it")]
    NotInFormat {
        what: &'static str,
        major: u8,
        minor: u8,
    },
    #[error("{what} is missing but export file format 2.3 requires it")]
    Missing { what: &'static str },
}
