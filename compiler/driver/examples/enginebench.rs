//! Host figures of compiled code against the interpreter, per conformance
//! script: APDU time on both engines (best of N runs), native code size,
//! the share of it spent on inline checks, CLIF size and compile time.
//!
//! ```text
//! cargo run --release -p hydra-driver --features fuzzing --example enginebench -- [RUNS] [SUITE.json] [--unchecked]
//! ```
//!
//! `--unchecked` also times code compiled without the inline null,
//! firewall and bounds checks, giving the share of the native time they
//! take. Such code is unsafe: use it only with scripts in which no check
//! fails (the benchmark suite), never with the conformance suite.

use std::rc::Rc;
use std::time::Duration;

use hydra_driver::fuzzing::suite;
use hydra_driver::Options;
use hydra_host::{EngineFactory, Host, SuiteEntry};
use hydra_jcapi::{ApiVersion, ExportPath};
use hydra_native::host::{NativeCode, NativeImage};
use hydra_verify::ApiSet;

fn run(e: &SuiteEntry, engine: Option<EngineFactory>) -> (String, Duration) {
    let mut host = Host::in_memory();
    host.engine = engine;
    for c in &e.caps {
        host.load(&hydra_host::read_cap(c).unwrap()).unwrap();
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

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let unchecked_timing = std::env::args().any(|a| a == "--unchecked");
    let entries = match std::env::args().nth(2).filter(|a| !a.starts_with("--")) {
        Some(p) => hydra_host::read_suite(std::path::Path::new(&p)).unwrap(),
        None => suite(),
    };
    println!(
        "{:<16} {:>10} {:>10} {:>8} {:>8} {:>9} {:>7} {:>8} {:>11} {:>9}",
        "script",
        "interp us",
        "native us",
        "speedup",
        "methods",
        "code B",
        "checks",
        "chk time",
        "CLIF in/out",
        "compile"
    );
    for e in entries {
        let mut path = ExportPath::new(ApiVersion::from_name("3.2.0").unwrap());
        for c in &e.caps {
            path.add_dir(c.parent().unwrap()).unwrap();
        }
        let api = ApiSet::from_export_path(&path);
        let mut code = NativeCode::new();
        let mut bare = NativeCode::new();
        let (mut methods, mut size, mut unchecked, mut cin, mut cout) = (0, 0, 0, 0, 0);
        let mut compile = Duration::ZERO;
        for c in &e.caps {
            let cap = hydra_host::read_cap(c).unwrap();
            let v = hydra_verify::verify(&cap, &api).unwrap();
            let p = hydra_driver::compile(&cap, &v, hydra_driver::HOST_TRIPLE, Options::default())
                .unwrap();
            let without_checks = Options {
                checks: false,
                ..Options::default()
            };
            let q =
                hydra_driver::compile(&cap, &v, hydra_driver::HOST_TRIPLE, without_checks).unwrap();
            methods += p.methods.len();
            size += p.code_size();
            unchecked += q.code_size();
            cin += p.methods.iter().map(|m| m.clif_before).sum::<usize>();
            cout += p.methods.iter().map(|m| m.clif_after).sum::<usize>();
            compile += p.compile_time;
            let package = hydra_driver::emit_package(&p, &cap).unwrap();
            code.add(NativeImage::load(&package).unwrap());
            let package = hydra_driver::emit_package(&q, &cap).unwrap();
            bare.add(NativeImage::load(&package).unwrap());
        }
        let code = Rc::new(code);
        let bare = Rc::new(bare);
        let mut best = [Duration::MAX; 3];
        let mut outs = [String::new(), String::new(), String::new()];
        let mut engines = vec![None, Some(code.clone())];
        if unchecked_timing {
            engines.push(Some(bare.clone()));
        }
        for _ in 0..runs {
            for (k, engine) in engines.iter().cloned().enumerate() {
                let f: Option<EngineFactory> =
                    engine.map(|c| Rc::new(move || c.engine()) as EngineFactory);
                let (out, t) = run(&e, f);
                best[k] = best[k].min(t);
                outs[k] = out;
            }
        }
        assert_eq!(outs[0], outs[1], "{}: engines differ", e.script.display());
        let check_time = if unchecked_timing && outs[2] == outs[1] {
            format!(
                "{:.1}%",
                100.0 * (1.0 - best[2].as_secs_f64() / best[1].as_secs_f64().max(1e-9))
            )
        } else {
            "-".to_string()
        };
        let name = e
            .script
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        println!(
            "{:<16} {:>10.0} {:>10.0} {:>7.2}x {:>8} {:>9} {:>6.1}% {:>8} {:>5}/{:<5} {:>7.1}ms",
            name,
            best[0].as_secs_f64() * 1e6,
            best[1].as_secs_f64() * 1e6,
            best[0].as_secs_f64() / best[1].as_secs_f64().max(1e-9),
            methods,
            size,
            100.0 * (size as f64 - unchecked as f64) / size.max(1) as f64,
            check_time,
            cin,
            cout,
            compile.as_secs_f64() * 1e3
        );
    }
}
