//! The verifier never panics: random edits of valid conformance CAPs
//! (bytes of any component, and bytecode/headers of the parsed methods).

mod common;

use std::sync::OnceLock;

use hydra_cap::CapFile;
use hydra_verify::ApiSet;
use proptest::prelude::*;

fn bases() -> &'static [(CapFile, Vec<hydra_cap::RawComponent>)] {
    static B: OnceLock<Vec<(CapFile, Vec<hydra_cap::RawComponent>)>> = OnceLock::new();
    B.get_or_init(|| {
        common::valid_caps()
            .iter()
            .filter(|p| p.to_string_lossy().contains("/cap/"))
            .filter_map(|p| hydra_cap::container::read_path(p).ok())
            .map(|l| (l.cap, l.raw_components))
            .collect()
    })
}

fn api() -> &'static ApiSet {
    static A: OnceLock<ApiSet> = OnceLock::new();
    A.get_or_init(common::api)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn component_byte_edits(pick in any::<usize>(), comp in any::<usize>(),
                            edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let b = bases();
        prop_assume!(!b.is_empty());
        let mut raw = b[pick % b.len()].1.clone();
        let c = comp % raw.len();
        let len = raw[c].bytes.len();
        for (at, v) in edits {
            let at = 3 + at % (len.max(4) - 3);
            if at < len {
                raw[c].bytes[at] = v;
            }
        }
        if let Ok(cap) = CapFile::from_components(raw) {
            let _ = hydra_verify::verify(&cap, api());
        }
    }

    #[test]
    fn bytecode_and_header_edits(pick in any::<usize>(), method in any::<usize>(),
                                 header in any::<[u8; 3]>(),
                                 edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..12)) {
        let b = bases();
        prop_assume!(!b.is_empty());
        let mut cap = b[pick % b.len()].0.clone();
        let n = cap.method.methods.len();
        let m = &mut cap.method.methods[method % n];
        let mask = if m.header.is_extended() { 0xff } else { 0x0f };
        m.header.max_stack = header[0] & mask;
        m.header.nargs = header[1] & mask;
        m.header.max_locals = header[2] & mask;
        let len = m.bytecode.len();
        if len > 0 {
            for (at, v) in edits {
                m.bytecode[at % len] = v;
            }
        }
        let _ = hydra_verify::verify(&cap, api());
    }
}
