//! Type inference over one method's bytecode: a data-flow fixpoint of
//! [`Frame`]s over the instructions, checking every instruction's operands
//! against the types it needs.

use alloc::collections::BTreeMap;

use crate::bitset::BitSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use hydra_cap::bytecode::{
    decode_all, Instruction, Opcode, Operands, T_BOOLEAN, T_BYTE, T_INT, T_REFERENCE, T_SHORT,
};
use hydra_cap::component::{CpEntry, ExceptionHandler, MethodInfo};
use hydra_cap::CapFile;

use crate::error::ErrorKind;
use crate::model::{Access, ClassId, FieldId, MethodId, Resolved, Universe};
use crate::types::{Elem, Frame, JType, VType};

/// The inferred types of one method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodTypes {
    pub method: MethodId,
    /// Offset of the method header in the Method component.
    pub offset: u16,
    /// The instructions, in order.
    pub insns: Vec<Instruction>,
    /// The frame before each instruction (`None`: unreachable).
    pub frames: Vec<Option<Frame>>,
    /// Pcs that start a basic block (entry, branch and handler targets,
    /// instructions after a branch, return, throw or switch), ascending.
    pub block_starts: Vec<u16>,
    /// Largest operand stack depth reached, in words.
    pub max_depth: usize,
}

impl MethodTypes {
    /// Index of the instruction at `pc`.
    pub fn index_of(&self, pc: u16) -> Option<usize> {
        self.insns.binary_search_by_key(&pc, |i| i.pc).ok()
    }

    /// The frame before the instruction at `pc`.
    pub fn frame_at(&self, pc: u16) -> Option<&Frame> {
        self.frames.get(self.index_of(pc)?)?.as_ref()
    }

    /// Each basic block's first pc with its entry frame.
    pub fn blocks(&self) -> impl Iterator<Item = (u16, Option<&Frame>)> + '_ {
        self.block_starts.iter().map(|&pc| (pc, self.frame_at(pc)))
    }
}

/// A method-level failure: the pc (if any) and what.
pub(crate) type Fail = (Option<u16>, ErrorKind);

pub(crate) struct Ctx<'a> {
    pub u: &'a Universe,
    pub cap: &'a CapFile,
    pub uses_int: bool,
}

/// Handler with pcs relative to the method's code.
struct Handler {
    start: u16,
    end: u16,
    target: u16,
    catch: VType,
}

const MAX_WORK: usize = 1 << 20;

pub(crate) fn check_method(
    ctx: &Ctx<'_>,
    mid: MethodId,
    info: &MethodInfo,
    handlers: &[(usize, &ExceptionHandler)],
) -> Result<MethodTypes, Fail> {
    let u = ctx.u;
    let m = u.method(mid);
    let code = &info.bytecode;
    let insns = decode_all(code).map_err(|e| {
        let pc = match &e {
            hydra_cap::bytecode::DecodeError::InvalidOpcode { pc, .. }
            | hydra_cap::bytecode::DecodeError::Truncated { pc, .. }
            | hydra_cap::bytecode::DecodeError::BadSwitchRange { pc, .. } => *pc,
        };
        (Some(pc), ErrorKind::Decode(e))
    })?;
    if insns.is_empty() {
        return Err((None, ErrorKind::FallsOffEnd));
    }
    let index_of = |pc: i32| -> Option<usize> {
        if pc < 0 || pc > i32::from(u16::MAX) {
            return None;
        }
        insns.binary_search_by_key(&(pc as u16), |i| i.pc).ok()
    };

    // Branch targets.
    // Every member is a pc inside the code (targets are checked first).
    let mut block_starts = BitSet::new(code.len().max(1));
    block_starts.insert(0);
    let mut jsr_returns: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
    for (k, i) in insns.iter().enumerate() {
        let targets = i.branch_targets();
        for t in &targets {
            if *t < 0 || *t as usize >= code.len() {
                return Err((
                    Some(i.pc),
                    ErrorKind::BadBranch {
                        opcode: mnemonic(i.opcode),
                        target: *t,
                        what: "outside the method",
                    },
                ));
            }
            if index_of(*t).is_none() {
                return Err((
                    Some(i.pc),
                    ErrorKind::BadBranch {
                        opcode: mnemonic(i.opcode),
                        target: *t,
                        what: "inside another instruction",
                    },
                ));
            }
            block_starts.insert(*t as usize);
        }
        if i.opcode == Opcode::JSR {
            if k + 1 >= insns.len() {
                return Err((Some(i.pc), ErrorKind::FallsOffEnd));
            }
            jsr_returns
                .entry(targets[0] as u16)
                .or_default()
                .push(k + 1);
        }
        if !targets.is_empty() || ends_block(i.opcode) {
            if let Some(n) = insns.get(k + 1) {
                block_starts.insert(usize::from(n.pc));
            }
        }
    }

    // Handlers, relative to the code.
    let code_start = u32::from(info.code_offset());
    let mut hs = Vec::new();
    for &(index, h) in handlers {
        let bad = |what: String| (None, ErrorKind::BadHandler { index, what });
        let start = u32::from(h.start_offset) - code_start;
        let end = h.end_offset() - code_start;
        let target = u32::from(h.handler_offset)
            .checked_sub(code_start)
            .filter(|t| (*t as usize) < code.len())
            .ok_or_else(|| {
                bad(format!(
                    "handler at {:#06x} is outside the method",
                    h.handler_offset
                ))
            })?;
        if index_of(start as i32).is_none() {
            return Err(bad(format!(
                "start pc {start} is not an instruction boundary"
            )));
        }
        if end as usize != code.len() && index_of(end as i32).is_none() {
            return Err(bad(format!("end pc {end} is not an instruction boundary")));
        }
        if start >= end {
            return Err(bad("empty range".into()));
        }
        if index_of(target as i32).is_none() {
            return Err(bad(format!(
                "handler pc {target} is not an instruction boundary"
            )));
        }
        let catch = if h.catch_type_index == 0 {
            VType::Ref(u.throwable)
        } else {
            match u.cp.get(usize::from(h.catch_type_index)) {
                Some(Resolved::Class(c)) => {
                    if !u.is_subclass(*c, u.throwable) && !u.class(*c).stub {
                        return Err(bad(format!(
                            "catch type {} is not a subclass of java/lang/Throwable",
                            u.class_name(*c)
                        )));
                    }
                    VType::Ref(*c)
                }
                Some(Resolved::Unresolved) => VType::Ref(u.throwable),
                Some(_) => {
                    return Err(bad(format!(
                        "catch type index {} is not a classref",
                        h.catch_type_index
                    )))
                }
                None => {
                    return Err(bad(format!(
                        "catch type index {} out of range",
                        h.catch_type_index
                    )))
                }
            }
        };
        block_starts.insert(target as usize);
        hs.push(Handler {
            start: start as u16,
            end: end as u16,
            target: target as u16,
            catch,
        });
    }

    // Entry frame.
    let nlocals = usize::from(info.header.nargs) + usize::from(info.header.max_locals);
    let this_words = usize::from(!m.is_static);
    let nargs_expected = this_words + m.sig.param_words();
    if usize::from(info.header.nargs) != nargs_expected {
        return Err((
            None,
            ErrorKind::MethodHeader {
                what: "nargs",
                expected: nargs_expected as u32,
                found: info.header.nargs.into(),
            },
        ));
    }
    let mut locals = vec![VType::Top; nlocals];
    let mut k = 0;
    let this_uninit = m.is_init && m.class != u.object;
    if !m.is_static {
        locals[0] = if this_uninit {
            VType::UninitThis(m.class)
        } else {
            VType::Ref(m.class)
        };
        k = 1;
    }
    for p in &m.sig.params {
        match p {
            JType::Int => {
                locals[k] = VType::IntHi;
                locals[k + 1] = VType::IntLo;
            }
            t => locals[k] = t.vref().unwrap_or(VType::Short),
        }
        k += p.words();
    }

    let mut frames: Vec<Option<Frame>> = vec![None; insns.len()];
    frames[0] = Some(Frame {
        locals,
        stack: Vec::new(),
        this_uninit,
    });
    let mut work = BitSet::new(insns.len());
    work.insert(0);
    let mut steps = 0usize;
    let mut max_depth = 0usize;
    let max_stack = usize::from(info.header.max_stack);

    while let Some(idx) = work.pop_first() {
        steps += 1;
        if steps > MAX_WORK {
            return Err((None, ErrorKind::TooComplex));
        }
        let insn = &insns[idx];
        let Some(before) = frames[idx].clone() else {
            continue;
        };
        // Exception edges.
        for h in &hs {
            if insn.pc >= h.start && insn.pc < h.end {
                let hf = Frame {
                    locals: before.locals.clone(),
                    stack: vec![h.catch],
                    this_uninit: before.this_uninit,
                };
                if max_stack < 1 {
                    return Err((
                        Some(h.target),
                        ErrorKind::StackOverflow {
                            opcode: "exception handler",
                            depth: 1,
                            max: max_stack,
                        },
                    ));
                }
                let t = index_of(h.target.into()).unwrap_or(0);
                merge_into(u, &mut frames, t, &hf, h.target, &mut work)?;
            }
        }
        let mut st = State {
            ctx,
            m: mid,
            f: before,
            op: mnemonic(insn.opcode),
            max_stack,
            pc: insn.pc,
        };
        let flow = st.step(insn).map_err(|k| (Some(insn.pc), k))?;
        max_depth = max_depth.max(st.max_seen());
        let after = st.f;
        let next = || -> Result<usize, Fail> {
            if idx + 1 < insns.len() {
                Ok(idx + 1)
            } else {
                Err((Some(insn.pc), ErrorKind::FallsOffEnd))
            }
        };
        let mut succ: Vec<(usize, Frame)> = Vec::new();
        match flow {
            Flow::Next => succ.push((next()?, after)),
            Flow::Stop => {}
            Flow::Branch { fallthrough } => {
                for t in insn.branch_targets() {
                    succ.push((index_of(t).unwrap_or(0), after.clone()));
                }
                if fallthrough {
                    succ.push((next()?, after));
                }
            }
            Flow::Jsr => {
                let t = insn.branch_targets()[0];
                succ.push((index_of(t).unwrap_or(0), after));
            }
            Flow::Ret(sub) => {
                for &r in jsr_returns.get(&sub).map(|v| v.as_slice()).unwrap_or(&[]) {
                    let mut f = after.clone();
                    // The return address is consumed: no second ret through it.
                    for l in f.locals.iter_mut() {
                        if *l == VType::RetAddr(sub) {
                            *l = VType::Top;
                        }
                    }
                    succ.push((r, f));
                }
            }
        }
        for (t, f) in succ {
            let tpc = insns[t].pc;
            if tpc <= insn.pc
                && f.stack
                    .iter()
                    .chain(&f.locals)
                    .any(|v| matches!(v, VType::Uninit { .. }))
            {
                return Err((
                    Some(insn.pc),
                    ErrorKind::Uninitialized {
                        opcode: mnemonic(insn.opcode),
                        what: format!("backward branch to pc {tpc} with an uninitialised object"),
                    },
                ));
            }
            merge_into(u, &mut frames, t, &f, tpc, &mut work)?;
        }
    }

    Ok(MethodTypes {
        method: mid,
        offset: info.offset,
        insns,
        frames,
        block_starts: block_starts.iter().map(|pc| pc as u16).collect(),
        max_depth,
    })
}

fn ends_block(op: Opcode) -> bool {
    matches!(
        op,
        Opcode::ARETURN
            | Opcode::SRETURN
            | Opcode::IRETURN
            | Opcode::RETURN
            | Opcode::ATHROW
            | Opcode::RET
            | Opcode::JSR
    )
}

pub(crate) fn mnemonic(op: Opcode) -> &'static str {
    op.mnemonic().unwrap_or("<invalid>")
}

fn merge_into(
    u: &Universe,
    frames: &mut [Option<Frame>],
    t: usize,
    f: &Frame,
    tpc: u16,
    work: &mut BitSet,
) -> Result<(), Fail> {
    match &mut frames[t] {
        slot @ None => {
            *slot = Some(f.clone());
            work.insert(t);
        }
        Some(d) => {
            if d.stack.len() != f.stack.len() {
                return Err((
                    Some(tpc),
                    ErrorKind::StackHeightMismatch {
                        target: tpc,
                        a: d.stack.len(),
                        b: f.stack.len(),
                    },
                ));
            }
            let mut changed = false;
            for (a, b) in d
                .stack
                .iter_mut()
                .zip(&f.stack)
                .chain(d.locals.iter_mut().zip(&f.locals))
            {
                let m = lub(u, *a, *b);
                if m != *a {
                    *a = m;
                    changed = true;
                }
            }
            if f.this_uninit && !d.this_uninit {
                d.this_uninit = true;
                changed = true;
            }
            if changed {
                work.insert(t);
            }
        }
    }
    Ok(())
}

/// Least upper bound of two word types.
pub fn lub(u: &Universe, a: VType, b: VType) -> VType {
    use VType::*;
    if a == b {
        return a;
    }
    match (a, b) {
        (Null, x) | (x, Null) if x.is_reference() => x,
        (Ref(x), Ref(y)) => Ref(u.lub_class(x, y)),
        (Array(x), Array(y)) => match (x, y) {
            (Elem::Ref(p), Elem::Ref(q)) => Array(Elem::Ref(u.lub_class(p, q))),
            _ => Ref(u.object),
        },
        (Array(_), Ref(_)) | (Ref(_), Array(_)) => Ref(u.object),
        _ => Top,
    }
}

enum Flow {
    Next,
    Stop,
    Branch { fallthrough: bool },
    Jsr,
    Ret(u16),
}

struct State<'a, 'c> {
    ctx: &'a Ctx<'c>,
    m: MethodId,
    f: Frame,
    op: &'static str,
    max_stack: usize,
    pc: u16,
}

type R<T> = Result<T, ErrorKind>;

impl State<'_, '_> {
    fn u(&self) -> &Universe {
        self.ctx.u
    }

    fn max_seen(&self) -> usize {
        self.f.stack.len()
    }

    fn mismatch(&self, expected: impl Into<String>, found: VType) -> ErrorKind {
        ErrorKind::TypeMismatch {
            opcode: self.op,
            expected: expected.into(),
            found: found.describe(self.u()),
        }
    }

    fn push(&mut self, v: VType) -> R<()> {
        if self.f.stack.len() >= self.max_stack {
            return Err(ErrorKind::StackOverflow {
                opcode: self.op,
                depth: self.f.stack.len() + 1,
                max: self.max_stack,
            });
        }
        self.f.stack.push(v);
        Ok(())
    }

    fn need(&self, n: usize) -> R<()> {
        if self.f.stack.len() < n {
            return Err(ErrorKind::StackUnderflow {
                opcode: self.op,
                needed: n,
                depth: self.f.stack.len(),
            });
        }
        Ok(())
    }

    fn pop(&mut self) -> R<VType> {
        self.need(1)?;
        Ok(self.f.stack.pop().unwrap_or(VType::Top))
    }

    fn pop_short(&mut self) -> R<()> {
        let v = self.pop()?;
        if v != VType::Short {
            return Err(self.mismatch("short", v));
        }
        Ok(())
    }

    fn pop_int(&mut self) -> R<()> {
        self.need(2)?;
        let lo = self.pop()?;
        let hi = self.pop()?;
        if lo != VType::IntLo || hi != VType::IntHi {
            let found = if hi == VType::IntHi { lo } else { hi };
            return Err(self.mismatch("int", found));
        }
        Ok(())
    }

    fn push_int(&mut self) -> R<()> {
        self.push(VType::IntHi)?;
        self.push(VType::IntLo)
    }

    /// Pops an initialised reference (or null).
    fn pop_ref(&mut self) -> R<VType> {
        let v = self.pop()?;
        if !v.is_reference() {
            return Err(self.mismatch("reference", v));
        }
        Ok(v)
    }

    fn assignable(&self, v: VType, t: JType) -> bool {
        let u = self.u();
        match t {
            JType::Void => false,
            JType::Boolean | JType::Byte | JType::Short => v == VType::Short,
            JType::Int => false,
            JType::Ref(c) => match v {
                VType::Null => true,
                VType::Ref(s) => ref_assignable(u, s, c),
                VType::Array(_) => c == u.object || u.class(c).stub,
                _ => false,
            },
            JType::Array(e) => match v {
                VType::Null => true,
                VType::Array(e2) => elem_assignable(u, e2, e),
                _ => false,
            },
        }
    }

    /// Pops a value of declared type `t`.
    fn pop_as(&mut self, t: JType) -> R<()> {
        match t {
            JType::Int => self.pop_int(),
            JType::Void => Ok(()),
            _ => {
                let v = self.pop()?;
                if !self.assignable(v, t) {
                    let d = t.describe(self.u());
                    return Err(self.mismatch(d, v));
                }
                Ok(())
            }
        }
    }

    fn push_as(&mut self, t: JType) -> R<()> {
        match t {
            JType::Void => Ok(()),
            JType::Int => self.push_int(),
            JType::Boolean | JType::Byte | JType::Short => self.push(VType::Short),
            t => self.push(t.vref().unwrap_or(VType::Top)),
        }
    }

    fn local_count(&self) -> usize {
        self.f.locals.len()
    }

    fn check_local(&self, i: usize, words: usize) -> R<()> {
        if i + words > self.local_count() {
            return Err(ErrorKind::LocalOutOfRange {
                opcode: self.op,
                index: i + words - 1,
                count: self.local_count(),
            });
        }
        Ok(())
    }

    fn load(&mut self, i: usize, kind: u8) -> R<()> {
        match kind {
            b's' => {
                self.check_local(i, 1)?;
                let v = self.f.locals[i];
                if v != VType::Short {
                    return Err(self.mismatch(format!("short in local {i}"), v));
                }
                self.push(VType::Short)
            }
            b'i' => {
                self.check_local(i, 2)?;
                let (a, b) = (self.f.locals[i], self.f.locals[i + 1]);
                if a != VType::IntHi || b != VType::IntLo {
                    let found = if a == VType::IntHi { b } else { a };
                    return Err(self.mismatch(format!("int in locals {i}-{}", i + 1), found));
                }
                self.push_int()
            }
            _ => {
                self.check_local(i, 1)?;
                let v = self.f.locals[i];
                if !v.is_reference() && !v.is_uninit() {
                    return Err(self.mismatch(format!("reference in local {i}"), v));
                }
                self.push(v)
            }
        }
    }

    fn set_local(&mut self, i: usize, v: VType) {
        // Overwriting half of an int kills the other half.
        if i > 0 && self.f.locals[i - 1] == VType::IntHi && v != VType::IntLo {
            self.f.locals[i - 1] = VType::Top;
        }
        if self.f.locals[i] == VType::IntHi && i + 1 < self.f.locals.len() {
            self.f.locals[i + 1] = VType::Top;
        }
        self.f.locals[i] = v;
    }

    fn store(&mut self, i: usize, kind: u8) -> R<()> {
        match kind {
            b's' => {
                self.check_local(i, 1)?;
                self.pop_short()?;
                self.set_local(i, VType::Short);
            }
            b'i' => {
                self.check_local(i, 2)?;
                self.pop_int()?;
                self.set_local(i, VType::IntHi);
                self.set_local(i + 1, VType::IntLo);
            }
            _ => {
                self.check_local(i, 1)?;
                let v = self.pop()?;
                if !v.is_reference() && !v.is_uninit() && !matches!(v, VType::RetAddr(_)) {
                    return Err(self.mismatch("reference or return address", v));
                }
                self.set_local(i, v);
            }
        }
        Ok(())
    }

    fn cp(&self, index: u16) -> R<(Resolved, &CpEntry)> {
        let entries = &self.ctx.cap.constant_pool.entries;
        match (
            self.u().cp.get(usize::from(index)),
            entries.get(usize::from(index)),
        ) {
            (Some(r), Some(e)) => Ok((*r, e)),
            _ => Err(ErrorKind::CpIndexOutOfRange {
                index,
                count: entries.len(),
            }),
        }
    }

    fn cp_class(&self, index: u16) -> R<Option<ClassId>> {
        let (r, e) = self.cp(index)?;
        match r {
            Resolved::Class(c) => Ok(Some(c)),
            Resolved::Unresolved if matches!(e, CpEntry::Class(_)) => Ok(None),
            _ => Err(ErrorKind::CpKind {
                index,
                expected: "classref",
                found: e.kind_name(),
            }),
        }
    }

    fn cur_class(&self) -> ClassId {
        self.u().method(self.m).class
    }

    /// Checks access to a member of `owner` with `access`.
    fn check_access(
        &self,
        owner: ClassId,
        access: Access,
        label: impl FnOnce() -> String,
    ) -> R<()> {
        let u = self.u();
        let cur = self.cur_class();
        let ok = match access {
            Access::Public => true,
            Access::Private => owner == cur,
            Access::Package => u.class(owner).package == u.class(cur).package,
            Access::Protected => {
                u.class(owner).package == u.class(cur).package || u.is_subclass(cur, owner)
            }
        };
        if !ok {
            return Err(ErrorKind::Access {
                opcode: self.op,
                member: label(),
                access: access.name(),
                from: u.class_name(cur).to_string(),
            });
        }
        Ok(())
    }

    fn field(&self, index: u16, want_static: bool) -> R<Option<FieldId>> {
        let (r, e) = self.cp(index)?;
        match (r, want_static) {
            (Resolved::InstanceField(f), false) | (Resolved::StaticField(f), true) => Ok(Some(f)),
            (Resolved::Unresolved, false) if matches!(e, CpEntry::InstanceField { .. }) => Ok(None),
            (Resolved::Unresolved, true) if matches!(e, CpEntry::StaticField(_)) => Ok(None),
            _ => Err(ErrorKind::CpKind {
                index,
                expected: if want_static {
                    "static fieldref"
                } else {
                    "instance fieldref"
                },
                found: e.kind_name(),
            }),
        }
    }

    /// Checks that a field of declared type `ty` fits the opcode kind.
    fn field_kind(&self, kind: u8, f: FieldId) -> R<JType> {
        let u = self.u();
        let ty = u.field(f).ty;
        let ok = match kind {
            b'a' => ty.is_reference(),
            b'b' => matches!(ty, JType::Byte | JType::Boolean),
            b's' => ty == JType::Short,
            _ => ty == JType::Int,
        };
        if !ok {
            return Err(ErrorKind::TypeMismatch {
                opcode: self.op,
                expected: format!(
                    "a field of type {}",
                    match kind {
                        b'a' => "reference",
                        b'b' => "byte or boolean",
                        b's' => "short",
                        _ => "int",
                    }
                ),
                found: format!("{} of type {}", u.field_label(f), ty.describe(u)),
            });
        }
        Ok(ty)
    }

    fn check_objectref(&self, v: VType, owner: ClassId, allow_uninit_this: bool) -> R<()> {
        let u = self.u();
        let ok = match v {
            VType::Null => true,
            VType::Ref(c) => ref_assignable(u, c, owner),
            VType::Array(_) => owner == u.object,
            VType::UninitThis(c) => allow_uninit_this && c == owner,
            _ => false,
        };
        if !ok {
            if v.is_uninit() {
                return Err(ErrorKind::Uninitialized {
                    opcode: self.op,
                    what: format!("uses {} before its constructor ran", v.describe(u)),
                });
            }
            return Err(self.mismatch(u.class_name(owner).to_string(), v));
        }
        Ok(())
    }

    /// Protected instance members of another package: the object must be
    /// of the current class (or a subclass).
    fn check_protected_object(&self, v: VType, owner: ClassId, access: Access) -> R<()> {
        let u = self.u();
        let cur = self.cur_class();
        if access != Access::Protected || u.class(owner).package == u.class(cur).package {
            return Ok(());
        }
        match v {
            VType::Null | VType::UninitThis(_) => Ok(()),
            VType::Ref(c) if u.is_subclass(c, cur) => Ok(()),
            _ => Err(ErrorKind::Access {
                opcode: self.op,
                member: format!(
                    "a protected member of {} on {}",
                    u.class_name(owner),
                    v.describe(u)
                ),
                access: "protected",
                from: u.class_name(cur).to_string(),
            }),
        }
    }

    fn getfield(&mut self, kind: u8, index: u16, this: bool) -> R<()> {
        let f = self.field(index, false)?;
        let obj = if this {
            self.check_local(0, 1)?;
            self.f.locals[0]
        } else {
            self.pop()?
        };
        let Some(f) = f else {
            return Err(ErrorKind::Unresolved {
                what: format!("constant-pool entry {index}"),
            });
        };
        let ty = self.field_kind(kind, f)?;
        let fd = self.u().field(f).clone();
        self.check_access(fd.class, fd.access, || self.u().field_label(f))?;
        self.check_objectref(obj, fd.class, false)?;
        self.check_protected_object(obj, fd.class, fd.access)?;
        self.push_as(ty)
    }

    fn putfield(&mut self, kind: u8, index: u16, this: bool) -> R<()> {
        let f = self.field(index, false)?;
        let Some(f) = f else {
            return Err(ErrorKind::Unresolved {
                what: format!("constant-pool entry {index}"),
            });
        };
        let ty = self.field_kind(kind, f)?;
        self.pop_as(ty)?;
        let obj = if this {
            self.check_local(0, 1)?;
            self.f.locals[0]
        } else {
            self.pop()?
        };
        let fd = self.u().field(f).clone();
        self.check_access(fd.class, fd.access, || self.u().field_label(f))?;
        let cur = self.cur_class();
        self.check_objectref(obj, fd.class, fd.class == cur)?;
        self.check_protected_object(obj, fd.class, fd.access)?;
        if fd.is_final {
            let m = self.u().method(self.m);
            if !(m.is_init && fd.class == m.class) {
                return Err(ErrorKind::FinalFieldWrite {
                    opcode: self.op,
                    field: self.u().field_label(f),
                });
            }
        }
        Ok(())
    }

    fn getstatic(&mut self, kind: u8, index: u16) -> R<()> {
        let Some(f) = self.field(index, true)? else {
            return Err(ErrorKind::Unresolved {
                what: format!("constant-pool entry {index}"),
            });
        };
        let ty = self.field_kind(kind, f)?;
        let fd = self.u().field(f).clone();
        self.check_access(fd.class, fd.access, || self.u().field_label(f))?;
        self.push_as(ty)
    }

    fn putstatic(&mut self, kind: u8, index: u16) -> R<()> {
        let Some(f) = self.field(index, true)? else {
            return Err(ErrorKind::Unresolved {
                what: format!("constant-pool entry {index}"),
            });
        };
        let ty = self.field_kind(kind, f)?;
        self.pop_as(ty)?;
        let fd = self.u().field(f).clone();
        self.check_access(fd.class, fd.access, || self.u().field_label(f))?;
        if fd.is_final {
            return Err(ErrorKind::FinalFieldWrite {
                opcode: self.op,
                field: self.u().field_label(f),
            });
        }
        Ok(())
    }

    fn pop_args(&mut self, mid: MethodId) -> R<()> {
        let params = self.u().method(mid).sig.params.clone();
        for p in params.iter().rev() {
            self.pop_as(*p).map_err(|e| match e {
                ErrorKind::TypeMismatch {
                    opcode,
                    expected,
                    found,
                } => ErrorKind::TypeMismatch {
                    opcode,
                    expected: format!("argument {expected}"),
                    found,
                },
                e => e,
            })?;
        }
        Ok(())
    }

    fn replace_uninit(&mut self, from: VType, to: VType) {
        for v in self.f.stack.iter_mut().chain(self.f.locals.iter_mut()) {
            if *v == from {
                *v = to;
            }
        }
    }

    fn invoke(&mut self, insn: &Instruction) -> R<()> {
        let u = self.ctx.u;
        let index = match insn.operands {
            Operands::Cp(i) => i,
            Operands::Interface { index, .. } => index,
            _ => 0,
        };
        let (r, e) = self.cp(index)?;
        let unresolved = || ErrorKind::Unresolved {
            what: format!("constant-pool entry {index}"),
        };
        match insn.opcode {
            Opcode::INVOKEVIRTUAL => {
                let mid = match r {
                    Resolved::VirtualMethod(m) => m,
                    Resolved::Unresolved if matches!(e, CpEntry::VirtualMethod { .. }) => {
                        return Err(unresolved())
                    }
                    _ => {
                        return Err(ErrorKind::CpKind {
                            index,
                            expected: "virtual methodref",
                            found: e.kind_name(),
                        })
                    }
                };
                let m = u.method(mid).clone();
                self.check_access(m.class, m.access, || u.method_label(mid))?;
                self.pop_args(mid)?;
                let obj = self.pop()?;
                self.check_objectref(obj, m.class, false)?;
                self.check_protected_object(obj, m.class, m.access)?;
                self.push_as(m.sig.ret)
            }
            Opcode::INVOKEINTERFACE => {
                let Operands::Interface { nargs, token, .. } = insn.operands else {
                    return Err(unresolved());
                };
                let iface = match r {
                    Resolved::Class(c) => c,
                    Resolved::Unresolved if matches!(e, CpEntry::Class(_)) => {
                        return Err(unresolved())
                    }
                    _ => {
                        return Err(ErrorKind::CpKind {
                            index,
                            expected: "classref",
                            found: e.kind_name(),
                        })
                    }
                };
                if u.class(iface).stub {
                    return Err(unresolved());
                }
                if !u.class(iface).is_interface {
                    return Err(ErrorKind::ClassKind {
                        expected: "an interface",
                        found: "class",
                        name: u.class_name(iface).to_string(),
                    });
                }
                let Some(mid) = u.find_interface_method(iface, token) else {
                    return Err(ErrorKind::UnknownToken {
                        kind: "interface method",
                        token,
                        class: u.class_name(iface).to_string(),
                    });
                };
                let m = u.method(mid).clone();
                let words = m.sig.param_words() + 1;
                if usize::from(nargs) != words {
                    return Err(ErrorKind::BadInvoke {
                        opcode: self.op,
                        what: format!("nargs operand is {nargs}, the signature needs {words}"),
                    });
                }
                self.pop_args(mid)?;
                let obj = self.pop()?;
                match obj {
                    VType::Null | VType::Ref(_) => {}
                    v => {
                        return Err(self
                            .mismatch(format!("object implementing {}", u.class_name(iface)), v))
                    }
                }
                self.push_as(m.sig.ret)
            }
            Opcode::INVOKESTATIC => {
                let mid = match r {
                    Resolved::StaticMethod(m) => m,
                    Resolved::Unresolved if matches!(e, CpEntry::StaticMethod(_)) => {
                        return Err(unresolved())
                    }
                    _ => {
                        return Err(ErrorKind::CpKind {
                            index,
                            expected: "static methodref",
                            found: e.kind_name(),
                        })
                    }
                };
                let m = u.method(mid).clone();
                if !m.is_static || m.is_init {
                    return Err(ErrorKind::BadInvoke {
                        opcode: self.op,
                        what: format!("{} is not a static method", u.method_label(mid)),
                    });
                }
                self.check_access(m.class, m.access, || u.method_label(mid))?;
                self.pop_args(mid)?;
                self.push_as(m.sig.ret)
            }
            Opcode::INVOKESPECIAL => {
                let cur = self.cur_class();
                match r {
                    Resolved::StaticMethod(mid) => {
                        let m = u.method(mid).clone();
                        if m.is_abstract {
                            return Err(ErrorKind::BadInvoke {
                                opcode: self.op,
                                what: format!("{} is abstract", u.method_label(mid)),
                            });
                        }
                        if m.is_static {
                            return Err(ErrorKind::BadInvoke {
                                opcode: self.op,
                                what: format!("{} is static", u.method_label(mid)),
                            });
                        }
                        self.check_access(m.class, m.access, || u.method_label(mid))?;
                        self.pop_args(mid)?;
                        let obj = self.pop()?;
                        if m.is_init {
                            match obj {
                                VType::Uninit { class, .. } if class == m.class => {
                                    self.replace_uninit(obj, VType::Ref(class));
                                }
                                VType::UninitThis(c)
                                    if c == cur
                                        && (m.class == cur
                                            || u.class(cur).super_class == Some(m.class)) =>
                                {
                                    self.replace_uninit(obj, VType::Ref(c));
                                    self.f.this_uninit = false;
                                }
                                v => {
                                    return Err(ErrorKind::Uninitialized {
                                        opcode: self.op,
                                        what: format!(
                                            "constructor {} called on {}",
                                            u.method_label(mid),
                                            v.describe(u)
                                        ),
                                    })
                                }
                            }
                        } else {
                            if m.access != Access::Private || m.class != cur {
                                return Err(ErrorKind::BadInvoke {
                                    opcode: self.op,
                                    what: format!(
                                        "{} is neither a constructor nor a private method of {}",
                                        u.method_label(mid),
                                        u.class_name(cur)
                                    ),
                                });
                            }
                            self.check_objectref(obj, cur, false)?;
                        }
                        self.push_as(m.sig.ret)
                    }
                    Resolved::SuperMethod(mid) => {
                        let CpEntry::SuperMethod { class, .. } = e else {
                            return Err(unresolved());
                        };
                        let named = match *class {
                            hydra_cap::ClassRef::Internal(o) => u.internal_class(o),
                            _ => None,
                        };
                        if named != Some(cur) {
                            return Err(ErrorKind::BadInvoke {
                                opcode: self.op,
                                what: format!(
                                    "super method reference names a class other than the current class {}",
                                    u.class_name(cur)
                                ),
                            });
                        }
                        let m = u.method(mid).clone();
                        if m.is_abstract {
                            return Err(ErrorKind::BadInvoke {
                                opcode: self.op,
                                what: format!("{} is abstract", u.method_label(mid)),
                            });
                        }
                        self.check_access(m.class, m.access, || u.method_label(mid))?;
                        self.pop_args(mid)?;
                        let obj = self.pop()?;
                        self.check_objectref(obj, cur, false)?;
                        self.push_as(m.sig.ret)
                    }
                    Resolved::Unresolved
                        if matches!(e, CpEntry::StaticMethod(_) | CpEntry::SuperMethod { .. }) =>
                    {
                        Err(unresolved())
                    }
                    _ => Err(ErrorKind::CpKind {
                        index,
                        expected: "static or super methodref",
                        found: e.kind_name(),
                    }),
                }
            }
            _ => Ok(()),
        }
    }

    fn array_load(&mut self, elems: &[Elem], what: &str) -> R<()> {
        self.pop_short()?;
        let a = self.pop()?;
        match a {
            VType::Null => {}
            VType::Array(e) if elems.contains(&e) => {}
            VType::Array(Elem::Ref(c)) if elems.is_empty() => {
                return self.push(VType::Ref(c));
            }
            v => return Err(self.mismatch(what.to_string(), v)),
        }
        if elems.is_empty() {
            // aaload on null: the result is null (the load throws).
            return self.push(VType::Null);
        }
        if elems.contains(&Elem::Int) {
            self.push_int()
        } else {
            self.push(VType::Short)
        }
    }

    fn array_store(&mut self, elems: &[Elem], what: &str) -> R<()> {
        if elems.contains(&Elem::Int) {
            self.pop_int()?;
        } else if elems.is_empty() {
            self.pop_ref()?;
        } else {
            self.pop_short()?;
        }
        self.pop_short()?;
        let a = self.pop()?;
        match a {
            VType::Null => Ok(()),
            VType::Array(e) if elems.contains(&e) => Ok(()),
            VType::Array(Elem::Ref(_)) if elems.is_empty() => Ok(()),
            v => Err(self.mismatch(what.to_string(), v)),
        }
    }

    fn ret_type(&self) -> JType {
        self.u().method(self.m).sig.ret
    }

    fn bad_return(&self) -> ErrorKind {
        ErrorKind::BadReturn {
            opcode: self.op,
            declared: self.ret_type().describe(self.u()),
        }
    }

    /// Words `[len-n, len)` must not start in the middle of an int.
    fn no_split(&self, n: usize) -> R<()> {
        self.need(n)?;
        let s = &self.f.stack;
        if s[s.len() - n] == VType::IntLo {
            return Err(ErrorKind::SplitInt { opcode: self.op });
        }
        Ok(())
    }

    fn step(&mut self, insn: &Instruction) -> R<Flow> {
        let op = insn.opcode;
        if op.uses_int() && !self.ctx.uses_int {
            return Err(ErrorKind::IntNotDeclared { opcode: self.op });
        }
        let o = &insn.operands;
        let local = |o: &Operands| match o {
            Operands::Local(l) => usize::from(*l),
            Operands::Inc { local, .. } => usize::from(*local),
            _ => 0,
        };
        let cpi = |o: &Operands| match o {
            Operands::Cp(i) => *i,
            _ => 0,
        };
        use Opcode as O;
        match op {
            O::NOP => {}
            O::ACONST_NULL => self.push(VType::Null)?,
            O::SCONST_M1
            | O::SCONST_0
            | O::SCONST_1
            | O::SCONST_2
            | O::SCONST_3
            | O::SCONST_4
            | O::SCONST_5
            | O::BSPUSH
            | O::SSPUSH => self.push(VType::Short)?,
            O::ICONST_M1
            | O::ICONST_0
            | O::ICONST_1
            | O::ICONST_2
            | O::ICONST_3
            | O::ICONST_4
            | O::ICONST_5
            | O::BIPUSH
            | O::SIPUSH
            | O::IIPUSH => self.push_int()?,
            O::ALOAD => self.load(local(o), b'a')?,
            O::SLOAD => self.load(local(o), b's')?,
            O::ILOAD => self.load(local(o), b'i')?,
            O::ALOAD_0 | O::ALOAD_1 | O::ALOAD_2 | O::ALOAD_3 => {
                self.load(usize::from(op.0 - O::ALOAD_0.0), b'a')?
            }
            O::SLOAD_0 | O::SLOAD_1 | O::SLOAD_2 | O::SLOAD_3 => {
                self.load(usize::from(op.0 - O::SLOAD_0.0), b's')?
            }
            O::ILOAD_0 | O::ILOAD_1 | O::ILOAD_2 | O::ILOAD_3 => {
                self.load(usize::from(op.0 - O::ILOAD_0.0), b'i')?
            }
            O::ASTORE => self.store(local(o), b'a')?,
            O::SSTORE => self.store(local(o), b's')?,
            O::ISTORE => self.store(local(o), b'i')?,
            O::ASTORE_0 | O::ASTORE_1 | O::ASTORE_2 | O::ASTORE_3 => {
                self.store(usize::from(op.0 - O::ASTORE_0.0), b'a')?
            }
            O::SSTORE_0 | O::SSTORE_1 | O::SSTORE_2 | O::SSTORE_3 => {
                self.store(usize::from(op.0 - O::SSTORE_0.0), b's')?
            }
            O::ISTORE_0 | O::ISTORE_1 | O::ISTORE_2 | O::ISTORE_3 => {
                self.store(usize::from(op.0 - O::ISTORE_0.0), b'i')?
            }
            O::AALOAD => self.array_load(&[], "reference array")?,
            O::BALOAD => self.array_load(&[Elem::Byte, Elem::Boolean], "byte[] or boolean[]")?,
            O::SALOAD => self.array_load(&[Elem::Short], "short[]")?,
            O::IALOAD => self.array_load(&[Elem::Int], "int[]")?,
            O::AASTORE => self.array_store(&[], "reference array")?,
            O::BASTORE => self.array_store(&[Elem::Byte, Elem::Boolean], "byte[] or boolean[]")?,
            O::SASTORE => self.array_store(&[Elem::Short], "short[]")?,
            O::IASTORE => self.array_store(&[Elem::Int], "int[]")?,
            O::POP => {
                self.need(1)?;
                let v = *self.f.stack.last().unwrap_or(&VType::Top);
                if matches!(v, VType::IntLo | VType::IntHi) {
                    return Err(ErrorKind::SplitInt { opcode: self.op });
                }
                self.pop()?;
            }
            O::POP2 => {
                self.no_split(2)?;
                self.pop()?;
                self.pop()?;
            }
            O::DUP => {
                self.need(1)?;
                let v = *self.f.stack.last().unwrap_or(&VType::Top);
                if matches!(v, VType::IntLo | VType::IntHi) {
                    return Err(ErrorKind::SplitInt { opcode: self.op });
                }
                self.push(v)?;
            }
            O::DUP2 => {
                self.no_split(2)?;
                let n = self.f.stack.len();
                let (a, b) = (self.f.stack[n - 2], self.f.stack[n - 1]);
                self.push(a)?;
                self.push(b)?;
            }
            O::DUP_X => {
                let Operands::Stack(mn) = *o else {
                    return Ok(Flow::Next);
                };
                let (m, n) = (usize::from(mn >> 4), usize::from(mn & 0xf));
                if !(1..=4).contains(&m) || !(n == 0 || (m..=m + 4).contains(&n)) {
                    return Err(ErrorKind::BadStackOperand {
                        opcode: self.op,
                        mn,
                    });
                }
                let depth = if n == 0 { m } else { n };
                self.no_split(m)?;
                self.no_split(depth)?;
                let len = self.f.stack.len();
                let top: Vec<VType> = self.f.stack[len - m..].to_vec();
                if len + m > self.max_stack {
                    return Err(ErrorKind::StackOverflow {
                        opcode: self.op,
                        depth: len + m,
                        max: self.max_stack,
                    });
                }
                let at = len - depth;
                for (k, v) in top.into_iter().enumerate() {
                    self.f.stack.insert(at + k, v);
                }
            }
            O::SWAP_X => {
                let Operands::Stack(mn) = *o else {
                    return Ok(Flow::Next);
                };
                let (m, n) = (usize::from(mn >> 4), usize::from(mn & 0xf));
                if !(1..=2).contains(&m) || !(1..=2).contains(&n) {
                    return Err(ErrorKind::BadStackOperand {
                        opcode: self.op,
                        mn,
                    });
                }
                self.no_split(m)?;
                self.no_split(m + n)?;
                let len = self.f.stack.len();
                let top: Vec<VType> = self.f.stack[len - m..].to_vec();
                self.f.stack.truncate(len - m);
                let at = len - m - n;
                for (k, v) in top.into_iter().enumerate() {
                    self.f.stack.insert(at + k, v);
                }
            }
            O::SADD
            | O::SSUB
            | O::SMUL
            | O::SDIV
            | O::SREM
            | O::SSHL
            | O::SSHR
            | O::SUSHR
            | O::SAND
            | O::SOR
            | O::SXOR => {
                self.pop_short()?;
                self.pop_short()?;
                self.push(VType::Short)?;
            }
            O::IADD
            | O::ISUB
            | O::IMUL
            | O::IDIV
            | O::IREM
            | O::ISHL
            | O::ISHR
            | O::IUSHR
            | O::IAND
            | O::IOR
            | O::IXOR => {
                self.pop_int()?;
                self.pop_int()?;
                self.push_int()?;
            }
            O::SNEG | O::S2B => {
                self.pop_short()?;
                self.push(VType::Short)?;
            }
            O::INEG => {
                self.pop_int()?;
                self.push_int()?;
            }
            O::S2I => {
                self.pop_short()?;
                self.push_int()?;
            }
            O::I2B | O::I2S => {
                self.pop_int()?;
                self.push(VType::Short)?;
            }
            O::ICMP => {
                self.pop_int()?;
                self.pop_int()?;
                self.push(VType::Short)?;
            }
            O::SINC | O::SINC_W => {
                let i = local(o);
                self.check_local(i, 1)?;
                let v = self.f.locals[i];
                if v != VType::Short {
                    return Err(self.mismatch(format!("short in local {i}"), v));
                }
            }
            O::IINC | O::IINC_W => {
                let i = local(o);
                self.check_local(i, 2)?;
                let (a, b) = (self.f.locals[i], self.f.locals[i + 1]);
                if a != VType::IntHi || b != VType::IntLo {
                    return Err(self.mismatch(format!("int in locals {i}-{}", i + 1), a));
                }
            }
            O::IFEQ
            | O::IFNE
            | O::IFLT
            | O::IFGE
            | O::IFGT
            | O::IFLE
            | O::IFEQ_W
            | O::IFNE_W
            | O::IFLT_W
            | O::IFGE_W
            | O::IFGT_W
            | O::IFLE_W => {
                self.pop_short()?;
                return Ok(Flow::Branch { fallthrough: true });
            }
            O::IFNULL | O::IFNONNULL | O::IFNULL_W | O::IFNONNULL_W => {
                self.pop_ref()?;
                return Ok(Flow::Branch { fallthrough: true });
            }
            O::IF_ACMPEQ | O::IF_ACMPNE | O::IF_ACMPEQ_W | O::IF_ACMPNE_W => {
                self.pop_ref()?;
                self.pop_ref()?;
                return Ok(Flow::Branch { fallthrough: true });
            }
            O::IF_SCMPEQ
            | O::IF_SCMPNE
            | O::IF_SCMPLT
            | O::IF_SCMPGE
            | O::IF_SCMPGT
            | O::IF_SCMPLE
            | O::IF_SCMPEQ_W
            | O::IF_SCMPNE_W
            | O::IF_SCMPLT_W
            | O::IF_SCMPGE_W
            | O::IF_SCMPGT_W
            | O::IF_SCMPLE_W => {
                self.pop_short()?;
                self.pop_short()?;
                return Ok(Flow::Branch { fallthrough: true });
            }
            O::GOTO | O::GOTO_W => return Ok(Flow::Branch { fallthrough: false }),
            O::JSR => {
                let t = insn.branch_targets()[0];
                self.push(VType::RetAddr(t as u16))?;
                return Ok(Flow::Jsr);
            }
            O::RET => {
                let i = local(o);
                self.check_local(i, 1)?;
                match self.f.locals[i] {
                    VType::RetAddr(s) => return Ok(Flow::Ret(s)),
                    v => return Err(self.mismatch(format!("return address in local {i}"), v)),
                }
            }
            O::STABLESWITCH | O::SLOOKUPSWITCH => {
                self.pop_short()?;
                return Ok(Flow::Branch { fallthrough: false });
            }
            O::ITABLESWITCH | O::ILOOKUPSWITCH => {
                self.pop_int()?;
                return Ok(Flow::Branch { fallthrough: false });
            }
            O::ARETURN => {
                let t = self.ret_type();
                if !t.is_reference() {
                    return Err(self.bad_return());
                }
                self.pop_as(t)?;
                return Ok(Flow::Stop);
            }
            O::SRETURN => {
                if !matches!(self.ret_type(), JType::Short | JType::Byte | JType::Boolean) {
                    return Err(self.bad_return());
                }
                self.pop_short()?;
                return Ok(Flow::Stop);
            }
            O::IRETURN => {
                if self.ret_type() != JType::Int {
                    return Err(self.bad_return());
                }
                self.pop_int()?;
                return Ok(Flow::Stop);
            }
            O::RETURN => {
                if self.ret_type() != JType::Void {
                    return Err(self.bad_return());
                }
                if self.f.this_uninit {
                    return Err(ErrorKind::Uninitialized {
                        opcode: self.op,
                        what: "constructor returns before calling a superclass constructor".into(),
                    });
                }
                return Ok(Flow::Stop);
            }
            O::GETSTATIC_A => self.getstatic(b'a', cpi(o))?,
            O::GETSTATIC_B => self.getstatic(b'b', cpi(o))?,
            O::GETSTATIC_S => self.getstatic(b's', cpi(o))?,
            O::GETSTATIC_I => self.getstatic(b'i', cpi(o))?,
            O::PUTSTATIC_A => self.putstatic(b'a', cpi(o))?,
            O::PUTSTATIC_B => self.putstatic(b'b', cpi(o))?,
            O::PUTSTATIC_S => self.putstatic(b's', cpi(o))?,
            O::PUTSTATIC_I => self.putstatic(b'i', cpi(o))?,
            O::GETFIELD_A | O::GETFIELD_A_W => self.getfield(b'a', cpi(o), false)?,
            O::GETFIELD_B | O::GETFIELD_B_W => self.getfield(b'b', cpi(o), false)?,
            O::GETFIELD_S | O::GETFIELD_S_W => self.getfield(b's', cpi(o), false)?,
            O::GETFIELD_I | O::GETFIELD_I_W => self.getfield(b'i', cpi(o), false)?,
            O::GETFIELD_A_THIS => self.getfield(b'a', cpi(o), true)?,
            O::GETFIELD_B_THIS => self.getfield(b'b', cpi(o), true)?,
            O::GETFIELD_S_THIS => self.getfield(b's', cpi(o), true)?,
            O::GETFIELD_I_THIS => self.getfield(b'i', cpi(o), true)?,
            O::PUTFIELD_A | O::PUTFIELD_A_W => self.putfield(b'a', cpi(o), false)?,
            O::PUTFIELD_B | O::PUTFIELD_B_W => self.putfield(b'b', cpi(o), false)?,
            O::PUTFIELD_S | O::PUTFIELD_S_W => self.putfield(b's', cpi(o), false)?,
            O::PUTFIELD_I | O::PUTFIELD_I_W => self.putfield(b'i', cpi(o), false)?,
            O::PUTFIELD_A_THIS => self.putfield(b'a', cpi(o), true)?,
            O::PUTFIELD_B_THIS => self.putfield(b'b', cpi(o), true)?,
            O::PUTFIELD_S_THIS => self.putfield(b's', cpi(o), true)?,
            O::PUTFIELD_I_THIS => self.putfield(b'i', cpi(o), true)?,
            O::INVOKEVIRTUAL | O::INVOKESPECIAL | O::INVOKESTATIC | O::INVOKEINTERFACE => {
                self.invoke(insn)?
            }
            O::NEW => {
                let index = cpi(o);
                let Some(c) = self.cp_class(index)? else {
                    return Err(ErrorKind::Unresolved {
                        what: format!("constant-pool entry {index}"),
                    });
                };
                let u = self.ctx.u;
                let cl = u.class(c);
                if cl.is_interface || cl.is_abstract {
                    return Err(ErrorKind::BadNew {
                        opcode: self.op,
                        what: if cl.is_interface {
                            "interface"
                        } else {
                            "abstract class"
                        },
                        class: cl.name.clone(),
                    });
                }
                if cl.package != 0 && !cl.is_public {
                    return Err(ErrorKind::Access {
                        opcode: self.op,
                        member: cl.name.clone(),
                        access: "package-private",
                        from: u.class_name(self.cur_class()).to_string(),
                    });
                }
                // A second `new` at the same pc makes older results unusable.
                let me = VType::Uninit {
                    pc: self.pc,
                    class: c,
                };
                self.replace_uninit(me, VType::Top);
                self.push(me)?;
            }
            O::NEWARRAY => {
                let Operands::NewArray(t) = *o else {
                    return Ok(Flow::Next);
                };
                let e = prim_elem(t).ok_or(ErrorKind::BadArrayType {
                    opcode: self.op,
                    atype: t,
                })?;
                if e == Elem::Int && !self.ctx.uses_int {
                    return Err(ErrorKind::IntNotDeclared { opcode: self.op });
                }
                self.pop_short()?;
                self.push(VType::Array(e))?;
            }
            O::ANEWARRAY => {
                let index = cpi(o);
                let c = self.cp_class(index)?.unwrap_or(self.ctx.u.object);
                self.pop_short()?;
                self.push(VType::Array(Elem::Ref(c)))?;
            }
            O::ARRAYLENGTH => {
                let v = self.pop()?;
                if !matches!(v, VType::Null | VType::Array(_)) {
                    return Err(self.mismatch("array", v));
                }
                self.push(VType::Short)?;
            }
            O::ATHROW => {
                let t = self.ctx.u.throwable;
                self.pop_as(JType::Ref(t))?;
                return Ok(Flow::Stop);
            }
            O::CHECKCAST | O::INSTANCEOF => {
                let Operands::TypeCheck { atype, index } = *o else {
                    return Ok(Flow::Next);
                };
                let target = match atype {
                    0 => VType::Ref(self.cp_class(index)?.unwrap_or(self.ctx.u.object)),
                    T_REFERENCE => VType::Array(Elem::Ref(
                        self.cp_class(index)?.unwrap_or(self.ctx.u.object),
                    )),
                    t => VType::Array(prim_elem(t).ok_or(ErrorKind::BadArrayType {
                        opcode: self.op,
                        atype: t,
                    })?),
                };
                self.pop_ref()?;
                if op == O::CHECKCAST {
                    self.push(target)?;
                } else {
                    self.push(VType::Short)?;
                }
            }
            _ => {
                return Err(ErrorKind::Decode(
                    hydra_cap::bytecode::DecodeError::InvalidOpcode {
                        pc: insn.pc,
                        byte: op.0,
                    },
                ))
            }
        }
        Ok(Flow::Next)
    }
}

fn prim_elem(t: u8) -> Option<Elem> {
    Some(match t {
        T_BOOLEAN => Elem::Boolean,
        T_BYTE => Elem::Byte,
        T_SHORT => Elem::Short,
        T_INT => Elem::Int,
        _ => return None,
    })
}

/// A reference of class `s` may be used as `t`. Interfaces are checked at
/// run time (as in the JVM): any class reference may flow into one.
pub fn ref_assignable(u: &Universe, s: ClassId, t: ClassId) -> bool {
    if u.class(s).stub || u.class(t).stub {
        return true;
    }
    if u.class(t).is_interface {
        return true;
    }
    u.is_subclass(s, t)
}

pub fn elem_assignable(u: &Universe, a: Elem, b: Elem) -> bool {
    match (a, b) {
        (Elem::Ref(x), Elem::Ref(y)) => ref_assignable(u, x, y),
        _ => a == b,
    }
}
