#![no_main]

use hydra_driver::fuzzing::{run_case, Outcome};
use libfuzzer_sys::fuzz_target;

// A seed picks a conformance applet and valid mutations of it; the
// interpreter and the compiled code must answer its script identically.
fuzz_target!(|seed: u64| {
    let (outcome, mutations, script) = run_case(seed);
    if let Outcome::Differ(d) = outcome {
        panic!("{script}: engines differ after {mutations:?}: {d}");
    }
});
