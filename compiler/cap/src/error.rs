//! Errors of the CAP reader: each names the component, the byte offset inside
//! that component's file (counted from its tag byte) and what was expected.

use alloc::string::String;
use core::fmt;

use crate::component::ComponentTag;

/// Where in a CAP file an error was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// Inside one component, at a byte offset counted from its tag byte.
    Component { tag: ComponentTag, offset: usize },
    /// Between components: the set of components as a whole.
    File,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Component { tag, offset } => write!(f, "{tag} component, offset {offset:#x}"),
            Location::File => f.write_str("CAP file"),
        }
    }
}

/// What was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapErrorKind {
    #[error("unexpected end of data: expected {what} ({needed} byte(s)), {available} left")]
    UnexpectedEnd {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    #[error("bad magic {found:#010x}, expected {expected:#010x}")]
    BadMagic { expected: u32, found: u32 },
    #[error("component tag {found} where {expected} was expected")]
    BadTag { expected: u8, found: u8 },
    #[error("unknown component tag {0}")]
    UnknownTag(u8),
    #[error("declared size {declared} but {actual} byte(s) present")]
    SizeMismatch { declared: usize, actual: usize },
    #[error("{count} byte(s) left over after the last item")]
    TrailingBytes { count: usize },
    #[error("unsupported CAP format version {major}.{minor} (supported: 2.1, 2.2, 2.3)")]
    UnsupportedVersion { major: u8, minor: u8 },
    #[error("extended CAP files (Java Card 3.1 large format) are not supported")]
    ExtendedFormat,
    #[error("invalid {what}: {value:#x}")]
    InvalidValue { what: &'static str, value: u32 },
    #[error("{what} must be zero, found {value:#x}")]
    NonZeroPadding { what: &'static str, value: u32 },
    #[error("{what}: {value} is out of range (limit {limit})")]
    OutOfRange {
        what: &'static str,
        value: usize,
        limit: usize,
    },
    #[error("required {0} component is missing")]
    MissingComponent(ComponentTag),
    #[error("the {0} component appears twice")]
    DuplicateComponent(ComponentTag),
    #[error("directory gives size {declared} for the {tag} component, whose size is {actual}")]
    DirectoryMismatch {
        tag: ComponentTag,
        declared: usize,
        actual: usize,
    },
    #[error("{0}")]
    Container(String),
}

/// A malformed or unsupported CAP file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct CapError {
    pub location: Location,
    pub kind: CapErrorKind,
}

impl CapError {
    pub fn at(tag: ComponentTag, offset: usize, kind: CapErrorKind) -> Self {
        CapError {
            location: Location::Component { tag, offset },
            kind,
        }
    }

    pub fn file(kind: CapErrorKind) -> Self {
        CapError {
            location: Location::File,
            kind,
        }
    }
}

pub type Result<T> = core::result::Result<T, CapError>;
