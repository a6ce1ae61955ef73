//! No false positives: every valid CAP of the conformance suite (and of any
//! folder named by `HYDRA_CAP_DIRS`, colon-separated) verifies against the
//! Java Card export files (`HYDRA_EXPORTS`, default the shared 3.0.5 set)
//! plus the export files found next to the CAPs.

mod common;

#[test]
fn every_valid_cap_verifies() {
    let caps = common::valid_caps();
    let api = common::api();
    let mut failures = Vec::new();
    for p in &caps {
        let loaded = match hydra_cap::container::read_path(p) {
            Ok(l) => l,
            Err(e) => {
                failures.push(format!("{e}"));
                continue;
            }
        };
        let t = std::time::Instant::now();
        match hydra_verify::verify(&loaded.cap, &api) {
            Ok(v) => eprintln!(
                "ok {} ({} methods, {:?})",
                p.display(),
                v.methods.len(),
                t.elapsed()
            ),
            Err(errs) => {
                for e in errs {
                    failures.push(format!("{}: {e}", p.display()));
                }
            }
        }
    }
    eprintln!("{} CAP files", caps.len());
    assert!(
        failures.is_empty(),
        "false positives:\n{}",
        failures.join("\n")
    );
}
