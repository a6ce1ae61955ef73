//! A board with an AES engine (`Config::aes_block`): the cryptosym and
//! cryptomac conformance scripts answer as expected with every AES block
//! of their ECB, CBC and CBC-MAC commands on the engine.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use aes::cipher::{generic_array::GenericArray, BlockDecrypt, BlockEncrypt, KeyInit};
use hydra_host::{read_cap, read_suite, Host};

static BLOCKS: AtomicUsize = AtomicUsize::new(0);

/// The "hardware": the `aes` crate behind the board interface.
fn engine(key: &[u8], block: &mut [u8; 16], encrypt: bool) {
    BLOCKS.fetch_add(1, Ordering::Relaxed);
    let b = GenericArray::from_mut_slice(block);
    macro_rules! run {
        ($c:ty) => {{
            let c = <$c>::new_from_slice(key).expect("16, 24 or 32 bytes");
            if encrypt {
                c.encrypt_block(b)
            } else {
                c.decrypt_block(b)
            }
        }};
    }
    match key.len() {
        16 => run!(aes::Aes128),
        24 => run!(aes::Aes192),
        _ => run!(aes::Aes256),
    }
}

#[test]
fn aes_on_the_board_engine_answers_as_expected() {
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets/suite.json");
    for e in read_suite(&suite).unwrap() {
        let name = e.script.file_stem().unwrap().to_string_lossy().into_owned();
        if name != "cryptosym" && name != "cryptomac" {
            continue;
        }
        let before = BLOCKS.load(Ordering::Relaxed);
        let mut host = Host::in_memory();
        host.config.aes_block = Some(engine);
        for c in &e.caps {
            host.load(&read_cap(c).unwrap()).unwrap();
        }
        host.install_all().unwrap();
        host.power_down();
        let text = std::fs::read_to_string(&e.script).unwrap();
        let out = host.run_script(&name, &text).unwrap();
        let expected = std::fs::read_to_string(&e.expected).unwrap();
        assert_eq!(
            hydra_host::first_difference(&out, &expected),
            None,
            "{name}"
        );
        let used = BLOCKS.load(Ordering::Relaxed) - before;
        assert!(used > 0, "{name}: the engine ran no block");
        println!("{name}: {used} AES blocks on the board engine");
    }
}
