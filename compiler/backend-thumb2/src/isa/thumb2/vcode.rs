//! Virtual-register code: what instruction selection produces and what
//! regalloc2 allocates. Each [`VInst`] carries its regalloc2 operands;
//! register fields of its payload name operand slots (`Reg::new(i)` is
//! operand `i`; `sp` stays `sp`), so after allocation the same payload
//! becomes a machine instruction by substituting the allocations.

use regalloc2::{Block, Function, Inst as RaInst, InstRange, Operand, PRegSet, RegClass, VReg};

use super::inst::*;

/// A comparison that sets the flags, then a condition on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cmp {
    pub cond: Cond,
    /// Operand slot of the first value.
    pub a: u8,
    pub b: CmpB,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpB {
    /// `cmp a, b` (operand slot).
    Reg(u8),
    /// `cmp a, #imm`.
    Imm(ModImm),
    /// `cmn a, #imm` (compare with `-imm`).
    Neg(ModImm),
    /// `cmp a, #0`; a branch on `eq`/`ne` may become `cbz`/`cbnz`.
    Zero,
    /// `tst a, #imm` (`cond` is `eq` or `ne`).
    Tst(ModImm),
    /// The low `bits` (8 or 16) of `a` against zero: `lsls tmp, a, #(32 - bits)`
    /// with the temporary in operand slot `tmp` (`cond` is `eq` or `ne`).
    Low { bits: u8, tmp: u8 },
}

/// The payload of a virtual instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A machine instruction whose registers are operand slots.
    Op(Inst),
    /// Defines the incoming arguments (fixed registers).
    Args,
    /// A 32-bit constant into slot 0: `movw`+`movt` or the literal pool.
    Const(u32),
    /// `rd = cmp ? 1 : 0`: compare, `ite`, two moves.
    SetCc {
        cmp: Cmp,
        rd: u8,
    },
    /// `rd = cmp ? t : rd` (`rd` reuses the false value's register).
    Select {
        cmp: Cmp,
        rd: u8,
        t: u8,
    },
    /// The stack-relative address of an explicit slot at `off` from the
    /// start of the slot area.
    SlotAddr {
        rd: u8,
        off: u32,
    },
    /// A load (`load`) into or a store from slot `rt` at `off` from the
    /// start of the slot area, addressed from `sp`: no register holds the
    /// slot's address.
    SlotMem {
        load: bool,
        size: MemSize,
        rt: u8,
        off: u32,
    },
    /// Call the function in slot `target`; arguments and result in fixed
    /// registers.
    Call {
        target: u8,
    },
    Ret,
    /// Never reached (a block the mid-end proved dead ends here).
    Unreachable,
    Jump {
        target: Block,
    },
    CondBr {
        cmp: Cmp,
        taken: Block,
        not_taken: Block,
    },
    /// To `taken` when any comparison holds (`all`: when every one
    /// holds), tested in order, else to `not_taken`: a branch on an `bor`
    /// (`band`) of comparisons that forms no 0/1 value.
    CondBrMulti {
        cmps: Vec<Cmp>,
        all: bool,
        taken: Block,
        not_taken: Block,
    },
    /// `idx` < targets.len(): targets[idx], else default; `tmp` holds
    /// constants that do not fit a compare.
    BrTable {
        idx: u8,
        tmp: u8,
        targets: Vec<Block>,
        default: Block,
    },
}

#[derive(Debug, Clone)]
pub struct VInst {
    pub kind: Kind,
    pub ops: Vec<Operand>,
    pub clobbers: PRegSet,
}

#[derive(Debug, Clone, Default)]
pub struct VBlock {
    pub insts: (u32, u32),
    pub succs: Vec<Block>,
    pub preds: Vec<Block>,
    pub params: Vec<VReg>,
    /// Arguments of the final jump (single-successor blocks only).
    pub branch_args: Vec<VReg>,
}

/// A function in virtual registers, in final block order.
#[derive(Debug, Clone, Default)]
pub struct VCode {
    pub insts: Vec<VInst>,
    pub blocks: Vec<VBlock>,
    pub num_vregs: usize,
    /// Bytes of outgoing stack arguments (below the slots).
    pub outgoing: u32,
    /// Bytes of explicit stack slots.
    pub slots: u32,
    /// Whether the function calls anything (then `lr` is saved).
    pub calls: bool,
}

impl Function for VCode {
    fn num_insts(&self) -> usize {
        self.insts.len()
    }
    fn num_blocks(&self) -> usize {
        self.blocks.len()
    }
    fn entry_block(&self) -> Block {
        Block::new(0)
    }
    fn block_insns(&self, block: Block) -> InstRange {
        let (a, b) = self.blocks[block.index()].insts;
        InstRange::new(RaInst::new(a as usize), RaInst::new(b as usize))
    }
    fn block_succs(&self, block: Block) -> &[Block] {
        &self.blocks[block.index()].succs
    }
    fn block_preds(&self, block: Block) -> &[Block] {
        &self.blocks[block.index()].preds
    }
    fn block_params(&self, block: Block) -> &[VReg] {
        &self.blocks[block.index()].params
    }
    fn is_ret(&self, insn: RaInst) -> bool {
        matches!(self.insts[insn.index()].kind, Kind::Ret | Kind::Unreachable)
    }
    fn is_branch(&self, insn: RaInst) -> bool {
        matches!(
            self.insts[insn.index()].kind,
            Kind::Jump { .. }
                | Kind::CondBr { .. }
                | Kind::CondBrMulti { .. }
                | Kind::BrTable { .. }
        )
    }
    fn branch_blockparams(&self, block: Block, _insn: RaInst, _succ_idx: usize) -> &[VReg] {
        &self.blocks[block.index()].branch_args
    }
    fn inst_operands(&self, insn: RaInst) -> &[Operand] {
        &self.insts[insn.index()].ops
    }
    fn inst_clobbers(&self, insn: RaInst) -> PRegSet {
        self.insts[insn.index()].clobbers
    }
    fn num_vregs(&self) -> usize {
        self.num_vregs
    }
    fn spillslot_size(&self, _regclass: RegClass) -> usize {
        1
    }
}

impl core::fmt::Display for VCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (b, blk) in self.blocks.iter().enumerate() {
            writeln!(
                f,
                "vblock{b} params {:?} preds {:?} succs {:?} args {:?}",
                blk.params, blk.preds, blk.succs, blk.branch_args
            )?;
            for i in blk.insts.0..blk.insts.1 {
                let vi = &self.insts[i as usize];
                writeln!(f, "  {i}: {:?} {:?}", vi.kind, vi.ops)?;
            }
        }
        Ok(())
    }
}

impl VCode {
    /// The block's instructions.
    pub fn block_insts(&self, b: usize) -> &[VInst] {
        let (s, e) = self.blocks[b].insts;
        &self.insts[s as usize..e as usize]
    }
}

/// Maps every register field of `inst` through `f` (slot registers to
/// physical ones); `sp` and `pc` are left alone.
pub fn map_regs(inst: &Inst, f: &dyn Fn(Reg) -> Reg) -> Inst {
    let g = |r: Reg| if r.num() < 13 { f(r) } else { r };
    let mut i = inst.clone();
    match &mut i {
        Inst::Mov { rd, rm } | Inst::Mvn { rd, rm } | Inst::Ext { rd, rm, .. } => {
            *rd = g(*rd);
            *rm = g(*rm);
        }
        Inst::ShiftImm { rd, rm, .. } | Inst::LslsImm { rd, rm, .. } => {
            *rd = g(*rd);
            *rm = g(*rm);
        }
        Inst::MovImm { rd, .. } | Inst::Movt { rd, .. } | Inst::AddSp { rd, .. } => *rd = g(*rd),
        Inst::AluImm { rd, rn, .. } | Inst::AluImm12 { rd, rn, .. } | Inst::Bfx { rd, rn, .. } => {
            *rd = g(*rd);
            *rn = g(*rn);
        }
        Inst::AluReg { rd, rn, rm, .. }
        | Inst::ShiftReg { rd, rn, rm, .. }
        | Inst::Mul { rd, rn, rm }
        | Inst::Div { rd, rn, rm, .. } => {
            *rd = g(*rd);
            *rn = g(*rn);
            *rm = g(*rm);
        }
        Inst::MulLong {
            rdlo, rdhi, rn, rm, ..
        } => {
            *rdlo = g(*rdlo);
            *rdhi = g(*rdhi);
            *rn = g(*rn);
            *rm = g(*rm);
        }
        Inst::Mla { rd, rn, rm, ra } | Inst::Mls { rd, rn, rm, ra } => {
            *rd = g(*rd);
            *rn = g(*rn);
            *rm = g(*rm);
            *ra = g(*ra);
        }
        Inst::CmpReg { rn, rm } => {
            *rn = g(*rn);
            *rm = g(*rm);
        }
        Inst::CmpImm { rn, .. } | Inst::CmnImm { rn, .. } | Inst::TstImm { rn, .. } => *rn = g(*rn),
        Inst::Load { rt, rn, .. } | Inst::Store { rt, rn, .. } => {
            *rt = g(*rt);
            *rn = g(*rn);
        }
        Inst::LoadReg { rt, rn, rm, .. } | Inst::StoreReg { rt, rn, rm, .. } => {
            *rt = g(*rt);
            *rn = g(*rn);
            *rm = g(*rm);
        }
        Inst::MovCond { rd, rm, .. } => {
            *rd = g(*rd);
            *rm = g(*rm);
        }
        Inst::MovImmCond { rd, .. } | Inst::LdrLit { rt: rd, .. } => *rd = g(*rd),
        Inst::Cbz { rn, .. } => *rn = g(*rn),
        Inst::Bx { rm } | Inst::Blx { rm } => *rm = g(*rm),
        Inst::Nop
        | Inst::Udf { .. }
        | Inst::SpAdjust { .. }
        | Inst::Push { .. }
        | Inst::Pop { .. }
        | Inst::It { .. }
        | Inst::B { .. }
        | Inst::BCond { .. } => {}
    }
    i
}
