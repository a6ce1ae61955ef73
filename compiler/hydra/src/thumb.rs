//! `hydra run --engine thumb-interp`: the runtime and its interpreter as
//! meter firmware on an emulated Cortex-M3 (`qemu-system-arm -M
//! mps2-an385`, through `hydra-qemu-host`), with exact instruction counts.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hydra::error::CliError;
use hydra_host::{InstallSpec, SuiteEntry};
use hydra_qemu_host::script::{all_applets, run_script, ScriptRun};
use hydra_qemu_host::{
    find_qemu, flat_profile, image_packages, name_verifications, profile, Artifacts, Config,
    Counts, FirmwareSymbols, Install, Session, Verification,
};

/// What `hydra run` asks of the firmware.
pub struct Options {
    pub caps: Vec<PathBuf>,
    pub installs: Vec<InstallSpec>,
    /// NVM file (a directory holds it as `card.nvm`); none: volatile.
    pub state: Option<PathBuf>,
    /// Per-APDU instruction counts.
    pub count: bool,
    /// Bytecodes and instructions per bytecode by opcode group.
    pub stats: bool,
    /// Compile the packages to Thumb-2 for the firmware's native engine
    /// (`--engine thumb`).
    pub native: bool,
    /// Write a flat profile (instructions per function) here.
    pub pc_profile: Option<PathBuf>,
    /// The card accepts only load files its verifier type-checked.
    pub verify_all_loads: bool,
    /// Personalise the ISD with this DAP key (an uncompressed P-256
    /// point), with Mandated DAP.
    pub dap_key: Option<Vec<u8>>,
}

/// The firmware and the counting plugin: built by cargo in the workspace
/// this `hydra` was built from (a no-op when up to date), or the cached
/// build when there is no workspace.
fn artifacts() -> Result<Artifacts, CliError> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = hydra_qemu_host::artifacts_dir(&workspace);
    let cached = Artifacts::in_dir(&dir);
    if !workspace.join("targets/mps2-an385/Cargo.toml").is_file() {
        if cached.firmware.is_file() && cached.plugin.is_file() {
            return Ok(cached);
        }
        return Err(CliError::Usage(format!(
            "no firmware in {} and no Hydra workspace to build it in",
            dir.display()
        )));
    }
    if !cached.firmware.is_file() {
        eprintln!(
            "building the mps2-an385 firmware and the counting plugin into {} ...",
            dir.display()
        );
    }
    Ok(Artifacts::build(&workspace, &dir)?)
}

fn config(art: &Artifacts, opts: &Options) -> Result<Config, CliError> {
    let mut cfg = Config::new(&art.firmware);
    if opts.count || opts.stats || opts.pc_profile.is_some() {
        cfg.plugin = Some(art.plugin.clone());
    }
    if let Some(p) = &opts.pc_profile {
        cfg.pcs = Some(pcs_path(p));
    }
    cfg.profile = opts.stats;
    cfg.verify_all_loads = opts.verify_all_loads;
    cfg.dap_key = opts.dap_key.clone();
    cfg.nvm = opts.state.as_ref().map(|p| {
        if p.is_dir() {
            p.join("card.nvm")
        } else {
            p.clone()
        }
    });
    cfg.packages = opts.caps.clone();
    if opts.native {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let dir = hydra_qemu_host::artifacts_dir(&workspace)
            .join(format!("natives-{}", std::process::id()));
        cfg.natives = crate::packages::packages(&opts.caps, &dir)?
            .into_iter()
            .map(|p| p.0)
            .collect();
        cfg.native = true;
    }
    cfg.installs = if opts.installs.is_empty() {
        all_applets(&opts.caps)?
    } else {
        opts.installs.iter().map(Install::from).collect()
    };
    Ok(cfg)
}

/// What the verification figures of `--count` are.
const VERIFY_LEGEND: &str = "instructions of the card's check of each package it loads (the on-card verifier type-checking every method against the card's API; parsing and linking excluded; not type-checked: no Descriptor component, or an import the card holds no export data of, the figure that finding alone)";

/// Starts the firmware with the packages, instances and state of `opts`.
pub fn start_session(opts: &Options) -> Result<Session, CliError> {
    find_qemu(Path::new("qemu-system-arm"))?;
    let art = artifacts()?;
    Ok(Session::start(&config(&art, opts)?)?)
}

/// Runs one script on a fresh QEMU; stops QEMU on every path. Also the
/// names of the packages of the card's image, in load order.
fn run_one(
    art: &Artifacts,
    opts: &Options,
    script: &Path,
) -> Result<(ScriptRun, Vec<String>), CliError> {
    let text = std::fs::read_to_string(script).map_err(|e| CliError::Io {
        path: script.display().to_string(),
        message: e.to_string(),
    })?;
    let cfg = config(art, opts)?;
    let packages = image_packages(&cfg.packages, &cfg.natives)?;
    let mut session = Session::start(&cfg)?;
    let run = run_script(&mut session, &script.display().to_string(), &text);
    session.stop();
    Ok((run?, packages))
}

/// One check of a load file: `NAME N` instructions, and whether the
/// verifier could not type-check it (what was counted is then only the
/// card finding so).
fn fmt_check(name: &str, v: &Verification) -> String {
    format!("{name} {}", fmt_check_figure(v.instructions, v.typed))
}

/// The instructions of one check, marked when the verifier could not
/// type-check the load file.
pub fn fmt_check_figure(instructions: u64, typed: bool) -> String {
    if typed {
        instructions.to_string()
    } else {
        format!("{instructions} (not type-checked)")
    }
}

/// The on-card verification of every package of a run: those of the
/// image at boot, by package, then those of LOAD commands, by script line.
pub fn verification_figures(run: &ScriptRun, packages: &[String]) -> Vec<String> {
    let mut out: Vec<String> = name_verifications(packages, &run.verifications)
        .iter()
        .map(|(name, v)| fmt_check(name, v))
        .collect();
    for a in &run.apdus {
        for v in a.counts.iter().flat_map(|c| &c.verify) {
            out.push(fmt_check(&format!("LOAD at line {}", a.line), v));
        }
    }
    out
}

/// Where the plugin writes its per-address counts for profile `out`: next
/// to it, never the same file (`prof.txt` -> `prof.txt.pcs`).
fn pcs_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".pcs");
    out.with_file_name(name)
}

/// Turns the plugin's per-address counts (see [`pcs_path`]) into the flat
/// profile at `out`.
fn write_profile(art: &Artifacts, out: &Path) -> Result<(), CliError> {
    let pcs_path = pcs_path(out);
    let io = |p: &Path, e: std::io::Error| CliError::Io {
        path: p.display().to_string(),
        message: e.to_string(),
    };
    let pcs = std::fs::read_to_string(&pcs_path).map_err(|e| io(&pcs_path, e))?;
    let syms = FirmwareSymbols::read(&art.firmware)?;
    let prof = flat_profile(&pcs, &syms);
    let total: u64 = prof.iter().map(|p| p.1).sum();
    let mut s = format!("{total} instructions executed inside the APDU windows\n");
    for (name, n) in &prof {
        let _ = writeln!(
            s,
            "{n:>12} {:>6.2}%  {name}",
            *n as f64 * 100.0 / total.max(1) as f64
        );
    }
    std::fs::write(out, s).map_err(|e| io(out, e))?;
    let _ = std::fs::remove_file(&pcs_path);
    Ok(())
}

/// The per-APDU count table: script line, CLA INS, total, then each bucket.
pub fn count_table(run: &ScriptRun) -> String {
    let mut s = String::new();
    let Some(first) = run.apdus.iter().find_map(|a| a.counts.as_ref()) else {
        return s;
    };
    let _ = write!(s, "{:>5}  {:<5}  {:>10}", "line", "apdu", "total");
    for (name, _) in &first.buckets {
        let _ = write!(s, " {name:>10}");
    }
    s.push('\n');
    let mut sum = vec![0u64; first.buckets.len() + 1];
    for a in &run.apdus {
        let Some(c) = &a.counts else { continue };
        let _ = write!(
            s,
            "{:>5}  {:02X} {:02X}  {:>10}",
            a.line, a.command[0], a.command[1], c.total
        );
        sum[0] += c.total;
        for (i, (_, v)) in c.buckets.iter().enumerate() {
            let _ = write!(s, " {v:>10}");
            if let Some(t) = sum.get_mut(i + 1) {
                *t += v;
            }
        }
        s.push('\n');
    }
    let _ = write!(s, "{:>5}  {:<5}", "", "total");
    for v in sum {
        let _ = write!(s, " {v:>10}");
    }
    s.push('\n');
    s
}

/// Bytecodes and instructions per bytecode by opcode group, over a run.
pub fn bytecode_table(counts: &[&Counts]) -> String {
    let mut groups: Vec<(&str, u64, u64)> = profile::GROUPS.iter().map(|&g| (g, 0, 0)).collect();
    let mut total = 0;
    for c in counts {
        total += c.total;
        for g in &c.bytecodes {
            if let Some(e) = groups.iter_mut().find(|e| e.0 == g.group) {
                e.1 += g.bytecodes;
                e.2 += g.instructions;
            }
        }
    }
    let (n, insns) = groups.iter().fold((0, 0), |(n, i), g| (n + g.1, i + g.2));
    let mut s = format!(
        "{n} bytecodes, {insns} of {total} instructions in bytecodes: {:.1} instructions per bytecode\n",
        insns as f64 / n.max(1) as f64
    );
    let _ = writeln!(
        s,
        "  {:<12} {:>10} {:>12} {:>8}",
        "group", "bytecodes", "instructions", "per op"
    );
    for (g, n, i) in groups.iter().filter(|g| g.1 > 0) {
        let _ = writeln!(
            s,
            "  {g:<12} {n:>10} {i:>12} {:>8.1}",
            *i as f64 / *n as f64
        );
    }
    s
}

fn counts_of(run: &ScriptRun) -> Vec<&Counts> {
    run.apdus.iter().filter_map(|a| a.counts.as_ref()).collect()
}

/// `hydra run --engine thumb-interp SCRIPT`.
pub fn run_script_cmd(
    opts: &Options,
    script: &Path,
    expected: Option<&Path>,
) -> Result<(), CliError> {
    find_qemu(Path::new("qemu-system-arm"))?;
    let art = artifacts()?;
    let (run, packages) = run_one(&art, opts, script)?;
    hydra::out!("{}", run.output);
    if let Some(out) = &opts.pc_profile {
        write_profile(&art, out)?;
    }
    if opts.count {
        hydra::out!("{}", count_table(&run));
        let checks = verification_figures(&run, &packages);
        if !checks.is_empty() {
            hydra::outln!("{VERIFY_LEGEND}: {}", checks.join(", "));
        }
    }
    if opts.stats {
        eprint!("{}", bytecode_table(&counts_of(&run)));
    }
    if let Some(exp) = expected {
        crate::run::check(script, &run.output, exp)?;
    }
    Ok(())
}

/// `hydra run --engine thumb-interp --suite SUITE`: every script on a
/// fresh card; returns the number that failed.
pub fn run_suite(opts: &Options, entries: &[SuiteEntry]) -> Result<usize, CliError> {
    find_qemu(Path::new("qemu-system-arm"))?;
    let art = artifacts()?;
    let mut failed = 0;
    let mut runs = Vec::new();
    for e in entries {
        let o = Options {
            caps: e.caps.clone(),
            installs: e.installs.clone(),
            state: None,
            count: opts.count,
            stats: opts.stats,
            native: opts.native,
            pc_profile: None,
            verify_all_loads: opts.verify_all_loads,
            dap_key: opts.dap_key.clone(),
        };
        let r = run_one(&art, &o, &e.script).and_then(|(run, packages)| {
            crate::run::check(&e.script, &run.output, &e.expected)?;
            Ok((run, packages))
        });
        match r {
            Ok((run, packages)) => {
                match counts_of(&run).iter().map(|c| c.total).reduce(|a, b| a + b) {
                    Some(total) if opts.count => {
                        hydra::outln!(
                            "pass {} ({} APDUs, {total} instructions)",
                            e.script.display(),
                            run.apdus.len()
                        );
                        let checks = verification_figures(&run, &packages);
                        if !checks.is_empty() {
                            hydra::outln!("  verification: {}", checks.join(", "));
                        }
                    }
                    _ => hydra::outln!("pass {}", e.script.display()),
                }
                runs.push(run);
            }
            Err(err) => {
                failed += 1;
                hydra::outln!("FAIL {err}");
            }
        }
    }
    if opts.count {
        hydra::outln!("verification: {VERIFY_LEGEND}");
    }
    if opts.stats {
        let all: Vec<&Counts> = runs.iter().flat_map(counts_of).collect();
        eprint!("{}", bytecode_table(&all));
    }
    Ok(failed)
}
