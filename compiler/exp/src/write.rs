//! The export-file writer: the exact inverse of the parser.

use alloc::vec::Vec;

use crate::error::WriteError;
use crate::{ClassInfo, Constant, ExportFile, MAGIC};

fn count<const MAX: usize>(what: &'static str, n: usize) -> Result<usize, WriteError> {
    if n > MAX {
        return Err(WriteError::TooMany {
            what,
            count: n,
            max: MAX,
        });
    }
    Ok(n)
}

fn u1_count(out: &mut Vec<u8>, what: &'static str, n: usize) -> Result<(), WriteError> {
    out.push(count::<0xFF>(what, n)? as u8);
    Ok(())
}

fn u2_count(out: &mut Vec<u8>, what: &'static str, n: usize) -> Result<(), WriteError> {
    u2(out, count::<0xFFFF>(what, n)? as u16);
    Ok(())
}

fn u2(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn write(file: &ExportFile, out: &mut Vec<u8>) -> Result<(), WriteError> {
    let v = file.version;
    out.extend_from_slice(&MAGIC.to_be_bytes());
    out.push(v.minor());
    out.push(v.major());
    u2_count(out, "constant_pool", file.constant_pool.len())?;
    for c in &file.constant_pool {
        match c {
            Constant::Utf8(s) => {
                out.push(Constant::TAG_UTF8);
                u2_count(out, "CONSTANT_Utf8 bytes", s.len())?;
                out.extend_from_slice(s.as_bytes());
            }
            Constant::Integer(i) => {
                out.push(Constant::TAG_INTEGER);
                out.extend_from_slice(&i.to_be_bytes());
            }
            Constant::ClassRef { name_index } => {
                out.push(Constant::TAG_CLASSREF);
                u2(out, *name_index);
            }
            Constant::Package(p) => {
                out.push(Constant::TAG_PACKAGE);
                out.push(p.flags);
                u2(out, p.name_index);
                out.push(p.minor_version);
                out.push(p.major_version);
                u1_count(out, "CONSTANT_Package aid", p.aid.len())?;
                out.extend_from_slice(&p.aid);
            }
        }
    }
    u2(out, file.this_package);
    if v.has_references() {
        u1_count(out, "referenced_packages", file.referenced_packages.len())?;
        for &p in &file.referenced_packages {
            u2(out, p);
        }
    } else if !file.referenced_packages.is_empty() {
        return Err(WriteError::NotInFormat {
            what: "referenced_packages",
            major: v.major(),
            minor: v.minor(),
        });
    }
    u1_count(out, "classes", file.classes.len())?;
    for c in &file.classes {
        write_class(file, c, out)?;
    }
    Ok(())
}

fn write_class(file: &ExportFile, c: &ClassInfo, out: &mut Vec<u8>) -> Result<(), WriteError> {
    out.push(c.token);
    u2(out, c.access_flags);
    u2(out, c.name_index);
    u2_count(out, "supers", c.supers.len())?;
    for &s in &c.supers {
        u2(out, s);
    }
    u1_count(out, "interfaces", c.interfaces.len())?;
    for &i in &c.interfaces {
        u2(out, i);
    }
    u2_count(out, "fields", c.fields.len())?;
    for f in &c.fields {
        out.push(f.token);
        u2(out, f.access_flags);
        u2(out, f.name_index);
        u2(out, f.descriptor_index);
        u2_count(out, "attributes", f.attributes.len())?;
        for a in &f.attributes {
            u2(out, a.name_index);
            let len = count::<{ u32::MAX as usize }>("attribute info", a.info.len())?;
            out.extend_from_slice(&(len as u32).to_be_bytes());
            out.extend_from_slice(&a.info);
        }
    }
    u2_count(out, "methods", c.methods.len())?;
    for m in &c.methods {
        out.push(m.token);
        u2(out, m.access_flags);
        u2(out, m.name_index);
        u2(out, m.descriptor_index);
    }
    let v = file.version;
    match (
        v.has_references(),
        c.cap22_inheritable_public_method_token_count,
    ) {
        (true, Some(n)) => out.push(n),
        (true, None) => {
            return Err(WriteError::Missing {
                what: "CAP22_inheritable_public_method_token_count",
            })
        }
        (false, None) => {}
        (false, Some(_)) => {
            return Err(WriteError::NotInFormat {
                what: "CAP22_inheritable_public_method_token_count",
                major: v.major(),
                minor: v.minor(),
            })
        }
    }
    Ok(())
}
