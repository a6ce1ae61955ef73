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
//!
//! vpcd's 2-byte length stops at 65,535 bytes, short of the longest
//! extended command (`CLA INS P1 P2 00 Lc(2) data(65535) Le(2)`, 65,544
//! bytes) and response (65,536 data bytes and SW, 65,538). The meter's UART
//! link speaks [`Framing::Long`]: a length of `FF FF` is an escape, followed
//! by the payload's length in 4 bytes (big-endian), so every frame vpcd can
//! send means the same, except exactly 65,535 bytes, which go escaped.

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
    /// A [`Framing::Long`] frame of this many bytes, above
    /// [`MAX_LONG_FRAME`]: read and dropped.
    TooLong(usize),
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

/// How frame lengths are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// vpcd's: 2 bytes, frames up to 65,535 bytes.
    Vpcd,
    /// `FF FF` escapes to a 4-byte length (see the module documentation).
    Long,
}

/// The escape of [`Framing::Long`].
pub const LONG_ESCAPE: u16 = 0xFFFF;

/// The longest payload a [`Framing::Long`] reader takes: the longest legal
/// command APDU. Longer frames are read and dropped ([`Frame::TooLong`]).
pub const MAX_LONG_FRAME: usize = 65_544;

/// Reads one non-empty vpcd frame.
pub fn read_frame<L: ByteLink>(link: &mut L) -> Result<Frame, L::Error> {
    read_frame_with(link, Framing::Vpcd)
}

/// Reads one non-empty frame of `framing`.
pub fn read_frame_with<L: ByteLink>(link: &mut L, framing: Framing) -> Result<Frame, L::Error> {
    loop {
        let mut len = [0u8; 2];
        link.read_exact(&mut len)?;
        let mut n = usize::from(u16::from_be_bytes(len));
        if framing == Framing::Long && n == usize::from(LONG_ESCAPE) {
            let mut long = [0u8; 4];
            link.read_exact(&mut long)?;
            n = u32::from_be_bytes(long) as usize;
            if n > MAX_LONG_FRAME {
                // Drained in pieces: the link stays in step without the
                // memory for the whole frame.
                let mut left = n;
                let mut chunk = [0u8; 64];
                while left > 0 {
                    let k = left.min(chunk.len());
                    link.read_exact(&mut chunk[..k])?;
                    left -= k;
                }
                return Ok(Frame::TooLong(n));
            }
        }
        match n {
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

/// Writes one vpcd frame and flushes it; payloads longer than 65535 bytes
/// cannot be framed and are replaced by the status word 6F00 (no precise
/// diagnosis).
pub fn write_frame<L: ByteLink>(link: &mut L, payload: &[u8]) -> Result<(), L::Error> {
    write_frame_with(link, Framing::Vpcd, payload)
}

/// Writes one frame of `framing` and flushes it; with [`Framing::Vpcd`] as
/// [`write_frame`].
pub fn write_frame_with<L: ByteLink>(
    link: &mut L,
    framing: Framing,
    payload: &[u8],
) -> Result<(), L::Error> {
    let n = payload.len();
    let long = framing == Framing::Long && n >= usize::from(LONG_ESCAPE);
    match u32::try_from(n) {
        Ok(n) if long => {
            link.write_all(&LONG_ESCAPE.to_be_bytes())?;
            link.write_all(&n.to_be_bytes())?;
        }
        Ok(n) if n <= u32::from(u16::MAX) && !long => {
            link.write_all(&(n as u16).to_be_bytes())?;
        }
        _ => return write_frame_with(link, framing, &[0x6F, 0x00]),
    }
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
    /// A command longer than any APDU, answered 6700 without the card.
    TooLong(usize),
}

/// Serves one vpcd frame: reads it, drives the card, answers if an answer
/// is due. The marks bracket exactly the card's work on a command APDU:
/// receiving and sending (whose timing depends on the other side) stay
/// outside.
pub fn serve_one<L: ByteLink, C: Card>(
    link: &mut L,
    card: &mut C,
    marks: &mut impl Marks,
    response: &mut Vec<u8>,
) -> Result<Served, ServeError<L::Error, C::Error>> {
    serve_one_with(link, Framing::Vpcd, card, marks, response)
}

/// [`serve_one`] over a link of `framing`.
pub fn serve_one_with<L: ByteLink, C: Card>(
    link: &mut L,
    framing: Framing,
    card: &mut C,
    marks: &mut impl Marks,
    response: &mut Vec<u8>,
) -> Result<Served, ServeError<L::Error, C::Error>> {
    let frame = read_frame_with(link, framing).map_err(ServeError::Link)?;
    let served = match frame {
        Frame::Control(code) => {
            let event = match code {
                POWER_OFF => Power::Off,
                POWER_ON => Power::On,
                RESET => Power::Reset,
                GET_ATR => {
                    write_frame_with(link, framing, card.atr()).map_err(ServeError::Link)?;
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
            write_frame_with(link, framing, response).map_err(ServeError::Link)?;
            Served::Apdu(command.len())
        }
        Frame::TooLong(n) => {
            // No APDU is this long: wrong length (ISO 7816-4 6700).
            write_frame_with(link, framing, &[0x67, 0x00]).map_err(ServeError::Link)?;
            Served::TooLong(n)
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
        // The long framing: 65,535 bytes and more behind the escape, less as
        // vpcd sends them; beyond the longest APDU dropped and answered 6700.
        for n in [2usize, 65_534, 65_535, 65_538, MAX_LONG_FRAME] {
            let mut link = pipe(Vec::new());
            let payload: Vec<u8> = (0..n).map(|i| i as u8).collect();
            write_frame_with(&mut link, Framing::Long, &payload).unwrap();
            let head = if n >= 65_535 { 6 } else { 2 };
            assert_eq!(link.output.len(), n + head);
            let mut back = pipe(link.output);
            assert_eq!(
                read_frame_with(&mut back, Framing::Long),
                Ok(Frame::Apdu(payload))
            );
        }
        let mut input = vec![0xFF, 0xFF, 0, 1, 0, 9];
        input.extend(core::iter::repeat_n(0, 65_545));
        input.extend_from_slice(&[0, 1, GET_ATR]);
        let mut link = pipe(input);
        let mut card = Probe::default();
        let mut resp = Vec::new();
        assert_eq!(
            serve_one_with(&mut link, Framing::Long, &mut card, &mut (), &mut resp),
            Ok(Served::TooLong(65_545))
        );
        assert_eq!(
            serve_one_with(&mut link, Framing::Long, &mut card, &mut (), &mut resp),
            Ok(Served::Atr)
        );
        assert_eq!(link.output, [0, 2, 0x67, 0x00, 0, 2, 0x3B, 0x00]);
        // The same 65,535 bytes are a plain vpcd frame.
        let mut input = vec![0xFF, 0xFF];
        input.extend(core::iter::repeat_n(5, 65_535));
        assert_eq!(
            read_frame(&mut pipe(input)),
            Ok(Frame::Apdu(vec![5; 65_535]))
        );
        // A frame cut short by the link is an error, not a short APDU.
        assert_eq!(read_frame(&mut pipe(vec![0, 9, 1, 2, 3])), Err(Eof));
        assert_eq!(read_frame(&mut pipe(vec![0])), Err(Eof));
    }
}
