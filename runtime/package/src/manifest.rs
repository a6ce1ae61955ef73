//! The CBOR manifest: what a package is, for people and tools (`hydra
//! inspect`, a deployment log). The card does not read it: everything it
//! acts on is in the binary sections and the bundled load file.
//!
//! A CBOR map with text keys; AIDs are hex strings, versions "major.minor".

use std::string::{String, ToString};
use std::vec::Vec;

use serde::{Deserialize, Serialize};

/// A package another one imports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    pub aid: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The tool and version that compiled it ("hydra 0.1.0").
    pub compiler: String,
    pub target: String,
    pub abi: u16,
    pub package: Import,
    pub imports: Vec<Import>,
    /// AIDs of the applet classes.
    pub applets: Vec<String>,
    /// Whether the package exports classes to others (an Export component).
    pub exports: bool,
    pub classes: u32,
    pub compiled_methods: u32,
    pub code_bytes: u32,
    pub bytecode_bytes: u32,
}

/// Why manifest bytes do not decode.
#[derive(Debug, thiserror::Error)]
#[error("native package manifest: {0}")]
pub struct ManifestError(String);

impl Manifest {
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(self, &mut out).expect("writing to a Vec does not fail");
        out
    }

    pub fn from_cbor(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        ciborium::from_reader(bytes).map_err(|e| ManifestError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let m = Manifest {
            compiler: "hydra 0.1.0".into(),
            target: "thumbv7m-none-eabi".into(),
            abi: 1,
            package: Import {
                aid: "A00000006203".into(),
                version: "1.0".into(),
            },
            imports: vec![Import {
                aid: "A0000000620101".into(),
                version: "1.6".into(),
            }],
            applets: vec!["A0000000620301".into()],
            exports: false,
            classes: 2,
            compiled_methods: 5,
            code_bytes: 400,
            bytecode_bytes: 120,
        };
        let b = m.to_cbor();
        assert_eq!(b[0] >> 5, 5, "a CBOR map");
        assert_eq!(Manifest::from_cbor(&b).unwrap(), m);
        assert!(Manifest::from_cbor(&b[..b.len() - 1]).is_err());
        assert!(Manifest::from_cbor(&[0xFF]).is_err());
    }
}
