//! Opcode coverage over a set of CAP files: which instructions of the Java
//! Card 3.0.5 instruction set they contain, and which they do not.

use std::collections::BTreeMap;

use hydra_cap::bytecode::{decode_all, Opcode};
use hydra_cap::CapFile;

#[derive(Debug, Default, serde::Serialize)]
pub struct Coverage {
    /// Mnemonic -> number of occurrences.
    pub counts: BTreeMap<String, usize>,
    /// Instructions of the set that never occur.
    pub missing: Vec<String>,
    pub total_opcodes: usize,
}

impl Coverage {
    pub fn add(&mut self, cap: &CapFile) {
        for m in &cap.method.methods {
            // Damaged bodies still count up to the first bad byte.
            let insns = match decode_all(&m.bytecode) {
                Ok(i) => i,
                Err(_) => continue,
            };
            for i in insns {
                *self.counts.entry(i.opcode.to_string()).or_default() += 1;
            }
        }
    }

    pub fn finish(&mut self) {
        let set: Vec<Opcode> = Opcode::ALL
            .iter()
            .copied()
            .filter(|o| !o.is_reserved())
            .collect();
        self.total_opcodes = set.len();
        self.missing = set
            .iter()
            .map(|o| o.to_string())
            .filter(|m| !self.counts.contains_key(m))
            .collect();
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let covered = self.total_opcodes - self.missing.len();
        out.push_str(&format!(
            "opcode coverage: {covered} of {} instructions\n",
            self.total_opcodes
        ));
        for o in Opcode::ALL.iter().filter(|o| !o.is_reserved()) {
            let m = o.to_string();
            let n = self.counts.get(&m).copied().unwrap_or(0);
            out.push_str(&format!("  {:#04x} {:<16} {n}\n", o.0, m));
        }
        if !self.missing.is_empty() {
            out.push_str(&format!("missing: {}\n", self.missing.join(" ")));
        }
        out
    }
}
