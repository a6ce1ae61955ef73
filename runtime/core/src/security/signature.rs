//! `Signature` (JC 3.0.5). The object keeps its algorithm in cell 0; the
//! state in RAM is a [`Signer`]: the algorithm's parts, the mode it was
//! initialized for, and a [`SignatureEngine`] doing the cryptography.
//!
//! Symmetric engines here: CBC-MACs over DES / triple DES / AES with the
//! ISO 9797-1 paddings (and MAC algorithm 3, the "retail MAC"), AES-CMAC
//! (`cmac`) and HMAC over SHA-1 / SHA-2 (`hmac`). The asymmetric ones
//! (ECDSA, RSA) are further `SignatureEngine`s: a row in [`ALGS`] and an
//! arm in [`engine_for`].

use alloc::boxed::Box;
use alloc::vec::Vec;

use hmac::Mac;
use subtle::ConstantTimeEq;

use super::block::{blocks, Blocks, Chaining, Family, Pad};
use super::key::{KeyKind, KeyMaterial};
use super::{tok, CryptoError, Engine};
use crate::card::Card;
use crate::heap::Ref;
use crate::interp::Exc;
use crate::nvm::Nvm;

pub const MODE_SIGN: u8 = 1;
pub const MODE_VERIFY: u8 = 2;

/// `Signature.SIG_CIPHER_*`.
pub mod sig_cipher {
    pub const DES_MAC4: u8 = 1;
    pub const DES_MAC8: u8 = 2;
    pub const AES_MAC128: u8 = 6;
    pub const HMAC: u8 = 7;
    pub const AES_CMAC128: u8 = 10;
    pub const ECDSA: u8 = 5;
    pub const RSA: u8 = 3;
}

/// `Cipher.PAD_*` values a Signature uses beyond [`Pad`]'s.
const PAD_NULL: u8 = 0;
const PAD_ISO9797_1_M1_ALG3: u8 = 4;
const PAD_ISO9797_1_M2_ALG3: u8 = 5;
const PAD_PKCS1: u8 = 7;
const PAD_PKCS1_PSS: u8 = 8;

/// An algorithm as its parts: `getMessageDigestAlgorithm`,
/// `getCipherAlgorithm`, `getPaddingAlgorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    pub digest: u8,
    pub cipher: u8,
    pub pad: u8,
}

const fn p(digest: u8, cipher: u8, pad: u8) -> Parts {
    Parts {
        digest,
        cipher,
        pad,
    }
}

/// `Signature.ALG_*` the card has, with their parts; `getInstance` with
/// parts finds its algorithm code here (0 when the combination has none).
pub static ALGS: &[(u8, Parts)] = &[
    (1, p(0, sig_cipher::DES_MAC4, 1)),    // ALG_DES_MAC4_NOPAD
    (2, p(0, sig_cipher::DES_MAC8, 1)),    // ALG_DES_MAC8_NOPAD
    (3, p(0, sig_cipher::DES_MAC4, 2)),    // ALG_DES_MAC4_ISO9797_M1
    (4, p(0, sig_cipher::DES_MAC8, 2)),    // ALG_DES_MAC8_ISO9797_M1
    (5, p(0, sig_cipher::DES_MAC4, 3)),    // ALG_DES_MAC4_ISO9797_M2
    (6, p(0, sig_cipher::DES_MAC8, 3)),    // ALG_DES_MAC8_ISO9797_M2
    (7, p(0, sig_cipher::DES_MAC4, 6)),    // ALG_DES_MAC4_PKCS5
    (8, p(0, sig_cipher::DES_MAC8, 6)),    // ALG_DES_MAC8_PKCS5
    (18, p(0, sig_cipher::AES_MAC128, 1)), // ALG_AES_MAC_128_NOPAD
    (19, p(0, sig_cipher::DES_MAC4, PAD_ISO9797_1_M2_ALG3)),
    (20, p(0, sig_cipher::DES_MAC8, PAD_ISO9797_1_M2_ALG3)),
    (24, p(1, sig_cipher::HMAC, PAD_NULL)), // ALG_HMAC_SHA1
    (25, p(4, sig_cipher::HMAC, PAD_NULL)), // ALG_HMAC_SHA_256
    (26, p(5, sig_cipher::HMAC, PAD_NULL)), // ALG_HMAC_SHA_384
    (27, p(6, sig_cipher::HMAC, PAD_NULL)), // ALG_HMAC_SHA_512
    (47, p(0, sig_cipher::DES_MAC4, PAD_ISO9797_1_M1_ALG3)),
    (48, p(0, sig_cipher::DES_MAC8, PAD_ISO9797_1_M1_ALG3)),
    (49, p(0, sig_cipher::AES_CMAC128, PAD_NULL)), // ALG_AES_CMAC_128
    (17, p(1, sig_cipher::ECDSA, PAD_NULL)),       // ALG_ECDSA_SHA
    (33, p(4, sig_cipher::ECDSA, PAD_NULL)),       // ALG_ECDSA_SHA_256
    (34, p(5, sig_cipher::ECDSA, PAD_NULL)),       // ALG_ECDSA_SHA_384
    (37, p(7, sig_cipher::ECDSA, PAD_NULL)),       // ALG_ECDSA_SHA_224
    (38, p(6, sig_cipher::ECDSA, PAD_NULL)),       // ALG_ECDSA_SHA_512
    (10, p(1, sig_cipher::RSA, PAD_PKCS1)),        // ALG_RSA_SHA_PKCS1
    (40, p(4, sig_cipher::RSA, PAD_PKCS1)),        // ALG_RSA_SHA_256_PKCS1
    (39, p(7, sig_cipher::RSA, PAD_PKCS1)),        // ALG_RSA_SHA_224_PKCS1
    (41, p(5, sig_cipher::RSA, PAD_PKCS1)),        // ALG_RSA_SHA_384_PKCS1
    (42, p(6, sig_cipher::RSA, PAD_PKCS1)),        // ALG_RSA_SHA_512_PKCS1
    (21, p(1, sig_cipher::RSA, PAD_PKCS1_PSS)),    // ALG_RSA_SHA_PKCS1_PSS
    (43, p(7, sig_cipher::RSA, PAD_PKCS1_PSS)),    // ALG_RSA_SHA_224_PKCS1_PSS
    (44, p(4, sig_cipher::RSA, PAD_PKCS1_PSS)),    // ALG_RSA_SHA_256_PKCS1_PSS
    (45, p(5, sig_cipher::RSA, PAD_PKCS1_PSS)),    // ALG_RSA_SHA_384_PKCS1_PSS
    (46, p(6, sig_cipher::RSA, PAD_PKCS1_PSS)),    // ALG_RSA_SHA_512_PKCS1_PSS
];

/// The cryptography of one Signature algorithm. `Signer` checks the mode
/// and the call order; an engine only computes.
pub trait SignatureEngine {
    /// `getLength()`: the signature's byte length.
    fn length(&self) -> usize;
    /// Takes the key (its kind is the engine's to check: ILLEGAL_VALUE) and
    /// the optional `init` parameter (an IV for the MACs); starts over.
    fn init(
        &mut self,
        key: &KeyMaterial,
        mode: u8,
        param: Option<&[u8]>,
    ) -> Result<(), CryptoError>;
    fn update(&mut self, data: &[u8]) -> Result<(), CryptoError>;
    /// The signature of everything since `init` and `data`; the engine is
    /// then as `init` left it.
    fn sign(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError>;
    /// Whether `sig` is the signature of everything since `init` and
    /// `data`; starts over like `sign`. A MAC compares in constant time.
    fn verify(&mut self, data: &[u8], sig: &[u8]) -> Result<bool, CryptoError> {
        let mac = self.sign(data)?;
        Ok(mac.len() == sig.len() && bool::from(mac.ct_eq(sig)))
    }
    /// Whether every signature is `length()` bytes; a variable-length one
    /// (DER ECDSA) is only bounded by it, so `sign` cannot check the output
    /// range before computing.
    fn fixed_length(&self) -> bool {
        true
    }
    /// Whether the engine draws random numbers (then `Signer` hands it a
    /// generator at every `init`; the MACs need none).
    fn needs_rng(&self) -> bool {
        false
    }
    fn set_rng(&mut self, _g: super::random::Generator) {}
    /// `signPreComputedHash`: ILLEGAL_USE where the algorithm has none
    /// (JC 3.0.5), or the hash is not the digest's length.
    fn sign_prehash(&mut self, _hash: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Err(CryptoError::IllegalUse)
    }
    /// `setInitialDigest`: the running hash resumes from an intermediate
    /// state (ILLEGAL_USE where the algorithm hashes nothing).
    fn set_initial_digest(&mut self, _state: &[u8], _count: u128) -> Result<(), CryptoError> {
        Err(CryptoError::IllegalUse)
    }
    /// `verifyPreComputedHash`: as `sign_prehash`.
    fn verify_prehash(&mut self, _hash: &[u8], _sig: &[u8]) -> Result<bool, CryptoError> {
        Err(CryptoError::IllegalUse)
    }
}

/// The engine for an algorithm's parts, if the card has it.
pub fn engine_for(a: Parts) -> Option<Box<dyn SignatureEngine>> {
    let mac_len = |c: u8| if c == sig_cipher::DES_MAC4 { 4 } else { 8 };
    Some(match (a.digest, a.cipher, a.pad) {
        (0, sig_cipher::DES_MAC4 | sig_cipher::DES_MAC8, pad) => {
            let (pad, alg3) = match pad {
                PAD_ISO9797_1_M1_ALG3 => (Pad::M1, true),
                PAD_ISO9797_1_M2_ALG3 => (Pad::M2, true),
                pad => (Pad::from_code(pad)?, false),
            };
            Box::new(CbcMac::new(Family::Des, pad, mac_len(a.cipher), alg3))
        }
        (0, sig_cipher::AES_MAC128, pad) => {
            Box::new(CbcMac::new(Family::Aes, Pad::from_code(pad)?, 16, false))
        }
        (0, sig_cipher::AES_CMAC128, PAD_NULL) => Box::new(Keyed::Cmac(None)),
        (1 | 4 | 5 | 6, sig_cipher::HMAC, PAD_NULL) => Box::new(Keyed::Hmac(a.digest, None)),
        (0, sig_cipher::ECDSA, PAD_NULL) => Box::new(super::ecapi::Ecdsa::prehashed()),
        (1, sig_cipher::ECDSA, PAD_NULL) => {
            Box::new(super::ecapi::Ecdsa::new(super::ec::Hash::Sha1))
        }
        (d, sig_cipher::RSA, pad @ (PAD_PKCS1 | PAD_PKCS1_PSS)) => {
            use super::rsa::{Hash, Padding};
            let hash = match d {
                1 => Hash::Sha1,
                7 => Hash::Sha224,
                4 => Hash::Sha256,
                5 => Hash::Sha384,
                6 => Hash::Sha512,
                _ => return None,
            };
            let padding = if pad == PAD_PKCS1 {
                Padding::Pkcs1
            } else {
                Padding::Pss
            };
            Box::new(super::rsaapi::RsaSig::new(hash, padding))
        }
        (4, sig_cipher::ECDSA, PAD_NULL) => {
            Box::new(super::ecapi::Ecdsa::new(super::ec::Hash::Sha256))
        }
        (5, sig_cipher::ECDSA, PAD_NULL) => {
            Box::new(super::ecapi::Ecdsa::new(super::ec::Hash::Sha384))
        }
        (6, sig_cipher::ECDSA, PAD_NULL) => {
            Box::new(super::ecapi::Ecdsa::new(super::ec::Hash::Sha512))
        }
        (7, sig_cipher::ECDSA, PAD_NULL) => {
            Box::new(super::ecapi::Ecdsa::new(super::ec::Hash::Sha224))
        }
        _ => return None,
    })
}

/// A CBC-MAC (ISO 9797-1 MAC algorithm 1, or 3 with `alg3`): the last
/// block of the CBC encryption of the padded message, truncated.
struct CbcMac {
    family: Family,
    pad: Pad,
    len: usize,
    alg3: bool,
    key: Vec<u8>,
    iv: Vec<u8>,
    chain: Option<Box<dyn Blocks>>,
    /// Input not yet a whole block.
    pending: Vec<u8>,
    /// The last ciphertext block.
    last: Vec<u8>,
    /// Whether any data came since `init` (method 1 pads an empty message
    /// to one block).
    seen: bool,
}

impl CbcMac {
    fn new(family: Family, pad: Pad, len: usize, alg3: bool) -> CbcMac {
        CbcMac {
            family,
            pad,
            len,
            alg3,
            key: Vec::new(),
            iv: Vec::new(),
            chain: None,
            pending: Vec::new(),
            last: Vec::new(),
            seen: false,
        }
    }

    /// The key the chain runs with: algorithm 3 chains with single DES
    /// under K1 and only its last block sees K2.
    fn chain_key(&self) -> &[u8] {
        if self.alg3 {
            self.key.get(..8).unwrap_or(&[])
        } else {
            &self.key
        }
    }

    fn restart(&mut self) -> Result<(), CryptoError> {
        self.chain = Some(blocks(
            self.family,
            self.chain_key(),
            Chaining::Cbc,
            true,
            &self.iv,
        )?);
        self.pending.clear();
        self.last = self.iv.clone();
        self.seen = false;
        Ok(())
    }

    /// Runs the whole blocks of `pending` through the chain.
    fn absorb(&mut self, keep_partial: bool) {
        let bs = self.family.block_len();
        let n = if keep_partial {
            self.pending.len() / bs * bs
        } else {
            self.pending.len()
        };
        if n == 0 {
            return;
        }
        let mut blk: Vec<u8> = self.pending.drain(..n).collect();
        if let Some(c) = self.chain.as_mut() {
            c.apply(&mut blk);
        }
        self.last = blk.split_off(n - bs);
    }
}

impl SignatureEngine for CbcMac {
    fn length(&self) -> usize {
        self.len
    }

    fn init(&mut self, key: &KeyMaterial, _mode: u8, iv: Option<&[u8]>) -> Result<(), CryptoError> {
        let bs = self.family.block_len();
        let k = key.secret();
        let key_ok =
            key.kind == self.family.key_kind() && (!self.alg3 || matches!(k.len(), 16 | 24));
        if !key_ok {
            return Err(CryptoError::IllegalValue);
        }
        self.iv = match iv {
            Some(iv) if iv.len() == bs => iv.to_vec(),
            Some(_) => return Err(CryptoError::IllegalValue),
            None => alloc::vec![0; bs],
        };
        self.key = k.to_vec();
        self.restart()
    }

    fn update(&mut self, data: &[u8]) -> Result<(), CryptoError> {
        self.seen |= !data.is_empty();
        self.pending.extend_from_slice(data);
        self.absorb(true);
        Ok(())
    }

    fn sign(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.update(data)?;
        let bs = self.family.block_len();
        // Whole blocks were chained as they came, so `pending` is the
        // message's tail: a non-empty message that ended on a block
        // boundary gets no method-1 padding (an empty one gets a block).
        let aligned_m1 = self.pad == Pad::M1 && self.seen && self.pending.is_empty();
        if !aligned_m1 {
            let r = self.pad.apply(&mut self.pending, bs);
            if let Err(e) = r {
                self.restart()?;
                return Err(e);
            }
            self.absorb(false);
        }
        let mut mac = core::mem::take(&mut self.last);
        if self.alg3 {
            // Output transformation 3: decrypt under K2, encrypt under K1.
            let k2 = self.key.get(8..16).ok_or(CryptoError::IllegalValue)?;
            blocks(Family::Des, k2, Chaining::Ecb, false, &[])?.apply(&mut mac);
            blocks(Family::Des, self.chain_key(), Chaining::Ecb, true, &[])?.apply(&mut mac);
        }
        mac.truncate(self.len);
        self.restart()?;
        Ok(mac)
    }
}

/// The MACs RustCrypto offers whole (`Mac` with reset): AES-CMAC over any
/// AES key length, HMAC over the hash with this `MessageDigest.ALG_*`.
enum Keyed {
    Cmac(Option<KeyedMac>),
    Hmac(u8, Option<KeyedMac>),
}

enum KeyedMac {
    Cmac128(cmac::Cmac<aes::Aes128>),
    Cmac192(cmac::Cmac<aes::Aes192>),
    Cmac256(cmac::Cmac<aes::Aes256>),
    Sha1(hmac::Hmac<sha1::Sha1>),
    Sha256(hmac::Hmac<sha2::Sha256>),
    Sha384(hmac::Hmac<sha2::Sha384>),
    Sha512(hmac::Hmac<sha2::Sha512>),
}

macro_rules! each_mac {
    ($m:expr, $v:ident => $e:expr) => {
        match $m {
            KeyedMac::Cmac128($v) => $e,
            KeyedMac::Cmac192($v) => $e,
            KeyedMac::Cmac256($v) => $e,
            KeyedMac::Sha1($v) => $e,
            KeyedMac::Sha256($v) => $e,
            KeyedMac::Sha384($v) => $e,
            KeyedMac::Sha512($v) => $e,
        }
    };
}

impl Keyed {
    fn mac(&mut self) -> Result<&mut KeyedMac, CryptoError> {
        match self {
            Keyed::Cmac(m) | Keyed::Hmac(_, m) => m.as_mut().ok_or(CryptoError::InvalidInit),
        }
    }
}

impl SignatureEngine for Keyed {
    fn length(&self) -> usize {
        match self {
            Keyed::Cmac(_) => 16,
            Keyed::Hmac(1, _) => 20,
            Keyed::Hmac(4, _) => 32,
            Keyed::Hmac(5, _) => 48,
            Keyed::Hmac(_, _) => 64,
        }
    }

    fn init(
        &mut self,
        key: &KeyMaterial,
        _mode: u8,
        param: Option<&[u8]>,
    ) -> Result<(), CryptoError> {
        // Neither takes an IV.
        if param.is_some() {
            return Err(CryptoError::IllegalValue);
        }
        let k = key.secret();
        let bad = |_| CryptoError::IllegalValue;
        match self {
            Keyed::Cmac(m) if key.kind == KeyKind::Aes => {
                *m = Some(match k.len() {
                    16 => KeyedMac::Cmac128(Mac::new_from_slice(k).map_err(bad)?),
                    24 => KeyedMac::Cmac192(Mac::new_from_slice(k).map_err(bad)?),
                    _ => KeyedMac::Cmac256(Mac::new_from_slice(k).map_err(bad)?),
                });
            }
            Keyed::Hmac(d, m) if key.kind == KeyKind::Hmac => {
                *m = Some(match *d {
                    1 => KeyedMac::Sha1(Mac::new_from_slice(k).map_err(bad)?),
                    4 => KeyedMac::Sha256(Mac::new_from_slice(k).map_err(bad)?),
                    5 => KeyedMac::Sha384(Mac::new_from_slice(k).map_err(bad)?),
                    _ => KeyedMac::Sha512(Mac::new_from_slice(k).map_err(bad)?),
                });
            }
            _ => return Err(CryptoError::IllegalValue),
        }
        Ok(())
    }

    fn update(&mut self, data: &[u8]) -> Result<(), CryptoError> {
        each_mac!(self.mac()?, m => m.update(data));
        Ok(())
    }

    fn sign(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let m = self.mac()?;
        Ok(each_mac!(m, m => {
            m.update(data);
            m.finalize_reset().into_bytes().to_vec()
        }))
    }
}

/// A Signature object's state.
pub struct Signer {
    pub parts: Parts,
    /// MODE_SIGN / MODE_VERIFY once initialized.
    mode: Option<u8>,
    engine: Box<dyn SignatureEngine>,
}

impl Signer {
    /// A Signature as `getInstance` makes it (not initialized).
    pub fn new(parts: Parts) -> Option<Signer> {
        Some(Signer {
            parts,
            mode: None,
            engine: engine_for(parts)?,
        })
    }
}

impl<N: Nvm> Card<N> {
    /// `Signature.getInstance(byte algorithm, boolean externalAccess)`.
    pub(crate) fn sig_get_instance(&mut self, alg: u8, external: bool) -> Result<Ref, Exc> {
        let parts = ALGS.iter().find(|(a, _)| *a == alg).map(|&(_, p)| p);
        self.sig_new(alg, parts, external)
    }

    /// `Signature.getInstance(byte messageDigestAlgorithm, byte
    /// cipherAlgorithm, byte paddingAlgorithm, boolean externalAccess)`.
    pub(crate) fn sig_get_instance_parts(
        &mut self,
        parts: Parts,
        external: bool,
    ) -> Result<Ref, Exc> {
        let alg = ALGS
            .iter()
            .find(|(_, p)| *p == parts)
            .map_or(0, |&(a, _)| a);
        self.sig_new(alg, Some(parts), external)
    }

    fn sig_new(&mut self, alg: u8, parts: Option<Parts>, external: bool) -> Result<Ref, Exc> {
        // Objects other contexts may use (externalAccess) are not offered.
        let made = parts
            .filter(|_| !external)
            .and_then(|p| Some((p, engine_for(p)?)));
        let Some((parts, engine)) = made else {
            return Err(self.crypto_exc(super::reason::NO_SUCH_ALGORITHM));
        };
        let s = Signer {
            parts,
            mode: None,
            engine,
        };
        let r = self.new_engine(tok::SIGNATURE, alg, Engine::Signature(s))?;
        let cells = [
            u16::from(parts.digest) << 8 | u16::from(parts.cipher),
            u16::from(parts.pad),
        ];
        self.set_engine_parts(r, &cells)?;
        Ok(r)
    }

    fn signer(&mut self, this: Ref) -> Result<&mut Signer, Exc> {
        match self.engine(this)? {
            Engine::Signature(s) => Ok(s),
            _ => Err(Exc::Fault(crate::error::Fault::Corrupt("not a Signature"))),
        }
    }

    /// Runs `f` on the Signature's state; a CryptoError becomes the
    /// exception.
    fn with_signer<T>(
        &mut self,
        this: Ref,
        f: impl FnOnce(&mut Signer) -> Result<T, CryptoError>,
    ) -> Result<T, Exc> {
        let r = f(self.signer(this)?);
        r.map_err(|e| self.crypto_exc(e.reason()))
    }

    /// `init(Key theKey, byte theMode)` and `init(Key, byte, byte[] bArray,
    /// short bOff, short bLen)` (`param`).
    pub(crate) fn sig_init(
        &mut self,
        this: Ref,
        key: Ref,
        mode: u8,
        param: Option<(Ref, i16, i16)>,
    ) -> Result<(), Exc> {
        self.signer(this)?;
        if mode != MODE_SIGN && mode != MODE_VERIFY {
            return Err(self.crypto_exc(super::reason::ILLEGAL_VALUE));
        }
        let needs_rng = self.signer(this)?.engine.needs_rng();
        let (m, param, rng) = self.init_args(key, param, needs_rng)?;
        self.with_signer(this, |s| {
            if let Some(g) = rng {
                s.engine.set_rng(g);
            }
            s.mode = None;
            s.engine.init(&m, mode, param.as_deref())?;
            s.mode = Some(mode);
            Ok(())
        })
    }

    /// `getLength()`.
    pub(crate) fn sig_length(&mut self, this: Ref) -> Result<i16, Exc> {
        Ok(self.signer(this)?.engine.length() as i16)
    }

    /// The parts (`getMessageDigestAlgorithm`...).
    pub(crate) fn sig_parts(&mut self, this: Ref) -> Result<Parts, Exc> {
        Ok(self.signer(this)?.parts)
    }

    /// `update(byte[] inBuff, short inOffset, short inLength)`.
    pub(crate) fn sig_update(
        &mut self,
        this: Ref,
        (a, off, len): (Ref, i16, i16),
    ) -> Result<(), Exc> {
        let data = self.bytes_in(a, off, len)?;
        self.with_signer(this, |s| {
            s.mode.ok_or(CryptoError::InvalidInit)?;
            s.engine.update(&data)
        })
    }

    /// `sign(inBuff, inOffset, inLength, sigBuff, sigOffset)`: the length.
    pub(crate) fn sig_sign(
        &mut self,
        this: Ref,
        (a, off, len): (Ref, i16, i16),
        (out, out_off): (Ref, i16),
    ) -> Result<i16, Exc> {
        let data = self.bytes_in(a, off, len)?;
        // The output range is checked first: an out-of-bounds call leaves
        // the message in progress as it was.
        let e = &self.signer(this)?.engine;
        let n = if e.fixed_length() {
            e.length() as i16
        } else {
            0
        };
        self.byte_range(out, out_off, n)?;
        let mac = self.with_signer(this, |s| {
            if s.mode != Some(MODE_SIGN) {
                return Err(CryptoError::InvalidInit);
            }
            s.engine.sign(&data)
        })?;
        self.bytes_out(out, out_off, &mac)?;
        Ok(mac.len() as i16)
    }

    /// `signPreComputedHash(hashBuff, hashOffset, hashLength, sigBuff,
    /// sigOffset)`: the length.
    pub(crate) fn sig_sign_prehash(
        &mut self,
        this: Ref,
        (a, off, len): (Ref, i16, i16),
        (out, out_off): (Ref, i16),
    ) -> Result<i16, Exc> {
        let hash = self.bytes_in(a, off, len)?;
        self.byte_range(out, out_off, 0)?;
        let sig = self.with_signer(this, |s| {
            if s.mode != Some(MODE_SIGN) {
                return Err(CryptoError::InvalidInit);
            }
            s.engine.sign_prehash(&hash)
        })?;
        self.bytes_out(out, out_off, &sig)?;
        Ok(sig.len() as i16)
    }

    /// `setInitialDigest(initialDigestBuf, initialDigestOffset,
    /// initialDigestLength, digestedMsgLenBuf, digestedMsgLenOffset,
    /// digestedMsgLenLength)`.
    pub(crate) fn sig_set_initial(
        &mut self,
        this: Ref,
        (a, off, len): (Ref, i16, i16),
        (c, c_off, c_len): (Ref, i16, i16),
    ) -> Result<(), Exc> {
        let state = self.bytes_in(a, off, len)?;
        let count = self.bytes_in(c, c_off, c_len)?;
        self.with_signer(this, |s| {
            if s.mode.is_none() {
                return Err(CryptoError::InvalidInit);
            }
            let count = super::initdigest::byte_count(&count)?;
            s.engine.set_initial_digest(&state, count)
        })
    }

    /// `verifyPreComputedHash(hashBuff, hashOffset, hashLength, sigBuff,
    /// sigOffset, sigLength)`.
    pub(crate) fn sig_verify_prehash(
        &mut self,
        this: Ref,
        (a, off, len): (Ref, i16, i16),
        (sig, sig_off, sig_len): (Ref, i16, i16),
    ) -> Result<bool, Exc> {
        let hash = self.bytes_in(a, off, len)?;
        let sig = self.bytes_in(sig, sig_off, sig_len)?;
        self.with_signer(this, |s| {
            if s.mode != Some(MODE_VERIFY) {
                return Err(CryptoError::InvalidInit);
            }
            s.engine.verify_prehash(&hash, &sig)
        })
    }

    /// `verify(inBuff, inOffset, inLength, sigBuff, sigOffset, sigLength)`.
    pub(crate) fn sig_verify(
        &mut self,
        this: Ref,
        (a, off, len): (Ref, i16, i16),
        (sig, sig_off, sig_len): (Ref, i16, i16),
    ) -> Result<bool, Exc> {
        let data = self.bytes_in(a, off, len)?;
        let sig = self.bytes_in(sig, sig_off, sig_len)?;
        self.with_signer(this, |s| {
            if s.mode != Some(MODE_VERIFY) {
                return Err(CryptoError::InvalidInit);
            }
            s.engine.verify(&data, &sig)
        })
    }
}
