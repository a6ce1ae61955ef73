//! `hydra compile FILE.cap --target TRIPLE -o OUT [--emit obj|clif|asm|package]`:
//! verifies the CAP file (refusing it with the verifier's errors), and
//! compiles it with the one driver (`hydra-driver`: lowering with the
//! inline checks, the mid-end, the backend of the triple) to a native
//! package as a GlobalPlatform load file (signed with `--sign`), an ELF
//! object for disassemblers, the optimised CLIF or the listing.
//!
//! Also builds the engine `hydra run --engine native` gives the card: the
//! same native packages, compiled for this host.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use hydra::error::CliError;
use hydra_driver::{CompiledPackage, Options};
use hydra_jcapi::{ApiVersion, ExportPath};
use hydra_native::host::{NativeCode, NativeImage};
use hydra_verify::ApiSet;

#[derive(clap::Args)]
pub struct CompileArgs {
    /// CAP file (JAR archive, component stream, or folder of component files).
    file: PathBuf,
    /// Target triple: x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu,
    /// thumbv7m-none-eabi (the meter's Cortex-M3) or thumbv7em-none-eabi.
    #[arg(long, default_value = HOST_TRIPLE)]
    target: String,
    /// Output file (default: standard output for clif/asm, FILE.o for obj,
    /// FILE.hnp for package).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    /// What to write: a native package as a GlobalPlatform load file (for
    /// `hydra deploy`), an ELF object of the code (for disassemblers),
    /// CLIF, or assembly.
    #[arg(long, default_value = "obj", value_parser = ["obj", "clif", "asm", "package"])]
    emit: String,
    /// Sign the package (DAP) with this private key (`hydra keygen`).
    #[arg(long, value_name = "KEY")]
    sign: Option<PathBuf>,
    /// AID of the security domain that verifies the signature (the DAP
    /// block names it; default: the ISD, A000000151000000).
    #[arg(long, value_name = "AID", default_value = "A000000151000000")]
    sd: String,
    /// Only the methods whose label contains this text (clif/asm).
    #[arg(long, value_name = "TEXT")]
    method: Option<String>,
    /// Folder of export files of imported packages (repeatable).
    #[arg(long = "exportpath", value_name = "DIR")]
    export_path: Vec<PathBuf>,
    /// Java Card API release of the built-in export data.
    #[arg(long, default_value = "3.2.0", value_parser = ["3.0.4", "3.0.5", "3.1.0", "3.2.0"])]
    api: String,
    /// Print code size and compile time to stderr.
    #[arg(long)]
    stats: bool,
}

/// The triple of the machine running `hydra`.
pub const HOST_TRIPLE: &str = hydra_driver::HOST_TRIPLE;

fn io(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn api_set(api: &str, dirs: &[PathBuf]) -> Result<ApiSet, CliError> {
    let version = ApiVersion::from_name(api)
        .ok_or_else(|| CliError::Usage(format!("unknown API version {api}")))?;
    let mut path = ExportPath::new(version);
    for d in dirs {
        path.add_dir(d)?;
    }
    Ok(ApiSet::from_export_path(&path))
}

/// Reads and verifies one CAP file; unverified input is refused with every
/// verifier error, one line each.
pub fn read_verified(
    file: &Path,
    api: &ApiSet,
) -> Result<(hydra_cap::CapFile, hydra_verify::Verified), CliError> {
    let name = file.display().to_string();
    let loaded = hydra_cap::container::read_path(file)?;
    let verified = hydra_verify::verify(&loaded.cap, api).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("{name}: {e}")).collect();
        CliError::Usage(format!(
            "{}\n{name}: refused: {} verification error(s)",
            lines.join("\n"),
            errors.len()
        ))
    })?;
    Ok((loaded.cap, verified))
}

/// Verifies and compiles one CAP file for `triple`; returns it with the
/// CAP file it read.
pub fn compile_cap(
    file: &Path,
    api: &ApiSet,
    triple: &str,
    keep_text: bool,
) -> Result<(hydra_cap::CapFile, CompiledPackage), CliError> {
    let (cap, verified) = read_verified(file, api)?;
    let options = Options {
        keep_text,
        ..Options::default()
    };
    let p = hydra_driver::compile(&cap, &verified, triple, options).map_err(|e| io(file, e))?;
    Ok((cap, p))
}

pub fn compile_cmd(args: CompileArgs) -> Result<(), CliError> {
    let mut dirs = args.export_path.clone();
    dirs.push(hydra::folder_of(&args.file).to_path_buf());
    let api = api_set(&args.api, &dirs)?;
    if args.sign.is_some() && args.emit != "package" {
        return Err(CliError::Usage(
            "--sign signs a native package: add --emit package".into(),
        ));
    }
    let sd = hydra_host::unhex_aid(&args.sd).ok_or_else(|| {
        CliError::Usage(format!(
            "--sd {}: not an AID in hex (5 to 16 bytes)",
            args.sd
        ))
    })?;
    let keep_text = matches!(args.emit.as_str(), "asm" | "clif");
    let (cap, p) = compile_cap(&args.file, &api, &args.target, keep_text)?;
    if args.stats {
        eprintln!(
            "{}: {} methods, {} bytes of {} code for {} bytes of bytecode in {:.1} ms",
            args.file.display(),
            p.methods.len(),
            p.code_size(),
            p.triple,
            p.bytecode_size,
            p.compile_time.as_secs_f64() * 1e3
        );
    }
    let bytes = match args.emit.as_str() {
        "obj" => hydra_driver::emit_object(&p).map_err(|e| io(&args.file, e))?,
        "package" => {
            let package = hydra_driver::emit_package(&p, &cap).map_err(|e| io(&args.file, e))?;
            crate::packages::signed_load_file(&package, args.sign.as_deref(), &sd)?
        }
        kind => {
            let mut out = String::new();
            for m in &p.methods {
                if args
                    .method
                    .as_ref()
                    .is_some_and(|f| !m.label.contains(f.as_str()))
                {
                    continue;
                }
                out.push_str(&format!(
                    "; {} @{:#06x} ({} bytes)\n{}:\n",
                    m.label,
                    m.offset,
                    m.code.len(),
                    hydra_native::abi::method_symbol(m.code_offset)
                ));
                let text = if kind == "clif" { &m.clif } else { &m.asm };
                out.push_str(text.as_deref().unwrap_or(""));
                out.push('\n');
            }
            out.into_bytes()
        }
    };
    let output = match (&args.output, args.emit.as_str()) {
        (Some(o), _) => Some(o.clone()),
        (None, "obj") => Some(args.file.with_extension("o")),
        (None, "package") => Some(args.file.with_extension("hnp")),
        (None, _) => None,
    };
    match output {
        Some(o) => std::fs::write(&o, bytes).map_err(|e| io(&o, e)),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&bytes)
                .map_err(|e| CliError::Usage(e.to_string()))
        }
    }
}

/// Compiles `caps` to native packages for this host and returns the
/// factory of their engine (`hydra run --engine native`). Each CAP's
/// folder is on the export path of those after it, so a client package
/// finds its server's export file.
pub fn engine_for(caps: &[PathBuf]) -> Result<hydra_host::EngineFactory, CliError> {
    let mut code = NativeCode::new();
    let mut dirs = Vec::new();
    for c in caps {
        dirs.push(hydra::folder_of(c).to_path_buf());
        let api = api_set("3.2.0", &dirs)?;
        let (cap, p) = compile_cap(c, &api, HOST_TRIPLE, false)?;
        let package = hydra_driver::emit_package(&p, &cap).map_err(|e| io(c, e))?;
        code.add(NativeImage::load(&package).map_err(|e| io(c, e))?);
    }
    Ok(Rc::new(move || code.engine()))
}
