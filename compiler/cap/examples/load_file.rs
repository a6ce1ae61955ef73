//! Writes the load file (concatenated components) of each CAP given, into a
//! folder: `cargo run -p hydra-cap --example load_file -- OUT_DIR A.cap B.cap`.
//! The fuzz targets start from these.

use std::path::Path;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next() else {
        eprintln!("usage: load_file OUT_DIR FILE.cap...");
        std::process::exit(2);
    };
    std::fs::create_dir_all(&out).unwrap_or_else(|e| panic!("{out}: {e}"));
    for f in args {
        let loaded = match hydra_cap::container::read_path(Path::new(&f)) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let stream = loaded
            .cap
            .to_load_file(true)
            .expect("a parsed CAP writes back");
        let name = Path::new(&f)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .replace('/', "_");
        let dest = Path::new(&out).join(format!("{name}-{}.ijc", stream.len()));
        std::fs::write(&dest, stream).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
    }
}
