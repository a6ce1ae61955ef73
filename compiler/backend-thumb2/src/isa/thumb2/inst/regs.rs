//! The Thumb-2 general registers and their regalloc2 names.

use core::fmt;

use regalloc2::{PReg, RegClass};

/// A physical register `r0`..`r15`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reg(u8);

impl Reg {
    pub const fn new(n: u8) -> Reg {
        assert!(n < 16);
        Reg(n)
    }
    pub const fn num(self) -> u32 {
        self.0 as u32
    }
    /// `r0`..`r7`: usable by most 16-bit encodings.
    pub const fn is_low(self) -> bool {
        self.0 < 8
    }
    pub fn preg(self) -> PReg {
        PReg::new(self.0 as usize, RegClass::Int)
    }
    pub fn from_preg(p: PReg) -> Reg {
        Reg::new(p.hw_enc() as u8)
    }
}

pub const R0: Reg = Reg(0);
pub const R1: Reg = Reg(1);
pub const R2: Reg = Reg(2);
pub const R3: Reg = Reg(3);
pub const R4: Reg = Reg(4);
pub const R5: Reg = Reg(5);
pub const R6: Reg = Reg(6);
pub const R7: Reg = Reg(7);
pub const R8: Reg = Reg(8);
pub const R9: Reg = Reg(9);
pub const R10: Reg = Reg(10);
pub const R11: Reg = Reg(11);
pub const R12: Reg = Reg(12);
pub const SP: Reg = Reg(13);
pub const LR: Reg = Reg(14);
pub const PC: Reg = Reg(15);

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            13 => f.write_str("sp"),
            14 => f.write_str("lr"),
            15 => f.write_str("pc"),
            n => write!(f, "r{n}"),
        }
    }
}

/// A set of registers (bit `n`: `rn`), as PUSH/POP lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RegSet(pub u16);

impl RegSet {
    pub fn contains(self, r: Reg) -> bool {
        self.0 & (1 << r.0) != 0
    }
    pub fn with(self, r: Reg) -> RegSet {
        RegSet(self.0 | 1 << r.0)
    }
    pub fn len(self) -> u32 {
        self.0.count_ones()
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Reg> {
        (0..16u8).filter(move |n| self.0 & (1 << n) != 0).map(Reg)
    }
}

impl fmt::Display for RegSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, r) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{r}")?;
        }
        f.write_str("}")
    }
}
