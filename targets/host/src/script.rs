//! Oracle apdutool scripts: parsing, running them on a card behind any
//! [`Reader`], and the apdutool output format.
//!
//! Two statements go beyond apdutool: `scp03 LEVEL [KVN [KEY]];` and
//! `scp02 LEVEL [KVN [KEY]];` open a GlobalPlatform SCP03 or SCP02 secure
//! channel to the selected security domain (INITIALIZE UPDATE and EXTERNAL
//! AUTHENTICATE with the fixed host challenge `00 01 .. 07`, so that runs
//! repeat exactly; KEY, one key in hex — AES for scp03, two-key 3DES for
//! scp02 — is all three keys; default: key version 00 and the GP test key
//! `40..4F`). The statement names the protocol the script expects: a card
//! that answers INITIALIZE UPDATE with the other one is an error. LEVEL is
//! 00, 01, 03, 11, 13 or 33 for SCP03, 00, 01 or 03 for SCP02 (i = 15 and
//! 55 have no R-MAC). Later commands are protected at LEVEL and printed,
//! with their responses, as plain text; the channel ends at a SELECT, at
//! power events and when the card refuses a command with 6982.

use std::fmt::Write as _;

use hydra_runtime::cardmgr::scp03::StaticKeys;
use hydra_runtime::cardmgr::{scp02, scp03, SecureSession};
use hydra_runtime::Command;

/// One statement of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stmt {
    PowerUp,
    PowerDown,
    /// `CLA INS P1 P2 Lc [data] Le`, as written.
    Apdu(Vec<u8>),
    Echo(String),
    Output(bool),
    Delay(u32),
    /// `scp03|scp02 LEVEL [KVN [KEY]]`: open a secure channel.
    SecureChannel {
        /// 3 (SCP03) or 2 (SCP02).
        scp: u8,
        level: u8,
        kvn: u8,
        key: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {what}")]
pub struct ScriptError {
    pub line: usize,
    pub what: String,
}

/// Parses a script: statements end with `;`, `//` starts a comment, APDU
/// bytes are numbers as apdutool reads them (`0x80` hexadecimal, `128`
/// decimal).
pub fn parse(text: &str) -> Result<Vec<(usize, Stmt)>, ScriptError> {
    let mut out = Vec::new();
    let mut tokens: Vec<String> = Vec::new();
    let mut start_line = 1;
    for (no, raw) in text.lines().enumerate() {
        let line = no + 1;
        let code = match raw.find("//") {
            Some(i) => &raw[..i],
            None => raw,
        };
        let mut rest = code;
        while !rest.trim().is_empty() {
            if tokens.is_empty() {
                start_line = line;
            }
            match rest.find(';') {
                Some(i) => {
                    tokens.extend(rest[..i].split_whitespace().map(String::from));
                    out.push((start_line, stmt(&tokens, start_line)?));
                    tokens.clear();
                    rest = &rest[i + 1..];
                }
                None => {
                    tokens.extend(rest.split_whitespace().map(String::from));
                    rest = "";
                }
            }
        }
    }
    if !tokens.is_empty() {
        return Err(ScriptError {
            line: start_line,
            what: "statement without a closing ';'".into(),
        });
    }
    Ok(out)
}

fn stmt(t: &[String], line: usize) -> Result<Stmt, ScriptError> {
    let err = |what: String| ScriptError { line, what };
    let first = t
        .first()
        .map(|s| s.to_ascii_lowercase())
        .unwrap_or_default();
    match first.as_str() {
        "powerup" => return Ok(Stmt::PowerUp),
        "powerdown" => return Ok(Stmt::PowerDown),
        "echo" => return Ok(Stmt::Echo(t[1..].join(" ").trim_matches('"').to_string())),
        "output" => {
            return Ok(Stmt::Output(
                t.get(1).is_some_and(|s| s.eq_ignore_ascii_case("on")),
            ))
        }
        "delay" => {
            return Ok(Stmt::Delay(
                t.get(1).and_then(|s| s.parse().ok()).unwrap_or(0),
            ))
        }
        "scp03" => return secure_channel(3, &t[1..]).map_err(err),
        "scp02" => return secure_channel(2, &t[1..]).map_err(err),
        _ => {}
    }
    let mut bytes = Vec::with_capacity(t.len());
    for tok in t {
        bytes.push(byte(tok).map_err(err)?);
    }
    if bytes.len() < 6 {
        return Err(err(format!(
            "an APDU needs CLA INS P1 P2 Lc ... Le (at least 6 bytes), found {}",
            bytes.len()
        )));
    }
    if is_extended(&bytes) {
        if bytes.len() < 9 {
            return Err(err(
                "an extended APDU needs CLA INS P1 P2 00 Lc1 Lc2 ... Le1 Le2".into(),
            ));
        }
        let lc = usize::from(u16::from_be_bytes([bytes[5], bytes[6]]));
        if bytes.len() != 9 + lc {
            return Err(err(format!(
                "extended Lc is {lc} but {} data bytes follow before Le",
                bytes.len() - 9
            )));
        }
        return Ok(Stmt::Apdu(bytes));
    }
    let lc = usize::from(bytes[4]);
    if bytes.len() != 6 + lc {
        return Err(err(format!(
            "Lc is {lc} but {} data bytes follow before Le",
            bytes.len().saturating_sub(6)
        )));
    }
    Ok(Stmt::Apdu(bytes))
}

fn secure_channel(scp: u8, args: &[String]) -> Result<Stmt, String> {
    let (usage, levels, lens, kind): (_, &[u8], &[usize], _) = if scp == 3 {
        (
            "scp03 LEVEL [KVN [KEY]]: LEVEL 0x00, 0x01, 0x03, 0x11, 0x13 or 0x33",
            &[0x00, 0x01, 0x03, 0x11, 0x13, 0x33],
            &[16, 24, 32],
            "an AES key in hex (16, 24 or 32 bytes)",
        )
    } else {
        (
            "scp02 LEVEL [KVN [KEY]]: LEVEL 0x00, 0x01 or 0x03",
            &[0x00, 0x01, 0x03],
            &[16],
            "a two-key 3DES key in hex (16 bytes)",
        )
    };
    let level = byte(args.first().ok_or(usage)?)?;
    if !levels.contains(&level) || args.len() > 3 {
        return Err(usage.into());
    }
    let kvn = args.get(1).map(|k| byte(k)).transpose()?.unwrap_or(0);
    let key = match args.get(2) {
        Some(k) => crate::unhex(k.strip_prefix("0x").unwrap_or(k))
            .filter(|k| lens.contains(&k.len()))
            .ok_or_else(|| format!("'{k}' is not {kind}"))?,
        None => (0x40..0x50).collect(),
    };
    Ok(Stmt::SecureChannel {
        scp,
        level,
        kvn,
        key,
    })
}

/// One byte as apdutool reads it: `0x`-prefixed hexadecimal, otherwise
/// decimal (`10` is ten, `0x10` sixteen).
fn byte(tok: &str) -> Result<u8, String> {
    let (digits, radix) = match tok.strip_prefix("0x").or_else(|| tok.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None => (tok, 10),
    };
    match u8::from_str_radix(digits, radix) {
        Ok(b) => Ok(b),
        Err(_) if radix == 10 && u8::from_str_radix(tok, 16).is_ok() => Err(format!(
            "'{tok}' is not a decimal byte (apdutool reads bare numbers as decimal; write 0x{tok} for hexadecimal)"
        )),
        Err(_) => Err(format!("'{tok}' is not a byte (0 to 255, or 0x00 to 0xFF)")),
    }
}

/// apdutool's extended form: `CLA INS P1 P2 00 Lc1 Lc2 [data] Le1 Le2`
/// (a short command is `CLA INS P1 P2 Lc [data] Le`, exactly 6 + Lc bytes).
pub fn is_extended(b: &[u8]) -> bool {
    b.len() > 6 && b[4] == 0
}

/// The command an apdutool statement sends.
pub fn command(b: &[u8]) -> hydra_runtime::Command {
    let header = [b[0], b[1], b[2], b[3]];
    if is_extended(b) {
        let lc = usize::from(u16::from_be_bytes([b[5], b[6]]));
        let le = u32::from(u16::from_be_bytes([b[7 + lc], b[8 + lc]]));
        hydra_runtime::Command {
            header,
            data: b[7..7 + lc].to_vec(),
            le: Some(if le == 0 { 65536 } else { le }),
            extended: true,
        }
    } else {
        let lc = usize::from(b[4]);
        let le = b[5 + lc];
        hydra_runtime::Command {
            header,
            data: b[5..5 + lc].to_vec(),
            le: Some(if le == 0 { 256 } else { u32::from(le) }),
            extended: false,
        }
    }
}

/// A card behind a reader, as a script drives it.
pub trait Reader {
    type Error;
    fn power_up(&mut self) -> Result<(), Self::Error>;
    fn power_down(&mut self) -> Result<(), Self::Error>;
    /// Sends a command (from script line `line`); the response data and
    /// status word.
    fn transmit(&mut self, line: usize, cmd: &Command) -> Result<(Vec<u8>, u16), Self::Error>;
    /// The error for a problem of the script at `line`.
    fn script_error(&self, line: usize, what: String) -> Self::Error;
    /// Whether the card lost power during or after the last `transmit`
    /// and was booted and selected again (a reader that injects power
    /// cuts); asking clears it. The runner then opens again the secure
    /// channel that was open, through [`Reader::restore`].
    fn rebooted(&mut self) -> bool {
        false
    }
    /// Sends a command that re-establishes, after a reboot, what the
    /// script had established (not one of the script's own commands).
    fn restore(&mut self, line: usize, cmd: &Command) -> Result<(Vec<u8>, u16), Self::Error> {
        self.transmit(line, cmd)
    }
}

/// The fixed host challenge of `scp03` statements.
const HOST_CHALLENGE: [u8; 8] = [0, 1, 2, 3, 4, 5, 6, 7];

/// Runs a script on a card that starts powered down; returns apdutool's
/// output (one line per command).
pub fn run<R: Reader>(reader: &mut R, text: &str) -> Result<String, R::Error> {
    let mut out = String::new();
    for (_, l) in run_lines(reader, text)? {
        out.push_str(&l);
        out.push('\n');
    }
    Ok(out)
}

/// Runs a script as [`run`] does; each output line with the script line
/// of the statement that printed it.
pub fn run_lines<R: Reader>(reader: &mut R, text: &str) -> Result<Vec<(usize, String)>, R::Error> {
    let mut out = Vec::new();
    run_into(reader, text, &mut out)?;
    Ok(out)
}

/// Runs a script as [`run_lines`] does, its output in `out`: what was
/// printed before an error is kept.
pub fn run_into<R: Reader>(
    reader: &mut R,
    text: &str,
    out: &mut Vec<(usize, String)>,
) -> Result<(), R::Error> {
    let stmts = parse(text).map_err(|e| reader.script_error(e.line, e.what))?;
    let (mut output, mut powered) = (true, false);
    let mut secure: Option<SecureSession> = None;
    // The last channel opened, to open it again after a reboot.
    let mut channel: Option<Channel> = None;
    for (line, st) in stmts {
        match st {
            Stmt::PowerUp => {
                reader.power_up()?;
                powered = true;
                secure = None;
            }
            Stmt::PowerDown => {
                reader.power_down()?;
                powered = false;
                secure = None;
            }
            Stmt::Echo(t) => {
                if output {
                    out.push((line, t));
                }
            }
            Stmt::Output(on) => output = on,
            Stmt::Delay(_) => {}
            Stmt::SecureChannel {
                scp,
                level,
                kvn,
                key,
            } => {
                if !powered {
                    return Err(reader
                        .script_error(line, format!("scp0{scp} while the card is powered down")));
                }
                let c = Channel {
                    line,
                    scp,
                    level,
                    kvn,
                    key,
                };
                secure = Some(open_channel(reader, &c, false)?);
                channel = Some(c);
            }
            Stmt::Apdu(bytes) => {
                if !powered {
                    return Err(reader
                        .script_error(line, "APDU sent while the card is powered down".into()));
                }
                let plain = command(&bytes);
                // A SELECT ends the channel, on the card as here.
                if plain.ins() == 0xA4 {
                    secure = None;
                }
                let wire = match secure.as_mut() {
                    Some(s) => s.host_wrap(&plain).map_err(|_| {
                        reader.script_error(line, "command too long for secure messaging".into())
                    })?,
                    None => plain,
                };
                let (mut data, sw) = reader.transmit(line, &wire)?;
                if reader.rebooted() {
                    // The answer (if any) is not compared; the session it
                    // belonged to is gone, the card has a new one.
                    if secure.is_some() {
                        if let Some(c) = &channel {
                            secure = Some(open_channel(reader, c, true)?);
                        }
                    }
                } else if let Some(s) = secure.as_mut() {
                    if sw == 0x6982 {
                        secure = None;
                    } else {
                        data = s.host_unwrap(&data, sw).map_err(|_| {
                            reader.script_error(
                                line,
                                format!("response R-MAC of {sw:04X} does not verify"),
                            )
                        })?;
                    }
                }
                if output {
                    out.push((line, format_line(&bytes, &data, sw)));
                }
            }
        }
    }
    Ok(())
}

/// An `scp0x` statement.
struct Channel {
    line: usize,
    scp: u8,
    level: u8,
    kvn: u8,
    key: Vec<u8>,
}

/// Opens `c`'s channel; again from the start, through
/// [`Reader::restore`], if the card reboots meanwhile. `restoring`: the
/// commands re-establish a channel after a reboot.
fn open_channel<R: Reader>(
    reader: &mut R,
    c: &Channel,
    restoring: bool,
) -> Result<SecureSession, R::Error> {
    let mut restoring = restoring;
    loop {
        let mut send = |reader: &mut R, cmd: &Command| {
            let r = if restoring {
                reader.restore(c.line, cmd)
            } else {
                reader.transmit(c.line, cmd)
            }?;
            Ok::<_, R::Error>(if reader.rebooted() { None } else { Some(r) })
        };
        if let Some(s) = try_open(reader, c, &mut send)? {
            return Ok(s);
        }
        if restoring {
            // Once is what a single cut needs; more would never end.
            return Err(reader.script_error(
                c.line,
                format!(
                    "scp0{}: the card rebooted again while the channel was opened again",
                    c.scp
                ),
            ));
        }
        // A reboot ended the channel half open: open it from the start
        // (with commands of no script statement of their own).
        restoring = true;
    }
}

/// INITIALIZE UPDATE, the card cryptogram checked, EXTERNAL AUTHENTICATE;
/// `None` if the card rebooted in between (`send` answers `None`).
fn try_open<R: Reader>(
    reader: &mut R,
    c: &Channel,
    send: &mut impl FnMut(&mut R, &Command) -> Result<Option<(Vec<u8>, u16)>, R::Error>,
) -> Result<Option<SecureSession>, R::Error> {
    let Channel {
        line,
        scp,
        level,
        kvn,
        ..
    } = *c;
    let key = c.key.clone();
    let init = Command {
        header: [0x80, 0x50, kvn, 0x00],
        data: HOST_CHALLENGE.to_vec(),
        le: Some(256),
        extended: false,
    };
    let Some((r, sw)) = send(reader, &init)? else {
        return Ok(None);
    };
    // SCP03: KDD KVN 03 i challenge(8) cryptogram(8) [counter(3)];
    // SCP02: KDD KVN 02 counter(2) challenge(6) cryptogram(8).
    let answered = matches!(
        (scp, r.len(), r.get(11)),
        (3, 29 | 32, Some(3)) | (2, 28, Some(2))
    );
    if sw != 0x9000 || !answered {
        return Err(reader.script_error(
            line,
            format!(
                "scp0{scp}: INITIALIZE UPDATE answered {} {sw:04X}",
                crate::hex(&r)
            ),
        ));
    }
    let keys = StaticKeys {
        enc: key.clone(),
        mac: key.clone(),
        dek: key,
    };
    let made = if scp == 3 {
        let mut card = [0u8; 8];
        card.copy_from_slice(&r[13..21]);
        scp03::Session::new(&keys, &HOST_CHALLENGE, &card)
            .and_then(|s| Ok((s.card_cryptogram()?, SecureSession::Scp03(s))))
    } else {
        let mut card = [0u8; 6];
        card.copy_from_slice(&r[14..20]);
        // The host side does not depend on i (15 and 55 differ in how the
        // card makes its challenge only).
        scp02::Session::new(&keys, scp02::I_55, [r[12], r[13]], &HOST_CHALLENGE, &card)
            .and_then(|s| Ok((s.card_cryptogram()?, SecureSession::Scp02(s))))
    };
    let cryptogram_at = if scp == 3 { 21..29 } else { 20..28 };
    let mut s = match made {
        Ok((c, s)) if c[..] == r[cryptogram_at] => s,
        _ => {
            return Err(reader.script_error(
                line,
                format!("scp0{scp}: the card cryptogram does not match the keys"),
            ))
        }
    };
    let ext = s
        .host_authenticate(level)
        .map_err(|_| reader.script_error(line, format!("scp0{scp}: bad key")))?;
    let Some((_, sw)) = send(reader, &ext)? else {
        return Ok(None);
    };
    if sw != 0x9000 {
        return Err(reader.script_error(
            line,
            format!("scp0{scp}: EXTERNAL AUTHENTICATE answered {sw:04X}"),
        ));
    }
    Ok(Some(s))
}

/// apdutool's line for a command and its response.
pub fn format_line(cmd: &[u8], data: &[u8], sw: u16) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "CLA: {:02x}, INS: {:02x}, P1: {:02x}, P2: {:02x}, ",
        cmd[0], cmd[1], cmd[2], cmd[3]
    );
    let ext = is_extended(cmd);
    let body = if ext {
        let _ = write!(s, "Lc: {:02x}{:02x}, ", cmd[5], cmd[6]);
        &cmd[7..cmd.len() - 2]
    } else {
        let _ = write!(s, "Lc: {:02x}, ", cmd[4]);
        &cmd[5..cmd.len() - 1]
    };
    for b in body {
        let _ = write!(s, "{b:02x}, ");
    }
    if ext {
        let _ = write!(s, "Le: {:04x}, ", data.len() as u16);
    } else {
        let _ = write!(s, "Le: {:02x}, ", data.len() as u8);
    }
    for b in data {
        let _ = write!(s, "{b:02x}, ");
    }
    let _ = write!(s, "SW1: {:02x}, SW2: {:02x}", sw >> 8, sw & 0xFF);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apdu(text: &str) -> Result<Vec<u8>, ScriptError> {
        match parse(text)?.pop() {
            Some((_, Stmt::Apdu(b))) => Ok(b),
            other => panic!("not an APDU: {other:?}"),
        }
    }

    #[test]
    fn bare_numbers_are_decimal_as_in_apdutool() {
        assert_eq!(
            apdu("0x80 0x10 0 0 2 10 127 0x7F;").unwrap(),
            [0x80, 0x10, 0, 0, 2, 10, 127, 0x7F]
        );
        assert_eq!(
            apdu("128 16 0 0 0 255;").unwrap(),
            [0x80, 0x10, 0, 0, 0, 0xFF]
        );
    }

    #[test]
    fn bad_bytes_say_why() {
        let e = apdu("0x80 0x10 0 0 0 A4;").unwrap_err();
        assert!(e.what.contains("write 0xA4"), "{e}");
        let e = apdu("0x80 0x10 0 0 0 256;").unwrap_err();
        assert!(e.what.contains("not a byte"), "{e}");
        let e = apdu("0x80 0x10 0 0 0 0x100;").unwrap_err();
        assert!(e.what.contains("not a byte"), "{e}");
    }

    #[test]
    fn secure_channel_statements_say_what_is_wrong() {
        let one = |text: &str| parse(text).map(|mut v| v.pop().map(|(_, s)| s));
        assert_eq!(
            one("scp02 0x03 0x20 0x101112131415161718191A1B1C1D1E1F;").unwrap(),
            Some(Stmt::SecureChannel {
                scp: 2,
                level: 3,
                kvn: 0x20,
                key: (0x10..0x20).collect(),
            })
        );
        let e = one("scp02 0x13;").unwrap_err();
        assert!(e.what.contains("0x00, 0x01 or 0x03"), "{e}");
        let e =
            one("scp02 1 0x20 0x00112233445566778899AABBCCDDEEFF0011223344556677;").unwrap_err();
        assert!(e.what.contains("3DES"), "{e}");
        assert!(one("scp03 0x33 0x30 0x00112233445566778899AABBCCDDEEFF0011223344556677;").is_ok());
    }

    /// A 3DES key set put over SCP03, then an SCP02 channel with it at
    /// level 03, on the host card; `scp02` on an AES set is an error.
    #[test]
    fn scp02_statement_opens_a_channel_on_a_3des_key_set() {
        // PUT KEY of 3DES key set 20 (keys 10..1F, AES-CBC under the test
        // DEK, DES KCVs), computed with conformance/pcsc/scp02.py.
        let script = "powerup;
            scp03 0x03;
            0x80 0xD8 0x00 0x81 0x43 0x20 0x80 0x10 0x79 0x0A 0xCC 0xDA 0x85 0x8B 0x99 0x70 0x29 0xFA 0x9A 0xE5 0x0C 0x9C 0xD0 0x28 0x03 0xFE 0x8A 0x09 0x80 0x10 0x79 0x0A 0xCC 0xDA 0x85 0x8B 0x99 0x70 0x29 0xFA 0x9A 0xE5 0x0C 0x9C 0xD0 0x28 0x03 0xFE 0x8A 0x09 0x80 0x10 0x79 0x0A 0xCC 0xDA 0x85 0x8B 0x99 0x70 0x29 0xFA 0x9A 0xE5 0x0C 0x9C 0xD0 0x28 0x03 0xFE 0x8A 0x09 0x7F;
            scp02 0x03 0x20 0x101112131415161718191A1B1C1D1E1F;
            0x80 0xF2 0x80 0x02 0x02 0x4F 0x00 0x7F;
            scp02 0x01 0x20 0x101112131415161718191A1B1C1D1E1F;
            0x80 0xF2 0x80 0x02 0x02 0x4F 0x00 0x7F;";
        let mut host = crate::Host::in_memory();
        let out = run(
            &mut crate::ScriptReader {
                host: &mut host,
                path: "t",
            },
            script,
        )
        .unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert!(
            lines[0].starts_with("CLA: 80, INS: d8") && lines[0].contains("20, fe, 8a, 09, fe"),
            "{out}"
        );
        for l in &lines[1..] {
            assert!(
                l.contains("e3, 1d, 4f, 08, a0") && l.ends_with("SW1: 90, SW2: 00"),
                "{out}"
            );
        }
        let mut host = crate::Host::in_memory();
        let e = run(
            &mut crate::ScriptReader {
                host: &mut host,
                path: "t",
            },
            "powerup; scp02 0x01;",
        )
        .unwrap_err();
        assert!(
            format!("{e}").contains("scp02: INITIALIZE UPDATE answered"),
            "{e}"
        );
    }
}
