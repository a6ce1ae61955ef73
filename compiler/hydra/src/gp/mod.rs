//! A GlobalPlatform client: what `hydra deploy` says to a card's Issuer
//! Security Domain (GP Card Specification 2.3.1 and Amendment D): SELECT,
//! an SCP03 secure channel, INSTALL, LOAD, GET STATUS, DELETE and PUT KEY.
//! It runs over any [`Transport`]; `pcsc.rs` is the one for real readers,
//! the tests use a card runtime in this process.

pub mod pcsc;

use hydra_runtime::cardmgr::scp03::{Session, StaticKeys};
use hydra_runtime::Command;

/// The default ISD AID (GP 2.3.1 Annex H.1), tried when a SELECT without
/// data is refused.
pub const DEFAULT_ISD: [u8; 8] = [0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00];

/// The GlobalPlatform test keys, 40 41 ... 4F.
pub const TEST_KEY: [u8; 16] = [
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F,
];

/// Key version of the DAP verification key PUT KEY installs.
pub const DAP_KVN: u8 = 0x73;

/// Something that carries a command APDU to a card and brings back its
/// response: data followed by the status word.
pub trait Transport {
    type Error: std::error::Error + Send + Sync + 'static;
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Self::Error>;
}

/// Why a GlobalPlatform step failed; each one line.
#[derive(Debug, thiserror::Error)]
pub enum GpError {
    /// The reader or its service failed.
    #[error("{0}")]
    Transport(Box<dyn std::error::Error + Send + Sync>),
    /// The card refused a command.
    #[error("{what}: card answered {sw:04X} ({}){}", meaning(*sw), hint.map(|h| format!("; {h}")).unwrap_or_default())]
    Status {
        what: String,
        sw: u16,
        hint: Option<&'static str>,
    },
    /// The card answered 9000 with data of the wrong shape.
    #[error("{what}: {why}")]
    Malformed { what: String, why: String },
    #[error("INITIALIZE UPDATE: the card cryptogram does not match the keys (key version {kvn:02X}): wrong keys")]
    Cryptogram { kvn: u8 },
    #[error("INITIALIZE UPDATE: the card answered with SCP0{scp}; only SCP03 is supported")]
    Protocol { scp: u8 },
    #[error("the keys must be AES keys of 16, 24 or 32 bytes")]
    Key,
    #[error("{what}: the command is too long for secure messaging")]
    TooLong { what: String },
    #[error("{what}: the response does not verify under the secure channel")]
    ResponseMac { what: String },
}

/// What a GlobalPlatform (or ISO 7816-4) status word says.
pub fn meaning(sw: u16) -> &'static str {
    match sw {
        0x9000 => "success",
        0x6310 => "more data available",
        0x6300 => "authentication failed",
        0x6581 => "memory failure",
        0x6700 => "wrong length",
        0x6881 => "logical channel not supported",
        0x6882 => "secure messaging not supported",
        0x6982 => "security status not satisfied",
        0x6983 => "authentication method blocked",
        0x6985 => "conditions of use not satisfied",
        0x6A80 => "incorrect values in command data",
        0x6A81 => "function not supported",
        0x6A82 => "application or file not found",
        0x6A84 => "not enough memory",
        0x6A86 => "incorrect P1 P2",
        0x6A88 => "referenced data not found",
        0x6D00 => "instruction not supported",
        0x6E00 => "class not supported",
        0x6F00 => "no precise diagnosis",
        _ => match sw >> 8 {
            0x61 => "response bytes still available",
            0x62 | 0x63 => "warning",
            0x64..=0x66 => "execution error",
            0x6C => "wrong Le",
            _ => "unknown status word",
        },
    }
}

/// The secure channel's protection of commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// C-MAC (01).
    Mac,
    /// C-MAC and C-DECRYPTION (03).
    Enc,
}

impl Level {
    pub fn byte(self) -> u8 {
        match self {
            Level::Mac => 0x01,
            Level::Enc => 0x03,
        }
    }

    /// The most LOAD data per block such that the wrapped command stays
    /// within Lc 255: 8 bytes of C-MAC, and with encryption the mandatory
    /// padding to a 16-byte multiple (239 + 1 pads to 240, + 8 = 248).
    pub fn block_size(self) -> usize {
        match self {
            Level::Mac => 255 - 8,
            Level::Enc => 239,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Mac => "C-MAC",
            Level::Enc => "C-MAC and C-DECRYPTION",
        }
    }
}

/// The secure channel that [`Client::open`] opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channel {
    /// The key version the card used.
    pub kvn: u8,
    /// The SCP03 "i" parameter.
    pub i: u8,
}

/// Which part of the registry GET STATUS reads (its P1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subset {
    Isd,
    Applications,
    LoadFiles,
}

impl Subset {
    fn p1(self) -> u8 {
        match self {
            Subset::Isd => 0x80,
            Subset::Applications => 0x40,
            Subset::LoadFiles => 0x20,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Subset::Isd => "ISD",
            Subset::Applications => "applications",
            Subset::LoadFiles => "load files",
        }
    }
}

/// One GET STATUS entry (`E3 { 4F aid, 9F70 life cycle, C5 privileges,
/// C4 load file, CE version, 84 module, CC security domain }`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    pub aid: Vec<u8>,
    pub life_cycle: u8,
    pub privileges: Vec<u8>,
    /// The load file an application was installed from.
    pub load_file: Option<Vec<u8>>,
    /// A load file's version (major, minor).
    pub version: Option<Vec<u8>>,
    pub modules: Vec<Vec<u8>>,
    /// The associated security domain.
    pub sd: Option<Vec<u8>>,
}

/// A GlobalPlatform session with a card's ISD.
pub struct Client<T: Transport> {
    transport: T,
    session: Option<Session>,
    level: Level,
    /// Command APDUs sent so far (GET RESPONSE and resends included).
    pub apdus: u64,
}

pub use hydra_host::hex;

/// A BER-TLV: (tag, value, rest); tags of one or more bytes, definite
/// lengths of up to three bytes.
fn next_tlv(b: &[u8]) -> Option<(u32, &[u8], &[u8])> {
    let (&first, mut rest) = b.split_first()?;
    let mut tag = u32::from(first);
    if first & 0x1F == 0x1F {
        loop {
            let (&t, r) = rest.split_first()?;
            tag = (tag << 8) | u32::from(t);
            rest = r;
            if t & 0x80 == 0 {
                break;
            }
        }
    }
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = match l0 {
        0..=0x7F => (usize::from(l0), rest),
        0x81..=0x83 => {
            let n = usize::from(l0 & 0x7F);
            let bytes = rest.get(..n)?;
            let len = bytes.iter().fold(0usize, |a, &x| (a << 8) | usize::from(x));
            (len, &rest[n..])
        }
        _ => return None,
    };
    let (value, rest) = rest.split_at_checked(len)?;
    Some((tag, value, rest))
}

/// The value of the first TLV with `tag` among `b`'s.
fn find_tlv(b: &[u8], tag: u32) -> Option<&[u8]> {
    let mut rest = b;
    while let Some((t, v, r)) = next_tlv(rest) {
        if t == tag {
            return Some(v);
        }
        rest = r;
    }
    None
}

/// The ISD AID of a SELECT response's FCI (`6F { 84 aid, ... }`).
pub fn fci_aid(fci: &[u8]) -> Option<Vec<u8>> {
    let inner = find_tlv(fci, 0x6F)?;
    find_tlv(inner, 0x84).map(<[u8]>::to_vec)
}

/// Parses the entries of a GET STATUS response in the E3 format.
pub fn parse_entries(data: &[u8]) -> Option<Vec<Entry>> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let (tag, value, r) = next_tlv(rest)?;
        rest = r;
        if tag != 0xE3 {
            return None;
        }
        let mut e = Entry::default();
        let mut fields = value;
        while !fields.is_empty() {
            let (t, v, r) = next_tlv(fields)?;
            fields = r;
            match t {
                0x4F => e.aid = v.to_vec(),
                0x9F70 => e.life_cycle = *v.first()?,
                0xC5 => e.privileges = v.to_vec(),
                0xC4 => e.load_file = Some(v.to_vec()),
                0xCE => e.version = Some(v.to_vec()),
                0x84 => e.modules.push(v.to_vec()),
                0xCC => e.sd = Some(v.to_vec()),
                _ => {}
            }
        }
        out.push(e);
    }
    Some(out)
}

fn lv(out: &mut Vec<u8>, b: &[u8]) {
    out.push(b.len() as u8);
    out.extend_from_slice(b);
}

/// A command with Le = 00: the card answers whatever data it has (the
/// content commands answer `00`), which T=0 readers fetch with GET
/// RESPONSE.
fn command(header: [u8; 4], data: Vec<u8>) -> Command {
    Command {
        header,
        data,
        le: Some(256),
        extended: false,
    }
}

fn short(aid: &[u8]) -> Result<(), GpError> {
    if aid.len() > 127 {
        return Err(GpError::Malformed {
            what: format!("AID {}", hex(aid)),
            why: "longer than a short TLV length".into(),
        });
    }
    Ok(())
}

impl<T: Transport> Client<T> {
    pub fn new(transport: T) -> Client<T> {
        Client {
            transport,
            session: None,
            level: Level::Mac,
            apdus: 0,
        }
    }

    /// One APDU on the wire; the response split into data and SW.
    fn raw(&mut self, what: &str, apdu: &[u8]) -> Result<(Vec<u8>, u16), GpError> {
        self.apdus += 1;
        let mut r = self
            .transport
            .transmit(apdu)
            .map_err(|e| GpError::Transport(Box::new(e)))?;
        if r.len() < 2 {
            return Err(GpError::Malformed {
                what: what.into(),
                why: "the response has no status word".into(),
            });
        }
        let sw = u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]]);
        r.truncate(r.len() - 2);
        Ok((r, sw))
    }

    /// Sends `cmd` (wrapped when a channel is open); fetches what `61xx`
    /// announces with GET RESPONSE and resends after `6Cxx` with the Le
    /// the card asked for (both T=0 transport conventions).
    fn exchange(&mut self, what: &str, cmd: &Command) -> Result<(Vec<u8>, u16), GpError> {
        let mut wire = match self.session.as_mut() {
            Some(s) => s
                .host_wrap(cmd)
                .map_err(|_| GpError::TooLong { what: what.into() })?,
            None => cmd.clone(),
        };
        let (mut data, mut sw) = self.raw(what, &wire.to_bytes())?;
        if sw >> 8 == 0x6C {
            let n = u32::from(sw & 0xFF);
            wire.le = Some(if n == 0 { 256 } else { n });
            (data, sw) = self.raw(what, &wire.to_bytes())?;
        }
        while sw >> 8 == 0x61 {
            let (more, next) = self.raw(what, &[0x00, 0xC0, 0x00, 0x00, (sw & 0xFF) as u8])?;
            data.extend_from_slice(&more);
            sw = next;
        }
        if matches!(sw, 0x9000 | 0x6310) {
            if let Some(s) = self.session.as_mut() {
                data = s
                    .host_unwrap(&data, sw)
                    .map_err(|_| GpError::ResponseMac { what: what.into() })?;
            }
        }
        Ok((data, sw))
    }

    /// [`Client::exchange`], any SW other than 9000 an error; `hint`: a
    /// likely cause of one status word.
    fn expect_ok(
        &mut self,
        what: &str,
        cmd: &Command,
        hint: Option<(u16, &'static str)>,
    ) -> Result<Vec<u8>, GpError> {
        let (data, sw) = self.exchange(what, cmd)?;
        if sw != 0x9000 {
            return Err(GpError::Status {
                what: what.into(),
                sw,
                hint: hint.filter(|h| h.0 == sw).map(|h| h.1),
            });
        }
        Ok(data)
    }

    /// Selects the ISD: by `sd` when given, else by a SELECT without data
    /// and, if the card refuses that, by the default AID. Returns the ISD's
    /// AID (from the FCI's tag 84, else the AID selected). Ends any channel.
    pub fn select_isd(&mut self, sd: Option<&[u8]>) -> Result<Vec<u8>, GpError> {
        self.session = None;
        let by_aid = |aid: &[u8]| command([0x00, 0xA4, 0x04, 0x00], aid.to_vec());
        let (fci, selected) = match sd {
            Some(aid) => (
                self.expect_ok(&format!("SELECT {}", hex(aid)), &by_aid(aid), None)?,
                aid.to_vec(),
            ),
            None => {
                let (fci, sw) = self.exchange("SELECT", &by_aid(&[]))?;
                if sw == 0x9000 {
                    (fci, DEFAULT_ISD.to_vec())
                } else {
                    let what = format!("SELECT {}", hex(&DEFAULT_ISD));
                    (
                        self.expect_ok(&what, &by_aid(&DEFAULT_ISD), None)?,
                        DEFAULT_ISD.to_vec(),
                    )
                }
            }
        };
        Ok(fci_aid(&fci).unwrap_or(selected))
    }

    /// INITIALIZE UPDATE (`kvn` 0: any key version), the card cryptogram
    /// checked against `keys`, EXTERNAL AUTHENTICATE at `level`.
    pub fn open(
        &mut self,
        keys: &StaticKeys,
        kvn: u8,
        level: Level,
        host_challenge: [u8; 8],
    ) -> Result<Channel, GpError> {
        self.session = None;
        let init = command([0x80, 0x50, kvn, 0x00], host_challenge.to_vec());
        let r = self.expect_ok("INITIALIZE UPDATE", &init, None)?;
        // SCP03: KDD(10) KVN 03 i challenge(8) cryptogram(8) [counter(3)].
        match (r.len(), r.get(11)) {
            (29 | 32, Some(3)) => {}
            (_, Some(&scp @ (1 | 2))) => return Err(GpError::Protocol { scp }),
            _ => {
                return Err(GpError::Malformed {
                    what: "INITIALIZE UPDATE".into(),
                    why: format!("answered {} (not an SCP03 response)", hex(&r)),
                })
            }
        }
        let card_kvn = r[10];
        if kvn != 0 && card_kvn != kvn {
            return Err(GpError::Malformed {
                what: "INITIALIZE UPDATE".into(),
                why: format!("the card answered for key version {card_kvn:02X}, not {kvn:02X}"),
            });
        }
        let mut card = [0u8; 8];
        card.copy_from_slice(&r[13..21]);
        let mut s = Session::new(keys, &host_challenge, &card).map_err(|_| GpError::Key)?;
        if s.card_cryptogram().map_err(|_| GpError::Key)?[..] != r[21..29] {
            return Err(GpError::Cryptogram { kvn: card_kvn });
        }
        let ext = s
            .host_authenticate(level.byte())
            .map_err(|_| GpError::Key)?;
        self.expect_ok("EXTERNAL AUTHENTICATE", &ext, None)?;
        self.session = Some(s);
        self.level = level;
        Ok(Channel {
            kvn: card_kvn,
            i: r[12],
        })
    }

    /// INSTALL [for load] of the load file `elf` into security domain
    /// `sd`, with the SHA-256 of its data block.
    pub fn install_for_load(
        &mut self,
        elf: &[u8],
        sd: &[u8],
        hash: &[u8; 32],
    ) -> Result<(), GpError> {
        let mut data = Vec::new();
        lv(&mut data, elf);
        lv(&mut data, sd);
        lv(&mut data, hash);
        data.extend_from_slice(&[0x00, 0x00]);
        self.expect_ok(
            &format!("INSTALL [for load] {}", hex(elf)),
            &command([0x80, 0xE6, 0x02, 0x00], data),
            Some((0x6985, "is a package with that AID on the card already?")),
        )?;
        Ok(())
    }

    /// LOAD of the whole load file in blocks that fit the channel's level;
    /// `progress(done, total)` after each block. Returns the block count.
    pub fn load(
        &mut self,
        load_file: &[u8],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<usize, GpError> {
        let blocks: Vec<&[u8]> = load_file.chunks(self.level.block_size()).collect();
        let n = blocks.len();
        for (i, block) in blocks.into_iter().enumerate() {
            let p1 = if i + 1 == n { 0x80 } else { 0x00 };
            // P2 counts modulo 256, as the card does for long load files.
            let cmd = command([0x80, 0xE8, p1, i as u8], block.to_vec());
            self.expect_ok(&format!("LOAD block {} of {n}", i + 1), &cmd, None)?;
            progress(i + 1, n);
        }
        Ok(n)
    }

    /// INSTALL [for install and make selectable]: an instance of load file
    /// `elf`, with its privileges and its application specific parameters
    /// (C9).
    pub fn install(&mut self, elf: &[u8], inst: &crate::deploy::Instance) -> Result<(), GpError> {
        let what = format!("INSTALL [for install] {}", hex(&inst.aid));
        if inst.params.len() > 253 {
            return Err(GpError::Malformed {
                what,
                why: "install parameters longer than 253 bytes".into(),
            });
        }
        let mut data = Vec::new();
        lv(&mut data, elf);
        lv(&mut data, &inst.class);
        lv(&mut data, &inst.aid);
        lv(&mut data, &inst.privileges);
        let mut c9 = vec![0xC9];
        lv(&mut c9, &inst.params);
        lv(&mut data, &c9);
        data.push(0x00);
        self.expect_ok(&what, &command([0x80, 0xE6, 0x0C, 0x00], data), None)?;
        Ok(())
    }

    /// GET STATUS of a subset in the E3 format, every page (6310: more,
    /// asked for with P2 03). None on the card (6A88) is an empty list.
    pub fn status(&mut self, subset: Subset) -> Result<Vec<Entry>, GpError> {
        let what = format!("GET STATUS ({})", subset.name());
        let mut out = Vec::new();
        let mut p2 = 0x02;
        loop {
            let cmd = command([0x80, 0xF2, subset.p1(), p2], vec![0x4F, 0x00]);
            let (data, sw) = self.exchange(&what, &cmd)?;
            match sw {
                0x9000 | 0x6310 => {}
                0x6A88 if p2 == 0x02 => return Ok(out),
                _ => {
                    return Err(GpError::Status {
                        what,
                        sw,
                        hint: None,
                    })
                }
            }
            out.extend(parse_entries(&data).ok_or_else(|| GpError::Malformed {
                what: what.clone(),
                why: format!("answered {} (not E3 entries)", hex(&data)),
            })?);
            if sw == 0x9000 {
                return Ok(out);
            }
            p2 = 0x03;
        }
    }

    /// DELETE with "and related objects" (P2 80): a package and its
    /// applications, or an application.
    pub fn delete(&mut self, aid: &[u8]) -> Result<(), GpError> {
        short(aid)?;
        let mut data = vec![0x4F];
        lv(&mut data, aid);
        self.expect_ok(
            &format!("DELETE {}", hex(aid)),
            &command([0x80, 0xE4, 0x00, 0x80], data),
            None,
        )?;
        Ok(())
    }

    /// PUT KEY of a P-256 public key (uncompressed point) as the ISD's DAP
    /// verification key, key version 73: `73 | B0 41 point 00 | F0 01 00
    /// 00` (each component: type, length, value, KCV length 0; F0 00 names
    /// the curve P-256). The card answers the key version.
    pub fn put_dap_key(&mut self, point: &[u8; 65]) -> Result<(), GpError> {
        let mut data = vec![DAP_KVN, 0xB0, 0x41];
        data.extend_from_slice(point);
        data.extend_from_slice(&[0x00, 0xF0, 0x01, 0x00, 0x00]);
        let what = format!("PUT KEY (DAP key, version {DAP_KVN:02X})");
        let r = self.expect_ok(&what, &command([0x80, 0xD8, 0x00, 0x01], data), None)?;
        if r != [DAP_KVN] {
            return Err(GpError::Malformed {
                what,
                why: format!("answered {} instead of the key version", hex(&r)),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hydra_host::Host;

    /// The card runtime in this process, as a reader sees it.
    struct HostTransport {
        host: Host,
        /// Every command sent, as on the wire.
        sent: Vec<Vec<u8>>,
        /// Answers this status word instead of the card to commands of
        /// this INS.
        refuse: Option<(u8, u16)>,
    }

    impl Transport for HostTransport {
        type Error = hydra_host::HostError;
        fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Self::Error> {
            self.sent.push(apdu.to_vec());
            if let Some((ins, sw)) = self.refuse {
                if apdu.get(1) == Some(&ins) {
                    return Ok(sw.to_be_bytes().to_vec());
                }
            }
            let r = self.host.exchange("", |c| c.process(apdu))?;
            let mut out = r.data;
            out.extend_from_slice(&r.sw.to_be_bytes());
            Ok(out)
        }
    }

    fn client() -> Client<HostTransport> {
        Client::new(HostTransport {
            host: Host::in_memory(),
            sent: Vec::new(),
            refuse: None,
        })
    }

    fn test_keys() -> StaticKeys {
        StaticKeys {
            enc: TEST_KEY.to_vec(),
            mac: TEST_KEY.to_vec(),
            dek: TEST_KEY.to_vec(),
        }
    }

    fn from_hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const PIN_PACKAGE: &str = "F0485944524108";
    const PIN_APPLET: &str = "F048594452410801";

    fn pin_cap() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../conformance/applets/pin/cap/pin.cap")
    }

    /// The PIN package's load file as `hydra deploy` sends it.
    fn pin_load_file() -> crate::deploy::LoadFile {
        crate::deploy::read_load_file(&pin_cap()).unwrap()
    }

    fn open(c: &mut Client<HostTransport>, level: Level) -> Vec<u8> {
        let isd = c.select_isd(None).unwrap();
        let ch = c
            .open(&test_keys(), 0, level, [9, 8, 7, 6, 5, 4, 3, 2])
            .unwrap();
        // The factory key set of every Hydra card.
        assert_eq!(ch.kvn, 0x30);
        isd
    }

    fn lines(c: &mut Client<HostTransport>, plan: &crate::deploy::Plan) -> Vec<String> {
        let mut out = Vec::new();
        crate::deploy::execute(c, plan, &mut |l| out.push(l), false).unwrap();
        out
    }

    fn plan() -> crate::deploy::Plan {
        crate::deploy::Plan {
            files: Vec::new(),
            installs: Vec::new(),
            deletes: Vec::new(),
            dap_key: None,
            list: false,
            keys: test_keys(),
            kvn: 0,
            level: Level::Mac,
            sd: None,
        }
    }

    #[test]
    fn the_isd_answers_its_fci_and_opens_scp03() {
        let mut c = client();
        assert_eq!(open(&mut c, Level::Mac), DEFAULT_ISD);
        // SELECT, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE.
        assert_eq!(c.apdus, 3);
        let sent = &c.transport.sent;
        assert_eq!(sent[0], [0x00, 0xA4, 0x04, 0x00, 0x00]);
        assert_eq!(sent[1][..5], [0x80, 0x50, 0x00, 0x00, 0x08]);
        assert_eq!(sent[1][5..13], [9, 8, 7, 6, 5, 4, 3, 2]);
        // Host cryptogram and C-MAC, MACed CLA.
        assert_eq!(sent[2][..5], [0x84, 0x82, 0x01, 0x00, 0x10]);
        assert_eq!(sent[2].len(), 5 + 16);
    }

    #[test]
    fn load_install_select_list_and_delete_a_cap() {
        for level in [Level::Mac, Level::Enc] {
            let mut c = client();
            let lf = pin_load_file();
            let mut p = plan();
            p.level = level;
            p.files.push(lf.clone());
            let out = lines(&mut c, &p);
            let bytes = lf.bytes_for(&DEFAULT_ISD).len();
            let per_block = if level == Level::Mac { 247 } else { 239 };
            let blocks = bytes.div_ceil(per_block);
            assert_eq!(out.len(), 3, "{out:?}");
            assert!(out[0].starts_with("selected ISD A000000151000000, SCP03 key version 30"));
            let loaded = format!(
                "loaded {PIN_PACKAGE} 1.0 ({} bytes in {blocks} blocks, {} APDUs",
                crate::deploy::thousands(bytes),
                blocks + 1
            );
            assert!(out[1].starts_with(&loaded), "{} vs {loaded}", out[1]);
            assert!(
                out[2].starts_with(&format!("installed {PIN_APPLET} from {PIN_PACKAGE} (")),
                "{}",
                out[2]
            );
            // The LOAD commands: P1 80 on the last only, P2 counting, each
            // within Lc 255 with the C-MAC.
            let loads: Vec<&Vec<u8>> = c.transport.sent.iter().filter(|a| a[1] == 0xE8).collect();
            assert_eq!(loads.len(), blocks);
            for (i, a) in loads.iter().enumerate() {
                assert_eq!(a[0], 0x84);
                assert_eq!(a[2], if i + 1 == blocks { 0x80 } else { 0x00 });
                assert_eq!(usize::from(a[3]), i);
                assert_eq!(a.len(), 5 + usize::from(a[4]) + 1);
            }
            // The applet answers: VERIFY of its initial PIN 1234.
            let verify = [0x00, 0xA4, 0x04, 0x00, 0x08];
            let mut select = verify.to_vec();
            select.extend_from_slice(&from_hex(PIN_APPLET));
            let r = c.transport.transmit(&select).unwrap();
            assert_eq!(r[r.len() - 2..], [0x90, 0x00]);
            let r = c
                .transport
                .transmit(&from_hex("808000000431323334"))
                .unwrap();
            // pin.scr: check result, tries remaining, validated.
            assert_eq!(r, [0x01, 0x03, 0x01, 0x90, 0x00]);

            open(&mut c, level);
            let apps = c.status(Subset::Applications).unwrap();
            assert_eq!(apps.len(), 1);
            assert_eq!(apps[0].aid, from_hex(PIN_APPLET));
            assert_eq!(apps[0].life_cycle, 0x07);
            assert_eq!(
                apps[0].load_file.as_deref(),
                Some(&from_hex(PIN_PACKAGE)[..])
            );
            // The card lists its built-in API packages too.
            let pkgs = c.status(Subset::LoadFiles).unwrap();
            let pin: Vec<&Entry> = pkgs
                .iter()
                .filter(|e| e.aid == from_hex(PIN_PACKAGE))
                .collect();
            assert_eq!(pin.len(), 1);
            assert_eq!(pin[0].version.as_deref(), Some(&[1u8, 0][..]));
            assert_eq!(pin[0].life_cycle, 0x01);
            // Ten load files are more than one page: the rest was asked
            // for with P2 03.
            assert!(c
                .transport
                .sent
                .iter()
                .any(|a| a[..4] == [0x84, 0xF2, 0x20, 0x03]));
            let isd = c.status(Subset::Isd).unwrap();
            assert_eq!(isd[0].aid, DEFAULT_ISD);
            // The Security Domain privilege.
            assert_eq!(isd[0].privileges[0] & 0x80, 0x80);

            let mut p = plan();
            p.deletes.push(from_hex(PIN_PACKAGE));
            p.list = true;
            let out = lines(&mut c, &p);
            assert!(
                out[1].starts_with(&format!("deleted {PIN_PACKAGE} (")),
                "{out:?}"
            );
            // The table: a header, the ISD, no application, no PIN package.
            let table = &out[2..];
            assert!(table[0].starts_with("TYPE"));
            assert!(table[1].starts_with("ISD   A000000151000000  "));
            assert!(!table.iter().any(|l| l.starts_with("APP")), "{table:?}");
            assert!(!table.iter().any(|l| l.contains(PIN_PACKAGE)), "{table:?}");
            open(&mut c, level);
            assert!(c.status(Subset::Applications).unwrap().is_empty());
            assert!(!c
                .status(Subset::LoadFiles)
                .unwrap()
                .iter()
                .any(|e| e.aid == from_hex(PIN_PACKAGE)));
        }
    }

    #[test]
    fn the_list_shows_the_installed_applet_and_its_package() {
        let mut c = client();
        let mut p = plan();
        p.files.push(pin_load_file());
        p.list = true;
        let out = lines(&mut c, &p);
        let table = &out[3..];
        let cells = |l: &str| l.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert_eq!(cells(&table[0]), ["TYPE", "AID", "STATE", "PRIVILEGES"]);
        let isd = cells(&table[1]);
        assert_eq!(isd[..2], ["ISD", "A000000151000000"]);
        assert!(["OP_READY", "INITIALIZED", "SECURED"].contains(&isd[2].as_str()));
        assert_eq!(isd[3], "SecurityDomain,");
        let apps: Vec<&String> = table.iter().filter(|l| l.starts_with("APP")).collect();
        assert_eq!(apps.len(), 1, "{table:?}");
        // No privileges.
        assert_eq!(
            cells(apps[0]),
            ["APP", PIN_APPLET, "SELECTABLE", "from", PIN_PACKAGE, "-"]
        );
        let pin = table
            .iter()
            .find(|l| l.contains(PIN_PACKAGE) && l.starts_with("PKG"))
            .unwrap();
        assert_eq!(cells(pin), ["PKG", PIN_PACKAGE, "LOADED", "version", "1.0"]);
        // Aligned: every row's AID and STATE start where the header's do.
        let at = |l: &str, w: &str| l.find(w).unwrap();
        for l in &table[1..] {
            let c = cells(l);
            assert_eq!(at(l, &c[1]), at(&table[0], "AID"), "{l}");
            assert_eq!(at(l, &c[2]), at(&table[0], "STATE"), "{l}");
        }
    }

    #[test]
    fn an_explicit_install_names_the_instance_and_its_parameters() {
        let mut c = client();
        let mut p = plan();
        p.files.push(pin_load_file());
        p.installs
            .push(crate::deploy::InstallReq::parse("F048594452410801:F0485944524108AA:").unwrap());
        let out = lines(&mut c, &p);
        assert!(out[2].starts_with(&format!("installed F0485944524108AA from {PIN_PACKAGE}")));
        let install = c
            .transport
            .sent
            .iter()
            .find(|a| a[1] == 0xE6 && a[2] == 0x0C)
            .unwrap();
        // Lf ELF | Lm class | La instance | 01 00 | 02 C9 00 | 00, + C-MAC, Le.
        let mut data = vec![7];
        data.extend_from_slice(&from_hex(PIN_PACKAGE));
        data.push(8);
        data.extend_from_slice(&from_hex(PIN_APPLET));
        data.push(8);
        data.extend_from_slice(&from_hex("F0485944524108AA"));
        data.extend_from_slice(&[0x01, 0x00, 0x02, 0xC9, 0x00, 0x00]);
        assert_eq!(install[..4], [0x84, 0xE6, 0x0C, 0x00]);
        assert_eq!(usize::from(install[4]), data.len() + 8);
        assert_eq!(install[5..5 + data.len()], data[..]);
        open(&mut c, Level::Mac);
        let apps = c.status(Subset::Applications).unwrap();
        assert_eq!(apps[0].aid, from_hex("F0485944524108AA"));
    }

    #[test]
    fn an_install_gives_the_instance_its_privileges() {
        let mut c = client();
        let mut p = plan();
        p.files.push(pin_load_file());
        // 0x04: Card Reset (GP 2.3.1 Table 6-1, byte 1 b3).
        p.installs.push(
            crate::deploy::InstallReq::parse("F048594452410801:F0485944524108AB::04").unwrap(),
        );
        let out = lines(&mut c, &p);
        assert!(out[2].contains("privileges CardReset"), "{}", out[2]);
        let install = c
            .transport
            .sent
            .iter()
            .find(|a| a[1] == 0xE6 && a[2] == 0x0C)
            .unwrap();
        let at = 5 + 1 + 7 + 1 + 8 + 1 + 8;
        assert_eq!(install[at..at + 2], [0x01, 0x04]);
        open(&mut c, Level::Mac);
        let apps = c.status(Subset::Applications).unwrap();
        assert_eq!(apps[0].privileges, [0x04, 0x00, 0x00]);
        for bad in [
            ":::0102",
            "F048594452410801:::0A0B0C0D",
            "F048594452410801:::zz",
        ] {
            let e = crate::deploy::InstallReq::parse(bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains("--install"), "{bad}: {e}");
        }
    }

    #[test]
    fn install_for_load_names_the_package_the_isd_and_the_hash() {
        let mut c = client();
        let lf = pin_load_file();
        let mut p = plan();
        p.files.push(lf.clone());
        lines(&mut c, &p);
        let cmd = c
            .transport
            .sent
            .iter()
            .find(|a| a[1] == 0xE6 && a[2] == 0x02)
            .unwrap();
        let (_, block) = hydra_package::loadfile::split(&lf.bytes_for(&DEFAULT_ISD))
            .map(|(d, b)| (d.len(), b.to_vec()))
            .unwrap();
        let mut data = vec![7];
        data.extend_from_slice(&from_hex(PIN_PACKAGE));
        data.push(8);
        data.extend_from_slice(&DEFAULT_ISD);
        data.push(0x20);
        data.extend_from_slice(&hydra_package::dap::load_file_hash(&block));
        data.extend_from_slice(&[0x00, 0x00]);
        assert_eq!(cmd[5..5 + data.len()], data[..]);
        // The load file starts with its data block: C4 82 LL LL.
        let first = c.transport.sent.iter().find(|a| a[1] == 0xE8).unwrap();
        assert_eq!(first[5..7], [0xC4, 0x82]);
    }

    #[test]
    fn wrong_keys_are_named_in_one_line() {
        let mut c = client();
        let mut p = plan();
        p.keys.mac = vec![0x11; 16];
        p.files.push(pin_load_file());
        let e = crate::deploy::execute(&mut c, &p, &mut |_| {}, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "INITIALIZE UPDATE: the card cryptogram does not match the keys (key version 30): wrong keys"
        );
        // A wrong ENC key alone passes authentication (the cryptograms are
        // S-MAC's) and fails the first encrypted command.
        let mut c = client();
        let keys = StaticKeys {
            enc: vec![0x11; 16],
            ..test_keys()
        };
        c.select_isd(None).unwrap();
        c.open(&keys, 0, Level::Enc, [3; 8]).unwrap();
        let e = c
            .install_for_load(&from_hex(PIN_PACKAGE), &DEFAULT_ISD, &[0; 32])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "INSTALL [for load] {PIN_PACKAGE}: card answered 6982 (security status not satisfied)"
            )
        );
        // A refused host cryptogram.
        let mut c = client();
        c.transport.refuse = Some((0x82, 0x6300));
        c.select_isd(None).unwrap();
        let e = c.open(&test_keys(), 0, Level::Mac, [0; 8]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "EXTERNAL AUTHENTICATE: card answered 6300 (authentication failed)"
        );
        // An unknown key version.
        let mut c = client();
        c.select_isd(None).unwrap();
        let e = c.open(&test_keys(), 0x31, Level::Mac, [0; 8]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "INITIALIZE UPDATE: card answered 6A88 (referenced data not found)"
        );
    }

    #[test]
    fn a_refused_load_names_the_block_and_the_status_word() {
        let mut lf = pin_load_file();
        // The Header component's magic (after C4 82 LL LL, tag, size).
        lf.block[3] ^= 0xFF;
        let blocks = lf.bytes_for(&DEFAULT_ISD).len().div_ceil(247);
        let mut c = client();
        let mut p = plan();
        p.files.push(lf);
        let e = crate::deploy::execute(&mut c, &p, &mut |_| {}, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("LOAD block {blocks} of {blocks}: card answered 6A80 (incorrect values in command data)")
        );
        // A second load of a package on the card.
        let mut c = client();
        let mut p = plan();
        p.files.push(pin_load_file());
        lines(&mut c, &p);
        let e = crate::deploy::execute(&mut c, &p, &mut |_| {}, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("INSTALL [for load] {PIN_PACKAGE}: card answered 6985 (conditions of use not satisfied); is a package with that AID on the card already?")
        );
        // A refusal in the middle of a load.
        let mut c = client();
        c.transport.refuse = Some((0xE8, 0x6A84));
        let e = crate::deploy::execute(&mut c, &p, &mut |_| {}, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("LOAD block 1 of {blocks}: card answered 6A84 (not enough memory)")
        );
    }

    #[test]
    fn deleting_what_is_not_there_is_6a88() {
        let mut c = client();
        let mut p = plan();
        p.deletes.push(from_hex("F0000000000001"));
        let e = crate::deploy::execute(&mut c, &p, &mut |_| {}, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "DELETE F0000000000001: card answered 6A88 (referenced data not found)"
        );
        let del = c.transport.sent.last().unwrap();
        // 80 E4 00 80 with the MAC: 4F 07 AID + 8.
        assert_eq!(del[..5], [0x84, 0xE4, 0x00, 0x80, 9 + 8]);
        assert_eq!(del[5..14], from_hex("4F07F0000000000001")[..]);
    }

    #[test]
    fn put_key_sends_the_dap_key_in_its_one_form() {
        let key = hydra_package::dap::public_key_of(
            &hydra_package::keyfile::key_from_entropy(&[5; 32]).unwrap(),
        );
        let mut c = client();
        open(&mut c, Level::Mac);
        c.put_dap_key(&key).unwrap();
        let cmd = c.transport.sent.last().unwrap();
        let mut data = vec![0x73, 0xB0, 0x41];
        data.extend_from_slice(&key);
        data.extend_from_slice(&[0x00, 0xF0, 0x01, 0x00, 0x00]);
        assert_eq!(data.len(), 73);
        assert_eq!(cmd[..5], [0x84, 0xD8, 0x00, 0x01, 73 + 8]);
        assert_eq!(cmd[5..78], data[..]);
        assert_eq!(cmd.len(), 5 + 73 + 8 + 1);
    }

    #[test]
    fn a_package_file_s_dap_block_is_made_to_name_the_card_s_isd() {
        let cap = hydra_cap::container::read_path(&pin_cap()).unwrap().cap;
        let block = cap.to_gp_load_file().unwrap();
        let other_sd = from_hex("A000000151000001");
        let lf = hydra_package::loadfile::build(&[(&other_sd, &[7; 64])], &block);
        let path = std::env::temp_dir().join(format!("hydra-deploy-{}.pkg", std::process::id()));
        std::fs::write(&path, &lf).unwrap();
        let read = crate::deploy::read_load_file(&path);
        std::fs::remove_file(&path).unwrap();
        let read = read.unwrap();
        assert_eq!(read.aid, from_hex(PIN_PACKAGE));
        assert_eq!(read.version, (1, 0));
        assert_eq!(read.applets, [from_hex(PIN_APPLET)]);
        // Sent as read to a card whose ISD is the AID named...
        assert_eq!(read.bytes_for(&other_sd), lf);
        // ... and naming the ISD of any other card, the rest unchanged.
        let sent = read.bytes_for(&DEFAULT_ISD);
        let (daps, data) = hydra_package::loadfile::split(&sent).unwrap();
        assert_eq!(daps.len(), 1);
        assert_eq!(daps[0].sd_aid, DEFAULT_ISD);
        assert_eq!(daps[0].signature, [7; 64]);
        assert_eq!(data, block);
    }

    #[test]
    fn with_the_dap_key_on_the_card_signed_loads_pass_and_forged_ones_do_not() {
        let signer = hydra_package::keyfile::key_from_entropy(&[9; 32]).unwrap();
        let key = hydra_package::dap::public_key_of(&signer);
        let mut lf = pin_load_file();
        let hash = hydra_package::dap::load_file_hash(&lf.block);
        let good = hydra_package::dap::sign(&signer, &hash).to_vec();
        // Signed for a security domain of another card.
        lf.daps = vec![(from_hex("A000000151000001"), good.clone())];
        let mut c = client();
        let mut p = plan();
        p.dap_key = Some(key);
        let out = lines(&mut c, &p);
        assert!(out[1].starts_with(
            "put the DAP key (P-256, key version 73) into ISD A000000151000000 (1 APDU, "
        ));

        let mut forged = lf.clone();
        let mut sig = good;
        sig[10] ^= 1;
        forged.daps[0].1 = sig;
        let blocks = forged.bytes_for(&DEFAULT_ISD).len().div_ceil(247);
        let mut p = plan();
        p.files.push(forged);
        let e = crate::deploy::execute(&mut c, &p, &mut |_| {}, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("LOAD block {blocks} of {blocks}: card answered 6982 (security status not satisfied)")
        );

        let mut p = plan();
        p.files.push(lf);
        let out = lines(&mut c, &p);
        assert!(
            out[1].starts_with(&format!("loaded {PIN_PACKAGE} 1.0 (")),
            "{out:?}"
        );
        assert!(out[2].starts_with(&format!("installed {PIN_APPLET} from {PIN_PACKAGE}")));
    }

    #[test]
    fn get_response_and_wrong_le_are_followed() {
        /// A T=0 card in front of the runtime: data only through GET
        /// RESPONSE, and a 6Cxx first for every case-2 SELECT.
        struct T0 {
            inner: HostTransport,
            pending: Vec<u8>,
            resent: bool,
        }
        impl Transport for T0 {
            type Error = hydra_host::HostError;
            fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Self::Error> {
                if apdu[..4] == [0x00, 0xC0, 0x00, 0x00] {
                    let n = usize::from(apdu[4]).min(self.pending.len());
                    let mut out: Vec<u8> = self.pending.drain(..n).collect();
                    out.extend_from_slice(&[0x90, 0x00]);
                    return Ok(out);
                }
                if apdu == [0x00, 0xA4, 0x04, 0x00, 0x00] && !self.resent {
                    self.resent = true;
                    return Ok(vec![0x6C, 0x00]);
                }
                let mut r = self.inner.transmit(apdu)?;
                let sw = r.split_off(r.len() - 2);
                if r.is_empty() {
                    return Ok(sw);
                }
                let n = r.len() as u8;
                self.pending = r;
                Ok(vec![0x61, n])
            }
        }
        let mut c = Client::new(T0 {
            inner: HostTransport {
                host: Host::in_memory(),
                sent: Vec::new(),
                refuse: None,
            },
            pending: Vec::new(),
            resent: false,
        });
        assert_eq!(c.select_isd(None).unwrap(), DEFAULT_ISD);
        c.open(&test_keys(), 0, Level::Mac, [1; 8]).unwrap();
        assert_eq!(c.status(Subset::Isd).unwrap()[0].aid, DEFAULT_ISD);
    }

    #[test]
    fn tlvs_of_two_byte_tags_and_long_lengths_parse() {
        let mut d = vec![
            0xE3, 0x81, 0x0D, 0x4F, 0x02, 0xA0, 0x01, 0x9F, 0x70, 0x01, 0x07,
        ];
        d.extend_from_slice(&[0xC5, 0x03, 0x80, 0x00, 0x00]);
        let e = parse_entries(&d).unwrap();
        assert_eq!(e[0].aid, [0xA0, 0x01]);
        assert_eq!(e[0].life_cycle, 0x07);
        assert_eq!(e[0].privileges, [0x80, 0, 0]);
        assert!(parse_entries(&d[..d.len() - 1]).is_none());
        assert!(parse_entries(&[0x61, 0x00]).is_none());
        assert_eq!(
            fci_aid(&[0x6F, 0x07, 0x84, 0x05, 1, 2, 3, 4, 5]),
            Some(vec![1, 2, 3, 4, 5])
        );
    }
}
