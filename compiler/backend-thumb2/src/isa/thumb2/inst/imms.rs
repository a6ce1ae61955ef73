//! Immediates as checked newtypes: each constructor says whether a value
//! fits the encoding, so no instruction can carry one that does not.

/// A Thumb-2 modified immediate (`ThumbExpandImm`): an 8-bit value,
/// one of the byte-replicated patterns `0x00XY00XY`, `0xXY00XY00`,
/// `0xXYXYXYXY`, or an 8-bit value with its top bit set rotated right by
/// 8..31. Holds the 12-bit `i:imm3:imm8` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModImm(u16);

impl ModImm {
    pub fn maybe_from_u32(v: u32) -> Option<ModImm> {
        let b = v & 0xFF;
        if v <= 0xFF {
            return Some(ModImm(v as u16));
        }
        if v == b | b << 16 {
            return Some(ModImm(0x100 | b as u16));
        }
        let x = (v >> 8) & 0xFF;
        if v == (x | x << 16) << 8 {
            return Some(ModImm(0x200 | x as u16));
        }
        if v == b * 0x0101_0101 {
            return Some(ModImm(0x300 | b as u16));
        }
        for rot in 8..32u32 {
            let x = v.rotate_left(rot);
            if x <= 0xFF && x & 0x80 != 0 {
                return Some(ModImm(((rot << 7) | (x & 0x7F)) as u16));
            }
        }
        None
    }

    /// The 12-bit `i:imm3:imm8` field.
    pub fn bits(self) -> u32 {
        u32::from(self.0)
    }

    /// The value it stands for.
    pub fn value(self) -> u32 {
        let imm12 = u32::from(self.0);
        if imm12 >> 10 == 0 {
            let b = imm12 & 0xFF;
            match (imm12 >> 8) & 3 {
                0 => b,
                1 => b | b << 16,
                2 => (b | b << 16) << 8,
                _ => b * 0x0101_0101,
            }
        } else {
            (0x80 | (imm12 & 0x7F)).rotate_right(imm12 >> 7)
        }
    }
}

/// A 12-bit unsigned immediate (ADDW/SUBW, LDR/STR offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UImm12(u16);

impl UImm12 {
    pub fn maybe_from_u32(v: u32) -> Option<UImm12> {
        (v < 4096).then_some(UImm12(v as u16))
    }
    pub fn value(self) -> u32 {
        u32::from(self.0)
    }
}

/// A 16-bit immediate (MOVW, MOVT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UImm16(pub u16);

impl UImm16 {
    pub fn value(self) -> u32 {
        u32::from(self.0)
    }
}

/// A shift amount 1..=31 of an immediate shift (0 means "no shift").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShiftAmt(u8);

impl ShiftAmt {
    pub fn maybe_from_u32(v: u32) -> Option<ShiftAmt> {
        (1..32).contains(&v).then_some(ShiftAmt(v as u8))
    }
    pub fn value(self) -> u32 {
        u32::from(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_immediates_round_trip() {
        let fits = [
            0,
            1,
            0xFF,
            0x00AB_00AB,
            0xAB00_AB00,
            0xABAB_ABAB,
            0x100,
            0x3FC,
            0xFF00_0000,
            0x8000_0000,
            0x0001_FE00,
            0x7F80_0000,
        ];
        for v in fits {
            let m = ModImm::maybe_from_u32(v).unwrap_or_else(|| panic!("{v:#x}"));
            assert_eq!(m.value(), v, "{v:#x}");
        }
        for v in [0x101, 0x1FF, 0xFFFF, 0x1234_5678, 0x8000_0001, 0x00AB_00AC] {
            assert!(ModImm::maybe_from_u32(v).is_none(), "{v:#x}");
        }
        // Every encoding decodes to a value that encodes back to itself.
        for bits in 0..4096u16 {
            if bits >> 8 != 0 && bits >> 10 == 0 && bits & 0xFF == 0 {
                continue; // UNPREDICTABLE patterns with a zero byte
            }
            let v = ModImm(bits).value();
            assert_eq!(ModImm::maybe_from_u32(v).unwrap().value(), v);
        }
        assert!(UImm12::maybe_from_u32(4095).is_some());
        assert!(UImm12::maybe_from_u32(4096).is_none());
        assert!(ShiftAmt::maybe_from_u32(0).is_none());
    }
}
