//! Editing a parsed CAP file: find methods by their Debug names, patch or
//! replace bytecode, and lay the Method component out again (every
//! component that names a method offset or a bytecode position follows),
//! then rebuild the ReferenceLocation component, the Descriptor's
//! bytecode and handler counts, and the Directory's sizes.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use hydra_cap::bytecode::{decode_all, Instruction, Opcode, OperandFormat, Operands};
use hydra_cap::component::{CpEntry, ReferenceLocation};
use hydra_cap::container::CapArchive;
use hydra_cap::{CapFile, ClassRef, ComponentTag, StaticRef};

pub type Res<T = ()> = Result<T, String>;

/// Loads `conformance/applets/variants/<rel>`.
pub fn load(root: &Path, rel: &str) -> (CapFile, CapArchive) {
    let p = root.join("conformance/applets/variants").join(rel);
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let archive = CapArchive::from_zip(&bytes).expect("base CAP archive");
    let cap = CapFile::from_components(archive.components()).expect("base CAP parses");
    (cap, archive)
}

fn dbg_str(cap: &CapFile, i: u16) -> String {
    cap.debug
        .as_ref()
        .and_then(|d| d.strings.get(usize::from(i)))
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .unwrap_or_default()
}

/// Offset of the method `Class.name` (simple class name) or `name`, from
/// the Debug component.
pub fn method(cap: &CapFile, spec: &str) -> Res<u16> {
    let (class, name) = match spec.split_once('.') {
        Some((c, n)) => (Some(c), n),
        None => (None, spec),
    };
    let d = cap
        .debug
        .as_ref()
        .ok_or("base CAP has no Debug component")?;
    for c in &d.classes {
        let cname = dbg_str(cap, c.name_index);
        let simple = cname.rsplit('/').next().unwrap_or("");
        if class.is_some_and(|k| k != simple) {
            continue;
        }
        for m in &c.methods {
            if dbg_str(cap, m.name_index) == name && cap.method.method_at(m.location).is_some() {
                return Ok(m.location);
            }
        }
    }
    Err(format!("no method {spec}"))
}

/// Class component offset of the class with this simple name.
pub fn class(cap: &CapFile, simple: &str) -> Res<u16> {
    let d = cap
        .debug
        .as_ref()
        .ok_or("base CAP has no Debug component")?;
    d.classes
        .iter()
        .find(|c| dbg_str(cap, c.name_index).rsplit('/').next() == Some(simple))
        .map(|c| c.location)
        .ok_or(format!("no class {simple}"))
}

pub fn code(cap: &mut CapFile, off: u16) -> &mut Vec<u8> {
    let i = cap
        .method
        .methods
        .iter()
        .position(|m| m.offset == off)
        .expect("method");
    &mut cap.method.methods[i].bytecode
}

pub fn insns(cap: &CapFile, off: u16) -> Vec<Instruction> {
    decode_all(&cap.method.method_at(off).expect("method").bytecode).expect("decodes")
}

/// The `nth` (from 0) instruction with this opcode.
pub fn find(cap: &CapFile, off: u16, op: Opcode, nth: usize) -> Res<Instruction> {
    insns(cap, off)
        .into_iter()
        .filter(|i| i.opcode == op)
        .nth(nth)
        .ok_or(format!("no {op} #{nth} in method {off:#06x}"))
}

/// The first instruction matching `pred`.
pub fn find_by(cap: &CapFile, off: u16, pred: impl Fn(&Instruction) -> bool) -> Res<Instruction> {
    insns(cap, off)
        .into_iter()
        .find(|i| pred(i))
        .ok_or(format!("no matching instruction in {off:#06x}"))
}

/// Overwrites bytes at `pc` (same length), then rebuilds the reference locations.
pub fn patch(cap: &mut CapFile, off: u16, pc: u16, bytes: &[u8]) -> Res {
    let c = code(cap, off);
    let end = usize::from(pc) + bytes.len();
    if end > c.len() {
        return Err("patch past the end".into());
    }
    c[usize::from(pc)..end].copy_from_slice(bytes);
    fix(cap);
    Ok(())
}

pub fn header(cap: &mut CapFile, off: u16) -> &mut hydra_cap::component::MethodHeader {
    let i = cap
        .method
        .methods
        .iter()
        .position(|m| m.offset == off)
        .expect("method");
    &mut cap.method.methods[i].header
}

/// Replaces a method's code (dropping its handlers), sets max_stack and
/// max_locals, and lays the component out again.
pub fn set_body(cap: &mut CapFile, off: u16, max_stack: u8, max_locals: u8, body: &[u8]) -> Res {
    let m = cap.method.method_at(off).ok_or("no method")?;
    let start = u32::from(m.code_offset());
    let end = start + m.bytecode.len() as u32;
    cap.method
        .handlers
        .retain(|h| !(u32::from(h.start_offset) >= start && u32::from(h.start_offset) < end));
    let h = header(cap, off);
    if h.is_extended() || max_stack > 15 || max_locals > 15 {
        h.flags |= hydra_cap::component::method::ACC_EXTENDED;
    }
    h.max_stack = max_stack;
    h.max_locals = max_locals;
    *code(cap, off) = body.to_vec();
    relayout(cap);
    Ok(())
}

/// Lays the Method component out again after code or handler-table size
/// changes: every method offset and bytecode position named elsewhere
/// follows its method.
pub fn relayout(cap: &mut CapFile) {
    let old: Vec<u16> = cap.method.methods.iter().map(|m| m.offset).collect();
    let mut new = Vec::new();
    let mut at = 1 + 8 * cap.method.handlers.len();
    for m in &cap.method.methods {
        new.push(at as u16);
        at += m.header.encoded_len() + m.bytecode.len();
    }
    let mmap: BTreeMap<u16, u16> = old.iter().copied().zip(new.iter().copied()).collect();
    let map_method = |o: u16| mmap.get(&o).copied().unwrap_or(o);
    let map_pos = |p: u16| -> u16 {
        let i = old.partition_point(|&o| o <= p);
        if i == 0 {
            return p;
        }
        new[i - 1] + (p - old[i - 1])
    };
    for h in &mut cap.method.handlers {
        h.start_offset = map_pos(h.start_offset);
        h.handler_offset = map_pos(h.handler_offset);
    }
    for c in &mut cap.descriptor.classes {
        for m in &mut c.methods {
            if m.method_offset != 0 {
                m.method_offset = map_method(m.method_offset);
            }
        }
    }
    if let Some(a) = &mut cap.applet {
        for x in &mut a.applets {
            x.install_method_offset = map_method(x.install_method_offset);
        }
    }
    for e in &mut cap.constant_pool.entries {
        if let CpEntry::StaticMethod(StaticRef::Internal { offset }) = e {
            *offset = map_method(*offset);
        }
    }
    for e in &mut cap.class.entries {
        if let hydra_cap::component::ClassEntry::Class(c) = e {
            for o in c
                .public_virtual_method_table
                .iter_mut()
                .chain(c.package_virtual_method_table.iter_mut())
            {
                if *o != 0xFFFF && *o != 0 {
                    *o = map_method(*o);
                }
            }
        }
    }
    if let Some(e) = &mut cap.export {
        for c in &mut e.classes {
            for o in &mut c.static_method_offsets {
                *o = map_method(*o);
            }
        }
    }
    if let Some(d) = &mut cap.debug {
        for c in &mut d.classes {
            for m in &mut c.methods {
                m.location = map_method(m.location);
            }
        }
    }
    for (m, n) in cap.method.methods.iter_mut().zip(&new) {
        m.offset = *n;
    }
    fix(cap);
}

/// Rebuilds derived data: reference locations, Descriptor bytecode and
/// handler counts, Directory sizes.
pub fn fix(cap: &mut CapFile) {
    fix_refloc(cap);
    fix_descriptor(cap);
    fix_directory(cap);
}

pub fn fix_refloc(cap: &mut CapFile) {
    let mut one = Vec::new();
    let mut two = Vec::new();
    for (i, h) in cap.method.handlers.iter().enumerate() {
        if h.catch_type_index != 0 {
            two.push((1 + 8 * i + 6) as u16);
        }
    }
    for m in &cap.method.methods {
        let Ok(is) = decode_all(&m.bytecode) else {
            continue;
        };
        let base = m.code_offset();
        for i in is {
            let at = base + i.pc;
            match (i.opcode.format(), &i.operands) {
                (Some(OperandFormat::Cp8), _) => one.push(at + 1),
                (Some(OperandFormat::Cp16), _) => two.push(at + 1),
                (Some(OperandFormat::Interface), _) => two.push(at + 2),
                (Some(OperandFormat::TypeCheck), Operands::TypeCheck { atype: 0 | 14, .. }) => {
                    two.push(at + 2)
                }
                _ => {}
            }
        }
    }
    one.sort();
    two.sort();
    cap.reference_location = ReferenceLocation {
        byte_index_offsets: one,
        byte2_index_offsets: two,
    };
}

pub fn fix_descriptor(cap: &mut CapFile) {
    let methods = cap.method.methods.clone();
    let handlers = cap.method.handlers.clone();
    for c in &mut cap.descriptor.classes {
        for d in &mut c.methods {
            let Some(m) = methods.iter().find(|m| m.offset == d.method_offset) else {
                continue;
            };
            if m.header.is_abstract() {
                continue;
            }
            d.bytecode_count = m.bytecode.len() as u16;
            let start = u32::from(m.code_offset());
            let end = start + m.bytecode.len() as u32;
            let hs: Vec<usize> = handlers
                .iter()
                .enumerate()
                .filter(|(_, h)| {
                    u32::from(h.start_offset) >= start && u32::from(h.start_offset) < end
                })
                .map(|(i, _)| i)
                .collect();
            d.exception_handler_count = hs.len() as u16;
            d.exception_handler_index = hs.first().copied().unwrap_or(0) as u16;
        }
    }
}

pub fn fix_directory(cap: &mut CapFile) {
    for i in 0..cap.directory.component_sizes.len() {
        let tag = ComponentTag::from_u8(i as u8 + 1);
        let size = match cap.component_bytes(tag) {
            Ok(Some(b)) => b.len() - 3,
            _ => 0,
        };
        cap.directory.component_sizes[i] = size as u16;
    }
    cap.directory.static_field_size.image_size = cap.static_field.image_size;
}

/// Index of the first constant-pool entry matching `pred`.
pub fn cp(cap: &CapFile, pred: impl Fn(&CpEntry) -> bool) -> Res<u16> {
    cap.constant_pool
        .entries
        .iter()
        .position(pred)
        .map(|i| i as u16)
        .ok_or("no matching constant-pool entry".into())
}

/// Appends a constant-pool entry with its Descriptor type (0xFFFF for classes).
pub fn add_cp(cap: &mut CapFile, e: CpEntry, type_offset: u16) -> u16 {
    // Type descriptor offsets count from the start of type_descriptor_info,
    // which begins with the constant-pool type table: one more entry moves
    // every descriptor by two bytes.
    let shift = |o: &mut u16| {
        if *o != 0xFFFF {
            *o += 2;
        }
    };
    let t = &mut cap.descriptor.types;
    t.constant_pool_types.iter_mut().for_each(shift);
    t.type_desc.iter_mut().for_each(|(o, _)| *o += 2);
    for c in &mut cap.descriptor.classes {
        c.methods.iter_mut().for_each(|m| shift(&mut m.type_offset));
        for f in &mut c.fields {
            if let hydra_cap::component::FieldType::Offset(o) = &mut f.field_type {
                *o += 2;
            }
        }
    }
    let mut type_offset = type_offset;
    shift(&mut type_offset);
    cap.constant_pool.entries.push(e);
    cap.descriptor.types.constant_pool_types.push(type_offset);
    fix(cap);
    (cap.constant_pool.entries.len() - 1) as u16
}

/// Type offset in the Descriptor of constant-pool entry `i`.
pub fn cp_type(cap: &CapFile, i: u16) -> u16 {
    cap.descriptor.types.constant_pool_types[usize::from(i)]
}

/// The constant-pool index operand of an instruction.
pub fn cp_operand(i: &Instruction) -> u16 {
    i.cp_index().unwrap_or(0)
}

/// The CP index as the two bytes of a Cp16 operand.
pub fn be(i: u16) -> [u8; 2] {
    i.to_be_bytes()
}

pub fn internal(c: &ClassRef) -> Option<u16> {
    match c {
        ClassRef::Internal(o) => Some(*o),
        _ => None,
    }
}
