//! Class component (tag 6): interfaces and classes with their virtual method
//! tables and implemented-interface maps.

use alloc::vec::Vec;

use super::{read_vec, CapVersion, ClassRef, TypeDescriptor};
use crate::bytes::{Reader, Writer};
use crate::error::{CapErrorKind, Result};

pub const ACC_INTERFACE: u8 = 0x8;
pub const ACC_SHAREABLE: u8 = 0x4;
pub const ACC_REMOTE: u8 = 0x2;

/// Format 2.3 adds a mapping from public virtual method tokens to table slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenMapping {
    /// One entry per public virtual method token below `base + count`.
    pub public_virtual_method_token_mapping: Vec<u8>,
    pub cap22_inheritable_public_method_token_count: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteMethodInfo {
    pub remote_method_hash: u16,
    pub signature_offset: u16,
    pub virtual_method_token: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteInterfaceInfo {
    pub remote_methods: Vec<RemoteMethodInfo>,
    pub hash_modifier: Vec<u8>,
    pub class_name: Vec<u8>,
    pub remote_interfaces: Vec<ClassRef>,
}

impl RemoteInterfaceInfo {
    fn read(r: &mut Reader<'_>) -> Result<RemoteInterfaceInfo> {
        let count = r.u1("remote methods count")?;
        let remote_methods = read_vec(r, count.into(), |r| {
            Ok(RemoteMethodInfo {
                remote_method_hash: r.u2("remote method hash")?,
                signature_offset: r.u2("signature offset")?,
                virtual_method_token: r.u1("virtual method token")?,
            })
        })?;
        let len = r.u1("hash modifier length")?;
        let hash_modifier = r.bytes(len.into(), "hash modifier")?.to_vec();
        let len = r.u1("class name length")?;
        let class_name = r.bytes(len.into(), "class name")?.to_vec();
        let count = r.u1("remote interfaces count")?;
        let remote_interfaces =
            read_vec(r, count.into(), |r| ClassRef::read(r, "remote interface"))?;
        Ok(RemoteInterfaceInfo {
            remote_methods,
            hash_modifier,
            class_name,
            remote_interfaces,
        })
    }

    fn write(&self, w: &mut Writer) {
        w.u1(self.remote_methods.len() as u8);
        for m in &self.remote_methods {
            w.u2(m.remote_method_hash);
            w.u2(m.signature_offset);
            w.u1(m.virtual_method_token);
        }
        w.u1(self.hash_modifier.len() as u8);
        w.bytes(&self.hash_modifier);
        w.u1(self.class_name.len() as u8);
        w.bytes(&self.class_name);
        w.u1(self.remote_interfaces.len() as u8);
        for c in &self.remote_interfaces {
            c.write(w);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// Offset of this entry in the component's info (what a `ClassRef::Internal` holds).
    pub offset: u16,
    /// ACC_INTERFACE, ACC_SHAREABLE, ACC_REMOTE (high nibble of the first byte).
    pub flags: u8,
    pub superinterfaces: Vec<ClassRef>,
    /// Format 2.2+, remote interfaces only: the interface's name.
    pub interface_name: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImplementedInterface {
    pub interface: ClassRef,
    /// For each method of the interface (by interface method token), the class's
    /// virtual method token implementing it.
    pub index: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassInfo {
    pub offset: u16,
    pub flags: u8,
    /// `None` only for java.lang.Object (0xFFFF).
    pub super_class: Option<ClassRef>,
    /// Instance size in 16-bit words, fields declared by this class only.
    pub declared_instance_size: u8,
    /// 0xFF when the class declares no reference fields.
    pub first_reference_token: u8,
    pub reference_count: u8,
    pub public_method_table_base: u8,
    pub package_method_table_base: u8,
    /// Method component offsets, for public tokens `base..base+len`.
    pub public_virtual_method_table: Vec<u16>,
    pub package_virtual_method_table: Vec<u16>,
    pub interfaces: Vec<ImplementedInterface>,
    pub remote_interfaces: Option<RemoteInterfaceInfo>,
    pub token_mapping: Option<TokenMapping>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassEntry {
    Interface(InterfaceInfo),
    Class(ClassInfo),
}

impl ClassEntry {
    pub fn offset(&self) -> u16 {
        match self {
            ClassEntry::Interface(i) => i.offset,
            ClassEntry::Class(c) => c.offset,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassComponent {
    /// Format 2.2+: signatures of remote methods.
    pub signature_pool: Option<Vec<TypeDescriptor>>,
    pub entries: Vec<ClassEntry>,
}

impl ClassComponent {
    pub fn parse(r: &mut Reader<'_>, version: CapVersion) -> Result<ClassComponent> {
        let signature_pool = if version >= CapVersion::V2_2 {
            let len = usize::from(r.u2("signature pool length")?);
            let mut pool_reader = r.sub(len, "signature pool")?;
            let mut pool = Vec::new();
            while !pool_reader.is_empty() {
                pool.push(TypeDescriptor::read(&mut pool_reader)?);
            }
            Some(pool)
        } else {
            None
        };
        let mut entries = Vec::new();
        while !r.is_empty() {
            let offset = r.pos() as u16;
            let bits = r.u1("class flags and interface count")?;
            let flags = bits >> 4;
            let interface_count = usize::from(bits & 0xf);
            if flags & ACC_INTERFACE != 0 {
                let superinterfaces =
                    read_vec(r, interface_count, |r| ClassRef::read(r, "superinterface"))?;
                let interface_name = if flags & ACC_REMOTE != 0 && version >= CapVersion::V2_2 {
                    let len = r.u1("interface name length")?;
                    Some(r.bytes(len.into(), "interface name")?.to_vec())
                } else {
                    None
                };
                entries.push(ClassEntry::Interface(InterfaceInfo {
                    offset,
                    flags,
                    superinterfaces,
                    interface_name,
                }));
                continue;
            }
            let super_raw = r.u2("super class reference")?;
            let super_class = (super_raw != 0xFFFF).then(|| ClassRef::from_u16(super_raw));
            let declared_instance_size = r.u1("declared instance size")?;
            let first_reference_token = r.u1("first reference token")?;
            let reference_count = r.u1("reference count")?;
            let public_method_table_base = r.u1("public method table base")?;
            let public_count = r.u1("public method table count")?;
            let package_method_table_base = r.u1("package method table base")?;
            let package_count = r.u1("package method table count")?;
            let public_virtual_method_table = read_vec(r, public_count.into(), |r| {
                r.u2("public virtual method offset")
            })?;
            let package_virtual_method_table = read_vec(r, package_count.into(), |r| {
                r.u2("package virtual method offset")
            })?;
            let interfaces = read_vec(r, interface_count, |r| {
                let interface = ClassRef::read(r, "implemented interface")?;
                let count = r.u1("interface method count")?;
                let index = r.bytes(count.into(), "interface method index")?.to_vec();
                Ok(ImplementedInterface { interface, index })
            })?;
            let remote_interfaces = if flags & ACC_REMOTE != 0 {
                Some(RemoteInterfaceInfo::read(r)?)
            } else {
                None
            };
            let token_mapping = if version >= CapVersion::V2_3 {
                let len = usize::from(public_method_table_base) + usize::from(public_count);
                let at = r.pos();
                let mapping = r
                    .bytes(len, "public virtual method token mapping")?
                    .to_vec();
                if len > 255 {
                    return Err(r.error_at(
                        at,
                        CapErrorKind::OutOfRange {
                            what: "public virtual method token count",
                            value: len,
                            limit: 255,
                        },
                    ));
                }
                Some(TokenMapping {
                    public_virtual_method_token_mapping: mapping,
                    cap22_inheritable_public_method_token_count: r
                        .u1("CAP 2.2 inheritable public method token count")?,
                })
            } else {
                None
            };
            entries.push(ClassEntry::Class(ClassInfo {
                offset,
                flags,
                super_class,
                declared_instance_size,
                first_reference_token,
                reference_count,
                public_method_table_base,
                package_method_table_base,
                public_virtual_method_table,
                package_virtual_method_table,
                interfaces,
                remote_interfaces,
                token_mapping,
            }));
        }
        Ok(ClassComponent {
            signature_pool,
            entries,
        })
    }

    pub fn write(&self, w: &mut Writer) {
        if let Some(pool) = &self.signature_pool {
            let len: usize = pool.iter().map(TypeDescriptor::encoded_len).sum();
            w.u2(len as u16);
            for t in pool {
                t.write(w);
            }
        }
        for e in &self.entries {
            match e {
                ClassEntry::Interface(i) => {
                    w.u1((i.flags << 4) | i.superinterfaces.len() as u8);
                    for s in &i.superinterfaces {
                        s.write(w);
                    }
                    if let Some(name) = &i.interface_name {
                        w.u1(name.len() as u8);
                        w.bytes(name);
                    }
                }
                ClassEntry::Class(c) => {
                    w.u1((c.flags << 4) | c.interfaces.len() as u8);
                    w.u2(c.super_class.map_or(0xFFFF, ClassRef::to_u16));
                    w.u1(c.declared_instance_size);
                    w.u1(c.first_reference_token);
                    w.u1(c.reference_count);
                    w.u1(c.public_method_table_base);
                    w.u1(c.public_virtual_method_table.len() as u8);
                    w.u1(c.package_method_table_base);
                    w.u1(c.package_virtual_method_table.len() as u8);
                    for m in c
                        .public_virtual_method_table
                        .iter()
                        .chain(&c.package_virtual_method_table)
                    {
                        w.u2(*m);
                    }
                    for i in &c.interfaces {
                        i.interface.write(w);
                        w.u1(i.index.len() as u8);
                        w.bytes(&i.index);
                    }
                    if let Some(remote) = &c.remote_interfaces {
                        remote.write(w);
                    }
                    if let Some(m) = &c.token_mapping {
                        w.bytes(&m.public_virtual_method_token_mapping);
                        w.u1(m.cap22_inheritable_public_method_token_count);
                    }
                }
            }
        }
    }

    /// The interface or class at an internal class reference offset.
    pub fn at_offset(&self, offset: u16) -> Option<&ClassEntry> {
        self.entries.iter().find(|e| e.offset() == offset)
    }
}
