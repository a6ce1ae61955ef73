//! Native packages on disk: the signed GlobalPlatform load file `hydra
//! compile --emit package` writes, and the packages of a suite's CAP files
//! that `hydra run --engine thumb`, `hydra bench` and the emulated meter
//! take.

use std::path::{Path, PathBuf};

use hydra::error::CliError;
use hydra_driver::CompiledPackage;
use hydra_verify::ApiSet;

fn io(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
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
        let (cap, p) = crate::compile::compile_cap(c, &api, "thumbv7m-none-eabi", false)?;
        let bytes = hydra_driver::emit_package(&p, &cap).map_err(|e| io(c, e))?;
        let stem = c
            .file_stem()
            .map_or("package".into(), |s| s.to_string_lossy());
        let f = dir.join(format!("{i}-{stem}.hnp"));
        std::fs::write(&f, bytes).map_err(|e| io(&f, e))?;
        out.push((f, p));
    }
    Ok(out)
}
