//! The Java Card 3.0.5 instruction set: opcode table, operand formats and a
//! bounds-checked decoder shared by the disassembler, verifier, interpreter
//! and compiler.

use alloc::vec::Vec;
use core::fmt;

/// How an opcode's operands are laid out after the opcode byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperandFormat {
    None,
    /// u1 local variable index.
    Local,
    /// s1 constant.
    Byte,
    /// s2 constant.
    Short,
    /// s4 constant.
    Int,
    /// u1 local index, s1 increment.
    Inc8,
    /// u1 local index, s2 increment.
    Inc16,
    /// s1 branch offset.
    Branch8,
    /// s2 branch offset.
    Branch16,
    /// u1 constant-pool index.
    Cp8,
    /// u2 constant-pool index.
    Cp16,
    /// u1 nargs, u2 constant-pool index, u1 interface method token.
    Interface,
    /// u1 primitive array type.
    NewArray,
    /// u1 array type (0 for a class), u2 constant-pool index.
    TypeCheck,
    /// u1 `mn` nibble pair of dup_x / swap_x.
    Stack,
    /// s2 default, s2 low, s2 high, s2 offsets.
    STableSwitch,
    /// s2 default, s4 low, s4 high, s2 offsets.
    ITableSwitch,
    /// s2 default, u2 npairs, (s2 match, s2 offset) pairs.
    SLookupSwitch,
    /// s2 default, u2 npairs, (s4 match, s2 offset) pairs.
    ILookupSwitch,
}

/// An opcode byte. Only the values of the instruction set have a mnemonic.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Opcode(pub u8);

macro_rules! opcodes {
    ($($name:ident = $value:literal, $mnemonic:literal, $format:ident;)*) => {
        impl Opcode {
            $(pub const $name: Opcode = Opcode($value);)*

            /// Every opcode of the instruction set, in numeric order.
            pub const ALL: &'static [Opcode] = &[$(Opcode($value)),*];

            /// The mnemonic, or `None` for a byte that is not an instruction.
            pub const fn mnemonic(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($mnemonic),)*
                    _ => None,
                }
            }

            /// The operand layout, or `None` for a byte that is not an instruction.
            pub const fn format(self) -> Option<OperandFormat> {
                match self.0 {
                    $($value => Some(OperandFormat::$format),)*
                    _ => None,
                }
            }
        }
    };
}

opcodes! {
    NOP = 0x00, "nop", None;
    ACONST_NULL = 0x01, "aconst_null", None;
    SCONST_M1 = 0x02, "sconst_m1", None;
    SCONST_0 = 0x03, "sconst_0", None;
    SCONST_1 = 0x04, "sconst_1", None;
    SCONST_2 = 0x05, "sconst_2", None;
    SCONST_3 = 0x06, "sconst_3", None;
    SCONST_4 = 0x07, "sconst_4", None;
    SCONST_5 = 0x08, "sconst_5", None;
    ICONST_M1 = 0x09, "iconst_m1", None;
    ICONST_0 = 0x0A, "iconst_0", None;
    ICONST_1 = 0x0B, "iconst_1", None;
    ICONST_2 = 0x0C, "iconst_2", None;
    ICONST_3 = 0x0D, "iconst_3", None;
    ICONST_4 = 0x0E, "iconst_4", None;
    ICONST_5 = 0x0F, "iconst_5", None;
    BSPUSH = 0x10, "bspush", Byte;
    SSPUSH = 0x11, "sspush", Short;
    BIPUSH = 0x12, "bipush", Byte;
    SIPUSH = 0x13, "sipush", Short;
    IIPUSH = 0x14, "iipush", Int;
    ALOAD = 0x15, "aload", Local;
    SLOAD = 0x16, "sload", Local;
    ILOAD = 0x17, "iload", Local;
    ALOAD_0 = 0x18, "aload_0", None;
    ALOAD_1 = 0x19, "aload_1", None;
    ALOAD_2 = 0x1A, "aload_2", None;
    ALOAD_3 = 0x1B, "aload_3", None;
    SLOAD_0 = 0x1C, "sload_0", None;
    SLOAD_1 = 0x1D, "sload_1", None;
    SLOAD_2 = 0x1E, "sload_2", None;
    SLOAD_3 = 0x1F, "sload_3", None;
    ILOAD_0 = 0x20, "iload_0", None;
    ILOAD_1 = 0x21, "iload_1", None;
    ILOAD_2 = 0x22, "iload_2", None;
    ILOAD_3 = 0x23, "iload_3", None;
    AALOAD = 0x24, "aaload", None;
    BALOAD = 0x25, "baload", None;
    SALOAD = 0x26, "saload", None;
    IALOAD = 0x27, "iaload", None;
    ASTORE = 0x28, "astore", Local;
    SSTORE = 0x29, "sstore", Local;
    ISTORE = 0x2A, "istore", Local;
    ASTORE_0 = 0x2B, "astore_0", None;
    ASTORE_1 = 0x2C, "astore_1", None;
    ASTORE_2 = 0x2D, "astore_2", None;
    ASTORE_3 = 0x2E, "astore_3", None;
    SSTORE_0 = 0x2F, "sstore_0", None;
    SSTORE_1 = 0x30, "sstore_1", None;
    SSTORE_2 = 0x31, "sstore_2", None;
    SSTORE_3 = 0x32, "sstore_3", None;
    ISTORE_0 = 0x33, "istore_0", None;
    ISTORE_1 = 0x34, "istore_1", None;
    ISTORE_2 = 0x35, "istore_2", None;
    ISTORE_3 = 0x36, "istore_3", None;
    AASTORE = 0x37, "aastore", None;
    BASTORE = 0x38, "bastore", None;
    SASTORE = 0x39, "sastore", None;
    IASTORE = 0x3A, "iastore", None;
    POP = 0x3B, "pop", None;
    POP2 = 0x3C, "pop2", None;
    DUP = 0x3D, "dup", None;
    DUP2 = 0x3E, "dup2", None;
    DUP_X = 0x3F, "dup_x", Stack;
    SWAP_X = 0x40, "swap_x", Stack;
    SADD = 0x41, "sadd", None;
    IADD = 0x42, "iadd", None;
    SSUB = 0x43, "ssub", None;
    ISUB = 0x44, "isub", None;
    SMUL = 0x45, "smul", None;
    IMUL = 0x46, "imul", None;
    SDIV = 0x47, "sdiv", None;
    IDIV = 0x48, "idiv", None;
    SREM = 0x49, "srem", None;
    IREM = 0x4A, "irem", None;
    SNEG = 0x4B, "sneg", None;
    INEG = 0x4C, "ineg", None;
    SSHL = 0x4D, "sshl", None;
    ISHL = 0x4E, "ishl", None;
    SSHR = 0x4F, "sshr", None;
    ISHR = 0x50, "ishr", None;
    SUSHR = 0x51, "sushr", None;
    IUSHR = 0x52, "iushr", None;
    SAND = 0x53, "sand", None;
    IAND = 0x54, "iand", None;
    SOR = 0x55, "sor", None;
    IOR = 0x56, "ior", None;
    SXOR = 0x57, "sxor", None;
    IXOR = 0x58, "ixor", None;
    SINC = 0x59, "sinc", Inc8;
    IINC = 0x5A, "iinc", Inc8;
    S2B = 0x5B, "s2b", None;
    S2I = 0x5C, "s2i", None;
    I2B = 0x5D, "i2b", None;
    I2S = 0x5E, "i2s", None;
    ICMP = 0x5F, "icmp", None;
    IFEQ = 0x60, "ifeq", Branch8;
    IFNE = 0x61, "ifne", Branch8;
    IFLT = 0x62, "iflt", Branch8;
    IFGE = 0x63, "ifge", Branch8;
    IFGT = 0x64, "ifgt", Branch8;
    IFLE = 0x65, "ifle", Branch8;
    IFNULL = 0x66, "ifnull", Branch8;
    IFNONNULL = 0x67, "ifnonnull", Branch8;
    IF_ACMPEQ = 0x68, "if_acmpeq", Branch8;
    IF_ACMPNE = 0x69, "if_acmpne", Branch8;
    IF_SCMPEQ = 0x6A, "if_scmpeq", Branch8;
    IF_SCMPNE = 0x6B, "if_scmpne", Branch8;
    IF_SCMPLT = 0x6C, "if_scmplt", Branch8;
    IF_SCMPGE = 0x6D, "if_scmpge", Branch8;
    IF_SCMPGT = 0x6E, "if_scmpgt", Branch8;
    IF_SCMPLE = 0x6F, "if_scmple", Branch8;
    GOTO = 0x70, "goto", Branch8;
    JSR = 0x71, "jsr", Branch16;
    RET = 0x72, "ret", Local;
    STABLESWITCH = 0x73, "stableswitch", STableSwitch;
    ITABLESWITCH = 0x74, "itableswitch", ITableSwitch;
    SLOOKUPSWITCH = 0x75, "slookupswitch", SLookupSwitch;
    ILOOKUPSWITCH = 0x76, "ilookupswitch", ILookupSwitch;
    ARETURN = 0x77, "areturn", None;
    SRETURN = 0x78, "sreturn", None;
    IRETURN = 0x79, "ireturn", None;
    RETURN = 0x7A, "return", None;
    GETSTATIC_A = 0x7B, "getstatic_a", Cp16;
    GETSTATIC_B = 0x7C, "getstatic_b", Cp16;
    GETSTATIC_S = 0x7D, "getstatic_s", Cp16;
    GETSTATIC_I = 0x7E, "getstatic_i", Cp16;
    PUTSTATIC_A = 0x7F, "putstatic_a", Cp16;
    PUTSTATIC_B = 0x80, "putstatic_b", Cp16;
    PUTSTATIC_S = 0x81, "putstatic_s", Cp16;
    PUTSTATIC_I = 0x82, "putstatic_i", Cp16;
    GETFIELD_A = 0x83, "getfield_a", Cp8;
    GETFIELD_B = 0x84, "getfield_b", Cp8;
    GETFIELD_S = 0x85, "getfield_s", Cp8;
    GETFIELD_I = 0x86, "getfield_i", Cp8;
    PUTFIELD_A = 0x87, "putfield_a", Cp8;
    PUTFIELD_B = 0x88, "putfield_b", Cp8;
    PUTFIELD_S = 0x89, "putfield_s", Cp8;
    PUTFIELD_I = 0x8A, "putfield_i", Cp8;
    INVOKEVIRTUAL = 0x8B, "invokevirtual", Cp16;
    INVOKESPECIAL = 0x8C, "invokespecial", Cp16;
    INVOKESTATIC = 0x8D, "invokestatic", Cp16;
    INVOKEINTERFACE = 0x8E, "invokeinterface", Interface;
    NEW = 0x8F, "new", Cp16;
    NEWARRAY = 0x90, "newarray", NewArray;
    ANEWARRAY = 0x91, "anewarray", Cp16;
    ARRAYLENGTH = 0x92, "arraylength", None;
    ATHROW = 0x93, "athrow", None;
    CHECKCAST = 0x94, "checkcast", TypeCheck;
    INSTANCEOF = 0x95, "instanceof", TypeCheck;
    SINC_W = 0x96, "sinc_w", Inc16;
    IINC_W = 0x97, "iinc_w", Inc16;
    IFEQ_W = 0x98, "ifeq_w", Branch16;
    IFNE_W = 0x99, "ifne_w", Branch16;
    IFLT_W = 0x9A, "iflt_w", Branch16;
    IFGE_W = 0x9B, "ifge_w", Branch16;
    IFGT_W = 0x9C, "ifgt_w", Branch16;
    IFLE_W = 0x9D, "ifle_w", Branch16;
    IFNULL_W = 0x9E, "ifnull_w", Branch16;
    IFNONNULL_W = 0x9F, "ifnonnull_w", Branch16;
    IF_ACMPEQ_W = 0xA0, "if_acmpeq_w", Branch16;
    IF_ACMPNE_W = 0xA1, "if_acmpne_w", Branch16;
    IF_SCMPEQ_W = 0xA2, "if_scmpeq_w", Branch16;
    IF_SCMPNE_W = 0xA3, "if_scmpne_w", Branch16;
    IF_SCMPLT_W = 0xA4, "if_scmplt_w", Branch16;
    IF_SCMPGE_W = 0xA5, "if_scmpge_w", Branch16;
    IF_SCMPGT_W = 0xA6, "if_scmpgt_w", Branch16;
    IF_SCMPLE_W = 0xA7, "if_scmple_w", Branch16;
    GOTO_W = 0xA8, "goto_w", Branch16;
    GETFIELD_A_W = 0xA9, "getfield_a_w", Cp16;
    GETFIELD_B_W = 0xAA, "getfield_b_w", Cp16;
    GETFIELD_S_W = 0xAB, "getfield_s_w", Cp16;
    GETFIELD_I_W = 0xAC, "getfield_i_w", Cp16;
    GETFIELD_A_THIS = 0xAD, "getfield_a_this", Cp8;
    GETFIELD_B_THIS = 0xAE, "getfield_b_this", Cp8;
    GETFIELD_S_THIS = 0xAF, "getfield_s_this", Cp8;
    GETFIELD_I_THIS = 0xB0, "getfield_i_this", Cp8;
    PUTFIELD_A_W = 0xB1, "putfield_a_w", Cp16;
    PUTFIELD_B_W = 0xB2, "putfield_b_w", Cp16;
    PUTFIELD_S_W = 0xB3, "putfield_s_w", Cp16;
    PUTFIELD_I_W = 0xB4, "putfield_i_w", Cp16;
    PUTFIELD_A_THIS = 0xB5, "putfield_a_this", Cp8;
    PUTFIELD_B_THIS = 0xB6, "putfield_b_this", Cp8;
    PUTFIELD_S_THIS = 0xB7, "putfield_s_this", Cp8;
    PUTFIELD_I_THIS = 0xB8, "putfield_i_this", Cp8;
    IMPDEP1 = 0xFE, "impdep1", None;
    IMPDEP2 = 0xFF, "impdep2", None;
}

impl Opcode {
    /// Reserved opcodes (impdep1/2) that never appear in a CAP file.
    pub fn is_reserved(self) -> bool {
        matches!(self, Opcode::IMPDEP1 | Opcode::IMPDEP2)
    }

    /// Instructions that use the `int` type (only valid in a package that
    /// declares ACC_INT).
    pub fn uses_int(self) -> bool {
        matches!(
            self.0,
            0x09..=0x0F // iconst_*
                | 0x12..=0x14 // bipush, sipush, iipush
                | 0x17 | 0x20..=0x23 // iload*
                | 0x27 | 0x2A | 0x33..=0x36 | 0x3A // iaload, istore*, iastore
                | 0x42 | 0x44 | 0x46 | 0x48 | 0x4A | 0x4C | 0x4E | 0x50 | 0x52 | 0x54 | 0x56 | 0x58
                | 0x5A | 0x5C..=0x5F // iinc, s2i, i2b, i2s, icmp
                | 0x74 | 0x76 | 0x79 // itableswitch, ilookupswitch, ireturn
                | 0x7E | 0x82 | 0x86 | 0x8A // getstatic_i, putstatic_i, getfield_i, putfield_i
                | 0x97 | 0xAC | 0xB0 | 0xB4 | 0xB8 // iinc_w, *field_i_w/_this
        )
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mnemonic() {
            Some(m) => f.write_str(m),
            None => write!(f, "<invalid {:#04x}>", self.0),
        }
    }
}

impl fmt::Debug for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Opcode({self})")
    }
}

/// Array types of `newarray`, `checkcast` and `instanceof`.
pub const T_BOOLEAN: u8 = 10;
pub const T_BYTE: u8 = 11;
pub const T_SHORT: u8 = 12;
pub const T_INT: u8 = 13;
/// Reference array (`checkcast`/`instanceof` only, with a class index).
pub const T_REFERENCE: u8 = 14;

/// Name of an array type code, e.g. `byte[]`.
pub fn array_type_name(atype: u8) -> Option<&'static str> {
    Some(match atype {
        T_BOOLEAN => "boolean[]",
        T_BYTE => "byte[]",
        T_SHORT => "short[]",
        T_INT => "int[]",
        T_REFERENCE => "reference[]",
        _ => return None,
    })
}

/// Decoded operands of one instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operands {
    None,
    Local(u8),
    Byte(i8),
    Short(i16),
    Int(i32),
    Inc {
        local: u8,
        value: i16,
    },
    /// Branch offset relative to the instruction's own pc.
    Branch(i16),
    Cp(u16),
    Interface {
        nargs: u8,
        index: u16,
        token: u8,
    },
    NewArray(u8),
    TypeCheck {
        atype: u8,
        index: u16,
    },
    /// `mn` byte of dup_x (m words to duplicate, n words to skip) and swap_x.
    Stack(u8),
    TableSwitch {
        default: i16,
        low: i32,
        high: i32,
        offsets: Vec<i16>,
    },
    LookupSwitch {
        default: i16,
        pairs: Vec<(i32, i16)>,
    },
}

/// One decoded instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Offset of the opcode from the start of the method's bytecode.
    pub pc: u16,
    pub opcode: Opcode,
    pub operands: Operands,
    /// Encoded length in bytes, opcode included.
    pub len: u16,
}

impl Instruction {
    /// Absolute targets (pcs) of branches and switches, default first.
    pub fn branch_targets(&self) -> Vec<i32> {
        let base = i32::from(self.pc);
        match &self.operands {
            Operands::Branch(o) => alloc::vec![base + i32::from(*o)],
            Operands::TableSwitch {
                default, offsets, ..
            } => core::iter::once(*default)
                .chain(offsets.iter().copied())
                .map(|o| base + i32::from(o))
                .collect(),
            Operands::LookupSwitch { default, pairs } => core::iter::once(*default)
                .chain(pairs.iter().map(|p| p.1))
                .map(|o| base + i32::from(o))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The constant-pool index this instruction refers to, if any.
    pub fn cp_index(&self) -> Option<u16> {
        match self.operands {
            Operands::Cp(i) => Some(i),
            Operands::Interface { index, .. } => Some(index),
            Operands::TypeCheck {
                atype: 0 | T_REFERENCE,
                index,
            } => Some(index),
            _ => None,
        }
    }
}

/// Why an instruction could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("pc {pc}: byte {byte:#04x} is not an instruction")]
    InvalidOpcode { pc: u16, byte: u8 },
    #[error("pc {pc}: {opcode} is truncated (needs {needed} bytes, {available} left)")]
    Truncated {
        pc: u16,
        opcode: Opcode,
        needed: usize,
        available: usize,
    },
    #[error("pc {pc}: {opcode} has low {low} > high {high}")]
    BadSwitchRange {
        pc: u16,
        opcode: Opcode,
        low: i32,
        high: i32,
    },
}

struct Cursor<'a> {
    code: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn u1(&mut self) -> u8 {
        let v = self.code[self.at];
        self.at += 1;
        v
    }
    fn s2(&mut self) -> i16 {
        let v = i16::from_be_bytes([self.code[self.at], self.code[self.at + 1]]);
        self.at += 2;
        v
    }
    fn s4(&mut self) -> i32 {
        let c = &self.code[self.at..self.at + 4];
        self.at += 4;
        i32::from_be_bytes([c[0], c[1], c[2], c[3]])
    }
}

/// Decodes the instruction at `pc` in `code` (a method's bytecode).
pub fn decode(code: &[u8], pc: u16) -> Result<Instruction, DecodeError> {
    let start = usize::from(pc);
    let Some(&byte) = code.get(start) else {
        return Err(DecodeError::Truncated {
            pc,
            opcode: Opcode(0),
            needed: 1,
            available: 0,
        });
    };
    let opcode = Opcode(byte);
    let format = match opcode.format() {
        Some(f) if !opcode.is_reserved() => f,
        _ => return Err(DecodeError::InvalidOpcode { pc, byte }),
    };
    let available = code.len() - start - 1;
    let truncated = |needed: usize| DecodeError::Truncated {
        pc,
        opcode,
        needed: needed + 1,
        available: available + 1,
    };
    let fixed = match format {
        OperandFormat::None => 0,
        OperandFormat::Local
        | OperandFormat::Byte
        | OperandFormat::Branch8
        | OperandFormat::Cp8 => 1,
        OperandFormat::NewArray | OperandFormat::Stack => 1,
        OperandFormat::Short
        | OperandFormat::Inc8
        | OperandFormat::Branch16
        | OperandFormat::Cp16 => 2,
        OperandFormat::Inc16 | OperandFormat::TypeCheck => 3,
        OperandFormat::Int | OperandFormat::Interface => 4,
        OperandFormat::STableSwitch => 6,
        OperandFormat::ITableSwitch => 10,
        OperandFormat::SLookupSwitch | OperandFormat::ILookupSwitch => 4,
    };
    if available < fixed {
        return Err(truncated(fixed));
    }
    let mut c = Cursor {
        code,
        at: start + 1,
    };
    let operands = match format {
        OperandFormat::None => Operands::None,
        OperandFormat::Local => Operands::Local(c.u1()),
        OperandFormat::Byte => Operands::Byte(c.u1() as i8),
        OperandFormat::Short => Operands::Short(c.s2()),
        OperandFormat::Int => Operands::Int(c.s4()),
        OperandFormat::Inc8 => Operands::Inc {
            local: c.u1(),
            value: i16::from(c.u1() as i8),
        },
        OperandFormat::Inc16 => Operands::Inc {
            local: c.u1(),
            value: c.s2(),
        },
        OperandFormat::Branch8 => Operands::Branch(i16::from(c.u1() as i8)),
        OperandFormat::Branch16 => Operands::Branch(c.s2()),
        OperandFormat::Cp8 => Operands::Cp(c.u1().into()),
        OperandFormat::Cp16 => Operands::Cp(c.s2() as u16),
        OperandFormat::Interface => Operands::Interface {
            nargs: c.u1(),
            index: c.s2() as u16,
            token: c.u1(),
        },
        OperandFormat::NewArray => Operands::NewArray(c.u1()),
        OperandFormat::TypeCheck => Operands::TypeCheck {
            atype: c.u1(),
            index: c.s2() as u16,
        },
        OperandFormat::Stack => Operands::Stack(c.u1()),
        OperandFormat::STableSwitch | OperandFormat::ITableSwitch => {
            let default = c.s2();
            let (low, high) = if format == OperandFormat::STableSwitch {
                (i32::from(c.s2()), i32::from(c.s2()))
            } else {
                (c.s4(), c.s4())
            };
            if low > high {
                return Err(DecodeError::BadSwitchRange {
                    pc,
                    opcode,
                    low,
                    high,
                });
            }
            let count = (i64::from(high) - i64::from(low) + 1) as usize;
            let needed = fixed + count.saturating_mul(2);
            if available < needed {
                return Err(truncated(needed));
            }
            let offsets = (0..count).map(|_| c.s2()).collect();
            Operands::TableSwitch {
                default,
                low,
                high,
                offsets,
            }
        }
        OperandFormat::SLookupSwitch | OperandFormat::ILookupSwitch => {
            let default = c.s2();
            let npairs = usize::from(c.s2() as u16);
            let pair_len = if format == OperandFormat::SLookupSwitch {
                4
            } else {
                6
            };
            let needed = fixed + npairs * pair_len;
            if available < needed {
                return Err(truncated(needed));
            }
            let pairs = (0..npairs)
                .map(|_| {
                    let key = if format == OperandFormat::SLookupSwitch {
                        i32::from(c.s2())
                    } else {
                        c.s4()
                    };
                    (key, c.s2())
                })
                .collect();
            Operands::LookupSwitch { default, pairs }
        }
    };
    let len = (c.at - start) as u16;
    Ok(Instruction {
        pc,
        opcode,
        operands,
        len,
    })
}

/// Decodes a whole method body in order; stops at the first error.
pub fn decode_all(code: &[u8]) -> Result<Vec<Instruction>, DecodeError> {
    let mut out = Vec::new();
    let mut pc: usize = 0;
    while pc < code.len() {
        if pc > usize::from(u16::MAX) {
            return Err(DecodeError::Truncated {
                pc: u16::MAX,
                opcode: Opcode(0),
                needed: 1,
                available: 0,
            });
        }
        let insn = decode(code, pc as u16)?;
        pc += usize::from(insn.len);
        out.push(insn);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_and_ordered() {
        // 0x00..=0xB8 plus impdep1/2.
        assert_eq!(Opcode::ALL.len(), 0xB9 + 2);
        for w in Opcode::ALL.windows(2) {
            assert!(w[0] < w[1]);
        }
        assert_eq!(Opcode(0xB9).mnemonic(), None);
    }

    #[test]
    fn decodes_operands() {
        // aload_0, invokespecial #7, return
        let code = [0x18, 0x8c, 0x00, 0x07, 0x7a];
        let insns = decode_all(&code).unwrap();
        assert_eq!(insns.len(), 3);
        assert_eq!(insns[1].operands, Operands::Cp(7));
        assert_eq!(insns[1].len, 3);
    }

    #[test]
    fn decodes_lookupswitch() {
        // slookupswitch default +0x21, 2 pairs: 1 -> +0x0d, 2 -> +0x17
        let code = [
            0x75, 0x00, 0x21, 0x00, 0x02, 0x00, 0x01, 0x00, 0x0d, 0x00, 0x02, 0x00, 0x17,
        ];
        let i = decode(&code, 0).unwrap();
        assert_eq!(i.len, 13);
        assert_eq!(i.branch_targets(), [0x21, 0x0d, 0x17]);
    }

    #[test]
    fn rejects_truncation_and_bad_bytes() {
        assert!(matches!(
            decode(&[0x11, 0x00], 0),
            Err(DecodeError::Truncated { .. })
        ));
        assert!(matches!(
            decode(&[0xC0], 0),
            Err(DecodeError::InvalidOpcode { .. })
        ));
        assert!(matches!(
            decode(&[0xFE], 0),
            Err(DecodeError::InvalidOpcode { .. })
        ));
        // stableswitch low > high
        assert!(matches!(
            decode(&[0x73, 0, 0, 0, 5, 0, 1], 0),
            Err(DecodeError::BadSwitchRange { .. })
        ));
        // itableswitch with a huge range must not allocate before checking length
        assert!(matches!(
            decode(&[0x74, 0, 0, 0x80, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff], 0),
            Err(DecodeError::Truncated { .. })
        ));
    }
}
