//! ISO 7816-4 command APDUs and the state machine behind
//! `javacard.framework.APDU` (T=1 semantics: the whole command is available
//! at once, the response goes out with the status word).

use alloc::vec::Vec;

/// `APDU.getCurrentState()` values.
pub const STATE_INITIAL: u8 = 0;
pub const STATE_PARTIAL_INCOMING: u8 = 1;
pub const STATE_FULL_INCOMING: u8 = 2;
pub const STATE_OUTGOING: u8 = 3;
pub const STATE_OUTGOING_LENGTH_KNOWN: u8 = 4;
pub const STATE_PARTIAL_OUTGOING: u8 = 5;
pub const STATE_FULL_OUTGOING: u8 = 6;

/// A parsed command APDU.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Command {
    pub header: [u8; 4],
    pub data: Vec<u8>,
    /// Expected response length Ne; `None` when the command has no Le.
    pub le: Option<u32>,
    /// Extended length encoding (three-byte Lc, two- or three-byte Le).
    pub extended: bool,
}

/// Why a command APDU is malformed (answered with `6700`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApduError {
    #[error("command APDU shorter than its 4-byte header")]
    TooShort,
    #[error("the body of the command APDU does not match its Lc/Le ({0} bytes)")]
    WrongLength(usize),
}

/// Ne of a one-byte Le field (`00` means 256).
fn short_le(b: u8) -> u32 {
    if b == 0 {
        256
    } else {
        u32::from(b)
    }
}

/// Ne of a two-byte Le field (`0000` means 65536).
fn extended_le(b: [u8; 2]) -> u32 {
    match u16::from_be_bytes(b) {
        0 => 65536,
        n => u32::from(n),
    }
}

impl Command {
    /// Parses a command APDU as it arrives off the wire (ISO 7816-4 §5.1):
    ///
    /// ```text
    /// case 1   CLA INS P1 P2
    /// case 2S  CLA INS P1 P2 Le                      (Le 00 = 256)
    /// case 3S  CLA INS P1 P2 Lc data                 (Lc 01..FF)
    /// case 4S  CLA INS P1 P2 Lc data Le
    /// case 2E  CLA INS P1 P2 00 Le1 Le2              (0000 = 65536)
    /// case 3E  CLA INS P1 P2 00 Lc1 Lc2 data         (Lc 0001..FFFF)
    /// case 4E  CLA INS P1 P2 00 Lc1 Lc2 data Le1 Le2
    /// ```
    ///
    /// Every other length is [`ApduError::WrongLength`]; no input panics.
    pub fn parse(b: &[u8]) -> Result<Command, ApduError> {
        Command::parse_into(b, Vec::new())
    }

    /// [`Command::parse`] with the data copied into `spare` (cleared
    /// first), so a runtime that recycles the previous command's `Vec`
    /// allocates nothing for a command whose data fits it.
    pub fn parse_into(b: &[u8], mut spare: Vec<u8>) -> Result<Command, ApduError> {
        let (header, body) = b.split_first_chunk::<4>().ok_or(ApduError::TooShort)?;
        let n = body.len();
        let wrong = ApduError::WrongLength(n);
        let (data, le, extended): (&[u8], Option<u32>, bool) = match *body {
            [] => (&[], None, false),
            [le] => (&[], Some(short_le(le)), false),
            // A leading 00 in a longer body starts an extended length field.
            [0, ref rest @ ..] => match *rest {
                [h, l] => (&[], Some(extended_le([h, l])), true),
                [h, l, ref tail @ ..] => {
                    let lc = usize::from(u16::from_be_bytes([h, l]));
                    if lc == 0 {
                        return Err(wrong);
                    }
                    match tail.len().checked_sub(lc) {
                        Some(0) => (tail, None, true),
                        Some(2) => (
                            &tail[..lc],
                            Some(extended_le([tail[lc], tail[lc + 1]])),
                            true,
                        ),
                        _ => return Err(wrong),
                    }
                }
                _ => return Err(wrong),
            },
            [lc, ref tail @ ..] => {
                let lc = usize::from(lc);
                match tail.len().checked_sub(lc) {
                    Some(0) => (tail, None, false),
                    Some(1) => (&tail[..lc], Some(short_le(tail[lc])), false),
                    _ => return Err(wrong),
                }
            }
        };
        spare.clear();
        // No copy (a `memcpy` call) for the many commands without data.
        if !data.is_empty() {
            spare.extend_from_slice(data);
        }
        Ok(Command {
            header: *header,
            data: spare,
            le,
            extended,
        })
    }

    /// The bytes a reader sends for this command: the inverse of
    /// [`Command::parse`] for every command it returns.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = self.header.to_vec();
        let n = self.data.len();
        if self.extended {
            b.push(0);
            if n > 0 {
                b.extend_from_slice(&(n as u16).to_be_bytes());
                b.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                b.extend_from_slice(&((le % 65536) as u16).to_be_bytes());
            }
        } else {
            if n > 0 {
                b.push(n as u8);
                b.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                b.push((le % 256) as u8);
            }
        }
        b
    }

    pub fn cla(&self) -> u8 {
        self.header[0]
    }
    pub fn ins(&self) -> u8 {
        self.header[1]
    }
    pub fn p1(&self) -> u8 {
        self.header[2]
    }
    pub fn p2(&self) -> u8 {
        self.header[3]
    }
}

/// The APDU object's state for the command being processed.
#[derive(Debug, Clone, Default)]
pub struct ApduState {
    pub cmd: Command,
    pub state: u8,
    /// Data bytes already moved into the buffer.
    pub received: u16,
    /// Outgoing length set by `setOutgoingLength`.
    pub out_len: u16,
    /// Ne as returned by `setOutgoing`.
    pub le: u16,
    /// Offset of the command data in the APDU buffer (5, or 7 when extended).
    pub cdata: u16,
    /// Longest response the applet may send (256, or 32767 with ExtendedLength).
    pub max_out: u16,
    /// Response data sent so far.
    pub response: Vec<u8>,
    /// True while an applet's `process` is running for a command.
    pub active: bool,
    /// The data `Vec` of the command before, emptied, for the next command
    /// to parse into (none past [`SPARE_MAX`] bytes of capacity: RAM is
    /// not kept for an extended command's data).
    pub spare: Vec<u8>,
}

/// The largest capacity kept for reuse of a command's or a response's
/// data `Vec`: a short APDU's, with room for the `Vec`'s growth.
pub const SPARE_MAX: usize = 512;

impl ApduState {
    pub fn start(&mut self, cmd: Command) {
        let old = core::mem::replace(&mut self.cmd, cmd);
        if old.data.capacity() <= SPARE_MAX && old.data.capacity() > self.spare.capacity() {
            self.spare = old.data;
        }
        self.state = STATE_INITIAL;
        self.received = 0;
        self.out_len = 0;
        let ne = self
            .cmd
            .le
            .unwrap_or(if self.cmd.extended { 65536 } else { 256 });
        self.le = ne.min(32767) as u16;
        self.cdata = if self.cmd.extended { 7 } else { 5 };
        self.max_out = 256;
        self.response.clear();
        self.active = true;
    }

    pub fn lc(&self) -> u16 {
        self.cmd.data.len() as u16
    }
}

/// A response APDU.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    pub data: Vec<u8>,
    pub sw: u16,
}

impl Response {
    pub fn sw(sw: u16) -> Response {
        Response {
            data: Vec::new(),
            sw,
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    fn cmd(data: &[u8], le: Option<u32>, extended: bool) -> Command {
        Command {
            header: [0x80, 0x10, 0x01, 0x02],
            data: data.to_vec(),
            le,
            extended,
        }
    }

    fn parse(body: &[u8]) -> Result<Command, ApduError> {
        let mut b = vec![0x80, 0x10, 0x01, 0x02];
        b.extend_from_slice(body);
        Command::parse(&b)
    }

    #[test]
    fn short_cases() {
        assert_eq!(parse(&[]), Ok(cmd(&[], None, false)), "case 1");
        assert_eq!(parse(&[0x10]), Ok(cmd(&[], Some(16), false)), "case 2S");
        assert_eq!(
            parse(&[0x00]),
            Ok(cmd(&[], Some(256), false)),
            "case 2S, Le 00"
        );
        assert_eq!(parse(&[2, 7, 8]), Ok(cmd(&[7, 8], None, false)), "case 3S");
        assert_eq!(
            parse(&[2, 7, 8, 0x7F]),
            Ok(cmd(&[7, 8], Some(127), false)),
            "case 4S"
        );
        assert_eq!(
            parse(&[1, 9, 0]),
            Ok(cmd(&[9], Some(256), false)),
            "case 4S, Le 00"
        );
        let full: Vec<u8> = core::iter::once(255).chain(0..255).collect();
        assert_eq!(parse(&full).map(|c| c.data.len()), Ok(255), "Lc FF");
    }

    #[test]
    fn extended_cases() {
        assert_eq!(
            parse(&[0, 0x01, 0x00]),
            Ok(cmd(&[], Some(256), true)),
            "case 2E"
        );
        assert_eq!(
            parse(&[0, 0, 0]),
            Ok(cmd(&[], Some(65536), true)),
            "case 2E, Le 0000"
        );
        assert_eq!(
            parse(&[0, 0, 2, 7, 8]),
            Ok(cmd(&[7, 8], None, true)),
            "case 3E"
        );
        assert_eq!(
            parse(&[0, 0, 2, 7, 8, 0x01, 0x02]),
            Ok(cmd(&[7, 8], Some(258), true)),
            "case 4E"
        );
        assert_eq!(
            parse(&[0, 0, 1, 9, 0, 0]),
            Ok(cmd(&[9], Some(65536), true)),
            "case 4E, Le 0000"
        );
        let mut big = vec![0, 0xFF, 0xFF];
        big.resize(3 + 0xFFFF, 0xAB);
        assert_eq!(parse(&big).map(|c| c.data.len()), Ok(0xFFFF), "Lc FFFF");
    }

    #[test]
    fn malformed_lengths() {
        assert_eq!(Command::parse(&[]), Err(ApduError::TooShort));
        assert_eq!(Command::parse(&[0x80, 0x10, 0]), Err(ApduError::TooShort));
        // 80 10 00 00 00 01: a 00 that starts an extended field cut short.
        assert_eq!(
            Command::parse(&[0x80, 0x10, 0, 0, 0, 1]),
            Err(ApduError::WrongLength(2))
        );
        for bad in [
            &[2, 7][..],                  // Lc 2, one byte
            &[2, 7, 8, 9, 10],            // Lc 2, two bytes too many
            &[0, 0, 0, 5],                // extended Lc 0000
            &[0, 0, 2, 7],                // extended Lc 2, one byte
            &[0, 0, 2, 7, 8, 1],          // extended Le of one byte
            &[0, 0, 2, 7, 8, 1, 2, 3],    // one byte after Le
            &[0, 0, 1, 0, 0, 0, 0, 0, 0], // extended Lc 1, seven bytes
        ] {
            assert_eq!(
                parse(bad),
                Err(ApduError::WrongLength(bad.len())),
                "{bad:02X?}"
            );
        }
    }

    proptest! {
        /// Raw bytes off the wire: never a panic, and every accepted
        /// command goes back to exactly the bytes it came from.
        #[test]
        fn arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(c) = Command::parse(&b) {
                prop_assert_eq!(c.to_bytes(), b);
            }
        }

        /// Extended commands of every length up to a few hundred, with and
        /// without Le, and with stray bytes after them: the body after Lc
        /// must be exactly the data, or the data and a two-byte Le.
        #[test]
        fn extended_shapes(lc in 1usize..300, le in proptest::option::of(any::<u16>()), junk in 0usize..3) {
            let mut b = vec![0x00, 0xCA, 0x00, 0x00, 0x00];
            b.extend_from_slice(&(lc as u16).to_be_bytes());
            b.resize(b.len() + lc, 0x5A);
            if let Some(le) = le {
                b.extend_from_slice(&le.to_be_bytes());
            }
            b.resize(b.len() + junk, 0x11);
            let after_data = 2 * usize::from(le.is_some()) + junk;
            match Command::parse(&b) {
                Ok(c) => {
                    prop_assert!(after_data == 0 || after_data == 2);
                    prop_assert!(c.extended);
                    prop_assert_eq!(c.data.len(), lc);
                    if junk == 0 {
                        prop_assert_eq!(c.le, le.map(|l| if l == 0 { 65536 } else { u32::from(l) }));
                    }
                }
                Err(e) => {
                    prop_assert!(after_data != 0 && after_data != 2);
                    prop_assert_eq!(e, ApduError::WrongLength(b.len() - 4));
                }
            }
        }
    }
}
