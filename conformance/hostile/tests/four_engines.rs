//! The rule for hostile packages made from every bundled CAP (the
//! conformance suite and the benchmarks): each is refused by the CAP
//! reader or the verifier, with a one-line message, or it answers its
//! script identically on the four engines — the interpreter and compiled
//! code on the host, and the interpreter and Thumb-2 code on the emulated
//! meter. Nothing panics.
//!
//! CI runs a sample: `HYDRA_HOSTILE_CASES` cases (default 600) spread over
//! every CAP and family, of which at most `HYDRA_HOSTILE_RUNS` accepted
//! ones (default 24) run on the engines. `all` for either runs everything
//! (by hand: the full corpus is about 98,000 cases, 8,000 of them
//! accepted, and a four-engine run takes about 5 s). `HYDRA_HOSTILE_FAMILY`
//! (`truncation`, `field`, `bytecode`) keeps one family;
//! `HYDRA_HOSTILE_ENGINES=host` compares interp and native only;
//! `HYDRA_HOSTILE_ONLY=TEXT` keeps the cases whose label (`file.cap: ...`,
//! as failures print it) contains TEXT.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use hydra_cap::CapFile;
use hydra_host::SuiteEntry;
use hydra_hostile::{generate, sample, Case, Family};
use hydra_native::host::{NativeCode, NativeImage};
use hydra_qemu_host::script::{all_applets, run_script};
use hydra_qemu_host::{Artifacts, Config, Install, Session};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `None`: all.
fn env_count(name: &str, default: usize) -> Option<usize> {
    match std::env::var(name) {
        Ok(v) if v == "all" => None,
        Ok(v) => Some(
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v}: a number or `all`")),
        ),
        Err(_) => Some(default),
    }
}

/// Every bundled CAP once, with the first suite entry that loads it.
fn targets() -> Vec<(SuiteEntry, usize)> {
    let ws = workspace();
    let mut out: Vec<(SuiteEntry, usize)> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for suite in [
        "conformance/applets/suite.json",
        "benches/applets/suite-quick.json",
    ] {
        for e in hydra_host::read_suite(&ws.join(suite)).unwrap() {
            for (i, c) in e.caps.iter().enumerate() {
                let c = c.canonicalize().unwrap();
                if !seen.contains(&c) {
                    seen.push(c);
                    out.push((e.clone(), i));
                }
            }
        }
    }
    out
}

fn api_for(caps: &[PathBuf]) -> hydra_verify::ApiSet {
    hydra_driver::fuzzing::api_for(caps)
}

#[derive(Default)]
struct Tally {
    tried: [usize; 3],
    refused_reader: [usize; 3],
    refused_verifier: [usize; 3],
    accepted: [usize; 3],
    same_code: [usize; 3],
    identical: [usize; 3],
    failures: Vec<String>,
}

fn index(f: Family) -> usize {
    Family::ALL.iter().position(|&x| x == f).unwrap()
}

/// What the reader and the verifier say of a case: `Ok` with the package
/// when it verifies.
fn check(
    case: &Case,
    api: &hydra_verify::ApiSet,
) -> Result<Result<CapFile, (bool, String)>, String> {
    catch_unwind(AssertUnwindSafe(|| {
        let cap = match CapFile::from_component_stream(&case.load_file) {
            Ok(c) => c,
            Err(e) => return Err((true, e.to_string())),
        };
        match hydra_verify::verify(&cap, api) {
            Ok(_) => Ok(cap),
            Err(errors) => {
                // One line per error: a line break inside one is a fault.
                let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
                let bad = lines.iter().any(|l| l.contains('\n') || l.is_empty());
                let msg = if bad || lines.is_empty() {
                    format!("{lines:?}\n")
                } else {
                    lines.join("; ")
                };
                Err((false, msg))
            }
        }
    }))
    .map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

/// A number in a message that can only come from arithmetic that wrapped
/// (nothing in a CAP file counts past 2^32).
fn wrapped_number(msg: &str) -> Option<u64> {
    // Words of decimal digits only: AIDs and hex values have letters or
    // an `0x` around their digits.
    msg.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()))
        .find_map(|w| match w.parse::<u64>() {
            Ok(n) if n > u64::from(u32::MAX) => Some(n),
            Ok(_) => None,
            Err(_) => Some(u64::MAX),
        })
}

/// A script's output, or the one-line reason the engine refused it.
type Answer = Result<String, String>;

/// The execution budget per applet entry on every engine: far above what
/// any honest script needs (checked), far below the card's default, so
/// that an endless loop ends in a second on the emulated meter, not a
/// minute.
const BUDGET: u64 = 2_000_000;

/// A package set compiled for the host and for the meter.
#[derive(PartialEq, Eq)]
struct Compiled {
    host: Vec<Vec<u8>>,
    thumb: Vec<Vec<u8>>,
}

fn compile(entry: &SuiteEntry, caps: &[CapFile]) -> Result<Compiled, String> {
    let api = api_for(&entry.caps);
    let mut c = Compiled {
        host: Vec::new(),
        thumb: Vec::new(),
    };
    for cap in caps {
        let v = hydra_verify::verify(cap, &api).map_err(|e| format!("verify: {e:?}"))?;
        for (triple, out) in [
            (hydra_driver::HOST_TRIPLE, &mut c.host),
            ("thumbv7m-none-eabi", &mut c.thumb),
        ] {
            let p = hydra_driver::compile(cap, &v, triple, hydra_driver::Options::default())
                .map_err(|e| format!("{triple}: compile: {e}"))?;
            out.push(
                hydra_driver::emit_package(&p, cap)
                    .map_err(|e| format!("{triple}: package: {e}"))?,
            );
        }
    }
    Ok(c)
}

/// The script's output on each engine: interp twice (to tell random
/// answers), native, and with `meter` thumb-interp and thumb.
fn run_engines(
    entry: &SuiteEntry,
    caps: &[CapFile],
    compiled: &Compiled,
    meter: Option<&Path>,
    dir: &Path,
) -> Result<Vec<(&'static str, Answer)>, String> {
    let mut code = NativeCode::new();
    for package in &compiled.host {
        code.add(NativeImage::load(package).map_err(|e| format!("host load: {e}"))?);
    }
    let mut out = vec![
        ("interp", entry.run_with_budget(caps, None, Some(BUDGET))),
        ("interp", entry.run_with_budget(caps, None, Some(BUDGET))),
        (
            "native",
            entry.run_with_budget(caps, Some(Rc::new(move || code.engine())), Some(BUDGET)),
        ),
    ];
    let Some(firmware) = meter else {
        return Ok(out);
    };
    std::fs::create_dir_all(dir).unwrap();
    let mut streams = Vec::new();
    let mut objects = Vec::new();
    for (i, cap) in caps.iter().enumerate() {
        let o = dir.join(format!("{i}.hnp"));
        std::fs::write(&o, &compiled.thumb[i]).unwrap();
        objects.push(o);
        let s = dir.join(format!("{i}.ijc"));
        std::fs::write(&s, cap.to_load_file(false).unwrap()).unwrap();
        streams.push(s);
    }
    for (name, natives) in [("thumb-interp", Vec::new()), ("thumb", objects)] {
        let mut cfg = Config::new(firmware);
        cfg.packages = streams.clone();
        cfg.installs = if entry.installs.is_empty() {
            all_applets(&streams).map_err(|e| e.to_string())?
        } else {
            entry.installs.iter().map(Install::from).collect()
        };
        cfg.native = !natives.is_empty();
        cfg.natives = natives;
        cfg.budget = Some(BUDGET);
        // A refused load or install stops the firmware's boot; that is
        // the meter's refusal, compared as such.
        let r = match Session::start(&cfg) {
            Err(e) => Err(e.to_string()),
            Ok(mut s) => {
                let text = std::fs::read_to_string(&entry.script).unwrap();
                let r = run_script(&mut s, &entry.script.display().to_string(), &text)
                    .map(|r| r.output)
                    .map_err(|e| e.to_string());
                s.stop();
                r
            }
        };
        out.push((name, r));
    }
    Ok(out)
}

/// Whether `a` and `b` differ in the Descriptor component alone (which
/// only the verifier and the compilers read).
fn only_descriptor_differs(a: &CapFile, b: &CapFile) -> bool {
    let mut a = a.clone();
    a.descriptor = b.descriptor.clone();
    a.directory = b.directory.clone();
    a == *b
}

#[test]
fn hostile_packages_are_refused_or_answer_alike_on_four_engines() {
    let cases_wanted = env_count("HYDRA_HOSTILE_CASES", 600);
    let mut runs_left = env_count("HYDRA_HOSTILE_RUNS", 24);
    let family = std::env::var("HYDRA_HOSTILE_FAMILY").ok().map(|v| {
        *Family::ALL
            .iter()
            .find(|f| f.name().starts_with(&v))
            .unwrap_or_else(|| panic!("HYDRA_HOSTILE_FAMILY={v}: truncation, field or bytecode"))
    });
    let targets = targets();
    assert!(targets.len() >= 20, "bundled CAPs not found");
    let per_cap = cases_wanted.map(|n| n.div_ceil(targets.len()));
    let ws = workspace();
    let dir = hydra_qemu_host::artifacts_dir(&ws);
    let firmware = Artifacts::build(&ws, &dir)
        .unwrap_or_else(|e| panic!("the meter firmware is needed: {e}"))
        .firmware;
    let meter = match std::env::var("HYDRA_HOSTILE_ENGINES").as_deref() {
        Ok("host") => false,
        Ok("all") | Err(_) => true,
        Ok(v) => panic!("HYDRA_HOSTILE_ENGINES={v}: host or all"),
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut t = Tally::default();
    let mut not_run = 0;
    for (entry, which) in &targets {
        let mut caps: Vec<CapFile> = entry
            .caps
            .iter()
            .map(|c| hydra_host::read_cap(c).unwrap())
            .collect();
        let original = caps[which.to_owned()].clone();
        let all = generate(&original).unwrap();
        let all: Vec<Case> = all
            .into_iter()
            .filter(|c| family.is_none_or(|f| c.family == f))
            .collect();
        let chosen = match per_cap {
            Some(n) => sample(&all, n),
            None => all.iter().collect(),
        };
        let api = api_for(&entry.caps);
        let honest = &compile(entry, &caps).unwrap();
        let expected = std::fs::read_to_string(&entry.expected).unwrap();
        let out = entry.run_with_budget(&caps, None, Some(BUDGET)).unwrap();
        assert!(
            hydra_host::first_difference(&out, &expected).is_none(),
            "{}: the honest package needs more than the budget",
            entry.script.display()
        );
        let name = entry.caps[*which]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let only = std::env::var("HYDRA_HOSTILE_ONLY").unwrap_or_default();
        for case in chosen {
            if !format!("{name}: {}", case.label).contains(&only) {
                continue;
            }
            let f = index(case.family);
            t.tried[f] += 1;
            let label = format!("{name}: {}", case.label);
            let cap = match check(case, &api) {
                Err(panic) => {
                    t.failures.push(format!("{label}: panic: {panic}"));
                    continue;
                }
                Ok(Err((reader, msg))) => {
                    if reader {
                        t.refused_reader[f] += 1;
                    } else {
                        t.refused_verifier[f] += 1;
                    }
                    if msg.contains('\n') || msg.is_empty() {
                        t.failures
                            .push(format!("{label}: refusal not one line: {msg:?}"));
                    }
                    if let Some(n) = wrapped_number(&msg) {
                        t.failures.push(format!(
                            "{label}: refusal names a wrapped number {n}: {msg}"
                        ));
                    }
                    continue;
                }
                Ok(Ok(cap)) => cap,
            };
            t.accepted[f] += 1;
            match &mut runs_left {
                Some(0) => {
                    not_run += 1;
                    continue;
                }
                Some(n) => *n -= 1,
                None => {}
            }
            let descriptor_only = only_descriptor_differs(&cap, &original);
            caps[*which] = cap;
            let compiled = match compile(entry, &caps) {
                Ok(c) => c,
                Err(e) => {
                    t.failures.push(format!("{label}: verified but {e}"));
                    caps[*which] = original.clone();
                    continue;
                }
            };
            // A lie in the Descriptor alone that changes no compiled byte
            // runs exactly the honest package, which the conformance tests
            // run on every engine.
            if descriptor_only && compiled == *honest {
                t.same_code[f] += 1;
                caps[*which] = original.clone();
                continue;
            }
            let d = tmp.path().join(t.tried.iter().sum::<usize>().to_string());
            let meter = meter.then_some(firmware.as_path());
            match run_engines(entry, &caps, &compiled, meter, &d) {
                Err(e) => t.failures.push(format!("{label}: verified but {e}")),
                Ok(outs) => {
                    let (_, reference) = &outs[0];
                    let (_, again) = &outs[1];
                    let mut same = true;
                    for (engine, out) in &outs[2..] {
                        let differ = match (reference, out) {
                            (Ok(a), Ok(b)) => {
                                hydra_host::first_stable_difference(a, again.as_deref().ok(), b)
                                    .map(|(line, want, got)| {
                                        format!("response {line}: interp {want}, {engine} {got}")
                                    })
                            }
                            (Err(_), Err(_)) => None,
                            (a, b) => Some(format!("interp {a:?}, {engine} {b:?}")),
                        };
                        if let Some(d) = differ {
                            same = false;
                            t.failures.push(format!("{label}: {d}"));
                        }
                    }
                    if same {
                        t.identical[f] += 1;
                    }
                }
            }
            caps[*which] = original.clone();
        }
    }
    for (i, f) in Family::ALL.iter().enumerate() {
        println!(
            "{}: {} tried, {} refused by the reader, {} by the verifier, {} accepted: \
             {} identical on {}, {} a Descriptor lie compiling to the honest code",
            f.name(),
            t.tried[i],
            t.refused_reader[i],
            t.refused_verifier[i],
            t.accepted[i],
            t.identical[i],
            if meter {
                "four engines"
            } else {
                "interp and native"
            },
            t.same_code[i]
        );
    }
    println!("{not_run} accepted cases not run on the engines (HYDRA_HOSTILE_RUNS)");
    assert!(
        t.failures.is_empty(),
        "{} failures:\n{}",
        t.failures.len(),
        t.failures.join("\n")
    );
}
