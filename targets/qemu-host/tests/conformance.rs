//! The conformance suite on the firmware: every script of
//! `conformance/applets/suite.json` runs on the Java Card runtime inside
//! qemu-system-arm (packages placed by QEMU's loader, applets installed at
//! boot) and must print exactly the expected apdutool output, the output of
//! the host interpreter.

use std::path::{Path, PathBuf};

use hydra_qemu_host::script::{all_applets, run_script};
use hydra_qemu_host::{Artifacts, Config, Install, Session};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn conformance_suite_on_the_firmware() {
    let ws = workspace();
    let dir = hydra_qemu_host::artifacts_dir(&ws);
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
        cfg.installs = if entry.installs.is_empty() {
            all_applets(&entry.caps).unwrap()
        } else {
            entry.installs.iter().map(Install::from).collect()
        };
        let mut s =
            Session::start(&cfg).unwrap_or_else(|e| panic!("{}: {e}", entry.script.display()));
        let text = std::fs::read_to_string(&entry.script).unwrap();
        let run = run_script(&mut s, &entry.script.display().to_string(), &text)
            .unwrap_or_else(|e| panic!("{e}"));
        s.stop();
        let out = run.output;
        let counts: Vec<u64> = run
            .apdus
            .iter()
            .map(|a| a.counts.as_ref().map_or(0, |c| c.total))
            .collect();
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
