//! Transactions: an undo log in NVM.
//!
//! ```text
//!  log_start: [state u8][epoch u8][reserved 6]
//!             record* : [marker u8][addr u32][len u16][old bytes][crc u32]
//!             each record is followed by a 0 byte (written with it)
//! ```
//! A record is valid iff its marker is the epoch it is read under and its
//! CRC-32 (over marker, address, length and old bytes) matches, so one
//! write both appends and validates it: a record torn by power loss fails
//! its CRC and ends the log, and the data it covers was not yet touched.
//!
//! Invariants (MUST):
//! - Before a persistent byte changes inside a transaction, a valid record
//!   holding its old value is in the log.
//! - `state` is one byte, so it flips atomically: 0 = idle, 1 = Java Card
//!   transaction open, 2 = a group of updates made atomic together.
//! - At boot, if `state != 0` every valid record is undone, newest first,
//!   then `state` returns to 0. Commit is the single write `state = 0`.
//! - When idle, the first record is marked with the current epoch or 0,
//!   except while one update is in flight outside a transaction: its
//!   record is marked with the *next* epoch, and publishing that epoch is
//!   what completes the update. At boot such a record is undone.

use alloc::vec::Vec;

use crate::error::{Fault, Result};
use crate::heap::{rd_u16, rd_u32, Layout, Store};
use crate::nvm::Nvm;

const ST_IDLE: u8 = 0;
const ST_TXN: u8 = 1;
const ST_ATOMIC: u8 = 2;
const LOG_HEADER: u32 = 8;
const REC_HEADER: u32 = 7;
const REC_CRC: u32 = 4;

/// Bytes a record of `len` old bytes takes (without its 0 terminator).
const fn rec_size(len: u32) -> u32 {
    REC_HEADER + len + REC_CRC
}

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
    /// logged field also costs a record header and CRC).
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

/// Records up to this size (header, data, CRC, terminator) need no
/// allocation.
const SMALL_RECORD: usize = 28;

/// Builds the record `[marker][addr][len][old bytes][crc][0]` of the `len`
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
    let body = (REC_HEADER + len) as usize;
    let size = rec_size(len) as usize;
    let old = s
        .nvm
        .bytes()
        .get(at as usize..(at + len) as usize)
        .ok_or(Fault::NvmRange { at, len })?;
    let rec: &mut [u8] = if size < SMALL_RECORD {
        &mut small[..size + 1]
    } else {
        large.resize(size + 1, 0);
        large
    };
    rec[0] = marker;
    rec[1..5].copy_from_slice(&at.to_be_bytes());
    rec[5..7].copy_from_slice(&(len as u16).to_be_bytes());
    crate::nvm::copy_bytes(&mut rec[7..body], old);
    let crc = crate::heap::crc32(&[&rec[..body]]);
    rec[body..size].copy_from_slice(&crc.to_be_bytes());
    rec[size] = 0;
    Ok(rec)
}

/// The valid record at `p` read under `epoch`: (address, where its old
/// bytes are, their length, the record's size).
fn valid_record(b: &[u8], p: u32, end: u32, epoch: u8) -> Option<(u32, u32, u32, u32)> {
    if epoch == 0 || p + REC_HEADER > end || b.get(p as usize) != Some(&epoch) {
        return None;
    }
    let addr = rd_u32(b, p + 1).ok()?;
    let len = u32::from(rd_u16(b, p + 5).ok()?);
    let size = rec_size(len);
    if p + size > end {
        return None;
    }
    let body = b.get(p as usize..(p + REC_HEADER + len) as usize)?;
    let crc = rd_u32(b, p + REC_HEADER + len).ok()?;
    (crate::heap::crc32(&[body]) == crc).then_some((addr, p + REC_HEADER, len, size))
}

/// Appends a record with the current content of `len` bytes at `at`: one
/// write, which validates it.
pub fn log_old<N: Nvm>(s: &mut Store<N>, at: u32, len: u32) -> Result<()> {
    let size = rec_size(len);
    if s.log.used + size + 1 > s.log.start + s.log.size {
        return Err(Fault::LogFull);
    }
    // Fields, statics and array elements are a few bytes: their record is
    // built on the stack (no allocation per logged update).
    let (mut small, mut large) = ([0u8; SMALL_RECORD], Vec::new());
    let rec = record(s, at, len, s.log.epoch, &mut small, &mut large)?;
    let pos = s.log.used;
    s.nvm.write(pos, rec)?;
    s.log.used = pos + size;
    s.log.logged += len;
    Ok(())
}

/// One multi-byte persistent update that survives power loss whole or not
/// at all, in three NVM writes:
/// 1. the undo record, marked with the next epoch, at the log's start (the
///    log is idle, so nothing reads it as part of a transaction);
/// 2. the data;
/// 3. the epoch byte, set to the record's marker: the update is done.
///
/// Power lost after 1 and before 3 leaves a valid record marked with the
/// epoch after the current one: boot undoes it (`recover`).
pub fn atomic_write<N: Nvm>(s: &mut Store<N>, at: u32, bytes: &[u8]) -> Result<()> {
    let start = s.log.start;
    let len = bytes.len() as u32;
    if LOG_HEADER + rec_size(len) + 1 > s.log.size {
        return Err(Fault::LogFull);
    }
    let epoch = next_epoch(s)?;
    let (mut small, mut large) = ([0u8; SMALL_RECORD], Vec::new());
    let rec = record(s, at, len, epoch, &mut small, &mut large)?;
    s.nvm.write(start + LOG_HEADER, rec)?;
    s.nvm.write(at, bytes)?;
    s.nvm.write(start + 1, &[epoch])?;
    s.log.epoch = epoch;
    Ok(())
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
    while let Some((addr, data, len, size)) = valid_record(b, p, end, epoch) {
        recs.push((addr, data, len));
        p += size;
    }
    for (addr, data, len) in recs.into_iter().rev() {
        restore(s, addr, data, len)?;
    }
    Ok(())
}

/// Writes back the `len` old bytes kept at `data` to `addr`.
fn restore<N: Nvm>(s: &mut Store<N>, addr: u32, data: u32, len: u32) -> Result<()> {
    let old: Vec<u8> = s
        .nvm
        .bytes()
        .get(data as usize..(data + len) as usize)
        .ok_or(Fault::Corrupt("log record"))?
        .to_vec();
    s.nvm.write(addr, &old)
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
        return close_log(s);
    }
    // One update in flight outside a transaction: undo it, then publish its
    // epoch so that its record no longer counts.
    let next = next_epoch(s)?;
    let start = s.log.start;
    let in_flight = valid_record(b, start + LOG_HEADER, start + s.log.size, next);
    if let Some((addr, data, len, _)) = in_flight {
        restore(s, addr, data, len)?;
        s.nvm.write(start + 1, &[next])?;
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
        assert_eq!(writes, Some(3));
    }
}
