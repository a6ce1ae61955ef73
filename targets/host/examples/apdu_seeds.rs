//! Writes the seed inputs of the `apdu` fuzz target (`targets/host/fuzz`)
//! into a folder, one file per conformance script:
//! `cargo run -p hydra-host --example apdu_seeds -- OUT_DIR`.

use std::path::Path;

fn main() {
    let Some(out) = std::env::args().nth(1) else {
        eprintln!("usage: apdu_seeds OUT_DIR");
        std::process::exit(2);
    };
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets/suite.json");
    let run = || -> Result<usize, String> {
        std::fs::create_dir_all(&out).map_err(|e| format!("{out}: {e}"))?;
        let seeds = hydra_host::fuzz::seeds(&suite).map_err(|e| e.to_string())?;
        for (name, input) in &seeds {
            let dest = Path::new(&out).join(format!("{name}.bin"));
            std::fs::write(&dest, input).map_err(|e| format!("{}: {e}", dest.display()))?;
        }
        Ok(seeds.len())
    };
    match run() {
        Ok(n) => println!("{n} seeds in {out}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
