//! `hydra-jcapi-gen EXPORTS_DIR OUT_DIR`: regenerates hydra-jcapi's
//! built-in API tables, e.g.
//! `cargo run -p hydra-jcapi-gen -- /work/shared/javacard-exports compiler/jcapi/src/generated`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [exports, out] = args.as_slice() else {
        eprintln!("usage: hydra-jcapi-gen EXPORTS_DIR OUT_DIR");
        return ExitCode::from(2);
    };
    match hydra_jcapi_gen::write_all(exports, out) {
        Ok(n) => {
            println!("wrote {n} files to {}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
