#![no_main]

use hydra_cap::bytecode::decode_all;
use hydra_cap::container::parse_bytes;
use hydra_cap::CapFile;
use libfuzzer_sys::fuzz_target;

// Any bytes: a JAR or a component stream. Whatever parses must write back to
// a stream that parses to the same structure, and every method must decode or
// fail cleanly.
fuzz_target!(|data: &[u8]| {
    if let Ok((cap, _)) = parse_bytes(data) {
        for m in &cap.method.methods {
            let _ = decode_all(&m.bytecode);
        }
        if let Ok(stream) = cap.to_load_file(true) {
            let again = CapFile::from_component_stream(&stream).expect("written CAP parses");
            assert_eq!(again, cap);
        }
    }
});
