use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hydra_jcapi::{ApiVersion, ExportPath};
use hydra_verify::ApiSet;

/// The built-in Java Card API and the conformance packages' export files.
pub fn api() -> &'static ApiSet {
    static API: OnceLock<ApiSet> = OnceLock::new();
    API.get_or_init(|| {
        let mut path = ExportPath::new(ApiVersion::V3_2_0);
        path.add_dir(&root().join("conformance/applets")).expect("conformance export files");
        ApiSet::from_export_path(&path)
    })
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}
