//! Board crate for the Arm MPS2 AN385 (Cortex-M3) as modelled by
//! `qemu-system-arm -M mps2-an385`.
//!
//! Layers, as in Tock: the portable parts here ([`card`], [`javacard`],
//! [`image`], [`loopback`]) have no `unsafe` and build and
//! test on the host; [`hw`] (start-up, UART0, semihosting, NVM driver, heap,
//! panic, instruction-count markers) exists only on the bare-metal target
//! and is the one place that touches registers. The portable runtime meets
//! the board through its own `hydra_runtime::Nvm` trait (implemented by the
//! board's NVM driver) and [`card::Card`], which [`javacard::RuntimeCard`]
//! implements over the runtime's JCRE; the transport is the vpcd protocol
//! of `hydra-vpcd` over UART0 (its `ByteLink`).
//!
//! The memory map is drawn in `docs/memory-map.md`.

#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod card;
pub mod image;
pub mod javacard;
pub mod loopback;
pub mod native;

#[cfg(all(target_arch = "arm", target_os = "none"))]
pub mod hw;

/// Size of the persistent memory (as on the host board): the `.nvm` region
/// and the host file that backs it.
pub const NVM_SIZE: usize = 1024 * 1024;

/// Size of the heap for `alloc`.
pub const HEAP_SIZE: usize = 1024 * 1024;
