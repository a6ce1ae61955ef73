//! Mutated real CAP files: the reader never panics, and whatever it accepts
//! writes back to bytes that parse to the same structure.

mod common;

use hydra_cap::CapFile;
use proptest::prelude::*;

fn streams() -> Vec<Vec<u8>> {
    let caps = common::all_caps();
    assert!(!caps.is_empty(), "no CAP files found under conformance/");
    caps.iter()
        .map(|p| {
            let loaded = hydra_cap::container::read_path(p).unwrap();
            loaded.cap.to_load_file(true).unwrap()
        })
        .collect()
}

fn check(bytes: &[u8]) {
    if let Ok(cap) = CapFile::from_component_stream(bytes) {
        for m in &cap.method.methods {
            let _ = hydra_cap::bytecode::decode_all(&m.bytecode);
        }
        let again = CapFile::from_component_stream(&cap.to_load_file(true).unwrap()).unwrap();
        assert_eq!(again, cap);
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Remove(usize),
}

fn apply(mut bytes: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let n = bytes.len().max(1);
        match *m {
            Mutation::Set(i, v) => {
                if !bytes.is_empty() {
                    bytes[i % n] = v;
                }
            }
            Mutation::Truncate(i) => bytes.truncate(i % n),
            Mutation::Insert(i, v) => bytes.insert(i % n, v),
            Mutation::Remove(i) => {
                if !bytes.is_empty() {
                    bytes.remove(i % n);
                }
            }
        }
    }
    bytes
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Mutation::Set(i, v)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Mutation::Insert(i, v)),
        2 => any::<usize>().prop_map(Mutation::Remove),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_streams_never_panic(pick in any::<usize>(), muts in prop::collection::vec(mutation(), 1..6)) {
        thread_local!(static STREAMS: Vec<Vec<u8>> = streams());
        let bytes = STREAMS.with(|s| s[pick % s.len()].clone());
        check(&apply(bytes, &muts));
    }
}

/// Each length field changed, one at a time, on each CAP: a clear error or a
/// consistent parse, never a panic.
#[test]
fn every_single_byte_truncation_is_handled() {
    for s in streams() {
        for len in 0..s.len() {
            check(&s[..len]);
        }
    }
}
