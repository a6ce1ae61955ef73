//! `MessageDigest` (JC 3.0.5): SHA-1, SHA-224, SHA-256, SHA-384, SHA-512
//! from RustCrypto's `sha1` and `sha2`.

use sha1::Digest as _;

use super::{reason, tok, Engine};
use crate::card::Card;
use crate::heap::Ref;
use crate::interp::Exc;
use crate::nvm::Nvm;

/// `MessageDigest.ALG_*` values the card has.
pub const ALG_SHA: u8 = 1;
pub const ALG_SHA_256: u8 = 4;
pub const ALG_SHA_384: u8 = 5;
pub const ALG_SHA_512: u8 = 6;
pub const ALG_SHA_224: u8 = 7;

/// A hash in progress.
#[derive(Clone)]
pub enum Hasher {
    Sha1(sha1::Sha1),
    Sha224(sha2::Sha224),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
    /// Resumed from a state by `setInitialDigest`.
    Resumed(alloc::boxed::Box<super::initdigest::Resumed>),
}

impl Hasher {
    /// A fresh hash of `MessageDigest` algorithm `alg`, if the card has it.
    pub fn new(alg: u8) -> Option<Hasher> {
        Some(match alg {
            ALG_SHA => Hasher::Sha1(sha1::Sha1::new()),
            ALG_SHA_224 => Hasher::Sha224(sha2::Sha224::new()),
            ALG_SHA_256 => Hasher::Sha256(sha2::Sha256::new()),
            ALG_SHA_384 => Hasher::Sha384(sha2::Sha384::new()),
            ALG_SHA_512 => Hasher::Sha512(sha2::Sha512::new()),
            _ => return None,
        })
    }

    /// Its `MessageDigest.ALG_*`.
    pub fn alg(&self) -> u8 {
        match self {
            Hasher::Sha1(_) => ALG_SHA,
            Hasher::Sha224(_) => ALG_SHA_224,
            Hasher::Sha256(_) => ALG_SHA_256,
            Hasher::Sha384(_) => ALG_SHA_384,
            Hasher::Sha512(_) => ALG_SHA_512,
            Hasher::Resumed(r) => r.alg(),
        }
    }

    /// The same hash resumed from `state` after `count` bytes
    /// (`setInitialDigest`).
    pub fn resumed(&self, state: &[u8], count: u128) -> Result<Hasher, super::CryptoError> {
        let r = super::initdigest::Resumed::new(self.alg(), state, count)?;
        Ok(Hasher::Resumed(alloc::boxed::Box::new(r)))
    }

    /// Digest length in bytes.
    pub fn digest_len(&self) -> usize {
        match self {
            Hasher::Sha1(_) => 20,
            Hasher::Sha224(_) => 28,
            Hasher::Sha256(_) => 32,
            Hasher::Sha384(_) => 48,
            Hasher::Sha512(_) => 64,
            Hasher::Resumed(r) => r.digest_len(),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha224(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
            Hasher::Resumed(r) => r.update(data),
        }
    }

    /// The digest; the hash starts over.
    pub fn finish(&mut self) -> alloc::vec::Vec<u8> {
        match self {
            Hasher::Sha1(h) => h.finalize_reset().to_vec(),
            Hasher::Sha224(h) => h.finalize_reset().to_vec(),
            Hasher::Sha256(h) => h.finalize_reset().to_vec(),
            Hasher::Sha384(h) => h.finalize_reset().to_vec(),
            Hasher::Sha512(h) => h.finalize_reset().to_vec(),
            // Starts over from the algorithm's own initial value.
            Hasher::Resumed(r) => {
                let out = (**r).clone().finish();
                if let Some(fresh) = Hasher::new(r.alg()) {
                    *self = fresh;
                }
                out
            }
        }
    }

    pub fn reset(&mut self) {
        let _ = self.finish();
    }
}

impl<N: Nvm> Card<N> {
    /// `MessageDigest.getInstance(byte algorithm, boolean externalAccess)`.
    pub(crate) fn digest_get_instance(&mut self, alg: u8, external: bool) -> Result<Ref, Exc> {
        // Objects other contexts may use (externalAccess) are not offered.
        let h = match Hasher::new(alg) {
            Some(h) if !external => h,
            _ => return Err(self.crypto_exc(reason::NO_SUCH_ALGORITHM)),
        };
        self.new_engine(tok::MESSAGE_DIGEST, alg, Engine::Digest(h))
    }

    fn hasher(&mut self, this: Ref) -> Result<&mut Hasher, Exc> {
        match self.engine(this)? {
            Engine::Digest(h) => Ok(h),
            _ => Err(Exc::Fault(crate::error::Fault::Corrupt("not a digest"))),
        }
    }

    /// `update(byte[] in, short off, short len)`.
    pub(crate) fn digest_update(
        &mut self,
        this: Ref,
        a: Ref,
        off: i16,
        len: i16,
    ) -> Result<(), Exc> {
        let data = self.bytes_in(a, off, len)?;
        self.hasher(this)?.update(&data);
        Ok(())
    }

    /// `doFinal(byte[] in, short inOff, short inLen, byte[] out, short
    /// outOff)`: the digest length.
    pub(crate) fn digest_do_final(
        &mut self,
        this: Ref,
        (a, off, len): (Ref, i16, i16),
        (out, out_off): (Ref, i16),
    ) -> Result<i16, Exc> {
        let data = self.bytes_in(a, off, len)?;
        // On a copy: an output out of bounds leaves the hash as it was.
        let mut h = self.hasher(this)?.clone();
        h.update(&data);
        let digest = h.finish();
        self.bytes_out(out, out_off, &digest)?;
        self.hasher(this)?.reset();
        Ok(digest.len() as i16)
    }

    /// `getLength()`.
    pub(crate) fn digest_length(&mut self, this: Ref) -> Result<i16, Exc> {
        Ok(self.hasher(this)?.digest_len() as i16)
    }

    /// `reset()`.
    pub(crate) fn digest_reset(&mut self, this: Ref) -> Result<(), Exc> {
        self.hasher(this)?.reset();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::Config;
    use crate::heap::K_BYTE;
    use crate::nvm::RamNvm;
    use crate::security::reason;

    fn hex(s: &str) -> alloc::vec::Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// FIPS 180-2 appendix examples: the digests of "abc".
    #[test]
    fn digests_of_abc_match_fips_180() {
        let mut card = Card::boot(RamNvm::new(256 * 1024), Config::default()).unwrap();
        let input = card
            .new_array(K_BYTE, crate::class::NO_CLASS, 3, 0)
            .unwrap();
        card.bytes_out(input, 0, b"abc").unwrap();
        let out = card
            .new_array(K_BYTE, crate::class::NO_CLASS, 64, 0)
            .unwrap();
        for (alg, want) in [
            (ALG_SHA, "a9993e364706816aba3e25717850c26c9cd0d89d"),
            (ALG_SHA_224, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"),
            (
                ALG_SHA_256,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                ALG_SHA_384,
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
            ),
            (
                ALG_SHA_512,
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            ),
        ] {
            let md = card.digest_get_instance(alg, false).unwrap();
            // In two pieces: "a", then "bc" with doFinal.
            card.digest_update(md, input, 0, 1).unwrap();
            let n = card.digest_do_final(md, (input, 1, 2), (out, 0)).unwrap();
            let want = hex(want);
            assert_eq!(n as usize, want.len());
            assert_eq!(card.bytes_in(out, 0, n).unwrap(), want, "algorithm {alg}");
            // doFinal starts over: the same digest again in one piece.
            card.digest_do_final(md, (input, 0, 3), (out, 0)).unwrap();
            assert_eq!(card.bytes_in(out, 0, n).unwrap(), want, "algorithm {alg}, again");
        }
    }

    #[test]
    fn an_unknown_algorithm_is_no_such_algorithm_and_a_short_output_changes_nothing() {
        let mut card = Card::boot(RamNvm::new(256 * 1024), Config::default()).unwrap();
        let e = card.digest_get_instance(2, false).unwrap_err(); // MD5
        assert_eq!(
            card.describe(&e),
            alloc::format!(
                "javacard.security.CryptoException (reason {:#06x})",
                reason::NO_SUCH_ALGORITHM
            )
        );
        let md = card.digest_get_instance(ALG_SHA_256, false).unwrap();
        let input = card
            .new_array(K_BYTE, crate::class::NO_CLASS, 3, 0)
            .unwrap();
        card.bytes_out(input, 0, b"abc").unwrap();
        let small = card
            .new_array(K_BYTE, crate::class::NO_CLASS, 16, 0)
            .unwrap();
        assert!(card.digest_do_final(md, (input, 0, 3), (small, 0)).is_err());
        let out = card
            .new_array(K_BYTE, crate::class::NO_CLASS, 32, 0)
            .unwrap();
        card.digest_do_final(md, (input, 0, 3), (out, 0)).unwrap();
        assert_eq!(
            card.bytes_in(out, 0, 32).unwrap(),
            hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
    }
}
