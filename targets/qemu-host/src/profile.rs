//! Instructions per interpreted bytecode: where the interpreter's dispatch
//! is in the firmware, which opcodes each arm of its `match` serves, and the
//! opcode groups the counts are reported in.

use std::collections::BTreeMap;
use std::path::Path;

use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};

use crate::Error;

/// The interpreter's dispatch: the `tbh` of the opcode `match` in each of
/// its loops (`hydra_runtime::interp::...::exec`, the checking one, and
/// `...::exec_trusted`) with its jump table, and the interpreter's entry
/// (`...::invoke`), which ends the charging of a bytecode when a method
/// returns to native code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatch {
    /// Address of each loop's `tbh` instruction.
    pub addrs: Vec<u64>,
    /// Arm address (of either loop) -> the opcodes that jump there.
    pub arms: BTreeMap<u64, Vec<u8>>,
    /// Address ranges that stop the charging.
    pub stop: Vec<(u64, u64)>,
}

/// The opcode groups, in report order. `mixed`: an arm that serves opcodes
/// of several groups (say, a chain of range tests behind one table entry),
/// so its instructions cannot be split between them.
pub const GROUPS: [&str; 12] = [
    "const/local",
    "stack",
    "arith",
    "branch",
    "array",
    "field",
    "static",
    "invoke",
    "return",
    "object",
    "other",
    "mixed",
];

/// The group of a Java Card opcode (including the interpreter's quick
/// forms `C0`-`D1`: getfield/putfield, `_this`, invokestatic/special).
pub fn opcode_group(op: u8) -> &'static str {
    match op {
        0x00..=0x23 | 0x28..=0x36 => "const/local",
        0x3B..=0x40 => "stack",
        0x41..=0x5F | 0x96 | 0x97 => "arith",
        0x60..=0x76 | 0x98..=0xA8 => "branch",
        0x24..=0x27 | 0x37..=0x3A | 0x90..=0x92 => "array",
        0x83..=0x8A | 0xA9..=0xB8 | 0xC0..=0xCF => "field",
        0x7B..=0x82 => "static",
        0x8B..=0x8E | 0xD0 | 0xD1 => "invoke",
        0x77..=0x7A => "return",
        0x8F | 0x93..=0x95 => "object",
        _ => "other",
    }
}

/// Executed bytecodes of one opcode group and the instructions they took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCount {
    pub group: &'static str,
    pub bytecodes: u64,
    pub instructions: u64,
}

impl Dispatch {
    /// Finds the dispatch in the firmware ELF.
    pub fn read(elf: &Path) -> Result<Dispatch, Error> {
        let bytes = std::fs::read(elf)
            .map_err(|e| Error::Io(format!("reading firmware {}", elf.display()), e))?;
        let bad = |what: String| Error::Firmware {
            path: elf.to_path_buf(),
            what,
        };
        let file =
            object::File::parse(&*bytes).map_err(|e| bad(format!("not an ELF file: {e}")))?;
        let (mut loops, mut stop) = (Vec::new(), Vec::new());
        for sym in file.symbols() {
            if sym.kind() != SymbolKind::Text || sym.size() == 0 {
                continue;
            }
            let Ok(name) = sym.name() else { continue };
            let name = format!("{:#}", rustc_demangle::demangle(name));
            if !name.starts_with("hydra_runtime::interp::") {
                continue;
            }
            let span = (sym.address() & !1, (sym.address() & !1) + sym.size());
            if name.ends_with("::exec") || name.ends_with("::exec_trusted") {
                loops.push(span);
            } else if name.ends_with("::invoke") || name.ends_with("::run") {
                stop.push(span);
            }
        }
        if loops.is_empty() {
            return Err(bad(
                "no interpreter loop (`hydra_runtime::interp::…::exec`)".into(),
            ));
        }
        if stop.is_empty() {
            return Err(bad(
                "no interpreter entry (`hydra_runtime::interp::…::invoke`)".into(),
            ));
        }
        let (mut addrs, mut arms) = (Vec::new(), BTreeMap::new());
        for (lo, hi) in loops {
            let code = file
                .sections()
                .find_map(|s| {
                    let d = s.data_range(lo, hi - lo).ok()??;
                    Some(d.to_vec())
                })
                .ok_or_else(|| bad(format!("no code at {lo:#x}")))?;
            let (addr, loop_arms) = find_dispatch(lo, &code).ok_or_else(|| {
                bad(format!(
                    "no opcode dispatch (`tbh`) in the interpreter loop at {lo:#x}"
                ))
            })?;
            addrs.push(addr);
            arms.extend(loop_arms);
        }
        Ok(Dispatch { addrs, arms, stop })
    }

    /// Per-group totals of the plugin's `(arm, dispatches, instructions)`.
    pub fn groups(&self, arms: &[(u64, u64, u64)]) -> Vec<GroupCount> {
        let mut out: Vec<GroupCount> = GROUPS
            .iter()
            .map(|&group| GroupCount {
                group,
                bytecodes: 0,
                instructions: 0,
            })
            .collect();
        for &(arm, n, insns) in arms {
            let group = match self.arms.get(&arm).map(Vec::as_slice) {
                Some([first, rest @ ..]) => {
                    let g = opcode_group(*first);
                    if rest.iter().all(|&op| opcode_group(op) == g) {
                        g
                    } else {
                        "mixed"
                    }
                }
                _ => "other",
            };
            if let Some(g) = out.iter_mut().find(|g| g.group == group) {
                g.bytecodes += n;
                g.instructions += insns;
            }
        }
        out
    }
}

fn half(code: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*code.get(at)?, *code.get(at + 1)?]))
}

/// The `tbh [pc, Rm, lsl #1]` in `code` (at address `base`) with the
/// largest table, and its arms. A table ends where the first arm begins.
fn find_dispatch(base: u64, code: &[u8]) -> Option<(u64, BTreeMap<u64, Vec<u8>>)> {
    let mut best: Option<(u64, Vec<u64>)> = None;
    let mut at = 0;
    while at + 4 <= code.len() {
        let (h1, h2) = (half(code, at)?, half(code, at + 2)?);
        if h1 == 0xE8DF && h2 & 0xFFF0 == 0xF010 {
            let table = at + 4;
            let table_addr = base + table as u64;
            let mut targets = Vec::new();
            let mut first_arm = u64::MAX;
            while targets.len() < 256 {
                let entry = table_addr + 2 * targets.len() as u64;
                if entry >= first_arm {
                    break;
                }
                let Some(h) = half(code, table + 2 * targets.len()) else {
                    break;
                };
                let target = table_addr + 2 * u64::from(h);
                first_arm = first_arm.min(target);
                targets.push(target);
            }
            if best.as_ref().is_none_or(|b| targets.len() > b.1.len()) {
                best = Some((base + at as u64, targets));
            }
        }
        at += 2;
    }
    let (addr, targets) = best.filter(|b| b.1.len() >= 128)?;
    let mut arms: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for (op, t) in targets.into_iter().enumerate() {
        arms.entry(t).or_default().push(op as u8);
    }
    Some((addr, arms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_largest_table() {
        // nop; tbh [pc, r1, lsl #1] with 130 entries: op i -> arm i % 2.
        let mut code = vec![0x00, 0xBF, 0xDF, 0xE8, 0x11, 0xF0];
        let table_len = 130 * 2;
        for i in 0..130u16 {
            let h = (table_len + 4 * (i % 2)) / 2;
            code.extend_from_slice(&h.to_le_bytes());
        }
        code.extend_from_slice(&[0; 8]);
        let (addr, arms) = find_dispatch(0x1000, &code).unwrap();
        assert_eq!(addr, 0x1002);
        assert_eq!(arms.len(), 2);
        let first = 0x1006 + 260;
        assert_eq!(arms[&first].len(), 65);
        assert_eq!(arms[&(first + 4)][..2], [1, 3]);
    }

    #[test]
    fn groups() {
        assert_eq!(opcode_group(0x18), "const/local");
        assert_eq!(opcode_group(0x25), "array");
        assert_eq!(opcode_group(0xC2), "field");
        assert_eq!(opcode_group(0xD0), "invoke");
        assert_eq!(opcode_group(0x7A), "return");
        assert_eq!(opcode_group(0xFE), "other");
        assert!(GROUPS.contains(&opcode_group(0x5A)));
    }
}
