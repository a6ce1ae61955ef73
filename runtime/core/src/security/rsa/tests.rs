//! RSA against published vectors (see `vectors.rs` for their sources).

use super::vectors::*;
use super::*;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::from_seed([9; 32])
}

struct Key {
    n: &'static str,
    e: &'static str,
    d: &'static str,
    p: &'static str,
    q: &'static str,
    dp: &'static str,
    dq: &'static str,
    qi: &'static str,
    msg: &'static str,
    sig_sha1: &'static str,
    sig_sha256: &'static str,
    raw_in: &'static str,
    raw_d: &'static str,
    raw_e: &'static str,
}

const KEYS: [Key; 2] = [
    Key {
        n: K1024_N,
        e: K1024_E,
        d: K1024_D,
        p: K1024_P,
        q: K1024_Q,
        dp: K1024_DP,
        dq: K1024_DQ,
        qi: K1024_QI,
        msg: K1024_MSG,
        sig_sha1: K1024_SIG_SHA1,
        sig_sha256: K1024_SIG_SHA256,
        raw_in: K1024_RAW_IN,
        raw_d: K1024_RAW_D,
        raw_e: K1024_RAW_E,
    },
    Key {
        n: K2048_N,
        e: K2048_E,
        d: K2048_D,
        p: K2048_P,
        q: K2048_Q,
        dp: K2048_DP,
        dq: K2048_DQ,
        qi: K2048_QI,
        msg: K2048_MSG,
        sig_sha1: K2048_SIG_SHA1,
        sig_sha256: K2048_SIG_SHA256,
        raw_in: K2048_RAW_IN,
        raw_d: K2048_RAW_D,
        raw_e: K2048_RAW_E,
    },
];

impl Key {
    fn public(&self) -> RsaPublicKey {
        public_key(&hex(self.n), &hex(self.e)).unwrap()
    }
    fn crt(&self) -> PrivateKey {
        crt_private_key(
            &hex(self.p),
            &hex(self.q),
            &hex(self.dp),
            &hex(self.dq),
            &hex(self.qi),
        )
        .unwrap()
    }
    fn nd(&self) -> PrivateKey {
        private_key(&hex(self.n), &hex(self.d)).unwrap()
    }
}

#[test]
fn pkcs1_v15_signatures_match_the_published_ones() {
    for k in &KEYS {
        let msg = hex(k.msg);
        let public = k.public();
        // PKCS#1 v1.5 signatures are deterministic: each kind of private
        // key gives the published bytes.
        for private in [k.crt(), k.nd()] {
            assert!(
                matches!(private, PrivateKey::Full(_)),
                "e = 65537 recovered"
            );
            for (hash, want) in [(Hash::Sha1, k.sig_sha1), (Hash::Sha256, k.sig_sha256)] {
                let sig = sign(&private, hash, Padding::Pkcs1, &msg, &mut rng()).unwrap();
                assert_eq!(sig, hex(want), "{hash:?}, {} bits", public.size() * 8);
                let h = hash.digest(&msg);
                assert_eq!(
                    sign_prehash(&private, hash, Padding::Pkcs1, &h, &mut rng()).unwrap(),
                    sig
                );
            }
        }
        for (hash, want) in [(Hash::Sha1, k.sig_sha1), (Hash::Sha256, k.sig_sha256)] {
            let sig = hex(want);
            assert_eq!(verify(&public, hash, Padding::Pkcs1, &msg, &sig), Ok(true));
            let mut bad = sig.clone();
            bad[10] ^= 0x40;
            assert_eq!(verify(&public, hash, Padding::Pkcs1, &msg, &bad), Ok(false));
            assert_eq!(
                verify(&public, hash, Padding::Pkcs1, &msg, &sig[1..]),
                Ok(false)
            );
            assert_eq!(
                verify(&public, hash, Padding::Pkcs1, b"other", &sig),
                Ok(false)
            );
        }
        // The wrong digest's signature is false, not an error.
        let sig1 = hex(k.sig_sha1);
        assert_eq!(
            verify(&public, Hash::Sha256, Padding::Pkcs1, &msg, &sig1),
            Ok(false)
        );
    }
}

#[test]
fn key_components_come_back_as_set() {
    for k in &KEYS {
        let PrivateKey::Full(full) = k.crt() else {
            panic!("CRT key not full")
        };
        let c = components(&full).unwrap();
        assert_eq!(c.n, hex(k.n));
        assert_eq!(c.e, hex(k.e));
        assert_eq!(c.dp, hex(k.dp));
        assert_eq!(c.dq, hex(k.dq));
        assert_eq!(c.pq, hex(k.qi));
        assert_eq!((c.p, c.q), (hex(k.p), hex(k.q)));
    }
}

#[test]
fn pss_verifies_the_published_signature_and_round_trips() {
    let public = public_key(&hex(PSS_N), &hex(PSS_E)).unwrap();
    let msg = hex(PSS_MSG);
    let sig = hex(PSS_SIG);
    assert_eq!(
        verify(&public, Hash::Sha1, Padding::Pss, &msg, &sig),
        Ok(true)
    );
    assert_eq!(
        verify(&public, Hash::Sha1, Padding::Pss, b"x", &sig),
        Ok(false)
    );
    let private = KEYS[0].crt();
    for hash in [Hash::Sha1, Hash::Sha256] {
        let s = sign(&private, hash, Padding::Pss, &msg, &mut rng()).unwrap();
        assert_eq!(s.len(), 128);
        assert_eq!(verify(&public, hash, Padding::Pss, &msg, &s), Ok(true));
        assert_eq!(verify(&public, hash, Padding::Pkcs1, &msg, &s), Ok(false));
    }
}

#[test]
fn pkcs1_and_oaep_decrypt_the_published_ciphertexts() {
    for (scheme, n, e, p, q, dp, dq, qi, msg, ct) in [
        (
            Scheme::Pkcs1,
            CRYPT_N,
            CRYPT_E,
            CRYPT_P,
            CRYPT_Q,
            CRYPT_DP,
            CRYPT_DQ,
            CRYPT_QI,
            CRYPT_MSG,
            CRYPT_CT,
        ),
        (
            Scheme::OaepSha1,
            OAEP_N,
            OAEP_E,
            OAEP_P,
            OAEP_Q,
            OAEP_DP,
            OAEP_DQ,
            OAEP_QI,
            OAEP_MSG,
            OAEP_CT,
        ),
    ] {
        let private = crt_private_key(&hex(p), &hex(q), &hex(dp), &hex(dq), &hex(qi)).unwrap();
        let ct = hex(ct);
        assert_eq!(
            decrypt(&private, scheme, &ct, &mut rng()).unwrap(),
            hex(msg),
            "{scheme:?}"
        );
        // A flipped byte breaks the padding: ILLEGAL_USE, as Cipher says.
        let mut bad = ct.clone();
        bad[5] ^= 1;
        let e_bad = decrypt(&private, scheme, &bad, &mut rng()).unwrap_err();
        assert_eq!(
            (e_bad, e_bad.reason()),
            (RsaError::Padding, reason::ILLEGAL_USE)
        );
        assert_eq!(
            decrypt(&private, scheme, &ct[1..], &mut rng()),
            Err(RsaError::InputLength)
        );
        // Encryption is randomised: round trip.
        let public = public_key(&hex(n), &hex(e)).unwrap();
        let c = encrypt(&public, scheme, b"hydra", &mut rng()).unwrap();
        assert_eq!(c.len(), 128);
        assert_eq!(decrypt(&private, scheme, &c, &mut rng()).unwrap(), b"hydra");
        // Too long for the padding (k - 11 for PKCS#1, k - 42 for OAEP-SHA-1).
        let long = [0u8; 118];
        assert_eq!(
            encrypt(&public, scheme, &long, &mut rng()),
            Err(RsaError::InputLength)
        );
    }
    let private = KEYS[0].crt();
    let public = KEYS[0].public();
    let c = encrypt_private_pkcs1(&private, b"raw", &mut rng()).unwrap();
    let em = raw_public(&public, &c).unwrap();
    // Block type 1: 00 01 FF .. FF 00 "raw".
    assert_eq!(&em[..3], &[0, 1, 0xff]);
    assert_eq!(&em[em.len() - 4..], b"\0raw");
}

#[test]
fn nopad_is_modular_exponentiation() {
    for k in &KEYS {
        let (input, want_d, want_e) = (hex(k.raw_in), hex(k.raw_d), hex(k.raw_e));
        let public = k.public();
        assert_eq!(
            encrypt(&public, Scheme::NoPad, &input, &mut rng()).unwrap(),
            want_e
        );
        for private in [k.crt(), k.nd()] {
            assert_eq!(
                decrypt(&private, Scheme::NoPad, &input, &mut rng()).unwrap(),
                want_d
            );
        }
        // Input not the modulus length, or not below n.
        assert_eq!(raw_public(&public, &input[1..]), Err(RsaError::InputLength));
        let n = hex(k.n);
        assert_eq!(raw_public(&public, &n), Err(RsaError::InputRange));
        assert_eq!(
            raw_private(&k.crt(), &n, &mut rng()),
            Err(RsaError::InputRange)
        );
    }
}

#[test]
fn an_nd_key_with_another_exponent_does_raw_rsa_only() {
    // The 1024-bit modulus with d' = 3⁻¹ mod λ(n) would need its own
    // vector; any d < n whose e is not 65537 shows the path: d = 3.
    let n = hex(K1024_N);
    let key = private_key(&n, &[3]).unwrap();
    assert!(matches!(key, PrivateKey::Raw(_)));
    let mut input = alloc::vec![0u8; 128];
    input[127] = 2;
    let out = raw_private(&key, &input, &mut rng()).unwrap();
    assert_eq!(out[127], 8);
    assert_eq!(out[..127], [0u8; 127]);
    let e = sign(&key, Hash::Sha256, Padding::Pkcs1, b"m", &mut rng()).unwrap_err();
    assert_eq!(
        (e, e.reason()),
        (RsaError::UnknownPublicExponent, reason::ILLEGAL_USE)
    );
}

#[test]
fn malformed_keys_are_refused() {
    let k = &KEYS[0];
    let even = {
        let mut n = hex(k.n);
        n[127] &= 0xfe;
        n
    };
    assert_eq!(
        public_key(&even, &[1, 0, 1]).unwrap_err(),
        RsaError::InvalidKey
    );
    assert_eq!(
        public_key(&[], &[1, 0, 1]).unwrap_err(),
        RsaError::InvalidKey
    );
    assert_eq!(
        public_key(&hex(k.n), &[]).unwrap_err(),
        RsaError::InvalidKey
    );
    assert_eq!(
        public_key(&hex(k.n), &[1]).unwrap_err(),
        RsaError::InvalidKey
    );
    assert!(private_key(&hex(k.n), &[]).is_err());
    assert!(private_key(&hex(k.n), &hex(k.n)).is_err());
    let (p, q, dp, dq, qi) = (hex(k.p), hex(k.q), hex(k.dp), hex(k.dq), hex(k.qi));
    assert!(crt_private_key(&p, &p, &dp, &dq, &qi).is_err());
    assert!(crt_private_key(&[], &q, &dp, &dq, &qi).is_err());
    assert!(crt_private_key(&p, &q, &dp, &dq, &[1]).is_err());
    assert!(crt_private_key(&p, &q, &dq, &dp, &qi).is_err());
    assert!(crt_private_key(&p, &q, &[], &dq, &qi).is_err());
    assert_eq!(
        sign_prehash(&k.crt(), Hash::Sha256, Padding::Pkcs1, &[0; 20], &mut rng()),
        Err(RsaError::InputLength)
    );
    assert_eq!(RsaError::InvalidKey.reason(), reason::ILLEGAL_VALUE);
}

#[test]
fn generated_keys_work() {
    let mut rng = rng();
    let key = generate(&mut rng, 512, None).unwrap();
    let c = components(&key).unwrap();
    assert_eq!((c.n.len(), c.e.as_slice()), (64, &[1u8, 0, 1][..]));
    let public = public_key(&c.n, &c.e).unwrap();
    let crt = crt_private_key(&c.p, &c.q, &c.dp, &c.dq, &c.pq).unwrap();
    let sig = sign(&crt, Hash::Sha256, Padding::Pkcs1, b"m", &mut rng).unwrap();
    assert_eq!(
        verify(&public, Hash::Sha256, Padding::Pkcs1, b"m", &sig),
        Ok(true)
    );
    assert_eq!(
        generate(&mut rng, 500, None).unwrap_err(),
        RsaError::KeySize
    );
    assert_eq!(
        generate(&mut rng, 256, None).unwrap_err(),
        RsaError::KeySize
    );
}
