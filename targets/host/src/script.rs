//! Oracle apdutool scripts: parsing, and the apdutool output format.

use std::fmt::Write as _;

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
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {what}")]
pub struct ScriptError {
    pub line: usize,
    pub what: String,
}

/// Parses a script: statements end with `;`, `//` starts a comment, APDU
/// bytes are hex numbers (`0x80` or `80`).
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
        _ => {}
    }
    let mut bytes = Vec::with_capacity(t.len());
    for tok in t {
        let h = tok
            .strip_prefix("0x")
            .or_else(|| tok.strip_prefix("0X"))
            .unwrap_or(tok);
        let b = u8::from_str_radix(h, 16).map_err(|_| err(format!("'{tok}' is not a hex byte")))?;
        bytes.push(b);
    }
    if bytes.len() < 6 {
        return Err(err(format!(
            "an APDU needs CLA INS P1 P2 Lc ... Le (at least 6 bytes), found {}",
            bytes.len()
        )));
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

/// apdutool's line for a command and its response.
pub fn format_line(cmd: &[u8], data: &[u8], sw: u16) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "CLA: {:02x}, INS: {:02x}, P1: {:02x}, P2: {:02x}, Lc: {:02x}, ",
        cmd[0], cmd[1], cmd[2], cmd[3], cmd[4]
    );
    for b in &cmd[5..cmd.len() - 1] {
        let _ = write!(s, "{b:02x}, ");
    }
    let _ = write!(s, "Le: {:02x}, ", data.len() as u8);
    for b in data {
        let _ = write!(s, "{b:02x}, ");
    }
    let _ = write!(s, "SW1: {:02x}, SW2: {:02x}", sw >> 8, sw & 0xFF);
    s
}
