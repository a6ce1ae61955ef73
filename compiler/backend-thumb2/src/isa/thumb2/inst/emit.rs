//! The encoder: bytes and listing text of each [`Inst`]. Branches and
//! literal loads are encoded against the final offset of their label,
//! which layout (`crate::isa::thumb2::buffer`) supplies.

use super::*;

/// Encoded bytes: one or two halfwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enc {
    H(u16),
    W(u16, u16),
}

impl Enc {
    pub fn len(self) -> u32 {
        match self {
            Enc::H(_) => 2,
            Enc::W(..) => 4,
        }
    }
    pub fn is_empty(self) -> bool {
        false
    }
    pub fn bytes(self) -> Vec<u8> {
        match self {
            Enc::H(h) => h.to_le_bytes().to_vec(),
            Enc::W(a, b) => {
                let mut v = a.to_le_bytes().to_vec();
                v.extend_from_slice(&b.to_le_bytes());
                v
            }
        }
    }
}

/// A label-relative instruction whose target is out of its reach: layout
/// must pick the wide form or move a literal pool closer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange;

fn w(a: u32, b: u32) -> Enc {
    Enc::W(a as u16, b as u16)
}

fn h(a: u32) -> Enc {
    Enc::H(a as u16)
}

fn lo3(rd: Reg, rn: Reg, rm: Reg) -> bool {
    rd.is_low() && rn.is_low() && rm.is_low()
}

/// `i:imm3:imm8` of a 12-bit field into the two halfwords.
fn split12(imm12: u32) -> (u32, u32) {
    (
        ((imm12 >> 11) & 1) << 10,
        ((imm12 >> 8) & 7) << 12 | (imm12 & 0xFF),
    )
}

fn dp_modimm(op: u32, s: bool, rn: u32, rd: u32, imm: ModImm) -> Enc {
    let (hi, lo) = split12(imm.bits());
    w(0xF000 | hi | op << 5 | u32::from(s) << 4 | rn, lo | rd << 8)
}

fn dp_shifted(op: u32, s: bool, rn: u32, rd: u32, rm: u32, sh: Shift) -> Enc {
    let imm5 = u32::from(sh.amt);
    w(
        0xEA00 | op << 5 | u32::from(s) << 4 | rn,
        (imm5 >> 2) << 12 | rd << 8 | (imm5 & 3) << 6 | (sh.kind as u32) << 4 | rm,
    )
}

fn movw_like(base: u32, rd: u32, imm16: u32) -> Enc {
    let (hi, lo) = split12(imm16 & 0xFFF);
    w(base | hi | (imm16 >> 12), lo | rd << 8)
}

fn ls_base(size: MemSize, load: bool) -> (u32, u32) {
    // (32-bit imm12 form hw1, imm8/register form hw1), Rn = 0
    match (size, load) {
        (MemSize::W32, true) => (0xF8D0, 0xF850),
        (MemSize::U8, true) => (0xF890, 0xF810),
        (MemSize::U16, true) => (0xF8B0, 0xF830),
        (MemSize::S8, true) => (0xF990, 0xF910),
        (MemSize::S16, true) => (0xF9B0, 0xF930),
        (MemSize::W32, false) => (0xF8C0, 0xF840),
        (MemSize::U8 | MemSize::S8, false) => (0xF880, 0xF800),
        (MemSize::U16 | MemSize::S16, false) => (0xF8A0, 0xF820),
    }
}

fn ls16_imm(size: MemSize, load: bool) -> Option<u32> {
    match (size, load) {
        (MemSize::W32, false) => Some(0x6000),
        (MemSize::W32, true) => Some(0x6800),
        (MemSize::U8, false) | (MemSize::S8, false) => Some(0x7000),
        (MemSize::U8, true) => Some(0x7800),
        (MemSize::U16, false) | (MemSize::S16, false) => Some(0x8000),
        (MemSize::U16, true) => Some(0x8800),
        _ => None,
    }
}

fn ls16_reg(size: MemSize, load: bool) -> u32 {
    match (size, load) {
        (MemSize::W32, false) => 0x5000,
        (MemSize::U16 | MemSize::S16, false) => 0x5200,
        (MemSize::U8 | MemSize::S8, false) => 0x5400,
        (MemSize::S8, true) => 0x5600,
        (MemSize::W32, true) => 0x5800,
        (MemSize::U16, true) => 0x5A00,
        (MemSize::U8, true) => 0x5C00,
        (MemSize::S16, true) => 0x5E00,
    }
}

fn load_store(load: bool, size: MemSize, rt: Reg, rn: Reg, off: i32) -> Enc {
    let (t, n) = (rt.num(), rn.num());
    let scale = size.bytes() as i32;
    if let Some(base) = ls16_imm(size, load) {
        if rt.is_low() && rn.is_low() && off >= 0 && off % scale == 0 && off / scale < 32 {
            return h(base | ((off / scale) as u32) << 6 | n << 3 | t);
        }
    }
    if size == MemSize::W32 && rn == SP && rt.is_low() && off >= 0 && off % 4 == 0 && off < 1024 {
        return h(if load { 0x9800 } else { 0x9000 } | t << 8 | (off / 4) as u32);
    }
    let (imm12, imm8) = ls_base(size, load);
    if off >= 0 {
        w(imm12 | n, t << 12 | off as u32)
    } else {
        w(imm8 | n, t << 12 | 0xC00 | (-off) as u32)
    }
}

fn load_store_reg(load: bool, size: MemSize, rt: Reg, rn: Reg, rm: Reg, shift: u8) -> Enc {
    if shift == 0 && lo3(rt, rn, rm) {
        return h(ls16_reg(size, load) | rm.num() << 6 | rn.num() << 3 | rt.num());
    }
    let (_, base) = ls_base(size, load);
    w(
        base | rn.num(),
        rt.num() << 12 | u32::from(shift) << 4 | rm.num(),
    )
}

fn it_mask(cond: Cond, len: u8, elses: u8) -> u32 {
    let c0 = cond.bits() & 1;
    let mut mask = 0u32;
    for i in 0..u32::from(len - 1) {
        let bit = if elses >> i & 1 == 1 { c0 ^ 1 } else { c0 };
        mask |= bit << (3 - i);
    }
    mask | 1 << (4 - u32::from(len))
}

impl Inst {
    /// Size in bytes. Label-relative instructions have the size of the form
    /// they name (`wide`); `Cbz` and `LdrLit` have one form each.
    pub fn size(&self) -> u32 {
        // Any offset and target work for sizing non-branches.
        match self {
            Inst::B { wide, .. } | Inst::BCond { wide, .. } => {
                if *wide {
                    4
                } else {
                    2
                }
            }
            Inst::Cbz { .. } => 2,
            Inst::LdrLit { .. } => 4,
            _ => self.encode(0, 0).expect("not label-relative").len(),
        }
    }

    /// Encodes the instruction at byte offset `at`; `target` is the offset
    /// of its label (ignored by other instructions).
    pub fn encode(&self, at: u32, target: u32) -> Result<Enc, OutOfRange> {
        let rel = i64::from(target) - i64::from(at) - 4;
        Ok(match *self {
            Inst::Nop => h(0xBF00),
            Inst::Udf { imm } => h(0xDE00 | u32::from(imm)),
            Inst::Mov { rd, rm } => {
                let d = rd.num();
                h(0x4600 | (d >> 3) << 7 | rm.num() << 3 | (d & 7))
            }
            Inst::MovImm { rd, imm } => {
                if rd.is_low() && imm < 256 {
                    h(0x2000 | rd.num() << 8 | imm)
                } else if let Some(m) = ModImm::maybe_from_u32(imm) {
                    dp_modimm(2, false, 15, rd.num(), m)
                } else if let Some(m) = ModImm::maybe_from_u32(!imm) {
                    dp_modimm(3, false, 15, rd.num(), m)
                } else if imm <= 0xFFFF {
                    movw_like(0xF240, rd.num(), imm)
                } else {
                    panic!("MovImm {imm:#x} does not fit: lowering checks mov_imm_fits")
                }
            }
            Inst::Movt { rd, imm } => movw_like(0xF2C0, rd.num(), imm.value()),
            Inst::AluImm { op, rd, rn, imm } => {
                let v = imm.value();
                let add_sub = matches!(op, AluOp::Add | AluOp::Sub);
                let sub16 = if op == AluOp::Add { 0 } else { 1 };
                if add_sub && rd.is_low() && rn.is_low() && v < 8 {
                    h(0x1C00 | sub16 << 9 | v << 6 | rn.num() << 3 | rd.num())
                } else if add_sub && rd == rn && rd.is_low() && v < 256 {
                    h(0x3000 | sub16 << 11 | rd.num() << 8 | v)
                } else if op == AluOp::Rsb && v == 0 && rd.is_low() && rn.is_low() {
                    h(0x4240 | rn.num() << 3 | rd.num())
                } else {
                    dp_modimm(op.bits(), false, rn.num(), rd.num(), imm)
                }
            }
            Inst::AluImm12 { sub, rd, rn, imm } => {
                let (hi, lo) = split12(imm.value());
                w(
                    if sub { 0xF2A0 } else { 0xF200 } | hi | rn.num(),
                    lo | rd.num() << 8,
                )
            }
            Inst::AluReg {
                op,
                rd,
                rn,
                rm,
                shift,
            } => {
                let low = lo3(rd, rn, rm) && shift.is_none();
                match op {
                    AluOp::Add | AluOp::Sub if low => h(0x1800
                        | u32::from(op == AluOp::Sub) << 9
                        | rm.num() << 6
                        | rn.num() << 3
                        | rd.num()),
                    AluOp::And | AluOp::Eor | AluOp::Orr | AluOp::Bic | AluOp::Adc | AluOp::Sbc
                        if low && rd == rn =>
                    {
                        let o = match op {
                            AluOp::And => 0,
                            AluOp::Eor => 1,
                            AluOp::Adc => 5,
                            AluOp::Sbc => 6,
                            AluOp::Orr => 12,
                            _ => 14,
                        };
                        h(0x4000 | o << 6 | rm.num() << 3 | rd.num())
                    }
                    _ => dp_shifted(op.bits(), false, rn.num(), rd.num(), rm.num(), shift),
                }
            }
            Inst::Mvn { rd, rm } => {
                if rd.is_low() && rm.is_low() {
                    h(0x43C0 | rm.num() << 3 | rd.num())
                } else {
                    dp_shifted(3, false, 15, rd.num(), rm.num(), Shift::NONE)
                }
            }
            Inst::ShiftImm { kind, rd, rm, amt } => {
                if rd.is_low() && rm.is_low() && kind != ShiftKind::Ror {
                    h((kind as u32) << 11 | amt.value() << 6 | rm.num() << 3 | rd.num())
                } else {
                    dp_shifted(
                        2,
                        false,
                        15,
                        rd.num(),
                        rm.num(),
                        Shift {
                            kind,
                            amt: amt.value() as u8,
                        },
                    )
                }
            }
            Inst::LslsImm { rd, rm, amt } => {
                if rd.is_low() && rm.is_low() {
                    h(amt.value() << 6 | rm.num() << 3 | rd.num())
                } else {
                    dp_shifted(
                        2,
                        true,
                        15,
                        rd.num(),
                        rm.num(),
                        Shift::lsl(amt.value() as u8),
                    )
                }
            }
            Inst::ShiftReg { kind, rd, rn, rm } => {
                if rd == rn && rd.is_low() && rm.is_low() {
                    let o = [2, 3, 4, 7][kind as usize];
                    h(0x4000 | o << 6 | rm.num() << 3 | rd.num())
                } else {
                    w(
                        0xFA00 | (kind as u32) << 5 | rn.num(),
                        0xF000 | rd.num() << 8 | rm.num(),
                    )
                }
            }
            Inst::Mul { rd, rn, rm } => {
                if rd == rm && rd.is_low() && rn.is_low() {
                    h(0x4340 | rn.num() << 3 | rd.num())
                } else {
                    w(0xFB00 | rn.num(), 0xF000 | rd.num() << 8 | rm.num())
                }
            }
            Inst::Mla { rd, rn, rm, ra } => {
                w(0xFB00 | rn.num(), ra.num() << 12 | rd.num() << 8 | rm.num())
            }
            Inst::MulLong {
                signed,
                rdlo,
                rdhi,
                rn,
                rm,
            } => w(
                if signed { 0xFB80 } else { 0xFBA0 } | rn.num(),
                rdlo.num() << 12 | rdhi.num() << 8 | rm.num(),
            ),
            Inst::Mls { rd, rn, rm, ra } => w(
                0xFB00 | rn.num(),
                ra.num() << 12 | rd.num() << 8 | 0x10 | rm.num(),
            ),
            Inst::Div { signed, rd, rn, rm } => w(
                if signed { 0xFB90 } else { 0xFBB0 } | rn.num(),
                0xF0F0 | rd.num() << 8 | rm.num(),
            ),
            Inst::Ext { op, rd, rm } => {
                let (n16, w1, w2) = match op {
                    ExtOp::Sxth => (0xB200, 0xFA0F, 0xF080),
                    ExtOp::Sxtb => (0xB240, 0xFA4F, 0xF080),
                    ExtOp::Uxth => (0xB280, 0xFA1F, 0xF080),
                    ExtOp::Uxtb => (0xB2C0, 0xFA5F, 0xF080),
                    ExtOp::Rev => (0xBA00, 0xFA90, 0xF080),
                    ExtOp::Rev16 => (0xBA40, 0xFA90, 0xF090),
                    ExtOp::Revsh => (0xBAC0, 0xFA90, 0xF0B0),
                };
                if rd.is_low() && rm.is_low() {
                    h(n16 | rm.num() << 3 | rd.num())
                } else {
                    let w1 = if matches!(op, ExtOp::Rev | ExtOp::Rev16 | ExtOp::Revsh) {
                        w1 | rm.num()
                    } else {
                        w1
                    };
                    w(w1, w2 | rd.num() << 8 | rm.num())
                }
            }
            Inst::Bfx {
                signed,
                rd,
                rn,
                lsb,
                width,
            } => {
                let lsb = u32::from(lsb);
                w(
                    if signed { 0xF340 } else { 0xF3C0 } | rn.num(),
                    (lsb >> 2) << 12 | rd.num() << 8 | (lsb & 3) << 6 | (u32::from(width) - 1),
                )
            }
            Inst::CmpReg { rn, rm } => {
                if rn.is_low() && rm.is_low() {
                    h(0x4280 | rm.num() << 3 | rn.num())
                } else {
                    dp_shifted(13, true, rn.num(), 15, rm.num(), Shift::NONE)
                }
            }
            Inst::CmpImm { rn, imm } => {
                if rn.is_low() && imm.value() < 256 {
                    h(0x2800 | rn.num() << 8 | imm.value())
                } else {
                    dp_modimm(13, true, rn.num(), 15, imm)
                }
            }
            Inst::CmnImm { rn, imm } => dp_modimm(8, true, rn.num(), 15, imm),
            Inst::TstImm { rn, imm } => dp_modimm(0, true, rn.num(), 15, imm),
            Inst::Load { size, rt, rn, off } => load_store(true, size, rt, rn, off),
            Inst::Store { size, rt, rn, off } => load_store(false, size, rt, rn, off),
            Inst::LoadReg {
                size,
                rt,
                rn,
                rm,
                shift,
            } => load_store_reg(true, size, rt, rn, rm, shift),
            Inst::StoreReg {
                size,
                rt,
                rn,
                rm,
                shift,
            } => load_store_reg(false, size, rt, rn, rm, shift),
            Inst::AddSp { rd, imm } => {
                if rd.is_low() && imm % 4 == 0 && imm < 1024 {
                    h(0xA800 | rd.num() << 8 | (imm / 4))
                } else {
                    let (hi, lo) = split12(imm);
                    w(0xF20D | hi, lo | rd.num() << 8)
                }
            }
            Inst::SpAdjust { sub, imm } => {
                if imm % 4 == 0 && imm < 512 {
                    h(if sub { 0xB080 } else { 0xB000 } | (imm / 4))
                } else {
                    let (hi, lo) = split12(imm);
                    w(if sub { 0xF2AD } else { 0xF20D } | hi, lo | 13 << 8)
                }
            }
            Inst::Push { regs } => {
                let r = u32::from(regs.0);
                if r & !0x40FF == 0 {
                    h(0xB400 | (r >> 14 & 1) << 8 | (r & 0xFF))
                } else {
                    w(0xE92D, r)
                }
            }
            Inst::Pop { regs } => {
                let r = u32::from(regs.0);
                if r & !0x80FF == 0 {
                    h(0xBC00 | (r >> 15 & 1) << 8 | (r & 0xFF))
                } else {
                    w(0xE8BD, r)
                }
            }
            Inst::It { cond, len, elses } => {
                h(0xBF00 | cond.bits() << 4 | it_mask(cond, len, elses))
            }
            Inst::MovCond { rd, rm, .. } => {
                let d = rd.num();
                h(0x4600 | (d >> 3) << 7 | rm.num() << 3 | (d & 7))
            }
            Inst::MovImmCond { rd, imm, .. } => {
                if rd.is_low() {
                    h(0x2000 | rd.num() << 8 | u32::from(imm))
                } else {
                    dp_modimm(
                        2,
                        false,
                        15,
                        rd.num(),
                        ModImm::maybe_from_u32(imm.into()).unwrap(),
                    )
                }
            }
            Inst::Bx { rm } => h(0x4700 | rm.num() << 3),
            Inst::Blx { rm } => h(0x4780 | rm.num() << 3),
            Inst::B { wide: false, .. } => {
                if !(-2048..2048).contains(&rel) {
                    return Err(OutOfRange);
                }
                h(0xE000 | ((rel >> 1) as u32 & 0x7FF))
            }
            Inst::B { wide: true, .. } => {
                if !(-(1 << 24)..(1 << 24)).contains(&rel) {
                    return Err(OutOfRange);
                }
                let o = rel as u32;
                let s = (o >> 24) & 1;
                let i1 = (o >> 23) & 1;
                let i2 = (o >> 22) & 1;
                let j1 = (i1 ^ 1) ^ s;
                let j2 = (i2 ^ 1) ^ s;
                w(
                    0xF000 | s << 10 | (o >> 12) & 0x3FF,
                    0x9000 | j1 << 13 | j2 << 11 | (o >> 1) & 0x7FF,
                )
            }
            Inst::BCond {
                cond, wide: false, ..
            } => {
                if !(-256..256).contains(&rel) {
                    return Err(OutOfRange);
                }
                h(0xD000 | cond.bits() << 8 | ((rel >> 1) as u32 & 0xFF))
            }
            Inst::BCond {
                cond, wide: true, ..
            } => {
                if !(-(1 << 20)..(1 << 20)).contains(&rel) {
                    return Err(OutOfRange);
                }
                let o = rel as u32;
                let s = (o >> 20) & 1;
                let j2 = (o >> 19) & 1;
                let j1 = (o >> 18) & 1;
                w(
                    0xF000 | s << 10 | cond.bits() << 6 | (o >> 12) & 0x3F,
                    0x8000 | j1 << 13 | j2 << 11 | (o >> 1) & 0x7FF,
                )
            }
            Inst::Cbz { nz, rn, .. } => {
                if !(0..=126).contains(&rel) || !rn.is_low() {
                    return Err(OutOfRange);
                }
                let o = rel as u32;
                h(if nz { 0xB900 } else { 0xB100 }
                    | (o >> 6) << 9
                    | ((o >> 1) & 31) << 3
                    | rn.num())
            }
            Inst::LdrLit { rt, .. } => {
                let base = i64::from((at + 4) & !3);
                let d = i64::from(target) - base;
                if !(-4095..=4095).contains(&d) {
                    return Err(OutOfRange);
                }
                let u = u32::from(d >= 0);
                w(0xF85F | u << 7, rt.num() << 12 | d.unsigned_abs() as u32)
            }
        })
    }

    /// The listing text in objdump's syntax; label-relative operands print
    /// the absolute offset `target` as objdump does.
    pub fn text(&self, at: u32, target: u32) -> String {
        let enc = self.encode(at, target);
        let narrow = matches!(enc, Ok(Enc::H(_)));
        let wsuf = |has16: bool| if has16 && !narrow { ".w" } else { "" };
        match *self {
            Inst::Nop => "nop".into(),
            Inst::Udf { imm } => format!("udf #{imm}"),
            Inst::Mov { rd, rm } => format!("mov {rd}, {rm}"),
            Inst::MovImm { rd, imm } => {
                if narrow {
                    format!("movs {rd}, #{imm}")
                } else if ModImm::maybe_from_u32(imm).is_some() {
                    format!("mov.w {rd}, #{imm}")
                } else if ModImm::maybe_from_u32(!imm).is_some() {
                    format!("mvn.w {rd}, #{}", !imm)
                } else {
                    format!("movw {rd}, #{imm}")
                }
            }
            Inst::Movt { rd, imm } => format!("movt {rd}, #{}", imm.value()),
            Inst::AluImm { op, rd, rn, imm } => {
                if narrow && op == AluOp::Rsb {
                    format!("negs {rd}, {rn}")
                } else if narrow && rd == rn && imm.value() >= 8 {
                    format!("{}s {rd}, #{}", op.name(), imm.value())
                } else if narrow {
                    format!("{}s {rd}, {rn}, #{}", op.name(), imm.value())
                } else {
                    let w = if op == AluOp::Rsb { "" } else { ".w" };
                    format!("{}{w} {rd}, {rn}, #{}", op.name(), imm.value())
                }
            }
            Inst::AluImm12 { sub, rd, rn, imm } => {
                format!(
                    "{} {rd}, {rn}, #{}",
                    if sub { "subw" } else { "addw" },
                    imm.value()
                )
            }
            Inst::AluReg {
                op,
                rd,
                rn,
                rm,
                shift,
            } => {
                if narrow && matches!(op, AluOp::Add | AluOp::Sub) {
                    format!("{}s {rd}, {rn}, {rm}", op.name())
                } else if narrow {
                    format!("{}s {rd}, {rm}", op.name())
                } else {
                    let sh = if shift.is_none() {
                        String::new()
                    } else {
                        format!(", {} #{}", shift.kind, shift.amt)
                    };
                    let has16 = !matches!(op, AluOp::Orn | AluOp::Rsb);
                    format!("{}{} {rd}, {rn}, {rm}{sh}", op.name(), wsuf(has16))
                }
            }
            Inst::Mvn { rd, rm } => {
                if narrow {
                    format!("mvns {rd}, {rm}")
                } else {
                    format!("mvn.w {rd}, {rm}")
                }
            }
            Inst::ShiftImm { kind, rd, rm, amt } => {
                if narrow {
                    format!("{kind}s {rd}, {rm}, #{}", amt.value())
                } else {
                    format!("mov.w {rd}, {rm}, {kind} #{}", amt.value())
                }
            }
            Inst::LslsImm { rd, rm, amt } => {
                if narrow {
                    format!("lsls {rd}, {rm}, #{}", amt.value())
                } else {
                    format!("movs.w {rd}, {rm}, lsl #{}", amt.value())
                }
            }
            Inst::ShiftReg { kind, rd, rn, rm } => {
                if narrow {
                    format!("{kind}s {rd}, {rm}")
                } else {
                    format!("{kind}.w {rd}, {rn}, {rm}")
                }
            }
            Inst::Mul { rd, rn, rm } => {
                if narrow {
                    format!("muls {rd}, {rn}")
                } else {
                    format!("mul.w {rd}, {rn}, {rm}")
                }
            }
            Inst::Mla { rd, rn, rm, ra } => format!("mla {rd}, {rn}, {rm}, {ra}"),
            Inst::MulLong {
                signed,
                rdlo,
                rdhi,
                rn,
                rm,
            } => format!(
                "{} {rdlo}, {rdhi}, {rn}, {rm}",
                if signed { "smull" } else { "umull" }
            ),
            Inst::Mls { rd, rn, rm, ra } => format!("mls {rd}, {rn}, {rm}, {ra}"),
            Inst::Div { signed, rd, rn, rm } => {
                format!("{} {rd}, {rn}, {rm}", if signed { "sdiv" } else { "udiv" })
            }
            Inst::Ext { op, rd, rm } => format!("{}{} {rd}, {rm}", op.name(), wsuf(true)),
            Inst::Bfx {
                signed,
                rd,
                rn,
                lsb,
                width,
            } => format!(
                "{} {rd}, {rn}, #{lsb}, #{width}",
                if signed { "sbfx" } else { "ubfx" }
            ),
            Inst::CmpReg { rn, rm } => format!("cmp{} {rn}, {rm}", wsuf(true)),
            Inst::CmpImm { rn, imm } => format!("cmp{} {rn}, #{}", wsuf(true), imm.value()),
            Inst::CmnImm { rn, imm } => format!("cmn.w {rn}, #{}", imm.value()),
            Inst::TstImm { rn, imm } => format!("tst.w {rn}, #{}", imm.value()),
            Inst::Load { size, rt, rn, off } => mem_text("ldr", size, rt, rn, off, narrow),
            Inst::Store { size, rt, rn, off } => mem_text("str", size, rt, rn, off, narrow),
            Inst::LoadReg {
                size,
                rt,
                rn,
                rm,
                shift,
            } => memreg_text("ldr", size, rt, rn, rm, shift, narrow),
            Inst::StoreReg {
                size,
                rt,
                rn,
                rm,
                shift,
            } => memreg_text("str", size, rt, rn, rm, shift, narrow),
            Inst::AddSp { rd, imm } => {
                if narrow {
                    format!("add {rd}, sp, #{imm}")
                } else {
                    format!("addw {rd}, sp, #{imm}")
                }
            }
            Inst::SpAdjust { sub, imm } => {
                let op = if sub { "sub" } else { "add" };
                if narrow {
                    format!("{op} sp, #{imm}")
                } else {
                    format!("{op}w sp, sp, #{imm}")
                }
            }
            Inst::Push { regs } if narrow => format!("push {regs}"),
            Inst::Pop { regs } if narrow => format!("pop {regs}"),
            Inst::Push { regs } => format!("stmdb sp!, {regs}"),
            Inst::Pop { regs } => format!("ldmia.w sp!, {regs}"),
            Inst::It { cond, len, elses } => {
                let mut s = String::from("it");
                for i in 0..len - 1 {
                    s.push(if elses >> i & 1 == 1 { 'e' } else { 't' });
                }
                format!("{s} {cond}")
            }
            Inst::MovCond { cond, rd, rm } => format!("mov{cond} {rd}, {rm}"),
            Inst::MovImmCond { cond, rd, imm } => {
                format!("mov{cond}{} {rd}, #{imm}", wsuf(true))
            }
            Inst::Bx { rm } => format!("bx {rm}"),
            Inst::Blx { rm } => format!("blx {rm}"),
            Inst::B { wide, .. } => {
                format!("b.{} {target:#x}", if wide { "w" } else { "n" })
            }
            Inst::BCond { cond, wide, .. } => {
                format!("b{cond}.{} {target:#x}", if wide { "w" } else { "n" })
            }
            Inst::Cbz { nz, rn, .. } => {
                format!("{} {rn}, {target:#x}", if nz { "cbnz" } else { "cbz" })
            }
            Inst::LdrLit { rt, .. } => {
                let d = i64::from(target) - i64::from((at + 4) & !3);
                format!("ldr.w {rt}, [pc, #{d}]")
            }
        }
    }
}

fn mem_text(op: &str, size: MemSize, rt: Reg, rn: Reg, off: i32, narrow: bool) -> String {
    let w = if narrow { "" } else { ".w" };
    let addr = if off == 0 && !narrow {
        format!("[{rn}]")
    } else {
        format!("[{rn}, #{off}]")
    };
    format!("{op}{}{w} {rt}, {addr}", size.suffix())
}

fn memreg_text(
    op: &str,
    size: MemSize,
    rt: Reg,
    rn: Reg,
    rm: Reg,
    shift: u8,
    narrow: bool,
) -> String {
    let w = if narrow { "" } else { ".w" };
    let sh = if shift == 0 {
        String::new()
    } else {
        format!(", lsl #{shift}")
    };
    format!("{op}{}{w} {rt}, [{rn}, {rm}{sh}]", size.suffix())
}
