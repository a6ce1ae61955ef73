//! `hydra verify FILE.cap... [--exportpath DIR ...]`: structural and
//! type-inference verification. One summary line per valid file; otherwise
//! every error, one line each, and a non-zero exit.

use std::path::PathBuf;
use std::time::Instant;

use hydra::error::CliError;
use hydra_jcapi::{ApiVersion, ExportPath};
use hydra_verify::{ApiSet, Frame, Universe, VType};

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// CAP files (JAR archives, component streams, or folders of component files).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Folder of export files of imported packages (repeatable).
    #[arg(long = "exportpath", value_name = "DIR")]
    export_path: Vec<PathBuf>,
    /// Java Card API release of the built-in export data.
    #[arg(long, value_name = "VERSION", default_value = "3.2.0", value_parser = ["3.0.4", "3.0.5", "3.1.0", "3.2.0"])]
    api: String,
    /// Also print the inferred types at every basic-block entry.
    #[arg(long)]
    types: bool,
}

fn word(u: &Universe, v: VType) -> String {
    match v {
        VType::Top => "-".into(),
        VType::IntLo => "int.lo".into(),
        v => v.describe(u),
    }
}

fn frame(u: &Universe, f: &Frame) -> String {
    let l: Vec<String> = f.locals.iter().map(|v| word(u, *v)).collect();
    let s: Vec<String> = f.stack.iter().map(|v| word(u, *v)).collect();
    format!("locals [{}] stack [{}]", l.join(", "), s.join(", "))
}

pub fn verify_cmd(args: VerifyArgs) -> Result<(), CliError> {
    let version = ApiVersion::from_name(&args.api)
        .ok_or_else(|| CliError::Usage(format!("unknown API version {}", args.api)))?;
    let mut path = ExportPath::new(version);
    for dir in &args.export_path {
        path.add_dir(dir)?;
    }
    let api = ApiSet::from_export_path(&path);
    let mut failed = 0usize;
    for f in &args.files {
        let name = f.display().to_string();
        let loaded = match hydra_cap::container::read_path(f) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{e}");
                failed += 1;
                continue;
            }
        };
        let t = Instant::now();
        match hydra_verify::verify(&loaded.cap, &api) {
            Ok(v) => {
                let insns: usize = v.methods.iter().map(|m| m.insns.len()).sum();
                let classes = v.universe.classes.iter().filter(|c| c.package == 0).count();
                hydra::outln!(
                    "{name}: verified: package {} ({} classes, {} methods, {} instructions) in {:.2} ms",
                    loaded.cap.header.package.aid,
                    classes,
                    v.methods.len(),
                    insns,
                    t.elapsed().as_secs_f64() * 1e3
                );
                if args.types {
                    let u = &v.universe;
                    for m in &v.methods {
                        hydra::outln!("  {} @{:#06x}", u.method_label(m.method), m.offset);
                        for (pc, fr) in m.blocks() {
                            match fr {
                                Some(fr) => hydra::outln!("    {pc:5}: {}", frame(u, fr)),
                                None => hydra::outln!("    {pc:5}: unreachable"),
                            }
                        }
                    }
                }
            }
            Err(errors) => {
                failed += 1;
                for e in &errors {
                    hydra::outln!("{name}: {e}");
                }
            }
        }
    }
    if failed > 0 {
        return Err(CliError::Usage(format!(
            "{failed} of {} file(s) failed verification",
            args.files.len()
        )));
    }
    Ok(())
}
