//! ConstantPool component (tag 5): the references bytecodes use, 4 bytes each.

use alloc::vec::Vec;

use super::{ClassRef, StaticRef};
use crate::bytes::{Reader, Writer};
use crate::error::{CapErrorKind, Result};

pub const CONSTANT_CLASSREF: u8 = 1;
pub const CONSTANT_INSTANCE_FIELDREF: u8 = 2;
pub const CONSTANT_VIRTUAL_METHODREF: u8 = 3;
pub const CONSTANT_SUPER_METHODREF: u8 = 4;
pub const CONSTANT_STATIC_FIELDREF: u8 = 5;
pub const CONSTANT_STATIC_METHODREF: u8 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CpEntry {
    Class(ClassRef),
    InstanceField { class: ClassRef, token: u8 },
    VirtualMethod { class: ClassRef, token: u8 },
    SuperMethod { class: ClassRef, token: u8 },
    StaticField(StaticRef),
    StaticMethod(StaticRef),
}

impl CpEntry {
    pub fn tag(&self) -> u8 {
        match self {
            CpEntry::Class(_) => CONSTANT_CLASSREF,
            CpEntry::InstanceField { .. } => CONSTANT_INSTANCE_FIELDREF,
            CpEntry::VirtualMethod { .. } => CONSTANT_VIRTUAL_METHODREF,
            CpEntry::SuperMethod { .. } => CONSTANT_SUPER_METHODREF,
            CpEntry::StaticField(_) => CONSTANT_STATIC_FIELDREF,
            CpEntry::StaticMethod(_) => CONSTANT_STATIC_METHODREF,
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self {
            CpEntry::Class(_) => "classref",
            CpEntry::InstanceField { .. } => "instance fieldref",
            CpEntry::VirtualMethod { .. } => "virtual methodref",
            CpEntry::SuperMethod { .. } => "super methodref",
            CpEntry::StaticField(_) => "static fieldref",
            CpEntry::StaticMethod(_) => "static methodref",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstantPool {
    pub entries: Vec<CpEntry>,
}

impl ConstantPool {
    pub fn parse(r: &mut Reader<'_>) -> Result<ConstantPool> {
        let count = usize::from(r.u2("constant pool count")?);
        let mut entries = Vec::with_capacity(count.min(r.remaining() / 4));
        for _ in 0..count {
            let at = r.pos();
            let tag = r.u1("constant pool tag")?;
            let entry = match tag {
                CONSTANT_CLASSREF => {
                    let c = ClassRef::read(r, "class reference")?;
                    r.padding("classref padding")?;
                    CpEntry::Class(c)
                }
                CONSTANT_INSTANCE_FIELDREF
                | CONSTANT_VIRTUAL_METHODREF
                | CONSTANT_SUPER_METHODREF => {
                    let class = ClassRef::read(r, "class reference")?;
                    let token = r.u1("token")?;
                    match tag {
                        CONSTANT_INSTANCE_FIELDREF => CpEntry::InstanceField { class, token },
                        CONSTANT_VIRTUAL_METHODREF => CpEntry::VirtualMethod { class, token },
                        _ => CpEntry::SuperMethod { class, token },
                    }
                }
                CONSTANT_STATIC_FIELDREF => CpEntry::StaticField(StaticRef::read(r)?),
                CONSTANT_STATIC_METHODREF => CpEntry::StaticMethod(StaticRef::read(r)?),
                other => {
                    return Err(r.error_at(
                        at,
                        CapErrorKind::InvalidValue {
                            what: "constant pool tag",
                            value: other.into(),
                        },
                    ))
                }
            };
            entries.push(entry);
        }
        Ok(ConstantPool { entries })
    }

    pub fn write(&self, w: &mut Writer) {
        w.u2(self.entries.len() as u16);
        for e in &self.entries {
            w.u1(e.tag());
            match *e {
                CpEntry::Class(c) => {
                    c.write(w);
                    w.u1(0);
                }
                CpEntry::InstanceField { class, token }
                | CpEntry::VirtualMethod { class, token }
                | CpEntry::SuperMethod { class, token } => {
                    class.write(w);
                    w.u1(token);
                }
                CpEntry::StaticField(s) | CpEntry::StaticMethod(s) => s.write(w),
            }
        }
    }

    pub fn get(&self, index: u16) -> Option<&CpEntry> {
        self.entries.get(usize::from(index))
    }
}
