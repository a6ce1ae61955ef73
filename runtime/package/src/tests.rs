use super::*;
use alloc::string::ToString;
use alloc::vec;

fn sample() -> Vec<u8> {
    Writer {
        target: Target::Thumbv7m,
        abi: 3,
        aid: &[0xA0, 0, 0, 0, 0x62, 3],
        version: (1, 2),
        load_file: &[1, 0, 3, 9, 9, 9],
        code: &[0x70, 0x47, 0x70, 0x47, 0, 0xBF, 0x70, 0x47],
        entries: vec![
            MethodEntry {
                method: 40,
                kind: EntryKind::ThumbFunction,
                ret_words: 1,
                code_offset: 4,
            },
            MethodEntry {
                method: 7,
                kind: EntryKind::ThumbFunction,
                ret_words: 0,
                code_offset: 0,
            },
        ],
        manifest: &[0xA0],
    }
    .to_bytes()
}

/// Rewrites the digest after a deliberate change, so that the check under
/// test is the one that fires.
fn rehash(b: &mut [u8]) {
    let n = b.len() - DIGEST_LEN;
    let d = Sha256::digest(&b[..n]);
    b[n..].copy_from_slice(&d);
}

#[test]
fn written_packages_read_back() {
    let b = sample();
    let p = Package::parse(&b).unwrap();
    assert_eq!(p.target, Target::Thumbv7m);
    assert_eq!(p.abi, 3);
    assert_eq!(p.aid, &[0xA0, 0, 0, 0, 0x62, 3]);
    assert_eq!(p.version, (1, 2));
    assert_eq!(p.load_file, &[1, 0, 3, 9, 9, 9]);
    assert_eq!(p.code.len(), 8);
    assert_eq!(p.code_at % 4, 0);
    assert_eq!(&b[p.code_at..p.code_at + 8], p.code);
    let methods: Vec<u16> = p.entries().map(|e| e.method).collect();
    assert_eq!(methods, [7, 40]);
    let e = p.entry(40).unwrap();
    assert_eq!((e.ret_words, e.code_offset), (1, 4));
    assert_eq!(e.address(0x2100_0100), 0x2100_0105);
    assert!(p.entry(8).is_none());
    assert_eq!(p.manifest, &[0xA0]);
    assert!(is_package(&b));
}

#[test]
fn the_layout_is_the_one_the_design_note_draws() {
    let b = sample();
    assert_eq!(&b[..4], b"HNPK");
    assert_eq!(b[4], 1);
    assert_eq!(b[5], 1);
    assert_eq!(u16::from_le_bytes([b[6], b[7]]), 3);
    assert_eq!(
        u32::from_le_bytes(b[8..12].try_into().unwrap()) as usize,
        b.len()
    );
    assert_eq!(u16::from_le_bytes([b[12], b[13]]), 5);
    // Identity: the first section right after the 5-entry table (76).
    assert_eq!(u32::from_le_bytes(b[20..24].try_into().unwrap()), 76);
    assert_eq!(&b[76..76 + 9], &[6, 0xA0, 0, 0, 0, 0x62, 3, 1, 2]);
}

#[test]
fn every_changed_byte_is_refused() {
    let b = sample();
    for i in 0..b.len() {
        let mut t = b.clone();
        t[i] ^= 0x01;
        assert!(Package::parse(&t).is_err(), "byte {i} flipped");
    }
    for n in 0..b.len() {
        assert!(Package::parse(&b[..n]).is_err(), "truncated to {n}");
    }
}

#[test]
fn a_broken_field_is_named_with_its_offset() {
    let mut b = sample();
    b[5] = 9;
    rehash(&mut b);
    let e = Package::parse(&b).unwrap_err();
    assert_eq!((e.field, e.at), ("target", 5));
    assert_eq!(
        e.to_string(),
        "native package: target at byte 5: unknown instruction set"
    );

    let mut b = sample();
    let n = b.len();
    b[n - 1] ^= 0xFF;
    assert_eq!(Package::parse(&b).unwrap_err().field, "digest");
    assert!(Package::parse_unhashed(&b).is_ok());

    // An entry pointing past the code.
    let mut b = sample();
    let s = sample();
    let p = Package::parse(&s).unwrap();
    let entries_at = u32::from_le_bytes(b[16 + 36 + 4..16 + 36 + 8].try_into().unwrap()) as usize;
    assert_eq!(p.entry_count(), 2);
    b[entries_at + 4 + 4] = 200;
    rehash(&mut b);
    let e = Package::parse(&b).unwrap_err();
    assert_eq!((e.field, e.at), ("method entry", entries_at + 8));
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        let _ = Package::parse(&bytes);
        let _ = Package::parse_unhashed(&bytes);
        let _ = dap::parse_dap_block(&bytes);
    }

    #[test]
    fn damaged_packages_never_panic(at in 0usize..200, v in proptest::num::u8::ANY, cut in 0usize..300) {
        let mut b = sample();
        let i = at % b.len();
        b[i] = v;
        rehash(&mut b);
        let n = cut.min(b.len());
        let _ = Package::parse(&b);
        let _ = Package::parse_unhashed(&b[..n]);
    }
}

fn host_package(kind: EntryKind, code: &[u8], code_offset: u32) -> Vec<u8> {
    Writer {
        target: Target::X86_64Linux,
        abi: 3,
        aid: &[0xA0, 0, 0, 0, 0x62, 3],
        version: (1, 0),
        load_file: &[1],
        code,
        entries: vec![MethodEntry {
            method: 3,
            kind,
            ret_words: 0,
            code_offset,
        }],
        manifest: &[0xA0],
    }
    .to_bytes()
}

#[test]
fn host_code_has_plain_entries_at_any_byte() {
    let b = host_package(EntryKind::Function, &[0x90, 0xC3, 0xC3], 1);
    let p = Package::parse(&b).unwrap();
    assert_eq!(p.target.triple(), "x86_64-unknown-linux-gnu");
    assert_eq!(p.entry(3).unwrap().address(0x1000), 0x1001);
}

#[test]
fn an_entry_of_another_target_kind_is_refused() {
    let b = host_package(EntryKind::ThumbFunction, &[0x90, 0xC3], 0);
    let e = Package::parse(&b).unwrap_err();
    assert_eq!(
        (e.field, e.what),
        ("method entry", "kind is not the target's")
    );
    let mut b = sample();
    let entries_at = u32_at(&b, HEADER_LEN + 3 * SECTION_ENTRY_LEN + 4).unwrap() as usize;
    b[entries_at + 4 + 2] = EntryKind::Function as u8;
    rehash(&mut b);
    let e = Package::parse(&b).unwrap_err();
    assert_eq!((e.field, e.at), ("method entry", entries_at + 4 + 2));
}
