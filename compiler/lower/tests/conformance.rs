//! Every method of every conformance applet lowers, passes Cranelift's
//! verifier, and goes through the mid-end.

mod common;

use std::path::{Path, PathBuf};

use cranelift_codegen::ir::types::I64;
use cranelift_codegen::isa::CallConv;
use hydra_lower::{optimize, Target};

fn applets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets")
}

pub fn caps() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(applets()).unwrap() {
        let dir = e.unwrap().path().join("cap");
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for f in rd {
                let p = f.unwrap().path();
                if p.extension().is_some_and(|x| x == "cap") {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_conformance_method_lowers_and_optimizes() {
    let api = common::api();
    let target = Target {
        pointer: I64,
        call_conv: CallConv::SystemV,
    };
    let flags = hydra_lower::flags();
    let mut n = 0;
    for cap in caps() {
        let methods = common::lowered(&cap, &api, &target);
        for m in methods {
            optimize(m.func.clone(), &flags).unwrap_or_else(|e| {
                panic!("{}: {}: {e}\n{}", cap.display(), m.label, m.func.display())
            });
            n += 1;
        }
    }
    assert!(n > 100, "{n} methods");
}
