//! `hydra run --engine thumb-interp`: the conformance applets on the meter
//! firmware in qemu-system-arm (Debian package `qemu-system-arm`), with
//! exact per-APDU instruction counts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn conformance(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../conformance/applets")
        .join(p)
}

fn hydra_run(extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hydra"))
        .args(["run", "--engine", "thumb-interp", "--cap"])
        .arg(conformance("arith/cap/arith.cap"))
        .arg(conformance("arith/arith.scr"))
        .arg("--check")
        .arg(conformance("arith/arith.scr.expected"))
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn counts_per_apdu_are_identical_across_runs() {
    let a = hydra_run(&["--count"]);
    let stderr = String::from_utf8_lossy(&a.stderr);
    assert!(a.status.success(), "{stderr}");
    let out = String::from_utf8_lossy(&a.stdout).into_owned();
    let header = out
        .lines()
        .find(|l| l.trim_start().starts_with("line"))
        .unwrap_or_else(|| panic!("no count table in:\n{out}"));
    for col in [
        "total", "interp", "runtime", "applet", "board", "lib", "other",
    ] {
        assert!(header.contains(col), "{header}");
    }
    let expected = std::fs::read_to_string(conformance("arith/arith.scr.expected")).unwrap();
    let apdus = expected.lines().filter(|l| l.starts_with("CLA:")).count();
    let mut table = out.lines().skip_while(|l| !l.contains("total"));
    let rows = table
        .by_ref()
        .position(|l| l.trim_start().starts_with("total"))
        .map(|p| p + 1);
    assert_eq!(
        rows,
        Some(apdus + 2),
        "one row per APDU, header and total:\n{out}"
    );
    // After the table: the card's check of the package it loaded.
    let checked = table
        .find_map(|l| l.strip_prefix("instructions of the card's check"))
        .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok());
    assert!(checked.is_some_and(|n| n > 0), "{out}");
    let b = hydra_run(&["--count"]);
    assert!(b.status.success());
    assert_eq!(
        out,
        String::from_utf8_lossy(&b.stdout),
        "counts differ between runs"
    );
}

#[test]
fn stats_give_instructions_per_bytecode() {
    let r = hydra_run(&["--stats"]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{stderr}");
    assert!(stderr.contains("instructions per bytecode"), "{stderr}");
    assert!(stderr.contains("arith"), "{stderr}");
}

#[test]
fn pc_profile_names_the_interpreter_and_sums_to_the_counts() {
    let dir = tempfile_dir();
    let prof = dir.join("arith.prof");
    let r = hydra_run(&["--count", "--pc-profile", prof.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{stderr}");
    let text = std::fs::read_to_string(&prof).unwrap();
    let first = text.lines().next().unwrap();
    let total: u64 = first.split_whitespace().next().unwrap().parse().unwrap();
    // The profile covers the same APDU windows as the count table.
    let out = String::from_utf8_lossy(&r.stdout);
    let row = out
        .lines()
        .find(|l| l.trim_start().starts_with("total"))
        .unwrap_or_else(|| panic!("no total row in:\n{out}"));
    let counted: u64 = row.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert_eq!(total, counted, "{text}");
    assert!(text.contains("hydra_runtime::interp"), "{text}");
    let sum: u64 = text
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(sum, total);
    let _ = std::fs::remove_file(&prof);
}

#[test]
fn missing_qemu_is_one_line_naming_the_package() {
    let empty = tempfile_dir();
    let r = Command::new(env!("CARGO_BIN_EXE_hydra"))
        .args(["run", "--engine", "thumb-interp", "--cap"])
        .arg(conformance("arith/cap/arith.cap"))
        .arg(conformance("arith/arith.scr"))
        .env("PATH", &empty)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("apt-get install qemu-system-arm"),
        "{stderr}"
    );
}

#[test]
fn count_needs_the_thumb_engine() {
    let r = Command::new(env!("CARGO_BIN_EXE_hydra"))
        .args(["run", "--count"])
        .arg(conformance("arith/arith.scr"))
        .output()
        .unwrap();
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("--engine thumb-interp"));
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("hydra-no-qemu-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every way a package reaches a card runs the card's verifier: a CAP
/// that carries its Descriptor and breaks a rule (a private field read
/// from another class) is refused with the verifier's error on the host's
/// card and by the meter firmware booting it from its factory image.
#[test]
fn cards_refuse_a_package_their_verifier_rejects() {
    let cap = conformance("../verifier/ac-private-field-of-another-class.cap");
    for engine in ["interp", "thumb-interp"] {
        let r = Command::new(env!("CARGO_BIN_EXE_hydra"))
            .args(["run", "--engine", engine, "--cap"])
            .arg(&cap)
            .arg(conformance("arith/arith.scr"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert!(!r.status.success(), "{engine}: {stderr}");
        assert!(
            stderr.contains("the card's verifier refused it") && stderr.contains("is private"),
            "{engine}: {stderr}"
        );
    }
}
