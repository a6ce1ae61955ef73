//! The GlobalPlatform card manager: the Issuer Security Domain (GP Card
//! Specification 2.3.1), default-selected on the basic channel, with SCP03
//! (Amendment D) and SCP02 (Appendix E, i = 15 or 55) secure channels, GET
//! DATA and GET STATUS. A key set's type decides the protocol: AES key sets
//! answer INITIALIZE UPDATE with SCP03, 3DES key sets with SCP02.
//!
//! Its persistent state (card life cycle, SCP03 sequence counter, ISD AID,
//! SCP02 option, key sets with their SCP02 counters) is one fixed record in
//! NVM whose address is in the superblock; every change is one atomic NVM
//! update. The secure channel session lives in RAM and ends with the
//! selection, a reset or a security error.

pub mod appchannel;
pub mod content;
pub mod cvm;
pub mod dap;
pub mod keys;
pub mod lifecycle;
mod personalize;
pub mod scp02;
pub mod scp03;
pub mod status;
pub mod tlv;

use alloc::vec::Vec;

use crate::apdu::{Command, Response};
use crate::card::Card;
use crate::error::{Fault, Result};
use crate::heap::{rd_u32, Store, SB_CARDMGR};
use crate::nvm::Nvm;
use scp03::{ScpError, StaticKeys};

/// The ISD's AID unless personalised otherwise (GP's default).
pub const DEFAULT_ISD_AID: [u8; 8] = [0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00];
/// Issuer identification number (GET DATA 42): the RID under which the
/// project's own AIDs are allocated.
pub const ISSUER_ID: [u8; 5] = [0xF0, 0x48, 0x59, 0x44, 0x52];
/// Key version number of the default key set (SCP03 key sets use 30-3F).
pub const DEFAULT_KVN: u8 = 0x30;

/// GlobalPlatform card life cycle states.
pub const CARD_OP_READY: u8 = 0x01;
pub const CARD_INITIALIZED: u8 = 0x07;
pub const CARD_SECURED: u8 = 0x0F;
pub const CARD_LOCKED: u8 = 0x7F;
pub const CARD_TERMINATED: u8 = 0xFF;

/// Status words of the card manager.
pub const SW_OK: u16 = 0x9000;
pub const SW_MORE: u16 = 0x6310;
pub const SW_AUTH_FAILED: u16 = 0x6300;
pub const SW_WRONG_LENGTH: u16 = 0x6700;
pub const SW_SECURITY: u16 = 0x6982;
pub const SW_CONDITIONS: u16 = 0x6985;
pub const SW_WRONG_DATA: u16 = 0x6A80;
pub const SW_INCORRECT_P1P2: u16 = 0x6A86;
pub const SW_NOT_FOUND: u16 = 0x6A88;
pub const SW_INS: u16 = 0x6D00;
pub const SW_CLA: u16 = 0x6E00;

/// The record's size and layout (offsets), version 3.
pub const RECORD_SIZE: u32 = 512;
const R_VERSION: u32 = 0;
pub(crate) const R_LIFE_CYCLE: u32 = 1;
const R_COUNTER: u32 = 2;
const R_AID: u32 = 5; // length byte, then 16 bytes
pub(crate) const R_KEYSETS: u32 = 22; // count byte, then KEYSET_SIZE each
/// A key set: kvn, key type, key length, SCP02 sequence counter (2), ENC,
/// MAC, DEK (32 each), CRC-32 of all but the counter (written with the
/// set, so PUT KEY gains no write; the counter changes per session).
pub(crate) const KEYSET_SIZE: u32 = 105;
const K_CRC: usize = 101;
const K_TYPE: usize = 1;
const K_LEN: usize = 2;
pub(crate) const K_COUNTER: u32 = 3;
const K_KEYS: usize = 5;
pub(crate) const MAX_KEYSETS: usize = 4;
/// The SCP02 option `i` the card answers with (15 or 55).
const R_SCP02_I: u32 = R_KEYSETS + 1 + MAX_KEYSETS as u32 * KEYSET_SIZE;
/// Versions 1 and 2 (without checksums) are in images of NVM layout 3 or
/// older only, which the superblock check refuses before.
const RECORD_VERSION: u8 = 3;
/// CRC-32 of what a record keeps from its publication on: the version,
/// the ISD AID, and the reserved bytes after the CVM's part. The life
/// cycle, counters, key set count, SCP02 option and CVM change in place
/// and are range-checked instead.
const R_CRC: u32 = RECORD_SIZE - 4;
const _: () = assert!(R_SCP02_I < cvm::R_CVM && cvm::R_CVM + cvm::CVM_SIZE <= R_DAP);
/// The DAP key's extent (0: none) and the flags byte (bit 0: Mandated
/// DAP), in the reserved bytes after the CVM (zero in records before).
const R_DAP: u32 = cvm::R_CVM + cvm::CVM_SIZE;
const R_DAP_FLAGS: u32 = R_DAP + 4;
const _: () = assert!(R_DAP_FLAGS < R_CRC);

fn record_crc(r: &[u8]) -> u32 {
    let p = |a: u32, b: u32| r.get(a as usize..b as usize).unwrap_or(&[]);
    crate::heap::crc32(&[
        p(R_VERSION, R_VERSION + 1),
        p(R_AID, R_KEYSETS),
        p(cvm::R_CVM + cvm::CVM_SIZE, R_CRC),
    ])
}

/// A key set slot's checksum: every byte but the SCP02 counter's.
fn keyset_crc(r: &[u8]) -> u32 {
    let c = K_COUNTER as usize;
    crate::heap::crc32(&[
        r.get(..c).unwrap_or(&[]),
        r.get(c + 2..K_CRC).unwrap_or(&[]),
    ])
}

/// The SCP02 option of a card that was not told otherwise: i = 55, what
/// GP clients (gp) assume.
pub const DEFAULT_SCP02_I: u8 = scp02::I_55;

/// The SCP02 implementation options the card can announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scp02Option {
    /// i = 15: the card challenge is the card's own.
    I15,
    /// i = 55: the well-known pseudo-random card challenge.
    I55,
}

impl Scp02Option {
    pub fn i(self) -> u8 {
        match self {
            Scp02Option::I15 => scp02::I_15,
            Scp02Option::I55 => scp02::I_55,
        }
    }
}

/// The type of a key set's keys (GP 2.3.1 Table 11-16), which is also its
/// secure channel protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// AES-128/192/256: SCP03.
    Aes,
    /// Two-key 3DES: SCP02.
    Des,
}

impl KeyType {
    /// The key type byte of PUT KEY and the key information template.
    pub fn code(self) -> u8 {
        match self {
            KeyType::Aes => 0x88,
            KeyType::Des => 0x80,
        }
    }

    pub fn from_code(b: u8) -> Option<KeyType> {
        match b {
            0x88 => Some(KeyType::Aes),
            0x80 => Some(KeyType::Des),
            _ => None,
        }
    }

    /// Whether `len` is a key length of this type.
    pub fn valid_len(self, len: usize) -> bool {
        match self {
            KeyType::Aes => matches!(len, 16 | 24 | 32),
            KeyType::Des => len == scp02::KEY_LEN,
        }
    }
}

/// One key version: three keys of one type, and the SCP02 sequence
/// counter of a 3DES set (the next session's; it starts at 0 with the set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySet {
    pub kvn: u8,
    pub key_type: KeyType,
    pub keys: StaticKeys,
    pub scp02_counter: u16,
}

/// The session of a secure channel, of either protocol; card side (the
/// card manager) and host side (the script runner, tests).
#[derive(Debug, Clone)]
pub enum SecureSession {
    Scp03(scp03::Session),
    Scp02(scp02::Session),
}

impl SecureSession {
    /// The security level once EXTERNAL AUTHENTICATE succeeded.
    pub fn level(&self) -> Option<u8> {
        match self {
            SecureSession::Scp03(s) => s.level,
            SecureSession::Scp02(s) => s.level,
        }
    }

    /// Checks EXTERNAL AUTHENTICATE and opens the channel at its level.
    pub fn authenticate(&mut self, cmd: &Command) -> core::result::Result<(), ScpError> {
        match self {
            SecureSession::Scp03(s) => s.authenticate(cmd),
            SecureSession::Scp02(s) => s.authenticate(cmd),
        }
    }

    /// Checks and strips a command's secure messaging.
    pub fn unwrap(&mut self, cmd: &Command) -> core::result::Result<Command, ScpError> {
        match self {
            SecureSession::Scp03(s) => s.unwrap(cmd),
            SecureSession::Scp02(s) => s.unwrap(cmd),
        }
    }

    /// Decrypts PUT KEY key data: AES-CBC under the static DEK (SCP03),
    /// 3DES-ECB under the DEK session key (SCP02).
    pub fn decrypt_key(
        &self,
        static_dek: &[u8],
        data: &mut [u8],
    ) -> core::result::Result<(), ScpError> {
        match self {
            SecureSession::Scp03(_) => scp03::Session::decrypt_key(static_dek, data),
            SecureSession::Scp02(s) => s.decrypt_key(data),
        }
    }

    /// Encrypts data as [`SecureSession::decrypt_key`] decrypts it.
    pub fn encrypt_key(
        &self,
        static_dek: &[u8],
        data: &mut [u8],
    ) -> core::result::Result<(), ScpError> {
        match self {
            SecureSession::Scp03(_) => scp03::Session::encrypt_key(static_dek, data),
            SecureSession::Scp02(s) => {
                let out = s.host_encrypt_key(data)?;
                data.copy_from_slice(&out);
                Ok(())
            }
        }
    }

    /// The host's side: EXTERNAL AUTHENTICATE at `level`.
    pub fn host_authenticate(&mut self, level: u8) -> core::result::Result<Command, ScpError> {
        match self {
            SecureSession::Scp03(s) => s.host_authenticate(level),
            SecureSession::Scp02(s) => s.host_authenticate(level),
        }
    }

    /// The host's side: a command protected at the channel's level.
    pub fn host_wrap(&mut self, cmd: &Command) -> core::result::Result<Command, ScpError> {
        match self {
            SecureSession::Scp03(s) => s.host_wrap(cmd),
            SecureSession::Scp02(s) => s.host_wrap(cmd),
        }
    }

    /// The host's side: a response's plain data (SCP02 with i = 15 or 55
    /// protects no responses).
    pub fn host_unwrap(&mut self, data: &[u8], sw: u16) -> core::result::Result<Vec<u8>, ScpError> {
        match self {
            SecureSession::Scp03(s) => s.host_unwrap(data, sw),
            SecureSession::Scp02(_) => Ok(data.to_vec()),
        }
    }
}

/// An open or opening secure channel.
#[derive(Debug, Clone)]
struct Channel {
    /// The logical channel it was opened on.
    channel: u8,
    /// The key set it was opened with (PUT KEY decrypts under its DEK).
    kvn: u8,
    session: SecureSession,
}

/// The card manager's state.
#[derive(Debug, Clone)]
pub struct CardManager {
    /// NVM address of the persistent record.
    record: u32,
    pub isd_aid: Vec<u8>,
    pub life_cycle: u8,
    /// SCP03 sequence counter (24 bits).
    pub counter: u32,
    /// The SCP02 option `i` of INITIALIZE UPDATE with a 3DES key set.
    pub scp02_i: u8,
    pub key_sets: Vec<KeySet>,
    secure: Option<Channel>,
    /// GET STATUS entries not yet sent (paging with P2 = 03).
    pending_status: Option<status::Pending>,
    /// The load between INSTALL [for load] and the last LOAD block.
    loading: Option<content::Loading>,
    /// The NVM extent of a load the session's end dropped, for the card to
    /// give back ([`Card::reclaim_dropped_load`]).
    dropped_load: Option<(u32, u32)>,
    /// AID of the application STORE DATA goes to (INSTALL [for
    /// personalization]), for the secure channel that named it.
    personalizing: Option<Vec<u8>>,
    /// The global PIN's session state (RAM; a reset clears it).
    cvm_session: cvm::Submission,
    /// The DAP verification key, if the ISD has one.
    pub dap: Option<dap::DapKey>,
    /// NVM address of the DAP key's extent (0: none).
    dap_at: u32,
}

/// One key set as the record stores it.
pub(crate) fn encode_keyset(ks: &KeySet) -> [u8; KEYSET_SIZE as usize] {
    let mut r = [0u8; KEYSET_SIZE as usize];
    r[0] = ks.kvn;
    r[K_TYPE] = ks.key_type.code();
    r[K_LEN] = ks.keys.enc.len() as u8;
    let c = K_COUNTER as usize;
    r[c..c + 2].copy_from_slice(&ks.scp02_counter.to_be_bytes());
    for (j, key) in [&ks.keys.enc, &ks.keys.mac, &ks.keys.dek]
        .iter()
        .enumerate()
    {
        let o = K_KEYS + 32 * j;
        r[o..o + key.len()].copy_from_slice(key);
    }
    let crc = keyset_crc(&r);
    r[K_CRC..].copy_from_slice(&crc.to_be_bytes());
    r
}

/// A key set slot; `Err` names what is wrong.
fn decode_keyset(r: &[u8]) -> core::result::Result<KeySet, &'static str> {
    let bad = "card manager key set";
    let crc = r.get(K_CRC..K_CRC + 4).ok_or(bad)?;
    if crc != keyset_crc(r).to_be_bytes() {
        return Err("card manager key set");
    }
    let c = K_COUNTER as usize;
    let counter = u16::from_be_bytes([r[c], r[c + 1]]);
    let key_type = KeyType::from_code(r[K_TYPE]).ok_or(bad)?;
    let len = usize::from(r[K_LEN]);
    if !key_type.valid_len(len) {
        return Err(bad);
    }
    let key = |j: usize| r[K_KEYS + 32 * j..K_KEYS + 32 * j + len].to_vec();
    Ok(KeySet {
        kvn: r[0],
        key_type,
        keys: StaticKeys {
            enc: key(0),
            mac: key(1),
            dek: key(2),
        },
        scp02_counter: counter,
    })
}

fn encode_record(cm: &CardManager) -> Vec<u8> {
    let mut r = alloc::vec![0u8; RECORD_SIZE as usize];
    r[R_VERSION as usize] = RECORD_VERSION;
    r[R_LIFE_CYCLE as usize] = cm.life_cycle;
    r[R_COUNTER as usize..R_COUNTER as usize + 3].copy_from_slice(&cm.counter.to_be_bytes()[1..]);
    let a = R_AID as usize;
    r[a] = cm.isd_aid.len() as u8;
    r[a + 1..a + 1 + cm.isd_aid.len()].copy_from_slice(&cm.isd_aid);
    let k = R_KEYSETS as usize;
    r[k] = cm.key_sets.len() as u8;
    for (i, ks) in cm.key_sets.iter().enumerate() {
        let at = k + 1 + i * KEYSET_SIZE as usize;
        r[at..at + KEYSET_SIZE as usize].copy_from_slice(&encode_keyset(ks));
    }
    r[R_SCP02_I as usize] = cm.scp02_i;
    let d = R_DAP as usize;
    r[d..d + 4].copy_from_slice(&cm.dap_at.to_be_bytes());
    r[R_DAP_FLAGS as usize] = u8::from(cm.dap.as_ref().is_some_and(|k| k.mandated));
    let crc = record_crc(&r);
    r[R_CRC as usize..].copy_from_slice(&crc.to_be_bytes());
    r
}

/// The card manager of the record at `record`.
fn decode_record(record: u32, b: &[u8]) -> Result<CardManager> {
    let bad = Fault::Corrupt("card manager record");
    let r = b
        .get(record as usize..(record as usize).saturating_add(RECORD_SIZE as usize))
        .ok_or(bad.clone())?;
    if r[R_VERSION as usize] != RECORD_VERSION {
        return Err(Fault::Checksum("card manager record"));
    }
    if r[R_CRC as usize..] != record_crc(r).to_be_bytes() {
        return Err(Fault::Checksum("card manager record"));
    }
    let a = R_AID as usize;
    let aid_len = usize::from(r[a]);
    if !(5..=16).contains(&aid_len) {
        return Err(bad);
    }
    let life_cycle = r[R_LIFE_CYCLE as usize];
    let states = [
        CARD_OP_READY,
        CARD_INITIALIZED,
        CARD_SECURED,
        CARD_LOCKED,
        CARD_TERMINATED,
    ];
    if !states.contains(&life_cycle) {
        return Err(Fault::Corrupt("card manager life cycle"));
    }
    let k = R_KEYSETS as usize;
    let n = usize::from(r[k]);
    if n > MAX_KEYSETS {
        return Err(Fault::Corrupt("card manager key set count"));
    }
    let mut key_sets = Vec::with_capacity(n);
    for i in 0..n {
        let at = k + 1 + i * KEYSET_SIZE as usize;
        let slot = r.get(at..at + KEYSET_SIZE as usize).ok_or(bad.clone())?;
        key_sets.push(decode_keyset(slot).map_err(Fault::Checksum)?);
    }
    let scp02_i = match r[R_SCP02_I as usize] {
        i @ (scp02::I_15 | scp02::I_55) => i,
        _ => return Err(Fault::Corrupt("card manager SCP02 option")),
    };
    let cvm = cvm::R_CVM as usize;
    if !cvm::consistent(&r[cvm..cvm + cvm::CVM_SIZE as usize]) {
        return Err(Fault::Corrupt("card manager CVM"));
    }
    let (dap_at, dap) = match dap_extent(r) {
        0 => (0, None),
        at => (
            at,
            Some(dap::decode(b, at, r[R_DAP_FLAGS as usize] & 1 != 0)?),
        ),
    };
    let c = R_COUNTER as usize;
    Ok(CardManager {
        dap,
        dap_at,
        record,
        isd_aid: r[a + 1..a + 1 + aid_len].to_vec(),
        life_cycle,
        counter: u32::from_be_bytes([0, r[c], r[c + 1], r[c + 2]]),
        scp02_i,
        key_sets,
        secure: None,
        pending_status: None,
        loading: None,
        dropped_load: None,
        personalizing: None,
        cvm_session: cvm::Submission::None,
    })
}

/// The DAP key extent a record names (0: none).
fn dap_extent(record: &[u8]) -> u32 {
    let d = R_DAP as usize;
    record
        .get(d..d + 4)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The NVM extents the published record at `record` holds besides itself.
pub(crate) fn record_extents(b: &[u8], record: u32) -> Option<(u32, u32)> {
    let r = b.get(record as usize..(record as usize).checked_add(RECORD_SIZE as usize)?)?;
    match dap_extent(r) {
        0 => None,
        at => Some((at, dap::DAP_SIZE)),
    }
}

/// Writes `cm`'s record whole into fresh space and publishes it by one
/// pointer write: a cut leaves the record that was there before (none at
/// the first boot, which personalises again).
fn publish<N: Nvm>(s: &mut Store<N>, mut cm: CardManager) -> Result<CardManager> {
    let record = s.nvm_alloc(RECORD_SIZE)?;
    s.nvm.write(record, &encode_record(&cm))?;
    s.write_nvm(SB_CARDMGR, &record.to_be_bytes(), true)?;
    cm.record = record;
    Ok(cm)
}

impl CardManager {
    /// The card manager of a store: its record, written with the factory
    /// defaults (GP test keys 40..4F as AES key set 30, the default ISD AID,
    /// SECURED, SCP02 i = 55) the first time.
    pub fn open<N: Nvm>(s: &mut Store<N>) -> Result<CardManager> {
        let at = rd_u32(s.nvm.bytes(), SB_CARDMGR)?;
        if at != 0 {
            return decode_record(at, s.nvm.bytes());
        }
        let test_key: Vec<u8> = (0x40..0x50).collect();
        let cm = CardManager {
            record: 0,
            isd_aid: DEFAULT_ISD_AID.to_vec(),
            life_cycle: CARD_SECURED,
            counter: 0,
            scp02_i: DEFAULT_SCP02_I,
            key_sets: alloc::vec![KeySet {
                kvn: DEFAULT_KVN,
                key_type: KeyType::Aes,
                keys: StaticKeys {
                    enc: test_key.clone(),
                    mac: test_key.clone(),
                    dek: test_key,
                },
                scp02_counter: 0,
            }],
            secure: None,
            pending_status: None,
            loading: None,
            dropped_load: None,
            personalizing: None,
            cvm_session: cvm::Submission::None,
            dap: None,
            dap_at: 0,
        };
        publish(s, cm)
    }

    /// Sets the SCP02 option of later channels, in one atomic write; the
    /// ISD's configuration, not a GP command.
    pub fn set_scp02_option<N: Nvm>(
        &mut self,
        s: &mut Store<N>,
        option: Scp02Option,
    ) -> Result<()> {
        let i = option.i();
        s.write_nvm(self.record + R_SCP02_I, &[i], true)?;
        self.scp02_i = i;
        Ok(())
    }

    /// The secure channel protocols the key sets offer, as (SCP, i):
    /// SCP03 i = 70 for AES key sets, SCP02 for 3DES ones.
    pub fn protocols(&self) -> Vec<(u8, u8)> {
        let mut v = Vec::new();
        if self.key_sets.iter().any(|k| k.key_type == KeyType::Aes) {
            v.push((0x03, scp03::I_PARAM));
        }
        if self.key_sets.iter().any(|k| k.key_type == KeyType::Des) {
            v.push((0x02, self.scp02_i));
        }
        v
    }

    /// Ends the secure channel (selection, reset, security error).
    pub fn close_session(&mut self) {
        self.secure = None;
        self.pending_status = None;
        self.drop_loading();
        self.personalizing = None;
    }

    /// Ends a load in progress; its NVM goes back at the end of the
    /// command ([`Card::reclaim_dropped_load`]).
    pub fn drop_loading(&mut self) {
        if let Some(l) = self.loading.take() {
            self.dropped_load = l.extent().or(self.dropped_load);
        }
    }

    /// Ends the secure channel of logical channel `ch`, if it has one.
    pub fn close_session_on(&mut self, ch: u8) {
        if self.secure.as_ref().is_some_and(|s| s.channel == ch) {
            self.close_session();
        }
    }

    /// The security level of the channel open on logical channel `ch`.
    pub fn level(&self, ch: u8) -> Option<u8> {
        self.secure
            .as_ref()
            .filter(|s| s.channel == ch)
            .and_then(|s| s.session.level())
    }

    /// The key set `kvn` names (00: the first), and its slot.
    fn key_set(&self, kvn: u8) -> Option<(usize, &KeySet)> {
        if kvn == 0 {
            self.key_sets.first().map(|k| (0, k))
        } else {
            self.key_sets.iter().enumerate().find(|(_, k)| k.kvn == kvn)
        }
    }

    /// Key diversification data (INITIALIZE UPDATE, tag CF): ten bytes
    /// naming this card.
    pub fn kdd(&self) -> [u8; 10] {
        *b"\x00\x00HYDRA\x00\x00\x01"
    }
}

impl<N: Nvm> Card<N> {
    /// The ISD's answer to its SELECT: the FCI (GP 2.3.1 §11.9.3.1).
    pub(crate) fn isd_fci(&self) -> Response {
        let aid = &self.cardmgr.isd_aid;
        let mut a5 = Vec::new();
        tlv::put(
            &mut a5,
            0x73,
            &status::card_recognition_data(&self.cardmgr.protocols()),
        );
        tlv::put(&mut a5, 0x9F65, &[0xFF]);
        let mut fci = Vec::new();
        tlv::put(&mut fci, 0x84, aid);
        tlv::put(&mut fci, 0xA5, &a5);
        let mut out = Vec::new();
        tlv::put(&mut out, 0x6F, &fci);
        Response {
            data: out,
            sw: SW_OK,
        }
    }

    /// A command for the ISD on logical channel `ch`.
    pub(crate) fn isd_process(&mut self, ch: u8, cmd: Command) -> Response {
        let cla = cmd.cla();
        if cla & 0x80 == 0 && !matches!(cmd.ins(), 0xCA | 0xCB) {
            return Response::sw(SW_CLA);
        }
        // INITIALIZE UPDATE starts over, whatever channel was open.
        if cmd.ins() == 0x50 && cla & 0x04 == 0 {
            return self.initialize_update(ch, &cmd);
        }
        if cmd.ins() == 0x82 {
            return self.external_authenticate(ch, &cmd);
        }
        let level = self.cardmgr.level(ch);
        let cmd = match (level, &mut self.cardmgr.secure) {
            (Some(l), Some(sc)) if l & scp03::C_MAC != 0 => match sc.session.unwrap(&cmd) {
                Ok(c) => c,
                Err(_) => {
                    self.cardmgr.close_session();
                    return Response::sw(SW_SECURITY);
                }
            },
            _ if cla & 0x04 != 0 => {
                // Secure messaging without a channel.
                self.cardmgr.close_session();
                return Response::sw(SW_SECURITY);
            }
            _ => cmd,
        };
        // A terminated card answers GET DATA only.
        if self.cardmgr.life_cycle == CARD_TERMINATED && !matches!(cmd.ins(), 0xCA | 0xCB) {
            return self.wrap_response(ch, Response::sw(SW_CONDITIONS));
        }
        let r = match cmd.ins() {
            0xCA | 0xCB => self.get_data(&cmd),
            0xF0 if level.is_some() => self.set_status(&cmd),
            0xD8 if level.is_some() => self.put_key(ch, &cmd),
            0xF2 if level.is_some() => self.get_status(&cmd),
            0xE6 if level.is_some() => self.install_cmd(&cmd),
            0xE8 if level.is_some() => self.load_cmd(&cmd),
            0xE4 if level.is_some() => self.delete_cmd(&cmd),
            0xE2 if level.is_some() => self.store_data(&cmd),
            // Content and key management need an authenticated channel.
            0xF2 | 0xE6 | 0xE8 | 0xE4 | 0xD8 | 0xF0 | 0xE2 if level.is_none() => {
                Response::sw(SW_SECURITY)
            }
            _ => Response::sw(SW_INS),
        };
        self.wrap_response(ch, r)
    }

    /// Applies R-MAC / R-ENCRYPTION when the open channel asks for them.
    fn wrap_response(&mut self, ch: u8, r: Response) -> Response {
        let Some(sc) = self.cardmgr.secure.as_mut().filter(|s| s.channel == ch) else {
            return r;
        };
        // SCP02 with i = 15 or 55 has no R-MAC.
        let SecureSession::Scp03(session) = &mut sc.session else {
            return r;
        };
        if session.level.unwrap_or(0) & scp03::R_MAC == 0 {
            return r;
        }
        match session.wrap(&r.data, r.sw) {
            Ok(mut bytes) => {
                bytes.truncate(bytes.len() - 2);
                Response {
                    data: bytes,
                    sw: r.sw,
                }
            }
            Err(_) => {
                self.cardmgr.close_session();
                Response::sw(SW_SECURITY)
            }
        }
    }

    /// INITIALIZE UPDATE (`80 50 kvn 00 08 host-challenge`): derives the
    /// session of the key set's protocol and answers KDD, key information,
    /// card challenge and card cryptogram (SCP03: then the sequence
    /// counter; SCP02: the counter before the challenge).
    pub(crate) fn initialize_update(&mut self, ch: u8, cmd: &Command) -> Response {
        self.cardmgr.close_session();
        if cmd.data.len() != 8 {
            return Response::sw(SW_WRONG_LENGTH);
        }
        if cmd.p2() != 0 {
            return Response::sw(SW_INCORRECT_P1P2);
        }
        let Some((_, ks)) = self.cardmgr.key_set(cmd.p1()) else {
            return Response::sw(SW_NOT_FOUND);
        };
        let ks = ks.clone();
        let mut host = [0u8; 8];
        host.copy_from_slice(&cmd.data);
        let made = match ks.key_type {
            KeyType::Aes => self.initialize_scp03(&ks, &host),
            KeyType::Des => self.initialize_scp02(&ks, &host),
        };
        let (body, session) = match made {
            Ok(m) => m,
            Err(sw) => return Response::sw(sw),
        };
        let mut data = self.cardmgr.kdd().to_vec();
        data.push(ks.kvn);
        data.extend_from_slice(&body);
        self.cardmgr.secure = Some(Channel {
            channel: ch,
            kvn: ks.kvn,
            session,
        });
        Response { data, sw: SW_OK }
    }

    /// SCP03: `03 i card-challenge card-cryptogram counter`. The counter
    /// moves before it is used: a challenge is never reused, even across a
    /// power cut.
    fn initialize_scp03(
        &mut self,
        ks: &KeySet,
        host: &[u8; 8],
    ) -> core::result::Result<(Vec<u8>, SecureSession), u16> {
        let counter = (self.cardmgr.counter + 1) & 0xFF_FFFF;
        let bytes = counter.to_be_bytes();
        let at = self.cardmgr.record + R_COUNTER;
        if self.store.write_nvm(at, &bytes[1..], true).is_err() {
            return Err(crate::jcre::SW_UNKNOWN);
        }
        self.cardmgr.counter = counter;
        let seq = [bytes[1], bytes[2], bytes[3]];
        let made = scp03::card_challenge(&ks.keys, seq, &self.cardmgr.isd_aid).and_then(|card| {
            let s = scp03::Session::new(&ks.keys, host, &card)?;
            let crypto = s.card_cryptogram()?;
            Ok((card, s, crypto))
        });
        let (card, session, cryptogram) = made.map_err(|_| crate::jcre::SW_UNKNOWN)?;
        let mut data = alloc::vec![0x03, scp03::I_PARAM];
        data.extend_from_slice(&card);
        data.extend_from_slice(&cryptogram);
        data.extend_from_slice(&seq);
        Ok((data, SecureSession::Scp03(session)))
    }

    /// SCP02: `02 counter(2) card-challenge(6) card-cryptogram(8)`. The
    /// session keys are made of the counter alone, so it must never repeat
    /// for a key set: it moves when the channel opens (EXTERNAL
    /// AUTHENTICATE writes it before its 9000, as GP defines), which also
    /// keeps failed attempts from using it up; at FFFF the key set opens no
    /// more channels (6985) until it is replaced.
    fn initialize_scp02(
        &mut self,
        ks: &KeySet,
        host: &[u8; 8],
    ) -> core::result::Result<(Vec<u8>, SecureSession), u16> {
        if ks.scp02_counter == u16::MAX {
            return Err(SW_CONDITIONS);
        }
        let seq = ks.scp02_counter.to_be_bytes();
        let i = self.cardmgr.scp02_i;
        let made = scp02::card_challenge(&ks.keys, seq, &self.cardmgr.isd_aid).and_then(|card| {
            let s = scp02::Session::new(&ks.keys, i, seq, host, &card)?;
            let crypto = s.card_cryptogram()?;
            Ok((card, s, crypto))
        });
        let (card, session, cryptogram) = made.map_err(|_| crate::jcre::SW_UNKNOWN)?;
        let mut data = alloc::vec![0x02];
        data.extend_from_slice(&seq);
        data.extend_from_slice(&card);
        data.extend_from_slice(&cryptogram);
        Ok((data, SecureSession::Scp02(session)))
    }

    /// EXTERNAL AUTHENTICATE (`84 82 level 00 10 host-cryptogram C-MAC`).
    pub(crate) fn external_authenticate(&mut self, ch: u8, cmd: &Command) -> Response {
        let (ok, kvn) = match self.cardmgr.secure.as_mut() {
            Some(sc) if sc.channel == ch && sc.session.level().is_none() => {
                (sc.session.authenticate(cmd).is_ok(), sc.kvn)
            }
            _ => {
                self.cardmgr.close_session();
                return Response::sw(SW_CONDITIONS);
            }
        };
        if !ok {
            self.cardmgr.close_session();
            return Response::sw(SW_AUTH_FAILED);
        }
        let seq = match self.cardmgr.secure.as_ref().map(|sc| &sc.session) {
            Some(SecureSession::Scp02(s)) => Some(s.seq()),
            _ => None,
        };
        if let Some(seq) = seq {
            if self.use_scp02_counter(kvn, seq).is_err() {
                self.cardmgr.close_session();
                return Response::sw(crate::jcre::SW_UNKNOWN);
            }
        }
        Response::sw(SW_OK)
    }

    /// Moves key set `kvn`'s SCP02 counter past `seq` (one atomic write).
    fn use_scp02_counter(&mut self, kvn: u8, seq: u16) -> Result<()> {
        let Some((slot, _)) = self.cardmgr.key_set(kvn) else {
            return Err(Fault::Corrupt("key set of the channel"));
        };
        let next = seq.checked_add(1).ok_or(Fault::Corrupt("SCP02 counter"))?;
        let at = self.cardmgr.record + R_KEYSETS + 1 + slot as u32 * KEYSET_SIZE + K_COUNTER;
        self.store.write_nvm(at, &next.to_be_bytes(), true)?;
        self.cardmgr.key_sets[slot].scp02_counter = next;
        Ok(())
    }

    /// GET DATA (GP 2.3.1 §11.3): P1 P2 is the tag.
    fn get_data(&self, cmd: &Command) -> Response {
        let tag = u16::from_be_bytes([cmd.p1(), cmd.p2()]);
        let value: Vec<u8> = match tag {
            0x0042 => ISSUER_ID.to_vec(),
            0x0045 => self.cardmgr.kdd()[2..].to_vec(),
            0x0066 => {
                let mut v = Vec::new();
                tlv::put(
                    &mut v,
                    0x73,
                    &status::card_recognition_data(&self.cardmgr.protocols()),
                );
                v
            }
            // The sequence counter of the default key set.
            0x00C1 => match self.cardmgr.key_sets.first() {
                Some(k) if k.key_type == KeyType::Des => k.scp02_counter.to_be_bytes().to_vec(),
                _ => self.cardmgr.counter.to_be_bytes()[1..].to_vec(),
            },
            0x00CF => self.cardmgr.kdd().to_vec(),
            0x00E0 => {
                let mut v = Vec::new();
                for ks in &self.cardmgr.key_sets {
                    for id in 1..=3u8 {
                        let (ty, len) = (ks.key_type.code(), ks.keys.enc.len() as u8);
                        tlv::put(&mut v, 0xC0, &[id, ks.kvn, ty, len]);
                    }
                }
                v
            }
            0x9F7F => status::cplc().to_vec(),
            // Extended Card Resources Information (ETSI TS 102 226 §8.2.1.7.2):
            // installed applications, free NVM, free RAM for transient data.
            0xFF21 => {
                let apps = self.registry.applets.len().min(0xFFFF) as u16;
                let mut v = Vec::new();
                tlv::put(&mut v, 0x81, &apps.to_be_bytes());
                tlv::put(&mut v, 0x82, &self.store.free_nvm().to_be_bytes());
                tlv::put(&mut v, 0x83, &self.store.free_ram().to_be_bytes());
                v
            }
            _ => return Response::sw(SW_NOT_FOUND),
        };
        let mut out = Vec::new();
        tlv::put(&mut out, tag, &value);
        Response {
            data: out,
            sw: SW_OK,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::Config;
    use crate::nvm::RamNvm;

    const SIZE: usize = 256 * 1024;

    /// The writes `f` makes on a store formatted over `nvm`.
    fn writes_of(nvm: RamNvm, f: impl FnOnce(&mut Store<RamNvm>)) -> u64 {
        let mut s = Store::open(nvm, false, 4096).unwrap();
        let before = s.nvm.writes;
        f(&mut s);
        s.nvm.writes - before
    }

    #[test]
    fn personalisation_cut_at_every_write_boots_to_the_defaults() {
        let formatted = Store::open(RamNvm::new(SIZE), false, 4096).unwrap().nvm;
        let n = writes_of(formatted.clone(), |s| {
            CardManager::open(s).unwrap();
        });
        assert!(n >= 3, "{n} writes");
        for cut in 0..n {
            let mut s = Store::open(formatted.clone(), false, 4096).unwrap();
            s.nvm.fail_at = Some(s.nvm.writes + cut);
            assert!(CardManager::open(&mut s).is_err(), "cut {cut}");
            let mut nvm = s.nvm;
            nvm.fail_at = None;
            let mut s = Store::open(nvm, false, 4096).unwrap();
            let cm = CardManager::open(&mut s).unwrap_or_else(|e| panic!("cut {cut}: {e}"));
            assert_eq!(cm.key_sets.len(), 1, "cut {cut}");
            assert_eq!(cm.isd_aid, DEFAULT_ISD_AID, "cut {cut}");
            assert_eq!(cm.counter, 0, "cut {cut}");
            // And it stays: the next boot reads the same record.
            let again = CardManager::open(&mut s).unwrap();
            assert_eq!(again.record, cm.record, "cut {cut}");
        }
    }

    #[test]
    fn sequence_counter_cut_at_every_write_is_old_or_new_and_never_reused() {
        let mut s = Store::open(RamNvm::new(SIZE), false, 4096).unwrap();
        let cm = CardManager::open(&mut s).unwrap();
        let at = cm.record + R_COUNTER;
        let base = s.nvm.clone();
        let n = writes_of(base.clone(), |s| {
            s.write_nvm(at, &[0, 0, 1], true).unwrap();
        });
        for cut in 0..n {
            let mut s = Store::open(base.clone(), false, 4096).unwrap();
            s.nvm.fail_at = Some(s.nvm.writes + cut);
            let _ = s.write_nvm(at, &[0, 0, 1], true);
            let mut nvm = s.nvm;
            nvm.fail_at = None;
            let mut s = Store::open(nvm, false, 4096).unwrap();
            let cm = CardManager::open(&mut s).unwrap();
            assert!(cm.counter <= 1, "cut {cut}: counter {}", cm.counter);
        }
    }

    fn boot(nvm: RamNvm) -> Card<RamNvm> {
        Card::boot(nvm, Config::default()).unwrap_or_else(|e| panic!("boot: {e}"))
    }

    fn test_key() -> Vec<u8> {
        (0x40..0x50).collect()
    }

    fn keys(k: &[u8]) -> StaticKeys {
        StaticKeys {
            enc: k.to_vec(),
            mac: k.to_vec(),
            dek: k.to_vec(),
        }
    }

    const HOST: [u8; 8] = [7, 6, 5, 4, 3, 2, 1, 0];

    /// INITIALIZE UPDATE and EXTERNAL AUTHENTICATE at `level` with the host
    /// side, the card cryptogram checked; the host's session.
    fn open(card: &mut Card<RamNvm>, kvn: u8, k: &[u8], level: u8) -> SecureSession {
        let mut init = alloc::vec![0x80, 0x50, kvn, 0x00, 0x08];
        init.extend_from_slice(&HOST);
        init.push(0);
        let r = card.process(&init);
        assert_eq!(r.sw, SW_OK);
        let mut s = match r.data.get(11) {
            Some(2) => {
                assert_eq!(r.data.len(), 28);
                let seq = [r.data[12], r.data[13]];
                let mut challenge = [0u8; 6];
                challenge.copy_from_slice(&r.data[14..20]);
                let s = scp02::Session::new(&keys(k), card.cardmgr.scp02_i, seq, &HOST, &challenge)
                    .unwrap();
                assert_eq!(s.card_cryptogram().unwrap()[..], r.data[20..28]);
                SecureSession::Scp02(s)
            }
            _ => {
                let mut challenge = [0u8; 8];
                challenge.copy_from_slice(&r.data[13..21]);
                let s = scp03::Session::new(&keys(k), &HOST, &challenge).unwrap();
                assert_eq!(s.card_cryptogram().unwrap()[..], r.data[21..29]);
                SecureSession::Scp03(s)
            }
        };
        let ext = s.host_authenticate(level).unwrap();
        assert_eq!(card.process_command(ext).sw, SW_OK);
        s
    }

    fn send(card: &mut Card<RamNvm>, s: &mut SecureSession, apdu: &[u8]) -> Response {
        let wire = s.host_wrap(&Command::parse(apdu).unwrap()).unwrap();
        card.process_command(wire)
    }

    /// PUT KEY data of three equal 3DES keys, encrypted under an AES DEK
    /// (SCP03 channel) or under the SCP02 session's DEK.
    fn des_put_key(replace: u8, new_kvn: u8, k: &[u8], s: &SecureSession, dek: &[u8]) -> Vec<u8> {
        let mut data = alloc::vec![new_kvn];
        for _ in 0..3 {
            let enc = match s {
                SecureSession::Scp02(s) => s.host_encrypt_key(k).unwrap(),
                SecureSession::Scp03(_) => {
                    let mut e = k.to_vec();
                    scp03::cbc_with::<aes::Aes128>(dek, &[0; 16], &mut e, true).unwrap();
                    e
                }
            };
            data.extend_from_slice(&[0x80, 0x10]);
            data.extend_from_slice(&enc);
            data.push(3);
            data.extend_from_slice(&scp02::kcv(k).unwrap());
        }
        let mut apdu = alloc::vec![0x80, 0xD8, replace, 0x81, data.len() as u8];
        apdu.extend_from_slice(&data);
        apdu.push(0);
        apdu
    }

    const GET_STATUS_ISD: [u8; 8] = [0x80, 0xF2, 0x80, 0x02, 0x02, 0x4F, 0x00, 0x00];

    /// An application's secure channel over SCP02 (a 3DES key set): the
    /// applet forwards INITIALIZE UPDATE and EXTERNAL AUTHENTICATE, unwraps
    /// its commands, and decrypts under the DEK session key; a replayed
    /// command fails its unwrap and ends the channel.
    #[test]
    fn an_application_runs_scp02_through_its_security_domain() {
        extern crate std;
        let path = alloc::format!(
            "{}/../../conformance/applets/secchannel/cap/secchannel.cap",
            env!("CARGO_MANIFEST_DIR")
        );
        let cap = hydra_cap::container::read_path(std::path::Path::new(&path))
            .unwrap()
            .cap;
        let mut card = boot(RamNvm::new(1 << 20));
        card.load_package(&cap).unwrap();
        let applet = [0xF0, 0x48, 0x59, 0x44, 0x52, 0x41, 0x14, 0x01];
        card.install(&applet, None, &[0x12], &[]).unwrap();
        let des: Vec<u8> = (0x10..0x20).collect();
        let mut s = open(&mut card, 0x30, &test_key(), 0x03);
        let put = des_put_key(0x00, 0x20, &des, &s, &test_key());
        assert_eq!(send(&mut card, &mut s, &put).sw, SW_OK);

        let mut select = alloc::vec![0x00, 0xA4, 0x04, 0x00, 0x08];
        select.extend_from_slice(&applet);
        assert_eq!(card.process(&select).sw, SW_OK);
        let mut s = open(&mut card, 0x20, &des, 0x01);
        assert!(matches!(s, SecureSession::Scp02(_)));
        let level = send(&mut card, &mut s, &[0x80, 0x10, 0x00, 0x00, 0x00]);
        assert_eq!((level.sw, &level.data[..]), (SW_OK, &[0x81][..]));
        let SecureSession::Scp02(host) = &s else {
            unreachable!()
        };
        let plain: Vec<u8> = (0..16).collect();
        let secret = host.host_encrypt_key(&plain).unwrap();
        let mut apdu = alloc::vec![0x80, 0x30, 0x00, 0x00, 16];
        apdu.extend_from_slice(&secret);
        let r = send(&mut card, &mut s, &apdu);
        assert_eq!((r.sw, &r.data[..]), (SW_OK, &plain[..]));
        let wire = s
            .host_wrap(&Command::parse(&[0x80, 0x10, 0x00, 0x00, 0x00]).unwrap())
            .unwrap();
        assert_eq!(card.process_command(wire.clone()).sw, SW_OK);
        assert_eq!(card.process_command(wire).sw, SW_SECURITY);
        let r = card.process(&[0x80, 0x10, 0x00, 0x00, 0x00]);
        assert_eq!((r.sw, &r.data[..]), (SW_OK, &[0x00][..]));
        // At C-MAC, unwrap refuses a command without secure messaging and
        // ends the channel; with none open it leaves commands alone.
        let _ = open(&mut card, 0x20, &des, 0x01);
        let plain = Command::parse(&[0x80, 0x10, 0x00, 0x00, 0x00]).unwrap();
        assert_eq!(card.app_unwrap(&plain).unwrap_err(), SW_SECURITY);
        assert_eq!(card.app_security_level(), 0);
        assert!(card.app_unwrap(&plain).unwrap().is_none());
    }

    /// A 3DES key set put over SCP03 answers with SCP02 at levels 01 and 03
    /// under both options; card recognition data and the key information
    /// template name it; the refusals close the channel.
    #[test]
    fn scp02_key_sets_open_scp02_channels() {
        let mut card = boot(RamNvm::new(1 << 20));
        let des1: Vec<u8> = (0x10..0x20).collect();
        let des2: Vec<u8> = (0x20..0x30).collect();
        let mut s = open(&mut card, 0x30, &test_key(), 0x03);
        let put = des_put_key(0x00, 0x20, &des1, &s, &test_key());
        let r = send(&mut card, &mut s, &put);
        assert_eq!(r.sw, SW_OK);
        assert_eq!(r.data[0], 0x20);
        assert_eq!(card.cardmgr.protocols(), [(0x03, 0x70), (0x02, 0x55)]);
        let fci = card.isd_fci().data;
        let scp02_entry = [
            0x64, 0x0B, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xFC, 0x6B, 0x04, 0x02, 0x55,
        ];
        assert!(fci.windows(13).any(|w| w == scp02_entry), "{fci:02X?}");
        card.process(&[0x00, 0xA4, 0x04, 0x00, 0x00]); // ends the channel
        let e0 = card.process(&[0x80, 0xCA, 0x00, 0xE0, 0x00]).data;
        assert!(e0
            .windows(6)
            .any(|w| w == [0xC0, 0x04, 0x01, 0x20, 0x80, 0x10]));

        for option in [Scp02Option::I55, Scp02Option::I15] {
            card.cardmgr
                .set_scp02_option(&mut card.store, option)
                .unwrap();
            for level in [0x01, 0x03] {
                let before = card.cardmgr.key_set(0x20).unwrap().1.scp02_counter;
                let mut s = open(&mut card, 0x20, &des1, level);
                assert!(matches!(s, SecureSession::Scp02(_)));
                assert_eq!(
                    card.cardmgr.key_set(0x20).unwrap().1.scp02_counter,
                    before + 1
                );
                let r = send(&mut card, &mut s, &GET_STATUS_ISD);
                assert_eq!(
                    (r.sw, &r.data[..2]),
                    (SW_OK, &[0xE3, 0x1D][..]),
                    "level {level:02X}"
                );
                // A replayed command: refused, the channel closed.
                let wire = s
                    .host_wrap(&Command::parse(&GET_STATUS_ISD).unwrap())
                    .unwrap();
                assert_eq!(card.process_command(wire.clone()).sw, SW_OK);
                assert_eq!(card.process_command(wire).sw, SW_SECURITY);
                assert_eq!(send(&mut card, &mut s, &GET_STATUS_ISD).sw, SW_SECURITY);
            }
        }
        // i = 55: the card challenge is the well-known one.
        card.cardmgr
            .set_scp02_option(&mut card.store, Scp02Option::I55)
            .unwrap();
        let r = card.process(&[0x80, 0x50, 0x20, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let seq = [r.data[12], r.data[13]];
        let aid = card.cardmgr.isd_aid.clone();
        assert_eq!(
            r.data[14..20],
            scp02::card_challenge(&keys(&des1), seq, &aid).unwrap()
        );
        // A failed attempt does not use the counter up.
        let counter = card.cardmgr.key_set(0x20).unwrap().1.scp02_counter;
        assert_eq!(u16::from_be_bytes(seq), counter);
        assert_eq!(
            card.process(&[
                0x84, 0x82, 0x01, 0x00, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8
            ])
            .sw,
            SW_AUTH_FAILED
        );
        assert_eq!(card.cardmgr.key_set(0x20).unwrap().1.scp02_counter, counter);

        // A bad C-MAC at level 03.
        let mut s = open(&mut card, 0x20, &des1, 0x03);
        let mut wire = s
            .host_wrap(&Command::parse(&GET_STATUS_ISD).unwrap())
            .unwrap();
        let n = wire.data.len();
        wire.data[n - 1] ^= 1;
        assert_eq!(card.process_command(wire).sw, SW_SECURITY);
        assert_eq!(send(&mut card, &mut s, &GET_STATUS_ISD).sw, SW_SECURITY);
        // Wrong keys: the cryptograms do not match.
        let mut init = alloc::vec![0x80, 0x50, 0x20, 0x00, 0x08];
        init.extend_from_slice(&HOST);
        let r = card.process(&init);
        let mut challenge = [0u8; 6];
        challenge.copy_from_slice(&r.data[14..20]);
        let mut wrong = scp02::Session::new(
            &keys(&des2),
            0x55,
            [r.data[12], r.data[13]],
            &HOST,
            &challenge,
        )
        .unwrap();
        assert_ne!(wrong.card_cryptogram().unwrap()[..], r.data[20..28]);
        assert_eq!(
            card.process_command(wrong.host_authenticate(0x01).unwrap())
                .sw,
            SW_AUTH_FAILED
        );
        // Unknown key version.
        assert_eq!(
            card.process(&[0x80, 0x50, 0x2F, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 0])
                .sw,
            SW_NOT_FOUND
        );

        // PUT KEY over SCP02 (under the DEK session key) replaces the set;
        // its counter starts again.
        let mut s = open(&mut card, 0x20, &des1, 0x03);
        let put = des_put_key(0x20, 0x20, &des2, &s, &[]);
        let r = send(&mut card, &mut s, &put);
        assert_eq!(r.sw, SW_OK);
        assert_eq!(card.cardmgr.key_set(0x20).unwrap().1.scp02_counter, 0);
        let mut s = open(&mut card, 0x20, &des2, 0x01);
        assert_eq!(send(&mut card, &mut s, &GET_STATUS_ISD).sw, SW_OK);
        // And it all survives a reboot.
        let mut card = boot(card.power_down());
        assert_eq!(card.cardmgr.key_set(0x20).unwrap().1.scp02_counter, 1);
        assert_eq!(card.cardmgr.key_set(0x20).unwrap().1.key_type, KeyType::Des);
        let mut s = open(&mut card, 0x20, &des2, 0x03);
        assert_eq!(send(&mut card, &mut s, &GET_STATUS_ISD).sw, SW_OK);
        // The SCP03 set still opens SCP03.
        let mut s = open(&mut card, 0x30, &test_key(), 0x33);
        assert!(matches!(s, SecureSession::Scp03(_)));
        assert_eq!(send(&mut card, &mut s, &GET_STATUS_ISD).sw, SW_OK);
    }

    #[test]
    fn scp02_counter_cut_at_every_write_never_reuses_a_session() {
        let mut card = boot(RamNvm::new(1 << 20));
        let des1: Vec<u8> = (0x10..0x20).collect();
        let mut s = open(&mut card, 0x30, &test_key(), 0x01);
        let put = des_put_key(0x00, 0x20, &des1, &s, &test_key());
        assert_eq!(send(&mut card, &mut s, &put).sw, SW_OK);
        let base = card.power_down();
        let mut card = boot(base.clone());
        let w0 = card.store.nvm.writes;
        open(&mut card, 0x20, &des1, 0x01);
        let n = card.store.nvm.writes - w0;
        assert!(n >= 1);
        for cut in 0..n {
            let mut card = boot(base.clone());
            card.store.nvm.fail_at = Some(card.store.nvm.writes + cut);
            let mut init = alloc::vec![0x80, 0x50, 0x20, 0x00, 0x08];
            init.extend_from_slice(&HOST);
            let r = card.process(&init);
            let mut challenge = [0u8; 6];
            challenge.copy_from_slice(&r.data[14..20]);
            let mut h = scp02::Session::new(
                &keys(&des1),
                0x55,
                [r.data[12], r.data[13]],
                &HOST,
                &challenge,
            )
            .unwrap();
            // The cut refuses the channel: it never opens with an unsaved counter.
            assert_ne!(
                card.process_command(h.host_authenticate(0x01).unwrap()).sw,
                SW_OK,
                "cut {cut}"
            );
            let mut nvm = card.power_down();
            nvm.fail_at = None;
            let mut card = boot(nvm);
            let c = card.cardmgr.key_set(0x20).unwrap().1.scp02_counter;
            assert!(c <= 1, "cut {cut}: counter {c}");
            open(&mut card, 0x20, &des1, 0x01);
        }
    }

    /// Every byte of the record is checked at boot: the published parts
    /// (version, AID, reserved bytes) and each key set by checksum, the
    /// fields updated in place by range; a byte that no check covers (a
    /// counter, a key byte past the key's length is covered by its set)
    /// boots to the same card.
    #[test]
    fn every_damaged_record_byte_is_found_or_harmless() {
        let mut s = Store::open(RamNvm::new(SIZE), false, 4096).unwrap();
        let cm = CardManager::open(&mut s).unwrap();
        let base = s.nvm.clone();
        let (mut found, mut harmless) = (0, 0);
        for i in 0..RECORD_SIZE {
            let mut nvm = base.clone();
            let at = (cm.record + i) as usize;
            nvm.data[at] ^= 0x5A;
            // A damaged DAP key pointer names a stray extent: the store's
            // own check finds it.
            let mut s = match Store::open(nvm, false, 4096) {
                Ok(s) => s,
                Err(Fault::Corrupt(_)) if (R_DAP..R_DAP + 4).contains(&i) => {
                    found += 1;
                    continue;
                }
                Err(e) => panic!("byte {i}: {e}"),
            };
            match CardManager::open(&mut s) {
                Err(Fault::Checksum(_) | Fault::Corrupt(_)) => found += 1,
                Err(e) => panic!("byte {i}: {e}"),
                Ok(got) => {
                    let counter = (R_COUNTER..R_COUNTER + 3).contains(&i)
                        || (R_KEYSETS + 1 + K_COUNTER..R_KEYSETS + 3 + K_COUNTER).contains(&i);
                    let unused = (R_KEYSETS + 1 + KEYSET_SIZE..R_SCP02_I).contains(&i)
                        || (cvm::R_CVM + 5..cvm::R_CVM + cvm::CVM_SIZE).contains(&i)
                        || i == cvm::R_CVM + 1
                        || i == cvm::R_CVM + 2;
                    assert!(counter || unused, "byte {i} changed unnoticed");
                    assert_eq!(got.isd_aid, cm.isd_aid, "byte {i}");
                    harmless += 1;
                }
            }
        }
        extern crate std;
        std::println!("card manager record: {found} bytes found damaged, {harmless} harmless");
        assert!(found > 100 && harmless > 0);
    }
}
