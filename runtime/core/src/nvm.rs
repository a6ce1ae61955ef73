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

/// What an update of `old` to `new` (same length) changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Nothing: the update needs no write.
    None,
    /// Exactly the byte at this index: a one-byte write, atomic by the
    /// [`Nvm`] contract, makes the whole update.
    OneByte(usize),
    /// More than one byte (or a length that is not compared bytewise).
    Several,
}

/// Which bytes an update changes. Fields, statics and array elements (1,
/// 2 or 4 bytes) are compared as one word (the differing bits give the
/// bytes); longer updates only for equality, with `memcmp`.
#[inline]
pub fn change(old: &[u8], new: &[u8]) -> Change {
    // `x` has a bit set where old and new differ, byte `i` in bits 8i..8i+8.
    #[inline(always)]
    fn of_word(x: u32) -> Change {
        if x == 0 {
            return Change::None;
        }
        let first = x.trailing_zeros() / 8;
        let last = (31 - x.leading_zeros()) / 8;
        if first == last {
            Change::OneByte(first as usize)
        } else {
            Change::Several
        }
    }
    match (old, new) {
        (&[a], &[b]) => of_word(u32::from(a ^ b)),
        (&[a0, a1], &[b0, b1]) => of_word(u32::from(
            u16::from_le_bytes([a0, a1]) ^ u16::from_le_bytes([b0, b1]),
        )),
        (&[a0, a1, a2, a3], &[b0, b1, b2, b3]) => {
            of_word(u32::from_le_bytes([a0, a1, a2, a3]) ^ u32::from_le_bytes([b0, b1, b2, b3]))
        }
        (a, b) if a == b => Change::None,
        _ => Change::Several,
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

#[cfg(test)]
mod tests {
    use super::{change, Change};

    #[test]
    fn an_update_changes_none_one_or_several_bytes() {
        assert_eq!(change(&[7], &[7]), Change::None);
        assert_eq!(change(&[7], &[8]), Change::OneByte(0));
        // A short counter 0x00FF -> 0x0100 (big-endian): both bytes.
        assert_eq!(change(&[0x00, 0xFF], &[0x01, 0x00]), Change::Several);
        // 0x0041 -> 0x0042: the low byte, at index 1.
        assert_eq!(change(&[0x00, 0x41], &[0x00, 0x42]), Change::OneByte(1));
        assert_eq!(change(&[0x12, 0x34], &[0x13, 0x34]), Change::OneByte(0));
        assert_eq!(change(&[1, 2, 3, 4], &[1, 2, 3, 4]), Change::None);
        for i in 0..4 {
            let mut new = [1, 2, 3, 4];
            new[i] ^= 0x80;
            assert_eq!(change(&[1, 2, 3, 4], &new), Change::OneByte(i), "byte {i}");
        }
        assert_eq!(change(&[1, 2, 3, 4], &[0, 2, 3, 5]), Change::Several);
        assert_eq!(change(&[1, 2, 3, 4], &[1, 9, 9, 4]), Change::Several);
        // Longer updates: equality only.
        assert_eq!(change(&[0; 8], &[0; 8]), Change::None);
        assert_eq!(change(&[0; 8], &[0, 0, 0, 1, 0, 0, 0, 0]), Change::Several);
        assert_eq!(change(&[0, 0, 0], &[0, 1, 0]), Change::Several);
    }
}
