//! Shared by the tests: compiling CAP files for this host and running
//! conformance scripts on either engine.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::rc::Rc;

use hydra_host::{read_suite, EngineFactory, Host, SuiteEntry};
use hydra_jcapi::{ApiVersion, ExportPath};
use hydra_native::host::{NativeCode, NativeImage};
use hydra_verify::ApiSet;

pub const HOST: &str = hydra_driver::HOST_TRIPLE;

pub fn applets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets")
}

pub fn suite() -> Vec<SuiteEntry> {
    read_suite(&applets().join("suite.json")).unwrap()
}

/// Export data of the API plus the folders of `caps`.
pub fn api(caps: &[PathBuf]) -> ApiSet {
    let mut path = ExportPath::new(ApiVersion::from_name("3.2.0").unwrap());
    for c in caps {
        path.add_dir(c.parent().unwrap()).unwrap();
    }
    ApiSet::from_export_path(&path)
}

/// Verifies and compiles one CAP file; returns its native package.
pub fn compile(cap: &Path, api: &ApiSet, triple: &str) -> (hydra_driver::CompiledPackage, Vec<u8>) {
    let loaded = hydra_cap::container::read_path(cap).unwrap();
    let v = hydra_verify::verify(&loaded.cap, api).unwrap();
    let p = hydra_driver::compile(&loaded.cap, &v, triple, hydra_driver::Options::default())
        .unwrap_or_else(|e| panic!("{}: {e}", cap.display()));
    let package = hydra_driver::emit_package(&p, &loaded.cap).unwrap();
    (p, package)
}

pub fn native_code(caps: &[PathBuf]) -> NativeCode {
    let api = api(caps);
    let mut code = NativeCode::new();
    for c in caps {
        let (_, package) = compile(c, &api, HOST);
        code.add(NativeImage::load(&package).unwrap());
    }
    code
}

pub fn factory(code: NativeCode) -> EngineFactory {
    Rc::new(move || code.engine())
}

/// Runs a suite entry; returns the output and the APDU time.
pub fn run(e: &SuiteEntry, engine: Option<EngineFactory>) -> (String, std::time::Duration) {
    let mut host = Host::in_memory();
    host.engine = engine;
    for c in &e.caps {
        let cap = hydra_host::read_cap(c).unwrap();
        host.load(&cap).unwrap();
    }
    if e.installs.is_empty() {
        host.install_all().unwrap();
    } else {
        for i in &e.installs {
            host.install(i).unwrap();
        }
    }
    host.power_down();
    let text = std::fs::read_to_string(&e.script).unwrap();
    let out = host
        .run_script(&e.script.display().to_string(), &text)
        .unwrap();
    (out, host.apdu_time)
}

/// Native code for `only` among `caps` (the others stay interpreted).
pub fn native_code_only(caps: &[PathBuf], only: &Path) -> NativeCode {
    let api = api(caps);
    let mut code = NativeCode::new();
    let (_, package) = compile(only, &api, HOST);
    code.add(NativeImage::load(&package).unwrap());
    code
}
