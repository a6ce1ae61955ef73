//! org.globalplatform as applets call it (GP 2.3.1 API 1.6 tokens):
//! GPSystem's CVM, secure channel, registry entries and card locking, and
//! the JCRE-owned objects behind the `CVM`, `SecureChannel` and
//! `GPRegistryEntry` interfaces, all over the card manager's state.
//!
//! The CVM and SecureChannel objects are permanent JCRE entry points made
//! at boot (an applet may keep them in a field); registry entries are
//! temporary entry points (SecurityException if stored), made on demand.
//! What this card cannot do is refused as the GP API says:
//! `setATRHistBytes` answers false (the ATR is the board's), and
//! `registerService` / `deregisterService` throw ISOException 6985 (no
//! Global Services on this card).

use alloc::vec::Vec;

use crate::api_tables::tok;
use crate::card::Card;
use crate::cardmgr::{CARD_LOCKED, CARD_TERMINATED};
use crate::error::Fault;
use crate::heap::*;
use crate::interp::Exc;
use crate::nvm::Nvm;

/// The card's classes implementing the GP interfaces (internal tokens
/// 0xF0-0xF2 in `api_tables`, found by name once linked).
pub mod impl_class {
    pub const CVM: &str = "org.globalplatform.CVM (card implementation)";
    pub const SECURE_CHANNEL: &str = "org.globalplatform.SecureChannel (card implementation)";
    pub const REGISTRY_ENTRY: &str = "org.globalplatform.GPRegistryEntry (card implementation)";
}

/// `GPSystem.CVM_GLOBAL_PIN`.
pub const CVM_GLOBAL_PIN: u8 = 0x11;

/// GP privileges by number (`GPRegistryEntry.PRIVILEGE_*`): bit `n` of the
/// three privilege bytes, from the first byte's bit 8.
pub mod privilege {
    pub const CARD_LOCK: u8 = 3;
    pub const CARD_TERMINATE: u8 = 4;
    pub const CVM_MANAGEMENT: u8 = 6;
    pub const GLOBAL_REGISTRY: u8 = 13;
}

fn has_privilege(p: &[u8; 3], n: u8) -> bool {
    n < 24 && p[usize::from(n / 8)] & (0x80 >> (n % 8)) != 0
}

/// The GP objects of this boot.
#[derive(Debug, Clone, Default)]
pub struct GpObjects {
    pub cvm: Ref,
    pub channel: Ref,
    /// Registry entry objects handed out, with the AID each names.
    pub entries: Vec<(Ref, Vec<u8>)>,
    /// The ISD's AID object (made on first use).
    pub isd_aid: Ref,
}

/// One org.globalplatform native (`api::Native::Gp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    GetCvm,
    GetSecureChannel,
    LockCard,
    TerminateCard,
    SetAtrHistBytes,
    GetRegistryEntry,
    CvmIsActive,
    CvmIsSubmitted,
    CvmIsVerified,
    CvmIsBlocked,
    CvmTriesRemaining,
    CvmUpdate,
    CvmResetState,
    CvmBlockState,
    CvmResetAndUnblock,
    CvmSetTryLimit,
    CvmVerify,
    ScProcessSecurity,
    ScWrap,
    ScUnwrap,
    ScDecrypt,
    ScEncrypt,
    ScResetSecurity,
    ScSecurityLevel,
    RegService,
    RegGetAid,
    RegGetPrivileges,
    RegGetState,
    RegIsAssociated,
    RegIsPrivileged,
    RegSetState,
}

impl Op {
    /// Argument words, `this` included.
    pub fn nargs(self) -> u8 {
        use Op::*;
        match self {
            GetSecureChannel | LockCard | TerminateCard => 0,
            GetCvm | GetRegistryEntry | CvmIsActive | CvmIsSubmitted | CvmIsVerified
            | CvmIsBlocked | CvmTriesRemaining | CvmResetState | CvmBlockState
            | CvmResetAndUnblock | ScResetSecurity | ScSecurityLevel | RegGetAid | RegGetState => 1,
            CvmSetTryLimit | ScProcessSecurity | RegService | RegIsAssociated | RegIsPrivileged
            | RegSetState => 2,
            SetAtrHistBytes | RegGetPrivileges => 3,
            ScWrap | ScUnwrap | ScDecrypt | ScEncrypt => 4,
            CvmUpdate | CvmVerify => 5,
        }
    }
}

/// What a registry entry object names: an applet (registry index) or the
/// ISD.
#[derive(Clone, Copy)]
enum Entry {
    Applet(usize),
    Isd,
}

impl<N: Nvm> Card<N> {
    /// Makes the boot's CVM and SecureChannel objects (RAM, permanent entry
    /// points: the same handles every boot, as they are made in the same
    /// order).
    pub(crate) fn make_gp_objects(&mut self) -> Result<(), Fault> {
        let make = |s: &mut Self, name: &str| {
            let c = s.impl_class_id(name)?;
            s.store.alloc(K_INSTANCE, F_RAM | F_ENTRY_POINT, 0, c, 0)
        };
        let cvm = make(self, impl_class::CVM)?;
        let channel = make(self, impl_class::SECURE_CHANNEL)?;
        self.gp = GpObjects {
            cvm,
            channel,
            ..GpObjects::default()
        };
        Ok(())
    }

    fn impl_class_id(&self, name: &str) -> Result<crate::class::ClassId, Fault> {
        self.classes
            .iter()
            .take(crate::api_tables::CLASSES.len())
            .position(|c| c.name == name)
            .map(|i| i as crate::class::ClassId)
            .ok_or(Fault::Corrupt("GP implementation classes"))
    }

    fn iso(&mut self, sw: u16) -> Exc {
        self.cre(tok::ISO_EXCEPTION, sw)
    }

    /// The privileges of the applet whose code runs.
    fn caller_privileges(&self) -> [u8; 3] {
        self.applet_of_context(self.ctx)
            .map_or([0; 3], |i| self.registry.applets[i].privileges)
    }

    fn caller_has(&self, n: u8) -> bool {
        has_privilege(&self.caller_privileges(), n)
    }

    /// The entry a registry entry object names (`None`: its applet was
    /// deleted).
    fn entry_of(&self, this: Ref) -> Option<Entry> {
        let aid = &self.gp.entries.iter().find(|(r, _)| *r == this)?.1;
        if *aid == self.cardmgr.isd_aid {
            return Some(Entry::Isd);
        }
        self.registry.find_exact(aid).map(Entry::Applet)
    }

    /// `GPSystem.getRegistryEntry(aid)`: the caller's own entry (null AID),
    /// its security domain's (the ISD), or, with the Global Registry
    /// privilege, any entry; null otherwise.
    fn registry_entry(&mut self, aid_obj: Ref) -> Result<Ref, Exc> {
        let own = self.applet_of_context(self.ctx);
        let aid = if aid_obj == NULL {
            match own {
                Some(i) => self.registry.applets[i].aid.clone(),
                None => return Ok(NULL),
            }
        } else {
            self.aid_bytes(aid_obj)?
        };
        let is_own = own.is_some_and(|i| self.registry.applets[i].aid == aid);
        let is_isd = aid == self.cardmgr.isd_aid;
        let known = is_isd || self.registry.find_exact(&aid).is_some();
        if !known || !(is_own || is_isd || self.caller_has(privilege::GLOBAL_REGISTRY)) {
            return Ok(NULL);
        }
        if let Some((r, _)) = self.gp.entries.iter().find(|(_, a)| *a == aid) {
            return Ok(*r);
        }
        let c = self
            .impl_class_id(impl_class::REGISTRY_ENTRY)
            .map_err(Exc::Fault)?;
        let r = self
            .store
            .alloc(K_INSTANCE, F_RAM | F_ENTRY_POINT | F_TEMPORARY, 0, c, 0)
            .map_err(Exc::Fault)?;
        self.gp.entries.push((r, aid));
        Ok(r)
    }

    /// `GPSystem.lockCard` / `terminateCard` with the Card Lock / Card
    /// Terminate privilege. Applications selected anywhere are deselected
    /// when the command ends (`jcre::dispatch`).
    fn change_card(&mut self, to: u8, privilege: u8) -> Result<bool, Exc> {
        if !self.caller_has(privilege) {
            return Ok(false);
        }
        self.write_card_state(to).map_err(Exc::Fault)
    }

    /// A byte range of an array argument, copied.
    fn bytes_arg(&self, arr: Ref, off: i16, len: i16) -> Result<(Obj, Vec<u8>), Exc> {
        if arr == NULL {
            return Err(self.npe());
        }
        let o = self.byte_range(arr, off, len)?;
        let at = off as usize;
        let v = self.store.data(&o)[at..at + len as usize].to_vec();
        Ok((o, v))
    }

    pub(crate) fn gp_native(&mut self, op: Op, base: usize) -> Result<usize, Exc> {
        use Op::*;
        let a = |i: usize| self.stack.get(base + i).copied().unwrap_or(0);
        let (a0, a1, a2, a3, a4) = (a(0), a(1), a(2), a(3), a(4));
        match op {
            GetCvm => {
                let r = if a0 as u8 == CVM_GLOBAL_PIN {
                    self.gp.cvm
                } else {
                    NULL
                };
                Ok(self.ret1(base, r as i16))
            }
            GetSecureChannel => Ok(self.ret1(base, self.gp.channel as i16)),
            LockCard => {
                let ok = self.change_card(CARD_LOCKED, privilege::CARD_LOCK)?;
                Ok(self.bool_ret(base, ok))
            }
            TerminateCard => {
                let ok = self.change_card(CARD_TERMINATED, privilege::CARD_TERMINATE)?;
                Ok(self.bool_ret(base, ok))
            }
            SetAtrHistBytes => Ok(self.bool_ret(base, false)),
            GetRegistryEntry => {
                let r = self.registry_entry(a0 as Ref)?;
                Ok(self.ret1(base, r as i16))
            }

            // ---- CVM ----
            CvmIsActive => Ok(self.bool_ret(base, self.cvm_is_active())),
            CvmIsSubmitted => {
                let s = self.cvm_submission() != crate::cardmgr::cvm::Submission::None;
                Ok(self.bool_ret(base, s))
            }
            CvmIsVerified => {
                let v = self.cvm_submission() == crate::cardmgr::cvm::Submission::Validated;
                Ok(self.bool_ret(base, v))
            }
            CvmIsBlocked => Ok(self.bool_ret(base, self.cvm_is_blocked())),
            CvmTriesRemaining => Ok(self.ret1(base, i16::from(self.cvm_tries_remaining() as i8))),
            CvmUpdate | CvmVerify => {
                // (this, byte[] buffer, short offset, byte length, byte format)
                let len = i16::from(a3 as i8);
                let (_, value) = self.bytes_arg(a1 as Ref, a2, len)?;
                if op == CvmVerify {
                    let r = self.cvm_verify(a4 as u8, &value)?;
                    return Ok(self.ret1(base, r));
                }
                let ok = self.caller_has(privilege::CVM_MANAGEMENT)
                    && self.cvm_update(a4 as u8, &value)?;
                Ok(self.bool_ret(base, ok))
            }
            CvmResetState => {
                let ok = self.cvm_reset_state();
                Ok(self.bool_ret(base, ok))
            }
            CvmBlockState => {
                let ok = self.cvm_block()?;
                Ok(self.bool_ret(base, ok))
            }
            CvmResetAndUnblock => {
                let ok = self.caller_has(privilege::CVM_MANAGEMENT) && self.cvm_unblock()?;
                Ok(self.bool_ret(base, ok))
            }
            CvmSetTryLimit => {
                let ok = self.caller_has(privilege::CVM_MANAGEMENT)
                    && self.cvm_set_try_limit(a1 as i8)?;
                Ok(self.bool_ret(base, ok))
            }

            // ---- SecureChannel ----
            ScProcessSecurity => {
                if a1 == 0 {
                    return Err(self.npe());
                }
                let cmd = self.apdu.cmd.clone();
                let r = self.app_process_security(&cmd);
                if r.sw != crate::cardmgr::SW_OK {
                    return Err(self.iso(r.sw));
                }
                // The answer goes to the APDU buffer at OFFSET_CDATA.
                let buf = *self
                    .store
                    .obj(self.jcre.buffer)
                    .ok_or(Exc::Fault(Fault::Corrupt("APDU buffer")))?;
                self.store.write(&buf, 5, &r.data, false)?;
                Ok(self.ret1(base, r.data.len() as i16))
            }
            ScSecurityLevel => Ok(self.ret1(base, i16::from(self.app_security_level() as i8))),
            ScResetSecurity => {
                self.app_reset_security();
                Ok(0)
            }
            ScUnwrap => {
                // (this, byte[] buffer, short offset, short length): a
                // command `CLA INS P1 P2 [Lc data]`, unwrapped in place.
                let (arr, off, len) = (a1 as Ref, a2, a3);
                let (o, bytes) = self.bytes_arg(arr, off, len)?;
                if bytes.len() < 4 || (bytes.len() > 4 && usize::from(bytes[4]) + 5 != bytes.len())
                {
                    return Err(self.iso(crate::cardmgr::SW_WRONG_LENGTH));
                }
                let cmd = crate::apdu::Command {
                    header: [bytes[0], bytes[1], bytes[2], bytes[3]],
                    data: bytes.get(5..).map(<[u8]>::to_vec).unwrap_or_default(),
                    le: None,
                    extended: false,
                };
                let plain = match self.app_unwrap(&cmd) {
                    Ok(Some(p)) => p,
                    Ok(None) => return Ok(self.ret1(base, len)),
                    Err(sw) => return Err(self.iso(sw)),
                };
                let mut out = plain.header.to_vec();
                out.push(plain.data.len() as u8);
                out.extend_from_slice(&plain.data);
                self.write_array(&o, off as u32, &out, false)?;
                Ok(self.ret1(base, out.len() as i16))
            }
            ScWrap => {
                // (this, byte[] buffer, short offset, short length): the
                // response data and its status word; the result leaves the
                // status word out.
                let (arr, off, len) = (a1 as Ref, a2, a3);
                let (o, bytes) = self.bytes_arg(arr, off, len)?;
                let Some(split) = bytes.len().checked_sub(2) else {
                    return Err(self.iso(crate::cardmgr::SW_WRONG_LENGTH));
                };
                let sw = u16::from_be_bytes([bytes[split], bytes[split + 1]]);
                let out = match self.app_wrap(&bytes[..split], sw) {
                    Ok(Some(v)) => v,
                    Ok(None) => return Ok(self.ret1(base, len - 2)),
                    Err(sw) => return Err(self.iso(sw)),
                };
                if off as usize + out.len() > usize::from(o.len) {
                    return Err(self.vm_exc(tok::ARRAY_INDEX_OOB));
                }
                self.write_array(&o, off as u32, &out, false)?;
                Ok(self.ret1(base, out.len() as i16))
            }
            ScDecrypt | ScEncrypt => {
                let (arr, off, len) = (a1 as Ref, a2, a3);
                let (o, mut data) = self.bytes_arg(arr, off, len)?;
                if let Err(sw) = self.app_crypt(&mut data, op == ScEncrypt) {
                    return Err(self.iso(sw));
                }
                self.write_array(&o, off as u32, &data, false)?;
                Ok(self.ret1(base, len))
            }

            // ---- GPRegistryEntry ----
            RegService => Err(self.iso(crate::cardmgr::SW_CONDITIONS)),
            RegGetAid => {
                let r = match self.entry_of(a0 as Ref) {
                    Some(Entry::Applet(i)) => self.registry.applets[i].aid_obj,
                    Some(Entry::Isd) => {
                        if self.gp.isd_aid == NULL {
                            let aid = self.cardmgr.isd_aid.clone();
                            self.gp.isd_aid = self.new_aid_object(&aid)?;
                        }
                        self.gp.isd_aid
                    }
                    None => NULL,
                };
                Ok(self.ret1(base, r as i16))
            }
            RegGetPrivileges => {
                let p = match self.entry_of(a0 as Ref) {
                    Some(Entry::Applet(i)) => self.registry.applets[i].privileges,
                    Some(Entry::Isd) => crate::cardmgr::status::ISD_PRIVILEGES,
                    None => [0; 3],
                };
                if a1 == 0 {
                    return Err(self.npe());
                }
                let o = self.byte_range(a1 as Ref, a2, 3)?;
                self.write_array(&o, a2 as u32, &p, true)?;
                Ok(self.ret1(base, 3))
            }
            RegGetState => {
                let s = match self.entry_of(a0 as Ref) {
                    Some(Entry::Applet(i)) => self.registry.applets[i].life_cycle,
                    Some(Entry::Isd) => self.cardmgr.life_cycle,
                    None => 0,
                };
                Ok(self.ret1(base, i16::from(s as i8)))
            }
            RegIsAssociated => {
                // Every application here is associated with the ISD, the
                // card's one security domain.
                let ok = a1 != 0
                    && self.entry_of(a0 as Ref).is_some()
                    && self.aid_bytes(a1 as Ref)? == self.cardmgr.isd_aid;
                Ok(self.bool_ret(base, ok))
            }
            RegIsPrivileged => {
                let p = match self.entry_of(a0 as Ref) {
                    Some(Entry::Applet(i)) => self.registry.applets[i].privileges,
                    Some(Entry::Isd) => crate::cardmgr::status::ISD_PRIVILEGES,
                    None => [0; 3],
                };
                Ok(self.bool_ret(base, has_privilege(&p, a1 as u8)))
            }
            RegSetState => {
                // An application moves its own entry between
                // application-specific states (as setCardContentState);
                // other entries' and the ISD's states change through the
                // card manager (SET STATUS), not here.
                let own = self.applet_of_context(self.ctx);
                let ok = match (self.entry_of(a0 as Ref), own) {
                    (Some(Entry::Applet(i)), Some(j)) if i == j => {
                        self.set_application_specific_state(i, a1 as u8)?
                    }
                    _ => false,
                };
                Ok(self.bool_ret(base, ok))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileges_are_numbered_from_the_first_bit() {
        // 0x80: Security Domain (0); 0x02: CVM Management (6); 0x04 of the
        // second byte: Global Registry (13).
        let p = [0x82, 0x04, 0x00];
        assert!(has_privilege(&p, 0));
        assert!(has_privilege(&p, privilege::CVM_MANAGEMENT));
        assert!(has_privilege(&p, privilege::GLOBAL_REGISTRY));
        assert!(!has_privilege(&p, privilege::CARD_LOCK));
        assert!(!has_privilege(&p, 24));
    }
}
