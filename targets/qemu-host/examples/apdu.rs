//! Sends APDUs (hex arguments) to the firmware in QEMU and prints each
//! response with its instruction counts:
//!
//! `cargo run -p hydra-qemu-host --example apdu -- [--nvm FILE] 80100000021234 80240000`

use std::path::Path;

use hydra_qemu_host::{Artifacts, Config, Session};

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
    let mut nvm = None;
    if args.first().map(String::as_str) == Some("--nvm") && args.len() > 1 {
        nvm = Some(args[1].clone().into());
        args.drain(..2);
    }
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let art = Artifacts::build(&ws, &ws.join("target/qemu-host"))?;
    let mut cfg = Config::new(&art.firmware);
    cfg.plugin = Some(art.plugin);
    cfg.nvm = nvm;
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
