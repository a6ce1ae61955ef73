//! The Java Card and GlobalPlatform APIs as data, for the compiler and for
//! the runtime: packages with their AIDs and versions, classes with their
//! tokens, methods and fields with their tokens, descriptors and constant
//! values.
//!
//! The built-in releases ([`ApiVersion`], [`GpVersion`]) are generated Rust
//! statics (`src/generated/`, written by `hydra-jcapi-gen` from the SDK's
//! export files), so a `no_std` runtime can bind tokens without any file.
//! [`ExportPath`] adds export files loaded at run time over them.
//!
//! Token namespaces (JCVM specification, "Tokens"): classes are numbered
//! per package; static methods (constructors included), static fields and
//! instance fields per class; virtual methods per class hierarchy (an
//! export file lists inherited public methods under each class); interface
//! methods per interface. The lookups below follow that split.

#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod convert;
mod export_path;
#[rustfmt::skip]
mod generated;
mod model;
mod version;

pub use convert::ConvertError;
pub use export_path::ExportPath;
#[cfg(feature = "std")]
pub use export_path::ExportPathError;
pub use model::{
    AccessFlags, ApiClass, ApiField, ApiMethod, ApiPackage, ApiPackageRef, MemberName, MethodKind,
};
pub use version::{ApiVersion, GpVersion};

#[cfg(test)]
mod tests;
