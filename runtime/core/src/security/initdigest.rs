//! `InitializedMessageDigest` (JC 3.0.5): a hash that resumes from an
//! intermediate state and the number of bytes already hashed.
//!
//! The crates' `Sha1` / `Sha256` / `Sha512` cannot be given a state, so a
//! resumed hash keeps its own chaining value and runs the crates' block
//! functions on it (`sha1::compress`, `sha2::compress256` /
//! `compress512`); only the FIPS 180-4 message padding (section 5.1) is
//! done here. SHA-224 and SHA-384 resume from their full 32- / 64-byte
//! chaining value, since a truncated digest cannot be resumed.

use alloc::vec::Vec;

use sha2::digest::generic_array::GenericArray;

use super::digest::{Hasher, ALG_SHA, ALG_SHA_224, ALG_SHA_256, ALG_SHA_384, ALG_SHA_512};
use super::{reason, CryptoError, Engine};
use crate::card::Card;
use crate::heap::Ref;
use crate::interp::Exc;
use crate::nvm::Nvm;

/// The chaining value of a resumed hash.
#[derive(Clone)]
enum Chain {
    Sha1([u32; 5]),
    Sha256([u32; 8]),
    Sha512([u64; 8]),
}

/// A hash resumed by `setInitialDigest`.
#[derive(Clone)]
pub struct Resumed {
    chain: Chain,
    /// Digest length (the chaining value truncated for SHA-224 / 384).
    out_len: usize,
    /// Input not yet a whole block.
    pending: Vec<u8>,
    /// Bytes hashed, those of the initial state included.
    count: u128,
}

impl Resumed {
    /// The state `setInitialDigest` gives a hash of algorithm `alg`:
    /// `state` the chaining value (big-endian words), `count` the bytes
    /// it covers (a whole number of blocks).
    pub fn new(alg: u8, state: &[u8], count: u128) -> Result<Resumed, CryptoError> {
        let (chain, out_len, block) = match alg {
            ALG_SHA => (Chain::Sha1([0; 5]), 20, 64),
            ALG_SHA_224 => (Chain::Sha256([0; 8]), 28, 64),
            ALG_SHA_256 => (Chain::Sha256([0; 8]), 32, 64),
            ALG_SHA_384 => (Chain::Sha512([0; 8]), 48, 128),
            ALG_SHA_512 => (Chain::Sha512([0; 8]), 64, 128),
            _ => return Err(CryptoError::NoSuchAlgorithm),
        };
        // The length field is 64 bits (SHA-1, SHA-256) or 128 bits of *bit*
        // count.
        let max_bytes: u128 = if block == 64 { 1 << 61 } else { u128::MAX >> 3 };
        if !count.is_multiple_of(block) || count >= max_bytes {
            return Err(CryptoError::IllegalValue);
        }
        let chain = match chain {
            Chain::Sha1(mut w) => {
                fill32(&mut w, state)?;
                Chain::Sha1(w)
            }
            Chain::Sha256(mut w) => {
                fill32(&mut w, state)?;
                Chain::Sha256(w)
            }
            Chain::Sha512(mut w) => {
                if state.len() != 64 {
                    return Err(CryptoError::IllegalValue);
                }
                for (w, c) in w.iter_mut().zip(state.chunks_exact(8)) {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(c);
                    *w = u64::from_be_bytes(b);
                }
                Chain::Sha512(w)
            }
        };
        Ok(Resumed {
            chain,
            out_len,
            pending: Vec::new(),
            count,
        })
    }

    fn block_len(&self) -> usize {
        match self.chain {
            Chain::Sha512(_) => 128,
            _ => 64,
        }
    }

    pub fn digest_len(&self) -> usize {
        self.out_len
    }

    /// The `MessageDigest.ALG_*` this hash is.
    pub fn alg(&self) -> u8 {
        match self.out_len {
            20 => ALG_SHA,
            28 => ALG_SHA_224,
            32 => ALG_SHA_256,
            48 => ALG_SHA_384,
            _ => ALG_SHA_512,
        }
    }

    fn compress(&mut self, blocks: &[u8]) {
        match &mut self.chain {
            Chain::Sha1(s) => {
                let b: Vec<GenericArray<u8, _>> = blocks
                    .chunks_exact(64)
                    .map(GenericArray::clone_from_slice)
                    .collect();
                sha1::compress(s, &b);
            }
            Chain::Sha256(s) => {
                let b: Vec<GenericArray<u8, _>> = blocks
                    .chunks_exact(64)
                    .map(GenericArray::clone_from_slice)
                    .collect();
                sha2::compress256(s, &b);
            }
            Chain::Sha512(s) => {
                let b: Vec<GenericArray<u8, _>> = blocks
                    .chunks_exact(128)
                    .map(GenericArray::clone_from_slice)
                    .collect();
                sha2::compress512(s, &b);
            }
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.count = self.count.wrapping_add(data.len() as u128);
        self.pending.extend_from_slice(data);
        let bl = self.block_len();
        let whole = self.pending.len() / bl * bl;
        if whole > 0 {
            let blocks: Vec<u8> = self.pending.drain(..whole).collect();
            self.compress(&blocks);
        }
    }

    /// The digest: FIPS 180-4 padding (0x80, zeros, the bit count in 8 or
    /// 16 bytes), the last blocks, the chaining value big-endian.
    pub fn finish(mut self) -> Vec<u8> {
        let bl = self.block_len();
        let field = bl / 8;
        let bits = self.count.wrapping_mul(8);
        let mut tail = core::mem::take(&mut self.pending);
        tail.push(0x80);
        while tail.len() % bl != bl - field {
            tail.push(0);
        }
        tail.extend_from_slice(&bits.to_be_bytes()[16 - field..]);
        self.compress(&tail);
        let mut out: Vec<u8> = match &self.chain {
            Chain::Sha1(s) => s.iter().flat_map(|w| w.to_be_bytes()).collect(),
            Chain::Sha256(s) => s.iter().flat_map(|w| w.to_be_bytes()).collect(),
            Chain::Sha512(s) => s.iter().flat_map(|w| w.to_be_bytes()).collect(),
        };
        out.truncate(self.out_len);
        out
    }
}

/// The digested byte count of `setInitialDigest`: big-endian, 1 to 16
/// bytes.
pub(crate) fn byte_count(bytes: &[u8]) -> Result<u128, CryptoError> {
    if bytes.is_empty() || bytes.len() > 16 {
        return Err(CryptoError::IllegalValue);
    }
    Ok(bytes.iter().fold(0u128, |n, &b| (n << 8) | u128::from(b)))
}

fn fill32<const N: usize>(w: &mut [u32; N], state: &[u8]) -> Result<(), CryptoError> {
    if state.len() != 4 * N {
        return Err(CryptoError::IllegalValue);
    }
    for (w, c) in w.iter_mut().zip(state.chunks_exact(4)) {
        *w = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
    }
    Ok(())
}

/// Class token of javacard.security.InitializedMessageDigest.
pub const INITIALIZED_MESSAGE_DIGEST: u8 = 26;

impl<N: Nvm> Card<N> {
    /// `MessageDigest.getInitializedMessageDigestInstance(byte algorithm,
    /// boolean externalAccess)`.
    pub(crate) fn digest_get_initialized_instance(
        &mut self,
        alg: u8,
        external: bool,
    ) -> Result<Ref, Exc> {
        let h = match Hasher::new(alg) {
            Some(h) if !external => h,
            _ => return Err(self.crypto_exc(reason::NO_SUCH_ALGORITHM)),
        };
        self.new_engine(INITIALIZED_MESSAGE_DIGEST, alg, Engine::Digest(h))
    }

    /// `setInitialDigest(byte[] initialDigestBuf, short initialDigestOffset,
    /// short initialDigestLength, byte[] digestedMsgLenBuf, short
    /// digestedMsgLenOffset, short digestedMsgLenLength)`: the chaining
    /// value and the count of bytes it covers (big-endian, 1 to 16 bytes).
    pub(crate) fn digest_set_initial(
        &mut self,
        this: Ref,
        (a, off, len): (Ref, i16, i16),
        (c, c_off, c_len): (Ref, i16, i16),
    ) -> Result<(), Exc> {
        let alg = self.engine_alg(this);
        if !matches!(self.engine(this)?, Engine::Digest(_)) {
            return Err(Exc::Fault(crate::error::Fault::Corrupt("not a digest")));
        }
        let state = self.bytes_in(a, off, len)?;
        let count = byte_count(&self.bytes_in(c, c_off, c_len)?)
            .map_err(|e| self.crypto_exc(e.reason()))?;
        let r = Resumed::new(alg, &state, count).map_err(|e| self.crypto_exc(e.reason()))?;
        if let Engine::Digest(h) = self.engine(this)? {
            *h = Hasher::Resumed(alloc::boxed::Box::new(r));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The state after one block of "a"*64, taken from the crates' own
    /// compression, then resumed: the digest of "a"*64 + "abc" equals the
    /// crate's digest of the whole message.
    #[test]
    fn resuming_after_a_block_matches_the_whole_hash() {
        use sha2::Digest as _;
        let block = [b'a'; 64];
        let mut s = [
            0x6a09e667u32,
            0xbb67ae85,
            0x3c6ef372,
            0xa54ff53a,
            0x510e527f,
            0x9b05688c,
            0x1f83d9ab,
            0x5be0cd19,
        ];
        sha2::compress256(&mut s, &[GenericArray::clone_from_slice(&block)]);
        let state: Vec<u8> = s.iter().flat_map(|w| w.to_be_bytes()).collect();
        let mut r = Resumed::new(ALG_SHA_256, &state, 64).unwrap();
        r.update(b"ab");
        r.update(b"c");
        let mut whole = sha2::Sha256::new();
        whole.update(block);
        whole.update(b"abc");
        assert_eq!(r.finish(), whole.finalize().to_vec());
    }

    #[test]
    fn a_count_off_the_block_or_a_wrong_state_length_is_illegal_value() {
        assert!(matches!(
            Resumed::new(ALG_SHA_256, &[0; 32], 63),
            Err(CryptoError::IllegalValue)
        ));
        assert!(matches!(
            Resumed::new(ALG_SHA_224, &[0; 28], 64),
            Err(CryptoError::IllegalValue)
        ));
        assert!(Resumed::new(ALG_SHA_384, &[0; 64], 128).is_ok());
        assert!(matches!(
            Resumed::new(2, &[0; 16], 64),
            Err(CryptoError::NoSuchAlgorithm)
        ));
    }
}
