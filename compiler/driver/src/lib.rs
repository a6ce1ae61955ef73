//! The compile driver: a verified CAP file becomes one
//! [`CompiledPackage`] for any target triple, through the backend of that
//! triple (`hydra-backend-host` for the build server's own ISA,
//! `hydra-backend-thumb2` for the meters), and then one native package
//! (`hydra-package`): the format the meter's card manager loads and the
//! host's engine runs alike.

use hydra_cap::CapFile;
use hydra_lower::codegen::{self, CompileError};
use hydra_verify::Verified;

pub use hydra_lower::codegen::{CompiledMethod, CompiledPackage, Options};

/// Why a package could not be compiled or packaged.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("unsupported target {0}: Hydra builds thumbv7m-none-eabi, thumbv7em-none-eabi, x86_64-unknown-linux-gnu and aarch64-unknown-linux-gnu")]
    UnsupportedTarget(String),
    #[error("{0}")]
    Compile(#[from] CompileError),
    #[error("{0}")]
    Host(#[from] hydra_backend_host::BackendError),
    #[error("{0}")]
    Thumb2(#[from] hydra_backend_thumb2::BackendError),
    #[error("load file: {0}")]
    LoadFile(String),
}

/// The backend families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Host,
    Thumb2,
}

fn family(triple: &str) -> Result<Family, DriverError> {
    if hydra_backend_thumb2::Flags::for_triple(triple).is_some() {
        Ok(Family::Thumb2)
    } else if hydra_backend_host::supports(triple) {
        Ok(Family::Host)
    } else {
        Err(DriverError::UnsupportedTarget(triple.to_string()))
    }
}

/// The triple of the machine running the build server's own engine.
pub const HOST_TRIPLE: &str = if cfg!(target_arch = "aarch64") {
    "aarch64-unknown-linux-gnu"
} else {
    "x86_64-unknown-linux-gnu"
};

/// Whether `triple` is a meter's target (Thumb-2).
pub fn is_meter_target(triple: &str) -> bool {
    matches!(family(triple), Ok(Family::Thumb2))
}

/// Lowers, optimises and compiles every method of a verified package for
/// `triple`.
pub fn compile(
    cap: &CapFile,
    verified: &Verified,
    triple: &str,
    options: Options,
) -> Result<CompiledPackage, DriverError> {
    Ok(match family(triple)? {
        Family::Host => {
            let b = hydra_backend_host::HostBackend::new(triple)?;
            codegen::compile_package(cap, verified, &b, options)?
        }
        Family::Thumb2 => {
            let b = hydra_backend_thumb2::Thumb2Backend::new(triple)?;
            codegen::compile_package(cap, verified, &b, options)?
        }
    })
}

/// The compiled code as an ELF relocatable object, for disassemblers.
pub fn emit_object(p: &CompiledPackage) -> Result<Vec<u8>, DriverError> {
    Ok(match family(&p.triple)? {
        Family::Host => hydra_backend_host::emit_object(p)?,
        Family::Thumb2 => hydra_backend_thumb2::emit_object(p)?,
    })
}

/// Bytes each method's code starts at a multiple of: 4 on Thumb-2 (its
/// literal pools assume it), 16 on the hosts (their fetch lines).
fn method_alignment(target: hydra_package::Target) -> usize {
    match target.entry_kind() {
        hydra_package::EntryKind::ThumbFunction => 4,
        hydra_package::EntryKind::Function => 16,
    }
}

/// The native package (`hydra-package`, `runtime/docs/native-package.md`):
/// the code of every method with its entry, the manifest, and `cap`'s
/// load file (without its Debug component) for a card that runs the
/// package interpreted.
pub fn emit_package(p: &CompiledPackage, cap: &CapFile) -> Result<Vec<u8>, DriverError> {
    use hydra_package::manifest::{Import, Manifest};
    let target = hydra_package::Target::from_triple(&p.triple)
        .ok_or_else(|| DriverError::UnsupportedTarget(p.triple.clone()))?;
    let align = method_alignment(target);
    let mut code = Vec::new();
    let mut entries = Vec::new();
    for m in &p.methods {
        code.resize(code.len().next_multiple_of(align), 0);
        entries.push(hydra_package::MethodEntry {
            method: m.code_offset,
            kind: target.entry_kind(),
            ret_words: m.ret_words,
            code_offset: code.len() as u32,
        });
        code.extend_from_slice(&m.code);
    }
    let mut stripped = cap.clone();
    stripped.debug = None;
    if let Some(d) = stripped.directory.component_sizes.get_mut(11) {
        *d = 0;
    }
    let load_file = stripped
        .to_load_file(false)
        .map_err(|e| DriverError::LoadFile(e.to_string()))?;
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02X}")).collect::<String>();
    let h = &cap.header.package;
    let manifest = Manifest {
        compiler: format!("hydra {}", env!("CARGO_PKG_VERSION")),
        target: p.triple.clone(),
        abi: hydra_abi::ABI_VERSION,
        package: Import {
            aid: hex(h.aid.as_bytes()),
            version: format!("{}.{}", h.major, h.minor),
        },
        imports: cap
            .import
            .packages
            .iter()
            .map(|i| Import {
                aid: hex(i.aid.as_bytes()),
                version: format!("{}.{}", i.major, i.minor),
            })
            .collect(),
        applets: cap
            .applet
            .as_ref()
            .map(|a| a.applets.iter().map(|x| hex(x.aid.as_bytes())).collect())
            .unwrap_or_default(),
        exports: cap.export.is_some(),
        classes: cap.class.entries.len() as u32,
        compiled_methods: p.methods.len() as u32,
        code_bytes: code.len() as u32,
        bytecode_bytes: p.bytecode_size as u32,
    }
    .to_cbor();
    Ok(hydra_package::Writer {
        target,
        abi: hydra_abi::ABI_VERSION,
        aid: &p.aid,
        version: (h.major, h.minor),
        load_file: &load_file,
        code: &code,
        entries,
        manifest: &manifest,
    }
    .to_bytes())
}

#[cfg(feature = "fuzzing")]
pub mod fuzzing;

#[cfg(test)]
mod tests;
