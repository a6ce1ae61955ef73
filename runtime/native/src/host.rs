//! The host's code source for the one compiled-code engine
//! ([`crate::engine`]): loads native packages (`hydra-package`, compiled
//! for this host's ISA by `hydra-driver`) and maps their code executable.
//!
//! The `unsafe` here is the mapping and nothing more.

use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use hydra_runtime::card::Card;
use hydra_runtime::engine::Engine;
use hydra_runtime::nvm::Nvm;

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
    /// The host's own target.
    pub fn host_target() -> Option<hydra_package::Target> {
        if cfg!(all(target_arch = "x86_64", target_os = "linux")) {
            Some(hydra_package::Target::X86_64Linux)
        } else if cfg!(all(target_arch = "aarch64", target_os = "linux")) {
            Some(hydra_package::Target::Aarch64Linux)
        } else {
            None
        }
    }

    /// Loads a native package (`hydra-package`) compiled for this host and
    /// this runtime ABI, and maps its code.
    pub fn load(bytes: &[u8]) -> Result<NativeImage, LoadError> {
        let p = hydra_package::Package::parse(bytes).map_err(|e| LoadError(e.to_string()))?;
        if Some(p.target) != Self::host_target() {
            return Err(LoadError(alloc::format!(
                "code for {} cannot run on this host",
                p.target.triple()
            )));
        }
        if p.abi != abi::ABI_VERSION {
            return Err(LoadError(alloc::format!(
                "compiled for runtime ABI {}, this engine runs ABI {}",
                p.abi,
                abi::ABI_VERSION
            )));
        }
        let mem = ExecMemory::new(p.code)?;
        // The package's reader checked every entry to lie inside the code.
        let methods = Methods::of_package(&p, mem.ptr as usize);
        Ok(NativeImage {
            aid: p.aid.to_vec(),
            _mapping: mem,
            code_size: p.code.len(),
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
