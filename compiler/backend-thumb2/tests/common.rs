//! Shared by the tests: the conformance packages, verified.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use hydra_jcapi::{ApiVersion, ExportPath};
use hydra_verify::ApiSet;

pub const APPLETS: [&str; 11] = [
    "apdu",
    "arith",
    "arrays",
    "exceptions",
    "objects",
    "pin",
    "shareclient",
    "shareserver",
    "statics",
    "transients",
    "txn",
];

pub fn applets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets")
}

pub fn api() -> ApiSet {
    let mut path = ExportPath::new(ApiVersion::from_name("3.2.0").unwrap());
    path.add_dir(&applets().join("shareserver/cap")).unwrap();
    ApiSet::from_export_path(&path)
}

pub fn load(applet: &str, api: &ApiSet) -> (hydra_cap::CapFile, hydra_verify::Verified) {
    let cap = applets().join(format!("{applet}/cap/{applet}.cap"));
    let loaded = hydra_cap::container::read_path(&cap).unwrap();
    let v = hydra_verify::verify(&loaded.cap, api).unwrap();
    (loaded.cap, v)
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds the firmware (its cargo profile, thumbv7m-none-eabi) into its own target
/// directory.
pub fn firmware() -> PathBuf {
    let ws = workspace();
    let dir = ws.join("target/qemu-thumb2");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(&ws)
        .args([
            "build",
            "--profile",
            hydra_qemu_host::FIRMWARE_PROFILE,
            "-p",
            "hydra-mps2-an385",
            "--target",
            "thumbv7m-none-eabi",
            "--target-dir",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    hydra_qemu_host::Artifacts::in_dir(&dir).firmware
}
