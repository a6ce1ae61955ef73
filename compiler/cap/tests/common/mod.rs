//! The CAP files the tests read: every archive under conformance/, plus the
//! folders named by `HYDRA_CAP_DIRS` (colon-separated).

use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "cap")
            && std::fs::read(&p).is_ok_and(|b| b.starts_with(b"PK\x03\x04"))
        {
            out.push(p);
        }
    }
}

pub fn all_caps() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance");
    let mut caps = Vec::new();
    collect(&root, &mut caps);
    if let Ok(extra) = std::env::var("HYDRA_CAP_DIRS") {
        for d in extra.split(':').filter(|d| !d.is_empty()) {
            collect(Path::new(d), &mut caps);
        }
    }
    caps.sort();
    caps.dedup();
    caps
}
