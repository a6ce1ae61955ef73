//! What the lowering tests share: the API the conformance applets import
//! and a package read, verified and lowered.

use std::path::Path;

use hydra_jcapi::{ApiVersion, ExportPath};
use hydra_lower::{lower_package, LoweredMethod, Target};
use hydra_verify::ApiSet;

/// The Java Card 3.2 API plus the two conformance packages that others
/// import (the shareable server and the firewall library).
pub fn api() -> ApiSet {
    let mut path = ExportPath::new(ApiVersion::from_name("3.2.0").unwrap());
    let applets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets");
    path.add_dir(&applets.join("shareserver/cap")).unwrap();
    path.add_dir(&applets.join("fwlib/cap")).unwrap();
    ApiSet::from_export_path(&path)
}

/// Every method of the package in `cap`, lowered for `target`; panics
/// naming the file when it does not read, verify or lower.
pub fn lowered(cap: &Path, api: &ApiSet, target: &Target) -> Vec<LoweredMethod> {
    let loaded = hydra_cap::container::read_path(cap).unwrap();
    let v = hydra_verify::verify(&loaded.cap, api)
        .unwrap_or_else(|e| panic!("{}: {:?}", cap.display(), e));
    lower_package(&loaded.cap, &v, target).unwrap_or_else(|e| panic!("{}: {e}", cap.display()))
}
