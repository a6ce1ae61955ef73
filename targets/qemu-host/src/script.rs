//! apdutool scripts on the firmware: the statements, output and errors of
//! the host board (`hydra_host::Host::run_script`), plus the instruction
//! counts of every APDU.

use std::path::PathBuf;

use hydra_host::script;

use crate::{Counts, Error, Install, Result, Session, Verification};

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
    /// When the session counts: the checks of the load files the card
    /// loaded at boot, in the image's order (those of a LOAD are in its
    /// APDU's [`Counts::verify`]).
    pub verifications: Vec<Verification>,
}

/// Runs an apdutool script (named `path` in errors) on a card that starts
/// powered down, as on the host board (the same runner: `hydra_host::script`).
pub fn run_script(s: &mut Session, path: &str, text: &str) -> Result<ScriptRun> {
    let mut reader = FirmwareReader {
        session: s,
        path,
        apdus: Vec::new(),
    };
    let output = script::run(&mut reader, text)?;
    let apdus = reader.apdus;
    // The firmware loaded its image before it answered the first frame.
    let verifications = s.verifications()?;
    Ok(ScriptRun {
        output,
        apdus,
        verifications,
    })
}

/// The firmware as the reader of a script; keeps every APDU's counts.
struct FirmwareReader<'a> {
    session: &'a mut Session,
    path: &'a str,
    apdus: Vec<ApduRun>,
}

impl FirmwareReader<'_> {
    fn at(&self, line: usize, e: Error) -> Error {
        match e {
            Error::Script { .. } => e,
            e => Error::Script {
                path: self.path.to_string(),
                line,
                what: e.to_string(),
            },
        }
    }
}

impl script::Reader for FirmwareReader<'_> {
    type Error = Error;

    fn power_up(&mut self) -> Result<()> {
        self.session.power_on().map(|_| ())
    }

    fn power_down(&mut self) -> Result<()> {
        self.session.power_off()
    }

    fn transmit(&mut self, line: usize, cmd: &hydra_runtime::Command) -> Result<(Vec<u8>, u16)> {
        let bytes = cmd.to_bytes();
        let ex = self
            .session
            .transmit(&bytes)
            .map_err(|e| self.at(line, e))?;
        let Some(split) = ex.response.len().checked_sub(2) else {
            return Err(self.at(
                line,
                Error::Config(format!("response {:02X?} has no status word", ex.response)),
            ));
        };
        let (data, sw) = ex.response.split_at(split);
        let sw = u16::from_be_bytes([sw[0], sw[1]]);
        self.apdus.push(ApduRun {
            line,
            command: bytes.clone(),
            sw,
            counts: ex.counts,
        });
        Ok((data.to_vec(), sw))
    }

    fn script_error(&self, line: usize, what: String) -> Error {
        Error::Script {
            path: self.path.to_string(),
            line,
            what,
        }
    }
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
                privileges: Vec::new(),
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
            privileges: s.privileges.clone(),
        }
    }
}
