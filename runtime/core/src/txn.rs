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

fn next_epoch<N: Nvm>(s: &Store<N>) -> Result<u8> {
    let start = s.log.start;
    match s.nvm.bytes().get(start as usize + 1) {
        Some(&e) if e >= 250 => Ok(1),
        Some(&e) => Ok(e + 1),
        None => Err(Fault::NvmRange { at: start, len: 2 }),
    }
}

fn open_log<N: Nvm>(s: &mut Store<N>, state: u8) -> Result<()> {
    let start = s.log.start;
    let epoch = next_epoch(s)?;
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
const SMALL_RECORD: usize = 24;

/// Builds the record `[marker][addr][len][old bytes][0]` of the `len`
/// bytes at `at` in `small` (or `large` when it does not fit) and returns
/// it.
fn record<'a, N: Nvm>(
    s: &Store<N>,
    at: u32,
    len: u32,
    marker: u8,
    small: &'a mut [u8; SMALL_RECORD],
    large: &'a mut Vec<u8>,
) -> Result<&'a [u8]> {
    let rec_len = (REC_HEADER + len) as usize;
    let old = s
        .nvm
        .bytes()
        .get(at as usize..(at + len) as usize)
        .ok_or(Fault::NvmRange { at, len })?;
    let rec: &mut [u8] = if rec_len < SMALL_RECORD {
        &mut small[..rec_len + 1]
    } else {
        large.resize(rec_len + 1, 0);
        large
    };
    rec[0] = marker;
    rec[1..5].copy_from_slice(&at.to_be_bytes());
    rec[5..7].copy_from_slice(&(len as u16).to_be_bytes());
    crate::nvm::copy_bytes(&mut rec[7..rec_len], old);
    rec[rec_len] = 0;
    Ok(rec)
}

/// Appends a record with the current content of `len` bytes at `at`.
pub fn log_old<N: Nvm>(s: &mut Store<N>, at: u32, len: u32) -> Result<()> {
    let rec_len = REC_HEADER + len;
    if s.log.used + rec_len + 1 > s.log.start + s.log.size {
        return Err(Fault::LogFull);
    }
    // Fields, statics and array elements are a few bytes: their record is
    // built on the stack (no allocation per logged update).
    let (mut small, mut large) = ([0u8; SMALL_RECORD], Vec::new());
    let rec = record(s, at, len, 0, &mut small, &mut large)?;
    let pos = s.log.used;
    // Written invalid (marker 0), then validated by its marker byte.
    s.nvm.write(pos, rec)?;
    s.nvm.write(pos, &[s.log.epoch])?;
    s.log.used = pos + rec_len;
    s.log.logged += len;
    Ok(())
}

/// One multi-byte persistent update that survives power loss whole or not
/// at all, in four NVM writes:
/// 1. the undo record, already marked with the next epoch, at the log's
///    start (the log is idle, so nothing reads it yet);
/// 2. the header `[state = ATOMIC][epoch]` (if only one of the two bytes
///    lands, either the log stays idle or the epoch does not match the
///    record's marker: nothing is undone, and the data is still old);
/// 3. the data;
/// 4. `state = IDLE`.
///
/// Power lost between 2 and 4: boot undoes the record.
pub fn atomic_write<N: Nvm>(s: &mut Store<N>, at: u32, bytes: &[u8]) -> Result<()> {
    let start = s.log.start;
    let len = bytes.len() as u32;
    if LOG_HEADER + REC_HEADER + len + 1 > s.log.size {
        return Err(Fault::LogFull);
    }
    let epoch = next_epoch(s)?;
    let (mut small, mut large) = ([0u8; SMALL_RECORD], Vec::new());
    let rec = record(s, at, len, epoch, &mut small, &mut large)?;
    s.nvm.write(start + LOG_HEADER, rec)?;
    s.nvm.write(start, &[ST_ATOMIC, epoch])?;
    s.log.epoch = epoch;
    s.nvm.write(at, bytes)?;
    s.nvm.write(start, &[ST_IDLE])
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
///
/// The log's header bytes change at every update, so they carry no
/// checksum (that would cost a write per update); a value no runtime
/// writes is corruption.
pub fn recover<N: Nvm>(s: &mut Store<N>) -> Result<()> {
    let b = s.nvm.bytes();
    let state = *b.get(s.log.start as usize).ok_or(Fault::Corrupt("log"))?;
    let epoch = *b
        .get(s.log.start as usize + 1)
        .ok_or(Fault::Corrupt("log"))?;
    if state > ST_ATOMIC {
        return Err(Fault::Corrupt("transaction log state"));
    }
    if epoch > 250 {
        return Err(Fault::Corrupt("transaction log epoch"));
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nvm::RamNvm;

    fn store() -> Store<RamNvm> {
        Store::open(RamNvm::new(64 * 1024), true, 1024).expect("format")
    }

    /// Power lost at each write of an atomic update (the failing write
    /// lands half, as `RamNvm` tears it): after recovery the bytes are all
    /// old or all new, and the log is idle and usable again.
    #[test]
    fn atomic_write_survives_a_cut_at_every_write() {
        let at = store().layout.heap_start;
        let old = [1u8, 2, 3, 4];
        let new = [9u8, 8, 7, 6];
        let mut writes = None;
        for cut in 0.. {
            let mut s = store();
            s.nvm.write(at, &old).unwrap();
            // A previous update leaves an epoch and a stale record behind.
            atomic_write(&mut s, at + 8, &[5, 5]).unwrap();
            let n0 = s.nvm.writes;
            s.nvm.fail_at = Some(n0 + cut);
            let r = atomic_write(&mut s, at, &new);
            let done = s.nvm.writes - n0;
            s.nvm.fail_at = None;
            if r.is_ok() {
                writes = Some(done);
                assert_eq!(&s.nvm.bytes()[at as usize..at as usize + 4], &new);
                break;
            }
            assert_eq!(r, Err(Fault::PowerLoss));
            let mut s = Store::open(s.nvm, false, 1024).expect("reopen");
            let got = &s.nvm.bytes()[at as usize..at as usize + 4];
            assert!(got == old || got == new, "cut {cut}: {got:?}");
            assert_eq!(s.nvm.bytes()[s.log.start as usize], ST_IDLE);
            atomic_write(&mut s, at, &new).unwrap();
            assert_eq!(&s.nvm.bytes()[at as usize..at as usize + 4], &new);
        }
        assert_eq!(writes, Some(4));
    }
}
