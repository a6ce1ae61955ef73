//! Shared by the integration tests: where the valid CAPs and the export
//! files are.
#![allow(dead_code)]

pub mod mutate;

use std::path::{Path, PathBuf};

use hydra_jcapi::{ApiVersion, ExportPath};
use hydra_verify::ApiSet;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn collect(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

fn extra_dirs() -> Vec<PathBuf> {
    std::env::var("HYDRA_CAP_DIRS")
        .unwrap_or_default()
        .split(':')
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// Valid CAPs: the conformance applets (not the verifier's negative corpus).
pub fn valid_caps() -> Vec<PathBuf> {
    let mut caps = Vec::new();
    collect(&root().join("conformance/applets"), "cap", &mut caps);
    for d in extra_dirs() {
        collect(&d, "cap", &mut caps);
    }
    caps.retain(|p| std::fs::read(p).is_ok_and(|b| b.starts_with(b"PK\x03\x04")));
    caps.sort();
    caps
}

/// The built-in Java Card API (generated from the export files, so no SDK
/// is needed), the conformance packages' export files (so packages
/// importing other conformance packages verify), and `HYDRA_EXPORTS` /
/// `HYDRA_CAP_DIRS` folders when given.
pub fn api() -> ApiSet {
    let mut path = ExportPath::new(ApiVersion::V3_2_0);
    let mut dirs = vec![root().join("conformance/applets")];
    dirs.extend(std::env::var_os("HYDRA_EXPORTS").map(PathBuf::from));
    dirs.extend(extra_dirs());
    for d in dirs {
        path.add_dir(&d).unwrap_or_else(|e| panic!("{e}"));
    }
    ApiSet::from_export_path(&path)
}
