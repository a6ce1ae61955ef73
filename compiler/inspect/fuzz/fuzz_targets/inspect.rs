#![no_main]

use hydra_inspect::{report, text, NoApi, Symbols};
use hydra_cap::CapFile;
use libfuzzer_sys::fuzz_target;

// `hydra inspect` on a hostile component stream: any CAP the reader accepts
// must be shown without a panic, however inconsistent its components are.
fuzz_target!(|data: &[u8]| {
    if let Ok(cap) = CapFile::from_component_stream(data) {
        let symbols = Symbols::new(&cap, &NoApi, None);
        let r = report::build("fuzz", &cap, &symbols);
        let _ = text::render(&r);
    }
});
