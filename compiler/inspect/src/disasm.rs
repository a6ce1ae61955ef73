//! One line per instruction with symbolic operands.

use hydra_cap::bytecode::{array_type_name, decode_all, DecodeError, Instruction, Operands};

use super::symbols::Symbols;

/// A disassembled instruction: `pc`, mnemonic with operands, and a comment
/// resolving the constant-pool operand.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Line {
    pub pc: u16,
    pub opcode: String,
    pub operands: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

fn target(pc: u16, offset: i16) -> String {
    format!("{}", i32::from(pc) + i32::from(offset))
}

pub fn operands_text(insn: &Instruction) -> String {
    let pc = insn.pc;
    match &insn.operands {
        Operands::None => String::new(),
        Operands::Local(i) => format!("L{i}"),
        Operands::Byte(v) => v.to_string(),
        Operands::Short(v) => v.to_string(),
        Operands::Int(v) => v.to_string(),
        Operands::Inc { local, value } => format!("L{local}, {value}"),
        Operands::Branch(o) => format!("-> {}", target(pc, *o)),
        Operands::Cp(i) => format!("#{i}"),
        Operands::Interface {
            nargs,
            index,
            token,
        } => format!("#{index}, method {token}, nargs {nargs}"),
        Operands::NewArray(t) => {
            array_type_name(*t).map_or_else(|| format!("<array type {t}>"), |n| n.into())
        }
        Operands::TypeCheck { atype, index } => match atype {
            0 => format!("#{index}"),
            14 => format!("reference[] #{index}"),
            t => array_type_name(*t).map_or_else(|| format!("<array type {t}>"), |n| n.into()),
        },
        Operands::Stack(mn) => format!("m={}, n={}", mn >> 4, mn & 0xf),
        Operands::TableSwitch {
            default,
            low,
            offsets,
            ..
        } => {
            let mut s = format!("default -> {}", target(pc, *default));
            for (i, o) in offsets.iter().enumerate() {
                s.push_str(&format!(
                    ", {} -> {}",
                    i64::from(*low) + i as i64,
                    target(pc, *o)
                ));
            }
            s
        }
        Operands::LookupSwitch { default, pairs } => {
            let mut s = format!("default -> {}", target(pc, *default));
            for (k, o) in pairs {
                s.push_str(&format!(", {k} -> {}", target(pc, *o)));
            }
            s
        }
    }
}

/// Disassembles a method body. A decode error ends the listing with a line
/// saying what was wrong, so a damaged method still shows what precedes it.
pub fn disassemble(code: &[u8], symbols: &Symbols<'_>) -> (Vec<Line>, Option<DecodeError>) {
    let (insns, error) = match decode_all(code) {
        Ok(i) => (i, None),
        Err(e) => {
            // Decode what can be decoded before the error.
            let mut ok = Vec::new();
            let mut pc = 0usize;
            while let Ok(i) = hydra_cap::bytecode::decode(code, pc as u16) {
                pc += usize::from(i.len);
                ok.push(i);
                if pc >= code.len() {
                    break;
                }
            }
            (ok, Some(e))
        }
    };
    let lines = insns
        .iter()
        .map(|insn| Line {
            pc: insn.pc,
            opcode: insn.opcode.to_string(),
            operands: operands_text(insn),
            comment: match insn.operands {
                Operands::Interface { index, token, .. } => {
                    Some(symbols.interface_method_ref(index, token))
                }
                _ => insn.cp_index().map(|i| symbols.cp_entry(i)),
            },
        })
        .collect();
    (lines, error)
}
