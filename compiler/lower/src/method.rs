//! The per-method translation loop: blocks from the verifier, one case per
//! bytecode, and the handler-dispatch blocks.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{I16, I32};
use cranelift_codegen::ir::Block;
use cranelift_codegen::ir::InstBuilder;
use hydra_abi::{self as abi, kind, obj, Entry};
use hydra_cap::bytecode::Operands;

use crate::{Cmp, LowerError, Lowerer};

impl Lowerer<'_, '_> {
    pub(crate) fn method(&mut self) -> Result<(), LowerError> {
        let types = self.types;
        let depth = types.max_depth.max(usize::from(self.info.header.max_stack)) + 4;
        for _ in 0..self.nloc + depth {
            let v = self.b.declare_var(I16);
            self.vars.push(v);
        }
        // Entry: arguments from the caller's words, other locals zero.
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.enter(entry);
        let params = self.b.block_params(entry).to_vec();
        self.vm = params[0];
        let epoch = self.b.declare_var(self.ptr);
        self.b.def_var(epoch, self.vm);
        self.epoch = Some(epoch);
        self.pkg = params[1];
        let args = params[2];
        let nargs = usize::from(self.info.header.nargs);
        let mut words = Vec::with_capacity(self.nloc);
        for i in 0..self.nloc {
            let v = if i < nargs {
                self.b
                    .ins()
                    .load(I16, crate::mf_data(), args, (2 * i) as i32)
            } else {
                self.iconst16(0)
            };
            self.b.def_var(self.vars[i], v);
            words.push(v);
        }
        // Int views of the locals: an int argument joined from its words
        // (unused ones are removed), zero elsewhere.
        for i in 0..self.nloc {
            let var = self.b.declare_var(I32);
            self.int_vars.push(var);
            let v = match (words.get(i), words.get(i + 1)) {
                (Some(&hi), Some(&lo)) if i + 1 < nargs => self.join(hi, lo),
                _ => self.iconst32(0),
            };
            self.b.def_var(var, v);
        }
        for (pc, frame) in types.blocks() {
            if frame.is_some() {
                let b = self.b.create_block();
                self.blocks.insert(pc, b);
            }
        }
        // The execution budget: one tick per loop header (a backward
        // branch's target), per exception handler and, in methods that
        // call (and so may recurse), per entry; so no code runs for ever
        // without taking one, and straight-line leaves take none.
        let mut ticked = std::collections::BTreeSet::new();
        let mut calls = false;
        for insn in &types.insns {
            calls |= matches!(insn.opcode.0, 0x8B..=0x8E);
            for t in insn.branch_targets() {
                if t <= i32::from(insn.pc) {
                    ticked.insert(t);
                }
            }
        }
        self.loops = types
            .insns
            .iter()
            .flat_map(|i| {
                i.branch_targets()
                    .into_iter()
                    .filter_map(|t| u16::try_from(t).ok())
                    .filter(|&t| t <= i.pc)
                    .map(|t| (t, i.pc))
                    .collect::<Vec<_>>()
            })
            .collect();
        self.hoisting = self.call_free_loop_pcs();
        let code_offset = u32::from(self.info.code_offset());
        let code_end = code_offset + self.info.bytecode.len() as u32;
        for h in &self.cap.method.handlers {
            let at = u32::from(h.handler_offset);
            if (code_offset..code_end).contains(&at) {
                ticked.insert((at - code_offset) as i32);
            }
        }
        if calls || !ticked.is_empty() {
            self.keep_ticks();
        }
        if calls {
            self.pc = 0;
            self.tick();
        }
        let first = self.block_at(0)?;
        self.b.ins().jump(first, &[]);

        let mut open = false;
        for (i, insn) in types.insns.iter().enumerate() {
            self.pc = insn.pc;
            let frame = types.frames.get(i).and_then(|f| f.as_ref());
            if let Some(&b) = self.blocks.get(&insn.pc) {
                if open {
                    self.b.ins().jump(b, &[]);
                }
                self.b.switch_to_block(b);
                self.forget_checks(b);
                open = true;
                self.sp = frame.map(|f| f.depth()).unwrap_or(0);
                if frame.is_some() && ticked.contains(&i32::from(insn.pc)) {
                    self.tick();
                }
            }
            if !open || frame.is_none() {
                open = false;
                continue;
            }
            if frame.map(|f| f.depth()) != Some(self.sp) {
                return Err(self.no_types("stack depth differs from the verifier's"));
            }
            let next_depth = types
                .frames
                .get(i + 1)
                .and_then(|f| f.as_ref())
                .map(|f| f.depth());
            self.next_pc = insn.pc + insn.len;
            open = self.insn(insn, next_depth)?;
        }
        if open {
            return Err(self.no_types("code falls off the end of the method"));
        }
        self.fill_dispatch()
    }

    /// Whether `insn` starts a new epoch (see `Lowerer::epoch`): calls,
    /// allocation, and writes of final statics. It must agree with what
    /// `insn` emits only for speed: either form of a check is complete.
    fn starts_epoch(&self, insn: &hydra_cap::bytecode::Instruction) -> bool {
        match insn.opcode.0 {
            // invoke*, new, newarray, anewarray
            0x8B..=0x91 => true,
            0x7F..=0x82 => match insn.operands {
                Operands::Cp(cp) => self.final_static(cp),
                _ => true,
            },
            _ => false,
        }
    }

    /// The pcs where checks are branch-free: those of a stretch of bytecode
    /// between `starts_epoch` instructions that holds a whole loop. In such
    /// a loop the VM-context and header loads are invariant, so the
    /// mid-end hoists the check out of it, and the checks of the same
    /// objects before and after the loop reuse what it computed.
    fn call_free_loop_pcs(&self) -> std::collections::HashSet<u16> {
        let insns = &self.types.insns;
        let mut pcs = std::collections::HashSet::new();
        let mut stretch: Vec<u16> = Vec::new();
        let mut flush = |stretch: &mut Vec<u16>| {
            let (Some(&first), Some(&last)) = (stretch.first(), stretch.last()) else {
                return;
            };
            if self
                .loops
                .iter()
                .any(|&(start, end)| first <= start && end <= last)
            {
                pcs.extend(stretch.iter().copied());
            }
            stretch.clear();
        };
        for insn in insns {
            if self.starts_epoch(insn) {
                flush(&mut stretch);
            } else {
                stretch.push(insn.pc);
            }
        }
        flush(&mut stretch);
        pcs
    }

    /// Emits one instruction; false when control does not fall through.
    #[allow(clippy::too_many_lines)]
    fn insn(
        &mut self,
        insn: &hydra_cap::bytecode::Instruction,
        next_depth: Option<usize>,
    ) -> Result<bool, LowerError> {
        let op = insn.opcode.0;
        let pc = i32::from(insn.pc);
        let operand_local = || match insn.operands {
            Operands::Local(l) => usize::from(l),
            _ => 0,
        };
        let cp = match insn.operands {
            Operands::Cp(i) => i,
            _ => 0,
        };
        match op {
            0x00 => {}
            0x01 => {
                let z = self.iconst16(0);
                self.push(z)?;
            }
            0x02..=0x08 => {
                let v = self.iconst16(i16::from(op) - 3);
                self.push(v)?;
            }
            0x09..=0x0F => {
                let v = self.iconst32(i32::from(op) - 0x0A);
                self.push_int(v)?;
            }
            0x10 | 0x11 => {
                let v = match insn.operands {
                    Operands::Byte(b) => i16::from(b),
                    Operands::Short(s) => s,
                    _ => return Err(self.unsupported("constant operand")),
                };
                let v = self.iconst16(v);
                self.push(v)?;
            }
            0x12..=0x14 => {
                let v = match insn.operands {
                    Operands::Byte(b) => i32::from(b),
                    Operands::Short(s) => i32::from(s),
                    Operands::Int(i) => i,
                    _ => return Err(self.unsupported("constant operand")),
                };
                let v = self.iconst32(v);
                self.push_int(v)?;
            }
            // loads
            0x15 | 0x16 => {
                let v = self.local(operand_local())?;
                self.push(v)?;
            }
            0x17 => {
                let v = self.int_local(operand_local())?;
                self.push_int(v)?;
            }
            0x18..=0x1B => {
                let v = self.local(usize::from(op - 0x18))?;
                self.push(v)?;
            }
            0x1C..=0x1F => {
                let v = self.local(usize::from(op - 0x1C))?;
                self.push(v)?;
            }
            0x20..=0x23 => {
                let v = self.int_local(usize::from(op - 0x20))?;
                self.push_int(v)?;
            }
            0x24..=0x27 => self.array_load(i32::from(op - 0x24) % 4)?,
            // stores
            0x28 | 0x29 => {
                let v = self.pop()?;
                self.set_local(operand_local(), v)?;
            }
            0x2A => {
                let v = self.pop_int()?;
                self.set_int_local(operand_local(), v)?;
            }
            0x2B..=0x2E => {
                let v = self.pop()?;
                self.set_local(usize::from(op - 0x2B), v)?;
            }
            0x2F..=0x32 => {
                let v = self.pop()?;
                self.set_local(usize::from(op - 0x2F), v)?;
            }
            0x33..=0x36 => {
                let v = self.pop_int()?;
                self.set_int_local(usize::from(op - 0x33), v)?;
            }
            0x37..=0x3A => self.array_store(i32::from(op - 0x37))?,
            // stack
            0x3B => {
                self.pop()?;
            }
            0x3C => {
                self.pop()?;
                self.pop()?;
            }
            0x3D => {
                let v = self.peek(0)?;
                self.push(v)?;
            }
            0x3E => {
                let b = self.peek(0)?;
                let a = self.peek(1)?;
                self.push(a)?;
                self.push(b)?;
            }
            0x3F => {
                let mn = match insn.operands {
                    Operands::Stack(b) => b,
                    _ => 0,
                };
                let m = usize::from(mn >> 4);
                let n = usize::from(mn & 0xF);
                if m == 0 || m > 4 || (n != 0 && (n < m || n > m + 4)) || self.sp < n.max(m) {
                    return Err(self.no_types("invalid dup_x operand"));
                }
                let mut top = Vec::new();
                for k in (0..m).rev() {
                    top.push(self.peek(k)?);
                }
                if n == 0 {
                    for v in top {
                        self.push(v)?;
                    }
                } else {
                    // [.. n words ..] -> [m words][.. n words ..]
                    let mut below = Vec::new();
                    for k in (0..n).rev() {
                        below.push(self.peek(k)?);
                    }
                    let base = self.sp - n;
                    self.sp = base;
                    for v in top {
                        self.push(v)?;
                    }
                    for v in below {
                        self.push(v)?;
                    }
                }
            }
            0x40 => {
                let mn = match insn.operands {
                    Operands::Stack(b) => b,
                    _ => 0,
                };
                let m = usize::from(mn >> 4);
                let n = usize::from(mn & 0xF);
                if m == 0 || m > 2 || n == 0 || n > 2 || self.sp < m + n {
                    return Err(self.no_types("invalid swap_x operand"));
                }
                let mut words = Vec::new();
                for k in (0..m + n).rev() {
                    words.push(self.peek(k)?);
                }
                self.sp -= m + n;
                // [n words][m words] -> [m words][n words]
                for &v in &words[n..] {
                    self.push(v)?;
                }
                for &v in &words[..n] {
                    self.push(v)?;
                }
            }
            // arithmetic
            0x41 | 0x43 | 0x45 | 0x47 | 0x49 | 0x4D | 0x4F | 0x51 | 0x53 | 0x55 | 0x57 => {
                self.short_binop(op)?
            }
            0x42 | 0x44 | 0x46 | 0x48 | 0x4A | 0x4E | 0x50 | 0x52 | 0x54 | 0x56 | 0x58 => {
                self.int_binop(op)?
            }
            0x4B => {
                let a = self.pop()?;
                let r = self.b.ins().ineg(a);
                self.push(r)?;
            }
            0x4C => {
                let a = self.pop_int()?;
                let r = self.b.ins().ineg(a);
                self.push_int(r)?;
            }
            0x59 | 0x96 => {
                let (l, v) = match insn.operands {
                    Operands::Inc { local, value } => (usize::from(local), value),
                    _ => return Err(self.unsupported("sinc operand")),
                };
                let x = self.local(l)?;
                let r = self.b.ins().iadd_imm_s(x, i64::from(v));
                self.set_local(l, r)?;
            }
            0x5A | 0x97 => {
                let (l, v) = match insn.operands {
                    Operands::Inc { local, value } => (usize::from(local), value),
                    _ => return Err(self.unsupported("iinc operand")),
                };
                let x = self.int_local(l)?;
                let r = self.b.ins().iadd_imm_s(x, i64::from(v));
                self.set_int_local(l, r)?;
            }
            0x5B => {
                let a = self.pop()?;
                let b8 = self.b.ins().ireduce(cranelift_codegen::ir::types::I8, a);
                let r = self.b.ins().sextend(I16, b8);
                self.push(r)?;
            }
            0x5C => {
                let a = self.pop()?;
                let r = self.sext(a);
                self.push_int(r)?;
            }
            0x5D => {
                let a = self.pop_int()?;
                let b8 = self.b.ins().ireduce(cranelift_codegen::ir::types::I8, a);
                let r = self.b.ins().sextend(I16, b8);
                self.push(r)?;
            }
            0x5E => {
                let a = self.pop_int()?;
                let r = self.b.ins().ireduce(I16, a);
                self.push(r)?;
            }
            0x5F => {
                let b = self.pop_int()?;
                let a = self.pop_int()?;
                let gt = self.b.ins().icmp(IntCC::SignedGreaterThan, a, b);
                let lt = self.b.ins().icmp(IntCC::SignedLessThan, a, b);
                let gt = self.b.ins().uextend(I16, gt);
                let lt = self.b.ins().uextend(I16, lt);
                let r = self.b.ins().isub(gt, lt);
                self.push(r)?;
            }
            // branches
            0x60..=0x65 | 0x98..=0x9D => {
                let v = self.pop()?;
                let c = Cmp::from_index((op - 0x60) % 0x38);
                let cond = self.b.ins().icmp_imm_s(c.cc(), v, 0);
                self.branch(cond, pc + branch_offset(insn))?;
                return Ok(false);
            }
            0x66 | 0x67 | 0x9E | 0x9F => {
                let v = self.pop()?;
                let cc = if op == 0x66 || op == 0x9E {
                    IntCC::Equal
                } else {
                    IntCC::NotEqual
                };
                let cond = self.b.ins().icmp_imm_s(cc, v, 0);
                self.branch(cond, pc + branch_offset(insn))?;
                return Ok(false);
            }
            0x68 | 0x69 | 0xA0 | 0xA1 => {
                let b = self.pop()?;
                let a = self.pop()?;
                let cc = if op == 0x68 || op == 0xA0 {
                    IntCC::Equal
                } else {
                    IntCC::NotEqual
                };
                let cond = self.b.ins().icmp(cc, a, b);
                self.branch(cond, pc + branch_offset(insn))?;
                return Ok(false);
            }
            0x6A..=0x6F | 0xA2..=0xA7 => {
                let b = self.pop()?;
                let a = self.pop()?;
                let k = if op >= 0xA2 { op - 0xA2 } else { op - 0x6A };
                let cond = self.b.ins().icmp(Cmp::from_index(k).cc(), a, b);
                self.branch(cond, pc + branch_offset(insn))?;
                return Ok(false);
            }
            0x70 | 0xA8 => {
                let t = self.block_at(pc + branch_offset(insn))?;
                self.b.ins().jump(t, &[]);
                return Ok(false);
            }
            0x71 | 0x72 => return Err(self.unsupported("jsr/ret subroutines")),
            0x73..=0x76 => {
                let key = if op == 0x73 || op == 0x75 {
                    let k = self.pop()?;
                    self.sext(k)
                } else {
                    self.pop_int()?
                };
                let (default, cases) = match &insn.operands {
                    Operands::TableSwitch {
                        default,
                        low,
                        offsets,
                        ..
                    } => (
                        *default,
                        offsets
                            .iter()
                            .enumerate()
                            .map(|(i, o)| (low.wrapping_add(i as i32), *o))
                            .collect::<Vec<_>>(),
                    ),
                    Operands::LookupSwitch { default, pairs } => (*default, pairs.clone()),
                    _ => return Err(self.unsupported("switch operands")),
                };
                self.switch(key, &cases, default)?;
                return Ok(false);
            }
            0x77 | 0x78 => {
                let v = self.pop()?;
                let r = self.sext(v);
                self.ret(r);
                return Ok(false);
            }
            0x79 => {
                let r = self.pop_int()?;
                self.ret(r);
                return Ok(false);
            }
            0x7A => {
                let z = self.iconst32(0);
                self.ret(z);
                return Ok(false);
            }
            // statics
            0x7B..=0x7E => self.getstatic(i32::from(op - 0x7B), cp)?,
            0x7F..=0x82 => self.putstatic(i32::from(op - 0x7F), cp)?,
            // fields
            0x83..=0x86 => self.getfield(i32::from(op - 0x83), cp, false)?,
            0x87..=0x8A => self.putfield(i32::from(op - 0x87), cp, false)?,
            0xA9..=0xAC => self.getfield(i32::from(op - 0xA9), cp, false)?,
            0xB1..=0xB4 => self.putfield(i32::from(op - 0xB1), cp, false)?,
            0xAD..=0xB0 => self.getfield(i32::from(op - 0xAD), cp, true)?,
            0xB5..=0xB8 => self.putfield(i32::from(op - 0xB5), cp, true)?,
            // calls
            0x8B..=0x8E => self.invoke(insn, next_depth)?,
            // objects
            0x8F => {
                let c = self.iconst32(i32::from(cp));
                let r = self
                    .call_rt_checked(Entry::New, &[self.pkg, c])
                    .expect("new returns");
                self.push_i32_as_short(r)?;
            }
            0x90 | 0x91 => {
                let (atype, index) = match insn.operands {
                    Operands::NewArray(t) => (i32::from(t), 0),
                    Operands::Cp(i) => (0, i32::from(i)),
                    _ => return Err(self.unsupported("newarray operands")),
                };
                let n = self.pop()?;
                let n = self.sext(n);
                let t = self.iconst32(atype);
                let c = self.iconst32(index);
                let r = self
                    .call_rt_checked(Entry::NewArray, &[self.pkg, t, c, n])
                    .expect("newarray returns");
                self.push_i32_as_short(r)?;
            }
            0x92 => self.array_length()?,
            0x93 => {
                let r = self.pop()?;
                let r = self.b.ins().uextend(I32, r);
                self.call_rt(Entry::Throw, &[r]);
                let exc = self.exc_block();
                self.b.ins().jump(exc, &[]);
                return Ok(false);
            }
            0x94 | 0x95 => {
                let (atype, index) = match insn.operands {
                    Operands::TypeCheck { atype, index } => (i32::from(atype), i32::from(index)),
                    _ => return Err(self.unsupported("checkcast operands")),
                };
                let r = self.pop()?;
                let instanceof = op == 0x95;
                let v = if atype == 0 && self.own_class(index as u16) {
                    self.type_check_inline(r, instanceof, index as u16)
                } else {
                    let r = self.b.ins().uextend(I32, r);
                    self.type_check_call(r, instanceof, atype, index)
                };
                self.push_i32_as_short(v)?;
            }
            _ => {
                return Err(self.unsupported(format!(
                    "opcode {:#04x} ({})",
                    op,
                    insn.opcode.mnemonic().unwrap_or("reserved")
                )))
            }
        }
        let _ = kind::REF;
        Ok(true)
    }

    /// Fills each handler-dispatch block: ask the runtime, handler by
    /// handler (innermost first), whether it catches the pending exception;
    /// return with it pending when none does.
    fn fill_dispatch(&mut self) -> Result<(), LowerError> {
        let mut lists: Vec<(Vec<usize>, cranelift_codegen::ir::Block)> =
            self.dispatch.iter().map(|(k, v)| (k.clone(), *v)).collect();
        lists.sort_by_key(|(_, b)| *b);
        let code_offset = u32::from(self.info.code_offset());
        for (list, block) in lists {
            self.enter(block);
            for h in list {
                let handler = self.cap.method.handlers[h];
                let rel = u32::from(handler.handler_offset)
                    .checked_sub(code_offset)
                    .ok_or_else(|| self.no_types("handler outside the method"))?;
                self.pc = rel as u16;
                let target = self.block_at(rel as i32)?;
                let caught = self.b.create_block();
                let thrown = self.b.append_block_param(caught, I32);
                let next = self.b.create_block();
                self.b.set_cold_block(next);
                let ask = self.b.create_block();
                let cp = handler.catch_type_index;
                if cp != 0 && self.checks {
                    self.catch_inline(cp, caught, next, ask);
                } else {
                    self.b.ins().jump(ask, &[]);
                }
                self.b.set_cold_block(ask);
                self.enter(ask);
                let c = self.iconst32(i32::from(cp));
                let e = self
                    .call_rt(Entry::Catch, &[self.pkg, c])
                    .expect("catch returns");
                self.b.ins().brif(e, caught, &[e.into()], next, &[]);
                self.enter(caught);
                self.sp = 0;
                let r = self.b.ins().ireduce(I16, thrown);
                self.push(r)?;
                self.b.ins().jump(target, &[]);
                self.enter(next);
            }
            let z = self.iconst32(0);
            self.ret(z);
        }
        Ok(())
    }
}

impl Lowerer<'_, '_> {
    /// Whether the handler for class reference `cp` catches the pending
    /// exception, decided inline where the link table can: an exception of
    /// a class of this package by the class reference's type row, and a
    /// built-in exception (ids below `api_classes`) is never an instance of
    /// a class of this package; an exception of exactly a referenced class
    /// of another package (`abi::CLASS_ID`) is caught. A catch clears
    /// `pending` and goes to `caught` with the reference, a miss goes to
    /// `next`; anything else asks the runtime (`ask`).
    fn catch_inline(&mut self, cp: u16, caught: Block, next: Block, ask: Block) {
        let r = self.vm_load(I32, self.lay.pending_ref());
        let known = self.b.create_block();
        self.b.ins().brif(r, known, &[], ask, &[]);
        self.enter(known);
        let r16 = self.b.ins().ireduce(I16, r);
        let (.., o) = self.locate(r16);
        let cls = self.hdr_half(o, obj::CLASS);
        let word = self.cp_word(cp);
        let take = self.b.create_block();
        if self.own_class(cp) {
            let with_row = self.b.create_block();
            self.b.ins().brif(word, with_row, &[], ask, &[]);
            self.enter(with_row);
            let (row, c, inside) = self.row_of_class(word, cls);
            let in_pkg = self.b.create_block();
            let outside = self.b.create_block();
            self.b.ins().brif(inside, in_pkg, &[], outside, &[]);
            self.enter(in_pkg);
            let e = self.row_entry(row, c);
            let yes = self.b.ins().load(I32, crate::mf_row(), e, 0);
            self.b.ins().brif(yes, take, &[], next, &[]);
            self.enter(outside);
            let api = self.vm_fixed(I32, self.lay.api_classes());
            let builtin = self.b.ins().icmp(IntCC::UnsignedLessThan, cls, api);
            self.b.ins().brif(builtin, next, &[], ask, &[]);
        } else {
            let id = self.b.ins().bor_imm_u(cls, i64::from(abi::CLASS_ID));
            let exact = self.b.ins().icmp(IntCC::Equal, word, id);
            self.b.ins().brif(exact, take, &[], ask, &[]);
        }
        self.enter(take);
        let zero = self.iconst32(0);
        let vm = self.vm();
        let f = self.mf_vm();
        self.b.ins().store(f, zero, vm, self.lay.pending() as i32);
        self.b
            .ins()
            .store(f, zero, vm, self.lay.pending_ref() as i32);
        self.b.ins().jump(caught, &[r.into()]);
    }
}

fn branch_offset(insn: &hydra_cap::bytecode::Instruction) -> i32 {
    match insn.operands {
        Operands::Branch(o) => i32::from(o),
        _ => 0,
    }
}
