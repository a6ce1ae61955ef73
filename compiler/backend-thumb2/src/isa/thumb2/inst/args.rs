//! Operands of Thumb-2 instructions: conditions, shifts, ALU operations,
//! memory access sizes and branch labels.

use core::fmt;

use cranelift_codegen::ir::condcodes::IntCC;

/// An ARM condition code (the 4-bit field of B<c> and IT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cond {
    Eq = 0,
    Ne = 1,
    Hs = 2,
    Lo = 3,
    Mi = 4,
    Pl = 5,
    Vs = 6,
    Vc = 7,
    Hi = 8,
    Ls = 9,
    Ge = 10,
    Lt = 11,
    Gt = 12,
    Le = 13,
}

impl Cond {
    pub fn bits(self) -> u32 {
        self as u32
    }
    pub fn invert(self) -> Cond {
        use Cond::*;
        match self {
            Eq => Ne,
            Ne => Eq,
            Hs => Lo,
            Lo => Hs,
            Mi => Pl,
            Pl => Mi,
            Vs => Vc,
            Vc => Vs,
            Hi => Ls,
            Ls => Hi,
            Ge => Lt,
            Lt => Ge,
            Gt => Le,
            Le => Gt,
        }
    }
    /// The condition after `CMP a, b` that holds when `a cc b`.
    pub fn from_intcc(cc: IntCC) -> Cond {
        match cc {
            IntCC::Equal => Cond::Eq,
            IntCC::NotEqual => Cond::Ne,
            IntCC::SignedLessThan => Cond::Lt,
            IntCC::SignedGreaterThanOrEqual => Cond::Ge,
            IntCC::SignedGreaterThan => Cond::Gt,
            IntCC::SignedLessThanOrEqual => Cond::Le,
            IntCC::UnsignedLessThan => Cond::Lo,
            IntCC::UnsignedGreaterThanOrEqual => Cond::Hs,
            IntCC::UnsignedGreaterThan => Cond::Hi,
            IntCC::UnsignedLessThanOrEqual => Cond::Ls,
        }
    }
    fn name(self) -> &'static str {
        [
            "eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le",
        ][self as usize]
    }
}

impl fmt::Display for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The shift of a shifted-register operand or of an immediate shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShiftKind {
    Lsl = 0,
    Lsr = 1,
    Asr = 2,
    Ror = 3,
}

impl fmt::Display for ShiftKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ShiftKind::Lsl => "lsl",
            ShiftKind::Lsr => "lsr",
            ShiftKind::Asr => "asr",
            ShiftKind::Ror => "ror",
        })
    }
}

/// A shifted register operand's shift: kind and amount 0..=31 (LSL 0: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shift {
    pub kind: ShiftKind,
    pub amt: u8,
}

impl Shift {
    pub const NONE: Shift = Shift {
        kind: ShiftKind::Lsl,
        amt: 0,
    };
    pub fn lsl(amt: u8) -> Shift {
        Shift {
            kind: ShiftKind::Lsl,
            amt: amt & 31,
        }
    }
    pub fn is_none(self) -> bool {
        self.amt == 0 && self.kind == ShiftKind::Lsl
    }
}

/// Data-processing operations with a register or modified-immediate
/// second operand (the `op` field of both 32-bit encodings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AluOp {
    And = 0,
    Bic = 1,
    Orr = 2,
    Orn = 3,
    Eor = 4,
    Add = 8,
    Adc = 10,
    Sbc = 11,
    Sub = 13,
    Rsb = 14,
}

impl AluOp {
    pub fn bits(self) -> u32 {
        self as u32
    }
    pub fn name(self) -> &'static str {
        match self {
            AluOp::And => "and",
            AluOp::Bic => "bic",
            AluOp::Orr => "orr",
            AluOp::Orn => "orn",
            AluOp::Eor => "eor",
            AluOp::Add => "add",
            AluOp::Adc => "adc",
            AluOp::Sbc => "sbc",
            AluOp::Sub => "sub",
            AluOp::Rsb => "rsb",
        }
    }
    pub fn commutative(self) -> bool {
        matches!(self, AluOp::And | AluOp::Orr | AluOp::Eor | AluOp::Add)
    }
}

/// Size and extension of a load or store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemSize {
    /// LDRB / STRB
    U8,
    /// LDRSB
    S8,
    /// LDRH / STRH
    U16,
    /// LDRSH
    S16,
    /// LDR / STR
    W32,
}

impl MemSize {
    pub fn bytes(self) -> u32 {
        match self {
            MemSize::U8 | MemSize::S8 => 1,
            MemSize::U16 | MemSize::S16 => 2,
            MemSize::W32 => 4,
        }
    }
    pub fn suffix(self) -> &'static str {
        match self {
            MemSize::U8 => "b",
            MemSize::S8 => "sb",
            MemSize::U16 => "h",
            MemSize::S16 => "sh",
            MemSize::W32 => "",
        }
    }
}

/// Extend operations (SXTB, SXTH, UXTB, UXTH) and byte reversals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtOp {
    Sxth,
    Sxtb,
    Uxth,
    Uxtb,
    Rev,
    Rev16,
    Revsh,
}

impl ExtOp {
    pub fn name(self) -> &'static str {
        match self {
            ExtOp::Sxth => "sxth",
            ExtOp::Sxtb => "sxtb",
            ExtOp::Uxth => "uxth",
            ExtOp::Uxtb => "uxtb",
            ExtOp::Rev => "rev",
            ExtOp::Rev16 => "rev16",
            ExtOp::Revsh => "revsh",
        }
    }
}

/// A branch target inside the function being emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label(pub u32);
