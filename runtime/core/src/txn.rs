//! Transactions and atomic updates: a log in NVM.
//!
//! ```text
//!  log_start: [state u8][epoch u8][reserved 6]
//!             record* : [marker u8][addr u32][len u16][bytes][crc u32]
//!             each record is followed by a 0 byte (written with it)
//! ```
//! A record is valid iff its marker is the epoch it is read under and its
//! CRC-32 (over marker, address, length and bytes) matches, so one write
//! both appends and validates it: a record torn by power loss fails its
//! CRC.
//!
//! Inside a transaction the records are undo records (the old bytes);
//! outside one the first record is the redo record (the new bytes) of the
//! last update made atomic on its own.
//!
//! Invariants (MUST):
//! - Before a persistent byte changes inside a transaction, a valid undo
//!   record holding its old value is in the log.
//! - `state` is one byte, so it flips atomically: 0 = idle, 1 = Java Card
//!   transaction open, 2 = a group of updates made atomic together.
//! - At boot, if `state != 0` every valid record is undone, newest first,
//!   then `state` returns to 0. Commit is the single write `state = 0`.
//! - When idle, the first record is marked with the current epoch or 0,
//!   or it is a redo record, marked with the *next* epoch. A redo record is
//!   written (one write) before the bytes it covers change, and stays valid
//!   after: at boot it is applied again, which completes an update the
//!   power cut short and changes nothing after one that completed.
//! - While a redo record is valid, the bytes it covers hold what it says
//!   or are being written by its update: [`Guarded`] invalidates it before
//!   any other write touches them.

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

/// The NVM of a [`Store`], keeping the redo record's promise: the bytes a
/// valid redo record covers change only through its own update.
///
/// An update made atomic outside a transaction ([`atomic_write`]) leaves
/// its redo record valid after it completes, so that it costs two writes
/// (record, data) and no third to retire the record. Boot applies a valid
/// redo record again, which is harmless while its bytes hold what it
/// wrote; so a write here that touches them first invalidates the record
/// (its marker set to 0: one byte, atomic), and a write over the record
/// itself replaces it. Reads and field access pass through to the board's
/// NVM.
pub struct Guarded<N> {
    nvm: N,
    redo: Option<Redo>,
}

/// Where the valid redo record is, and the bytes it covers.
#[derive(Debug, Clone, Copy)]
struct Redo {
    at: u32,
    end: u32,
    slot: u32,
    slot_end: u32,
}

impl<N: Nvm> Guarded<N> {
    pub fn new(nvm: N) -> Guarded<N> {
        Guarded { nvm, redo: None }
    }

    pub fn into_inner(self) -> N {
        self.nvm
    }

    /// Invalidates the redo record if `[at, at + len)` touches what it
    /// covers; forgets it if the range overwrites the record.
    #[inline]
    fn settle(&mut self, at: u32, len: usize) -> Result<()> {
        let Some(r) = self.redo else {
            return Ok(());
        };
        let end = at.saturating_add(len as u32);
        if at < r.slot_end && r.slot < end {
            self.redo = None;
        } else if at < r.end && r.at < end {
            self.redo = None;
            self.nvm.write(r.slot, &[0])?;
        }
        Ok(())
    }

    /// Writes the redo record `rec` of the `len` bytes at `at` into the
    /// log's first slot and the data after it: the data write is the one
    /// write the record allows.
    fn redo_update(&mut self, slot: u32, rec: &[u8], at: u32, data: &[u8]) -> Result<()> {
        // The old record, if any, is overwritten: a torn write leaves
        // neither valid, and the old one's update is complete.
        self.redo = None;
        self.nvm.write(slot, rec)?;
        self.redo = Some(Redo {
            at,
            end: at + data.len() as u32,
            slot,
            slot_end: slot + rec.len() as u32,
        });
        self.nvm.write(at, data)
    }
}

impl<N: Nvm> Nvm for Guarded<N> {
    #[inline]
    fn bytes(&self) -> &[u8] {
        self.nvm.bytes()
    }

    #[inline]
    fn write(&mut self, at: u32, data: &[u8]) -> Result<()> {
        self.settle(at, data.len())?;
        self.nvm.write(at, data)
    }

    fn write_tearable(&mut self, at: u32, data: &[u8]) -> Result<()> {
        self.settle(at, data.len())?;
        self.nvm.write_tearable(at, data)
    }

    fn flush(&mut self) -> Result<()> {
        self.nvm.flush()
    }
}

/// Field access to the board's NVM (test boards' counters). Writes MUST go
/// through [`Nvm::write`] on the `Guarded` itself.
impl<N> core::ops::Deref for Guarded<N> {
    type Target = N;
    fn deref(&self) -> &N {
        &self.nvm
    }
}

impl<N> core::ops::DerefMut for Guarded<N> {
    fn deref_mut(&mut self) -> &mut N {
        &mut self.nvm
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
/// allocation: those of fields, statics and array elements (up to four
/// bytes). Sixteen bytes are zeroed with four word stores, not a call.
const SMALL_RECORD: usize = 16;

/// Builds the record `[marker][addr][len][bytes][crc][0]` of `bytes`
/// (the content it keeps for the `bytes.len()` bytes at `at`) in `small`,
/// or in `large` when it does not fit, and returns it.
fn record<'a>(
    at: u32,
    bytes: &[u8],
    marker: u8,
    small: &'a mut [u8; SMALL_RECORD],
    large: &'a mut Vec<u8>,
) -> &'a [u8] {
    match *bytes {
        [a] => return small_record(at, [a], marker, small),
        [a, b] => return small_record(at, [a, b], marker, small),
        [a, b, c, d] => return small_record(at, [a, b, c, d], marker, small),
        _ => {}
    }
    let len = bytes.len() as u32;
    let body = (REC_HEADER + len) as usize;
    let size = rec_size(len) as usize;
    let rec: &mut [u8] = if size < SMALL_RECORD {
        &mut small[..size + 1]
    } else {
        large.resize(size + 1, 0);
        large
    };
    rec[0] = marker;
    rec[1..5].copy_from_slice(&at.to_be_bytes());
    rec[5..7].copy_from_slice(&(len as u16).to_be_bytes());
    crate::nvm::copy_bytes(&mut rec[7..body], bytes);
    let crc = crate::heap::crc32(&[&rec[..body]]);
    rec[body..size].copy_from_slice(&crc.to_be_bytes());
    rec[size] = 0;
    rec
}

/// The record of a field, a static or an array element (`N` is 1, 2 or
/// 4): every offset a constant, so it is built without index checks or a
/// copy call, and its CRC in one unrolled pass.
#[inline(always)]
fn small_record<const N: usize>(
    at: u32,
    data: [u8; N],
    marker: u8,
    rec: &mut [u8; SMALL_RECORD],
) -> &[u8] {
    const H: usize = REC_HEADER as usize;
    const C: usize = REC_CRC as usize;
    // Header, data, CRC and terminator fit the buffer: checked when built.
    const { assert!(H + N + C < SMALL_RECORD) };
    rec[0] = marker;
    rec[1..5].copy_from_slice(&at.to_be_bytes());
    rec[5..H].copy_from_slice(&(N as u16).to_be_bytes());
    rec[H..H + N].copy_from_slice(&data);
    let crc = crate::heap::crc32_of(&rec[..H + N]);
    rec[H + N..H + N + C].copy_from_slice(&crc.to_be_bytes());
    rec[H + N + C] = 0;
    &rec[..H + N + C + 1]
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

/// Appends an undo record with the current content of `len` bytes at
/// `at`: one write, which validates it.
pub fn log_old<N: Nvm>(s: &mut Store<N>, at: u32, len: u32) -> Result<()> {
    log_has_room(s, len)?;
    // Fields, statics and array elements are a few bytes: their record is
    // built on the stack (no allocation per logged update).
    let (mut small, mut large) = ([0u8; SMALL_RECORD], Vec::new());
    let old = s
        .nvm
        .bytes()
        .get(at as usize..(at + len) as usize)
        .ok_or(Fault::NvmRange { at, len })?;
    let rec = record(at, old, s.log.epoch, &mut small, &mut large);
    append_undo(s, rec, len)
}

/// [`log_old`] of a field, a static or an array element whose current
/// content the caller has read (`old`, `L` of 1, 2 or 4 bytes at `at`).
pub fn log_old_small<N: Nvm, const L: usize>(
    s: &mut Store<N>,
    at: u32,
    old: [u8; L],
) -> Result<()> {
    log_has_room(s, L as u32)?;
    let mut small = [0u8; SMALL_RECORD];
    let rec = small_record(at, old, s.log.epoch, &mut small);
    append_undo(s, rec, L as u32)
}

/// Whether the open log has room for an undo record of `len` bytes and
/// its terminator.
fn log_has_room<N: Nvm>(s: &Store<N>, len: u32) -> Result<()> {
    if s.log.used + rec_size(len) + 1 > s.log.start + s.log.size {
        return Err(Fault::LogFull);
    }
    Ok(())
}

/// Appends undo record `rec` (of `len` old bytes, terminator included):
/// one write, which validates it.
fn append_undo<N: Nvm>(s: &mut Store<N>, rec: &[u8], len: u32) -> Result<()> {
    let pos = s.log.used;
    s.nvm.write(pos, rec)?;
    s.log.used = pos + rec_size(len);
    s.log.logged += len;
    Ok(())
}

/// One multi-byte persistent update that survives power loss whole or not
/// at all, in two NVM writes (one for a single byte):
/// 1. its redo record, marked with the next epoch, in the log's first slot
///    (the log is idle, so nothing reads it as part of a transaction);
/// 2. the data.
///
/// Power lost during 1 leaves an invalid record and the old data; after 1,
/// boot applies the record (`recover`). The record stays valid afterwards,
/// under [`Guarded`]'s watch.
pub fn atomic_write<N: Nvm>(s: &mut Store<N>, at: u32, bytes: &[u8]) -> Result<()> {
    let slot = redo_slot(s, at, bytes.len())?;
    if let [_] = bytes {
        // One byte is written whole or not at all (the `Nvm` contract).
        return s.nvm.write(at, bytes);
    }
    let epoch = next_epoch(s)?;
    let (mut small, mut large) = ([0u8; SMALL_RECORD], Vec::new());
    let rec = record(at, bytes, epoch, &mut small, &mut large);
    s.nvm.redo_update(slot, rec, at, bytes)
}

/// [`atomic_write`] of a field, a static or an array element (`L` is 2 or
/// 4; one byte needs no record): the record built with constant offsets.
pub fn atomic_write_small<N: Nvm, const L: usize>(
    s: &mut Store<N>,
    at: u32,
    bytes: [u8; L],
) -> Result<()> {
    let slot = redo_slot(s, at, L)?;
    let epoch = next_epoch(s)?;
    let mut small = [0u8; SMALL_RECORD];
    let rec = small_record(at, bytes, epoch, &mut small);
    s.nvm.redo_update(slot, rec, at, &bytes)
}

/// The log slot of the redo record of `len` bytes at `at`, once the record
/// is known to fit and the bytes to lie in NVM.
fn redo_slot<N: Nvm>(s: &Store<N>, at: u32, len: usize) -> Result<u32> {
    if !fits_one_record(s, len) {
        return Err(Fault::LogFull);
    }
    if (at as usize).saturating_add(len) > s.nvm.bytes().len() {
        return Err(Fault::NvmRange {
            at,
            len: len as u32,
        });
    }
    Ok(s.log.start + LOG_HEADER)
}

/// Whether `len` bytes fit one redo record, so that [`atomic_write`] can
/// make them one atomic update.
pub fn fits_one_record<N: Nvm>(s: &Store<N>, len: usize) -> bool {
    u32::try_from(len).is_ok_and(|n| LOG_HEADER + rec_size(n) < s.log.size)
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

/// Boot-time recovery: roll back an interrupted transaction, or complete
/// the last update made atomic on its own.
///
/// The log's header bytes change with transactions, so they carry no
/// checksum (that would cost a write each time); a value no runtime
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
    // The redo record of the last atomic update, if valid: apply it (its
    // data write may have been cut short) and keep it valid, watched.
    let next = next_epoch(s)?;
    let slot = s.log.start + LOG_HEADER;
    let redo = valid_record(b, slot, s.log.start + s.log.size, next);
    if let Some((addr, data, len, size)) = redo {
        let differs = b
            .get(addr as usize..(addr + len) as usize)
            .zip(b.get(data as usize..(data + len) as usize))
            .is_none_or(|(cur, new)| cur != new);
        if differs {
            restore(s, addr, data, len)?;
        }
        s.nvm.redo = Some(Redo {
            at: addr,
            end: addr + len,
            slot,
            slot_end: slot + size + 1,
        });
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

    /// The records of fields and array elements (built at constant
    /// offsets) have the layout of every other record, and read back valid.
    #[test]
    fn small_records_have_the_record_layout() {
        for n in [1usize, 2, 3, 4, 5] {
            let data: Vec<u8> = (0..n).map(|i| 0xA0 + i as u8).collect();
            let at = 0x0001_2345;
            let (mut small, mut large) = ([0u8; SMALL_RECORD], Vec::new());
            let rec = record(at, &data, 7, &mut small, &mut large).to_vec();
            let mut want = alloc::vec![7, 0x00, 0x01, 0x23, 0x45, 0, n as u8];
            want.extend_from_slice(&data);
            let crc = crate::heap::crc32(&[&want]);
            want.extend_from_slice(&crc.to_be_bytes());
            want.push(0);
            assert_eq!(rec, want, "{n} bytes");
            let end = rec.len() as u32;
            assert_eq!(
                valid_record(&rec, 0, end, 7),
                Some((at, REC_HEADER, n as u32, end - 1))
            );
            assert_eq!(valid_record(&rec, 0, end, 8), None);
        }
    }

    fn store() -> Store<RamNvm> {
        Store::open(RamNvm::new(64 * 1024), true, 1024).expect("format")
    }

    /// Power lost at each write of an atomic update (the failing write
    /// lands half, as `RamNvm` tears it): after recovery the bytes are all
    /// old or all new, and the log is idle and usable again.
    #[test]
    fn atomic_write_survives_a_cut_at_every_write() {
        // 4 bytes: a field; 64 and 200: what `Util.arrayCopy` makes one
        // record of.
        for n in [4usize, 64, 200] {
            assert!(fits_one_record(&store(), n), "{n} bytes");
            cut_at_every_write(n, false);
        }
        // The constant-length path of fields and array elements.
        cut_at_every_write(2, true);
        cut_at_every_write(4, true);
        let s = store();
        assert!(!fits_one_record(&s, s.log.size as usize));
    }

    fn cut_at_every_write(n: usize, small: bool) {
        let update = |s: &mut Store<RamNvm>, at: u32, new: &[u8]| match *new {
            [a, b] if small => atomic_write_small(s, at, [a, b]),
            [a, b, c, d] if small => atomic_write_small(s, at, [a, b, c, d]),
            _ => atomic_write(s, at, new),
        };
        let at = store().layout.heap_start;
        let old: Vec<u8> = (0..n).map(|i| i as u8).collect();
        let new: Vec<u8> = (0..n).map(|i| !(i as u8)).collect();
        let span = at as usize..at as usize + n;
        let mut writes = None;
        for cut in 0.. {
            let mut s = store();
            s.nvm.write(at, &old).unwrap();
            // A previous update leaves an epoch and a stale record behind.
            atomic_write(&mut s, at + n as u32 + 8, &[5, 5]).unwrap();
            let n0 = s.nvm.writes;
            s.nvm.fail_at = Some(n0 + cut);
            let r = update(&mut s, at, &new);
            let done = s.nvm.writes - n0;
            s.nvm.fail_at = None;
            if r.is_ok() {
                writes = Some(done);
                assert_eq!(&s.nvm.bytes()[span.clone()], &new[..]);
                break;
            }
            assert_eq!(r, Err(Fault::PowerLoss));
            let mut s = Store::open(s.nvm, false, 1024).expect("reopen");
            let got = &s.nvm.bytes()[span.clone()];
            assert!(
                got == &old[..] || got == &new[..],
                "{n} bytes, cut {cut}: {got:?}"
            );
            assert_eq!(s.nvm.bytes()[s.log.start as usize], ST_IDLE);
            atomic_write(&mut s, at, &new).unwrap();
            assert_eq!(&s.nvm.bytes()[span.clone()], &new[..]);
        }
        assert_eq!(writes, Some(2), "{n} bytes");
    }

    /// Power lost between the redo record and the end of the data write
    /// (the data torn): boot completes the update.
    #[test]
    fn boot_completes_an_update_whose_data_was_torn() {
        let mut s = store();
        let at = s.layout.heap_start;
        s.nvm.write(at, &[1, 2, 3, 4]).unwrap();
        let n0 = s.nvm.writes;
        s.nvm.fail_at = Some(n0 + 1);
        assert_eq!(
            atomic_write(&mut s, at, &[9, 8, 7, 6]),
            Err(Fault::PowerLoss)
        );
        s.nvm.fail_at = None;
        // `RamNvm` tears a write after its first half.
        assert_eq!(&s.nvm.bytes()[at as usize..at as usize + 4], &[9, 8, 3, 4]);
        let s = Store::open(s.into_nvm(), false, 1024).expect("reopen");
        assert_eq!(&s.nvm.bytes()[at as usize..at as usize + 4], &[9, 8, 7, 6]);
    }

    /// A completed update's redo record stays valid; a later write of the
    /// same bytes by another path invalidates it first, so a reboot after
    /// that write does not bring the update's value back. A write elsewhere
    /// leaves it alone (no extra write).
    #[test]
    fn a_redo_record_never_undoes_a_later_write() {
        let mut s = store();
        let at = s.layout.heap_start;
        atomic_write(&mut s, at, &[1, 1]).unwrap();
        let n0 = s.nvm.writes;
        s.nvm.write(at + 16, &[5, 5, 5]).unwrap();
        assert_eq!(
            s.nvm.writes - n0,
            1,
            "a write elsewhere costs no invalidation"
        );
        s.nvm.write_tearable(at + 1, &[7]).unwrap();
        assert_eq!(
            s.nvm.writes - n0,
            3,
            "an overlapping write invalidates first"
        );
        let s = Store::open(s.into_nvm(), false, 1024).expect("reopen");
        assert_eq!(&s.nvm.bytes()[at as usize..at as usize + 2], &[1, 7]);
        assert_eq!(
            &s.nvm.bytes()[at as usize + 16..at as usize + 19],
            &[5, 5, 5]
        );
    }

    /// After a reboot the surviving redo record is watched as before: an
    /// overlapping write invalidates it.
    #[test]
    fn the_redo_record_is_watched_after_a_reboot() {
        let mut s = store();
        let at = s.layout.heap_start;
        atomic_write(&mut s, at, &[1, 1]).unwrap();
        let mut s = Store::open(s.into_nvm(), false, 1024).expect("reopen");
        s.nvm.write(at, &[2]).unwrap();
        let s = Store::open(s.into_nvm(), false, 1024).expect("reopen");
        assert_eq!(&s.nvm.bytes()[at as usize..at as usize + 2], &[2, 1]);
    }

    /// A transaction opened after an atomic update replaces its redo record
    /// (the log's first byte is cleared first); an abort undoes only the
    /// transaction, and a reboot after the commit keeps everything.
    #[test]
    fn a_transaction_after_an_atomic_update() {
        let mut s = store();
        let at = s.layout.heap_start;
        atomic_write(&mut s, at, &[1, 1]).unwrap();
        begin(&mut s).unwrap();
        log_old(&mut s, at, 2).unwrap();
        s.nvm.write(at, &[3, 3]).unwrap();
        abort(&mut s).unwrap();
        assert_eq!(&s.nvm.bytes()[at as usize..at as usize + 2], &[1, 1]);
        begin(&mut s).unwrap();
        log_old(&mut s, at, 2).unwrap();
        s.nvm.write(at, &[4, 4]).unwrap();
        commit(&mut s).unwrap();
        let s = Store::open(s.into_nvm(), false, 1024).expect("reopen");
        assert_eq!(&s.nvm.bytes()[at as usize..at as usize + 2], &[4, 4]);
    }
}
