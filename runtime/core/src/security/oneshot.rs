//! The `OneShot` classes of JC 3.0.5: `MessageDigest.OneShot`,
//! `InitializedMessageDigest.OneShot`, `RandomData.OneShot`,
//! `Signature.OneShot` and `javacardx.crypto.Cipher.OneShot`.
//!
//! Each class has one instance, a JCRE-owned temporary object in RAM made
//! on first `open` (so no NVM is ever written for it): `open` binds it to
//! the calling context and gives it a fresh engine, `close` drops the
//! engine, and the JCRE closes what is still open when an applet entry
//! point returns, as the specification asks. An instance that is open
//! already answers `SystemException.NO_RESOURCE`; a closed one has no
//! engine, so its methods throw `CryptoException.ILLEGAL_USE` (see
//! `Card::engine`). Being temporary, it cannot be stored in a field, a
//! static or an array (SecurityException, `check_storable`). `update` is
//! refused with ILLEGAL_USE: a one-shot object takes its whole input in
//! `doFinal` / `sign` / `verify`.

use crate::sorted::SortedMap;

use super::{cipher, digest, reason, signature, Engine, CELL_ALG};
use crate::api::reason::SYS_NO_RESOURCE;
use crate::api_tables::{tok as fwtok, CRYPTO, SEC};
use crate::card::Card;
use crate::class::ClassId;
use crate::error::Fault;
use crate::heap::{Ref, F_RAM, F_TEMPORARY, K_INSTANCE};
use crate::interp::Exc;
use crate::nvm::Nvm;

/// Class tokens of the OneShot classes (javacard.security 1.6,
/// javacardx.crypto 1.6).
pub const MESSAGE_DIGEST_ONE_SHOT: u8 = 30;
pub const INITIALIZED_MESSAGE_DIGEST_ONE_SHOT: u8 = 31;
pub const RANDOM_DATA_ONE_SHOT: u8 = 32;
pub const SIGNATURE_ONE_SHOT: u8 = 33;
pub const CIPHER_ONE_SHOT: u8 = 2;

/// Which OneShot class an `open` is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Digest,
    InitializedDigest,
    Random,
    Signature,
    Cipher,
}

impl Kind {
    /// Argument words of `open`.
    pub fn nargs(self) -> u8 {
        match self {
            Kind::Signature => 3,
            Kind::Cipher => 2,
            _ => 1,
        }
    }

    fn class(self) -> (u16, u8) {
        match self {
            Kind::Digest => (SEC, MESSAGE_DIGEST_ONE_SHOT),
            Kind::InitializedDigest => (SEC, INITIALIZED_MESSAGE_DIGEST_ONE_SHOT),
            Kind::Random => (SEC, RANDOM_DATA_ONE_SHOT),
            Kind::Signature => (SEC, SIGNATURE_ONE_SHOT),
            Kind::Cipher => (CRYPTO, CIPHER_ONE_SHOT),
        }
    }
}

/// The instances, by class: the object and whether it is open.
#[derive(Default)]
pub struct Pool {
    by_class: SortedMap<ClassId, (Ref, bool)>,
    /// Whether an instance may be open: set by every open, cleared when
    /// an applet entry point's return closes them all, so that the return
    /// of one that opened none (nearly all) does not visit the map.
    maybe_open: bool,
}

impl<N: Nvm> Card<N> {
    /// `X.OneShot.open(...)`: `args` are the algorithm bytes of the call
    /// (one for digests and RandomData, digest / cipher / padding for
    /// Signature, cipher / padding for Cipher).
    pub(crate) fn oneshot_open(&mut self, kind: Kind, args: [u8; 3]) -> Result<Ref, Exc> {
        let no_alg = |c: &mut Self| c.crypto_exc(reason::NO_SUCH_ALGORITHM);
        // (algorithm cell, parts cells, engine)
        let (alg, parts, engine): (u8, alloc::vec::Vec<u16>, Engine) = match kind {
            Kind::Digest | Kind::InitializedDigest => match digest::Hasher::new(args[0]) {
                Some(h) => (args[0], alloc::vec::Vec::new(), Engine::Digest(h)),
                None => return Err(no_alg(self)),
            },
            Kind::Random => match self.new_generator(args[0]) {
                Some(g) => (args[0], alloc::vec::Vec::new(), Engine::Random(g)),
                None => return Err(no_alg(self)),
            },
            Kind::Signature => {
                let p = signature::Parts {
                    digest: args[0],
                    cipher: args[1],
                    pad: args[2],
                };
                let Some(s) = signature::Signer::new(p) else {
                    return Err(no_alg(self));
                };
                let alg = signature::ALGS
                    .iter()
                    .find(|(_, q)| *q == p)
                    .map_or(0, |&(a, _)| a);
                let cells = alloc::vec![
                    u16::from(p.digest) << 8 | u16::from(p.cipher),
                    u16::from(p.pad)
                ];
                (alg, cells, Engine::Signature(s))
            }
            Kind::Cipher => {
                let (c, p) = (args[0], args[1]);
                // An AEAD cipher needs AEADCipher's methods, which a
                // Cipher.OneShot does not have.
                let made = cipher::Ciph::new(c, p).filter(|x| !x.is_aead());
                let Some(ciph) = made else {
                    return Err(no_alg(self));
                };
                let alg = cipher::ALGS
                    .iter()
                    .find(|(_, q)| *q == (c, p))
                    .map_or(0, |&(a, _)| a);
                (
                    alg,
                    alloc::vec![u16::from(c) << 8 | u16::from(p)],
                    Engine::Cipher(ciph),
                )
            }
        };
        let (pkg, token) = kind.class();
        let class = self.api_class(pkg, token);
        let r = match self.engines.oneshots.by_class.get(&class) {
            Some(&(_, true)) => {
                return Err(self.cre(fwtok::SYSTEM_EXCEPTION, SYS_NO_RESOURCE));
            }
            Some(&(r, false)) => r,
            None => {
                let cells = self
                    .classes
                    .get(usize::from(class))
                    .map_or(1, |c| c.cells.max(1));
                match self
                    .store
                    .alloc(K_INSTANCE, F_RAM | F_TEMPORARY, self.ctx, class, cells)
                {
                    Ok(r) => r,
                    Err(Fault::OutOfNvm { .. }) | Err(Fault::OutOfHandles) => {
                        return Err(self.cre(fwtok::SYSTEM_EXCEPTION, SYS_NO_RESOURCE));
                    }
                    Err(e) => return Err(Exc::Fault(e)),
                }
            }
        };
        // Bound to the context that opened it.
        if !self.store.set_ram_owner(r, self.ctx) {
            return Err(Exc::Fault(Fault::Corrupt("one-shot object")));
        }
        let o = *self
            .store
            .obj(r)
            .ok_or(Exc::Fault(Fault::Corrupt("one-shot object")))?;
        // The algorithm cell, then the parts (CELL_PARTS on).
        let mut cells = alloc::vec![u16::from(alg)];
        cells.extend_from_slice(&parts);
        let bytes: alloc::vec::Vec<u8> = cells.iter().flat_map(|c| c.to_be_bytes()).collect();
        if 2 * CELL_ALG + bytes.len() as u32 > o.data_len() {
            return Err(Exc::Fault(Fault::Corrupt("one-shot cells")));
        }
        self.store
            .write(&o, 2 * CELL_ALG, &bytes, false)
            .map_err(Exc::Fault)?;
        self.engines.insert(r, engine);
        self.engines.oneshots.by_class.insert(class, (r, true));
        self.engines.oneshots.maybe_open = true;
        Ok(r)
    }

    /// `close()`: releases the instance; closing it again does nothing.
    pub(crate) fn oneshot_close(&mut self, this: Ref) -> Result<(), Exc> {
        self.access(this)?;
        let class = self.store.obj(this).map(|o| o.class);
        if let Some(c) = class {
            if let Some(e) = self.engines.oneshots.by_class.get_mut(&c) {
                if e.0 == this {
                    e.1 = false;
                }
            }
        }
        self.engines.forget(this);
        Ok(())
    }

    /// Closes every open instance (an applet entry point returned).
    #[inline]
    pub(crate) fn release_oneshots(&mut self) {
        if self.engines.oneshots.maybe_open {
            self.release_open_oneshots();
        }
    }

    #[inline(never)]
    fn release_open_oneshots(&mut self) {
        self.engines.oneshots.maybe_open = false;
        // Often all were closed already: no list to build.
        if !self.engines.oneshots.by_class.values().any(|e| e.1) {
            return;
        }
        let open: alloc::vec::Vec<Ref> = self
            .engines
            .oneshots
            .by_class
            .values_mut()
            .filter(|e| e.1)
            .map(|e| {
                e.1 = false;
                e.0
            })
            .collect();
        for r in open {
            self.engines.forget(r);
        }
    }

    /// `update` of a OneShot object: refused.
    pub(crate) fn oneshot_update(&mut self, this: Ref) -> Result<(), Exc> {
        self.access(this)?;
        Err(self.crypto_exc(reason::ILLEGAL_USE))
    }
}
