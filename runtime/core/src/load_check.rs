//! The card's own check of a load file before it is linked: the bytecode
//! verifier (`hydra-verify`, the one the build server runs) type-checks
//! every method against the API the card implements, so a card does not
//! have to trust whoever built the package.
//!
//! A load file can only be type-checked when it describes itself: the
//! Descriptor component carries the method signatures and field types the
//! check starts from, and a package it imports must be one whose export
//! data the card holds (the built-in API; the card keeps no export data of
//! packages loaded onto it). GP clients such as `gp` leave the Descriptor
//! out (JCVM 3.0.5 §6.14 makes it optional). What the card does with such a
//! load file is the board's choice ([`VerifyLoads`]): accept it on the
//! interpreter's guarantees alone (memory safety and the firewall hold for
//! any bytecode) or refuse it.

use alloc::format;
use alloc::string::String;

use hydra_cap::{CapFile, ComponentTag};
use hydra_verify::BuiltinImports;

use crate::error::LoadError;

/// Which load files the card accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerifyLoads {
    /// Type-check every load file that can be; accept the others (no
    /// Descriptor, or importing a package loaded onto the card) unchecked.
    #[default]
    WhenPossible,
    /// Accept only load files that pass the type check.
    Always,
}

/// Functions the board calls around the check of one load file
/// ([`crate::card::Card::check_load`]), so that an instruction counter
/// can measure the on-card verification alone: `begin` just before it,
/// `end` just after, with whether the verifier type-checked the load file
/// (whatever its verdict) or the check only found that it cannot be
/// type-checked. Parsing before and linking after lie outside.
#[derive(Debug, Clone, Copy)]
pub struct VerifyMarks {
    pub begin: fn(),
    pub end: fn(typed: bool),
}

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// Every method type-checked.
    Verified,
    /// Not type-checked (allowed by [`VerifyLoads::WhenPossible`]), and why.
    Unchecked(&'static str),
}

/// Whether the component stream of a load file carries a Descriptor
/// component (walked by tag and size, without copying).
pub fn has_descriptor(components: &[u8]) -> bool {
    let mut at = 0usize;
    while let Some(head) = components.get(at..at + 3) {
        if head[0] == ComponentTag::Descriptor.to_u8() {
            return true;
        }
        at += 3 + usize::from(u16::from_be_bytes([head[1], head[2]]));
    }
    false
}

/// The card's API, as the verifier sees it: the packages the runtime
/// implements (`api_tables::PACKAGES`: the JC 3.0.5 versions, and
/// org.globalplatform 1.6).
fn card_api() -> BuiltinImports {
    let jc = hydra_jcapi::ApiVersion::V3_0_5.packages().iter();
    let gp = hydra_jcapi::GpVersion::V1_6.packages().iter();
    BuiltinImports::new(jc.chain(gp).copied().filter(|p| {
        crate::api_tables::PACKAGES
            .iter()
            .any(|&(aid, _, _)| aid == &*p.aid)
    }))
}

impl<N: crate::nvm::Nvm> crate::card::Card<N> {
    /// Loads a package the way the card manager's LOAD does: checked on
    /// the card per `Config::verify_loads` ([`check`]; `described`: the
    /// load file carried its Descriptor), then linked, keeping `native` as
    /// its stored image (see [`crate::card::Card::load_package_image`]).
    /// What the factory image and `hydra run --cap` load goes through here.
    pub fn load_verified(
        &mut self,
        cap: &CapFile,
        described: bool,
        native: Option<&[u8]>,
    ) -> Result<u16, LoadError> {
        let checked = self.check_load(cap, described)?;
        let image = native.map(crate::link::ImageSource::Bytes);
        self.load_package_from(cap, image, checked == Checked::Verified)
    }

    /// [`check`] under this card's policy, between the board's
    /// [`VerifyMarks`]: every path that loads a package checks it here.
    pub fn check_load(&self, cap: &CapFile, described: bool) -> Result<Checked, LoadError> {
        let marks = self.config.verify_marks;
        if let Some(m) = marks {
            (m.begin)();
        }
        let checked = check(cap, described, self.config.verify_loads);
        if let Some(m) = marks {
            (m.end)(matches!(
                checked,
                Ok(Checked::Verified) | Err(LoadError::Unverified { .. })
            ));
        }
        checked
    }
}

/// Checks a parsed load file; `described` says whether it carried its own
/// Descriptor (without it, the parser stood in an empty one).
pub fn check(cap: &CapFile, described: bool, policy: VerifyLoads) -> Result<Checked, LoadError> {
    let package = || format!("{}", cap.header.package.aid);
    let api = card_api();
    let reason = if !described {
        Some("the load file has no Descriptor component")
    } else if cap
        .import
        .packages
        .iter()
        .any(|i| hydra_verify::Imports::by_aid(&api, i.aid.as_bytes()).is_none())
    {
        Some("it imports a package whose export data the card does not hold")
    } else {
        None
    };
    if let Some(why) = reason {
        return match policy {
            VerifyLoads::WhenPossible => Ok(Checked::Unchecked(why)),
            VerifyLoads::Always => Err(LoadError::NotVerifiable {
                package: package(),
                why,
            }),
        };
    }
    // A package built against a newer minor version of an API package
    // (JC 3.1, 3.2: javacard.framework 1.8, 1.9) is what the linker binds
    // as long as it uses members the runtime implements: tokens do not
    // change between minor versions, and the verifier types every member
    // it uses against the card's export data, refusing one it lacks. So
    // the only error the card waives is that version number itself.
    let same_majors = cap.import.packages.iter().all(|i| {
        hydra_verify::Imports::by_aid(&api, i.aid.as_bytes()).is_some_and(|a| a.major == i.major)
    });
    let waived = |e: &hydra_verify::VerifyError| {
        same_majors && matches!(e.kind, hydra_verify::ErrorKind::ImportVersion { .. })
    };
    let verdict = hydra_verify::verify(cap, &api)
        .map(|_| ())
        .or_else(|errors| {
            let errors: alloc::vec::Vec<_> = errors.into_iter().filter(|e| !waived(e)).collect();
            if errors.is_empty() {
                Ok(())
            } else {
                Err(errors)
            }
        });
    match verdict {
        Ok(()) => Ok(Checked::Verified),
        Err(errors) => {
            let first: String = errors.first().map(|e| format!("{e}")).unwrap_or_default();
            Err(LoadError::Unverified {
                package: package(),
                errors: errors.len(),
                first,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    fn pin() -> CapFile {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../conformance/applets/pin/cap/pin.cap"
        );
        hydra_cap::container::read_path(std::path::Path::new(path))
            .unwrap()
            .cap
    }

    #[test]
    fn a_described_load_file_is_verified() {
        let lf = pin().to_load_file(false).unwrap();
        assert!(has_descriptor(&lf));
        let cap = CapFile::from_gp_load_file(&lf).unwrap();
        assert_eq!(
            check(&cap, true, VerifyLoads::Always),
            Ok(Checked::Verified)
        );
    }

    #[test]
    fn a_load_file_without_descriptor_is_unchecked_or_refused_by_policy() {
        let lf = pin().to_gp_load_file().unwrap();
        assert!(!has_descriptor(&lf));
        let cap = CapFile::from_gp_load_file(&lf).unwrap();
        assert!(matches!(
            check(&cap, false, VerifyLoads::WhenPossible),
            Ok(Checked::Unchecked(_))
        ));
        assert!(matches!(
            check(&cap, false, VerifyLoads::Always),
            Err(LoadError::NotVerifiable { .. })
        ));
    }

    #[test]
    fn a_constructor_called_on_a_short_is_refused() {
        let mut cap = pin();
        // `aload_0; invokespecial` (a constructor calling its superclass's)
        // becomes `sconst_0; invokespecial`: a short as the receiver.
        let m = cap
            .method
            .methods
            .iter_mut()
            .find(|m| m.bytecode.starts_with(&[0x18, 0x8C]))
            .expect("a constructor");
        m.bytecode[0] = 0x03;
        let e = check(&cap, true, VerifyLoads::WhenPossible).unwrap_err();
        let LoadError::Unverified { errors, first, .. } = e else {
            panic!("{e}");
        };
        assert_eq!(errors, 1, "{first}");
    }

    fn cap_at(rel: &str) -> CapFile {
        let path = std::format!("{}/../../conformance/{rel}", env!("CARGO_MANIFEST_DIR"));
        hydra_cap::container::read_path(std::path::Path::new(&path))
            .unwrap()
            .cap
    }

    /// The JC 3.2.0 converter's pin applet imports javacard.framework 1.9;
    /// the card holds 1.6's export data and verifies it all the same, but
    /// not a package of another major version.
    #[test]
    fn a_newer_minor_api_version_is_verified_a_newer_major_is_not() {
        let mut cap = cap_at("applets/variants/3.2.0/pin.cap");
        assert!(cap.import.packages.iter().any(|i| i.minor > 6));
        assert_eq!(
            check(&cap, true, VerifyLoads::Always),
            Ok(Checked::Verified)
        );
        let fw = cap
            .import
            .packages
            .iter_mut()
            .find(|i| i.minor > 6)
            .expect("framework import");
        fw.major += 1;
        assert!(matches!(
            check(&cap, true, VerifyLoads::Always),
            Err(LoadError::Unverified { .. })
        ));
    }

    #[test]
    fn a_stream_that_ends_inside_a_component_header_has_no_descriptor() {
        assert!(!has_descriptor(&[0x01, 0x00]));
        assert!(!has_descriptor(&[0x01, 0x00, 0x05, 0x0B]));
        assert!(has_descriptor(&[0x01, 0x00, 0x00, 0x0B, 0x00, 0x00]));
    }
}
