//! Names for everything a CAP file refers to: this package's classes, methods
//! and fields (from the Debug component, or the package's own export file when
//! it has no debug information) and imported ones (through the export data).

use std::collections::HashMap;

use hydra_cap::component::debug::DebugComponent;
use hydra_cap::component::{
    CpEntry, DescriptorComponent, FieldRef, FieldType, JcType, PackageInfo, TypeDescriptor,
};
use hydra_cap::{CapFile, ClassRef, StaticRef};

/// What the export data says about imported packages. Implemented over the
/// built-in Java Card API plus `--exportpath` files.
pub trait ApiLookup {
    /// `javacard/framework` for a package AID.
    fn package_name(&self, aid: &[u8]) -> Option<String>;
    /// Fully qualified class name, e.g. `javacard/framework/APDU`.
    fn class_name(&self, aid: &[u8], class_token: u8) -> Option<String>;
    /// (name, descriptor) of a virtual method.
    fn virtual_method(&self, aid: &[u8], class_token: u8, token: u8) -> Option<(String, String)>;
    /// (name, descriptor) of a static method or constructor.
    fn static_method(&self, aid: &[u8], class_token: u8, token: u8) -> Option<(String, String)>;
    /// (name, descriptor) of a static field.
    fn static_field(&self, aid: &[u8], class_token: u8, token: u8) -> Option<(String, String)>;
    /// (name, descriptor) of an instance field.
    fn instance_field(&self, aid: &[u8], class_token: u8, token: u8) -> Option<(String, String)>;
    /// (declaring class, name, descriptor) of a virtual method, searching
    /// superclasses: how an applet's own class reaches inherited API methods.
    fn superclass_virtual(
        &self,
        aid: &[u8],
        class_token: u8,
        token: u8,
    ) -> Option<(String, String, String)> {
        self.virtual_method(aid, class_token, token)
            .map(|(n, d)| (self.class_name(aid, class_token).unwrap_or_default(), n, d))
    }
}

/// No export data at all: every imported item is shown by its tokens.
pub struct NoApi;

impl ApiLookup for NoApi {
    fn package_name(&self, _: &[u8]) -> Option<String> {
        None
    }
    fn class_name(&self, _: &[u8], _: u8) -> Option<String> {
        None
    }
    fn virtual_method(&self, _: &[u8], _: u8, _: u8) -> Option<(String, String)> {
        None
    }
    fn static_method(&self, _: &[u8], _: u8, _: u8) -> Option<(String, String)> {
        None
    }
    fn static_field(&self, _: &[u8], _: u8, _: u8) -> Option<(String, String)> {
        None
    }
    fn instance_field(&self, _: &[u8], _: u8, _: u8) -> Option<(String, String)> {
        None
    }
}

/// Finds an imported member's (name, descriptor) by package AID, class token and member token.
type MemberLookup<'f> = &'f dyn Fn(&[u8], u8, u8) -> Option<(String, String)>;

/// Resolved names for one CAP file.
pub struct Symbols<'a> {
    cap: &'a CapFile,
    api: &'a dyn ApiLookup,
    pub package_name: String,
    class_names: HashMap<u16, String>,
    /// Method offset -> (name, descriptor).
    methods: HashMap<u16, (String, String)>,
    /// Static field image offset -> name.
    static_fields: HashMap<u16, String>,
    /// (class offset, instance field token) -> name.
    instance_fields: HashMap<(u16, u8), String>,
}

impl<'a> Symbols<'a> {
    /// `package_hint` is the package path from the CAP archive (`com/x/y`), used
    /// when neither the Header nor the Debug component names the package.
    pub fn new(
        cap: &'a CapFile,
        api: &'a dyn ApiLookup,
        package_hint: Option<&str>,
    ) -> Symbols<'a> {
        let mut s = Symbols {
            cap,
            api,
            package_name: String::new(),
            class_names: HashMap::new(),
            methods: HashMap::new(),
            static_fields: HashMap::new(),
            instance_fields: HashMap::new(),
        };
        s.package_name = cap
            .header
            .package_name_str()
            .or_else(|| {
                cap.debug
                    .as_ref()
                    .and_then(|d| d.string(d.package_name_index))
            })
            .or_else(|| package_hint.map(str::to_owned))
            .or_else(|| api.package_name(cap.header.package.aid.as_bytes()))
            .unwrap_or_default();
        if let Some(debug) = &cap.debug {
            s.load_debug(debug);
        }
        s.load_own_export(&cap.descriptor);
        // An applet's install method has a name fixed by the specification.
        for a in cap.applet.iter().flat_map(|a| &a.applets) {
            s.methods
                .entry(a.install_method_offset)
                .or_insert_with(|| ("install".to_owned(), "([BSB)V".to_owned()));
        }
        s
    }

    fn load_debug(&mut self, debug: &DebugComponent) {
        let string = |i: u16| debug.string(i).unwrap_or_default();
        for c in &debug.classes {
            self.class_names.insert(c.location, string(c.name_index));
            for m in &c.methods {
                self.methods.insert(
                    m.location,
                    (string(m.name_index), string(m.descriptor_index)),
                );
            }
            for f in &c.fields {
                let name = string(f.name_index);
                if f.access_flags & 0x0008 != 0 {
                    // Static: contents holds the image offset, unless it is a
                    // compile-time constant (static final primitive).
                    if f.access_flags & 0x0010 == 0
                        || string(f.descriptor_index).starts_with(['L', '['])
                    {
                        self.static_fields.insert(f.contents as u16, name);
                    }
                } else {
                    self.instance_fields
                        .insert((c.location, f.contents as u8), name);
                }
            }
        }
    }

    /// Public names from the package's own export file, when given on the
    /// export path (library packages built without -debug).
    fn load_own_export(&mut self, descriptor: &DescriptorComponent) {
        let aid = self.cap.header.package.aid.as_bytes();
        for c in &descriptor.classes {
            let ClassRef::Internal(offset) = c.this_class else {
                continue;
            };
            if c.token == 0xFF {
                continue;
            }
            if !self.class_names.contains_key(&offset) {
                if let Some(n) = self.api.class_name(aid, c.token) {
                    self.class_names.insert(offset, n);
                }
            }
            for m in &c.methods {
                if m.token == 0xFF
                    || m.method_offset == 0
                    || self.methods.contains_key(&m.method_offset)
                {
                    continue;
                }
                let found = if m.is_static() || m.is_init() {
                    self.api.static_method(aid, c.token, m.token)
                } else {
                    self.api.virtual_method(aid, c.token, m.token)
                };
                if let Some(nd) = found {
                    self.methods.insert(m.method_offset, nd);
                }
            }
        }
    }

    fn import(&self, package_token: u8) -> Option<&PackageInfo> {
        self.cap.import.packages.get(usize::from(package_token))
    }

    /// Name of a package by token, or its AID.
    pub fn package_by_token(&self, package_token: u8) -> String {
        match self.import(package_token) {
            Some(p) => self
                .api
                .package_name(p.aid.as_bytes())
                .unwrap_or_else(|| format!("package[{}]", p.aid)),
            None => format!("package#{package_token}?"),
        }
    }

    /// `javacard/framework/APDU`, `com/x/MyClass`, or a token form when unknown.
    pub fn class_ref(&self, r: ClassRef) -> String {
        match r {
            ClassRef::Internal(offset) => {
                self.class_names.get(&offset).cloned().unwrap_or_else(|| {
                    let token = self.own_class_token(offset);
                    match token {
                        Some(t) if t != 0xFF => format!("{}/Class{t}", self.package_name),
                        _ => format!("{}/Class@{offset:#06x}", self.package_name),
                    }
                })
            }
            ClassRef::External {
                package_token,
                class_token,
            } => self
                .import(package_token)
                .and_then(|p| self.api.class_name(p.aid.as_bytes(), class_token))
                .unwrap_or_else(|| {
                    format!(
                        "{}/class#{class_token}",
                        self.package_by_token(package_token)
                    )
                }),
        }
    }

    fn own_class_token(&self, offset: u16) -> Option<u8> {
        self.cap
            .descriptor
            .classes
            .iter()
            .find(|c| c.this_class == ClassRef::Internal(offset))
            .map(|c| c.token)
    }

    /// `(name, descriptor)` of one of this package's methods by offset.
    pub fn method_at(&self, offset: u16) -> (String, String) {
        if let Some(nd) = self.methods.get(&offset) {
            return nd.clone();
        }
        // No debug info: name it by token and take the signature from the Descriptor.
        for c in &self.cap.descriptor.classes {
            for m in &c.methods {
                if m.method_offset == offset {
                    let desc = self
                        .cap
                        .descriptor
                        .types
                        .at(m.type_offset)
                        .map(|t| self.method_signature(t))
                        .unwrap_or_default();
                    let name = if m.is_init() {
                        "<init>".to_owned()
                    } else if m.token == 0xFF {
                        format!("method@{offset:#06x}")
                    } else if m.is_static() {
                        format!("static{}", m.token)
                    } else {
                        format!("virtual{}", m.token)
                    };
                    return (name, desc);
                }
            }
        }
        (format!("method@{offset:#06x}"), String::new())
    }

    /// The class that declares the method at `offset`.
    pub fn method_owner(&self, offset: u16) -> Option<ClassRef> {
        if let Some(debug) = &self.cap.debug {
            for c in &debug.classes {
                if c.methods.iter().any(|m| m.location == offset) {
                    return Some(ClassRef::Internal(c.location));
                }
            }
        }
        self.cap
            .descriptor
            .classes
            .iter()
            .find(|c| c.methods.iter().any(|m| m.method_offset == offset))
            .map(|c| c.this_class)
    }

    /// `com/x/C.name(S)V` for one of this package's methods.
    pub fn qualified_method(&self, offset: u16) -> String {
        let (name, desc) = self.method_at(offset);
        match self.method_owner(offset) {
            Some(owner) => format!("{}.{name}{desc}", self.class_ref(owner)),
            None => format!("{name}{desc}"),
        }
    }

    /// (name, descriptor) of an interface method, which has no method offset:
    /// the Debug component lists an interface's methods in Descriptor order.
    pub fn interface_method(
        &self,
        class_offset: u16,
        index: usize,
        count: usize,
    ) -> Option<(String, String)> {
        let debug = self.cap.debug.as_ref()?;
        let class = debug.classes.iter().find(|c| c.location == class_offset)?;
        if class.methods.len() != count {
            return None;
        }
        let m = class.methods.get(index)?;
        Some((
            debug.string(m.name_index)?,
            debug.string(m.descriptor_index)?,
        ))
    }

    pub fn instance_field_name(&self, class_offset: u16, token: u8) -> Option<String> {
        self.instance_fields.get(&(class_offset, token)).cloned()
    }

    pub fn static_field_name(&self, offset: u16) -> String {
        self.static_fields
            .get(&offset)
            .cloned()
            .unwrap_or_else(|| format!("static@{offset:#06x}"))
    }

    /// A Java-style descriptor (`(SB)V`) from a CAP type descriptor.
    pub fn method_signature(&self, t: &TypeDescriptor) -> String {
        let Some(types) = t.types() else {
            return "<malformed signature>".to_owned();
        };
        let Some((ret, params)) = types.split_last() else {
            return "<empty signature>".to_owned();
        };
        let mut s = String::from("(");
        for p in params {
            s.push_str(&self.java_type(*p));
        }
        s.push(')');
        s.push_str(&self.java_type(*ret));
        s
    }

    /// A field type descriptor (`[B`, `S`, `Lcom/x/C;`).
    pub fn field_type(&self, t: FieldType) -> String {
        match t {
            FieldType::Primitive(p) => match p {
                2 => "Z".into(),
                3 => "B".into(),
                4 => "S".into(),
                5 => "I".into(),
                other => format!("<type {other}>"),
            },
            FieldType::Offset(o) => self
                .cap
                .descriptor
                .types
                .at(o)
                .and_then(|t| t.types())
                .and_then(|ts| ts.first().map(|t| self.java_type(*t)))
                .unwrap_or_else(|| format!("<type@{o:#06x}>")),
        }
    }

    pub fn java_type(&self, t: JcType) -> String {
        match t {
            JcType::Void => "V".into(),
            JcType::Boolean => "Z".into(),
            JcType::Byte => "B".into(),
            JcType::Short => "S".into(),
            JcType::Int => "I".into(),
            JcType::Reference(c) => format!("L{};", self.class_ref(c)),
            JcType::BooleanArray => "[Z".into(),
            JcType::ByteArray => "[B".into(),
            JcType::ShortArray => "[S".into(),
            JcType::IntArray => "[I".into(),
            JcType::ReferenceArray(c) => format!("[L{};", self.class_ref(c)),
        }
    }

    /// The symbolic form of a constant-pool entry, e.g.
    /// `javacard/framework/APDU.getBuffer()[B`.
    pub fn cp_entry(&self, index: u16) -> String {
        let Some(entry) = self.cap.constant_pool.get(index) else {
            return format!("<constant pool index {index} out of range>");
        };
        let ext_member =
            |class: ClassRef, token: u8, f: MemberLookup<'_>, kind: &str, sep: &str| {
                if let ClassRef::External {
                    package_token,
                    class_token,
                } = class
                {
                    if let Some((n, d)) = self
                        .import(package_token)
                        .and_then(|p| f(p.aid.as_bytes(), class_token, token))
                    {
                        return format!("{}.{n}{sep}{d}", self.class_ref(class));
                    }
                }
                format!("{}.{kind}#{token}", self.class_ref(class))
            };
        match *entry {
            CpEntry::Class(c) => self.class_ref(c),
            CpEntry::InstanceField { class, token } => {
                if let ClassRef::Internal(off) = class {
                    if let Some(n) = self.instance_fields.get(&(off, token)) {
                        let ty = self.instance_field_type(off, token).unwrap_or_default();
                        return format!("{}.{n}:{ty}", self.class_ref(class));
                    }
                    let ty = self.instance_field_type(off, token).unwrap_or_default();
                    return format!("{}.field#{token}:{ty}", self.class_ref(class));
                }
                ext_member(
                    class,
                    token,
                    &|a, c, t| self.api.instance_field(a, c, t),
                    "field",
                    ":",
                )
            }
            CpEntry::VirtualMethod { class, token } | CpEntry::SuperMethod { class, token } => {
                if let ClassRef::Internal(_) = class {
                    if let Some(off) = self.virtual_method_offset(class, token) {
                        let (n, d) = self.method_at(off);
                        return format!("{}.{n}{d}", self.class_ref(class));
                    }
                    // Inherited from an imported superclass.
                    if let Some((owner, n, d)) =
                        self.external_ancestor(class).and_then(|(pt, ct)| {
                            let p = self.import(pt)?;
                            self.api.superclass_virtual(p.aid.as_bytes(), ct, token)
                        })
                    {
                        return format!("{owner}.{n}{d}");
                    }
                    return format!("{}.virtual#{token}", self.class_ref(class));
                }
                ext_member(
                    class,
                    token,
                    &|a, c, t| self.api.virtual_method(a, c, t),
                    "virtual",
                    "",
                )
            }
            CpEntry::StaticField(StaticRef::Internal { offset }) => {
                let owner = self.static_field_owner(offset);
                let ty = self.static_field_type(offset).unwrap_or_default();
                match owner {
                    Some(o) => format!(
                        "{}.{}:{ty}",
                        self.class_ref(o),
                        self.static_field_name(offset)
                    ),
                    None => format!("{}:{ty}", self.static_field_name(offset)),
                }
            }
            CpEntry::StaticMethod(StaticRef::Internal { offset }) => self.qualified_method(offset),
            CpEntry::StaticField(StaticRef::External {
                package_token,
                class_token,
                token,
            }) => {
                let class = ClassRef::External {
                    package_token,
                    class_token,
                };
                ext_member(
                    class,
                    token,
                    &|a, c, t| self.api.static_field(a, c, t),
                    "static",
                    ":",
                )
            }
            CpEntry::StaticMethod(StaticRef::External {
                package_token,
                class_token,
                token,
            }) => {
                let class = ClassRef::External {
                    package_token,
                    class_token,
                };
                ext_member(
                    class,
                    token,
                    &|a, c, t| self.api.static_method(a, c, t),
                    "static",
                    "",
                )
            }
        }
    }

    /// `Iface.method(S)V` for an invokeinterface of method `token` on the
    /// interface at constant-pool `index`.
    pub fn interface_method_ref(&self, index: u16, token: u8) -> String {
        let Some(CpEntry::Class(class)) = self.cap.constant_pool.get(index) else {
            return self.cp_entry(index);
        };
        if let ClassRef::External {
            package_token,
            class_token,
        } = *class
        {
            if let Some((n, d)) = self.import(package_token).and_then(|p| {
                self.api
                    .virtual_method(p.aid.as_bytes(), class_token, token)
            }) {
                return format!("{}.{n}{d}", self.class_ref(*class));
            }
        }
        if let ClassRef::Internal(off) = *class {
            let found = self
                .cap
                .descriptor
                .classes
                .iter()
                .find(|c| c.this_class == *class)
                .and_then(|c| {
                    let i = c.methods.iter().position(|m| m.token == token)?;
                    self.interface_method(off, i, c.methods.len())
                });
            if let Some((n, d)) = found {
                return format!("{}.{n}{d}", self.class_ref(*class));
            }
        }
        format!("{}.method#{token}", self.class_ref(*class))
    }

    fn instance_field_type(&self, class_offset: u16, token: u8) -> Option<String> {
        let c = self
            .cap
            .descriptor
            .classes
            .iter()
            .find(|c| c.this_class == ClassRef::Internal(class_offset))?;
        let f = c
            .fields
            .iter()
            .find(|f| matches!(f.field_ref, FieldRef::Instance { token: t, .. } if t == token))?;
        Some(self.field_type(f.field_type))
    }

    fn static_field_owner(&self, offset: u16) -> Option<ClassRef> {
        self.cap
            .descriptor
            .classes
            .iter()
            .find(|c| {
                c.fields.iter().any(
                    |f| matches!(f.field_ref, FieldRef::Static(StaticRef::Internal { offset: o }) if o == offset),
                )
            })
            .map(|c| c.this_class)
    }

    fn static_field_type(&self, offset: u16) -> Option<String> {
        self.cap.descriptor.classes.iter().find_map(|c| {
            c.fields
                .iter()
                .find(|f| matches!(f.field_ref, FieldRef::Static(StaticRef::Internal { offset: o }) if o == offset))
                .map(|f| self.field_type(f.field_type))
        })
    }

    /// The first imported class up the superclass chain of an internal class.
    fn external_ancestor(&self, class: ClassRef) -> Option<(u8, u8)> {
        let mut current = class;
        for _ in 0..256 {
            match current {
                ClassRef::External {
                    package_token,
                    class_token,
                } => return Some((package_token, class_token)),
                ClassRef::Internal(off) => {
                    let hydra_cap::component::ClassEntry::Class(ci) = self.cap.class_at(off)?
                    else {
                        return None;
                    };
                    current = ci.super_class?;
                }
            }
        }
        None
    }

    /// The method a virtual token names in one of this package's classes,
    /// following superclasses inside the package.
    fn virtual_method_offset(&self, class: ClassRef, token: u8) -> Option<u16> {
        let mut current = class;
        for _ in 0..256 {
            let ClassRef::Internal(off) = current else {
                return None;
            };
            let hydra_cap::component::ClassEntry::Class(ci) = self.cap.class_at(off)? else {
                return None;
            };
            let (table, base, t) = if token & 0x80 != 0 {
                (
                    &ci.package_virtual_method_table,
                    ci.package_method_table_base,
                    token & 0x7f,
                )
            } else {
                (
                    &ci.public_virtual_method_table,
                    ci.public_method_table_base,
                    token,
                )
            };
            if let Some(i) = t.checked_sub(base) {
                if let Some(&m) = table.get(usize::from(i)) {
                    return Some(m);
                }
            }
            current = ci.super_class?;
        }
        None
    }
}
