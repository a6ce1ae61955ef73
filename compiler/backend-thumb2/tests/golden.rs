//! Golden filetests: the optimised CLIF of chosen methods in, the Thumb-2
//! listing out. Each file holds the CLIF (as `;` comments) and the listing
//! the backend gives for it. `BLESS=1 cargo test -p hydra-backend-thumb2
//! --test golden` rewrites the files after a deliberate change.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// (applet, method header offset, what it shows).
const CASES: &[(&str, u16, &str)] = &[
    (
        "arith",
        0x0323,
        "short arithmetic: division checks, SXTH only where needed",
    ),
    ("arith", 0x0391, "int compares: IT blocks, shifted operands"),
    ("arith", 0x0797, "a tiny static method: no frame"),
    (
        "arrays",
        0x0198,
        "array loads/stores: null, firewall, bounds, store barrier",
    ),
    (
        "exceptions",
        0x013d,
        "handler dispatch and the catch entry point",
    ),
    (
        "statics",
        0x0126,
        "statics: link-table loads, barrier stores",
    ),
    (
        "objects",
        0x006b,
        "fields and virtual calls: stack arguments of invoke",
    ),
    (
        "secchannel",
        0x0026,
        "a byte ANDed with a negative mask, compared as a short: UXTH first",
    ),
];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

#[test]
fn thumb2_goldens() {
    let bless = std::env::var_os("BLESS").is_some();
    let api = api();
    let mut flags = hydra_backend_thumb2::Flags::for_triple("thumbv7m-none-eabi").unwrap();
    flags.check_regalloc = true;
    let mut diffs = Vec::new();
    for &(applet, offset, what) in CASES {
        let (cap, v) = load(applet, &api);
        let m =
            hydra_lower::lower_method(&cap, &v, offset, &hydra_backend_thumb2::target()).unwrap();
        let (func, _) = hydra_lower::optimize(m.func, &hydra_lower::flags()).unwrap();
        let code = hydra_backend_thumb2::compile_function(&func, &m.label, &flags).unwrap();
        let mut text = format!("; {applet} {} @{offset:#06x}: {what}\n;\n", m.label);
        for line in func.display().to_string().lines() {
            text.push_str(&format!("; {line}\n"));
        }
        text.push_str(&format!(";\n; {} bytes of Thumb-2\n", code.code.len()));
        text.push_str(&hydra_backend_thumb2::listing_text(&code.listing));
        let path = golden_dir().join(format!("{applet}-{offset:04x}.t2"));
        if bless {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if want != text {
            diffs.push(format!("{} differs (BLESS=1 rewrites it)", path.display()));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}
