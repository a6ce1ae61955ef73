//! Every conformance script gives the same output on the interpreter and on
//! compiled code, and that output is the expected one.

mod common;

use common::*;

#[test]
fn conformance_scripts_agree_on_both_engines() {
    let mut failures = Vec::new();
    for e in suite() {
        let (interp, _) = run(&e, None);
        let (native, _) = run(&e, Some(factory(native_code(&e.caps))));
        let expected = std::fs::read_to_string(&e.expected).unwrap();
        if let Some((line, want, got)) = hydra_host::first_difference(&native, &interp) {
            failures.push(format!(
                "{}: native differs from interp at response {line}\n  interp: {want}\n  native: {got}",
                e.script.display()
            ));
        }
        if let Some((line, want, got)) = hydra_host::first_difference(&native, &expected) {
            failures.push(format!(
                "{}: native differs from the expected output at response {line}\n  expected: {want}\n  native:   {got}",
                e.script.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn conformance_packages_build_for_aarch64() {
    for e in suite() {
        let api = api(&e.caps);
        for c in &e.caps {
            let (p, package) = compile(c, &api, "aarch64-unknown-linux-gnu");
            assert!(p.code_size() > 0);
            // Not loadable here (another architecture), but well-formed.
            let err = hydra_native::host::NativeImage::load(&package);
            if cfg!(target_arch = "x86_64") {
                let err = err
                    .err()
                    .expect("aarch64 code refused on x86_64")
                    .to_string();
                assert!(
                    err.contains("aarch64-unknown-linux-gnu cannot run"),
                    "{err}"
                );
            }
        }
    }
}

/// Packages compiled and interpreted on one card call each other (a
/// Shareable interface across the firewall, both ways): same answers.
#[test]
fn mixed_interpreted_and_compiled_packages_agree() {
    for e in suite() {
        if e.caps.len() < 2 {
            continue;
        }
        let (interp, _) = run(&e, None);
        for only in &e.caps {
            let (mixed, _) = run(&e, Some(factory(native_code_only(&e.caps, only))));
            if let Some((line, want, got)) = hydra_host::first_difference(&mixed, &interp) {
                panic!(
                    "{} with only {} compiled: response {line}\n  interp: {want}\n  mixed:  {got}",
                    e.script.display(),
                    only.display()
                );
            }
        }
    }
}
