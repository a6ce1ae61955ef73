//! NVM write accounting for one APDU window: how many writes the firmware
//! made through its NVM driver, how many bytes they stored, and how many
//! memory blocks they programmed.
//!
//! The firmware calls a marker function at the start of every NVM write;
//! between two markers, every guest store that lands in the NVM region is
//! part of that write. A write programs each block it touches once (an
//! EEPROM or flash page program covers the whole block), so a 2-byte write
//! across a block boundary costs two programs and a 32-byte write inside
//! one block costs one.

use crate::map::NvmRegion;

/// The counts of one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NvmCounts {
    pub writes: u64,
    pub bytes: u64,
    pub blocks: u64,
}

/// The accounting state: the open window's counts and the blocks the
/// current write has touched so far.
#[derive(Debug)]
pub struct NvmMeter {
    region: NvmRegion,
    counts: NvmCounts,
    /// Blocks of the current write (a write touches few: kept in a list).
    current: Vec<u64>,
}

impl NvmMeter {
    pub fn new(region: NvmRegion) -> NvmMeter {
        NvmMeter {
            region,
            counts: NvmCounts::default(),
            current: Vec::new(),
        }
    }

    /// The firmware starts an NVM write.
    pub fn write_starts(&mut self) {
        self.counts.writes += 1;
        self.current.clear();
    }

    /// A guest store of `size` bytes at `addr`.
    pub fn store(&mut self, addr: u64, size: u64) {
        let r = self.region;
        let end = addr.saturating_add(size);
        if end <= r.start || addr >= r.end {
            return;
        }
        let (lo, hi) = (addr.max(r.start), end.min(r.end));
        self.counts.bytes += hi - lo;
        for block in (lo - r.start) / r.block..=(hi - 1 - r.start) / r.block {
            if !self.current.contains(&block) {
                self.current.push(block);
                self.counts.blocks += 1;
            }
        }
    }

    /// The window's counts; starts the next window from zero.
    pub fn take(&mut self) -> NvmCounts {
        self.current.clear();
        core::mem::take(&mut self.counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meter() -> NvmMeter {
        NvmMeter::new(NvmRegion {
            start: 0x1000,
            end: 0x2000,
            block: 64,
        })
    }

    #[test]
    fn counts_writes_bytes_and_blocks() {
        let mut m = meter();
        // One write of 4 bytes stored as 4 byte stores in block 0.
        m.write_starts();
        for a in 0x1000..0x1004 {
            m.store(a, 1);
        }
        // One 2-byte write across the boundary of blocks 0 and 1.
        m.write_starts();
        m.store(0x103F, 1);
        m.store(0x1040, 1);
        // One 32-byte write in block 2, as word stores.
        m.write_starts();
        for a in (0x1080..0x10A0).step_by(4) {
            m.store(a, 4);
        }
        // A second write to block 0 programs it again.
        m.write_starts();
        m.store(0x1010, 2);
        assert_eq!(
            m.take(),
            NvmCounts {
                writes: 4,
                bytes: 4 + 2 + 32 + 2,
                blocks: 1 + 2 + 1 + 1
            }
        );
        assert_eq!(m.take(), NvmCounts::default());
    }

    #[test]
    fn stores_outside_the_region_do_not_count() {
        let mut m = meter();
        m.write_starts();
        m.store(0x0FFC, 4);
        m.store(0x2000, 4);
        // Straddling the start: only the bytes inside.
        m.store(0x0FFE, 4);
        assert_eq!(
            m.take(),
            NvmCounts {
                writes: 1,
                bytes: 2,
                blocks: 1
            }
        );
    }
}
