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
