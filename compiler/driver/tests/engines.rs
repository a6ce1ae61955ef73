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

/// Short shifts by constants (-1 shifts by 31) answer as the interpreter
/// does: left by 16 and more is zero, arithmetic right by 16 and more the
/// sign, logical right keeps the widened sign bits.
#[test]
fn short_shifts_by_constants_agree_on_both_engines() {
    let e = suite()
        .into_iter()
        .find(|e| e.script.ends_with("arith/arith.scr"))
        .expect("the arith script");
    let cap = hydra_host::read_cap(&e.caps[0]).unwrap();
    let api = api(&e.caps);
    for k in -1..=5 {
        let shifted = hydra_driver::fuzzing::with_constant_shifts(&cap, k).expect("arith shifts");
        let v = hydra_verify::verify(&shifted, &api).unwrap();
        let p =
            hydra_driver::compile(&shifted, &v, HOST, hydra_driver::Options::default()).unwrap();
        let package = hydra_driver::emit_package(&p, &shifted).unwrap();
        let mut code = hydra_native::host::NativeCode::new();
        code.add(hydra_native::host::NativeImage::load(&package).unwrap());
        let caps = std::slice::from_ref(&shifted);
        let interp = e.run_with(caps, None).unwrap();
        let native = e.run_with(caps, Some(factory(code))).unwrap();
        if let Some((line, want, got)) = hydra_host::first_difference(&native, &interp) {
            panic!("shift by {k}: response {line}\n  interp: {want}\n  native: {got}");
        }
        let expected = std::fs::read_to_string(&e.expected).unwrap();
        assert!(
            hydra_host::first_difference(&interp, &expected).is_some(),
            "shift by {k}: the script does not see the shift"
        );
    }
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
