//! Shared helpers of the benchmarks: where the bundled applets are.

use std::path::PathBuf;

/// Every canonical conformance CAP (`conformance/applets/*/cap/*.cap`).
pub fn conformance_caps() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conformance/applets");
    let mut out = Vec::new();
    for applet in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        let dir = applet.path().join("cap");
        for f in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if f.path().extension().is_some_and(|x| x == "cap") {
                out.push(f.path());
            }
        }
    }
    out.sort();
    out
}
