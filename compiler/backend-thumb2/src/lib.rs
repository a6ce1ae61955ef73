//! The Thumb-2 backend for `thumbv7m-none-eabi` (Cortex-M3): Cranelift has
//! no 32-bit Arm backend, so this crate lowers the optimised CLIF that
//! `hydra-lower` produces (pointer type i32) to Thumb-2 itself, in the shape
//! of a Cranelift ISA backend (`isa/thumb2/{mod,abi,settings,lower}`,
//! `isa/thumb2/inst/{args,imms,regs,emit,emit_tests}`), with regalloc2 for
//! registers, and writes the native package as an ELF relocatable object
//! for ARM (`object` crate).
//!
//! The object has the layout of the host backend's (`hydra-backend-host`):
//! one `.text` with every method, one global function symbol per method
//! named by the offset of its first bytecode (`hydra_abi::method_symbol`,
//! Thumb bit set), and the `.hydra` manifest; plus ARM mapping symbols
//! (`$t`, `$d` for literal pools) and `.hydra.entries`, a table with the
//! address of each method in manifest order, as `R_ARM_ABS32` relocations
//! that the loader resolves.

use std::time::{Duration, Instant};

use cranelift_codegen::ir::types::I32;
use cranelift_codegen::isa::CallConv;
use hydra_cap::CapFile;
use hydra_lower::{LowerError, Target};
use hydra_verify::Verified;
use object::write::{Object, Relocation, StandardSection, Symbol, SymbolSection};
use object::{
    elf, Architecture, BinaryFormat, Endianness, RelocationFlags, SymbolFlags, SymbolKind,
    SymbolScope,
};

pub mod isa;

pub use isa::thumb2::settings::Flags;

/// Section of the object with the manifest (as in the host backend).
pub const PACKAGE_SECTION: &str = ".hydra";
/// Section with one `R_ARM_ABS32`-relocated word per method, in the
/// manifest's order: the method's address with the Thumb bit.
pub const ENTRIES_SECTION: &str = ".hydra.entries";

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
    Lower(#[from] LowerError),
    #[error("method {method}: mid-end: {what}")]
    MidEnd { method: String, what: String },
    #[error("method {method}: {err}")]
    Codegen { method: String, err: CodegenError },
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

/// One compiled method.
#[derive(Debug, Clone)]
pub struct CompiledMethod {
    pub offset: u16,
    pub code_offset: u16,
    pub label: String,
    pub ret_words: u8,
    pub code: Vec<u8>,
    pub data_ranges: Vec<(u32, u32)>,
    pub clif_before: usize,
    pub clif_after: usize,
    /// The optimised CLIF (with `keep_text`).
    pub clif: Option<String>,
    /// The listing (with `keep_text`).
    pub asm: Option<String>,
}

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
    pub fn code_size(&self) -> usize {
        self.methods.iter().map(|m| m.code.len()).sum()
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

/// Lowers, optimises and compiles every method of a verified package.
pub fn compile_package(
    cap: &CapFile,
    verified: &Verified,
    triple: &str,
    keep_text: bool,
) -> Result<CompiledPackage, BackendError> {
    let mut flags =
        Flags::for_triple(triple).ok_or_else(|| BackendError::UnsupportedTarget(triple.into()))?;
    flags.check_regalloc = cfg!(debug_assertions);
    compile_package_with(cap, verified, triple, &flags, keep_text)
}

/// [`compile_package`] with explicit flags.
pub fn compile_package_with(
    cap: &CapFile,
    verified: &Verified,
    triple: &str,
    flags: &Flags,
    keep_text: bool,
) -> Result<CompiledPackage, BackendError> {
    let t0 = Instant::now();
    let mid = hydra_lower::flags();
    let lowered = hydra_lower::lower_package(cap, verified, &target())?;
    let mut methods = Vec::new();
    let mut bytecode_size = 0;
    for m in lowered {
        let (func, stats) =
            hydra_lower::optimize(m.func, &mid).map_err(|what| BackendError::MidEnd {
                method: m.label.clone(),
                what,
            })?;
        let compiled =
            compile_function(&func, &m.label, flags).map_err(|err| BackendError::Codegen {
                method: m.label.clone(),
                err,
            })?;
        let info = cap
            .method
            .methods
            .iter()
            .find(|i| i.offset == m.offset)
            .expect("lowered from this CAP");
        bytecode_size += info.bytecode.len();
        let u = &verified.universe;
        let ret_words = u
            .method_at(m.offset)
            .map_or(0, |id| u.method(id).sig.ret.words() as u8);
        methods.push(CompiledMethod {
            offset: m.offset,
            code_offset: info.code_offset(),
            ret_words,
            clif: keep_text.then(|| func.display().to_string()),
            asm: keep_text.then(|| listing_text(&compiled.listing)),
            label: m.label,
            code: compiled.code,
            data_ranges: compiled.data_ranges,
            clif_before: stats.insts_before,
            clif_after: stats.insts_after,
        });
    }
    Ok(CompiledPackage {
        triple: triple.to_string(),
        aid: cap.header.package.aid.as_bytes().to_vec(),
        methods,
        compile_time: t0.elapsed(),
        bytecode_size,
    })
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

/// The native package as an ELF relocatable object for ARM.
pub fn emit_object(p: &CompiledPackage) -> Result<Vec<u8>, BackendError> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::Arm, Endianness::Little);
    obj.flags = object::write::FileFlags::Elf {
        os_abi: elf::ELFOSABI_NONE,
        abi_version: 0,
        e_flags: elf::EF_ARM_EABI_VER5,
    };
    let text = obj.section_id(StandardSection::Text);
    let mut syms = Vec::new();
    for m in &p.methods {
        let at = obj.append_section_data(text, &m.code, 4);
        local_symbol(&mut obj, "$t", text, at);
        for &(s, e) in &m.data_ranges {
            local_symbol(&mut obj, "$d", text, at + u64::from(s));
            if (e as usize) < m.code.len() {
                local_symbol(&mut obj, "$t", text, at + u64::from(e));
            }
        }
        let sym = obj.add_symbol(Symbol {
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
        syms.push(sym);
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
    let entries = obj.add_section(
        Vec::new(),
        ENTRIES_SECTION.as_bytes().to_vec(),
        object::SectionKind::ReadOnlyData,
    );
    let table = vec![0u8; 4 * syms.len()];
    obj.append_section_data(entries, &table, 4);
    for (i, sym) in syms.into_iter().enumerate() {
        obj.add_relocation(
            entries,
            Relocation {
                offset: 4 * i as u64,
                symbol: sym,
                addend: 0,
                flags: RelocationFlags::Elf {
                    r_type: elf::R_ARM_ABS32,
                },
            },
        )
        .map_err(|e| BackendError::Object(e.to_string()))?;
    }
    obj.write().map_err(|e| BackendError::Object(e.to_string()))
}

/// The native package (`hydra-package`): the code of every method, each
/// at a 4-byte boundary as in the object, its method entries, the manifest,
/// and `cap`'s load file (without its Debug component) for a card that
/// runs the package interpreted.
pub fn emit_package(p: &CompiledPackage, cap: &CapFile) -> Result<Vec<u8>, BackendError> {
    use hydra_package::manifest::{Import, Manifest};
    let target = hydra_package::Target::from_triple(&p.triple)
        .ok_or_else(|| BackendError::UnsupportedTarget(p.triple.clone()))?;
    let mut code = Vec::new();
    let mut entries = Vec::new();
    for m in &p.methods {
        code.resize(code.len().next_multiple_of(4), 0);
        entries.push(hydra_package::MethodEntry {
            method: m.code_offset,
            kind: hydra_package::EntryKind::ThumbFunction,
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
        .map_err(|e| BackendError::Object(e.to_string()))?;
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
