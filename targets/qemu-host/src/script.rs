//! apdutool scripts on the firmware: the statements, output and errors of
//! the host board (`hydra_host::Host::run_script`), plus the instruction
//! counts of every APDU.

use std::path::PathBuf;

use hydra_host::script::{self, Stmt};

use crate::{Counts, Error, Install, Result, Session};

/// One APDU of a script run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApduRun {
    /// Line of the script.
    pub line: usize,
    /// The statement's bytes (apdutool form).
    pub command: Vec<u8>,
    /// The status word.
    pub sw: u16,
    /// When the session counts instructions.
    pub counts: Option<Counts>,
}

/// What a script printed, and every APDU it sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptRun {
    pub output: String,
    pub apdus: Vec<ApduRun>,
}

/// Runs an apdutool script (named `path` in errors) on a card that starts
/// powered down, as on the host board.
pub fn run_script(s: &mut Session, path: &str, text: &str) -> Result<ScriptRun> {
    let stmts = script::parse(text).map_err(|e| Error::Script {
        path: path.to_string(),
        line: e.line,
        what: e.what,
    })?;
    let mut run = ScriptRun::default();
    let (mut output, mut powered) = (true, false);
    for (line, st) in stmts {
        let at = |e: Error| match e {
            Error::Script { .. } => e,
            e => Error::Script {
                path: path.to_string(),
                line,
                what: e.to_string(),
            },
        };
        match st {
            Stmt::PowerUp => {
                s.power_on().map_err(at)?;
                powered = true;
            }
            Stmt::PowerDown => {
                s.power_off().map_err(at)?;
                powered = false;
            }
            Stmt::Echo(t) => {
                if output {
                    run.output.push_str(&t);
                    run.output.push('\n');
                }
            }
            Stmt::Output(on) => output = on,
            Stmt::Delay(_) => {}
            Stmt::Apdu(bytes) => {
                if !powered {
                    return Err(Error::Script {
                        path: path.to_string(),
                        line,
                        what: "APDU sent while the card is powered down".into(),
                    });
                }
                let ex = s
                    .transmit(&script::command(&bytes).to_bytes())
                    .map_err(at)?;
                let Some(split) = ex.response.len().checked_sub(2) else {
                    return Err(at(Error::Config(format!(
                        "response {:02X?} has no status word",
                        ex.response
                    ))));
                };
                let (data, sw) = ex.response.split_at(split);
                let sw = u16::from_be_bytes([sw[0], sw[1]]);
                if output {
                    run.output.push_str(&script::format_line(&bytes, data, sw));
                    run.output.push('\n');
                }
                run.apdus.push(ApduRun {
                    line,
                    command: bytes,
                    sw,
                    counts: ex.counts,
                });
            }
        }
    }
    Ok(run)
}

/// One instance of every applet of `caps` (default instance AIDs, no
/// parameters): what the host board installs when no install is given.
pub fn all_applets(caps: &[PathBuf]) -> Result<Vec<Install>> {
    let mut out = Vec::new();
    for c in caps {
        let cap = hydra_host::read_cap(c).map_err(|e| Error::Config(e.to_string()))?;
        for a in cap.applet.iter().flat_map(|a| &a.applets) {
            out.push(Install {
                class_aid: a.aid.as_bytes().to_vec(),
                instance_aid: None,
                params: Vec::new(),
            });
        }
    }
    Ok(out)
}

impl From<&hydra_host::InstallSpec> for Install {
    fn from(s: &hydra_host::InstallSpec) -> Install {
        Install {
            class_aid: s.class_aid.clone(),
            instance_aid: s.instance_aid.clone(),
            params: s.params.clone(),
        }
    }
}
