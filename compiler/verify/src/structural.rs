//! Structural checks: each component's internal consistency and the
//! consistency between components (beyond what parsing already enforces).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use hydra_cap::bytecode::{decode_all, OperandFormat, Operands};
use hydra_cap::component::descriptor::ACC_PRIVATE;
use hydra_cap::component::header::{ACC_APPLET, ACC_EXPORT};
use hydra_cap::component::{ClassEntry, CpEntry, FieldRef, FieldType, StaticRef};
use hydra_cap::{Aid, CapFile, ClassRef, ComponentTag};

use crate::error::{ErrorKind, Location, VerifyError};
use crate::model::{Resolved, Universe};
use crate::types::{Elem, JType, Sig};

struct Out<'a> {
    errors: &'a mut Vec<VerifyError>,
}

impl Out<'_> {
    fn at(&mut self, c: ComponentTag, item: impl Into<Option<String>>, kind: ErrorKind) {
        self.errors.push(VerifyError::new(
            Location {
                component: Some(c),
                item: item.into(),
                ..Location::default()
            },
            kind,
        ));
    }

    fn inconsistent(
        &mut self,
        c: ComponentTag,
        item: impl Into<Option<String>>,
        what: &'static str,
        expected: impl ToString,
        found: impl ToString,
    ) {
        self.at(
            c,
            item,
            ErrorKind::Inconsistent {
                what,
                expected: expected.to_string(),
                found: found.to_string(),
            },
        );
    }
}

pub(crate) fn check(cap: &CapFile, u: &Universe, errors: &mut Vec<VerifyError>) {
    let mut o = Out { errors };
    header_and_directory(cap, &mut o);
    imports(cap, &mut o);
    applets(cap, u, &mut o);
    cp_types(cap, u, &mut o);
    descriptors(cap, u, &mut o);
    handlers(cap, &mut o);
    static_fields(cap, u, &mut o);
    reference_locations(cap, &mut o);
    export(cap, u, &mut o);
    class_tables(cap, u, &mut o);
    field_layouts(cap, &mut o);
    defined_methods_in_tables(cap, &mut o);
}

fn header_and_directory(cap: &CapFile, o: &mut Out<'_>) {
    use ComponentTag::*;
    let flags = cap.header.flags;
    if (flags & ACC_APPLET != 0) != cap.applet.is_some() {
        o.inconsistent(
            Header,
            None,
            "ACC_APPLET flag",
            if cap.applet.is_some() {
                "set (Applet component present)"
            } else {
                "clear (no Applet component)"
            },
            if flags & ACC_APPLET != 0 {
                "set"
            } else {
                "clear"
            },
        );
    }
    if (flags & ACC_EXPORT != 0) != cap.export.is_some() {
        o.inconsistent(
            Header,
            None,
            "ACC_EXPORT flag",
            if cap.export.is_some() {
                "set (Export component present)"
            } else {
                "clear (no Export component)"
            },
            if flags & ACC_EXPORT != 0 {
                "set"
            } else {
                "clear"
            },
        );
    }
    let d = &cap.directory;
    if usize::from(d.import_count) != cap.import.packages.len() {
        o.inconsistent(
            Directory,
            None,
            "import count",
            cap.import.packages.len(),
            d.import_count,
        );
    }
    let applets = cap.applet.as_ref().map_or(0, |a| a.applets.len());
    if usize::from(d.applet_count) != applets {
        o.inconsistent(Directory, None, "applet count", applets, d.applet_count);
    }
    let sf = &cap.static_field;
    if d.static_field_size.image_size != sf.image_size {
        o.inconsistent(
            Directory,
            None,
            "static field image size",
            sf.image_size,
            d.static_field_size.image_size,
        );
    }
    if usize::from(d.static_field_size.array_init_count) != sf.array_init.len() {
        o.inconsistent(
            Directory,
            None,
            "array init count",
            sf.array_init.len(),
            d.static_field_size.array_init_count,
        );
    }
    let init_size: usize = sf.array_init.iter().map(|a| a.values.len()).sum();
    if usize::from(d.static_field_size.array_init_size) != init_size {
        o.inconsistent(
            Directory,
            None,
            "array init size",
            init_size,
            d.static_field_size.array_init_size,
        );
    }
}

fn imports(cap: &CapFile, o: &mut Out<'_>) {
    let pk = &cap.import.packages;
    if pk.len() > 128 {
        o.inconsistent(
            ComponentTag::Import,
            None,
            "import count",
            "at most 128",
            pk.len(),
        );
    }
    for (i, p) in pk.iter().enumerate() {
        if p.aid == cap.header.package.aid {
            o.inconsistent(
                ComponentTag::Import,
                format!("import {i}"),
                "imported package",
                "another package",
                "the package itself",
            );
        }
        if pk[..i].iter().any(|q| q.aid == p.aid) {
            o.inconsistent(
                ComponentTag::Import,
                format!("import {i}"),
                "imported package",
                "imported once",
                format!("{} imported twice", p.aid),
            );
        }
    }
}

fn applets(cap: &CapFile, u: &Universe, o: &mut Out<'_>) {
    let Some(a) = &cap.applet else { return };
    let rid = &cap.header.package.aid.0[..5.min(cap.header.package.aid.0.len())];
    let applet_class = u.class_by_name("javacard/framework/Applet");
    let mut seen: BTreeSet<&Aid> = BTreeSet::new();
    for info in &a.applets {
        let aid = info.aid.to_string();
        let bad = |what: String| ErrorKind::BadApplet {
            aid: aid.clone(),
            what,
        };
        if !info.aid.0.starts_with(rid) {
            o.at(
                ComponentTag::Applet,
                None,
                bad("AID does not start with the package RID".into()),
            );
        }
        if !seen.insert(&info.aid) {
            o.at(ComponentTag::Applet, None, bad("AID appears twice".into()));
        }
        let Some(mid) = u.method_at(info.install_method_offset) else {
            o.at(
                ComponentTag::Applet,
                None,
                bad(format!(
                    "install method offset {:#06x} names no method",
                    info.install_method_offset
                )),
            );
            continue;
        };
        let m = u.method(mid);
        let want = Sig {
            params: alloc::vec![
                JType::Array(crate::types::Elem::Byte),
                JType::Short,
                JType::Byte
            ],
            ret: JType::Void,
        };
        if !m.is_static || m.sig != want {
            o.at(
                ComponentTag::Applet,
                None,
                bad(format!(
                    "install method {} is not static install(byte[], short, byte)",
                    u.method_label(mid)
                )),
            );
        }
        if let Some(ac) = applet_class {
            if !u.is_subclass(m.class, ac) {
                o.at(
                    ComponentTag::Applet,
                    None,
                    bad(format!(
                        "{} does not extend javacard/framework/Applet",
                        u.class_name(m.class)
                    )),
                );
            }
        }
    }
}

fn sig_types(s: &Sig) -> Vec<JType> {
    let mut v = s.params.clone();
    v.push(s.ret);
    v
}

fn describe_types(u: &Universe, t: &[JType]) -> String {
    let mut s = String::new();
    for (i, x) in t.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&x.describe(u));
    }
    s
}

/// The Descriptor's type of every constant-pool entry must be the type of
/// what the entry resolves to.
fn cp_types(cap: &CapFile, u: &Universe, o: &mut Out<'_>) {
    let types = &cap.descriptor.types.constant_pool_types;
    if types.len() != cap.constant_pool.entries.len() {
        o.inconsistent(
            ComponentTag::Descriptor,
            None,
            "constant pool type count",
            cap.constant_pool.entries.len(),
            types.len(),
        );
        return;
    }
    // Descriptor types, converted with the universe's class ids.
    for (i, (e, &t)) in cap.constant_pool.entries.iter().zip(types).enumerate() {
        let item = format!("constant-pool entry {i}");
        if let CpEntry::Class(_) = e {
            if t != 0xFFFF {
                o.inconsistent(
                    ComponentTag::Descriptor,
                    item,
                    "type of a classref",
                    "0xffff",
                    format!("{t:#06x}"),
                );
            }
            continue;
        }
        let actual = match u.cp.get(i) {
            Some(Resolved::InstanceField(f) | Resolved::StaticField(f)) => {
                alloc::vec![u.field(*f).ty]
            }
            Some(
                Resolved::VirtualMethod(m) | Resolved::SuperMethod(m) | Resolved::StaticMethod(m),
            ) => sig_types(&u.method(*m).sig),
            _ => continue,
        };
        let Some(td) = cap.descriptor.types.at(t) else {
            o.at(
                ComponentTag::Descriptor,
                item,
                ErrorKind::BadOffset {
                    what: "constant-pool type",
                    offset: t,
                    target: "type descriptor",
                },
            );
            continue;
        };
        let Some(declared) = convert(u, cap, td) else {
            // Malformed nibbles, or a class of a package without export
            // data (reported with the import).
            if td.types().is_none() {
                o.at(
                    ComponentTag::Descriptor,
                    item,
                    ErrorKind::BadTypeDescriptor { offset: t },
                );
            }
            continue;
        };
        if declared != actual {
            o.at(
                ComponentTag::Descriptor,
                None,
                ErrorKind::CpTypeMismatch {
                    index: i as u16,
                    declared: describe_types(u, &declared),
                    actual: describe_types(u, &actual),
                },
            );
        }
    }
}

/// Converts a CAP type descriptor with the universe (no reporting).
fn convert(
    u: &Universe,
    cap: &CapFile,
    td: &hydra_cap::component::TypeDescriptor,
) -> Option<Vec<JType>> {
    use crate::types::Elem;
    use hydra_cap::component::JcType as J;
    let class = |c: ClassRef| -> Option<u16> {
        match c {
            ClassRef::Internal(o) => u.internal_class(o),
            ClassRef::External {
                package_token,
                class_token,
            } => {
                // Through the same path as the builder: by name.
                let imp = cap.import.packages.get(usize::from(package_token))?;
                let pkg = u.packages.iter().find(|p| p.aid == imp.aid.0)?;
                let _ = pkg;
                u.external_class(package_token, class_token)
            }
        }
    };
    td.types()?
        .into_iter()
        .map(|t| {
            Some(match t {
                J::Void => JType::Void,
                J::Boolean => JType::Boolean,
                J::Byte => JType::Byte,
                J::Short => JType::Short,
                J::Int => JType::Int,
                J::Reference(c) => JType::Ref(class(c)?),
                J::BooleanArray => JType::Array(Elem::Boolean),
                J::ByteArray => JType::Array(Elem::Byte),
                J::ShortArray => JType::Array(Elem::Short),
                J::IntArray => JType::Array(Elem::Int),
                J::ReferenceArray(c) => JType::Array(Elem::Ref(class(c)?)),
            })
        })
        .collect()
}

fn descriptors(cap: &CapFile, u: &Universe, o: &mut Out<'_>) {
    let d = &cap.descriptor;
    // Every class entry described once, with the same kind.
    for e in &cap.class.entries {
        let off = e.offset();
        let ds: Vec<_> = d
            .classes
            .iter()
            .filter(|c| c.this_class == ClassRef::Internal(off))
            .collect();
        let item = format!("class@{off:#06x}");
        match ds.as_slice() {
            [one] => {
                let is_iface = matches!(e, ClassEntry::Interface(_));
                if one.is_interface() != is_iface {
                    o.inconsistent(
                        ComponentTag::Descriptor,
                        item,
                        "ACC_INTERFACE",
                        if is_iface {
                            "set (Class component has an interface)"
                        } else {
                            "clear"
                        },
                        if one.is_interface() { "set" } else { "clear" },
                    );
                }
            }
            _ => o.inconsistent(
                ComponentTag::Descriptor,
                item,
                "class descriptors",
                1,
                ds.len(),
            ),
        }
    }
    // Every method of the Method component described once; descriptors agree.
    let mut described: BTreeMap<u16, usize> = BTreeMap::new();
    let mut handler_pos = 0usize;
    for (ci, c) in d.classes.iter().enumerate() {
        for (mi, m) in c.methods.iter().enumerate() {
            let item = format!("class descriptor {ci}, method {mi}");
            let abstract_ = m.is_abstract() || c.is_interface();
            if abstract_ {
                if m.method_offset != 0 {
                    if let Some(mi2) = cap.method.method_at(m.method_offset) {
                        if !mi2.header.is_abstract() {
                            o.inconsistent(
                                ComponentTag::Descriptor,
                                item.clone(),
                                "abstract method offset",
                                "0 or an abstract header",
                                format!("{:#06x}", m.method_offset),
                            );
                        }
                    }
                }
                if m.bytecode_count != 0 || m.exception_handler_count != 0 {
                    o.inconsistent(
                        ComponentTag::Descriptor,
                        item,
                        "abstract method bytecode count",
                        0,
                        m.bytecode_count,
                    );
                }
                continue;
            }
            let Some(info) = cap.method.method_at(m.method_offset) else {
                o.at(
                    ComponentTag::Descriptor,
                    item,
                    ErrorKind::BadOffset {
                        what: "method",
                        offset: m.method_offset,
                        target: "method of the Method component",
                    },
                );
                continue;
            };
            *described.entry(m.method_offset).or_default() += 1;
            if info.header.is_abstract() {
                o.inconsistent(
                    ComponentTag::Method,
                    format!("method@{:#06x}", m.method_offset),
                    "ACC_ABSTRACT header flag",
                    "clear (the descriptor has code)",
                    "set",
                );
            }
            if usize::from(m.bytecode_count) != info.bytecode.len() {
                o.at(
                    ComponentTag::Descriptor,
                    item.clone(),
                    ErrorKind::MethodHeader {
                        what: "bytecode count",
                        expected: info.bytecode.len() as u32,
                        found: m.bytecode_count.into(),
                    },
                );
            }
            let hs: Vec<usize> = {
                let start = u32::from(info.code_offset());
                let end = start + info.bytecode.len() as u32;
                cap.method
                    .handlers
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| {
                        u32::from(h.start_offset) >= start && u32::from(h.start_offset) < end
                    })
                    .map(|(i, _)| i)
                    .collect()
            };
            if usize::from(m.exception_handler_count) != hs.len()
                || (!hs.is_empty() && usize::from(m.exception_handler_index) != hs[0])
            {
                o.inconsistent(
                    ComponentTag::Descriptor,
                    item,
                    "exception handlers (index, count)",
                    format!("({}, {})", hs.first().copied().unwrap_or(0), hs.len()),
                    format!(
                        "({}, {})",
                        m.exception_handler_index, m.exception_handler_count
                    ),
                );
            }
            handler_pos += hs.len();
        }
    }
    let _ = handler_pos;
    for m in &cap.method.methods {
        if m.header.is_abstract() {
            continue;
        }
        if !described.contains_key(&m.offset) {
            o.at(
                ComponentTag::Method,
                None,
                ErrorKind::UndescribedMethod { offset: m.offset },
            );
        }
    }
    let _ = u;
}

fn handlers(cap: &CapFile, o: &mut Out<'_>) {
    let ms = &cap.method;
    let mut prev_method: Option<u16> = None;
    for (i, h) in ms.handlers.iter().enumerate() {
        let item = format!("handler {i}");
        let owner = ms
            .method_containing(h.start_offset)
            .filter(|m| u32::from(h.start_offset) >= u32::from(m.code_offset()));
        let Some(m) = owner else {
            o.at(
                ComponentTag::Method,
                item,
                ErrorKind::BadHandler {
                    index: i,
                    what: format!("start {:#06x} is not in any method's code", h.start_offset),
                },
            );
            continue;
        };
        let end = u32::from(m.code_offset()) + m.bytecode.len() as u32;
        if h.end_offset() > end {
            o.at(
                ComponentTag::Method,
                item.clone(),
                ErrorKind::BadHandler {
                    index: i,
                    what: format!(
                        "range ends at {:#06x}, after its method's code",
                        h.end_offset()
                    ),
                },
            );
        }
        if u32::from(h.handler_offset) < u32::from(m.code_offset())
            || u32::from(h.handler_offset) >= end
        {
            o.at(
                ComponentTag::Method,
                item.clone(),
                ErrorKind::BadHandler {
                    index: i,
                    what: format!("handler {:#06x} is outside its method", h.handler_offset),
                },
            );
        }
        if h.catch_type_index != 0 {
            match cap.constant_pool.get(h.catch_type_index) {
                Some(CpEntry::Class(_)) => {}
                Some(e) => o.at(
                    ComponentTag::Method,
                    item.clone(),
                    ErrorKind::CpKind {
                        index: h.catch_type_index,
                        expected: "classref",
                        found: e.kind_name(),
                    },
                ),
                None => o.at(
                    ComponentTag::Method,
                    item.clone(),
                    ErrorKind::CpIndexOutOfRange {
                        index: h.catch_type_index,
                        count: cap.constant_pool.entries.len(),
                    },
                ),
            }
        }
        if let Some(p) = prev_method {
            if p > m.offset {
                o.at(
                    ComponentTag::Method,
                    format!("handler {i}"),
                    ErrorKind::BadHandler {
                        index: i,
                        what: "handlers are not grouped by method in method order".into(),
                    },
                );
            }
        }
        prev_method = Some(m.offset);
    }
}

fn static_fields(cap: &CapFile, u: &Universe, o: &mut Out<'_>) {
    let sf = &cap.static_field;
    let refs = usize::from(sf.reference_count) * 2;
    let total = refs + usize::from(sf.default_value_count) + sf.non_default_values.len();
    if usize::from(sf.image_size) != total {
        o.at(
            ComponentTag::StaticField,
            None,
            ErrorKind::BadStaticImage(format!(
                "image size {} but the segments add up to {total}",
                sf.image_size
            )),
        );
    }
    if sf.array_init.len() > usize::from(sf.reference_count) {
        o.at(
            ComponentTag::StaticField,
            None,
            ErrorKind::BadStaticImage(format!(
                "{} array initialisers for {} reference fields",
                sf.array_init.len(),
                sf.reference_count
            )),
        );
    }
    for (i, a) in sf.array_init.iter().enumerate() {
        // Initialiser k fills the reference field at offset 2k. Compiled code
        // takes the field's element type from the Descriptor, so an
        // initialiser of another type would be read as the wrong kind.
        let elem = match a.element_type {
            2 => Elem::Boolean,
            3 => Elem::Byte,
            4 => Elem::Short,
            _ => Elem::Int,
        };
        if let Some(f) = u.static_field_at(2 * i as u16) {
            let fits = match f.ty {
                JType::Array(e) => e == elem,
                JType::Ref(c) => c == u.object,
                _ => false,
            };
            if !fits {
                o.at(
                    ComponentTag::StaticField,
                    None,
                    ErrorKind::BadStaticImage(format!(
                        "array initialiser {i} makes a {} but field {} is {}",
                        JType::Array(elem).describe(u),
                        f.name,
                        f.ty.describe(u)
                    )),
                );
            }
        }
        if a.values.len() % a.element_size() != 0 {
            o.at(
                ComponentTag::StaticField,
                None,
                ErrorKind::BadStaticImage(format!(
                    "array initialiser {i}: {} bytes is not a whole number of elements",
                    a.values.len()
                )),
            );
        }
    }
    // Static field descriptors: inside the image, references in the reference segment.
    let mut used: BTreeMap<u16, usize> = BTreeMap::new();
    for (ci, c) in cap.descriptor.classes.iter().enumerate() {
        for (fi, f) in c.fields.iter().enumerate() {
            let FieldRef::Static(StaticRef::Internal { offset }) = f.field_ref else {
                continue;
            };
            let item = format!("class descriptor {ci}, field {fi}");
            let is_ref = matches!(f.field_type, hydra_cap::component::FieldType::Offset(_));
            let size = match f.field_type {
                hydra_cap::component::FieldType::Primitive(5) => 4,
                hydra_cap::component::FieldType::Primitive(2 | 3) => 1,
                _ => 2,
            };
            let off = usize::from(offset);
            if off + size > usize::from(sf.image_size) {
                o.at(
                    ComponentTag::Descriptor,
                    item,
                    ErrorKind::BadStaticImage(format!(
                        "field at offset {off} ({size} bytes) is outside the {}-byte image",
                        sf.image_size
                    )),
                );
                continue;
            }
            if is_ref != (off < refs) || (is_ref && off % 2 != 0) {
                o.at(
                    ComponentTag::Descriptor,
                    item,
                    ErrorKind::BadStaticImage(
                        format!(
                            "{} field at offset {off} is outside the reference segment [0, {refs})",
                            if is_ref { "reference" } else { "primitive" }
                        )
                        .replace("outside", if is_ref { "outside" } else { "inside" }),
                    ),
                );
                continue;
            }
            for b in off..off + size {
                *used.entry(b as u16).or_default() += 1;
            }
        }
    }
    if let Some((b, _)) = used.iter().find(|(_, n)| **n > 1) {
        o.at(
            ComponentTag::Descriptor,
            None,
            ErrorKind::BadStaticImage(format!("two static fields overlap at byte {b}")),
        );
    }
}

/// Every constant-pool operand is listed in the ReferenceLocation
/// component, and every listed location is such an operand.
fn reference_locations(cap: &CapFile, o: &mut Out<'_>) {
    let mut one: BTreeSet<u16> = BTreeSet::new();
    let mut two: BTreeSet<u16> = BTreeSet::new();
    for m in &cap.method.methods {
        let Ok(insns) = decode_all(&m.bytecode) else {
            continue;
        };
        let base = u32::from(m.code_offset());
        for i in insns {
            let at = base + u32::from(i.pc);
            let Some(fmt) = i.opcode.format() else {
                continue;
            };
            match (fmt, &i.operands) {
                (OperandFormat::Cp8, _) => {
                    one.insert((at + 1) as u16);
                }
                (OperandFormat::Cp16, _) => {
                    two.insert((at + 1) as u16);
                }
                (OperandFormat::Interface, _) => {
                    two.insert((at + 2) as u16);
                }
                (OperandFormat::TypeCheck, Operands::TypeCheck { atype, .. })
                    if *atype == 0 || *atype == 14 =>
                {
                    two.insert((at + 2) as u16);
                }
                _ => {}
            }
        }
    }
    // Catch types of exception handlers are constant-pool indices too.
    for (i, h) in cap.method.handlers.iter().enumerate() {
        if h.catch_type_index != 0 {
            two.insert((1 + 8 * i + 6) as u16);
        }
    }
    let rl = &cap.reference_location;
    let listed1: BTreeSet<u16> = rl.byte_index_offsets.iter().copied().collect();
    let listed2: BTreeSet<u16> = rl.byte2_index_offsets.iter().copied().collect();
    for off in listed1.difference(&one) {
        o.at(
            ComponentTag::ReferenceLocation,
            None,
            ErrorKind::BadReferenceLocation {
                offset: *off,
                what: "is not a one-byte constant-pool operand",
            },
        );
    }
    for off in listed2.difference(&two) {
        o.at(
            ComponentTag::ReferenceLocation,
            None,
            ErrorKind::BadReferenceLocation {
                offset: *off,
                what: "is not a two-byte constant-pool operand",
            },
        );
    }
    for off in one.difference(&listed1).chain(two.difference(&listed2)) {
        o.at(
            ComponentTag::ReferenceLocation,
            None,
            ErrorKind::UnlistedReference { offset: *off },
        );
    }
}

fn export(cap: &CapFile, u: &Universe, o: &mut Out<'_>) {
    let Some(e) = &cap.export else { return };
    for (i, c) in e.classes.iter().enumerate() {
        let item = format!("class export {i}");
        let Some(id) = u.internal_class(c.class_offset) else {
            o.at(
                ComponentTag::Export,
                item,
                ErrorKind::BadOffset {
                    what: "exported class",
                    offset: c.class_offset,
                    target: "class or interface of the Class component",
                },
            );
            continue;
        };
        if !u.class(id).is_public {
            o.at(
                ComponentTag::Export,
                item.clone(),
                ErrorKind::ClassKind {
                    expected: "a public class",
                    found: "package-private class",
                    name: u.class_name(id).to_string(),
                },
            );
        }
        for &m in &c.static_method_offsets {
            match u.method_at(m) {
                Some(mid)
                    if u.method(mid).class == id
                        && (u.method(mid).is_static || u.method(mid).is_init) => {}
                _ => o.at(
                    ComponentTag::Export,
                    item.clone(),
                    ErrorKind::BadOffset {
                        what: "exported static method",
                        offset: m,
                        target: "static method or constructor of the class",
                    },
                ),
            }
        }
        for &f in &c.static_field_offsets {
            if usize::from(f) >= usize::from(cap.static_field.image_size) {
                o.at(
                    ComponentTag::Export,
                    item.clone(),
                    ErrorKind::BadOffset {
                        what: "exported static field",
                        offset: f,
                        target: "static field of the image",
                    },
                );
            }
        }
    }
}

/// Virtual method tables and interface tables of the Class component.
fn class_tables(cap: &CapFile, u: &Universe, o: &mut Out<'_>) {
    for e in &cap.class.entries {
        let ClassEntry::Class(c) = e else { continue };
        let Some(id) = u.internal_class(c.offset) else {
            continue;
        };
        let item = format!("class@{:#06x}", c.offset);
        let tables = [
            (
                &c.public_virtual_method_table,
                c.public_method_table_base,
                0u8,
            ),
            (
                &c.package_virtual_method_table,
                c.package_method_table_base,
                0x80u8,
            ),
        ];
        for (table, base, bit) in tables {
            for (k, &off) in table.iter().enumerate() {
                if off == 0xFFFF || (bit == 0 && off == 0) {
                    continue;
                }
                let token = (usize::from(base) + k) as u8 | bit;
                match u.method_at(off) {
                    Some(mid) => {
                        let m = u.method(mid);
                        let found = u.find_virtual(id, token);
                        if m.is_static || m.is_init || found != Some(mid) {
                            o.at(
                                ComponentTag::Class,
                                item.clone(),
                                ErrorKind::Inconsistent {
                                    what: "virtual method table entry",
                                    expected: format!("the method with token {token}"),
                                    found: u.method_label(mid),
                                },
                            );
                        }
                    }
                    None => o.at(
                        ComponentTag::Class,
                        item.clone(),
                        ErrorKind::BadOffset {
                            what: "virtual method table entry",
                            offset: off,
                            target: "method of the Method component",
                        },
                    ),
                }
            }
        }
        for imp in &c.interfaces {
            let iface = match imp.interface {
                ClassRef::Internal(off) => u.internal_class(off),
                ClassRef::External {
                    package_token,
                    class_token,
                } => u.external_class(package_token, class_token),
            };
            let Some(iface) = iface else { continue };
            if u.class(iface).stub {
                continue;
            }
            for (k, &tok) in imp.index.iter().enumerate() {
                let Some(im) = u.find_interface_method(iface, k as u8) else {
                    o.at(
                        ComponentTag::Class,
                        item.clone(),
                        ErrorKind::UnknownToken {
                            kind: "interface method",
                            token: k as u8,
                            class: u.class_name(iface).to_string(),
                        },
                    );
                    continue;
                };
                let implementing = u.find_virtual(id, tok);
                let ok = implementing.is_some_and(|m| u.method(m).sig == u.method(im).sig);
                if !ok {
                    o.at(
                        ComponentTag::Class,
                        item.clone(),
                        ErrorKind::Inconsistent {
                            what: "interface method table",
                            expected: format!("a method implementing {}", u.method_label(im)),
                            found: match implementing {
                                Some(m) => u.method_label(m),
                                None => format!("virtual method token {tok}, which does not exist"),
                            },
                        },
                    );
                }
            }
        }
    }
}

/// A field's size in 16-bit cells and whether it holds a reference, from
/// its Descriptor type.
fn field_shape(t: FieldType) -> (u32, bool) {
    match t {
        FieldType::Primitive(5) => (2, false),
        FieldType::Primitive(_) => (1, false),
        FieldType::Offset(_) => (1, true),
    }
}

/// The layout facts compiled code and the collector rely on, against the
/// Descriptor: each class's declared instance size is exactly its fields'
/// cells, its instance field tokens are those cells in order, its
/// reference fields are exactly `first_reference_token ..+
/// reference_count`, and each static field lies inside the static image on
/// the side of `reference_count` its type belongs to.
fn field_layouts(cap: &CapFile, o: &mut Out<'_>) {
    for e in &cap.class.entries {
        let ClassEntry::Class(c) = e else { continue };
        let item = format!("class@{:#06x}", c.offset);
        let Some(d) = cap
            .descriptor
            .classes
            .iter()
            .find(|d| d.this_class == ClassRef::Internal(c.offset))
        else {
            continue; // reported by `descriptors`
        };
        let mut fields: Vec<(u32, u32, bool)> = d
            .fields
            .iter()
            .filter_map(|f| match f.field_ref {
                FieldRef::Instance { token, .. } => {
                    let (cells, is_ref) = field_shape(f.field_type);
                    Some((u32::from(token), cells, is_ref))
                }
                FieldRef::Static(_) => None,
            })
            .collect();
        fields.sort_unstable();
        let size: u32 = fields.iter().map(|f| f.1).sum();
        if size != u32::from(c.declared_instance_size) {
            o.inconsistent(
                ComponentTag::Class,
                item.clone(),
                "declared instance size",
                format!("{size} cells (the Descriptor's instance fields)"),
                c.declared_instance_size,
            );
        }
        let mut next = 0u32;
        for &(token, cells, _) in &fields {
            if token != next {
                o.inconsistent(
                    ComponentTag::Descriptor,
                    item.clone(),
                    "instance field token",
                    next,
                    token,
                );
                break;
            }
            next += cells;
        }
        let refs: Vec<u32> = fields.iter().filter(|f| f.2).map(|f| f.0).collect();
        let claimed = u32::from(c.first_reference_token)
            ..u32::from(c.first_reference_token) + u32::from(c.reference_count);
        // No reference fields: the count is 0 and the first token 0xFF.
        let consistent = if refs.is_empty() {
            c.reference_count == 0 && c.first_reference_token == 0xFF
        } else {
            refs.len() == usize::from(c.reference_count)
                && refs.iter().zip(claimed.clone()).all(|(a, b)| *a == b)
        };
        if !consistent {
            o.inconsistent(
                ComponentTag::Class,
                item,
                "reference fields (first token, count)",
                format!(
                    "({}, {}) from the Descriptor",
                    refs.first().map_or("none".to_string(), |t| t.to_string()),
                    refs.len()
                ),
                format!("({}, {})", c.first_reference_token, c.reference_count),
            );
        }
    }
    let sf = &cap.static_field;
    let refs_end = 2 * u32::from(sf.reference_count);
    for d in &cap.descriptor.classes {
        for f in &d.fields {
            let FieldRef::Static(StaticRef::Internal { offset }) = f.field_ref else {
                continue;
            };
            let (cells, is_ref) = field_shape(f.field_type);
            let bytes = match f.field_type {
                FieldType::Primitive(2 | 3) => 1,
                _ => 2 * cells,
            };
            let (lo, hi) = (u32::from(offset), u32::from(offset) + bytes);
            let ok = if is_ref {
                lo & 1 == 0 && hi <= refs_end
            } else {
                lo >= refs_end && hi <= u32::from(sf.image_size)
            };
            if !ok {
                o.inconsistent(
                    ComponentTag::StaticField,
                    format!("static field at {offset}"),
                    "static field placement",
                    if is_ref {
                        format!("a reference slot below byte {refs_end}")
                    } else {
                        format!(
                            "{bytes} bytes between {refs_end} and the image size {}",
                            sf.image_size
                        )
                    },
                    format!("bytes {lo}..{hi}"),
                );
            }
        }
    }
}

/// Every virtual method a class defines has its entry in the class's method
/// table: an override the table leaves out would silently run the
/// superclass's method.
fn defined_methods_in_tables(cap: &CapFile, o: &mut Out<'_>) {
    for e in &cap.class.entries {
        let ClassEntry::Class(c) = e else { continue };
        let Some(d) = cap
            .descriptor
            .classes
            .iter()
            .find(|d| d.this_class == ClassRef::Internal(c.offset))
        else {
            continue;
        };
        for m in &d.methods {
            if m.is_static() || m.is_init() || m.access_flags & ACC_PRIVATE != 0 {
                continue;
            }
            if m.method_offset == 0 || m.token == 0xFF {
                continue; // abstract without a header, or no token
            }
            let (table, base) = if m.token & 0x80 != 0 {
                (&c.package_virtual_method_table, c.package_method_table_base)
            } else {
                (&c.public_virtual_method_table, c.public_method_table_base)
            };
            let t = m.token & 0x7F;
            let entry = t
                .checked_sub(base)
                .and_then(|k| table.get(usize::from(k)).copied());
            if entry != Some(m.method_offset) {
                o.inconsistent(
                    ComponentTag::Class,
                    format!("class@{:#06x}", c.offset),
                    "virtual method table entry",
                    format!("method@{:#06x} for token {}", m.method_offset, m.token),
                    match entry {
                        Some(x) => format!("{x:#06x}"),
                        None => "no entry".to_string(),
                    },
                );
            }
        }
    }
}
