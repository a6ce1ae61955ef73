//! Whatever bytes arrive, the card's readers of native packages and load
//! files answer with a value or an error, never a panic; and what they
//! accept is consistent: a streamed head agrees with the whole-file split,
//! and an accepted package's entries lie inside its code.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = hydra_package::Package::parse(data) {
        for e in p.entries() {
            assert!((e.code_offset as usize) < p.code.len());
        }
    }
    let _ = hydra_package::Package::parse_unhashed(data);
    let _ = hydra_package::dap::parse_dap_block(data);
    if let Ok((daps, block)) = hydra_package::loadfile::split(data) {
        let head = hydra_package::loadfile::parse_head(data).unwrap().unwrap();
        assert_eq!(head.daps, daps);
        assert_eq!(&data[head.block_at..head.block_at + head.block_len], block);
    }
    // Every prefix: more bytes needed, an error, or the same head.
    for n in [0, data.len() / 3, data.len() / 2] {
        let _ = hydra_package::loadfile::parse_head(&data[..n]);
    }
});
