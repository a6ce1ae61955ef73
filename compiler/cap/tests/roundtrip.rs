//! Parse → write gives back the same component bytes for every CAP file in the
//! conformance suite (all converter targets, with and without debug info), and
//! for any extra folder named by `HYDRA_CAP_DIRS` (colon-separated).

use std::path::{Path, PathBuf};

use hydra_cap::container::read_path;

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

#[test]
fn every_cap_round_trips_byte_for_byte() {
    let caps = all_caps();
    for path in &caps {
        let loaded = read_path(path).unwrap_or_else(|e| panic!("{e}"));
        for raw in &loaded.raw_components {
            let written = loaded
                .cap
                .component_bytes(raw.tag)
                .unwrap()
                .unwrap_or_else(|| {
                    panic!("{}: {} component not written back", path.display(), raw.tag)
                });
            assert!(
                written == raw.bytes,
                "{}: {} component differs after parse -> write",
                path.display(),
                raw.tag
            );
        }
        // And the load-file stream parses to the same structure.
        let stream = loaded.cap.to_load_file(true).unwrap();
        let again = hydra_cap::CapFile::from_component_stream(&stream).unwrap();
        assert_eq!(again, loaded.cap, "{}", path.display());
    }
    eprintln!("{} CAP files round-tripped", caps.len());
}
