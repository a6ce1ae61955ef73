//! The class universe of one verification: the package's own classes, from
//! the Class and Descriptor components, and every class of the imported
//! packages (and of packages those name), from their export data. Every
//! constant-pool entry is resolved against it.

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use hydra_cap::component::descriptor::{
    ACC_FINAL, ACC_PRIVATE, ACC_PROTECTED, ACC_PUBLIC, ACC_STATIC,
};
use hydra_cap::component::{ClassEntry, CpEntry, FieldRef, FieldType, JcType, TypeDescriptor};
use hydra_cap::{Aid, CapFile, ClassRef, ComponentTag, StaticRef};

use crate::api::{acc, ClassApi, Imports, PackageApi};
use crate::error::{ErrorKind, Location, VerifyError};
use crate::types::{Elem, JType, Sig};

/// Index of a class in the [`Universe`].
pub type ClassId = u16;
/// Index of a method in the [`Universe`].
pub type MethodId = u32;
/// Index of a field in the [`Universe`].
pub type FieldId = u32;

/// Member visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    Protected,
    Package,
    Private,
}

impl Access {
    pub fn name(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Protected => "protected",
            Access::Package => "package-private",
            Access::Private => "private",
        }
    }
}

/// A class or interface.
#[derive(Debug, Clone)]
pub struct Class {
    pub name: String,
    /// 0 for the package being verified; otherwise an index into
    /// [`Universe::packages`].
    pub package: u16,
    /// Class component offset (own classes).
    pub offset: Option<u16>,
    pub super_class: Option<ClassId>,
    /// Direct superinterfaces / implemented interfaces.
    pub interfaces: Vec<ClassId>,
    pub is_interface: bool,
    pub is_abstract: bool,
    pub is_final: bool,
    pub is_public: bool,
    /// Known only by name: no export data describes it.
    pub stub: bool,
}

/// A method.
#[derive(Debug, Clone)]
pub struct Method {
    pub class: ClassId,
    pub name: String,
    pub sig: Sig,
    pub access: Access,
    pub is_static: bool,
    pub is_init: bool,
    pub is_final: bool,
    pub is_abstract: bool,
    /// Method component offset (own methods with code).
    pub offset: Option<u16>,
}

/// A field.
#[derive(Debug, Clone)]
pub struct Field {
    pub class: ClassId,
    pub name: String,
    pub ty: JType,
    pub access: Access,
    pub is_static: bool,
    pub is_final: bool,
}

/// A package known to the universe.
#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    pub aid: Vec<u8>,
}

/// What a constant-pool entry resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    Class(ClassId),
    InstanceField(FieldId),
    VirtualMethod(MethodId),
    /// A `super.m()` call: the method found from the superclass.
    SuperMethod(MethodId),
    StaticField(FieldId),
    StaticMethod(MethodId),
    /// Did not resolve; the error has been reported.
    Unresolved,
}

/// Every class, method and field one verification knows.
#[derive(Debug, Clone)]
pub struct Universe {
    pub classes: Vec<Class>,
    pub methods: Vec<Method>,
    pub fields: Vec<Field>,
    /// Index 0 is the package being verified.
    pub packages: Vec<Package>,
    /// One per constant-pool entry.
    pub cp: Vec<Resolved>,
    pub object: ClassId,
    pub throwable: ClassId,
    by_name: BTreeMap<String, ClassId>,
    internal: BTreeMap<u16, ClassId>,
    /// (import index, class token) of every imported class; classes whose
    /// package has no export data are stubs.
    external: BTreeMap<(u8, u8), ClassId>,
    /// Import index -> package index (None: no export data).
    imports: Vec<Option<u16>>,
    virtuals: BTreeMap<(ClassId, u8), MethodId>,
    statics_ext: BTreeMap<(ClassId, u8), MethodId>,
    methods_by_offset: BTreeMap<u16, MethodId>,
    inst_fields: BTreeMap<(ClassId, u8), FieldId>,
    static_fields_ext: BTreeMap<(ClassId, u8), FieldId>,
    static_fields_by_offset: BTreeMap<u16, FieldId>,
}

const MAX_DEPTH: usize = 256;

fn aid_hex(a: &[u8]) -> String {
    Aid(a.to_vec()).to_string()
}

fn access_of(flags: u8) -> Access {
    if flags & ACC_PUBLIC != 0 {
        Access::Public
    } else if flags & ACC_PROTECTED != 0 {
        Access::Protected
    } else if flags & ACC_PRIVATE != 0 {
        Access::Private
    } else {
        Access::Package
    }
}

fn access_of_export(flags: u16) -> Access {
    if flags & acc::PUBLIC != 0 {
        Access::Public
    } else if flags & acc::PROTECTED != 0 {
        Access::Protected
    } else {
        Access::Package
    }
}

/// Builds the universe, reporting what does not resolve.
pub(crate) struct Builder<'a> {
    pub u: Universe,
    pub errors: Vec<VerifyError>,
    cap: &'a CapFile,
    imports: &'a dyn Imports,
}

impl Universe {
    pub fn class(&self, id: ClassId) -> &Class {
        &self.classes[usize::from(id)]
    }

    pub fn class_name(&self, id: ClassId) -> &str {
        self.classes
            .get(usize::from(id))
            .map_or("<unknown class>", |c| c.name.as_str())
    }

    pub fn method(&self, id: MethodId) -> &Method {
        &self.methods[id as usize]
    }

    pub fn field(&self, id: FieldId) -> &Field {
        &self.fields[id as usize]
    }

    /// The package's own static field at this offset of the static image,
    /// as the Descriptor component declares it.
    pub fn static_field_at(&self, offset: u16) -> Option<&Field> {
        self.static_fields_by_offset
            .get(&offset)
            .map(|&id| self.field(id))
    }

    /// The imported class with this package token (import index) and class
    /// token, once resolved.
    pub fn external_class(&self, package_token: u8, class_token: u8) -> Option<ClassId> {
        self.external.get(&(package_token, class_token)).copied()
    }

    /// The class at an internal class reference.
    pub fn internal_class(&self, offset: u16) -> Option<ClassId> {
        self.internal.get(&offset).copied()
    }

    /// The class named this way (fully qualified, slashes).
    pub fn class_by_name(&self, name: &str) -> Option<ClassId> {
        self.by_name.get(name).copied()
    }

    /// The own method whose header is at this Method component offset.
    pub fn method_at(&self, offset: u16) -> Option<MethodId> {
        self.methods_by_offset.get(&offset).copied()
    }

    pub fn method_label(&self, id: MethodId) -> String {
        let m = self.method(id);
        format!(
            "{}.{}{}",
            self.class_name(m.class),
            m.name,
            m.sig.describe(self)
        )
    }

    pub fn field_label(&self, id: FieldId) -> String {
        let f = self.field(id);
        format!("{}.{}", self.class_name(f.class), f.name)
    }

    /// `sub` is `sup` or one of its subclasses.
    pub fn is_subclass(&self, sub: ClassId, sup: ClassId) -> bool {
        let mut c = Some(sub);
        let mut n = 0;
        while let Some(x) = c {
            if x == sup {
                return true;
            }
            n += 1;
            if n > MAX_DEPTH {
                return false;
            }
            c = self.class(x).super_class;
        }
        false
    }

    /// `class` (or a superclass) implements `iface`, or `class` is an
    /// interface extending it.
    pub fn implements(&self, class: ClassId, iface: ClassId) -> bool {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<ClassId> = Vec::new();
        let mut c = Some(class);
        let mut n = 0;
        while let Some(x) = c {
            todo.push(x);
            n += 1;
            if n > MAX_DEPTH {
                break;
            }
            c = self.class(x).super_class;
        }
        while let Some(x) = todo.pop() {
            if x == iface {
                return true;
            }
            if seen.insert(x) {
                todo.extend(self.class(x).interfaces.iter().copied());
            }
        }
        false
    }

    /// The superclass chain, `class` first.
    pub fn supers(&self, class: ClassId) -> Vec<ClassId> {
        let mut out = Vec::new();
        let mut c = Some(class);
        while let Some(x) = c {
            if out.len() > MAX_DEPTH || out.contains(&x) {
                break;
            }
            out.push(x);
            c = self.class(x).super_class;
        }
        out
    }

    /// The virtual method with this token, looked up from `class` upwards.
    pub fn find_virtual(&self, class: ClassId, token: u8) -> Option<MethodId> {
        self.supers(class)
            .into_iter()
            .find_map(|c| self.virtuals.get(&(c, token)).copied())
    }

    /// The interface method with this token, in `iface` or its superinterfaces.
    pub fn find_interface_method(&self, iface: ClassId, token: u8) -> Option<MethodId> {
        let mut seen = BTreeSet::new();
        let mut todo = VecDeque::from([iface]);
        while let Some(i) = todo.pop_front() {
            if !seen.insert(i) {
                continue;
            }
            if let Some(&m) = self.virtuals.get(&(i, token)) {
                return Some(m);
            }
            todo.extend(self.class(i).interfaces.iter().copied());
        }
        None
    }

    /// The instance field with this token, in `class` or a superclass.
    pub fn find_instance_field(&self, class: ClassId, token: u8) -> Option<FieldId> {
        self.supers(class)
            .into_iter()
            .find_map(|c| self.inst_fields.get(&(c, token)).copied())
    }

    /// Least upper bound of two classes: the first common superclass
    /// (interfaces merge to Object).
    pub fn lub_class(&self, a: ClassId, b: ClassId) -> ClassId {
        if a == b {
            return a;
        }
        if self.class(a).is_interface || self.class(b).is_interface {
            return self.object;
        }
        for c in self.supers(a) {
            if self.is_subclass(b, c) {
                return c;
            }
        }
        self.object
    }

    /// Names the own class at `offset` for locations.
    pub fn own_class_label(&self, offset: u16) -> String {
        match self.internal.get(&offset) {
            Some(&c) => self.class_name(c).to_string(),
            None => format!("class@{offset:#06x}"),
        }
    }
}

impl<'a> Builder<'a> {
    pub fn new(cap: &'a CapFile, imports: &'a dyn Imports) -> Builder<'a> {
        let own_name = package_name(cap);
        let u = Universe {
            classes: Vec::new(),
            methods: Vec::new(),
            fields: Vec::new(),
            packages: alloc::vec![Package {
                name: own_name,
                aid: cap.header.package.aid.0.clone(),
            }],
            cp: Vec::new(),
            object: 0,
            throwable: 0,
            by_name: BTreeMap::new(),
            internal: BTreeMap::new(),
            external: BTreeMap::new(),
            imports: Vec::new(),
            virtuals: BTreeMap::new(),
            statics_ext: BTreeMap::new(),
            methods_by_offset: BTreeMap::new(),
            inst_fields: BTreeMap::new(),
            static_fields_ext: BTreeMap::new(),
            static_fields_by_offset: BTreeMap::new(),
        };
        Builder {
            u,
            errors: Vec::new(),
            cap,
            imports,
        }
    }

    fn err(&mut self, component: ComponentTag, item: Option<String>, kind: ErrorKind) {
        self.errors.push(VerifyError::new(
            Location {
                component: Some(component),
                item,
                ..Location::default()
            },
            kind,
        ));
    }

    fn new_class(&mut self, c: Class) -> ClassId {
        let id = self.u.classes.len() as ClassId;
        if !c.name.is_empty() {
            self.u.by_name.entry(c.name.clone()).or_insert(id);
        }
        self.u.classes.push(c);
        id
    }

    /// The class with this name; a stub deriving from Object if no export
    /// data describes it.
    fn named(&mut self, name: &str) -> ClassId {
        if let Some(&id) = self.u.by_name.get(name) {
            return id;
        }
        let sup = if name == "java/lang/Object" {
            None
        } else {
            Some(self.named("java/lang/Object"))
        };
        self.new_class(Class {
            name: name.to_string(),
            package: u16::MAX,
            offset: None,
            super_class: sup,
            interfaces: Vec::new(),
            is_interface: false,
            is_abstract: false,
            is_final: false,
            is_public: true,
            stub: true,
        })
    }

    /// Phase 1: the imported packages and the closure of the packages they
    /// name, every class created (supertypes filled in phase 2).
    fn load_packages(&mut self) {
        let imports = self.imports;
        let mut loaded: Vec<(&PackageApi, u16)> = Vec::new();
        let mut queue: VecDeque<&PackageApi> = VecDeque::new();
        for (i, p) in self.cap.import.packages.iter().enumerate() {
            match imports.by_aid(&p.aid.0) {
                None => {
                    self.err(
                        ComponentTag::Import,
                        Some(format!("import {i}")),
                        ErrorKind::MissingImport {
                            aid: aid_hex(&p.aid.0),
                        },
                    );
                    self.u.imports.push(None);
                }
                Some(api) => {
                    if api.major != p.major || api.minor < p.minor {
                        self.err(
                            ComponentTag::Import,
                            Some(format!("import {i}")),
                            ErrorKind::ImportVersion {
                                aid: aid_hex(&p.aid.0),
                                imported: format!("{}.{}", p.major, p.minor),
                                available: format!("{}.{}", api.major, api.minor),
                            },
                        );
                    }
                    let idx = match loaded.iter().find(|(q, _)| q.aid == api.aid) {
                        Some((_, idx)) => *idx,
                        None => {
                            let idx = self.u.packages.len() as u16;
                            self.u.packages.push(Package {
                                name: api.name.clone(),
                                aid: api.aid.clone(),
                            });
                            loaded.push((api, idx));
                            queue.push_back(api);
                            idx
                        }
                    };
                    self.u.imports.push(Some(idx));
                }
            }
        }
        // Packages named by supertypes and signatures.
        let mut k = 0;
        while k < queue.len() {
            let api = queue[k];
            k += 1;
            let mut names: BTreeSet<&str> = BTreeSet::new();
            for c in &api.classes {
                for s in c.supers.iter().chain(&c.interfaces) {
                    names.insert(s);
                }
                for d in c
                    .methods
                    .iter()
                    .map(|m| &m.descriptor)
                    .chain(c.fields.iter().map(|f| &f.descriptor))
                {
                    let mut rest = d.as_str();
                    while let Some(i) = rest.find('L') {
                        let Some(j) = rest[i..].find(';') else { break };
                        names.insert(&rest[i + 1..i + j]);
                        rest = &rest[i + j + 1..];
                    }
                }
            }
            for n in names {
                let pkg = n.rsplit_once('/').map_or("", |p| p.0);
                if loaded.iter().any(|(q, _)| q.name == pkg) {
                    continue;
                }
                if let Some(p) = imports.by_name(pkg) {
                    if loaded.iter().any(|(q, _)| q.aid == p.aid) {
                        continue;
                    }
                    let idx = self.u.packages.len() as u16;
                    self.u.packages.push(Package {
                        name: p.name.clone(),
                        aid: p.aid.clone(),
                    });
                    loaded.push((p, idx));
                    queue.push_back(p);
                }
            }
        }
        for (api, idx) in &loaded {
            for c in &api.classes {
                if self.u.by_name.contains_key(&c.name) {
                    continue;
                }
                self.new_class(Class {
                    name: c.name.clone(),
                    package: *idx,
                    offset: None,
                    super_class: None,
                    interfaces: Vec::new(),
                    is_interface: c.is_interface(),
                    is_abstract: c.flags & acc::ABSTRACT != 0,
                    is_final: c.flags & acc::FINAL != 0,
                    is_public: c.flags & acc::PUBLIC != 0,
                    stub: false,
                });
            }
        }
        self.u.object = self.named("java/lang/Object");
        self.u.throwable = self.named("java/lang/Throwable");
        // Phase 2: supertypes and members.
        for (api, _) in &loaded {
            for c in &api.classes {
                self.fill_external(c);
            }
        }
        for (i, p) in self.cap.import.packages.iter().enumerate() {
            if let Some(api) = imports.by_aid(&p.aid.0) {
                for c in &api.classes {
                    let id = self.named(&c.name);
                    self.u.external.insert((i as u8, c.token), id);
                }
            }
        }
    }

    fn fill_external(&mut self, c: &ClassApi) {
        let id = self.named(&c.name);
        if self.u.class(id).super_class.is_some() || id == self.u.object {
            // Already filled (the same class exported twice).
            if !self.u.class(id).stub && id != self.u.object {
                return;
            }
        }
        let sup = if c.name == "java/lang/Object" {
            None
        } else if c.is_interface() {
            Some(self.u.object)
        } else {
            Some(match c.supers.last() {
                Some(s) => self.named(s),
                None => self.u.object,
            })
        };
        let interfaces: Vec<ClassId> = c.interfaces.iter().map(|s| self.named(s)).collect();
        {
            let cl = &mut self.u.classes[usize::from(id)];
            cl.super_class = sup;
            cl.interfaces = interfaces;
        }
        for m in &c.methods {
            let Some(sig) = self.java_sig(&m.descriptor) else {
                continue;
            };
            let is_init = m.name == "<init>";
            let mid = self.u.methods.len() as MethodId;
            self.u.methods.push(Method {
                class: id,
                name: m.name.clone(),
                sig,
                access: access_of_export(m.flags),
                is_static: m.flags & acc::STATIC != 0,
                is_init,
                is_final: m.flags & acc::FINAL != 0,
                is_abstract: m.flags & acc::ABSTRACT != 0,
                offset: None,
            });
            if m.is_static_token() {
                self.u.statics_ext.insert((id, m.token), mid);
            } else {
                self.u.virtuals.insert((id, m.token), mid);
            }
        }
        for f in &c.fields {
            if f.token == 0xFF {
                continue;
            }
            let Some(ty) = self.java_type(&mut f.descriptor.as_str()) else {
                continue;
            };
            let fid = self.u.fields.len() as FieldId;
            let is_static = f.flags & acc::STATIC != 0;
            self.u.fields.push(Field {
                class: id,
                name: f.name.clone(),
                ty,
                access: access_of_export(f.flags),
                is_static,
                is_final: f.flags & acc::FINAL != 0,
            });
            if is_static {
                self.u.static_fields_ext.insert((id, f.token), fid);
            } else {
                self.u.inst_fields.insert((id, f.token), fid);
            }
        }
    }

    /// Parses one Java field descriptor from the front of `s`.
    fn java_type(&mut self, s: &mut &str) -> Option<JType> {
        let first = s.chars().next()?;
        *s = &s[first.len_utf8()..];
        Some(match first {
            'V' => JType::Void,
            'Z' => JType::Boolean,
            'B' => JType::Byte,
            'S' => JType::Short,
            'I' => JType::Int,
            'L' => {
                let end = s.find(';')?;
                let name = &s[..end];
                *s = &s[end + 1..];
                JType::Ref(self.named(name))
            }
            '[' => match self.java_type(s)? {
                JType::Boolean => JType::Array(Elem::Boolean),
                JType::Byte => JType::Array(Elem::Byte),
                JType::Short => JType::Array(Elem::Short),
                JType::Int => JType::Array(Elem::Int),
                JType::Ref(c) => JType::Array(Elem::Ref(c)),
                _ => return None,
            },
            _ => return None,
        })
    }

    fn java_sig(&mut self, d: &str) -> Option<Sig> {
        let mut s = d.strip_prefix('(')?;
        let mut params = Vec::new();
        while !s.starts_with(')') {
            let t = self.java_type(&mut s)?;
            if t == JType::Void {
                return None;
            }
            params.push(t);
        }
        s = &s[1..];
        let ret = self.java_type(&mut s)?;
        s.is_empty().then_some(Sig { params, ret })
    }

    /// Resolves a class reference; reports and returns `None` when it names
    /// nothing.
    pub fn class_ref(&mut self, r: ClassRef, at: ComponentTag, item: &str) -> Option<ClassId> {
        match r {
            ClassRef::Internal(o) => match self.u.internal.get(&o) {
                Some(&c) => Some(c),
                None => {
                    self.err(
                        at,
                        Some(item.to_string()),
                        ErrorKind::BadOffset {
                            what: "class reference",
                            offset: o,
                            target: "class or interface of the Class component",
                        },
                    );
                    None
                }
            },
            ClassRef::External {
                package_token,
                class_token,
            } => {
                let count = self.u.imports.len();
                let Some(&imp) = self.u.imports.get(usize::from(package_token)) else {
                    self.err(
                        at,
                        Some(item.to_string()),
                        ErrorKind::BadPackageToken {
                            token: package_token,
                            count,
                        },
                    );
                    return None;
                };
                let Some(pidx) = imp else {
                    // Missing export data: already reported; keep going with a stub.
                    if let Some(&c) = self.u.external.get(&(package_token, class_token)) {
                        return Some(c);
                    }
                    let aid = aid_hex(&self.cap.import.packages[usize::from(package_token)].aid.0);
                    let c = self.named(&format!("package[{aid}]/class#{class_token}"));
                    self.u.external.insert((package_token, class_token), c);
                    return Some(c);
                };
                if let Some(&c) = self.u.external.get(&(package_token, class_token)) {
                    return Some(c);
                }
                let imports = self.imports;
                let aid = self.u.packages[usize::from(pidx)].aid.clone();
                let api = imports.by_aid(&aid)?;
                match api.class(class_token) {
                    Some(c) => {
                        let id = self.named(&c.name);
                        self.u.external.insert((package_token, class_token), id);
                        Some(id)
                    }
                    None => {
                        self.err(
                            at,
                            Some(item.to_string()),
                            ErrorKind::UnknownToken {
                                kind: "class",
                                token: class_token,
                                class: format!("package {}", api.name),
                            },
                        );
                        None
                    }
                }
            }
        }
    }

    /// Converts a CAP type descriptor; `None` (reported) if malformed or
    /// naming unknown classes.
    pub fn cap_types(&mut self, td: &TypeDescriptor, offset: u16) -> Option<Vec<JType>> {
        let Some(types) = td.types() else {
            self.err(
                ComponentTag::Descriptor,
                None,
                ErrorKind::BadTypeDescriptor { offset },
            );
            return None;
        };
        let mut out = Vec::new();
        let item = format!("type descriptor {offset:#06x}");
        for t in types {
            out.push(match t {
                JcType::Void => JType::Void,
                JcType::Boolean => JType::Boolean,
                JcType::Byte => JType::Byte,
                JcType::Short => JType::Short,
                JcType::Int => JType::Int,
                JcType::Reference(c) => {
                    JType::Ref(self.class_ref(c, ComponentTag::Descriptor, &item)?)
                }
                JcType::BooleanArray => JType::Array(Elem::Boolean),
                JcType::ByteArray => JType::Array(Elem::Byte),
                JcType::ShortArray => JType::Array(Elem::Short),
                JcType::IntArray => JType::Array(Elem::Int),
                JcType::ReferenceArray(c) => JType::Array(Elem::Ref(self.class_ref(
                    c,
                    ComponentTag::Descriptor,
                    &item,
                )?)),
            });
        }
        Some(out)
    }

    /// The method signature at a Descriptor type offset.
    pub fn cap_sig(&mut self, offset: u16) -> Option<Sig> {
        let cap = self.cap;
        let Some(td) = cap.descriptor.types.at(offset) else {
            self.err(
                ComponentTag::Descriptor,
                None,
                ErrorKind::BadOffset {
                    what: "method type",
                    offset,
                    target: "type descriptor",
                },
            );
            return None;
        };
        let mut types = self.cap_types(td, offset)?;
        let ret = types.pop();
        let ok = ret.is_some() && !types.contains(&JType::Void);
        if !ok {
            self.err(
                ComponentTag::Descriptor,
                None,
                ErrorKind::BadTypeDescriptor { offset },
            );
            return None;
        }
        Some(Sig {
            params: types,
            ret: ret?,
        })
    }

    /// A field type at a Descriptor type offset.
    fn cap_field_type(&mut self, offset: u16) -> Option<JType> {
        let cap = self.cap;
        let Some(td) = cap.descriptor.types.at(offset) else {
            self.err(
                ComponentTag::Descriptor,
                None,
                ErrorKind::BadOffset {
                    what: "field type",
                    offset,
                    target: "type descriptor",
                },
            );
            return None;
        };
        let types = self.cap_types(td, offset)?;
        match types.as_slice() {
            [t] if *t != JType::Void => Some(*t),
            _ => {
                self.err(
                    ComponentTag::Descriptor,
                    None,
                    ErrorKind::BadTypeDescriptor { offset },
                );
                None
            }
        }
    }

    /// Phase 3: the package's own classes and members.
    fn load_own(&mut self) {
        let cap = self.cap;
        let pkg = self.u.packages[0].name.clone();
        let debug_name = |offset: u16| -> Option<String> {
            let d = cap.debug.as_ref()?;
            let c = d.classes.iter().find(|c| c.location == offset)?;
            let s = d.strings.get(usize::from(c.name_index))?;
            Some(String::from_utf8_lossy(s).into_owned())
        };
        for e in &cap.class.entries {
            let offset = e.offset();
            let name = debug_name(offset).unwrap_or_else(|| {
                if pkg.is_empty() {
                    format!("class@{offset:#06x}")
                } else {
                    format!("{pkg}/class@{offset:#06x}")
                }
            });
            let (is_interface, flags) = match e {
                ClassEntry::Interface(i) => (true, i.flags),
                ClassEntry::Class(c) => (false, c.flags),
            };
            let _ = flags;
            let desc = cap
                .descriptor
                .classes
                .iter()
                .find(|d| d.this_class == ClassRef::Internal(offset));
            let dflags = desc.map_or(0, |d| d.access_flags);
            let id = self.new_class(Class {
                name,
                package: 0,
                offset: Some(offset),
                super_class: None,
                interfaces: Vec::new(),
                is_interface,
                is_abstract: is_interface
                    || dflags & hydra_cap::component::descriptor::ACC_ABSTRACT != 0,
                is_final: dflags & ACC_FINAL != 0,
                is_public: dflags & ACC_PUBLIC != 0,
                stub: false,
            });
            self.u.internal.insert(offset, id);
        }
        for e in &cap.class.entries {
            let id = self.u.internal[&e.offset()];
            let item = format!("class@{:#06x}", e.offset());
            match e {
                ClassEntry::Interface(i) => {
                    let mut ifs = Vec::new();
                    for s in &i.superinterfaces {
                        if let Some(c) = self.class_ref(*s, ComponentTag::Class, &item) {
                            if !self.u.class(c).is_interface && !self.u.class(c).stub {
                                self.err(
                                    ComponentTag::Class,
                                    Some(item.clone()),
                                    ErrorKind::ClassKind {
                                        expected: "an interface",
                                        found: "class",
                                        name: self.u.class_name(c).to_string(),
                                    },
                                );
                            }
                            ifs.push(c);
                        }
                    }
                    let obj = self.u.object;
                    let cl = &mut self.u.classes[usize::from(id)];
                    cl.super_class = Some(obj);
                    cl.interfaces = ifs;
                }
                ClassEntry::Class(c) => {
                    let sup = match c.super_class {
                        Some(s) => self.class_ref(s, ComponentTag::Class, &item),
                        None => {
                            self.err(
                                ComponentTag::Class,
                                Some(item.clone()),
                                ErrorKind::Inconsistent {
                                    what: "superclass",
                                    expected: "a class (only java.lang.Object has none)".into(),
                                    found: "none".into(),
                                },
                            );
                            None
                        }
                    };
                    if let Some(s) = sup {
                        let sc = self.u.class(s);
                        if sc.is_interface {
                            let name = sc.name.clone();
                            self.err(
                                ComponentTag::Class,
                                Some(item.clone()),
                                ErrorKind::ClassKind {
                                    expected: "a class as superclass",
                                    found: "interface",
                                    name,
                                },
                            );
                        } else if sc.is_final {
                            let (class, superclass) =
                                (self.u.class_name(id).to_string(), sc.name.clone());
                            self.err(
                                ComponentTag::Class,
                                Some(item.clone()),
                                ErrorKind::FinalSuperclass { class, superclass },
                            );
                        }
                    }
                    let mut ifs = Vec::new();
                    for i in &c.interfaces {
                        if let Some(ic) = self.class_ref(i.interface, ComponentTag::Class, &item) {
                            if !self.u.class(ic).is_interface && !self.u.class(ic).stub {
                                self.err(
                                    ComponentTag::Class,
                                    Some(item.clone()),
                                    ErrorKind::ClassKind {
                                        expected: "an interface",
                                        found: "class",
                                        name: self.u.class_name(ic).to_string(),
                                    },
                                );
                            }
                            ifs.push(ic);
                        }
                    }
                    let cl = &mut self.u.classes[usize::from(id)];
                    cl.super_class = sup.or(Some(self.u.object));
                    cl.interfaces = ifs;
                }
            }
        }
        // Cycles among own classes.
        for e in &cap.class.entries {
            let id = self.u.internal[&e.offset()];
            let mut c = self.u.class(id).super_class;
            let mut n = 0;
            while let Some(x) = c {
                if x == id || n > self.u.classes.len() {
                    let name = self.u.class_name(id).to_string();
                    self.err(
                        ComponentTag::Class,
                        Some(format!("class@{:#06x}", e.offset())),
                        ErrorKind::CyclicHierarchy(name),
                    );
                    self.u.classes[usize::from(id)].super_class = Some(self.u.object);
                    break;
                }
                n += 1;
                c = self.u.class(x).super_class;
            }
        }
        // Members, from the Descriptor component.
        for (ci, d) in cap.descriptor.classes.iter().enumerate() {
            let item = format!("class descriptor {ci}");
            let ClassRef::Internal(off) = d.this_class else {
                self.err(
                    ComponentTag::Descriptor,
                    Some(item),
                    ErrorKind::Inconsistent {
                        what: "this_class",
                        expected: "a class of this package".into(),
                        found: "an external class reference".into(),
                    },
                );
                continue;
            };
            let Some(&id) = self.u.internal.get(&off) else {
                self.err(
                    ComponentTag::Descriptor,
                    Some(item),
                    ErrorKind::BadOffset {
                        what: "this_class",
                        offset: off,
                        target: "class or interface of the Class component",
                    },
                );
                continue;
            };
            for (mi, m) in d.methods.iter().enumerate() {
                let Some(sig) = self.cap_sig(m.type_offset) else {
                    continue;
                };
                let name =
                    debug_method_name(cap, m.method_offset, m.is_abstract()).unwrap_or_else(|| {
                        if m.is_init() {
                            "<init>".to_string()
                        } else if m.is_static() {
                            format!("method@{:#06x}", m.method_offset)
                        } else {
                            format!("virtual#{}", m.token)
                        }
                    });
                let mid = self.u.methods.len() as MethodId;
                let abstract_ = m.is_abstract() || d.is_interface();
                self.u.methods.push(Method {
                    class: id,
                    name,
                    sig,
                    access: access_of(m.access_flags),
                    is_static: m.is_static(),
                    is_init: m.is_init(),
                    is_final: m.access_flags & ACC_FINAL != 0,
                    is_abstract: abstract_,
                    offset: (!abstract_).then_some(m.method_offset),
                });
                // Abstract methods of classes may have a header (named by
                // virtual method tables); interface methods have none.
                if (!abstract_ || (!d.is_interface() && m.method_offset != 0))
                    && self
                        .u
                        .methods_by_offset
                        .insert(m.method_offset, mid)
                        .is_some()
                {
                    self.err(
                        ComponentTag::Descriptor,
                        Some(format!("class descriptor {ci}, method {mi}")),
                        ErrorKind::Inconsistent {
                            what: "method offset",
                            expected: "one method per offset".into(),
                            found: format!("two methods at {:#06x}", m.method_offset),
                        },
                    );
                }
                if !m.is_static() && !m.is_init() && m.access_flags & ACC_PRIVATE == 0 {
                    self.u.virtuals.insert((id, m.token), mid);
                }
            }
            for (fi, f) in d.fields.iter().enumerate() {
                let ty = match f.field_type {
                    FieldType::Primitive(2) => Some(JType::Boolean),
                    FieldType::Primitive(3) => Some(JType::Byte),
                    FieldType::Primitive(4) => Some(JType::Short),
                    FieldType::Primitive(5) => Some(JType::Int),
                    FieldType::Primitive(p) => {
                        self.err(
                            ComponentTag::Descriptor,
                            Some(format!("class descriptor {ci}, field {fi}")),
                            ErrorKind::Inconsistent {
                                what: "primitive field type",
                                expected: "2..=5".into(),
                                found: p.to_string(),
                            },
                        );
                        None
                    }
                    FieldType::Offset(o) => self.cap_field_type(o),
                };
                let Some(ty) = ty else { continue };
                let is_static = f.access_flags & ACC_STATIC != 0;
                let name = match f.field_ref {
                    FieldRef::Static(StaticRef::Internal { offset }) => {
                        format!("static@{offset:#06x}")
                    }
                    FieldRef::Static(_) => "static".to_string(),
                    FieldRef::Instance { token, .. } => format!("field#{token}"),
                };
                let fid = self.u.fields.len() as FieldId;
                self.u.fields.push(Field {
                    class: id,
                    name,
                    ty,
                    access: access_of(f.access_flags),
                    is_static,
                    is_final: f.access_flags & ACC_FINAL != 0,
                });
                match f.field_ref {
                    FieldRef::Static(StaticRef::Internal { offset }) => {
                        self.u.static_fields_by_offset.insert(offset, fid);
                    }
                    FieldRef::Static(StaticRef::External { .. }) => self.err(
                        ComponentTag::Descriptor,
                        Some(format!("class descriptor {ci}, field {fi}")),
                        ErrorKind::Inconsistent {
                            what: "static field reference",
                            expected: "a field of this package".into(),
                            found: "an external reference".into(),
                        },
                    ),
                    FieldRef::Instance { class, token } => {
                        if class != d.this_class {
                            self.err(
                                ComponentTag::Descriptor,
                                Some(format!("class descriptor {ci}, field {fi}")),
                                ErrorKind::Inconsistent {
                                    what: "field class",
                                    expected: format!("{:#06x}", d.this_class.to_u16()),
                                    found: format!("{:#06x}", class.to_u16()),
                                },
                            );
                        }
                        self.u.inst_fields.insert((id, token), fid);
                    }
                }
            }
        }
    }

    /// Phase 4: every constant-pool entry.
    fn resolve_cp(&mut self) {
        let cap = self.cap;
        for (i, e) in cap.constant_pool.entries.iter().enumerate() {
            let item = format!("constant-pool entry {i}");
            let r = self.resolve_entry(e, &item);
            self.u.cp.push(r.unwrap_or(Resolved::Unresolved));
        }
    }

    fn unknown_token(&mut self, item: &str, kind: &'static str, token: u8, class: ClassId) {
        let class = self.u.class_name(class).to_string();
        self.err(
            ComponentTag::ConstantPool,
            Some(item.to_string()),
            ErrorKind::UnknownToken { kind, token, class },
        );
    }

    fn resolve_entry(&mut self, e: &CpEntry, item: &str) -> Option<Resolved> {
        let cp = ComponentTag::ConstantPool;
        Some(match *e {
            CpEntry::Class(c) => Resolved::Class(self.class_ref(c, cp, item)?),
            CpEntry::InstanceField { class, token } => {
                let c = self.class_ref(class, cp, item)?;
                if self.u.class(c).stub {
                    return None;
                }
                match self.u.find_instance_field(c, token) {
                    Some(f) => Resolved::InstanceField(f),
                    None => {
                        self.unknown_token(item, "instance field", token, c);
                        return None;
                    }
                }
            }
            CpEntry::VirtualMethod { class, token } => {
                let c = self.class_ref(class, cp, item)?;
                if self.u.class(c).stub {
                    return None;
                }
                if self.u.class(c).is_interface {
                    let name = self.u.class_name(c).to_string();
                    self.err(
                        cp,
                        Some(item.to_string()),
                        ErrorKind::ClassKind {
                            expected: "a class in a virtual method reference",
                            found: "interface",
                            name,
                        },
                    );
                    return None;
                }
                match self.u.find_virtual(c, token) {
                    Some(m) => Resolved::VirtualMethod(m),
                    None => {
                        self.unknown_token(item, "virtual method", token, c);
                        return None;
                    }
                }
            }
            CpEntry::SuperMethod { class, token } => {
                let c = self.class_ref(class, cp, item)?;
                let sup = self.u.class(c).super_class?;
                if self.u.class(sup).stub {
                    return None;
                }
                match self.u.find_virtual(sup, token) {
                    Some(m) => Resolved::SuperMethod(m),
                    None => {
                        self.unknown_token(item, "virtual method", token, sup);
                        return None;
                    }
                }
            }
            CpEntry::StaticField(StaticRef::Internal { offset }) => {
                match self.u.static_fields_by_offset.get(&offset) {
                    Some(&f) => Resolved::StaticField(f),
                    None => {
                        self.err(
                            cp,
                            Some(item.to_string()),
                            ErrorKind::BadOffset {
                                what: "static field",
                                offset,
                                target: "static field of the Descriptor component",
                            },
                        );
                        return None;
                    }
                }
            }
            CpEntry::StaticMethod(StaticRef::Internal { offset }) => {
                match self.u.methods_by_offset.get(&offset) {
                    Some(&m) => Resolved::StaticMethod(m),
                    None => {
                        self.err(
                            cp,
                            Some(item.to_string()),
                            ErrorKind::BadOffset {
                                what: "static method",
                                offset,
                                target: "method of the Descriptor component",
                            },
                        );
                        return None;
                    }
                }
            }
            CpEntry::StaticField(StaticRef::External {
                package_token,
                class_token,
                token,
            })
            | CpEntry::StaticMethod(StaticRef::External {
                package_token,
                class_token,
                token,
            }) => {
                let c = self.class_ref(
                    ClassRef::External {
                        package_token,
                        class_token,
                    },
                    cp,
                    item,
                )?;
                if self.u.class(c).stub {
                    return None;
                }
                if matches!(e, CpEntry::StaticField(_)) {
                    match self.u.static_fields_ext.get(&(c, token)) {
                        Some(&f) => Resolved::StaticField(f),
                        None => {
                            self.unknown_token(item, "static field", token, c);
                            return None;
                        }
                    }
                } else {
                    match self.u.statics_ext.get(&(c, token)) {
                        Some(&m) => Resolved::StaticMethod(m),
                        None => {
                            self.unknown_token(item, "static method", token, c);
                            return None;
                        }
                    }
                }
            }
        })
    }

    pub fn build(mut self) -> (Universe, Vec<VerifyError>) {
        self.load_packages();
        self.load_own();
        self.resolve_cp();
        (self.u, self.errors)
    }
}

/// The package name: Debug component, Header (format 2.2+), or empty.
fn package_name(cap: &CapFile) -> String {
    if let Some(d) = &cap.debug {
        if let Some(s) = d.strings.get(usize::from(d.package_name_index)) {
            return String::from_utf8_lossy(s).into_owned();
        }
    }
    cap.header.package_name_str().unwrap_or_default()
}

fn debug_method_name(cap: &CapFile, offset: u16, is_abstract: bool) -> Option<String> {
    if is_abstract {
        return None;
    }
    let d = cap.debug.as_ref()?;
    let m = d
        .classes
        .iter()
        .flat_map(|c| &c.methods)
        .find(|m| m.location == offset)?;
    let s = d.strings.get(usize::from(m.name_index))?;
    Some(String::from_utf8_lossy(s).into_owned())
}
