#![no_main]

//! Raw command APDUs of every legal length (extended ones up to 65,544
//! bytes on the wire, and a few bytes beyond) at `Card::process`, on a card
//! with every package and applet of the conformance suite installed, with
//! SELECTs and power cycles between them. No input may panic; afterwards
//! the ISD and every applet answer SELECT as on the freshly installed card,
//! and again after a boot from the resulting NVM.
//!
//! Input: the framing of `hydra_host::fuzz` (byte 0 the applet selected
//! first; then records: `00`..`FB` a command of that many bytes, `FC s`
//! SELECT, `FD` power cycle, `FE L(3)` a long command, `FF L(3) H head T
//! tail f` a long command of a head, filler and tail). Seeds:
//! `cargo run -p hydra-host --example apdu_seeds -- targets/host/fuzz/corpus/apdu`.

use std::sync::OnceLock;

use hydra_host::fuzz::Template;
use libfuzzer_sys::fuzz_target;

fn template() -> &'static Template {
    static T: OnceLock<Template> = OnceLock::new();
    T.get_or_init(|| {
        let suite = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../conformance/applets/suite.json"
        );
        Template::from_suite(std::path::Path::new(suite)).unwrap_or_else(|e| panic!("{e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    if let Err(e) = template().run(data) {
        panic!("{e}");
    }
});
