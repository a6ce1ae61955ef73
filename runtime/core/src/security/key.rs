//! `KeyBuilder` and the card's key objects: the key framework every
//! Signature, Cipher and KeyAgreement engine reads its key through, and
//! KeyPair generates into (EC in `ecapi`, RSA in `rsaapi`).
//!
//! A key object is an instance of an internal API class (one per key kind,
//! tokens from 0xF0 in javacard.security) implementing the API interfaces
//! of its kind. Its cells:
//!
//! ```text
//!  cell 0  KeyBuilder.TYPE_* as built (getType)
//!  cell 1  size as given to buildKey (getSize)
//!  cell 2  byte[] of key material, owned by the building context:
//!          persistent (NVM) or transient (RAM, zeroed on reset/deselect)
//! ```
//!
//! The material array holds the key's parts (one for a secret key; several
//! for the asymmetric kinds: modulus and exponent, curve parameters...):
//!
//! ```text
//!  [set mask u16] then per part i: [length u16][max_i bytes]
//! ```
//!
//! Bit i of the mask says part i is set; the key is initialized when every
//! required part is. The flag lives in the array and not in a cell so that
//! (a) a `setKey` is one atomic update of mask and bytes together (power
//! loss leaves the old key or the new one, never a mix or a new flag with
//! old bytes), and (b) the JCRE's clearing of a transient array on reset or
//! deselect also makes the key uninitialized, as the specification asks.
//!
//! Adding a kind (EC, RSA...): a [`KeyKind`] variant, a [`KINDS`] row (its
//! internal class token and KeyBuilder types), its [`shape`] (parts and
//! their maximum lengths for a size), and the API class in `api_tables`
//! (cells [`KEY_CELLS`], interfaces and their maps). `buildKey`, the
//! collector's reference cell, clear/size/type/isInitialized and the
//! engines' [`KeyMaterial`] then work for it unchanged; its setters and
//! getters are [`Card::key_set_part`] / [`Card::key_get_part`].

use alloc::vec::Vec;

use super::reason;
use crate::api_tables::SEC;
use crate::card::Card;
use crate::class::NO_CLASS;
use crate::heap::{Obj, Ref, F_CLEAR_ON_DESELECT, F_CLEAR_ON_RESET, K_BYTE};
use crate::interp::Exc;
use crate::nvm::Nvm;

/// Cells of every key object.
pub const KEY_CELLS: u16 = 3;
const CELL_TYPE: u32 = 0;
const CELL_SIZE: u32 = 1;
/// The reference cell (the collector follows it, see `link_api`).
pub const CELL_DATA: u32 = 2;

/// `JCSystem.MEMORY_TYPE_*` (the 4-argument `buildKey`).
pub const MEMORY_PERSISTENT: u8 = 0;
pub const MEMORY_TRANSIENT_RESET: u8 = 1;
pub const MEMORY_TRANSIENT_DESELECT: u8 = 2;

/// What a key is for; engines match on it at `init`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Des,
    Aes,
    Hmac,
    /// `TYPE_EC_FP_PUBLIC`: P-256 domain parameters and W.
    EcPublic,
    /// `TYPE_EC_FP_PRIVATE`: P-256 domain parameters and S.
    EcPrivate,
    /// `TYPE_RSA_PUBLIC`: modulus, exponent.
    RsaPublic,
    /// `TYPE_RSA_PRIVATE`: modulus, exponent.
    RsaPrivate,
    /// `TYPE_RSA_CRT_PRIVATE`: P, Q, DP1, DQ1, PQ.
    RsaCrtPrivate,
}

/// One key kind's binding to the API.
pub struct KindInfo {
    pub kind: KeyKind,
    /// Internal API class (javacard.security, token >= 0xF0).
    pub class_token: u8,
    /// `KeyBuilder.ALG_TYPE_*` (4-argument `buildKey`).
    pub alg_type: u8,
    /// `KeyBuilder.TYPE_*` by memory type: persistent, transient reset,
    /// transient deselect (0: not offered).
    pub types: [u8; 3],
}

pub static KINDS: &[KindInfo] = &[
    KindInfo {
        kind: KeyKind::Des,
        class_token: 0xF0,
        alg_type: 1,
        types: [3, 1, 2],
    },
    KindInfo {
        kind: KeyKind::Aes,
        class_token: 0xF1,
        alg_type: 2,
        types: [15, 13, 14],
    },
    KindInfo {
        kind: KeyKind::Hmac,
        class_token: 0xF2,
        alg_type: 9,
        types: [21, 19, 20],
    },
    // JC 3.0.5 has no transient EC public key types.
    KindInfo {
        kind: KeyKind::EcPublic,
        class_token: 0xF3,
        alg_type: 7,
        types: [11, 0, 0],
    },
    KindInfo {
        kind: KeyKind::EcPrivate,
        class_token: 0xF4,
        alg_type: 8,
        types: [12, 30, 31],
    },
    // JC 3.0.5 has no transient RSA public key types.
    KindInfo {
        kind: KeyKind::RsaPublic,
        class_token: 0xF5,
        alg_type: 11,
        types: [4, 0, 0],
    },
    KindInfo {
        kind: KeyKind::RsaPrivate,
        class_token: 0xF6,
        alg_type: 12,
        types: [5, 22, 23],
    },
    KindInfo {
        kind: KeyKind::RsaCrtPrivate,
        class_token: 0xF7,
        alg_type: 13,
        types: [6, 24, 25],
    },
];

/// Parts of an RSA key: (modulus, exponent) of a public or plain private
/// key; (P, Q, DP1, DQ1, PQ) of a CRT key.
pub mod rsa_part {
    pub const MODULUS: usize = 0;
    pub const EXPONENT: usize = 1;
    pub const P: usize = 0;
    pub const Q: usize = 1;
    pub const DP1: usize = 2;
    pub const DQ1: usize = 3;
    pub const PQ: usize = 4;
}

/// Parts of an EC key, in [`shape`] order: the domain parameters
/// (`ECKey.setFieldFP`, `setA`, `setB`, `setG`, `setR`, `setK`), then W
/// (public) or S (private).
pub mod ec_part {
    pub const FIELD: usize = 0;
    pub const A: usize = 1;
    pub const B: usize = 2;
    pub const G: usize = 3;
    pub const R: usize = 4;
    pub const K: usize = 5;
    /// W of a public key, S of a private one.
    pub const VALUE: usize = 6;
    /// The domain parameters (parts 0..=5).
    pub const DOMAIN: core::ops::Range<usize> = 0..6;
}

/// The longest HMAC key the card stores (bytes); longer keys are hashed
/// by HMAC anyway, so this only bounds NVM use.
pub const HMAC_MAX: u16 = 256;

/// The parts of a key of `kind` and `size`: the maximum byte length of
/// each, and the mask of those that must be set for `isInitialized`.
/// `None`: the card has no such key (NO_SUCH_ALGORITHM).
pub struct Shape {
    pub parts: Vec<u16>,
    pub required: u16,
}

pub fn shape(kind: KeyKind, size: i16) -> Option<Shape> {
    let one = |n: u16| {
        Some(Shape {
            parts: alloc::vec![n],
            required: 1,
        })
    };
    match (kind, size) {
        // DES, 2-key and 3-key triple DES (KeyBuilder.LENGTH_DES*).
        (KeyKind::Des, 64 | 128 | 192) => one(size as u16 / 8),
        (KeyKind::Aes, 128 | 192 | 256) => one(size as u16 / 8),
        // HMAC: the size is the key's capacity in bytes
        // (LENGTH_HMAC_SHA_1_BLOCK_64 = 64 bytes); setKey takes 1..=size.
        (KeyKind::Hmac, 1..) if size as u16 <= HMAC_MAX => one(size as u16),
        // P-256 only (LENGTH_EC_FP_256). K is not required: the card's one
        // curve has cofactor 1, and only ALG_EC_SVDP_DHC reads it.
        (KeyKind::EcPublic | KeyKind::EcPrivate, 256) => {
            let value = if kind == KeyKind::EcPublic {
                super::ec::POINT_LEN
            } else {
                super::ec::FIELD_LEN
            } as u16;
            let f = super::ec::FIELD_LEN as u16;
            Some(Shape {
                parts: alloc::vec![f, f, f, super::ec::POINT_LEN as u16, f, 2, value],
                required: 0x7F & !(1 << ec_part::K),
            })
        }
        // RSA from 512 to 2048 bits in whole bytes (the KeyBuilder
        // LENGTH_RSA_* up to 2048; longer keys cost more than a card
        // transaction can bear here). CRT parts are half the modulus, one
        // byte more for a leading zero an applet may pass.
        (KeyKind::RsaPublic | KeyKind::RsaPrivate, 512..=2048) if size % 8 == 0 => {
            let n = size as u16 / 8;
            Some(Shape {
                parts: alloc::vec![n, n],
                required: 0b11,
            })
        }
        (KeyKind::RsaCrtPrivate, 512..=2048) if size % 16 == 0 => {
            let h = size as u16 / 16 + 1;
            Some(Shape {
                parts: alloc::vec![h; 5],
                required: 0b1_1111,
            })
        }
        _ => None,
    }
}

/// Where part `i` of a shape starts in the material array (its length
/// field), and the array's total length.
fn part_offset(s: &Shape, i: usize) -> usize {
    2 + s
        .parts
        .iter()
        .take(i)
        .map(|&n| 2 + usize::from(n))
        .sum::<usize>()
}

/// A key's material as an engine takes it at `init`: a copy in RAM (the
/// engine's state is RAM too), checked initialized.
#[derive(Clone)]
pub struct KeyMaterial {
    pub kind: KeyKind,
    /// `getSize()`.
    pub size: i16,
    /// The parts, each its set length.
    pub parts: Vec<Vec<u8>>,
    /// The board's AES engine the key runs on (`Config::aes_block`).
    pub aes_block: Option<super::block::AesBlockFn>,
}

impl KeyMaterial {
    /// The single part of a secret key.
    pub fn secret(&self) -> &[u8] {
        self.parts.first().map_or(&[], |p| p.as_slice())
    }
}

/// A checked key object.
struct KeyObj {
    info: &'static KindInfo,
    size: i16,
    shape: Shape,
    data: Obj,
}

impl<N: Nvm> Card<N> {
    /// The class id of internal API class `(pkg, token)`.
    pub(crate) fn internal_class(&self, pkg: u16, token: u8) -> Option<u16> {
        self.classes
            .iter()
            .take(crate::api_tables::CLASSES.len())
            .position(|c| c.pkg == pkg && c.token == token)
            .map(|c| c as u16)
    }

    /// `KeyBuilder.buildKey(byte keyType, short keyLength, boolean
    /// keyEncryption)`.
    pub(crate) fn key_build(
        &mut self,
        key_type: u8,
        size: i16,
        encryption: bool,
    ) -> Result<Ref, Exc> {
        let found = KINDS.iter().find_map(|k| {
            let mem = k.types.iter().position(|&t| t != 0 && t == key_type)?;
            Some((k, mem as u8))
        });
        match found {
            Some((k, mem)) => self.key_new(k, mem, size, encryption),
            None => Err(self.crypto_exc(reason::NO_SUCH_ALGORITHM)),
        }
    }

    /// `KeyBuilder.buildKey(byte algorithmicKeyType, byte keyMemoryType,
    /// short keyLength, boolean keyEncryption)`.
    pub(crate) fn key_build_mem(
        &mut self,
        alg_type: u8,
        memory: u8,
        size: i16,
        encryption: bool,
    ) -> Result<Ref, Exc> {
        match KINDS.iter().find(|k| k.alg_type == alg_type) {
            Some(k) if memory <= MEMORY_TRANSIENT_DESELECT => {
                self.key_new(k, memory, size, encryption)
            }
            _ => Err(self.crypto_exc(reason::NO_SUCH_ALGORITHM)),
        }
    }

    pub(crate) fn key_new(
        &mut self,
        info: &'static KindInfo,
        memory: u8,
        size: i16,
        encryption: bool,
    ) -> Result<Ref, Exc> {
        // Keys that decrypt their own setKey data (KeyEncryption) are not
        // offered.
        let shape = match shape(info.kind, size) {
            Some(s) if !encryption && info.types[usize::from(memory)] != 0 => s,
            _ => return Err(self.crypto_exc(reason::NO_SUCH_ALGORITHM)),
        };
        let class = self
            .internal_class(SEC, info.class_token)
            .ok_or(Exc::Fault(crate::error::Fault::Corrupt("key class")))?;
        let len = part_offset(&shape, shape.parts.len());
        let len = u16::try_from(len).map_err(|_| self.crypto_exc(reason::NO_SUCH_ALGORITHM))?;
        let flags = match memory {
            MEMORY_TRANSIENT_RESET => F_CLEAR_ON_RESET,
            MEMORY_TRANSIENT_DESELECT => F_CLEAR_ON_DESELECT,
            _ => 0,
        };
        if flags != 0 && self.store.free_ram() < u32::from(len) {
            return Err(self.cre(
                crate::api_tables::tok::SYSTEM_EXCEPTION,
                crate::api::reason::SYS_NO_TRANSIENT_SPACE,
            ));
        }
        let data = self.new_array(K_BYTE, NO_CLASS, len, flags)?;
        let r = self.new_object(class, KEY_CELLS)?;
        let o = *self.store.obj(r).ok_or_else(|| self.npe())?;
        let mut cells = [0u8; 6];
        cells[0..2].copy_from_slice(&u16::from(info.types[usize::from(memory)]).to_be_bytes());
        cells[2..4].copy_from_slice(&size.to_be_bytes());
        cells[4..6].copy_from_slice(&data.to_be_bytes());
        // A new object: nothing reaches it yet, so no atomicity is needed.
        self.store.write(&o, 0, &cells, false)?;
        Ok(r)
    }

    /// `this` as a key object (firewall-checked): its kind, size, shape and
    /// material array. ILLEGAL_VALUE for an object that is not a key.
    fn key_obj(&mut self, this: Ref) -> Result<KeyObj, Exc> {
        let o = self.access(this)?;
        let info = self
            .classes
            .get(usize::from(o.class))
            .filter(|c| !o.is_array() && c.pkg == SEC)
            .and_then(|c| KINDS.iter().find(|k| k.class_token == c.token));
        let Some(info) = info else {
            return Err(self.crypto_exc(reason::ILLEGAL_VALUE));
        };
        let size = self.store.read_u16(&o, 2 * CELL_SIZE) as i16;
        let data = self.store.read_u16(&o, 2 * CELL_DATA);
        let corrupt = Exc::Fault(crate::error::Fault::Corrupt("key object"));
        let shape = shape(info.kind, size).ok_or(corrupt.clone())?;
        let data = *self.store.obj(data).ok_or(corrupt.clone())?;
        if (data.len as usize) < part_offset(&shape, shape.parts.len()) {
            return Err(corrupt);
        }
        Ok(KeyObj {
            info,
            size,
            shape,
            data,
        })
    }

    fn key_mask(&self, k: &KeyObj) -> u16 {
        self.store.read_u16(&k.data, 0)
    }

    /// The kind of key `this` (firewall-checked).
    pub fn key_kind(&mut self, this: Ref) -> Result<KeyKind, Exc> {
        Ok(self.key_obj(this)?.info.kind)
    }

    /// `Key.isInitialized()`.
    pub fn key_initialized(&mut self, this: Ref) -> Result<bool, Exc> {
        let k = self.key_obj(this)?;
        Ok(self.key_mask(&k) & k.shape.required == k.shape.required)
    }

    /// `Key.getSize()`.
    pub fn key_size(&mut self, this: Ref) -> Result<i16, Exc> {
        Ok(self.key_obj(this)?.size)
    }

    /// `Key.getType()`.
    pub fn key_type(&mut self, this: Ref) -> Result<u8, Exc> {
        self.key_obj(this)?;
        let o = self.access(this)?;
        Ok(self.store.read_u16(&o, 2 * CELL_TYPE) as u8)
    }

    /// Writes `(offset, bytes)` pieces of a key's material as one update:
    /// RAM directly; NVM inside the open transaction, else through one
    /// atomic log (old key or new key after a power cut).
    fn key_write(&mut self, data: &Obj, pieces: &[(u32, &[u8])]) -> Result<(), Exc> {
        let opened = if data.in_ram() {
            false
        } else {
            crate::txn::begin_atomic(&mut self.store)?
        };
        let mut r = Ok(());
        for &(off, bytes) in pieces {
            r = self.store.write(data, off, bytes, false);
            if r.is_err() {
                break;
            }
        }
        crate::txn::end_atomic(&mut self.store, opened)?;
        r.map_err(Exc::Fault)
    }

    /// `Key.clearKey()`: every part zeroed and unset.
    pub fn key_clear(&mut self, this: Ref) -> Result<(), Exc> {
        let k = self.key_obj(this)?;
        let len = part_offset(&k.shape, k.shape.parts.len());
        let zeros = alloc::vec![0u8; len];
        self.key_write(&k.data, &[(0, &zeros)])
    }

    /// Sets part `i` of key `this` to `bytes` (the caller checked the
    /// length against what the API method allows). ILLEGAL_VALUE when the
    /// part does not exist or `bytes` is longer than it.
    pub fn key_set_part(&mut self, this: Ref, i: usize, bytes: &[u8]) -> Result<(), Exc> {
        self.key_set_parts(this, &[(i, bytes)])
    }

    /// Sets several parts of key `this` as one update (power loss leaves
    /// all of them old or all new): `copyDomainParametersFrom`, and a
    /// generated key pair's value with its domain.
    pub fn key_set_parts(&mut self, this: Ref, parts: &[(usize, &[u8])]) -> Result<(), Exc> {
        let k = self.key_obj(this)?;
        let mut mask = self.key_mask(&k);
        let mut pieces: Vec<(u32, Vec<u8>)> = Vec::with_capacity(parts.len() + 1);
        for &(i, bytes) in parts {
            let max = match k.shape.parts.get(i) {
                Some(&max) if i < 16 && bytes.len() <= usize::from(max) => usize::from(max),
                _ => return Err(self.crypto_exc(reason::ILLEGAL_VALUE)),
            };
            // The whole part is written, so a shorter new value leaves no
            // bytes of the old one behind.
            let mut part = Vec::with_capacity(2 + max);
            part.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
            part.extend_from_slice(bytes);
            part.resize(2 + max, 0);
            pieces.push((part_offset(&k.shape, i) as u32, part));
            mask |= 1 << i;
        }
        let mask = mask.to_be_bytes();
        match pieces.first_mut() {
            // Mask and part 0 are adjacent: one piece.
            Some((2, first)) => {
                first.splice(0..0, mask);
                pieces[0].0 = 0;
            }
            _ => pieces.push((0, mask.to_vec())),
        }
        let refs: Vec<(u32, &[u8])> = pieces.iter().map(|(o, b)| (*o, b.as_slice())).collect();
        self.key_write(&k.data, &refs)
    }

    /// Runs `f`, the update of keys `keys` (a generated pair), as one
    /// atomic update when the log can hold the whole material of all of
    /// them, so that a power loss leaves the old pair or the new one;
    /// otherwise (a small log and large RSA keys) each key's update is
    /// atomic on its own. Inside an open transaction the transaction
    /// already covers them.
    pub(crate) fn keys_atomically<T>(
        &mut self,
        keys: &[Ref],
        f: impl FnOnce(&mut Self) -> Result<T, Exc>,
    ) -> Result<T, Exc> {
        let mut need = 0u32;
        let mut in_ram = true;
        for &k in keys {
            let k = self.key_obj(k)?;
            in_ram &= k.data.in_ram();
            // Each key_set_parts writes every part it sets, whole, plus
            // the mask; every piece costs a log record header.
            let pieces = k.shape.parts.len() as u32 + 1;
            need += part_offset(&k.shape, k.shape.parts.len()) as u32 + 8 * pieces;
        }
        let opened = if !in_ram && need <= self.store.log.unused() {
            crate::txn::begin_atomic(&mut self.store)?
        } else {
            false
        };
        let r = f(self);
        crate::txn::end_atomic(&mut self.store, opened)?;
        r
    }

    /// Part `i` of key `this`; UNINITIALIZED_KEY when it is not set.
    pub fn key_get_part(&mut self, this: Ref, i: usize) -> Result<Vec<u8>, Exc> {
        let k = self.key_obj(this)?;
        match self.key_part(&k, i) {
            Some(p) => Ok(p),
            None => Err(self.crypto_exc(reason::UNINITIALIZED_KEY)),
        }
    }

    fn key_part(&self, k: &KeyObj, i: usize) -> Option<Vec<u8>> {
        let max = usize::from(*k.shape.parts.get(i)?);
        if i >= 16 || self.key_mask(k) & (1 << i) == 0 {
            return None;
        }
        let at = part_offset(&k.shape, i);
        let d = self.store.data(&k.data);
        let len = usize::from(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?])).min(max);
        d.get(at + 2..at + 2 + len).map(|s| s.to_vec())
    }

    /// The material of key `key` for an engine's `init`: ILLEGAL_VALUE if
    /// it is no key, UNINITIALIZED_KEY if it is not initialized.
    pub fn key_material(&mut self, key: Ref) -> Result<KeyMaterial, Exc> {
        if key == crate::heap::NULL {
            return Err(self.npe());
        }
        let k = self.key_obj(key)?;
        if self.key_mask(&k) & k.shape.required != k.shape.required {
            return Err(self.crypto_exc(reason::UNINITIALIZED_KEY));
        }
        let parts = (0..k.shape.parts.len())
            .map(|i| self.key_part(&k, i).unwrap_or_default())
            .collect();
        Ok(KeyMaterial {
            kind: k.info.kind,
            size: k.size,
            parts,
            aes_block: self.config.aes_block,
        })
    }

    /// `DESKey.setKey(byte[] keyData, short kOff)` / `AESKey.setKey`: the
    /// key's whole length from `keyData[kOff..]`.
    pub(crate) fn key_set_secret(&mut self, this: Ref, a: Ref, off: i16) -> Result<(), Exc> {
        let k = self.key_obj(this)?;
        if !matches!(k.info.kind, KeyKind::Des | KeyKind::Aes) {
            return Err(self.crypto_exc(reason::ILLEGAL_VALUE));
        }
        let n = k.shape.parts.first().copied().unwrap_or(0) as i16;
        let bytes = self.bytes_in(a, off, n)?;
        self.key_set_part(this, 0, &bytes)
    }

    /// `HMACKey.setKey(byte[] keyData, short kOff, short kLen)`.
    pub(crate) fn key_set_hmac(
        &mut self,
        this: Ref,
        a: Ref,
        off: i16,
        len: i16,
    ) -> Result<(), Exc> {
        let k = self.key_obj(this)?;
        let max = k.shape.parts.first().copied().unwrap_or(0) as i16;
        if a == crate::heap::NULL {
            return Err(self.npe());
        }
        if k.info.kind != KeyKind::Hmac || len <= 0 || len > max {
            return Err(self.crypto_exc(reason::ILLEGAL_VALUE));
        }
        let bytes = self.bytes_in(a, off, len)?;
        self.key_set_part(this, 0, &bytes)
    }

    /// `getKey(byte[] keyData, short kOff)` of a secret key: the byte
    /// length written.
    pub(crate) fn key_get_secret(&mut self, this: Ref, a: Ref, off: i16) -> Result<i16, Exc> {
        let bytes = self.key_get_part(this, 0)?;
        self.bytes_out(a, off, &bytes)?;
        Ok(bytes.len() as i16)
    }
}
