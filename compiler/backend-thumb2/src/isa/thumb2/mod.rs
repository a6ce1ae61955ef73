//! The Thumb-2 (ARMv7-M) backend.

pub mod inst;
