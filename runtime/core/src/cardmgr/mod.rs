//! The GlobalPlatform card manager: the Issuer Security Domain (GP Card
//! Specification 2.3.1), default-selected on the basic channel, with SCP03
//! secure channels (Amendment D), GET DATA and GET STATUS.
//!
//! Its persistent state (card life cycle, SCP03 sequence counter, ISD AID,
//! key sets) is one fixed record in NVM whose address is in the superblock;
//! every change is one atomic NVM update. The secure channel session lives
//! in RAM and ends with the selection, a reset or a security error.

pub mod content;
pub mod keys;
pub mod lifecycle;
pub mod scp03;
pub mod status;
pub mod tlv;

use alloc::vec::Vec;

use crate::apdu::{Command, Response};
use crate::card::Card;
use crate::error::{Fault, Result};
use crate::heap::{rd_u32, Store, SB_CARDMGR};
use crate::nvm::Nvm;
use scp03::{Session, StaticKeys};

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

/// The record's size and layout (offsets).
const RECORD_SIZE: u32 = 512;
const R_VERSION: u32 = 0;
pub(crate) const R_LIFE_CYCLE: u32 = 1;
const R_COUNTER: u32 = 2;
const R_AID: u32 = 5; // length byte, then 16 bytes
pub(crate) const R_KEYSETS: u32 = 22; // count byte, then KEYSET_SIZE each
pub(crate) const KEYSET_SIZE: u32 = 98; // kvn, key length, ENC, MAC, DEK (32 each)
pub(crate) const MAX_KEYSETS: usize = 4;
const RECORD_VERSION: u8 = 1;

/// One key version: the three SCP03 keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySet {
    pub kvn: u8,
    pub keys: StaticKeys,
}

/// An open or opening secure channel.
#[derive(Debug, Clone)]
struct Channel {
    /// The logical channel it was opened on.
    channel: u8,
    /// The key set it was opened with (PUT KEY decrypts under its DEK).
    kvn: u8,
    session: Session,
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
    pub key_sets: Vec<KeySet>,
    secure: Option<Channel>,
    /// GET STATUS entries not yet sent (paging with P2 = 03).
    pending_status: Option<status::Pending>,
    /// The load between INSTALL [for load] and the last LOAD block.
    loading: Option<content::Loading>,
}

/// One key set as the record stores it.
pub(crate) fn encode_keyset(ks: &KeySet) -> [u8; KEYSET_SIZE as usize] {
    let mut r = [0u8; KEYSET_SIZE as usize];
    r[0] = ks.kvn;
    r[1] = ks.keys.enc.len() as u8;
    for (j, key) in [&ks.keys.enc, &ks.keys.mac, &ks.keys.dek]
        .iter()
        .enumerate()
    {
        r[2 + 32 * j..2 + 32 * j + key.len()].copy_from_slice(key);
    }
    r
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
        r[at] = ks.kvn;
        r[at + 1] = ks.keys.enc.len() as u8;
        for (j, key) in [&ks.keys.enc, &ks.keys.mac, &ks.keys.dek]
            .iter()
            .enumerate()
        {
            let o = at + 2 + 32 * j;
            r[o..o + key.len()].copy_from_slice(key);
        }
    }
    r
}

fn decode_record(record: u32, b: &[u8]) -> Result<CardManager> {
    let bad = Fault::Corrupt("card manager record");
    let r = b
        .get(record as usize..(record + RECORD_SIZE) as usize)
        .ok_or(bad.clone())?;
    if r[R_VERSION as usize] != RECORD_VERSION {
        return Err(bad);
    }
    let a = R_AID as usize;
    let aid_len = usize::from(r[a]);
    if !(5..=16).contains(&aid_len) {
        return Err(bad);
    }
    let k = R_KEYSETS as usize;
    let n = usize::from(r[k]);
    if n > MAX_KEYSETS {
        return Err(bad);
    }
    let mut key_sets = Vec::with_capacity(n);
    for i in 0..n {
        let at = k + 1 + i * KEYSET_SIZE as usize;
        let len = usize::from(r[at + 1]);
        if !matches!(len, 16 | 24 | 32) {
            return Err(bad);
        }
        let key = |j: usize| r[at + 2 + 32 * j..at + 2 + 32 * j + len].to_vec();
        key_sets.push(KeySet {
            kvn: r[at],
            keys: StaticKeys {
                enc: key(0),
                mac: key(1),
                dek: key(2),
            },
        });
    }
    let c = R_COUNTER as usize;
    Ok(CardManager {
        record,
        isd_aid: r[a + 1..a + 1 + aid_len].to_vec(),
        life_cycle: r[R_LIFE_CYCLE as usize],
        counter: u32::from_be_bytes([0, r[c], r[c + 1], r[c + 2]]),
        key_sets,
        secure: None,
        pending_status: None,
        loading: None,
    })
}

impl CardManager {
    /// The card manager of a store: its record, written with the factory
    /// defaults (GP test keys 40..4F as key set 30, the default ISD AID,
    /// SECURED) the first time.
    pub fn open<N: Nvm>(s: &mut Store<N>) -> Result<CardManager> {
        let at = rd_u32(s.nvm.bytes(), SB_CARDMGR)?;
        if at != 0 {
            return decode_record(at, s.nvm.bytes());
        }
        let test_key: Vec<u8> = (0x40..0x50).collect();
        let mut cm = CardManager {
            record: 0,
            isd_aid: DEFAULT_ISD_AID.to_vec(),
            life_cycle: CARD_SECURED,
            counter: 0,
            key_sets: alloc::vec![KeySet {
                kvn: DEFAULT_KVN,
                keys: StaticKeys {
                    enc: test_key.clone(),
                    mac: test_key.clone(),
                    dek: test_key,
                },
            }],
            secure: None,
            pending_status: None,
            loading: None,
        };
        // Written whole into fresh space, then published by one pointer
        // write: a cut leaves no record (personalised again at next boot).
        let record = s.nvm_alloc(RECORD_SIZE)?;
        s.nvm.write(record, &encode_record(&cm))?;
        s.write_nvm(SB_CARDMGR, &record.to_be_bytes(), true)?;
        cm.record = record;
        Ok(cm)
    }

    /// Ends the secure channel (selection, reset, security error).
    pub fn close_session(&mut self) {
        self.secure = None;
        self.pending_status = None;
        self.loading = None;
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
            .and_then(|s| s.session.level)
    }

    /// The key set `kvn` names (00: the first).
    fn key_set(&self, kvn: u8) -> Option<&KeySet> {
        if kvn == 0 {
            self.key_sets.first()
        } else {
            self.key_sets.iter().find(|k| k.kvn == kvn)
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
        tlv::put(&mut a5, 0x73, &status::card_recognition_data());
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
        if sc.session.level.unwrap_or(0) & scp03::R_MAC == 0 {
            return r;
        }
        match sc.session.wrap(&r.data, r.sw) {
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
    /// session, answers KDD, key information, card challenge, card
    /// cryptogram and the sequence counter.
    fn initialize_update(&mut self, ch: u8, cmd: &Command) -> Response {
        self.cardmgr.close_session();
        if cmd.data.len() != 8 {
            return Response::sw(SW_WRONG_LENGTH);
        }
        if cmd.p2() != 0 {
            return Response::sw(SW_INCORRECT_P1P2);
        }
        let Some(ks) = self.cardmgr.key_set(cmd.p1()).cloned() else {
            return Response::sw(SW_NOT_FOUND);
        };
        // The counter moves before it is used: a challenge is never reused,
        // even across a power cut.
        let counter = (self.cardmgr.counter + 1) & 0xFF_FFFF;
        let bytes = counter.to_be_bytes();
        let at = self.cardmgr.record + R_COUNTER;
        if self.store.write_nvm(at, &bytes[1..], true).is_err() {
            return Response::sw(crate::jcre::SW_UNKNOWN);
        }
        self.cardmgr.counter = counter;
        let seq = [bytes[1], bytes[2], bytes[3]];
        let mut host = [0u8; 8];
        host.copy_from_slice(&cmd.data);
        let made = scp03::card_challenge(&ks.keys, seq, &self.cardmgr.isd_aid).and_then(|card| {
            let s = Session::new(&ks.keys, &host, &card)?;
            let crypto = s.card_cryptogram()?;
            Ok((card, s, crypto))
        });
        let Ok((card, session, cryptogram)) = made else {
            return Response::sw(crate::jcre::SW_UNKNOWN);
        };
        let mut data = self.cardmgr.kdd().to_vec();
        data.extend_from_slice(&[ks.kvn, 0x03, scp03::I_PARAM]);
        data.extend_from_slice(&card);
        data.extend_from_slice(&cryptogram);
        data.extend_from_slice(&seq);
        self.cardmgr.secure = Some(Channel {
            channel: ch,
            kvn: ks.kvn,
            session,
        });
        Response { data, sw: SW_OK }
    }

    /// EXTERNAL AUTHENTICATE (`84 82 level 00 10 host-cryptogram C-MAC`).
    fn external_authenticate(&mut self, ch: u8, cmd: &Command) -> Response {
        let ok = match self.cardmgr.secure.as_mut() {
            Some(sc) if sc.channel == ch && sc.session.level.is_none() => {
                sc.session.authenticate(cmd).is_ok()
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
        Response::sw(SW_OK)
    }

    /// GET DATA (GP 2.3.1 §11.3): P1 P2 is the tag.
    fn get_data(&self, cmd: &Command) -> Response {
        let tag = u16::from_be_bytes([cmd.p1(), cmd.p2()]);
        let value: Vec<u8> = match tag {
            0x0042 => ISSUER_ID.to_vec(),
            0x0045 => self.cardmgr.kdd()[2..].to_vec(),
            0x0066 => {
                let mut v = Vec::new();
                tlv::put(&mut v, 0x73, &status::card_recognition_data());
                v
            }
            0x00C1 => self.cardmgr.counter.to_be_bytes()[1..].to_vec(),
            0x00CF => self.cardmgr.kdd().to_vec(),
            0x00E0 => {
                let mut v = Vec::new();
                for ks in &self.cardmgr.key_sets {
                    for id in 1..=3u8 {
                        tlv::put(&mut v, 0xC0, &[id, ks.kvn, 0x88, ks.keys.enc.len() as u8]);
                    }
                }
                v
            }
            0x9F7F => status::cplc().to_vec(),
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
}
