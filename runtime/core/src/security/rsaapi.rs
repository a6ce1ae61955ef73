//! The RSA functions of [`super::rsa`] as Java Card objects: the setters
//! and getters of `RSAPublicKey`, `RSAPrivateKey` and `RSAPrivateCrtKey`,
//! the PKCS #1 v1.5 `Signature` engines, the `ALG_RSA_PKCS1` /
//! `ALG_RSA_PKCS1_OAEP` / `ALG_RSA_NOPAD` `Cipher` engines, and key
//! generation for `KeyPair(ALG_RSA / ALG_RSA_CRT)`.
//!
//! Engines build the crate's key once, at `init` (a CRT key costs about
//! 6 M instructions to build, as much as a tenth of a signature), and keep
//! it until the next `init`.

use alloc::vec::Vec;

use ::rsa::traits::PublicKeyParts;
use ::rsa::RsaPublicKey;

use super::cipher::{CipherEngine, MODE_ENCRYPT};
use super::key::{rsa_part, KeyKind, KeyMaterial};
use super::random::Generator;
use super::rsa::{self as rs, RsaError};
use super::signature::{SignatureEngine, MODE_SIGN};
use super::{reason, CryptoError};
use crate::card::Card;
use crate::heap::Ref;
use crate::interp::Exc;
use crate::nvm::Nvm;

/// `KeyPair.ALG_RSA` and `ALG_RSA_CRT`.
pub const KEYPAIR_RSA: u8 = 1;
pub const KEYPAIR_RSA_CRT: u8 = 2;

impl From<RsaError> for CryptoError {
    fn from(e: RsaError) -> CryptoError {
        match e.reason() {
            reason::ILLEGAL_USE => CryptoError::IllegalUse,
            _ => CryptoError::IllegalValue,
        }
    }
}

/// A key as the crate uses it, built at `init`.
enum Built {
    None,
    Public(RsaPublicKey),
    // Boxed: a private key with its CRT values is several times a public
    // one.
    Private(alloc::boxed::Box<rs::PrivateKey>),
}

impl Built {
    /// The crate's key from a key object's material; ILLEGAL_VALUE for
    /// components that make no RSA key.
    fn from_material(key: &KeyMaterial) -> Result<Built, CryptoError> {
        let part = |i: usize| key.parts.get(i).map_or(&[][..], |p| p.as_slice());
        Ok(match key.kind {
            KeyKind::RsaPublic => Built::Public(
                rs::public_key(part(rsa_part::MODULUS), part(rsa_part::EXPONENT))
                    .map_err(|_| CryptoError::IllegalValue)?,
            ),
            KeyKind::RsaPrivate => Built::Private(alloc::boxed::Box::new(
                rs::private_key(part(rsa_part::MODULUS), part(rsa_part::EXPONENT))
                    .map_err(|_| CryptoError::IllegalValue)?,
            )),
            KeyKind::RsaCrtPrivate => Built::Private(alloc::boxed::Box::new(
                rs::crt_private_key(
                    part(rsa_part::P),
                    part(rsa_part::Q),
                    part(rsa_part::DP1),
                    part(rsa_part::DQ1),
                    part(rsa_part::PQ),
                )
                .map_err(|_| CryptoError::IllegalValue)?,
            )),
            _ => return Err(CryptoError::IllegalValue),
        })
    }

    /// The modulus length in bytes (0 before `init`).
    fn size(&self) -> usize {
        match self {
            Built::None => 0,
            Built::Public(k) => k.size(),
            Built::Private(k) => k.size(),
        }
    }
}

/// `ALG_RSA_SHA_PKCS1` / `ALG_RSA_SHA_256_PKCS1`.
pub struct RsaSig {
    hash: rs::Hash,
    padding: rs::Padding,
    /// The message so far (the crate signs a digest; the digest is taken
    /// at the end, as `ec` does for ECDSA).
    hasher: super::digest::Hasher,
    key: Built,
    rng: Option<Generator>,
}

impl RsaSig {
    pub fn new(hash: rs::Hash, padding: rs::Padding) -> RsaSig {
        RsaSig {
            hash,
            padding,
            hasher: hash.hasher(),
            key: Built::None,
            rng: None,
        }
    }
}

impl SignatureEngine for RsaSig {
    fn length(&self) -> usize {
        self.key.size()
    }

    fn needs_rng(&self) -> bool {
        true
    }

    fn set_rng(&mut self, g: Generator) {
        self.rng = Some(g);
    }

    fn init(
        &mut self,
        key: &KeyMaterial,
        mode: u8,
        param: Option<&[u8]>,
    ) -> Result<(), CryptoError> {
        let private = matches!(key.kind, KeyKind::RsaPrivate | KeyKind::RsaCrtPrivate);
        let public = key.kind == KeyKind::RsaPublic;
        // A private key signs, a public key verifies; no parameter.
        if param.is_some() || !(if mode == MODE_SIGN { private } else { public }) {
            return Err(CryptoError::IllegalValue);
        }
        self.key = Built::None;
        self.key = Built::from_material(key)?;
        self.hasher = self.hash.hasher();
        Ok(())
    }

    fn update(&mut self, data: &[u8]) -> Result<(), CryptoError> {
        self.hasher.update(data);
        Ok(())
    }

    fn sign(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.hasher.update(data);
        let h = self.hasher.finish();
        self.sign_prehash(&h)
    }

    fn verify(&mut self, data: &[u8], sig: &[u8]) -> Result<bool, CryptoError> {
        self.hasher.update(data);
        let h = self.hasher.finish();
        match &self.key {
            Built::Public(k) => Ok(rs::verify_prehash(k, self.hash, self.padding, &h, sig)?),
            _ => Err(CryptoError::InvalidInit),
        }
    }

    fn sign_prehash(&mut self, hash: &[u8]) -> Result<Vec<u8>, CryptoError> {
        // JC 3.0.5 signPreComputedHash: a hash of another length than the
        // digest's is ILLEGAL_USE.
        self.hasher = self.hash.hasher();
        if hash.len() != self.hash.digest_len() {
            return Err(CryptoError::IllegalUse);
        }
        match (&self.key, self.rng.as_mut()) {
            (Built::Private(k), Some(g)) => {
                Ok(rs::sign_prehash(k, self.hash, self.padding, hash, g.rng())?)
            }
            _ => Err(CryptoError::InvalidInit),
        }
    }

    fn set_initial_digest(&mut self, state: &[u8], count: u128) -> Result<(), CryptoError> {
        self.hasher = self.hash.hasher().resumed(state, count)?;
        Ok(())
    }

    fn verify_prehash(&mut self, hash: &[u8], sig: &[u8]) -> Result<bool, CryptoError> {
        self.hasher = self.hash.hasher();
        if hash.len() != self.hash.digest_len() {
            return Err(CryptoError::IllegalUse);
        }
        match &self.key {
            Built::Public(k) => Ok(rs::verify_prehash(k, self.hash, self.padding, hash, sig)?),
            _ => Err(CryptoError::InvalidInit),
        }
    }
}

/// `ALG_RSA_PKCS1`, `ALG_RSA_PKCS1_OAEP`, `ALG_RSA_NOPAD`: one block per
/// `doFinal` (`update` only gathers input).
pub struct RsaCipher {
    scheme: rs::Scheme,
    encrypt: bool,
    key: Built,
    pending: Vec<u8>,
    rng: Option<Generator>,
}

impl RsaCipher {
    pub fn new(scheme: rs::Scheme) -> RsaCipher {
        RsaCipher {
            scheme,
            encrypt: true,
            key: Built::None,
            pending: Vec::new(),
            rng: None,
        }
    }

    fn run(&mut self, input: &[u8]) -> Result<Vec<u8>, RsaError> {
        let Some(g) = self.rng.as_mut() else {
            return Err(RsaError::InvalidKey);
        };
        let rng = g.rng();
        match (&self.key, self.encrypt, self.scheme) {
            (Built::Public(k), true, s) => rs::encrypt(k, s, input, rng),
            (Built::Private(k), false, s) => rs::decrypt(k, s, input, rng),
            // The other direction of each key: a private key's PKCS #1
            // block type 1 (what a signature is) and raw RSA both ways.
            (Built::Private(k), true, rs::Scheme::Pkcs1) => {
                rs::encrypt_private_pkcs1(k, input, rng)
            }
            (Built::Private(k), true, rs::Scheme::NoPad) => rs::raw_private(k, input, rng),
            (Built::Public(k), false, rs::Scheme::NoPad) => rs::raw_public(k, input),
            _ => Err(RsaError::InvalidKey),
        }
    }
}

impl CipherEngine for RsaCipher {
    fn init(
        &mut self,
        key: &KeyMaterial,
        mode: u8,
        param: Option<&[u8]>,
    ) -> Result<(), CryptoError> {
        if param.is_some() {
            return Err(CryptoError::IllegalValue);
        }
        let encrypt = mode == MODE_ENCRYPT;
        let public = key.kind == KeyKind::RsaPublic;
        // Directions the card has no scheme for (decrypting a PKCS #1 or
        // OAEP block with the public key, OAEP with the private key) are
        // keys inconsistent with the mode: ILLEGAL_VALUE, as init says.
        let supported = match self.scheme {
            rs::Scheme::NoPad => true,
            rs::Scheme::Pkcs1 => encrypt || !public,
            rs::Scheme::OaepSha1 => encrypt == public,
        };
        if !supported {
            return Err(CryptoError::IllegalValue);
        }
        self.key = Built::None;
        self.key = Built::from_material(key)?;
        self.encrypt = encrypt;
        self.pending.clear();
        Ok(())
    }

    fn update_len(&self, _n: usize) -> usize {
        0
    }

    fn update(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        // One RSA block at most: more can never make a valid doFinal.
        if self.pending.len() + data.len() > self.key.size() {
            return Err(CryptoError::IllegalUse);
        }
        self.pending.extend_from_slice(data);
        Ok(Vec::new())
    }

    fn do_final(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut input = core::mem::take(&mut self.pending);
        input.extend_from_slice(data);
        // Cipher.doFinal (JC 3.0.5): "ILLEGAL_USE if ... the message value
        // is greater than or equal to the modulus", as for a wrong length
        // and a failed padding check.
        self.run(&input).map_err(|e| match e {
            RsaError::InputRange | RsaError::InputLength | RsaError::Padding => {
                CryptoError::IllegalUse
            }
            e => e.into(),
        })
    }

    fn needs_rng(&self) -> bool {
        true
    }

    fn set_rng(&mut self, g: Generator) {
        self.rng = Some(g);
    }
}

/// The RSA key kind of a part-setter call; ILLEGAL_VALUE otherwise.
fn is_rsa(kind: KeyKind) -> bool {
    matches!(
        kind,
        KeyKind::RsaPublic | KeyKind::RsaPrivate | KeyKind::RsaCrtPrivate
    )
}

impl<N: Nvm> Card<N> {
    /// An RSA key setter (`setModulus`, `setExponent`, `setP`...): part
    /// `part` from `a[off..off + len]`, stored as given; ILLEGAL_VALUE when
    /// longer than the key's length allows, or empty.
    pub(crate) fn rsa_set(
        &mut self,
        this: Ref,
        part: usize,
        (a, off, len): (Ref, i16, i16),
    ) -> Result<(), Exc> {
        if !is_rsa(self.key_kind(this)?) {
            return Err(self.crypto_exc(reason::ILLEGAL_VALUE));
        }
        let bytes = self.bytes_in(a, off, len)?;
        if bytes.is_empty() {
            return Err(self.crypto_exc(reason::ILLEGAL_VALUE));
        }
        self.key_set_part(this, part, &bytes)
    }

    /// An RSA key getter: the byte length written; UNINITIALIZED_KEY when
    /// the part is not set.
    pub(crate) fn rsa_get(
        &mut self,
        this: Ref,
        part: usize,
        out: Ref,
        off: i16,
    ) -> Result<i16, Exc> {
        if !is_rsa(self.key_kind(this)?) {
            return Err(self.crypto_exc(reason::ILLEGAL_VALUE));
        }
        let v = self.key_get_part(this, part)?;
        self.bytes_out(out, off, &v)?;
        Ok(v.len() as i16)
    }

    /// `genKeyPair` of an RSA pair: a public exponent already set on the
    /// public key is kept, else 65537 (the JC 3.0.5 javadoc). The pair is
    /// one atomic update when the log can hold it (`keys_atomically`).
    pub(crate) fn rsa_generate(&mut self, public: Ref, private: Ref) -> Result<(), Exc> {
        let size = self.key_size(public)?;
        let e = self.key_get_part(public, rsa_part::EXPONENT).ok();
        let Some(mut g) = self.new_generator(super::random::ALG_KEYGENERATION) else {
            return Err(self.crypto_exc(reason::NO_SUCH_ALGORITHM));
        };
        let key = match rs::generate(g.rng(), size as usize, e.as_deref()) {
            Ok(k) => k,
            // An exponent the crate refuses is the javadoc's "exponent
            // value parameter in RSA is invalid".
            Err(_) => return Err(self.crypto_exc(reason::ILLEGAL_VALUE)),
        };
        let Some(c) = rs::components(&key) else {
            return Err(self.crypto_exc(reason::ILLEGAL_VALUE));
        };
        let crt = self.key_kind(private)? == KeyKind::RsaCrtPrivate;
        self.keys_atomically(&[public, private], |card| {
            card.key_set_parts(
                public,
                &[(rsa_part::MODULUS, &c.n), (rsa_part::EXPONENT, &c.e)],
            )?;
            if crt {
                card.key_set_parts(
                    private,
                    &[
                        (rsa_part::P, &c.p),
                        (rsa_part::Q, &c.q),
                        (rsa_part::DP1, &c.dp),
                        (rsa_part::DQ1, &c.dq),
                        (rsa_part::PQ, &c.pq),
                    ],
                )
            } else {
                card.key_set_parts(
                    private,
                    &[(rsa_part::MODULUS, &c.n), (rsa_part::EXPONENT, &c.d)],
                )
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::Config;
    use crate::class::NO_CLASS;
    use crate::heap::K_BYTE;
    use crate::nvm::RamNvm;
    use crate::security::cipher::MODE_DECRYPT;
    use crate::security::ecapi::{CELL_PRIVATE, CELL_PUBLIC};
    use crate::security::signature::MODE_VERIFY;

    fn counting(out: &mut [u8]) -> bool {
        for (i, b) in out.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(29).wrapping_add(3);
        }
        true
    }

    #[test]
    fn a_generated_crt_pair_signs_encrypts_and_refuses_bad_input() {
        let config = Config {
            entropy: Some(counting),
            ..Config::default()
        };
        let mut c = Card::boot(RamNvm::new(256 * 1024), config).unwrap();
        let cls = c.api_class(crate::api_tables::SEC, super::super::tok::KEY_PAIR);
        let pair = c.new_object(cls, 3).unwrap();
        assert!(c.keypair_init(pair, KEYPAIR_RSA_CRT, 500).is_err());
        c.keypair_init(pair, KEYPAIR_RSA_CRT, 512).unwrap();
        c.keypair_generate(pair).unwrap();
        let w = c.keypair_get(pair, CELL_PUBLIC).unwrap() as Ref;
        let s = c.keypair_get(pair, CELL_PRIVATE).unwrap() as Ref;
        let buf = c.new_array(K_BYTE, NO_CLASS, 400, 0).unwrap();
        assert_eq!(c.rsa_get(w, rsa_part::EXPONENT, buf, 0).unwrap(), 3);
        assert_eq!(c.bytes_in(buf, 0, 3).unwrap(), [1, 0, 1]);
        assert_eq!(c.rsa_get(w, rsa_part::MODULUS, buf, 0).unwrap(), 64);
        assert!(
            c.rsa_set(w, rsa_part::MODULUS, (buf, 0, 65)).is_err(),
            "too long"
        );
        assert!(
            c.rsa_set(w, rsa_part::MODULUS, (buf, 390, 20)).is_err(),
            "bounds"
        );

        // SHA-256 PKCS #1 v1.5 signature: 64 bytes, verifies, and not for
        // another message.
        let sig = c.sig_get_instance(40, false).unwrap();
        assert!(
            c.sig_init(sig, w, MODE_SIGN, None).is_err(),
            "public key cannot sign"
        );
        c.sig_init(sig, s, MODE_SIGN, None).unwrap();
        assert_eq!(c.sig_sign(sig, (buf, 0, 10), (buf, 100)).unwrap(), 64);
        c.sig_init(sig, w, MODE_VERIFY, None).unwrap();
        assert!(c.sig_verify(sig, (buf, 0, 10), (buf, 100, 64)).unwrap());
        assert!(!c.sig_verify(sig, (buf, 0, 9), (buf, 100, 64)).unwrap());

        // PKCS #1 encryption round trip; NOPAD of a value above n.
        let ciph = c.cipher_get_instance(10, false).unwrap();
        c.cipher_init(ciph, w, MODE_ENCRYPT, None).unwrap();
        assert_eq!(
            c.cipher_do_final(ciph, (buf, 0, 20), (buf, 100)).unwrap(),
            64
        );
        c.cipher_init(ciph, s, MODE_DECRYPT, None).unwrap();
        assert_eq!(
            c.cipher_do_final(ciph, (buf, 100, 64), (buf, 200)).unwrap(),
            20
        );
        assert_eq!(
            c.bytes_in(buf, 0, 20).unwrap(),
            c.bytes_in(buf, 200, 20).unwrap()
        );
        let raw = c.cipher_get_instance(12, false).unwrap();
        c.cipher_init(raw, w, MODE_ENCRYPT, None).unwrap();
        c.bytes_out(buf, 300, &[0xFF; 64]).unwrap();
        assert!(c.cipher_do_final(raw, (buf, 300, 64), (buf, 100)).is_err());
        assert!(
            c.cipher_get_instance(11, false).is_err(),
            "ISO 9796 not offered"
        );
    }
}
