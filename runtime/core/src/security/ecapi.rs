//! The P-256 functions of [`super::ec`] as Java Card objects: the `ECKey`
//! setters and getters of the card's EC key classes, the ECDSA
//! `Signature` engine, `KeyPair(ALG_EC_FP, 256)` and `KeyAgreement`
//! (`ALG_EC_SVDP_DH*`).
//!
//! The card has one curve, so every domain parameter a setter takes is
//! compared with secp256r1's and refused (ILLEGAL_VALUE) when it differs:
//! a key can only ever hold the parameters the arithmetic really uses. The
//! values are stored in the form the getters return (32-byte integers, G
//! and W uncompressed), whatever form the applet gave them in.

use alloc::vec::Vec;

use super::ec::{self, EcError};
use super::key::{ec_part, KeyKind, KeyMaterial};
use super::random::Generator;
use super::signature::{SignatureEngine, MODE_SIGN};
use super::{reason, tok, CryptoError, Engine};
use crate::card::Card;
use crate::heap::{Ref, NULL};
use crate::interp::Exc;
use crate::nvm::Nvm;

/// `KeyPair.ALG_EC_FP`.
pub const KEYPAIR_EC_FP: u8 = 5;
/// KeyPair cells: the algorithm, then the public and private keys (the
/// collector follows cells 1 and 2, see `link_api`).
pub const KEYPAIR_CELLS: u16 = 3;
pub const CELL_PUBLIC: u32 = 1;
pub const CELL_PRIVATE: u32 = 2;

impl From<EcError> for CryptoError {
    fn from(_: EcError) -> CryptoError {
        // Every EcError is a value the card cannot take (EcError::reason).
        CryptoError::IllegalValue
    }
}

/// `ALG_ECDSA_SHA`, `_SHA_224`, `_SHA_256`, `_SHA_384`, `_SHA_512`: DER
/// signatures (as Java Card returns them) over P-256; a digest longer
/// than the field is truncated to its leftmost 256 bits (FIPS 186-4).
/// Without a digest (`getInstance(ALG_NULL, SIG_CIPHER_ECDSA, PAD_NULL)`)
/// the data itself is the hash to sign, as a host that hashes sends it:
/// 1 to 64 bytes, one shorter than the field signed as its integer.
pub struct Ecdsa {
    hash: Option<ec::Hash>,
    hasher: Hashing,
    /// S (sign) or W (verify), from `init`.
    key: Vec<u8>,
    rng: Option<Generator>,
}

/// What an ECDSA engine does with its input: hash it, or keep it (the
/// input is the hash).
enum Hashing {
    // Boxed: a SHA-512 state is 200-odd bytes, a kept hash a pointer.
    Digest(alloc::boxed::Box<super::digest::Hasher>),
    Raw(Vec<u8>),
}

impl Hashing {
    fn new(hash: Option<ec::Hash>) -> Hashing {
        match hash {
            Some(h) => Hashing::Digest(alloc::boxed::Box::new(h.hasher())),
            None => Hashing::Raw(Vec::new()),
        }
    }

    fn update(&mut self, data: &[u8]) -> Result<(), CryptoError> {
        match self {
            Hashing::Digest(h) => h.update(data),
            // No hash is longer than SHA-512's 64 bytes.
            Hashing::Raw(v) if v.len() + data.len() <= 64 => v.extend_from_slice(data),
            Hashing::Raw(_) => return Err(CryptoError::IllegalUse),
        }
        Ok(())
    }

    /// The hash to sign; the engine starts over.
    fn finish(&mut self) -> Vec<u8> {
        match self {
            Hashing::Digest(h) => h.finish(),
            Hashing::Raw(v) => core::mem::take(v),
        }
    }
}

impl Ecdsa {
    pub fn new(hash: ec::Hash) -> Ecdsa {
        Ecdsa::with(Some(hash))
    }

    /// ECDSA over data that is already a hash (`MessageDigest.ALG_NULL`).
    pub fn prehashed() -> Ecdsa {
        Ecdsa::with(None)
    }

    fn with(hash: Option<ec::Hash>) -> Ecdsa {
        Ecdsa {
            hash,
            hasher: Hashing::new(hash),
            key: Vec::new(),
            rng: None,
        }
    }

    fn sign_hash(&mut self, h: &[u8]) -> Result<Vec<u8>, CryptoError> {
        // Signer hands a generator over at every init; without one there
        // is no init.
        let g = self.rng.as_mut().ok_or(CryptoError::InvalidInit)?;
        Ok(ec::sign_prehash(&self.key, h, g.rng())?)
    }
}

impl SignatureEngine for Ecdsa {
    fn length(&self) -> usize {
        ec::MAX_SIGNATURE_LEN
    }

    fn fixed_length(&self) -> bool {
        false
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
        // A private key signs, a public key verifies; ECDSA takes no
        // parameter.
        let want = if mode == MODE_SIGN {
            KeyKind::EcPrivate
        } else {
            KeyKind::EcPublic
        };
        if key.kind != want || param.is_some() {
            return Err(CryptoError::IllegalValue);
        }
        let value = key
            .parts
            .get(ec_part::VALUE)
            .ok_or(CryptoError::IllegalValue)?;
        self.key = value.clone();
        self.hasher = Hashing::new(self.hash);
        Ok(())
    }

    fn update(&mut self, data: &[u8]) -> Result<(), CryptoError> {
        self.hasher.update(data)
    }

    fn sign(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let r = self.hasher.update(data);
        let h = self.hasher.finish();
        r?;
        self.sign_hash(&h)
    }

    fn verify(&mut self, data: &[u8], sig: &[u8]) -> Result<bool, CryptoError> {
        let r = self.hasher.update(data);
        let h = self.hasher.finish();
        r?;
        Ok(ec::verify_prehash(&self.key, &h, sig)?)
    }

    fn sign_prehash(&mut self, hash: &[u8]) -> Result<Vec<u8>, CryptoError> {
        // JC 3.0.5 signPreComputedHash: a hash of another length than the
        // algorithm's digest is ILLEGAL_USE. The object starts over.
        self.hasher = Hashing::new(self.hash);
        if self.hash.is_some_and(|h| hash.len() != h.digest_len()) {
            return Err(CryptoError::IllegalUse);
        }
        self.sign_hash(hash)
    }

    fn set_initial_digest(&mut self, state: &[u8], count: u128) -> Result<(), CryptoError> {
        let h = match self.hash {
            Some(h) => h.hasher().resumed(state, count)?,
            None => return Err(CryptoError::IllegalUse),
        };
        self.hasher = Hashing::Digest(alloc::boxed::Box::new(h));
        Ok(())
    }

    fn verify_prehash(&mut self, hash: &[u8], sig: &[u8]) -> Result<bool, CryptoError> {
        self.hasher = Hashing::new(self.hash);
        if self.hash.is_some_and(|h| hash.len() != h.digest_len()) {
            return Err(CryptoError::IllegalUse);
        }
        Ok(ec::verify_prehash(&self.key, hash, sig)?)
    }
}

/// A KeyAgreement object's state: its algorithm and, once `init` ran, the
/// private value S.
pub struct Agreement {
    alg: ec::Agreement,
    secret: Option<Vec<u8>>,
}

impl Agreement {
    /// `KeyAgreement.ALG_*` the card offers. With cofactor 1 (the card's
    /// only curve) the DHC variants are the DH ones.
    pub fn new(alg: u8) -> Option<Agreement> {
        let alg = match alg {
            1 | 2 => ec::Agreement::Sha1OfX, // ALG_EC_SVDP_DH, _DHC
            3 | 4 => ec::Agreement::PlainX,  // ALG_EC_SVDP_DH_PLAIN, _DHC_PLAIN
            6 => ec::Agreement::PlainXY,     // ALG_EC_SVDP_DH_PLAIN_XY
            _ => return None,
        };
        Some(Agreement { alg, secret: None })
    }
}

/// secp256r1's value of a domain part, in stored form.
fn domain_value(part: usize) -> Option<Vec<u8>> {
    let d = ec::p256_domain();
    Some(match part {
        ec_part::FIELD => d.field.to_vec(),
        ec_part::A => d.a.to_vec(),
        ec_part::B => d.b.to_vec(),
        ec_part::G => d.g.to_vec(),
        ec_part::R => d.r.to_vec(),
        ec_part::K => d.k.to_be_bytes().to_vec(),
        _ => return None,
    })
}

impl<N: Nvm> Card<N> {
    /// The kind of EC key `this`; ILLEGAL_VALUE for any other object.
    fn ec_kind(&mut self, this: Ref) -> Result<KeyKind, Exc> {
        match self.key_kind(this)? {
            k @ (KeyKind::EcPublic | KeyKind::EcPrivate) => Ok(k),
            _ => Err(self.crypto_exc(reason::ILLEGAL_VALUE)),
        }
    }

    /// `ECKey.setFieldFP`, `setA`, `setB`, `setG`, `setR`,
    /// `ECPublicKey.setW`, `ECPrivateKey.setS` (`part`, see [`ec_part`]):
    /// ILLEGAL_VALUE for a value secp256r1 (or a P-256 key) cannot have.
    pub(crate) fn ec_set(
        &mut self,
        this: Ref,
        part: usize,
        (a, off, len): (Ref, i16, i16),
    ) -> Result<(), Exc> {
        let kind = self.ec_kind(this)?;
        let given = self.bytes_in(a, off, len)?;
        let stored: Result<Vec<u8>, EcError> = match part {
            ec_part::VALUE if kind == KeyKind::EcPublic => {
                ec::normalize_point(&given).map(|w| w.to_vec())
            }
            ec_part::VALUE => ec::secret(&given).map(|s| s.to_bytes().to_vec()),
            ec_part::G => match ec::normalize_point(&given) {
                Ok(g) if Some(g.to_vec()) == domain_value(part) => Ok(g.to_vec()),
                _ => Err(EcError::UnsupportedCurve),
            },
            _ => match domain_value(part) {
                Some(v) if ec::significant(&given) == ec::significant(&v) => Ok(v),
                _ => Err(EcError::UnsupportedCurve),
            },
        };
        match stored {
            Ok(v) => self.key_set_part(this, part, &v),
            Err(e) => Err(self.crypto_exc(e.reason())),
        }
    }

    /// `ECKey.setK(short)`: the cofactor, 1 on secp256r1.
    pub(crate) fn ec_set_k(&mut self, this: Ref, k: i16) -> Result<(), Exc> {
        self.ec_kind(this)?;
        if k != 1 {
            return Err(self.crypto_exc(reason::ILLEGAL_VALUE));
        }
        self.key_set_part(this, ec_part::K, &k.to_be_bytes())
    }

    /// `ECKey.setFieldF2M`: a binary field on an F_p key is a value it
    /// cannot take.
    pub(crate) fn ec_set_f2m(&mut self, this: Ref) -> Result<(), Exc> {
        self.ec_kind(this)?;
        Err(self.crypto_exc(reason::ILLEGAL_VALUE))
    }

    /// The `ECKey` getters (`getField`... `getW`, `getS`): the byte length
    /// written; UNINITIALIZED_KEY when the part is not set.
    pub(crate) fn ec_get(
        &mut self,
        this: Ref,
        part: usize,
        out: Ref,
        off: i16,
    ) -> Result<i16, Exc> {
        self.ec_kind(this)?;
        let v = self.key_get_part(this, part)?;
        self.bytes_out(out, off, &v)?;
        Ok(v.len() as i16)
    }

    /// `ECKey.getK()`.
    pub(crate) fn ec_get_k(&mut self, this: Ref) -> Result<i16, Exc> {
        self.ec_kind(this)?;
        let v = self.key_get_part(this, ec_part::K)?;
        match v.as_slice() {
            [hi, lo] => Ok(i16::from_be_bytes([*hi, *lo])),
            _ => Err(Exc::Fault(crate::error::Fault::Corrupt("EC cofactor"))),
        }
    }

    /// `ECKey.copyDomainParametersFrom(ECKey ecKey)`: ILLEGAL_VALUE if
    /// `from` is no EC key, UNINITIALIZED_KEY if its field, A, B, G or R
    /// is not set; one atomic update of this key.
    pub(crate) fn ec_copy_domain(&mut self, this: Ref, from: Ref) -> Result<(), Exc> {
        self.ec_kind(this)?;
        if from == NULL {
            return Err(self.npe());
        }
        self.ec_kind(from)?;
        let mut parts = Vec::new();
        for i in ec_part::DOMAIN {
            match self.key_get_part(from, i) {
                Ok(v) => parts.push((i, v)),
                // The cofactor is optional (see key::shape).
                Err(_) if i == ec_part::K => {}
                Err(e) => return Err(e),
            }
        }
        let refs: Vec<(usize, &[u8])> = parts.iter().map(|(i, v)| (*i, v.as_slice())).collect();
        self.key_set_parts(this, &refs)
    }

    // ---- KeyPair ----

    /// `new KeyPair(byte algorithm, short keyLength)`: the two keys,
    /// persistent, uninitialized. NO_SUCH_ALGORITHM unless the card has
    /// the algorithm at that length.
    pub(crate) fn keypair_init(&mut self, this: Ref, alg: u8, len: i16) -> Result<(), Exc> {
        self.access(this)?;
        let kinds = match alg {
            KEYPAIR_EC_FP => (KeyKind::EcPublic, KeyKind::EcPrivate),
            super::rsaapi::KEYPAIR_RSA => (KeyKind::RsaPublic, KeyKind::RsaPrivate),
            super::rsaapi::KEYPAIR_RSA_CRT => (KeyKind::RsaPublic, KeyKind::RsaCrtPrivate),
            _ => return Err(self.crypto_exc(reason::NO_SUCH_ALGORITHM)),
        };
        let info = |k: KeyKind| super::key::KINDS.iter().find(|i| i.kind == k);
        let (Some(pi), Some(si)) = (info(kinds.0), info(kinds.1)) else {
            return Err(self.crypto_exc(reason::NO_SUCH_ALGORITHM));
        };
        let public = self.key_new(pi, super::key::MEMORY_PERSISTENT, len, false)?;
        let private = self.key_new(si, super::key::MEMORY_PERSISTENT, len, false)?;
        self.set_cell(this, super::CELL_ALG, i16::from(alg))?;
        self.set_cell(this, CELL_PUBLIC, public as i16)?;
        self.set_cell(this, CELL_PRIVATE, private as i16)
    }

    /// `new KeyPair(PublicKey publicKey, PrivateKey privateKey)`:
    /// ILLEGAL_VALUE for keys that are not a public and a private key of
    /// the same algorithm and size (a missing key included);
    /// NO_SUCH_ALGORITHM for an algorithm without key pairs.
    pub(crate) fn keypair_init_keys(
        &mut self,
        this: Ref,
        public: Ref,
        private: Ref,
    ) -> Result<(), Exc> {
        self.access(this)?;
        if public == NULL || private == NULL {
            return Err(self.crypto_exc(reason::ILLEGAL_VALUE));
        }
        let (pk, sk) = (self.key_kind(public)?, self.key_kind(private)?);
        let alg = match (pk, sk) {
            (KeyKind::EcPublic, KeyKind::EcPrivate) => KEYPAIR_EC_FP,
            (KeyKind::RsaPublic, KeyKind::RsaPrivate) => super::rsaapi::KEYPAIR_RSA,
            (KeyKind::RsaPublic, KeyKind::RsaCrtPrivate) => super::rsaapi::KEYPAIR_RSA_CRT,
            // Secret keys have no pairs; any other mix is inconsistent.
            (KeyKind::Des | KeyKind::Aes | KeyKind::Hmac, _)
            | (_, KeyKind::Des | KeyKind::Aes | KeyKind::Hmac) => {
                return Err(self.crypto_exc(reason::NO_SUCH_ALGORITHM))
            }
            _ => return Err(self.crypto_exc(reason::ILLEGAL_VALUE)),
        };
        if self.key_size(public)? != self.key_size(private)? {
            return Err(self.crypto_exc(reason::ILLEGAL_VALUE));
        }
        self.set_cell(this, super::CELL_ALG, i16::from(alg))?;
        self.set_cell(this, CELL_PUBLIC, public as i16)?;
        self.set_cell(this, CELL_PRIVATE, private as i16)
    }

    /// `KeyPair.getPublic()` / `getPrivate()` (`cell`).
    pub(crate) fn keypair_get(&mut self, this: Ref, cell: u32) -> Result<i16, Exc> {
        self.access(this)?;
        Ok(self.cell(this, cell))
    }

    /// `KeyPair.genKeyPair()`: a fresh (S, W) on P-256. Domain parameters
    /// already set are kept (they can only be secp256r1's); missing ones
    /// get secp256r1's, the "pre-specified values" the JC 3.0.5 javadoc
    /// lets a card use. The pair is one atomic update (see
    /// `keys_atomically`).
    pub(crate) fn keypair_generate(&mut self, this: Ref) -> Result<(), Exc> {
        self.access(this)?;
        let public = self.cell(this, CELL_PUBLIC) as Ref;
        let private = self.cell(this, CELL_PRIVATE) as Ref;
        if public == NULL || private == NULL {
            return Err(Exc::Fault(crate::error::Fault::Corrupt("KeyPair cells")));
        }
        match (self.key_kind(public)?, self.key_kind(private)?) {
            (KeyKind::EcPublic, KeyKind::EcPrivate) => {}
            (KeyKind::RsaPublic, KeyKind::RsaPrivate | KeyKind::RsaCrtPrivate) => {
                return self.rsa_generate(public, private)
            }
            _ => return Err(self.crypto_exc(reason::ILLEGAL_VALUE)),
        }
        // Key generation needs real entropy; without a source the card
        // has no key generation (ALG_KEYGENERATION is refused likewise).
        let Some(mut g) = self.new_generator(super::random::ALG_KEYGENERATION) else {
            return Err(self.crypto_exc(reason::NO_SUCH_ALGORITHM));
        };
        let (s, w) = ec::generate(g.rng());
        let domain: Vec<(usize, Vec<u8>)> = ec_part::DOMAIN
            .filter_map(|i| Some((i, domain_value(i)?)))
            .collect();
        self.keys_atomically(&[public, private], |c| {
            for (key, value) in [(public, w.to_vec()), (private, s.to_vec())] {
                let mut parts: Vec<(usize, &[u8])> =
                    domain.iter().map(|(i, v)| (*i, v.as_slice())).collect();
                parts.push((ec_part::VALUE, &value));
                c.key_set_parts(key, &parts)?;
            }
            Ok(())
        })
    }

    // ---- KeyAgreement ----

    /// `KeyAgreement.getInstance(byte algorithm, boolean externalAccess)`.
    pub(crate) fn agreement_get_instance(&mut self, alg: u8, external: bool) -> Result<Ref, Exc> {
        match Agreement::new(alg) {
            // Objects other contexts may use (externalAccess) are not
            // offered.
            Some(a) if !external => self.new_engine(tok::KEY_AGREEMENT, alg, Engine::Agreement(a)),
            _ => Err(self.crypto_exc(reason::NO_SUCH_ALGORITHM)),
        }
    }

    fn agreement(&mut self, this: Ref) -> Result<&mut Agreement, Exc> {
        match self.engine(this)? {
            Engine::Agreement(a) => Ok(a),
            _ => Err(Exc::Fault(crate::error::Fault::Corrupt(
                "not a KeyAgreement",
            ))),
        }
    }

    /// `KeyAgreement.init(PrivateKey privKey)`: ILLEGAL_VALUE for a key
    /// that is not an EC private key, UNINITIALIZED_KEY for one not set.
    pub(crate) fn agreement_init(&mut self, this: Ref, key: Ref) -> Result<(), Exc> {
        self.agreement(this)?;
        let m = self.key_material(key)?;
        let s = match (m.kind, m.parts.get(ec_part::VALUE)) {
            (KeyKind::EcPrivate, Some(s)) => s.clone(),
            _ => return Err(self.crypto_exc(reason::ILLEGAL_VALUE)),
        };
        self.agreement(this)?.secret = Some(s);
        Ok(())
    }

    /// `generateSecret(publicData, publicOffset, publicLength, secret,
    /// secretOffset)`: the secret's length. INVALID_INIT before `init`,
    /// ILLEGAL_VALUE for public data that is no point on the curve.
    pub(crate) fn agreement_generate(
        &mut self,
        this: Ref,
        (a, off, len): (Ref, i16, i16),
        (out, out_off): (Ref, i16),
    ) -> Result<i16, Exc> {
        let peer = self.bytes_in(a, off, len)?;
        let st = self.agreement(this)?;
        let alg = st.alg;
        let Some(s) = st.secret.clone() else {
            return Err(self.crypto_exc(reason::INVALID_INIT));
        };
        let secret = match ec::agree(&s, &peer, alg) {
            Ok(v) => v,
            Err(e) => return Err(self.crypto_exc(e.reason())),
        };
        self.bytes_out(out, out_off, &secret)?;
        Ok(secret.len() as i16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::Config;
    use crate::class::NO_CLASS;
    use crate::heap::K_BYTE;
    use crate::nvm::RamNvm;

    fn counting(out: &mut [u8]) -> bool {
        for (i, b) in out.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(11);
        }
        true
    }

    fn card() -> Card<RamNvm> {
        let config = Config {
            entropy: Some(counting),
            ..Config::default()
        };
        Card::boot(RamNvm::new(256 * 1024), config).unwrap()
    }

    fn array(c: &mut Card<RamNvm>, bytes: &[u8]) -> Ref {
        let r = c.new_array(K_BYTE, NO_CLASS, 300, 0).unwrap();
        c.bytes_out(r, 0, bytes).unwrap();
        r
    }

    /// Puts secp256r1's parameters on key `k` through the setters.
    fn set_domain(c: &mut Card<RamNvm>, k: Ref) {
        for part in [
            ec_part::FIELD,
            ec_part::A,
            ec_part::B,
            ec_part::G,
            ec_part::R,
        ] {
            let v = domain_value(part).unwrap();
            let a = array(c, &v);
            c.ec_set(k, part, (a, 0, v.len() as i16)).unwrap();
        }
        c.ec_set_k(k, 1).unwrap();
    }

    #[test]
    fn setters_take_p256_only_and_getters_return_the_stored_form() {
        let mut c = card();
        let k = c.key_build(11, 256, false).unwrap();
        assert!(c.key_build(11, 192, false).is_err(), "P-256 only");
        assert!(
            c.key_build_mem(7, 1, 256, false).is_err(),
            "no transient public key"
        );
        assert!(c.key_build(30, 256, false).is_ok(), "transient private key");
        // Another prime, another cofactor, a point off the curve.
        let mut p = domain_value(ec_part::FIELD).unwrap();
        p[31] ^= 2;
        let a = array(&mut c, &p);
        assert!(c.ec_set(k, ec_part::FIELD, (a, 0, 32)).is_err());
        assert!(c.ec_set_k(k, 2).is_err());
        let mut g = domain_value(ec_part::G).unwrap();
        g[64] ^= 1;
        let a = array(&mut c, &g);
        assert!(c.ec_set(k, ec_part::G, (a, 0, 65)).is_err());
        assert!(c.ec_set(k, ec_part::G, (a, 200, 200)).is_err(), "bounds");
        assert!(c.ec_get(k, ec_part::A, a, 0).is_err(), "not set yet");
        // A with a leading zero byte comes back as 32 bytes.
        let mut a_val = alloc::vec![0u8];
        a_val.extend(domain_value(ec_part::A).unwrap());
        let a = array(&mut c, &a_val);
        c.ec_set(k, ec_part::A, (a, 0, 33)).unwrap();
        assert_eq!(c.ec_get(k, ec_part::A, a, 100).unwrap(), 32);
        assert_eq!(c.bytes_in(a, 100, 32).unwrap(), a_val[1..]);
        set_domain(&mut c, k);
        assert!(!c.key_initialized(k).unwrap(), "W not set");
        assert_eq!(c.ec_get_k(k).unwrap(), 1);
        // A compressed W is stored uncompressed.
        let w = ec::public_of(&[7; 32]).unwrap();
        let mut cw = alloc::vec![2 + (w[64] & 1)];
        cw.extend_from_slice(&w[1..33]);
        let a = array(&mut c, &cw);
        c.ec_set(k, ec_part::VALUE, (a, 0, 33)).unwrap();
        assert!(c.key_initialized(k).unwrap());
        assert_eq!(c.ec_get(k, ec_part::VALUE, a, 100).unwrap(), 65);
        assert_eq!(c.bytes_in(a, 100, 65).unwrap(), w);
        // A private S of zero is refused.
        let s = c.key_build(12, 256, false).unwrap();
        let a = array(&mut c, &[0; 32]);
        assert!(c.ec_set(s, ec_part::VALUE, (a, 0, 32)).is_err());
        // copyDomainParametersFrom.
        assert!(c.ec_copy_domain(s, s).is_err(), "its own are not set");
        c.ec_copy_domain(s, k).unwrap();
        assert_eq!(c.ec_get(s, ec_part::R, a, 0).unwrap(), 32);
    }

    #[test]
    fn ecdsa_without_a_digest_signs_the_hash_it_is_given() {
        let mut c = card();
        let pair = c.new_object(c.api_class(crate::api_tables::SEC, tok::KEY_PAIR), 3);
        let pair = pair.unwrap();
        c.keypair_init(pair, KEYPAIR_EC_FP, 256).unwrap();
        c.keypair_generate(pair).unwrap();
        let (w, s) = (
            c.keypair_get(pair, CELL_PUBLIC).unwrap() as Ref,
            c.keypair_get(pair, CELL_PRIVATE).unwrap() as Ref,
        );
        // getInstance(ALG_NULL, SIG_CIPHER_ECDSA, PAD_NULL): the input is
        // the SHA-256 of "message", given in two pieces.
        let parts = super::super::signature::Parts {
            digest: 0,
            cipher: 5,
            pad: 0,
        };
        let sig = c.sig_get_instance_parts(parts, false).unwrap();
        let h = ec::Hash::Sha256.digest(b"message");
        let buf = array(&mut c, &h);
        c.sig_init(sig, s, MODE_SIGN, None).unwrap();
        c.sig_update(sig, (buf, 0, 10)).unwrap();
        let n = c.sig_sign(sig, (buf, 10, 22), (buf, 100)).unwrap();
        let der = c.bytes_in(buf, 100, n).unwrap();
        let mut wb = [0u8; 65];
        let out = array(&mut c, &[]);
        c.ec_get(w, ec_part::VALUE, out, 0).unwrap();
        wb.copy_from_slice(&c.bytes_in(out, 0, 65).unwrap());
        // The same signature as ALG_ECDSA_SHA_256 over the message.
        assert_eq!(
            ec::verify(&wb, ec::Hash::Sha256, b"message", &der),
            Ok(true)
        );
        // Fewer bytes than the field (what a host sends as CKM_ECDSA's
        // input): e is their integer (SEC 1 v2 4.1.3 step 5).
        let short = array(&mut c, b"hello hydra");
        c.sig_init(sig, s, MODE_SIGN, None).unwrap();
        let n = c.sig_sign(sig, (short, 0, 11), (buf, 100)).unwrap();
        let der = c.bytes_in(buf, 100, n).unwrap();
        let mut e = [0u8; 32];
        e[21..].copy_from_slice(b"hello hydra");
        assert_eq!(ec::verify_prehash(&wb, &e, &der), Ok(true));
        // More than any hash: ILLEGAL_USE.
        let long = array(&mut c, &[7; 65]);
        c.sig_init(sig, s, MODE_SIGN, None).unwrap();
        assert!(c.sig_sign(sig, (long, 0, 65), (long, 0)).is_err());
    }

    #[test]
    fn a_generated_pair_signs_verifies_and_agrees() {
        let mut c = card();
        let pair = c.new_object(c.api_class(crate::api_tables::SEC, tok::KEY_PAIR), 3);
        let pair = pair.unwrap();
        assert!(c.keypair_init(pair, 1, 256).is_err(), "no RSA here yet");
        assert!(c.keypair_init(pair, KEYPAIR_EC_FP, 384).is_err());
        c.keypair_init(pair, KEYPAIR_EC_FP, 256).unwrap();
        let (w, s) = (
            c.keypair_get(pair, CELL_PUBLIC).unwrap() as Ref,
            c.keypair_get(pair, CELL_PRIVATE).unwrap() as Ref,
        );
        assert!(!c.key_initialized(w).unwrap());
        // No parameters set: genKeyPair uses secp256r1's.
        c.keypair_generate(pair).unwrap();
        assert!(c.key_initialized(w).unwrap() && c.key_initialized(s).unwrap());

        let sig = c.sig_get_instance(33, false).unwrap();
        let msg = array(&mut c, b"message");
        assert!(
            c.sig_init(sig, w, MODE_SIGN, None).is_err(),
            "public key cannot sign"
        );
        c.sig_init(sig, s, MODE_SIGN, None).unwrap();
        let n = c.sig_sign(sig, (msg, 0, 7), (msg, 100)).unwrap();
        c.sig_init(sig, w, super::super::signature::MODE_VERIFY, None)
            .unwrap();
        assert!(c.sig_verify(sig, (msg, 0, 7), (msg, 100, n)).unwrap());
        assert!(!c.sig_verify(sig, (msg, 0, 6), (msg, 100, n)).unwrap());
        // signPreComputedHash: the digest's length only.
        c.sig_init(sig, s, MODE_SIGN, None).unwrap();
        assert!(c.sig_sign_prehash(sig, (msg, 0, 20), (msg, 100)).is_err());
        let h = ec::Hash::Sha256.digest(b"message");
        c.bytes_out(msg, 200, &h).unwrap();
        let n = c.sig_sign_prehash(sig, (msg, 200, 32), (msg, 100)).unwrap();
        c.sig_init(sig, w, super::super::signature::MODE_VERIFY, None)
            .unwrap();
        assert!(c.sig_verify(sig, (msg, 0, 7), (msg, 100, n)).unwrap());

        // ECDH with a second key: both sides agree.
        let other = c.key_build(12, 256, false).unwrap();
        set_domain(&mut c, other);
        let a = array(&mut c, &[9; 32]);
        c.ec_set(other, ec_part::VALUE, (a, 0, 32)).unwrap();
        let ka = c.agreement_get_instance(3, false).unwrap();
        assert!(c.agreement_get_instance(5, false).is_err());
        let out = array(&mut c, &[]);
        assert!(
            c.agreement_generate(ka, (out, 0, 65), (out, 100)).is_err(),
            "no init"
        );
        assert!(c.agreement_init(ka, w).is_err(), "a public key");
        c.agreement_init(ka, s).unwrap();
        let peer = ec::public_of(&[9; 32]).unwrap();
        c.bytes_out(out, 0, &peer).unwrap();
        assert_eq!(
            c.agreement_generate(ka, (out, 0, 65), (out, 100)).unwrap(),
            32
        );
        let mine = c.bytes_in(out, 100, 32).unwrap();
        c.ec_get(w, ec_part::VALUE, out, 0).unwrap();
        c.agreement_init(ka, other).unwrap();
        assert_eq!(
            c.agreement_generate(ka, (out, 0, 65), (out, 100)).unwrap(),
            32
        );
        assert_eq!(c.bytes_in(out, 100, 32).unwrap(), mine);
        assert!(
            c.agreement_generate(ka, (out, 1, 64), (out, 100)).is_err(),
            "no point"
        );
        // A reset takes the state: uninitialized again.
        c.engines = Default::default();
        assert!(c.agreement_generate(ka, (out, 0, 65), (out, 100)).is_err());
    }
}
