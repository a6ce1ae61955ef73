#![no_main]

use hydra_exp::ExportFile;
use libfuzzer_sys::fuzz_target;

// Whatever the reader accepts, the writer gives back byte for byte.
fuzz_target!(|data: &[u8]| {
    if let Ok(exp) = ExportFile::parse(data) {
        assert_eq!(exp.write().expect("a parsed file is writable"), data);
    }
});
