//! RSA for `javacard.security` and `javacardx.crypto`, from RustCrypto's
//! `rsa` crate (0.9, `no_std` + `alloc`).
//!
//! Key components come as Java Card passes them: big-endian unsigned
//! integers. Three kinds of key:
//! - public (n, e), `TYPE_RSA_PUBLIC`;
//! - private (n, d), `TYPE_RSA_PRIVATE`, which carries no e. The crate
//!   needs e (for blinding and to recover p and q), so the card tries
//!   e = 65537, the exponent nearly every key uses and the one the card
//!   generates; a key with another e can still do raw RSA (`ALG_RSA_NOPAD`,
//!   c^d mod n), but not the padded schemes, and says so
//!   ([`RsaError::UnknownPublicExponent`]);
//! - CRT private (p, q, dp, dq, pq = q⁻¹ mod p), `TYPE_RSA_CRT_PRIVATE`,
//!   which carries neither n, e nor d: e = dp⁻¹ mod (p − 1), which is e
//!   itself whenever e < p − 1 (every e the crate accepts, e < 2³³), and
//!   the crate rebuilds d and n from (p, q, e); the given dp, dq and pq
//!   must then be the key's own.
//!
//! Timing: the crate's big integers (`num-bigint-dig`) are not
//! constant-time, and the crate says so (its README: RUSTSEC-2023-0071,
//! the "Marvin" timing side channel on PKCS#1 v1.5 decryption). Private
//! operations here are always blinded with the card's random generator
//! (the crate's `*_with_rng` / `decrypt_blinded` paths), which hides the
//! exponentiation's input from timing; the exponentiation itself and the
//! padding checks may still leak through timing on a card whose timing an
//! attacker can measure finely. A raw (n, d) key with an unknown e is not
//! blinded at all (blinding needs e).
//!
//! Cost on the emulated Cortex-M3 (`hydra-qemu-icount`, release firmware,
//! instructions, not cycles): RSA-2048 PKCS#1 v1.5 SHA-256 signature with
//! a CRT key 58 M (blinded, checked with e), verification 4.0 M; building
//! the CRT key from (p, q, dp, dq, pq) 6.2 M, so an engine should keep the
//! built key from `init` on. The crates add about 110 KiB of flash for RSA
//! (num-bigint-dig, prime generation included) and 33 KiB for P-256.
//!
//! No function panics on any input; failures are [`RsaError`]s, which
//! [`RsaError::reason`] maps to the `CryptoException` reason the
//! specification gives.

use alloc::vec;
use alloc::vec::Vec;

use num_bigint_dig::{BigInt, ModInverse};
use rand_chacha::rand_core::CryptoRngCore;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, Oaep, Pkcs1v15Encrypt, Pkcs1v15Sign, Pss, RsaPrivateKey, RsaPublicKey};

use super::reason;

/// Why an RSA operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RsaError {
    /// Components that do not make an RSA key (zero, even modulus, e out
    /// of the crate's range [3, 2³³), inconsistent CRT values).
    #[error("not a valid RSA key")]
    InvalidKey,
    /// A private (n, d) key whose public exponent is not 65537: padded
    /// schemes need e, which such a key does not carry.
    #[error("private key's public exponent is unknown")]
    UnknownPublicExponent,
    /// Input of the wrong length: raw RSA input not the modulus length, a
    /// message too long for the padding, a precomputed hash not the
    /// digest's length.
    #[error("input length does not fit the key or algorithm")]
    InputLength,
    /// Raw RSA input not below the modulus.
    #[error("input not below the modulus")]
    InputRange,
    /// Decrypted data not bounded by the expected padding.
    #[error("padding check failed")]
    Padding,
    /// Key generation refused a size (below 512 or above 4096 bits, or not
    /// a multiple of 8) or failed.
    #[error("cannot generate a key of that size")]
    KeySize,
}

impl RsaError {
    /// The `CryptoException` reason the API names for the failure.
    pub fn reason(self) -> u16 {
        match self {
            RsaError::InvalidKey | RsaError::InputRange | RsaError::KeySize => {
                reason::ILLEGAL_VALUE
            }
            // Cipher.doFinal: "ILLEGAL_USE if ... the decrypted data is not
            // bounded by appropriate padding bytes" and for input lengths;
            // a key that cannot do the algorithm is a use it cannot serve.
            RsaError::UnknownPublicExponent | RsaError::InputLength | RsaError::Padding => {
                reason::ILLEGAL_USE
            }
        }
    }
}

fn uint(bytes: &[u8]) -> BigUint {
    BigUint::from_bytes_be(bytes)
}

/// Whether `n` can be an RSA modulus at all: above 1 and odd (an even
/// modulus is never RSA, and the crate's Montgomery exponentiation wants
/// it odd).
fn modulus_ok(n: &BigUint) -> bool {
    n.bits() >= 2 && (n % 2u32) == BigUint::from(1u32)
}

/// `x` as exactly `k` big-endian bytes (left-padded), as Java Card returns
/// RSA outputs; `None` if it does not fit.
fn fixed(x: &BigUint, k: usize) -> Option<Vec<u8>> {
    let b = x.to_bytes_be();
    let b = if b == [0] { &b[..0] } else { &b[..] };
    if b.len() > k {
        return None;
    }
    let mut out = vec![0u8; k];
    out[k - b.len()..].copy_from_slice(b);
    Some(out)
}

/// The public exponent the card assumes for (n, d) keys and generates.
const F4: u32 = 65537;

/// A public key from (n, e), `RSAPublicKey.setModulus/setExponent`.
pub fn public_key(n: &[u8], e: &[u8]) -> Result<RsaPublicKey, RsaError> {
    let n = uint(n);
    if !modulus_ok(&n) {
        return Err(RsaError::InvalidKey);
    }
    RsaPublicKey::new(n, uint(e)).map_err(|_| RsaError::InvalidKey)
}

/// An (n, d) key whose e is unknown: raw exponentiation only.
#[derive(Clone)]
pub struct RawPrivate {
    n: BigUint,
    d: BigUint,
    // Placeholder for `PublicKeyParts::e`; never used: raw decryption with
    // no generator does not blind, and the padded schemes refuse this key.
    none: BigUint,
}

impl PublicKeyParts for RawPrivate {
    fn n(&self) -> &BigUint {
        &self.n
    }
    fn e(&self) -> &BigUint {
        &self.none
    }
}

impl PrivateKeyParts for RawPrivate {
    fn d(&self) -> &BigUint {
        &self.d
    }
    fn primes(&self) -> &[BigUint] {
        &[]
    }
    fn dp(&self) -> Option<&BigUint> {
        None
    }
    fn dq(&self) -> Option<&BigUint> {
        None
    }
    fn qinv(&self) -> Option<&BigInt> {
        None
    }
    fn crt_values(&self) -> Option<&[rsa::CrtValue]> {
        None
    }
}

/// A private key as the card holds it.
#[derive(Clone)]
pub enum PrivateKey {
    /// A complete key (n, e, d, p, q and the CRT values).
    Full(RsaPrivateKey),
    /// (n, d) with an e the card could not find.
    Raw(RawPrivate),
}

impl PrivateKey {
    /// The modulus length in bytes: the length of every output.
    pub fn size(&self) -> usize {
        match self {
            PrivateKey::Full(k) => k.size(),
            PrivateKey::Raw(k) => k.size(),
        }
    }

    fn full(&self) -> Result<&RsaPrivateKey, RsaError> {
        match self {
            PrivateKey::Full(k) => Ok(k),
            PrivateKey::Raw(_) => Err(RsaError::UnknownPublicExponent),
        }
    }
}

/// A private key from (n, d), `RSAPrivateKey.setModulus/setExponent`.
pub fn private_key(n: &[u8], d: &[u8]) -> Result<PrivateKey, RsaError> {
    let n = uint(n);
    let d = uint(d);
    if !modulus_ok(&n) || d.bits() == 0 || d >= n {
        return Err(RsaError::InvalidKey);
    }
    // Recovering p and q (NIST SP 800-56B rev 2, C.2, in the crate) checks
    // e·d ≡ 1 and gives back a full key when e = 65537.
    match RsaPrivateKey::from_components(n.clone(), BigUint::from(F4), d.clone(), vec![]) {
        Ok(k) => Ok(PrivateKey::Full(k)),
        Err(_) => Ok(PrivateKey::Raw(RawPrivate {
            n,
            d,
            none: BigUint::default(),
        })),
    }
}

/// A private key from its CRT components, `RSAPrivateCrtKey.setP/setQ/
/// setDP1/setDQ1/setPQ`.
pub fn crt_private_key(
    p: &[u8],
    q: &[u8],
    dp: &[u8],
    dq: &[u8],
    pq: &[u8],
) -> Result<PrivateKey, RsaError> {
    let (p, q) = (uint(p), uint(q));
    let one = BigUint::from(1u32);
    if p <= one || q <= one || p == q {
        return Err(RsaError::InvalidKey);
    }
    let (dp, dq, pq) = (uint(dp), uint(dq), uint(pq));
    let p1 = &p - &one;
    let e = (&dp)
        .mod_inverse(&p1)
        .and_then(|e| e.to_biguint())
        .ok_or(RsaError::InvalidKey)?;
    // from_p_q validates the key (e·d ≡ 1 mod p−1 and q−1, e in range).
    let key = RsaPrivateKey::from_p_q(p, q, e).map_err(|_| RsaError::InvalidKey)?;
    let qinv = key.qinv().and_then(|x| x.to_biguint());
    if key.dp() != Some(&dp) || key.dq() != Some(&dq) || qinv.as_ref() != Some(&pq) {
        return Err(RsaError::InvalidKey);
    }
    Ok(PrivateKey::Full(key))
}

/// Every component of a full key, big-endian, for the getters
/// (`getModulus`, `getExponent`, `getP`, `getQ`, `getDP1`, `getDQ1`,
/// `getPQ`). p and q are the crate's order (p > q is not promised).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Components {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
    pub d: Vec<u8>,
    pub p: Vec<u8>,
    pub q: Vec<u8>,
    pub dp: Vec<u8>,
    pub dq: Vec<u8>,
    pub pq: Vec<u8>,
}

/// The components of a full key; `None` for one with missing CRT values
/// (never for a key made here).
pub fn components(k: &RsaPrivateKey) -> Option<Components> {
    let primes = k.primes();
    let (p, q) = (primes.first()?, primes.get(1)?);
    let len = k.size();
    let half = len.div_ceil(2);
    // The moduli's length for n, e and d; half of it for p, q, dp, dq, pq
    // (their own minimal length if longer, as an unbalanced key may be).
    let pad = |x: &BigUint, l: usize| fixed(x, l).unwrap_or_else(|| x.to_bytes_be());
    Some(Components {
        n: pad(k.n(), len),
        e: k.e().to_bytes_be(),
        d: pad(k.d(), len),
        p: pad(p, half),
        q: pad(q, half),
        dp: pad(k.dp()?, half),
        dq: pad(k.dq()?, half),
        pq: pad(&k.qinv()?.to_biguint()?, half),
    })
}

/// A new key pair of `bits` bits with public exponent `e` (65537 when
/// `None`), from `rng`: the crate's probable-prime search (Miller–Rabin
/// plus Lucas). Slow on a card: one 1024-bit generation took 800 million
/// instructions on the emulated Cortex-M3 (about 10 s at 72 MHz; the prime
/// search is random, so this varies from key to key), against 58 million
/// for one RSA-2048 CRT signature.
pub fn generate(
    rng: &mut impl CryptoRngCore,
    bits: usize,
    e: Option<&[u8]>,
) -> Result<RsaPrivateKey, RsaError> {
    if !(512..=4096).contains(&bits) || !bits.is_multiple_of(8) {
        return Err(RsaError::KeySize);
    }
    let e = e.map_or_else(|| BigUint::from(F4), uint);
    RsaPrivateKey::new_with_exp(rng, bits, &e).map_err(|_| RsaError::KeySize)
}

/// The message digests the RSA signatures use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// A running hash of this kind (the MessageDigest engine's).
    pub fn hasher(self) -> super::digest::Hasher {
        match self {
            Hash::Sha1 => super::digest::Hasher::Sha1(Default::default()),
            Hash::Sha224 => super::digest::Hasher::Sha224(Default::default()),
            Hash::Sha256 => super::digest::Hasher::Sha256(Default::default()),
            Hash::Sha384 => super::digest::Hasher::Sha384(Default::default()),
            Hash::Sha512 => super::digest::Hasher::Sha512(Default::default()),
        }
    }

    pub fn digest_len(self) -> usize {
        self.hasher().digest_len()
    }

    pub fn digest(self, msg: &[u8]) -> Vec<u8> {
        let mut h = self.hasher();
        h.update(msg);
        h.finish()
    }

    fn pkcs1(self) -> Pkcs1v15Sign {
        match self {
            Hash::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
            Hash::Sha224 => Pkcs1v15Sign::new::<sha2::Sha224>(),
            Hash::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
            Hash::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
            Hash::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
        }
    }

    fn pss(self) -> Pss {
        // Salt as long as the digest, as Java Card's ALG_RSA_SHA_*_PKCS1_PSS
        // and RFC 8017's default take it.
        match self {
            Hash::Sha1 => Pss::new::<sha1::Sha1>(),
            Hash::Sha224 => Pss::new::<sha2::Sha224>(),
            Hash::Sha256 => Pss::new::<sha2::Sha256>(),
            Hash::Sha384 => Pss::new::<sha2::Sha384>(),
            Hash::Sha512 => Pss::new::<sha2::Sha512>(),
        }
    }

    fn check(self, prehash: &[u8]) -> Result<(), RsaError> {
        if prehash.len() == self.digest_len() {
            Ok(())
        } else {
            Err(RsaError::InputLength)
        }
    }
}

/// The signature padding schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// EMSA-PKCS1-v1_5 (`ALG_RSA_SHA_PKCS1`, `ALG_RSA_SHA_*_PKCS1`).
    Pkcs1,
    /// EMSA-PSS with MGF1 of the same digest and a salt of the digest's
    /// length (`ALG_RSA_SHA_PKCS1_PSS`, `ALG_RSA_SHA_*_PKCS1_PSS`).
    Pss,
}

/// A signature of a precomputed hash (`signPreComputedHash`), the
/// modulus length long.
pub fn sign_prehash(
    key: &PrivateKey,
    hash: Hash,
    padding: Padding,
    prehash: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, RsaError> {
    hash.check(prehash)?;
    let key = key.full()?;
    let r = match padding {
        Padding::Pkcs1 => key.sign_with_rng(rng, hash.pkcs1(), prehash),
        Padding::Pss => key.sign_with_rng(rng, hash.pss(), prehash),
    };
    // The digest fits (checked), so the crate fails only for a modulus too
    // short for the padding (e.g. PSS-SHA-256 under 512 bits).
    r.map_err(|_| RsaError::InputLength)
}

/// A signature of `msg` hashed with `hash`.
pub fn sign(
    key: &PrivateKey,
    hash: Hash,
    padding: Padding,
    msg: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, RsaError> {
    sign_prehash(key, hash, padding, &hash.digest(msg), rng)
}

/// Whether `sig` is a valid signature of the precomputed hash. A signature
/// of the wrong length or not below n is false, as `Signature.verify`
/// answers.
pub fn verify_prehash(
    key: &RsaPublicKey,
    hash: Hash,
    padding: Padding,
    prehash: &[u8],
    sig: &[u8],
) -> Result<bool, RsaError> {
    hash.check(prehash)?;
    Ok(match padding {
        Padding::Pkcs1 => key.verify(hash.pkcs1(), prehash, sig),
        Padding::Pss => key.verify(hash.pss(), prehash, sig),
    }
    .is_ok())
}

/// Whether `sig` is a valid signature of `msg`.
pub fn verify(
    key: &RsaPublicKey,
    hash: Hash,
    padding: Padding,
    msg: &[u8],
    sig: &[u8],
) -> Result<bool, RsaError> {
    verify_prehash(key, hash, padding, &hash.digest(msg), sig)
}

/// The encryption schemes of `Cipher`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `ALG_RSA_PKCS1`: RSAES-PKCS1-v1_5.
    Pkcs1,
    /// `ALG_RSA_PKCS1_OAEP`: RSAES-OAEP with SHA-1, MGF1-SHA-1 and an
    /// empty label, as the Java Card API defines it.
    OaepSha1,
    /// `ALG_RSA_NOPAD`: m^e mod n, input exactly the modulus length.
    NoPad,
}

/// Encryption with the public key; the output is the modulus length.
pub fn encrypt(
    key: &RsaPublicKey,
    scheme: Scheme,
    msg: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, RsaError> {
    match scheme {
        Scheme::Pkcs1 => key
            .encrypt(rng, Pkcs1v15Encrypt, msg)
            .map_err(|_| RsaError::InputLength),
        Scheme::OaepSha1 => key
            .encrypt(rng, Oaep::new::<sha1::Sha1>(), msg)
            .map_err(|_| RsaError::InputLength),
        Scheme::NoPad => raw_public(key, msg),
    }
}

/// Decryption with the private key.
pub fn decrypt(
    key: &PrivateKey,
    scheme: Scheme,
    ct: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, RsaError> {
    if ct.len() != key.size() {
        return Err(RsaError::InputLength);
    }
    match scheme {
        Scheme::Pkcs1 => key
            .full()?
            .decrypt_blinded(rng, Pkcs1v15Encrypt, ct)
            .map_err(|_| RsaError::Padding),
        Scheme::OaepSha1 => key
            .full()?
            .decrypt_blinded(rng, Oaep::new::<sha1::Sha1>(), ct)
            .map_err(|_| RsaError::Padding),
        Scheme::NoPad => raw_private(key, ct, rng),
    }
}

/// `ALG_RSA_PKCS1` encryption with the private key: the block type 1
/// padding of RSASSA-PKCS1-v1_5 without a DigestInfo (the crate's
/// unprefixed signature), which some applets use for raw signatures.
pub fn encrypt_private_pkcs1(
    key: &PrivateKey,
    msg: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, RsaError> {
    key.full()?
        .sign_with_rng(rng, Pkcs1v15Sign::new_unprefixed(), msg)
        .map_err(|_| RsaError::InputLength)
}

/// m^e mod n, with m exactly the modulus length and below n.
pub fn raw_public(key: &RsaPublicKey, m: &[u8]) -> Result<Vec<u8>, RsaError> {
    let k = key.size();
    if m.len() != k {
        return Err(RsaError::InputLength);
    }
    let m = uint(m);
    if &m >= key.n() {
        return Err(RsaError::InputRange);
    }
    let c = rsa::hazmat::rsa_encrypt(key, &m).map_err(|_| RsaError::InputRange)?;
    fixed(&c, k).ok_or(RsaError::InputRange)
}

/// c^d mod n, with c exactly the modulus length and below n; blinded and
/// checked against e (a fault in the CRT computation would otherwise give
/// away a factor) when the key is full.
pub fn raw_private(
    key: &PrivateKey,
    c: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, RsaError> {
    let k = key.size();
    if c.len() != k {
        return Err(RsaError::InputLength);
    }
    let c = uint(c);
    let m = match key {
        PrivateKey::Full(key) => {
            if &c >= key.n() {
                return Err(RsaError::InputRange);
            }
            rsa::hazmat::rsa_decrypt_and_check(key, Some(rng), &c)
        }
        PrivateKey::Raw(key) => {
            if &c >= key.n() {
                return Err(RsaError::InputRange);
            }
            rsa::hazmat::rsa_decrypt::<rand_chacha::ChaCha20Rng>(None, key, &c)
        }
    }
    .map_err(|_| RsaError::InputRange)?;
    fixed(&m, k).ok_or(RsaError::InputRange)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;
