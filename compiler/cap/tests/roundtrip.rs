//! Parse → write gives back the same component bytes for every CAP file in the
//! conformance suite (all converter targets, with and without debug info), and
//! for any extra folder named by `HYDRA_CAP_DIRS` (colon-separated).

mod common;

use hydra_cap::container::read_path;

#[test]
fn every_cap_round_trips_byte_for_byte() {
    let caps = common::all_caps();
    assert!(!caps.is_empty(), "no CAP files found under conformance/");
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
