//! The wire protocol of vsmartcard's `vpcd`, the virtual reader driver that
//! pcscd loads, and the card side of it. The meter firmware speaks it over
//! its UART, the host card over TCP; both serve a [`Card`] with
//! [`serve_one`].
//!
//! Both directions carry frames: a 2-byte big-endian length, then the
//! payload. Reader to card, a 1-byte payload is a control frame: `00` power
//! off, `01` power on, `02` reset, `04` get ATR; only `04` is answered (with
//! the ATR). Any longer payload is a command APDU, answered by exactly one
//! frame holding the response APDU. A 0-length frame carries nothing and is
//! skipped.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod atr;

use alloc::vec::Vec;

/// The port Debian's `vsmartcard-vpcd` package configures for its first
/// reader (`Virtual PCD 00 00`); the second reader listens on the next one.
pub const DEFAULT_PORT: u16 = 35963;

/// Control codes of 1-byte frames.
pub const POWER_OFF: u8 = 0x00;
pub const POWER_ON: u8 = 0x01;
pub const RESET: u8 = 0x02;
pub const GET_ATR: u8 = 0x04;

/// One frame from the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Control(u8),
    Apdu(Vec<u8>),
}

/// A byte stream between reader and card.
pub trait ByteLink {
    type Error;
    /// Waits for and fills the whole of `buf`.
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), Self::Error>;
    /// Sends every byte of `data` (possibly buffered until [`ByteLink::flush`]).
    fn write_all(&mut self, data: &[u8]) -> Result<(), Self::Error>;
    /// Sends what `write_all` buffered.
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Reads one non-empty frame.
pub fn read_frame<L: ByteLink>(link: &mut L) -> Result<Frame, L::Error> {
    loop {
        let mut len = [0u8; 2];
        link.read_exact(&mut len)?;
        match usize::from(u16::from_be_bytes(len)) {
            0 => continue,
            1 => {
                let mut code = [0u8];
                link.read_exact(&mut code)?;
                return Ok(Frame::Control(code[0]));
            }
            n => {
                let mut apdu = alloc::vec![0u8; n];
                link.read_exact(&mut apdu)?;
                return Ok(Frame::Apdu(apdu));
            }
        }
    }
}

/// Writes one frame and flushes it; payloads longer than 65535 bytes cannot
/// be framed and are replaced by the status word 6F00 (no precise
/// diagnosis).
pub fn write_frame<L: ByteLink>(link: &mut L, payload: &[u8]) -> Result<(), L::Error> {
    let payload = if payload.len() > usize::from(u16::MAX) {
        &[0x6F, 0x00][..]
    } else {
        payload
    };
    link.write_all(&(payload.len() as u16).to_be_bytes())?;
    link.write_all(payload)?;
    link.flush()
}

/// A power event from the reader (control frames `00`, `01`, `02`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    Off,
    On,
    Reset,
}

/// A card as seen from the reader.
pub trait Card {
    /// What stops the card from answering (a board without one: `Infallible`).
    type Error;
    /// The answer to reset.
    fn atr(&self) -> &[u8];
    /// Power off, power on or reset: transient state is cleared.
    fn power(&mut self, event: Power) -> Result<(), Self::Error>;
    /// Processes one command APDU as received; `response` is empty on entry
    /// and holds the response APDU (data, SW1, SW2) on return.
    fn process(&mut self, command: &[u8], response: &mut Vec<u8>) -> Result<(), Self::Error>;
}

/// Marks the instructions that process one APDU, for an instruction
/// counter. The meter's markers are functions whose addresses the counting
/// plugin watches.
pub trait Marks {
    fn begin(&mut self) {}
    fn end(&mut self) {}
}

/// No marks.
impl Marks for () {}

/// Why serving stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServeError<L, C> {
    /// The link failed or closed.
    Link(L),
    /// The card could not answer.
    Card(C),
}

/// What [`serve_one`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    Power(Power),
    Atr,
    /// A control code vpcd does not define (ignored).
    UnknownControl(u8),
    /// A command APDU of this many bytes, answered.
    Apdu(usize),
}

/// Serves one frame: reads it, drives the card, answers if an answer is due.
/// The marks bracket exactly the card's work on a command APDU: receiving
/// and sending (whose timing depends on the other side) stay outside.
pub fn serve_one<L: ByteLink, C: Card>(
    link: &mut L,
    card: &mut C,
    marks: &mut impl Marks,
    response: &mut Vec<u8>,
) -> Result<Served, ServeError<L::Error, C::Error>> {
    let frame = read_frame(link).map_err(ServeError::Link)?;
    let served = match frame {
        Frame::Control(code) => {
            let event = match code {
                POWER_OFF => Power::Off,
                POWER_ON => Power::On,
                RESET => Power::Reset,
                GET_ATR => {
                    write_frame(link, card.atr()).map_err(ServeError::Link)?;
                    return Ok(Served::Atr);
                }
                other => return Ok(Served::UnknownControl(other)),
            };
            card.power(event).map_err(ServeError::Card)?;
            Served::Power(event)
        }
        Frame::Apdu(command) => {
            response.clear();
            marks.begin();
            let r = card.process(&command, response);
            marks.end();
            r.map_err(ServeError::Card)?;
            write_frame(link, response).map_err(ServeError::Link)?;
            Served::Apdu(command.len())
        }
    };
    Ok(served)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::vec;
    use core::convert::Infallible;
    use std::collections::VecDeque;

    struct Pipe {
        input: VecDeque<u8>,
        output: Vec<u8>,
    }

    #[derive(Debug, PartialEq, Eq)]
    struct Eof;

    impl ByteLink for Pipe {
        type Error = Eof;
        fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), Eof> {
            for b in buf {
                *b = self.input.pop_front().ok_or(Eof)?;
            }
            Ok(())
        }
        fn write_all(&mut self, data: &[u8]) -> Result<(), Eof> {
            self.output.extend_from_slice(data);
            Ok(())
        }
    }

    #[derive(Default)]
    struct Probe {
        events: Vec<Power>,
    }

    impl Card for Probe {
        type Error = Infallible;
        fn atr(&self) -> &[u8] {
            &[0x3B, 0x00]
        }
        fn power(&mut self, event: Power) -> Result<(), Infallible> {
            self.events.push(event);
            Ok(())
        }
        fn process(&mut self, command: &[u8], response: &mut Vec<u8>) -> Result<(), Infallible> {
            response.extend_from_slice(&command[1..]);
            response.extend_from_slice(&[0x90, 0x00]);
            Ok(())
        }
    }

    #[derive(Default)]
    struct Count(u32, u32);

    impl Marks for Count {
        fn begin(&mut self) {
            self.0 += 1;
        }
        fn end(&mut self) {
            self.1 += 1;
        }
    }

    fn pipe(input: Vec<u8>) -> Pipe {
        Pipe {
            input: input.into(),
            output: Vec::new(),
        }
    }

    #[test]
    fn frames_and_controls() {
        let input = [
            &[0, 1, POWER_ON][..],
            &[0, 1, GET_ATR],
            &[0, 0],
            &[0, 5, 0x00, 0xA4, 0x04, 0x00, 0x00],
            &[0, 1, RESET],
            &[0, 1, 0x09],
            &[0, 1, POWER_OFF],
        ]
        .concat();
        let mut link = pipe(input);
        let mut card = Probe::default();
        let mut marks = Count::default();
        let mut resp = Vec::new();
        let mut served = Vec::new();
        for _ in 0..6 {
            served.push(serve_one(&mut link, &mut card, &mut marks, &mut resp).unwrap());
        }
        assert_eq!(
            served,
            [
                Served::Power(Power::On),
                Served::Atr,
                Served::Apdu(5),
                Served::Power(Power::Reset),
                Served::UnknownControl(9),
                Served::Power(Power::Off)
            ]
        );
        assert!(link.input.is_empty());
        assert_eq!(card.events, [Power::On, Power::Reset, Power::Off]);
        assert_eq!(
            link.output,
            [
                &[0, 2, 0x3B, 0x00][..],
                &[0, 6, 0xA4, 0x04, 0x00, 0x00, 0x90, 0x00]
            ]
            .concat()
        );
        assert_eq!((marks.0, marks.1), (1, 1));
        assert_eq!(
            serve_one(&mut link, &mut card, &mut marks, &mut resp),
            Err(ServeError::Link(Eof))
        );
    }

    #[test]
    fn long_and_cut_frames() {
        let mut apdu = vec![0x80, 0x10, 0, 0, 0, 0x01, 0x00];
        apdu.extend(core::iter::repeat_n(0xAB, 256));
        let mut input = (apdu.len() as u16).to_be_bytes().to_vec();
        input.extend_from_slice(&apdu);
        let mut link = pipe(input);
        assert_eq!(read_frame(&mut link), Ok(Frame::Apdu(apdu)));
        write_frame(&mut link, &vec![7; 70000]).unwrap();
        assert_eq!(link.output, [0, 2, 0x6F, 0x00]);
        // A frame cut short by the link is an error, not a short APDU.
        assert_eq!(read_frame(&mut pipe(vec![0, 9, 1, 2, 3])), Err(Eof));
        assert_eq!(read_frame(&mut pipe(vec![0])), Err(Eof));
    }
}
