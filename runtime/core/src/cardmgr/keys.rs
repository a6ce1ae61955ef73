//! PUT KEY (GP 2.3.1 §11.8, Amendment D §7.2): a new key set, or new
//! values for an existing one, sent encrypted under the DEK of the channel,
//! each key with its key check value. AES keys are encrypted with AES-CBC
//! under the static DEK of an SCP03 channel, 3DES keys (and AES keys sent
//! over SCP02) with 3DES-ECB under the DEK session key of an SCP02 channel.
//!
//! Data: `new KVN | key x 3`, P1 the key version replaced (00: add), P2 81
//! (keys 1 to 3); a key is `88 | 1+Le | L | key encrypted (Le) | 03 | KCV`
//! (AES) or `80 | 10 | key encrypted (16) | 03 | KCV` (3DES). The three keys
//! are of one type, which becomes the set's protocol: SCP03 or SCP02.

use alloc::vec::Vec;

use super::scp03::{self, StaticKeys};
use super::{
    encode_keyset, scp02, KeySet, KeyType, SecureSession, KEYSET_SIZE, MAX_KEYSETS, R_KEYSETS,
    SW_CONDITIONS, SW_INCORRECT_P1P2, SW_NOT_FOUND, SW_OK, SW_SECURITY, SW_WRONG_DATA,
};
use crate::apdu::{Command, Response};
use crate::card::Card;
use crate::error::Fault;
use crate::heap::Store;
use crate::nvm::Nvm;

/// No room for another key set.
const SW_NO_SPACE: u16 = 0x6A84;

/// The AES key check value: the first three bytes of AES(key, 01 x 16).
pub fn kcv(key: &[u8]) -> Option<[u8; 3]> {
    let mut block = [1u8; 16];
    scp03::encrypt_block(key, &mut block).ok()?;
    Some([block[0], block[1], block[2]])
}

/// The key check value of a key of type `ty`.
pub fn kcv_of(ty: KeyType, key: &[u8]) -> Option<[u8; 3]> {
    match ty {
        KeyType::Aes => kcv(key),
        KeyType::Des => scp02::kcv(key),
    }
}

/// The three keys of a PUT KEY command, decrypted and checked.
struct NewKeys {
    key_type: KeyType,
    keys: StaticKeys,
    /// Their KCVs, the response data after the KVN.
    kcvs: Vec<u8>,
}

/// The keys of a PUT KEY data field after the new KVN, decrypted with
/// `decrypt`.
fn parse_keys(
    mut b: &[u8],
    decrypt: impl Fn(&mut [u8]) -> Result<(), scp03::ScpError>,
) -> Result<NewKeys, u16> {
    let mut keys = Vec::new();
    let mut kcvs = Vec::new();
    let mut types = Vec::new();
    for _ in 0..3 {
        let [ty, len, rest @ ..] = b else {
            return Err(SW_WRONG_DATA);
        };
        let ty = KeyType::from_code(*ty).ok_or(SW_WRONG_DATA)?;
        let len = usize::from(*len);
        let block = rest.get(..len).ok_or(SW_WRONG_DATA)?;
        let rest = &rest[len..];
        // AES key data starts with the key's length (Amendment D); 3DES key
        // data is the encrypted key alone.
        let (key_len, enc) = match ty {
            KeyType::Aes => match block {
                [n, enc @ ..] => (usize::from(*n), enc),
                [] => return Err(SW_WRONG_DATA),
            },
            KeyType::Des => (block.len(), block),
        };
        if !ty.valid_len(key_len) || enc.len() < key_len {
            return Err(SW_WRONG_DATA);
        }
        let mut key = enc.to_vec();
        decrypt(&mut key).map_err(|_| SW_WRONG_DATA)?;
        key.truncate(key_len);
        let [n, rest @ ..] = rest else {
            return Err(SW_WRONG_DATA);
        };
        let n = usize::from(*n);
        let check = rest.get(..n).ok_or(SW_WRONG_DATA)?;
        let want = kcv_of(ty, &key).ok_or(SW_WRONG_DATA)?;
        if n != 3 || check != want {
            return Err(SW_WRONG_DATA);
        }
        kcvs.extend_from_slice(&want);
        keys.push(key);
        types.push(ty);
        b = &rest[n..];
    }
    let one_kind =
        types.iter().all(|t| *t == types[0]) && keys.iter().all(|k| k.len() == keys[0].len());
    if !b.is_empty() || !one_kind {
        return Err(SW_WRONG_DATA);
    }
    let [enc, mac, dek] = [keys[0].clone(), keys[1].clone(), keys[2].clone()];
    Ok(NewKeys {
        key_type: types[0],
        keys: StaticKeys { enc, mac, dek },
        kcvs,
    })
}

/// Writes key set `slot` (an existing one, or the next free one): a
/// replaced set changes in one atomic update; an added one is written into
/// its free slot first and counted last, so a cut leaves the old sets.
fn store_key_set<N: Nvm>(
    store: &mut Store<N>,
    cm: &mut super::CardManager,
    slot: usize,
    set: KeySet,
) -> Result<(), Fault> {
    let base = cm.record + R_KEYSETS;
    let at = base + 1 + slot as u32 * KEYSET_SIZE;
    let replacing = slot < cm.key_sets.len();
    store.write_nvm(at, &encode_keyset(&set), replacing)?;
    if !replacing {
        store.write_nvm(base, &[slot as u8 + 1], true)?;
        cm.key_sets.push(set);
    } else {
        cm.key_sets[slot] = set;
    }
    Ok(())
}

impl<N: Nvm> Card<N> {
    pub(crate) fn put_key(&mut self, ch: u8, cmd: &Command) -> Response {
        let (replace, p2) = (cmd.p1(), cmd.p2());
        if p2 == 0x01 && cmd.data.get(1) == Some(&0xB0) {
            return self.put_dap_key(cmd);
        }
        // One command with the three keys of a set.
        if replace & 0x80 != 0 || p2 != 0x81 {
            return Response::sw(SW_INCORRECT_P1P2);
        }
        let Some(sc) = self.cardmgr.secure.as_ref().filter(|s| s.channel == ch) else {
            return Response::sw(SW_SECURITY);
        };
        let session: &SecureSession = &sc.session;
        let Some((_, opened_with)) = self.cardmgr.key_set(sc.kvn) else {
            return Response::sw(SW_SECURITY);
        };
        let dek = &opened_with.keys.dek;
        let Some((&new_kvn, rest)) = cmd.data.split_first() else {
            return Response::sw(SW_WRONG_DATA);
        };
        let new = match parse_keys(rest, |d| session.decrypt_key(dek, d)) {
            Ok(k) => k,
            Err(sw) => return Response::sw(sw),
        };
        let kcvs = new.kcvs;
        // A new or replaced set starts its SCP02 counter at 0: its session
        // keys are new.
        let set = KeySet {
            kvn: new_kvn,
            key_type: new.key_type,
            keys: new.keys,
            scp02_counter: 0,
        };
        let sets = &self.cardmgr.key_sets;
        let slot = if replace == 0 {
            if sets.iter().any(|k| k.kvn == new_kvn) || new_kvn == 0 {
                return Response::sw(SW_CONDITIONS);
            }
            if sets.len() >= MAX_KEYSETS {
                return Response::sw(SW_NO_SPACE);
            }
            sets.len()
        } else {
            let Some(i) = sets.iter().position(|k| k.kvn == replace) else {
                return Response::sw(SW_NOT_FOUND);
            };
            if sets.iter().any(|k| k.kvn == new_kvn && k.kvn != replace) || new_kvn == 0 {
                return Response::sw(SW_CONDITIONS);
            }
            i
        };
        if store_key_set(&mut self.store, &mut self.cardmgr, slot, set).is_err() {
            return Response::sw(crate::jcre::SW_UNKNOWN);
        }
        let mut data = alloc::vec![new_kvn];
        data.extend_from_slice(&kcvs);
        Response { data, sw: SW_OK }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cardmgr::CardManager;
    use crate::nvm::RamNvm;

    fn set(kvn: u8, fill: u8, key_type: KeyType) -> KeySet {
        let k = alloc::vec![fill; 16];
        KeySet {
            kvn,
            key_type,
            keys: StaticKeys {
                enc: k.clone(),
                mac: k.clone(),
                dek: k,
            },
            scp02_counter: 0,
        }
    }

    // AES-128 KCV of 40..4F: AES(key, 01 x 16) computed with Python's
    // `cryptography` (conformance/pcsc/cardmgr.py computes it the same way).
    #[test]
    fn kcv_of_the_test_key() {
        let k: Vec<u8> = (0x40..0x50).collect();
        assert_eq!(kcv(&k), Some(KCV_TEST_KEY));
    }
    const KCV_TEST_KEY: [u8; 3] = [0x50, 0x4A, 0x77];

    /// NVM writes of PUT KEY's store: adding a set is its slot and the
    /// count (2), replacing one is one atomic update (3). Pinned so that
    /// the key sets' integrity check costs no write.
    #[test]
    fn put_key_writes() {
        let mut s = Store::open(RamNvm::new(256 * 1024), false, 4096).unwrap();
        let mut cm = CardManager::open(&mut s).unwrap();
        let mut counted = |slot, new| {
            let w0 = s.nvm.writes;
            store_key_set(&mut s, &mut cm, slot, new).unwrap();
            s.nvm.writes - w0
        };
        assert_eq!(counted(1, set(0x31, 0x11, KeyType::Aes)), 2, "add");
        assert_eq!(counted(0, set(0x30, 0x22, KeyType::Aes)), 2, "replace");
    }

    /// Adding and replacing a key set, cut at every write: after the
    /// reboot the card has the old sets or the new ones, never a mix.
    #[test]
    fn put_key_cut_at_every_write_keeps_old_or_new() {
        let mut s = Store::open(RamNvm::new(256 * 1024), false, 4096).unwrap();
        CardManager::open(&mut s).unwrap();
        let base = s.nvm.clone();
        for (slot, new) in [
            (1usize, set(0x31, 0x11, KeyType::Aes)),
            (0, set(0x30, 0x22, KeyType::Aes)),
            (1, set(0x20, 0x33, KeyType::Des)),
            (0, set(0x21, 0x44, KeyType::Des)),
        ] {
            let mut s = Store::open(base.clone(), false, 4096).unwrap();
            let mut cm = CardManager::open(&mut s).unwrap();
            let old = cm.key_sets.clone();
            let w0 = s.nvm.writes;
            store_key_set(&mut s, &mut cm, slot, new.clone()).unwrap();
            let n = s.nvm.writes - w0;
            let mut after = old.clone();
            if slot < after.len() {
                after[slot] = new.clone();
            } else {
                after.push(new.clone());
            }
            for cut in 0..n {
                let mut s = Store::open(base.clone(), false, 4096).unwrap();
                let mut cm = CardManager::open(&mut s).unwrap();
                s.nvm.fail_at = Some(s.nvm.writes + cut);
                let _ = store_key_set(&mut s, &mut cm, slot, new.clone());
                let mut nvm = s.nvm;
                nvm.fail_at = None;
                let mut s = Store::open(nvm, false, 4096).unwrap();
                let got = CardManager::open(&mut s).unwrap().key_sets;
                assert!(
                    got == old || got == after,
                    "slot {slot}, cut {cut}: {got:?}"
                );
            }
        }
    }
}
