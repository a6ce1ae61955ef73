//! The host backends: cranelift-codegen for `x86_64-unknown-linux-gnu` and
//! `aarch64-unknown-linux-gnu`, and the native package as an ELF
//! relocatable object (`object` crate).
//!
//! The object holds one `.text` section with every compiled method, one
//! global function symbol per method named by the offset of its first
//! bytecode in the Method component (`hydra_abi::method_symbol`),
//! and a `.hydra` section with the package AID. Compiled code reaches the
//! runtime only through the VM context and its entry-point table, so the
//! text needs no relocation: an object with any relocation is refused.

use std::time::{Duration, Instant};

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::isa::{self, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use hydra_cap::CapFile;
use hydra_lower::{LowerError, Target};
use hydra_verify::Verified;
use object::write::{Object, StandardSection, Symbol, SymbolSection};
use object::{Architecture, BinaryFormat, Endianness, SymbolFlags, SymbolKind, SymbolScope};

#[cfg(feature = "fuzzing")]
pub mod fuzzing;

/// Section of the object that names the package: `AID length, AID`.
pub const PACKAGE_SECTION: &str = ".hydra";

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("unsupported target {0}: the host backend builds x86_64 and aarch64 code")]
    UnsupportedTarget(String),
    #[error("{0}")]
    Lower(#[from] LowerError),
    #[error("method {method}: mid-end: {what}")]
    MidEnd { method: String, what: String },
    #[error("method {method}: code generation failed: {what}")]
    Codegen { method: String, what: String },
    #[error(
        "method {method}: compiled code needs a relocation ({what}); the runtime ABI allows none"
    )]
    Relocation { method: String, what: String },
    #[error("object file: {0}")]
    Object(String),
}

/// An instruction set the host backend builds for.
pub fn isa_for(triple: &str) -> Result<OwnedTargetIsa, BackendError> {
    let t: target_lexicon::Triple = triple
        .parse()
        .map_err(|_| BackendError::UnsupportedTarget(triple.to_string()))?;
    if !matches!(
        t.architecture,
        target_lexicon::Architecture::X86_64 | target_lexicon::Architecture::Aarch64(_)
    ) {
        return Err(BackendError::UnsupportedTarget(triple.to_string()));
    }
    let mut b = settings::builder();
    b.set("opt_level", "speed").expect("known setting");
    b.set("unwind_info", "false").expect("known setting");
    let flags = settings::Flags::new(b);
    isa::lookup(t)
        .map_err(|_| BackendError::UnsupportedTarget(triple.to_string()))?
        .finish(flags)
        .map_err(|e| BackendError::UnsupportedTarget(format!("{triple}: {e}")))
}

/// The lowering's view of an ISA.
pub fn target_of(isa: &dyn isa::TargetIsa) -> Target {
    Target {
        pointer: isa.pointer_type(),
        call_conv: isa.default_call_conv(),
    }
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
    /// CLIF instructions before and after the mid-end.
    pub clif_before: usize,
    pub clif_after: usize,
    /// The optimised CLIF (with `keep_text`).
    pub clif: Option<String>,
    /// Machine code listing (with `keep_text`).
    pub asm: Option<String>,
}

/// A compiled package.
#[derive(Debug, Clone)]
pub struct CompiledPackage {
    pub triple: String,
    pub aid: Vec<u8>,
    pub methods: Vec<CompiledMethod>,
    pub compile_time: Duration,
}

impl CompiledPackage {
    pub fn code_size(&self) -> usize {
        self.methods.iter().map(|m| m.code.len()).sum()
    }
}

/// Lowers, optimises and compiles every method of a verified package.
pub fn compile_package(
    cap: &CapFile,
    verified: &Verified,
    triple: &str,
    keep_text: bool,
) -> Result<CompiledPackage, BackendError> {
    compile_with(cap, verified, triple, keep_text, true)
}

/// Compiles without the inline null, firewall and bounds checks, to measure
/// their share of the code. Such code MUST NOT run.
pub fn compile_package_without_checks(
    cap: &CapFile,
    verified: &Verified,
    triple: &str,
) -> Result<CompiledPackage, BackendError> {
    compile_with(cap, verified, triple, false, false)
}

fn compile_with(
    cap: &CapFile,
    verified: &Verified,
    triple: &str,
    keep_text: bool,
    checks: bool,
) -> Result<CompiledPackage, BackendError> {
    let t0 = Instant::now();
    let isa = isa_for(triple)?;
    let target = target_of(&*isa);
    let flags = hydra_lower::flags();
    let lowered = if checks {
        hydra_lower::lower_package(cap, verified, &target)?
    } else {
        hydra_lower::lower_package_without_checks(cap, verified, &target)?
    };
    let mut methods = Vec::new();
    for m in lowered {
        let (func, stats) =
            hydra_lower::optimize(m.func, &flags).map_err(|what| BackendError::MidEnd {
                method: m.label.clone(),
                what,
            })?;
        let clif = keep_text.then(|| func.display().to_string());
        let mut ctx = Context::for_function(func);
        ctx.set_disasm(keep_text);
        let compiled = ctx
            .compile(&*isa, &mut ControlPlane::default())
            .map_err(|e| BackendError::Codegen {
                method: m.label.clone(),
                what: format!("{:?}", e.inner),
            })?;
        if let Some(r) = compiled.buffer.relocs().first() {
            return Err(BackendError::Relocation {
                method: m.label.clone(),
                what: format!("{:?}", r.kind),
            });
        }
        let asm = compiled.vcode.clone();
        let code = compiled.code_buffer().to_vec();
        let info = cap
            .method
            .methods
            .iter()
            .find(|i| i.offset == m.offset)
            .expect("lowered from this CAP");
        let u = &verified.universe;
        let ret_words = u
            .method_at(m.offset)
            .map_or(0, |id| u.method(id).sig.ret.words() as u8);
        methods.push(CompiledMethod {
            ret_words,
            offset: m.offset,
            code_offset: info.code_offset(),
            label: m.label,
            code,
            clif_before: stats.insts_before,
            clif_after: stats.insts_after,
            clif,
            asm,
        });
    }
    Ok(CompiledPackage {
        triple: triple.to_string(),
        aid: cap.header.package.aid.as_bytes().to_vec(),
        methods,
        compile_time: t0.elapsed(),
    })
}

/// The native package as an ELF relocatable object.
pub fn emit_object(p: &CompiledPackage) -> Result<Vec<u8>, BackendError> {
    let t: target_lexicon::Triple = p
        .triple
        .parse()
        .map_err(|_| BackendError::UnsupportedTarget(p.triple.clone()))?;
    let arch = match t.architecture {
        target_lexicon::Architecture::X86_64 => Architecture::X86_64,
        target_lexicon::Architecture::Aarch64(_) => Architecture::Aarch64,
        _ => return Err(BackendError::UnsupportedTarget(p.triple.clone())),
    };
    let mut obj = Object::new(BinaryFormat::Elf, arch, Endianness::Little);
    let text = obj.section_id(StandardSection::Text);
    for m in &p.methods {
        let at = obj.append_section_data(text, &m.code, 16);
        obj.add_symbol(Symbol {
            name: hydra_abi::method_symbol(m.code_offset).into_bytes(),
            value: at,
            size: m.code.len() as u64,
            kind: SymbolKind::Text,
            scope: SymbolScope::Dynamic,
            weak: false,
            section: SymbolSection::Section(text),
            flags: SymbolFlags::None,
        });
    }
    let sec = obj.add_section(
        Vec::new(),
        PACKAGE_SECTION.as_bytes().to_vec(),
        object::SectionKind::ReadOnlyData,
    );
    let manifest = hydra_abi::Manifest {
        aid: p.aid.clone(),
        returns: p
            .methods
            .iter()
            .map(|m| (m.code_offset, m.ret_words))
            .collect(),
    };
    obj.append_section_data(sec, &manifest.to_bytes(), 1);
    obj.write().map_err(|e| BackendError::Object(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_host_isas_build() {
        for t in ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"] {
            let isa = isa_for(t).unwrap();
            assert_eq!(target_of(&*isa).pointer, cranelift_codegen::ir::types::I64);
        }
        assert!(matches!(
            isa_for("thumbv7m-none-eabi"),
            Err(BackendError::UnsupportedTarget(_))
        ));
    }
}
