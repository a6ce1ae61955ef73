//! `hydra compile` for the host and `hydra run --engine native`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn applets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets")
}

fn hydra(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hydra"))
        .args(args)
        .output()
        .expect("hydra runs")
}

#[test]
fn compile_writes_an_elf_object_and_clif() {
    let dir = std::env::temp_dir().join(format!("hydra-compile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cap = applets().join("arith/cap/arith.cap");
    let out = dir.join("arith.o");
    let r = hydra(&[
        "compile",
        cap.to_str().unwrap(),
        "--target",
        "x86_64-unknown-linux-gnu",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let obj = std::fs::read(&out).unwrap();
    assert_eq!(&obj[..4], b"\x7FELF");
    let r = hydra(&["compile", cap.to_str().unwrap(), "--emit", "clif"]);
    assert!(r.status.success());
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(text.contains("function u0:"), "{text}");
    let r = hydra(&[
        "compile",
        cap.to_str().unwrap(),
        "--target",
        "aarch64-unknown-linux-gnu",
        "--emit",
        "asm",
    ]);
    assert!(r.status.success());
    assert!(String::from_utf8_lossy(&r.stdout).contains("ret"));
    std::fs::remove_dir_all(&dir).ok();
}

/// One native package format for every target: the meter's and the
/// host's, each a GlobalPlatform load file whose data block names its
/// target.
#[test]
fn compile_writes_native_packages_for_every_target() {
    let dir = std::env::temp_dir().join(format!("hydra-package-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cap = applets().join("pin/cap/pin.cap");
    for triple in [
        "thumbv7m-none-eabi",
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
    ] {
        let out = dir.join(format!("{triple}.hnp"));
        let r = hydra(&[
            "compile",
            cap.to_str().unwrap(),
            "--target",
            triple,
            "--emit",
            "package",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let file = std::fs::read(&out).unwrap();
        let (daps, block) = hydra_package::loadfile::split(&file).unwrap();
        assert!(daps.is_empty());
        let p = hydra_package::Package::parse(block).unwrap();
        assert_eq!(p.target.triple(), triple);
        assert!(p.entry_count() > 0);
    }
    let r = hydra(&[
        "compile",
        cap.to_str().unwrap(),
        "--target",
        "riscv32imc-unknown-none-elf",
        "--emit",
        "package",
    ]);
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("unsupported target riscv32imc"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn compile_refuses_unverified_input_with_the_verifier_errors() {
    let dir = std::env::temp_dir().join(format!("hydra-refuse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cap = hydra_cap::container::read_path(&applets().join("arith/cap/arith.cap"))
        .unwrap()
        .cap;
    // An sadd becomes an iadd: the operands are shorts, not ints.
    let (m, at) = cap
        .method
        .methods
        .iter_mut()
        .find_map(|m| {
            let insns = hydra_cap::bytecode::decode_all(&m.bytecode).ok()?;
            let at = insns.iter().find(|i| i.opcode.0 == 0x41)?.pc;
            Some((m, usize::from(at)))
        })
        .unwrap();
    m.bytecode[at] = 0x42;
    let bad = dir.join("bad.cap");
    std::fs::write(&bad, cap.to_load_file(true).unwrap()).unwrap();
    let r = hydra(&[
        "compile",
        bad.to_str().unwrap(),
        "-o",
        dir.join("bad.o").to_str().unwrap(),
    ]);
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("refused"), "{err}");
    assert!(!dir.join("bad.o").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn run_native_passes_the_arith_script() {
    let a = applets();
    let r = hydra(&[
        "run",
        "--engine",
        "native",
        "--cap",
        a.join("arith/cap/arith.cap").to_str().unwrap(),
        a.join("arith/arith.scr").to_str().unwrap(),
        "--check",
        a.join("arith/arith.scr.expected").to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
}
