//! The instruction mix: what kind of Thumb-2 (ARMv7-M) instruction an
//! encoding is, for a cycle estimate on the Cortex-M3.
//!
//! The classes are the ones whose timing differs in the Cortex-M3 Technical
//! Reference Manual (Arm DDI 0337, "Processor instruction timings"): single
//! loads and stores, multiple loads and stores (by the number of registers
//! transferred), multiplies of each kind, divides, and instructions that
//! can write the PC. Whether a branch was taken is found at run time (see
//! the plugin's `mix=on` argument).

/// Names of the mix counters, in output order.
pub const CLASSES: [&str; 11] = [
    "loads",
    "stores",
    "multi",
    "multi_regs",
    "mul",
    "mla",
    "mull",
    "mlal",
    "div",
    "branches",
    "taken",
];

/// Index of each counter in [`CLASSES`].
pub mod idx {
    pub const LOAD: usize = 0;
    pub const STORE: usize = 1;
    pub const MULTI: usize = 2;
    pub const MULTI_REGS: usize = 3;
    pub const MUL: usize = 4;
    pub const MLA: usize = 5;
    pub const MULL: usize = 6;
    pub const MLAL: usize = 7;
    pub const DIV: usize = 8;
    pub const BRANCH: usize = 9;
    pub const TAKEN: usize = 10;
}

/// What one instruction adds to the counters: `(counter index, amount)`
/// pairs (at most three), and whether it can write the PC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Kind {
    pub adds: [(usize, u64); 3],
    pub n: usize,
    pub branch: bool,
}

impl Kind {
    fn add(mut self, counter: usize, amount: u64) -> Kind {
        self.adds[self.n] = (counter, amount);
        self.n += 1;
        self
    }

    fn branch(self) -> Kind {
        Kind {
            branch: true,
            ..self.add(idx::BRANCH, 1)
        }
    }

    fn multi(self, regs: u32) -> Kind {
        self.add(idx::MULTI, 1)
            .add(idx::MULTI_REGS, u64::from(regs))
    }

    /// The (counter, amount) pairs.
    pub fn adds(&self) -> &[(usize, u64)] {
        &self.adds[..self.n]
    }
}

/// Classifies one instruction from its bytes (little-endian halfwords, 2
/// or 4 bytes as QEMU gives them). Anything not listed is a one-cycle
/// data operation and adds nothing.
pub fn classify(bytes: &[u8]) -> Kind {
    let k = Kind::default();
    if bytes.len() < 2 {
        return k;
    }
    let h = u16::from_le_bytes([bytes[0], bytes[1]]);
    if bytes.len() >= 4 && matches!(h >> 11, 0b11101..=0b11111) {
        let h2 = u16::from_le_bytes([bytes[2], bytes[3]]);
        return classify32(h, h2);
    }
    let regs8 = (h & 0xFF).count_ones();
    match h {
        // LDR/STR (register offset): STR STRH STRB store, the rest load.
        _ if h >> 12 == 0b0101 => k.add(
            if (h >> 9) & 7 < 3 {
                idx::STORE
            } else {
                idx::LOAD
            },
            1,
        ),
        // STR/LDR(B) immediate, STRH/LDRH immediate, SP-relative: bit 11 = load.
        _ if h >> 13 == 0b011 || h >> 12 == 0b1000 || h >> 12 == 0b1001 => k.add(
            if h & 0x0800 != 0 {
                idx::LOAD
            } else {
                idx::STORE
            },
            1,
        ),
        // LDR literal.
        _ if h >> 11 == 0b01001 => k.add(idx::LOAD, 1),
        // STM/LDM.
        _ if h >> 12 == 0b1100 => k.multi(regs8),
        // PUSH (with LR).
        _ if h >> 9 == 0b1011010 => k.multi(regs8 + u32::from((h >> 8) & 1)),
        // POP (with PC: a branch).
        _ if h >> 9 == 0b1011110 => {
            let k = k.multi(regs8 + u32::from((h >> 8) & 1));
            if h & 0x0100 != 0 {
                k.branch()
            } else {
                k
            }
        }
        // MULS.
        _ if h >> 6 == 0b0100001101 => k.add(idx::MUL, 1),
        // B<cond> (1110 is UDF, 1111 SVC), B, CBZ/CBNZ, BX/BLX.
        _ if h >> 12 == 0b1101 => {
            if (h >> 9) & 7 == 7 {
                k
            } else {
                k.branch()
            }
        }
        _ if h >> 11 == 0b11100 => k.branch(),
        _ if h & 0xF500 == 0xB100 => k.branch(),
        _ if h & 0xFF00 == 0x4700 => k.branch(),
        // ADD/MOV (high registers) to the PC.
        _ if (h >> 8 == 0x44 || h >> 8 == 0x46) && (h & 7) | ((h >> 4) & 8) == 15 => k.branch(),
        _ => k,
    }
}

fn classify32(h1: u16, h2: u16) -> Kind {
    let k = Kind::default();
    // B<cond>.W, B.W, BL, and the control instructions that share the space.
    if h1 >> 11 == 0b11110 && h2 & 0x8000 != 0 {
        return match h2 & 0xD000 {
            0x9000 | 0xD000 => k.branch(),
            0x8000 if (h1 >> 7) & 7 != 7 => k.branch(),
            _ => k,
        };
    }
    // LDM/STM (IA, DB), including PUSH.W and POP.W.
    if h1 & 0xFE40 == 0xE800 {
        let load = h1 & 0x0010 != 0;
        let k = k.multi(u32::from(h2).count_ones());
        return if load && h2 & 0x8000 != 0 {
            k.branch()
        } else {
            k
        };
    }
    // Load/store dual and exclusive, TBB/TBH.
    if h1 & 0xFE40 == 0xE840 {
        if h1 & 0xFFF0 == 0xE8D0 && h2 & 0xFFE0 == 0xF000 {
            return k.add(idx::LOAD, 1).branch();
        }
        let load = h1 & 0x0010 != 0;
        if h1 & 0x0120 != 0 {
            return k.multi(2);
        }
        return k.add(if load { idx::LOAD } else { idx::STORE }, 1);
    }
    // Load/store single (and PLD, which counts as a load).
    if h1 & 0xFE00 == 0xF800 {
        if h1 & 0x0010 == 0 {
            return k.add(idx::STORE, 1);
        }
        let k = k.add(idx::LOAD, 1);
        let word = (h1 >> 5) & 3 == 2;
        return if word && h2 >> 12 == 15 {
            k.branch()
        } else {
            k
        };
    }
    // MUL, MLA, MLS (and the DSP multiplies of later cores).
    if h1 & 0xFF80 == 0xFB00 {
        let plain = (h1 >> 4) & 7 == 0 && (h2 >> 4) & 0xF == 0 && h2 >> 12 == 15;
        return k.add(if plain { idx::MUL } else { idx::MLA }, 1);
    }
    // Long multiplies and divides.
    if h1 & 0xFF80 == 0xFB80 {
        return match (h1 >> 4) & 7 {
            0b001 | 0b011 => k.add(idx::DIV, 1),
            0b000 | 0b010 => k.add(idx::MULL, 1),
            _ => k.add(idx::MLAL, 1),
        };
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t16(h: u16) -> Kind {
        classify(&h.to_le_bytes())
    }

    fn t32(h1: u16, h2: u16) -> Kind {
        let mut b = h1.to_le_bytes().to_vec();
        b.extend_from_slice(&h2.to_le_bytes());
        classify(&b)
    }

    fn one(k: Kind) -> Vec<(usize, u64)> {
        k.adds().to_vec()
    }

    #[test]
    fn sixteen_bit() {
        use idx::*;
        assert_eq!(one(t16(0x6808)), [(LOAD, 1)]); // ldr r0, [r1]
        assert_eq!(one(t16(0x6008)), [(STORE, 1)]); // str r0, [r1]
        assert_eq!(one(t16(0x5c08)), [(LOAD, 1)]); // ldrb r0, [r1, r0]
        assert_eq!(one(t16(0x5408)), [(STORE, 1)]); // strb r0, [r1, r0]
        assert_eq!(one(t16(0x8808)), [(LOAD, 1)]); // ldrh r0, [r1]
        assert_eq!(one(t16(0x9001)), [(STORE, 1)]); // str r0, [sp, #4]
        assert_eq!(one(t16(0x4801)), [(LOAD, 1)]); // ldr r0, [pc, #4]
        assert_eq!(one(t16(0xb5f0)), [(MULTI, 1), (MULTI_REGS, 5)]); // push {r4-r7, lr}
        let pop = t16(0xbdf0); // pop {r4-r7, pc}
        assert_eq!(one(pop), [(MULTI, 1), (MULTI_REGS, 5), (BRANCH, 1)]);
        assert!(pop.branch);
        assert_eq!(one(t16(0x4348)), [(MUL, 1)]); // muls r0, r1, r0
        assert!(t16(0xd0fe).branch); // beq
        assert!(!t16(0xdf00).branch); // svc 0
        assert!(t16(0xe7fe).branch); // b .
        assert!(t16(0xb108).branch); // cbz r0
        assert!(t16(0x4770).branch); // bx lr
        assert!(t16(0x4798).branch); // blx r3
        assert!(t16(0x46f7).branch); // mov pc, lr
        assert!(!t16(0x4608).branch); // mov r0, r1
        assert_eq!(one(t16(0x1840)), []); // adds r0, r0, r1
        assert!(!t16(0xbf08).branch); // it eq
    }

    #[test]
    fn thirty_two_bit() {
        use idx::*;
        assert!(t32(0xf000, 0xf800).branch); // bl
        assert!(t32(0xf000, 0xb800).branch); // b.w
        assert!(t32(0xf040, 0x8000).branch); // bne.w
        assert!(!t32(0xf3bf, 0x8f4f).branch); // dsb sy
        assert_eq!(one(t32(0xe92d, 0x41f0)), [(MULTI, 1), (MULTI_REGS, 6)]); // push.w {r4-r8, lr}
        let popw = t32(0xe8bd, 0x81f0); // pop.w {r4-r8, pc}
        assert!(popw.branch);
        assert_eq!(one(t32(0xe8d0, 0xf001)), [(LOAD, 1), (BRANCH, 1)]); // tbb [r0, r1]
        assert_eq!(one(t32(0xe9d0, 0x2300)), [(MULTI, 1), (MULTI_REGS, 2)]); // ldrd r2, r3, [r0]
        assert_eq!(one(t32(0xf8d0, 0x0004)), [(LOAD, 1)]); // ldr.w r0, [r0, #4]
        assert_eq!(one(t32(0xf8c0, 0x1004)), [(STORE, 1)]); // str.w r1, [r0, #4]
        assert_eq!(one(t32(0xf810, 0x1b01)), [(LOAD, 1)]); // ldrb.w r1, [r0], #1
        assert!(t32(0xf85d, 0xfb04).branch); // ldr.w pc, [sp], #4
        assert_eq!(one(t32(0xfb00, 0xf001)), [(MUL, 1)]); // mul.w r0, r0, r1
        assert_eq!(one(t32(0xfb00, 0x2001)), [(MLA, 1)]); // mla r0, r0, r1, r2
        assert_eq!(one(t32(0xfb00, 0x2011)), [(MLA, 1)]); // mls r0, r0, r1, r2
        assert_eq!(one(t32(0xfba0, 0x0101)), [(MULL, 1)]); // umull r0, r1, r0, r1
        assert_eq!(one(t32(0xfb80, 0x0101)), [(MULL, 1)]); // smull
        assert_eq!(one(t32(0xfbe0, 0x0101)), [(MLAL, 1)]); // umlal
        assert_eq!(one(t32(0xfbb0, 0xf0f1)), [(DIV, 1)]); // udiv r0, r0, r1
        assert_eq!(one(t32(0xfb90, 0xf0f1)), [(DIV, 1)]); // sdiv r0, r0, r1
        assert_eq!(one(t32(0xf240, 0x0000)), []); // movw r0, #0
    }
}
