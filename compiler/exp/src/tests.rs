use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::*;

/// A small package: `p/C` (token 0) with a constant field, an instance
/// field, a static method and a virtual method.
pub(crate) fn sample(version: FormatVersion) -> ExportFile {
    let cp = vec![
        Constant::Utf8(String::from("p")), // 0
        Constant::Package(PackageInfo {
            flags: flags::ACC_LIBRARY,
            name_index: 0,
            minor_version: 2,
            major_version: 1,
            aid: vec![0xA0, 0, 0, 0, 0x62, 0x7F],
        }), // 1
        Constant::Utf8(String::from("p/C")), // 2
        Constant::ClassRef { name_index: 2 }, // 3
        Constant::Utf8(String::from("java/lang/Object")), // 4
        Constant::ClassRef { name_index: 4 }, // 5
        Constant::Utf8(String::from("K")), // 6
        Constant::Utf8(String::from("S")), // 7
        Constant::Utf8(String::from(CONSTANT_VALUE)), // 8
        Constant::Integer(-28672),         // 9
        Constant::Utf8(String::from("f")), // 10
        Constant::Utf8(String::from("m")), // 11
        Constant::Utf8(String::from("()V")), // 12
        Constant::Utf8(String::from("java/lang")), // 13
        Constant::Package(PackageInfo {
            flags: 0,
            name_index: 13,
            minor_version: 0,
            major_version: 1,
            aid: vec![0xA0, 0, 0, 0, 0x62, 0, 1],
        }), // 14
    ];
    let refs = version.has_references();
    ExportFile {
        version,
        constant_pool: cp,
        this_package: 1,
        referenced_packages: if refs { vec![14] } else { vec![] },
        classes: vec![ClassInfo {
            token: 0,
            access_flags: flags::ACC_PUBLIC,
            name_index: 3,
            supers: vec![5],
            interfaces: vec![],
            fields: vec![
                FieldInfo {
                    token: flags::NO_TOKEN,
                    access_flags: flags::ACC_PUBLIC | flags::ACC_STATIC | flags::ACC_FINAL,
                    name_index: 6,
                    descriptor_index: 7,
                    attributes: vec![Attribute {
                        name_index: 8,
                        info: vec![0, 9],
                    }],
                },
                FieldInfo {
                    token: 0,
                    access_flags: flags::ACC_PUBLIC,
                    name_index: 10,
                    descriptor_index: 7,
                    attributes: vec![],
                },
            ],
            methods: vec![
                MethodInfo {
                    token: 0,
                    access_flags: flags::ACC_PUBLIC | flags::ACC_STATIC,
                    name_index: 11,
                    descriptor_index: 12,
                },
                MethodInfo {
                    token: 1,
                    access_flags: flags::ACC_PUBLIC,
                    name_index: 11,
                    descriptor_index: 12,
                },
            ],
            cap22_inheritable_public_method_token_count: refs.then_some(2),
        }],
    }
}

fn bytes(version: FormatVersion) -> Vec<u8> {
    sample(version).write().unwrap()
}

#[test]
fn round_trip_all_versions() {
    for v in [
        FormatVersion::V2_1,
        FormatVersion::V2_2,
        FormatVersion::V2_3,
    ] {
        let b = bytes(v);
        let parsed = ExportFile::parse(&b).unwrap();
        assert_eq!(parsed, sample(v));
        assert_eq!(parsed.write().unwrap(), b);
    }
}

#[test]
fn accessors() {
    let f = sample(FormatVersion::V2_3);
    assert_eq!(f.package_name(), Some("p"));
    assert_eq!(f.class_name(f.classes[0].name_index), Some("p/C"));
    assert_eq!(
        f.class_name(f.classes[0].supers[0]),
        Some("java/lang/Object")
    );
    assert_eq!(f.constant_value(&f.classes[0].fields[0]), Some(-28672));
    assert_eq!(f.constant_value(&f.classes[0].fields[1]), None);
    assert_eq!(f.utf8(9), None);
    assert_eq!(f.utf8(999), None);
}

#[test]
fn header_layout() {
    let b = bytes(FormatVersion::V2_3);
    assert_eq!(&b[..6], &[0x00, 0xFA, 0xCA, 0xDE, 3, 2]);
    assert_eq!(&b[6..8], &[0, 15]);
}

fn err(data: &[u8]) -> ExpError {
    ExportFile::parse(data).unwrap_err()
}

#[test]
fn bad_magic() {
    let mut b = bytes(FormatVersion::V2_1);
    b[0] = 0xCA;
    assert_eq!(
        err(&b),
        ExpError {
            offset: 0,
            kind: ExpErrorKind::BadMagic { found: 0xCAFACADE }
        }
    );
}

#[test]
fn unsupported_version() {
    let mut b = bytes(FormatVersion::V2_1);
    b[4] = 4;
    assert_eq!(
        err(&b),
        ExpError {
            offset: 4,
            kind: ExpErrorKind::UnsupportedVersion { major: 2, minor: 4 }
        }
    );
}

#[test]
fn truncation_at_every_length_is_an_error() {
    for v in [FormatVersion::V2_1, FormatVersion::V2_3] {
        let b = bytes(v);
        for len in 0..b.len() {
            let e = err(&b[..len]);
            assert!(
                matches!(e.kind, ExpErrorKind::UnexpectedEnd { .. }),
                "{len}: {e}"
            );
            assert!(e.offset <= len);
        }
    }
}

#[test]
fn trailing_bytes() {
    let mut b = bytes(FormatVersion::V2_3);
    let end = b.len();
    b.push(0);
    assert_eq!(
        err(&b),
        ExpError {
            offset: end,
            kind: ExpErrorKind::TrailingBytes { count: 1 }
        }
    );
}

#[test]
fn wrong_constant_kind_names_offset() {
    let mut f = sample(FormatVersion::V2_1);
    f.this_package = 0; // a Utf8
    let b = f.write().unwrap();
    // this_package follows the constant pool.
    let off = b.len() - class_len(&f) - 2 - 1;
    let e = err(&b);
    assert_eq!(e.offset, off);
    assert_eq!(
        e.kind,
        ExpErrorKind::WrongConstant {
            what: "this_package",
            index: 0,
            expected: ConstantKind::Package,
            found: ConstantKind::Utf8,
        }
    );
    assert_eq!(
        alloc::format!("{e}"),
        alloc::format!(
            "export file offset {off:#x}: this_package: constant pool index 0 is \
             CONSTANT_Utf8, expected CONSTANT_Package"
        )
    );
}

fn class_len(f: &ExportFile) -> usize {
    let mut one = f.clone();
    one.classes.clear();
    f.write().unwrap().len() - one.write().unwrap().len()
}

#[test]
fn index_out_of_range() {
    let mut f = sample(FormatVersion::V2_3);
    f.classes[0].methods[0].descriptor_index = 100;
    let e = err(&f.write().unwrap());
    assert_eq!(
        e.kind,
        ExpErrorKind::IndexOutOfRange {
            what: "method_info descriptor_index",
            index: 100,
            count: 15
        }
    );
}

#[test]
fn constant_value_checked() {
    let mut f = sample(FormatVersion::V2_3);
    f.classes[0].fields[0].attributes[0].info = vec![0, 9, 0];
    assert!(matches!(
        err(&f.write().unwrap()).kind,
        ExpErrorKind::BadConstantValueLength(3)
    ));
    f.classes[0].fields[0].attributes[0].info = vec![0, 2];
    assert!(matches!(
        err(&f.write().unwrap()).kind,
        ExpErrorKind::WrongConstant {
            expected: ConstantKind::Integer,
            found: ConstantKind::Utf8,
            ..
        }
    ));
}

#[test]
fn unknown_attribute_kept() {
    let mut f = sample(FormatVersion::V2_3);
    f.classes[0].fields[1].attributes.push(Attribute {
        name_index: 10,
        info: vec![1, 2, 3],
    });
    let b = f.write().unwrap();
    let p = ExportFile::parse(&b).unwrap();
    assert_eq!(p, f);
    assert_eq!(p.constant_value(&p.classes[0].fields[1]), None);
}

#[test]
fn invalid_utf8() {
    let mut f = sample(FormatVersion::V2_1);
    f.constant_pool[0] = Constant::Utf8(String::from("q"));
    let mut b = f.write().unwrap();
    // The first entry's bytes start after magic, version, count, tag, length.
    assert_eq!(b[11], b'q');
    b[11] = 0xFF;
    assert_eq!(
        err(&b),
        ExpError {
            offset: 11,
            kind: ExpErrorKind::InvalidUtf8
        }
    );
}

#[test]
fn unknown_tag() {
    let mut b = bytes(FormatVersion::V2_1);
    b[8] = 2;
    assert_eq!(
        err(&b),
        ExpError {
            offset: 8,
            kind: ExpErrorKind::UnknownConstantTag(2)
        }
    );
}

#[test]
fn writer_rejects_inconsistent_models() {
    let mut f = sample(FormatVersion::V2_1);
    f.referenced_packages.push(14);
    assert!(matches!(f.write(), Err(WriteError::NotInFormat { .. })));
    let mut f = sample(FormatVersion::V2_3);
    f.classes[0].cap22_inheritable_public_method_token_count = None;
    assert!(matches!(f.write(), Err(WriteError::Missing { .. })));
    let mut f = sample(FormatVersion::V2_3);
    f.classes[0].interfaces = vec![5; 256];
    assert!(matches!(
        f.write(),
        Err(WriteError::TooMany {
            what: "interfaces",
            count: 256,
            max: 255
        })
    ));
}

#[test]
fn huge_counts_do_not_allocate_up_front() {
    // A constant pool count of 65535 with no entries: fails fast.
    let b = [0x00, 0xFA, 0xCA, 0xDE, 1, 2, 0xFF, 0xFF];
    assert!(matches!(
        err(&b).kind,
        ExpErrorKind::UnexpectedEnd {
            what: "cp_info tag",
            ..
        }
    ));
}
