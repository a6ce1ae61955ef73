//! The functions that execute the most instructions while the firmware
//! runs an apdutool script with the packages compiled to Thumb-2 (the
//! native engine): one count bucket per firmware function, plus `applet`
//! for the compiled code.
//!
//! `cargo run -p hydra-backend-thumb2 --example thumb_hotspots -- [--top N] [--apdu I] --cap CAP... SCRIPT`
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
    let tmp = std::env::temp_dir().join(format!("hydra-thumb2-hot-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let mut path =
        hydra_jcapi::ExportPath::new(hydra_jcapi::ApiVersion::from_name("3.2.0").ok_or("API")?);
    for (i, c) in caps.iter().enumerate() {
        if let Some(d) = c.parent() {
            path.add_dir(d)?;
        }
        let api = hydra_verify::ApiSet::from_export_path(&path);
        let loaded = hydra_cap::container::read_path(c)?;
        let v = hydra_verify::verify(&loaded.cap, &api).map_err(|e| format!("{e:?}"))?;
        let p =
            hydra_backend_thumb2::compile_package(&loaded.cap, &v, "thumbv7m-none-eabi", false)?;
        let o = tmp.join(format!("{i}.o"));
        std::fs::write(&o, hydra_backend_thumb2::emit_object(&p)?)?;
        cfg.natives.push(o);
    }
    cfg.buckets.push(Bucket {
        name: "applet".into(),
        prefixes: Vec::new(),
        ranges: Vec::new(),
    });
    cfg.installs = all_applets(&caps)?;
    cfg.packages = caps;
    let mut s = Session::start(&cfg)?;
    let run = run_script(
        &mut s,
        &script.display().to_string(),
        &std::fs::read_to_string(&script)?,
    )?;
    s.stop();
    let mut per_fn = vec![0u64; syms.functions.len() + 2];
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
        .map(|(i, &v)| {
            let name = match syms.functions.get(i) {
                Some(f) => f.2.as_str(),
                None if i == syms.functions.len() => "(compiled applet code)",
                None => "(other)",
            };
            (v, name)
        })
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
