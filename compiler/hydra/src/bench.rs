//! `hydra bench`: the benchmark applets of `benches/applets` on the
//! emulated meter (`qemu-system-arm -M mps2-an385`), counted exactly by the
//! `hydra-qemu-icount` plugin, on three engines:
//!
//! - `thumb-interp`: the firmware's bytecode interpreter;
//! - `thumb`: the same packages compiled ahead of time to Thumb-2 and run
//!   by the firmware's native engine;
//! - `c`: the same algorithms in C (`benches/c`), `arm-none-eabi-gcc -O2
//!   -mcpu=cortex-m3 -mthumb`, bare metal on the same board.
//!
//! Every response is checked against the script's expected output (the
//! Python oracle's answers). A benchmark's count is the sum over its work
//! commands (CLA 80, INS other than 02 and 03); INS 02, which does nothing,
//! gives the cost of one APDU on each engine (for C, of one call of the
//! kernel), and INS 03 where an applet has it (one update of a persistent
//! field outside a transaction) the cost of the store barrier: its count
//! less INS 02's, and its NVM writes.
//! The cycle estimate applies the Cortex-M3 timings (see [`COSTS`]) to the
//! instruction mix the plugin counts. Each firmware run also gives the
//! instructions of the card's own check of each package it loads at boot
//! (the on-card verifier type-checking the package against the card's
//! API, between the firmware's verification markers): on `thumb-interp`
//! the CAP file's, on `thumb` the native package's load file's.
//!
//! Output: a table on standard output, `bench.json` and `bench.svg` in the
//! output folder.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use hydra::error::CliError;
use hydra_host::script::{self as host_script, Stmt};
use hydra_host::{first_difference, read_suite, SuiteEntry};
use hydra_qemu_host::script::run_script;
use hydra_qemu_host::{
    find_qemu, image_packages, name_verifications, Artifacts, Config, CountParser, Counts,
    FirmwareSymbols, Install, NvmCounts, Session,
};
use indicatif::{ProgressBar, ProgressStyle};
use object::{Object, ObjectSection, ObjectSymbol};
use serde::Serialize;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// One small input per benchmark (`suite-quick.json`), for CI.
    #[arg(long)]
    quick: bool,
    /// Only these benchmarks (repeatable).
    #[arg(long = "only", value_name = "NAME")]
    only: Vec<String>,
    /// Where bench.json and bench.svg go.
    #[arg(long, value_name = "DIR", default_value = "target/bench")]
    out: PathBuf,
    /// Bytes of NVM that one program operation writes (a block touched
    /// by a write costs one program).
    #[arg(long, value_name = "BYTES", default_value_t = hydra_qemu_host::NVM_BLOCK)]
    nvm_block: u64,
    /// Time of one NVM block program, in microseconds.
    #[arg(long, value_name = "US", default_value_t = NVM_PROGRAM_US)]
    nvm_program_us: u64,
    /// CPU clock for turning NVM program time into cycles, in MHz.
    #[arg(long, value_name = "MHZ", default_value_t = CLOCK_MHZ)]
    clock_mhz: u64,
}

/// Default time of one NVM block program: 6 ms, the STM8L151 data EEPROM's
/// t_prog for "1 to 64 bytes (block) erase/write cycles (on programmed
/// byte)" (STMicroelectronics, STM8L151x2/x3 datasheet, DocID018780 Rev 4,
/// Table 32; 3 ms on an erased byte), a metering-class MCU.
pub const NVM_PROGRAM_US: u64 = 6000;
/// Default clock: 25 MHz, the system clock of the MPS2 AN385 image's
/// Cortex-M3 (and of QEMU's `mps2-an385` model).
pub const CLOCK_MHZ: u64 = 25;

/// The benchmarks whose applet keeps state in persistent memory that the
/// C version keeps in RAM: they have a C variant that keeps it in NVM
/// (`benches/c/nvm.h`), named `NAME+nvm`.
pub const NVM_VARIANTS: [&str; 6] = ["xtea", "sha256", "tlv", "purse", "objects", "exceptions"];

/// The NVM cost model of a report.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct NvmCost {
    pub block_bytes: u64,
    pub program_us: u64,
    pub clock_mhz: u64,
}

impl NvmCost {
    /// Cycles spent programming `blocks` NVM blocks.
    pub fn cycles(&self, blocks: u64) -> u64 {
        blocks * self.program_us * self.clock_mhz
    }
}

/// Extra cycles per counted event on a Cortex-M3 with zero-wait-state
/// memory, on top of one cycle per instruction. Source: Arm Cortex-M3
/// Technical Reference Manual (DDI 0337E), 18.2 "Processor instruction
/// timings", Table 18-1, and the instruction set summary of the Cortex-M3
/// Devices Generic User Guide (DUI 0552A, Table 3-1): LDR/STR 2 cycles;
/// LDM/STM/PUSH/POP 1+N (N registers); MUL 1, MLA/MLS 2; UMULL/SMULL 3-5,
/// UMLAL/SMLAL 4-7 and SDIV/UDIV 2-12 (taken at the middle of the range);
/// a taken branch 1+P with P, the pipeline refill, 1-3 (taken as 2, "two
/// cycles are added" in Table 18-1); a branch not taken 1. Not modelled:
/// the pipelining of neighbouring loads and stores (which saves cycles),
/// the stall of an address computed by the instruction before (which costs
/// them), wait states.
pub const COSTS: [(&str, u64, &str); 8] = [
    (
        "loads",
        1,
        "LDR/LDRB/LDRH/LDRSB/LDRSH/LDREX/TBB/TBH: 2 cycles",
    ),
    ("stores", 1, "STR/STRB/STRH/STREX: 2 cycles"),
    ("multi_regs", 1, "LDM/STM/PUSH/POP/LDRD/STRD: 1+N cycles"),
    ("mla", 1, "MLA/MLS: 2 cycles"),
    ("mull", 3, "UMULL/SMULL: 3-5 cycles, taken as 4"),
    ("mlal", 5, "UMLAL/SMLAL: 4-7 cycles, taken as 6"),
    ("div", 6, "SDIV/UDIV: 2-12 cycles, taken as 7"),
    ("taken", 2, "branch taken: 1+P cycles, P taken as 2"),
];

/// The cycle estimate for `insns` instructions with mix `mix`.
pub fn cycles(insns: u64, mix: &[(String, u64)]) -> u64 {
    let get = |n: &str| mix.iter().find(|(m, _)| m == n).map_or(0, |m| m.1);
    insns + COSTS.iter().map(|(n, c, _)| c * get(n)).sum::<u64>()
}

const ENGINES: [&str; 3] = ["thumb-interp", "thumb", "c"];

/// One benchmark on one engine.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EngineResult {
    /// Executed instructions of the work commands.
    pub instructions: Option<u64>,
    /// Cortex-M3 cycle estimate of the work commands.
    pub cycles: Option<u64>,
    /// Instructions of one INS 02 command (APDU overhead).
    pub apdu_overhead: Option<u64>,
    /// Instructions of one persistent field update outside a transaction
    /// (INS 03 less INS 02), and the NVM writes and bytes of it.
    pub field_update: Option<u64>,
    pub field_update_nvm: Option<(u64, u64)>,
    /// The instruction mix of the work commands.
    pub mix: Vec<(String, u64)>,
    /// Instructions by bucket (firmware engines).
    pub buckets: Vec<(String, u64)>,
    /// NVM writes of the work commands, the bytes they stored and the
    /// blocks they programmed.
    pub nvm_writes: Option<u64>,
    pub nvm_bytes: Option<u64>,
    pub nvm_blocks: Option<u64>,
    /// The cycle estimate plus the time of the NVM block programs.
    pub cycles_with_nvm: Option<u64>,
    /// Firmware engines: the card's check of each package it loaded at
    /// boot, in load order.
    pub verification: Vec<PackageCheck>,
    /// Firmware engines: the heap left in use by boot, loading and
    /// installing, and the most allocated at once during any command.
    pub heap: Option<HeapUse>,
    /// Why there is no figure.
    pub unavailable: Option<String>,
}

/// The on-card verification of one package as the card loads it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PackageCheck {
    pub package: String,
    /// Instructions of the check (parsing and linking excluded).
    pub instructions: u64,
    /// The verifier type-checked the package; `false`: the card found it
    /// could not, and `instructions` is that finding alone.
    pub type_checked: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BenchResult {
    pub name: String,
    pub script: String,
    pub work_commands: usize,
    pub interp: EngineResult,
    pub thumb: EngineResult,
    pub c: EngineResult,
    /// The C variant that keeps the applet's persistent state in NVM.
    pub c_nvm: Option<EngineResult>,
    /// Bytes of bytecode of the package's methods.
    pub bytecode_bytes: Option<usize>,
    /// Bytes of Thumb-2 code compiled from them.
    pub native_bytes: Option<usize>,
    /// Bytes of C code (.text of the benchmark's object file).
    pub c_bytes: Option<usize>,
    /// Bytes of the package's CAP components (what the card stores).
    pub package_bytes: usize,
    pub interp_per_aot: Option<f64>,
    pub aot_per_c: Option<f64>,
    pub interp_per_c: Option<f64>,
    pub native_per_bytecode: Option<f64>,
    /// Cycles with NVM: AOT over the C variant with the same NVM writes.
    pub aot_per_c_nvm: Option<f64>,
}

/// Heap bytes of a firmware session (see `hydra_qemu_host::HeapFigures`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct HeapUse {
    pub after_boot: u64,
    pub peak: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Footprint {
    /// Bytes in flash: code, read-only data, initial values of data.
    pub flash: u64,
    /// Bytes of RAM taken by data, bss and the heap area (the stack
    /// comes on top).
    pub ram: u64,
    /// Of `ram`, the bytes of data and bss (the heap area excluded).
    pub static_ram: u64,
    /// Bytes of flash in the symbols of the cryptography: the RustCrypto
    /// crates and the runtime's `security` module (generic code they
    /// instantiate in `core`/`alloc` is not counted).
    pub crypto_flash: u64,
    /// Flash by part (crate, or the runtime core's module), largest first.
    pub flash_parts: Vec<FlashPart>,
}

/// Crates whose code is the card's cryptography.
const CRYPTO_CRATES: &[&str] = &[
    "aes",
    "aes_gcm",
    "block_buffer",
    "cbc",
    "ccm",
    "cipher",
    "cmac",
    "crc",
    "crypto_bigint",
    "crypto_common",
    "ctr",
    "der",
    "des",
    "digest",
    "ecb",
    "ecdsa",
    "elliptic_curve",
    "ff",
    "ghash",
    "group",
    "hmac",
    "inout",
    "num_bigint_dig",
    "num_integer",
    "num_traits",
    "p256",
    "pkcs1",
    "pkcs8",
    "polyval",
    "primeorder",
    "rand_chacha",
    "chacha20",
    "rand_core",
    "rfc6979",
    "rsa",
    "sec1",
    "sha1",
    "sha2",
    "signature",
    "spki",
    "subtle",
    "universal_hash",
    "zeroize",
];

/// Whether a part of the image (see [`symbol_owner`]) is the cryptography.
fn is_crypto_part(part: &str) -> bool {
    part == "hydra_runtime::security" || CRYPTO_CRATES.contains(&part)
}

/// Whether a (legacy-mangled) symbol belongs to the cryptography.
#[cfg(test)]
fn is_crypto_symbol(name: &str) -> bool {
    symbol_owner(name).is_some_and(|o| is_crypto_part(&o))
}

/// The part of the image a (legacy-mangled) symbol belongs to: its crate,
/// or for the runtime core its module (`hydra_runtime::interp`). An
/// `<impl ...>` path names the crate of its type. None for a symbol with
/// no Rust path (C, assembly, unnamed constants).
fn symbol_owner(name: &str) -> Option<String> {
    // A switch table the compiler made names the function it belongs to.
    let name = name.strip_prefix(".Lswitch.table.").unwrap_or(name);
    if let Some(v0) = name.strip_prefix("_R") {
        return v0_crate(v0).map(str::to_string);
    }
    let mut rest = name.strip_prefix("_ZN")?;
    let mut idents = Vec::new();
    while idents.len() < 2 {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let Ok(n) = rest[..digits].parse::<usize>() else {
            break;
        };
        let Some(ident) = rest.get(digits..digits + n) else {
            break;
        };
        idents.push(ident);
        rest = &rest[digits + n..];
    }
    let first = *idents.first()?;
    // `<impl ...>` and `<T as Trait>` paths start with `_$LT$`, then the
    // type's path with `..` for `::`.
    let path = first.trim_start_matches('_').trim_start_matches("$LT$");
    let mut parts = path.split("..");
    let krate = parts.next().filter(|k| !k.is_empty())?;
    if krate != "hydra_runtime" {
        return Some(krate.to_string());
    }
    let module = if path.len() < first.len() {
        parts.next()
    } else {
        idents.get(1).copied()
    };
    Some(match module {
        Some(m) if !m.starts_with('_') => format!("hydra_runtime::{m}"),
        _ => krate.to_string(),
    })
}

/// The crate of a v0-mangled symbol (how the prebuilt `core`, `alloc`
/// and `compiler_builtins` are mangled): the first crate root
/// `C[s<disambiguator>_]<length><name>` in the path.
fn v0_crate(v0: &str) -> Option<&str> {
    let at = v0.find('C')?;
    let mut rest = &v0[at + 1..];
    if let Some(d) = rest.strip_prefix('s') {
        rest = &d[d.find('_')? + 1..];
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let n: usize = rest[..digits].parse().ok()?;
    rest.get(digits..digits + n)
}

/// Flash by part of the image, from symbol sizes, largest first: crates
/// (the runtime core by module), then C and assembly symbols, unnamed
/// read-only data, and the bytes no symbol covers.
fn flash_parts(file: &object::File, flash: u64) -> Vec<FlashPart> {
    let mut parts: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    let mut covered = 0;
    for sym in file.symbols() {
        if sym.address() >= 0x2000_0000 || sym.size() == 0 {
            continue;
        }
        let name = sym.name().unwrap_or("");
        let part = symbol_owner(name).unwrap_or_else(|| {
            if name.is_empty() || name.contains("anon.") {
                "(unnamed read-only data)".to_string()
            } else {
                "(C and assembly)".to_string()
            }
        });
        *parts.entry(part).or_default() += sym.size();
        covered += sym.size();
    }
    let mut parts: Vec<FlashPart> = parts
        .into_iter()
        .map(|(part, bytes)| FlashPart { part, bytes })
        .collect();
    if flash > covered {
        parts.push(FlashPart {
            part: "(no symbol: literals, padding)".into(),
            bytes: flash - covered,
        });
    }
    parts.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.part.cmp(&b.part)));
    parts
}

/// Bytes of flash that one part of an image takes.
#[derive(Debug, Clone, Serialize)]
pub struct FlashPart {
    pub part: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub quick: bool,
    pub benchmarks: Vec<BenchResult>,
    pub geomean_interp_per_aot: Option<f64>,
    pub geomean_aot_per_c: Option<f64>,
    pub geomean_interp_per_c: Option<f64>,
    pub geomean_native_per_bytecode: Option<f64>,
    pub firmware: Footprint,
    pub c_image: Footprint,
    pub cost_table: Vec<(String, u64, String)>,
    pub nvm_cost: NvmCost,
    pub seconds: f64,
}

fn io(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The work commands of a script: (index among its APDUs, bytes) of every
/// CLA 80 command, and whether it is the INS 02 no-op.
fn commands(script: &Path) -> Result<Vec<(usize, Vec<u8>)>, CliError> {
    let text = std::fs::read_to_string(script).map_err(|e| io(script, e))?;
    let stmts = host_script::parse(&text).map_err(|e| io(script, e))?;
    Ok(stmts
        .into_iter()
        .filter_map(|(_, s)| match s {
            Stmt::Apdu(b) => Some(b),
            _ => None,
        })
        .enumerate()
        .filter(|(_, b)| b.first() == Some(&0x80))
        .collect())
}

fn is_noop(cmd: &[u8]) -> bool {
    cmd.get(1) == Some(&0x02)
}

/// INS 03: one persistent field update (a probe, like INS 02).
fn is_field_update(cmd: &[u8]) -> bool {
    cmd.get(1) == Some(&0x03)
}

/// A probe command, not part of a benchmark's work.
fn is_probe(cmd: &[u8]) -> bool {
    is_noop(cmd) || is_field_update(cmd)
}

fn add_mix(total: &mut Vec<(String, u64)>, mix: &[(String, u64)]) {
    for (n, v) in mix {
        match total.iter_mut().find(|(m, _)| m == n) {
            Some(t) => t.1 += v,
            None => total.push((n.clone(), *v)),
        }
    }
}

/// Sums the counts of the work commands of a firmware run.
fn firmware_result(counts: &[(Vec<u8>, Counts)], cost: &NvmCost) -> EngineResult {
    let mut r = EngineResult::default();
    let (mut insns, mut mix, mut buckets) = (0, Vec::new(), Vec::new());
    let mut nvm: Option<NvmCounts> = None;
    let mut update = None;
    for (cmd, c) in counts {
        if is_noop(cmd) {
            r.apdu_overhead = Some(c.total);
            continue;
        }
        if is_field_update(cmd) {
            update = Some(c.total);
            r.field_update_nvm = Some(c.nvm.as_ref().map_or((0, 0), |n| (n.writes, n.bytes)));
            continue;
        }
        insns += c.total;
        add_mix(&mut mix, &c.mix);
        add_mix(&mut buckets, &c.buckets);
        if let Some(n) = &c.nvm {
            nvm.get_or_insert_with(NvmCounts::default).add(n);
        }
    }
    r.field_update = update
        .zip(r.apdu_overhead)
        .map(|(u, o)| u.saturating_sub(o));
    r.instructions = Some(insns);
    r.cycles = Some(cycles(insns, &mix));
    if let Some(n) = nvm {
        r.nvm_writes = Some(n.writes);
        r.nvm_bytes = Some(n.bytes);
        r.nvm_blocks = Some(n.blocks);
        r.cycles_with_nvm = r.cycles.map(|c| c + cost.cycles(n.blocks));
    }
    r.mix = mix;
    r.buckets = buckets;
    r
}

/// Runs a suite entry on the firmware (interpreted, or with `natives`).
fn run_firmware(
    art: &Artifacts,
    entry: &SuiteEntry,
    natives: Vec<PathBuf>,
    cost: &NvmCost,
) -> Result<EngineResult, CliError> {
    let mut cfg = Config::new(&art.firmware);
    cfg.plugin = Some(art.plugin.clone());
    cfg.mix = true;
    cfg.nvm_block = cost.block_bytes;
    cfg.packages = entry.caps.clone();
    cfg.native = !natives.is_empty();
    cfg.natives = natives;
    cfg.installs = entry.installs.iter().map(Install::from).collect();
    let text = std::fs::read_to_string(&entry.script).map_err(|e| io(&entry.script, e))?;
    let packages = image_packages(&cfg.packages, &cfg.natives)?;
    let mut session = Session::start(&cfg)?;
    let run = run_script(&mut session, &entry.script.display().to_string(), &text);
    let heap = hydra_qemu_host::heap_figures(&session.stop()).map(|h| HeapUse {
        after_boot: h.after_boot,
        peak: h.peak,
    });
    let run = run?;
    let verification = name_verifications(&packages, &run.verifications)
        .into_iter()
        .map(|(package, v)| PackageCheck {
            package,
            instructions: v.instructions,
            type_checked: v.typed,
        })
        .collect();
    let want = std::fs::read_to_string(&entry.expected).map_err(|e| io(&entry.expected, e))?;
    if let Some((line, e, a)) = first_difference(&run.output, &want) {
        return Err(io(
            &entry.script,
            format!("response {line} differs from the oracle\n  expected: {e}\n  actual:   {a}"),
        ));
    }
    let counts: Vec<(Vec<u8>, Counts)> = run
        .apdus
        .into_iter()
        .filter(|a| a.command.first() == Some(&0x80))
        .filter_map(|a| Some((a.command, a.counts?)))
        .collect();
    let mut r = firmware_result(&counts, cost);
    r.verification = verification;
    r.heap = heap;
    Ok(r)
}

/// The C image and each benchmark's object file.
struct CBuild {
    elf: PathBuf,
    objects: Vec<(String, PathBuf)>,
}

const CFLAGS: [&str; 6] = [
    "-O2",
    "-mcpu=cortex-m3",
    "-mthumb",
    "-ffreestanding",
    "-ffunction-sections",
    "-Wall",
];

fn build_c(ws: &Path, out: &Path) -> Result<CBuild, CliError> {
    let src = ws.join("benches/c");
    let dir = out.join("c");
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let gcc = "arm-none-eabi-gcc";
    let run = |args: &mut Command, what: &str| -> Result<(), CliError> {
        let o = args.output().map_err(|e| {
            CliError::Usage(format!(
                "{gcc}: {e} (install it with `apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi`)"
            ))
        })?;
        if o.status.success() {
            Ok(())
        } else {
            Err(CliError::Usage(format!(
                "{what} failed:\n{}",
                String::from_utf8_lossy(&o.stderr)
            )))
        }
    };
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&src)
        .map_err(|e| io(&src, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    sources.sort();
    let mut objects = Vec::new();
    let mut support = Vec::new();
    let compile = |s: &Path, o: &Path, defines: &[String]| {
        run(
            Command::new(gcc)
                .args(CFLAGS)
                .args(defines)
                .arg("-c")
                .arg(s)
                .arg("-o")
                .arg(o),
            &format!("compiling {}", s.display()),
        )
    };
    for s in &sources {
        let stem = s
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let o = dir.join(format!("{stem}.o"));
        if stem == "nvm" {
            // The NVM variants' driver and journal.
            compile(s, &o, &["-DBENCH_NVM".into()])?;
            support.push(o);
            continue;
        }
        compile(s, &o, &[])?;
        objects.push((stem.clone(), o));
        if NVM_VARIANTS.contains(&stem.as_str()) {
            let o = dir.join(format!("{stem}+nvm.o"));
            compile(
                s,
                &o,
                &[
                    "-DBENCH_NVM".into(),
                    format!("-Dbench_{stem}=bench_{stem}_nvm"),
                ],
            )?;
            objects.push((format!("{stem}+nvm"), o));
        }
    }
    let elf = dir.join("hydra-bench-c.elf");
    let mut link = Command::new(gcc);
    link.args(CFLAGS)
        .args(["-nostartfiles", "-Wl,--gc-sections", "-T"])
        .arg(src.join("link.ld"))
        .args(objects.iter().map(|o| &o.1))
        .args(&support)
        .arg("-o")
        .arg(&elf)
        .arg("-lc");
    run(&mut link, "linking the C benchmarks")?;
    Ok(CBuild { elf, objects })
}

/// Bytes of code in an object file (its .text sections).
fn text_bytes(obj: &Path) -> Result<usize, CliError> {
    let bytes = std::fs::read(obj).map_err(|e| io(obj, e))?;
    let file = object::File::parse(&*bytes).map_err(|e| io(obj, e))?;
    Ok(file
        .sections()
        .filter(|s| s.name().is_ok_and(|n| n.starts_with(".text")))
        .map(|s| s.size() as usize)
        .sum())
}

/// Flash and RAM of an image linked for the AN385 (flash below
/// 0x2000_0000, RAM from there on).
fn footprint(elf: &Path) -> Result<Footprint, CliError> {
    let bytes = std::fs::read(elf).map_err(|e| io(elf, e))?;
    let file = object::File::parse(&*bytes).map_err(|e| io(elf, e))?;
    let mut f = Footprint::default();
    for s in file.sections() {
        let name = s.name().unwrap_or("");
        if s.address() == 0 && !name.starts_with(".vector") || s.size() == 0 {
            continue;
        }
        let in_file = s.file_range().is_some();
        if s.address() < 0x2000_0000 {
            f.flash += s.size();
        } else {
            f.ram += s.size();
            if !name.starts_with(".uninit") {
                f.static_ram += s.size();
            }
            if in_file && s.kind() == object::SectionKind::Data {
                f.flash += s.size();
            }
        }
    }
    f.flash_parts = flash_parts(&file, f.flash);
    f.crypto_flash = f
        .flash_parts
        .iter()
        .filter(|p| is_crypto_part(&p.part))
        .map(|p| p.bytes)
        .sum();
    Ok(f)
}

/// Runs the C version of a benchmark on its work commands; checks every
/// response against the expected output.
fn run_c(
    qemu: &Path,
    art: &Artifacts,
    c: &CBuild,
    name: &str,
    entry: &SuiteEntry,
    dir: &Path,
    cost: &NvmCost,
) -> Result<EngineResult, CliError> {
    let cmds = commands(&entry.script)?;
    let want = std::fs::read_to_string(&entry.expected).map_err(|e| io(&entry.expected, e))?;
    let want: Vec<&str> = want.lines().collect();
    let mut img = b"HYDRACB1".to_vec();
    let mut n = [0u8; 16];
    n[..name.len().min(16)].copy_from_slice(&name.as_bytes()[..name.len().min(16)]);
    img.extend_from_slice(&n);
    img.extend_from_slice(&(cmds.len() as u32).to_le_bytes());
    for (_, b) in &cmds {
        let c = host_script::command(b);
        img.extend_from_slice(&c.header[1..4]);
        img.extend_from_slice(&(c.data.len() as u16).to_le_bytes());
        img.extend_from_slice(&c.data);
    }
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let input = dir.join(format!("{name}.img"));
    std::fs::write(&input, &img).map_err(|e| io(&input, e))?;
    let syms = FirmwareSymbols::read(&c.elf)?;
    let map = dir.join(format!("{name}.map"));
    std::fs::write(&map, syms.count_map(&[], cost.block_bytes)).map_err(|e| io(&map, e))?;
    let counts = dir.join(format!("{name}.counts"));
    let out = Command::new(qemu)
        .args([
            "-M",
            "mps2-an385",
            "-nographic",
            "-monitor",
            "none",
            "-serial",
            "none",
        ])
        .arg("-kernel")
        .arg(&c.elf)
        .args(["-semihosting-config", "enable=on,target=native"])
        .arg("-device")
        .arg(format!(
            "loader,file={},addr=0x21800000,force-raw=on",
            input.display()
        ))
        .arg("-plugin")
        .arg(format!(
            "{},map={},out={},mix=on",
            art.plugin.display(),
            map.display(),
            counts.display()
        ))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| io(qemu, e))?;
    // QEMU writes the semihosting console to its standard error.
    let stdout = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        return Err(io(
            &c.elf,
            format!("{name}: the C benchmark failed ({}): {stdout}", out.status),
        ));
    }
    let responses: Vec<&str> = stdout.lines().filter(|l| l.starts_with('R')).collect();
    if responses.len() != cmds.len() {
        return Err(io(
            &c.elf,
            format!(
                "{name}: {} responses for {} commands: {stdout}",
                responses.len(),
                cmds.len()
            ),
        ));
    }
    for ((idx, cmd), resp) in cmds.iter().zip(&responses) {
        let mut words: Vec<&str> = resp.split_whitespace().skip(1).collect();
        let sw = words
            .pop()
            .and_then(|w| u16::from_str_radix(w, 16).ok())
            .unwrap_or(0);
        let data: Vec<u8> = words
            .iter()
            .filter_map(|w| u8::from_str_radix(w, 16).ok())
            .collect();
        let got = host_script::format_line(cmd, &data, sw);
        let expected = want.get(*idx).copied().unwrap_or("");
        if got != expected {
            return Err(io(
                &entry.script,
                format!("{name}: C response differs from the oracle\n  expected: {expected}\n  actual:   {got}"),
            ));
        }
    }
    let text = std::fs::read_to_string(&counts).map_err(|e| io(&counts, e))?;
    let windows = CountParser::all(&text).map_err(|e| io(&counts, e))?;
    if windows.len() != cmds.len() || windows.iter().any(|w| w.counts.mix.is_empty()) {
        return Err(io(
            &counts,
            format!(
                "{name}: {} counts for {} commands",
                windows.len(),
                cmds.len()
            ),
        ));
    }
    let per: Vec<(Vec<u8>, Counts)> = cmds
        .iter()
        .zip(windows)
        .map(|((_, cmd), w)| (cmd.clone(), w.counts))
        .collect();
    let mut r = firmware_result(&per, cost);
    r.buckets.clear();
    Ok(r)
}

fn ratio(a: Option<u64>, b: Option<u64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0 => Some(a as f64 / b as f64),
        _ => None,
    }
}

/// Geometric mean of the values present, and how many there were.
fn geomean(v: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let v: Vec<f64> = v.flatten().collect();
    if v.is_empty() {
        return None;
    }
    Some((v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp())
}

fn unavailable(why: String) -> EngineResult {
    EngineResult {
        unavailable: Some(why),
        ..EngineResult::default()
    }
}

/// The native packages of a benchmark, with the code and bytecode sizes.
fn compile_thumb(entry: &SuiteEntry, dir: &Path) -> Result<(Vec<PathBuf>, usize, usize), CliError> {
    let packages = crate::packages::packages(&entry.caps, dir)?;
    let code = packages.iter().map(|p| p.1.code_size()).sum();
    let bytecode = packages.iter().map(|p| p.1.bytecode_size).sum();
    Ok((packages.into_iter().map(|p| p.0).collect(), code, bytecode))
}

fn fmt_count(v: Option<u64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| v.to_string())
}

fn fmt_ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.2}"))
}

/// The table `hydra bench` prints.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<11} {:>12} {:>11} {:>10} {:>8} {:>7} {:>8} {:>13} {:>12} {:>11} {:>9} {:>7} {:>6} {:>6}",
        "benchmark", "interp insn", "thumb insn", "C insn", "int/AOT", "AOT/C", "int/C",
        "interp cycles", "thumb cycles", "C cycles", "bytecode", "native", "C code", "nat/bc"
    );
    for b in &r.benchmarks {
        let _ = writeln!(
            s,
            "{:<11} {:>12} {:>11} {:>10} {:>8} {:>7} {:>8} {:>13} {:>12} {:>11} {:>9} {:>7} {:>6} {:>6}",
            b.name,
            fmt_count(b.interp.instructions),
            fmt_count(b.thumb.instructions),
            fmt_count(b.c.instructions),
            fmt_ratio(b.interp_per_aot),
            fmt_ratio(b.aot_per_c),
            fmt_ratio(b.interp_per_c),
            fmt_count(b.interp.cycles),
            fmt_count(b.thumb.cycles),
            fmt_count(b.c.cycles),
            b.bytecode_bytes.map_or("n/a".into(), |v| v.to_string()),
            b.native_bytes.map_or("n/a".into(), |v| v.to_string()),
            b.c_bytes.map_or("n/a".into(), |v| v.to_string()),
            fmt_ratio(b.native_per_bytecode),
        );
    }
    let _ = writeln!(
        s,
        "{:<11} {:>12} {:>11} {:>10} {:>8} {:>7} {:>8} {:>13} {:>12} {:>11} {:>9} {:>7} {:>6} {:>6}",
        "geomean", "", "", "",
        fmt_ratio(r.geomean_interp_per_aot),
        fmt_ratio(r.geomean_aot_per_c),
        fmt_ratio(r.geomean_interp_per_c),
        "", "", "", "", "", "",
        fmt_ratio(r.geomean_native_per_bytecode),
    );
    let _ = writeln!(
        s,
        "\nInstructions of one APDU that does nothing (INS 02): {}",
        r.benchmarks
            .iter()
            .map(|b| format!(
                "{} {}/{}/{}",
                b.name,
                fmt_count(b.interp.apdu_overhead),
                fmt_count(b.thumb.apdu_overhead),
                fmt_count(b.c.apdu_overhead)
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for b in r
        .benchmarks
        .iter()
        .filter(|b| b.interp.field_update.is_some())
    {
        let one = |e: &EngineResult| match (e.field_update, e.field_update_nvm) {
            (Some(n), Some((w, bytes))) => format!("{n} + {w} NVM writes ({bytes} B)"),
            (Some(n), None) => n.to_string(),
            _ => "n/a".into(),
        };
        let _ = writeln!(
            s,
            "One persistent field update outside a transaction ({}, INS 03 less INS 02): thumb-interp {}, thumb {}, C {}, C+NVM {}",
            b.name,
            one(&b.interp),
            one(&b.thumb),
            one(&b.c),
            b.c_nvm.as_ref().map_or("n/a".into(), one),
        );
    }
    let _ = writeln!(
        s,
        "Instructions of the on-card verification of each package as the card loads it (thumb-interp: the CAP file, thumb: the native package's load file; the verifier type-checking every method against the card's API, parsing and linking excluded): {}",
        r.benchmarks
            .iter()
            .flat_map(verification_figures)
            .collect::<Vec<_>>()
            .join(", ")
    );
    for b in &r.benchmarks {
        for (e, res) in [
            ("thumb-interp", &b.interp),
            ("thumb", &b.thumb),
            ("c", &b.c),
        ] {
            if let Some(why) = &res.unavailable {
                let _ = writeln!(s, "{}: {e} not available: {why}", b.name);
            }
        }
    }
    render_nvm(&mut s, r);
    let have =
        |f: fn(&BenchResult) -> Option<f64>| r.benchmarks.iter().filter(|b| f(b).is_some()).count();
    let n = r.benchmarks.len();
    let _ = writeln!(
        s,
        "Targets (geometric means over the benchmarks with both figures): AOT <= 2.5x C: {} ({} of {n}); interpreter <= 30x C: {} ({} of {n}); native code <= 6x bytecode: {} ({} of {n}).",
        fmt_ratio(r.geomean_aot_per_c),
        have(|b| b.aot_per_c),
        fmt_ratio(r.geomean_interp_per_c),
        have(|b| b.interp_per_c),
        fmt_ratio(r.geomean_native_per_bytecode),
        have(|b| b.native_per_bytecode),
    );
    let _ = writeln!(
        s,
        "Footprint: firmware flash {} B (cryptography {} B), RAM {} B (data+bss+heap, stack on top); C image flash {} B, RAM {} B.",
        r.firmware.flash, r.firmware.crypto_flash, r.firmware.ram, r.c_image.flash, r.c_image.ram
    );
    let _ = writeln!(
        s,
        "RAM: static (data+bss) {} B; heap in use after boot and install / peak during the commands, thumb-interp and thumb: {}.",
        r.firmware.static_ram,
        r.benchmarks
            .iter()
            .map(|b| {
                let heap = |e: &EngineResult| {
                    e.heap
                        .map_or("n/a".into(), |h| format!("{}/{}", h.after_boot, h.peak))
                };
                format!("{} {} and {}", b.name, heap(&b.interp), heap(&b.thumb))
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let shown = 16;
    let mut line = String::from(
        "Firmware flash by part (symbol sizes; with LTO, inlined code counts where it is inlined; all in bench.json):",
    );
    for p in r.firmware.flash_parts.iter().take(shown) {
        let _ = write!(line, " {} {},", p.part, p.bytes);
    }
    let rest: u64 = r
        .firmware
        .flash_parts
        .iter()
        .skip(shown)
        .map(|p| p.bytes)
        .sum();
    let _ = writeln!(
        s,
        "{line} {} others {rest} B.",
        r.firmware.flash_parts.len().saturating_sub(shown)
    );
    let _ = writeln!(
        s,
        "Cycles: Cortex-M3 estimate from the instruction mix (Cortex-M3 TRM, DDI 0337E, Table 18-1); see bench.json cost_table."
    );
    s
}

/// `BENCHMARK INTERP/THUMB` for the package a benchmark loads (`BENCHMARK
/// AID ...` for each when it loads several); a figure of a package the
/// card could not type-check says so.
fn verification_figures(b: &BenchResult) -> Vec<String> {
    let one = |e: &EngineResult, package: &str| match e
        .verification
        .iter()
        .find(|v| v.package == package)
    {
        Some(v) => crate::thumb::fmt_check_figure(v.instructions, v.type_checked),
        None => "n/a".into(),
    };
    let mut packages: Vec<&str> = Vec::new();
    for v in b.interp.verification.iter().chain(&b.thumb.verification) {
        if !packages.contains(&v.package.as_str()) {
            packages.push(&v.package);
        }
    }
    if packages.is_empty() {
        return vec![format!("{} n/a", b.name)];
    }
    let several = packages.len() > 1;
    packages
        .into_iter()
        .map(|p| {
            let name = if several {
                format!("{} {p}", b.name)
            } else {
                b.name.clone()
            };
            format!("{name} {}/{}", one(&b.interp, p), one(&b.thumb, p))
        })
        .collect()
}

fn fmt_nvm(e: Option<&EngineResult>) -> String {
    match e.and_then(|e| Some((e.nvm_writes?, e.nvm_bytes?, e.nvm_blocks?))) {
        Some((w, b, k)) => format!("{w}/{b}/{k}"),
        None => "n/a".into(),
    }
}

/// The NVM table: writes/bytes/blocks of the work commands per engine, and
/// the cycle estimates with the NVM program time added.
fn render_nvm(s: &mut String, r: &Report) {
    let c = &r.nvm_cost;
    let _ = writeln!(
        s,
        "\nNVM writes/bytes/blocks of the work commands, and cycles with {} us per {}-byte block program at {} MHz ({} cycles each):",
        c.program_us,
        c.block_bytes,
        c.clock_mhz,
        c.cycles(1)
    );
    let _ = writeln!(
        s,
        "{:<11} {:>22} {:>22} {:>22} {:>16} {:>16} {:>16} {:>9}",
        "benchmark",
        "interp nvm",
        "thumb nvm",
        "C+NVM nvm",
        "interp cyc+nvm",
        "thumb cyc+nvm",
        "C+NVM cyc+nvm",
        "AOT/C+NVM"
    );
    for b in &r.benchmarks {
        let _ = writeln!(
            s,
            "{:<11} {:>22} {:>22} {:>22} {:>16} {:>16} {:>16} {:>9}",
            b.name,
            fmt_nvm(Some(&b.interp)),
            fmt_nvm(Some(&b.thumb)),
            fmt_nvm(b.c_nvm.as_ref()),
            fmt_count(b.interp.cycles_with_nvm),
            fmt_count(b.thumb.cycles_with_nvm),
            fmt_count(b.c_nvm.as_ref().and_then(|c| c.cycles_with_nvm)),
            fmt_ratio(b.aot_per_c_nvm),
        );
    }
}

/// A grouped bar chart (log scale) of the instruction counts per engine.
pub fn svg(r: &Report) -> String {
    let colours = ["#d95f02", "#1b9e77", "#7570b3"];
    let (w, h, left, bottom, top) = (900.0f64, 420.0f64, 70.0f64, 90.0f64, 40.0f64);
    let plot_h = h - bottom - top;
    let values: Vec<[Option<u64>; 3]> = r
        .benchmarks
        .iter()
        .map(|b| {
            [
                b.interp.instructions,
                b.thumb.instructions,
                b.c.instructions,
            ]
        })
        .collect();
    let max = values
        .iter()
        .flatten()
        .flatten()
        .copied()
        .max()
        .unwrap_or(10)
        .max(10) as f64;
    let decades = max.log10().ceil().max(1.0);
    let y = |v: f64| top + plot_h - plot_h * (v.max(1.0).log10() / decades);
    let mut s = String::new();
    let _ = writeln!(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">");
    let _ = writeln!(s, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
    let _ = writeln!(s, "<text x=\"{}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">Executed instructions per benchmark on the emulated Cortex-M3 (log scale){}</text>", w / 2.0, if r.quick { ", quick inputs" } else { "" });
    for d in 0..=decades as u32 {
        let yy = y(10f64.powi(d as i32));
        let _ = writeln!(s, "<line x1=\"{left}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">1e{d}</text>", w - 10.0, left - 5.0, yy + 4.0);
    }
    let n = values.len().max(1) as f64;
    let group = (w - left - 10.0) / n;
    let bar = group / 4.0;
    for (i, (b, v)) in r.benchmarks.iter().zip(&values).enumerate() {
        let x0 = left + group * i as f64 + bar / 2.0;
        for (k, val) in v.iter().enumerate() {
            let x = x0 + bar * k as f64;
            match val {
                Some(val) => {
                    let yy = y(*val as f64);
                    let _ = writeln!(s, "<rect x=\"{x:.1}\" y=\"{yy:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} {}: {val}</title></rect>", bar - 1.0, top + plot_h - yy, colours[k], b.name, ENGINES[k]);
                }
                None => {
                    let _ = writeln!(s, "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"9\">n/a</text>", x + bar / 2.0, top + plot_h - 4.0);
                }
            }
        }
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x0 + bar * 1.5,
            top + plot_h + 16.0,
            b.name
        );
    }
    for (k, e) in ["thumb-interp (interpreter)", "thumb (AOT)", "C (gcc -O2)"]
        .iter()
        .enumerate()
    {
        let x = left + 200.0 * k as f64;
        let _ = writeln!(s, "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{e}</text>", h - 40.0, colours[k], x + 16.0, h - 30.0);
    }
    let _ = writeln!(s, "</svg>");
    s
}

pub fn bench_cmd(args: BenchArgs) -> Result<(), CliError> {
    let t0 = Instant::now();
    let ws = workspace();
    let suite_path = ws.join(if args.quick {
        "benches/applets/suite-quick.json"
    } else {
        "benches/applets/suite.json"
    });
    let mut entries = read_suite(&suite_path).map_err(|e| io(&suite_path, e))?;
    let name_of = |e: &SuiteEntry| {
        e.caps
            .first()
            .and_then(|c| c.file_stem())
            .map_or(String::new(), |s| s.to_string_lossy().into_owned())
    };
    if !args.only.is_empty() {
        entries.retain(|e| args.only.contains(&name_of(e)));
        if entries.is_empty() {
            return Err(CliError::Usage(format!(
                "no benchmark called {:?}",
                args.only
            )));
        }
    }
    let qemu = find_qemu(Path::new("qemu-system-arm"))?;
    std::fs::create_dir_all(&args.out).map_err(|e| io(&args.out, e))?;
    let cost = NvmCost {
        block_bytes: args.nvm_block,
        program_us: args.nvm_program_us,
        clock_mhz: args.clock_mhz,
    };
    if !cost.block_bytes.is_power_of_two() {
        return Err(CliError::Usage(format!(
            "--nvm-block {} is not a power of two",
            cost.block_bytes
        )));
    }
    let bar = ProgressBar::new((entries.len() * ENGINES.len() + 2) as u64);
    bar.set_style(
        ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {pos}/{len} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message("building the firmware and the counting plugin");
    let art = Artifacts::build(&ws, &hydra_qemu_host::artifacts_dir(&ws))?;
    bar.inc(1);
    bar.set_message("building the C benchmarks");
    let c = build_c(&ws, &args.out)?;
    bar.inc(1);
    let mut report = Report {
        quick: args.quick,
        firmware: footprint(&art.firmware)?,
        c_image: footprint(&c.elf)?,
        cost_table: COSTS
            .iter()
            .map(|(n, c, d)| (n.to_string(), *c, d.to_string()))
            .collect(),
        nvm_cost: cost,
        ..Report::default()
    };
    for entry in &entries {
        let name = name_of(entry);
        let mut b = BenchResult {
            name: name.clone(),
            script: entry
                .script
                .strip_prefix(&ws)
                .unwrap_or(&entry.script)
                .display()
                .to_string(),
            work_commands: commands(&entry.script)?
                .iter()
                .filter(|c| !is_probe(&c.1))
                .count(),
            ..BenchResult::default()
        };
        b.package_bytes = entry
            .caps
            .iter()
            .map(|c| hydra_qemu_host::component_stream(c).map(|s| s.len()))
            .sum::<Result<usize, _>>()?;
        bar.set_message(format!("{name}: thumb-interp"));
        b.interp = run_firmware(&art, entry, Vec::new(), &cost)?;
        bar.inc(1);
        bar.set_message(format!("{name}: thumb"));
        b.thumb = match compile_thumb(entry, &args.out.join("thumb").join(&name)) {
            Ok((objs, code, bytecode)) => {
                b.native_bytes = Some(code);
                b.bytecode_bytes = Some(bytecode);
                match run_firmware(&art, entry, objs, &cost) {
                    Ok(r) => r,
                    Err(e) => unavailable(e.to_string()),
                }
            }
            Err(e) => unavailable(format!("compiling to Thumb-2: {e}")),
        };
        bar.inc(1);
        bar.set_message(format!("{name}: C"));
        b.c = run_c(&qemu, &art, &c, &name, entry, &args.out.join("c"), &cost)?;
        if NVM_VARIANTS.contains(&name.as_str()) {
            let variant = format!("{name}+nvm");
            b.c_nvm = Some(run_c(
                &qemu,
                &art,
                &c,
                &variant,
                entry,
                &args.out.join("c"),
                &cost,
            )?);
        }
        b.c_bytes = c
            .objects
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, o)| text_bytes(o))
            .transpose()?;
        bar.inc(1);
        b.interp_per_aot = ratio(b.interp.instructions, b.thumb.instructions);
        b.aot_per_c = ratio(b.thumb.instructions, b.c.instructions);
        b.interp_per_c = ratio(b.interp.instructions, b.c.instructions);
        b.native_per_bytecode = match (b.native_bytes, b.bytecode_bytes) {
            (Some(n), Some(bc)) if bc > 0 => Some(n as f64 / bc as f64),
            _ => None,
        };
        b.aot_per_c_nvm = ratio(
            b.thumb.cycles_with_nvm,
            b.c_nvm.as_ref().and_then(|c| c.cycles_with_nvm),
        );
        report.benchmarks.push(b);
    }
    bar.finish_and_clear();
    let bs = &report.benchmarks;
    report.geomean_interp_per_aot = geomean(bs.iter().map(|b| b.interp_per_aot));
    report.geomean_aot_per_c = geomean(bs.iter().map(|b| b.aot_per_c));
    report.geomean_interp_per_c = geomean(bs.iter().map(|b| b.interp_per_c));
    report.geomean_native_per_bytecode = geomean(bs.iter().map(|b| b.native_per_bytecode));
    report.seconds = t0.elapsed().as_secs_f64();
    hydra::out!("{}", render(&report));
    let json = args.out.join("bench.json");
    std::fs::write(
        &json,
        serde_json::to_string_pretty(&report).expect("serialisable"),
    )
    .map_err(|e| io(&json, e))?;
    let chart = args.out.join("bench.svg");
    std::fs::write(&chart, svg(&report)).map_err(|e| io(&chart, e))?;
    hydra::outln!(
        "Wrote {} and {} in {:.1} s.",
        json.display(),
        chart.display(),
        report.seconds
    );
    Ok(())
}

#[cfg(test)]
mod crypto_symbols {
    use super::is_crypto_symbol;

    #[test]
    fn crypto_symbols_are_told_apart() {
        assert!(is_crypto_symbol(
            "_ZN4sha26sha51211compress51217h4bbea99b0a030570E"
        ));
        assert!(is_crypto_symbol(
            "_ZN13hydra_runtime8security6cipher4init17h0123456789abcdefE"
        ));
        assert!(is_crypto_symbol(
            "_ZN50_$LT$p256..arithmetic..FieldElement$u20$as$u20$core..ops..Mul$GT$3mul17h0E"
        ));
        assert!(!is_crypto_symbol("_ZN13hydra_runtime6interp4exec17h0E"));
        assert!(!is_crypto_symbol("_ZN4core3fmt5write17h0E"));
        assert!(!is_crypto_symbol("memcpy"));
        assert!(!is_crypto_symbol("_ZN99short"));
    }

    #[test]
    fn symbols_are_given_their_crate_or_runtime_module() {
        use super::symbol_owner;
        let owner = |n| symbol_owner(n).unwrap_or_default();
        assert_eq!(
            owner("_ZN13hydra_runtime6interp52_$LT$impl$u20$hydra_runtime..card..Card$LT$N$GT$$GT$4exec17h0E"),
            "hydra_runtime::interp"
        );
        assert_eq!(
            owner("_ZN79_$LT$hydra_runtime..heap..Store$LT$N$GT$$u20$as$u20$core..fmt..Debug$GT$3fmt17h0E"),
            "hydra_runtime::heap"
        );
        assert_eq!(owner("_ZN13hydra_runtime3nvm17h0E"), "hydra_runtime::nvm");
        assert_eq!(owner("_ZN5alloc11collections5btree3map17h0E"), "alloc");
        assert_eq!(owner("_ZN4sha26sha51211compress51217h0E"), "sha2");
        assert_eq!(
            owner("_RNvNtCseL1MqMlhvy0_17compiler_builtins3mem6memcpy"),
            "compiler_builtins"
        );
        assert_eq!(
            owner("_RNvMsa_NtCs2fZl91Oq0qp_4core3fmtNtB5_9Formatter3pad"),
            "core"
        );
        assert_eq!(
            owner(".Lswitch.table._ZN9hydra_cap8bytecode6Opcode8mnemonic17h0E"),
            "hydra_cap"
        );
        assert_eq!(symbol_owner("memcpy"), None);
        assert_eq!(symbol_owner("_ZN99short"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvm_cost_is_block_programs_times_their_time() {
        let c = NvmCost {
            block_bytes: 64,
            program_us: 6000,
            clock_mhz: 25,
        };
        // 6 ms at 25 MHz is 150,000 cycles per block.
        assert_eq!(c.cycles(1), 150_000);
        assert_eq!(c.cycles(3), 450_000);
        assert_eq!(c.cycles(0), 0);
    }

    #[test]
    fn cycle_estimate_adds_the_table() {
        let mix = vec![
            ("loads".to_string(), 10),
            ("taken".to_string(), 3),
            ("div".to_string(), 1),
            ("branches".to_string(), 5),
        ];
        assert_eq!(cycles(100, &mix), 100 + 10 + 6 + 6);
    }

    #[test]
    fn geomean_of_the_values_present() {
        assert_eq!(geomean([Some(2.0), Some(8.0)].into_iter()), Some(4.0));
        assert_eq!(geomean([Some(2.0), None].into_iter()), Some(2.0));
        assert_eq!(geomean([None].into_iter()), None);
    }
}
