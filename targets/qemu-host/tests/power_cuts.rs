//! Power cuts on the emulated meter: the firmware cuts the power at its
//! K-th NVM write (`Config::cut`), torn (half the bytes written) and stops;
//! QEMU starts again on the NVM file as left, the applet is selected again
//! and the script goes on (the host runner, `hydra_host::script`, opening
//! again a secure channel that was open). What the statements after the
//! cut one print MUST be what they print after a clean cut just before that
//! write or just after it, as in the host sweep (`hydra_host::power_cut`).
//! CI cuts the first writes of the PIN script (`HYDRA_QEMU_CUTS`: how many).

use std::path::{Path, PathBuf};

use hydra_host::script::{self, Reader};
use hydra_qemu_host::script::all_applets;
use hydra_qemu_host::{Artifacts, Config, Error, Install, Session};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A run of the script: the cut (or reboot) and what it printed.
struct Run {
    /// The command index and script line the card lost power in.
    cut_in: Option<(usize, usize)>,
    in_power_event: bool,
    lines: Vec<(usize, String)>,
}

struct CutReader<'a> {
    cfg: &'a Config,
    session: Option<Session>,
    /// Restart after this command (a clean power loss after its answer).
    reboot_after: Option<usize>,
    next: usize,
    selected: Option<Vec<u8>>,
    cut_in: Option<(usize, usize)>,
    /// The cut fell in a power event.
    in_power_event: bool,
    rebooted: bool,
}

impl CutReader<'_> {
    fn session(&mut self) -> Result<&mut Session, Error> {
        self.session
            .as_mut()
            .ok_or_else(|| Error::Config("the meter is not running".into()))
    }

    /// QEMU again on the NVM file as the cut left it, powered, the applet
    /// selected again (its answer unseen).
    fn restart(&mut self) -> Result<(), Error> {
        if let Some(s) = self.session.take() {
            s.stop();
        }
        let mut cfg = self.cfg.clone();
        cfg.cut = None;
        let mut s = Session::start(&cfg)?;
        s.power_on()?;
        if let Some(sel) = &self.selected {
            s.transmit(sel)?;
        }
        self.session = Some(s);
        self.rebooted = true;
        Ok(())
    }
}

fn split(response: &[u8]) -> Result<(Vec<u8>, u16), Error> {
    match response.len().checked_sub(2) {
        Some(n) => Ok((
            response[..n].to_vec(),
            u16::from_be_bytes([response[n], response[n + 1]]),
        )),
        None => Err(Error::Config(format!(
            "response {response:02X?} has no status word"
        ))),
    }
}

impl Reader for CutReader<'_> {
    type Error = Error;

    // A cut in a power event (the card's reset writes) restarts the meter
    // too; it is not compared (no command's answers are at stake), but the
    // card must come back and answer the rest.
    fn power_up(&mut self) -> Result<(), Error> {
        match self.session()?.power_on() {
            Err(e) if e.is_power_cut() && !self.in_power_event => {
                self.in_power_event = true;
                self.restart()
            }
            r => r.map(|_| ()),
        }
    }

    fn power_down(&mut self) -> Result<(), Error> {
        match self.session()?.power_off() {
            Err(e) if e.is_power_cut() && !self.in_power_event => {
                self.in_power_event = true;
                self.restart()
            }
            r => r,
        }
    }

    fn transmit(
        &mut self,
        line: usize,
        cmd: &hydra_runtime::Command,
    ) -> Result<(Vec<u8>, u16), Error> {
        let i = self.next;
        self.next += 1;
        let bytes = cmd.to_bytes();
        let r = match self.session()?.transmit(&bytes) {
            Ok(ex) => split(&ex.response)?,
            Err(e) if e.is_power_cut() && self.cut_in.is_none() => {
                self.cut_in = Some((i, line));
                self.restart()?;
                return Ok((Vec::new(), 0));
            }
            Err(e) => return Err(e),
        };
        if cmd.ins() == 0xA4 && cmd.p1() == 0x04 && r.1 == 0x9000 {
            self.selected = Some(bytes);
        }
        if self.reboot_after == Some(i) {
            self.cut_in = Some((i, line));
            self.restart()?;
        }
        Ok(r)
    }

    fn script_error(&self, line: usize, what: String) -> Error {
        Error::Script {
            path: "power cuts on the meter".into(),
            line,
            what,
        }
    }

    fn rebooted(&mut self) -> bool {
        std::mem::take(&mut self.rebooted)
    }

    fn restore(
        &mut self,
        _line: usize,
        cmd: &hydra_runtime::Command,
    ) -> Result<(Vec<u8>, u16), Error> {
        let ex = self.session()?.transmit(&cmd.to_bytes())?;
        split(&ex.response)
    }
}

/// The script on a new card (a fresh NVM file), cut at a write or
/// restarted after a command.
fn run(
    base: &Config,
    nvm: &Path,
    cut: Option<(u32, bool)>,
    reboot_after: Option<usize>,
    text: &str,
) -> Result<Run, Error> {
    let _ = std::fs::remove_file(nvm);
    let mut cfg = base.clone();
    cfg.nvm = Some(nvm.to_path_buf());
    cfg.cut = cut;
    let session = Session::start(&cfg)?;
    let mut r = CutReader {
        cfg: &cfg,
        session: Some(session),
        reboot_after,
        next: 0,
        selected: None,
        cut_in: None,
        in_power_event: false,
        rebooted: false,
    };
    let mut lines = Vec::new();
    let done = script::run_into(&mut r, text, &mut lines);
    if let Some(s) = r.session.take() {
        s.stop();
    }
    done?;
    Ok(Run {
        cut_in: r.cut_in,
        in_power_event: r.in_power_event,
        lines,
    })
}

/// What the statements after script line `line` printed.
fn after(r: &Run, line: usize) -> Vec<&str> {
    r.lines
        .iter()
        .filter(|(l, _)| *l > line)
        .map(|(_, t)| t.as_str())
        .collect()
}

#[test]
fn a_power_cut_on_the_meter_leaves_the_old_or_the_new_state() {
    let ws = workspace();
    let dir = hydra_qemu_host::artifacts_dir(&ws);
    let art = Artifacts::build(&ws, &dir).unwrap_or_else(|e| panic!("{e}"));
    let suite = hydra_host::read_suite(&ws.join("conformance/applets/suite.json")).unwrap();
    let entry = suite
        .iter()
        .find(|e| e.script.file_stem().is_some_and(|s| s == "pin"))
        .expect("the suite has the PIN script");
    let mut base = Config::new(&art.firmware);
    base.packages = entry.caps.clone();
    base.installs = if entry.installs.is_empty() {
        all_applets(&entry.caps).unwrap()
    } else {
        entry.installs.iter().map(Install::from).collect()
    };
    let text = std::fs::read_to_string(&entry.script).unwrap();
    let cuts: u32 = std::env::var("HYDRA_QEMU_CUTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8);
    let tmp = tempfile::tempdir().unwrap();
    let nvm = tmp.path().join("card.nvm");
    let (mut compared, mut in_select, mut in_power, mut bad) = (0, 0, 0, Vec::new());
    let mut cut = 0;
    for k in 1..=cuts {
        cut = k;
        let torn = match run(&base, &nvm, Some((k, true)), None, &text) {
            Ok(r) => r,
            Err(e) => {
                bad.push(format!("write {k}: after the cut: {e}"));
                continue;
            }
        };
        if torn.in_power_event {
            in_power += 1;
            continue;
        }
        let Some((i, line)) = torn.cut_in else {
            // The script makes fewer writes: all are cut.
            cut = k - 1;
            break;
        };
        if text
            .lines()
            .nth(line - 1)
            .is_some_and(|l| l.contains("0xA4"))
        {
            // A reboot deselects anyway (as in the host sweep).
            in_select += 1;
            continue;
        }
        let before = run(&base, &nvm, Some((k, false)), None, &text).unwrap();
        let next = run(&base, &nvm, Some((k + 1, false)), None, &text).unwrap();
        // Write k the command's last: the state after it is the command's.
        let after_write = if next.cut_in == Some((i, line)) {
            next
        } else {
            run(&base, &nvm, None, Some(i), &text).unwrap()
        };
        if before.cut_in != Some((i, line)) {
            bad.push(format!("write {k}: the clean cut fell elsewhere"));
            continue;
        }
        let got = after(&torn, line);
        if got == after(&before, line) || got == after(&after_write, line) {
            compared += 1;
        } else {
            bad.push(format!(
                "write {k} (command {}, line {line}): neither the state before the write nor after it",
                i + 1
            ));
        }
    }
    println!(
        "meter power cuts (pin): {cut} writes cut, {compared} consistent, {in_select} in SELECT, \
         {in_power} in a power event, {} inconsistencies",
        bad.len()
    );
    assert!(compared > 0, "no cut compared");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
