use alloc::format;
use alloc::string::ToString;

use crate::*;

const JC_FRAMEWORK_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x00, 0x62, 0x01, 0x01];

fn framework(v: ApiVersion) -> &'static ApiPackage {
    v.package_by_aid(&JC_FRAMEWORK_AID).unwrap()
}

#[test]
fn default_is_newest() {
    assert_eq!(ApiVersion::default(), ApiVersion::V3_2_0);
    assert_eq!(GpVersion::default(), GpVersion::V1_6);
    assert_eq!(ApiVersion::from_name("3.0.5"), Some(ApiVersion::V3_0_5));
    assert_eq!(ApiVersion::from_name("3.1"), Some(ApiVersion::V3_1_0));
    assert_eq!(ApiVersion::from_name("3.3"), None);
    assert_eq!(GpVersion::from_name("1.5"), Some(GpVersion::V1_5));
    assert_eq!(ApiVersion::V3_0_4.to_string(), "3.0.4");
}

#[test]
fn every_release_has_the_core_packages() {
    for v in ApiVersion::ALL {
        for name in [
            "java.lang",
            "javacard.framework",
            "javacard.security",
            "javacardx.crypto",
            "javacardx.apdu",
            "java/io",
            "java/rmi",
            "javacard/framework/service",
        ] {
            assert!(v.package_by_name(name).is_some(), "{v}: {name}");
        }
    }
    assert_eq!(ApiVersion::V3_0_4.packages().len(), 15);
    assert_eq!(ApiVersion::V3_0_5.packages().len(), 18);
    assert_eq!(ApiVersion::V3_1_0.packages().len(), 24);
    assert_eq!(ApiVersion::V3_2_0.packages().len(), 24);
    for gp in GpVersion::ALL {
        let p = gp.package_by_name("org.globalplatform").unwrap();
        assert_eq!(*p.aid, [0xA0, 0x00, 0x00, 0x01, 0x51, 0x00]);
        assert_eq!(format!("{}.{}", p.major, p.minor), gp.as_str());
    }
}

#[test]
fn package_versions_per_release() {
    let versions = |name: &str| {
        ApiVersion::ALL.map(|v| {
            let p = v.package_by_name(name).unwrap();
            (p.major, p.minor)
        })
    };
    assert_eq!(
        versions("javacard/framework"),
        [(1, 5), (1, 6), (1, 8), (1, 9)]
    );
    assert_eq!(
        versions("javacard/security"),
        [(1, 5), (1, 6), (1, 7), (1, 8)]
    );
    assert_eq!(
        versions("javacardx/crypto"),
        [(1, 5), (1, 6), (1, 7), (1, 8)]
    );
    assert_eq!(versions("java/lang"), [(1, 0); 4]);
}

#[test]
fn javacard_framework_tokens() {
    for v in ApiVersion::ALL {
        let fw = framework(v);
        assert_eq!(fw.name, "javacard/framework");
        assert_eq!(fw.dotted_name().to_string(), "javacard.framework");
        assert!(fw.library);
        assert_eq!(fw.references.len(), 1);
        assert_eq!(fw.references[0].name, "java/lang");

        let apdu = fw.class("javacard/framework/APDU").unwrap();
        assert_eq!(apdu.token, 10);
        assert!(apdu.flags.is_final());
        assert_eq!(apdu.superclass.as_deref(), Some("java/lang/Object"));
        let get_buffer = fw.virtual_method(10, 1).unwrap();
        assert_eq!(get_buffer.name, "getBuffer");
        assert_eq!(get_buffer.kind(false), MethodKind::Virtual);
        assert_eq!(
            apdu.method_display(get_buffer).to_string(),
            "javacard/framework/APDU.getBuffer()[B"
        );
        assert_eq!(apdu.method("setOutgoing", "()S").unwrap().token, 7);
        assert_eq!(fw.static_method(10, 2).unwrap().name, "getProtocol");
        assert_eq!(
            apdu.method("getProtocol", "()B").unwrap().kind(false),
            MethodKind::Static
        );

        let iso = fw.class("ISO7816").unwrap();
        assert_eq!(iso.token, 0);
        assert!(iso.is_interface());
        let sw = iso.field("SW_NO_ERROR").unwrap();
        assert_eq!(sw.constant, Some(0x9000u16 as i16 as i32));
        assert!(!sw.has_token());
        assert_eq!(
            iso.field_display(sw).to_string(),
            "javacard/framework/ISO7816.SW_NO_ERROR:S"
        );
        assert_eq!(
            iso.field("SW_FILE_NOT_FOUND").unwrap().constant,
            Some(0x6A82)
        );
        assert_eq!(iso.field("INS_SELECT").unwrap().constant, Some(-92)); // (byte) 0xA4
        assert_eq!(iso.field("OFFSET_CDATA").unwrap().constant, Some(5));
        assert!(fw.static_field(0, 0xFF).is_none());

        // JCSystem: static methods only, plus the inherited Object.equals.
        let jcs = fw.class_by_token(8).unwrap();
        assert_eq!(jcs.name, "javacard/framework/JCSystem");
        assert_eq!(fw.static_method(8, 0).unwrap().name, "abortTransaction");
        assert_eq!(fw.static_method(8, 1).unwrap().name, "beginTransaction");
        assert_eq!(fw.static_method(8, 2).unwrap().name, "commitTransaction");
        assert_eq!(fw.virtual_method(8, 0).unwrap().name, "equals");

        // Exceptions: constructor and throwIt are static tokens 0 and 1.
        let iso_ex = fw.class("ISOException").unwrap();
        assert_eq!(iso_ex.token, 7);
        let ctor = iso_ex.static_method(0).unwrap();
        assert_eq!(
            (&*ctor.name, ctor.kind(false)),
            ("<init>", MethodKind::Constructor)
        );
        assert_eq!(iso_ex.static_method(1).unwrap().name, "throwIt");
        assert_eq!(iso_ex.virtual_method(1).unwrap().name, "getReason");
        assert_eq!(
            iso_ex.superclass.as_deref(),
            Some("javacard/framework/CardRuntimeException")
        );

        let applet = fw.class("Applet").unwrap();
        assert_eq!(applet.token, 3);
        assert!(applet.flags.is_abstract());
        assert_eq!(
            applet
                .method("process", "(Ljavacard/framework/APDU;)V")
                .unwrap()
                .token,
            7
        );
        assert_eq!(applet.method("register", "()V").unwrap().token, 1);

        let shareable = fw.class("Shareable").unwrap();
        assert!(shareable.flags.is_shareable() && shareable.is_interface());
    }
}

#[test]
fn java_lang_and_interfaces() {
    let lang = ApiVersion::V3_0_5
        .package_by_aid(&[0xA0, 0, 0, 0, 0x62, 0, 1])
        .unwrap();
    let object = lang.class_by_token(0).unwrap();
    assert_eq!(object.name, "java/lang/Object");
    assert_eq!(object.superclass, None);
    assert_eq!(object.static_method(0).unwrap().name, "<init>");
    assert_eq!(object.virtual_method(0).unwrap().name, "equals");
    assert!(lang.references.is_empty());

    let fw = framework(ApiVersion::V3_0_5);
    let pin = fw.class("PIN").unwrap();
    assert!(pin.is_interface());
    let check = pin.virtual_method(0).unwrap();
    assert_eq!(check.descriptor, "([BSB)Z");
    assert_eq!(check.kind(true), MethodKind::Interface);
}

#[test]
fn static_and_instance_fields() {
    // javacardx.framework.nio.ByteOrder has real static field tokens (3.1+).
    let nio = ApiVersion::V3_1_0
        .package_by_name("javacardx.framework.nio")
        .unwrap();
    let bo = nio.class("ByteOrder").unwrap();
    assert_eq!(nio.static_field(bo.token, 0).unwrap().name, "BIG_ENDIAN");
    assert_eq!(nio.static_field(bo.token, 1).unwrap().name, "LITTLE_ENDIAN");
    assert!(nio.instance_field(bo.token, 0).is_none());
    assert!(ApiVersion::V3_0_5
        .package_by_name("javacardx.framework.nio")
        .is_none());
}

#[test]
fn globalplatform() {
    let gp = GpVersion::V1_6
        .package_by_name("org/globalplatform")
        .unwrap();
    let sys = gp.class("GPSystem").unwrap();
    assert_eq!(sys.token, 3);
    assert!(gp.class("SecureChannel").unwrap().flags.is_shareable());
    assert!(gp.references.is_empty()); // format 2.1
    assert!(gp
        .classes
        .iter()
        .all(|c| c.cap22_inheritable_methods.is_none()));
    assert_eq!(GpVersion::V1_0.packages()[0].classes.len(), 4);
}

/// Tokens are unique in each namespace of every built-in package.
#[test]
fn tokens_are_unique_per_namespace() {
    let all = ApiVersion::ALL
        .iter()
        .flat_map(|v| v.packages())
        .chain(GpVersion::ALL.iter().flat_map(|v| v.packages()));
    for p in all {
        let mut seen = [false; 256];
        for c in p.classes.iter() {
            assert!(
                !seen[usize::from(c.token)],
                "{}: class token {}",
                p.name,
                c.token
            );
            seen[usize::from(c.token)] = true;
            let mut st = [false; 256];
            let mut vt = [false; 256];
            for m in c.methods.iter() {
                let t = if m.is_static_token() {
                    &mut st
                } else {
                    &mut vt
                };
                assert!(!t[usize::from(m.token)], "{}", c.method_display(m));
                t[usize::from(m.token)] = true;
            }
            let mut sf = [false; 256];
            let mut inf = [false; 256];
            for f in c.fields.iter().filter(|f| f.has_token()) {
                let t = if f.flags.is_static() {
                    &mut sf
                } else {
                    &mut inf
                };
                assert!(!t[usize::from(f.token)], "{}", c.field_display(f));
                t[usize::from(f.token)] = true;
            }
        }
    }
}

#[test]
fn export_path_builtin() {
    let ep = ExportPath::new(ApiVersion::V3_0_4);
    assert_eq!(ep.package_by_aid(&JC_FRAMEWORK_AID).unwrap().minor, 5);
    assert_eq!(ep.package_by_name("org.globalplatform").unwrap().minor, 6);
    assert_eq!(ep.packages().count(), 16);
    let ep = ExportPath::with_versions(ApiVersion::V3_2_0, None);
    assert!(ep.package_by_name("org.globalplatform").is_none());
    assert_eq!(ExportPath::empty().packages().count(), 0);
}

#[test]
fn export_path_override() {
    let mut ep = ExportPath::new(ApiVersion::V3_2_0);
    let mut mine = framework(ApiVersion::V3_0_4).clone();
    mine.minor = 42;
    assert!(ep.add_package(mine.clone()));
    mine.minor = 43;
    assert!(!ep.add_package(mine)); // the first one added wins
    assert_eq!(ep.package_by_aid(&JC_FRAMEWORK_AID).unwrap().minor, 42);
    assert_eq!(ep.package_by_name("javacard.framework").unwrap().minor, 42);
    assert!(ep.is_loaded(&JC_FRAMEWORK_AID));
    assert_eq!(ep.packages().count(), 25);
}

#[cfg(feature = "std")]
mod std_tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;
    use std::path::{Path, PathBuf};

    /// A format 2.1 export file of an empty package.
    fn tiny(name: &str, aid: &[u8], major: u8, minor: u8) -> Vec<u8> {
        let mut b = vec![0x00, 0xFA, 0xCA, 0xDE, 1, 2, 0, 2, 1];
        b.extend_from_slice(&(name.len() as u16).to_be_bytes());
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(&[13, 1, 0, 0, minor, major, aid.len() as u8]);
        b.extend_from_slice(aid);
        b.extend_from_slice(&[0, 1, 0]);
        b
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("hydra-jcapi-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn put(dir: &Path, rel: &str, data: &[u8]) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }

    #[test]
    fn add_dir_overrides_and_prefers_canonical_location() {
        let d1 = temp_dir("d1");
        let d2 = temp_dir("d2");
        let fw = "javacard/framework";
        put(&d1, "a/early.exp", &tiny(fw, &JC_FRAMEWORK_AID, 1, 77));
        put(
            &d1,
            "javacard/framework/javacard/framework.exp",
            &tiny(fw, &JC_FRAMEWORK_AID, 1, 66),
        );
        put(
            &d1,
            "com/example/lib.exp",
            &tiny("com/example", &[0xD2, 0x76, 0, 1], 2, 1),
        );
        put(&d1, "link/windows.exp", b"not an export file");
        put(&d2, "x.exp", &tiny(fw, &JC_FRAMEWORK_AID, 1, 88));

        let mut ep = ExportPath::new(ApiVersion::V3_2_0);
        assert_eq!(ep.add_dir(&d1).unwrap(), 2);
        assert_eq!(ep.add_dir(&d2).unwrap(), 0);
        let p = ep.package_by_aid(&JC_FRAMEWORK_AID).unwrap();
        assert_eq!(p.minor, 66);
        assert!(ep
            .source_of(&JC_FRAMEWORK_AID)
            .unwrap()
            .ends_with("javacard/framework/javacard/framework.exp"));
        assert_eq!(ep.package_by_name("com.example").unwrap().major, 2);
        // Built-in packages not overridden are still there.
        assert_eq!(ep.package_by_name("javacard.security").unwrap().minor, 8);

        put(&d2, "bad.exp", &[0x00, 0xFA, 0xCA, 0xDE, 1, 2, 0]);
        let err = ExportPath::new(ApiVersion::V3_2_0)
            .add_dir(&d2)
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("bad.exp") && msg.contains("offset 0x6"),
            "{msg}"
        );
        let _ = std::fs::remove_dir_all(&d1);
        let _ = std::fs::remove_dir_all(&d2);
    }

    /// The generated statics hold exactly what the export files say.
    #[test]
    fn builtin_matches_export_files() {
        let root = std::env::var_os("HYDRA_JC_EXPORTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/work/shared/javacard-exports"));
        if !root.is_dir() {
            std::eprintln!("note: {} not found; skipping", root.display());
            return;
        }
        let mut checked = 0;
        let releases = ApiVersion::ALL
            .iter()
            .map(|v| (format!("jc-api-{v}"), v.packages()))
            .chain(
                GpVersion::ALL
                    .iter()
                    .map(|v| (format!("org.globalplatform-{v}"), v.packages())),
            );
        for (dir, builtin) in releases {
            let mut ep = ExportPath::empty();
            ep.add_dir(&root.join(&dir)).unwrap();
            assert_eq!(ep.packages().count(), builtin.len(), "{dir}");
            for p in builtin {
                assert_eq!(ep.package_by_aid(&p.aid), Some(*p), "{dir}: {}", p.name);
                checked += 1;
            }
        }
        assert_eq!(checked, 87);
    }
}
