use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hydra_verify::ApiSet;

/// The Java Card API (HYDRA_EXPORTS, default the shared 3.2.0 export files)
/// and the conformance packages' export files.
pub fn api() -> &'static ApiSet {
    static API: OnceLock<ApiSet> = OnceLock::new();
    API.get_or_init(|| {
        let mut api = ApiSet::new();
        let base = std::env::var("HYDRA_EXPORTS").map(PathBuf::from).unwrap_or_else(|_| {
            PathBuf::from("/work/shared/javacard-exports/jc-api-3.2.0")
        });
        api.add_dir(&base);
        api.add_dir(&root().join("conformance/applets"));
        api
    })
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}
