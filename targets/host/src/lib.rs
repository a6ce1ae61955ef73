//! The Hydra runtime on the host: a card in a process with file-backed NVM,
//! driven by apdutool scripts (`hydra run`) and the conformance suite, or
//! served to PC/SC clients through vpcd (`hydra card`, [`reader`]).

pub mod fuzz;
pub mod names;
pub mod nvm;
pub mod power_cut;
pub mod reader;
pub mod script;

use std::path::{Path, PathBuf};

use hydra_cap::CapFile;
use hydra_runtime::{Card, Config, LoadError};

pub use nvm::FileNvm;

/// Makes the engine for compiled code of each card booted (see
/// `hydra_runtime::engine`).
pub type EngineFactory =
    std::rc::Rc<dyn Fn() -> std::rc::Rc<dyn hydra_runtime::engine::Engine<FileNvm>>>;

/// Default NVM size of a host card.
pub const NVM_SIZE: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A CAP file that cannot be read (the error names the file).
    #[error(transparent)]
    Cap(#[from] hydra_cap::container::ReadError),
    #[error("{0}")]
    Load(#[from] LoadError),
    /// A load error explained with API names.
    #[error("{0}")]
    Unsupported(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// A card state file the runtime refuses to boot from.
    #[error("{path}: {source}")]
    State { path: String, source: LoadError },
    #[error("{path}: {source}")]
    Script {
        path: String,
        source: script::ScriptError,
    },
    #[error("invalid --install '{0}': expected AID[:INSTANCE_AID][:HEXPARAMS] in hex")]
    InstallSpec(String),
    #[error("{0}")]
    Suite(String),
}

/// An applet to install: its class AID, instance AID and `C9` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallSpec {
    pub class_aid: Vec<u8>,
    pub instance_aid: Option<Vec<u8>>,
    pub params: Vec<u8>,
    /// GlobalPlatform privileges (none: the card's default).
    pub privileges: Vec<u8>,
}

/// An AID (5 to 16 bytes) in hex.
pub fn unhex_aid(s: &str) -> Option<Vec<u8>> {
    unhex(s).filter(|a| (5..=16).contains(&a.len()))
}

/// Hex digits (whitespace and `:` allowed between them) as bytes.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let s: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    // ASCII only: slicing two bytes must not split a character.
    if s.len() & 1 == 1 || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

impl InstallSpec {
    /// `AID`, `AID:PARAMS`, `AID:INSTANCE:PARAMS` or
    /// `AID:INSTANCE:PARAMS:PRIVILEGES` (hex; privileges 1 or 3 bytes).
    pub fn parse(s: &str) -> Result<InstallSpec, HostError> {
        let bad = || HostError::InstallSpec(s.to_string());
        let parts: Vec<&str> = s.split(':').collect();
        let class_aid = unhex(parts[0]).ok_or_else(bad)?;
        let (instance_aid, params) = match parts.len() {
            1 => (None, Vec::new()),
            2 => (None, unhex(parts[1]).ok_or_else(bad)?),
            3 | 4 => (
                Some(unhex(parts[1]).ok_or_else(bad)?).filter(|v| !v.is_empty()),
                unhex(parts[2]).ok_or_else(bad)?,
            ),
            _ => return Err(bad()),
        };
        let privileges = match parts.get(3) {
            Some(p) => unhex(p)
                .filter(|v| matches!(v.len(), 1 | 3))
                .ok_or_else(bad)?,
            None => Vec::new(),
        };
        Ok(InstallSpec {
            class_aid,
            instance_aid,
            params,
            privileges,
        })
    }
}

/// Reads a CAP file (JAR, component stream or folder).
pub fn read_cap(path: &Path) -> Result<CapFile, HostError> {
    Ok(hydra_cap::container::read_path(path)?.cap)
}

/// A card on the host, powered or not.
pub struct Host {
    card: Option<Card<FileNvm>>,
    nvm: Option<FileNvm>,
    pub config: Config,
    /// Collect the executed-opcode histogram.
    pub stats: bool,
    pub opcode_counts: Box<[u64; 256]>,
    pub bytecodes: u64,
    /// Engine for compiled code given to every card booted from now on
    /// (`hydra run --engine native`); none: interpreter only.
    pub engine: Option<EngineFactory>,
    /// Report exceptions that escape applets on stderr.
    pub explain: bool,
    /// Time spent processing APDUs (power-up and linking excluded).
    pub apdu_time: std::time::Duration,
}

impl Host {
    pub fn new(nvm: FileNvm) -> Host {
        Host {
            card: None,
            nvm: Some(nvm),
            config: Config {
                entropy: Some(os_entropy),
                ..Config::default()
            },
            stats: false,
            opcode_counts: Box::new([0; 256]),
            bytecodes: 0,
            engine: None,
            apdu_time: std::time::Duration::ZERO,
            explain: false,
        }
    }

    /// A fresh card in memory.
    pub fn in_memory() -> Host {
        Host::new(FileNvm::memory(NVM_SIZE))
    }

    /// A card whose state lives in `path` (created when missing); a
    /// directory holds it as `card.nvm`.
    pub fn with_state(path: &Path) -> Result<Host, HostError> {
        let file;
        let path = if path.is_dir() {
            file = path.join("card.nvm");
            &file
        } else {
            path
        };
        let nvm = FileNvm::open(path, NVM_SIZE).map_err(|source| HostError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Host::new(nvm))
    }

    /// Powers the card up (a reset if it is already up).
    pub fn power_up(&mut self) -> Result<&mut Card<FileNvm>, HostError> {
        self.power_down();
        let nvm = self.nvm.take().ok_or_else(|| {
            HostError::Unsupported("the card's state was refused at an earlier boot".into())
        })?;
        let state = nvm.path().map(|p| p.display().to_string());
        let mut card = Card::boot(nvm, self.config).map_err(|source| match state {
            Some(path) => HostError::State { path, source },
            None => HostError::Load(source),
        })?;
        card.engine = self.engine.as_ref().map(|f| f());
        if self.stats {
            card.stats = Some(Box::new([0; 256]));
        }
        self.card = Some(card);
        Ok(self.card.as_mut().expect("just set"))
    }

    pub fn power_down(&mut self) {
        if let Some(card) = self.card.take() {
            self.absorb_stats(&card);
            self.nvm = Some(card.power_down());
        }
    }

    fn absorb_stats(&mut self, card: &Card<FileNvm>) {
        self.bytecodes += card.executed;
        if let Some(s) = &card.stats {
            for (a, b) in self.opcode_counts.iter_mut().zip(s.iter()) {
                *a += *b;
            }
        }
    }

    pub fn card(&mut self) -> Result<&mut Card<FileNvm>, HostError> {
        if self.card.is_none() {
            self.power_up()?;
        }
        Ok(self.card.as_mut().expect("powered"))
    }

    /// Loads a package unless a package with its AID is already on the card.
    pub fn load(&mut self, cap: &CapFile) -> Result<(), HostError> {
        let card = self.card()?;
        let aid = cap.header.package.aid.as_bytes();
        if card.live_package(aid).is_some() {
            return Ok(());
        }
        // A CAP file read here carried its Descriptor (the reader requires
        // it), so the card's verifier can check it as LOAD would.
        card.load_verified(cap, true, None)
            .map_err(|e| match names::explain(cap, &e) {
                Some(msg) => HostError::Unsupported(msg),
                None => HostError::Load(e),
            })?;
        Ok(())
    }

    /// Installs an applet unless its instance already exists.
    pub fn install(&mut self, spec: &InstallSpec) -> Result<(), HostError> {
        let card = self.card()?;
        let inst = spec.instance_aid.as_deref().unwrap_or(&spec.class_aid);
        if card.registry.find_exact(inst).is_some() {
            return Ok(());
        }
        card.install(
            &spec.class_aid,
            spec.instance_aid.as_deref(),
            &spec.privileges,
            &spec.params,
        )?;
        Ok(())
    }

    /// Installs every applet of every loaded package (default instance AIDs).
    pub fn install_all(&mut self) -> Result<(), HostError> {
        let card = self.card()?;
        let aids: Vec<Vec<u8>> = card
            .packages
            .iter()
            .flat_map(|p| p.applets.iter().map(|a| a.0.clone()))
            .collect();
        for aid in aids {
            self.install(&InstallSpec {
                class_aid: aid,
                instance_aid: None,
                params: Vec::new(),
                privileges: Vec::new(),
            })?;
        }
        Ok(())
    }

    /// Runs a script; returns apdutool's output (one line per APDU).
    pub fn run_script(&mut self, path: &str, text: &str) -> Result<String, HostError> {
        script::run(&mut ScriptReader { host: self, path }, text)
    }

    /// Runs one command on the card (powered up if needed), timing it and,
    /// with `explain`, naming after `at` on stderr an exception that escaped
    /// an applet.
    pub fn exchange(
        &mut self,
        at: &str,
        f: impl FnOnce(&mut Card<FileNvm>) -> hydra_runtime::Response,
    ) -> Result<hydra_runtime::Response, HostError> {
        let explain = self.explain;
        let card = self.card()?;
        card.last_uncaught = None;
        let t = std::time::Instant::now();
        let r = f(card);
        let elapsed = t.elapsed();
        if explain {
            if let Some(e) = card.last_uncaught.take() {
                eprintln!("{at}{e} -> SW {:04X}", r.sw);
            }
        }
        self.apdu_time += elapsed;
        Ok(r)
    }

    /// Totals so far (bytecodes executed, per-opcode histogram), including
    /// the powered card.
    pub fn totals(&self) -> (u64, [u64; 256]) {
        let mut counts = *self.opcode_counts;
        let mut n = self.bytecodes;
        if let Some(c) = &self.card {
            n += c.executed;
            if let Some(s) = &c.stats {
                for (a, b) in counts.iter_mut().zip(s.iter()) {
                    *a += *b;
                }
            }
        }
        (n, counts)
    }
}

/// The host board's TRNG: the operating system's random numbers (also
/// the emulated meter's, whose seed comes from here).
pub fn os_entropy(out: &mut [u8]) -> bool {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(out))
        .is_ok()
}

/// The host card's ATR: T=1, historical bytes "HYDRA-PC".
pub const ATR: [u8; 12] = hydra_vpcd::atr::t1(*b"HYDRA-PC");

/// A host card as a reader sees it: power events power the card down and
/// boot it again from its NVM (transaction recovery, transients and
/// selection cleared); APDUs arrive as raw bytes.
pub struct ServedHost {
    pub host: Host,
    atr: Vec<u8>,
    /// Print every command and response on stderr.
    pub trace: bool,
}

impl ServedHost {
    /// Serves `host`, answering `atr` (default [`ATR`]).
    pub fn new(host: Host, atr: Option<Vec<u8>>) -> ServedHost {
        ServedHost {
            host,
            atr: atr.unwrap_or_else(|| ATR.to_vec()),
            trace: false,
        }
    }
}

/// Bytes as upper-case hex digits, no separators.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

impl hydra_vpcd::Card for ServedHost {
    type Error = HostError;

    fn atr(&self) -> &[u8] {
        &self.atr
    }

    fn power(&mut self, event: hydra_vpcd::Power) -> Result<(), HostError> {
        if self.trace {
            eprintln!("power {event:?}");
        }
        match event {
            hydra_vpcd::Power::Off => self.host.power_down(),
            hydra_vpcd::Power::On | hydra_vpcd::Power::Reset => {
                self.host.power_up()?;
            }
        }
        Ok(())
    }

    fn process(&mut self, command: &[u8], response: &mut Vec<u8>) -> Result<(), HostError> {
        // Clients may start a session without a power event.
        let r = self.host.exchange("", |card| card.process(command))?;
        response.extend_from_slice(&r.data);
        response.extend_from_slice(&r.sw.to_be_bytes());
        if self.trace {
            eprintln!("> {}\n< {}", hex(command), hex(response));
        }
        Ok(())
    }
}

/// The host card as the reader of a script.
struct ScriptReader<'a> {
    host: &'a mut Host,
    path: &'a str,
}

impl script::Reader for ScriptReader<'_> {
    type Error = HostError;

    fn power_up(&mut self) -> Result<(), HostError> {
        self.host.power_up().map(|_| ())
    }

    fn power_down(&mut self) -> Result<(), HostError> {
        self.host.power_down();
        Ok(())
    }

    fn transmit(
        &mut self,
        line: usize,
        cmd: &hydra_runtime::Command,
    ) -> Result<(Vec<u8>, u16), HostError> {
        // The runner sends commands only while the card is powered.
        let at = format!("{}:{line}: ", self.path);
        let r = self
            .host
            .exchange(&at, |card| card.process_command(cmd.clone()))?;
        Ok((r.data, r.sw))
    }

    fn script_error(&self, line: usize, what: String) -> HostError {
        HostError::Script {
            path: self.path.to_string(),
            source: script::ScriptError { line, what },
        }
    }
}

/// Compares output with an expected file; the first differing line.
pub fn first_difference(actual: &str, expected: &str) -> Option<(usize, String, String)> {
    let a: Vec<&str> = actual.lines().collect();
    let e: Vec<&str> = expected.lines().filter(|l| !l.trim().is_empty()).collect();
    for i in 0..a.len().max(e.len()) {
        let x = a.get(i).copied().unwrap_or("<end of output>");
        let y = e.get(i).copied().unwrap_or("<end of expected output>");
        if x.trim_end() != y.trim_end() {
            return Some((i + 1, y.to_string(), x.to_string()));
        }
    }
    None
}

/// The first response where `got` differs from `reference`, skipping the
/// responses where `again`, a second run of the reference engine, differs
/// from it too: a mutated or lying applet can answer random bytes (a
/// randomised signature in place of a deterministic one), which no two
/// runs share. Arguments and result as [`first_difference`].
pub fn first_stable_difference(
    reference: &str,
    again: Option<&str>,
    got: &str,
) -> Option<(usize, String, String)> {
    let (r, g): (Vec<&str>, Vec<&str>) = (reference.lines().collect(), got.lines().collect());
    let a: Vec<&str> = again.map_or_else(|| r.clone(), |a| a.lines().collect());
    if r.len() != g.len() || r.len() != a.len() {
        return first_difference(got, reference);
    }
    (0..r.len())
        .find(|&i| r[i].trim_end() != g[i].trim_end() && r[i] == a[i])
        .map(|i| (i + 1, r[i].to_string(), g[i].to_string()))
}

/// One script of the conformance suite and what it needs on the card.
#[derive(Debug, Clone)]
pub struct SuiteEntry {
    pub script: PathBuf,
    pub expected: PathBuf,
    pub caps: Vec<PathBuf>,
    pub installs: Vec<InstallSpec>,
}

impl SuiteEntry {
    /// Runs the script on a fresh in-memory card with `caps` loaded (the
    /// entry's own, or changed ones) and its applets installed, on the
    /// interpreter (`engine` None) or with compiled code. A refused load
    /// or install, or a script failure, is its one-line message.
    pub fn run_with(
        &self,
        caps: &[CapFile],
        engine: Option<EngineFactory>,
    ) -> Result<String, String> {
        self.run_with_budget(caps, engine, None)
    }

    /// [`SuiteEntry::run_with`] with the card's execution budget per
    /// applet entry (`None`: the runtime's default).
    pub fn run_with_budget(
        &self,
        caps: &[CapFile],
        engine: Option<EngineFactory>,
        budget: Option<u64>,
    ) -> Result<String, String> {
        let mut host = Host::in_memory();
        host.engine = engine;
        if let Some(b) = budget {
            host.config.budget = b;
        }
        for c in caps {
            host.load(c).map_err(|x| x.to_string())?;
        }
        if self.installs.is_empty() {
            host.install_all().map_err(|x| x.to_string())?;
        } else {
            for i in &self.installs {
                host.install(i).map_err(|x| x.to_string())?;
            }
        }
        host.power_down();
        let text = std::fs::read_to_string(&self.script).map_err(|x| x.to_string())?;
        host.run_script(&self.script.display().to_string(), &text)
            .map_err(|x| x.to_string())
    }
}

/// Reads `suite.json`; see `conformance/applets/suite.json`.
pub fn read_suite(path: &Path) -> Result<Vec<SuiteEntry>, HostError> {
    let text = std::fs::read_to_string(path).map_err(|source| HostError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| HostError::Suite(format!("{}: {e}", path.display())))?;
    let base = path.parent().unwrap_or(Path::new("."));
    suite_from_json(&v, base).map_err(|e| HostError::Suite(format!("{}: {e}", path.display())))
}

fn suite_from_json(v: &serde_json::Value, base: &Path) -> Result<Vec<SuiteEntry>, String> {
    let scripts = v
        .get("scripts")
        .and_then(|s| s.as_array())
        .or_else(|| v.as_array())
        .ok_or("expected a \"scripts\" array")?;
    let mut out = Vec::new();
    for s in scripts {
        let script = s
            .get("script")
            .and_then(|x| x.as_str())
            .ok_or("script entry without \"script\"")?;
        let expected = s
            .get("expected")
            .and_then(|x| x.as_str())
            .map_or_else(|| format!("{script}.expected"), String::from);
        let caps = s
            .get("caps")
            .or_else(|| s.get("load"))
            .and_then(|x| x.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.as_str())
                    .map(|c| base.join(c))
                    .collect()
            })
            .unwrap_or_default();
        let mut installs = Vec::new();
        for i in s
            .get("install")
            .or_else(|| s.get("installs"))
            .and_then(|x| x.as_array())
            .into_iter()
            .flatten()
        {
            let spec = if let Some(t) = i.as_str() {
                InstallSpec::parse(t).map_err(|e| e.to_string())?
            } else {
                let get = |k: &str| i.get(k).and_then(|x| x.as_str()).and_then(unhex);
                InstallSpec {
                    class_aid: get("class_aid")
                        .or_else(|| get("applet"))
                        .ok_or("install entry without \"class_aid\"")?,
                    instance_aid: get("instance_aid").filter(|a| !a.is_empty()),
                    params: get("install_parameters").unwrap_or_default(),
                    privileges: get("privileges").unwrap_or_default(),
                }
            };
            installs.push(spec);
        }
        out.push(SuiteEntry {
            script: base.join(script),
            expected: base.join(expected),
            caps,
            installs,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod stable_difference_tests {
    use super::first_stable_difference;

    #[test]
    fn responses_that_change_between_reference_runs_are_not_compared() {
        let reference = "a 9000\nr1 9000\nc 9000\n";
        let again = "a 9000\nr2 9000\nc 9000\n";
        // Line 2 is random on the reference engine: a third value there is
        // no difference; line 3 is stable, so a change there is.
        assert_eq!(
            first_stable_difference(reference, Some(again), "a 9000\nr3 9000\nc 9000\n"),
            None
        );
        assert_eq!(
            first_stable_difference(reference, Some(again), "a 9000\nr3 9000\nd 9000\n"),
            Some((3, "c 9000".to_string(), "d 9000".to_string()))
        );
        // Without a second run every line counts.
        assert_eq!(
            first_stable_difference(reference, None, "a 9000\nr3 9000\nc 9000\n"),
            Some((2, "r1 9000".to_string(), "r3 9000".to_string()))
        );
        // Different lengths: the plain first difference.
        assert_eq!(
            first_stable_difference(reference, Some(again), "a 9000\n"),
            Some((2, "r1 9000".to_string(), "<end of output>".to_string()))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::unhex;

    #[test]
    fn hex_with_separators_and_non_hex_input() {
        assert_eq!(unhex("A0 00:0b"), Some(vec![0xA0, 0x00, 0x0B]));
        assert_eq!(unhex(""), Some(vec![]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
        // A two-byte character where a digit pair would be sliced.
        assert_eq!(unhex("a\u{e9}b"), None);
    }
}
