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
    /// Expected response length; `None` when the command has no Le.
    pub le: Option<u16>,
}

/// Why a command APDU is malformed (answered with `6700`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApduError {
    #[error("command APDU shorter than its 4-byte header")]
    TooShort,
    #[error("Lc says {lc} data bytes but {actual} follow")]
    WrongLc { lc: usize, actual: usize },
}

impl Command {
    /// Parses a short command APDU (cases 1 to 4).
    pub fn parse(b: &[u8]) -> Result<Command, ApduError> {
        if b.len() < 4 {
            return Err(ApduError::TooShort);
        }
        let header = [b[0], b[1], b[2], b[3]];
        let rest = &b[4..];
        let (data, le) = match rest.len() {
            0 => (Vec::new(), None),
            1 => (
                Vec::new(),
                Some(if rest[0] == 0 {
                    256
                } else {
                    u16::from(rest[0])
                }),
            ),
            _ => {
                let lc = usize::from(rest[0]);
                if lc == 0 || rest.len() < 1 + lc || rest.len() > 2 + lc {
                    return Err(ApduError::WrongLc {
                        lc,
                        actual: rest.len() - 1,
                    });
                }
                let le = rest
                    .get(1 + lc)
                    .map(|&l| if l == 0 { 256 } else { u16::from(l) });
                (rest[1..1 + lc].to_vec(), le)
            }
        };
        Ok(Command { header, data, le })
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
    /// Le as returned by `setOutgoing` (256 for Le = 0 or absent).
    pub le: u16,
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
        self.le = self.cmd.le.unwrap_or(256);
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
