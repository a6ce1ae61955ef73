//! Runs every conformance script on the interpreter and demands the
//! expected output; prints the executed-opcode coverage.

use std::path::{Path, PathBuf};

use hydra_host::{first_difference, read_cap, read_suite, Host, SuiteEntry};

fn applets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets")
}

/// The suite: `suite.json` when present, else every `<name>/<name>.scr`
/// with every canonical CAP loaded and every applet installed.
fn suite() -> Vec<SuiteEntry> {
    let dir = applets_dir();
    let json = dir.join("suite.json");
    if json.exists() {
        return read_suite(&json).expect("suite.json");
    }
    let mut caps = Vec::new();
    let mut scripts = Vec::new();
    for e in std::fs::read_dir(&dir).expect("conformance/applets") {
        let p = e.expect("entry").path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let cap = p.join("cap").join(format!("{name}.cap"));
        if cap.exists() {
            caps.push(cap);
        }
        let scr = p.join(format!("{name}.scr"));
        if scr.exists() && p.join(format!("{name}.scr.expected")).exists() {
            scripts.push(scr);
        }
    }
    caps.sort();
    scripts.sort();
    scripts
        .into_iter()
        .map(|s| SuiteEntry {
            expected: PathBuf::from(format!("{}.expected", s.display())),
            script: s,
            caps: caps.clone(),
            installs: Vec::new(),
        })
        .collect()
}

fn setup(host: &mut Host, e: &SuiteEntry) -> Result<(), String> {
    // Load in dependency order: retry what fails on a missing import.
    let mut pending: Vec<_> = e
        .caps
        .iter()
        .map(|p| (p.clone(), read_cap(p).map_err(|e| e.to_string())))
        .collect();
    let mut last_err = String::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for (p, cap) in pending {
            let cap = cap?;
            match host.load(&cap) {
                Ok(()) => {}
                Err(err) => {
                    last_err = format!("{}: {err}", p.display());
                    rest.push((p, Ok(cap)));
                }
            }
        }
        if rest.len() == before {
            // Without suite.json every CAP is offered; only the script's own
            // package must load.
            let own = e.script.parent().map(Path::to_path_buf);
            if rest
                .iter()
                .any(|(p, _)| p.parent().and_then(Path::parent).map(Path::to_path_buf) == own)
            {
                return Err(last_err);
            }
            break;
        }
        pending = rest;
    }
    if e.installs.is_empty() {
        host.install_all().map_err(|e| e.to_string())?;
    } else {
        for i in &e.installs {
            host.install(i).map_err(|e| e.to_string())?;
        }
    }
    host.power_down();
    Ok(())
}

/// Runs one suite entry on a fresh card; `Err` describes the failure.
fn run_entry(e: &SuiteEntry, host: &mut Host) -> Result<(), String> {
    let name = e.script.display().to_string();
    setup(host, e).map_err(|err| format!("{name}: setup: {err}"))?;
    let text = std::fs::read_to_string(&e.script).expect("script");
    let expected = std::fs::read_to_string(&e.expected).expect("expected");
    let out = host
        .run_script(&name, &text)
        .map_err(|err| format!("{name}: {err}"))?;
    match first_difference(&out, &expected) {
        None => Ok(()),
        Some((line, want, got)) => Err(format!(
            "{name}: line {line}\n  expected: {want}\n  actual:   {got}"
        )),
    }
}

/// Every script again with the CAPs of each converter target (3.0.4 to
/// 3.2.0, with and without -debug) from `variants/`.
#[test]
fn conformance_variants_pass_on_the_interpreter() {
    let dir = applets_dir().join("variants");
    let rd = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (the variants are committed)", dir.display()));
    let mut variants: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    variants.sort();
    let mut failures = Vec::new();
    let mut runs = 0;
    for v in &variants {
        for e in suite() {
            let caps: Option<Vec<PathBuf>> = e
                .caps
                .iter()
                .map(|c| {
                    let f = v.join(c.file_name()?);
                    f.exists().then_some(f)
                })
                .collect();
            let Some(caps) = caps else { continue };
            let e = SuiteEntry { caps, ..e };
            runs += 1;
            let mut host = Host::in_memory();
            if let Err(err) = run_entry(&e, &mut host) {
                failures.push(format!(
                    "[{}] {err}",
                    v.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    println!("variants: {} of {runs} runs pass", runs - failures.len());
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn conformance_scripts_pass_on_the_interpreter() {
    let mut failures = Vec::new();
    let mut counts = [0u64; 256];
    let mut total = 0u64;
    let mut passed = 0;
    let entries = suite();
    for e in &entries {
        let name = e.script.display().to_string();
        let mut host = Host::in_memory();
        host.stats = true;
        if let Err(err) = setup(&mut host, e) {
            failures.push(format!("{name}: setup: {err}"));
            continue;
        }
        let text = std::fs::read_to_string(&e.script).expect("script");
        let expected = std::fs::read_to_string(&e.expected).expect("expected");
        match host.run_script(&name, &text) {
            Ok(out) => match first_difference(&out, &expected) {
                None => passed += 1,
                Some((line, want, got)) => failures.push(format!(
                    "{name}: line {line}\n  expected: {want}\n  actual:   {got}"
                )),
            },
            Err(err) => failures.push(format!("{name}: {err}")),
        }
        let (n, c) = host.totals();
        total += n;
        for (a, b) in counts.iter_mut().zip(c.iter()) {
            *a += *b;
        }
    }
    let standard = hydra_cap::bytecode::Opcode::ALL
        .iter()
        .filter(|o| !o.is_reserved())
        .count();
    let covered = hydra_cap::bytecode::Opcode::ALL
        .iter()
        .filter(|o| !o.is_reserved() && counts[usize::from(o.0)] > 0)
        .count();
    let quick: u64 = counts[0xC0..=0xD1].iter().sum();
    let missing: Vec<String> = hydra_cap::bytecode::Opcode::ALL
        .iter()
        .filter(|o| !o.is_reserved() && counts[usize::from(o.0)] == 0)
        .map(|o| o.to_string())
        .collect();
    println!(
        "opcodes never executed in their original form: {}",
        missing.join(" ")
    );
    println!(
        "conformance: {passed}/{} scripts pass; {total} bytecodes executed; opcodes covered: {covered}/{standard} (plus {quick} quickened executions)",
        entries.len()
    );
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
