//! The calling convention (AAPCS, as `extern "C"` on the firmware) and the
//! frame of a compiled method.
//!
//! ```text
//!   incoming sp -> +---------------------------+  (8-byte aligned)
//!                  | saved r4-r11 used, lr     |  push {..., lr}
//!                  +---------------------------+
//!                  | padding to 8 bytes        |
//!                  | spill slots (4 B each)    |
//!                  | explicit stack slots      |  (outgoing argument words
//!                  |                           |   of `invoke`)
//!                  | outgoing stack arguments  |  5th, 6th... argument of
//!            sp -> +---------------------------+  a runtime call
//! ```
//!
//! Arguments in r0-r3 then on the stack, result in r0; r0-r3, r12 and lr
//! are clobbered by calls; r4-r11 are saved by the callee. `lr` is also
//! allocatable: it is saved whenever the function calls or uses it.

use regalloc2::{MachineEnv, PRegSet};

use super::inst::*;

pub fn arg_reg(i: usize) -> Reg {
    [R0, R1, R2, R3][i]
}

/// Registers a call may change.
pub fn caller_saved() -> PRegSet {
    let mut s = PRegSet::empty();
    for r in [R0, R1, R2, R3, R12, LR] {
        s.add(r.preg());
    }
    s
}

/// The allocatable registers: the argument registers first (no save),
/// then the other low registers (16-bit encodings), then the rest.
pub fn machine_env() -> MachineEnv {
    let mut preferred = PRegSet::empty();
    for r in [R0, R1, R2, R3] {
        preferred.add(r.preg());
    }
    let mut other = PRegSet::empty();
    for r in [R4, R5, R6, R7, R12, R8, R9, R10, R11, LR] {
        other.add(r.preg());
    }
    MachineEnv {
        preferred_regs_by_class: [preferred, PRegSet::empty(), PRegSet::empty()],
        non_preferred_regs_by_class: [other, PRegSet::empty(), PRegSet::empty()],
        scratch_by_class: [None, None, None],
        fixed_stack_slots: Vec::new(),
    }
}

/// The frame of one function.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub saved: RegSet,
    /// Bytes below the saved registers.
    pub size: u32,
    pub outgoing: u32,
    pub slots: u32,
}

impl Frame {
    pub fn new(used: RegSet, calls: bool, outgoing: u32, slots: u32, spills: u32) -> Frame {
        let mut saved = RegSet(used.0 & 0x0FF0);
        if calls || used.contains(LR) {
            saved = saved.with(LR);
        }
        let body = outgoing + slots + 4 * spills;
        let total = (4 * saved.len() + body).next_multiple_of(8);
        Frame {
            saved,
            size: total - 4 * saved.len(),
            outgoing,
            slots,
        }
    }

    pub fn spill_offset(&self, slot: usize) -> i32 {
        (self.outgoing + self.slots + 4 * slot as u32) as i32
    }

    pub fn prologue(&self) -> Vec<Inst> {
        let mut v = Vec::new();
        if !self.saved.is_empty() {
            v.push(Inst::Push { regs: self.saved });
        }
        if self.size > 0 {
            v.push(Inst::SpAdjust {
                sub: true,
                imm: self.size,
            });
        }
        v
    }

    pub fn epilogue(&self) -> Vec<Inst> {
        let mut v = Vec::new();
        if self.size > 0 {
            v.push(Inst::SpAdjust {
                sub: false,
                imm: self.size,
            });
        }
        if self.saved.contains(LR) {
            let regs = RegSet((self.saved.0 & !(1 << 14)) | 1 << 15);
            v.push(Inst::Pop { regs });
        } else {
            if !self.saved.is_empty() {
                v.push(Inst::Pop { regs: self.saved });
            }
            v.push(Inst::Bx { rm: LR });
        }
        v
    }
}
