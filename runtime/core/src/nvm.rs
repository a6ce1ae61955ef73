//! Persistent memory behind one small trait.
//!
//! The card keeps every persistent byte (heap, static fields, package
//! images, registry, transaction log) in one linear NVM space. Reads are
//! direct slices (memory-mapped flash on a microcontroller, a RAM mirror on
//! the host); every write goes through [`Nvm::write`], so a test board can
//! count writes and cut the power at any one of them.

use crate::error::{Fault, Result};

/// A linear, byte-addressed persistent memory.
///
/// Contract (MUST for every implementation):
/// - `bytes()` returns the current content; after `write(at, data)` returns
///   `Ok`, `bytes()[at..at + data.len()]` equals `data`.
/// - A write of one byte is atomic with respect to power loss; longer writes
///   MAY be torn, which the transaction log (see `txn`) repairs at boot.
/// - `write` returns `Err(Fault::PowerLoss)` when the board decides the
///   power failed during that write; the runtime then stops touching NVM.
pub trait Nvm {
    fn bytes(&self) -> &[u8];
    fn write(&mut self, at: u32, data: &[u8]) -> Result<()>;
    /// A write the Java Card API lets a power loss tear: the data of a
    /// `...NonAtomic` operation outside a transaction. The same as `write`;
    /// a test board may note that a torn result is allowed there.
    fn write_tearable(&mut self, at: u32, data: &[u8]) -> Result<()> {
        self.write(at, data)
    }
    /// Makes every completed write durable (file sync on the host); a no-op
    /// on memory-mapped flash.
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Copies `src` into `dst` (same length). Fields and array elements are
/// 1, 2 or 4 bytes: those copies are inline loads and stores, not calls to
/// `memcpy`, which costs tens of instructions for a few bytes.
#[inline]
pub fn copy_bytes(dst: &mut [u8], src: &[u8]) {
    match (dst, src) {
        ([d], [s]) => *d = *s,
        ([d0, d1], [s0, s1]) => {
            *d0 = *s0;
            *d1 = *s1;
        }
        ([d0, d1, d2, d3], [s0, s1, s2, s3]) => {
            *d0 = *s0;
            *d1 = *s1;
            *d2 = *s2;
            *d3 = *s3;
        }
        (d, s) if d.len() <= 16 && d.len() == s.len() => {
            // Log records of fields: word moves (unaligned word access is
            // allowed on the targets), then the bytes left.
            let mut dw = d.chunks_exact_mut(4);
            let mut sw = s.chunks_exact(4);
            for (a, b) in (&mut dw).zip(&mut sw) {
                a.copy_from_slice(b);
            }
            for (a, b) in dw.into_remainder().iter_mut().zip(sw.remainder()) {
                *a = *b;
            }
        }
        (d, s) => d.copy_from_slice(s),
    }
}

/// Zeroes `d` 32 bytes at a time with inline word stores: the APDU buffer
/// is cleared for every command, where `memset` spends about four
/// instructions a word. The zero is opaque to the optimiser, which would
/// otherwise turn the loop back into a call of `memset`.
#[inline]
pub fn zero_bytes(d: &mut [u8]) {
    let w = core::hint::black_box(0u32).to_ne_bytes();
    let block: [[u8; 4]; 8] = [w; 8];
    let block = block.as_flattened();
    let mut blocks = d.chunks_exact_mut(32);
    for b in &mut blocks {
        b.copy_from_slice(block);
    }
    for b in blocks.into_remainder() {
        *b = w[0];
    }
}

/// Whether `a` and `b` hold the same bytes (inline for field sizes).
#[inline]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    match (a, b) {
        ([a], [b]) => a == b,
        ([a0, a1], [b0, b1]) => a0 == b0 && a1 == b1,
        ([a0, a1, a2, a3], [b0, b1, b2, b3]) => a0 == b0 && a1 == b1 && a2 == b2 && a3 == b3,
        (a, b) => a == b,
    }
}

/// NVM in RAM: for tests, and as the mirror inside board drivers.
#[derive(Clone)]
pub struct RamNvm {
    pub data: alloc::vec::Vec<u8>,
    /// Number of writes performed so far.
    pub writes: u64,
    /// If set, the write with this index (0-based) fails with `PowerLoss`
    /// after writing only its first half, and so does every later write.
    pub fail_at: Option<u64>,
}

impl RamNvm {
    pub fn new(size: usize) -> RamNvm {
        RamNvm {
            data: alloc::vec![0; size],
            writes: 0,
            fail_at: None,
        }
    }
}

impl Nvm for RamNvm {
    fn bytes(&self) -> &[u8] {
        &self.data
    }

    fn write(&mut self, at: u32, data: &[u8]) -> Result<()> {
        let start = at as usize;
        let end = start
            .checked_add(data.len())
            .filter(|&e| e <= self.data.len())
            .ok_or(Fault::NvmRange {
                at,
                len: data.len() as u32,
            })?;
        if let Some(f) = self.fail_at {
            if self.writes >= f {
                if self.writes == f {
                    let half = data.len() / 2;
                    self.data[start..start + half].copy_from_slice(&data[..half]);
                }
                self.writes += 1;
                return Err(Fault::PowerLoss);
            }
        }
        copy_bytes(&mut self.data[start..end], data);
        self.writes += 1;
        Ok(())
    }
}
