//! Block ciphers (DES, 2- and 3-key triple DES, AES-128/192/256 from
//! RustCrypto's `des` and `aes`) in ECB and CBC (`cbc`), and the ISO 9797-1
//! / PKCS#5 paddings: what `Cipher` and the CBC-MAC `Signature`s share.

use alloc::boxed::Box;
use alloc::vec::Vec;

use cbc::cipher::{
    generic_array::GenericArray, BlockCipher, BlockDecrypt, BlockDecryptMut, BlockEncrypt,
    BlockEncryptMut, InnerIvInit, KeyInit,
};

use super::key::KeyKind;
use super::CryptoError;

/// The block cipher family an algorithm needs (the key kind that fits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Des,
    Aes,
}

impl Family {
    pub fn block_len(self) -> usize {
        match self {
            Family::Des => 8,
            Family::Aes => 16,
        }
    }

    pub fn key_kind(self) -> KeyKind {
        match self {
            Family::Des => KeyKind::Des,
            Family::Aes => KeyKind::Aes,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chaining {
    Ecb,
    Cbc,
}

/// Padding, by its `Cipher.PAD_*` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pad {
    /// PAD_NOPAD: the data must be whole blocks.
    None,
    /// PAD_ISO9797_M1: zeros up to a (positive) multiple of the block.
    M1,
    /// PAD_ISO9797_M2: 0x80, then zeros.
    M2,
    /// PAD_PKCS5: n bytes of value n, 1 <= n <= block.
    Pkcs5,
}

impl Pad {
    pub fn code(self) -> u8 {
        match self {
            Pad::None => 1,
            Pad::M1 => 2,
            Pad::M2 => 3,
            Pad::Pkcs5 => 6,
        }
    }

    pub fn from_code(c: u8) -> Option<Pad> {
        Some(match c {
            1 => Pad::None,
            2 => Pad::M1,
            3 => Pad::M2,
            6 => Pad::Pkcs5,
            _ => return None,
        })
    }

    /// Whether decryption removes the padding (so the last block must be
    /// held back until `doFinal`). ISO 9797-1 method 1 cannot be removed.
    pub fn strips(self) -> bool {
        matches!(self, Pad::M2 | Pad::Pkcs5)
    }

    /// Pads `data` to whole blocks of `bs`; ILLEGAL_USE for unpadded data
    /// that is not whole blocks.
    pub fn apply(self, data: &mut Vec<u8>, bs: usize) -> Result<(), CryptoError> {
        let rem = data.len() % bs;
        match self {
            Pad::None if rem != 0 => return Err(CryptoError::IllegalUse),
            Pad::None => {}
            Pad::M1 => {
                if rem != 0 || data.is_empty() {
                    data.resize(data.len() + bs - rem, 0);
                }
            }
            Pad::M2 => {
                data.push(0x80);
                let rem = data.len() % bs;
                if rem != 0 {
                    data.resize(data.len() + bs - rem, 0);
                }
            }
            Pad::Pkcs5 => {
                let n = bs - rem;
                data.resize(data.len() + n, n as u8);
            }
        }
        Ok(())
    }

    /// Removes the padding of decrypted `data`; ILLEGAL_USE when it is
    /// malformed.
    pub fn strip(self, data: &mut Vec<u8>, bs: usize) -> Result<(), CryptoError> {
        match self {
            Pad::None | Pad::M1 => Ok(()),
            Pad::M2 => {
                // At most one block of padding: 0x80 then zeros.
                let tail = data.len().saturating_sub(bs);
                match data[tail..].iter().rposition(|&b| b != 0) {
                    Some(i) if data[tail + i] == 0x80 => {
                        data.truncate(tail + i);
                        Ok(())
                    }
                    _ => Err(CryptoError::IllegalUse),
                }
            }
            Pad::Pkcs5 => {
                let n = usize::from(data.last().copied().unwrap_or(0));
                let ok = (1..=bs).contains(&n)
                    && n <= data.len()
                    && data[data.len() - n..].iter().all(|&b| usize::from(b) == n);
                if !ok {
                    return Err(CryptoError::IllegalUse);
                }
                data.truncate(data.len() - n);
                Ok(())
            }
        }
    }
}

/// A board's AES engine: encrypts (`encrypt`) or decrypts one 16-byte
/// block in place under a 16-, 24- or 32-byte key. The runtime does the
/// chaining and the padding; the engine only ever sees single blocks.
pub type AesBlockFn = fn(key: &[u8], block: &mut [u8; 16], encrypt: bool);

/// AES in ECB or CBC on the board's engine.
struct BoardAes {
    engine: AesBlockFn,
    key: Vec<u8>,
    cbc: bool,
    encrypt: bool,
    /// The chaining value (CBC).
    last: [u8; 16],
}

impl Blocks for BoardAes {
    fn apply(&mut self, data: &mut [u8]) {
        for b in data.chunks_exact_mut(16) {
            let mut blk = [0u8; 16];
            blk.copy_from_slice(b);
            if self.cbc && self.encrypt {
                for (x, c) in blk.iter_mut().zip(self.last) {
                    *x ^= c;
                }
            }
            let input = blk;
            (self.engine)(&self.key, &mut blk, self.encrypt);
            if self.cbc {
                if self.encrypt {
                    self.last = blk;
                } else {
                    for (x, c) in blk.iter_mut().zip(self.last) {
                        *x ^= c;
                    }
                    self.last = input;
                }
            }
            b.copy_from_slice(&blk);
        }
    }
}

/// A block cipher in a chaining mode and direction: transforms whole
/// blocks in place, keeping the chaining value between calls.
pub trait Blocks {
    /// `data.len()` is a multiple of the block length.
    fn apply(&mut self, data: &mut [u8]);
}

struct Ecb<C> {
    c: C,
    encrypt: bool,
}

impl<C: BlockEncrypt + BlockDecrypt> Blocks for Ecb<C> {
    fn apply(&mut self, data: &mut [u8]) {
        for b in data.chunks_exact_mut(C::block_size()) {
            let b = GenericArray::from_mut_slice(b);
            if self.encrypt {
                self.c.encrypt_block(b);
            } else {
                self.c.decrypt_block(b);
            }
        }
    }
}

impl<C: BlockEncryptMut + BlockCipher> Blocks for cbc::Encryptor<C> {
    fn apply(&mut self, data: &mut [u8]) {
        for b in data.chunks_exact_mut(C::block_size()) {
            self.encrypt_block_mut(GenericArray::from_mut_slice(b));
        }
    }
}

impl<C: BlockDecryptMut + BlockCipher> Blocks for cbc::Decryptor<C> {
    fn apply(&mut self, data: &mut [u8]) {
        for b in data.chunks_exact_mut(C::block_size()) {
            self.decrypt_block_mut(GenericArray::from_mut_slice(b));
        }
    }
}

fn make<C>(
    key: &[u8],
    mode: Chaining,
    encrypt: bool,
    iv: &[u8],
) -> Result<Box<dyn Blocks>, CryptoError>
where
    C: KeyInit + BlockCipher + BlockEncrypt + BlockDecrypt + 'static,
{
    let c = C::new_from_slice(key).map_err(|_| CryptoError::IllegalValue)?;
    Ok(match (mode, encrypt) {
        (Chaining::Ecb, _) => Box::new(Ecb { c, encrypt }),
        (Chaining::Cbc, true) => Box::new(
            cbc::Encryptor::<C>::inner_iv_slice_init(c, iv)
                .map_err(|_| CryptoError::IllegalValue)?,
        ),
        (Chaining::Cbc, false) => Box::new(
            cbc::Decryptor::<C>::inner_iv_slice_init(c, iv)
                .map_err(|_| CryptoError::IllegalValue)?,
        ),
    })
}

/// The cipher of `family` for a key of `key.len()` bytes (8: DES, 16: 2-key
/// triple DES, 24: 3-key; 16/24/32: AES), chained by `mode` from `iv`
/// (block length; ignored by ECB), AES on the board's engine when it has
/// one. ILLEGAL_VALUE for another length.
pub fn blocks(
    family: Family,
    key: &[u8],
    mode: Chaining,
    encrypt: bool,
    iv: &[u8],
    aes_block: Option<AesBlockFn>,
) -> Result<Box<dyn Blocks>, CryptoError> {
    if let (Family::Aes, Some(engine), 16 | 24 | 32) = (family, aes_block, key.len()) {
        let mut last = [0u8; 16];
        if mode == Chaining::Cbc {
            if iv.len() != 16 {
                return Err(CryptoError::IllegalValue);
            }
            last.copy_from_slice(iv);
        }
        return Ok(Box::new(BoardAes {
            engine,
            key: key.to_vec(),
            cbc: mode == Chaining::Cbc,
            encrypt,
            last,
        }));
    }
    match (family, key.len()) {
        (Family::Des, 8) => make::<des::Des>(key, mode, encrypt, iv),
        (Family::Des, 16) => make::<des::TdesEde2>(key, mode, encrypt, iv),
        (Family::Des, 24) => make::<des::TdesEde3>(key, mode, encrypt, iv),
        (Family::Aes, 16) => make::<aes::Aes128>(key, mode, encrypt, iv),
        (Family::Aes, 24) => make::<aes::Aes192>(key, mode, encrypt, iv),
        (Family::Aes, 32) => make::<aes::Aes256>(key, mode, encrypt, iv),
        _ => Err(CryptoError::IllegalValue),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::sync::atomic::{AtomicUsize, Ordering};

    /// A board engine that is the `aes` crate, counting its calls.
    fn soft_engine(key: &[u8], block: &mut [u8; 16], encrypt: bool) {
        use aes::cipher::{BlockDecrypt, BlockEncrypt};
        ENGINE_CALLS.fetch_add(1, Ordering::Relaxed);
        let b = GenericArray::from_mut_slice(block);
        let c = aes::Aes128::new_from_slice(key).unwrap();
        if encrypt {
            c.encrypt_block(b);
        } else {
            c.decrypt_block(b);
        }
    }

    static ENGINE_CALLS: AtomicUsize = AtomicUsize::new(0);

    #[test]
    fn aes_runs_on_the_board_engine_with_the_same_results() {
        let key: Vec<u8> = (0..16).collect();
        let iv: Vec<u8> = (16..32).collect();
        let msg: Vec<u8> = (0..64).map(|i| i as u8 ^ 0x5A).collect();
        for mode in [Chaining::Ecb, Chaining::Cbc] {
            for encrypt in [true, false] {
                let mut soft = msg.clone();
                blocks(Family::Aes, &key, mode, encrypt, &iv, None)
                    .unwrap()
                    .apply(&mut soft);
                let mut board = msg.clone();
                let before = ENGINE_CALLS.load(Ordering::Relaxed);
                let mut b =
                    blocks(Family::Aes, &key, mode, encrypt, &iv, Some(soft_engine)).unwrap();
                // Two calls: the chaining value carries over.
                b.apply(&mut board[..32]);
                b.apply(&mut board[32..]);
                assert_eq!(board, soft, "{mode:?} encrypt={encrypt}");
                assert_eq!(ENGINE_CALLS.load(Ordering::Relaxed) - before, 4);
            }
        }
        // DES never goes to an AES engine.
        let mut d = [0u8; 8];
        blocks(
            Family::Des,
            &[1; 8],
            Chaining::Ecb,
            true,
            &[],
            Some(soft_engine),
        )
        .unwrap()
        .apply(&mut d);
    }

    #[test]
    fn paddings_round_trip_and_refuse_malformed_input() {
        for pad in [Pad::M2, Pad::Pkcs5] {
            for n in 0..20 {
                let mut d: Vec<u8> = (1..=n as u8).collect();
                pad.apply(&mut d, 8).unwrap();
                assert_eq!(d.len() % 8, 0);
                assert!(d.len() > n);
                pad.strip(&mut d, 8).unwrap();
                assert_eq!(d, (1..=n as u8).collect::<Vec<_>>());
            }
        }
        let mut d = alloc::vec![1, 2, 3, 0, 0, 0, 0, 0];
        assert_eq!(Pad::M2.strip(&mut d, 8), Err(CryptoError::IllegalUse));
        let mut d = alloc::vec![1, 2, 3, 4, 5, 6, 7, 9];
        assert_eq!(Pad::Pkcs5.strip(&mut d, 8), Err(CryptoError::IllegalUse));
        let mut d = alloc::vec![];
        assert_eq!(Pad::Pkcs5.strip(&mut d, 8), Err(CryptoError::IllegalUse));
        assert_eq!(Pad::M2.strip(&mut d, 8), Err(CryptoError::IllegalUse));
        let mut d = alloc::vec![1, 2, 3];
        assert_eq!(Pad::None.apply(&mut d, 8), Err(CryptoError::IllegalUse));
        let mut d = alloc::vec![];
        Pad::M1.apply(&mut d, 8).unwrap();
        assert_eq!(d, [0; 8]);
    }
}
