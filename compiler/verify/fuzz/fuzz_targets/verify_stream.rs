#![no_main]

//! Any bytes read as a load file (concatenated components): parsing and
//! verification never panic. Seed with `cargo run --example load_files`
//! style streams of the conformance CAPs (see fuzz/README.md).

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(cap) = hydra_cap::CapFile::from_component_stream(data) {
        let _ = hydra_verify::verify(&cap, common::api());
    }
});
