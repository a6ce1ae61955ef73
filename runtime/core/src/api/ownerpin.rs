//! Natives of `javacard.framework.OwnerPIN` and the `OwnerPINBuilder` variants.

use super::*;

impl<N: Nvm> Card<N> {
    #[inline(always)]
    pub(super) fn native_ownerpin(&mut self, n: Native, base: usize) -> Result<usize, Exc> {
        use Native::*;
        let a = |i: usize| self.stack.get(base + i).copied().unwrap_or(0);
        let (a0, a1, a2, a3) = (a(0), a(1), a(2), a(3));
        match n {
            PinInit => {
                let (this, limit, max) = (a0 as Ref, a1 as i8, a2 as i8);
                if limit < 1 || max < 1 {
                    return Err(self.cre(tok::PIN_EXCEPTION, reason::PIN_ILLEGAL_VALUE));
                }
                let value = self.new_array(K_BYTE, NO_CLASS, max as u16, 0)?;
                // [validated, decremented (OwnerPINxWithPredecrement)]
                let flag = self.new_array(K_BOOL, NO_CLASS, 2, F_CLEAR_ON_RESET)?;
                self.set_cell(this, PIN_LIMIT, i16::from(limit))?;
                self.set_cell(this, PIN_MAX, i16::from(max))?;
                self.set_cell(this, PIN_TRIES, i16::from(limit))?;
                self.set_cell(this, PIN_LEN, 0)?;
                self.set_cell(this, PIN_VALUE, value as i16)?;
                self.set_cell(this, PIN_FLAG, flag as i16)?;
                Ok(0)
            }
            PinCheck => {
                let this = a0 as Ref;
                self.pin_set_validated(this, false)?;
                let tries = self.cell(this, PIN_TRIES);
                if tries <= 0 {
                    return Ok(self.bool_ret(base, false));
                }
                // Decrement first (not subject to transactions).
                self.pin_write_tries(this, tries - 1)?;
                let len = a3 as i8;
                let plen = self.cell(this, PIN_LEN);
                if a1 == 0 {
                    return Err(self.npe());
                }
                let o = self.byte_range(a1 as Ref, a2, i16::from(len).max(0))?;
                let cand =
                    self.store.data(&o)[a2 as usize..a2 as usize + len.max(0) as usize].to_vec();
                let vo = *self
                    .store
                    .obj(self.cell(this, PIN_VALUE) as Ref)
                    .ok_or_else(|| self.npe())?;
                let ok = i16::from(len) == plen
                    && plen > 0
                    && self.store.data(&vo)[..plen as usize] == cand[..];
                if ok {
                    let limit = self.cell(this, PIN_LIMIT);
                    self.pin_write_tries(this, limit)?;
                    self.pin_set_validated(this, true)?;
                }
                Ok(self.bool_ret(base, ok))
            }
            PinGetTriesRemaining => Ok(self.ret1(base, self.cell(a0 as Ref, PIN_TRIES))),
            PinGetValidatedFlag | PinIsValidated => {
                let v = self.pin_validated(a0 as Ref);
                Ok(self.bool_ret(base, v))
            }
            PinSetValidatedFlag => {
                self.pin_set_validated(a0 as Ref, a1 != 0)?;
                Ok(0)
            }
            PinReset => {
                let this = a0 as Ref;
                if self.pin_validated(this) {
                    self.pin_set_validated(this, false)?;
                    let limit = self.cell(this, PIN_LIMIT);
                    self.pin_write_tries(this, limit)?;
                }
                Ok(0)
            }
            PinResetAndUnblock => {
                let this = a0 as Ref;
                self.pin_set_validated(this, false)?;
                let limit = self.cell(this, PIN_LIMIT);
                self.pin_write_tries(this, limit)?;
                Ok(0)
            }
            PinUpdate => {
                let this = a0 as Ref;
                let len = a3 as i8;
                if len < 0 || i16::from(len) > self.cell(this, PIN_MAX) {
                    return Err(self.cre(tok::PIN_EXCEPTION, reason::PIN_ILLEGAL_VALUE));
                }
                let o = self.byte_range(a1 as Ref, a2, i16::from(len))?;
                let bytes = self.store.data(&o)[a2 as usize..a2 as usize + len as usize].to_vec();
                let vo = *self
                    .store
                    .obj(self.cell(this, PIN_VALUE) as Ref)
                    .ok_or_else(|| self.npe())?;
                let opened = crate::txn::begin_atomic(&mut self.store)?;
                self.store.write(&vo, 0, &bytes, false)?;
                let cell_len = i16::from(len);
                let limit = self.cell(this, PIN_LIMIT);
                let ob = *self.store.obj(this).ok_or_else(|| self.npe())?;
                self.store
                    .write(&ob, 2 * PIN_LEN, &cell_len.to_be_bytes(), false)?;
                self.store
                    .write(&ob, 2 * PIN_TRIES, &limit.to_be_bytes(), false)?;
                crate::txn::end_atomic(&mut self.store, opened)?;
                self.pin_set_validated(this, false)?;
                Ok(0)
            }
            BuildOwnerPin => {
                // (byte tryLimit, byte maxPINSize, byte type): OWNER_PIN (1),
                // OWNER_PIN_X (2), OWNER_PIN_X_WITH_PREDECREMENT (3).
                let name = match a2 {
                    1 => "javacard.framework.OwnerPIN",
                    2 => "javacard.framework.OwnerPINx (card implementation)",
                    3 => "javacard.framework.OwnerPINxWithPredecrement (card implementation)",
                    _ => return Err(self.cre(tok::PIN_EXCEPTION, reason::PIN_ILLEGAL_VALUE)),
                };
                let c = self
                    .classes
                    .iter()
                    .position(|c| c.name == name)
                    .ok_or(Exc::Fault(Fault::Corrupt("OwnerPIN classes")))?
                    as u16;
                let cells = self.classes[usize::from(c)].cells;
                let r = self.new_object(c, cells)?;
                // The constructor's checks and set-up, on the new object.
                self.stack[base] = r as i16;
                self.stack[base + 1] = a0;
                self.stack[base + 2] = a1;
                self.native_inner(PinInit, base)?;
                Ok(self.ret1(base, r as i16))
            }
            PinGetTryLimit => Ok(self.ret1(base, self.cell(a0 as Ref, PIN_LIMIT))),
            PinSetTryLimit => {
                let limit = a1 as i8;
                if limit < 1 {
                    return Err(self.cre(tok::PIN_EXCEPTION, reason::PIN_ILLEGAL_VALUE));
                }
                self.set_cell(a0 as Ref, PIN_LIMIT, i16::from(limit))?;
                Ok(0)
            }
            PinSetTriesRemaining => {
                let this = a0 as Ref;
                let n = a1 as i8;
                if n < 0 || i16::from(n) > self.cell(this, PIN_LIMIT) {
                    return Err(self.cre(tok::PIN_EXCEPTION, reason::PIN_ILLEGAL_VALUE));
                }
                self.pin_write_tries(this, i16::from(n))?;
                Ok(0)
            }
            PinDecrementTriesRemaining => {
                let this = a0 as Ref;
                let tries = self.cell(this, PIN_TRIES);
                if tries > 0 {
                    self.pin_write_tries(this, tries - 1)?;
                }
                self.pin_set_flag(this, 1, true)?;
                Ok(self.ret1(base, self.cell(this, PIN_TRIES)))
            }
            PinCheckPredecremented => {
                // check() of OwnerPINxWithPredecrement: the caller must
                // have called decrementTriesRemaining() first.
                let this = a0 as Ref;
                if !self.pin_flag(this, 1) {
                    return Err(self.cre(tok::PIN_EXCEPTION, reason::PIN_ILLEGAL_STATE));
                }
                self.pin_set_flag(this, 1, false)?;
                self.pin_set_validated(this, false)?;
                let len = a3 as i8;
                if a1 == 0 {
                    return Err(self.npe());
                }
                let o = self.byte_range(a1 as Ref, a2, i16::from(len).max(0))?;
                let cand =
                    self.store.data(&o)[a2 as usize..a2 as usize + len.max(0) as usize].to_vec();
                let plen = self.cell(this, PIN_LEN);
                let vo = *self
                    .store
                    .obj(self.cell(this, PIN_VALUE) as Ref)
                    .ok_or_else(|| self.npe())?;
                let ok = self.cell(this, PIN_TRIES) >= 0
                    && i16::from(len) == plen
                    && plen > 0
                    && self.store.data(&vo)[..plen as usize] == cand[..];
                if ok {
                    let limit = self.cell(this, PIN_LIMIT);
                    self.pin_write_tries(this, limit)?;
                    self.pin_set_validated(this, true)?;
                }
                Ok(self.bool_ret(base, ok))
            }
            _ => Err(Exc::Fault(NOT_THIS_CLASS)),
        }
    }

    pub(super) fn pin_validated(&self, this: Ref) -> bool {
        self.pin_flag(this, 0)
    }

    fn pin_set_validated(&mut self, this: Ref, v: bool) -> Result<(), Exc> {
        self.pin_set_flag(this, 0, v)
    }

    /// The PIN's transient flags: 0 validated, 1 decremented.
    fn pin_flag(&self, this: Ref, i: u32) -> bool {
        let f = self.cell(this, PIN_FLAG) as Ref;
        match self.store.obj(f) {
            Some(o) if u32::from(o.len) > i => self.store.read_u8(o, i) != 0,
            _ => false,
        }
    }

    fn pin_set_flag(&mut self, this: Ref, i: u32, v: bool) -> Result<(), Exc> {
        let f = self.cell(this, PIN_FLAG) as Ref;
        let o = *self.store.obj(f).ok_or_else(|| self.npe())?;
        if u32::from(o.len) <= i {
            return Err(Exc::Fault(Fault::Corrupt("PIN flags")));
        }
        self.store.write(&o, i, &[u8::from(v)], false)?;
        Ok(())
    }

    /// The try counter is not subject to transactions.
    fn pin_write_tries(&mut self, this: Ref, v: i16) -> Result<(), Exc> {
        let o = *self.store.obj(this).ok_or_else(|| self.npe())?;
        if o.in_ram() {
            self.store
                .write(&o, 2 * PIN_TRIES, &v.to_be_bytes(), false)?;
        } else {
            crate::txn::atomic_write_untracked(
                &mut self.store,
                o.data + 2 * PIN_TRIES,
                &v.to_be_bytes(),
            )?;
        }
        Ok(())
    }
}
