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

impl Command {
    /// Parses a command APDU (ISO 7816-4 cases 1, 2S/E, 3S/E, 4S/E).
    pub fn parse(b: &[u8]) -> Result<Command, ApduError> {
        if b.len() < 4 {
            return Err(ApduError::TooShort);
        }
        let header = [b[0], b[1], b[2], b[3]];
        let rest = &b[4..];
        let n = rest.len();
        let bad = Err(ApduError::WrongLength(n));
        let le1 = |x: u8| if x == 0 { 256 } else { u32::from(x) };
        let le2 = |h: u8, l: u8| {
            let v = u32::from(u16::from_be_bytes([h, l]));
            if v == 0 {
                65536
            } else {
                v
            }
        };
        let (data, le, extended) = if n == 0 {
            (Vec::new(), None, false)
        } else if n == 1 {
            (Vec::new(), Some(le1(rest[0])), false)
        } else if rest[0] != 0 {
            let lc = usize::from(rest[0]);
            if n == 1 + lc {
                (rest[1..].to_vec(), None, false)
            } else if n == 2 + lc {
                (rest[1..1 + lc].to_vec(), Some(le1(rest[n - 1])), false)
            } else {
                return bad;
            }
        } else if n == 3 {
            (Vec::new(), Some(le2(rest[1], rest[2])), true)
        } else {
            let lc = usize::from(u16::from_be_bytes([rest[1], rest[2]]));
            if lc == 0 {
                return bad;
            }
            if n == 3 + lc {
                (rest[3..].to_vec(), None, true)
            } else if n == 5 + lc {
                (
                    rest[3..3 + lc].to_vec(),
                    Some(le2(rest[n - 2], rest[n - 1])),
                    true,
                )
            } else {
                return bad;
            }
        };
        Ok(Command {
            header,
            data,
            le,
            extended,
        })
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
}

impl ApduState {
    pub fn start(&mut self, cmd: Command) {
        self.cmd = cmd;
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
