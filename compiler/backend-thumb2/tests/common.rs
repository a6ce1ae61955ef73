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
