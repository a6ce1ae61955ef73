//! The one engine for compiled code, on every board and the host: the VM
//! context compiled methods receive, the runtime ABI's entry points (their
//! bodies are [`crate::ops`], shared with the interpreter's operations),
//! the link tables, and the call from the runtime into a compiled method
//! through the [`Engine`] hook. Compiled and interpreted methods call each
//! other through `Card::invoke` in both directions.
//!
//! A board supplies only where the code is ([`CodeSource`]): the host maps a
//! native package's code executable, a meter runs it in place
//! from NVM. Direct calls between compiled methods of one package, and the
//! dispatch rows of virtual and interface calls, need code addresses that
//! fit the link table's 32-bit words: a source that has them says so
//! ([`CodeSource::direct_calls`]); the others leave every call to the
//! `invoke` entry point.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;
use hydra_runtime::sorted::SortedMap;

use hydra_runtime::card::{Card, Frame};
use hydra_runtime::class::{MethodId, MethodKind};
use hydra_runtime::engine::Engine;
use hydra_runtime::heap::Obj;
use hydra_runtime::interp::{Exc, Ret};
use hydra_runtime::nvm::Nvm;

use crate::abi::{self, Entry, VmLayout, ENTRY_COUNT};
use crate::ops;

/// A package's compiled methods: by the code offset of the method's first
/// bytecode in the Method component, its entry address (with the Thumb bit
/// on Arm) and its result words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Methods {
    by_offset: SortedMap<u16, (usize, u8)>,
}

impl Methods {
    pub fn new() -> Methods {
        Methods::default()
    }

    /// Adds a method whose code starts at `entry`.
    pub fn insert(&mut self, method: u16, entry: usize, ret_words: u8) {
        self.by_offset.insert(method, (entry, ret_words));
    }

    /// The methods of native package `p`, whose code lies at `code_addr`.
    pub fn of_package(p: &hydra_package::Package<'_>, code_addr: usize) -> Methods {
        Methods {
            by_offset: p
                .entries()
                .map(|e| (e.method, (e.address(code_addr), e.ret_words)))
                .collect(),
        }
    }

    pub fn get(&self, method: u16) -> Option<(usize, u8)> {
        self.by_offset.get(&method).copied()
    }

    pub fn len(&self) -> usize {
        self.by_offset.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_offset.is_empty()
    }
}

/// Where a board keeps compiled code.
pub trait CodeSource<N: Nvm> {
    /// The compiled methods of the card's package slot `pkg`, if this
    /// board can run any of its code.
    fn methods(&self, card: &Card<N>, pkg: u16) -> Option<Rc<Methods>>;
    /// Whether entry addresses fit a link-table word (32-bit targets):
    /// then same-package calls go direct and virtual calls use rows.
    fn direct_calls(&self) -> bool;
    /// Whether compiled code can be called in this build (Thumb-2 code
    /// only on the board itself).
    fn can_run(&self) -> bool {
        true
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
    assert!(core::mem::offset_of!(Obj, kind) == abi::obj::KIND as usize);
    assert!(core::mem::offset_of!(Obj, flags) == abi::obj::FLAGS as usize);
    assert!(core::mem::offset_of!(Obj, owner) == abi::obj::OWNER as usize);
    assert!(core::mem::offset_of!(Obj, class) == abi::obj::CLASS as usize);
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
/// `vm` MUST be the context `CompiledEngine::run` passed to compiled code for
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
unsafe extern "C" fn e_transaction<N: Nvm>(vm: *mut Vm, op: i32) {
    // SAFETY: called by compiled code with its context (as in `with`).
    let vm = unsafe { &mut *vm };
    // SAFETY: as in `with`.
    let card = unsafe { &mut *vm.card.cast::<Card<N>>() };
    let r = ops::transaction(card, op);
    // Moves nothing; only the depth `getTransactionDepth` reads changes.
    vm.txn_depth = u32::from(card.store.log.in_txn());
    vm.note(r)
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
        e_transaction::<N> as *const () as usize,
    ];
    debug_assert_eq!(Entry::ALL.len(), t.len());
    t
}

#[derive(Clone)]
enum Binding {
    Interpreted,
    Compiled {
        entry: usize,
        table: Rc<[u32]>,
        ret: u8,
    },
}

/// The [`Engine`] of one card: runs the compiled methods its board's
/// [`CodeSource`] has.
pub struct CompiledEngine<N: Nvm, S: CodeSource<N>> {
    source: S,
    /// Per package slot, once asked: its compiled methods, if any.
    images: RefCell<SortedMap<u16, Option<Rc<Methods>>>>,
    entry: Box<[usize; ENTRY_COUNT]>,
    bindings: RefCell<Vec<Option<Binding>>>,
    tables: RefCell<SortedMap<u16, Rc<[u32]>>>,
    /// The built-in classes' count (`VmLayout::api_classes`) once a method
    /// was bound, when the link tables hold dispatch rows; 0 otherwise.
    api_classes: core::cell::Cell<u32>,
    _n: core::marker::PhantomData<fn(N)>,
}

impl<N: Nvm, S: CodeSource<N>> CompiledEngine<N, S> {
    pub fn new(source: S) -> CompiledEngine<N, S> {
        CompiledEngine {
            source,
            images: RefCell::new(SortedMap::new()),
            entry: Box::new(entry_table::<N>()),
            bindings: RefCell::new(Vec::new()),
            tables: RefCell::new(SortedMap::new()),
            api_classes: core::cell::Cell::new(0),
            _n: core::marker::PhantomData,
        }
    }

    fn image(&self, card: &Card<N>, pkg: u16) -> Option<Rc<Methods>> {
        self.images
            .borrow_mut()
            .get_or_insert_with(pkg, || self.source.methods(card, pkg))
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
        let Some((entry, ret)) = image.get(off) else {
            return Binding::Interpreted;
        };
        if !self.source.direct_calls() {
            let table = self
                .tables
                .borrow_mut()
                .get_or_insert_with(meth.pkg, || Rc::from(ops::link_table(card, meth.pkg)))
                .clone();
            return Binding::Compiled { entry, table, ret };
        }
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
            .get_or_insert_with(meth.pkg, || Rc::from(direct_table(card, meth.pkg, &image)))
            .clone();
        Binding::Compiled { entry, table, ret }
    }
}

/// The package's link table, with the code address of every method of the
/// same package that a static method reference names (direct calls).
fn direct_table<N: Nvm>(card: &Card<N>, pkg: u16, image: &Methods) -> Vec<u32> {
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
        let entry = u16::try_from(mm.code).ok().and_then(|off| image.get(off));
        if let (Some((entry, _)), Some(w)) = (entry, t.get_mut(2 + i)) {
            *w = entry as u32;
        }
    }
    dispatch_rows(card, pkg, image, &mut t);
    t
}

/// Appends a dispatch row (`abi::row`) for every virtual method reference
/// and interface reference of the package that can reach a method compiled
/// in it, a type row for every other reference to a class of the package,
/// and points the reference's link-table word at the row.
fn dispatch_rows<N: Nvm>(card: &Card<N>, pkg: u16, image: &Methods, t: &mut Vec<u32>) {
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
        match u16::try_from(mm.code).ok().and_then(|off| image.get(off)) {
            Some((entry, _)) => (
                entry as u32,
                u32::from(mm.nargs) + u32::from(mm.max_locals) + u32::from(mm.max_stack),
            ),
            None => (0, 0),
        }
    };
    for (i, e) in p.cp.iter().enumerate() {
        let mut entries = Vec::new();
        let stride = match *e {
            Cp::Virtual { class, token, .. } => {
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

impl<N: Nvm, S: CodeSource<N>> Engine<N> for CompiledEngine<N, S> {
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
        if !self.source.can_run() {
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
        // SAFETY: `entry` is the entry address (the Thumb bit set on Arm) of
        // a method compiled with the ABI's signature, in code its source
        // keeps executable and unchanged while the engine lives. `vm`
        // and `table` outlive the call; `args` points at `nargs` words of the
        // card's stack, which compiled code reads before calling anything.
        // While it runs, the card is reached only through `vm.card`.
        let r = unsafe {
            let f = core::mem::transmute::<usize, MethodFn>(entry);
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
