//! The Thumb-2 backend for `thumbv7m-none-eabi` (Cortex-M3): Cranelift has
//! no 32-bit Arm backend, so this crate lowers the optimised CLIF that
//! `hydra-lower` produces (pointer type i32) to Thumb-2 itself, in the shape
//! of a Cranelift ISA backend (`isa/thumb2/{mod,abi,settings,lower}`,
//! `isa/thumb2/inst/{args,imms,regs,emit,emit_tests}`), with regalloc2 for
//! registers, as a [`Backend`] of the shared compile driver
//! (`hydra_lower::codegen`). The native package the card loads is
//! `hydra-driver`'s; this crate also writes the code as an ELF relocatable
//! object for ARM (`object` crate) for disassemblers: one `.text` with
//! every method, one global function symbol per method named by the offset
//! of its first bytecode (`hydra_abi::method_symbol`, Thumb bit set), and
//! ARM mapping symbols (`$t`, `$d` for literal pools).

use cranelift_codegen::ir::types::I32;
use cranelift_codegen::ir::Function;
use cranelift_codegen::isa::CallConv;
use hydra_cap::CapFile;
use hydra_lower::codegen::{
    self, Backend, CompileError, CompiledFunction, CompiledPackage, Options,
};
use hydra_lower::Target;
use hydra_verify::Verified;
use object::write::{Object, StandardSection, Symbol, SymbolSection};
use object::{elf, Architecture, BinaryFormat, Endianness, SymbolFlags, SymbolKind, SymbolScope};

pub mod isa;

pub use isa::thumb2::settings::Flags;

/// Why a function could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodegenError {
    /// Input this backend does not translate.
    #[error("{func}: {what} is not supported by the Thumb-2 backend{}", if inst.is_empty() { String::new() } else { format!(" (`{inst}`)") })]
    Unsupported {
        func: String,
        inst: String,
        what: String,
    },
    /// regalloc2 refused the code: a bug of the lowering.
    #[error("{func}: register allocation failed: {what}")]
    Regalloc { func: String, what: String },
    /// A broken invariant of this backend.
    #[error("internal error in the Thumb-2 backend: {0}")]
    Bug(String),
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("unsupported target {0}: the Thumb-2 backend builds thumbv7m-none-eabi and thumbv7em-none-eabi")]
    UnsupportedTarget(String),
    #[error("{0}")]
    Compile(#[from] Box<CompileError>),
    #[error("object file: {0}")]
    Object(String),
}

/// The lowering's view of this target: 32-bit pointers.
pub fn target() -> Target {
    Target {
        pointer: I32,
        call_conv: CallConv::SystemV,
    }
}

/// The listing of one function's code.
pub fn listing_text(listing: &[(Option<u32>, String)]) -> String {
    let mut s = String::new();
    for (at, text) in listing {
        match at {
            Some(a) => s.push_str(&format!("  {a:4x}:  {text}\n")),
            None => s.push_str(&format!("{text}\n")),
        }
    }
    s
}

/// Compiles one optimised CLIF function.
pub fn compile_function(
    func: &cranelift_codegen::ir::Function,
    name: &str,
    flags: &Flags,
) -> Result<isa::thumb2::CompiledCode, CodegenError> {
    isa::thumb2::compile_function(func, name, flags)
}

/// The Thumb-2 backend for one triple, as a [`Backend`] of the shared
/// compile driver.
pub struct Thumb2Backend {
    triple: String,
    flags: Flags,
}

impl Thumb2Backend {
    /// The backend with the triple's flags (regalloc2's checker on in
    /// debug builds).
    pub fn new(triple: &str) -> Result<Thumb2Backend, BackendError> {
        let mut flags = Flags::for_triple(triple)
            .ok_or_else(|| BackendError::UnsupportedTarget(triple.into()))?;
        flags.check_regalloc = cfg!(debug_assertions);
        Ok(Thumb2Backend::with_flags(triple, flags))
    }

    pub fn with_flags(triple: &str, flags: Flags) -> Thumb2Backend {
        Thumb2Backend {
            triple: triple.to_string(),
            flags,
        }
    }
}

impl Backend for Thumb2Backend {
    type Error = CodegenError;

    fn triple(&self) -> &str {
        &self.triple
    }

    fn target(&self) -> Target {
        target()
    }

    fn compile_function(
        &self,
        func: &Function,
        label: &str,
        keep_text: bool,
    ) -> Result<CompiledFunction, CodegenError> {
        let c = compile_function(func, label, &self.flags)?;
        Ok(CompiledFunction {
            listing: keep_text.then(|| listing_text(&c.listing)),
            code: c.code,
            data_ranges: c.data_ranges,
        })
    }
}

/// Lowers, optimises and compiles every method of a verified package.
pub fn compile_package(
    cap: &CapFile,
    verified: &Verified,
    triple: &str,
    keep_text: bool,
) -> Result<CompiledPackage, BackendError> {
    let backend = Thumb2Backend::new(triple)?;
    compile_package_with(cap, verified, &backend, keep_text)
}

/// [`compile_package`] with a backend of explicit flags.
pub fn compile_package_with(
    cap: &CapFile,
    verified: &Verified,
    backend: &Thumb2Backend,
    keep_text: bool,
) -> Result<CompiledPackage, BackendError> {
    let options = Options {
        keep_text,
        checks: true,
    };
    codegen::compile_package(cap, verified, backend, options).map_err(|e| Box::new(e).into())
}

fn local_symbol(obj: &mut Object, name: &str, section: object::write::SectionId, at: u64) {
    obj.add_symbol(Symbol {
        name: name.as_bytes().to_vec(),
        value: at,
        size: 0,
        kind: SymbolKind::Label,
        scope: SymbolScope::Compilation,
        weak: false,
        section: SymbolSection::Section(section),
        flags: SymbolFlags::None,
    });
}

/// The compiled code as an ELF relocatable object for ARM.
pub fn emit_object(p: &CompiledPackage) -> Result<Vec<u8>, BackendError> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::Arm, Endianness::Little);
    obj.flags = object::write::FileFlags::Elf {
        os_abi: elf::ELFOSABI_NONE,
        abi_version: 0,
        e_flags: elf::EF_ARM_EABI_VER5,
    };
    let text = obj.section_id(StandardSection::Text);
    for m in &p.methods {
        let at = obj.append_section_data(text, &m.code, 4);
        local_symbol(&mut obj, "$t", text, at);
        for &(s, e) in &m.data_ranges {
            local_symbol(&mut obj, "$d", text, at + u64::from(s));
            if (e as usize) < m.code.len() {
                local_symbol(&mut obj, "$t", text, at + u64::from(e));
            }
        }
        obj.add_symbol(Symbol {
            name: hydra_abi::method_symbol(m.code_offset).into_bytes(),
            // Thumb functions have bit 0 set.
            value: at | 1,
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
