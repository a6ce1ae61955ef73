//! Interpreter speed on the conformance suite: `speed [ROUNDS]` runs every
//! script of conformance/applets/suite.json ROUNDS times and reports
//! bytecodes per second of APDU processing and the busiest opcodes.
use std::path::Path;

fn main() {
    let rounds: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets/suite.json");
    let entries = hydra_host::read_suite(&suite).expect("suite.json");
    let mut total = 0u64;
    let mut time = std::time::Duration::ZERO;
    let mut counts = [0u64; 256];
    for e in &entries {
        let text = std::fs::read_to_string(&e.script).expect("script");
        let mut host = hydra_host::Host::in_memory();
        host.stats = std::env::var_os("HYDRA_OPCODES").is_some();
        for c in &e.caps {
            host.load(&hydra_host::read_cap(c).expect("cap"))
                .expect("load");
        }
        for i in &e.installs {
            host.install(i).expect("install");
        }
        host.power_down();
        for _ in 0..rounds {
            host.run_script("", &text).expect("run");
        }
        host.power_down();
        let (n, c) = host.totals();
        total += n;
        time += host.apdu_time;
        for (a, b) in counts.iter_mut().zip(c.iter()) {
            *a += *b;
        }
        println!(
            "{:<40} {:>9} bytecodes  {:>7.1} M/s",
            e.script.file_name().unwrap().to_string_lossy(),
            n / u64::from(rounds),
            n as f64 / host.apdu_time.as_secs_f64() / 1e6
        );
    }
    println!(
        "total: {} bytecodes in {:.3} s of APDU processing: {:.1} M bytecodes/s",
        total,
        time.as_secs_f64(),
        total as f64 / time.as_secs_f64() / 1e6
    );
    if counts.iter().any(|&c| c > 0) {
        let mut top: Vec<(usize, u64)> = counts
            .iter()
            .copied()
            .enumerate()
            .filter(|c| c.1 > 0)
            .collect();
        top.sort_by_key(|b| std::cmp::Reverse(b.1));
        for (op, c) in top.iter().take(15) {
            let name = match *op as u8 {
                0xC0..=0xC3 => "getfield (quick)".to_string(),
                0xC4..=0xC7 => "putfield (quick)".to_string(),
                0xC8..=0xCB => "getfield_this (quick)".to_string(),
                0xCC..=0xCF => "putfield_this (quick)".to_string(),
                0xD0 => "invokestatic (quick)".to_string(),
                0xD1 => "invokespecial (quick)".to_string(),
                b => hydra_cap::bytecode::Opcode(b)
                    .mnemonic()
                    .unwrap_or("?")
                    .to_string(),
            };
            println!("  {name:<24} {:5.1}%", *c as f64 * 100.0 / total as f64);
        }
    }
}
