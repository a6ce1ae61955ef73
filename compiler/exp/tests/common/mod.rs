#![allow(dead_code)]
//! Locating the Java Card API export files, which are not part of the
//! repository: `HYDRA_JC_EXPORTS` or `/work/shared/javacard-exports`.

use std::path::{Path, PathBuf};

pub fn exports_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("HYDRA_JC_EXPORTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/javacard-exports"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "note: {} not found; skipping tests on the API export files",
            dir.display()
        );
        None
    }
}

pub fn exp_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "exp") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
