//! What `hydra inspect` shows, as one serialisable structure: the text view
//! and `--json` both render it.

use hydra_cap::component::descriptor::{
    ACC_FINAL, ACC_PRIVATE, ACC_PROTECTED, ACC_PUBLIC, ACC_STATIC,
};
use hydra_cap::component::{header, ClassEntry, FieldRef};
use hydra_cap::{CapFile, StaticRef};
use serde::Serialize;

use super::disasm::{disassemble, Line};
use super::symbols::Symbols;

#[derive(Debug, Serialize)]
pub struct Report {
    pub file: String,
    pub cap_format: String,
    pub package: Package,
    pub components: Vec<Component>,
    pub imports: Vec<Import>,
    pub applets: Vec<Applet>,
    pub classes: Vec<Class>,
    pub static_fields: StaticImage,
    pub constant_pool: Vec<CpLine>,
}

#[derive(Debug, Serialize)]
pub struct Package {
    pub name: String,
    pub aid: String,
    pub version: String,
    pub flags: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct Component {
    pub name: String,
    pub tag: u8,
    pub size: usize,
}

#[derive(Debug, Serialize)]
pub struct Import {
    pub token: u8,
    pub aid: String,
    pub version: String,
    pub name: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Applet {
    pub aid: String,
    pub install_method: String,
    pub install_method_offset: u16,
}

#[derive(Debug, Serialize)]
pub struct Class {
    pub name: String,
    pub kind: &'static str,
    pub token: Option<u8>,
    pub access: Vec<&'static str>,
    pub offset: u16,
    pub superclass: Option<String>,
    pub interfaces: Vec<String>,
    /// Instance size in words declared by this class (classes only).
    pub declared_instance_size: Option<u8>,
    pub fields: Vec<Field>,
    pub methods: Vec<Method>,
}

#[derive(Debug, Serialize)]
pub struct Field {
    pub name: String,
    pub descriptor: String,
    pub access: Vec<&'static str>,
    pub token: Option<u8>,
    /// Static field image offset.
    pub static_offset: Option<u16>,
}

#[derive(Debug, Serialize)]
pub struct Method {
    pub name: String,
    pub descriptor: String,
    pub access: Vec<&'static str>,
    pub token: Option<u8>,
    pub offset: u16,
    pub max_stack: Option<u8>,
    pub nargs: Option<u8>,
    pub max_locals: Option<u8>,
    pub bytecode_size: usize,
    pub handlers: Vec<Handler>,
    pub code: Vec<Line>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decode_error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Handler {
    pub start_pc: i32,
    pub end_pc: i32,
    pub handler_pc: i32,
    pub catch_type: String,
}

#[derive(Debug, Serialize)]
pub struct StaticImage {
    pub image_size: u16,
    pub reference_count: u16,
    pub array_init: Vec<ArrayInit>,
    pub default_value_count: u16,
    pub non_default_values: String,
}

#[derive(Debug, Serialize)]
pub struct ArrayInit {
    pub element_type: &'static str,
    pub values: Vec<i64>,
}

#[derive(Debug, Serialize)]
pub struct CpLine {
    pub index: u16,
    pub kind: &'static str,
    pub target: String,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn member_access(flags: u8) -> Vec<&'static str> {
    let mut v = Vec::new();
    if flags & ACC_PUBLIC != 0 {
        v.push("public");
    }
    if flags & ACC_PRIVATE != 0 {
        v.push("private");
    }
    if flags & ACC_PROTECTED != 0 {
        v.push("protected");
    }
    if flags & ACC_STATIC != 0 {
        v.push("static");
    }
    if flags & ACC_FINAL != 0 {
        v.push("final");
    }
    v
}

pub fn build(file: &str, cap: &CapFile, symbols: &Symbols<'_>) -> Report {
    let h = &cap.header;
    let mut flags = Vec::new();
    if h.flags & header::ACC_INT != 0 {
        flags.push("int");
    }
    if h.flags & header::ACC_EXPORT != 0 {
        flags.push("export");
    }
    if h.flags & header::ACC_APPLET != 0 {
        flags.push("applet");
    }
    let package = Package {
        name: symbols.package_name.clone(),
        aid: h.package.aid.to_string(),
        version: format!("{}.{}", h.package.major, h.package.minor),
        flags,
    };
    let components = cap
        .to_components()
        .map(|cs| {
            cs.iter()
                .map(|c| Component {
                    name: c.tag.to_string(),
                    tag: c.tag.to_u8(),
                    size: c.bytes.len() - 3,
                })
                .collect()
        })
        .unwrap_or_default();
    let imports = cap
        .import
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let name = symbols.package_by_token(i as u8);
            Import {
                token: i as u8,
                aid: p.aid.to_string(),
                version: format!("{}.{}", p.major, p.minor),
                name: (!name.starts_with("package[")).then_some(name),
            }
        })
        .collect();
    let applets = cap
        .applet
        .iter()
        .flat_map(|a| &a.applets)
        .map(|a| Applet {
            aid: a.aid.to_string(),
            install_method: symbols.qualified_method(a.install_method_offset),
            install_method_offset: a.install_method_offset,
        })
        .collect();

    let mut classes = Vec::new();
    for c in &cap.descriptor.classes {
        let hydra_cap::ClassRef::Internal(offset) = c.this_class else {
            continue;
        };
        let entry = cap.class_at(offset);
        let (kind, superclass, declared_instance_size) = match entry {
            Some(ClassEntry::Interface(_)) => ("interface", None, None),
            Some(ClassEntry::Class(ci)) => (
                "class",
                ci.super_class.map(|s| symbols.class_ref(s)),
                Some(ci.declared_instance_size),
            ),
            None => ("<missing from Class component>", None, None),
        };
        let mut access = member_access(c.access_flags & 0x1f);
        if c.access_flags & 0x80 != 0 {
            access.push("abstract");
        }
        if let Some(ClassEntry::Interface(i)) = entry {
            if i.flags & hydra_cap::component::class::ACC_SHAREABLE != 0 {
                access.push("shareable");
            }
        }
        let fields = c
            .fields
            .iter()
            .map(|f| {
                let (name, static_offset) = match f.field_ref {
                    FieldRef::Static(StaticRef::Internal { offset }) => {
                        (symbols.static_field_name(offset), Some(offset))
                    }
                    FieldRef::Instance { token, .. } => (
                        symbols
                            .instance_field_name(offset, token)
                            .unwrap_or_else(|| format!("field#{token}")),
                        None,
                    ),
                    FieldRef::Static(StaticRef::External { token, .. }) => {
                        (format!("static#{token}"), None)
                    }
                };
                Field {
                    name,
                    descriptor: symbols.field_type(f.field_type),
                    access: member_access(f.access_flags),
                    token: (f.token != 0xFF).then_some(f.token),
                    static_offset,
                }
            })
            .collect();
        let methods = c
            .methods
            .iter()
            .enumerate()
            .map(|(index, m)| {
                let (name, descriptor) = if m.method_offset != 0 {
                    symbols.method_at(m.method_offset)
                } else if let Some(nd) = symbols.interface_method(offset, index, c.methods.len()) {
                    nd
                } else {
                    let d = cap
                        .descriptor
                        .types
                        .at(m.type_offset)
                        .map(|t| symbols.method_signature(t))
                        .unwrap_or_default();
                    (format!("abstract#{}", m.token), d)
                };
                let mut access = member_access(m.access_flags & 0x1f);
                if m.is_abstract() {
                    access.push("abstract");
                }
                if m.is_init() {
                    access.push("constructor");
                }
                let info = (m.method_offset != 0)
                    .then(|| cap.method.method_at(m.method_offset))
                    .flatten();
                let (code, decode_error, handlers) = match info {
                    Some(info) => {
                        let (lines, err) = disassemble(&info.bytecode, symbols);
                        let base = i32::from(info.code_offset());
                        let handlers = cap
                            .method
                            .handlers_of(info)
                            .map(|h| Handler {
                                start_pc: i32::from(h.start_offset) - base,
                                end_pc: h.end_offset() as i32 - base,
                                handler_pc: i32::from(h.handler_offset) - base,
                                catch_type: if h.catch_type_index == 0 {
                                    "any".to_owned()
                                } else {
                                    symbols.cp_entry(h.catch_type_index)
                                },
                            })
                            .collect();
                        (lines, err.map(|e| e.to_string()), handlers)
                    }
                    None => (Vec::new(), None, Vec::new()),
                };
                Method {
                    name,
                    descriptor,
                    access,
                    token: (m.token != 0xFF).then_some(m.token),
                    offset: m.method_offset,
                    max_stack: info.map(|i| i.header.max_stack),
                    nargs: info.map(|i| i.header.nargs),
                    max_locals: info.map(|i| i.header.max_locals),
                    bytecode_size: info.map_or(0, |i| i.bytecode.len()),
                    handlers,
                    code,
                    decode_error,
                }
            })
            .collect();
        classes.push(Class {
            name: symbols.class_ref(c.this_class),
            kind,
            token: (c.token != 0xFF).then_some(c.token),
            access,
            offset,
            superclass,
            interfaces: c.interfaces.iter().map(|i| symbols.class_ref(*i)).collect(),
            declared_instance_size,
            fields,
            methods,
        });
    }

    let sf = &cap.static_field;
    let static_fields = StaticImage {
        image_size: sf.image_size,
        reference_count: sf.reference_count,
        array_init: sf
            .array_init
            .iter()
            .map(|a| {
                let size = a.element_size();
                ArrayInit {
                    element_type: match a.element_type {
                        2 => "boolean",
                        3 => "byte",
                        4 => "short",
                        _ => "int",
                    },
                    values: a
                        .values
                        .chunks(size)
                        .map(|c| match c.len() {
                            1 if a.element_type == 2 => i64::from(c[0]),
                            1 => i64::from(c[0] as i8),
                            2 => i64::from(i16::from_be_bytes([c[0], c[1]])),
                            4 => i64::from(i32::from_be_bytes([c[0], c[1], c[2], c[3]])),
                            _ => 0,
                        })
                        .collect(),
                }
            })
            .collect(),
        default_value_count: sf.default_value_count,
        non_default_values: hex(&sf.non_default_values),
    };
    let constant_pool = cap
        .constant_pool
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| CpLine {
            index: i as u16,
            kind: e.kind_name(),
            target: symbols.cp_entry(i as u16),
        })
        .collect();
    Report {
        file: file.to_owned(),
        cap_format: h.version.to_string(),
        package,
        components,
        imports,
        applets,
        classes,
        static_fields,
        constant_pool,
    }
}
