//! The Thumb-2 backend for `thumbv7m-none-eabi` (Cortex-M3).

pub mod isa;
