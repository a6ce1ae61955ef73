//! Native implementations of the `java.lang` and `javacard.framework` API.
//! Each native reads its arguments from the operand stack (`this` first)
//! and writes its result in their place.
//!
//! `native_inner` dispatches by API class to one module each: `lang`
//! (Object, the exceptions), `applet`, `aid`, `jcsystem`, `ownerpin`,
//! `apdu`, `util`, `sensitive` (SensitiveArrays), `crypto`
//! (javacard.security's digests and random data) and `gpsystem`; the other
//! crypto engines, javacardx's util and org.globalplatform have their own
//! crate modules (`security`, `fwutil`, `gpapi`).

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

mod aid;
mod apdu;
mod applet;
mod crypto;
mod gpsystem;
mod jcsystem;
mod lang;
mod ownerpin;
mod sensitive;
mod util;

/// The arm a native of one API class reached in another class's dispatch.
const NOT_THIS_CLASS: Fault = Fault::Corrupt("native dispatched to the wrong API class");

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

    fn native_inner(&mut self, n: Native, base: usize) -> Result<usize, Exc> {
        use Native::*;
        // One arm per API class; each class's natives are inlined here, so
        // this stays one dispatch.
        match n {
            ObjectInit | UserExceptionInit | ObjectEquals | ExceptionInit | ThrowIt(_)
            | GetReason | SetReason => self.native_lang(n, base),
            AppletRegister
            | AppletRegisterAid
            | AppletSelectingApplet
            | AppletReSelecting
            | AppletDeselect
            | AppletSelect
            | AppletGetShareable
            | AppletInstall => self.native_applet(n, base),
            AidInit | AidEqualsObject | AidRidEquals | AidEquals | AidPartialEquals
            | AidGetBytes | AidGetPartialBytes => self.native_aid(n, base),
            BeginTransaction
            | CommitTransaction
            | AbortTransaction
            | GetTransactionDepth
            | GetMaxCommitCapacity
            | GetUnusedCommitCapacity
            | GetVersion
            | GetAid
            | GetPreviousContextAid
            | LookupAid
            | IsAppletActive
            | GetAppletShareableInterfaceObject
            | IsTransient
            | MakeTransientBooleanArray
            | MakeTransientByteArray
            | MakeTransientShortArray
            | MakeTransientObjectArray
            | MakeGlobalArray
            | GetAvailableMemory
            | GetAvailableMemoryArray
            | IsObjectDeletionSupported
            | RequestObjectDeletion
            | GetAssignedChannel => self.native_jcsystem(n, base),
            PinInit
            | PinCheck
            | PinGetTriesRemaining
            | PinGetValidatedFlag
            | PinIsValidated
            | PinSetValidatedFlag
            | PinReset
            | PinResetAndUnblock
            | PinUpdate
            | BuildOwnerPin
            | PinGetTryLimit
            | PinSetTryLimit
            | PinSetTriesRemaining
            | PinDecrementTriesRemaining
            | PinCheckPredecremented => self.native_ownerpin(n, base),
            ApduGetBuffer
            | ApduGetCurrentApdu
            | ApduGetCurrentApduBuffer
            | ApduGetNad
            | ApduGetInBlockSize
            | ApduGetOutBlockSize
            | ApduGetProtocol
            | ApduWaitExtension
            | ApduGetClaChannel
            | ApduGetCurrentState
            | ApduSetIncomingAndReceive
            | ApduReceiveBytes
            | ApduGetIncomingLength
            | ApduGetOffsetCdata
            | ApduSetOutgoing
            | ApduSetOutgoingNoChaining
            | ApduSetOutgoingLength
            | ApduSendBytes
            | ApduSendBytesLong
            | ApduSetOutgoingAndSend
            | ApduIsCommandChainingCla
            | ApduIsSecureMessagingCla
            | ApduIsIsoInterindustryCla
            | ApduIsValidCla => self.native_apdu(n, base),
            ArrayCopy | ArrayCopyNonAtomic | ArrayFill | ArrayFillNonAtomic | ArrayCompare
            | GetShort | MakeShort | SetShort => self.native_util(n, base),
            IsIntegritySensitiveArraysSupported
            | IsIntegritySensitive
            | AssertIntegrity
            | MakeIntegritySensitiveArray
            | ClearArray => self.native_sensitive_arrays(n, base),
            CryptoThrowIt | DigestGetInstance | DigestUpdate | DigestDoFinal
            | DigestGetAlgorithm | RandomGetAlgorithm | DigestGetLength | DigestReset
            | RandomGetInstance | RandomGenerateData | RandomNextBytes | RandomSetSeed => {
                self.native_crypto(n, base)
            }
            GpGetCardState | GpGetCardContentState | GpSetCardContentState => {
                self.native_gpsystem(n, base)
            }
            Crypto(op) => self.crypto_native(op, base),
            Util(op) => self.util_native(op, base),
            Gp(op) => self.gp_native(op, base),
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
}
