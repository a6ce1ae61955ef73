//! What the entry points of the runtime ABI do, on the card, without any
//! `unsafe`: each is the interpreter's operation with every check, so a
//! compiled method whose inline fast path gives up gets exactly the
//! interpreter's result or exception. Portable: the host engine and the
//! Thumb-2 engine wrap the same functions.

use hydra_runtime::api_tables::{tok, LANG};
use hydra_runtime::card::Card;
use hydra_runtime::class::{ClassId, Cp, MethodId, MethodKind, NO_CLASS, NO_METHOD};
use hydra_runtime::error::Fault;
use hydra_runtime::heap::*;
use hydra_runtime::interp::{Exc, Ret};
use hydra_runtime::nvm::Nvm;

use crate::abi::{invoke, kind};

const MALFORMED: Fault = Fault::Corrupt("malformed bytecode");

use crate::abi::THIS_FORM;

fn malformed() -> Exc {
    Exc::Fault(MALFORMED)
}

fn join(hi: i16, lo: i16) -> i32 {
    ((hi as u16 as u32) << 16 | lo as u16 as u32) as i32
}

/// The resolved constant-pool entry `i` of package `pkg`.
pub fn cp<N: Nvm>(card: &Card<N>, pkg: u16, i: u16) -> Result<Cp, Exc> {
    card.packages
        .get(usize::from(pkg))
        .and_then(|p| p.cp.get(usize::from(i)).copied())
        .ok_or_else(malformed)
}

fn field_obj<N: Nvm>(card: &Card<N>, r: Ref, k: i32) -> Result<Obj, Exc> {
    if k & THIS_FORM != 0 {
        card.store.obj(r).copied().ok_or_else(|| card.npe())
    } else {
        card.access(r)
    }
}

pub fn getfield<N: Nvm>(card: &mut Card<N>, r: Ref, cell: u32, k: i32) -> Result<i32, Exc> {
    let o = field_obj(card, r, k)?;
    let k = k & 0xFF;
    let need = if k == kind::INT { cell + 2 } else { cell + 1 };
    if o.is_array() || need > u32::from(o.len) {
        return Err(malformed());
    }
    let v = card.store.read_u16(&o, 2 * cell) as i16;
    Ok(match k {
        kind::BYTE => i32::from(v as i8),
        kind::INT => join(v, card.store.read_u16(&o, 2 * cell + 2) as i16),
        _ => i32::from(v),
    })
}

pub fn putfield<N: Nvm>(card: &mut Card<N>, r: Ref, cell: u32, k: i32, v: i32) -> Result<(), Exc> {
    let o = field_obj(card, r, k)?;
    let k = k & 0xFF;
    let need = if k == kind::INT { cell + 2 } else { cell + 1 };
    if o.is_array() || need > u32::from(o.len) {
        return Err(malformed());
    }
    if k == kind::REF {
        card.check_storable(v as u16)?;
    }
    match k {
        kind::INT => card.store.write(&o, 2 * cell, &v.to_be_bytes(), true)?,
        kind::BYTE => card
            .store
            .write(&o, 2 * cell, &i16::from(v as i8).to_be_bytes(), true)?,
        _ => card
            .store
            .write(&o, 2 * cell, &(v as i16).to_be_bytes(), true)?,
    }
    Ok(())
}

fn array_kind(k: i32) -> u8 {
    match k {
        kind::REF => K_REF,
        kind::BYTE => K_BYTE,
        kind::SHORT => K_SHORT,
        _ => K_INT,
    }
}

fn array<N: Nvm>(card: &Card<N>, r: Ref, k: i32) -> Result<Obj, Exc> {
    let o = card.access(r)?;
    let kind = array_kind(k);
    if o.kind == kind || (kind == K_BYTE && o.kind == K_BOOL) {
        Ok(o)
    } else {
        Err(Exc::Fault(Fault::Corrupt("array of the wrong type")))
    }
}

fn index<N: Nvm>(card: &Card<N>, o: &Obj, i: i32) -> Result<u32, Exc> {
    let i = i as i16;
    if i < 0 || i as u16 >= o.len {
        Err(card.vm_exc(tok::ARRAY_INDEX_OOB))
    } else {
        Ok(i as u32)
    }
}

pub fn array_load<N: Nvm>(card: &mut Card<N>, r: Ref, i: i32, k: i32) -> Result<i32, Exc> {
    let o = array(card, r, k)?;
    let i = index(card, &o, i)?;
    Ok(match k {
        kind::BYTE => i32::from(card.store.read_u8(&o, i) as i8),
        kind::INT => join(
            card.store.read_u16(&o, 4 * i) as i16,
            card.store.read_u16(&o, 4 * i + 2) as i16,
        ),
        _ => i32::from(card.store.read_u16(&o, 2 * i) as i16),
    })
}

pub fn array_store<N: Nvm>(card: &mut Card<N>, r: Ref, i: i32, k: i32, v: i32) -> Result<(), Exc> {
    let o = array(card, r, k)?;
    let i = index(card, &o, i)?;
    match k {
        kind::BYTE => {
            let b = if o.kind == K_BOOL {
                (v & 1) as u8
            } else {
                v as u8
            };
            card.store.write(&o, i, &[b], true)?;
        }
        kind::INT => card.store.write(&o, 4 * i, &v.to_be_bytes(), true)?,
        kind::REF => {
            let vr = v as u16;
            card.check_storable(vr)?;
            if vr != NULL && o.class != NO_CLASS {
                let object = card.api_class(LANG, tok::OBJECT);
                let (ok, exists) = match card.store.obj(vr) {
                    Some(vo) => (
                        !vo.is_array() && card.is_subclass_of(vo.class, o.class)
                            || o.class == object,
                        true,
                    ),
                    None => (false, false),
                };
                if !exists {
                    return Err(malformed());
                }
                if !ok {
                    return Err(card.vm_exc(tok::ARRAY_STORE));
                }
            }
            card.store
                .write(&o, 2 * i, &(v as i16).to_be_bytes(), true)?;
        }
        _ => card
            .store
            .write(&o, 2 * i, &(v as i16).to_be_bytes(), true)?,
    }
    Ok(())
}

pub fn array_length<N: Nvm>(card: &mut Card<N>, r: Ref) -> Result<i32, Exc> {
    let o = card.access(r)?;
    if !o.is_array() {
        return Err(malformed());
    }
    Ok(i32::from(o.len as i16))
}

pub fn putstatic<N: Nvm>(card: &mut Card<N>, addr: u32, k: i32, v: i32) -> Result<(), Exc> {
    match k {
        kind::BYTE => card.store.write_nvm(addr, &[v as u8], true)?,
        kind::INT => card.store.write_nvm(addr, &v.to_be_bytes(), true)?,
        _ => {
            if k == kind::REF {
                card.check_storable(v as u16)?;
            }
            card.store
                .write_nvm(addr, &(v as i16).to_be_bytes(), true)?
        }
    }
    Ok(())
}

/// The persistent-store barrier: `bytes` big-endian bytes of `v` at NVM
/// `addr`, through the undo log inside a transaction, atomically outside.
pub fn store_nvm<N: Nvm>(card: &mut Card<N>, addr: u32, bytes: i32, v: i32) -> Result<(), Exc> {
    let [b0, b1, b2, b3] = v.to_be_bytes();
    match bytes {
        1 => card.store.write_nvm_small(addr, [b3], true)?,
        2 => card.store.write_nvm_small(addr, [b2, b3], true)?,
        4 => card.store.write_nvm_small(addr, [b0, b1, b2, b3], true)?,
        _ => return Err(malformed()),
    }
    Ok(())
}

/// `JCSystem.beginTransaction()` (`op` 0) or `commitTransaction()` (1),
/// called inline by compiled code.
pub fn transaction<N: Nvm>(card: &mut Card<N>, op: i32) -> Result<(), Exc> {
    match op {
        0 => card.begin_transaction(),
        1 => card.commit_transaction(),
        _ => Err(malformed()),
    }
}

fn ret_value(r: Ret) -> i32 {
    match r.words {
        0 => 0,
        1 => i32::from(r.short()),
        _ => r.int(),
    }
}

/// What [`resolve`] found for a call from compiled code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// A native that only reads the card's state (`Card::quick_native`):
    /// its result, nothing to run.
    Quick(i32),
    /// The method to run and the context a virtual or interface callee
    /// runs in.
    Method(MethodId, u8),
}

/// A call from compiled code: dispatch, firewall and context as the
/// interpreter's `invoke*`; the callee runs interpreted, compiled or native
/// through [`Card::invoke`].
pub fn invoke<N: Nvm>(
    card: &mut Card<N>,
    pkg: u16,
    op: i32,
    index: i32,
    args: &[i16],
) -> Result<i32, Exc> {
    match resolve(card, pkg, op, index, args)? {
        Resolved::Quick(v) => Ok(v),
        Resolved::Method(m, new_ctx) => invoke_method(card, op, m, new_ctx, args),
    }
}

/// The first half of [`invoke`]: the method reference resolved, the
/// receiver checked (null, firewall). A virtual call of a native that
/// [`Card::quick_native`] answers ends here, with the context bookkeeping
/// the call would have done: an entry point may return its result without
/// touching the budget or the context's pointers, since nothing runs.
#[inline]
pub fn resolve<N: Nvm>(
    card: &mut Card<N>,
    pkg: u16,
    op: i32,
    index: i32,
    args: &[i16],
) -> Result<Resolved, Exc> {
    let (m, new_ctx) = match op {
        invoke::STATIC | invoke::SPECIAL => {
            let m = match cp(card, pkg, index as u16)? {
                Cp::Direct(m) => m,
                _ => return Err(malformed()),
            };
            if op == invoke::SPECIAL && args.first().copied().unwrap_or(0) == 0 {
                return Err(card.npe());
            }
            if op == invoke::STATIC {
                if let Some(MethodKind::Native(n)) =
                    card.methods.get(usize::from(m)).map(|x| x.kind)
                {
                    // `throwIt(reason)` of an API exception: what its native
                    // does, without the native call.
                    if let hydra_runtime::api::Native::ThrowIt(t) = n {
                        let reason = args.first().copied().unwrap_or(0) as u16;
                        return Err(card.cre(t, reason));
                    }
                    if let Some(v) = card.quick_native(n, || 0) {
                        return Ok(Resolved::Quick(i32::from(v)));
                    }
                }
            }
            (m, card.ctx)
        }
        invoke::VIRTUAL => {
            let (class, token, method) = match cp(card, pkg, index as u16)? {
                Cp::Virtual {
                    class,
                    token,
                    method,
                } => (class, token, method),
                _ => return Err(malformed()),
            };
            let r = args.first().copied().unwrap_or(0) as Ref;
            let o = match card.store.obj(r) {
                Some(o) => *o,
                None => return Err(card.npe()),
            };
            let new_ctx = card.invoke_context(&o, None)?;
            let target = if o.is_array() {
                card.api_class(LANG, tok::OBJECT)
            } else {
                o.class
            };
            // The object's class is often the reference's own: resolved at
            // link time.
            let m = if target == class && method != NO_METHOD {
                method
            } else {
                card.lookup_virtual(target, class, token)
                    .ok_or_else(malformed)?
            };
            if let Some(MethodKind::Native(n)) = card.methods.get(usize::from(m)).map(|x| x.kind) {
                // The receiver is there: `store.obj` found it.
                if let Some(v) = card.quick_native(n, || r) {
                    if new_ctx != card.ctx {
                        card.prev_ctx = card.ctx;
                    }
                    return Ok(Resolved::Quick(i32::from(v)));
                }
            }
            (m, new_ctx)
        }
        invoke::INTERFACE => {
            let iface = match cp(card, pkg, (index & 0xFFFF) as u16)? {
                Cp::Class(c) => c,
                _ => return Err(malformed()),
            };
            let itok = (index >> 16) as u8;
            let r = args.first().copied().unwrap_or(0) as Ref;
            let o = match card.store.obj(r) {
                Some(o) => *o,
                None => return Err(card.npe()),
            };
            let new_ctx = card.invoke_context(&o, Some(iface))?;
            let m = card
                .lookup_interface(o.class, iface, itok)
                .ok_or(Exc::Fault(Fault::Corrupt(
                    "interface method not implemented",
                )))?;
            if card
                .methods
                .get(usize::from(m))
                .is_none_or(|mm| usize::from(mm.nargs) != args.len())
            {
                return Err(malformed());
            }
            (m, new_ctx)
        }
        _ => return Err(malformed()),
    };
    Ok(Resolved::Method(m, new_ctx))
}

/// The second half of [`invoke`]: runs the method [`resolve`] found, in
/// `new_ctx` for a virtual or interface call of bytecode.
pub fn invoke_method<N: Nvm>(
    card: &mut Card<N>,
    op: i32,
    m: MethodId,
    new_ctx: u8,
    args: &[i16],
) -> Result<i32, Exc> {
    let native = matches!(
        card.methods.get(usize::from(m)).map(|x| x.kind),
        Some(MethodKind::Native(_))
    );
    let saved = card.ctx;
    if op == invoke::VIRTUAL || op == invoke::INTERFACE {
        if new_ctx != card.ctx {
            card.prev_ctx = card.ctx;
        }
        // Natives run in the caller's context; bytecode in the callee's.
        if !native {
            card.ctx = new_ctx;
        }
    }
    let r = call(card, m, args);
    card.ctx = saved;
    r.map(ret_value)
}

/// Runs `m` with `args` in the current context: straight into the engine
/// when it is compiled (no interpreter entry), else through `Card::invoke`.
fn call<N: Nvm>(card: &mut Card<N>, m: u16, args: &[i16]) -> Result<Ret, Exc> {
    // Natives: straight to `Card::invoke`, which runs them directly.
    if let Some(MethodKind::Native(_)) = card.methods.get(usize::from(m)).map(|x| x.kind) {
        return card.invoke(m, args);
    }
    if let Some(engine) = card.engine.clone() {
        let fp = card.sp_top;
        if fp + args.len() > card.stack.len() {
            return Err(card.so());
        }
        card.stack[fp..fp + args.len()].copy_from_slice(args);
        if let Some(r) = engine.run(card, m, fp) {
            return r;
        }
    }
    card.invoke(m, args)
}

pub fn new_object<N: Nvm>(card: &mut Card<N>, pkg: u16, index: u16) -> Result<i32, Exc> {
    let c = match cp(card, pkg, index)? {
        Cp::Class(c) => c,
        _ => return Err(malformed()),
    };
    let cells = match card.classes.get(usize::from(c)) {
        Some(cl) if !cl.is_interface() => cl.cells,
        _ => return Err(malformed()),
    };
    card.new_object(c, cells).map(i32::from)
}

pub fn new_array<N: Nvm>(
    card: &mut Card<N>,
    pkg: u16,
    atype: i32,
    index: u16,
    n: i32,
) -> Result<i32, Exc> {
    let n = n as i16;
    if atype == 0 {
        let c = match cp(card, pkg, index)? {
            Cp::Class(c) => c,
            _ => return Err(malformed()),
        };
        if n < 0 {
            return Err(card.vm_exc(tok::NEGATIVE_ARRAY_SIZE));
        }
        return card.new_array(K_REF, c, n as u16, 0).map(i32::from);
    }
    if n < 0 {
        return Err(card.vm_exc(tok::NEGATIVE_ARRAY_SIZE));
    }
    let kind = match atype {
        10 => K_BOOL,
        11 => K_BYTE,
        12 => K_SHORT,
        13 => K_INT,
        _ => return Err(malformed()),
    };
    card.new_array(kind, NO_CLASS, n as u16, 0).map(i32::from)
}

pub fn type_check<N: Nvm>(
    card: &mut Card<N>,
    pkg: u16,
    instanceof: bool,
    atype: i32,
    index: u16,
    r: Ref,
) -> Result<i32, Exc> {
    let atype = atype as u8;
    let class: ClassId = if atype == 0 || atype == 14 {
        match cp(card, pkg, index)? {
            Cp::Class(c) => c,
            _ => return Err(malformed()),
        }
    } else {
        NO_CLASS
    };
    if instanceof {
        Ok(i32::from(r != NULL && card.instance_of(r, atype, class)))
    } else if r != NULL && !card.instance_of(r, atype, class) {
        Err(card.vm_exc(tok::CLASS_CAST))
    } else {
        Ok(i32::from(r))
    }
}

/// `throw_vm`: the JCRE instance of java.lang exception `token`, or a card
/// fault for [`crate::abi::BROKEN_INVARIANT`].
pub fn throw_vm<N: Nvm>(card: &mut Card<N>, token: u8) -> Exc {
    if token == crate::abi::BROKEN_INVARIANT {
        return Exc::Fault(Fault::Corrupt(
            "compiled code: a slow path that must throw returned",
        ));
    }
    if token == crate::abi::OUT_OF_BUDGET {
        return Exc::Fault(Fault::Budget);
    }
    card.vm_exc(token)
}

/// Ticks of the execution budget the running entry has left, for a
/// compiled activation's `ticks_left`.
pub fn ticks_available<N: Nvm>(card: &Card<N>) -> u32 {
    card.budget_end
        .saturating_sub(card.executed)
        .min(u64::from(u32::MAX)) as u32
}

/// Charges the ticks compiled code took (`given` when filled, `left` now)
/// to the card's count, so the interpreter and compiled code spend one
/// budget.
pub fn charge_ticks<N: Nvm>(card: &mut Card<N>, given: u32, left: u32) {
    card.executed += u64::from(given.saturating_sub(left));
}

pub fn throw<N: Nvm>(card: &mut Card<N>, r: Ref) -> Exc {
    if card.store.obj(r).is_none() {
        card.vm_exc(tok::NULL_POINTER)
    } else {
        Exc::Throw(r)
    }
}

/// Whether handler class `index` (0: any) of package `pkg` catches `exc`;
/// the exception object when it does.
pub fn catches<N: Nvm>(card: &Card<N>, pkg: u16, index: u16, exc: &Exc) -> Option<Ref> {
    let Exc::Throw(r) = *exc else {
        return None;
    };
    if index == 0 {
        return Some(r);
    }
    let class = card.store.obj(r)?.class;
    match cp(card, pkg, index).ok()? {
        Cp::Class(c) if card.is_subclass_of(class, c) => Some(r),
        _ => None,
    }
}

/// The link table of package `pkg` (layout in [`crate::abi::pkg`]):
/// instance fields resolve to their cell, static fields to their NVM
/// address; other entries are left to the entry points.
pub fn link_table<N: Nvm>(card: &Card<N>, pkg: u16) -> alloc::vec::Vec<u32> {
    let cp = card
        .packages
        .get(usize::from(pkg))
        .map(|p| p.cp.clone())
        .unwrap_or_else(|| alloc::rc::Rc::from(alloc::vec::Vec::new()));
    let mut t = alloc::vec::Vec::with_capacity(cp.len() + 2);
    t.push(u32::from(pkg));
    t.push(cp.len() as u32);
    for e in cp.iter() {
        t.push(match *e {
            Cp::Field(c) => u32::from(c),
            Cp::Static(a) => a,
            _ => 0,
        });
    }
    t
}
