//! Mutated export files never make the reader panic, and whatever it accepts
//! is written back byte for byte.

mod common;

use hydra_exp::ExportFile;
use proptest::prelude::*;

/// A minimal valid format 2.3 file: package `p`, no classes.
const MINIMAL: &[u8] = &[
    0x00, 0xFA, 0xCA, 0xDE, 3, 2, // magic, format 2.3
    0, 2, // two constants
    1, 0, 1, b'p', // Utf8 "p"
    13, 1, 0, 0, 0, 1, 5, 0xA0, 0, 0, 0, 0x62, // Package p 1.0
    0, 1, // this_package
    0, // no referenced packages
    0, // no classes
];

fn seeds() -> Vec<Vec<u8>> {
    let mut out = vec![MINIMAL.to_vec()];
    if let Some(dir) = common::exports_dir() {
        // One file per API release keeps the run short but varied.
        for rel in [
            "jc-api-3.0.4/javacard/framework/javacard/framework.exp",
            "jc-api-3.2.0/javacard/security/javacard/security.exp",
            "jc-api-3.1.0/javacardx/framework/nio/javacard/nio.exp",
            "org.globalplatform-1.6/org/globalplatform/javacard/globalplatform.exp",
        ] {
            out.push(std::fs::read(dir.join(rel)).unwrap());
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => any::<usize>().prop_map(Mutation::Remove),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(data: &mut Vec<u8>, m: &Mutation) {
    let n = data.len();
    match *m {
        Mutation::Set(i, b) if n > 0 => data[i % n] = b,
        Mutation::Insert(i, b) => data.insert(i % (n + 1), b),
        Mutation::Remove(i) if n > 0 => {
            data.remove(i % n);
        }
        Mutation::Truncate(i) => data.truncate(i % (n + 1)),
        _ => {}
    }
}

fn check(data: &[u8]) {
    if let Ok(exp) = ExportFile::parse(data) {
        assert_eq!(exp.write().unwrap(), data);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mutated_files_never_panic(
        seed in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 1..8),
    ) {
        let seeds = seeds();
        let mut data = seed.get(&seeds).clone();
        for m in &muts {
            apply(&mut data, m);
        }
        check(&data);
    }

    #[test]
    fn random_bytes_after_header_never_panic(
        minor in 0u8..5,
        tail in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut data = vec![0x00, 0xFA, 0xCA, 0xDE, minor, 2];
        data.extend(tail);
        check(&data);
    }
}
