#![no_main]

//! Raw APDUs at a card with the PIN applet installed and a secure channel
//! open at level 00, so that every card-manager parser (INSTALL, LOAD,
//! DELETE, PUT KEY, SET STATUS, GET STATUS, GET DATA) and the applet see
//! fuzzed bytes. No input may panic, and the card answers afterwards.
//!
//! Input: a sequence of APDUs, each a length byte then that many bytes.

use hydra_runtime::cardmgr::scp03::{Session, StaticKeys};
use hydra_runtime::{Card, Config, RamNvm};
use libfuzzer_sys::fuzz_target;

const PIN_APPLET: &[u8] = &[0xF0, 0x48, 0x59, 0x44, 0x52, 0x41, 0x08, 0x01];

fn card() -> Card<RamNvm> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../conformance/applets/pin/cap/pin.cap");
    let cap = hydra_cap::container::read_path(std::path::Path::new(path))
        .expect("pin.cap")
        .cap;
    let config = Config {
        budget: 200_000,
        ..Config::default()
    };
    let mut card = Card::boot(RamNvm::new(512 * 1024), config).expect("boot");
    card.load_package(&cap).expect("load");
    card.install(PIN_APPLET, None, &[], &[]).expect("install");
    card
}

/// INITIALIZE UPDATE and EXTERNAL AUTHENTICATE at level 00 with the test keys.
fn open_channel(card: &mut Card<RamNvm>) {
    let host = [0u8; 8];
    let mut init = vec![0x80, 0x50, 0x00, 0x00, 0x08];
    init.extend_from_slice(&host);
    let r = card.process(&init);
    assert_eq!(r.sw, 0x9000);
    let mut challenge = [0u8; 8];
    challenge.copy_from_slice(&r.data[13..21]);
    let k: Vec<u8> = (0x40..0x50).collect();
    let keys = StaticKeys {
        enc: k.clone(),
        mac: k.clone(),
        dek: k,
    };
    let mut s = Session::new(&keys, &host, &challenge).expect("session");
    let ext = s.host_authenticate(0x00).expect("cryptogram");
    assert_eq!(card.process_command(ext).sw, 0x9000);
}

fuzz_target!(|data: &[u8]| {
    let mut card = card();
    open_channel(&mut card);
    let mut rest = data;
    while let Some((&n, r)) = rest.split_first() {
        let n = usize::from(n).min(r.len());
        let _ = card.process(&r[..n]);
        rest = &r[n..];
    }
    assert_eq!(card.process(&[0x00, 0xA4, 0x04, 0x00, 0x00]).sw, 0x9000);
});
