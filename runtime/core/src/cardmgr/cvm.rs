//! The global PIN (`GPSystem.getCVM(CVM_GLOBAL_PIN)`, GP 2.3.1 §8.2.2,
//! API `org.globalplatform.CVM`), owned by the card manager: its value,
//! try limit and try counter live in the card manager's record, the
//! session state (submitted, validated) in RAM, so a reset clears it.
//!
//! The try counter counts failed presentations since the last success and
//! is written, one byte (atomic), before the comparison: a cut during
//! `verify` leaves the try used, never given back. It is not subject to
//! transactions. Values are kept as digits (ASCII and BCD submissions,
//! compared with each other) or as HEX bytes (compared with HEX only).

use super::{CardManager, RECORD_SIZE};
use crate::card::Card;
use crate::interp::Exc;
use crate::nvm::Nvm;

/// The CVM's part of the card manager's record (zero in a new record: no
/// value, default try limit, no try used).
pub(crate) const R_CVM: u32 = 444;
/// Bytes of the CVM's part.
pub(crate) const CVM_SIZE: u32 = VALUE + MAX_VALUE as u32;
const FLAGS: u32 = 0;
const LIMIT: u32 = 1;
const USED: u32 = 2;
const KIND: u32 = 3;
const LEN: u32 = 4;
const VALUE: u32 = 5;
/// Longest value, in digits or bytes.
pub const MAX_VALUE: usize = 32;
const _: () = assert!(R_CVM + VALUE + MAX_VALUE as u32 <= RECORD_SIZE);

/// FLAGS: a value was set (the CVM is ACTIVE); blocked by `blockState`.
const F_ACTIVE: u8 = 0x01;
const F_BLOCKED: u8 = 0x02;
/// The try limit of a CVM never given one.
pub const DEFAULT_TRY_LIMIT: u8 = 3;

pub const FORMAT_ASCII: u8 = 1;
pub const FORMAT_BCD: u8 = 2;
pub const FORMAT_HEX: u8 = 3;
/// How a value is kept (KIND): digits 0-9, one a byte, or HEX bytes.
const KIND_DIGITS: u8 = 1;
const KIND_HEX: u8 = 3;

/// Whether the CVM part `r` (`CVM_SIZE` bytes) holds what this runtime
/// writes. It changes at every try, so it is checked by range, not by a
/// checksum (which would cost a write per try).
pub(crate) fn consistent(r: &[u8]) -> bool {
    let b = |f: u32| r.get(f as usize).copied().unwrap_or(0xFF);
    b(FLAGS) & !(F_ACTIVE | F_BLOCKED) == 0
        && matches!(b(KIND), 0 | KIND_DIGITS | KIND_HEX)
        && usize::from(b(LEN)) <= MAX_VALUE
}

pub const CVM_SUCCESS: i16 = 0;
pub const CVM_FAILURE: i16 = -1;

/// Session states above ACTIVE (RAM).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Submission {
    #[default]
    None,
    Invalid,
    Validated,
}

/// A submitted or new value in the form it is kept: `(kind, bytes)`;
/// `None` when it is not a value of its format (a non-digit in ASCII, a
/// nibble above 9 in BCD other than trailing F padding).
fn canonical(format: u8, v: &[u8]) -> Option<(u8, alloc::vec::Vec<u8>)> {
    let out = match format {
        FORMAT_ASCII => v
            .iter()
            .map(|&b| b.is_ascii_digit().then(|| b - b'0'))
            .collect::<Option<alloc::vec::Vec<u8>>>()?,
        FORMAT_BCD => {
            let mut d = alloc::vec::Vec::new();
            let nibbles = v.iter().flat_map(|&b| [b >> 4, b & 0x0F]);
            let mut padded = false;
            for n in nibbles {
                match n {
                    0..=9 if !padded => d.push(n),
                    0x0F => padded = true,
                    _ => return None,
                }
            }
            d
        }
        FORMAT_HEX => v.to_vec(),
        _ => return None,
    };
    let kind = if format == FORMAT_HEX {
        KIND_HEX
    } else {
        KIND_DIGITS
    };
    (!out.is_empty() && out.len() <= MAX_VALUE).then_some((kind, out))
}

impl CardManager {
    fn cvm_at(&self, field: u32) -> u32 {
        self.record + R_CVM + field
    }
}

impl<N: Nvm> Card<N> {
    fn cvm_byte(&self, field: u32) -> u8 {
        let at = self.cardmgr.cvm_at(field) as usize;
        self.store.nvm.bytes().get(at).copied().unwrap_or(0)
    }

    fn cvm_limit(&self) -> u8 {
        match self.cvm_byte(LIMIT) {
            0 => DEFAULT_TRY_LIMIT,
            n => n,
        }
    }

    pub(crate) fn cvm_is_active(&self) -> bool {
        self.cvm_byte(FLAGS) & F_ACTIVE != 0
    }

    pub(crate) fn cvm_tries_remaining(&self) -> u8 {
        self.cvm_limit().saturating_sub(self.cvm_byte(USED))
    }

    pub(crate) fn cvm_is_blocked(&self) -> bool {
        self.cvm_is_active()
            && (self.cvm_byte(FLAGS) & F_BLOCKED != 0 || self.cvm_tries_remaining() == 0)
    }

    pub(crate) fn cvm_submission(&self) -> Submission {
        self.cardmgr.cvm_session
    }

    /// Writes CVM fields from `field` on, with the transaction when one is
    /// open (a change the applet's transaction aborts is undone).
    fn cvm_write(&mut self, field: u32, bytes: &[u8]) -> Result<(), Exc> {
        let at = self.cardmgr.cvm_at(field);
        self.store.write_nvm(at, bytes, true).map_err(Exc::Fault)
    }

    /// `update`: a new value (the caller has the CVM Management privilege);
    /// the try counter starts again and a block is lifted.
    pub(crate) fn cvm_update(&mut self, format: u8, value: &[u8]) -> Result<bool, Exc> {
        let Some((kind, v)) = canonical(format, value) else {
            return Ok(false);
        };
        let flags = self.cvm_byte(FLAGS) & !F_BLOCKED | F_ACTIVE;
        let mut rec = alloc::vec![flags, self.cvm_byte(LIMIT), 0, kind, v.len() as u8];
        rec.extend_from_slice(&v);
        self.cvm_write(FLAGS, &rec)?;
        self.cardmgr.cvm_session = Submission::None;
        Ok(true)
    }

    /// `verify`: the try is counted (one atomic byte, outside any
    /// transaction) before the values are compared.
    pub(crate) fn cvm_verify(&mut self, format: u8, value: &[u8]) -> Result<i16, Exc> {
        // Nothing to compare with, or no tries left: no try is counted.
        if !self.cvm_is_active() || self.cvm_is_blocked() {
            return Ok(CVM_FAILURE);
        }
        let used = self.cvm_byte(USED);
        let at = self.cardmgr.cvm_at(USED);
        crate::txn::atomic_write_untracked(&mut self.store, at, &[used.saturating_add(1)])?;
        let len = usize::from(self.cvm_byte(LEN)).min(MAX_VALUE);
        let start = self.cardmgr.cvm_at(VALUE) as usize;
        let stored = self
            .store
            .nvm
            .bytes()
            .get(start..start + len)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        let kind = self.cvm_byte(KIND);
        let ok = canonical(format, value)
            .is_some_and(|(k, v)| k == kind && super::scp03::same(&v, &stored));
        if !ok {
            self.cardmgr.cvm_session = Submission::Invalid;
            return Ok(CVM_FAILURE);
        }
        crate::txn::atomic_write_untracked(&mut self.store, at, &[0])?;
        self.cardmgr.cvm_session = Submission::Validated;
        Ok(CVM_SUCCESS)
    }

    /// `resetState`: back to ACTIVE from INVALID_SUBMISSION or VALIDATED.
    pub(crate) fn cvm_reset_state(&mut self) -> bool {
        if !self.cvm_is_active()
            || self.cvm_is_blocked()
            || self.cardmgr.cvm_session == Submission::None
        {
            return false;
        }
        self.cardmgr.cvm_session = Submission::None;
        true
    }

    /// `blockState`.
    pub(crate) fn cvm_block(&mut self) -> Result<bool, Exc> {
        if !self.cvm_is_active() {
            return Ok(false);
        }
        let flags = self.cvm_byte(FLAGS) | F_BLOCKED;
        self.cvm_write(FLAGS, &[flags])?;
        self.cardmgr.cvm_session = Submission::None;
        Ok(true)
    }

    /// `resetAndUnblockState` (CVM Management privilege): BLOCKED to ACTIVE,
    /// the try counter starts again.
    pub(crate) fn cvm_unblock(&mut self) -> Result<bool, Exc> {
        if !self.cvm_is_blocked() {
            return Ok(false);
        }
        let flags = self.cvm_byte(FLAGS) & !F_BLOCKED;
        self.cvm_write(FLAGS, &[flags, self.cvm_byte(LIMIT), 0])?;
        self.cardmgr.cvm_session = Submission::None;
        Ok(true)
    }

    /// `setTryLimit` (CVM Management privilege): the counter starts again.
    pub(crate) fn cvm_set_try_limit(&mut self, limit: i8) -> Result<bool, Exc> {
        if limit < 1 {
            return Ok(false);
        }
        self.cvm_write(LIMIT, &[limit as u8, 0])?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::Config;
    use crate::nvm::RamNvm;

    fn boot(nvm: RamNvm) -> Card<RamNvm> {
        Card::boot(nvm, Config::default()).unwrap_or_else(|e| panic!("boot: {e}"))
    }

    /// A wrong value cut at any NVM write leaves the tries as they were or
    /// one fewer, never more; a verify that answered has counted the try.
    /// The right value afterwards gives the tries back.
    #[test]
    fn a_cut_verify_never_gives_a_try_back() {
        let mut card = boot(RamNvm::new(256 * 1024));
        assert!(card.cvm_update(FORMAT_ASCII, b"1234").unwrap());
        assert_eq!(card.cvm_tries_remaining(), DEFAULT_TRY_LIMIT);
        let base = card.store.nvm.clone();
        let before = base.writes;
        assert_eq!(card.cvm_verify(FORMAT_ASCII, b"9999").unwrap(), CVM_FAILURE);
        let n = card.store.nvm.writes - before;
        assert!(n >= 1);
        for cut in 0..=n {
            let mut card = boot(base.clone());
            card.store.nvm.fail_at = Some(card.store.nvm.writes + cut);
            let answered = card.cvm_verify(FORMAT_ASCII, b"9999").is_ok();
            let mut nvm = card.store.nvm.clone();
            nvm.fail_at = None;
            let card = boot(nvm);
            let left = card.cvm_tries_remaining();
            assert!(left <= DEFAULT_TRY_LIMIT, "cut {cut}: {left}");
            if answered {
                assert_eq!(left, DEFAULT_TRY_LIMIT - 1, "cut {cut}");
            }
        }
        let mut card = boot(base);
        assert_eq!(card.cvm_verify(FORMAT_ASCII, b"9999").unwrap(), CVM_FAILURE);
        assert_eq!(card.cvm_tries_remaining(), DEFAULT_TRY_LIMIT - 1);
        assert_eq!(
            card.cvm_verify(FORMAT_BCD, &[0x12, 0x34]).unwrap(),
            CVM_SUCCESS
        );
        assert_eq!(card.cvm_tries_remaining(), DEFAULT_TRY_LIMIT);
        assert_eq!(card.cvm_submission(), Submission::Validated);
    }

    /// The try counter is not part of a transaction the applet aborts.
    #[test]
    fn an_aborted_transaction_keeps_the_try() {
        let mut card = boot(RamNvm::new(256 * 1024));
        assert!(card.cvm_update(FORMAT_ASCII, b"1234").unwrap());
        crate::txn::begin(&mut card.store).unwrap();
        assert_eq!(card.cvm_verify(FORMAT_ASCII, b"0000").unwrap(), CVM_FAILURE);
        crate::txn::abort(&mut card.store).unwrap();
        assert_eq!(card.cvm_tries_remaining(), DEFAULT_TRY_LIMIT - 1);
    }

    #[test]
    fn ascii_and_bcd_are_the_same_digits() {
        let a = canonical(FORMAT_ASCII, b"1234").unwrap();
        assert_eq!(a, (KIND_DIGITS, alloc::vec![1, 2, 3, 4]));
        assert_eq!(canonical(FORMAT_BCD, &[0x12, 0x34]).unwrap(), a);
        assert_eq!(
            canonical(FORMAT_BCD, &[0x12, 0x3F]).unwrap().1,
            alloc::vec![1, 2, 3]
        );
        assert!(canonical(FORMAT_BCD, &[0x1F, 0x30]).is_none());
        assert!(canonical(FORMAT_BCD, &[0x1A]).is_none());
        assert!(canonical(FORMAT_ASCII, b"12a").is_none());
        assert_eq!(canonical(FORMAT_HEX, &[0xAB]).unwrap().0, KIND_HEX);
        assert!(canonical(FORMAT_HEX, &[]).is_none());
        assert!(canonical(9, &[1]).is_none());
    }
}
