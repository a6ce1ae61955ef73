//! Links the firmware with cortex-m-rt's `link.x` and our `memory.x`, but only
//! when building for the bare-metal Arm target: on the host the crate is a
//! plain library (tests) and a stub binary.

use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if arch == "arm" && os == "none" {
        let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
        fs::copy("memory.x", out.join("memory.x")).expect("copy memory.x");
        println!("cargo:rustc-link-search={}", out.display());
        println!("cargo:rustc-link-arg-bins=-Tlink.x");
        println!(
            "cargo:rustc-link-arg-bins=-Map={}",
            out.join("hydra-mps2-an385.map").display()
        );
    }
}
