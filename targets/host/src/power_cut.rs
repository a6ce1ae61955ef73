//! Power cuts at every NVM write of a whole script run.
//!
//! The script runs once as a reference, recording which NVM writes each
//! command makes. Then, for every one of those writes, it runs again on a
//! fresh card whose NVM fails at that write — leaving it torn, half of its
//! bytes written, and no later write done — reboots the card from what is
//! left, selects the applet again and goes on with the rest of the script.
//! What the card answers from then on MUST be what it answers after the
//! power went off cleanly just before that write or just after it: the
//! torn write is undone or completed by the boot's recovery, so every
//! update is old-or-new, and a transaction all or nothing. The card MUST
//! boot and answer after every cut, clean or torn. Cuts before a command's
//! first write and after its last are the old and the new state.
//!
//! A command that makes several updates outside a transaction (an
//! `OwnerPIN.check` decrements the try counter before it compares) may be
//! cut between them: that intermediate state is what the JCRE promises,
//! and it is among the references, so the sweep does not demand that such
//! a command be all or nothing. Transient data lost at reset is lost in
//! the references too.
//!
//! A secure channel open at the cut is opened again after the reboot (the
//! script's last `scp0x` statement, on the applet selected again), in the
//! references as after the torn cut, by commands of no statement of their
//! own: neither counted nor cut. Cuts inside INITIALIZE UPDATE and
//! EXTERNAL AUTHENTICATE are swept like any command's. The card challenge
//! comes from the SCP sequence counter in NVM, which INITIALIZE UPDATE
//! advances, so a cut leaves it old or new and the channel opened again
//! has another challenge than in the reference run; that is not weakened
//! away but out of sight: the runner reads the challenge from the card,
//! prints no line for an `scp0x` statement and compares the answers in
//! plain. A script that printed the counter would still compare exactly:
//! the re-opening advances it once more in every run, from the old value
//! in the reference before the write and the new one in the reference
//! after it. Answers are matched by the script line that printed them, so
//! a channel's two commands (one statement) and echoes keep them aligned.

use hydra_cap::CapFile;
use hydra_runtime::Command;

use crate::script::{self, Reader, Stmt};
use crate::{EngineFactory, Host, HostError, SuiteEntry};

/// What a sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// Writes the script's commands make (the cut points).
    pub writes: u64,
    /// Torn writes injected, each followed by a reboot and the rest of the
    /// script.
    pub cuts: u64,
    /// Clean cuts (between writes) run as references.
    pub clean_cuts: u64,
    /// Torn cuts whose state after the reboot was one of the clean cuts'
    /// next to it.
    pub consistent: u64,
    /// Torn cuts of data the API lets a power loss tear (`...NonAtomic`
    /// outside a transaction) that left it torn: allowed; the card booted
    /// and answered.
    pub torn_non_atomic: u64,
    /// Cut points inside a SELECT, not tried (a reboot deselects anyway).
    pub skipped: u64,
    /// Cut points of commands whose later answers are not reproducible
    /// after a reboot there (the same clean reboot answers differently
    /// twice, e.g. an RSA signature with half-set CRT parts, which the
    /// random blinding makes random): not compared.
    pub unreproducible: u64,
    /// One line per cut whose state was neither.
    pub inconsistencies: Vec<String>,
}

/// How one run of the script goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// The reference: record each command's writes.
    Record,
    /// Command `i` is not sent; the card reboots in its place.
    RebootInstead(usize),
    /// Command `i` runs, then the card reboots.
    RebootAfter(usize),
    /// NVM write number `w` (counted from the card's creation) fails,
    /// torn or cleanly, and so does every later one until the reboot.
    CutAt { write: u64, torn: bool },
}

struct SweepReader<'a> {
    host: &'a mut Host,
    plan: Plan,
    next: usize,
    /// The last SELECT sent, to select again after a reboot.
    selected: Option<Command>,
    /// Per command: NVM writes before and after it, whether it selects,
    /// and its script line.
    record: Vec<(u64, u64, bool, usize)>,
    /// The command a cut fell in.
    cut_in: Option<usize>,
    /// A reboot the script runner has not been told of.
    rebooted: bool,
}

fn is_select(cmd: &Command) -> bool {
    cmd.ins() == 0xA4 && cmd.p1() == 0x04
}

impl SweepReader<'_> {
    fn writes(&mut self) -> Result<u64, HostError> {
        Ok(self.host.card()?.store.nvm.writes())
    }

    /// Power off and on, then the last SELECT again (its answer unseen).
    fn reboot(&mut self) -> Result<(), HostError> {
        self.host.power_down();
        if let Some(nvm) = self.host.nvm.as_mut() {
            nvm.fail_at(None);
            nvm.cut_before(None);
        }
        self.host.power_up()?;
        self.rebooted = true;
        if let Some(sel) = self.selected.clone() {
            self.host
                .exchange("reselect: ", |card| card.process_command(sel))?;
        }
        Ok(())
    }
}

impl Reader for SweepReader<'_> {
    type Error = HostError;

    fn power_up(&mut self) -> Result<(), HostError> {
        self.host.power_up()?;
        // Armed until the cut: a `powerup` of the script after it must not
        // make every later write fail again.
        if let (Plan::CutAt { write, torn }, None) = (self.plan, self.cut_in) {
            let nvm = &mut self.host.card()?.store.nvm;
            if torn {
                nvm.fail_at(Some(write));
            } else {
                nvm.cut_before(Some(write));
            }
        }
        Ok(())
    }

    fn power_down(&mut self) -> Result<(), HostError> {
        self.host.power_down();
        Ok(())
    }

    fn transmit(&mut self, line: usize, cmd: &Command) -> Result<(Vec<u8>, u16), HostError> {
        let i = self.next;
        self.next += 1;
        let select = is_select(cmd);
        if self.plan == Plan::RebootInstead(i) {
            self.reboot()?;
            return Ok((Vec::new(), 0));
        }
        let before = self.writes()?;
        let at = format!("line {line}: ");
        let r = self
            .host
            .exchange(&at, |card| card.process_command(cmd.clone()))?;
        let after = self.writes()?;
        if select && r.sw == 0x9000 {
            self.selected = Some(cmd.clone());
        }
        match self.plan {
            Plan::Record => self.record.push((before, after, select, line)),
            Plan::RebootAfter(k) if k == i => self.reboot()?,
            Plan::CutAt { write, .. } if self.cut_in.is_none() && after > write => {
                self.cut_in = Some(i);
                self.reboot()?;
                return Ok((Vec::new(), 0));
            }
            _ => {}
        }
        Ok((r.data, r.sw))
    }

    fn script_error(&self, line: usize, what: String) -> HostError {
        HostError::Script {
            path: "power-cut sweep".into(),
            source: script::ScriptError { line, what },
        }
    }

    fn rebooted(&mut self) -> bool {
        std::mem::take(&mut self.rebooted)
    }

    /// A secure channel opened again after a reboot: not a command of the
    /// script, so neither counted nor cut.
    fn restore(&mut self, line: usize, cmd: &Command) -> Result<(Vec<u8>, u16), HostError> {
        let at = format!("line {line} (after the reboot): ");
        let r = self
            .host
            .exchange(&at, |card| card.process_command(cmd.clone()))?;
        Ok((r.data, r.sw))
    }
}

/// A run's answers, one line per command, with the script line of each.
struct Run {
    lines: Vec<(usize, String)>,
    record: Vec<(u64, u64, bool, usize)>,
    cut_in: Option<usize>,
    /// The cut write was one the API lets a power loss tear.
    cut_tearable: bool,
}

fn run(
    entry: &SuiteEntry,
    caps: &[CapFile],
    engine: &Option<EngineFactory>,
    text: &str,
    plan: Plan,
) -> Result<Run, HostError> {
    let mut host = Host::in_memory();
    host.engine = engine.clone();
    for c in caps {
        host.load(c)?;
    }
    if entry.installs.is_empty() {
        host.install_all()?;
    } else {
        for i in &entry.installs {
            host.install(i)?;
        }
    }
    host.power_down();
    let mut r = SweepReader {
        host: &mut host,
        plan,
        next: 0,
        selected: None,
        record: Vec::new(),
        cut_in: None,
        rebooted: false,
    };
    let mut lines = Vec::new();
    match script::run_into(&mut r, text, &mut lines) {
        Ok(()) => {}
        // After a reboot the card may be in a state the script's later
        // statements do not expect (a SELECT that the old state lets
        // through, then a secure channel refused): how the script stops is
        // then part of the answers compared, exactly.
        Err(e @ HostError::Script { .. }) if plan != Plan::Record => {
            lines.push((usize::MAX, format!("stopped: {e}")))
        }
        Err(e) => return Err(e),
    }
    let (record, cut_in) = (r.record, r.cut_in);
    let cut_tearable = match (plan, host.nvm.as_ref()) {
        (Plan::CutAt { write, .. }, Some(nvm)) => nvm.is_tearable(write),
        (Plan::CutAt { write, .. }, None) => host
            .card
            .as_ref()
            .is_some_and(|c| c.store.nvm.is_tearable(write)),
        _ => false,
    };
    Ok(Run {
        lines,
        record,
        cut_in,
        cut_tearable,
    })
}

/// Whether a script can be swept: one that hides output cannot be
/// compared line by line. A secure channel open at a cut is opened again
/// after the reboot (its last `scp0x` statement, on the applet selected
/// again), in the references as after the torn cut.
pub fn sweepable(text: &str) -> bool {
    script::parse(text).is_ok_and(|s| !s.iter().any(|(_, st)| matches!(st, Stmt::Output(false))))
}

/// Cuts the power at every NVM write the entry's script makes, on the
/// interpreter or with `engine`; `caps` are the entry's packages.
pub fn sweep(
    entry: &SuiteEntry,
    caps: &[CapFile],
    engine: Option<EngineFactory>,
) -> Result<SweepReport, HostError> {
    let text = std::fs::read_to_string(&entry.script).map_err(|source| HostError::Io {
        path: entry.script.display().to_string(),
        source,
    })?;
    if !sweepable(&text) {
        return Err(HostError::Unsupported(format!(
            "{}: a script that hides output cannot be swept",
            entry.script.display()
        )));
    }
    let reference = run(entry, caps, &engine, &text, Plan::Record)?;
    let mut report = SweepReport::default();
    let name = entry.script.display().to_string();
    for (i, &(before, after, select, line)) in reference.record.iter().enumerate() {
        report.writes += after - before;
        if select {
            report.skipped += after - before;
            continue;
        }
        if before == after {
            continue;
        }
        // What the statements after the cut one print (the cut one's own
        // answer is lost or not; a secure channel's two commands are one
        // statement).
        let tail = |r: &Run| {
            Some(
                r.lines
                    .iter()
                    .filter(|(l, _)| *l > line)
                    .map(|(_, t)| t.clone())
                    .collect::<Vec<_>>(),
            )
        };
        let head = |r: &Run| {
            r.lines
                .iter()
                .filter(|(l, _)| *l < line)
                .map(|(_, t)| t.clone())
                .collect::<Vec<_>>()
        };
        let label = |w: u64| {
            format!(
                "{name}: command {} (write {} of {})",
                i + 1,
                w - before + 1,
                after - before
            )
        };
        // A reboot in place of the command must answer the same twice, or
        // no state after it can be compared.
        let once = run(entry, caps, &engine, &text, Plan::RebootInstead(i))?;
        let twice = run(entry, caps, &engine, &text, Plan::RebootInstead(i))?;
        if tail(&once) != tail(&twice) {
            report.unreproducible += after - before;
            continue;
        }
        // The clean states the command passes through: before its first
        // write (the reboot in its place, just run), between each two,
        // after its last.
        let mut clean = vec![tail(&once)];
        for c in before + 1..=after {
            let plan = if c == after {
                Plan::RebootAfter(i)
            } else {
                report.clean_cuts += 1;
                Plan::CutAt {
                    write: c,
                    torn: false,
                }
            };
            match run(entry, caps, &engine, &text, plan) {
                Ok(r) => clean.push(tail(&r)),
                Err(e) => {
                    report
                        .inconsistencies
                        .push(format!("{}: clean cut: {e}", label(c)));
                    clean.push(None);
                }
            }
        }
        for w in before..after {
            report.cuts += 1;
            let cut = match run(
                entry,
                caps,
                &engine,
                &text,
                Plan::CutAt {
                    write: w,
                    torn: true,
                },
            ) {
                Ok(c) => c,
                Err(e) => {
                    report
                        .inconsistencies
                        .push(format!("{}: after the cut: {e}", label(w)));
                    continue;
                }
            };
            if cut.cut_in != Some(i) || head(&cut) != head(&reference) {
                report.inconsistencies.push(format!(
                    "{}: the run before the cut differs from the reference",
                    label(w)
                ));
                continue;
            }
            let k = (w - before) as usize;
            let got = tail(&cut);
            if got.is_some() && (got == clean[k] || got == clean[k + 1]) {
                report.consistent += 1;
            } else if got.is_some() && cut.cut_tearable {
                report.torn_non_atomic += 1;
            } else {
                // The first answer that differs from each neighbour.
                let differs = |r: &Option<Vec<String>>| match (&got, r) {
                    (Some(g), Some(n)) => g
                        .iter()
                        .zip(n)
                        .find(|(a, b)| a != b)
                        .map_or("no difference".to_string(), |(a, b)| {
                            format!("got {a}, expected {b}")
                        }),
                    _ => "no answers".to_string(),
                };
                report.inconsistencies.push(format!(
                    "{}: neither the state before the write ({}) nor after it ({})",
                    label(w),
                    differs(&clean[k]),
                    differs(&clean[k + 1])
                ));
            }
        }
    }
    Ok(report)
}
