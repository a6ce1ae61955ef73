//! The field map: every byte of every component is read by some item, no
//! item lies outside its component, and the Header's items are where JCVM
//! 3.0.5 §6.4 puts them.

mod common;

use hydra_cap::cap::split_component_stream;
use hydra_cap::{CapFile, ComponentTag};

#[test]
fn every_byte_of_every_component_is_some_item() {
    let caps = common::all_caps();
    assert!(!caps.is_empty());
    for path in caps {
        let cap = hydra_cap::container::read_path(&path).unwrap().cap;
        let stream = cap.to_load_file(true).unwrap();
        let components = split_component_stream(&stream).unwrap();
        let (again, spans) = CapFile::field_map(components.clone(), false).unwrap();
        assert_eq!(again, cap, "{}", path.display());
        for c in &components {
            let mut covered = vec![false; c.bytes.len()];
            for s in spans.iter().filter(|s| s.tag == c.tag) {
                assert!(
                    s.offset + s.len <= c.bytes.len(),
                    "{}: {:?} item {} past the end",
                    path.display(),
                    c.tag,
                    s.what
                );
                covered[s.offset..s.offset + s.len].fill(true);
            }
            let gap = covered.iter().position(|&c| !c);
            assert_eq!(gap, None, "{}: {:?} byte not read", path.display(), c.tag);
        }
    }
}

#[test]
fn the_header_items_are_where_the_specification_puts_them() {
    let path = common::all_caps()
        .into_iter()
        .find(|p| p.ends_with("pin/cap/pin.cap"))
        .expect("pin.cap");
    let cap = hydra_cap::container::read_path(&path).unwrap().cap;
    let components = split_component_stream(&cap.to_load_file(false).unwrap()).unwrap();
    let (_, spans) = CapFile::field_map(components, false).unwrap();
    let header: Vec<(usize, usize)> = spans
        .iter()
        .filter(|s| s.tag == ComponentTag::Header)
        .map(|s| (s.offset, s.len))
        .collect();
    // tag u1, size u2, magic u4, minor u1, major u1, flags u1, then
    // package_info: minor u1, major u1, AID_length u1, AID (7 bytes for
    // F0485944524108), then (format 2.2+) the name length and name.
    assert_eq!(
        &header[..10],
        &[
            (0, 1),
            (1, 2),
            (3, 4),
            (7, 1),
            (8, 1),
            (9, 1),
            (10, 1),
            (11, 1),
            (12, 1),
            (13, 7)
        ]
    );
}
