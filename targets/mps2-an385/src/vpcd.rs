//! The vsmartcard vpcd framing over a byte stream (UART0 here).
//!
//! Both directions: a frame is a 2-byte big-endian length and the payload.
//! Reader to card, a 1-byte payload is a control frame: `00` power off,
//! `01` power on, `02` reset, `04` get ATR; only `04` is answered (with the
//! ATR). Any longer payload is a command APDU, answered by exactly one
//! frame holding the response APDU. A 0-length frame carries nothing and is
//! skipped.

#![forbid(unsafe_code)]

use alloc::vec::Vec;

use crate::card::{Card, Power};

/// A blocking byte stream.
pub trait ByteLink {
    /// Waits for and returns the next byte.
    fn read_byte(&mut self) -> u8;
    /// Sends every byte of `data`.
    fn write_all(&mut self, data: &[u8]);
}

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

/// Reads one non-empty frame.
pub fn read_frame(link: &mut impl ByteLink) -> Frame {
    loop {
        let len = u16::from_be_bytes([link.read_byte(), link.read_byte()]) as usize;
        match len {
            0 => continue,
            1 => return Frame::Control(link.read_byte()),
            _ => {
                let mut apdu = Vec::with_capacity(len);
                for _ in 0..len {
                    apdu.push(link.read_byte());
                }
                return Frame::Apdu(apdu);
            }
        }
    }
}

/// Writes one frame; payloads longer than 65535 bytes cannot be framed and
/// are replaced by the status word 6F00 (no precise diagnosis).
pub fn write_frame(link: &mut impl ByteLink, payload: &[u8]) {
    let payload = if payload.len() > u16::MAX as usize {
        &[0x6F, 0x00][..]
    } else {
        payload
    };
    link.write_all(&(payload.len() as u16).to_be_bytes());
    link.write_all(payload);
}

/// Marks the instructions that process one APDU, for the instruction
/// counter. The board's markers are functions whose addresses the counting
/// plugin watches.
pub trait Marks {
    fn begin(&mut self) {}
    fn end(&mut self) {}
}

/// No marks.
impl Marks for () {}

/// Serves one frame: reads it, drives the card, answers if an answer is due.
/// The marks bracket exactly the card's work on a command APDU: receiving
/// and sending (whose polling depends on host timing) stay outside.
pub fn serve_one(
    link: &mut impl ByteLink,
    card: &mut impl Card,
    marks: &mut impl Marks,
    response: &mut Vec<u8>,
) {
    match read_frame(link) {
        Frame::Control(POWER_OFF) => card.power(Power::Off),
        Frame::Control(POWER_ON) => card.power(Power::On),
        Frame::Control(RESET) => card.power(Power::Reset),
        Frame::Control(GET_ATR) => write_frame(link, card.atr()),
        Frame::Control(_) => {}
        Frame::Apdu(command) => {
            response.clear();
            marks.begin();
            card.process(&command, response);
            marks.end();
            write_frame(link, response);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    struct Pipe {
        input: VecDeque<u8>,
        output: Vec<u8>,
    }

    impl ByteLink for Pipe {
        fn read_byte(&mut self) -> u8 {
            self.input.pop_front().expect("test input exhausted")
        }
        fn write_all(&mut self, data: &[u8]) {
            self.output.extend_from_slice(data);
        }
    }

    #[derive(Default)]
    struct Probe {
        events: Vec<Power>,
    }

    impl Card for Probe {
        fn atr(&self) -> &[u8] {
            &[0x3B, 0x00]
        }
        fn power(&mut self, event: Power) {
            self.events.push(event);
        }
        fn process(&mut self, command: &[u8], response: &mut Vec<u8>) {
            response.extend_from_slice(&command[1..]);
            response.extend_from_slice(&[0x90, 0x00]);
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
        let mut link = Pipe {
            input: input.into(),
            output: Vec::new(),
        };
        let mut card = Probe::default();
        let mut marks = Count::default();
        let mut resp = Vec::new();
        for _ in 0..6 {
            serve_one(&mut link, &mut card, &mut marks, &mut resp);
        }
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
    }

    #[test]
    fn long_frames() {
        let mut apdu = vec![0x80, 0x10, 0, 0, 0, 0x01, 0x00];
        apdu.extend(std::iter::repeat_n(0xAB, 256));
        let mut input = (apdu.len() as u16).to_be_bytes().to_vec();
        input.extend_from_slice(&apdu);
        let mut link = Pipe {
            input: input.into(),
            output: Vec::new(),
        };
        assert_eq!(read_frame(&mut link), Frame::Apdu(apdu));
        write_frame(&mut link, &vec![7; 70000]);
        assert_eq!(link.output, [0, 2, 0x6F, 0x00]);
    }
}
