//! The Thumb-2 target of `hydra compile` (`--target thumbv7m-none-eabi`,
//! `hydra-backend-thumb2`) and the native packages `hydra run --engine
//! thumb` gives the firmware.

use std::path::{Path, PathBuf};

use hydra::error::CliError;
use hydra_backend_thumb2::CompiledPackage;
use hydra_verify::ApiSet;

/// Whether `triple` is a Thumb-2 target.
pub fn is_thumb(triple: &str) -> bool {
    hydra_backend_thumb2::Flags::for_triple(triple).is_some()
}

fn io(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Verifies and compiles one CAP file to Thumb-2; returns it with the
/// CAP file it read.
pub fn compile_cap(
    file: &Path,
    api: &ApiSet,
    triple: &str,
    keep_text: bool,
) -> Result<(hydra_cap::CapFile, CompiledPackage), CliError> {
    let (cap, verified) = crate::compile::read_verified(file, api)?;
    let p = hydra_backend_thumb2::compile_package(&cap, &verified, triple, keep_text)
        .map_err(|e| io(file, e))?;
    Ok((cap, p))
}

/// What `hydra compile --target thumbv7m-none-eabi` writes.
pub struct Request<'a> {
    pub file: &'a Path,
    pub triple: &'a str,
    pub emit: &'a str,
    pub method: Option<&'a str>,
    pub output: Option<&'a Path>,
    pub stats: bool,
    /// `--emit package`: sign with this private key file.
    pub sign: Option<&'a Path>,
    /// The security domain the DAP block names.
    pub sd: &'a [u8],
}

pub fn compile_cmd(r: &Request, api: &ApiSet) -> Result<(), CliError> {
    let keep_text = matches!(r.emit, "asm" | "clif");
    let (cap, p) = compile_cap(r.file, api, r.triple, keep_text)?;
    if r.stats {
        eprintln!(
            "{}: {} methods, {} bytes of {} code for {} bytes of bytecode in {:.1} ms",
            r.file.display(),
            p.methods.len(),
            p.code_size(),
            p.triple,
            p.bytecode_size,
            p.compile_time.as_secs_f64() * 1e3
        );
    }
    let bytes = match r.emit {
        "obj" => hydra_backend_thumb2::emit_object(&p).map_err(|e| io(r.file, e))?,
        "package" => {
            let package =
                hydra_backend_thumb2::emit_package(&p, &cap).map_err(|e| io(r.file, e))?;
            signed_load_file(&package, r.sign, r.sd)?
        }
        kind => {
            let mut out = String::new();
            for m in &p.methods {
                if r.method.is_some_and(|f| !m.label.contains(f)) {
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
    let output = match (r.output, r.emit) {
        (Some(o), _) => Some(o.to_path_buf()),
        (None, "obj") => Some(r.file.with_extension("o")),
        (None, "package") => Some(r.file.with_extension("hnp")),
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

/// The GlobalPlatform load file of `package`: with a DAP block for
/// security domain `sd` when `key` (a private key file) signs it.
pub fn signed_load_file(
    package: &[u8],
    key: Option<&Path>,
    sd: &[u8],
) -> Result<Vec<u8>, CliError> {
    let Some(key) = key else {
        return Ok(hydra_package::loadfile::build(&[], package));
    };
    let key =
        hydra_package::keyfile::read_private(key).map_err(|e| CliError::Usage(e.to_string()))?;
    let hash = hydra_package::dap::load_file_hash(package);
    let sig = hydra_package::dap::sign(&key, &hash);
    Ok(hydra_package::loadfile::build(&[(sd, &sig)], package))
}

/// Compiles `caps` to native packages (`hydra-package`) for
/// thumbv7m in `dir` (each CAP's folder is on the export path of those
/// after it); returns each package file and its compiled form.
pub fn packages(caps: &[PathBuf], dir: &Path) -> Result<Vec<(PathBuf, CompiledPackage)>, CliError> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut path = hydra_jcapi::ExportPath::new(
        hydra_jcapi::ApiVersion::from_name("3.2.0").expect("known version"),
    );
    let mut out = Vec::new();
    for (i, c) in caps.iter().enumerate() {
        path.add_dir(hydra::folder_of(c))?;
        let api = ApiSet::from_export_path(&path);
        let (cap, p) = compile_cap(c, &api, "thumbv7m-none-eabi", false)?;
        let bytes = hydra_backend_thumb2::emit_package(&p, &cap).map_err(|e| io(c, e))?;
        let stem = c
            .file_stem()
            .map_or("package".into(), |s| s.to_string_lossy());
        let f = dir.join(format!("{i}-{stem}.hnp"));
        std::fs::write(&f, bytes).map_err(|e| io(&f, e))?;
        out.push((f, p));
    }
    Ok(out)
}
