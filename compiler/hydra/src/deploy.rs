//! `hydra deploy`: packages and CAP files onto a card through PC/SC, as a
//! GlobalPlatform client (see `gp`): LOAD and INSTALL, GET STATUS, DELETE,
//! and PUT KEY of the ISD's DAP verification key.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hydra::error::CliError;
use hydra_cap::CapFile;
use hydra_runtime::cardmgr::scp03::StaticKeys;

use crate::gp::{self, hex, Client, Entry, GpError, Level, Subset, Transport};

#[derive(clap::Args)]
pub struct DeployArgs {
    /// Package files (`hydra compile --emit package`) or CAP files to load,
    /// in dependency order.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Use the reader whose name contains NAME (default: the first reader
    /// with a card).
    #[arg(long, value_name = "NAME")]
    reader: Option<String>,
    /// One AES key (hex) for ENC, MAC and DEK (default: the GP test key
    /// 404142...4F).
    #[arg(long, value_name = "HEX", conflicts_with_all = ["key_enc", "key_mac", "key_dek"])]
    key: Option<String>,
    /// The ENC key (hex); with --key-mac and --key-dek.
    #[arg(long, value_name = "HEX", requires_all = ["key_mac", "key_dek"])]
    key_enc: Option<String>,
    /// The MAC key (hex).
    #[arg(long, value_name = "HEX", requires_all = ["key_enc", "key_dek"])]
    key_mac: Option<String>,
    /// The DEK key (hex).
    #[arg(long, value_name = "HEX", requires_all = ["key_enc", "key_mac"])]
    key_dek: Option<String>,
    /// Key version number (decimal, or hex with 0x); 0: any.
    #[arg(long, value_name = "N", default_value = "0", value_parser = parse_kvn)]
    kvn: u8,
    /// Secure channel level: C-MAC, or C-MAC and command encryption.
    #[arg(long, value_enum, default_value_t = LevelArg::Mac)]
    level: LevelArg,
    /// Install an applet: CLASS_AID[:INSTANCE_AID[:PARAMS[:PRIVILEGES]]]
    /// (hex; the parameters are C9's value, the privileges GP's 1 or 3
    /// bytes, default none). Repeatable; without any, every applet of the
    /// files is installed.
    #[arg(
        long = "install",
        value_name = "CLASS_AID[:INSTANCE_AID[:PARAMS[:PRIVILEGES]]]"
    )]
    installs: Vec<String>,
    /// The security domain to select (default: what a SELECT without data
    /// selects, else A000000151000000).
    #[arg(long, value_name = "AID")]
    sd: Option<String>,
    /// List the card's ISD, applications and load files.
    #[arg(long)]
    list: bool,
    /// Delete a package with its applications, or an application
    /// (repeatable; before loading).
    #[arg(long = "delete", value_name = "AID")]
    deletes: Vec<String>,
    /// Make the ISD verify DAP signatures with this P-256 public key (PEM).
    #[arg(long, value_name = "FILE.pub")]
    put_dap_key: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LevelArg {
    Mac,
    Enc,
}

fn parse_kvn(s: &str) -> Result<u8, String> {
    let n = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u8::from_str_radix(h, 16),
        None => s.parse::<u8>(),
    };
    n.map_err(|_| format!("{s:?} is not a key version 0..=255 (decimal or 0x hex)"))
}

/// Hex digits to bytes.
pub fn parse_hex(what: &str, s: &str) -> Result<Vec<u8>, CliError> {
    hydra_host::unhex(s).ok_or_else(|| CliError::Usage(format!("{what}: {s:?} is not hex bytes")))
}

fn parse_aid(what: &str, s: &str) -> Result<Vec<u8>, CliError> {
    hydra_host::unhex_aid(s).ok_or_else(|| {
        CliError::Usage(format!("{what}: {s} is not an AID of 5 to 16 bytes in hex"))
    })
}

/// A load file read from a package or CAP file.
#[derive(Debug, Clone)]
pub struct LoadFile {
    pub aid: Vec<u8>,
    pub version: (u8, u8),
    /// Class AIDs of the applets it declares.
    pub applets: Vec<Vec<u8>>,
    /// DAP blocks: security domain AID, signature.
    pub daps: Vec<(Vec<u8>, Vec<u8>)>,
    /// The load file data block.
    pub block: Vec<u8>,
}

impl LoadFile {
    /// The load file LOAD carries to a card whose ISD is `isd`: a DAP
    /// block made for another security domain AID names the ISD instead
    /// (the signature covers the data block only).
    pub fn bytes_for(&self, isd: &[u8]) -> Vec<u8> {
        let daps: Vec<(&[u8], &[u8])> = self
            .daps
            .iter()
            .map(|(_, sig)| (isd, sig.as_slice()))
            .collect();
        hydra_package::loadfile::build(&daps, &self.block)
    }
}

fn applets_of(cap: &CapFile) -> Vec<Vec<u8>> {
    cap.applet
        .as_ref()
        .map(|a| {
            a.applets
                .iter()
                .map(|x| x.aid.as_bytes().to_vec())
                .collect()
        })
        .unwrap_or_default()
}

/// Reads a `.cap` file (its load file: every component in load order,
/// Descriptor included, so the card can verify it) or a package file
/// (`[E2 DAP]... C4 data block`, the data block a native package or a
/// bytecode load file).
pub fn read_load_file(path: &Path) -> Result<LoadFile, CliError> {
    let name = path.display().to_string();
    let io = |message: String| CliError::Io {
        path: name.clone(),
        message,
    };
    let is_cap = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("cap"));
    if is_cap {
        let cap = hydra_cap::container::read_path(path)?.cap;
        let block = cap.to_load_file(false).map_err(|e| io(e.to_string()))?;
        let h = &cap.header.package;
        return Ok(LoadFile {
            aid: h.aid.as_bytes().to_vec(),
            version: (h.major, h.minor),
            applets: applets_of(&cap),
            daps: Vec::new(),
            block,
        });
    }
    let bytes = std::fs::read(path).map_err(|e| io(e.to_string()))?;
    let (daps, block) = hydra_package::loadfile::split(&bytes).map_err(|e| io(e.to_string()))?;
    let daps = daps
        .iter()
        .map(|d| (d.sd_aid.to_vec(), d.signature.to_vec()))
        .collect();
    let (aid, version, applets) = if hydra_package::is_package(block) {
        let p = hydra_package::Package::parse(block).map_err(|e| io(e.to_string()))?;
        let cap = CapFile::from_gp_load_file(p.load_file)
            .map_err(|e| io(format!("the package's load file: {e}")))?;
        (p.aid.to_vec(), p.version, applets_of(&cap))
    } else {
        let cap = CapFile::from_gp_load_file(block).map_err(|e| io(e.to_string()))?;
        let h = &cap.header.package;
        (
            h.aid.as_bytes().to_vec(),
            (h.major, h.minor),
            applets_of(&cap),
        )
    };
    Ok(LoadFile {
        aid,
        version,
        applets,
        daps,
        block: block.to_vec(),
    })
}

/// One `--install`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallReq {
    pub class: Vec<u8>,
    /// The instance AID; none: the class AID.
    pub instance: Option<Vec<u8>>,
    pub params: Vec<u8>,
    /// GlobalPlatform privileges, 1 or 3 bytes (GP 2.3.1 Table 6-1).
    pub privileges: Vec<u8>,
}

/// One instance to install: class, instance AID, parameters, privileges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub class: Vec<u8>,
    pub aid: Vec<u8>,
    pub params: Vec<u8>,
    pub privileges: Vec<u8>,
}

impl InstallReq {
    /// `CLASS_AID[:INSTANCE_AID[:PARAMS[:PRIVILEGES]]]`; an empty instance
    /// AID is the class AID, empty privileges are none.
    pub fn parse(s: &str) -> Result<InstallReq, CliError> {
        let mut parts = s.split(':');
        let class = parse_aid("--install class AID", parts.next().unwrap_or(""))?;
        let instance = match parts.next() {
            None | Some("") => None,
            Some(i) => Some(parse_aid("--install instance AID", i)?),
        };
        let params = match parts.next() {
            None => Vec::new(),
            Some(p) => parse_hex("--install parameters", p)?,
        };
        let privileges = match parts.next() {
            None | Some("") => vec![0x00],
            Some(p) => parse_hex("--install privileges", p)?,
        };
        if ![1, 3].contains(&privileges.len()) {
            return Err(CliError::Usage(format!(
                "--install {s}: privileges are 1 or 3 bytes in hex"
            )));
        }
        if parts.next().is_some() {
            return Err(CliError::Usage(format!(
                "--install {s}: more than CLASS_AID:INSTANCE_AID:PARAMS:PRIVILEGES"
            )));
        }
        Ok(InstallReq {
            class,
            instance,
            params,
            privileges,
        })
    }
}

/// What one `hydra deploy` does, in this order: PUT KEY, DELETEs, each
/// file's load and installs, then the list.
pub struct Plan {
    pub files: Vec<LoadFile>,
    pub installs: Vec<InstallReq>,
    pub deletes: Vec<Vec<u8>>,
    pub dap_key: Option<[u8; 65]>,
    pub list: bool,
    pub keys: StaticKeys,
    pub kvn: u8,
    pub level: Level,
    pub sd: Option<Vec<u8>>,
}

/// 12345 as "12,345".
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn took(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

fn apdus(n: u64) -> String {
    if n == 1 {
        "1 APDU".into()
    } else {
        format!("{n} APDUs")
    }
}

/// A step's APDU count and time, measured from where it started.
struct Step {
    apdus: u64,
    at: Instant,
}

impl Step {
    fn start<T: Transport>(c: &Client<T>) -> Step {
        Step {
            apdus: c.apdus,
            at: Instant::now(),
        }
    }

    fn end<T: Transport>(&self, c: &Client<T>) -> String {
        format!(
            "{}, {}",
            apdus(c.apdus - self.apdus),
            took(self.at.elapsed())
        )
    }
}

fn progress_bar(show: bool, blocks: usize, aid: &[u8]) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(blocks as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("LOAD {msg} [{bar:40}] {pos}/{len} blocks")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(hex(aid));
    bar
}

/// Runs a plan on a card; `out` gets one line per step (and the list's
/// table); `progress`: a bar over the LOAD blocks on stderr.
pub fn execute<T: Transport>(
    c: &mut Client<T>,
    plan: &Plan,
    out: &mut dyn FnMut(String),
    progress: bool,
) -> Result<(), GpError> {
    let step = Step::start(c);
    let isd = c.select_isd(plan.sd.as_deref())?;
    let mut challenge = [0u8; 8];
    if !hydra_host::os_entropy(&mut challenge) {
        return Err(GpError::Transport(
            "no random host challenge: /dev/urandom cannot be read".into(),
        ));
    }
    let ch = c.open(&plan.keys, plan.kvn, plan.level, challenge)?;
    out(format!(
        "selected ISD {}, SCP03 key version {:02X} at {} ({})",
        hex(&isd),
        ch.kvn,
        plan.level.name(),
        step.end(c)
    ));

    if let Some(key) = &plan.dap_key {
        let step = Step::start(c);
        c.put_dap_key(key)?;
        out(format!(
            "put the DAP key (P-256, key version {:02X}) into ISD {} ({})",
            gp::DAP_KVN,
            hex(&isd),
            step.end(c)
        ));
    }

    for aid in &plan.deletes {
        let step = Step::start(c);
        c.delete(aid)?;
        out(format!("deleted {} ({})", hex(aid), step.end(c)));
    }

    for (i, f) in plan.files.iter().enumerate() {
        let step = Step::start(c);
        let bytes = f.bytes_for(&isd);
        let hash = hydra_package::dap::load_file_hash(&f.block);
        c.install_for_load(&f.aid, &isd, &hash)?;
        let total = bytes.len().div_ceil(plan.level.block_size());
        let bar = progress_bar(progress, total, &f.aid);
        let loaded = c.load(&bytes, &mut |done, _| bar.set_position(done as u64));
        bar.finish_and_clear();
        let blocks = loaded?;
        out(format!(
            "loaded {} {}.{} ({} bytes in {blocks} blocks, {})",
            hex(&f.aid),
            f.version.0,
            f.version.1,
            thousands(bytes.len()),
            step.end(c)
        ));
        for inst in installs_of(plan, i) {
            let step = Step::start(c);
            c.install(&f.aid, &inst)?;
            let privileges = match privilege_names(&inst.privileges).as_str() {
                "-" => String::new(),
                names => format!(", privileges {names}"),
            };
            out(format!(
                "installed {} from {}{privileges} ({})",
                hex(&inst.aid),
                hex(&f.aid),
                step.end(c)
            ));
        }
    }

    if plan.list {
        let mut rows = Vec::new();
        for subset in [Subset::Isd, Subset::Applications, Subset::LoadFiles] {
            for e in c.status(subset)? {
                rows.push(row(subset, &e));
            }
        }
        for line in table(&rows) {
            out(line);
        }
    }
    Ok(())
}

/// The instances to install from the plan's file `i`: the `--install`s
/// whose class it declares (one no file declares goes with the last file),
/// or without any `--install` every applet it declares, without
/// parameters or privileges.
fn installs_of(plan: &Plan, i: usize) -> Vec<Instance> {
    let f = &plan.files[i];
    if plan.installs.is_empty() {
        return f
            .applets
            .iter()
            .map(|a| Instance {
                class: a.clone(),
                aid: a.clone(),
                params: Vec::new(),
                privileges: vec![0x00],
            })
            .collect();
    }
    let last = plan.files.len() - 1;
    plan.installs
        .iter()
        .filter(|r| {
            let owner = plan
                .files
                .iter()
                .position(|f| f.applets.contains(&r.class))
                .unwrap_or(last);
            owner == i
        })
        .map(|r| Instance {
            class: r.class.clone(),
            aid: r.instance.clone().unwrap_or_else(|| r.class.clone()),
            params: r.params.clone(),
            privileges: r.privileges.clone(),
        })
        .collect()
}

/// GP 2.3.1 Table 6-1, byte by byte, most significant bit first.
const PRIVILEGES: [[&str; 8]; 3] = [
    [
        "SecurityDomain",
        "DAPVerification",
        "DelegatedManagement",
        "CardLock",
        "CardTerminate",
        "CardReset",
        "CVMManagement",
        "MandatedDAPVerification",
    ],
    [
        "TrustedPath",
        "AuthorizedManagement",
        "TokenVerification",
        "GlobalDelete",
        "GlobalLock",
        "GlobalRegistry",
        "FinalApplication",
        "GlobalService",
    ],
    [
        "ReceiptGeneration",
        "CipheredLoadFileDataBlock",
        "ContactlessActivation",
        "ContactlessSelfActivation",
        "",
        "",
        "",
        "",
    ],
];

fn privilege_names(p: &[u8]) -> String {
    let mut names = Vec::new();
    for (byte, table) in p.iter().zip(PRIVILEGES.iter()) {
        for (bit, name) in table.iter().enumerate() {
            if byte & (0x80 >> bit) != 0 {
                names.push(if name.is_empty() {
                    "RFU".to_string()
                } else {
                    name.to_string()
                });
            }
        }
    }
    if names.is_empty() {
        "-".into()
    } else {
        names.join(", ")
    }
}

/// A life cycle state's name (GP 2.3.1 §11.1.1: the card's for the ISD,
/// an application's, a load file's).
fn life_cycle(subset: Subset, lc: u8) -> String {
    let name = match (subset, lc) {
        (Subset::Isd, 0x01) => "OP_READY",
        (Subset::Isd, 0x07) => "INITIALIZED",
        (Subset::Isd, 0x0F) => "SECURED",
        (Subset::Isd, 0x7F) => "CARD_LOCKED",
        (Subset::Isd, 0xFF) => "TERMINATED",
        (Subset::Applications, 0x03) => "INSTALLED",
        (Subset::Applications, 0x07) => "SELECTABLE",
        (Subset::Applications, 0x0F) => "PERSONALIZED",
        (Subset::Applications, x) if x & 0x80 != 0 => "LOCKED",
        (Subset::Applications, x) if x & 0x07 == 0x07 => {
            return format!("SELECTABLE ({x:02X})");
        }
        (Subset::LoadFiles, 0x01) => "LOADED",
        _ => return format!("{lc:02X}"),
    };
    name.into()
}

fn row(subset: Subset, e: &Entry) -> [String; 5] {
    let kind = match subset {
        Subset::Isd => "ISD",
        Subset::Applications => "APP",
        Subset::LoadFiles => "PKG",
    };
    let more = match subset {
        Subset::Applications => e
            .load_file
            .as_ref()
            .map(|p| format!("from {}", hex(p)))
            .unwrap_or_default(),
        Subset::LoadFiles => match e.version.as_deref() {
            Some([major, minor]) => format!("version {major}.{minor}"),
            _ => String::new(),
        },
        Subset::Isd => String::new(),
    };
    let privileges = match subset {
        Subset::LoadFiles => String::new(),
        _ => privilege_names(&e.privileges),
    };
    [
        kind.into(),
        hex(&e.aid),
        life_cycle(subset, e.life_cycle),
        more,
        privileges,
    ]
}

/// The list as aligned columns under a header.
fn table(rows: &[[String; 5]]) -> Vec<String> {
    let header = ["TYPE", "AID", "STATE", "", "PRIVILEGES"].map(String::from);
    let all: Vec<&[String; 5]> = std::iter::once(&header).chain(rows).collect();
    let mut widths = [0usize; 5];
    for r in &all {
        for (w, cell) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(cell.len());
        }
    }
    all.iter()
        .map(|r| {
            let mut line = String::new();
            for (k, (w, cell)) in widths.iter().zip(r.iter()).enumerate() {
                if *w == 0 {
                    continue;
                }
                if k > 0 && !line.is_empty() {
                    line.push_str("  ");
                }
                line.push_str(&format!("{cell:<w$}"));
            }
            line.trim_end().to_string()
        })
        .collect()
}

fn key(what: &str, hex: &str) -> Result<Vec<u8>, CliError> {
    let k = parse_hex(what, hex)?;
    if !matches!(k.len(), 16 | 24 | 32) {
        return Err(CliError::Usage(format!(
            "{what}: an AES key is 16, 24 or 32 bytes, not {}",
            k.len()
        )));
    }
    Ok(k)
}

fn plan_of(args: &DeployArgs) -> Result<Plan, CliError> {
    let keys = match (&args.key, &args.key_enc, &args.key_mac, &args.key_dek) {
        (Some(k), ..) => {
            let k = key("--key", k)?;
            StaticKeys {
                enc: k.clone(),
                mac: k.clone(),
                dek: k,
            }
        }
        (None, Some(e), Some(m), Some(d)) => StaticKeys {
            enc: key("--key-enc", e)?,
            mac: key("--key-mac", m)?,
            dek: key("--key-dek", d)?,
        },
        _ => StaticKeys {
            enc: gp::TEST_KEY.to_vec(),
            mac: gp::TEST_KEY.to_vec(),
            dek: gp::TEST_KEY.to_vec(),
        },
    };
    let installs = args
        .installs
        .iter()
        .map(|s| InstallReq::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    if !installs.is_empty() && args.files.is_empty() {
        return Err(CliError::Usage(
            "--install installs from the FILEs given: name at least one".into(),
        ));
    }
    let deletes = args
        .deletes
        .iter()
        .map(|s| parse_aid("--delete", s))
        .collect::<Result<Vec<_>, _>>()?;
    let sd = args
        .sd
        .as_deref()
        .map(|s| parse_aid("--sd", s))
        .transpose()?;
    let dap_key = match &args.put_dap_key {
        Some(p) => Some(
            hydra_package::keyfile::read_public(p).map_err(|e| CliError::Io {
                path: p.display().to_string(),
                message: e.to_string(),
            })?,
        ),
        None => None,
    };
    if args.files.is_empty() && !args.list && deletes.is_empty() && dap_key.is_none() {
        return Err(CliError::Usage(
            "hydra deploy: nothing to do: give FILEs, --list, --delete or --put-dap-key".into(),
        ));
    }
    let files = args
        .files
        .iter()
        .map(|f| read_load_file(f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Plan {
        files,
        installs,
        deletes,
        dap_key,
        list: args.list,
        keys,
        kvn: args.kvn,
        level: match args.level {
            LevelArg::Mac => Level::Mac,
            LevelArg::Enc => Level::Enc,
        },
        sd,
    })
}

pub fn deploy_cmd(args: DeployArgs) -> Result<(), CliError> {
    let plan = plan_of(&args)?;
    let t = Instant::now();
    let transport = gp::pcsc::PcscTransport::connect(args.reader.as_deref())
        .map_err(|e| CliError::Deploy(e.to_string()))?;
    hydra::outln!("connected to {} ({})", transport.reader, took(t.elapsed()));
    let mut client = Client::new(transport);
    let show = std::io::stderr().is_terminal();
    execute(&mut client, &plan, &mut |l| hydra::outln!("{l}"), show)
        .map_err(|e| CliError::Deploy(e.to_string()))
}
