//! Native implementations of the `java.lang` and `javacard.framework` API.
//! Each native reads its arguments from the operand stack (`this` first)
//! and writes its result in their place.

use alloc::vec::Vec;

use crate::apdu::*;
use crate::api_tables::{tok, FW, LANG};
use crate::card::{Card, Package};
use crate::class::NO_CLASS;
use crate::error::Fault;
use crate::heap::*;
use crate::interp::Exc;
use crate::nvm::Nvm;

/// OwnerPIN's private cells: try limit, max size, tries left, PIN length,
/// PIN value (persistent byte[]), validated flag (transient boolean[1]).
pub const PIN_CELLS: u16 = 6;
const PIN_LIMIT: u32 = 0;
const PIN_MAX: u32 = 1;
const PIN_TRIES: u32 = 2;
const PIN_LEN: u32 = 3;
pub(crate) const PIN_VALUE: u32 = 4;
const PIN_FLAG: u32 = 5;
// The collector follows an OwnerPIN's references as two cells from
// PIN_VALUE (see `link_api`).
const _: () = assert!(PIN_FLAG == PIN_VALUE + 1);

/// Exception reasons used by the runtime.
pub mod reason {
    pub const SYS_ILLEGAL_VALUE: u16 = 1;
    pub const SYS_NO_TRANSIENT_SPACE: u16 = 2;
    pub const SYS_ILLEGAL_TRANSIENT: u16 = 3;
    pub const SYS_ILLEGAL_AID: u16 = 4;
    pub const SYS_NO_RESOURCE: u16 = 5;
    pub const SYS_ILLEGAL_USE: u16 = 6;
    pub const TXN_IN_PROGRESS: u16 = 1;
    pub const TXN_NOT_IN_PROGRESS: u16 = 2;
    pub const TXN_BUFFER_FULL: u16 = 3;
    pub const APDU_ILLEGAL_USE: u16 = 1;
    pub const APDU_BUFFER_BOUNDS: u16 = 2;
    pub const APDU_BAD_LENGTH: u16 = 3;
    pub const PIN_ILLEGAL_VALUE: u16 = 1;
    pub const PIN_ILLEGAL_STATE: u16 = 2;
    pub const ISO_FUNC_NOT_SUPPORTED: u16 = 0x6A81;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Native {
    ObjectInit,
    ObjectEquals,
    ExceptionInit,
    UserExceptionInit,
    /// `throwIt(short)` of the exception class with this framework token.
    ThrowIt(u8),
    GetReason,
    SetReason,
    AppletRegister,
    AppletRegisterAid,
    AppletSelectingApplet,
    AppletDeselect,
    AppletGetShareable,
    AppletSelect,
    AppletInstall,
    AppletReSelecting,
    AidInit,
    AidEqualsObject,
    AidRidEquals,
    AidEquals,
    AidGetBytes,
    AidPartialEquals,
    AidGetPartialBytes,
    AbortTransaction,
    BeginTransaction,
    CommitTransaction,
    GetAid,
    GetAppletShareableInterfaceObject,
    GetMaxCommitCapacity,
    GetPreviousContextAid,
    GetTransactionDepth,
    GetUnusedCommitCapacity,
    GetVersion,
    IsTransient,
    LookupAid,
    MakeTransientBooleanArray,
    MakeTransientByteArray,
    MakeTransientObjectArray,
    MakeTransientShortArray,
    GetAvailableMemory,
    IsObjectDeletionSupported,
    RequestObjectDeletion,
    GetAssignedChannel,
    IsAppletActive,
    MakeGlobalArray,
    GetAvailableMemoryArray,
    PinInit,
    PinCheck,
    PinGetTriesRemaining,
    PinGetValidatedFlag,
    PinIsValidated,
    PinReset,
    PinResetAndUnblock,
    PinSetValidatedFlag,
    PinUpdate,
    PinGetTryLimit,
    PinSetTryLimit,
    PinSetTriesRemaining,
    PinDecrementTriesRemaining,
    PinCheckPredecremented,
    ApduGetBuffer,
    ApduGetNad,
    ApduReceiveBytes,
    ApduSendBytes,
    ApduSendBytesLong,
    ApduSetIncomingAndReceive,
    ApduSetOutgoing,
    ApduSetOutgoingAndSend,
    ApduSetOutgoingLength,
    ApduSetOutgoingNoChaining,
    ApduGetCurrentState,
    ApduIsCommandChainingCla,
    ApduIsSecureMessagingCla,
    ApduIsIsoInterindustryCla,
    ApduGetIncomingLength,
    ApduGetOffsetCdata,
    ApduIsValidCla,
    ApduGetInBlockSize,
    ApduGetOutBlockSize,
    ApduGetProtocol,
    ApduWaitExtension,
    ApduGetCurrentApdu,
    ApduGetCurrentApduBuffer,
    ApduGetClaChannel,
    ArrayCompare,
    ArrayCopy,
    ArrayCopyNonAtomic,
    ArrayFillNonAtomic,
    GetShort,
    MakeShort,
    SetShort,
    ArrayFill,
    BuildOwnerPin,
    /// javacard.security
    CryptoThrowIt,
    DigestGetInstance,
    DigestDoFinal,
    DigestGetAlgorithm,
    DigestGetLength,
    DigestReset,
    DigestUpdate,
    RandomGetInstance,
    RandomGenerateData,
    RandomSetSeed,
    RandomNextBytes,
    RandomGetAlgorithm,
    /// Keys, Signature, Cipher, Checksum (`security::crypto_native`).
    Crypto(crate::security::Op),
    /// javacardx.framework.util and util.intx (`fwutil`).
    Util(crate::fwutil::Op),
    /// org.globalplatform's CVM, SecureChannel, registry entries (`gpapi`).
    Gp(crate::gpapi::Op),
    /// org.globalplatform.GPSystem.getCardState()
    GpGetCardState,
    /// GPSystem.getCardContentState(): the running applet's life cycle.
    GpGetCardContentState,
    /// GPSystem.setCardContentState(byte): an application-specific state.
    GpSetCardContentState,
    AssertIntegrity,
    IsIntegritySensitive,
    IsIntegritySensitiveArraysSupported,
    MakeIntegritySensitiveArray,
    ClearArray,
}

impl Native {
    /// Argument words, `this` included.
    pub fn nargs(self) -> u8 {
        use Native::*;
        match self {
            AbortTransaction
            | BeginTransaction
            | CommitTransaction
            | GetAid
            | GetMaxCommitCapacity
            | GetPreviousContextAid
            | GetTransactionDepth
            | GetUnusedCommitCapacity
            | GetVersion
            | IsObjectDeletionSupported
            | RequestObjectDeletion
            | GetAssignedChannel
            | ApduGetInBlockSize
            | ApduGetOutBlockSize
            | ApduGetProtocol
            | ApduWaitExtension
            | ApduGetCurrentApdu
            | ApduGetCurrentApduBuffer
            | ApduGetClaChannel
            | AppletReSelecting
            | GpGetCardState
            | GpGetCardContentState
            | IsIntegritySensitiveArraysSupported => 0,
            PinGetTryLimit | PinDecrementTriesRemaining => 1,
            PinSetTryLimit | PinSetTriesRemaining => 2,
            PinCheckPredecremented => 4,
            ObjectInit
            | UserExceptionInit
            | ThrowIt(_)
            | GetReason
            | AppletRegister
            | AppletSelectingApplet
            | AppletDeselect
            | AppletSelect
            | IsTransient
            | GetAvailableMemory
            | IsAppletActive
            | PinGetTriesRemaining
            | PinGetValidatedFlag
            | PinIsValidated
            | PinReset
            | PinResetAndUnblock
            | ApduGetBuffer
            | ApduGetNad
            | ApduSetIncomingAndReceive
            | ApduSetOutgoing
            | ApduSetOutgoingNoChaining
            | ApduGetCurrentState
            | ApduIsCommandChainingCla
            | ApduIsSecureMessagingCla
            | ApduIsIsoInterindustryCla
            | ApduGetIncomingLength
            | ApduGetOffsetCdata
            | ApduIsValidCla
            | AssertIntegrity
            | IsIntegritySensitive
            | ClearArray
            | GpSetCardContentState
            | CryptoThrowIt
            | RandomGetInstance
            | DigestGetAlgorithm
            | DigestGetLength
            | DigestReset
            | RandomGetAlgorithm => 1,
            ObjectEquals
            | ExceptionInit
            | SetReason
            | AidEqualsObject
            | AidRidEquals
            | GetAppletShareableInterfaceObject
            | MakeTransientBooleanArray
            | MakeTransientByteArray
            | MakeTransientObjectArray
            | MakeTransientShortArray
            | MakeGlobalArray
            | PinSetValidatedFlag
            | ApduReceiveBytes
            | ApduSetOutgoingLength
            | GetShort
            | MakeShort
            | DigestGetInstance => 2,
            AppletGetShareable
            | AppletInstall
            | AidGetBytes
            | LookupAid
            | GetAvailableMemoryArray
            | PinInit
            | ApduSendBytes
            | ApduSetOutgoingAndSend
            | SetShort
            | BuildOwnerPin
            | MakeIntegritySensitiveArray => 3,
            AppletRegisterAid | AidInit | AidEquals | AidPartialEquals | PinCheck | PinUpdate
            | ApduSendBytesLong | ArrayFillNonAtomic | ArrayFill | DigestUpdate
            | RandomGenerateData | RandomSetSeed | RandomNextBytes => 4,
            AidGetPartialBytes | ArrayCompare | ArrayCopy | ArrayCopyNonAtomic => 5,
            DigestDoFinal => 6,
            Crypto(op) => op.nargs(),
            Util(op) => op.nargs(),
            Gp(op) => op.nargs(),
        }
    }
}

impl<N: Nvm> Card<N> {
    /// Maps card faults raised inside the API to the exceptions the
    /// specification prescribes.
    pub fn map_fault(&mut self, e: Exc) -> Exc {
        match e {
            Exc::Fault(Fault::LogFull) => {
                self.cre(tok::TRANSACTION_EXCEPTION, reason::TXN_BUFFER_FULL)
            }
            Exc::Fault(Fault::OutOfNvm { .. }) | Exc::Fault(Fault::OutOfHandles) => {
                self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_NO_RESOURCE)
            }
            e => e,
        }
    }

    fn arg(&self, base: usize, i: usize) -> i16 {
        self.stack.get(base + i).copied().unwrap_or(0)
    }

    /// A byte array and a checked range in it.
    pub(crate) fn byte_range(&self, r: Ref, off: i16, len: i16) -> Result<Obj, Exc> {
        let o = self.access(r)?;
        if o.kind != K_BYTE && o.kind != K_BOOL {
            return Err(Exc::Fault(Fault::Corrupt("not a byte array")));
        }
        if off < 0 || len < 0 || (off as u32 + len as u32) > u32::from(o.len) {
            return Err(self.vm_exc(tok::ARRAY_INDEX_OOB));
        }
        Ok(o)
    }

    pub(crate) fn cell(&self, this: Ref, c: u32) -> i16 {
        match self.store.obj(this) {
            Some(o) => self.store.read_u16(o, 2 * c) as i16,
            None => 0,
        }
    }

    pub(crate) fn set_cell(&mut self, this: Ref, c: u32, v: i16) -> Result<(), Exc> {
        let o = *self.store.obj(this).ok_or_else(|| self.npe())?;
        if 2 * c + 2 > o.data_len() {
            return Err(Exc::Fault(Fault::Corrupt("API object too small")));
        }
        self.store
            .write(&o, 2 * c, &v.to_be_bytes(), true)
            .map_err(Exc::Fault)
    }

    /// Writes bytes into an array: atomically (with the transaction log
    /// when one is open) or not at all (non-atomic API variants).
    pub(crate) fn write_array(
        &mut self,
        o: &Obj,
        off: u32,
        bytes: &[u8],
        atomic: bool,
    ) -> Result<(), Exc> {
        if o.in_ram() || self.store.log.in_txn() || !atomic {
            if !atomic && !o.in_ram() {
                // Not subject to the transaction even if one is open.
                return self
                    .store
                    .nvm
                    .write_tearable(o.data + off, bytes)
                    .map_err(Exc::Fault);
            }
            return self.store.write(o, off, bytes, false).map_err(Exc::Fault);
        }
        if crate::txn::fits_one_record(&self.store, bytes.len()) {
            // One redo record: two NVM writes however many bytes change.
            return self
                .store
                .write_nvm(o.data + off, bytes, true)
                .map_err(Exc::Fault);
        }
        let opened = crate::txn::begin_atomic(&mut self.store)?;
        let r = self.store.write(o, off, bytes, false);
        crate::txn::end_atomic(&mut self.store, opened)?;
        r.map_err(Exc::Fault)
    }

    pub(crate) fn bool_ret(&mut self, base: usize, v: bool) -> usize {
        self.stack[base] = i16::from(v);
        1
    }

    pub(crate) fn ret1(&mut self, base: usize, v: i16) -> usize {
        self.stack[base] = v;
        1
    }

    /// The registry index of the applet running in context `ctx`: the
    /// active applet if it is of that context, else the first of it.
    pub(crate) fn applet_of_context(&self, ctx: u8) -> Option<usize> {
        if let Some(i) = self.active_applet {
            if self
                .registry
                .applets
                .get(i)
                .is_some_and(|a| Package::context(a.pkg) == ctx)
            {
                return Some(i);
            }
        }
        self.registry
            .applets
            .iter()
            .position(|a| Package::context(a.pkg) == ctx)
    }

    /// The AID object of the applet running in context `ctx`.
    fn aid_of_context(&self, ctx: u8) -> Ref {
        self.applet_of_context(ctx)
            .map_or(NULL, |i| self.registry.applets[i].aid_obj)
    }

    pub(crate) fn aid_bytes(&self, aid: Ref) -> Result<Vec<u8>, Exc> {
        let o = *self.store.obj(aid).ok_or_else(|| self.npe())?;
        let arr = self.store.read_u16(&o, 0);
        let ao = self
            .store
            .obj(arr)
            .ok_or(Exc::Fault(Fault::Corrupt("AID without bytes")))?;
        Ok(self.store.data(ao).to_vec())
    }

    /// Creates a JCRE-owned AID object (a permanent entry point).
    pub fn new_aid_object(&mut self, aid: &[u8]) -> Result<Ref, Fault> {
        let c = self.api_class(FW, tok::AID);
        let arr = self.store.alloc(K_BYTE, 0, 0, NO_CLASS, aid.len() as u16)?;
        let ao = *self.store.obj(arr).ok_or(Fault::Corrupt("new array"))?;
        self.store.write(&ao, 0, aid, false)?;
        let r = self.store.alloc(K_INSTANCE, F_ENTRY_POINT, 0, c, 1)?;
        let o = *self.store.obj(r).ok_or(Fault::Corrupt("new object"))?;
        self.store.write(&o, 0, &arr.to_be_bytes(), false)?;
        Ok(r)
    }

    pub(crate) fn transient_array(
        &mut self,
        base: usize,
        kind: u8,
        class: u16,
    ) -> Result<usize, Exc> {
        let len = self.arg(base, 0);
        let event = self.arg(base, 1);
        let flags = match event {
            1 => F_CLEAR_ON_RESET,
            2 => F_CLEAR_ON_DESELECT,
            _ => return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_VALUE)),
        };
        if len < 0 {
            return Err(self.vm_exc(tok::NEGATIVE_ARRAY_SIZE));
        }
        if self.store.free_ram() < len as u32 * elem_size(kind) {
            return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_NO_TRANSIENT_SPACE));
        }
        let r = self.new_array(kind, class, len as u16, flags)?;
        Ok(self.ret1(base, r as i16))
    }

    fn apdu_buffer_bounds(&self, off: i16, len: i16) -> Result<(), Exc> {
        if off < 0 || len < 0 || off as u32 + len as u32 > u32::from(crate::link::APDU_BUFFER_SIZE)
        {
            return Err(self.vm_exc(tok::ARRAY_INDEX_OOB));
        }
        Ok(())
    }

    fn apdu_receive(&mut self, off: usize) -> Result<u16, Exc> {
        let remaining = self.apdu.lc() - self.apdu.received;
        let room = usize::from(crate::link::APDU_BUFFER_SIZE).saturating_sub(off) as u16;
        let n = remaining.min(room);
        let start = usize::from(self.apdu.received);
        let buf = *self
            .store
            .obj(self.jcre.buffer)
            .ok_or(Exc::Fault(Fault::Corrupt("APDU buffer")))?;
        // Straight from the command's data (no copy of it on the heap).
        let chunk = &self.apdu.cmd.data[start..start + usize::from(n)];
        self.store.write(&buf, off as u32, chunk, false)?;
        self.apdu.received += n;
        self.apdu.state = if self.apdu.received == self.apdu.lc() {
            STATE_FULL_INCOMING
        } else {
            STATE_PARTIAL_INCOMING
        };
        Ok(n)
    }

    fn apdu_send(&mut self, bytes: &[u8]) -> Result<(), Exc> {
        let st = self.apdu.state;
        if st < STATE_OUTGOING_LENGTH_KNOWN || st == STATE_FULL_OUTGOING {
            return Err(self.cre(tok::APDU_EXCEPTION, reason::APDU_ILLEGAL_USE));
        }
        let sent = self.apdu.response.len() + bytes.len();
        if sent > usize::from(self.apdu.out_len) {
            return Err(self.cre(tok::APDU_EXCEPTION, reason::APDU_ILLEGAL_USE));
        }
        self.apdu.response.extend_from_slice(bytes);
        self.apdu.state = if sent == usize::from(self.apdu.out_len) {
            STATE_FULL_OUTGOING
        } else {
            STATE_PARTIAL_OUTGOING
        };
        Ok(())
    }

    fn apdu_set_outgoing(&mut self) -> Result<u16, Exc> {
        if self.apdu.state >= STATE_OUTGOING {
            return Err(self.cre(tok::APDU_EXCEPTION, reason::APDU_ILLEGAL_USE));
        }
        self.apdu.state = STATE_OUTGOING;
        Ok(self.apdu.le)
    }

    fn apdu_set_outgoing_length(&mut self, len: i16) -> Result<(), Exc> {
        if self.apdu.state != STATE_OUTGOING {
            return Err(self.cre(tok::APDU_EXCEPTION, reason::APDU_ILLEGAL_USE));
        }
        if len < 0 || len as u16 > self.apdu.max_out {
            return Err(self.cre(tok::APDU_EXCEPTION, reason::APDU_BAD_LENGTH));
        }
        self.apdu.out_len = len as u16;
        self.apdu.state = STATE_OUTGOING_LENGTH_KNOWN;
        Ok(())
    }

    fn check_apdu_this(&self, this: Ref) -> Result<(), Exc> {
        if this == NULL {
            return Err(self.npe());
        }
        Ok(())
    }

    /// The result of native `n` when it only reads the card's state, with
    /// no side effect and no exception: `selectingApplet()`, `getBuffer()`
    /// on a receiver that is not null (`this`, asked only then),
    /// `getReason()`, the PIN's `getTriesRemaining()`/`isValidated()`/
    /// `getValidatedFlag()` and `getTransactionDepth()`. Calls of these skip the generic native call (argument copy,
    /// frame bookkeeping) from the interpreter and from compiled code
    /// alike; every other native gives `None`.
    #[inline]
    pub fn quick_native(&self, n: Native, this: impl FnOnce() -> Ref) -> Option<i16> {
        match n {
            Native::AppletSelectingApplet => Some(i16::from(self.selecting)),
            Native::ApduGetBuffer => (this() != NULL).then_some(self.jcre.buffer as i16),
            // The same reads as their `native_inner` arms.
            Native::GetReason => Some(self.cell(this(), 0)),
            Native::PinGetTriesRemaining => Some(self.cell(this(), PIN_TRIES)),
            Native::PinIsValidated | Native::PinGetValidatedFlag => {
                Some(i16::from(self.pin_validated(this())))
            }
            Native::GetTransactionDepth => Some(i16::from(self.store.log.in_txn())),
            _ => None,
        }
    }

    /// Runs a native; returns the number of result words written at `base`.
    #[allow(clippy::too_many_lines)]
    pub fn native(&mut self, n: Native, base: usize) -> Result<usize, Exc> {
        let r = self.native_inner(n, base);
        r.map_err(|e| self.map_fault(e))
    }

    #[allow(clippy::too_many_lines)]
    fn native_inner(&mut self, n: Native, base: usize) -> Result<usize, Exc> {
        use Native::*;
        let a = |i: usize| self.stack.get(base + i).copied().unwrap_or(0);
        let (a0, a1, a2, a3, a4) = (a(0), a(1), a(2), a(3), a(4));
        match n {
            ObjectInit | UserExceptionInit => Ok(0),
            ObjectEquals => Ok(self.bool_ret(base, a0 == a1)),
            ExceptionInit => {
                self.set_cell(a0 as Ref, 0, a1)?;
                Ok(0)
            }
            ThrowIt(t) => Err(self.cre(t, a0 as u16)),
            GetReason => Ok(self.ret1(base, self.cell(a0 as Ref, 0))),
            SetReason => {
                self.set_cell(a0 as Ref, 0, a1)?;
                Ok(0)
            }

            // ---- Applet ----
            AppletRegister => {
                let aid = match &self.installing {
                    Some((aid, _)) => aid.clone(),
                    None => return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_AID)),
                };
                self.register_applet(a0 as Ref, &aid)?;
                Ok(0)
            }
            AppletRegisterAid => {
                let o = self.byte_range(a1 as Ref, a2, i16::from(a3 as i8))?;
                if !(5..=16).contains(&(a3 as i8)) {
                    return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_VALUE));
                }
                let aid = self.store.data(&o)[a2 as usize..(a2 + a3) as usize].to_vec();
                if self.installing.is_none() {
                    return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_AID));
                }
                self.register_applet(a0 as Ref, &aid)?;
                Ok(0)
            }
            AppletSelectingApplet => Ok(self.bool_ret(base, self.selecting)),
            AppletReSelecting => Ok(self.bool_ret(base, self.reselecting)),
            AppletDeselect => Ok(0),
            AppletSelect => Ok(self.bool_ret(base, true)),
            AppletGetShareable => Ok(self.ret1(base, 0)),
            AppletInstall => Err(self.cre(tok::ISO_EXCEPTION, reason::ISO_FUNC_NOT_SUPPORTED)),

            // ---- AID ----
            AidInit => {
                let len = a3 as i8;
                let o = self.byte_range(a1 as Ref, a2, i16::from(len))?;
                if !(5..=16).contains(&len) {
                    return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_VALUE));
                }
                let bytes = self.store.data(&o)[a2 as usize..(a2 as usize + len as usize)].to_vec();
                let arr = self.new_array(K_BYTE, NO_CLASS, len as u16, 0)?;
                let ao = *self.store.obj(arr).ok_or_else(|| self.npe())?;
                self.store.write(&ao, 0, &bytes, false)?;
                self.set_cell(a0 as Ref, 0, arr as i16)?;
                Ok(0)
            }
            AidEqualsObject => {
                let other = a1 as Ref;
                let c = self.api_class(FW, tok::AID);
                let is_aid = self
                    .store
                    .obj(other)
                    .is_some_and(|o| !o.is_array() && self.is_subclass_of(o.class, c));
                let eq = is_aid && self.aid_bytes(a0 as Ref)? == self.aid_bytes(other)?;
                Ok(self.bool_ret(base, eq))
            }
            AidRidEquals => {
                if a1 == 0 {
                    return Err(self.npe());
                }
                let x = self.aid_bytes(a0 as Ref)?;
                let y = self.aid_bytes(a1 as Ref)?;
                Ok(self.bool_ret(base, x.len() >= 5 && y.len() >= 5 && x[..5] == y[..5]))
            }
            AidEquals | AidPartialEquals => {
                let len = a3 as i8;
                if a1 == 0 {
                    return Ok(self.bool_ret(base, false));
                }
                let o = self.byte_range(a1 as Ref, a2, i16::from(len).max(0))?;
                let other =
                    self.store.data(&o)[a2 as usize..(a2 as usize + len.max(0) as usize)].to_vec();
                let mine = self.aid_bytes(a0 as Ref)?;
                let eq = if n == AidEquals {
                    mine == other
                } else {
                    other.len() <= mine.len() && mine[..other.len()] == other[..]
                };
                Ok(self.bool_ret(base, eq))
            }
            AidGetBytes => {
                let mine = self.aid_bytes(a0 as Ref)?;
                let o = self.byte_range(a1 as Ref, a2, mine.len() as i16)?;
                self.write_array(&o, a2 as u32, &mine, true)?;
                Ok(self.ret1(base, mine.len() as i16))
            }
            AidGetPartialBytes => {
                // (this, short aidOffset, byte[] dest, short oOffset, byte oLength)
                let mine = self.aid_bytes(a0 as Ref)?;
                let (aoff, dest, doff, len) = (a1, a2 as Ref, a3, a4 as i8);
                if aoff < 0 || aoff as usize > mine.len() {
                    return Err(self.vm_exc(tok::ARRAY_INDEX_OOB));
                }
                let avail = mine.len() - aoff as usize;
                let n = if len == 0 {
                    avail
                } else {
                    (len.max(0) as usize).min(avail)
                };
                let o = self.byte_range(dest, doff, n as i16)?;
                let bytes = mine[aoff as usize..aoff as usize + n].to_vec();
                self.write_array(&o, doff as u32, &bytes, true)?;
                Ok(self.ret1(base, n as i16))
            }

            // ---- JCSystem ----
            BeginTransaction => {
                if self.store.log.in_txn() {
                    return Err(self.cre(tok::TRANSACTION_EXCEPTION, reason::TXN_IN_PROGRESS));
                }
                crate::txn::begin(&mut self.store)?;
                Ok(0)
            }
            CommitTransaction => {
                if !self.store.log.in_txn() {
                    return Err(self.cre(tok::TRANSACTION_EXCEPTION, reason::TXN_NOT_IN_PROGRESS));
                }
                crate::txn::commit(&mut self.store)?;
                Ok(0)
            }
            AbortTransaction => {
                if !self.store.log.in_txn() {
                    return Err(self.cre(tok::TRANSACTION_EXCEPTION, reason::TXN_NOT_IN_PROGRESS));
                }
                crate::txn::abort(&mut self.store)?;
                Ok(0)
            }
            GetTransactionDepth => Ok(self.ret1(base, i16::from(self.store.log.in_txn()))),
            GetMaxCommitCapacity => {
                Ok(self.ret1(base, self.store.log.capacity().min(0x7FFF) as i16))
            }
            GetUnusedCommitCapacity => {
                Ok(self.ret1(base, self.store.log.unused().min(0x7FFF) as i16))
            }
            GetVersion => Ok(self.ret1(base, 0x0305)),
            GetAid => {
                let r = self.aid_of_context(self.ctx);
                Ok(self.ret1(base, r as i16))
            }
            GetPreviousContextAid => {
                let prev = self.previous_context();
                let r = if prev == 0 {
                    NULL
                } else {
                    self.aid_of_context(prev)
                };
                Ok(self.ret1(base, r as i16))
            }
            LookupAid => {
                let len = a2 as i8;
                let o = self.byte_range(a0 as Ref, a1, i16::from(len).max(0))?;
                let want =
                    self.store.data(&o)[a1 as usize..(a1 as usize + len.max(0) as usize)].to_vec();
                let r = self
                    .registry
                    .find_exact(&want)
                    .map_or(NULL, |i| self.registry.applets[i].aid_obj);
                Ok(self.ret1(base, r as i16))
            }
            IsAppletActive => {
                let want = if a0 == 0 {
                    return Err(self.npe());
                } else {
                    self.aid_bytes(a0 as Ref)?
                };
                let active = self
                    .registry
                    .find_exact(&want)
                    .is_some_and(|i| self.registry.is_active(i));
                Ok(self.bool_ret(base, active))
            }
            GetAppletShareableInterfaceObject => self.get_sio(base, a0 as Ref, a1),
            IsTransient => {
                let t = match self.store.obj(a0 as Ref) {
                    Some(o) => o.transient_kind(),
                    None => 0,
                };
                Ok(self.ret1(base, i16::from(t)))
            }
            MakeTransientBooleanArray => self.transient_array(base, K_BOOL, NO_CLASS),
            MakeTransientByteArray => self.transient_array(base, K_BYTE, NO_CLASS),
            MakeTransientShortArray => self.transient_array(base, K_SHORT, NO_CLASS),
            MakeTransientObjectArray => {
                let c = self.api_class(LANG, tok::OBJECT);
                self.transient_array(base, K_REF, c)
            }
            MakeGlobalArray => {
                // (byte type, short length): a CLEAR_ON_RESET global array
                // owned by the JCRE (a temporary entry point).
                let (kind, class) = match a0 {
                    1 => (K_BOOL, NO_CLASS),
                    2 => (K_BYTE, NO_CLASS),
                    3 => (K_SHORT, NO_CLASS),
                    4 => (K_INT, NO_CLASS),
                    5 => (K_REF, self.api_class(LANG, tok::OBJECT)),
                    _ => return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_VALUE)),
                };
                if a1 < 0 {
                    return Err(self.vm_exc(tok::NEGATIVE_ARRAY_SIZE));
                }
                if self.store.free_ram() < a1 as u32 * elem_size(kind) {
                    return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_NO_TRANSIENT_SPACE));
                }
                let r = self
                    .store
                    .alloc(
                        kind,
                        F_CLEAR_ON_RESET | F_GLOBAL | F_TEMPORARY,
                        0,
                        class,
                        a1 as u16,
                    )
                    .map_err(Exc::Fault)?;
                Ok(self.ret1(base, r as i16))
            }
            GetAvailableMemory => {
                let v = match a0 {
                    1 => self.store.free_nvm(),
                    2 | 3 => self.store.free_ram(),
                    _ => return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_VALUE)),
                };
                Ok(self.ret1(base, v.min(0x7FFF) as i16))
            }
            GetAvailableMemoryArray => {
                // (short[] buffer, short offset, byte memoryType): two shorts, high then low
                let v = match a2 {
                    1 => self.store.free_nvm(),
                    2 | 3 => self.store.free_ram(),
                    _ => return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_VALUE)),
                };
                let o = self.access(a0 as Ref)?;
                if o.kind != K_SHORT {
                    return Err(Exc::Fault(Fault::Corrupt("not a short array")));
                }
                if a1 < 0 || a1 as u32 + 2 > u32::from(o.len) {
                    return Err(self.vm_exc(tok::ARRAY_INDEX_OOB));
                }
                self.write_array(&o, 2 * a1 as u32, &v.to_be_bytes(), true)?;
                Ok(0)
            }
            IsObjectDeletionSupported => Ok(self.bool_ret(base, false)),
            RequestObjectDeletion => Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_USE)),
            GetAssignedChannel => Ok(self.ret1(base, i16::from(self.channel))),

            // ---- OwnerPIN ----
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

            // ---- APDU ----
            ApduGetBuffer => {
                self.check_apdu_this(a0 as Ref)?;
                Ok(self.ret1(base, self.jcre.buffer as i16))
            }
            ApduGetCurrentApdu => Ok(self.ret1(base, self.jcre.apdu as i16)),
            ApduGetCurrentApduBuffer => Ok(self.ret1(base, self.jcre.buffer as i16)),
            ApduGetNad => Ok(self.ret1(base, 0)),
            ApduGetInBlockSize | ApduGetOutBlockSize => Ok(self.ret1(base, 254)),
            ApduGetProtocol => Ok(self.ret1(base, 1)), // PROTOCOL_T1
            ApduWaitExtension => Ok(0),
            ApduGetClaChannel => Ok(self.ret1(base, i16::from(self.channel))),
            ApduGetCurrentState => Ok(self.ret1(base, i16::from(self.apdu.state))),
            ApduSetIncomingAndReceive => {
                if self.apdu.state != STATE_INITIAL {
                    return Err(self.cre(tok::APDU_EXCEPTION, reason::APDU_ILLEGAL_USE));
                }
                let n = self.apdu_receive(usize::from(self.apdu.cdata))?;
                Ok(self.ret1(base, n as i16))
            }
            ApduReceiveBytes => {
                let off = a1;
                if self.apdu.state != STATE_PARTIAL_INCOMING
                    && self.apdu.state != STATE_FULL_INCOMING
                {
                    return Err(self.cre(tok::APDU_EXCEPTION, reason::APDU_ILLEGAL_USE));
                }
                if off < 0 || off as u16 >= crate::link::APDU_BUFFER_SIZE {
                    return Err(self.cre(tok::APDU_EXCEPTION, reason::APDU_BUFFER_BOUNDS));
                }
                let n = self.apdu_receive(off as usize)?;
                Ok(self.ret1(base, n as i16))
            }
            ApduGetIncomingLength => Ok(self.ret1(base, self.apdu.lc() as i16)),
            ApduGetOffsetCdata => Ok(self.ret1(base, self.apdu.cdata as i16)),
            ApduSetOutgoing | ApduSetOutgoingNoChaining => {
                let le = self.apdu_set_outgoing()?;
                Ok(self.ret1(base, le as i16))
            }
            ApduSetOutgoingLength => {
                self.apdu_set_outgoing_length(a1)?;
                Ok(0)
            }
            ApduSendBytes => {
                let (off, len) = (a1, a2);
                if off < 0
                    || len < 0
                    || off as u32 + len as u32 > u32::from(crate::link::APDU_BUFFER_SIZE)
                {
                    return Err(self.cre(tok::APDU_EXCEPTION, reason::APDU_BUFFER_BOUNDS));
                }
                let buf = *self
                    .store
                    .obj(self.jcre.buffer)
                    .ok_or(Exc::Fault(Fault::Corrupt("APDU buffer")))?;
                let bytes = self.store.data(&buf)[off as usize..(off + len) as usize].to_vec();
                self.apdu_send(&bytes)?;
                Ok(0)
            }
            ApduSendBytesLong => {
                let (arr, off, len) = (a1 as Ref, a2, a3);
                let o = self.byte_range(arr, off, len)?;
                let bytes = self.store.data(&o)[off as usize..(off + len) as usize].to_vec();
                self.apdu_send(&bytes)?;
                Ok(0)
            }
            ApduSetOutgoingAndSend => {
                let (off, len) = (a1, a2);
                self.apdu_buffer_bounds(off, len)
                    .map_err(|_| self.cre(tok::APDU_EXCEPTION, reason::APDU_BUFFER_BOUNDS))?;
                self.apdu_set_outgoing()?;
                self.apdu_set_outgoing_length(len)?;
                let buf = *self
                    .store
                    .obj(self.jcre.buffer)
                    .ok_or(Exc::Fault(Fault::Corrupt("APDU buffer")))?;
                let bytes = self.store.data(&buf)[off as usize..(off + len) as usize].to_vec();
                self.apdu_send(&bytes)?;
                Ok(0)
            }
            ApduIsCommandChainingCla => Ok(self.bool_ret(base, self.apdu.cmd.cla() & 0x10 != 0)),
            ApduIsSecureMessagingCla => {
                let cla = self.apdu.cmd.cla();
                let sm = if cla & 0x40 != 0 {
                    cla & 0x20 != 0
                } else {
                    cla & 0x0C != 0
                };
                Ok(self.bool_ret(base, sm))
            }
            ApduIsIsoInterindustryCla => Ok(self.bool_ret(base, self.apdu.cmd.cla() & 0x80 == 0)),
            ApduIsValidCla => Ok(self.bool_ret(base, self.apdu.cmd.cla() != 0xFF)),

            // ---- Util ----
            ArrayCopy | ArrayCopyNonAtomic => {
                let (src, soff, dst, doff, len) = (a0 as Ref, a1, a2 as Ref, a3, a4);
                if src == NULL || dst == NULL {
                    return Err(self.npe());
                }
                let so = self.byte_range(src, soff, len)?;
                let d = self.byte_range(dst, doff, len)?;
                let bytes = self.store.data(&so)[soff as usize..(soff + len) as usize].to_vec();
                self.write_array(&d, doff as u32, &bytes, n == ArrayCopy)?;
                Ok(self.ret1(base, doff.wrapping_add(len)))
            }
            ArrayFill | ArrayFillNonAtomic => {
                let (arr, off, len, v) = (a0 as Ref, a1, a2, a3 as u8);
                if arr == NULL {
                    return Err(self.npe());
                }
                let o = self.byte_range(arr, off, len)?;
                let bytes = alloc::vec![v; len as usize];
                self.write_array(&o, off as u32, &bytes, n == ArrayFill)?;
                Ok(self.ret1(base, off.wrapping_add(len)))
            }
            ArrayCompare => {
                let (src, soff, dst, doff, len) = (a0 as Ref, a1, a2 as Ref, a3, a4);
                if src == NULL || dst == NULL {
                    return Err(self.npe());
                }
                let so = self.byte_range(src, soff, len)?;
                let d = self.byte_range(dst, doff, len)?;
                let x = &self.store.data(&so)[soff as usize..(soff + len) as usize];
                let y = &self.store.data(&d)[doff as usize..(doff + len) as usize];
                let mut r = 0i16;
                for (p, q) in x.iter().zip(y) {
                    let (p, q) = (*p as i8, *q as i8);
                    if p != q {
                        r = if p < q { -1 } else { 1 };
                        break;
                    }
                }
                Ok(self.ret1(base, r))
            }
            GetShort => {
                let o = self.byte_range(a0 as Ref, a1, 2)?;
                let d = self.store.data(&o);
                let v = i16::from_be_bytes([d[a1 as usize], d[a1 as usize + 1]]);
                Ok(self.ret1(base, v))
            }
            MakeShort => Ok(self.ret1(base, ((a0 as u16 & 0xFF) << 8 | (a1 as u16 & 0xFF)) as i16)),
            SetShort => {
                let o = self.byte_range(a0 as Ref, a1, 2)?;
                self.write_array(&o, a1 as u32, &a2.to_be_bytes(), true)?;
                Ok(self.ret1(base, a1.wrapping_add(2)))
            }

            // ---- SensitiveArrays (not supported on this card) ----
            IsIntegritySensitiveArraysSupported => Ok(self.bool_ret(base, false)),
            IsIntegritySensitive => {
                if a0 == 0 {
                    return Err(self.npe());
                }
                Ok(self.bool_ret(base, false))
            }
            // ---- javacard.security ----
            CryptoThrowIt => Err(self.crypto_exc(a0 as u16)),
            DigestGetInstance => {
                let r = self.digest_get_instance(a0 as u8, a1 != 0)?;
                Ok(self.ret1(base, r as i16))
            }
            DigestUpdate => {
                self.digest_update(a0 as Ref, a1 as Ref, a2, a3)?;
                Ok(0)
            }
            DigestDoFinal => {
                let n = self.digest_do_final(a0 as Ref, (a1 as Ref, a2, a3), (a4 as Ref, a(5)))?;
                Ok(self.ret1(base, n))
            }
            DigestGetAlgorithm | RandomGetAlgorithm => {
                self.engine(a0 as Ref)?;
                Ok(self.ret1(base, i16::from(self.engine_alg(a0 as Ref) as i8)))
            }
            DigestGetLength => {
                let n = self.digest_length(a0 as Ref)?;
                Ok(self.ret1(base, n))
            }
            DigestReset => {
                self.digest_reset(a0 as Ref)?;
                Ok(0)
            }
            RandomGetInstance => {
                let r = self.random_get_instance(a0 as u8)?;
                Ok(self.ret1(base, r as i16))
            }
            RandomGenerateData => {
                self.random_generate(a0 as Ref, a1 as Ref, a2, a3)?;
                Ok(0)
            }
            RandomNextBytes => {
                self.random_generate(a0 as Ref, a1 as Ref, a2, a3)?;
                Ok(self.ret1(base, a2.wrapping_add(a3)))
            }
            RandomSetSeed => {
                self.random_set_seed(a0 as Ref, a1 as Ref, a2, a3)?;
                Ok(0)
            }
            Crypto(op) => self.crypto_native(op, base),
            Util(op) => self.util_native(op, base),
            Gp(op) => self.gp_native(op, base),

            // ---- org.globalplatform.GPSystem ----
            GpGetCardState => Ok(self.ret1(base, i16::from(self.cardmgr.life_cycle as i8))),
            GpGetCardContentState => {
                let lc = self
                    .applet_of_context(self.ctx)
                    .map_or(0, |i| self.registry.applets[i].life_cycle);
                Ok(self.ret1(base, i16::from(lc as i8)))
            }
            GpSetCardContentState => {
                let ok = match self.applet_of_context(self.ctx) {
                    Some(i) => self.set_application_specific_state(i, a0 as u8)?,
                    None => false,
                };
                Ok(self.bool_ret(base, ok))
            }

            AssertIntegrity => {
                if a0 == 0 {
                    return Err(self.npe());
                }
                Ok(0)
            }
            MakeIntegritySensitiveArray | ClearArray => {
                Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_USE))
            }
        }
    }

    /// The context that was active before the current one was entered:
    /// the caller context recorded by the innermost frame that switched
    /// context (the JCRE, or the context a native call-back came from,
    /// when none did).
    pub fn previous_context(&self) -> u8 {
        let mut cur = self.ctx;
        for f in self.frames.iter().rev() {
            if f.ctx != cur {
                return f.ctx;
            }
            cur = f.ctx;
        }
        self.prev_ctx
    }

    fn pin_validated(&self, this: Ref) -> bool {
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

    fn get_sio(&mut self, base: usize, server: Ref, param: i16) -> Result<usize, Exc> {
        if server == NULL {
            return Ok(self.ret1(base, 0));
        }
        let want = self.aid_bytes(server)?;
        let Some(idx) = self.registry.find_exact(&want) else {
            return Ok(self.ret1(base, 0));
        };
        let entry = self.registry.applets[idx].clone();
        if entry.instance == NULL {
            return Ok(self.ret1(base, 0));
        }
        let client_aid = self.aid_of_context(self.ctx);
        let applet_class = self
            .store
            .obj(entry.instance)
            .map(|o| o.class)
            .unwrap_or(NO_CLASS);
        let m = match self
            .classes
            .get(usize::from(applet_class))
            .and_then(|c| c.vtable.get(5))
        {
            Some(&m) => m,
            None => return Ok(self.ret1(base, 0)),
        };
        let saved = (self.ctx, self.prev_ctx);
        self.prev_ctx = self.ctx;
        self.ctx = Package::context(entry.pkg);
        let r = self.invoke(
            m,
            &[
                entry.instance as i16,
                client_aid as i16,
                i16::from(param as i8),
            ],
        );
        self.ctx = saved.0;
        self.prev_ctx = saved.1;
        let r = r?;
        Ok(self.ret1(base, r.short()))
    }
}
