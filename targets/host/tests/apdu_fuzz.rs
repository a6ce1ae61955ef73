//! The harness of the `apdu` fuzz target on its seeds and on inputs that
//! exercise every record of its framing: each must leave the card as the
//! harness demands.

use std::path::Path;

use hydra_host::fuzz::{decode, seeds, Step, Template, MAX_COMMAND};

fn suite() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets/suite.json")
}

#[test]
fn every_seed_leaves_the_card_answering() {
    let t = Template::from_suite(&suite()).expect("template");
    // The ISD and every instance of the suite.
    assert_eq!(t.targets.len(), 24);
    assert_eq!(t.targets[0].1, 0x9000);
    for (name, input) in seeds(&suite()).expect("seeds") {
        t.run(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn framing_reaches_the_longest_extended_apdu_and_beyond() {
    // FF L(3) H head T tail fill: header, Lc 00 FF FF, filler, Le 00 00.
    let mut input = vec![
        3, 0xFF, 0x01, 0x00, 0x08, 7, 0x80, 0xB4, 0, 0, 0, 0xFF, 0xFF, 2, 0, 0, 0xA5,
    ];
    let (first, steps) = decode(&input, 25);
    assert_eq!(first, 3);
    let Step::Command(c) = &steps[0] else {
        panic!("{steps:?}")
    };
    assert_eq!(c.len(), 65_544);
    assert_eq!(&c[..7], &[0x80, 0xB4, 0, 0, 0, 0xFF, 0xFF]);
    assert!(c[7..65_542].iter().all(|&b| b == 0xA5));
    assert_eq!(&c[65_542..], &[0, 0]);
    // A length above the cap is cut to it; FE takes literal bytes.
    input.extend_from_slice(&[
        0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 1, 0xFE, 0, 0, 2, 9, 8, 0xFD, 0xFC, 30,
    ]);
    let (_, steps) = decode(&input, 25);
    assert!(
        matches!(&steps[1], Step::Command(c) if c.len() == MAX_COMMAND && c.iter().all(|&b| b == 1))
    );
    assert_eq!(steps[2], Step::Command(vec![9u8, 8].into()));
    assert_eq!(steps[3], Step::PowerCycle);
    assert_eq!(steps[4], Step::Select(5));
    // A cut record goes as far as the input does.
    let (_, steps) = decode(&[0, 5, 0x80, 0xCA], 25);
    assert_eq!(steps, vec![Step::Command(vec![0x80u8, 0xCA].into())]);
}
