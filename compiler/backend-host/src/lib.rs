//! The host backends: cranelift-codegen for `x86_64-unknown-linux-gnu` and
//! `aarch64-unknown-linux-gnu`, as a [`Backend`] of the shared compile
//! driver (`hydra_lower::codegen`), and the compiled code as an ELF
//! relocatable object (`object` crate) for disassemblers.
//!
//! Compiled code reaches the runtime only through the VM context and its
//! entry-point table, so it needs no relocation: a function that would
//! need one is refused. The engines run native packages
//! (`hydra-driver`), not objects.

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::Function;
use cranelift_codegen::isa::{self, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use hydra_lower::codegen::{Backend, CompiledFunction, CompiledPackage};
use hydra_lower::Target;
use object::write::{Object, StandardSection, Symbol, SymbolSection};
use object::{Architecture, BinaryFormat, Endianness, SymbolFlags, SymbolKind, SymbolScope};

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("unsupported target {0}: the host backend builds x86_64 and aarch64 code")]
    UnsupportedTarget(String),
    #[error("method {method}: code generation failed: {what}")]
    Codegen { method: String, what: String },
    #[error(
        "method {method}: compiled code needs a relocation ({what}); the runtime ABI allows none"
    )]
    Relocation { method: String, what: String },
    #[error("object file: {0}")]
    Object(String),
}

/// Whether the host backend builds code for `triple` (x86_64, aarch64).
pub fn supports(triple: &str) -> bool {
    triple.parse::<target_lexicon::Triple>().is_ok_and(|t| {
        matches!(
            t.architecture,
            target_lexicon::Architecture::X86_64 | target_lexicon::Architecture::Aarch64(_)
        )
    })
}

/// An instruction set the host backend builds for.
pub fn isa_for(triple: &str) -> Result<OwnedTargetIsa, BackendError> {
    if !supports(triple) {
        return Err(BackendError::UnsupportedTarget(triple.to_string()));
    }
    let t: target_lexicon::Triple = triple
        .parse()
        .map_err(|_| BackendError::UnsupportedTarget(triple.to_string()))?;
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

/// The host backend for one ISA: cranelift-codegen.
pub struct HostBackend {
    triple: String,
    isa: OwnedTargetIsa,
}

impl HostBackend {
    pub fn new(triple: &str) -> Result<HostBackend, BackendError> {
        Ok(HostBackend {
            triple: triple.to_string(),
            isa: isa_for(triple)?,
        })
    }
}

impl Backend for HostBackend {
    type Error = BackendError;

    fn triple(&self) -> &str {
        &self.triple
    }

    fn target(&self) -> Target {
        target_of(&*self.isa)
    }

    fn compile_function(
        &self,
        func: &Function,
        label: &str,
        keep_text: bool,
    ) -> Result<CompiledFunction, BackendError> {
        let mut ctx = Context::for_function(func.clone());
        ctx.set_disasm(keep_text);
        let compiled = ctx
            .compile(&*self.isa, &mut ControlPlane::default())
            .map_err(|e| BackendError::Codegen {
                method: label.to_string(),
                what: format!("{:?}", e.inner),
            })?;
        if let Some(r) = compiled.buffer.relocs().first() {
            return Err(BackendError::Relocation {
                method: label.to_string(),
                what: format!("{:?}", r.kind),
            });
        }
        Ok(CompiledFunction {
            listing: compiled.vcode.clone(),
            code: compiled.code_buffer().to_vec(),
            data_ranges: Vec::new(),
        })
    }
}

/// The compiled code as an ELF relocatable object.
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
