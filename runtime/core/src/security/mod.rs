//! `javacard.security`: the card's cryptography as Java Card objects.
//!
//! An engine object (a `MessageDigest`, a `RandomData`...) is an instance
//! of the API class with one cell, its algorithm; the running state (a
//! hash in progress, a generator) lives in [`Engines`], in RAM, keyed by
//! the object's handle. That is the state the specification lets a power
//! loss or reset clear, and it keeps secret intermediate values out of
//! NVM. Primitives are RustCrypto's `no_std` crates, never written here.
//!
//! Where a new algorithm goes:
//! - keys: a [`key::KeyKind`] with its row in [`key::KINDS`] and its
//!   [`key::shape`] (parts); `KeyBuilder.buildKey`, `clearKey`, `getSize`,
//!   `getType`, `isInitialized` and the collector then handle it, setters
//!   and getters use `Card::key_set_part` / `key_get_part`, and every
//!   engine's `init` receives its [`key::KeyMaterial`];
//! - Signature: a [`signature::SignatureEngine`] (row in
//!   [`signature::ALGS`], arm in [`signature::engine_for`]);
//! - Cipher: a [`cipher::CipherEngine`] (row in [`cipher::ALGS`], arm in
//!   [`cipher::engine_for`]);
//! - other engine classes: an [`Engine`] variant and [`Op`] natives, as
//!   KeyAgreement ([`ecapi::Agreement`]); KeyPair is a plain object whose
//!   cells hold its two keys ([`ecapi`]).

pub mod aead;
pub mod block;
pub mod checksum;
pub mod cipher;
pub mod digest;
pub mod ec;
pub mod ecapi;
pub mod initdigest;
pub mod key;
pub mod oneshot;
pub mod random;
pub mod rsa;
pub mod rsaapi;
pub mod signature;

use crate::sorted::SortedMap;

use crate::api_tables::SEC;
use crate::card::Card;
use crate::heap::Ref;
use crate::interp::Exc;
use crate::nvm::Nvm;

/// `CryptoException` reasons (JC 3.0.5 API).
pub mod reason {
    pub const ILLEGAL_VALUE: u16 = 1;
    pub const UNINITIALIZED_KEY: u16 = 2;
    pub const NO_SUCH_ALGORITHM: u16 = 3;
    pub const INVALID_INIT: u16 = 4;
    pub const ILLEGAL_USE: u16 = 5;
}

/// A `CryptoException` reason, as the engines return it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoError {
    IllegalValue,
    UninitializedKey,
    NoSuchAlgorithm,
    InvalidInit,
    IllegalUse,
}

impl CryptoError {
    pub fn reason(self) -> u16 {
        match self {
            CryptoError::IllegalValue => reason::ILLEGAL_VALUE,
            CryptoError::UninitializedKey => reason::UNINITIALIZED_KEY,
            CryptoError::NoSuchAlgorithm => reason::NO_SUCH_ALGORITHM,
            CryptoError::InvalidInit => reason::INVALID_INIT,
            CryptoError::IllegalUse => reason::ILLEGAL_USE,
        }
    }
}

/// Class tokens of javacard.security 1.6.
pub mod tok {
    pub const KEY: u8 = 0;
    pub const SECRET_KEY: u8 = 4;
    pub const DES_KEY: u8 = 10;
    pub const MESSAGE_DIGEST: u8 = 11;
    pub const CRYPTO_EXCEPTION: u8 = 12;
    pub const KEY_BUILDER: u8 = 13;
    pub const RANDOM_DATA: u8 = 14;
    pub const SIGNATURE: u8 = 15;
    pub const AES_KEY: u8 = 20;
    pub const CHECKSUM: u8 = 21;
    pub const HMAC_KEY: u8 = 23;
    pub const PRIVATE_KEY: u8 = 2;
    pub const PUBLIC_KEY: u8 = 3;
    pub const KEY_PAIR: u8 = 16;
    pub const EC_KEY: u8 = 17;
    pub const EC_PRIVATE_KEY: u8 = 18;
    pub const EC_PUBLIC_KEY: u8 = 19;
    pub const KEY_AGREEMENT: u8 = 22;
    pub const RSA_PRIVATE_CRT_KEY: u8 = 7;
    pub const RSA_PRIVATE_KEY: u8 = 8;
    pub const RSA_PUBLIC_KEY: u8 = 9;
}

/// A Signature's or Cipher's `init` arguments, read: key material,
/// parameter bytes, generator (see `Card::init_args`).
pub(crate) type InitArgs = (
    key::KeyMaterial,
    Option<alloc::vec::Vec<u8>>,
    Option<random::Generator>,
);

/// Cell 0 of every engine object: its algorithm.
pub(crate) const CELL_ALG: u32 = 0;
/// Signature: cell 1 digest << 8 | cipher, cell 2 padding; Cipher: cell 1
/// cipher << 8 | padding.
pub(crate) const CELL_PARTS: u32 = 1;

/// The running state of one engine object.
pub enum Engine {
    Digest(digest::Hasher),
    Random(random::Generator),
    Signature(signature::Signer),
    Cipher(cipher::Ciph),
    Checksum(checksum::Crc16or32),
    Agreement(ecapi::Agreement),
}

/// Natives of the key framework, Signature, Cipher and Checksum (one
/// `api::Native::Crypto` each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    KeyBuild,
    KeyBuildMem,
    KeyClear,
    KeyGetSize,
    KeyGetType,
    KeyIsInitialized,
    /// DESKey / AESKey `setKey(byte[], short)`.
    KeySetSecret,
    /// `getKey(byte[], short)` of a secret key.
    KeyGetSecret,
    /// `HMACKey.setKey(byte[], short, short)`.
    KeySetHmac,
    SigGetInstance,
    SigGetInstanceParts,
    SigGetLength,
    SigInit,
    SigInitParam,
    SigSign,
    SigUpdate,
    SigVerify,
    SigDigestAlgorithm,
    SigCipherAlgorithm,
    SigPaddingAlgorithm,
    CipherGetInstance,
    CipherGetInstanceParts,
    CipherInit,
    CipherInitParam,
    CipherUpdate,
    CipherDoFinal,
    CipherCipherAlgorithm,
    CipherPaddingAlgorithm,
    ChecksumGetInstance,
    ChecksumInit,
    ChecksumUpdate,
    ChecksumDoFinal,
    /// `Signature.signPreComputedHash`.
    SigSignPrehash,
    /// An `ECKey` / `ECPublicKey` / `ECPrivateKey` setter of a byte-array
    /// part ([`key::ec_part`]).
    EcSet(u8),
    EcSetK,
    /// `setFieldF2M(short)` and `setFieldF2M(short, short, short)`.
    EcSetF2m1,
    EcSetF2m3,
    /// A getter of a byte-array part.
    EcGet(u8),
    EcGetK,
    EcCopyDomain,
    /// `KeyPair(byte, short)` and `KeyPair(PublicKey, PrivateKey)`.
    KeyPairInit,
    KeyPairInitKeys,
    KeyPairGen,
    KeyPairGetPublic,
    KeyPairGetPrivate,
    AgreementGetInstance,
    AgreementInit,
    AgreementGenerate,
    /// An RSA key setter / getter of part n ([`key::rsa_part`]).
    RsaSet(u8),
    RsaGet(u8),
    /// `MessageDigest.getInitializedMessageDigestInstance`.
    DigestGetInitialized,
    /// `InitializedMessageDigest.setInitialDigest`.
    DigestSetInitial,
    /// `open` of one OneShot class.
    OneShotOpen(oneshot::Kind),
    OneShotClose,
    /// `update` of a OneShot class, with its argument words.
    OneShotUpdate(u8),
    /// AEADCipher's `init` with lengths, `updateAAD`, `retrieveTag`,
    /// `verifyTag`.
    AeadInit,
    AeadUpdateAad,
    AeadRetrieveTag,
    AeadVerifyTag,
    /// `Signature.verifyPreComputedHash`.
    SigVerifyPrehash,
    /// `Signature.setInitialDigest`.
    SigSetInitial,
}

impl Op {
    /// Argument words, `this` included.
    pub fn nargs(self) -> u8 {
        use Op::*;
        match self {
            KeyClear
            | KeyGetSize
            | KeyGetType
            | KeyIsInitialized
            | SigGetLength
            | SigDigestAlgorithm
            | SigCipherAlgorithm
            | SigPaddingAlgorithm
            | CipherCipherAlgorithm
            | CipherPaddingAlgorithm
            | EcGetK
            | KeyPairGen
            | KeyPairGetPublic
            | KeyPairGetPrivate => 1,
            SigGetInstance | CipherGetInstance | ChecksumGetInstance | EcSetK | EcSetF2m1
            | EcCopyDomain | AgreementGetInstance | AgreementInit => 2,
            KeyBuild
            | KeySetSecret
            | KeyGetSecret
            | SigInit
            | CipherInit
            | CipherGetInstanceParts
            | EcGet(_)
            | RsaGet(_)
            | KeyPairInit
            | KeyPairInitKeys => 3,
            KeyBuildMem | KeySetHmac | SigGetInstanceParts | SigUpdate | ChecksumInit
            | ChecksumUpdate | EcSet(_) | EcSetF2m3 | RsaSet(_) => 4,
            SigInitParam | SigSign | CipherInitParam | CipherUpdate | CipherDoFinal
            | ChecksumDoFinal | SigSignPrehash | AgreementGenerate => 6,
            SigVerify | DigestSetInitial | SigVerifyPrehash | SigSetInitial => 7,
            DigestGetInitialized => 2,
            OneShotOpen(k) => k.nargs(),
            OneShotClose => 1,
            OneShotUpdate(n) => n,
            AeadInit => 9,
            AeadUpdateAad | AeadRetrieveTag => 4,
            AeadVerifyTag => 5,
        }
    }
}

/// Engine states by object handle; lost at power-down, as the
/// specification allows.
#[derive(Default)]
pub struct Engines {
    by_object: SortedMap<Ref, Engine>,
    /// The OneShot instances.
    pub(crate) oneshots: oneshot::Pool,
}

impl Engines {
    pub fn get_mut(&mut self, r: Ref) -> Option<&mut Engine> {
        self.by_object.get_mut(&r)
    }

    pub fn insert(&mut self, r: Ref, e: Engine) {
        self.by_object.insert(r, e);
    }

    /// Drops the state of an object the collector freed (its handle may be
    /// reused).
    pub fn forget(&mut self, r: Ref) {
        self.by_object.remove(&r);
    }
}

impl<N: Nvm> Card<N> {
    /// `CryptoException.throwIt(reason)`.
    pub fn crypto_exc(&mut self, reason: u16) -> Exc {
        self.api_exception(SEC, tok::CRYPTO_EXCEPTION, reason)
    }

    /// A new engine object of API class `(SEC, token)` with algorithm `alg`.
    pub(crate) fn new_engine(&mut self, token: u8, alg: u8, e: Engine) -> Result<Ref, Exc> {
        self.new_engine_in(SEC, token, alg, e)
    }

    /// A new engine object of API class `(pkg, token)`.
    pub(crate) fn new_engine_in(
        &mut self,
        pkg: u16,
        token: u8,
        alg: u8,
        e: Engine,
    ) -> Result<Ref, Exc> {
        let c = self.api_class(pkg, token);
        let cells = self
            .classes
            .get(usize::from(c))
            .map_or(1, |cl| cl.cells.max(1));
        let r = self.new_object(c, cells)?;
        if let Some(o) = self.store.obj(r).copied() {
            self.store
                .write(&o, 2 * CELL_ALG, &u16::from(alg).to_be_bytes(), false)
                .map_err(Exc::Fault)?;
        }
        self.engines.insert(r, e);
        Ok(r)
    }

    /// The engine state of `this` (firewall-checked); ILLEGAL_USE when the
    /// object has none (it was not made by `getInstance`).
    pub(crate) fn engine(&mut self, this: Ref) -> Result<&mut Engine, Exc> {
        self.access(this)?;
        if self.engines.get_mut(this).is_none() {
            // A reset or power loss took the RAM state: the object comes
            // back as constructed, which is what the specification asks.
            match self.rebuild_engine(this) {
                Some(e) => self.engines.insert(this, e),
                None => return Err(self.crypto_exc(reason::ILLEGAL_USE)),
            }
        }
        self.engines
            .get_mut(this)
            .ok_or(Exc::Fault(crate::error::Fault::Corrupt("engine state")))
    }

    /// An engine object's state as `getInstance` made it, from its class
    /// and cells (cell 0 the algorithm, then [`CELL_PARTS`]).
    fn rebuild_engine(&self, this: Ref) -> Option<Engine> {
        let o = *self.store.obj(this)?;
        let c = self.classes.get(usize::from(o.class))?;
        let alg = self.engine_alg(this);
        let cell = |i: u32| (self.store.read_u16(&o, 2 * i) >> 8) as u8;
        let low = |i: u32| self.store.read_u16(&o, 2 * i) as u8;
        Some(match (c.pkg, c.token) {
            (SEC, tok::MESSAGE_DIGEST | initdigest::INITIALIZED_MESSAGE_DIGEST) => {
                Engine::Digest(digest::Hasher::new(alg)?)
            }
            (SEC, tok::SIGNATURE) => {
                let p = signature::Parts {
                    digest: cell(CELL_PARTS),
                    cipher: low(CELL_PARTS),
                    pad: low(CELL_PARTS + 1),
                };
                Engine::Signature(signature::Signer::new(p)?)
            }
            (crate::api_tables::CRYPTO, cipher::CIPHER | aead::AEAD_CIPHER) => {
                Engine::Cipher(cipher::Ciph::new(cell(CELL_PARTS), low(CELL_PARTS))?)
            }
            (SEC, tok::CHECKSUM) => Engine::Checksum(checksum::Crc16or32::new(alg)?),
            (SEC, tok::RANDOM_DATA) => Engine::Random(self.new_generator(alg)?),
            // Uninitialized, as getInstance made it.
            (SEC, tok::KEY_AGREEMENT) => Engine::Agreement(ecapi::Agreement::new(alg)?),
            _ => return None,
        })
    }

    /// Records an engine's algorithm parts in its cells from
    /// [`CELL_PARTS`] (so a reset can rebuild it).
    pub(crate) fn set_engine_parts(&mut self, this: Ref, cells: &[u16]) -> Result<(), Exc> {
        let o = *self.store.obj(this).ok_or_else(|| self.npe())?;
        let bytes: alloc::vec::Vec<u8> = cells.iter().flat_map(|c| c.to_be_bytes()).collect();
        if 2 * CELL_PARTS + bytes.len() as u32 > o.data_len() {
            return Err(Exc::Fault(crate::error::Fault::Corrupt("engine cells")));
        }
        // A new object: nothing reaches it yet.
        self.store
            .write(&o, 2 * CELL_PARTS, &bytes, false)
            .map_err(Exc::Fault)
    }

    /// What a Signature's or Cipher's `init` hands its engine: the key's
    /// material, the optional parameter bytes (an IV...), and a generator
    /// when the engine asks for one (always offered: seeded from the
    /// entropy source when the board has one).
    pub(crate) fn init_args(
        &mut self,
        key: Ref,
        param: Option<(Ref, i16, i16)>,
        needs_rng: bool,
    ) -> Result<InitArgs, Exc> {
        let m = self.key_material(key)?;
        let param = match param {
            Some((a, off, len)) => Some(self.bytes_in(a, off, len)?),
            None => None,
        };
        let rng = if needs_rng {
            self.new_generator(random::ALG_PSEUDO_RANDOM)
        } else {
            None
        };
        Ok((m, param, rng))
    }

    /// The algorithm cell of an engine object.
    pub(crate) fn engine_alg(&self, this: Ref) -> u8 {
        match self.store.obj(this) {
            Some(o) => self.store.read_u16(o, 2 * CELL_ALG) as u8,
            None => 0,
        }
    }

    /// Runs a javacard.security / javacardx.crypto native; the number of
    /// result words written at `base`.
    pub(crate) fn crypto_native(&mut self, op: Op, base: usize) -> Result<usize, Exc> {
        use Op::*;
        let a = |i: usize| self.stack.get(base + i).copied().unwrap_or(0);
        let (a0, a1, a2, a3, a4, a5, a6) = (a(0), a(1), a(2), a(3), a(4), a(5), a(6));
        let (r0, r1, r4) = (a0 as Ref, a1 as Ref, a4 as Ref);
        // Results: a byte is sign-extended, a boolean is 0 or 1.
        let v: Option<i16> = match op {
            KeyBuild => Some(self.key_build(a0 as u8, a1, a2 != 0)? as i16),
            KeyBuildMem => Some(self.key_build_mem(a0 as u8, a1 as u8, a2, a3 != 0)? as i16),
            KeyClear => {
                self.key_clear(r0)?;
                None
            }
            KeyGetSize => Some(self.key_size(r0)?),
            KeyGetType => Some(i16::from(self.key_type(r0)? as i8)),
            KeyIsInitialized => Some(i16::from(self.key_initialized(r0)?)),
            KeySetSecret => {
                self.key_set_secret(r0, r1, a2)?;
                None
            }
            KeyGetSecret => Some(i16::from(self.key_get_secret(r0, r1, a2)? as i8)),
            KeySetHmac => {
                self.key_set_hmac(r0, r1, a2, a3)?;
                None
            }
            SigGetInstance => Some(self.sig_get_instance(a0 as u8, a1 != 0)? as i16),
            SigGetInstanceParts => {
                let p = signature::Parts {
                    digest: a0 as u8,
                    cipher: a1 as u8,
                    pad: a2 as u8,
                };
                Some(self.sig_get_instance_parts(p, a3 != 0)? as i16)
            }
            SigGetLength => Some(self.sig_length(r0)?),
            SigInit => {
                self.sig_init(r0, r1, a2 as u8, None)?;
                None
            }
            SigInitParam => {
                self.sig_init(r0, r1, a2 as u8, Some((a3 as Ref, a4, a5)))?;
                None
            }
            SigSign => Some(self.sig_sign(r0, (r1, a2, a3), (r4, a5))?),
            SigUpdate => {
                self.sig_update(r0, (r1, a2, a3))?;
                None
            }
            SigVerify => Some(i16::from(self.sig_verify(
                r0,
                (r1, a2, a3),
                (r4, a5, a6),
            )?)),
            SigDigestAlgorithm => Some(i16::from(self.sig_parts(r0)?.digest as i8)),
            SigCipherAlgorithm => Some(i16::from(self.sig_parts(r0)?.cipher as i8)),
            SigPaddingAlgorithm => Some(i16::from(self.sig_parts(r0)?.pad as i8)),
            CipherGetInstance => Some(self.cipher_get_instance(a0 as u8, a1 != 0)? as i16),
            CipherGetInstanceParts => {
                Some(self.cipher_get_instance_parts(a0 as u8, a1 as u8, a2 != 0)? as i16)
            }
            CipherInit => {
                self.cipher_init(r0, r1, a2 as u8, None)?;
                None
            }
            CipherInitParam => {
                self.cipher_init(r0, r1, a2 as u8, Some((a3 as Ref, a4, a5)))?;
                None
            }
            CipherUpdate => Some(self.cipher_update(r0, (r1, a2, a3), (r4, a5))?),
            CipherDoFinal => Some(self.cipher_do_final(r0, (r1, a2, a3), (r4, a5))?),
            CipherCipherAlgorithm => Some(i16::from(self.cipher_parts(r0)?.0 as i8)),
            CipherPaddingAlgorithm => Some(i16::from(self.cipher_parts(r0)?.1 as i8)),
            ChecksumGetInstance => Some(self.checksum_get_instance(a0 as u8, a1 != 0)? as i16),
            ChecksumInit => {
                self.checksum_init(r0, r1, a2, a3)?;
                None
            }
            ChecksumUpdate => {
                self.checksum_update(r0, r1, a2, a3)?;
                None
            }
            ChecksumDoFinal => Some(self.checksum_do_final(r0, (r1, a2, a3), (r4, a5))?),
            SigSignPrehash => Some(self.sig_sign_prehash(r0, (r1, a2, a3), (r4, a5))?),
            EcSet(part) => {
                self.ec_set(r0, usize::from(part), (r1, a2, a3))?;
                None
            }
            EcSetK => {
                self.ec_set_k(r0, a1)?;
                None
            }
            EcSetF2m1 | EcSetF2m3 => {
                self.ec_set_f2m(r0)?;
                None
            }
            EcGet(part) => Some(self.ec_get(r0, usize::from(part), r1, a2)?),
            EcGetK => Some(self.ec_get_k(r0)?),
            EcCopyDomain => {
                self.ec_copy_domain(r0, r1)?;
                None
            }
            KeyPairInit => {
                self.keypair_init(r0, a1 as u8, a2)?;
                None
            }
            KeyPairInitKeys => {
                self.keypair_init_keys(r0, r1, a2 as Ref)?;
                None
            }
            KeyPairGen => {
                self.keypair_generate(r0)?;
                None
            }
            KeyPairGetPublic => Some(self.keypair_get(r0, ecapi::CELL_PUBLIC)?),
            KeyPairGetPrivate => Some(self.keypair_get(r0, ecapi::CELL_PRIVATE)?),
            AgreementGetInstance => Some(self.agreement_get_instance(a0 as u8, a1 != 0)? as i16),
            AgreementInit => {
                self.agreement_init(r0, r1)?;
                None
            }
            AgreementGenerate => Some(self.agreement_generate(r0, (r1, a2, a3), (r4, a5))?),
            RsaSet(part) => {
                self.rsa_set(r0, usize::from(part), (r1, a2, a3))?;
                None
            }
            RsaGet(part) => Some(self.rsa_get(r0, usize::from(part), r1, a2)?),
            DigestGetInitialized => {
                Some(self.digest_get_initialized_instance(a0 as u8, a1 != 0)? as i16)
            }
            DigestSetInitial => {
                self.digest_set_initial(r0, (r1, a2, a3), (r4, a5, a6))?;
                None
            }
            OneShotOpen(k) => Some(self.oneshot_open(k, [a0 as u8, a1 as u8, a2 as u8])? as i16),
            OneShotClose => {
                self.oneshot_close(r0)?;
                None
            }
            OneShotUpdate(_) => {
                self.oneshot_update(r0)?;
                None
            }
            AeadInit => {
                let (a7, a8) = (a(7), a(8));
                self.aead_init(r0, r1, a2 as u8, (a3 as Ref, a4, a5), (a6, a7, a8))?;
                None
            }
            AeadUpdateAad => {
                self.aead_update_aad(r0, (r1, a2, a3))?;
                None
            }
            AeadRetrieveTag => Some(self.aead_retrieve_tag(r0, (r1, a2, a3))?),
            AeadVerifyTag => Some(i16::from(self.aead_verify_tag(r0, (r1, a2, a3), a4)?)),
            SigSetInitial => {
                self.sig_set_initial(r0, (r1, a2, a3), (r4, a5, a6))?;
                None
            }
            SigVerifyPrehash => Some(i16::from(self.sig_verify_prehash(
                r0,
                (r1, a2, a3),
                (r4, a5, a6),
            )?)),
        };
        match v {
            Some(v) => {
                let slot = self
                    .stack
                    .get_mut(base)
                    .ok_or(Exc::Fault(crate::error::Fault::Corrupt("native result")))?;
                *slot = v;
                Ok(1)
            }
            None => Ok(0),
        }
    }

    /// The bytes `r[off .. off + len]` of a byte array (bounds and
    /// firewall checked), copied out.
    pub(crate) fn bytes_in(&self, r: Ref, off: i16, len: i16) -> Result<alloc::vec::Vec<u8>, Exc> {
        if r == 0 {
            return Err(self.npe());
        }
        let o = self.byte_range(r, off, len)?;
        let d = self.store.data(&o);
        Ok(d[off as usize..off as usize + len as usize].to_vec())
    }

    /// Writes `bytes` into `r` at `off` (bounds and firewall checked).
    pub(crate) fn bytes_out(&mut self, r: Ref, off: i16, bytes: &[u8]) -> Result<(), Exc> {
        if r == 0 {
            return Err(self.npe());
        }
        let len = i16::try_from(bytes.len()).map_err(|_| self.crypto_exc(reason::ILLEGAL_VALUE))?;
        let o = self.byte_range(r, off, len)?;
        self.store
            .write(&o, off as u32, bytes, false)
            .map_err(Exc::Fault)
    }
}
