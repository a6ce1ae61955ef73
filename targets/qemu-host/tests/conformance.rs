//! The conformance suite on the firmware: every script of
//! `conformance/applets/suite.json` runs on the Java Card runtime inside
//! qemu-system-arm (packages placed by QEMU's loader, applets installed at
//! boot) and must print exactly the expected apdutool output, the output of
//! the host interpreter.

use std::path::{Path, PathBuf};

use hydra_host::script::{self, Stmt};
use hydra_qemu_host::{Artifacts, Config, Install, Session};
use hydra_runtime::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bytes a reader sends for a command.
fn wire(c: &Command) -> Vec<u8> {
    let mut b = c.header.to_vec();
    let n = c.data.len();
    if c.extended {
        b.push(0);
        if n > 0 {
            b.extend_from_slice(&(n as u16).to_be_bytes());
            b.extend_from_slice(&c.data);
        }
        if let Some(le) = c.le {
            b.extend_from_slice(&((le % 65536) as u16).to_be_bytes());
        }
    } else {
        if n > 0 {
            b.push(n as u8);
            b.extend_from_slice(&c.data);
        }
        if let Some(le) = c.le {
            b.push((le % 256) as u8);
        }
    }
    b
}

/// Runs one script; returns apdutool's output and the instructions per APDU.
fn run_script(s: &mut Session, path: &Path) -> (String, Vec<u64>) {
    let text = std::fs::read_to_string(path).unwrap();
    let stmts = script::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (mut out, mut counts, mut output) = (String::new(), Vec::new(), true);
    for (line, st) in stmts {
        match st {
            Stmt::PowerUp => {
                s.power_on()
                    .unwrap_or_else(|e| panic!("{}:{line}: {e}", path.display()));
            }
            Stmt::PowerDown => s.power_off().unwrap(),
            Stmt::Echo(t) => {
                if output {
                    out.push_str(&t);
                    out.push('\n');
                }
            }
            Stmt::Output(on) => output = on,
            Stmt::Delay(_) => {}
            Stmt::Apdu(bytes) => {
                let ex = s
                    .transmit(&wire(&script::command(&bytes)))
                    .unwrap_or_else(|e| panic!("{}:{line}: {e}", path.display()));
                let (data, sw) = ex.response.split_at(ex.response.len() - 2);
                if output {
                    out.push_str(&script::format_line(
                        &bytes,
                        data,
                        u16::from_be_bytes([sw[0], sw[1]]),
                    ));
                    out.push('\n');
                }
                counts.push(ex.counts.map_or(0, |c| c.total));
            }
        }
    }
    (out, counts)
}

#[test]
fn conformance_suite_on_the_firmware() {
    let ws = workspace();
    let dir = std::env::var_os("HYDRA_QEMU_TARGET_DIR")
        .map_or(ws.join("target/qemu-host"), PathBuf::from);
    let art = Artifacts::build(&ws, &dir).unwrap_or_else(|e| panic!("{e}"));
    let suite = hydra_host::read_suite(&ws.join("conformance/applets/suite.json")).unwrap();
    assert!(!suite.is_empty());
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (i, entry) in suite.iter().enumerate() {
        let mut cfg = Config::new(&art.firmware);
        cfg.plugin = Some(art.plugin.clone());
        cfg.nvm = Some(tmp.path().join(format!("{i}.nvm")));
        cfg.packages = entry.caps.clone();
        cfg.installs = entry
            .installs
            .iter()
            .map(|s| Install {
                class_aid: s.class_aid.clone(),
                instance_aid: s.instance_aid.clone(),
                params: s.params.clone(),
            })
            .collect();
        let mut s =
            Session::start(&cfg).unwrap_or_else(|e| panic!("{}: {e}", entry.script.display()));
        let (out, counts) = run_script(&mut s, &entry.script);
        s.stop();
        let expected = std::fs::read_to_string(&entry.expected).unwrap();
        let name = entry
            .script
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        println!(
            "{name}: {} APDUs, {} instructions (min {}, max {} per APDU)",
            counts.len(),
            counts.iter().sum::<u64>(),
            counts.iter().min().unwrap_or(&0),
            counts.iter().max().unwrap_or(&0)
        );
        if let Some((line, want, got)) = hydra_host::first_difference(&out, &expected) {
            failures.push(format!(
                "{name}:{line}:\n  expected {want}\n  got      {got}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
