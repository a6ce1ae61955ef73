//! Every export file of the Java Card and GlobalPlatform APIs parses, and
//! writing it back gives the same bytes.

mod common;

use hydra_exp::{flags, ExportFile, FormatVersion};

#[test]
fn round_trip_every_api_file() {
    let Some(dir) = common::exports_dir() else {
        return;
    };
    let files = common::exp_files(&dir);
    assert!(files.len() >= 80, "only {} export files found", files.len());
    for path in files {
        let data = std::fs::read(&path).unwrap();
        let exp = ExportFile::parse(&data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let back = exp.write().unwrap();
        assert!(back == data, "{}: written bytes differ", path.display());
        let rel = path
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let expected = if rel.starts_with("org.globalplatform") {
            FormatVersion::V2_1
        } else {
            FormatVersion::V2_3
        };
        assert_eq!(exp.version, expected, "{rel}");
    }
}

fn load(rel: &str) -> Option<ExportFile> {
    let dir = common::exports_dir()?;
    Some(ExportFile::read_file(&dir.join(rel)).unwrap())
}

#[test]
fn javacard_framework_3_0_5() {
    let Some(exp) = load("jc-api-3.0.5/javacard/framework/javacard/framework.exp") else {
        return;
    };
    assert_eq!(exp.package_name(), Some("javacard/framework"));
    let pkg = exp.this_package().unwrap();
    assert_eq!(pkg.aid, [0xA0, 0x00, 0x00, 0x00, 0x62, 0x01, 0x01]);
    assert_eq!((pkg.major_version, pkg.minor_version), (1, 6));
    assert_eq!(pkg.flags, flags::ACC_LIBRARY);
    // javacard.framework refers to java.lang only.
    assert_eq!(exp.referenced_packages.len(), 1);
    let lang = exp.package(exp.referenced_packages[0]).unwrap();
    assert_eq!(lang.aid, [0xA0, 0x00, 0x00, 0x00, 0x62, 0x00, 0x01]);

    let apdu = exp
        .classes
        .iter()
        .find(|c| exp.class_name(c.name_index) == Some("javacard/framework/APDU"))
        .unwrap();
    assert_eq!(apdu.token, 10);
    let get_buffer = apdu
        .methods
        .iter()
        .find(|m| exp.utf8(m.name_index) == Some("getBuffer"))
        .unwrap();
    assert_eq!(exp.utf8(get_buffer.descriptor_index), Some("()[B"));
    assert_eq!(get_buffer.token, 1);

    let iso = exp
        .classes
        .iter()
        .find(|c| exp.class_name(c.name_index) == Some("javacard/framework/ISO7816"))
        .unwrap();
    assert_eq!(iso.token, 0);
    assert_ne!(iso.access_flags & flags::ACC_INTERFACE, 0);
    let sw = |name: &str| {
        let f = iso
            .fields
            .iter()
            .find(|f| exp.utf8(f.name_index) == Some(name))
            .unwrap();
        assert_eq!(f.token, flags::NO_TOKEN);
        exp.constant_value(f).unwrap()
    };
    // Values are the Java constants, sign-extended to int: (short) 0x9000.
    assert_eq!(sw("SW_NO_ERROR"), 0x9000u16 as i16 as i32);
    assert_eq!(sw("SW_INS_NOT_SUPPORTED"), 0x6D00);
    assert_eq!(sw("SW_WRONG_LENGTH"), 0x6700);
    assert_eq!(sw("OFFSET_CDATA"), 5);
    assert_eq!(sw("CLA_ISO7816"), 0);
    assert_eq!(sw("INS_SELECT"), 0xA4u8 as i8 as i32);
}

#[test]
fn globalplatform_is_format_2_1() {
    let Some(exp) = load("org.globalplatform-1.6/org/globalplatform/javacard/globalplatform.exp")
    else {
        return;
    };
    assert_eq!(exp.version, FormatVersion::V2_1);
    assert!(exp.referenced_packages.is_empty());
    assert_eq!(exp.package_name(), Some("org/globalplatform"));
    assert_eq!(
        exp.this_package().unwrap().aid,
        [0xA0, 0x00, 0x00, 0x01, 0x51, 0x00]
    );
    assert!(exp
        .classes
        .iter()
        .all(|c| c.cap22_inheritable_public_method_token_count.is_none()));
}
