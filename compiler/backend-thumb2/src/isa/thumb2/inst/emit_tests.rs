//! The encoder's table: (instruction, label distance, bytes, text). Each
//! row is checked against the encoder and the printer; with
//! `arm-none-eabi-objdump` on PATH, the whole table is also disassembled by
//! objdump and its text compared with ours (skipped with a note without).

use super::*;

fn l() -> Label {
    Label(0)
}
fn m(v: u32) -> ModImm {
    ModImm::maybe_from_u32(v).unwrap()
}
fn sa(v: u32) -> ShiftAmt {
    ShiftAmt::maybe_from_u32(v).unwrap()
}

/// (instruction, offset of its label from the instruction, bytes, text).
fn table() -> Vec<(Inst, u32, &'static str, &'static str)> {
    use AluOp::*;
    use MemSize::*;
    vec![
        (Inst::Nop, 0, "00bf", "nop"),
        (Inst::Udf { imm: 0 }, 0, "00de", "udf #0"),
        (Inst::Mov { rd: R0, rm: R1 }, 0, "0846", "mov r0, r1"),
        (Inst::Mov { rd: R9, rm: LR }, 0, "f146", "mov r9, lr"),
        (Inst::MovImm { rd: R0, imm: 1 }, 0, "0120", "movs r0, #1"),
        (
            Inst::MovImm { rd: R0, imm: 256 },
            0,
            "4ff48070",
            "mov.w r0, #256",
        ),
        (
            Inst::MovImm { rd: R8, imm: 7 },
            0,
            "4ff00708",
            "mov.w r8, #7",
        ),
        (
            Inst::MovImm {
                rd: R1,
                imm: 0xFFFF_FFFE,
            },
            0,
            "6ff00101",
            "mvn.w r1, #1",
        ),
        (
            Inst::MovImm {
                rd: R2,
                imm: 0x1234,
            },
            0,
            "41f23422",
            "movw r2, #4660",
        ),
        (
            Inst::Movt {
                rd: R2,
                imm: UImm16(0xABCD),
            },
            0,
            "caf6cd32",
            "movt r2, #43981",
        ),
        (
            Inst::AluImm {
                op: Add,
                rd: R0,
                rn: R1,
                imm: m(3),
            },
            0,
            "c81c",
            "adds r0, r1, #3",
        ),
        (
            Inst::AluImm {
                op: Add,
                rd: R2,
                rn: R2,
                imm: m(200),
            },
            0,
            "c832",
            "adds r2, #200",
        ),
        (
            Inst::AluImm {
                op: Sub,
                rd: R2,
                rn: R2,
                imm: m(12),
            },
            0,
            "0c3a",
            "subs r2, #12",
        ),
        (
            Inst::AluImm {
                op: Add,
                rd: R0,
                rn: R1,
                imm: m(0x100),
            },
            0,
            "01f58070",
            "add.w r0, r1, #256",
        ),
        (
            Inst::AluImm {
                op: Sub,
                rd: R10,
                rn: R11,
                imm: m(0xFF00_0000),
            },
            0,
            "abf17f4a",
            "sub.w r10, r11, #4278190080",
        ),
        (
            Inst::AluImm {
                op: And,
                rd: R0,
                rn: R1,
                imm: m(0x1F),
            },
            0,
            "01f01f00",
            "and.w r0, r1, #31",
        ),
        (
            Inst::AluImm {
                op: Orr,
                rd: R3,
                rn: R4,
                imm: m(0x00FF_00FF),
            },
            0,
            "44f0ff13",
            "orr.w r3, r4, #16711935",
        ),
        (
            Inst::AluImm {
                op: Eor,
                rd: R3,
                rn: R4,
                imm: m(0x8000_0000),
            },
            0,
            "84f00043",
            "eor.w r3, r4, #2147483648",
        ),
        (
            Inst::AluImm {
                op: Bic,
                rd: R3,
                rn: R4,
                imm: m(4),
            },
            0,
            "24f00403",
            "bic.w r3, r4, #4",
        ),
        (
            Inst::AluImm {
                op: Rsb,
                rd: R0,
                rn: R1,
                imm: m(0),
            },
            0,
            "4842",
            "negs r0, r1",
        ),
        (
            Inst::AluImm {
                op: Rsb,
                rd: R8,
                rn: R1,
                imm: m(0),
            },
            0,
            "c1f10008",
            "rsb r8, r1, #0",
        ),
        (
            Inst::AluImm12 {
                sub: false,
                rd: R0,
                rn: R1,
                imm: UImm12::maybe_from_u32(4095).unwrap(),
            },
            0,
            "01f6ff70",
            "addw r0, r1, #4095",
        ),
        (
            Inst::AluImm12 {
                sub: true,
                rd: R5,
                rn: R6,
                imm: UImm12::maybe_from_u32(257).unwrap(),
            },
            0,
            "a6f20115",
            "subw r5, r6, #257",
        ),
        (
            Inst::AluReg {
                op: Add,
                rd: R0,
                rn: R1,
                rm: R2,
                shift: Shift::NONE,
            },
            0,
            "8818",
            "adds r0, r1, r2",
        ),
        (
            Inst::AluReg {
                op: Sub,
                rd: R0,
                rn: R1,
                rm: R2,
                shift: Shift::NONE,
            },
            0,
            "881a",
            "subs r0, r1, r2",
        ),
        (
            Inst::AluReg {
                op: Add,
                rd: R8,
                rn: R1,
                rm: R2,
                shift: Shift::NONE,
            },
            0,
            "01eb0208",
            "add.w r8, r1, r2",
        ),
        (
            Inst::AluReg {
                op: Orr,
                rd: R0,
                rn: R1,
                rm: R2,
                shift: Shift::lsl(16),
            },
            0,
            "41ea0240",
            "orr.w r0, r1, r2, lsl #16",
        ),
        (
            Inst::AluReg {
                op: Add,
                rd: R0,
                rn: R1,
                rm: R2,
                shift: Shift {
                    kind: ShiftKind::Asr,
                    amt: 3,
                },
            },
            0,
            "01ebe200",
            "add.w r0, r1, r2, asr #3",
        ),
        (
            Inst::AluReg {
                op: And,
                rd: R3,
                rn: R3,
                rm: R4,
                shift: Shift::NONE,
            },
            0,
            "2340",
            "ands r3, r4",
        ),
        (
            Inst::AluReg {
                op: Eor,
                rd: R3,
                rn: R3,
                rm: R4,
                shift: Shift::NONE,
            },
            0,
            "6340",
            "eors r3, r4",
        ),
        (
            Inst::AluReg {
                op: Orr,
                rd: R3,
                rn: R3,
                rm: R4,
                shift: Shift::NONE,
            },
            0,
            "2343",
            "orrs r3, r4",
        ),
        (
            Inst::AluReg {
                op: And,
                rd: R3,
                rn: R5,
                rm: R4,
                shift: Shift::NONE,
            },
            0,
            "05ea0403",
            "and.w r3, r5, r4",
        ),
        (
            Inst::AluReg {
                op: Rsb,
                rd: R3,
                rn: R5,
                rm: R4,
                shift: Shift::lsl(2),
            },
            0,
            "c5eb8403",
            "rsb r3, r5, r4, lsl #2",
        ),
        (
            Inst::AluReg {
                op: Orn,
                rd: R3,
                rn: R5,
                rm: R4,
                shift: Shift::NONE,
            },
            0,
            "65ea0403",
            "orn r3, r5, r4",
        ),
        (Inst::Mvn { rd: R0, rm: R1 }, 0, "c843", "mvns r0, r1"),
        (
            Inst::Mvn { rd: R12, rm: R1 },
            0,
            "6fea010c",
            "mvn.w r12, r1",
        ),
        (
            Inst::ShiftImm {
                kind: ShiftKind::Ror,
                rd: R0,
                rm: R1,
                amt: sa(7),
            },
            0,
            "4feaf110",
            "mov.w r0, r1, ror #7",
        ),
        (
            Inst::ShiftReg {
                kind: ShiftKind::Ror,
                rd: R0,
                rn: R0,
                rm: R1,
            },
            0,
            "c841",
            "rors r0, r1",
        ),
        (
            Inst::ShiftReg {
                kind: ShiftKind::Ror,
                rd: R2,
                rn: R2,
                rm: R3,
            },
            0,
            "da41",
            "rors r2, r3",
        ),
        (
            Inst::ShiftImm {
                kind: ShiftKind::Lsl,
                rd: R0,
                rm: R1,
                amt: sa(16),
            },
            0,
            "0804",
            "lsls r0, r1, #16",
        ),
        (
            Inst::ShiftImm {
                kind: ShiftKind::Lsr,
                rd: R0,
                rm: R1,
                amt: sa(1),
            },
            0,
            "4808",
            "lsrs r0, r1, #1",
        ),
        (
            Inst::ShiftImm {
                kind: ShiftKind::Asr,
                rd: R9,
                rm: R1,
                amt: sa(31),
            },
            0,
            "4feae179",
            "mov.w r9, r1, asr #31",
        ),
        (
            Inst::LslsImm {
                rd: R12,
                rm: R4,
                amt: sa(16),
            },
            0,
            "5fea044c",
            "movs.w r12, r4, lsl #16",
        ),
        (
            Inst::ShiftReg {
                kind: ShiftKind::Lsl,
                rd: R0,
                rn: R0,
                rm: R1,
            },
            0,
            "8840",
            "lsls r0, r1",
        ),
        (
            Inst::ShiftReg {
                kind: ShiftKind::Asr,
                rd: R0,
                rn: R2,
                rm: R1,
            },
            0,
            "42fa01f0",
            "asr.w r0, r2, r1",
        ),
        (
            Inst::ShiftReg {
                kind: ShiftKind::Lsr,
                rd: R8,
                rn: R2,
                rm: R1,
            },
            0,
            "22fa01f8",
            "lsr.w r8, r2, r1",
        ),
        (
            Inst::Mul {
                rd: R0,
                rn: R1,
                rm: R0,
            },
            0,
            "4843",
            "muls r0, r1",
        ),
        (
            Inst::Mul {
                rd: R0,
                rn: R1,
                rm: R2,
            },
            0,
            "01fb02f0",
            "mul.w r0, r1, r2",
        ),
        (
            Inst::MulLong {
                signed: true,
                rdlo: R0,
                rdhi: R1,
                rn: R2,
                rm: R3,
            },
            0,
            "82fb0301",
            "smull r0, r1, r2, r3",
        ),
        (
            Inst::MulLong {
                signed: false,
                rdlo: R4,
                rdhi: R8,
                rn: R9,
                rm: R12,
            },
            0,
            "a9fb0c48",
            "umull r4, r8, r9, r12",
        ),
        (
            Inst::Mla {
                rd: R0,
                rn: R1,
                rm: R2,
                ra: R3,
            },
            0,
            "01fb0230",
            "mla r0, r1, r2, r3",
        ),
        (
            Inst::Mls {
                rd: R0,
                rn: R1,
                rm: R2,
                ra: R3,
            },
            0,
            "01fb1230",
            "mls r0, r1, r2, r3",
        ),
        (
            Inst::Div {
                signed: true,
                rd: R0,
                rn: R1,
                rm: R2,
            },
            0,
            "91fbf2f0",
            "sdiv r0, r1, r2",
        ),
        (
            Inst::Div {
                signed: false,
                rd: R10,
                rn: R1,
                rm: R2,
            },
            0,
            "b1fbf2fa",
            "udiv r10, r1, r2",
        ),
        (
            Inst::Ext {
                op: ExtOp::Sxth,
                rd: R0,
                rm: R1,
            },
            0,
            "08b2",
            "sxth r0, r1",
        ),
        (
            Inst::Ext {
                op: ExtOp::Uxth,
                rd: R8,
                rm: R1,
            },
            0,
            "1ffa81f8",
            "uxth.w r8, r1",
        ),
        (
            Inst::Ext {
                op: ExtOp::Sxtb,
                rd: R0,
                rm: R9,
            },
            0,
            "4ffa89f0",
            "sxtb.w r0, r9",
        ),
        (
            Inst::Ext {
                op: ExtOp::Uxtb,
                rd: R0,
                rm: R1,
            },
            0,
            "c8b2",
            "uxtb r0, r1",
        ),
        (
            Inst::Ext {
                op: ExtOp::Rev,
                rd: R0,
                rm: R1,
            },
            0,
            "08ba",
            "rev r0, r1",
        ),
        (
            Inst::Ext {
                op: ExtOp::Rev16,
                rd: R0,
                rm: R1,
            },
            0,
            "48ba",
            "rev16 r0, r1",
        ),
        (
            Inst::Ext {
                op: ExtOp::Revsh,
                rd: R0,
                rm: R1,
            },
            0,
            "c8ba",
            "revsh r0, r1",
        ),
        (
            Inst::Ext {
                op: ExtOp::Rev,
                rd: R8,
                rm: R1,
            },
            0,
            "91fa81f8",
            "rev.w r8, r1",
        ),
        (
            Inst::Ext {
                op: ExtOp::Revsh,
                rd: R8,
                rm: R9,
            },
            0,
            "99fab9f8",
            "revsh.w r8, r9",
        ),
        (
            Inst::Bfx {
                signed: false,
                rd: R0,
                rn: R1,
                lsb: 4,
                width: 12,
            },
            0,
            "c1f30b10",
            "ubfx r0, r1, #4, #12",
        ),
        (
            Inst::Bfx {
                signed: true,
                rd: R0,
                rn: R1,
                lsb: 0,
                width: 16,
            },
            0,
            "41f30f00",
            "sbfx r0, r1, #0, #16",
        ),
        (Inst::CmpReg { rn: R0, rm: R1 }, 0, "8842", "cmp r0, r1"),
        (
            Inst::CmpReg { rn: R8, rm: R1 },
            0,
            "b8eb010f",
            "cmp.w r8, r1",
        ),
        (Inst::CmpImm { rn: R0, imm: m(0) }, 0, "0028", "cmp r0, #0"),
        (
            Inst::CmpImm {
                rn: R0,
                imm: m(0x8000),
            },
            0,
            "b0f5004f",
            "cmp.w r0, #32768",
        ),
        (
            Inst::CmnImm { rn: R0, imm: m(1) },
            0,
            "10f1010f",
            "cmn.w r0, #1",
        ),
        (
            Inst::TstImm {
                rn: R0,
                imm: m(0xFF),
            },
            0,
            "10f0ff0f",
            "tst.w r0, #255",
        ),
        (
            Inst::Load {
                size: W32,
                rt: R0,
                rn: R1,
                off: 0,
            },
            0,
            "0868",
            "ldr r0, [r1, #0]",
        ),
        (
            Inst::Load {
                size: W32,
                rt: R0,
                rn: R1,
                off: 124,
            },
            0,
            "c86f",
            "ldr r0, [r1, #124]",
        ),
        (
            Inst::Load {
                size: W32,
                rt: R0,
                rn: R1,
                off: 128,
            },
            0,
            "d1f88000",
            "ldr.w r0, [r1, #128]",
        ),
        (
            Inst::Load {
                size: W32,
                rt: R0,
                rn: R1,
                off: -4,
            },
            0,
            "51f8040c",
            "ldr.w r0, [r1, #-4]",
        ),
        (
            Inst::Load {
                size: W32,
                rt: R8,
                rn: R1,
                off: 0,
            },
            0,
            "d1f80080",
            "ldr.w r8, [r1]",
        ),
        (
            Inst::Load {
                size: W32,
                rt: R0,
                rn: SP,
                off: 8,
            },
            0,
            "0298",
            "ldr r0, [sp, #8]",
        ),
        (
            Inst::Load {
                size: U16,
                rt: R0,
                rn: R1,
                off: 6,
            },
            0,
            "c888",
            "ldrh r0, [r1, #6]",
        ),
        (
            Inst::Load {
                size: U8,
                rt: R0,
                rn: R1,
                off: 1,
            },
            0,
            "4878",
            "ldrb r0, [r1, #1]",
        ),
        (
            Inst::Load {
                size: S8,
                rt: R0,
                rn: R1,
                off: 0,
            },
            0,
            "91f90000",
            "ldrsb.w r0, [r1]",
        ),
        (
            Inst::Load {
                size: S16,
                rt: R0,
                rn: R1,
                off: 2,
            },
            0,
            "b1f90200",
            "ldrsh.w r0, [r1, #2]",
        ),
        (
            Inst::Load {
                size: U16,
                rt: R0,
                rn: R1,
                off: 4095,
            },
            0,
            "b1f8ff0f",
            "ldrh.w r0, [r1, #4095]",
        ),
        (
            Inst::Store {
                size: W32,
                rt: R0,
                rn: SP,
                off: 1020,
            },
            0,
            "ff90",
            "str r0, [sp, #1020]",
        ),
        (
            Inst::Store {
                size: W32,
                rt: R9,
                rn: SP,
                off: 4,
            },
            0,
            "cdf80490",
            "str.w r9, [sp, #4]",
        ),
        (
            Inst::Store {
                size: U16,
                rt: R2,
                rn: R3,
                off: 0,
            },
            0,
            "1a80",
            "strh r2, [r3, #0]",
        ),
        (
            Inst::Store {
                size: U8,
                rt: R2,
                rn: R3,
                off: -1,
            },
            0,
            "03f8012c",
            "strb.w r2, [r3, #-1]",
        ),
        (
            Inst::LoadReg {
                size: W32,
                rt: R0,
                rn: R1,
                rm: R2,
                shift: 0,
            },
            0,
            "8858",
            "ldr r0, [r1, r2]",
        ),
        (
            Inst::LoadReg {
                size: W32,
                rt: R0,
                rn: R1,
                rm: R2,
                shift: 2,
            },
            0,
            "51f82200",
            "ldr.w r0, [r1, r2, lsl #2]",
        ),
        (
            Inst::LoadReg {
                size: S8,
                rt: R0,
                rn: R1,
                rm: R2,
                shift: 0,
            },
            0,
            "8856",
            "ldrsb r0, [r1, r2]",
        ),
        (
            Inst::LoadReg {
                size: U16,
                rt: R8,
                rn: R1,
                rm: R2,
                shift: 1,
            },
            0,
            "31f81280",
            "ldrh.w r8, [r1, r2, lsl #1]",
        ),
        (
            Inst::StoreReg {
                size: U8,
                rt: R0,
                rn: R1,
                rm: R2,
                shift: 0,
            },
            0,
            "8854",
            "strb r0, [r1, r2]",
        ),
        (Inst::AddSp { rd: R0, imm: 8 }, 0, "02a8", "add r0, sp, #8"),
        (
            Inst::AddSp { rd: R8, imm: 8 },
            0,
            "0df20808",
            "addw r8, sp, #8",
        ),
        (
            Inst::SpAdjust { sub: true, imm: 16 },
            0,
            "84b0",
            "sub sp, #16",
        ),
        (
            Inst::SpAdjust {
                sub: false,
                imm: 16,
            },
            0,
            "04b0",
            "add sp, #16",
        ),
        (
            Inst::SpAdjust {
                sub: true,
                imm: 1024,
            },
            0,
            "adf2004d",
            "subw sp, sp, #1024",
        ),
        (
            Inst::Push {
                regs: RegSet(0x40F0),
            },
            0,
            "f0b5",
            "push {r4, r5, r6, r7, lr}",
        ),
        (
            Inst::Push {
                regs: RegSet(0x4110),
            },
            0,
            "2de91041",
            "stmdb sp!, {r4, r8, lr}",
        ),
        (
            Inst::Pop {
                regs: RegSet(0x80F0),
            },
            0,
            "f0bd",
            "pop {r4, r5, r6, r7, pc}",
        ),
        (
            Inst::Pop {
                regs: RegSet(0x8FF0),
            },
            0,
            "bde8f08f",
            "ldmia.w sp!, {r4, r5, r6, r7, r8, r9, r10, r11, pc}",
        ),
        (
            Inst::It {
                cond: Cond::Eq,
                len: 2,
                elses: 1,
            },
            0,
            "0cbf",
            "ite eq",
        ),
        (
            Inst::MovImmCond {
                cond: Cond::Eq,
                rd: R0,
                imm: 1,
            },
            0,
            "0120",
            "moveq r0, #1",
        ),
        (
            Inst::MovImmCond {
                cond: Cond::Ne,
                rd: R0,
                imm: 0,
            },
            0,
            "0020",
            "movne r0, #0",
        ),
        (
            Inst::It {
                cond: Cond::Lt,
                len: 2,
                elses: 1,
            },
            0,
            "b4bf",
            "ite lt",
        ),
        (
            Inst::MovImmCond {
                cond: Cond::Lt,
                rd: R9,
                imm: 1,
            },
            0,
            "4ff00109",
            "movlt.w r9, #1",
        ),
        (
            Inst::MovImmCond {
                cond: Cond::Ge,
                rd: R9,
                imm: 0,
            },
            0,
            "4ff00009",
            "movge.w r9, #0",
        ),
        (
            Inst::It {
                cond: Cond::Hi,
                len: 1,
                elses: 0,
            },
            0,
            "88bf",
            "it hi",
        ),
        (
            Inst::MovCond {
                cond: Cond::Hi,
                rd: R0,
                rm: R10,
            },
            0,
            "5046",
            "movhi r0, r10",
        ),
        (
            Inst::It {
                cond: Cond::Ne,
                len: 2,
                elses: 0,
            },
            0,
            "1cbf",
            "itt ne",
        ),
        (
            Inst::MovCond {
                cond: Cond::Ne,
                rd: R0,
                rm: R1,
            },
            0,
            "0846",
            "movne r0, r1",
        ),
        (
            Inst::MovCond {
                cond: Cond::Ne,
                rd: R2,
                rm: R3,
            },
            0,
            "1a46",
            "movne r2, r3",
        ),
        (Inst::Bx { rm: LR }, 0, "7047", "bx lr"),
        (Inst::Blx { rm: R4 }, 0, "a047", "blx r4"),
        (
            Inst::B {
                label: l(),
                wide: false,
            },
            0x40,
            "1ee0",
            "b.n",
        ),
        (
            Inst::B {
                label: l(),
                wide: false,
            },
            0u32.wrapping_sub(0x20),
            "eee7",
            "b.n",
        ),
        (
            Inst::B {
                label: l(),
                wide: true,
            },
            0x12344,
            "12f0a0b9",
            "b.w",
        ),
        (
            Inst::B {
                label: l(),
                wide: true,
            },
            0u32.wrapping_sub(0x1000),
            "fef7febf",
            "b.w",
        ),
        (
            Inst::BCond {
                cond: Cond::Eq,
                label: l(),
                wide: false,
            },
            0x20,
            "0ed0",
            "beq.n",
        ),
        (
            Inst::BCond {
                cond: Cond::Ge,
                label: l(),
                wide: false,
            },
            0u32.wrapping_sub(0x40),
            "deda",
            "bge.n",
        ),
        (
            Inst::BCond {
                cond: Cond::Ne,
                label: l(),
                wide: true,
            },
            0x8_0000,
            "7ff0fea7",
            "bne.w",
        ),
        (
            Inst::BCond {
                cond: Cond::Lo,
                label: l(),
                wide: true,
            },
            0u32.wrapping_sub(0x300),
            "fff47eae",
            "bcc.w",
        ),
        (
            Inst::Cbz {
                nz: false,
                rn: R3,
                label: l(),
            },
            0x20,
            "73b1",
            "cbz r3,",
        ),
        (
            Inst::Cbz {
                nz: true,
                rn: R7,
                label: l(),
            },
            0x80,
            "f7bb",
            "cbnz r7,",
        ),
        (
            Inst::LdrLit { rt: R5, label: l() },
            0x42,
            "dff83e50",
            "ldr.w r5,",
        ),
        (
            Inst::LdrLit { rt: R9, label: l() },
            0x100,
            "dff8fc90",
            "ldr.w r9,",
        ),
    ]
}

/// Where each row sits in the disassembled blob (rows with labels far
/// behind start past them).
fn layout() -> Vec<(u32, Inst, u32, String, String)> {
    let mut at = 0x2000u32;
    let mut out = Vec::new();
    for (inst, dist, bytes, text) in table() {
        let target = at.wrapping_add(dist);
        let enc = inst.encode(at, target).expect("in range");
        let hex: String = enc.bytes().iter().map(|b| format!("{b:02x}")).collect();
        let mine = inst.text(at, target);
        if !bytes.is_empty() {
            assert_eq!(hex, bytes, "{inst:?}");
        }
        if !text.is_empty() {
            assert!(mine.starts_with(text), "{inst:?}: {mine} vs {text}");
        }
        out.push((at, inst, target, hex, mine));
        at += enc.len();
    }
    out
}

#[test]
fn encodings_and_texts() {
    let rows = layout();
    assert!(rows.len() > 100);
}

fn normalize(s: &str) -> String {
    let s = s.split('@').next().unwrap_or("");
    let s = s.split(" <").next().unwrap_or("");
    let s = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(", ", ",");
    // objdump's names of r10, r11, r12.
    s.replace("sl", "r10")
        .replace("fp", "r11")
        .replace("ip", "r12")
}

#[test]
fn objdump_agrees() {
    let objdump = "arm-none-eabi-objdump";
    if std::process::Command::new(objdump)
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("note: {objdump} not found; the cross-check against objdump is skipped");
        return;
    }
    let rows = layout();
    let end = rows.last().map(|r| r.0 + r.3.len() as u32 / 2).unwrap();
    let mut blob = vec![0u8; end as usize];
    for (at, _, _, hex, _) in &rows {
        for (i, b) in (0..hex.len()).step_by(2).enumerate() {
            blob[*at as usize + i] = u8::from_str_radix(&hex[b..b + 2], 16).unwrap();
        }
    }
    let dir = std::env::temp_dir().join(format!("hydra-thumb2-emit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("table.bin");
    std::fs::write(&bin, &blob).unwrap();
    let out = std::process::Command::new(objdump)
        .args(["-D", "-b", "binary", "-m", "arm", "-M", "force-thumb"])
        .arg(&bin)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut theirs = std::collections::HashMap::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, '\t');
        let (Some(a), Some(_), Some(ins)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if let Ok(a) = u32::from_str_radix(a.trim().trim_end_matches(':'), 16) {
            theirs.insert(a, normalize(ins));
        }
    }
    let mut bad = Vec::new();
    for (at, inst, _, hex, mine) in &rows {
        let t = theirs.get(at).cloned().unwrap_or_default();
        if t != normalize(mine) {
            bad.push(format!(
                "{at:#x} {hex} {inst:?}\n   ours:    {mine}\n   objdump: {t}"
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
