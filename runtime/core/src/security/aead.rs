//! `javacardx.crypto.AEADCipher` (JC 3.0.5): AES-GCM (NIST SP 800-38D,
//! RustCrypto's `aes-gcm`) and AES-CCM (RFC 3610, `ccm`).
//!
//! An AEADCipher object is a Cipher (its state an [`Aead`] engine inside
//! a [`cipher::Ciph`]), so `init`, `update`, `doFinal` and the getters are
//! Cipher's; `updateAAD`, `retrieveTag`, `verifyTag` and the 8-argument
//! `init` are here.
//!
//! Neither crate streams, so the associated data and the message are kept
//! in RAM until `doFinal` (at most [`MAX_BUFFERED`] bytes together; more
//! is `CryptoException.ILLEGAL_USE`) and `update` outputs nothing. The
//! Java Card API hands out the plaintext at `doFinal` and checks the tag
//! after (`verifyTag`), which the crates' `decrypt` (tag first) cannot
//! do: a decryption takes the key stream as the encryption of zeros (both
//! modes encrypt by XOR with a stream that depends on the key and nonce
//! only), and the tag to compare as the encryption of the plaintext it
//! gave.
//!
//! Nonces: 12 bytes for GCM, 7 to 13 for CCM. Tags: GCM's any of 4, 8, 12
//! to 16 bytes (the leading bytes of the full tag, SP 800-38D 5.2.1.2);
//! CCM's the even `tagSize` of the 8-argument `init`, 4 to 16 (16 with the
//! 5-argument `init`).

use alloc::vec::Vec;

use aes::cipher::{
    consts, generic_array::GenericArray, BlockCipher, BlockClosure, BlockEncrypt, BlockSizeUser,
    KeyInit,
};
use aes_gcm::aead::AeadInPlace;
use subtle::ConstantTimeEq;

use super::cipher::{self, CipherEngine};
use super::key::{KeyKind, KeyMaterial};
use super::{CryptoError, Engine};
use crate::card::Card;
use crate::heap::Ref;
use crate::interp::Exc;
use crate::nvm::Nvm;

/// Class token of javacardx.crypto.AEADCipher.
pub const AEAD_CIPHER: u8 = 3;
/// `AEADCipher.ALG_AES_GCM`, `ALG_AES_CCM` (-13, -12).
pub const ALG_AES_GCM: u8 = 0xF3;
pub const ALG_AES_CCM: u8 = 0xF4;
/// `AEADCipher.CIPHER_AES_GCM`, `CIPHER_AES_CCM` (-15, -14).
pub const CIPHER_AES_GCM: u8 = 0xF1;
pub const CIPHER_AES_CCM: u8 = 0xF2;
/// `Cipher.PAD_NULL`, the only padding of the AEAD ciphers.
pub const PAD_NULL: u8 = 0;

/// Associated data and message bytes an operation may hold.
pub const MAX_BUFFERED: usize = 2048;

/// AES of the key's size, as one block cipher type (so each mode is
/// instantiated once, not once per key size).
#[derive(Clone)]
pub enum AnyAes {
    A128(aes::Aes128),
    A192(aes::Aes192),
    A256(aes::Aes256),
}

impl AnyAes {
    fn new(key: &[u8]) -> Result<AnyAes, CryptoError> {
        let bad = |_| CryptoError::IllegalValue;
        Ok(match key.len() {
            16 => AnyAes::A128(aes::Aes128::new_from_slice(key).map_err(bad)?),
            24 => AnyAes::A192(aes::Aes192::new_from_slice(key).map_err(bad)?),
            32 => AnyAes::A256(aes::Aes256::new_from_slice(key).map_err(bad)?),
            _ => return Err(CryptoError::IllegalValue),
        })
    }
}

impl BlockSizeUser for AnyAes {
    type BlockSize = consts::U16;
}

impl BlockCipher for AnyAes {}

impl BlockEncrypt for AnyAes {
    fn encrypt_with_backend(&self, f: impl BlockClosure<BlockSize = consts::U16>) {
        match self {
            AnyAes::A128(c) => c.encrypt_with_backend(f),
            AnyAes::A192(c) => c.encrypt_with_backend(f),
            AnyAes::A256(c) => c.encrypt_with_backend(f),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Gcm,
    Ccm,
}

/// One AEAD operation's state.
pub struct Aead {
    mode: Mode,
    aes: Option<AnyAes>,
    encrypt: bool,
    nonce: Vec<u8>,
    /// CCM's tag length (GCM's is chosen at `retrieveTag` / `verifyTag`).
    tag_len: usize,
    /// CCM's declared associated data and message lengths.
    lengths: Option<(usize, usize)>,
    aad: Vec<u8>,
    msg: Vec<u8>,
    /// `update` was called: no more associated data.
    started: bool,
    /// After `doFinal`: the tag made (encryption) or due (decryption).
    tag: Option<Vec<u8>>,
}

fn gcm_tag_len_ok(n: usize) -> bool {
    matches!(n, 4 | 8 | 12..=16)
}

fn ccm_tag_len_ok(n: usize) -> bool {
    (4..=16).contains(&n) && n.is_multiple_of(2)
}

fn ccm_seal_with<M, N>(
    aes: &AnyAes,
    nonce: &[u8],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<Vec<u8>, CryptoError>
where
    M: aes::cipher::ArrayLength<u8> + ccm::TagSize,
    N: aes::cipher::ArrayLength<u8> + ccm::NonceSize,
{
    let c = ccm::Ccm::<AnyAes, M, N>::from(aes.clone());
    c.encrypt_in_place_detached(GenericArray::from_slice(nonce), aad, buf)
        .map(|t| t.to_vec())
        .map_err(|_| CryptoError::IllegalValue)
}

macro_rules! ccm_by_nonce {
    ($m:ty, $n:expr, $args:expr) => {{
        let (aes, nonce, aad, buf) = $args;
        match $n {
            7 => ccm_seal_with::<$m, consts::U7>(aes, nonce, aad, buf),
            8 => ccm_seal_with::<$m, consts::U8>(aes, nonce, aad, buf),
            9 => ccm_seal_with::<$m, consts::U9>(aes, nonce, aad, buf),
            10 => ccm_seal_with::<$m, consts::U10>(aes, nonce, aad, buf),
            11 => ccm_seal_with::<$m, consts::U11>(aes, nonce, aad, buf),
            12 => ccm_seal_with::<$m, consts::U12>(aes, nonce, aad, buf),
            13 => ccm_seal_with::<$m, consts::U13>(aes, nonce, aad, buf),
            _ => Err(CryptoError::IllegalValue),
        }
    }};
}

impl Aead {
    pub fn new(mode: Mode) -> Aead {
        Aead {
            mode,
            aes: None,
            encrypt: true,
            nonce: Vec::new(),
            tag_len: 16,
            lengths: None,
            aad: Vec::new(),
            msg: Vec::new(),
            started: false,
            tag: None,
        }
    }

    /// Encrypts `buf` in place with the associated data `aad`; the full
    /// tag of the mode (16 bytes for GCM, `tag_len` for CCM).
    fn seal(&self, aad: &[u8], buf: &mut [u8]) -> Result<Vec<u8>, CryptoError> {
        let aes = self.aes.as_ref().ok_or(CryptoError::InvalidInit)?;
        match self.mode {
            Mode::Gcm => {
                let c = aes_gcm::AesGcm::<AnyAes, consts::U12>::from(aes.clone());
                c.encrypt_in_place_detached(GenericArray::from_slice(&self.nonce), aad, buf)
                    .map(|t| t.to_vec())
                    .map_err(|_| CryptoError::IllegalValue)
            }
            Mode::Ccm => {
                let args = (aes, self.nonce.as_slice(), aad, buf);
                let n = self.nonce.len();
                match self.tag_len {
                    4 => ccm_by_nonce!(consts::U4, n, args),
                    6 => ccm_by_nonce!(consts::U6, n, args),
                    8 => ccm_by_nonce!(consts::U8, n, args),
                    10 => ccm_by_nonce!(consts::U10, n, args),
                    12 => ccm_by_nonce!(consts::U12, n, args),
                    14 => ccm_by_nonce!(consts::U14, n, args),
                    16 => ccm_by_nonce!(consts::U16, n, args),
                    _ => Err(CryptoError::IllegalValue),
                }
            }
        }
    }

    /// `init` with a nonce; `lengths_tag` the 8-argument form's
    /// (adataLen, messageLen, tagSize).
    pub fn start(
        &mut self,
        key: &KeyMaterial,
        mode: u8,
        nonce: Option<&[u8]>,
        lengths_tag: Option<(i16, i16, i16)>,
    ) -> Result<(), CryptoError> {
        if key.kind != KeyKind::Aes {
            return Err(CryptoError::IllegalValue);
        }
        let nonce = nonce.ok_or(CryptoError::IllegalValue)?;
        let nonce_ok = match self.mode {
            Mode::Gcm => nonce.len() == 12,
            Mode::Ccm => (7..=13).contains(&nonce.len()),
        };
        if !nonce_ok {
            return Err(CryptoError::IllegalValue);
        }
        let (lengths, tag_len) = match lengths_tag {
            None => (None, 16),
            Some((a, m, t)) => {
                let (Ok(a), Ok(m), Ok(t)) =
                    (usize::try_from(a), usize::try_from(m), usize::try_from(t))
                else {
                    return Err(CryptoError::IllegalValue);
                };
                match self.mode {
                    Mode::Gcm if gcm_tag_len_ok(t) => (None, 16),
                    Mode::Ccm if ccm_tag_len_ok(t) => (Some((a, m)), t),
                    _ => return Err(CryptoError::IllegalValue),
                }
            }
        };
        self.aes = Some(AnyAes::new(key.secret())?);
        self.encrypt = mode == cipher::MODE_ENCRYPT;
        self.nonce = nonce.to_vec();
        self.tag_len = tag_len;
        self.lengths = lengths;
        self.restart();
        Ok(())
    }

    /// Ready for the next operation with the same key and nonce (what
    /// `doFinal` leaves, as the specification says).
    fn restart(&mut self) {
        self.aad.clear();
        self.msg.clear();
        self.started = false;
    }

    fn room(&self, more: usize) -> Result<(), CryptoError> {
        if self.aad.len() + self.msg.len() + more > MAX_BUFFERED {
            return Err(CryptoError::IllegalUse);
        }
        Ok(())
    }

    /// `updateAAD`: only before the message.
    pub fn update_aad(&mut self, data: &[u8]) -> Result<(), CryptoError> {
        if self.aes.is_none() {
            return Err(CryptoError::InvalidInit);
        }
        if self.started {
            return Err(CryptoError::IllegalUse);
        }
        if let Some((a, _)) = self.lengths {
            if self.aad.len() + data.len() > a {
                return Err(CryptoError::IllegalUse);
            }
        }
        self.room(data.len())?;
        self.tag = None;
        self.aad.extend_from_slice(data);
        Ok(())
    }

    /// `retrieveTag`: the tag of the last encryption, `len` bytes.
    pub fn retrieve_tag(&self, len: usize) -> Result<Vec<u8>, CryptoError> {
        let tag = match (&self.tag, self.encrypt) {
            (Some(t), true) => t,
            _ => return Err(CryptoError::IllegalUse),
        };
        let ok = match self.mode {
            Mode::Gcm => gcm_tag_len_ok(len),
            Mode::Ccm => len == self.tag_len,
        };
        if !ok {
            return Err(CryptoError::IllegalValue);
        }
        Ok(tag[..len].to_vec())
    }

    /// `verifyTag`: whether `given` is the tag of the last decryption and
    /// at least `required` bytes long.
    pub fn verify_tag(&self, given: &[u8], required: usize) -> Result<bool, CryptoError> {
        let tag = match (&self.tag, self.encrypt) {
            (Some(t), false) => t,
            _ => return Err(CryptoError::IllegalUse),
        };
        let ok = match self.mode {
            Mode::Gcm => gcm_tag_len_ok(given.len()) && gcm_tag_len_ok(required),
            Mode::Ccm => given.len() == self.tag_len && required <= self.tag_len,
        };
        if !ok {
            return Err(CryptoError::IllegalValue);
        }
        if given.len() < required {
            return Ok(false);
        }
        Ok(bool::from(tag[..given.len()].ct_eq(given)))
    }
}

impl CipherEngine for Aead {
    fn init(
        &mut self,
        key: &KeyMaterial,
        mode: u8,
        param: Option<&[u8]>,
    ) -> Result<(), CryptoError> {
        self.start(key, mode, param, None)
    }

    fn update_len(&self, _n: usize) -> usize {
        0
    }

    fn update(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if let Some((_, m)) = self.lengths {
            if self.msg.len() + data.len() > m {
                return Err(CryptoError::IllegalUse);
            }
        }
        self.room(data.len())?;
        self.started = true;
        self.tag = None;
        self.msg.extend_from_slice(data);
        Ok(Vec::new())
    }

    fn do_final(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.update(data)?;
        if let Some((a, m)) = self.lengths {
            if self.aad.len() != a || self.msg.len() != m {
                self.restart();
                return Err(CryptoError::IllegalUse);
            }
        }
        let mut out = core::mem::take(&mut self.msg);
        let aad = core::mem::take(&mut self.aad);
        let r = if self.encrypt {
            self.seal(&aad, &mut out)
        } else {
            let mut stream = alloc::vec![0u8; out.len()];
            self.seal(&[], &mut stream).and_then(|_| {
                for (o, k) in out.iter_mut().zip(&stream) {
                    *o ^= k;
                }
                let mut again = out.clone();
                self.seal(&aad, &mut again)
            })
        };
        self.restart();
        self.tag = Some(r?);
        Ok(out)
    }

    fn aead(&self) -> Option<&Aead> {
        Some(self)
    }

    fn aead_mut(&mut self) -> Option<&mut Aead> {
        Some(self)
    }
}

impl<N: Nvm> Card<N> {
    fn with_aead<T>(
        &mut self,
        this: Ref,
        f: impl FnOnce(&mut cipher::Ciph) -> Result<T, CryptoError>,
    ) -> Result<T, Exc> {
        let r = match self.engine(this)? {
            Engine::Cipher(c) if c.is_aead() => f(c),
            _ => {
                return Err(Exc::Fault(crate::error::Fault::Corrupt(
                    "not an AEADCipher",
                )))
            }
        };
        r.map_err(|e| self.crypto_exc(e.reason()))
    }

    /// `init(Key theKey, byte theMode, byte[] nonceBuf, short nonceOff,
    /// short nonceLen, short adataLen, short messageLen, short tagSize)`.
    pub(crate) fn aead_init(
        &mut self,
        this: Ref,
        key: Ref,
        mode: u8,
        nonce: (Ref, i16, i16),
        lengths_tag: (i16, i16, i16),
    ) -> Result<(), Exc> {
        self.with_aead(this, |_| Ok(()))?;
        if mode != cipher::MODE_ENCRYPT && mode != cipher::MODE_DECRYPT {
            return Err(self.crypto_exc(super::reason::ILLEGAL_VALUE));
        }
        let (m, nonce, _) = self.init_args(key, Some(nonce), false)?;
        self.with_aead(this, |c| {
            c.set_mode(None);
            let a = c.aead_mut().ok_or(CryptoError::IllegalUse)?;
            a.start(&m, mode, nonce.as_deref(), Some(lengths_tag))?;
            c.set_mode(Some(mode));
            Ok(())
        })
    }

    /// `updateAAD(byte[] aadBuf, short aadOff, short aadLen)`.
    pub(crate) fn aead_update_aad(
        &mut self,
        this: Ref,
        (a, off, len): (Ref, i16, i16),
    ) -> Result<(), Exc> {
        let data = self.bytes_in(a, off, len)?;
        self.with_aead(this, |c| {
            c.aead_mut()
                .ok_or(CryptoError::IllegalUse)?
                .update_aad(&data)
        })
    }

    /// `retrieveTag(byte[] tagBuf, short tagOff, short tagLen)`: the tag
    /// length.
    pub(crate) fn aead_retrieve_tag(
        &mut self,
        this: Ref,
        (a, off, len): (Ref, i16, i16),
    ) -> Result<i16, Exc> {
        let n = usize::try_from(len).map_err(|_| self.crypto_exc(super::reason::ILLEGAL_VALUE))?;
        let tag = self.with_aead(this, |c| {
            c.aead().ok_or(CryptoError::IllegalUse)?.retrieve_tag(n)
        })?;
        self.bytes_out(a, off, &tag)?;
        Ok(len)
    }

    /// `verifyTag(byte[] receivedTagBuf, short receivedTagOff, short
    /// receivedTagLen, short requiredTagLen)`.
    pub(crate) fn aead_verify_tag(
        &mut self,
        this: Ref,
        (a, off, len): (Ref, i16, i16),
        required: i16,
    ) -> Result<bool, Exc> {
        let given = self.bytes_in(a, off, len)?;
        let req =
            usize::try_from(required).map_err(|_| self.crypto_exc(super::reason::ILLEGAL_VALUE))?;
        self.with_aead(this, |c| {
            c.aead()
                .ok_or(CryptoError::IllegalUse)?
                .verify_tag(&given, req)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn key(k: &str) -> KeyMaterial {
        KeyMaterial {
            kind: KeyKind::Aes,
            size: (k.len() * 4) as i16,
            parts: alloc::vec![hex(k)],
        }
    }

    /// The GCM specification's test case 4 (McGrew and Viega): AES-128,
    /// 96-bit IV, 20 bytes of associated data, 60-byte message.
    #[test]
    fn gcm_test_case_4_encrypts_and_decrypts() {
        let k = key("feffe9928665731c6d6a8f9467308308");
        let iv = hex("cafebabefacedbaddecaf888");
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let pt = hex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        );
        let ct = hex(
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
        );
        let tag = hex("5bc94fbc3221a5db94fae95ae7121a47");
        let mut e = Aead::new(Mode::Gcm);
        e.start(&k, cipher::MODE_ENCRYPT, Some(&iv), None).unwrap();
        e.update_aad(&aad[..7]).unwrap();
        e.update_aad(&aad[7..]).unwrap();
        assert!(e.update(&pt[..30]).unwrap().is_empty());
        assert_eq!(e.do_final(&pt[30..]).unwrap(), ct);
        assert_eq!(e.retrieve_tag(16).unwrap(), tag);
        assert_eq!(e.retrieve_tag(12).unwrap(), tag[..12]);
        assert_eq!(e.update_aad(b"late"), Ok(()));
        let mut d = Aead::new(Mode::Gcm);
        d.start(&k, cipher::MODE_DECRYPT, Some(&iv), None).unwrap();
        d.update_aad(&aad).unwrap();
        assert_eq!(d.do_final(&ct).unwrap(), pt);
        assert!(d.verify_tag(&tag, 16).unwrap());
        assert!(d.verify_tag(&tag[..12], 12).unwrap());
        assert!(!d.verify_tag(&tag[..12], 16).unwrap_or(true));
        let mut bad = tag.clone();
        bad[15] ^= 1;
        assert!(!d.verify_tag(&bad, 16).unwrap());
        assert_eq!(d.retrieve_tag(16), Err(CryptoError::IllegalUse));
    }

    #[test]
    fn more_than_the_buffer_holds_is_illegal_use_and_the_next_operation_works() {
        let k = key("feffe9928665731c6d6a8f9467308308");
        let mut e = Aead::new(Mode::Gcm);
        e.start(&k, cipher::MODE_ENCRYPT, Some(&[0; 12]), None)
            .unwrap();
        e.update_aad(&[0; 1000]).unwrap();
        assert_eq!(
            e.update(&[0; MAX_BUFFERED - 999]),
            Err(CryptoError::IllegalUse)
        );
        assert_eq!(
            e.do_final(&[0; MAX_BUFFERED - 1000]).map(|c| c.len()),
            Ok(MAX_BUFFERED - 1000)
        );
        assert_eq!(e.retrieve_tag(16).map(|t| t.len()), Ok(16));
        // Another length: a nonce GCM does not take, a CCM tag it does not have.
        assert_eq!(
            e.start(&k, cipher::MODE_ENCRYPT, Some(&[0; 16]), None),
            Err(CryptoError::IllegalValue)
        );
        let mut c = Aead::new(Mode::Ccm);
        assert_eq!(
            c.start(&k, cipher::MODE_ENCRYPT, Some(&[0; 13]), Some((0, 0, 3))),
            Err(CryptoError::IllegalValue)
        );
    }

    /// RFC 3610 packet vector 1: AES-128, 13-byte nonce, 8-byte tag, 8
    /// bytes of associated data.
    #[test]
    fn ccm_rfc3610_vector_1() {
        let k = key("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf");
        let nonce = hex("00000003020100a0a1a2a3a4a5");
        let aad = hex("0001020304050607");
        let pt = hex("08090a0b0c0d0e0f101112131415161718191a1b1c1d1e");
        let ct = hex("588c979a61c663d2f066d0c2c0f989806d5f6b61dac384");
        let tag = hex("17e8d12cfdf926e0");
        let mut e = Aead::new(Mode::Ccm);
        e.start(&k, cipher::MODE_ENCRYPT, Some(&nonce), Some((8, 23, 8)))
            .unwrap();
        e.update_aad(&aad).unwrap();
        assert_eq!(e.do_final(&pt).unwrap(), ct);
        assert_eq!(e.retrieve_tag(8).unwrap(), tag);
        assert_eq!(e.retrieve_tag(16), Err(CryptoError::IllegalValue));
        let mut d = Aead::new(Mode::Ccm);
        d.start(&k, cipher::MODE_DECRYPT, Some(&nonce), Some((8, 23, 8)))
            .unwrap();
        d.update_aad(&aad).unwrap();
        assert_eq!(d.update(&ct[..5]).unwrap(), Vec::<u8>::new());
        assert_eq!(d.update_aad(&aad), Err(CryptoError::IllegalUse));
        assert_eq!(d.do_final(&ct[5..]).unwrap(), pt);
        assert!(d.verify_tag(&tag, 8).unwrap());
        // The declared message length is binding.
        d.update_aad(&aad).unwrap();
        assert_eq!(d.do_final(&ct[1..]), Err(CryptoError::IllegalUse));
    }
}
