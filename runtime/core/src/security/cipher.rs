//! `javacardx.crypto.Cipher` (JC 3.0.5). As for Signature, the object keeps
//! its algorithm in cell 0 and its state in RAM: a [`Ciph`] with the
//! algorithm's parts, the mode, and a [`CipherEngine`].
//!
//! Symmetric engines here: DES / triple DES / AES in ECB and CBC with
//! no padding, ISO 9797-1 methods 1 and 2, and PKCS#5. RSA ciphers are
//! further `CipherEngine`s: a row in [`ALGS`] and an arm in [`engine_for`].

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::aead::{self, Aead, Mode as AeadMode};
use super::block::{blocks, Blocks, Chaining, Family, Pad};
use super::key::KeyMaterial;
use super::{CryptoError, Engine};
use crate::api_tables::CRYPTO;
use crate::card::Card;
use crate::heap::Ref;
use crate::interp::Exc;
use crate::nvm::Nvm;

/// Class token of javacardx.crypto.Cipher.
pub const CIPHER: u8 = 1;

pub const MODE_DECRYPT: u8 = 1;
pub const MODE_ENCRYPT: u8 = 2;

/// `Cipher.CIPHER_*`.
pub mod cipher_alg {
    pub const AES_CBC: u8 = 1;
    pub const AES_ECB: u8 = 2;
    pub const DES_CBC: u8 = 3;
    pub const DES_ECB: u8 = 4;
    pub const RSA: u8 = 7;
}

/// `Cipher.PAD_*` of the RSA ciphers.
const PAD_NOPAD: u8 = 1;
const PAD_PKCS1: u8 = 7;
const PAD_PKCS1_OAEP: u8 = 9;

/// `Cipher.ALG_*` the card has, with (cipher, padding) parts. The
/// ALG_AES_BLOCK_192/256 ones are Rijndael with longer blocks, not AES:
/// not offered.
pub static ALGS: &[(u8, (u8, u8))] = &[
    (1, (cipher_alg::DES_CBC, 1)),           // ALG_DES_CBC_NOPAD
    (2, (cipher_alg::DES_CBC, 2)),           // ALG_DES_CBC_ISO9797_M1
    (3, (cipher_alg::DES_CBC, 3)),           // ALG_DES_CBC_ISO9797_M2
    (4, (cipher_alg::DES_CBC, 6)),           // ALG_DES_CBC_PKCS5
    (5, (cipher_alg::DES_ECB, 1)),           // ALG_DES_ECB_NOPAD
    (6, (cipher_alg::DES_ECB, 2)),           // ALG_DES_ECB_ISO9797_M1
    (7, (cipher_alg::DES_ECB, 3)),           // ALG_DES_ECB_ISO9797_M2
    (8, (cipher_alg::DES_ECB, 6)),           // ALG_DES_ECB_PKCS5
    (13, (cipher_alg::AES_CBC, 1)),          // ALG_AES_BLOCK_128_CBC_NOPAD
    (14, (cipher_alg::AES_ECB, 1)),          // ALG_AES_BLOCK_128_ECB_NOPAD
    (22, (cipher_alg::AES_CBC, 2)),          // ALG_AES_CBC_ISO9797_M1
    (23, (cipher_alg::AES_CBC, 3)),          // ALG_AES_CBC_ISO9797_M2
    (24, (cipher_alg::AES_CBC, 6)),          // ALG_AES_CBC_PKCS5
    (25, (cipher_alg::AES_ECB, 2)),          // ALG_AES_ECB_ISO9797_M1
    (26, (cipher_alg::AES_ECB, 3)),          // ALG_AES_ECB_ISO9797_M2
    (27, (cipher_alg::AES_ECB, 6)),          // ALG_AES_ECB_PKCS5
    (10, (cipher_alg::RSA, PAD_PKCS1)),      // ALG_RSA_PKCS1
    (12, (cipher_alg::RSA, PAD_NOPAD)),      // ALG_RSA_NOPAD
    (15, (cipher_alg::RSA, PAD_PKCS1_OAEP)), // ALG_RSA_PKCS1_OAEP
    (aead::ALG_AES_GCM, (aead::CIPHER_AES_GCM, aead::PAD_NULL)),
    (aead::ALG_AES_CCM, (aead::CIPHER_AES_CCM, aead::PAD_NULL)),
];

/// The cryptography of one Cipher algorithm; `Ciph` checks the call order.
pub trait CipherEngine {
    /// Takes the key (ILLEGAL_VALUE for the wrong kind), the mode and the
    /// optional `init` parameter (the IV); starts over.
    fn init(
        &mut self,
        key: &KeyMaterial,
        mode: u8,
        param: Option<&[u8]>,
    ) -> Result<(), CryptoError>;
    /// How many bytes `update` of `n` more bytes writes (its output range
    /// is checked before anything changes).
    fn update_len(&self, n: usize) -> usize;
    fn update(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError>;
    /// The rest of the output; the engine is then as `init` left it.
    fn do_final(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError>;
    /// Whether the engine draws random numbers (RSA padding and blinding):
    /// then `cipher_init` hands it a generator.
    fn needs_rng(&self) -> bool {
        false
    }
    fn set_rng(&mut self, _g: super::random::Generator) {}
    /// The AEAD state, for AEADCipher's own methods.
    fn aead(&self) -> Option<&super::aead::Aead> {
        None
    }
    fn aead_mut(&mut self) -> Option<&mut super::aead::Aead> {
        None
    }
}

/// The engine for `(cipher, padding)`, if the card has it.
pub fn engine_for(cipher: u8, pad: u8) -> Option<Box<dyn CipherEngine>> {
    match (cipher, pad) {
        (aead::CIPHER_AES_GCM, aead::PAD_NULL) => return Some(Box::new(Aead::new(AeadMode::Gcm))),
        (aead::CIPHER_AES_CCM, aead::PAD_NULL) => return Some(Box::new(Aead::new(AeadMode::Ccm))),
        _ => {}
    }
    if cipher == cipher_alg::RSA {
        let scheme = match pad {
            PAD_NOPAD => super::rsa::Scheme::NoPad,
            PAD_PKCS1 => super::rsa::Scheme::Pkcs1,
            PAD_PKCS1_OAEP => super::rsa::Scheme::OaepSha1,
            _ => return None,
        };
        return Some(Box::new(super::rsaapi::RsaCipher::new(scheme)));
    }
    let (family, chaining) = match cipher {
        cipher_alg::AES_CBC => (Family::Aes, Chaining::Cbc),
        cipher_alg::AES_ECB => (Family::Aes, Chaining::Ecb),
        cipher_alg::DES_CBC => (Family::Des, Chaining::Cbc),
        cipher_alg::DES_ECB => (Family::Des, Chaining::Ecb),
        _ => return None,
    };
    Some(Box::new(BlockMode {
        family,
        chaining,
        pad: Pad::from_code(pad)?,
        encrypt: true,
        key: Vec::new(),
        iv: Vec::new(),
        state: None,
        pending: Vec::new(),
        seen: false,
    }))
}

struct BlockMode {
    family: Family,
    chaining: Chaining,
    pad: Pad,
    encrypt: bool,
    key: Vec<u8>,
    iv: Vec<u8>,
    state: Option<Box<dyn Blocks>>,
    /// Input not yet processed: less than a block, or (decrypting with a
    /// padding to remove) the last whole block too.
    pending: Vec<u8>,
    seen: bool,
}

impl BlockMode {
    fn restart(&mut self) -> Result<(), CryptoError> {
        self.state = Some(blocks(
            self.family,
            &self.key,
            self.chaining,
            self.encrypt,
            &self.iv,
        )?);
        self.pending.clear();
        self.seen = false;
        Ok(())
    }

    /// Bytes of `have` buffered input that `update` processes now.
    fn ready(&self, have: usize) -> usize {
        let bs = self.family.block_len();
        let mut n = have / bs * bs;
        if !self.encrypt && self.pad.strips() && n == have && n > 0 {
            n -= bs;
        }
        n
    }

    fn run(&mut self, mut blk: Vec<u8>) -> Result<Vec<u8>, CryptoError> {
        self.state
            .as_mut()
            .ok_or(CryptoError::InvalidInit)?
            .apply(&mut blk);
        Ok(blk)
    }
}

impl CipherEngine for BlockMode {
    fn init(&mut self, key: &KeyMaterial, mode: u8, iv: Option<&[u8]>) -> Result<(), CryptoError> {
        let bs = self.family.block_len();
        if key.kind != self.family.key_kind() {
            return Err(CryptoError::IllegalValue);
        }
        self.iv = match (self.chaining, iv) {
            (Chaining::Cbc, Some(iv)) if iv.len() == bs => iv.to_vec(),
            (Chaining::Cbc, None) => alloc::vec![0; bs],
            (Chaining::Ecb, None) => Vec::new(),
            // ECB takes no IV.
            _ => return Err(CryptoError::IllegalValue),
        };
        self.encrypt = mode == MODE_ENCRYPT;
        self.key = key.secret().to_vec();
        self.restart()
    }

    fn update_len(&self, n: usize) -> usize {
        self.ready(self.pending.len() + n)
    }

    fn update(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.seen |= !data.is_empty();
        self.pending.extend_from_slice(data);
        let n = self.ready(self.pending.len());
        let blk: Vec<u8> = self.pending.drain(..n).collect();
        self.run(blk)
    }

    fn do_final(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut out = self.update(data)?;
        let bs = self.family.block_len();
        let mut tail = core::mem::take(&mut self.pending);
        let r = if self.encrypt {
            // Method 1 adds nothing to a non-empty message that ended on a
            // block boundary (its whole blocks are already out).
            let aligned_m1 = self.pad == Pad::M1 && self.seen && tail.is_empty();
            let padded = if aligned_m1 {
                Ok(())
            } else {
                self.pad.apply(&mut tail, bs)
            };
            padded.and_then(|()| self.run(tail))
        } else if !tail.len().is_multiple_of(bs) {
            Err(CryptoError::IllegalUse)
        } else {
            self.run(tail)
                .and_then(|mut t| self.pad.strip(&mut t, bs).map(|()| t))
        };
        self.restart()?;
        out.extend_from_slice(&r?);
        Ok(out)
    }
}

/// A Cipher object's state.
pub struct Ciph {
    pub cipher: u8,
    pub pad: u8,
    mode: Option<u8>,
    engine: Box<dyn CipherEngine>,
}

impl Ciph {
    /// A Cipher as `getInstance` makes it (not initialized).
    pub fn new(cipher: u8, pad: u8) -> Option<Ciph> {
        Some(Ciph {
            cipher,
            pad,
            mode: None,
            engine: engine_for(cipher, pad)?,
        })
    }

    /// Whether this is an AEAD cipher (an `AEADCipher` object).
    pub fn is_aead(&self) -> bool {
        self.engine.aead().is_some()
    }

    pub(crate) fn set_mode(&mut self, mode: Option<u8>) {
        self.mode = mode;
    }

    pub(crate) fn aead(&self) -> Option<&Aead> {
        self.engine.aead()
    }

    pub(crate) fn aead_mut(&mut self) -> Option<&mut Aead> {
        self.engine.aead_mut()
    }
}

impl<N: Nvm> Card<N> {
    /// `Cipher.getInstance(byte algorithm, boolean externalAccess)`.
    pub(crate) fn cipher_get_instance(&mut self, alg: u8, external: bool) -> Result<Ref, Exc> {
        let parts = ALGS.iter().find(|(a, _)| *a == alg).map(|&(_, p)| p);
        self.cipher_new(alg, parts, external)
    }

    /// `Cipher.getInstance(byte cipherAlgorithm, byte paddingAlgorithm,
    /// boolean externalAccess)`.
    pub(crate) fn cipher_get_instance_parts(
        &mut self,
        cipher: u8,
        pad: u8,
        external: bool,
    ) -> Result<Ref, Exc> {
        let alg = ALGS
            .iter()
            .find(|(_, p)| *p == (cipher, pad))
            .map_or(0, |&(a, _)| a);
        self.cipher_new(alg, Some((cipher, pad)), external)
    }

    fn cipher_new(&mut self, alg: u8, parts: Option<(u8, u8)>, external: bool) -> Result<Ref, Exc> {
        let made = parts
            .filter(|_| !external)
            .and_then(|(c, p)| Some((c, p, engine_for(c, p)?)));
        let Some((cipher, pad, engine)) = made else {
            return Err(self.crypto_exc(super::reason::NO_SUCH_ALGORITHM));
        };
        // GCM and CCM objects are AEADCipher instances.
        let class = if engine.aead().is_some() {
            aead::AEAD_CIPHER
        } else {
            CIPHER
        };
        let c = Ciph {
            cipher,
            pad,
            mode: None,
            engine,
        };
        let r = self.new_engine_in(CRYPTO, class, alg, Engine::Cipher(c))?;
        self.set_engine_parts(r, &[u16::from(cipher) << 8 | u16::from(pad)])?;
        Ok(r)
    }

    fn ciph(&mut self, this: Ref) -> Result<&mut Ciph, Exc> {
        match self.engine(this)? {
            Engine::Cipher(c) => Ok(c),
            _ => Err(Exc::Fault(crate::error::Fault::Corrupt("not a Cipher"))),
        }
    }

    fn with_ciph<T>(
        &mut self,
        this: Ref,
        f: impl FnOnce(&mut Ciph) -> Result<T, CryptoError>,
    ) -> Result<T, Exc> {
        let r = f(self.ciph(this)?);
        r.map_err(|e| self.crypto_exc(e.reason()))
    }

    /// `(cipher, padding)` of `this` (`getCipherAlgorithm`...).
    pub(crate) fn cipher_parts(&mut self, this: Ref) -> Result<(u8, u8), Exc> {
        let c = self.ciph(this)?;
        Ok((c.cipher, c.pad))
    }

    /// `init(Key theKey, byte theMode)` and `init(Key, byte, byte[] bArray,
    /// short bOff, short bLen)` (`param`).
    pub(crate) fn cipher_init(
        &mut self,
        this: Ref,
        key: Ref,
        mode: u8,
        param: Option<(Ref, i16, i16)>,
    ) -> Result<(), Exc> {
        self.ciph(this)?;
        if mode != MODE_ENCRYPT && mode != MODE_DECRYPT {
            return Err(self.crypto_exc(super::reason::ILLEGAL_VALUE));
        }
        let needs_rng = self.ciph(this)?.engine.needs_rng();
        let (m, param, rng) = self.init_args(key, param, needs_rng)?;
        self.with_ciph(this, |c| {
            if let Some(g) = rng {
                c.engine.set_rng(g);
            }
            c.mode = None;
            c.engine.init(&m, mode, param.as_deref())?;
            c.mode = Some(mode);
            Ok(())
        })
    }

    /// `update(inBuff, inOffset, inLength, outBuff, outOffset)`: bytes out.
    pub(crate) fn cipher_update(
        &mut self,
        this: Ref,
        (a, off, len): (Ref, i16, i16),
        (out, out_off): (Ref, i16),
    ) -> Result<i16, Exc> {
        let data = self.bytes_in(a, off, len)?;
        let n = self.with_ciph(this, |c| {
            c.mode.ok_or(CryptoError::InvalidInit)?;
            Ok(c.engine.update_len(data.len()))
        })?;
        let n = i16::try_from(n).map_err(|_| self.crypto_exc(super::reason::ILLEGAL_USE))?;
        self.byte_range(out, out_off, n)?;
        let bytes = self.with_ciph(this, |c| c.engine.update(&data))?;
        self.bytes_out(out, out_off, &bytes)?;
        Ok(bytes.len() as i16)
    }

    /// `doFinal(inBuff, inOffset, inLength, outBuff, outOffset)`.
    pub(crate) fn cipher_do_final(
        &mut self,
        this: Ref,
        (a, off, len): (Ref, i16, i16),
        (out, out_off): (Ref, i16),
    ) -> Result<i16, Exc> {
        let data = self.bytes_in(a, off, len)?;
        if out == crate::heap::NULL {
            return Err(self.npe());
        }
        let bytes = self.with_ciph(this, |c| {
            c.mode.ok_or(CryptoError::InvalidInit)?;
            c.engine.do_final(&data)
        })?;
        self.bytes_out(out, out_off, &bytes)?;
        Ok(bytes.len() as i16)
    }
}
