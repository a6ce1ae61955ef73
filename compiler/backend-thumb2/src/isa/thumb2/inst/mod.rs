//! Thumb-2 machine instructions with physical registers: what the encoder
//! ([`emit`]) turns into bytes and the listing prints. Each variant picks
//! the shortest encoding its operands allow (16-bit forms set the flags
//! outside IT blocks, which is harmless: flags never live across
//! instructions of the register-allocated code, see `lower`).

pub mod args;
pub mod emit;
#[cfg(test)]
mod emit_tests;
pub mod imms;
pub mod regs;

pub use args::*;
pub use imms::*;
pub use regs::*;

/// One machine instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inst {
    Nop,
    /// `udf #imm`: a permanently undefined instruction (unreachable code).
    Udf {
        imm: u8,
    },
    /// `mov rd, rm` (never sets flags).
    Mov {
        rd: Reg,
        rm: Reg,
    },
    /// Any constant a single instruction can build (`movs`, `mov.w`,
    /// `mvn`, `movw`); see [`Inst::mov_imm_fits`].
    MovImm {
        rd: Reg,
        imm: u32,
    },
    Movt {
        rd: Reg,
        imm: UImm16,
    },
    AluImm {
        op: AluOp,
        rd: Reg,
        rn: Reg,
        imm: ModImm,
    },
    /// `addw` / `subw rd, rn, #imm12`.
    AluImm12 {
        sub: bool,
        rd: Reg,
        rn: Reg,
        imm: UImm12,
    },
    AluReg {
        op: AluOp,
        rd: Reg,
        rn: Reg,
        rm: Reg,
        shift: Shift,
    },
    Mvn {
        rd: Reg,
        rm: Reg,
    },
    ShiftImm {
        kind: ShiftKind,
        rd: Reg,
        rm: Reg,
        amt: ShiftAmt,
    },
    /// `lsls rd, rm, #16` that sets the flags (a 16-bit zero test).
    LslsImm {
        rd: Reg,
        rm: Reg,
        amt: ShiftAmt,
    },
    ShiftReg {
        kind: ShiftKind,
        rd: Reg,
        rn: Reg,
        rm: Reg,
    },
    Mul {
        rd: Reg,
        rn: Reg,
        rm: Reg,
    },
    /// `smull`/`umull rdlo, rdhi, rn, rm`: the 64-bit product of two words.
    /// `rdlo` and `rdhi` MUST differ.
    MulLong {
        signed: bool,
        rdlo: Reg,
        rdhi: Reg,
        rn: Reg,
        rm: Reg,
    },
    /// `mla rd, rn, rm, ra`: `rd = ra + rn * rm`.
    Mla {
        rd: Reg,
        rn: Reg,
        rm: Reg,
        ra: Reg,
    },
    /// `mls rd, rn, rm, ra`: `rd = ra - rn * rm`.
    Mls {
        rd: Reg,
        rn: Reg,
        rm: Reg,
        ra: Reg,
    },
    Div {
        signed: bool,
        rd: Reg,
        rn: Reg,
        rm: Reg,
    },
    Ext {
        op: ExtOp,
        rd: Reg,
        rm: Reg,
    },
    /// `sbfx` / `ubfx rd, rn, #lsb, #width`.
    Bfx {
        signed: bool,
        rd: Reg,
        rn: Reg,
        lsb: u8,
        width: u8,
    },
    CmpReg {
        rn: Reg,
        rm: Reg,
    },
    CmpImm {
        rn: Reg,
        imm: ModImm,
    },
    CmnImm {
        rn: Reg,
        imm: ModImm,
    },
    TstImm {
        rn: Reg,
        imm: ModImm,
    },
    /// `ldr* rt, [rn, #off]` with `-255 <= off <= 4095`.
    Load {
        size: MemSize,
        rt: Reg,
        rn: Reg,
        off: i32,
    },
    Store {
        size: MemSize,
        rt: Reg,
        rn: Reg,
        off: i32,
    },
    /// `ldr* rt, [rn, rm, lsl #shift]`, `shift <= 3`.
    LoadReg {
        size: MemSize,
        rt: Reg,
        rn: Reg,
        rm: Reg,
        shift: u8,
    },
    StoreReg {
        size: MemSize,
        rt: Reg,
        rn: Reg,
        rm: Reg,
        shift: u8,
    },
    /// `add rd, sp, #imm` (`imm < 4096`).
    AddSp {
        rd: Reg,
        imm: u32,
    },
    /// `sub sp, sp, #imm` / `add sp, sp, #imm` (`imm < 4096`, multiple of 4).
    SpAdjust {
        sub: bool,
        imm: u32,
    },
    Push {
        regs: RegSet,
    },
    Pop {
        regs: RegSet,
    },
    /// `it{t|e}* cond`: `len` (1..=4) instructions; bit `i` of `elses`
    /// makes instruction `i + 1` an else.
    It {
        cond: Cond,
        len: u8,
        elses: u8,
    },
    /// `mov<c> rd, rm` inside an IT block.
    MovCond {
        cond: Cond,
        rd: Reg,
        rm: Reg,
    },
    /// `mov<c> rd, #imm8` inside an IT block.
    MovImmCond {
        cond: Cond,
        rd: Reg,
        imm: u8,
    },
    Bx {
        rm: Reg,
    },
    Blx {
        rm: Reg,
    },
    /// `b` to a label: 16-bit (±2 KiB) or 32-bit (±16 MiB).
    B {
        label: Label,
        wide: bool,
    },
    /// `b<c>` to a label: 16-bit (±256 B) or 32-bit (±1 MiB).
    BCond {
        cond: Cond,
        label: Label,
        wide: bool,
    },
    /// `cbz` / `cbnz rn, label` (forward 0..=126 bytes, low `rn`).
    Cbz {
        nz: bool,
        rn: Reg,
        label: Label,
    },
    /// `ldr.w rt, [pc, #off]`: a constant from the literal pool.
    LdrLit {
        rt: Reg,
        label: Label,
    },
}

impl Inst {
    /// Whether [`Inst::MovImm`] can build `imm` for `rd`.
    pub fn mov_imm_fits(imm: u32) -> bool {
        imm <= 0xFFFF
            || ModImm::maybe_from_u32(imm).is_some()
            || ModImm::maybe_from_u32(!imm).is_some()
    }

    /// Whether this instruction is a branch to a label (sized by layout).
    pub fn label(&self) -> Option<Label> {
        match *self {
            Inst::B { label, .. }
            | Inst::BCond { label, .. }
            | Inst::Cbz { label, .. }
            | Inst::LdrLit { label, .. } => Some(label),
            _ => None,
        }
    }
}
