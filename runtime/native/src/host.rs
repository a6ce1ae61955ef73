//! The host engine: loads native packages (ELF objects from
//! `hydra-backend-host`), maps their code executable, and runs compiled
//! methods against the card's heap, firewall and API through the
//! [`hydra_runtime::engine::Engine`] hook.
//!
//! The `unsafe` here is what the runtime ABI needs and nothing more:
//! mapping code executable, calling it, and the entry points turning the
//! context pointer compiled code hands back into the card.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;

use hydra_runtime::card::{Card, Frame};
use hydra_runtime::class::{MethodId, MethodKind};
use hydra_runtime::engine::Engine;
use hydra_runtime::heap::Obj;
use hydra_runtime::interp::{Exc, Ret};
use hydra_runtime::nvm::Nvm;
use object::{Object, ObjectSection, ObjectSymbol};

use crate::abi::{self, Entry, VmLayout, ENTRY_COUNT};
use crate::ops;

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
    mem: ExecMemory,
    /// Code offset -> (text offset, result words).
    methods: BTreeMap<u16, (usize, u8)>,
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
        let mut methods = BTreeMap::new();
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
                methods.insert(off, (at, ret));
            }
        }
        Ok(NativeImage {
            aid,
            mem: ExecMemory::new(code)?,
            code_size: code.len(),
            methods,
        })
    }

    fn entry(&self, code_offset: u16) -> Option<(MethodFn, u8)> {
        let (at, ret) = *self.methods.get(&code_offset)?;
        // SAFETY: `at` is inside the executable mapping (checked at load),
        // the start of a function compiled with the ABI's method signature.
        let f = unsafe { core::mem::transmute::<*const u8, MethodFn>(self.mem.ptr.add(at)) };
        Some((f, ret))
    }

    /// Number of compiled methods.
    pub fn methods(&self) -> usize {
        self.methods.len()
    }
}

type MethodFn = unsafe extern "C" fn(*mut Vm, *const u32, *const i16) -> i32;

/// The VM context of one compiled activation. The first fields are the
/// ABI's (`abi::VmLayout`); the rest is the engine's.
#[repr(C)]
pub struct Vm {
    entry: *const [usize; ENTRY_COUNT],
    objs: *const Obj,
    ram_objs: *const Obj,
    nvm: *const u8,
    ram: *mut u8,
    nobjs: u32,
    nram_objs: u32,
    ctx: u32,
    pending: u32,
    /// Budget of direct compiled-to-compiled calls: 0, the host engine
    /// leaves every call to the `invoke` entry point (its link tables hold
    /// no code addresses).
    frames_left: u32,
    words_left: u32,
    ticks_left: u32,
    apdu_buffer: u32,
    selecting: u32,
    txn_depth: u32,
    pending_ref: u32,
    api_classes: u32,
    // ---- engine-only ----
    card: *mut (),
    exc: Option<Exc>,
    /// `ticks_left` when last filled from the card's budget.
    ticks_given: u32,
}

const _: () = {
    let l = VmLayout::new(core::mem::size_of::<usize>() as u32);
    assert!(core::mem::offset_of!(Vm, entry) == l.entry() as usize);
    assert!(core::mem::offset_of!(Vm, objs) == l.objs() as usize);
    assert!(core::mem::offset_of!(Vm, ram_objs) == l.ram_objs() as usize);
    assert!(core::mem::offset_of!(Vm, nvm) == l.nvm() as usize);
    assert!(core::mem::offset_of!(Vm, ram) == l.ram() as usize);
    assert!(core::mem::offset_of!(Vm, nobjs) == l.nobjs() as usize);
    assert!(core::mem::offset_of!(Vm, nram_objs) == l.nram_objs() as usize);
    assert!(core::mem::offset_of!(Vm, ctx) == l.ctx() as usize);
    assert!(core::mem::offset_of!(Vm, pending) == l.pending() as usize);
    assert!(core::mem::offset_of!(Vm, frames_left) == l.frames_left() as usize);
    assert!(core::mem::offset_of!(Vm, words_left) == l.words_left() as usize);
    assert!(core::mem::offset_of!(Vm, ticks_left) == l.ticks_left() as usize);
    assert!(core::mem::offset_of!(Vm, apdu_buffer) == l.apdu_buffer() as usize);
    assert!(core::mem::offset_of!(Vm, selecting) == l.selecting() as usize);
    assert!(core::mem::offset_of!(Vm, txn_depth) == l.txn_depth() as usize);
    assert!(core::mem::offset_of!(Vm, pending_ref) == l.pending_ref() as usize);
    assert!(core::mem::offset_of!(Vm, api_classes) == l.api_classes() as usize);
    assert!(core::mem::offset_of!(Vm, card) >= l.size() as usize);
    assert!(core::mem::size_of::<Obj>() == abi::obj::SIZE as usize);
    assert!(core::mem::offset_of!(Obj, kind) == abi::obj::KIND as usize);
    assert!(core::mem::offset_of!(Obj, flags) == abi::obj::FLAGS as usize);
    assert!(core::mem::offset_of!(Obj, owner) == abi::obj::OWNER as usize);
    assert!(core::mem::offset_of!(Obj, class) == abi::obj::CLASS as usize);
    assert!(core::mem::offset_of!(Obj, len) == abi::obj::LEN as usize);
    assert!(core::mem::offset_of!(Obj, data) == abi::obj::DATA as usize);
};

impl Vm {
    /// Copies the card's current pointers and context into the context.
    fn refresh<N: Nvm>(&mut self, card: &mut Card<N>) {
        self.objs = card.store.objs.as_ptr();
        self.nobjs = card.store.objs.len() as u32;
        self.ram_objs = card.store.ram_objs.as_ptr();
        self.nram_objs = card.store.ram_objs.len() as u32;
        self.nvm = card.store.nvm.bytes().as_ptr();
        self.ram = card.store.ram.as_mut_ptr();
        self.ctx = u32::from(card.ctx);
        self.txn_depth = u32::from(card.store.log.in_txn());
    }

    /// Gives compiled code what is left of the card's budget.
    fn fill_ticks<N: Nvm>(&mut self, card: &Card<N>) {
        self.ticks_left = ops::ticks_available(card);
        self.ticks_given = self.ticks_left;
    }

    fn set<N: Nvm, T: Default>(&mut self, card: &mut Card<N>, r: Result<T, Exc>) -> T {
        self.refresh(card);
        self.note(r)
    }

    /// The value of an entry point's result, or its exception noted as
    /// pending (compiled code tests `pending` after the call).
    fn note<T: Default>(&mut self, r: Result<T, Exc>) -> T {
        r.unwrap_or_else(|e| {
            self.pending_ref = match e {
                Exc::Throw(r) => u32::from(r),
                _ => 0,
            };
            self.exc = Some(e);
            self.pending = 1;
            T::default()
        })
    }
}

/// Runs an entry point body with the card behind `vm`.
///
/// # Safety
/// `vm` MUST be the context [`HostEngine::run`] passed to compiled code for
/// a `Card<N>`, still live (compiled code only calls entry points while
/// that call is in progress).
unsafe fn with<N: Nvm, T: Default>(
    vm: *mut Vm,
    f: impl FnOnce(&mut Card<N>) -> Result<T, Exc>,
) -> T {
    // SAFETY: per the contract above, `vm` is live and its `card` is the
    // `&mut Card<N>` that `run` gave up for the duration of the call.
    let vm = unsafe { &mut *vm };
    // SAFETY: as above; no other reference to the card is in use while
    // compiled code runs.
    let card = unsafe { &mut *vm.card.cast::<Card<N>>() };
    let r = f(card);
    vm.set(card, r)
}

/// [`with`] for an entry point that allocates nothing, frees nothing and
/// keeps the context (`store_nvm`): the context's pointers stay as they
/// are, so only an exception is noted.
///
/// # Safety
/// As for [`with`].
unsafe fn with_unmoved<N: Nvm>(vm: *mut Vm, f: impl FnOnce(&mut Card<N>) -> Result<(), Exc>) {
    // SAFETY: as in `with`.
    let vm = unsafe { &mut *vm };
    // SAFETY: as in `with`.
    let card = unsafe { &mut *vm.card.cast::<Card<N>>() };
    let r = f(card);
    vm.note(r)
}

/// [`with`] for an entry point that runs other code (`invoke`): compiled
/// code wrote its budget back before the call and reads it after, so the
/// ticks it took are charged first and what is left is given back after.
///
/// # Safety
/// As for [`with`].
unsafe fn with_ticks<N: Nvm, T: Default>(
    vm: *mut Vm,
    f: impl FnOnce(&mut Card<N>) -> Result<T, Exc>,
) -> T {
    // SAFETY: as in `with`.
    let vm = unsafe { &mut *vm };
    // SAFETY: as in `with`.
    let card = unsafe { &mut *vm.card.cast::<Card<N>>() };
    ops::charge_ticks(card, vm.ticks_given, vm.ticks_left);
    let r = f(card);
    vm.fill_ticks(card);
    vm.set(card, r)
}

fn pkg_index(pkg: *const u32) -> u16 {
    // SAFETY: `pkg` is the link table the engine passed to the compiled
    // method, alive while it runs; word 0 is the package index.
    unsafe { *pkg as u16 }
}

unsafe extern "C" fn e_throw_vm<N: Nvm>(vm: *mut Vm, token: i32) {
    // SAFETY: called by compiled code with its context.
    unsafe { with::<N, ()>(vm, |c| Err(ops::throw_vm(c, token as u8))) }
}
unsafe extern "C" fn e_throw<N: Nvm>(vm: *mut Vm, r: i32) {
    // SAFETY: called by compiled code with its context.
    unsafe { with::<N, ()>(vm, |c| Err(ops::throw(c, r as u16))) }
}
unsafe extern "C" fn e_getfield<N: Nvm>(vm: *mut Vm, r: i32, cell: i32, k: i32) -> i32 {
    // SAFETY: called by compiled code with its context.
    unsafe { with::<N, _>(vm, |c| ops::getfield(c, r as u16, cell as u32, k)) }
}
unsafe extern "C" fn e_putfield<N: Nvm>(vm: *mut Vm, r: i32, cell: i32, k: i32, v: i32) {
    // SAFETY: called by compiled code with its context.
    unsafe { with::<N, _>(vm, |c| ops::putfield(c, r as u16, cell as u32, k, v)) }
}
unsafe extern "C" fn e_array_load<N: Nvm>(vm: *mut Vm, r: i32, i: i32, k: i32) -> i32 {
    // SAFETY: called by compiled code with its context.
    unsafe { with::<N, _>(vm, |c| ops::array_load(c, r as u16, i, k)) }
}
unsafe extern "C" fn e_array_store<N: Nvm>(vm: *mut Vm, r: i32, i: i32, k: i32, v: i32) {
    // SAFETY: called by compiled code with its context.
    unsafe { with::<N, _>(vm, |c| ops::array_store(c, r as u16, i, k, v)) }
}
unsafe extern "C" fn e_array_length<N: Nvm>(vm: *mut Vm, r: i32) -> i32 {
    // SAFETY: called by compiled code with its context.
    unsafe { with::<N, _>(vm, |c| ops::array_length(c, r as u16)) }
}
unsafe extern "C" fn e_putstatic<N: Nvm>(vm: *mut Vm, addr: i32, k: i32, v: i32) {
    // SAFETY: called by compiled code with its context.
    unsafe { with::<N, _>(vm, |c| ops::putstatic(c, addr as u32, k, v)) }
}
unsafe extern "C" fn e_store_nvm<N: Nvm>(vm: *mut Vm, addr: i32, n: i32, v: i32) {
    // SAFETY: called by compiled code with its context.
    unsafe { with_unmoved::<N>(vm, |c| ops::store_nvm(c, addr as u32, n, v)) }
}
unsafe extern "C" fn e_invoke<N: Nvm>(
    vm: *mut Vm,
    pkg: *const u32,
    op: i32,
    index: i32,
    args: *const i16,
    nargs: i32,
) -> i32 {
    let p = pkg_index(pkg);
    // SAFETY: compiled code passes its outgoing-argument slot holding
    // `nargs` words.
    let a = unsafe { core::slice::from_raw_parts(args, nargs as usize) };
    // The call resolved first: a native that only reads the card's state
    // runs nothing and changes no heap, so neither the budget nor the
    // context's pointers need a visit.
    // SAFETY: called by compiled code with its context, which is live; the
    // card is the one `run` gave up for the call.
    let card = unsafe { &mut *(*vm).card.cast::<Card<N>>() };
    let resolved = match ops::resolve(card, p, op, index, a) {
        Ok(ops::Resolved::Quick(v)) => return v,
        r => r,
    };
    // SAFETY: called by compiled code with its context.
    unsafe {
        with_ticks::<N, _>(vm, |c| match resolved? {
            ops::Resolved::Method(m, new_ctx) => ops::invoke_method(c, op, m, new_ctx, a),
            ops::Resolved::Quick(v) => Ok(v),
        })
    }
}
unsafe extern "C" fn e_new<N: Nvm>(vm: *mut Vm, pkg: *const u32, index: i32) -> i32 {
    let p = pkg_index(pkg);
    // SAFETY: called by compiled code with its context.
    unsafe { with::<N, _>(vm, |c| ops::new_object(c, p, index as u16)) }
}
unsafe extern "C" fn e_new_array<N: Nvm>(
    vm: *mut Vm,
    pkg: *const u32,
    atype: i32,
    index: i32,
    n: i32,
) -> i32 {
    let p = pkg_index(pkg);
    // SAFETY: called by compiled code with its context.
    unsafe { with::<N, _>(vm, |c| ops::new_array(c, p, atype, index as u16, n)) }
}
unsafe extern "C" fn e_type_check<N: Nvm>(
    vm: *mut Vm,
    pkg: *const u32,
    instanceof: i32,
    atype: i32,
    index: i32,
    r: i32,
) -> i32 {
    let p = pkg_index(pkg);
    // SAFETY: called by compiled code with its context.
    unsafe {
        with::<N, _>(vm, |c| {
            ops::type_check(c, p, instanceof != 0, atype, index as u16, r as u16)
        })
    }
}
unsafe extern "C" fn e_catch<N: Nvm>(vm: *mut Vm, pkg: *const u32, index: i32) -> i32 {
    let p = pkg_index(pkg);
    // SAFETY: called by compiled code with its context, which is live.
    let v = unsafe { &mut *vm };
    // SAFETY: as in `with`.
    let card = unsafe { &mut *v.card.cast::<Card<N>>() };
    let Some(exc) = v.exc.as_ref() else { return 0 };
    match ops::catches(card, p, index as u16, exc) {
        Some(r) => {
            v.exc = None;
            v.pending = 0;
            v.pending_ref = 0;
            i32::from(r)
        }
        None => 0,
    }
}

/// The entry-point table for cards on `N`, in `Entry` order.
fn entry_table<N: Nvm>() -> [usize; ENTRY_COUNT] {
    let t: [usize; ENTRY_COUNT] = [
        e_throw_vm::<N> as *const () as usize,
        e_throw::<N> as *const () as usize,
        e_getfield::<N> as *const () as usize,
        e_putfield::<N> as *const () as usize,
        e_array_load::<N> as *const () as usize,
        e_array_store::<N> as *const () as usize,
        e_array_length::<N> as *const () as usize,
        e_putstatic::<N> as *const () as usize,
        e_store_nvm::<N> as *const () as usize,
        e_invoke::<N> as *const () as usize,
        e_new::<N> as *const () as usize,
        e_new_array::<N> as *const () as usize,
        e_type_check::<N> as *const () as usize,
        e_catch::<N> as *const () as usize,
    ];
    debug_assert_eq!(Entry::ALL.len(), t.len());
    t
}

#[derive(Clone)]
enum Binding {
    Interpreted,
    Compiled {
        f: MethodFn,
        table: Rc<[u32]>,
        ret: u8,
    },
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
        Rc::new(HostEngine::<N> {
            code: self.clone(),
            entry: Box::new(entry_table::<N>()),
            bindings: RefCell::new(Vec::new()),
            tables: RefCell::new(BTreeMap::new()),
            _n: core::marker::PhantomData,
        })
    }
}

/// The [`Engine`] of one card.
pub struct HostEngine<N: Nvm> {
    code: NativeCode,
    entry: Box<[usize; ENTRY_COUNT]>,
    bindings: RefCell<Vec<Option<Binding>>>,
    tables: RefCell<BTreeMap<u16, Rc<[u32]>>>,
    _n: core::marker::PhantomData<fn(N)>,
}

impl<N: Nvm> HostEngine<N> {
    fn bind(&self, card: &Card<N>, m: MethodId) -> Binding {
        let Some(meth) = card.methods.get(usize::from(m)) else {
            return Binding::Interpreted;
        };
        if meth.kind != MethodKind::Bytecode {
            return Binding::Interpreted;
        }
        let Some(pkg) = card.packages.get(usize::from(meth.pkg)) else {
            return Binding::Interpreted;
        };
        let Some(image) = self.code.images.iter().find(|i| i.aid == pkg.aid) else {
            return Binding::Interpreted;
        };
        let Ok(off) = u16::try_from(meth.code) else {
            return Binding::Interpreted;
        };
        let Some((f, ret)) = image.entry(off) else {
            return Binding::Interpreted;
        };
        let table = self
            .tables
            .borrow_mut()
            .entry(meth.pkg)
            .or_insert_with(|| Rc::from(ops::link_table(card, meth.pkg)))
            .clone();
        Binding::Compiled { f, table, ret }
    }
}

impl<N: Nvm> Engine<N> for HostEngine<N> {
    fn relinked(&self) {
        self.bindings.borrow_mut().clear();
        self.tables.borrow_mut().clear();
    }

    fn run(&self, card: &mut Card<N>, m: MethodId, fp: usize) -> Option<Result<Ret, Exc>> {
        let binding = {
            let mut b = self.bindings.borrow_mut();
            let i = usize::from(m);
            if b.len() <= i {
                b.resize(i + 1, None);
            }
            match &b[i] {
                Some(x) => x.clone(),
                None => {
                    let x = self.bind(card, m);
                    b[i] = Some(x.clone());
                    x
                }
            }
        };
        let Binding::Compiled { f, table, ret } = binding else {
            return None;
        };
        let meth = &card.methods[usize::from(m)];
        let nargs = usize::from(meth.nargs);
        let sb = fp + nargs + usize::from(meth.max_locals);
        let top = sb + usize::from(meth.max_stack);
        // The interpreter's limits, so both engines overflow alike.
        if card.frames.len() >= card.config.max_frames || top > card.stack.len() {
            return Some(Err(card.so()));
        }
        card.frames.push(Frame {
            method: m,
            pc: 0,
            fp: fp as u32,
            sb: sb as u32,
            ctx: card.ctx,
        });
        let saved_ctx = card.ctx;
        let saved_top = card.sp_top;
        card.sp_top = top;
        let args = card.stack[fp..fp + nargs].as_ptr();
        let mut vm = Vm {
            entry: &*self.entry,
            objs: core::ptr::null(),
            ram_objs: core::ptr::null(),
            nvm: core::ptr::null(),
            ram: core::ptr::null_mut(),
            nobjs: 0,
            nram_objs: 0,
            ctx: 0,
            pending: 0,
            frames_left: 0,
            words_left: 0,
            ticks_left: 0,
            apdu_buffer: u32::from(card.jcre.buffer),
            selecting: u32::from(card.selecting),
            txn_depth: 0,
            pending_ref: 0,
            // No dispatch rows here: handlers ask the runtime.
            api_classes: 0,
            card: (card as *mut Card<N>).cast(),
            exc: None,
            ticks_given: 0,
        };
        vm.refresh(card);
        vm.fill_ticks(card);
        // SAFETY: `f` is compiled code with the ABI's method signature; `vm`
        // and `table` outlive the call; `args` points at `nargs` words of the
        // card's stack, which compiled code reads before calling anything.
        // While it runs, the card is reached only through `vm.card`.
        let r = unsafe { f(&mut vm, table.as_ptr(), args) };
        ops::charge_ticks(card, vm.ticks_given, vm.ticks_left);
        // A handler that caught inline cleared `pending` only.
        let exc = vm.exc.take().filter(|_| vm.pending != 0);
        card.frames.pop();
        card.ctx = saved_ctx;
        card.sp_top = saved_top;
        if let Some(e) = exc {
            return Some(Err(e));
        }
        let words = ret;
        let mut ret = Ret { words, w: [0; 2] };
        match words {
            1 => ret.w[0] = r as i16,
            2 => {
                ret.w[0] = (r >> 16) as i16;
                ret.w[1] = r as i16;
            }
            _ => {}
        }
        Some(Ok(ret))
    }
}
