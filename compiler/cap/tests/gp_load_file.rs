//! GlobalPlatform load files leave out the Descriptor component (gp sends
//! Header, Directory, Import, Applet, Class, Method, StaticField, Export,
//! ConstantPool, RefLocation): every bundled CAP parses without it, finds
//! every method something refers to, and writes back a load file that
//! parses strictly.

mod common;

use hydra_cap::component::ComponentTag;
use hydra_cap::container::read_path;
use hydra_cap::CapFile;

/// The load file gp would send for a CAP: its components in load order,
/// without Descriptor and Debug.
fn gp_load_file(path: &std::path::Path) -> Vec<u8> {
    let loaded = read_path(path).unwrap_or_else(|e| panic!("{e}"));
    loaded.cap.to_gp_load_file().unwrap()
}

#[test]
fn load_files_without_a_descriptor_parse_and_write_back() {
    let caps = common::all_caps();
    assert!(!caps.is_empty());
    for path in &caps {
        let bytes = gp_load_file(path);
        let err = CapFile::from_component_stream(&bytes).unwrap_err();
        assert!(
            err.to_string().contains("Descriptor"),
            "{}: {err}",
            path.display()
        );
        let cap = CapFile::from_gp_load_file(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let full = read_path(path).unwrap().cap;
        // Methods nothing references (a constructor of a class never
        // instantiated) are found only through the Descriptor: without it
        // their bytes stay with the method before them. Every other method
        // is found, and the component writes back byte for byte.
        let offsets = |c: &CapFile| {
            c.method
                .methods
                .iter()
                .map(|m| m.offset)
                .collect::<Vec<_>>()
        };
        let (got, want) = (offsets(&cap), offsets(&full));
        assert!(got.iter().all(|o| want.contains(o)), "{}", path.display());
        assert!(
            want.len() - got.len() <= (want.len() / 10).max(1),
            "{}: {got:?} of {want:?}",
            path.display()
        );
        assert_eq!(
            cap.component_bytes(ComponentTag::Method).unwrap(),
            full.component_bytes(ComponentTag::Method).unwrap(),
            "{}",
            path.display()
        );
        assert_eq!(cap.class, full.class, "{}", path.display());
        assert!(cap.descriptor.classes.is_empty());
        let written = cap.to_load_file(false).unwrap();
        let again = CapFile::from_component_stream(&written)
            .unwrap_or_else(|e| panic!("{}: written back: {e}", path.display()));
        assert_eq!(again, cap, "{}", path.display());
    }
}

#[test]
fn a_present_descriptor_is_kept() {
    let path = &common::all_caps()[0];
    let loaded = read_path(path).unwrap();
    let stream = loaded.cap.to_load_file(false).unwrap();
    let cap = CapFile::from_gp_load_file(&stream).unwrap();
    assert_eq!(cap.descriptor, loaded.cap.descriptor);
}
