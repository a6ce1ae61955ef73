//! Malformed input gives a typed error naming the component, the offset and
//! what was expected.

mod common;

use hydra_cap::{CapError, CapErrorKind, CapFile, ComponentTag, Location};

fn stream() -> Vec<u8> {
    let caps = common::all_caps();
    let p = caps.first().expect("no CAP files found under conformance/");
    hydra_cap::container::read_path(p)
        .unwrap()
        .cap
        .to_load_file(false)
        .unwrap()
}

/// Byte offset of the component with `tag` in a load-file stream.
fn find(stream: &[u8], tag: u8) -> usize {
    let mut at = 0;
    while at < stream.len() {
        if stream[at] == tag {
            return at;
        }
        at += 3 + usize::from(u16::from_be_bytes([stream[at + 1], stream[at + 2]]));
    }
    panic!("no component {tag}");
}

fn err(bytes: &[u8]) -> CapError {
    CapFile::from_component_stream(bytes).expect_err("malformed input was accepted")
}

#[test]
fn bad_magic_names_header_offset_3() {
    let mut s = stream();
    s[3] ^= 0xFF;
    let e = err(&s);
    assert_eq!(
        e.location,
        Location::Component {
            tag: ComponentTag::Header,
            offset: 3
        }
    );
    assert!(matches!(e.kind, CapErrorKind::BadMagic { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("Header component, offset 0x3: bad magic"),
        "{e}"
    );
}

#[test]
fn unsupported_version() {
    let mut s = stream();
    s[8] = 3; // major version
    assert!(matches!(
        err(&s).kind,
        CapErrorKind::UnsupportedVersion { major: 3, .. }
    ));
}

#[test]
fn truncated_stream_reports_size_mismatch() {
    let s = stream();
    let e = err(&s[..s.len() - 1]);
    assert!(matches!(e.kind, CapErrorKind::SizeMismatch { .. }), "{e}");
}

#[test]
fn changed_length_field_is_caught_by_the_directory() {
    let mut s = stream();
    // Grow the ConstantPool by one byte and say so in its size field: the
    // Directory no longer agrees.
    let at = find(&s, 5);
    let size = u16::from_be_bytes([s[at + 1], s[at + 2]]) + 1;
    s[at + 1..at + 3].copy_from_slice(&size.to_be_bytes());
    s.insert(at + 3, 0);
    let e = err(&s);
    assert!(
        matches!(
            e.kind,
            CapErrorKind::DirectoryMismatch {
                tag: ComponentTag::ConstantPool,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn bad_constant_pool_tag() {
    let mut s = stream();
    let at = find(&s, 5);
    s[at + 5] = 0x7F; // tag of entry 0, after tag, size and count
    let e = err(&s);
    assert_eq!(
        e.location,
        Location::Component {
            tag: ComponentTag::ConstantPool,
            offset: 5
        }
    );
    assert!(
        matches!(
            e.kind,
            CapErrorKind::InvalidValue {
                what: "constant pool tag",
                value: 0x7F
            }
        ),
        "{e}"
    );
}

#[test]
fn missing_and_duplicate_components() {
    let s = stream();
    let at = find(&s, 7);
    let len = 3 + usize::from(u16::from_be_bytes([s[at + 1], s[at + 2]]));
    let mut without = s.clone();
    without.drain(at..at + len);
    assert!(matches!(
        err(&without).kind,
        CapErrorKind::MissingComponent(ComponentTag::Method)
    ));
    let mut twice = s.clone();
    twice.extend_from_slice(&s[at..at + len]);
    assert!(matches!(
        err(&twice).kind,
        CapErrorKind::DuplicateComponent(ComponentTag::Method)
    ));
}

#[test]
fn bad_tag_in_stream() {
    let mut s = stream();
    s[0] = 0x42;
    let e = err(&s);
    assert!(
        matches!(e.kind, CapErrorKind::MissingComponent(ComponentTag::Header)),
        "{e}"
    );
}

#[test]
fn garbage_is_not_a_cap() {
    let e = hydra_cap::container::parse_bytes(b"hello").unwrap_err();
    assert!(matches!(e.kind, CapErrorKind::Container(_)));
    let e = hydra_cap::container::parse_bytes(b"PK\x03\x04garbage").unwrap_err();
    assert!(e.to_string().contains("not a valid JAR/ZIP archive"), "{e}");
}
