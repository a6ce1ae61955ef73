use std::path::Path;

use hydra_jcapi::{ApiVersion, ExportPath};
use hydra_verify::ApiSet;

use super::*;

fn pin() -> (CapFile, Verified) {
    let cap =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets/pin/cap/pin.cap");
    let loaded = hydra_cap::container::read_path(&cap).unwrap();
    let api = ApiSet::from_export_path(&ExportPath::new(ApiVersion::from_name("3.2.0").unwrap()));
    let v = hydra_verify::verify(&loaded.cap, &api).unwrap();
    (loaded.cap, v)
}

/// Every target gives one package type, and one package format whose
/// entries point at each method's code, with the target's entry kind and
/// alignment.
#[test]
fn every_target_packages_the_same_methods() {
    let (cap, v) = pin();
    let mut counts = Vec::new();
    for (triple, kind, align) in [
        (
            "thumbv7m-none-eabi",
            hydra_package::EntryKind::ThumbFunction,
            4,
        ),
        (
            "x86_64-unknown-linux-gnu",
            hydra_package::EntryKind::Function,
            16,
        ),
        (
            "aarch64-unknown-linux-gnu",
            hydra_package::EntryKind::Function,
            16,
        ),
    ] {
        let p = compile(&cap, &v, triple, Options::default()).unwrap();
        assert_eq!(p.triple, triple);
        let bytes = emit_package(&p, &cap).unwrap();
        let pkg = hydra_package::Package::parse(&bytes).unwrap();
        assert_eq!(pkg.target.triple(), triple);
        assert_eq!(pkg.abi, hydra_abi::ABI_VERSION);
        assert_eq!(pkg.aid, cap.header.package.aid.as_bytes());
        assert_eq!(pkg.entry_count(), p.methods.len());
        for m in &p.methods {
            let e = pkg.entry(m.code_offset).unwrap();
            assert_eq!(e.kind, kind, "{triple}");
            assert_eq!(e.ret_words, m.ret_words);
            assert_eq!(e.code_offset as usize % align, 0);
            let at = e.code_offset as usize;
            assert_eq!(&pkg.code[at..at + m.code.len()], &m.code[..]);
        }
        assert!(emit_object(&p).unwrap().starts_with(b"\x7fELF"));
        counts.push(p.methods.len());
    }
    assert!(counts.windows(2).all(|w| w[0] == w[1]), "{counts:?}");
}

#[test]
fn an_unknown_target_is_one_clear_error() {
    let (cap, v) = pin();
    let e = compile(&cap, &v, "riscv32imc-unknown-none-elf", Options::default()).unwrap_err();
    assert!(matches!(e, DriverError::UnsupportedTarget(_)), "{e}");
    assert!(e.to_string().starts_with("unsupported target riscv32imc"));
}
