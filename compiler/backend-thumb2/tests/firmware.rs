//! The conformance suite compiled to Thumb-2 and run by the firmware's
//! native engine on the emulated Cortex-M3 (`qemu-system-arm -M
//! mps2-an385`): every script must print exactly the expected output,
//! which is the output of the interpreter on the host. Fails when
//! `qemu-system-arm` is not installed.
//!
//! `HYDRA_THUMB2_COUNTS=PLUGIN` (the `hydra-qemu-icount` plugin) also
//! prints, per script, the instructions on the same firmware with the
//! packages interpreted and compiled, split into buckets.

mod common;

use std::path::{Path, PathBuf};

use hydra_qemu_host::script::{all_applets, run_script};
use hydra_qemu_host::{find_qemu, Config, Install, Session};

/// Compiles `caps` to native packages (each CAP's folder on the export
/// path of those after it).
fn objects(caps: &[PathBuf], dir: &Path) -> Vec<PathBuf> {
    let mut path =
        hydra_jcapi::ExportPath::new(hydra_jcapi::ApiVersion::from_name("3.2.0").unwrap());
    let mut out = Vec::new();
    for (i, c) in caps.iter().enumerate() {
        path.add_dir(c.parent().unwrap()).unwrap();
        let api = hydra_verify::ApiSet::from_export_path(&path);
        let loaded = hydra_cap::container::read_path(c).unwrap();
        let v = hydra_verify::verify(&loaded.cap, &api).unwrap();
        let p = hydra_backend_thumb2::compile_package(&loaded.cap, &v, "thumbv7m-none-eabi", false)
            .unwrap_or_else(|e| panic!("{}: {e}", c.display()));
        let o = dir.join(format!("{i}.hnp"));
        std::fs::write(&o, hydra_driver::emit_package(&p, &loaded.cap).unwrap()).unwrap();
        out.push(o);
    }
    out
}

#[test]
fn conformance_suite_compiled_to_thumb2_on_the_firmware() {
    // A missing emulator fails the test: passing without running it
    // would claim what was not checked.
    if let Err(e) = find_qemu(Path::new("qemu-system-arm")) {
        panic!("this test runs the firmware in qemu-system-arm: {e} (run .ci/setup)");
    }
    let fw = common::firmware();
    let plugin = std::env::var_os("HYDRA_THUMB2_COUNTS").map(PathBuf::from);
    let ws = common::workspace();
    let suite = hydra_host::read_suite(&ws.join("conformance/applets/suite.json")).unwrap();
    let tmp = std::env::temp_dir().join(format!("hydra-thumb2-fw-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let only = std::env::var("HYDRA_THUMB2_ONLY").ok();
    let mut failures = Vec::new();
    for (i, entry) in suite.iter().enumerate() {
        let name = entry
            .script
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        let dir = tmp.join(i.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let mut cfg = Config::new(&fw);
        cfg.plugin = plugin.clone();
        cfg.packages = entry.caps.clone();
        cfg.installs = if entry.installs.is_empty() {
            all_applets(&entry.caps).unwrap()
        } else {
            entry.installs.iter().map(Install::from).collect()
        };
        if plugin.is_some() {
            let mut s = Session::start(&cfg).unwrap_or_else(|e| panic!("{name}: {e}"));
            let text = std::fs::read_to_string(&entry.script).unwrap();
            let run = run_script(&mut s, &entry.script.display().to_string(), &text).unwrap();
            s.stop();
            let total: u64 = run
                .apdus
                .iter()
                .filter_map(|a| a.counts.as_ref())
                .map(|c| c.total)
                .sum();
            println!(
                "{name}: interpreted: {} APDUs, {total} instructions",
                run.apdus.len()
            );
        }
        cfg.natives = objects(&entry.caps, &dir);
        cfg.native = true;
        let mut s = Session::start(&cfg).unwrap_or_else(|e| panic!("{name}: {e}"));
        let text = std::fs::read_to_string(&entry.script).unwrap();
        let run = run_script(&mut s, &entry.script.display().to_string(), &text);
        let log = s.stop();
        let run = match run {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{name}: {e}\n{log}"));
                continue;
            }
        };
        if plugin.is_some() {
            let mut sums: Vec<(String, u64)> = Vec::new();
            let mut total = 0;
            for c in run.apdus.iter().filter_map(|a| a.counts.as_ref()) {
                total += c.total;
                for (b, n) in &c.buckets {
                    match sums.iter_mut().find(|s| &s.0 == b) {
                        Some(s) => s.1 += n,
                        None => sums.push((b.clone(), *n)),
                    }
                }
            }
            println!(
                "{name}: compiled: {} APDUs, {total} instructions {sums:?}",
                run.apdus.len()
            );
        }
        let expected = std::fs::read_to_string(&entry.expected).unwrap();
        if let Some((line, want, got)) = hydra_host::first_difference(&run.output, &expected) {
            failures.push(format!(
                "{name}:{line}:\n  expected {want}\n  got      {got}\n{log}"
            ));
        }
    }
    std::fs::remove_dir_all(&tmp).ok();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
