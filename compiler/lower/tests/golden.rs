//! Golden tests of the lowering: the optimised CLIF (`hydra compile
//! --emit clif`) of chosen methods, for x86_64's pointer size and calling
//! convention. `BLESS=1 cargo test -p hydra-lower --test golden` rewrites
//! the files after a deliberate change.

use std::path::{Path, PathBuf};

use cranelift_codegen::ir::types::I64;
use cranelift_codegen::isa::CallConv;
use hydra_jcapi::{ApiVersion, ExportPath};
use hydra_lower::{lower_method, optimize, Target};
use hydra_verify::ApiSet;

/// (applet, method header offset, what it shows).
const CASES: &[(&str, u16, &str)] = &[
    (
        "arith",
        0x0323,
        "short arithmetic with division checks and branches",
    ),
    ("arith", 0x0391, "int arithmetic and comparisons"),
    ("arith", 0x0797, "a tiny static method"),
    (
        "arrays",
        0x0198,
        "array loads and stores: null, firewall, bounds, store barrier",
    ),
    (
        "exceptions",
        0x013d,
        "handlers: dispatch blocks and the catch entry point",
    ),
    ("statics", 0x7F, "statics: inline loads, barrier stores"),
    ("transients", 0x90, "transient arrays"),
    ("objects", 0x8B, "fields and virtual calls"),
];

fn applets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets")
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

#[test]
fn lowering_goldens() {
    let bless = std::env::var_os("BLESS").is_some();
    let mut path = ExportPath::new(ApiVersion::from_name("3.2.0").unwrap());
    path.add_dir(&applets().join("shareserver/cap")).unwrap();
    let api = ApiSet::from_export_path(&path);
    let target = Target {
        pointer: I64,
        call_conv: CallConv::SystemV,
    };
    let flags = hydra_lower::flags();
    let mut diffs = Vec::new();
    for &(applet, offset, what) in CASES {
        let cap = applets().join(format!("{applet}/cap/{applet}.cap"));
        let loaded = hydra_cap::container::read_path(&cap).unwrap();
        let v = hydra_verify::verify(&loaded.cap, &api).unwrap();
        // Below 0x100: the smallest method (of 10 instructions or more) using
        // that opcode.
        let offset = if offset >= 0x100 {
            offset
        } else {
            v.methods
                .iter()
                .filter(|m| m.insns.len() >= 10)
                .filter(|m| m.insns.iter().any(|i| u16::from(i.opcode.0) == offset))
                .min_by_key(|m| (m.insns.len(), m.offset))
                .map(|m| m.offset)
                .unwrap_or_else(|| panic!("{applet}: no method with opcode {offset:#x}"))
        };
        let m = lower_method(&loaded.cap, &v, offset, &target).unwrap();
        let (f, stats) = optimize(m.func, &flags).unwrap();
        let text = format!(
            "; {applet} {} @{offset:#06x}: {what}\n; {} CLIF instructions lowered, {} after the mid-end\n{}",
            m.label,
            stats.insts_before,
            stats.insts_after,
            f.display()
        );
        let file = golden_dir().join(format!("{applet}-{offset:04x}.clif"));
        if bless {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(&file, &text).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&file).unwrap_or_default();
        if want != text {
            diffs.push(file.display().to_string());
        }
    }
    assert!(
        diffs.is_empty(),
        "lowering differs from the golden files (BLESS=1 to accept): {}",
        diffs.join(", ")
    );
}
