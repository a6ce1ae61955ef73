//! The committed `compiler/jcapi/src/generated/` is what the generator
//! produces from the API export files (skipped where they are absent).

use std::path::{Path, PathBuf};

#[test]
fn generated_source_is_up_to_date() {
    let exports = std::env::var_os("HYDRA_JC_EXPORTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/javacard-exports"));
    if !exports.is_dir() {
        eprintln!(
            "note: {} not found; not checking compiler/jcapi/src/generated",
            exports.display()
        );
        return;
    }
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../src/generated");
    let files = hydra_jcapi_gen::generate(&exports).unwrap();
    let regen = format!(
        "regenerate with `cargo run -p hydra-jcapi-gen -- {} compiler/jcapi/src/generated`",
        exports.display()
    );
    let mut committed: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".rs"))
        .collect();
    committed.sort();
    let mut expected: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    expected.sort();
    assert_eq!(committed, expected, "generated file set differs; {regen}");
    for (name, contents) in &files {
        let on_disk = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(on_disk == *contents, "{name} is out of date; {regen}");
    }
}
