//! NVM driver: the `.nvm` region in PSRAM, loaded from a host file at boot
//! and written through to it on every write (semihosting SYS_SEEK +
//! SYS_WRITE), so the card's persistent state survives restarting QEMU and
//! even killing it between two APDUs.

use core::fmt::Write as _;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use alloc::string::String;
use hydra_runtime::{Fault, Nvm};

use super::semihosting::{self, File};
use crate::NVM_SIZE;

extern "C" {
    static mut __nvm_start: u8;
    static __nvm_end: u8;
}

static TAKEN: AtomicBool = AtomicBool::new(false);

/// A power cut at one NVM write (`cut=K` / `cleancut=K`): the K-th write
/// (from 1) after [`arm_cut`]; 0: none.
static CUT_AT: AtomicU32 = AtomicU32::new(0);
/// Whether the cut write is torn (half its bytes written) or not begun.
static CUT_TORN: AtomicBool = AtomicBool::new(false);
/// Writes since [`arm_cut`] (counted only once armed, so that boot and
/// the package image, which differ from card to card, do not shift K).
static WRITES: AtomicU32 = AtomicU32::new(0);
static ARMED: AtomicBool = AtomicBool::new(false);

/// From now on, count NVM writes and cut the power at write `at` (from 1),
/// torn or cleanly.
pub fn arm_cut(at: u32, torn: bool) {
    CUT_AT.store(at, Ordering::Relaxed);
    CUT_TORN.store(torn, Ordering::Relaxed);
    WRITES.store(0, Ordering::Relaxed);
    ARMED.store(true, Ordering::Relaxed);
}

/// The NVM region, once.
fn region() -> Option<&'static mut [u8]> {
    if TAKEN.swap(true, Ordering::Relaxed) {
        return None;
    }
    let start = &raw mut __nvm_start;
    let end = &raw const __nvm_end;
    if (end as usize) - (start as usize) < NVM_SIZE {
        return None;
    }
    // SAFETY: memory.x reserves [__nvm_start, __nvm_end) in PSRAM for the
    // NVM mirror (NOLOAD, nothing else placed there) and it holds at least
    // NVM_SIZE bytes (checked above); TAKEN makes this the only reference
    // ever created to it. Every byte pattern is a valid u8.
    Some(unsafe { core::slice::from_raw_parts_mut(start, NVM_SIZE) })
}

/// Why the NVM could not be brought up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    AlreadyTaken,
    CannotOpen,
    CannotRead,
    CannotWrite,
    TooLarge(usize),
}

/// The board's NVM: a RAM mirror written through to a host file.
pub struct SemihostNvm {
    mem: &'static mut [u8],
    file: Option<File>,
    /// The length of a file shorter than the NVM and not empty (a
    /// truncated card state), which is left as it is.
    short: Option<usize>,
}

impl SemihostNvm {
    /// Brings up the NVM. With a path, the file is created (zero-filled)
    /// if missing and read into the region; an empty file is extended with
    /// zeros, a shorter one is left as it is (see [`SemihostNvm::short`]).
    /// Without a path the NVM is volatile and starts zeroed.
    pub fn open(path: Option<&[u8]>) -> Result<SemihostNvm, OpenError> {
        let mem = region().ok_or(OpenError::AlreadyTaken)?;
        mem.fill(0);
        let Some(path) = path else {
            return Ok(SemihostNvm {
                mem,
                file: None,
                short: None,
            });
        };
        let file = match semihosting::open(path, semihosting::MODE_READ_WRITE) {
            Some(f) => f,
            None => semihosting::open(path, semihosting::MODE_CREATE_READ_WRITE)
                .ok_or(OpenError::CannotOpen)?,
        };
        let len = file.length().ok_or(OpenError::CannotRead)?;
        if len > NVM_SIZE {
            return Err(OpenError::TooLarge(len));
        }
        if len > 0 && !(file.seek(0) && file.read(&mut mem[..len])) {
            return Err(OpenError::CannotRead);
        }
        let short = (len > 0 && len < NVM_SIZE).then_some(len);
        if len == 0 && !(file.seek(0) && file.write(&mem[..])) {
            return Err(OpenError::CannotWrite);
        }
        Ok(SemihostNvm {
            mem,
            file: Some(file),
            short,
        })
    }

    /// The length of a non-empty file shorter than the NVM: a truncated
    /// card state, which the card refuses.
    pub fn short(&self) -> Option<usize> {
        self.short
    }

    /// Whether writes reach a host file.
    pub fn is_persistent(&self) -> bool {
        self.file.is_some()
    }

    /// The power goes at write `n` (at `start`, in range): torn, its first
    /// half reaches the file; the board stops, the file left as it is.
    fn power_loss(&mut self, start: usize, data: &[u8], n: u32) -> ! {
        let torn = CUT_TORN.load(Ordering::Relaxed);
        if torn {
            let half = &data[..data.len() / 2];
            if let Some(f) = self.file {
                let _ = f.seek(start) && f.write(half);
            }
        }
        let _ = writeln!(
            semihosting::Console::stderr(),
            "hydra firmware: power cut at NVM write {n} ({})",
            if torn { "torn" } else { "clean" }
        );
        semihosting::exit(true)
    }
}

impl Nvm for SemihostNvm {
    fn bytes(&self) -> &[u8] {
        self.mem
    }

    fn write(&mut self, at: u32, data: &[u8]) -> Result<(), Fault> {
        let start = at as usize;
        let end = start
            .checked_add(data.len())
            .filter(|&e| e <= self.mem.len())
            .ok_or(Fault::NvmRange {
                at,
                len: data.len() as u32,
            })?;
        super::nvm_write_mark();
        if ARMED.load(Ordering::Relaxed) {
            let n = WRITES.load(Ordering::Relaxed).wrapping_add(1);
            WRITES.store(n, Ordering::Relaxed);
            if n == CUT_AT.load(Ordering::Relaxed) {
                self.power_loss(start, data, n)
            }
        }
        hydra_runtime::nvm::copy_bytes(&mut self.mem[start..end], data);
        match self.file {
            Some(f) if !(f.seek(start) && f.write(data)) => Err(Fault::Io(String::from(
                "semihosting write to the NVM file failed",
            ))),
            _ => Ok(()),
        }
    }
}
