//! The one compile driver loop every backend shares: lower each verified
//! method to CLIF, run the mid-end, hand the optimised function to a
//! [`Backend`], and collect the result as one [`CompiledPackage`] type,
//! whatever the instruction set. Packaging it (`hydra-driver`) and the
//! engines never see which backend made it.

use std::time::{Duration, Instant};

use cranelift_codegen::ir::Function;
use hydra_cap::CapFile;
use hydra_verify::Verified;

use crate::{LowerError, Target};

/// An instruction-set backend: compiles one optimised CLIF function.
pub trait Backend {
    /// Why a function could not be compiled.
    type Error: std::error::Error + Send + Sync + 'static;
    /// The target triple the code is for.
    fn triple(&self) -> &str;
    /// The lowering's view of the target (pointer width, call convention).
    fn target(&self) -> Target;
    /// Machine code for `func`; with `keep_text` also its listing.
    fn compile_function(
        &self,
        func: &Function,
        label: &str,
        keep_text: bool,
    ) -> Result<CompiledFunction, Self::Error>;
}

/// What a backend makes of one function.
#[derive(Debug, Clone, Default)]
pub struct CompiledFunction {
    pub code: Vec<u8>,
    /// Byte ranges of data (literal pools) inside `code`, start..end.
    pub data_ranges: Vec<(u32, u32)>,
    /// The machine code listing (with `keep_text`).
    pub listing: Option<String>,
}

/// One compiled method.
#[derive(Debug, Clone)]
pub struct CompiledMethod {
    /// Offset of the method header in the Method component.
    pub offset: u16,
    /// Offset of the first bytecode in the Method component.
    pub code_offset: u16,
    pub label: String,
    /// Result words (0, 1, 2).
    pub ret_words: u8,
    pub code: Vec<u8>,
    /// Literal pools inside `code`.
    pub data_ranges: Vec<(u32, u32)>,
    /// CLIF instructions before and after the mid-end.
    pub clif_before: usize,
    pub clif_after: usize,
    /// The optimised CLIF (with `keep_text`).
    pub clif: Option<String>,
    /// The machine code listing (with `keep_text`).
    pub asm: Option<String>,
}

/// A compiled package, for any target.
#[derive(Debug, Clone)]
pub struct CompiledPackage {
    pub triple: String,
    pub aid: Vec<u8>,
    pub methods: Vec<CompiledMethod>,
    pub compile_time: Duration,
    /// Bytes of bytecode of the compiled methods (Method component bodies).
    pub bytecode_size: usize,
}

impl CompiledPackage {
    /// Bytes of machine code of every method.
    pub fn code_size(&self) -> usize {
        self.methods.iter().map(|m| m.code.len()).sum()
    }
}

/// What to compile and keep.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Keep the optimised CLIF and the listing of every method.
    pub keep_text: bool,
    /// The inline null, firewall and bounds checks. Code without them
    /// exists only to measure their share and MUST NOT run.
    pub checks: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            keep_text: false,
            checks: true,
        }
    }
}

/// Why a package could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("{0}")]
    Lower(#[from] LowerError),
    #[error("method {method}: mid-end: {what}")]
    MidEnd { method: String, what: String },
    #[error("method {method}: {source}")]
    Codegen {
        method: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Lowers, optimises and compiles every method of a verified package
/// with `backend`.
pub fn compile_package<B: Backend>(
    cap: &CapFile,
    verified: &Verified,
    backend: &B,
    options: Options,
) -> Result<CompiledPackage, CompileError> {
    let t0 = Instant::now();
    let target = backend.target();
    let mid = crate::flags();
    let lowered = if options.checks {
        crate::lower_package(cap, verified, &target)?
    } else {
        crate::lower_package_without_checks(cap, verified, &target)?
    };
    let mut methods = Vec::with_capacity(lowered.len());
    let mut bytecode_size = 0;
    for m in lowered {
        let (func, stats) = crate::optimize(m.func, &mid).map_err(|what| CompileError::MidEnd {
            method: m.label.clone(),
            what,
        })?;
        let compiled = backend
            .compile_function(&func, &m.label, options.keep_text)
            .map_err(|e| CompileError::Codegen {
                method: m.label.clone(),
                source: Box::new(e),
            })?;
        let info = cap
            .method
            .methods
            .iter()
            .find(|i| i.offset == m.offset)
            .ok_or_else(|| CompileError::MidEnd {
                method: m.label.clone(),
                what: "lowered a method the Method component does not have".into(),
            })?;
        bytecode_size += info.bytecode.len();
        let u = &verified.universe;
        let ret_words = u
            .method_at(m.offset)
            .map_or(0, |id| u.method(id).sig.ret.words() as u8);
        methods.push(CompiledMethod {
            offset: m.offset,
            code_offset: info.code_offset(),
            ret_words,
            clif: options.keep_text.then(|| func.display().to_string()),
            asm: compiled.listing,
            label: m.label,
            code: compiled.code,
            data_ranges: compiled.data_ranges,
            clif_before: stats.insts_before,
            clif_after: stats.insts_after,
        });
    }
    Ok(CompiledPackage {
        triple: backend.triple().to_string(),
        aid: cap.header.package.aid.as_bytes().to_vec(),
        methods,
        compile_time: t0.elapsed(),
        bytecode_size,
    })
}
