//! The host's code source for the one compiled-code engine
//! ([`crate::engine`]): loads native packages (ELF objects from
//! `hydra-backend-host`) and maps their code executable.
//!
//! The `unsafe` here is the mapping and nothing more.

use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use hydra_runtime::card::Card;
use hydra_runtime::engine::Engine;
use hydra_runtime::nvm::Nvm;
use object::{Object, ObjectSection, ObjectSymbol};

use crate::abi;
use crate::engine::{CodeSource, CompiledEngine, Methods};

/// Why a native package could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError(pub String);

impl core::fmt::Display for LoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "native package: {}", self.0)
    }
}

impl std::error::Error for LoadError {}

/// Code mapped executable (read + execute, never writable and executable
/// at once).
struct ExecMemory {
    ptr: *mut u8,
    len: usize,
}

impl ExecMemory {
    fn new(code: &[u8]) -> Result<ExecMemory, LoadError> {
        let len = code.len().max(1).next_multiple_of(4096);
        // SAFETY: an anonymous private mapping; no existing memory is touched.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(LoadError("cannot map memory for code".into()));
        }
        let ptr = p.cast::<u8>();
        // SAFETY: the mapping is `len >= code.len()` bytes, writable, and
        // does not overlap `code`.
        unsafe { core::ptr::copy_nonoverlapping(code.as_ptr(), ptr, code.len()) };
        // SAFETY: the range is the mapping made above.
        if unsafe { libc::mprotect(p, len, libc::PROT_READ | libc::PROT_EXEC) } != 0 {
            // SAFETY: unmapping what was mapped above.
            unsafe { libc::munmap(p, len) };
            return Err(LoadError("cannot make code executable".into()));
        }
        Ok(ExecMemory { ptr, len })
    }
}

impl Drop for ExecMemory {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `new` and no code runs from it
        // any more (images outlive every engine that calls into them).
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

/// A loaded native package: its code mapped, its methods by the offset of
/// their first bytecode.
pub struct NativeImage {
    pub aid: Vec<u8>,
    /// The mapping `methods` points into: kept as long as the image.
    _mapping: ExecMemory,
    /// The methods, their entries absolute in `mem`.
    methods: Rc<Methods>,
    pub code_size: usize,
}

impl NativeImage {
    /// Loads an object written by `hydra-backend-host`.
    pub fn load(bytes: &[u8]) -> Result<NativeImage, LoadError> {
        let f = object::File::parse(bytes).map_err(|e| LoadError(e.to_string()))?;
        let host_ok = match f.architecture() {
            object::Architecture::X86_64 => cfg!(target_arch = "x86_64"),
            object::Architecture::Aarch64 => cfg!(target_arch = "aarch64"),
            _ => false,
        };
        if !host_ok {
            return Err(LoadError(alloc::format!(
                "code for {:?} cannot run on this host",
                f.architecture()
            )));
        }
        let text = f
            .section_by_name(".text")
            .ok_or_else(|| LoadError("no .text section".into()))?;
        if text.relocations().next().is_some() {
            return Err(LoadError(
                "relocations in .text (the ABI allows none)".into(),
            ));
        }
        let code = text.data().map_err(|e| LoadError(e.to_string()))?;
        let manifest = f
            .section_by_name(".hydra")
            .ok_or_else(|| LoadError("no .hydra section (package AID)".into()))?
            .data()
            .map_err(|e| LoadError(e.to_string()))?;
        let m = abi::Manifest::parse(manifest)
            .ok_or_else(|| LoadError("malformed .hydra section".into()))?;
        let aid = m.aid;
        let mut offsets = BTreeMap::new();
        for s in f.symbols() {
            let Ok(name) = s.name() else { continue };
            if let Some(off) = abi::parse_method_symbol(name) {
                let at = s.address() as usize;
                if at >= code.len() {
                    return Err(LoadError(alloc::format!("symbol {name} outside .text")));
                }
                let ret = m
                    .returns
                    .iter()
                    .find(|r| r.0 == off)
                    .map(|r| r.1)
                    .ok_or_else(|| LoadError(alloc::format!("{name} missing from .hydra")))?;
                offsets.insert(off, (at, ret));
            }
        }
        let mem = ExecMemory::new(code)?;
        let mut methods = Methods::new();
        for (off, (at, ret)) in offsets {
            // The address of `at` in the executable mapping (checked above
            // to be inside the code).
            methods.insert(off, mem.ptr as usize + at, ret);
        }
        Ok(NativeImage {
            aid,
            _mapping: mem,
            code_size: code.len(),
            methods: Rc::new(methods),
        })
    }

    /// Number of compiled methods.
    pub fn methods(&self) -> usize {
        self.methods.len()
    }
}

/// Native packages ready to be bound to cards.
#[derive(Clone, Default)]
pub struct NativeCode {
    images: Vec<Rc<NativeImage>>,
}

impl NativeCode {
    pub fn new() -> NativeCode {
        NativeCode::default()
    }

    pub fn add(&mut self, image: NativeImage) {
        self.images.retain(|i| i.aid != image.aid);
        self.images.push(Rc::new(image));
    }

    pub fn images(&self) -> impl Iterator<Item = &NativeImage> {
        self.images.iter().map(|i| &**i)
    }

    /// An engine for one card (bindings are per card: method ids and link
    /// tables come from its linker).
    pub fn engine<N: Nvm + 'static>(&self) -> Rc<dyn Engine<N>> {
        Rc::new(CompiledEngine::<N, NativeCode>::new(self.clone()))
    }
}

/// The host finds a package's code by its AID. Its addresses are 64-bit:
/// no direct calls, every call through `invoke`.
impl<N: Nvm> CodeSource<N> for NativeCode {
    fn methods(&self, card: &Card<N>, pkg: u16) -> Option<Rc<Methods>> {
        let p = card.packages.get(usize::from(pkg))?;
        let image = self.images.iter().find(|i| i.aid == p.aid)?;
        Some(image.methods.clone())
    }

    fn direct_calls(&self) -> bool {
        false
    }
}
