//! Sends APDUs (hex arguments) to the firmware in QEMU and prints each
//! response with its instruction counts:
//!
//! `cargo run -p hydra-qemu-host --example apdu -- [--nvm FILE] [--cap CAP]... [--install AID]... [--loopback] APDU...`

use std::path::Path;

use hydra_qemu_host::{Artifacts, Config, Install, Session};

fn hex(s: &str) -> Result<Vec<u8>, String> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if s.len() % 2 != 0 {
        return Err(format!("odd number of hex digits in `{s}`"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("`{s}`: {e}")))
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let art = Artifacts::build(&ws, &ws.join("target/qemu-host"))?;
    let mut cfg = Config::new(&art.firmware);
    cfg.plugin = Some(art.plugin);
    while let Some(flag) = args.first().filter(|a| a.starts_with("--")).cloned() {
        args.remove(0);
        if flag == "--loopback" {
            cfg.loopback = true;
            continue;
        }
        if args.is_empty() {
            return Err(format!("{flag} needs a value").into());
        }
        let v = args.remove(0);
        match flag.as_str() {
            "--nvm" => cfg.nvm = Some(v.into()),
            "--cap" => cfg.packages.push(v.into()),
            "--install" => cfg.installs.push(Install {
                class_aid: hex(&v)?,
                instance_aid: None,
                params: Vec::new(),
                privileges: Vec::new(),
            }),
            _ => return Err(format!("unknown option {flag}").into()),
        }
    }
    let mut s = Session::start(&cfg)?;
    let atr = s.power_on()?;
    println!(
        "ATR {}",
        atr.iter().map(|b| format!("{b:02X}")).collect::<String>()
    );
    for a in &args {
        let ex = s.transmit(&hex(a)?)?;
        let resp: String = ex.response.iter().map(|b| format!("{b:02X}")).collect();
        let counts = ex.counts.map(|c| {
            let parts: Vec<String> = c
                .buckets
                .iter()
                .filter(|b| b.1 > 0)
                .map(|(n, v)| format!("{n}={v}"))
                .collect();
            format!("{} instructions ({})", c.total, parts.join(" "))
        });
        println!("{a} -> {resp}  {}", counts.unwrap_or_default());
    }
    s.stop();
    Ok(())
}
