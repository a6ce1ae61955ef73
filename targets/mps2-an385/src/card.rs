//! What the board's main loop drives: a [`hydra_vpcd::Card`] that answers
//! APDUs and power events: the Java Card runtime
//! ([`crate::javacard::RuntimeCard`]) or the board-test
//! [`crate::loopback::LoopbackCard`].

#![forbid(unsafe_code)]

pub use hydra_vpcd::{Card, Power};

/// The board's ATR: T=1, historical bytes "HYDRA-M3".
pub const ATR: [u8; 12] = hydra_vpcd::atr::t1(*b"HYDRA-M3");
