//! Descriptor component (tag 11): tokens, access flags and types of every
//! class, field and method the package defines, and the types of the
//! constant-pool entries.

use alloc::vec::Vec;

use super::{read_vec, ClassRef, StaticRef, TypeDescriptor};
use crate::bytes::{Reader, Writer};
use crate::error::Result;

pub const ACC_PUBLIC: u8 = 0x01;
pub const ACC_PRIVATE: u8 = 0x02;
pub const ACC_PROTECTED: u8 = 0x04;
pub const ACC_STATIC: u8 = 0x08;
pub const ACC_FINAL: u8 = 0x10;
/// Class access flag.
pub const ACC_INTERFACE: u8 = 0x40;
/// Class and method access flag.
pub const ACC_ABSTRACT: u8 = 0x80;
/// Method access flag: a constructor (`<init>`). Shares its bit with class ACC_ABSTRACT.
pub const ACC_INIT: u8 = 0x80;
/// Method access flag.
pub const ACC_METHOD_ABSTRACT: u8 = 0x40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRef {
    Static(StaticRef),
    Instance { class: ClassRef, token: u8 },
}

/// A field's type: a primitive code, or an offset into [`TypeDescriptorInfo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// 2 boolean, 3 byte, 4 short, 5 int.
    Primitive(u8),
    Offset(u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDescriptor {
    /// 0xFF for private and package-visible static fields.
    pub token: u8,
    pub access_flags: u8,
    pub field_ref: FieldRef,
    pub field_type: FieldType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodDescriptor {
    /// Virtual or static method token; 0xFF when none is assigned.
    pub token: u8,
    pub access_flags: u8,
    /// Method component offset; 0 for abstract methods and interface methods.
    pub method_offset: u16,
    /// Offset of the signature in [`TypeDescriptorInfo`].
    pub type_offset: u16,
    pub bytecode_count: u16,
    pub exception_handler_count: u16,
    pub exception_handler_index: u16,
}

impl MethodDescriptor {
    pub fn is_static(&self) -> bool {
        self.access_flags & ACC_STATIC != 0
    }
    pub fn is_init(&self) -> bool {
        self.access_flags & ACC_INIT != 0
    }
    pub fn is_abstract(&self) -> bool {
        self.access_flags & ACC_METHOD_ABSTRACT != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassDescriptor {
    /// 0xFF for package-visible classes.
    pub token: u8,
    pub access_flags: u8,
    pub this_class: ClassRef,
    pub interfaces: Vec<ClassRef>,
    pub fields: Vec<FieldDescriptor>,
    pub methods: Vec<MethodDescriptor>,
}

impl ClassDescriptor {
    pub fn is_interface(&self) -> bool {
        self.access_flags & ACC_INTERFACE != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeDescriptorInfo {
    /// For each constant-pool entry, the offset of its type, or 0xFFFF (classes).
    pub constant_pool_types: Vec<u16>,
    /// Each descriptor with its offset from the start of `type_descriptor_info`.
    pub type_desc: Vec<(u16, TypeDescriptor)>,
}

impl TypeDescriptorInfo {
    pub fn at(&self, offset: u16) -> Option<&TypeDescriptor> {
        self.type_desc
            .binary_search_by_key(&offset, |(o, _)| *o)
            .ok()
            .map(|i| &self.type_desc[i].1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptorComponent {
    pub classes: Vec<ClassDescriptor>,
    pub types: TypeDescriptorInfo,
}

impl DescriptorComponent {
    pub fn parse(r: &mut Reader<'_>) -> Result<DescriptorComponent> {
        let count = r.u1("class count")?;
        let classes = read_vec(r, count.into(), |r| {
            let token = r.u1("class token")?;
            let access_flags = r.u1("class access flags")?;
            let this_class = ClassRef::read(r, "this class")?;
            let interface_count = r.u1("interface count")?;
            let field_count = r.u2("field count")?;
            let method_count = r.u2("method count")?;
            let interfaces = read_vec(r, interface_count.into(), |r| {
                ClassRef::read(r, "interface")
            })?;
            let fields = read_vec(r, field_count.into(), |r| {
                let token = r.u1("field token")?;
                let access_flags = r.u1("field access flags")?;
                let field_ref = if access_flags & ACC_STATIC != 0 {
                    FieldRef::Static(StaticRef::read(r)?)
                } else {
                    FieldRef::Instance {
                        class: ClassRef::read(r, "field class")?,
                        token: r.u1("instance field token")?,
                    }
                };
                let t = r.u2("field type")?;
                let field_type = if t & 0x8000 != 0 {
                    FieldType::Primitive((t & 0xff) as u8)
                } else {
                    FieldType::Offset(t)
                };
                Ok(FieldDescriptor {
                    token,
                    access_flags,
                    field_ref,
                    field_type,
                })
            })?;
            let methods = read_vec(r, method_count.into(), |r| {
                Ok(MethodDescriptor {
                    token: r.u1("method token")?,
                    access_flags: r.u1("method access flags")?,
                    method_offset: r.u2("method offset")?,
                    type_offset: r.u2("method type offset")?,
                    bytecode_count: r.u2("bytecode count")?,
                    exception_handler_count: r.u2("exception handler count")?,
                    exception_handler_index: r.u2("exception handler index")?,
                })
            })?;
            Ok(ClassDescriptor {
                token,
                access_flags,
                this_class,
                interfaces,
                fields,
                methods,
            })
        })?;
        let types_start = r.pos();
        let cp_count = r.u2("constant pool count")?;
        let constant_pool_types = read_vec(r, cp_count.into(), |r| r.u2("constant pool type"))?;
        let mut type_desc = Vec::new();
        while !r.is_empty() {
            let offset = (r.pos() - types_start) as u16;
            type_desc.push((offset, TypeDescriptor::read(r)?));
        }
        Ok(DescriptorComponent {
            classes,
            types: TypeDescriptorInfo {
                constant_pool_types,
                type_desc,
            },
        })
    }

    pub fn write(&self, w: &mut Writer) {
        w.u1(self.classes.len() as u8);
        for c in &self.classes {
            w.u1(c.token);
            w.u1(c.access_flags);
            c.this_class.write(w);
            w.u1(c.interfaces.len() as u8);
            w.u2(c.fields.len() as u16);
            w.u2(c.methods.len() as u16);
            for i in &c.interfaces {
                i.write(w);
            }
            for f in &c.fields {
                w.u1(f.token);
                w.u1(f.access_flags);
                match f.field_ref {
                    FieldRef::Static(s) => s.write(w),
                    FieldRef::Instance { class, token } => {
                        class.write(w);
                        w.u1(token);
                    }
                }
                match f.field_type {
                    FieldType::Primitive(p) => w.u2(0x8000 | u16::from(p)),
                    FieldType::Offset(o) => w.u2(o),
                }
            }
            for m in &c.methods {
                w.u1(m.token);
                w.u1(m.access_flags);
                w.u2(m.method_offset);
                w.u2(m.type_offset);
                w.u2(m.bytecode_count);
                w.u2(m.exception_handler_count);
                w.u2(m.exception_handler_index);
            }
        }
        w.u2(self.types.constant_pool_types.len() as u16);
        for t in &self.types.constant_pool_types {
            w.u2(*t);
        }
        for (_, t) in &self.types.type_desc {
            t.write(w);
        }
    }
}
