//! The `hydra` binary as a user runs it: a corrupted CAP gives one error line
//! naming the file, component and offset, and a non-zero exit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn hydra() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hydra"))
}

fn sample_cap() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets/arith/cap/arith.cap")
}

/// A load-file stream of the sample, for byte-level corruption.
fn sample_stream() -> Vec<u8> {
    let loaded = hydra_cap::container::read_path(&sample_cap()).unwrap();
    loaded.cap.to_load_file(false).unwrap()
}

fn write_temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hydra-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p
}

/// Runs `hydra inspect FILE` and returns (exit success, stdout, stderr).
fn inspect(path: &Path) -> (bool, String, String) {
    let out = hydra().arg("inspect").arg(path).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_one_line_error(path: &Path, must_contain: &[&str]) {
    let (ok, stdout, stderr) = inspect(path);
    assert!(!ok, "corrupted CAP accepted: {stdout}");
    assert_eq!(
        stderr.lines().count(),
        1,
        "expected one error line, got:\n{stderr}"
    );
    assert!(stderr.contains(&path.display().to_string()), "{stderr}");
    for s in must_contain {
        assert!(stderr.contains(s), "`{s}` missing from: {stderr}");
    }
}

#[test]
fn inspects_a_valid_cap() {
    let (ok, stdout, stderr) = inspect(&sample_cap());
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("package "), "{stdout}");
}

#[test]
fn truncated_cap() {
    let s = sample_stream();
    let p = write_temp("truncated.ijc", &s[..s.len() - 7]);
    assert_one_line_error(&p, &["component", "declared size"]);
}

#[test]
fn truncated_archive() {
    let bytes = std::fs::read(sample_cap()).unwrap();
    let p = write_temp("truncated.cap", &bytes[..bytes.len() / 2]);
    assert_one_line_error(&p, &["JAR/ZIP"]);
}

#[test]
fn changed_length_field() {
    let mut s = sample_stream();
    // The Header's size field (bytes 1..3) one larger: the stream no longer
    // frames and the Header reports it.
    s[2] = s[2].wrapping_add(1);
    let p = write_temp("length.ijc", &s);
    assert_one_line_error(&p, &["component, offset"]);
}

#[test]
fn bad_tag() {
    let mut s = sample_stream();
    s[0] = 0x55;
    let p = write_temp("tag.ijc", &s);
    assert_one_line_error(&p, &["Header component"]);
}

#[test]
fn missing_file() {
    assert_one_line_error(Path::new("/nonexistent/x.cap"), &["No such file"]);
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    // Far more output than a pipe holds.
    let mut child = hydra()
        .arg("inspect")
        .args([sample_cap(), sample_cap(), sample_cap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, as `| head -1` does, and go away.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("package "), "{first}");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert_eq!(stderr, "");
}

#[test]
fn a_bare_file_name_is_in_the_current_folder() {
    let dir = sample_cap().parent().unwrap().to_path_buf();
    let out_dir = std::env::temp_dir().join(format!("hydra-cli-bare-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).unwrap();
    for target in ["x86_64-unknown-linux-gnu", "thumbv7m-none-eabi"] {
        let o = out_dir.join(format!("{target}.o"));
        let out = hydra()
            .current_dir(&dir)
            .args(["compile", "arith.cap", "--target", target, "-o"])
            .arg(&o)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{target}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(o.metadata().unwrap().len() > 0);
    }
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn a_missing_cap_is_named_once() {
    for args in [
        &["verify", "no-such.cap"][..],
        &["compile", "no-such.cap"],
        &["run", "--cap", "no-such.cap", "x.scr"],
        &["run", "--engine", "native", "--cap", "no-such.cap", "x.scr"],
    ] {
        let out = hydra().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert_eq!(
            stderr.matches("no-such.cap").count(),
            1,
            "{args:?}: {stderr}"
        );
    }
}

/// `hydra run --state FILE` with a state file that cannot be a card's:
/// truncated, of a card of another size, random bytes, written by a
/// runtime of NVM layout 3, damaged. Each is one line naming the file and
/// saying which, a non-zero exit, and the file is left as it was.
#[test]
fn each_bad_state_file_has_its_own_line() {
    const SIZE: usize = hydra_host::NVM_SIZE;
    let script = write_temp(
        "state.scr",
        b"powerup;\n0x00 0xA4 0x04 0x00 0x00 0x7F;\npowerdown;\n",
    );
    let run = |state: &Path| {
        let out = hydra()
            .arg("run")
            .arg("--state")
            .arg(state)
            .arg(&script)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // A good state, made by a first run on a new file.
    let good = std::env::temp_dir().join(format!("hydra-cli-state-{}.nvm", std::process::id()));
    let _ = std::fs::remove_file(&good);
    let (ok, err) = run(&good);
    assert!(ok, "{err}");
    let image = std::fs::read(&good).unwrap();
    assert_eq!(image.len(), SIZE);
    std::fs::remove_file(&good).unwrap();

    let mut other = vec![0u8; SIZE / 2];
    other[..12].copy_from_slice(&image[..12]);
    other[8..12].copy_from_slice(&((SIZE / 2) as u32).to_be_bytes());
    let mut x = 0x1234_5678u32;
    let random: Vec<u8> = (0..SIZE)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let mut v3 = image.clone();
    v3[4..6].copy_from_slice(&3u16.to_be_bytes());
    let mut damaged = image.clone();
    damaged[30] ^= 0x01; // the log size
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "truncated.nvm",
            image[..SIZE - 512].to_vec(),
            "truncated card state",
        ),
        (
            "other-size.nvm",
            other,
            "the state of a card with 524288 bytes",
        ),
        ("random.nvm", random, "not a card state file"),
        ("v3.nvm", v3, "NVM layout version 3"),
        (
            "damaged.nvm",
            damaged,
            "checksum of the superblock does not match",
        ),
    ];
    let mut lines = Vec::new();
    for (name, bytes, says) in cases {
        let p = write_temp(name, &bytes);
        let (ok, err) = run(&p);
        assert!(!ok, "{name} accepted");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(&p.display().to_string()), "{name}: {err}");
        assert!(err.contains(says), "{name}: `{says}` missing from {err}");
        assert!(std::fs::read(&p).unwrap() == bytes, "{name} was changed");
        lines.push(err);
    }
    lines.sort();
    lines.dedup();
    assert_eq!(lines.len(), 5);
}
