//! Reader and writer for Java Card CAP files (JCVM specification, chapter 6):
//! formats 2.1 and 2.2 (Java Card 2.1–3.0.5) and the compact format 2.3
//! (Java Card 3.1/3.2), plus the bytecode decoder.
//!
//! Every read is bounds-checked; malformed input yields a [`CapError`] naming
//! the component, the byte offset and what was expected. The core is `no_std`
//! so the card runtime can load packages with it; the `std` feature adds the
//! JAR container and file reading.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod bytecode;
mod bytes;
pub mod cap;
pub mod component;
#[cfg(feature = "std")]
pub mod container;
pub mod error;

pub use cap::{CapFile, RawComponent};
pub use component::{Aid, CapVersion, ClassRef, ComponentTag, StaticRef};
pub use error::{CapError, CapErrorKind, Location};
