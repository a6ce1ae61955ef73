//! Golden files for `hydra inspect`: the text view of every canonical
//! conformance CAP, of its `-debug` build from the 3.2 converter target, and the
//! JSON view of one. `BLESS=1 cargo test -p hydra-inspect --test golden` rewrites them
//! after a reviewed change.

use std::path::{Path, PathBuf};

use hydra_inspect as inspect;
use hydra_jcapi::{ApiVersion, ExportPath};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// (golden name, CAP path relative to the workspace root).
fn cases() -> Vec<(String, String)> {
    let applets = root().join("conformance/applets");
    let mut out = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(&applets)
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("cap").is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let caps = applets.join(&name).join("cap");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&caps)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "cap"))
            .collect();
        files.sort();
        for f in files {
            let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
            let rel = f
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.push((format!("{stem}.txt"), rel));
            let debug = format!("conformance/applets/variants/3.2.0-debug/{stem}.cap");
            if root().join(&debug).exists() {
                out.push((format!("{stem}-3.2.0-debug.txt"), debug));
            }
        }
    }
    out
}

fn render(rel: &str, json: bool) -> String {
    let loaded =
        hydra_cap::container::read_path(&root().join(rel)).unwrap_or_else(|e| panic!("{e}"));
    let mut api = ExportPath::new(ApiVersion::V3_2_0);
    // Packages of the suite that others import (the shareable server).
    api.add_dir(&root().join("conformance/applets")).unwrap();
    let report = inspect::inspect(rel, &loaded, &api);
    if json {
        serde_json::to_string_pretty(&report).unwrap() + "\n"
    } else {
        inspect::text::render(&report)
    }
}

fn check(name: &str, actual: &str, failures: &mut Vec<String>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    match std::fs::read_to_string(&path) {
        Ok(expected) if expected == actual => {}
        Ok(_) => failures.push(format!("{name} differs (BLESS=1 to accept after review)")),
        Err(_) => failures.push(format!("{name} is missing (BLESS=1 to create)")),
    }
}

#[test]
fn inspect_output_matches_golden_files() {
    let cases = cases();
    assert!(!cases.is_empty(), "no conformance CAPs found");
    let mut failures = Vec::new();
    for (name, rel) in &cases {
        check(name, &render(rel, false), &mut failures);
    }
    check(
        "arith.json",
        &render("conformance/applets/arith/cap/arith.cap", true),
        &mut failures,
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
