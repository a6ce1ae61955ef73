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

    /// `RandomData.getInstance(byte algorithm)`.
    pub(crate) fn random_get_instance(&mut self, alg: u8) -> Result<Ref, Exc> {
        let seed = match alg {
            ALG_SECURE_RANDOM | ALG_TRNG | ALG_PRESEEDED_DRBG | ALG_KEYGENERATION => {
                self.entropy_seed()
            }
            ALG_PSEUDO_RANDOM | ALG_FAST => Some(self.entropy_seed().unwrap_or([0x5A; 32])),
            _ => None,
        };
        let Some(seed) = seed else {
            return Err(self.crypto_exc(reason::NO_SUCH_ALGORITHM));
        };
        self.new_engine(tok::RANDOM_DATA, alg, Engine::Random(Generator::new(seed)))
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
