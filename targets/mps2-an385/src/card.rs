//! What the board's main loop drives: a card that answers APDUs and power
//! events: the Java Card runtime ([`crate::javacard::RuntimeCard`]) or the
//! board-test [`crate::loopback::LoopbackCard`].

#![forbid(unsafe_code)]

use alloc::vec::Vec;

/// A power event from the reader (vpcd control frames `00`, `01`, `02`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    Off,
    On,
    Reset,
}

/// A card as seen from the transport.
pub trait Card {
    /// The answer to reset.
    fn atr(&self) -> &[u8];
    /// Power off, power on or reset: transient state is cleared.
    fn power(&mut self, event: Power);
    /// Processes one command APDU; `response` is empty on entry and holds
    /// the response APDU (data, SW1, SW2) on return.
    fn process(&mut self, command: &[u8], response: &mut Vec<u8>);
}

/// The board's ATR: T=0 and T=1 offered, historical bytes "HYDRA-M3", and
/// the check byte TCK.
pub const ATR: [u8; 13] = atr();

const fn atr() -> [u8; 13] {
    let mut a = [
        0x3B, 0x88, 0x80, 0x01, b'H', b'Y', b'D', b'R', b'A', b'-', b'M', b'3', 0,
    ];
    let mut tck = 0u8;
    let mut i = 1;
    while i < 12 {
        tck ^= a[i];
        i += 1;
    }
    a[12] = tck;
    a
}

#[cfg(test)]
mod tests {
    #[test]
    fn atr_check_byte() {
        // XOR of T0 through TCK is zero.
        assert_eq!(super::ATR[1..].iter().fold(0, |x, b| x ^ b), 0);
    }
}
