//! DAP verification by the ISD (GP 2.3.1 §9.2.1, §C.5): with a DAP key
//! the ISD has the DAP Verification privilege and checks the signature of
//! every load file whose DAP block names it; personalised with Mandated
//! DAP it refuses any load file without one. The signature is ECDSA P-256
//! over the Load File Data Block Hash (`hydra_package::dap`).
//!
//! The key (KVN 73) is put with PUT KEY, key type B0 (ECC public key) with
//! its parameter reference F0 (00: P-256): `80 D8 P1 01`, data `73 | B0 41
//! <04 x y> 00 | F0 01 00 00` (P1 00 adds it, 73 replaces it), answered
//! `73`. It lives in an NVM extent of its own (KVN, point, CRC-32) named by
//! the card manager record, which a change publishes anew.

use super::{CardManager, SW_CONDITIONS, SW_INCORRECT_P1P2, SW_NOT_FOUND, SW_OK, SW_WRONG_DATA};
use crate::apdu::{Command, Response};
use crate::card::Card;
use crate::error::{Fault, Result};
use crate::heap::Store;
use crate::nvm::Nvm;
use hydra_package::dap::PUBLIC_KEY_LEN;

/// The key version of the DAP verification key.
pub const DAP_KVN: u8 = 0x73;
/// Bytes of the key's extent: KVN, point, two zero bytes, CRC-32.
pub(crate) const DAP_SIZE: u32 = 72;
const D_CRC: usize = 68;

/// The ISD's DAP verification key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DapKey {
    /// Uncompressed SEC1 P-256 point.
    pub public_key: [u8; PUBLIC_KEY_LEN],
    /// Mandated DAP: every load file needs the ISD's signature.
    pub mandated: bool,
}

pub(crate) fn encode(key: &DapKey) -> [u8; DAP_SIZE as usize] {
    let mut r = [0u8; DAP_SIZE as usize];
    r[0] = DAP_KVN;
    r[1..1 + PUBLIC_KEY_LEN].copy_from_slice(&key.public_key);
    let crc = crate::heap::crc32(&[&r[..D_CRC]]);
    r[D_CRC..].copy_from_slice(&crc.to_be_bytes());
    r
}

/// The key in the extent at `at`; `mandated` comes from the record.
pub(crate) fn decode(b: &[u8], at: u32, mandated: bool) -> Result<DapKey> {
    let r = b
        .get(at as usize..(at as usize).saturating_add(DAP_SIZE as usize))
        .ok_or(Fault::Corrupt("card manager DAP key"))?;
    if r[D_CRC..] != crate::heap::crc32(&[&r[..D_CRC]]).to_be_bytes() || r[0] != DAP_KVN {
        return Err(Fault::Checksum("card manager DAP key"));
    }
    let mut public_key = [0; PUBLIC_KEY_LEN];
    public_key.copy_from_slice(&r[1..1 + PUBLIC_KEY_LEN]);
    Ok(DapKey {
        public_key,
        mandated,
    })
}

/// Why a load file's DAP blocks do not let it in (a status word).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DapRefusal {
    /// A block names a security domain this card does not have (6A88).
    UnknownDomain,
    /// The ISD's signature does not verify (6982).
    BadSignature,
    /// Mandated DAP, and no block for the ISD (6982).
    Missing,
}

impl CardManager {
    /// Sets (or with `None` removes) the DAP key and the Mandated DAP
    /// privilege: the key's extent is written first, then the record is
    /// published anew naming it, so a cut leaves the old key or the new.
    pub fn set_dap_key<N: Nvm>(&mut self, s: &mut Store<N>, key: Option<DapKey>) -> Result<()> {
        let mut next = self.clone();
        next.dap_at = match &key {
            Some(k) => {
                let at = s.nvm_alloc(DAP_SIZE)?;
                s.nvm.write(at, &encode(k))?;
                at
            }
            None => 0,
        };
        next.dap = key;
        let published = super::publish(s, next)?;
        *self = published;
        Ok(())
    }

    /// Whether the load file data block `block`, with the DAP blocks
    /// `daps` (security domain AID, signature), may be loaded; `Ok(true)`
    /// when the ISD verified its signature.
    pub fn check_daps(
        &self,
        daps: &[hydra_package::loadfile::Dap<'_>],
        block: &[u8],
    ) -> core::result::Result<bool, DapRefusal> {
        let mut verified = false;
        for d in daps {
            if d.sd_aid != self.isd_aid.as_slice() {
                return Err(DapRefusal::UnknownDomain);
            }
            // Without a key the ISD has no DAP Verification privilege and
            // ignores the block, as GP has a card do.
            let Some(key) = &self.dap else {
                continue;
            };
            let hash = hydra_package::dap::load_file_hash(block);
            if !hydra_package::dap::verify(&key.public_key, &hash, d.signature) {
                return Err(DapRefusal::BadSignature);
            }
            verified = true;
        }
        if self.dap.as_ref().is_some_and(|k| k.mandated) && !verified {
            return Err(DapRefusal::Missing);
        }
        Ok(verified)
    }

    /// The ISD's privileges byte 1 bits the DAP key adds: DAP Verification
    /// (C0 with the Security Domain bit), Mandated DAP (C1).
    pub fn dap_privileges(&self) -> u8 {
        match &self.dap {
            None => 0,
            Some(k) if k.mandated => 0x41,
            Some(_) => 0x40,
        }
    }
}

/// A PUT KEY data field for the DAP key: the point, if it is exactly
/// `73 | B0 41 <point> 00 | F0 01 00 00` with a point on P-256.
fn parse_put(data: &[u8]) -> Option<[u8; PUBLIC_KEY_LEN]> {
    let (head, rest) = data.split_at_checked(3)?;
    if head != [DAP_KVN, 0xB0, PUBLIC_KEY_LEN as u8] {
        return None;
    }
    let (point, tail) = rest.split_at_checked(PUBLIC_KEY_LEN)?;
    if tail != [0x00, 0xF0, 0x01, 0x00, 0x00] || !hydra_package::dap::is_public_key(point) {
        return None;
    }
    point.try_into().ok()
}

impl<N: Nvm> Card<N> {
    /// PUT KEY of the DAP key (P2 01, key type B0), on an open channel.
    /// Public keys travel in clear: nothing is secret, the C-MAC of the
    /// channel is what authenticates them.
    pub(crate) fn put_dap_key(&mut self, cmd: &Command) -> Response {
        if !matches!(cmd.p1(), 0x00 | DAP_KVN) {
            return Response::sw(SW_INCORRECT_P1P2);
        }
        let Some(public_key) = parse_put(&cmd.data) else {
            return Response::sw(SW_WRONG_DATA);
        };
        match (cmd.p1(), &self.cardmgr.dap) {
            (0x00, Some(_)) => return Response::sw(SW_CONDITIONS),
            (DAP_KVN, None) => return Response::sw(SW_NOT_FOUND),
            _ => {}
        }
        let mandated = self.cardmgr.dap.as_ref().is_some_and(|k| k.mandated);
        let key = DapKey {
            public_key,
            mandated,
        };
        if self
            .cardmgr
            .set_dap_key(&mut self.store, Some(key))
            .is_err()
        {
            return Response::sw(crate::jcre::SW_UNKNOWN);
        }
        Response {
            data: alloc::vec![DAP_KVN],
            sw: SW_OK,
        }
    }

    /// Personalisation: the ISD verifies DAP with `public_key` and, when
    /// `mandated`, requires it of every load file. Changes nothing when
    /// the card already has exactly that.
    pub fn personalize_dap(
        &mut self,
        public_key: &[u8],
        mandated: bool,
    ) -> core::result::Result<(), Fault> {
        let public_key: [u8; PUBLIC_KEY_LEN] = public_key
            .try_into()
            .ok()
            .filter(|k: &[u8; PUBLIC_KEY_LEN]| hydra_package::dap::is_public_key(k))
            .ok_or(Fault::Corrupt("DAP key: not a P-256 point"))?;
        let key = DapKey {
            public_key,
            mandated,
        };
        if self.cardmgr.dap.as_ref() == Some(&key) {
            return Ok(());
        }
        self.cardmgr.set_dap_key(&mut self.store, Some(key))
    }
}
