//! Error types. Bad input never panics: a malformed CAP or a failed link is
//! a [`LoadError`]; a card-level failure while running is a [`Fault`]; a
//! Java exception is a thrown object (see `interp::Throw`).

use alloc::string::String;

/// A failure of the card itself rather than of the applet: the runtime
/// answers `6F00` (or refuses the operation) and stays usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    #[error("NVM access out of range: {len} bytes at {at:#x}")]
    NvmRange { at: u32, len: u32 },
    #[error("power lost during an NVM write")]
    PowerLoss,
    #[error("not a card image: it does not start with the HYD1 superblock (random bytes, or another kind of file)")]
    NvmFormat,
    #[error("card image of an NVM of {found} bytes in an NVM of {expected}: truncated, or the image of a card of another size")]
    NvmSize { found: u32, expected: u32 },
    /// A structure written once and then published no longer matches its
    /// CRC-32: the NVM was damaged after it was written.
    #[error("card state is damaged: the checksum of the {0} does not match")]
    Checksum(&'static str),
    #[error("card state is damaged: the checksum of the header of object {handle} does not match")]
    ObjectChecksum { handle: u16 },
    #[error("card state is damaged: the checksum of the load image of package {aid} (slot {slot}) does not match")]
    PackageChecksum { slot: u8, aid: String },
    #[error("card state has NVM layout version {found}; this runtime reads version {expected} only (an older runtime wrote it: start from a new card state)")]
    NvmVersion { found: u16, expected: u16 },
    #[error("card state was written by a runtime with another built-in API ({} packages, {} classes; this one has {} and {}), whose package slots and class ids differ: start from a new card state", found.0, found.1, expected.0, expected.1)]
    NvmApi {
        found: (u16, u16),
        expected: (u16, u16),
    },
    #[error("NVM of {size} bytes is larger than the 16 MiB the handle table can address")]
    NvmTooLarge { size: u32 },
    #[error("card state is corrupt: {0}")]
    Corrupt(&'static str),
    #[error("out of persistent memory ({needed} bytes requested)")]
    OutOfNvm { needed: u32 },
    #[error("out of object handles")]
    OutOfHandles,
    #[error("transaction log full")]
    LogFull,
    #[error("the command exceeded its execution budget")]
    Budget,
    #[error("host I/O error: {0}")]
    Io(String),
}

pub type Result<T, E = Fault> = core::result::Result<T, E>;

/// Why a package could not be loaded or an applet not installed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("malformed CAP file: {0}")]
    Cap(String),
    #[error("package {package}: imports package {aid} (version {major}.{minor}), which is not on the card")]
    MissingPackage {
        package: String,
        aid: String,
        major: u8,
        minor: u8,
    },
    #[error("package {package}: uses {what}, which this runtime does not implement")]
    Unsupported { package: String, what: String },
    /// A built-in API member the package uses is not implemented; named by
    /// tokens (a board with the API export data can name it; see hydra-host).
    #[error("package {package}: uses {member} of class token {class_token} in API package {api}, which this runtime does not implement")]
    UnsupportedApi {
        package: String,
        /// Hex AID of the API package.
        api: String,
        api_aid: alloc::vec::Vec<u8>,
        class_token: u8,
        member: ApiMember,
    },
    #[error("package {package}: {what}")]
    Invalid { package: String, what: String },
    #[error("package {aid} is already loaded")]
    DuplicatePackage { aid: String },
    #[error("no applet with AID {aid} in the loaded packages")]
    NoSuchApplet { aid: String },
    #[error("an applet instance with AID {aid} already exists")]
    DuplicateInstance { aid: String },
    #[error("install of {aid} failed: {reason}")]
    InstallFailed { aid: String, reason: String },
    /// The on-card verifier refused the load file.
    #[error(
        "package {package}: the card's verifier refused it ({errors} error(s)); first: {first}"
    )]
    Unverified {
        package: String,
        errors: usize,
        first: String,
    },
    /// The card verifies every load file, and this one cannot be verified.
    #[error("package {package}: the card verifies every load file, and this one cannot be: {why}")]
    NotVerifiable { package: String, why: &'static str },
    #[error(transparent)]
    Fault(#[from] Fault),
}

/// Which member of an API class is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiMember {
    Class,
    StaticMethod(u8),
    VirtualMethod(u8),
    StaticField(u8),
    InstanceField(u8),
}

impl core::fmt::Display for ApiMember {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ApiMember::Class => f.write_str("the class"),
            ApiMember::StaticMethod(t) => write!(f, "static method/constructor token {t}"),
            ApiMember::VirtualMethod(t) => write!(f, "virtual method token {t}"),
            ApiMember::StaticField(t) => write!(f, "static field token {t}"),
            ApiMember::InstanceField(t) => write!(f, "instance field token {t}"),
        }
    }
}
