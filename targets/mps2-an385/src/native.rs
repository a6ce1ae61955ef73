//! The firmware's native engine: compiled packages (Thumb-2 code from
//! `hydra-backend-thumb2`) run against the same heap, firewall and API as
//! the interpreter, through the runtime's engine hook
//! (`hydra_runtime::engine::Engine`) and the runtime ABI's entry points
//! (`hydra_native::abi`), whose bodies are `hydra_native::ops`, shared with
//! the host engine. Compiled and interpreted methods call each other
//! through `Card::invoke` in both directions.
//!
//! Native code executes in place from NVM: the card manager keeps a
//! native package it loaded for this engine's target and ABI as the
//! package's stored image (`Card::native_package`), and the engine makes
//! the method entries absolute against where the code lies in the NVM
//! mirror, in RAM. The code is position-independent: compiled code reaches
//! the runtime only through the VM context and its entry-point table, and
//! other methods through the link table the engine builds, so nothing in
//! NVM is patched.
//!
//! Trust: the card manager keeps native code only with a DAP signature
//! that the ISD verified (or from the board's factory image), since the
//! card cannot check machine code the way the verifier checks bytecode.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use hydra_native::abi::{self, Entry, VmLayout, ENTRY_COUNT};
use hydra_native::ops;
use hydra_runtime::card::{Card, Frame};
use hydra_runtime::class::{MethodId, MethodKind};
use hydra_runtime::engine::Engine;
use hydra_runtime::heap::Obj;
use hydra_runtime::interp::{Exc, Ret};
use hydra_runtime::nvm::Nvm;

/// A package's compiled methods, their entries made absolute.
#[derive(Debug, Clone)]
pub struct NativeImage {
    pub code: (u32, u32),
    /// By the code offset of the method's first bytecode: (entry address
    /// with the Thumb bit, result words).
    methods: BTreeMap<u16, (u32, u8)>,
}

impl NativeImage {
    /// The image of `p`, whose code lies at `code_addr`.
    pub fn new(p: &hydra_package::Package<'_>, code_addr: u32) -> NativeImage {
        NativeImage {
            code: (code_addr, p.code.len() as u32),
            methods: p
                .entries()
                .map(|e| (e.method, (e.address(code_addr), e.ret_words)))
                .collect(),
        }
    }

    pub fn methods(&self) -> usize {
        self.methods.len()
    }
}

type MethodFn = unsafe extern "C" fn(*mut Vm, *const u32, *const i16) -> i32;

/// The VM context of one compiled activation: the ABI's fields
/// (`abi::VmLayout`), then the engine's.
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
    frames_left: u32,
    words_left: u32,
    ticks_left: u32,
    apdu_buffer: u32,
    selecting: u32,
    txn_depth: u32,
    pending_ref: u32,
    api_classes: u32,
    card: *mut (),
    exc: Option<Exc>,
    /// `ticks_left` when last filled from the card's budget.
    ticks_given: u32,
    /// `frames_left`/`words_left` when `run` called the method: the
    /// difference is what the direct calls in progress hold.
    base: (u32, u32),
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
    assert!(core::mem::offset_of!(Obj, flags) == abi::obj::FLAGS as usize);
    assert!(core::mem::offset_of!(Obj, owner) == abi::obj::OWNER as usize);
    assert!(core::mem::offset_of!(Obj, len) == abi::obj::LEN as usize);
    assert!(core::mem::offset_of!(Obj, data) == abi::obj::DATA as usize);
};

impl Vm {
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
/// `vm` MUST be the context [`ThumbEngine::run`] passed to compiled code for
/// a `Card<N>`, still live (compiled code calls entry points only while
/// that call is in progress).
unsafe fn with<N: Nvm, T: Default>(
    vm: *mut Vm,
    f: impl FnOnce(&mut Card<N>) -> Result<T, Exc>,
) -> T {
    // SAFETY: per the contract above, `vm` is live and exclusively ours.
    let vm = unsafe { &mut *vm };
    // SAFETY: `card` is the `&mut Card<N>` that `run` gave up for the
    // duration of the call; nothing else uses it meanwhile.
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
    // SAFETY: called by compiled code with its context, which is live.
    let (held_frames, held_words) = unsafe {
        let v = &*vm;
        (v.base.0 - v.frames_left, v.base.1 - v.words_left)
    };
    // SAFETY: called by compiled code with its context.
    unsafe {
        with_ticks::<N, _>(vm, |c| {
            let (m, new_ctx) = match resolved? {
                ops::Resolved::Method(m, new_ctx) => (m, new_ctx),
                ops::Resolved::Quick(v) => return Ok(v),
            };
            if held_frames == 0 && held_words == 0 {
                return ops::invoke_method(c, op, m, new_ctx, a);
            }
            // Direct calls in progress hold frames and stack words the card
            // does not see: make it see them, so limits and nested calls
            // are the interpreter's. Same package, so the same context.
            let (depth, top) = (c.frames.len(), c.sp_top);
            if let Some(&f) = c.frames.last() {
                for _ in 0..held_frames {
                    c.frames.push(f);
                }
            }
            c.sp_top += held_words as usize;
            let r = ops::invoke_method(c, op, m, new_ctx, a);
            c.frames.truncate(depth);
            c.sp_top = top;
            r
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
        entry: u32,
        table: Rc<[u32]>,
        ret: u8,
    },
}

/// The [`Engine`] of one card: runs the code of the native packages the
/// card keeps.
pub struct ThumbEngine<N: Nvm> {
    /// Per package slot, once asked: its compiled methods, if any.
    images: RefCell<BTreeMap<u16, Option<Rc<NativeImage>>>>,
    entry: Box<[usize; ENTRY_COUNT]>,
    bindings: RefCell<Vec<Option<Binding>>>,
    tables: RefCell<BTreeMap<u16, Rc<[u32]>>>,
    /// The built-in classes' count (`VmLayout::api_classes`), once a
    /// method was bound.
    api_classes: core::cell::Cell<u32>,
    _n: core::marker::PhantomData<fn(N)>,
}

/// The engine of a card whose `Config::native_code` is [`native_code`].
pub fn engine<N: Nvm + 'static>() -> Rc<dyn Engine<N>> {
    Rc::new(ThumbEngine::<N> {
        images: RefCell::new(BTreeMap::new()),
        entry: Box::new(entry_table::<N>()),
        bindings: RefCell::new(Vec::new()),
        tables: RefCell::new(BTreeMap::new()),
        api_classes: core::cell::Cell::new(0),
        _n: core::marker::PhantomData,
    })
}

/// What this engine runs: Thumb-2 for Armv7-M, this runtime ABI.
pub fn native_code() -> hydra_runtime::NativeCode {
    hydra_runtime::NativeCode {
        target: hydra_package::Target::Thumbv7m,
        abi: abi::ABI_VERSION,
    }
}

impl<N: Nvm> ThumbEngine<N> {
    /// The compiled methods of package `pkg`, from its native package in
    /// NVM; none when it has none or its code is not 4-byte aligned there
    /// (the code's literal pools assume it).
    fn image(&self, card: &Card<N>, pkg: u16) -> Option<Rc<NativeImage>> {
        self.images
            .borrow_mut()
            .entry(pkg)
            .or_insert_with(|| {
                let p = card.native_package(pkg)?;
                let at = p.code.as_ptr() as usize;
                let at = u32::try_from(at).ok().filter(|a| a % 4 == 0)?;
                Some(Rc::new(NativeImage::new(&p, at)))
            })
            .clone()
    }

    fn bind(&self, card: &Card<N>, m: MethodId) -> Binding {
        let Some(meth) = card.methods.get(usize::from(m)) else {
            return Binding::Interpreted;
        };
        if meth.kind != MethodKind::Bytecode {
            return Binding::Interpreted;
        }
        let Some(image) = self.image(card, meth.pkg) else {
            return Binding::Interpreted;
        };
        let Ok(off) = u16::try_from(meth.code) else {
            return Binding::Interpreted;
        };
        let Some(&(entry, ret)) = image.methods.get(&off) else {
            return Binding::Interpreted;
        };
        if self.api_classes.get() == 0 {
            // The built-in classes are linked first and never change.
            let builtin = card
                .classes
                .iter()
                .take_while(|c| c.pkg < hydra_runtime::api_tables::N_BUILTIN)
                .count();
            self.api_classes.set(builtin as u32);
        }
        let table = self
            .tables
            .borrow_mut()
            .entry(meth.pkg)
            .or_insert_with(|| Rc::from(direct_table(card, meth.pkg, &image)))
            .clone();
        Binding::Compiled { entry, table, ret }
    }
}

/// The package's link table, with the code address of every method of the
/// same package that a static method reference names (direct calls).
fn direct_table<N: Nvm>(card: &Card<N>, pkg: u16, image: &NativeImage) -> Vec<u32> {
    let mut t = ops::link_table(card, pkg);
    let Some(p) = card.packages.get(usize::from(pkg)) else {
        return t;
    };
    for (i, e) in p.cp.iter().enumerate() {
        if let hydra_runtime::class::Cp::Class(c) = *e {
            // A class of another package: its id, for handlers.
            let other = card
                .classes
                .get(usize::from(c))
                .is_some_and(|k| k.pkg != pkg);
            if let (true, Some(w)) = (other, t.get_mut(2 + i)) {
                *w = abi::CLASS_ID | u32::from(c);
            }
            continue;
        }
        let hydra_runtime::class::Cp::Direct(m) = *e else {
            continue;
        };
        let Some(mm) = card.methods.get(usize::from(m)) else {
            continue;
        };
        if mm.pkg != pkg || mm.kind != MethodKind::Bytecode {
            continue;
        }
        let entry = u16::try_from(mm.code)
            .ok()
            .and_then(|off| image.methods.get(&off));
        if let (Some(&(entry, _)), Some(w)) = (entry, t.get_mut(2 + i)) {
            *w = entry;
        }
    }
    dispatch_rows(card, pkg, image, &mut t);
    t
}

/// Appends a dispatch row (`abi::row`) for every virtual method reference
/// and interface reference of the package that can reach a method compiled
/// in it, a type row for every other reference to a class of the package,
/// and points the reference's link-table word at the row.
fn dispatch_rows<N: Nvm>(card: &Card<N>, pkg: u16, image: &NativeImage, t: &mut Vec<u32>) {
    use hydra_runtime::class::Cp;
    let Some(p) = card.packages.get(usize::from(pkg)) else {
        return;
    };
    // The package's classes are contiguous ids.
    let Some(first) = card.classes.iter().position(|c| c.pkg == pkg) else {
        return;
    };
    let n = card.classes[first..]
        .iter()
        .take_while(|c| c.pkg == pkg)
        .count();
    let code = |m: Option<MethodId>| -> (u32, u32) {
        let Some(mm) = m.and_then(|m| card.methods.get(usize::from(m))) else {
            return (0, 0);
        };
        if mm.pkg != pkg || mm.kind != MethodKind::Bytecode {
            return (0, 0);
        }
        match u16::try_from(mm.code)
            .ok()
            .and_then(|off| image.methods.get(&off))
        {
            Some(&(entry, _)) => (
                entry,
                u32::from(mm.nargs) + u32::from(mm.max_locals) + u32::from(mm.max_stack),
            ),
            None => (0, 0),
        }
    };
    for (i, e) in p.cp.iter().enumerate() {
        let mut entries = Vec::new();
        let stride = match *e {
            Cp::Virtual { class, token } => {
                for c in 0..n {
                    entries.push(code(card.lookup_virtual((first + c) as u16, class, token)));
                }
                1
            }
            Cp::Class(iface)
                if card
                    .classes
                    .get(usize::from(iface))
                    .is_some_and(|c| c.is_interface()) =>
            {
                let tokens = card
                    .classes
                    .iter()
                    .flat_map(|c| c.itable.iter())
                    .filter(|(k, _)| *k == iface)
                    .map(|(_, map)| map.len())
                    .max()
                    .unwrap_or(0);
                for c in 0..n {
                    for tok in 0..tokens {
                        entries.push(code(card.lookup_interface(
                            (first + c) as u16,
                            iface,
                            tok as u8,
                        )));
                    }
                }
                tokens as u32
            }
            Cp::Class(class)
                if card
                    .classes
                    .get(usize::from(class))
                    .is_some_and(|c| c.pkg == pkg) =>
            {
                // A type row: which classes of the package are subclasses.
                let any = (0..n).any(|c| card.is_subclass_of((first + c) as u16, class));
                if !any {
                    continue;
                }
                for c in 0..n {
                    entries.push((u32::from(card.is_subclass_of((first + c) as u16, class)), 1));
                }
                0
            }
            _ => continue,
        };
        if stride != 0 && entries.iter().all(|&(a, _)| a == 0) {
            continue;
        }
        let at = t.len() as u32;
        t.extend_from_slice(&[first as u32, n as u32, stride]);
        for (a, w) in entries {
            t.extend_from_slice(&[a, w]);
        }
        if let Some(w) = t.get_mut(2 + i) {
            *w = at;
        }
    }
}

impl<N: Nvm> Engine<N> for ThumbEngine<N> {
    fn relinked(&self) {
        self.images.borrow_mut().clear();
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
        let Binding::Compiled { entry, table, ret } = binding else {
            return None;
        };
        if !cfg!(all(target_arch = "arm", target_os = "none")) {
            // Thumb-2 code runs only on the board.
            return None;
        }
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
            api_classes: self.api_classes.get(),
            card: (card as *mut Card<N>).cast(),
            exc: None,
            ticks_given: 0,
            base: (0, 0),
        };
        vm.refresh(card);
        vm.fill_ticks(card);
        vm.frames_left = card.config.max_frames.saturating_sub(card.frames.len()) as u32;
        vm.words_left = (card.stack.len() - top) as u32;
        vm.base = (vm.frames_left, vm.words_left);
        // SAFETY: `entry` is the Thumb entry address (bit 0 set) of a method
        // compiled with the ABI's signature, inside code the loader checked
        // sits where it was linked; the image area is never written. `vm`
        // and `table` outlive the call; `args` points at `nargs` words of the
        // card's stack, which compiled code reads before calling anything.
        // While it runs, the card is reached only through `vm.card`.
        let r = unsafe {
            let f = core::mem::transmute::<usize, MethodFn>(entry as usize);
            f(&mut vm, table.as_ptr(), args)
        };
        ops::charge_ticks(card, vm.ticks_given, vm.ticks_left);
        // A handler that caught inline cleared `pending` only.
        let exc = vm.exc.take().filter(|_| vm.pending != 0);
        card.frames.pop();
        card.ctx = saved_ctx;
        card.sp_top = saved_top;
        if let Some(e) = exc {
            return Some(Err(e));
        }
        let mut out = Ret {
            words: ret,
            w: [0; 2],
        };
        match ret {
            1 => out.w[0] = r as i16,
            2 => {
                out.w[0] = (r >> 16) as i16;
                out.w[1] = r as i16;
            }
            _ => {}
        }
        Some(Ok(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_become_thumb_addresses_of_the_code() {
        let p = hydra_package::Writer {
            target: hydra_package::Target::Thumbv7m,
            abi: abi::ABI_VERSION,
            aid: &[0xF0, 0x48, 0x59, 0x44, 0x52],
            version: (1, 0),
            load_file: &[1],
            code: &[0x70, 0x47, 0x00, 0xBF, 0x70, 0x47],
            entries: alloc::vec![hydra_package::MethodEntry {
                method: 0x12,
                kind: hydra_package::EntryKind::ThumbFunction,
                ret_words: 1,
                code_offset: 4,
            }],
            manifest: &[0xA0],
        }
        .to_bytes();
        let p = hydra_package::Package::parse(&p).unwrap();
        let img = NativeImage::new(&p, 0x2100_0100);
        assert_eq!(img.code, (0x2100_0100, 6));
        assert_eq!(img.methods.get(&0x12), Some(&(0x2100_0105, 1)));
        assert_eq!(img.methods(), 1);
    }
}
