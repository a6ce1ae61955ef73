//! `RandomData` (JC 3.0.5): ChaCha20 generators (`rand_chacha`) seeded
//! from the board's entropy source (`Config::entropy`).
//!
//! `ALG_SECURE_RANDOM`, `ALG_TRNG`, `ALG_KEYGENERATION` and
//! `ALG_PRESEEDED_DRBG` need that source (the host board reads
//! /dev/urandom; the emulated meter gets a seed from the emulator's host): a
//! board without one answers `NO_SUCH_ALGORITHM` for them, as the
//! specification asks of an algorithm the card cannot offer, rather than
//! hand out predictable numbers. `ALG_PSEUDO_RANDOM` and `ALG_FAST` are
//! always there: seeded from the source when there is one, else from a
//! fixed seed that `setSeed` extends, as a pseudo-random generator may be.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::Digest as _;

use super::{reason, tok, Engine};
use crate::card::Card;
use crate::heap::Ref;
use crate::interp::Exc;
use crate::nvm::Nvm;

pub const ALG_PSEUDO_RANDOM: u8 = 1;
pub const ALG_SECURE_RANDOM: u8 = 2;
pub const ALG_TRNG: u8 = 3;
pub const ALG_PRESEEDED_DRBG: u8 = 4;
pub const ALG_FAST: u8 = 5;
pub const ALG_KEYGENERATION: u8 = 6;

/// One `RandomData` object's generator.
pub struct Generator {
    rng: ChaCha20Rng,
    seed: [u8; 32],
}

impl Generator {
    fn new(seed: [u8; 32]) -> Generator {
        Generator {
            rng: ChaCha20Rng::from_seed(seed),
            seed,
        }
    }

    /// The generator itself, for the engines that draw from it (ECDSA
    /// nonces' hedge, key generation, RSA blinding).
    pub(crate) fn rng(&mut self) -> &mut ChaCha20Rng {
        &mut self.rng
    }

    /// Mixes `data` into the seed (SHA-256 of the old seed and the data).
    fn reseed(&mut self, data: &[u8]) {
        let mut h = sha2::Sha256::new();
        h.update(self.seed);
        h.update(data);
        self.seed = h.finalize().into();
        self.rng = ChaCha20Rng::from_seed(self.seed);
    }
}

impl<N: Nvm> Card<N> {
    /// 32 bytes from the board's entropy source, if it has one.
    fn entropy_seed(&self) -> Option<[u8; 32]> {
        let mut seed = [0u8; 32];
        let fill = self.config.entropy?;
        fill(&mut seed).then_some(seed)
    }

    /// A fresh generator of algorithm `alg`, if the card can offer it. Also
    /// what a `RandomData` object gets back after a reset took its state.
    pub(crate) fn new_generator(&self, alg: u8) -> Option<Generator> {
        let seed = match alg {
            ALG_SECURE_RANDOM | ALG_TRNG | ALG_PRESEEDED_DRBG | ALG_KEYGENERATION => {
                self.entropy_seed()
            }
            ALG_PSEUDO_RANDOM | ALG_FAST => Some(self.entropy_seed().unwrap_or([0x5A; 32])),
            _ => None,
        };
        seed.map(Generator::new)
    }

    /// `RandomData.getInstance(byte algorithm)`.
    pub(crate) fn random_get_instance(&mut self, alg: u8) -> Result<Ref, Exc> {
        let Some(g) = self.new_generator(alg) else {
            return Err(self.crypto_exc(reason::NO_SUCH_ALGORITHM));
        };
        self.new_engine(tok::RANDOM_DATA, alg, Engine::Random(g))
    }

    fn generator(&mut self, this: Ref) -> Result<&mut Generator, Exc> {
        match self.engine(this)? {
            Engine::Random(g) => Ok(g),
            _ => Err(Exc::Fault(crate::error::Fault::Corrupt("not a RandomData"))),
        }
    }

    /// `generateData(byte[] buf, short off, short len)` (and `nextBytes`,
    /// which also returns `off + len`).
    pub(crate) fn random_generate(
        &mut self,
        this: Ref,
        a: Ref,
        off: i16,
        len: i16,
    ) -> Result<(), Exc> {
        // Bounds first: nothing is drawn for a call that fails.
        let mut out = self.bytes_in(a, off, len)?;
        self.generator(this)?.rng.fill_bytes(&mut out);
        self.bytes_out(a, off, &out)
    }

    /// `setSeed(byte[] buf, short off, short len)`.
    pub(crate) fn random_set_seed(
        &mut self,
        this: Ref,
        a: Ref,
        off: i16,
        len: i16,
    ) -> Result<(), Exc> {
        let data = self.bytes_in(a, off, len)?;
        self.generator(this)?.reseed(&data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::Config;
    use crate::heap::K_BYTE;
    use crate::nvm::RamNvm;

    fn card(entropy: Option<fn(&mut [u8]) -> bool>) -> Card<RamNvm> {
        let config = Config {
            entropy,
            ..Config::default()
        };
        Card::boot(RamNvm::new(256 * 1024), config).unwrap()
    }

    fn counting(out: &mut [u8]) -> bool {
        for (i, b) in out.iter_mut().enumerate() {
            *b = i as u8;
        }
        true
    }

    #[test]
    fn secure_random_needs_an_entropy_source_and_survives_a_reset() {
        let mut without = card(None);
        assert!(without.random_get_instance(ALG_SECURE_RANDOM).is_err());
        assert!(without.random_get_instance(ALG_PSEUDO_RANDOM).is_ok());
        assert!(without.random_get_instance(9).is_err());

        let mut c = card(Some(counting));
        let r = c.random_get_instance(ALG_SECURE_RANDOM).unwrap();
        let buf = c.new_array(K_BYTE, crate::class::NO_CLASS, 32, 0).unwrap();
        c.random_generate(r, buf, 0, 16).unwrap();
        let first = c.bytes_in(buf, 0, 16).unwrap();
        c.random_generate(r, buf, 16, 16).unwrap();
        assert_ne!(
            first,
            c.bytes_in(buf, 16, 16).unwrap(),
            "the stream moves on"
        );
        // A reset takes the RAM state; the object works again, freshly seeded.
        c.engines = Default::default();
        c.random_generate(r, buf, 0, 32).unwrap();
        assert!(c.random_generate(r, buf, 20, 16).is_err(), "out of bounds");
    }
}
