//! `hydra-qemu-host`: runs the Hydra firmware for the MPS2 AN385 in
//! `qemu-system-arm` and talks to it.
//!
//! A [`Session`] starts QEMU with the firmware, UART0 on a unix socket that
//! speaks the vsmartcard vpcd framing (with its long-frame escape, so that
//! APDUs of every legal length pass: `hydra_vpcd::Framing::Long`), the NVM backed by a host file, and
//! optionally the `hydra-qemu-icount` plugin; it sends APDUs and returns the
//! responses with the exact number of guest instructions each one took,
//! split into buckets (interpreter, runtime, applet code, ...), and the
//! instructions of the card's check of every load file it loads
//! ([`Session::verifications`] at boot, [`Counts::verify`] in a LOAD).
//!
//! ```no_run
//! use hydra_qemu_host::{Artifacts, Config, Session};
//! # fn main() -> Result<(), hydra_qemu_host::Error> {
//! let art = Artifacts::build(std::path::Path::new("."), std::path::Path::new("target/qemu"))?;
//! let mut cfg = Config::new(&art.firmware);
//! cfg.plugin = Some(art.plugin.clone());
//! cfg.nvm = Some("card-nvm.bin".into());
//! cfg.packages.push("conformance/applets/arith/cap/arith.cap".into());
//! cfg.installs.push(hydra_qemu_host::Install {
//!     class_aid: vec![0xF0, 0x48, 0x59, 0x44, 0x52, 0x41, 0x01, 0x01],
//!     instance_aid: None,
//!     params: vec![],
//!     privileges: vec![],
//! });
//! let mut card = Session::start(&cfg)?;
//! let atr = card.power_on()?;
//! let ex = card.transmit(&[0x00, 0xA4, 0x04, 0x00, 0x08, 0xF0, 0x48, 0x59, 0x44, 0x52, 0x41, 0x01, 0x01])?;
//! println!("{atr:02x?} {:02x?} {:?}", ex.response, ex.counts);
//! card.stop();
//! # Ok(()) }
//! ```

pub mod counts;
mod heap;
pub mod meter_card;
pub mod profile;
pub mod script;
mod symbols;

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use counts::{CountParser, Counts, NvmCounts, Verification};
pub use heap::{heap_figures, HeapFigures};
use hydra_vpcd::Power;
pub use meter_card::MeterCard;
pub use profile::{Dispatch, GroupCount};
pub use symbols::{
    default_buckets, flat_profile, Bucket, FirmwareSymbols, NvmSymbols, VerifySymbols,
    BEGIN_MARKER, END_MARKER, NVM_BLOCK, NVM_WRITE_MARKER, VERIFY_BEGIN_MARKER, VERIFY_END_MARKER,
    VERIFY_UNTYPED_MARKER,
};

/// The Debian package that provides `qemu-system-arm`.
pub const QEMU_PACKAGE: &str = "qemu-system-arm";

/// Address of the package image area in PSRAM (see the board's memory map).
pub const PACKAGE_IMAGE_ADDR: u32 = 0x2180_0000;

/// Everything that can go wrong; each message says what to do or where to look.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found: install QEMU with `apt-get install {QEMU_PACKAGE}` (Debian package `{QEMU_PACKAGE}`)")]
    QemuMissing(String),
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error("firmware {path}: {what}")]
    Firmware { path: PathBuf, what: String },
    #[error("{0}")]
    Config(String),
    #[error("QEMU exited ({status}) {when}; its output:\n{output}")]
    Exited {
        status: String,
        when: String,
        output: String,
    },
    #[error("no answer from the firmware within {timeout:?} {when}; QEMU's output:\n{output}")]
    Timeout {
        timeout: Duration,
        when: String,
        output: String,
    },
    #[error("instruction counts: {0}")]
    Counts(String),
    #[error("building {what} failed:\n{output}")]
    Build { what: String, output: String },
    #[error("{path}:{line}: {what}")]
    Script {
        path: String,
        line: usize,
        what: String,
    },
}

impl Error {
    /// Whether QEMU stopped on a power cut of [`Config::cut`] (the board
    /// said so on its console), not on a fault.
    pub fn is_power_cut(&self) -> bool {
        matches!(self, Error::Exited { output, .. }
            if output.contains("hydra firmware: power cut at NVM write"))
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// An applet instance to create at boot (see [`Config::installs`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Install {
    pub class_aid: Vec<u8>,
    /// `None`: the class AID.
    pub instance_aid: Option<Vec<u8>>,
    pub params: Vec<u8>,
    /// GlobalPlatform privileges (empty: none).
    pub privileges: Vec<u8>,
}

/// Load order of the components in a component stream (JCVM 6.2); other
/// components follow in tag order.
const LOAD_ORDER: [u8; 12] = [1, 2, 4, 3, 6, 7, 8, 10, 5, 9, 11, 12];

/// A CAP file (JAR, component stream or folder) as a component stream.
pub fn component_stream(cap: &Path) -> Result<Vec<u8>> {
    let loaded = hydra_cap::container::read_path(cap)
        .map_err(|e| Error::Config(format!("CAP file {}: {e}", cap.display())))?;
    let mut comps = loaded.raw_components;
    comps.sort_by_key(|c| {
        let t = c.tag.to_u8();
        LOAD_ORDER
            .iter()
            .position(|&x| x == t)
            .unwrap_or(usize::from(t) + LOAD_ORDER.len())
    });
    Ok(comps.into_iter().flat_map(|c| c.bytes).collect())
}

/// The package image that loads `caps` and creates `installs` at boot
/// (format: `hydra_mps2_an385::image`).
pub fn package_image(caps: &[PathBuf], installs: &[Install]) -> Result<Vec<u8>> {
    package_image_with(caps, installs, &[])
}

/// [`package_image`] with native packages (`hydra-package` files, as
/// `hydra compile --emit package` writes them unsigned: the load file's
/// data block), placed first: the firmware loads each as its bytecode and,
/// with the native engine on, keeps its code in NVM.
pub fn package_image_with(
    caps: &[PathBuf],
    installs: &[Install],
    natives: &[PathBuf],
) -> Result<Vec<u8>> {
    use hydra_mps2_an385::image::{build, Entry};
    let mut packages = Vec::new();
    for n in natives {
        let bytes =
            std::fs::read(n).map_err(|e| Error::Io(format!("reading {}", n.display()), e))?;
        // A signed load file or the bare package.
        let block = match hydra_package::loadfile::split(&bytes) {
            Ok((_, block)) => block.to_vec(),
            Err(_) => bytes,
        };
        hydra_package::Package::parse(&block)
            .map_err(|e| Error::Config(format!("{}: {e}", n.display())))?;
        packages.push(block);
    }
    let streams = caps
        .iter()
        .map(|c| component_stream(c))
        .collect::<Result<Vec<_>>>()?;
    let mut entries: Vec<Entry> = packages.iter().map(|b| Entry::Native(b)).collect();
    entries.extend(streams.iter().map(|s| Entry::Cap(s)));
    for i in installs {
        entries.push(Entry::Install {
            class_aid: &i.class_aid,
            instance_aid: i.instance_aid.as_deref().unwrap_or(&[]),
            params: &i.params,
            privileges: &i.privileges,
        });
    }
    build(&entries).map_err(|e| Error::Config(format!("package image: {e}")))
}

/// The packages that the image of `caps` and `natives` (see
/// [`package_image_with`]) loads on a fresh card, in the order the card
/// loads and checks them: the native packages, then the CAP files of
/// packages not among them (the card skips a package it holds). Each by
/// its name (the Header's package name, else its AID in hex).
pub fn image_packages(caps: &[PathBuf], natives: &[PathBuf]) -> Result<Vec<String>> {
    let name_of = |h: &hydra_cap::component::Header| {
        h.package_name_str()
            .map(|n| n.replace('/', "."))
            .unwrap_or_else(|| hydra_host::hex(h.package.aid.as_bytes()))
    };
    let mut aids: Vec<Vec<u8>> = Vec::new();
    let mut names = Vec::new();
    for n in natives {
        let bytes =
            std::fs::read(n).map_err(|e| Error::Io(format!("reading {}", n.display()), e))?;
        let block = match hydra_package::loadfile::split(&bytes) {
            Ok((_, block)) => block,
            Err(_) => &bytes,
        };
        let p = hydra_package::Package::parse(block)
            .map_err(|e| Error::Config(format!("{}: {e}", n.display())))?;
        let cap = hydra_cap::CapFile::from_gp_load_file(p.load_file)
            .map_err(|e| Error::Config(format!("{}: {e}", n.display())))?;
        if !aids.iter().any(|a| a == p.aid) {
            aids.push(p.aid.to_vec());
            names.push(name_of(&cap.header));
        }
    }
    for c in caps {
        let cap = hydra_cap::container::read_path(c)
            .map_err(|e| Error::Config(format!("CAP file {}: {e}", c.display())))?
            .cap;
        let aid = cap.header.package.aid.as_bytes();
        if !aids.iter().any(|a| a == aid) {
            aids.push(aid.to_vec());
            names.push(name_of(&cap.header));
        }
    }
    Ok(names)
}

/// The boot checks of a session named by the packages of its image
/// ([`image_packages`]) when there is one check per package (a fresh
/// card); otherwise, when the card held some of them already, by their
/// order alone (`package N`), since which ones it skipped is its own.
pub fn name_verifications(packages: &[String], v: &[Verification]) -> Vec<(String, Verification)> {
    if packages.len() == v.len() {
        packages.iter().cloned().zip(v.iter().copied()).collect()
    } else {
        v.iter()
            .enumerate()
            .map(|(i, v)| (format!("package {} loaded at boot", i + 1), *v))
            .collect()
    }
}

/// 32 bytes from the operating system's random source, as 64 hex digits:
/// the emulated board's entropy (see the firmware's `board_entropy`).
fn entropy_seed() -> Result<String> {
    let mut seed = [0u8; 32];
    if !hydra_host::os_entropy(&mut seed) {
        return Err(Error::Config(
            "no random numbers from /dev/urandom for the emulated board's seed".into(),
        ));
    }
    Ok(seed.iter().map(|b| format!("{b:02x}")).collect())
}

/// How to start QEMU.
#[derive(Debug, Clone)]
pub struct Config {
    /// `qemu-system-arm`, searched on `PATH` unless it names a path.
    pub qemu: PathBuf,
    /// The firmware ELF (`hydra-mps2-an385` built for `thumbv7m-none-eabi`).
    pub firmware: PathBuf,
    /// The counting plugin (`libhydra_qemu_icount.so`); `None`: no counts.
    pub plugin: Option<PathBuf>,
    /// How counts are split (see [`default_buckets`]).
    pub buckets: Vec<Bucket>,
    /// The NVM file (created if missing); `None`: volatile NVM.
    pub nvm: Option<PathBuf>,
    /// CAP files loaded at boot (unless already on the card), in order.
    pub packages: Vec<PathBuf>,
    /// Applet instances created at boot (unless already registered).
    pub installs: Vec<Install>,
    /// Run the board-test loopback card instead of the Java Card runtime.
    pub loopback: bool,
    /// The card manager accepts only load files its verifier type-checked
    /// (`hydra_runtime::load_check::VerifyLoads::Always`).
    pub verify_all_loads: bool,
    /// A power cut at the firmware's K-th NVM write once it serves (from
    /// 1), torn (half its bytes written) or clean (`false`, before it
    /// begins): the board then stops, the NVM file as left
    /// ([`Error::is_power_cut`]).
    pub cut: Option<(u32, bool)>,
    /// Bytes that one NVM program operation writes, for the plugin's block
    /// count (default [`NVM_BLOCK`]).
    pub nvm_block: u64,
    /// Files placed in guest memory by QEMU's generic loader, at an address.
    pub images: Vec<(PathBuf, u32)>,
    /// Native packages in the image (see [`package_image_with`]).
    pub natives: Vec<PathBuf>,
    /// The firmware's native engine: native packages keep their code and
    /// run it, which counts in the `applet` bucket (the code runs from the
    /// NVM mirror, where nothing else executes). Off: they run as their
    /// bytecode.
    pub native: bool,
    /// Personalise the ISD with this DAP key (uncompressed P-256 point),
    /// with Mandated DAP.
    pub dap_key: Option<Vec<u8>>,
    /// How long to wait for QEMU to come up and for each answer.
    pub timeout: Duration,
    /// The card's execution budget per applet entry; `None`: the
    /// runtime's default.
    pub budget: Option<u64>,
    /// With `plugin`: also count executed bytecodes and their instructions
    /// by opcode group ([`Counts::bytecodes`]; slower).
    pub profile: bool,
    /// With `plugin`: also count the instruction mix ([`Counts::mix`]:
    /// loads, stores, multiplies, divides, branches taken...; slower).
    pub mix: bool,
    /// With `plugin`: write the executed count of every instruction address
    /// over the whole run to this file when QEMU exits (see
    /// [`flat_profile`]).
    pub pcs: Option<PathBuf>,
}

impl Config {
    pub fn new(firmware: impl Into<PathBuf>) -> Config {
        Config {
            qemu: PathBuf::from("qemu-system-arm"),
            firmware: firmware.into(),
            plugin: None,
            buckets: default_buckets(),
            nvm: None,
            packages: Vec::new(),
            installs: Vec::new(),
            loopback: false,
            verify_all_loads: false,
            images: Vec::new(),
            natives: Vec::new(),
            native: false,
            dap_key: None,
            timeout: Duration::from_secs(60),
            budget: None,
            profile: false,
            pcs: None,
            mix: false,
            cut: None,
            nvm_block: symbols::NVM_BLOCK,
        }
    }
}

/// One command and what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The response APDU: data, SW1, SW2.
    pub response: Vec<u8>,
    /// Set when the session counts instructions.
    pub counts: Option<Counts>,
}

/// Finds `qemu-system-arm`, or says which package to install.
pub fn find_qemu(qemu: &Path) -> Result<PathBuf> {
    if qemu.components().count() > 1 {
        return if qemu.is_file() {
            Ok(qemu.to_path_buf())
        } else {
            Err(Error::QemuMissing(qemu.display().to_string()))
        };
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(qemu))
        .find(|p| p.is_file())
        .ok_or_else(|| Error::QemuMissing(format!("{} (not on PATH)", qemu.display())))
}

/// Where the firmware and the plugin are built and cached for the
/// workspace at `workspace`: `$HYDRA_QEMU_TARGET_DIR`, else
/// `target/qemu-host` inside it.
pub fn artifacts_dir(workspace: &Path) -> PathBuf {
    std::env::var_os("HYDRA_QEMU_TARGET_DIR")
        .map_or(workspace.join("target/qemu-host"), PathBuf::from)
}

/// The firmware and the plugin, built.
#[derive(Debug, Clone)]
pub struct Artifacts {
    pub firmware: PathBuf,
    pub plugin: PathBuf,
}

/// The cargo profile the meter firmware is built with (see the workspace
/// `Cargo.toml`: one LTO unit, built for size but for the hot crates).
pub const FIRMWARE_PROFILE: &str = "firmware";

impl Artifacts {
    /// Where [`Artifacts::build`] puts the firmware and the plugin in
    /// `target_dir`.
    pub fn in_dir(target_dir: &Path) -> Artifacts {
        Artifacts {
            firmware: target_dir
                .join("thumbv7m-none-eabi")
                .join(FIRMWARE_PROFILE)
                .join("hydra-mps2-an385"),
            plugin: target_dir.join("release/libhydra_qemu_icount.so"),
        }
    }

    /// Builds the firmware ([`FIRMWARE_PROFILE`], `thumbv7m-none-eabi`) and the plugin
    /// (release, host) with cargo in the workspace at `workspace`, into
    /// `target_dir`. Cargo is `$CARGO` if set, else `cargo`.
    pub fn build(workspace: &Path, target_dir: &Path) -> Result<Artifacts> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let run = |what: &str, args: &[&str]| -> Result<()> {
            let out = Command::new(&cargo)
                .current_dir(workspace)
                .args(args)
                .arg("--target-dir")
                .arg(target_dir)
                .output()
                .map_err(|e| Error::Io(format!("running {}", Path::new(&cargo).display()), e))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(Error::Build {
                    what: what.into(),
                    output: String::from_utf8_lossy(&out.stderr).into_owned(),
                })
            }
        };
        run(
            "the firmware",
            &[
                "build",
                "--profile",
                FIRMWARE_PROFILE,
                "-p",
                "hydra-mps2-an385",
                "--target",
                "thumbv7m-none-eabi",
            ],
        )?;
        run(
            "the counting plugin",
            &["build", "--release", "-p", "hydra-qemu-icount"],
        )?;
        Ok(Artifacts::in_dir(target_dir))
    }
}

/// QEMU option values double their commas.
fn opt_escape(p: &Path) -> String {
    p.display().to_string().replace(',', ",,")
}

/// Reads the plugin's output file as it grows.
struct CountsFile {
    path: PathBuf,
    file: Option<File>,
    text: String,
    parser: CountParser,
    dispatch: Option<Dispatch>,
}

impl CountsFile {
    /// The complete lines written since the last call.
    fn new_lines(&mut self) -> Result<Vec<String>> {
        if self.file.is_none() {
            self.file = Some(
                File::open(&self.path)
                    .map_err(|e| Error::Io(format!("opening {}", self.path.display()), e))?,
            );
        }
        if let Some(f) = self.file.as_mut() {
            f.read_to_string(&mut self.text)
                .map_err(|e| Error::Io(format!("reading {}", self.path.display()), e))?;
        }
        let Some(last_nl) = self.text.rfind('\n') else {
            return Ok(Vec::new());
        };
        let rest = self.text.split_off(last_nl + 1);
        let done = std::mem::replace(&mut self.text, rest);
        Ok(done.lines().map(str::to_string).collect())
    }

    /// The checks of load files outside the APDU windows read so far.
    fn outside(&mut self) -> Result<Vec<Verification>> {
        for line in self.new_lines()? {
            if self.parser.line(&line)?.is_some() {
                return Err(Error::Counts(
                    "the plugin closed an APDU window for no APDU sent".into(),
                ));
            }
        }
        Ok(self.parser.take_outside())
    }

    /// The counts of the next APDU window.
    fn next_apdu(&mut self) -> Result<Counts> {
        let mut found = None;
        for line in self.new_lines()? {
            if let Some(w) = self.parser.line(&line)? {
                found = Some(w);
            }
        }
        let w =
            found.ok_or_else(|| Error::Counts("the plugin wrote no count for this APDU".into()))?;
        let mut counts = w.counts;
        if let Some(d) = &self.dispatch {
            counts.bytecodes = d.groups(&w.arms);
        }
        Ok(counts)
    }
}

/// A running QEMU with the firmware.
pub struct Session {
    child: Child,
    link: UnixStream,
    log: PathBuf,
    counts: Option<CountsFile>,
    timeout: Duration,
    // Last: removed after QEMU is gone.
    _dir: tempfile::TempDir,
}

impl Session {
    /// Starts QEMU and waits until the firmware's UART0 is connected.
    pub fn start(cfg: &Config) -> Result<Session> {
        let qemu = find_qemu(&cfg.qemu)?;
        if !cfg.firmware.is_file() {
            return Err(Error::Firmware {
                path: cfg.firmware.clone(),
                what: "no such file".into(),
            });
        }
        let dir = tempfile::Builder::new()
            .prefix("hydra-qemu-")
            .tempdir()
            .map_err(|e| Error::Io("creating a temporary directory".into(), e))?;
        let sock = dir.path().join("uart0.sock");
        let log = dir.path().join("qemu.log");
        let listener = UnixListener::bind(&sock)
            .map_err(|e| Error::Io(format!("binding {}", sock.display()), e))?;

        let mut semihosting = String::from("enable=on,target=native,arg=hydra");
        if let Some(nvm) = &cfg.nvm {
            let nvm = std::path::absolute(nvm)
                .map_err(|e| Error::Io(format!("resolving {}", nvm.display()), e))?;
            if nvm.to_string_lossy().contains(' ') {
                return Err(Error::Config(format!(
                    "NVM file path must not contain spaces: {}",
                    nvm.display()
                )));
            }
            semihosting.push_str(",arg=nvm=");
            semihosting.push_str(&opt_escape(&nvm));
        }
        if cfg.loopback {
            semihosting.push_str(",arg=card=loopback");
        }
        if cfg.native {
            semihosting.push_str(",arg=native=on");
        }
        if let Some(k) = &cfg.dap_key {
            semihosting.push_str(",arg=dapkey=");
            semihosting.push_str(&k.iter().map(|b| format!("{b:02x}")).collect::<String>());
        }
        if cfg.verify_all_loads {
            semihosting.push_str(",arg=verify=always");
        }
        if let Some(b) = cfg.budget {
            semihosting.push_str(&format!(",arg=budget={b}"));
        }
        if let Some((k, torn)) = cfg.cut {
            let key = if torn { "cut" } else { "cleancut" };
            semihosting.push_str(&format!(",arg={key}={k}"));
        }
        // The board has no TRNG: its entropy comes from this host's.
        semihosting.push_str(",arg=seed=");
        semihosting.push_str(&entropy_seed()?);
        let mut cmd = Command::new(&qemu);
        cmd.args([
            "-M",
            "mps2-an385",
            "-nographic",
            "-monitor",
            "none",
            "-kernel",
        ])
        .arg(&cfg.firmware)
        .arg("-chardev")
        .arg(format!("socket,id=uart0,path={}", opt_escape(&sock)))
        .args(["-serial", "chardev:uart0", "-semihosting-config"])
        .arg(semihosting);
        if !cfg.packages.is_empty() || !cfg.installs.is_empty() || !cfg.natives.is_empty() {
            let img = dir.path().join("packages.img");
            let bytes = package_image_with(&cfg.packages, &cfg.installs, &cfg.natives)?;
            std::fs::write(&img, bytes)
                .map_err(|e| Error::Io(format!("writing {}", img.display()), e))?;
            cmd.arg("-device").arg(format!(
                "loader,file={},addr={PACKAGE_IMAGE_ADDR:#x},force-raw=on",
                opt_escape(&img)
            ));
        }
        for (file, addr) in &cfg.images {
            cmd.arg("-device").arg(format!(
                "loader,file={},addr={addr:#x},force-raw=on",
                opt_escape(file)
            ));
        }
        let mut counts = None;
        if let Some(plugin) = &cfg.plugin {
            let syms = FirmwareSymbols::read(&cfg.firmware)?;
            let map = dir.path().join("count.map");
            let mut buckets = cfg.buckets.clone();
            if let (Some(b), Some(nvm)) = (
                buckets.iter_mut().find(|b| b.name == "applet"),
                syms.nvm.as_ref().filter(|_| cfg.native),
            ) {
                b.ranges.push((nvm.start, nvm.end));
            }
            std::fs::write(&map, syms.count_map(&buckets, cfg.nvm_block))
                .map_err(|e| Error::Io(format!("writing {}", map.display()), e))?;
            let out = dir.path().join("counts.txt");
            let mut plugin_arg = format!(
                "{},map={},out={}",
                opt_escape(plugin),
                opt_escape(&map),
                opt_escape(&out)
            );
            let dispatch = if cfg.profile {
                let d = Dispatch::read(&cfg.firmware)?;
                for addr in &d.addrs {
                    plugin_arg.push_str(&format!(",dispatch={addr:#x}"));
                }
                for (lo, hi) in &d.stop {
                    plugin_arg.push_str(&format!(",stop={lo:#x}-{hi:#x}"));
                }
                Some(d)
            } else {
                None
            };
            if cfg.mix {
                plugin_arg.push_str(",mix=on");
            }
            if let Some(p) = &cfg.pcs {
                plugin_arg.push_str(&format!(",pcs={}", opt_escape(p)));
            }
            cmd.arg("-plugin").arg(plugin_arg);
            counts = Some(CountsFile {
                path: out,
                file: None,
                text: String::new(),
                parser: CountParser::default(),
                dispatch,
            });
        }
        let log_file =
            File::create(&log).map_err(|e| Error::Io(format!("creating {}", log.display()), e))?;
        let log_err = log_file
            .try_clone()
            .map_err(|e| Error::Io("duplicating a file handle".into(), e))?;
        cmd.stdin(Stdio::null()).stdout(log_file).stderr(log_err);
        let mut child = cmd.spawn().map_err(|e| match e.kind() {
            ErrorKind::NotFound => Error::QemuMissing(qemu.display().to_string()),
            _ => Error::Io(format!("starting {}", qemu.display()), e),
        })?;

        listener
            .set_nonblocking(true)
            .map_err(|e| Error::Io("configuring the UART socket".into(), e))?;
        let deadline = Instant::now() + cfg.timeout;
        let link = loop {
            match listener.accept() {
                Ok((s, _)) => break s,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if let Ok(Some(status)) = child.try_wait() {
                        return Err(Error::Exited {
                            status: status.to_string(),
                            when: "before connecting UART0".into(),
                            output: std::fs::read_to_string(&log).unwrap_or_default(),
                        });
                    }
                    if Instant::now() > deadline {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Err(Error::Timeout {
                            timeout: cfg.timeout,
                            when: "for QEMU to connect UART0".into(),
                            output: std::fs::read_to_string(&log).unwrap_or_default(),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(Error::Io("accepting the UART connection".into(), e)),
            }
        };
        link.set_nonblocking(false)
            .map_err(|e| Error::Io("configuring the UART socket".into(), e))?;
        link.set_read_timeout(Some(cfg.timeout))
            .map_err(|e| Error::Io("configuring the UART socket".into(), e))?;
        Ok(Session {
            child,
            link,
            log,
            counts,
            timeout: cfg.timeout,
            _dir: dir,
        })
    }

    /// What QEMU printed so far (semihosting reports, QEMU's own errors).
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn link_error(&mut self, e: std::io::Error, when: &str) -> Error {
        if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) {
            return Error::Timeout {
                timeout: self.timeout,
                when: when.into(),
                output: self.output(),
            };
        }
        // A closed link: wait a little for QEMU to finish exiting.
        for _ in 0..200 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Error::Exited {
                    status: status.to_string(),
                    when: when.into(),
                    output: self.output(),
                };
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Error::Io(format!("UART0 link {when}"), e)
    }

    fn send_frame(&mut self, payload: &[u8]) -> Result<()> {
        if payload.len() > hydra_vpcd::MAX_LONG_FRAME {
            return Err(Error::Config(format!(
                "APDU of {} bytes, longer than any ({} at most)",
                payload.len(),
                hydra_vpcd::MAX_LONG_FRAME
            )));
        }
        let mut frame = Vec::with_capacity(payload.len() + 6);
        match u16::try_from(payload.len()) {
            Ok(n) if n != hydra_vpcd::LONG_ESCAPE => frame.extend_from_slice(&n.to_be_bytes()),
            _ => {
                frame.extend_from_slice(&hydra_vpcd::LONG_ESCAPE.to_be_bytes());
                frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
            }
        }
        frame.extend_from_slice(payload);
        let r = self.link.write_all(&frame);
        r.map_err(|e| self.link_error(e, "while sending"))
    }

    fn recv_frame(&mut self) -> Result<Vec<u8>> {
        let mut len = [0u8; 2];
        let r = self.link.read_exact(&mut len);
        r.map_err(|e| self.link_error(e, "while waiting for an answer"))?;
        let mut n = usize::from(u16::from_be_bytes(len));
        if n == usize::from(hydra_vpcd::LONG_ESCAPE) {
            let mut long = [0u8; 4];
            let r = self.link.read_exact(&mut long);
            r.map_err(|e| self.link_error(e, "while reading an answer"))?;
            n = u32::from_be_bytes(long) as usize;
            // The longest response: 65,536 data bytes and the SW.
            if n > 65_538 {
                return Err(Error::Config(format!(
                    "the firmware framed an answer of {n} bytes, longer than any response APDU"
                )));
            }
        }
        let mut data = vec![0u8; n];
        let r = self.link.read_exact(&mut data);
        r.map_err(|e| self.link_error(e, "while reading an answer"))?;
        Ok(data)
    }

    /// The ATR (vpcd control `04`).
    pub fn atr(&mut self) -> Result<Vec<u8>> {
        self.send_frame(&[hydra_vpcd::GET_ATR])?;
        self.recv_frame()
    }

    /// Powers the card on (control `01`) and returns its ATR.
    pub fn power_on(&mut self) -> Result<Vec<u8>> {
        self.power(Power::On)?;
        self.atr()
    }

    /// Resets the card (control `02`) and returns its ATR.
    pub fn reset(&mut self) -> Result<Vec<u8>> {
        self.power(Power::Reset)?;
        self.atr()
    }

    /// Powers the card off (control `00`).
    pub fn power_off(&mut self) -> Result<()> {
        self.power(Power::Off)
    }

    /// Sends a power event (control `00`, `01` or `02`); none is answered.
    pub fn power(&mut self, event: Power) -> Result<()> {
        self.send_frame(&[match event {
            Power::Off => hydra_vpcd::POWER_OFF,
            Power::On => hydra_vpcd::POWER_ON,
            Power::Reset => hydra_vpcd::RESET,
        }])
    }

    /// Sends a command APDU (at least 2 bytes: 1-byte frames are control
    /// frames in vpcd) and returns the response and, when counting, the
    /// instructions the firmware executed for it.
    pub fn transmit(&mut self, apdu: &[u8]) -> Result<Exchange> {
        if apdu.len() < 2 {
            return Err(Error::Config(format!(
                "APDU {apdu:02X?} is too short for vpcd framing"
            )));
        }
        self.send_frame(apdu)?;
        let response = self.recv_frame()?;
        // The plugin writes and flushes the window's line in the end
        // marker, before the firmware sends the first response byte.
        let counts = match self.counts.as_mut() {
            Some(c) => Some(c.next_apdu()?),
            None => None,
        };
        Ok(Exchange { response, counts })
    }

    /// The checks of load files that ran outside the APDU windows since
    /// the last call, in order: at boot, one per package of the factory
    /// image that the card loaded (those already on the card are not
    /// checked again). Complete once the firmware has answered anything
    /// (it loads the image before it serves). Empty without counting, or
    /// with a firmware without the verification markers.
    pub fn verifications(&mut self) -> Result<Vec<Verification>> {
        match self.counts.as_mut() {
            Some(c) => c.outside(),
            None => Ok(Vec::new()),
        }
    }

    /// Stops QEMU (the NVM file already holds every completed write) and
    /// returns what it printed.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.output()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
