//! Transactions: an undo log in NVM.
//!
//! ```text
//!  log_start: [state u8][epoch u8][reserved 6]
//!             record* : [marker u8 = epoch][addr u32][len u16][old bytes]
//!             a record is valid iff its marker equals the current epoch;
//!             every append also writes a 0 marker right after itself.
//! ```
//! Invariants (MUST):
//! - Before a persistent byte changes inside a transaction, a valid record
//!   holding its old value is in the log.
//! - `state` is one byte, so it flips atomically: 0 = idle, 1 = Java Card
//!   transaction open, 2 = one multi-byte update in flight.
//! - At boot, if `state != 0` every valid record is undone, newest first,
//!   then `state` returns to 0. Commit is the single write `state = 0`.

use alloc::vec::Vec;

use crate::error::{Fault, Result};
use crate::heap::{rd_u16, rd_u32, Layout, Store};
use crate::nvm::Nvm;

const ST_IDLE: u8 = 0;
const ST_TXN: u8 = 1;
const ST_ATOMIC: u8 = 2;
const LOG_HEADER: u32 = 8;
const REC_HEADER: u32 = 7;

#[derive(Debug, Default, Clone)]
pub struct TxnLog {
    start: u32,
    size: u32,
    /// Next free byte (absolute address) while a log is open.
    used: u32,
    epoch: u8,
    open: bool,
    /// Bytes of data logged in the open transaction.
    pub logged: u32,
}

impl TxnLog {
    pub fn init(&mut self, l: &Layout) {
        self.start = l.log_start;
        self.size = l.log_size;
        self.used = l.log_start + LOG_HEADER;
        self.open = false;
    }

    #[inline]
    pub fn in_txn(&self) -> bool {
        self.open
    }

    /// Largest number of data bytes one transaction may update (each
    /// logged field also costs a record header).
    pub fn capacity(&self) -> u32 {
        self.size - LOG_HEADER - 1
    }

    pub fn unused(&self) -> u32 {
        if self.open {
            (self.start + self.size).saturating_sub(self.used + 1)
        } else {
            self.capacity()
        }
    }
}

fn open_log<N: Nvm>(s: &mut Store<N>, state: u8) -> Result<()> {
    let start = s.log.start;
    let epoch = match s.nvm.bytes().get(start as usize + 1) {
        Some(&e) => {
            if e >= 250 {
                1
            } else {
                e + 1
            }
        }
        None => return Err(Fault::NvmRange { at: start, len: 2 }),
    };
    s.nvm.write(start + LOG_HEADER, &[0])?;
    s.nvm.write(start + 1, &[epoch])?;
    s.nvm.write(start, &[state])?;
    s.log.epoch = epoch;
    s.log.used = start + LOG_HEADER;
    s.log.open = true;
    s.log.logged = 0;
    Ok(())
}

fn close_log<N: Nvm>(s: &mut Store<N>) -> Result<()> {
    let start = s.log.start;
    s.log.open = false;
    s.nvm.write(start, &[ST_IDLE])
}

/// Records up to this size (header, data, next marker) need no allocation.
const SMALL_RECORD: usize = 40;

/// Appends a record with the current content of `len` bytes at `at`.
pub fn log_old<N: Nvm>(s: &mut Store<N>, at: u32, len: u32) -> Result<()> {
    let rec_len = REC_HEADER + len;
    if s.log.used + rec_len + 1 > s.log.start + s.log.size {
        return Err(Fault::LogFull);
    }
    let old = s
        .nvm
        .bytes()
        .get(at as usize..(at + len) as usize)
        .ok_or(Fault::NvmRange { at, len })?;
    // Fields, statics and array elements are a few bytes: their record is
    // built on the stack (no allocation per logged update).
    let mut small = [0u8; SMALL_RECORD];
    let mut large = Vec::new();
    let rec: &mut [u8] = if (rec_len as usize) < SMALL_RECORD {
        &mut small[..rec_len as usize + 1]
    } else {
        large.resize(rec_len as usize + 1, 0);
        &mut large
    };
    rec[1..5].copy_from_slice(&at.to_be_bytes());
    rec[5..7].copy_from_slice(&(len as u16).to_be_bytes());
    rec[7..7 + old.len()].copy_from_slice(old);
    let pos = s.log.used;
    s.nvm.write(pos, rec)?;
    s.nvm.write(pos, &[s.log.epoch])?;
    s.log.used = pos + rec_len;
    s.log.logged += len;
    Ok(())
}

/// One multi-byte persistent update that survives power loss whole or not at all.
pub fn atomic_write<N: Nvm>(s: &mut Store<N>, at: u32, bytes: &[u8]) -> Result<()> {
    open_log(s, ST_ATOMIC)?;
    log_old(s, at, bytes.len() as u32)?;
    s.nvm.write(at, bytes)?;
    close_log(s)
}

/// Runs several persistent updates as one (used by `Util.arrayCopy` and the
/// registry) when no transaction is open; inside one, they are just logged.
pub fn begin_atomic<N: Nvm>(s: &mut Store<N>) -> Result<bool> {
    if s.log.open {
        return Ok(false);
    }
    open_log(s, ST_ATOMIC)?;
    Ok(true)
}

pub fn end_atomic<N: Nvm>(s: &mut Store<N>, opened: bool) -> Result<()> {
    if opened {
        close_log(s)?;
    }
    Ok(())
}

pub fn begin<N: Nvm>(s: &mut Store<N>) -> Result<()> {
    open_log(s, ST_TXN)
}

pub fn commit<N: Nvm>(s: &mut Store<N>) -> Result<()> {
    close_log(s)
}

/// Undoes every valid record, newest first, then closes the log.
pub fn abort<N: Nvm>(s: &mut Store<N>) -> Result<()> {
    undo(s)?;
    close_log(s)
}

fn undo<N: Nvm>(s: &mut Store<N>) -> Result<()> {
    let start = s.log.start;
    let end = start + s.log.size;
    let b = s.nvm.bytes();
    let epoch = *b.get(start as usize + 1).ok_or(Fault::Corrupt("log"))?;
    let mut recs = Vec::new();
    let mut p = start + LOG_HEADER;
    while p + REC_HEADER <= end && b[p as usize] == epoch && epoch != 0 {
        let addr = rd_u32(b, p + 1)?;
        let len = u32::from(rd_u16(b, p + 5)?);
        if p + REC_HEADER + len > end {
            return Err(Fault::Corrupt("log record"));
        }
        recs.push((addr, p + REC_HEADER, len));
        p += REC_HEADER + len;
    }
    for (addr, data, len) in recs.into_iter().rev() {
        let old: Vec<u8> = s.nvm.bytes()[data as usize..(data + len) as usize].to_vec();
        s.nvm.write(addr, &old)?;
    }
    Ok(())
}

/// Boot-time recovery: roll back an interrupted transaction or update.
pub fn recover<N: Nvm>(s: &mut Store<N>) -> Result<()> {
    let state = *s
        .nvm
        .bytes()
        .get(s.log.start as usize)
        .ok_or(Fault::Corrupt("log"))?;
    if state != ST_IDLE {
        undo(s)?;
        close_log(s)?;
    }
    Ok(())
}

/// A multi-byte update that is not part of an open transaction (the PIN try
/// counter): outside a transaction it is atomic; inside one it is written
/// directly and not rolled back.
pub fn atomic_write_untracked<N: Nvm>(s: &mut Store<N>, at: u32, bytes: &[u8]) -> Result<()> {
    if s.log.open {
        s.nvm.write(at, bytes)
    } else {
        atomic_write(s, at, bytes)
    }
}
