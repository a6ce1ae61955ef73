//! Persistent memory as the board offers it to the card.
//!
//! The trait has the shape of the runtime's `Nvm` trait (byte-addressed,
//! direct reads, every write through one method), so the board driver
//! implements the runtime's trait with one forwarding `impl`.

/// Why an NVM write failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NvmError {
    /// `at..at + len` is outside the memory.
    Range { at: u32, len: u32 },
    /// The backing store refused the write (semihosting error).
    Backing,
}

/// A linear, byte-addressed persistent memory.
///
/// Contract: after `write(at, data)` returns `Ok`, `bytes()[at..][..len]`
/// equals `data` and the bytes are durable (survive a restart).
pub trait Nvm {
    fn bytes(&self) -> &[u8];
    fn write(&mut self, at: u32, data: &[u8]) -> Result<(), NvmError>;
    fn flush(&mut self) -> Result<(), NvmError> {
        Ok(())
    }
}

/// Checks a write against the memory size: the byte range it covers.
pub fn check_range(size: usize, at: u32, len: usize) -> Result<core::ops::Range<usize>, NvmError> {
    let start = at as usize;
    start
        .checked_add(len)
        .filter(|&end| end <= size)
        .map(|end| start..end)
        .ok_or(NvmError::Range {
            at,
            len: len as u32,
        })
}

/// NVM in RAM only, for tests and for a board started without a backing
/// file.
pub struct RamNvm<'a> {
    pub data: &'a mut [u8],
}

impl Nvm for RamNvm<'_> {
    fn bytes(&self) -> &[u8] {
        self.data
    }

    fn write(&mut self, at: u32, data: &[u8]) -> Result<(), NvmError> {
        let r = check_range(self.data.len(), at, data.len())?;
        self.data[r].copy_from_slice(data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(check_range(16, 0, 16), Ok(0..16));
        assert_eq!(check_range(16, 15, 1), Ok(15..16));
        assert_eq!(check_range(16, 16, 0), Ok(16..16));
        assert_eq!(
            check_range(16, 15, 2),
            Err(NvmError::Range { at: 15, len: 2 })
        );
        assert!(check_range(16, u32::MAX, 2).is_err());
    }

    #[test]
    fn ram_nvm_writes() {
        let mut buf = [0u8; 8];
        let mut n = RamNvm { data: &mut buf };
        n.write(2, &[1, 2]).unwrap();
        assert_eq!(n.bytes(), &[0, 0, 1, 2, 0, 0, 0, 0]);
        assert!(n.write(7, &[1, 2]).is_err());
    }
}
