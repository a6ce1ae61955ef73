//! Compiled Java Card code on the card: the runtime ABI ([`abi`], the
//! `hydra-abi` crate), the
//! portable linker that binds a native package to a loaded package
//! ([`link`]), and, with the `host` feature, the host engine that maps the
//! code executable and runs it against the runtime's heap, firewall and API.
//!
//! The ABI is described in `runtime/docs/native-abi.md`.

#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub use hydra_abi as abi;
pub mod engine;
pub mod ops;

#[cfg(feature = "host")]
pub mod host;
