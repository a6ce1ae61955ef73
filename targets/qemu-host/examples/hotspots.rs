//! The functions that execute the most instructions while the firmware
//! runs an apdutool script: one count bucket per function.
//!
//! `cargo run -p hydra-qemu-host --example hotspots -- [--top N] [--apdu I] --cap CAP... SCRIPT`
//!
//! `--apdu I` shows only the I-th APDU of the script (from 0).

use std::path::{Path, PathBuf};

use hydra_qemu_host::script::{all_applets, run_script};
use hydra_qemu_host::{Artifacts, Bucket, Config, FirmwareSymbols, Session};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::var_os("HYDRA_QEMU_TARGET_DIR")
        .map_or(ws.join("target/qemu-host"), PathBuf::from);
    let art = Artifacts::build(&ws, &dir)?;
    let (mut caps, mut top, mut only, mut script) = (Vec::<PathBuf>::new(), 25, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--cap" => caps.push(args.next().ok_or("--cap needs a file")?.into()),
            "--top" => top = args.next().ok_or("--top needs a number")?.parse()?,
            "--apdu" => {
                only = Some(
                    args.next()
                        .ok_or("--apdu needs a number")?
                        .parse::<usize>()?,
                )
            }
            _ => script = Some(PathBuf::from(a)),
        }
    }
    let script = script.ok_or("no script")?;
    let syms = FirmwareSymbols::read(&art.firmware)?;
    let mut cfg = Config::new(&art.firmware);
    cfg.plugin = Some(art.plugin.clone());
    cfg.buckets = syms
        .functions
        .iter()
        .enumerate()
        .map(|(i, (lo, hi, _))| Bucket {
            name: format!("f{i}"),
            prefixes: Vec::new(),
            ranges: vec![(*lo, *hi)],
        })
        .collect();
    cfg.installs = all_applets(&caps)?;
    cfg.packages = caps;
    let mut s = Session::start(&cfg)?;
    let run = run_script(
        &mut s,
        &script.display().to_string(),
        &std::fs::read_to_string(&script)?,
    )?;
    s.stop();
    let mut per_fn = vec![0u64; syms.functions.len() + 1];
    let mut total = 0;
    for (i, a) in run.apdus.iter().enumerate() {
        if only.is_some_and(|o| o != i) {
            continue;
        }
        let c = a.counts.as_ref().ok_or("no counts")?;
        total += c.total;
        for (j, (_, v)) in c.buckets.iter().enumerate() {
            per_fn[j] += v;
        }
    }
    let mut rows: Vec<(u64, &str)> = per_fn
        .iter()
        .enumerate()
        .map(|(i, &v)| (v, syms.functions.get(i).map_or("(other)", |f| f.2.as_str())))
        .filter(|r| r.0 > 0)
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    println!("{total} instructions");
    for (v, name) in rows.into_iter().take(top) {
        println!(
            "{v:>10} {:5.1}%  {name}",
            v as f64 * 100.0 / total.max(1) as f64
        );
    }
    Ok(())
}
