#![no_main]

//! Structure-aware: a valid conformance CAP whose method number `data[0]`
//! gets `data[1..4]` as max_stack/nargs/max_locals and `data[4..]` as its
//! bytecode (same length budget), so the type checker sees arbitrary code
//! with a consistent CAP around it. Never panics.

use std::sync::OnceLock;

use hydra_cap::CapFile;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fn bases() -> &'static [CapFile] {
    static B: OnceLock<Vec<CapFile>> = OnceLock::new();
    B.get_or_init(|| {
        ["arith", "arrays", "objects"]
            .iter()
            .filter_map(|n| {
                let p = common::root().join(format!("conformance/applets/variants/3.0.5/{n}.cap"));
                hydra_cap::container::read_path(&p).ok().map(|l| l.cap)
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 || bases().is_empty() {
        return;
    }
    let mut cap = bases()[usize::from(data[0] >> 6) % bases().len()].clone();
    let n = cap.method.methods.len();
    let m = &mut cap.method.methods[usize::from(data[0] & 0x3f) % n];
    if m.header.is_abstract() {
        return;
    }
    m.header.max_stack = data[1] & if m.header.is_extended() { 0xff } else { 0x0f };
    m.header.nargs = data[2] & if m.header.is_extended() { 0xff } else { 0x0f };
    m.header.max_locals = data[3] & if m.header.is_extended() { 0xff } else { 0x0f };
    let len = m.bytecode.len();
    for (i, b) in data[4..].iter().take(len).enumerate() {
        m.bytecode[i] = *b;
    }
    let _ = hydra_verify::verify(&cap, common::api());
});
