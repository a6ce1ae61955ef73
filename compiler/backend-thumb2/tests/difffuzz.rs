//! Differential testing against Thumb-2 code on the emulated meter: valid
//! mutations of the conformance applets (the generator of the host engine's
//! differential fuzzer), compiled to Thumb-2 and run by the firmware's native
//! engine in QEMU, must answer every APDU exactly as the interpreter does.
//!
//! Each case boots QEMU, so this runs few cases: `HYDRA_THUMB_DIFF_CASES`
//! (default 4) from seed `HYDRA_THUMB_DIFF_SEED` (default 1). Longer runs are
//! done by hand with a larger count. Fails without `qemu-system-arm`.

mod common;

use std::path::Path;

use hydra_driver::fuzzing::{api_for, mutate, suite, with_constant_shifts, Rng};
use hydra_host::SuiteEntry;
use hydra_qemu_host::script::{all_applets, run_script};
use hydra_qemu_host::{find_qemu, Config, Install, Session};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn mutated_applets_answer_alike_on_interpreter_and_thumb2() {
    // A missing emulator fails the test: passing without running it
    // would claim what was not checked.
    if let Err(e) = find_qemu(Path::new("qemu-system-arm")) {
        panic!("this test runs the firmware in qemu-system-arm: {e} (run .ci/setup)");
    }
    let cases = env_u64("HYDRA_THUMB_DIFF_CASES", 4);
    let first = env_u64("HYDRA_THUMB_DIFF_SEED", 1);
    let fw = common::firmware();
    let suite = suite();
    assert!(!suite.is_empty(), "no conformance suite");
    let tmp = std::env::temp_dir().join(format!("hydra-thumb2-diff-{}", std::process::id()));
    let (mut compared, mut observable) = (0, 0);
    let mut failures = Vec::new();
    for seed in first..first + cases {
        let mut rng = Rng::new(seed);
        let entry = &suite[rng.below(suite.len())];
        let mut caps: Vec<hydra_cap::CapFile> = entry
            .caps
            .iter()
            .map(|c| hydra_host::read_cap(c).unwrap())
            .collect();
        let which = rng.below(caps.len());
        let n = 1 + rng.below(8);
        let (mutated, muts) = mutate(&caps[which], &mut rng, n);
        caps[which] = mutated;
        let api = api_for(&entry.caps);
        if caps.iter().any(|c| hydra_verify::verify(c, &api).is_err()) {
            continue; // the mutation made the package invalid: nothing to compare
        }
        let label = format!(
            "seed {seed} ({}; {})",
            entry.script.display(),
            muts.iter()
                .map(|m| m.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        );
        match compare_on_thumb(entry, &caps, &fw, &tmp.join(seed.to_string()), &label) {
            Ok(Some(seen)) => {
                compared += 1;
                observable += usize::from(seen);
            }
            Ok(None) => compared += 1,
            Err(e) => failures.push(e),
        }
    }
    std::fs::remove_dir_all(&tmp).ok();
    eprintln!("{compared} mutated cases compared ({observable} with observable mutations)");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs `entry`'s script with `caps` on the interpreter and on the
/// firmware's compiled code. `Ok(Some(observable))` when they answer
/// alike (`observable`: the answers differ from the expected file),
/// `Ok(None)` when both refuse, `Err` with the difference.
fn compare_on_thumb(
    entry: &SuiteEntry,
    caps: &[hydra_cap::CapFile],
    fw: &Path,
    dir: &Path,
    label: &str,
) -> Result<Option<bool>, String> {
    let api = api_for(&entry.caps);
    std::fs::create_dir_all(dir).unwrap();
    // The packages as load files, and as native packages.
    let mut streams = Vec::new();
    let mut objects = Vec::new();
    for (i, cap) in caps.iter().enumerate() {
        let s = dir.join(format!("{i}.ijc"));
        std::fs::write(&s, cap.to_load_file(false).unwrap()).unwrap();
        streams.push(s);
        let v = hydra_verify::verify(cap, &api).unwrap();
        let p = hydra_backend_thumb2::compile_package(cap, &v, "thumbv7m-none-eabi", false)
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        let o = dir.join(format!("{i}.hnp"));
        std::fs::write(&o, hydra_driver::emit_package(&p, cap).unwrap()).unwrap();
        objects.push(o);
    }
    let interp = entry.run_with(caps, None);
    // A mutated applet may answer random bytes: responses that differ
    // between two interpreter runs are not compared.
    let interp_again = entry.run_with(caps, None);
    let mut cfg = Config::new(fw);
    cfg.packages = streams.clone();
    cfg.installs = if entry.installs.is_empty() {
        all_applets(&streams).unwrap()
    } else {
        entry.installs.iter().map(Install::from).collect()
    };
    cfg.natives = objects;
    cfg.native = true;
    let mut session = Session::start(&cfg).unwrap_or_else(|e| panic!("{label}: {e}"));
    let text = std::fs::read_to_string(&entry.script).unwrap();
    let thumb = run_script(&mut session, &entry.script.display().to_string(), &text);
    let log = session.stop();
    match (interp, thumb) {
        (Ok(a), Ok(b)) => {
            let again = interp_again.as_deref().ok();
            if let Some((line, want, got)) =
                hydra_host::first_stable_difference(&a, again, &b.output)
            {
                return Err(format!(
                    "{label}: response {line}\n  interp: {want}\n  thumb:  {got}\n{log}"
                ));
            }
            let expected = std::fs::read_to_string(&entry.expected).unwrap_or_default();
            Ok(Some(hydra_host::first_difference(&a, &expected).is_some()))
        }
        // Both refused (an install that throws, say): the messages come
        // from different hosts, the refusal is what must agree.
        (Err(_), Err(_)) => Ok(None),
        (a, b) => Err(format!(
            "{label}: interp {a:?}\n  thumb {:?}\n{log}",
            b.map(|r| r.output)
        )),
    }
}

/// Short shifts by constants, amounts of 16 and more included (-1 shifts
/// by 31), answer on the firmware as on the interpreter.
#[test]
fn short_shifts_by_constants_agree_on_interpreter_and_thumb2() {
    if let Err(e) = find_qemu(Path::new("qemu-system-arm")) {
        panic!("this test runs the firmware in qemu-system-arm: {e} (run .ci/setup)");
    }
    let fw = common::firmware();
    let entry = suite()
        .into_iter()
        .find(|e| e.script.ends_with("arith/arith.scr"))
        .expect("the arith script");
    let cap = hydra_host::read_cap(&entry.caps[0]).unwrap();
    let tmp = std::env::temp_dir().join(format!("hydra-thumb2-shifts-{}", std::process::id()));
    let mut failures = Vec::new();
    for k in -1..=5 {
        let shifted = with_constant_shifts(&cap, k).expect("arith shifts");
        let label = format!("shift by {k}");
        match compare_on_thumb(&entry, &[shifted], &fw, &tmp.join(k.to_string()), &label) {
            Ok(Some(true)) => {}
            Ok(_) => failures.push(format!("{label}: the script does not see the shift")),
            Err(e) => failures.push(e),
        }
    }
    std::fs::remove_dir_all(&tmp).ok();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
