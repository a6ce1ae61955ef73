//! Everything in a CAP file, resolved to names: what `hydra inspect` shows,
//! as text or JSON, and the symbolic disassembler other tools reuse.

pub mod api;
pub mod disasm;
pub mod opcodes;
pub mod report;
pub mod symbols;
pub mod text;

use hydra_cap::container::{Container, LoadedCap};

pub use report::Report;
pub use symbols::{ApiLookup, NoApi, Symbols};

/// The package path the archive stores its components under (`com/x/javacard/` → `com/x`).
pub fn package_hint(loaded: &LoadedCap) -> Option<String> {
    match &loaded.container {
        Container::Archive(a) => a
            .component_dir
            .strip_suffix("/javacard/")
            .map(str::to_owned),
        _ => None,
    }
}

/// Builds the report for one loaded CAP.
pub fn inspect(file: &str, loaded: &LoadedCap, api: &dyn ApiLookup) -> Report {
    let hint = package_hint(loaded);
    let symbols = Symbols::new(&loaded.cap, api, hint.as_deref());
    report::build(file, &loaded.cap, &symbols)
}
