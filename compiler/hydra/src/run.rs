//! `hydra run`: a card with the given packages and applets runs an apdutool
//! script and prints apdutool's output.

use std::path::{Path, PathBuf};
use std::time::Instant;

use hydra::error::CliError;
use hydra_host::{first_difference, read_cap, read_suite, Host, HostError, InstallSpec};

/// Where `hydra run` executes the applets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// The interpreter in this process.
    Interp,
    /// Compiled to native code for this host.
    Native,
    /// The interpreter in the meter firmware on an emulated Cortex-M3
    /// (qemu-system-arm -M mps2-an385).
    ThumbInterp,
    /// Compiled to Thumb-2 and run by the meter firmware's native engine
    /// on the emulated Cortex-M3.
    Thumb,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// Execution engine.
    #[arg(long, value_enum, default_value_t = Engine::Interp)]
    engine: Engine,
    /// CAP file to load (repeatable; in dependency order).
    #[arg(long = "cap", value_name = "CAP")]
    caps: Vec<PathBuf>,
    /// Applet to install: CLASS_AID[:HEXPARAMS], CLASS_AID:INSTANCE_AID:HEXPARAMS
    /// or CLASS_AID:INSTANCE_AID:HEXPARAMS:PRIVILEGES (hex). Without any,
    /// every applet of the loaded packages is installed.
    #[arg(long = "install", value_name = "AID[:PARAMS]")]
    installs: Vec<String>,
    /// apdutool script to run.
    #[arg(long = "script", value_name = "SCRIPT")]
    script_opt: Option<PathBuf>,
    /// apdutool script to run (same as --script).
    #[arg(value_name = "SCRIPT", conflicts_with = "script_opt")]
    script: Option<PathBuf>,
    /// Compare the output with this expected file; exit non-zero at the
    /// first difference.
    #[arg(long = "check", visible_alias = "expect", value_name = "EXPECTED")]
    check: Option<PathBuf>,
    /// Run every script of a conformance suite (suite.json) and check each.
    #[arg(long, value_name = "SUITE", conflicts_with_all = ["caps", "installs", "script", "script_opt"])]
    suite: Option<PathBuf>,
    /// Card state file: created when missing, kept across runs.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Print bytecodes executed, bytecodes per second and the busiest opcodes
    /// to stderr.
    /// With thumb-interp: bytecodes and instructions per bytecode by
    /// opcode group instead.
    #[arg(long)]
    stats: bool,
    /// Print the executed instructions of every APDU, split into
    /// interpreter, runtime/API, applet, board and library code
    /// (thumb-interp).
    #[arg(long)]
    count: bool,
    /// Write a flat profile of the whole run to FILE: executed instructions
    /// per firmware function inside the APDU windows, busiest first (thumb-interp, thumb; one
    /// script).
    #[arg(long, value_name = "FILE")]
    pc_profile: Option<PathBuf>,
    /// Name on stderr each exception that escapes an applet (with its
    /// reason) and the status word it became.
    #[arg(long)]
    explain: bool,
    /// With --suite: cut the power at every NVM write of every script
    /// (torn: half the write done), reboot, finish the script, and check
    /// that the card answers as after a clean cut just before or after
    /// that write (interp, native).
    #[arg(long, requires = "suite")]
    power_cuts: bool,
}

fn host_err(path: &Path, e: HostError) -> CliError {
    match e {
        // Already `SCRIPT:LINE: what`, as the meter engines say it.
        HostError::Script { path, source } => CliError::Io {
            path: format!("{path}:{}", source.line),
            message: source.what,
        },
        e @ (HostError::Cap(_)
        | HostError::Io { .. }
        | HostError::State { .. }
        | HostError::Suite(_)) => CliError::Host(e),
        e => CliError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        },
    }
}

pub(crate) fn new_host(state: Option<&Path>) -> Result<Host, CliError> {
    match state {
        Some(p) => Host::with_state(p).map_err(|e| host_err(p, e)),
        None => Ok(Host::in_memory()),
    }
}

pub(crate) fn setup(
    host: &mut Host,
    caps: &[PathBuf],
    installs: &[InstallSpec],
) -> Result<(), CliError> {
    for c in caps {
        let cap = read_cap(c).map_err(|e| host_err(c, e))?;
        host.load(&cap).map_err(|e| host_err(c, e))?;
    }
    let here = Path::new("--install");
    if installs.is_empty() {
        host.install_all().map_err(|e| host_err(here, e))?;
    } else {
        for i in installs {
            host.install(i).map_err(|e| host_err(here, e))?;
        }
    }
    host.power_down();
    Ok(())
}

/// The last line of a suite run; a failure makes the exit code non-zero.
fn suite_summary(total: usize, failed: usize) -> Result<(), CliError> {
    hydra::outln!("{} of {total} scripts pass", total - failed);
    if failed > 0 {
        return Err(CliError::Usage(format!(
            "{failed} conformance script(s) failed"
        )));
    }
    Ok(())
}

/// Compares a script's output with its expected file; the first differing
/// response is the error.
pub(crate) fn check(script: &Path, out: &str, expected: &Path) -> Result<(), CliError> {
    let want = std::fs::read_to_string(expected).map_err(|e| CliError::Io {
        path: expected.display().to_string(),
        message: e.to_string(),
    })?;
    match first_difference(out, &want) {
        None => Ok(()),
        Some((line, e, a)) => Err(CliError::Io {
            path: script.display().to_string(),
            message: format!(
                "response {line} differs from {}\n  expected: {e}\n  actual:   {a}",
                expected.display()
            ),
        }),
    }
}

fn print_stats(host: &Host, elapsed: f64) {
    let (n, counts) = host.totals();
    eprintln!(
        "{n} bytecodes in {:.3} s ({:.1} M bytecodes/s)",
        elapsed,
        n as f64 / elapsed.max(1e-9) / 1e6
    );
    let mut top: Vec<(usize, u64)> = counts
        .iter()
        .copied()
        .enumerate()
        .filter(|c| c.1 > 0)
        .collect();
    top.sort_by_key(|c| std::cmp::Reverse(c.1));
    for (op, c) in top.iter().take(10) {
        let name = match *op as u8 {
            0xC0..=0xC3 => "getfield (quick)",
            0xC4..=0xC7 => "putfield (quick)",
            0xC8..=0xCB => "getfield_this (quick)",
            0xCC..=0xCF => "putfield_this (quick)",
            0xD0 => "invokestatic (quick)",
            0xD1 => "invokespecial (quick)",
            b => hydra_cap::bytecode::Opcode(b).mnemonic().unwrap_or("?"),
        };
        eprintln!(
            "  {name:<24} {c:>10}  {:5.1}%",
            *c as f64 * 100.0 / n.max(1) as f64
        );
    }
}

/// `--power-cuts`: the sweep of `hydra_host::power_cut` over a suite.
fn power_cuts(args: &RunArgs) -> Result<(), CliError> {
    if matches!(args.engine, Engine::ThumbInterp | Engine::Thumb) {
        return Err(CliError::Usage(
            "--power-cuts runs on the host card: use it with --engine interp or native".into(),
        ));
    }
    let suite = args.suite.as_deref().expect("clap requires --suite");
    let entries = read_suite(suite).map_err(|e| host_err(suite, e))?;
    let (mut cuts, mut bad) = (0, 0);
    for e in &entries {
        let text = std::fs::read_to_string(&e.script).map_err(|x| CliError::Io {
            path: e.script.display().to_string(),
            message: x.to_string(),
        })?;
        if !hydra_host::power_cut::sweepable(&text) {
            hydra::outln!("skip {} (hides output)", e.script.display());
            continue;
        }
        let caps = e
            .caps
            .iter()
            .map(|c| read_cap(c).map_err(|x| host_err(c, x)))
            .collect::<Result<Vec<_>, _>>()?;
        let engine = match args.engine {
            Engine::Native => Some(crate::compile::engine_for(&e.caps)?),
            _ => None,
        };
        let r =
            hydra_host::power_cut::sweep(e, &caps, engine).map_err(|x| host_err(&e.script, x))?;
        hydra::outln!(
            "{} {}: {} writes, {} torn cuts, {} consistent, {} torn non-atomic data, \
             {} clean cuts, {} in SELECT, {} not reproducible after a reboot",
            if r.inconsistencies.is_empty() {
                "pass"
            } else {
                "FAIL"
            },
            e.script.display(),
            r.writes,
            r.cuts,
            r.consistent,
            r.torn_non_atomic,
            r.clean_cuts,
            r.skipped,
            r.unreproducible
        );
        for i in &r.inconsistencies {
            hydra::outln!("  {i}");
        }
        cuts += r.cuts;
        bad += r.inconsistencies.len();
    }
    hydra::outln!("{cuts} power cuts, {bad} inconsistencies");
    if bad > 0 {
        return Err(CliError::Usage(format!(
            "{bad} power cut(s) left an inconsistent card"
        )));
    }
    Ok(())
}

pub fn run_cmd(args: RunArgs) -> Result<(), CliError> {
    if args.count && !matches!(args.engine, Engine::ThumbInterp | Engine::Thumb) {
        return Err(CliError::Usage(
            "--count counts instructions on the meter's MCU: use it with --engine thumb-interp or thumb"
                .into(),
        ));
    }
    if args.pc_profile.is_some()
        && (!matches!(args.engine, Engine::ThumbInterp | Engine::Thumb) || args.suite.is_some())
    {
        return Err(CliError::Usage(
            "--pc-profile profiles one script on the meter's MCU: use it with --engine thumb-interp or thumb and a SCRIPT"
                .into(),
        ));
    }
    if args.power_cuts {
        return power_cuts(&args);
    }
    if matches!(args.engine, Engine::ThumbInterp | Engine::Thumb) {
        return run_thumb(args);
    }
    if let Some(suite) = &args.suite {
        let entries = read_suite(suite).map_err(|e| host_err(suite, e))?;
        let mut failed = 0;
        for e in &entries {
            let mut host = new_host(None)?;
            if args.engine == Engine::Native {
                host.engine = Some(crate::compile::engine_for(&e.caps)?);
            }
            host.stats = args.stats;
            let r = (|| {
                setup(&mut host, &e.caps, &e.installs)?;
                let text = std::fs::read_to_string(&e.script).map_err(|x| CliError::Io {
                    path: e.script.display().to_string(),
                    message: x.to_string(),
                })?;
                let out = host
                    .run_script(&e.script.display().to_string(), &text)
                    .map_err(|x| host_err(&e.script, x))?;
                check(&e.script, &out, &e.expected)
            })();
            match r {
                Ok(()) => hydra::outln!("pass {}", e.script.display()),
                Err(err) => {
                    failed += 1;
                    hydra::outln!("FAIL {err}");
                }
            }
        }
        return suite_summary(entries.len(), failed);
    }
    let script = args
        .script
        .or(args.script_opt)
        .ok_or_else(|| CliError::Usage("hydra run needs a SCRIPT (or --suite)".into()))?;
    let installs = args
        .installs
        .iter()
        .map(|s| InstallSpec::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let mut host = new_host(args.state.as_deref())?;
    if args.engine == Engine::Native {
        host.engine = Some(crate::compile::engine_for(&args.caps)?);
    }
    host.stats = args.stats;
    host.explain = args.explain;
    setup(&mut host, &args.caps, &installs)?;
    let text = std::fs::read_to_string(&script).map_err(|e| CliError::Io {
        path: script.display().to_string(),
        message: e.to_string(),
    })?;
    let t = Instant::now();
    let out = host
        .run_script(&script.display().to_string(), &text)
        .map_err(|e| host_err(&script, e))?;
    let elapsed = t.elapsed().as_secs_f64();
    host.power_down();
    hydra::out!("{out}");
    if args.stats {
        print_stats(&host, elapsed);
    }
    if let Some(exp) = &args.check {
        check(&script, &out, exp)?;
    }
    Ok(())
}

fn run_thumb(args: RunArgs) -> Result<(), CliError> {
    let mut opts = crate::thumb::Options {
        caps: args.caps,
        installs: Vec::new(),
        state: args.state,
        count: args.count,
        stats: args.stats,
        native: args.engine == Engine::Thumb,
        pc_profile: args.pc_profile,
        verify_all_loads: false,
        dap_key: None,
    };
    if let Some(suite) = &args.suite {
        let entries = read_suite(suite).map_err(|e| host_err(suite, e))?;
        let failed = crate::thumb::run_suite(&opts, &entries)?;
        return suite_summary(entries.len(), failed);
    }
    let script = args
        .script
        .or(args.script_opt)
        .ok_or_else(|| CliError::Usage("hydra run needs a SCRIPT (or --suite)".into()))?;
    opts.installs = args
        .installs
        .iter()
        .map(|s| InstallSpec::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    crate::thumb::run_script_cmd(&opts, &script, args.check.as_deref())
}
