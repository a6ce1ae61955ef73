//! Native packages for the firmware: the ARM ELF objects of
//! `hydra-backend-thumb2`, linked here for the address their code will
//! have in the package image (`hydra_mps2_an385::native::Blob`), so the
//! firmware runs them in place with no patching.
//!
//! Relocations resolved: `R_ARM_ABS32` (the `.hydra.entries` method table,
//! and any word in `.text`) and `R_ARM_THM_CALL` (a `bl` between methods),
//! against symbols of `.text`. Any other relocation or symbol is refused.

use object::elf::{R_ARM_ABS32, R_ARM_THM_PC22 as R_ARM_THM_CALL};
use object::{Object, ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget};

use crate::{Error, Result};

/// A native package ready to be placed in an image.
#[derive(Debug, Clone)]
pub struct NativeObject {
    pub aid: Vec<u8>,
    /// Code, relocations not applied yet.
    code: Vec<u8>,
    /// (code offset of the first bytecode, result words, text offset | 1).
    methods: Vec<(u16, u8, u32)>,
    /// (offset in .text, a call (else an absolute word), target text
    /// offset incl. Thumb bit, addend).
    relocs: Vec<(u32, bool, u32, i64)>,
}

fn bad(what: impl Into<String>) -> Error {
    Error::Config(format!("native package: {}", what.into()))
}

impl NativeObject {
    /// Reads an object written by `hydra-backend-thumb2`.
    pub fn parse(bytes: &[u8]) -> Result<NativeObject> {
        let f = object::File::parse(bytes).map_err(|e| bad(e.to_string()))?;
        if f.architecture() != object::Architecture::Arm {
            return Err(bad(format!("code for {:?}, not Thumb-2", f.architecture())));
        }
        let text = f.section_by_name(".text").ok_or_else(|| bad("no .text"))?;
        let code = text.data().map_err(|e| bad(e.to_string()))?.to_vec();
        let manifest = f
            .section_by_name(".hydra")
            .ok_or_else(|| bad("no .hydra section"))?
            .data()
            .map_err(|e| bad(e.to_string()))?;
        let m = hydra_native_manifest(manifest).ok_or_else(|| bad("malformed .hydra"))?;
        let target_of = |t: RelocationTarget| -> Result<u32> {
            let RelocationTarget::Symbol(s) = t else {
                return Err(bad("relocation against something other than a symbol"));
            };
            let s = f.symbol_by_index(s).map_err(|e| bad(e.to_string()))?;
            if s.section_index() != Some(text.index()) {
                return Err(bad("relocation against a symbol outside .text"));
            }
            Ok(s.address() as u32)
        };
        let kind = |flags: RelocationFlags| match flags {
            RelocationFlags::Elf { r_type } if r_type == R_ARM_ABS32 => Some(false),
            RelocationFlags::Elf { r_type } if r_type == R_ARM_THM_CALL => Some(true),
            _ => None,
        };
        let mut relocs = Vec::new();
        for (off, r) in text.relocations() {
            let call = kind(r.flags())
                .ok_or_else(|| bad(format!("relocation {:?} in .text", r.flags())))?;
            if off as usize + 4 > code.len() {
                return Err(bad("relocation outside .text"));
            }
            relocs.push((off as u32, call, target_of(r.target())?, r.addend()));
        }
        let entries = f
            .section_by_name(".hydra.entries")
            .ok_or_else(|| bad("no .hydra.entries section"))?;
        let mut addr = vec![None; m.len()];
        for (off, r) in entries.relocations() {
            if kind(r.flags()) != Some(false) || off % 4 != 0 {
                return Err(bad("unexpected relocation in .hydra.entries"));
            }
            let i = (off / 4) as usize;
            let slot = addr
                .get_mut(i)
                .ok_or_else(|| bad("entry table longer than the manifest"))?;
            *slot = Some((target_of(r.target())? as i64 + r.addend()) as u32);
        }
        let mut methods = Vec::new();
        for (i, (off, ret)) in m.into_iter().enumerate() {
            let a = addr[i].ok_or_else(|| bad("method without an entry"))?;
            if (a & !1) as usize >= code.len() || a & 1 == 0 {
                return Err(bad("method entry outside .text or not Thumb"));
            }
            methods.push((off, ret, a));
        }
        Ok(NativeObject {
            aid: manifest_aid(manifest).unwrap_or_default(),
            code,
            methods,
            relocs,
        })
    }

    pub fn code_len(&self) -> usize {
        self.code.len()
    }

    /// The image entry with the code linked at `code_addr`.
    pub fn link(&self, code_addr: u32) -> Result<Vec<u8>> {
        let mut code = self.code.clone();
        for &(off, call, target, addend) in &self.relocs {
            let at = off as usize;
            let s = code_addr.wrapping_add(target);
            if !call {
                let a = i64::from(u32::from_le_bytes(
                    code[at..at + 4].try_into().expect("4 bytes"),
                ));
                let v = (i64::from(s) + addend + a) as u32;
                code[at..at + 4].copy_from_slice(&v.to_le_bytes());
            } else {
                // R_ARM_THM_CALL: BL to S + A - P (here, a .text symbol).
                let p = code_addr + off;
                let d = i64::from(s & !1) + addend - (i64::from(p) + 4);
                if !(-(1 << 24)..(1 << 24)).contains(&d) {
                    return Err(bad("call out of range"));
                }
                let o = d as u32;
                let sbit = (o >> 24) & 1;
                let j1 = ((o >> 23) & 1 ^ 1) ^ sbit;
                let j2 = ((o >> 22) & 1 ^ 1) ^ sbit;
                let h1 = 0xF000 | sbit << 10 | (o >> 12) & 0x3FF;
                let h2 = 0xD000 | j1 << 13 | j2 << 11 | (o >> 1) & 0x7FF;
                code[at..at + 2].copy_from_slice(&(h1 as u16).to_le_bytes());
                code[at + 2..at + 4].copy_from_slice(&(h2 as u16).to_le_bytes());
            }
        }
        let methods: Vec<(u16, u8, u32)> = self
            .methods
            .iter()
            .map(|&(o, r, a)| (o, r, code_addr.wrapping_add(a)))
            .collect();
        Ok(hydra_mps2_an385::native::Blob::build(
            &self.aid, code_addr, &methods, &code,
        ))
    }

    /// Offset of the code inside the image entry's payload.
    pub fn code_offset(&self) -> usize {
        hydra_mps2_an385::native::Blob::code_offset(self.aid.len(), self.methods.len())
    }
}

/// The `.hydra` manifest: `[aid len][aid][count u16][(offset u16, ret u8)]`.
fn hydra_native_manifest(b: &[u8]) -> Option<Vec<(u16, u8)>> {
    let n = usize::from(*b.first()?);
    let mut at = 1 + n;
    let count = u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]);
    at += 2;
    let mut out = Vec::new();
    for _ in 0..count {
        let e = b.get(at..at + 3)?;
        out.push((u16::from_le_bytes([e[0], e[1]]), e[2]));
        at += 3;
    }
    (at == b.len()).then_some(out)
}

fn manifest_aid(b: &[u8]) -> Option<Vec<u8>> {
    let n = usize::from(*b.first()?);
    Some(b.get(1..1 + n)?.to_vec())
}
