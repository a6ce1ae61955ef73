//! `javacard.security`: the card's cryptography as Java Card objects.
//!
//! An engine object (a `MessageDigest`, a `RandomData`...) is an instance
//! of the API class with one cell, its algorithm; the running state (a
//! hash in progress, a generator) lives in [`Engines`], in RAM, keyed by
//! the object's handle. That is the state the specification lets a power
//! loss or reset clear, and it keeps secret intermediate values out of
//! NVM. Primitives are RustCrypto's `no_std` crates, never written here.

pub mod digest;
pub mod random;

use alloc::collections::BTreeMap;

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

/// Class tokens of javacard.security 1.6.
pub mod tok {
    pub const MESSAGE_DIGEST: u8 = 11;
    pub const CRYPTO_EXCEPTION: u8 = 12;
    pub const RANDOM_DATA: u8 = 14;
}

/// Cell 0 of every engine object: its algorithm.
pub(crate) const CELL_ALG: u32 = 0;

/// The running state of one engine object.
pub enum Engine {
    Digest(digest::Hasher),
    Random(random::Generator),
}

/// Engine states by object handle; lost at power-down, as the
/// specification allows.
#[derive(Default)]
pub struct Engines {
    by_object: BTreeMap<Ref, Engine>,
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
        let c = self.api_class(SEC, token);
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
            return Err(self.crypto_exc(reason::ILLEGAL_USE));
        }
        self.engines
            .get_mut(this)
            .ok_or(Exc::Fault(crate::error::Fault::Corrupt("engine state")))
    }

    /// The algorithm cell of an engine object.
    pub(crate) fn engine_alg(&self, this: Ref) -> u8 {
        match self.store.obj(this) {
            Some(o) => self.store.read_u16(o, 2 * CELL_ALG) as u8,
            None => 0,
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
