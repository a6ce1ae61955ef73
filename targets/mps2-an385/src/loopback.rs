//! The loopback card: a stand-in for the runtime that exercises the board
//! (transport, NVM persistence, power events, instruction counts, panic
//! reports) until the runtime's card is wired in. Short APDUs only, CLA 80:
//!
//! | INS | what | response |
//! |---|---|---|
//! | 10 | echo the command data | data, 9000 |
//! | 20 | write the data to NVM at offset P1P2 | 9000 |
//! | 22 | read Le bytes (00 = 256) of NVM at offset P1P2 | data, 9000 |
//! | 24 | add 1 to the persistent counter (NVM bytes 0..4) | counter (4 bytes BE), 9000 |
//! | 26 | add 1 to the transient counter (cleared by power events) | counter (4 bytes BE), 9000 |
//! | 30 | P1P2 rounds of a fixed integer hash, a known amount of work | hash (4 bytes BE), 9000 |
//! | 7F | panic (tests the board's panic report) | none |
//!
//! Errors: 6E00 wrong CLA, 6D00 unknown INS, 6700 wrong length, 6B00
//! offset out of range, 6581 NVM write failed.

#![forbid(unsafe_code)]

use alloc::vec::Vec;

use core::convert::Infallible;

use crate::card::{Card, Power, ATR};
use hydra_runtime::{Fault, Nvm};

pub const CLA: u8 = 0x80;
pub const INS_ECHO: u8 = 0x10;
pub const INS_WRITE: u8 = 0x20;
pub const INS_READ: u8 = 0x22;
pub const INS_BUMP: u8 = 0x24;
pub const INS_TRANSIENT: u8 = 0x26;
pub const INS_WORK: u8 = 0x30;
pub const INS_PANIC: u8 = 0x7F;

const SW_OK: u16 = 0x9000;

/// A short command APDU split into its parts.
struct Command<'a> {
    cla: u8,
    ins: u8,
    p1p2: u16,
    data: &'a [u8],
    /// Ne, 0 when absent.
    ne: usize,
}

fn parse(c: &[u8]) -> Option<Command<'_>> {
    let (h, body) = (c.get(..4)?, &c[4..]);
    let (data, ne) = match body.len() {
        0 => (&body[..0], 0),
        1 => (
            &body[..0],
            if body[0] == 0 { 256 } else { body[0] as usize },
        ),
        n => {
            let lc = body[0] as usize;
            if lc == 0 {
                return None; // extended length: not spoken here
            }
            let data = body.get(1..1 + lc)?;
            match n - 1 - lc {
                0 => (data, 0),
                1 => (
                    data,
                    if body[n - 1] == 0 {
                        256
                    } else {
                        body[n - 1] as usize
                    },
                ),
                _ => return None,
            }
        }
    };
    Some(Command {
        cla: h[0],
        ins: h[1],
        p1p2: u16::from_be_bytes([h[2], h[3]]),
        data,
        ne,
    })
}

/// The loopback card over any NVM.
pub struct LoopbackCard<N: Nvm> {
    pub nvm: N,
    transient: u32,
}

impl<N: Nvm> LoopbackCard<N> {
    pub fn new(nvm: N) -> Self {
        LoopbackCard { nvm, transient: 0 }
    }

    fn run(&mut self, c: &Command, out: &mut Vec<u8>) -> u16 {
        if c.cla != CLA {
            return 0x6E00;
        }
        match c.ins {
            INS_ECHO => {
                out.extend_from_slice(c.data);
                SW_OK
            }
            INS_WRITE => match self.nvm.write(c.p1p2 as u32, c.data) {
                Ok(()) => SW_OK,
                Err(Fault::NvmRange { .. }) => 0x6B00,
                Err(_) => 0x6581,
            },
            INS_READ => {
                let at = c.p1p2 as usize;
                match self.nvm.bytes().get(at..at + c.ne.max(1)) {
                    Some(b) if c.ne > 0 => {
                        out.extend_from_slice(b);
                        SW_OK
                    }
                    Some(_) => 0x6700,
                    None => 0x6B00,
                }
            }
            INS_BUMP => {
                let b = self.nvm.bytes();
                let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]).wrapping_add(1);
                if self.nvm.write(0, &n.to_be_bytes()).is_err() {
                    return 0x6581;
                }
                out.extend_from_slice(&n.to_be_bytes());
                SW_OK
            }
            INS_TRANSIENT => {
                self.transient += 1;
                out.extend_from_slice(&self.transient.to_be_bytes());
                SW_OK
            }
            INS_WORK => {
                out.extend_from_slice(&work(c.p1p2 as u32).to_be_bytes());
                SW_OK
            }
            INS_PANIC => panic!("loopback card: panic requested by INS 7F"),
            _ => 0x6D00,
        }
    }
}

/// `rounds` rounds of a 32-bit xorshift-multiply hash: a fixed amount of
/// work per round, for instruction-count tests.
pub fn work(rounds: u32) -> u32 {
    let mut h: u32 = 0x9E37_79B9;
    for i in 0..rounds {
        h ^= h << 13;
        h ^= h >> 17;
        h ^= h << 5;
        h = h.wrapping_mul(0x0100_0193).wrapping_add(i);
    }
    h
}

impl<N: Nvm> Card for LoopbackCard<N> {
    type Error = Infallible;

    fn atr(&self) -> &[u8] {
        &ATR
    }

    fn power(&mut self, _event: Power) -> Result<(), Infallible> {
        self.transient = 0;
        Ok(())
    }

    fn process(&mut self, command: &[u8], response: &mut Vec<u8>) -> Result<(), Infallible> {
        let sw = match parse(command) {
            Some(c) => self.run(&c, response),
            None => 0x6700,
        };
        if sw != SW_OK {
            response.clear();
        }
        response.extend_from_slice(&sw.to_be_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hydra_runtime::RamNvm;

    fn ask<N: Nvm>(card: &mut LoopbackCard<N>, apdu: &[u8]) -> Vec<u8> {
        let mut r = Vec::new();
        let Ok(()) = card.process(apdu, &mut r);
        r
    }

    #[test]
    fn commands() {
        let mut card = LoopbackCard::new(RamNvm::new(64));
        assert_eq!(
            ask(&mut card, &[0x80, 0x10, 0, 0, 2, 0xCA, 0xFE]),
            [0xCA, 0xFE, 0x90, 0x00]
        );
        assert_eq!(
            ask(&mut card, &[0x80, 0x10, 0, 0, 2, 0xCA, 0xFE, 0x00]),
            [0xCA, 0xFE, 0x90, 0x00]
        );
        assert_eq!(
            ask(&mut card, &[0x80, 0x20, 0, 8, 3, 1, 2, 3]),
            [0x90, 0x00]
        );
        assert_eq!(
            ask(&mut card, &[0x80, 0x22, 0, 7, 5]),
            [0, 1, 2, 3, 0, 0x90, 0x00]
        );
        assert_eq!(ask(&mut card, &[0x80, 0x22, 0, 62, 5]), [0x6B, 0x00]);
        assert_eq!(
            ask(&mut card, &[0x80, 0x20, 0, 62, 3, 1, 2, 3]),
            [0x6B, 0x00]
        );
        assert_eq!(
            ask(&mut card, &[0x80, 0x24, 0, 0]),
            [0, 0, 0, 1, 0x90, 0x00]
        );
        assert_eq!(
            ask(&mut card, &[0x80, 0x24, 0, 0]),
            [0, 0, 0, 2, 0x90, 0x00]
        );
        assert_eq!(
            ask(&mut card, &[0x80, 0x26, 0, 0]),
            [0, 0, 0, 1, 0x90, 0x00]
        );
        let Ok(()) = card.power(Power::Reset);
        assert_eq!(
            ask(&mut card, &[0x80, 0x26, 0, 0]),
            [0, 0, 0, 1, 0x90, 0x00]
        );
        assert_eq!(
            ask(&mut card, &[0x80, 0x30, 0, 0]),
            [0x9E, 0x37, 0x79, 0xB9, 0x90, 0x00]
        );
        assert_eq!(ask(&mut card, &[0x00, 0x10, 0, 0]), [0x6E, 0x00]);
        assert_eq!(ask(&mut card, &[0x80, 0x55, 0, 0]), [0x6D, 0x00]);
        assert_eq!(ask(&mut card, &[0x80, 0x10, 0, 0, 5, 1]), [0x67, 0x00]);
        assert_eq!(ask(&mut card, &[0x80, 0x10]), [0x67, 0x00]);
        assert_eq!(&card.nvm.bytes()[..4], [0, 0, 0, 2]);
    }

    #[test]
    #[should_panic(expected = "panic requested")]
    fn panics_on_request() {
        ask(&mut LoopbackCard::new(RamNvm::new(8)), &[0x80, 0x7F, 0, 0]);
    }
}
