//! Instruction selection: optimised CLIF (`ir::Function`) to [`VCode`].
//!
//! Each CLIF block is lowered bottom-up (blocks in post-order, so every use
//! is seen before its definition), which lets an instruction absorb the
//! instructions that compute its operands when the machine has a form for
//! it: constants as modified or 12-bit immediates, shifts as shifted
//! operands, `iadd(a, imul(b, c))` as MLA, address arithmetic as
//! `[rn, #imm]` / `[rn, rm, lsl #k]`, comparisons into the branch, select or
//! `cbz` that uses them. An absorbed instruction whose result has no other
//! use is not emitted. Constants are rematerialised at each use.
//!
//! Values narrower than 32 bits (i8, i16) live in 32-bit registers whose
//! upper bits are unspecified unless known otherwise (loads, compares and
//! extensions leave them zero- or sign-extended); they are extended only
//! where 16-bit semantics need it: compares, division, right shifts,
//! extensions and zero tests.
//!
//! Critical edges are split (a jump-only block on each edge that leaves a
//! block with several successors for a block with several predecessors or
//! with parameters), as regalloc2 requires.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::{CondCode, IntCC};
use cranelift_codegen::ir::types::{I16, I32, I8};
use cranelift_codegen::ir::{
    self, BlockArg, Function, InstructionData, Opcode, Type, Value, ValueDef,
};
use regalloc2::{Block, Operand, PRegSet, RegClass, VReg};

use super::abi;
use super::inst::*;
use super::vcode::*;
use crate::CodegenError;

fn s(i: u8) -> Reg {
    Reg::new(i)
}

/// Where a block of the VCode comes from.
#[derive(Debug, Clone, Copy)]
enum Origin {
    Clif(ir::Block),
    /// A split edge.
    Edge,
}

struct Lower<'f> {
    f: &'f Function,
    name: &'f str,
    uses: HashMap<Value, u32>,
    vregs: HashMap<Value, VReg>,
    next_vreg: usize,
    order: Vec<Origin>,
    vblock: HashMap<ir::Block, usize>,
    edge: HashMap<(ir::Block, usize), usize>,
    /// Per VCode block: instructions (built in reverse) and jump arguments.
    rev: Vec<Vec<VInst>>,
    branch_args: Vec<Vec<VReg>>,
    /// The forward sequence of the instruction being lowered.
    cur: Vec<VInst>,
    slot_offsets: HashMap<ir::StackSlot, u32>,
    outgoing: u32,
    calls: bool,
}

/// Lowers one function.
pub fn lower(f: &Function, name: &str) -> Result<VCode, CodegenError> {
    let mut l = Lower {
        f,
        name,
        uses: HashMap::new(),
        vregs: HashMap::new(),
        next_vreg: 0,
        order: Vec::new(),
        vblock: HashMap::new(),
        edge: HashMap::new(),
        rev: Vec::new(),
        branch_args: Vec::new(),
        cur: Vec::new(),
        slot_offsets: HashMap::new(),
        outgoing: 0,
        calls: false,
    };
    l.run()
}

fn succs_of(f: &Function, term: ir::Inst) -> Vec<(ir::Block, Vec<Value>)> {
    let data = &f.dfg.insts[term];
    data.branch_destination(&f.dfg.jump_tables, &f.dfg.exception_tables)
        .iter()
        .map(|bc| {
            let args = bc
                .args(&f.dfg.value_lists)
                .filter_map(|a| match a {
                    BlockArg::Value(v) => Some(v),
                    _ => None,
                })
                .collect();
            (bc.block(&f.dfg.value_lists), args)
        })
        .collect()
}

impl<'f> Lower<'f> {
    fn err(&self, inst: Option<ir::Inst>, what: impl Into<String>) -> CodegenError {
        CodegenError::Unsupported {
            func: self.name.to_string(),
            inst: inst
                .map(|i| self.f.dfg.display_inst(i).to_string())
                .unwrap_or_default(),
            what: what.into(),
        }
    }

    fn run(&mut self) -> Result<VCode, CodegenError> {
        let f = self.f;
        let entry = f
            .layout
            .entry_block()
            .ok_or_else(|| self.err(None, "a function without blocks"))?;
        // Reachable blocks in reverse post-order.
        let mut post = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![(entry, 0usize)];
        seen.insert(entry);
        while let Some((b, i)) = stack.pop() {
            let term = f
                .layout
                .last_inst(b)
                .ok_or_else(|| self.err(None, format!("{b} is empty")))?;
            // Cold successors first: they finish first, so reverse
            // post-order puts them after the hot path.
            let mut succs: Vec<ir::Block> = succs_of(f, term).into_iter().map(|s| s.0).collect();
            succs.sort_by_key(|&t| !f.layout.is_cold(t));
            if i < succs.len() {
                stack.push((b, i + 1));
                let t = succs[i];
                if seen.insert(t) {
                    stack.push((t, 0));
                }
            } else {
                post.push(b);
            }
        }
        // Types and use counts.
        let mut preds: HashMap<ir::Block, usize> = HashMap::new();
        for &b in &post {
            for p in f.dfg.block_params(b) {
                self.check_type(None, f.dfg.value_type(*p))?;
            }
            for inst in f.layout.block_insts(b) {
                for &r in f.dfg.inst_results(inst) {
                    self.check_type(Some(inst), f.dfg.value_type(r))?;
                }
                for &a in f.dfg.inst_args(inst) {
                    *self.uses.entry(a).or_default() += 1;
                }
                if let Some(term) = f.layout.last_inst(b).filter(|&t| t == inst) {
                    for (t, args) in succs_of(f, term) {
                        *preds.entry(t).or_default() += 1;
                        for a in args {
                            *self.uses.entry(a).or_default() += 1;
                        }
                    }
                }
            }
        }
        // Explicit stack slots.
        let mut off = 0u32;
        for (slot, data) in f.sized_stack_slots.iter() {
            let align = 1u32 << data.align_shift.min(3);
            off = off.next_multiple_of(align.max(4));
            self.slot_offsets.insert(slot, off);
            off += data.size;
        }
        let slots = off.next_multiple_of(4);
        // Block order: reverse post-order (every block after one of its
        // predecessors, as regalloc2's checker needs), each block followed
        // by its edge blocks.
        for &b in post.iter().rev() {
            self.vblock.insert(b, self.order.len());
            self.order.push(Origin::Clif(b));
            let term = f.layout.last_inst(b).expect("checked");
            let succs = succs_of(f, term);
            if succs.len() > 1 {
                for (i, (t, args)) in succs.iter().enumerate() {
                    if preds.get(t).copied().unwrap_or(0) > 1 || !args.is_empty() {
                        self.edge.insert((b, i), self.order.len());
                        self.order.push(Origin::Edge);
                    }
                }
            }
        }
        self.rev = vec![Vec::new(); self.order.len()];
        self.branch_args = vec![Vec::new(); self.order.len()];
        // Lower bottom-up, blocks in post-order.
        for &b in &post {
            self.lower_block(b, b == entry)?;
        }
        self.finish(slots)
    }

    fn check_type(&self, inst: Option<ir::Inst>, ty: Type) -> Result<(), CodegenError> {
        if ty == I32 || ty == I16 || ty == I8 {
            Ok(())
        } else {
            Err(self.err(
                inst,
                format!("values of type {ty} (Thumb-2 code handles i8, i16 and i32 only)"),
            ))
        }
    }

    fn finish(&mut self, slots: u32) -> Result<VCode, CodegenError> {
        let mut vc = VCode {
            outgoing: self.outgoing,
            slots,
            calls: self.calls,
            ..VCode::default()
        };
        let order = self.order.clone();
        for (i, origin) in order.iter().enumerate() {
            let start = vc.insts.len() as u32;
            let mut insts = std::mem::take(&mut self.rev[i]);
            insts.reverse();
            let params = match origin {
                Origin::Clif(b) if i != 0 => self
                    .f
                    .dfg
                    .block_params(*b)
                    .to_vec()
                    .into_iter()
                    .map(|v| self.vreg(v))
                    .collect(),
                _ => Vec::new(),
            };
            let succs = match insts.last().map(|x| &x.kind) {
                Some(Kind::Jump { target }) => vec![*target],
                Some(Kind::CondBr {
                    taken, not_taken, ..
                })
                | Some(Kind::CondBrMulti {
                    taken, not_taken, ..
                }) => vec![*taken, *not_taken],
                Some(Kind::BrTable {
                    targets, default, ..
                }) => {
                    let mut v = targets.clone();
                    v.push(*default);
                    v
                }
                Some(Kind::Ret | Kind::Unreachable) => Vec::new(),
                _ => {
                    return Err(CodegenError::Bug(format!(
                        "{}: block {i} has no terminator",
                        self.name
                    )))
                }
            };
            vc.insts.extend(insts);
            vc.blocks.push(VBlock {
                insts: (start, vc.insts.len() as u32),
                succs,
                preds: Vec::new(),
                params,
                branch_args: std::mem::take(&mut self.branch_args[i]),
            });
        }
        for b in 0..vc.blocks.len() {
            for s in vc.blocks[b].succs.clone() {
                vc.blocks[s.index()].preds.push(Block::new(b));
            }
        }
        vc.num_vregs = self.next_vreg;
        Ok(vc)
    }

    fn new_vreg(&mut self) -> VReg {
        let v = VReg::new(self.next_vreg, RegClass::Int);
        self.next_vreg += 1;
        v
    }

    fn vreg(&mut self, v: Value) -> VReg {
        if let Some(r) = self.vregs.get(&v) {
            return *r;
        }
        let r = self.new_vreg();
        self.vregs.insert(v, r);
        r
    }

    fn lower_block(&mut self, b: ir::Block, entry: bool) -> Result<(), CodegenError> {
        let vb = self.vblock[&b];
        let insts: Vec<ir::Inst> = self.f.layout.block_insts(b).collect();
        for &inst in insts.iter().rev() {
            let op = self.f.dfg.insts[inst].opcode();
            let effect = matches!(
                op,
                Opcode::Store
                    | Opcode::Istore8
                    | Opcode::Istore16
                    | Opcode::Call
                    | Opcode::CallIndirect
                    | Opcode::Jump
                    | Opcode::Brif
                    | Opcode::BrTable
                    | Opcode::Return
                    | Opcode::Trap
            );
            let used = self
                .f
                .dfg
                .inst_results(inst)
                .iter()
                .any(|r| self.uses.get(r).copied().unwrap_or(0) > 0);
            if !effect && !used {
                continue;
            }
            self.cur.clear();
            self.lower_inst(inst, b)?;
            let seq = std::mem::take(&mut self.cur);
            self.rev[vb].extend(seq.into_iter().rev());
        }
        if entry {
            let params = self.f.dfg.block_params(b).to_vec();
            if params.len() > 4 {
                return Err(self.err(None, "more than four parameters"));
            }
            let ops = params
                .iter()
                .enumerate()
                .map(|(i, p)| Operand::reg_fixed_def(self.vreg(*p), abi::arg_reg(i).preg()))
                .collect();
            self.rev[vb].push(VInst {
                kind: Kind::Args,
                ops,
                clobbers: PRegSet::empty(),
            });
        }
        Ok(())
    }

    // ---- emission helpers -------------------------------------------

    fn push(&mut self, kind: Kind, ops: Vec<Operand>) {
        self.cur.push(VInst {
            kind,
            ops,
            clobbers: PRegSet::empty(),
        });
    }

    fn op(&mut self, inst: Inst, ops: Vec<Operand>) {
        self.push(Kind::Op(inst), ops);
    }

    /// A fresh register holding `c`.
    fn konst(&mut self, c: u32) -> VReg {
        let r = self.new_vreg();
        if Inst::mov_imm_fits(c) {
            self.op(Inst::MovImm { rd: s(0), imm: c }, vec![Operand::reg_def(r)]);
        } else {
            self.push(Kind::Const(c), vec![Operand::reg_def(r)]);
        }
        r
    }

    fn def_of(&self, v: Value) -> Option<ir::Inst> {
        match self.f.dfg.value_def(v) {
            ValueDef::Result(i, _) => Some(i),
            _ => None,
        }
    }

    fn data(&self, v: Value) -> Option<&'f InstructionData> {
        let f: &'f Function = self.f;
        self.def_of(v).map(|i| &f.dfg.insts[i])
    }

    fn ty(&self, v: Value) -> Type {
        self.f.dfg.value_type(v)
    }

    /// The constant `v` is, zero-extended from its type.
    fn const_of(&self, v: Value) -> Option<u32> {
        match self.data(v)? {
            InstructionData::UnaryImm {
                opcode: Opcode::Iconst,
                imm,
            } => {
                let bits = imm.bits() as u64;
                Some(match self.ty(v) {
                    I8 => (bits & 0xFF) as u32,
                    I16 => (bits & 0xFFFF) as u32,
                    _ => bits as u32,
                })
            }
            _ => None,
        }
    }

    /// The constant `v` is, sign-extended from its type.
    fn sconst_of(&self, v: Value) -> Option<u32> {
        let c = self.const_of(v)?;
        Some(match self.ty(v) {
            I8 => c as u8 as i8 as i32 as u32,
            I16 => c as u16 as i16 as i32 as u32,
            _ => c,
        })
    }

    /// Marks an operand's instruction as absorbed by the current one,
    /// which may now use that instruction's operands directly. Uses come
    /// before definitions in the lowering order, so when this was the last
    /// use the instruction will not be emitted and its uses of its operands
    /// pass to the current one (their counts unchanged); otherwise both use
    /// them. Counts stay over-approximations, never under: a value counted
    /// as used but absorbed everywhere (a scaled index fused into two
    /// addresses) would be computed for nothing.
    fn fuse(&mut self, v: Value) {
        let last = match self.uses.get_mut(&v) {
            Some(n) => {
                *n = n.saturating_sub(1);
                *n == 0
            }
            None => false,
        };
        if last {
            return;
        }
        if let Some(i) = self.def_of(v) {
            for &a in self.args(i) {
                *self.uses.entry(a).or_default() += 1;
            }
        }
    }

    /// A value whose register `v` can share: `ireduce` and extensions
    /// that change nothing.
    fn alias(&self, v: Value) -> Option<Value> {
        let i = self.def_of(v)?;
        let d = &self.f.dfg.insts[i];
        match d.opcode() {
            Opcode::Ireduce => Some(d.arguments(&self.f.dfg.value_lists)[0]),
            Opcode::Uextend | Opcode::Sextend => {
                let x = d.arguments(&self.f.dfg.value_lists)[0];
                let known = if d.opcode() == Opcode::Uextend {
                    self.is_zext(x, 0)
                } else {
                    self.is_sext(x, 0)
                };
                // sextend of a bswap.i16 is REVSH: not an alias.
                let revsh = d.opcode() == Opcode::Sextend && self.is_bswap16(x);
                (known && !revsh).then_some(x)
            }
            _ => None,
        }
    }

    fn is_bswap16(&self, x: Value) -> bool {
        self.ty(x) == I16 && self.data(x).is_some_and(|d| d.opcode() == Opcode::Bswap)
    }

    /// `v` in a register.
    fn put(&mut self, v: Value) -> VReg {
        if let Some(c) = self.const_of(v) {
            return self.konst(c);
        }
        if let Some(x) = self.alias(v) {
            return self.put(x);
        }
        self.vreg(v)
    }

    fn args(&self, i: ir::Inst) -> &'f [Value] {
        let f: &'f Function = self.f;
        f.dfg.inst_args(i)
    }

    /// Whether the upper bits of narrow `v` are known to be zero.
    fn is_zext(&self, v: Value, depth: u32) -> bool {
        let ty = self.ty(v);
        if ty == I32 {
            return true;
        }
        if depth > 6 {
            return false;
        }
        if self.const_of(v).is_some() {
            return true;
        }
        let Some(i) = self.def_of(v) else {
            return false;
        };
        let a = self.args(i);
        // `alu` may apply a narrow constant whose sign bit is set in its
        // sign-extended form (the immediate that encodes), which brings
        // set upper bits: as an operand, only a constant with the sign bit
        // clear is known to be zero-extended.
        let operand = |x: Value| match self.const_of(x) {
            Some(c) => c < (1 << (ty.bits() - 1)),
            None => self.is_zext(x, depth + 1),
        };
        match self.f.dfg.insts[i].opcode() {
            Opcode::Icmp | Opcode::Load | Opcode::Uload8 | Opcode::Uload16 | Opcode::Uextend => {
                true
            }
            Opcode::Band => operand(a[0]) || operand(a[1]),
            Opcode::Bor | Opcode::Bxor => operand(a[0]) && operand(a[1]),
            Opcode::Select => self.is_zext(a[1], depth + 1) && self.is_zext(a[2], depth + 1),
            _ => false,
        }
    }

    /// Whether the upper bits of narrow `v` are known to copy its sign bit.
    fn is_sext(&self, v: Value, depth: u32) -> bool {
        let ty = self.ty(v);
        if ty == I32 {
            return true;
        }
        if depth > 6 {
            return false;
        }
        if let Some(c) = self.const_of(v) {
            return c < (1 << (ty.bits() - 1));
        }
        let Some(i) = self.def_of(v) else {
            return false;
        };
        let a = self.args(i);
        match self.f.dfg.insts[i].opcode() {
            Opcode::Icmp | Opcode::Sextend | Opcode::Sload8 | Opcode::Sload16 => true,
            Opcode::Bswap => ty == I16,
            // AND with a mask whose sign bit is clear leaves a small
            // non-negative value: its upper bits are zero, so sign-extended.
            Opcode::Band
                if a.iter()
                    .any(|&x| self.const_of(x).is_some_and(|c| c < (1 << (ty.bits() - 1)))) =>
            {
                true
            }
            Opcode::Band | Opcode::Bor | Opcode::Bxor => {
                self.is_sext(a[0], depth + 1) && self.is_sext(a[1], depth + 1)
            }
            Opcode::Bnot => self.is_sext(a[0], depth + 1),
            Opcode::Select => self.is_sext(a[1], depth + 1) && self.is_sext(a[2], depth + 1),
            _ => false,
        }
    }

    fn ext(&mut self, op: ExtOp, x: VReg) -> VReg {
        let r = self.new_vreg();
        self.op(
            Inst::Ext {
                op,
                rd: s(0),
                rm: s(1),
            },
            vec![Operand::reg_def(r), Operand::reg_use(x)],
        );
        r
    }

    /// `v` zero-extended to 32 bits.
    fn zx(&mut self, v: Value) -> VReg {
        if let Some(c) = self.const_of(v) {
            return self.konst(c);
        }
        let ty = self.ty(v);
        let r = self.put(v);
        if self.is_zext(v, 0) {
            return r;
        }
        self.ext(if ty == I8 { ExtOp::Uxtb } else { ExtOp::Uxth }, r)
    }

    /// `v` sign-extended to 32 bits.
    fn sx(&mut self, v: Value) -> VReg {
        if let Some(c) = self.sconst_of(v) {
            return self.konst(c);
        }
        let ty = self.ty(v);
        let r = self.put(v);
        if self.is_sext(v, 0) {
            return r;
        }
        self.ext(if ty == I8 { ExtOp::Sxtb } else { ExtOp::Sxth }, r)
    }

    // ---- comparisons ------------------------------------------------

    /// The comparison `a cc b` for a flag-setting instruction.
    fn compare(&mut self, cc: IntCC, a: Value, b: Value, ops: &mut Vec<Operand>) -> Cmp {
        let ty = self.ty(a);
        let signed = matches!(
            cc,
            IntCC::SignedLessThan
                | IntCC::SignedLessThanOrEqual
                | IntCC::SignedGreaterThan
                | IntCC::SignedGreaterThanOrEqual
        );
        let (cc, a, b) = if self.const_of(a).is_some() && self.const_of(b).is_none() {
            (cc.swap_args(), b, a)
        } else {
            (cc, a, b)
        };
        let cond = Cond::from_intcc(cc);
        let slot = ops.len() as u8;
        // A masked value against zero: `tst`.
        if matches!(cc, IntCC::Equal | IntCC::NotEqual) && self.const_of(b) == Some(0) {
            if let Some(t) = self.tst_of(a, cond, ops) {
                return t;
            }
        }
        // Narrow equality with zero: test the low bits.
        if ty != I32
            && matches!(cc, IntCC::Equal | IntCC::NotEqual)
            && self.const_of(b) == Some(0)
            && !self.is_zext(a, 0)
        {
            let r = self.put(a);
            let tmp = self.new_vreg();
            ops.push(Operand::reg_use(r));
            ops.push(Operand::reg_temp(tmp));
            return Cmp {
                cond,
                a: slot,
                b: CmpB::Low {
                    bits: ty.bits() as u8,
                    tmp: slot + 1,
                },
            };
        }
        let ra = if ty == I32 {
            self.put(a)
        } else if signed {
            self.sx(a)
        } else {
            self.zx(a)
        };
        ops.push(Operand::reg_use(ra));
        let c = if signed {
            self.sconst_of(b)
        } else {
            self.const_of(b)
        };
        if let Some(c) = c {
            if c == 0 {
                return Cmp {
                    cond,
                    a: slot,
                    b: CmpB::Zero,
                };
            }
            if let Some(m) = ModImm::maybe_from_u32(c) {
                return Cmp {
                    cond,
                    a: slot,
                    b: CmpB::Imm(m),
                };
            }
            if let Some(m) = ModImm::maybe_from_u32(c.wrapping_neg()) {
                return Cmp {
                    cond,
                    a: slot,
                    b: CmpB::Neg(m),
                };
            }
        }
        let rb = if ty == I32 {
            self.put(b)
        } else if signed {
            self.sx(b)
        } else {
            self.zx(b)
        };
        ops.push(Operand::reg_use(rb));
        Cmp {
            cond,
            a: slot,
            b: CmpB::Reg(slot + 1),
        }
    }

    /// The comparison that holds when condition value `c` is non-zero,
    /// absorbing the `icmp` that computes it.
    fn cond_of(&mut self, c: Value, ops: &mut Vec<Operand>) -> Cmp {
        if let Some(InstructionData::IntCompare { cond, args, .. }) = self.data(c) {
            let (cc, a, b) = (*cond, args[0], args[1]);
            self.fuse(c);
            return self.compare(cc, a, b, ops);
        }
        if let Some(t) = self.tst_of(c, Cond::Ne, ops) {
            return t;
        }
        let ty = self.ty(c);
        let slot = ops.len() as u8;
        if ty != I32 && !self.is_zext(c, 0) {
            let r = self.put(c);
            let tmp = self.new_vreg();
            ops.push(Operand::reg_use(r));
            ops.push(Operand::reg_temp(tmp));
            return Cmp {
                cond: Cond::Ne,
                a: slot,
                b: CmpB::Low {
                    bits: ty.bits() as u8,
                    tmp: slot + 1,
                },
            };
        }
        let r = self.put(c);
        ops.push(Operand::reg_use(r));
        Cmp {
            cond: Cond::Ne,
            a: slot,
            b: CmpB::Zero,
        }
    }

    /// `v cond 0` as `tst x, #k` when `v` is `band x, k` used only here,
    /// `k` a modified immediate (zero-extended from the type, so the test
    /// sees only the bits of the type), `cond` `eq` or `ne`.
    fn tst_of(&mut self, v: Value, cond: Cond, ops: &mut Vec<Operand>) -> Option<Cmp> {
        let d = self.data(v)?;
        if d.opcode() != Opcode::Band || self.uses.get(&v) != Some(&1) {
            return None;
        }
        let args = self.args(self.def_of(v)?);
        let (x, k) = match (self.const_of(args[0]), self.const_of(args[1])) {
            (_, Some(k)) => (args[0], k),
            (Some(k), None) => (args[1], k),
            _ => return None,
        };
        let m = ModImm::maybe_from_u32(k)?;
        self.fuse(v);
        let slot = ops.len() as u8;
        let r = self.put(x);
        ops.push(Operand::reg_use(r));
        Some(Cmp {
            cond,
            a: slot,
            b: CmpB::Tst(m),
        })
    }

    /// When branch condition `c` is a `bor` (or `band`) tree of at most
    /// [`MAX_LEAVES`] conditions used only by the branch: whether it is
    /// `band`, and its leaves in order. The tree's operations are absorbed
    /// (their results are no longer formed), the leaves' use counts pass
    /// to the branch unchanged.
    fn logic_tree(&mut self, c: Value) -> Option<(bool, Vec<Value>)> {
        const MAX_LEAVES: usize = 6;
        let op = self.data(c)?.opcode();
        if !matches!(op, Opcode::Bor | Opcode::Band) || self.uses.get(&c) != Some(&1) {
            return None;
        }
        // Nodes of the tree (same opcode, single use), then leaves.
        let mut nodes = Vec::new();
        let mut leaves = Vec::new();
        let mut stack = vec![c];
        while let Some(v) = stack.pop() {
            let node = v == c
                || (self.data(v).map(|d| d.opcode()) == Some(op)
                    && self.uses.get(&v) == Some(&1)
                    && self.const_of(v).is_none());
            if node {
                nodes.push(v);
                let i = self.def_of(v).expect("node");
                let args = self.args(i);
                // Left operand first: pushed last.
                stack.push(args[1]);
                stack.push(args[0]);
            } else {
                leaves.push(v);
            }
            if leaves.len() + stack.len() > MAX_LEAVES {
                return None;
            }
        }
        // Every leaf must be a condition (zero or non-zero as a whole):
        // a comparison, so that `bor`/`band` of the bits is the logical
        // operation.
        let is_cond =
            |s: &Self, v: Value| matches!(s.data(v), Some(InstructionData::IntCompare { .. }));
        if !leaves.iter().all(|&v| is_cond(self, v)) {
            return None;
        }
        for v in nodes {
            if let Some(n) = self.uses.get_mut(&v) {
                *n -= 1;
            }
        }
        Some((op == Opcode::Band, leaves))
    }

    // ---- arithmetic -------------------------------------------------

    /// `(x, shift)` when `v` is a shift by a constant usable as a shifted
    /// operand.
    fn shifted(&self, v: Value) -> Option<(Value, Shift)> {
        let i = self.def_of(v)?;
        let d = &self.f.dfg.insts[i];
        let a = self.args(i);
        let kind = match d.opcode() {
            Opcode::Ishl => ShiftKind::Lsl,
            Opcode::Ushr if self.ty(v) == I32 => ShiftKind::Lsr,
            Opcode::Sshr if self.ty(v) == I32 => ShiftKind::Asr,
            _ => return None,
        };
        let amt = self.const_of(a[1])? & (self.ty(v).bits() - 1);
        if amt == 0 {
            return None;
        }
        let mut x = a[0];
        // Bits an extension adds are shifted out.
        if kind == ShiftKind::Lsl {
            if let Some(j) = self.def_of(x) {
                let dj = &self.f.dfg.insts[j];
                if matches!(dj.opcode(), Opcode::Uextend | Opcode::Sextend) {
                    let inner = self.args(j)[0];
                    if amt >= 32 - self.ty(inner).bits() {
                        x = inner;
                    }
                }
            }
        }
        Some((
            x,
            Shift {
                kind,
                amt: amt as u8,
            },
        ))
    }

    fn imul_of(&self, v: Value) -> Option<(Value, Value)> {
        let i = self.def_of(v)?;
        (self.f.dfg.insts[i].opcode() == Opcode::Imul && self.uses.get(&v).copied() == Some(1))
            .then(|| (self.args(i)[0], self.args(i)[1]))
    }

    fn alu_imm(&mut self, op: AluOp, rd: VReg, a: Value, c: u32) -> bool {
        let (inst, ok) = match op {
            AluOp::Add | AluOp::Sub => {
                let (add, neg) = if op == AluOp::Add {
                    (c, c.wrapping_neg())
                } else {
                    (c.wrapping_neg(), c)
                };
                // The smaller immediate of the two forms: `subs rd, rn, #1`
                // has a 16-bit encoding, `add.w rd, rn, #-1` does not.
                let small_neg = neg < add;
                if let Some(m) = ModImm::maybe_from_u32(neg).filter(|_| small_neg) {
                    (
                        Some(Inst::AluImm {
                            op: AluOp::Sub,
                            rd: s(0),
                            rn: s(1),
                            imm: m,
                        }),
                        true,
                    )
                } else if let Some(m) = ModImm::maybe_from_u32(add) {
                    (
                        Some(Inst::AluImm {
                            op: AluOp::Add,
                            rd: s(0),
                            rn: s(1),
                            imm: m,
                        }),
                        true,
                    )
                } else if let Some(m) = ModImm::maybe_from_u32(neg) {
                    (
                        Some(Inst::AluImm {
                            op: AluOp::Sub,
                            rd: s(0),
                            rn: s(1),
                            imm: m,
                        }),
                        true,
                    )
                } else if let Some(m) = UImm12::maybe_from_u32(add) {
                    (
                        Some(Inst::AluImm12 {
                            sub: false,
                            rd: s(0),
                            rn: s(1),
                            imm: m,
                        }),
                        true,
                    )
                } else if let Some(m) = UImm12::maybe_from_u32(neg) {
                    (
                        Some(Inst::AluImm12 {
                            sub: true,
                            rd: s(0),
                            rn: s(1),
                            imm: m,
                        }),
                        true,
                    )
                } else {
                    (None, false)
                }
            }
            AluOp::And => {
                if let Some(m) = ModImm::maybe_from_u32(c) {
                    (
                        Some(Inst::AluImm {
                            op,
                            rd: s(0),
                            rn: s(1),
                            imm: m,
                        }),
                        true,
                    )
                } else if let Some(m) = ModImm::maybe_from_u32(!c) {
                    (
                        Some(Inst::AluImm {
                            op: AluOp::Bic,
                            rd: s(0),
                            rn: s(1),
                            imm: m,
                        }),
                        true,
                    )
                } else if c == 0xFFFF {
                    (
                        Some(Inst::Ext {
                            op: ExtOp::Uxth,
                            rd: s(0),
                            rm: s(1),
                        }),
                        true,
                    )
                } else if c.wrapping_add(1).is_power_of_two() {
                    let width = c.count_ones() as u8;
                    (
                        Some(Inst::Bfx {
                            signed: false,
                            rd: s(0),
                            rn: s(1),
                            lsb: 0,
                            width,
                        }),
                        true,
                    )
                } else {
                    (None, false)
                }
            }
            AluOp::Orr => {
                if let Some(m) = ModImm::maybe_from_u32(c) {
                    (
                        Some(Inst::AluImm {
                            op,
                            rd: s(0),
                            rn: s(1),
                            imm: m,
                        }),
                        true,
                    )
                } else if let Some(m) = ModImm::maybe_from_u32(!c) {
                    (
                        Some(Inst::AluImm {
                            op: AluOp::Orn,
                            rd: s(0),
                            rn: s(1),
                            imm: m,
                        }),
                        true,
                    )
                } else {
                    (None, false)
                }
            }
            AluOp::Eor => match ModImm::maybe_from_u32(c) {
                Some(m) => (
                    Some(Inst::AluImm {
                        op,
                        rd: s(0),
                        rn: s(1),
                        imm: m,
                    }),
                    true,
                ),
                None => (None, false),
            },
            _ => (None, false),
        };
        if let (Some(inst), true) = (inst, ok) {
            let ra = self.put(a);
            self.op(inst, vec![Operand::reg_def(rd), Operand::reg_use(ra)]);
            return true;
        }
        false
    }

    fn alu(&mut self, op: AluOp, rd: VReg, a: Value, b: Value) {
        let narrow = self.ty(a) != I32;
        for (x, y) in [(a, b), (b, a)] {
            if (x, y) == (b, a) && !op.commutative() {
                break;
            }
            if let Some(c) = self.const_of(y) {
                if self.alu_imm(op, rd, x, c) {
                    return;
                }
                if narrow {
                    let sc = self.sconst_of(y).expect("constant");
                    if self.alu_imm(op, rd, x, sc) {
                        return;
                    }
                }
            }
        }
        if op == AluOp::Sub {
            if let Some(m) = self.const_of(a).and_then(ModImm::maybe_from_u32) {
                let rb = self.put(b);
                self.op(
                    Inst::AluImm {
                        op: AluOp::Rsb,
                        rd: s(0),
                        rn: s(1),
                        imm: m,
                    },
                    vec![Operand::reg_def(rd), Operand::reg_use(rb)],
                );
                return;
            }
        }
        // MLA / MLS.
        if matches!(op, AluOp::Add | AluOp::Sub) {
            for (x, y) in [(a, b), (b, a)] {
                if (x, y) == (b, a) && op == AluOp::Sub {
                    break;
                }
                if let Some((m, n)) = self.imul_of(y) {
                    self.fuse(y);
                    let (rx, rm, rn) = (self.put(x), self.put(m), self.put(n));
                    let inst = if op == AluOp::Add {
                        Inst::Mla {
                            rd: s(0),
                            rn: s(1),
                            rm: s(2),
                            ra: s(3),
                        }
                    } else {
                        Inst::Mls {
                            rd: s(0),
                            rn: s(1),
                            rm: s(2),
                            ra: s(3),
                        }
                    };
                    self.op(
                        inst,
                        vec![
                            Operand::reg_def(rd),
                            Operand::reg_use(rm),
                            Operand::reg_use(rn),
                            Operand::reg_use(rx),
                        ],
                    );
                    return;
                }
            }
        }
        // Shifted second operand.
        for (x, y) in [(a, b), (b, a)] {
            if (x, y) == (b, a) && !op.commutative() {
                break;
            }
            if let Some((z, shift)) = self.shifted(y) {
                self.fuse(y);
                let (rx, rz) = (self.put(x), self.put(z));
                self.op(
                    Inst::AluReg {
                        op,
                        rd: s(0),
                        rn: s(1),
                        rm: s(2),
                        shift,
                    },
                    vec![
                        Operand::reg_def(rd),
                        Operand::reg_use(rx),
                        Operand::reg_use(rz),
                    ],
                );
                return;
            }
        }
        let (ra, rb) = (self.put(a), self.put(b));
        self.op(
            Inst::AluReg {
                op,
                rd: s(0),
                rn: s(1),
                rm: s(2),
                shift: Shift::NONE,
            },
            vec![
                Operand::reg_def(rd),
                Operand::reg_use(ra),
                Operand::reg_use(rb),
            ],
        );
    }

    fn rr(&mut self, inst: Inst, rd: VReg, a: VReg, b: VReg) {
        self.op(
            inst,
            vec![
                Operand::reg_def(rd),
                Operand::reg_use(a),
                Operand::reg_use(b),
            ],
        );
    }

    fn shift(
        &mut self,
        i: ir::Inst,
        kind: ShiftKind,
        rd: VReg,
        a: Value,
        b: Value,
    ) -> Result<(), CodegenError> {
        let ty = self.ty(a);
        if let Some(c) = self.const_of(b) {
            let k = c & (ty.bits() - 1);
            if k == 0 {
                let ra = self.put(a);
                self.op(
                    Inst::Mov { rd: s(0), rm: s(1) },
                    vec![Operand::reg_def(rd), Operand::reg_use(ra)],
                );
                return Ok(());
            }
            let inst = match (kind, ty == I32) {
                (ShiftKind::Lsl, _) | (_, true) => Inst::ShiftImm {
                    kind,
                    rd: s(0),
                    rm: s(1),
                    amt: ShiftAmt::maybe_from_u32(k).expect("1..=31"),
                },
                (_, false) => Inst::Bfx {
                    signed: kind == ShiftKind::Asr,
                    rd: s(0),
                    rn: s(1),
                    lsb: k as u8,
                    width: (ty.bits() - k) as u8,
                },
            };
            let ra = self.put(a);
            self.op(inst, vec![Operand::reg_def(rd), Operand::reg_use(ra)]);
            return Ok(());
        }
        if ty != I32 {
            return Err(self.err(Some(i), "a narrow shift by a variable amount"));
        }
        let ra = self.put(a);
        // CLIF shifts by the amount modulo 32; Thumb-2 by its low byte.
        let masked = self.data(b).is_some_and(|d| {
            d.opcode() == Opcode::Band
                && self
                    .args(self.def_of(b).expect("result"))
                    .iter()
                    .any(|&x| self.const_of(x).is_some_and(|c| c < 32))
        });
        let rb = if masked {
            self.put(b)
        } else {
            let r = self.new_vreg();
            let x = self.put(b);
            self.op(
                Inst::AluImm {
                    op: AluOp::And,
                    rd: s(0),
                    rn: s(1),
                    imm: ModImm::maybe_from_u32(31).expect("fits"),
                },
                vec![Operand::reg_def(r), Operand::reg_use(x)],
            );
            r
        };
        self.rr(
            Inst::ShiftReg {
                kind,
                rd: s(0),
                rn: s(1),
                rm: s(2),
            },
            rd,
            ra,
            rb,
        );
        Ok(())
    }

    // ---- memory -----------------------------------------------------

    /// An address `addr + off`: `(base, Ok(offset))` or `(base, Err((index, shift)))`.
    fn amode(&mut self, addr: Value, off: i32) -> (VReg, Result<i32, (VReg, u8)>) {
        let fits = |o: i64| (-255..=4095).contains(&o);
        if let Some(i) = self.def_of(addr) {
            if self.f.dfg.insts[i].opcode() == Opcode::Iadd {
                let a = self.args(i);
                for (x, y) in [(a[0], a[1]), (a[1], a[0])] {
                    if let Some(c) = self.const_of(y) {
                        let o = i64::from(off) + i64::from(c as i32);
                        if fits(o) {
                            self.fuse(addr);
                            return (self.put(x), Ok(o as i32));
                        }
                    }
                }
                if off == 0 {
                    for (x, y) in [(a[0], a[1]), (a[1], a[0])] {
                        if let Some((z, sh)) = self.shifted(y) {
                            if sh.kind == ShiftKind::Lsl && sh.amt <= 3 {
                                self.fuse(addr);
                                self.fuse(y);
                                let (rx, rz) = (self.put(x), self.put(z));
                                return (rx, Err((rz, sh.amt)));
                            }
                        }
                    }
                    self.fuse(addr);
                    let (rx, ry) = (self.put(a[0]), self.put(a[1]));
                    return (rx, Err((ry, 0)));
                }
            }
        }
        let base = self.put(addr);
        if fits(i64::from(off)) {
            return (base, Ok(off));
        }
        let k = self.konst(off as u32);
        (base, Err((k, 0)))
    }

    /// `addr + off` as an offset from the start of the slot area, when
    /// `addr` is a `stack_addr` and the sum is one `sp`-relative access
    /// can reach.
    fn slot_offset(&self, addr: Value, off: i32) -> Option<u32> {
        let i = self.def_of(addr)?;
        let InstructionData::StackAddr {
            opcode: Opcode::StackAddr,
            stack_slot,
            offset,
        } = self.f.dfg.insts[i]
        else {
            return None;
        };
        let at = i64::from(*self.slot_offsets.get(&stack_slot)?)
            + i64::from(i32::from(offset))
            + i64::from(off);
        // The frame's outgoing area comes first; 4095 bounds the sum.
        (0..=2048).contains(&at).then_some(at as u32)
    }

    /// The access through a `stack_addr` as one `sp`-relative
    /// `SlotMem` whose register operand is `rt`; false when `addr + off` is
    /// not such an address.
    fn slot_access(
        &mut self,
        load: bool,
        size: MemSize,
        rt: Operand,
        addr: Value,
        off: i32,
    ) -> bool {
        let Some(at) = self.slot_offset(addr, off) else {
            return false;
        };
        self.fuse(addr);
        let k = Kind::SlotMem {
            load,
            size,
            rt: 0,
            off: at,
        };
        self.push(k, vec![rt]);
        true
    }

    fn load(&mut self, size: MemSize, rd: VReg, addr: Value, off: i32) {
        if self.slot_access(true, size, Operand::reg_def(rd), addr, off) {
            return;
        }
        match self.amode(addr, off) {
            (base, Ok(off)) => self.op(
                Inst::Load {
                    size,
                    rt: s(0),
                    rn: s(1),
                    off,
                },
                vec![Operand::reg_def(rd), Operand::reg_use(base)],
            ),
            (base, Err((idx, shift))) => self.op(
                Inst::LoadReg {
                    size,
                    rt: s(0),
                    rn: s(1),
                    rm: s(2),
                    shift,
                },
                vec![
                    Operand::reg_def(rd),
                    Operand::reg_use(base),
                    Operand::reg_use(idx),
                ],
            ),
        }
    }

    fn store(&mut self, size: MemSize, v: Value, addr: Value, off: i32) {
        let rv = self.put(v);
        if self.slot_access(false, size, Operand::reg_use(rv), addr, off) {
            return;
        }
        match self.amode(addr, off) {
            (base, Ok(off)) => self.op(
                Inst::Store {
                    size,
                    rt: s(0),
                    rn: s(1),
                    off,
                },
                vec![Operand::reg_use(rv), Operand::reg_use(base)],
            ),
            (base, Err((idx, shift))) => self.op(
                Inst::StoreReg {
                    size,
                    rt: s(0),
                    rn: s(1),
                    rm: s(2),
                    shift,
                },
                vec![
                    Operand::reg_use(rv),
                    Operand::reg_use(base),
                    Operand::reg_use(idx),
                ],
            ),
        }
    }

    // ---- control flow -----------------------------------------------

    fn target(&mut self, src: ir::Block, succ: usize, t: ir::Block, args: &[Value]) -> Block {
        if let Some(&e) = self.edge.get(&(src, succ)) {
            // The edge block: a jump with the arguments.
            let saved = std::mem::take(&mut self.cur);
            let regs: Vec<VReg> = args.iter().map(|&a| self.put(a)).collect();
            let target = Block::new(self.vblock[&t]);
            self.push(Kind::Jump { target }, Vec::new());
            let seq = std::mem::replace(&mut self.cur, saved);
            self.rev[e].extend(seq.into_iter().rev());
            self.branch_args[e] = regs;
            return Block::new(e);
        }
        Block::new(self.vblock[&t])
    }

    fn lower_inst(&mut self, i: ir::Inst, b: ir::Block) -> Result<(), CodegenError> {
        let f = self.f;
        let d = &f.dfg.insts[i];
        let op = d.opcode();
        let a = self.args(i);
        let result = f.dfg.inst_results(i).first().copied();
        let rd = result.map(|r| self.vreg(r));
        let ty = result.map(|r| self.ty(r));
        match op {
            Opcode::Iconst => {}
            Opcode::Ireduce => {}
            Opcode::Uextend | Opcode::Sextend => {
                let v = result.expect("result");
                if self.alias(v).is_some() {
                    return Ok(());
                }
                let x = a[0];
                let rd = rd.expect("result");
                if op == Opcode::Sextend && self.is_bswap16(x) {
                    let inner = self.args(self.def_of(x).expect("bswap"))[0];
                    self.fuse(x);
                    let r = self.put(inner);
                    self.op(
                        Inst::Ext {
                            op: ExtOp::Revsh,
                            rd: s(0),
                            rm: s(1),
                        },
                        vec![Operand::reg_def(rd), Operand::reg_use(r)],
                    );
                    return Ok(());
                }
                let ext = match (op, self.ty(x)) {
                    (Opcode::Uextend, I8) => ExtOp::Uxtb,
                    (Opcode::Uextend, _) => ExtOp::Uxth,
                    (_, I8) => ExtOp::Sxtb,
                    _ => ExtOp::Sxth,
                };
                let r = self.put(x);
                self.op(
                    Inst::Ext {
                        op: ext,
                        rd: s(0),
                        rm: s(1),
                    },
                    vec![Operand::reg_def(rd), Operand::reg_use(r)],
                );
            }
            Opcode::Iadd => self.alu(AluOp::Add, rd.expect("result"), a[0], a[1]),
            Opcode::Isub => self.alu(AluOp::Sub, rd.expect("result"), a[0], a[1]),
            Opcode::Band => self.alu(AluOp::And, rd.expect("result"), a[0], a[1]),
            Opcode::Bor => self.alu(AluOp::Orr, rd.expect("result"), a[0], a[1]),
            Opcode::Bxor => self.alu(AluOp::Eor, rd.expect("result"), a[0], a[1]),
            Opcode::Imul => {
                let rd = rd.expect("result");
                for (x, y) in [(a[0], a[1]), (a[1], a[0])] {
                    if let Some(c) = self.const_of(y) {
                        if c.is_power_of_two() && c > 1 {
                            let rx = self.put(x);
                            self.op(
                                Inst::ShiftImm {
                                    kind: ShiftKind::Lsl,
                                    rd: s(0),
                                    rm: s(1),
                                    amt: ShiftAmt::maybe_from_u32(c.trailing_zeros())
                                        .expect("1..=31"),
                                },
                                vec![Operand::reg_def(rd), Operand::reg_use(rx)],
                            );
                            return Ok(());
                        }
                    }
                }
                let (ra, rb) = (self.put(a[0]), self.put(a[1]));
                self.rr(
                    Inst::Mul {
                        rd: s(0),
                        rn: s(1),
                        rm: s(2),
                    },
                    rd,
                    ra,
                    rb,
                );
            }
            // Division by a constant becomes a multiply by its inverse;
            // the high word of the 64-bit product is the result.
            Opcode::Smulhi | Opcode::Umulhi if self.f.dfg.value_type(a[0]) == I32 => {
                let rd = rd.expect("result");
                let (ra, rb) = (self.put(a[0]), self.put(a[1]));
                let low = self.new_vreg();
                self.op(
                    Inst::MulLong {
                        signed: op == Opcode::Smulhi,
                        rdlo: s(1),
                        rdhi: s(0),
                        rn: s(2),
                        rm: s(3),
                    },
                    vec![
                        Operand::reg_def(rd),
                        Operand::reg_def(low),
                        Operand::reg_use(ra),
                        Operand::reg_use(rb),
                    ],
                );
            }
            Opcode::Sdiv | Opcode::Udiv | Opcode::Srem | Opcode::Urem => {
                // Division by zero is tested in the CLIF; MIN / -1 gives MIN
                // on Thumb-2 (no trap), Java's result.
                let signed = matches!(op, Opcode::Sdiv | Opcode::Srem);
                let (ra, rb) = if signed {
                    (self.sx(a[0]), self.sx(a[1]))
                } else {
                    (self.zx(a[0]), self.zx(a[1]))
                };
                let rd = rd.expect("result");
                if matches!(op, Opcode::Sdiv | Opcode::Udiv) {
                    self.rr(
                        Inst::Div {
                            signed,
                            rd: s(0),
                            rn: s(1),
                            rm: s(2),
                        },
                        rd,
                        ra,
                        rb,
                    );
                } else {
                    let q = self.new_vreg();
                    self.rr(
                        Inst::Div {
                            signed,
                            rd: s(0),
                            rn: s(1),
                            rm: s(2),
                        },
                        q,
                        ra,
                        rb,
                    );
                    self.op(
                        Inst::Mls {
                            rd: s(0),
                            rn: s(1),
                            rm: s(2),
                            ra: s(3),
                        },
                        vec![
                            Operand::reg_def(rd),
                            Operand::reg_use(q),
                            Operand::reg_use(rb),
                            Operand::reg_use(ra),
                        ],
                    );
                }
            }
            Opcode::Ishl => self.shift(i, ShiftKind::Lsl, rd.expect("result"), a[0], a[1])?,
            Opcode::Ushr => {
                let x = if ty == Some(I32) || self.const_of(a[1]).is_some() {
                    a[0]
                } else {
                    return Err(self.err(Some(i), "a narrow shift by a variable amount"));
                };
                self.shift(i, ShiftKind::Lsr, rd.expect("result"), x, a[1])?
            }
            Opcode::Sshr => {
                if ty != Some(I32) && self.const_of(a[1]).is_none() {
                    return Err(self.err(Some(i), "a narrow shift by a variable amount"));
                }
                self.shift(i, ShiftKind::Asr, rd.expect("result"), a[0], a[1])?
            }
            Opcode::Rotr | Opcode::Rotl if ty == Some(I32) => {
                let rd = rd.expect("result");
                if op == Opcode::Rotr {
                    self.shift(i, ShiftKind::Ror, rd, a[0], a[1])?;
                } else if let Some(c) = self.const_of(a[1]) {
                    // rotl by k is ror by 32 - k.
                    let k = (32 - (c & 31)) & 31;
                    let ra = self.put(a[0]);
                    let inst = match ShiftAmt::maybe_from_u32(k) {
                        Some(amt) => Inst::ShiftImm {
                            kind: ShiftKind::Ror,
                            rd: s(0),
                            rm: s(1),
                            amt,
                        },
                        None => Inst::Mov { rd: s(0), rm: s(1) },
                    };
                    self.op(inst, vec![Operand::reg_def(rd), Operand::reg_use(ra)]);
                } else {
                    // ROR takes the amount modulo 32: ror by 32 - n.
                    let n = self.put(a[1]);
                    let neg = self.new_vreg();
                    self.op(
                        Inst::AluImm {
                            op: AluOp::Rsb,
                            rd: s(0),
                            rn: s(1),
                            imm: ModImm::maybe_from_u32(32).expect("fits"),
                        },
                        vec![Operand::reg_def(neg), Operand::reg_use(n)],
                    );
                    let ra = self.put(a[0]);
                    self.rr(
                        Inst::ShiftReg {
                            kind: ShiftKind::Ror,
                            rd: s(0),
                            rn: s(1),
                            rm: s(2),
                        },
                        rd,
                        ra,
                        neg,
                    );
                }
            }
            Opcode::Ineg => {
                let r = self.put(a[0]);
                self.op(
                    Inst::AluImm {
                        op: AluOp::Rsb,
                        rd: s(0),
                        rn: s(1),
                        imm: ModImm::maybe_from_u32(0).expect("fits"),
                    },
                    vec![Operand::reg_def(rd.expect("result")), Operand::reg_use(r)],
                );
            }
            Opcode::Bnot => {
                let r = self.put(a[0]);
                self.op(
                    Inst::Mvn { rd: s(0), rm: s(1) },
                    vec![Operand::reg_def(rd.expect("result")), Operand::reg_use(r)],
                );
            }
            Opcode::Bswap => {
                let r = self.put(a[0]);
                let e = if ty == Some(I32) {
                    ExtOp::Rev
                } else if ty == Some(I16) {
                    // The upper bits of an i16 are free: REVSH leaves them
                    // sign-extended, which saves the SXTH a compare of a
                    // big-endian short would need (`is_sext`).
                    ExtOp::Revsh
                } else {
                    return Err(self.err(Some(i), "bswap of this type"));
                };
                self.op(
                    Inst::Ext {
                        op: e,
                        rd: s(0),
                        rm: s(1),
                    },
                    vec![Operand::reg_def(rd.expect("result")), Operand::reg_use(r)],
                );
            }
            Opcode::Icmp => {
                let InstructionData::IntCompare { cond, .. } = d else {
                    return Err(CodegenError::Bug("icmp format".into()));
                };
                let mut ops = vec![Operand::reg_def(rd.expect("result"))];
                let cmp = self.compare(*cond, a[0], a[1], &mut ops);
                self.push(Kind::SetCc { cmp, rd: 0 }, ops);
            }
            Opcode::Select => {
                let rd = rd.expect("result");
                let rf = self.put(a[2]);
                let rt = self.put(a[1]);
                let mut ops = vec![
                    Operand::reg_reuse_def(rd, 1),
                    Operand::reg_use(rf),
                    Operand::reg_use(rt),
                ];
                let cmp = self.cond_of(a[0], &mut ops);
                self.push(Kind::Select { cmp, rd: 0, t: 2 }, ops);
            }
            Opcode::Load | Opcode::Uload8 | Opcode::Sload8 | Opcode::Uload16 | Opcode::Sload16 => {
                let InstructionData::Load { offset, .. } = d else {
                    return Err(CodegenError::Bug("load format".into()));
                };
                let size = match (op, ty) {
                    (Opcode::Uload8, _) | (Opcode::Load, Some(I8)) => MemSize::U8,
                    (Opcode::Sload8, _) => MemSize::S8,
                    (Opcode::Uload16, _) | (Opcode::Load, Some(I16)) => MemSize::U16,
                    (Opcode::Sload16, _) => MemSize::S16,
                    _ => MemSize::W32,
                };
                self.load(size, rd.expect("result"), a[0], i32::from(*offset));
            }
            Opcode::Store | Opcode::Istore8 | Opcode::Istore16 => {
                let InstructionData::Store { offset, .. } = d else {
                    return Err(CodegenError::Bug("store format".into()));
                };
                let size = match (op, self.ty(a[0])) {
                    (Opcode::Istore8, _) | (Opcode::Store, I8) => MemSize::U8,
                    (Opcode::Istore16, _) | (Opcode::Store, I16) => MemSize::U16,
                    _ => MemSize::W32,
                };
                self.store(size, a[0], a[1], i32::from(*offset));
            }
            Opcode::StackAddr => {
                let InstructionData::StackAddr {
                    stack_slot, offset, ..
                } = d
                else {
                    return Err(CodegenError::Bug("stack_addr format".into()));
                };
                let off = self.slot_offsets[stack_slot] as i64 + i64::from(i32::from(*offset));
                self.push(
                    Kind::SlotAddr {
                        rd: 0,
                        off: off as u32,
                    },
                    vec![Operand::reg_def(rd.expect("result"))],
                );
            }
            Opcode::CallIndirect => {
                let args = &a[1..];
                if let Some(r) = f.dfg.inst_results(i).get(1) {
                    let _ = r;
                    return Err(self.err(Some(i), "calls with several results"));
                }
                self.calls = true;
                for (n, &v) in args.iter().enumerate().skip(4) {
                    let off = 4 * (n as u32 - 4);
                    self.outgoing = self.outgoing.max(off + 4);
                    let r = self.put(v);
                    self.op(
                        Inst::Store {
                            size: MemSize::W32,
                            rt: s(0),
                            rn: SP,
                            off: off as i32,
                        },
                        vec![Operand::reg_use(r)],
                    );
                }
                let target = self.put(a[0]);
                let mut ops = vec![Operand::reg_use(target)];
                for (n, &v) in args.iter().enumerate().take(4) {
                    let r = self.put(v);
                    ops.push(Operand::reg_fixed_use(r, abi::arg_reg(n).preg()));
                }
                let mut clobbers = abi::caller_saved();
                if let Some(rd) = rd {
                    ops.push(Operand::reg_fixed_def(rd, R0.preg()));
                    clobbers.remove(R0.preg());
                }
                self.cur.push(VInst {
                    kind: Kind::Call { target: 0 },
                    ops,
                    clobbers,
                });
            }
            Opcode::Return => {
                let mut ops = Vec::new();
                match a {
                    [] => {}
                    [v] => {
                        let r = self.put(*v);
                        ops.push(Operand::reg_fixed_use(r, R0.preg()));
                    }
                    _ => return Err(self.err(Some(i), "several return values")),
                }
                self.push(Kind::Ret, ops);
            }
            Opcode::Trap => self.push(Kind::Unreachable, Vec::new()),
            Opcode::Jump => {
                let succs = succs_of(f, i);
                let (t, args) = &succs[0];
                let regs: Vec<VReg> = args.iter().map(|&x| self.put(x)).collect();
                let vb = self.vblock[&b];
                self.branch_args[vb] = regs;
                let target = Block::new(self.vblock[t]);
                self.push(Kind::Jump { target }, Vec::new());
            }
            Opcode::Brif => {
                let succs = succs_of(f, i);
                let taken = self.target(b, 0, succs[0].0, &succs[0].1);
                let not_taken = self.target(b, 1, succs[1].0, &succs[1].1);
                let mut ops = Vec::new();
                if let Some((all, leaves)) = self.logic_tree(a[0]) {
                    let cmps = leaves
                        .into_iter()
                        .map(|v| self.cond_of(v, &mut ops))
                        .collect();
                    self.push(
                        Kind::CondBrMulti {
                            cmps,
                            all,
                            taken,
                            not_taken,
                        },
                        ops,
                    );
                    return Ok(());
                }
                let cmp = self.cond_of(a[0], &mut ops);
                self.push(
                    Kind::CondBr {
                        cmp,
                        taken,
                        not_taken,
                    },
                    ops,
                );
            }
            Opcode::BrTable => {
                let succs = succs_of(f, i);
                let default = self.target(b, 0, succs[0].0, &succs[0].1);
                let mut targets = Vec::new();
                for (n, (t, args)) in succs.iter().enumerate().skip(1) {
                    targets.push(self.target(b, n, *t, args));
                }
                let idx = self.put(a[0]);
                let tmp = self.new_vreg();
                self.push(
                    Kind::BrTable {
                        idx: 0,
                        tmp: 1,
                        targets,
                        default,
                    },
                    vec![Operand::reg_use(idx), Operand::reg_temp(tmp)],
                );
            }
            _ => return Err(self.err(Some(i), format!("opcode {op}"))),
        }
        Ok(())
    }
}
