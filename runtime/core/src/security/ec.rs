//! Elliptic curves for `javacard.security`: ECDSA and ECDH over
//! secp256r1 (NIST P-256) from RustCrypto's `p256`, the one curve the card
//! offers.
//!
//! Everything here works on byte slices as Java Card passes key
//! components: big-endian unsigned integers (`setS`, `setR`, `setFieldFP`,
//! `setA`, `setB`) and SEC 1 points (`setG`, `setW`, the public data of
//! `KeyAgreement.generateSecret`). No function panics on any input; each
//! failure is an [`EcError`], which [`EcError::reason`] turns into the
//! `CryptoException` reason the specification gives.
//!
//! Timing: `p256`'s field and scalar arithmetic and its scalar
//! multiplication are written to be constant-time (the crate's README);
//! signatures are RFC 6979 nonces hedged with the card's random generator,
//! so a weak generator does not leak the key and a faulted one does not
//! repeat nonces across messages.
//!
//! Cost on the emulated Cortex-M3 (`hydra-qemu-icount`, release firmware,
//! instructions): ECDSA P-256 sign 10.0 M, verify 9.1 M, ECDH 4.6 M, key
//! pair 4.6 M (`p256`'s portable 32-bit field arithmetic, no assembly).

use alloc::borrow::Cow;
use alloc::vec::Vec;

use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier, RandomizedPrehashSigner};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{AffinePoint, FieldBytes, PublicKey, SecretKey};
use rand_chacha::rand_core::CryptoRngCore;
use sha1::Digest as _;

use super::reason;

/// Bytes in a P-256 field element or scalar.
pub const FIELD_LEN: usize = 32;
/// Bytes in an uncompressed point `04 x y`.
pub const POINT_LEN: usize = 1 + 2 * FIELD_LEN;
/// The longest DER ECDSA signature over P-256: SEQUENCE (2) of two
/// INTEGERs of up to 33 bytes (2 + 33 each).
pub const MAX_SIGNATURE_LEN: usize = 72;
/// Key size in bits, as `KeyBuilder.LENGTH_EC_FP_256` gives it.
pub const KEY_BITS: u16 = 256;

// secp256r1 domain parameters, SEC 2 v2 section 2.4.2 (the same values as
// FIPS 186-4 D.1.2.3): what an applet must set for the card to accept the
// curve. The test `constants_are_the_crates_curve` checks them against
// `p256`'s own.
const P: [u8; 32] = hex32("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
const A: [u8; 32] = hex32("ffffffff00000001000000000000000000000000fffffffffffffffffffffffc");
const B: [u8; 32] = hex32("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b");
const N: [u8; 32] = hex32("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

/// A 64-digit hex string as 32 bytes, at compile time (a bad digit fails
/// the build, never the card).
const fn hex32(s: &str) -> [u8; 32] {
    const fn digit(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a lowercase hex digit"),
        }
    }
    let s = s.as_bytes();
    assert!(s.len() == 64);
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (digit(s[2 * i]) << 4) | digit(s[2 * i + 1]);
        i += 1;
    }
    out
}

/// Why an EC operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EcError {
    /// Domain parameters other than secp256r1's (or a cofactor other
    /// than 1): the card has no other curve.
    #[error("domain parameters are not secp256r1")]
    UnsupportedCurve,
    /// A point that is not a SEC 1 encoding of a point on the curve (or is
    /// the point at infinity).
    #[error("not a point on secp256r1")]
    InvalidPoint,
    /// A private value S that is zero, not below the order, or longer
    /// than 32 significant bytes.
    #[error("private value out of range")]
    InvalidScalar,
    /// An empty precomputed hash.
    #[error("empty hash for ECDSA")]
    InvalidHashLength,
}

impl EcError {
    /// The `CryptoException` reason. A curve the card lacks is
    /// `ILLEGAL_VALUE` as a setter reports a value it cannot take;
    /// `KeyPair.genKeyPair` reports it as `NO_SUCH_ALGORITHM` instead, as
    /// its specification says for unsupported domain parameters.
    pub fn reason(self) -> u16 {
        reason::ILLEGAL_VALUE
    }
}

/// `value` without its leading zero bytes: Java Card lets an applet pass
/// an integer with or without them.
pub(crate) fn significant(value: &[u8]) -> &[u8] {
    let zeros = value.iter().take_while(|b| **b == 0).count();
    &value[zeros..]
}

/// Whether the big-endian integers `a` and `b` are equal, leading zeros
/// aside.
fn same_integer(a: &[u8], b: &[u8]) -> bool {
    significant(a) == significant(b)
}

/// Domain parameters as an applet sets them on an `ECKey`.
#[derive(Debug, Clone, Copy)]
pub struct Domain<'a> {
    /// Field prime p (`setFieldFP`).
    pub field: &'a [u8],
    /// Coefficient A (`setA`).
    pub a: &'a [u8],
    /// Coefficient B (`setB`).
    pub b: &'a [u8],
    /// Generator G, SEC 1 encoded (`setG`), compressed or not.
    pub g: &'a [u8],
    /// Order R of G (`setR`).
    pub r: &'a [u8],
    /// Cofactor K (`setK`); `None` when the applet did not set it (only
    /// `ALG_EC_SVDP_DHC` needs it).
    pub k: Option<u16>,
}

/// Accepts exactly secp256r1: the card computes with `p256`'s built-in
/// curve, so any other parameters are refused rather than silently
/// replaced.
pub fn check_domain(d: &Domain<'_>) -> Result<(), EcError> {
    let g_ok = match PublicKey::from_sec1_bytes(d.g) {
        Ok(g) => *g.as_affine() == AffinePoint::GENERATOR,
        Err(_) => false,
    };
    if same_integer(d.field, &P)
        && same_integer(d.a, &A)
        && same_integer(d.b, &B)
        && same_integer(d.r, &N)
        && g_ok
        && matches!(d.k, None | Some(1))
    {
        Ok(())
    } else {
        Err(EcError::UnsupportedCurve)
    }
}

/// secp256r1's domain parameters in the form `ECKey`'s getters return
/// them (p, A, B, G uncompressed, R, K).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct P256Domain {
    pub field: [u8; FIELD_LEN],
    pub a: [u8; FIELD_LEN],
    pub b: [u8; FIELD_LEN],
    pub g: [u8; POINT_LEN],
    pub r: [u8; FIELD_LEN],
    pub k: u16,
}

/// The curve's parameters, for the getters of a key whose parameters were
/// set (they can only be these) and for keys built with them preset.
pub fn p256_domain() -> P256Domain {
    P256Domain {
        field: P,
        a: A,
        b: B,
        g: encode(&AffinePoint::GENERATOR),
        r: N,
        k: 1,
    }
}

fn encode(p: &AffinePoint) -> [u8; POINT_LEN] {
    let ep = p.to_encoded_point(false);
    let mut out = [0u8; POINT_LEN];
    // An affine point that is not the identity always encodes to 65 bytes;
    // the identity (1 byte) is never built here (PublicKey excludes it),
    // and a short encoding would leave zeros rather than panic.
    let bytes = ep.as_bytes();
    let n = bytes.len().min(POINT_LEN);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

/// The public point W from its SEC 1 encoding: uncompressed `04 x y`
/// (what Java Card's `setW` documents) or compressed `02/03 x` (decompressed
/// by `p256`). The point must be on the curve and not the identity.
pub fn public_point(w: &[u8]) -> Result<PublicKey, EcError> {
    PublicKey::from_sec1_bytes(w).map_err(|_| EcError::InvalidPoint)
}

/// W in the uncompressed form `getW` returns, whatever form it was set in.
pub fn normalize_point(w: &[u8]) -> Result<[u8; POINT_LEN], EcError> {
    Ok(encode(public_point(w)?.as_affine()))
}

/// The private value S as a `p256` secret: 1 <= S < n, at most 32
/// significant bytes (shorter values are left-padded).
pub fn secret(s: &[u8]) -> Result<SecretKey, EcError> {
    let s = significant(s);
    if s.len() > FIELD_LEN {
        return Err(EcError::InvalidScalar);
    }
    let mut bytes = FieldBytes::default();
    bytes[FIELD_LEN - s.len()..].copy_from_slice(s);
    SecretKey::from_bytes(&bytes).map_err(|_| EcError::InvalidScalar)
}

/// The public point W = S·G of a private value, uncompressed.
pub fn public_of(s: &[u8]) -> Result<[u8; POINT_LEN], EcError> {
    Ok(encode(secret(s)?.public_key().as_affine()))
}

/// A fresh key pair (S, W) from `rng`: S uniform in [1, n) (`p256` draws
/// by rejection), W uncompressed.
pub fn generate(rng: &mut impl CryptoRngCore) -> ([u8; FIELD_LEN], [u8; POINT_LEN]) {
    let sk = SecretKey::random(rng);
    let mut s = [0u8; FIELD_LEN];
    s.copy_from_slice(&sk.to_bytes());
    (s, encode(sk.public_key().as_affine()))
}

/// The message digests ECDSA signs with (`Signature.ALG_ECDSA_SHA`,
/// `ALG_ECDSA_SHA_256`).
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
        use super::digest::Hasher;
        match self {
            Hash::Sha1 => Hasher::Sha1(Default::default()),
            Hash::Sha224 => Hasher::Sha224(Default::default()),
            Hash::Sha256 => Hasher::Sha256(Default::default()),
            Hash::Sha384 => Hasher::Sha384(Default::default()),
            Hash::Sha512 => Hasher::Sha512(Default::default()),
        }
    }

    /// The digest length, which `signPreComputedHash` requires of its input.
    pub fn digest_len(self) -> usize {
        self.hasher().digest_len()
    }

    pub fn digest(self, msg: &[u8]) -> Vec<u8> {
        let mut h = self.hasher();
        h.update(msg);
        h.finish()
    }
}

/// The hash as ECDSA takes it: SEC 1 v2 section 4.1.3 step 5 (FIPS 186-5
/// section 6.4.1) makes e the integer of the hash's leftmost bits, at most
/// the order's 256, for a hash of any length. One shorter than the field
/// is the same integer padded on the left with zeros (ecdsa's bits2field
/// would refuse one below half the field); a longer one is truncated by
/// the crate. Only an empty hash is refused.
fn field_hash(prehash: &[u8]) -> Result<Cow<'_, [u8]>, EcError> {
    match prehash.len() {
        0 => Err(EcError::InvalidHashLength),
        n if n < FIELD_LEN => {
            let mut h = alloc::vec![0u8; FIELD_LEN];
            h[FIELD_LEN - n..].copy_from_slice(prehash);
            Ok(Cow::Owned(h))
        }
        _ => Ok(Cow::Borrowed(prehash)),
    }
}

/// ECDSA signature of a precomputed hash (`signPreComputedHash`), DER
/// encoded (SEQUENCE { INTEGER r, INTEGER s }), as Java Card returns
/// signatures. A hash longer than 32 bytes is truncated to its leftmost
/// 256 bits, as FIPS 186-4 says.
pub fn sign_prehash(
    s: &[u8],
    prehash: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, EcError> {
    let prehash = field_hash(prehash)?;
    let key = SigningKey::from(secret(s)?);
    let sig: Signature = key
        .sign_prehash_with_rng(rng, &prehash)
        .map_err(|_| EcError::InvalidHashLength)?;
    Ok(sig.to_der().as_bytes().to_vec())
}

/// ECDSA signature of `msg` hashed with `hash`, DER encoded.
pub fn sign(
    s: &[u8],
    hash: Hash,
    msg: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, EcError> {
    sign_prehash(s, &hash.digest(msg), rng)
}

/// The RFC 6979 deterministic signature (no added randomness), as
/// (r, s) bytes: for checking against the RFC's published values.
pub fn sign_prehash_deterministic(
    s: &[u8],
    prehash: &[u8],
) -> Result<([u8; 32], [u8; 32]), EcError> {
    let prehash = field_hash(prehash)?;
    let key = SigningKey::from(secret(s)?);
    let sig: Signature = key
        .sign_prehash(&prehash)
        .map_err(|_| EcError::InvalidHashLength)?;
    let (r, s) = sig.split_bytes();
    Ok((r.into(), s.into()))
}

/// Whether `der` is a valid ECDSA signature of the precomputed hash by the
/// public point `w`. A malformed signature (not strict DER, r or s zero or
/// not below n) is `Ok(false)`, as `Signature.verify` answers false; only
/// a bad key is an error.
pub fn verify_prehash(w: &[u8], prehash: &[u8], der: &[u8]) -> Result<bool, EcError> {
    let prehash = field_hash(prehash)?;
    let key = VerifyingKey::from(public_point(w)?);
    let Ok(sig) = Signature::from_der(der) else {
        return Ok(false);
    };
    Ok(key.verify_prehash(&prehash, &sig).is_ok())
}

/// Whether `der` is a valid ECDSA signature of `msg` hashed with `hash`.
pub fn verify(w: &[u8], hash: Hash, msg: &[u8], der: &[u8]) -> Result<bool, EcError> {
    verify_prehash(w, &hash.digest(msg), der)
}

/// `KeyAgreement` algorithms over P-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agreement {
    /// `ALG_EC_SVDP_DH`: the SHA-1 digest of the shared point's x
    /// coordinate (20 bytes), as the Java Card 2.2 to 3.1 API defines it.
    /// (With cofactor 1, `ALG_EC_SVDP_DHC` is the same value.)
    Sha1OfX,
    /// `ALG_EC_SVDP_DH_PLAIN`: x itself (32 bytes), IEEE P1363 ECSVDP-DH.
    PlainX,
    /// `ALG_EC_SVDP_DH_PLAIN_XY`: the shared point uncompressed (65 bytes).
    PlainXY,
}

/// ECDH: the secret from our private value `s` and the peer's public point
/// (any SEC 1 form). A peer point off the curve is refused (`p256` checks
/// the curve equation when decoding), which stops invalid-curve attacks.
pub fn agree(s: &[u8], peer: &[u8], alg: Agreement) -> Result<Vec<u8>, EcError> {
    let sk = secret(s)?;
    let peer = public_point(peer)?;
    match alg {
        Agreement::PlainXY => {
            // The full point: S·W by the crate's (constant-time) scalar
            // multiplication. Not the identity: W has prime order n and
            // 0 < S < n.
            let shared = (peer.to_projective() * *sk.to_nonzero_scalar()).to_affine();
            Ok(shared.to_encoded_point(false).as_bytes().to_vec())
        }
        _ => {
            let shared = p256::ecdh::diffie_hellman(sk.to_nonzero_scalar(), peer.as_affine());
            let x = shared.raw_secret_bytes();
            Ok(match alg {
                Agreement::Sha1OfX => sha1::Sha1::digest(x).to_vec(),
                _ => x.to_vec(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::ff::PrimeField;
    use p256::elliptic_curve::Curve;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn der(r: &[u8], s: &[u8]) -> Vec<u8> {
        Signature::from_scalars(*FieldBytes::from_slice(r), *FieldBytes::from_slice(s))
            .unwrap()
            .to_der()
            .as_bytes()
            .to_vec()
    }

    fn g() -> [u8; POINT_LEN] {
        p256_domain().g
    }

    #[test]
    fn constants_are_the_crates_curve() {
        use p256::elliptic_curve::bigint::Encoding;
        use p256::elliptic_curve::point::AffineCoordinates;
        assert_eq!(p256::NistP256::ORDER.to_be_bytes(), N);
        type Params = p256::NistP256;
        use primeorder::PrimeCurveParams;
        assert_eq!(
            <Params as PrimeCurveParams>::EQUATION_A
                .to_repr()
                .as_slice(),
            &A
        );
        assert_eq!(
            <Params as PrimeCurveParams>::EQUATION_B
                .to_repr()
                .as_slice(),
            &B
        );
        // A = p - 3: p's last byte is A's plus 3, the rest equal.
        assert_eq!(P[..31], A[..31]);
        assert_eq!(P[31], A[31] + 3);
        // G's x is the published one (SEC 2 2.4.2).
        assert_eq!(
            AffinePoint::GENERATOR.x().as_slice(),
            hex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296")
        );
    }

    #[test]
    fn domain_check_accepts_p256_only() {
        let g = g();
        let good = Domain {
            field: &P,
            a: &A,
            b: &B,
            g: &g,
            r: &N,
            k: Some(1),
        };
        assert_eq!(check_domain(&good), Ok(()));
        // Leading zeros and a compressed G are the same curve.
        let p0 = [&[0u8, 0][..], &P].concat();
        let gc = PublicKey::from_sec1_bytes(&g)
            .unwrap()
            .to_encoded_point(true);
        let same = Domain {
            field: &p0,
            g: gc.as_bytes(),
            k: None,
            ..good
        };
        assert_eq!(check_domain(&same), Ok(()));
        // secp256k1: p, A = 0, B = 7, its own G and order.
        let k1_p = hex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f");
        let other = Domain {
            field: &k1_p,
            a: &[0],
            b: &[7],
            ..good
        };
        assert_eq!(check_domain(&other), Err(EcError::UnsupportedCurve));
        let b1 = {
            let mut b = B;
            b[31] ^= 1;
            b
        };
        assert_eq!(
            check_domain(&Domain { b: &b1, ..good }),
            Err(EcError::UnsupportedCurve)
        );
        assert_eq!(
            check_domain(&Domain { k: Some(4), ..good }),
            Err(EcError::UnsupportedCurve)
        );
        assert_eq!(
            check_domain(&Domain {
                g: &[4, 1, 2],
                ..good
            }),
            Err(EcError::UnsupportedCurve)
        );
        assert_eq!(EcError::UnsupportedCurve.reason(), reason::ILLEGAL_VALUE);
    }

    // RFC 6979 A.2.5 (ECDSA, 256 bits, prime field): key pair and the
    // deterministic signatures of "sample" (SHA-1, SHA-224, SHA-256,
    // SHA-384, SHA-512) and "test" (SHA-256); each also checked with Python
    // `cryptography`'s verify.
    const RFC_X: &str = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
    const RFC_UX: &str = "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6";
    const RFC_UY: &str = "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";

    fn rfc_w() -> Vec<u8> {
        hex(&alloc::format!("04{RFC_UX}{RFC_UY}"))
    }

    #[test]
    fn rfc6979_a25_public_key_and_signatures() {
        let x = hex(RFC_X);
        assert_eq!(public_of(&x).unwrap().to_vec(), rfc_w());
        let w = rfc_w();
        for (hash, msg, r, s) in [
            (
                Hash::Sha1,
                &b"sample"[..],
                "61340c88c3aaebeb4f6d667f672ca9759a6ccaa9fa8811313039ee4a35471d32",
                "6d7f147dac089441bb2e2fe8f7a3fa264b9c475098fdcf6e00d7c996e1b8b7eb",
            ),
            (
                Hash::Sha256,
                b"sample",
                "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
                "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
            ),
            (
                Hash::Sha256,
                b"test",
                "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367",
                "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083",
            ),
            // "sample" with SHA-224, SHA-384 (digest truncated to 256 bits)
            // and SHA-512, from the same appendix.
            (
                Hash::Sha224,
                b"sample",
                "53b2fff5d1752b2c689df257c04c40a587fababb3f6fc2702f1343af7ca9aa3f",
                "b9afb64fdc03dc1a131c7d2386d11e349f070aa432a4acc918bea988bf75c74c",
            ),
            (
                Hash::Sha384,
                b"sample",
                "0eafea039b20e9b42309fb1d89e213057cbf973dc0cfc8f129edddc800ef7719",
                "4861f0491e6998b9455193e34e7b0d284ddd7149a74b95b9261f13abde940954",
            ),
            (
                Hash::Sha512,
                b"sample",
                "8496a60b5e9b47c825488827e0495b0e3fa109ec4568fd3f8d1097678eb97f00",
                "2362ab1adbe2b8adf9cb9edab740ea6049c028114f2460f96554f61fae3302fe",
            ),
        ] {
            // RFC 6979 derives k with HMAC of the message's own digest;
            // `p256` always uses HMAC-SHA-256, so only the SHA-256 values
            // are reproduced bit for bit (the SHA-1 one still verifies).
            if hash == Hash::Sha256 {
                let h = hash.digest(msg);
                let (gr, gs) = sign_prehash_deterministic(&x, &h).unwrap();
                assert_eq!((gr.to_vec(), gs.to_vec()), (hex(r), hex(s)), "{msg:?}");
            }
            let sig = der(&hex(r), &hex(s));
            assert_eq!(verify(&w, hash, msg, &sig), Ok(true));
            assert_eq!(verify(&w, hash, b"other", &sig), Ok(false));
        }
    }

    // NIST CAVP ECDSA vectors, [P-256,SHA-256]: the first two records of
    // 186-3 SigVer.rsp (Result = F (3 - S changed), Result = F (2 - R
    // changed)) and the first record of 186-4 SigGen.txt, whose published
    // (R, S) must verify under its Q (and Q must be d·G). The vectors give
    // the message; its SHA-256 is computed here. Checked against Python
    // `cryptography` (EllipticCurvePublicNumbers(...).verify).
    #[test]
    fn cavp_p256_sha256_sigver_and_siggen() {
        let cases = [
            (
                "e4796db5f785f207aa30d311693b3702821dff1168fd2e04c0836825aefd850d9aa60326d88cde1a23c7745351392ca2288d632c264f197d05cd424a30336c19fd09bb229654f0222fcb881a4b35c290a093ac159ce13409111ff0358411133c24f5b8e2090d6db6558afc36f06ca1f6ef779785adba68db27a409859fc4c4a0",
                "87f8f2b218f49845f6f10eec3877136269f5c1a54736dbdf69f89940cad41555",
                "e15f369036f49842fac7a86c8a2b0557609776814448b8f5e84aa9f4395205e9",
                "d19ff48b324915576416097d2544f7cbdf8768b1454ad20e0baac50e211f23b0",
                "a3e81e59311cdfff2d4784949f7a2cb50ba6c3a91fa54710568e61aca3e847c6",
                false,
            ),
            (
                "069a6e6b93dfee6df6ef6997cd80dd2182c36653cef10c655d524585655462d683877f95ecc6d6c81623d8fac4e900ed0019964094e7de91f1481989ae1873004565789cbf5dc56c62aedc63f62f3b894c9c6f7788c8ecaadc9bd0e81ad91b2b3569ea12260e93924fdddd3972af5273198f5efda0746219475017557616170e",
                "5cf02a00d205bdfee2016f7421807fc38ae69e6b7ccd064ee689fc1a94a9f7d2",
                "ec530ce3cc5c9d1af463f264d685afe2b4db4b5828d7e61b748930f3ce622a85",
                "dc23d130c6117fb5751201455e99f36f59aba1a6a21cf2d0e7481a97451d6693",
                "d6ce7708c18dbf35d4f8aa7240922dc6823f2e7058cbc1484fcad1599db5018c",
                false,
            ),
            (
                "5905238877c77421f73e43ee3da6f2d9e2ccad5fc942dcec0cbd25482935faaf416983fe165b1a045ee2bcd2e6dca3bdf46c4310a7461f9a37960ca672d3feb5473e253605fb1ddfd28065b53cb5858a8ad28175bf9bd386a5e471ea7a65c17cc934a9d791e91491eb3754d03799790fe2d308d16146d5c9b0d0debd97d79ce8",
                "1ccbe91c075fc7f4f033bfa248db8fccd3565de94bbfb12f3c59ff46c271bf83",
                "ce4014c68811f9a21a1fdb2c0e6113e06db7ca93b7404e78dc7ccd5ca89a4ca9",
                "f3ac8061b514795b8843e3d6629527ed2afd6b1f6a555a7acabb5e6f79c8c2ac",
                "8bf77819ca05a6b2786c76262bf7371cef97b218e96f175a3ccdda2acc058903",
                true,
            ),
        ];
        for (msg, qx, qy, r, s, ok) in cases {
            let w = hex(&alloc::format!("04{qx}{qy}"));
            let sig = der(&hex(r), &hex(s));
            assert_eq!(verify(&w, Hash::Sha256, &hex(msg), &sig), Ok(ok), "Qx {qx}");
        }
        let d = hex("519b423d715f8b581f4fa8ee59f4771a5b44c8130b4e3eacca54a56dda72b464");
        assert_eq!(
            public_of(&d).unwrap().to_vec(),
            hex(&alloc::format!("04{}{}", cases[2].1, cases[2].2))
        );
    }

    #[test]
    fn sign_then_verify_round_trips_with_der_output() {
        let mut rng = ChaCha20Rng::from_seed([7; 32]);
        for _ in 0..4 {
            let (s, w) = generate(&mut rng);
            assert_eq!(public_of(&s).unwrap(), w);
            for hash in [Hash::Sha1, Hash::Sha256] {
                let sig = sign(&s, hash, b"hydra", &mut rng).unwrap();
                assert!(
                    sig.len() <= MAX_SIGNATURE_LEN && sig[0] == 0x30,
                    "{sig:02x?}"
                );
                assert_eq!(verify(&w, hash, b"hydra", &sig), Ok(true));
                assert_eq!(verify(&w, hash, b"hydrA", &sig), Ok(false));
                // A precomputed hash signs the same way.
                let h = hash.digest(b"hydra");
                let sig2 = sign_prehash(&s, &h, &mut rng).unwrap();
                assert_eq!(verify_prehash(&w, &h, &sig2), Ok(true));
                // Hedged: two signatures of one message differ.
                assert_ne!(sig, sig2);
            }
        }
    }

    /// ECDSA verification written out (SEC 1 v2 section 4.1.4) with `e`
    /// the integer of the hash's bytes, whatever their number up to 32:
    /// x(e/s G + r/s Q) mod n = r.
    fn verifies_by_hand(w: &[u8], hash: &[u8], der: &[u8]) -> bool {
        use p256::elliptic_curve::ops::Reduce;
        use p256::elliptic_curve::point::AffineCoordinates;
        use p256::{ProjectivePoint, Scalar, U256};
        let sig = Signature::from_der(der).unwrap();
        let mut e = [0u8; 32];
        e[32 - hash.len()..].copy_from_slice(hash);
        let e = <Scalar as Reduce<U256>>::reduce_bytes(FieldBytes::from_slice(&e));
        let (r, s) = (*sig.r(), *sig.s());
        let si = s.invert().unwrap();
        let q = ProjectivePoint::from(*public_point(w).unwrap().as_affine());
        let x = (ProjectivePoint::GENERATOR * (e * si) + q * (r * si))
            .to_affine()
            .x();
        <Scalar as Reduce<U256>>::reduce_bytes(&x) == r
    }

    #[test]
    fn a_hash_shorter_than_the_field_is_its_integer() {
        // SEC 1 v2 4.1.3 step 5: e is the hash itself when it has fewer
        // bits than the order, so 11 or 15 bytes sign as they stand (a
        // host's raw ECDSA input), as 32 bytes do.
        let mut rng = ChaCha20Rng::from_seed([3; 32]);
        let (s, w) = generate(&mut rng);
        for h in [
            &b"hello hydra"[..],
            &[0x80; 15][..],
            &[1][..],
            &[0xff; 32][..],
        ] {
            let sig = sign_prehash(&s, h, &mut rng).unwrap();
            assert!(verifies_by_hand(&w, h, &sig), "{h:02x?}");
            assert_eq!(verify_prehash(&w, h, &sig), Ok(true));
            let mut other = h.to_vec();
            other[0] ^= 1;
            assert_eq!(verify_prehash(&w, &other, &sig), Ok(false));
        }
        assert_eq!(
            verify_prehash(&w, &[], &[0x30, 0]),
            Err(EcError::InvalidHashLength)
        );
    }

    #[test]
    fn bad_inputs_are_errors_or_false_never_panics() {
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let (s, w) = generate(&mut rng);
        assert_eq!(secret(&[]).unwrap_err(), EcError::InvalidScalar);
        assert_eq!(secret(&[0; 32]).unwrap_err(), EcError::InvalidScalar);
        assert_eq!(secret(&N).unwrap_err(), EcError::InvalidScalar);
        assert_eq!(secret(&[1; 33]).unwrap_err(), EcError::InvalidScalar);
        assert!(secret(&[0, 0, 5]).is_ok());
        assert_eq!(
            sign_prehash(&s, &[], &mut rng),
            Err(EcError::InvalidHashLength)
        );
        // A point off the curve, a truncated one, the identity.
        let mut off = w;
        off[64] ^= 1;
        for bad in [&off[..], &w[..40], &[0u8][..], &[]] {
            assert_eq!(public_point(bad).unwrap_err(), EcError::InvalidPoint);
            assert_eq!(
                agree(&s, bad, Agreement::PlainX),
                Err(EcError::InvalidPoint)
            );
        }
        let sig = sign(&s, Hash::Sha256, b"m", &mut rng).unwrap();
        for bad in [&sig[..sig.len() - 1], &[], &[0x30, 0], &[0xff; 72]] {
            assert_eq!(verify(&w, Hash::Sha256, b"m", bad), Ok(false));
        }
        // BER with a padded length is not DER.
        let mut long = alloc::vec![0x30, 0x81, sig[1]];
        long.extend_from_slice(&sig[2..]);
        assert_eq!(verify(&w, Hash::Sha256, b"m", &long), Ok(false));
    }

    // NIST CAVS 14.1 ECC CDH primitive test vectors (KAS_ECC_CDH_PrimitiveTest.txt),
    // [P-256], COUNT = 0 and 1: QCAVS is the peer's point, dIUT our
    // private value, ZIUT the x coordinate of the shared point.
    #[test]
    fn cavs_ecc_cdh_p256() {
        for (qx, qy, d, qix, qiy, z) in [
            (
                "700c48f77f56584c5cc632ca65640db91b6bacce3a4df6b42ce7cc838833d287",
                "db71e509e3fd9b060ddb20ba5c51dcc5948d46fbf640dfe0441782cab85fa4ac",
                "7d7dc5f71eb29ddaf80d6214632eeae03d9058af1fb6d22ed80badb62bc1a534",
                "ead218590119e8876b29146ff89ca61770c4edbbf97d38ce385ed281d8a6b230",
                "28af61281fd35e2fa7002523acc85a429cb06ee6648325389f59edfce1405141",
                "46fc62106420ff012e54a434fbdd2d25ccc5852060561e68040dd7778997bd7b",
            ),
            (
                "809f04289c64348c01515eb03d5ce7ac1a8cb9498f5caa50197e58d43a86a7ae",
                "b29d84e811197f25eba8f5194092cb6ff440e26d4421011372461f579271cda3",
                "38f65d6dce47676044d58ce5139582d568f64bb16098d179dbab07741dd5caf5",
                "119f2f047902782ab0c9e27a54aff5eb9b964829ca99c06b02ddba95b0a3f6d0",
                "8f52b726664cac366fc98ac7a012b2682cbd962e5acb544671d41b9445704d1d",
                "057d636096cb80b67a8c038c890e887d1adfa4195e9b3ce241c8a778c59cda67",
            ),
        ] {
            let peer = hex(&alloc::format!("04{qx}{qy}"));
            let d = hex(d);
            assert_eq!(
                public_of(&d).unwrap().to_vec(),
                hex(&alloc::format!("04{qix}{qiy}"))
            );
            let z = hex(z);
            assert_eq!(agree(&d, &peer, Agreement::PlainX).unwrap(), z);
            assert_eq!(
                agree(&d, &peer, Agreement::Sha1OfX).unwrap(),
                sha1::Sha1::digest(&z).to_vec()
            );
            let xy = agree(&d, &peer, Agreement::PlainXY).unwrap();
            assert_eq!((xy.len(), xy[0], &xy[1..33]), (POINT_LEN, 4, &z[..]));
            // The compressed peer point gives the same secret.
            let pc = public_point(&peer).unwrap().to_encoded_point(true);
            assert_eq!(agree(&d, pc.as_bytes(), Agreement::PlainX).unwrap(), z);
        }
    }

    #[test]
    fn both_sides_of_ecdh_agree() {
        let mut rng = ChaCha20Rng::from_seed([3; 32]);
        let (sa, wa) = generate(&mut rng);
        let (sb, wb) = generate(&mut rng);
        for alg in [Agreement::Sha1OfX, Agreement::PlainX, Agreement::PlainXY] {
            assert_eq!(agree(&sa, &wb, alg), agree(&sb, &wa, alg));
        }
        assert_eq!(normalize_point(&wa).unwrap(), wa);
    }
}
