//! What the verifier needs to know about imported packages: their classes,
//! with supertypes, and the tokens, access flags and signatures of their
//! methods and fields — the content of an export file.
//!
//! The verifier asks an [`Imports`] implementation for packages by AID (the
//! Import component) and by name (supertypes and signatures name classes of
//! packages the CAP may not import). [`ApiSet`] is a simple implementation
//! filled from export files.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use hydra_exp::ExportFile;

/// Access flags of exported items, with the export-file values.
pub mod acc {
    pub const PUBLIC: u16 = 0x0001;
    pub const PROTECTED: u16 = 0x0004;
    pub const STATIC: u16 = 0x0008;
    pub const FINAL: u16 = 0x0010;
    pub const INTERFACE: u16 = 0x0200;
    pub const ABSTRACT: u16 = 0x0400;
    pub const SHAREABLE: u16 = 0x0800;
}

/// An exported method: `<init>` for constructors, Java descriptor
/// (`(Ljavacard/framework/APDU;)V`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodApi {
    pub token: u8,
    pub name: String,
    pub descriptor: String,
    pub flags: u16,
}

impl MethodApi {
    /// Static methods and constructors share the static token space.
    pub fn is_static_token(&self) -> bool {
        self.flags & acc::STATIC != 0 || self.name == "<init>"
    }
}

/// An exported field (`token` 0xFF: a compile-time constant, never linked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldApi {
    pub token: u8,
    pub name: String,
    pub descriptor: String,
    pub flags: u16,
}

/// An exported class or interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassApi {
    pub token: u8,
    /// Fully qualified, with slashes (`javacard/framework/APDU`).
    pub name: String,
    pub flags: u16,
    /// Public superclasses, `java/lang/Object` first.
    pub supers: Vec<String>,
    /// Superinterfaces (all of them).
    pub interfaces: Vec<String>,
    pub fields: Vec<FieldApi>,
    pub methods: Vec<MethodApi>,
}

impl ClassApi {
    pub fn is_interface(&self) -> bool {
        self.flags & acc::INTERFACE != 0
    }
}

/// An exported package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageApi {
    /// With slashes (`javacard/framework`).
    pub name: String,
    pub aid: Vec<u8>,
    pub major: u8,
    pub minor: u8,
    pub classes: Vec<ClassApi>,
}

impl PackageApi {
    /// The class with this token.
    pub fn class(&self, token: u8) -> Option<&ClassApi> {
        self.classes.iter().find(|c| c.token == token)
    }

    /// The class with this fully qualified name.
    pub fn class_named(&self, name: &str) -> Option<&ClassApi> {
        self.classes.iter().find(|c| c.name == name)
    }

    /// Reads the API out of a parsed export file; `None` if the file names
    /// no package (a parsed file always does).
    pub fn from_export(exp: &ExportFile) -> Option<PackageApi> {
        let pkg = exp.this_package()?;
        let name = exp.package_name()?.to_string();
        let mut classes = Vec::new();
        for c in &exp.classes {
            let cname = exp.class_name(c.name_index)?.to_string();
            let names = |idx: &[u16]| -> Vec<String> {
                idx.iter()
                    .filter_map(|&i| exp.class_name(i).map(|s| s.to_string()))
                    .collect()
            };
            let fields = c
                .fields
                .iter()
                .map(|f| FieldApi {
                    token: f.token,
                    name: exp.utf8(f.name_index).unwrap_or("").to_string(),
                    descriptor: exp.utf8(f.descriptor_index).unwrap_or("").to_string(),
                    flags: f.access_flags,
                })
                .collect();
            let methods = c
                .methods
                .iter()
                .map(|m| MethodApi {
                    token: m.token,
                    name: exp.utf8(m.name_index).unwrap_or("").to_string(),
                    descriptor: exp.utf8(m.descriptor_index).unwrap_or("").to_string(),
                    flags: m.access_flags,
                })
                .collect();
            classes.push(ClassApi {
                token: c.token,
                name: cname,
                flags: c.access_flags,
                supers: names(&c.supers),
                interfaces: names(&c.interfaces),
                fields,
                methods,
            });
        }
        Some(PackageApi {
            name,
            aid: pkg.aid.clone(),
            major: pkg.major_version,
            minor: pkg.minor_version,
            classes,
        })
    }
}

impl From<&hydra_jcapi::ApiPackage> for PackageApi {
    /// The API as the project's built-in tables and `ExportPath` hold it.
    fn from(p: &hydra_jcapi::ApiPackage) -> PackageApi {
        PackageApi {
            name: p.name.to_string(),
            aid: p.aid.to_vec(),
            major: p.major,
            minor: p.minor,
            classes: p
                .classes
                .iter()
                .map(|c| ClassApi {
                    token: c.token,
                    name: c.name.to_string(),
                    flags: c.flags.0,
                    supers: c.supers.iter().map(|s| s.to_string()).collect(),
                    interfaces: c.interfaces.iter().map(|s| s.to_string()).collect(),
                    fields: c
                        .fields
                        .iter()
                        .map(|f| FieldApi {
                            token: f.token,
                            name: f.name.to_string(),
                            descriptor: f.descriptor.to_string(),
                            flags: f.flags.0,
                        })
                        .collect(),
                    methods: c
                        .methods
                        .iter()
                        .map(|m| MethodApi {
                            token: m.token,
                            name: m.name.to_string(),
                            descriptor: m.descriptor.to_string(),
                            flags: m.flags.0,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Where the verifier finds imported packages.
pub trait Imports {
    /// The package with this AID.
    fn by_aid(&self, aid: &[u8]) -> Option<&PackageApi>;
    /// The package with this name (slashes).
    fn by_name(&self, name: &str) -> Option<&PackageApi>;
}

/// A set of packages, usually read from export files.
#[derive(Debug, Clone, Default)]
pub struct ApiSet {
    pub packages: Vec<PackageApi>,
}

impl ApiSet {
    pub fn new() -> ApiSet {
        ApiSet::default()
    }

    /// Adds a package; an earlier one with the same AID is replaced (the
    /// last `--exportpath` wins, as with the converter).
    pub fn add(&mut self, p: PackageApi) {
        self.packages.retain(|q| q.aid != p.aid);
        self.packages.push(p);
    }

    /// Every package of an `ExportPath` (built-in API tables plus the
    /// `--exportpath` folders).
    pub fn from_export_path(path: &hydra_jcapi::ExportPath) -> ApiSet {
        let mut set = ApiSet::new();
        for p in path.packages() {
            set.add(p.into());
        }
        set
    }
}

impl Imports for ApiSet {
    fn by_aid(&self, aid: &[u8]) -> Option<&PackageApi> {
        self.packages.iter().find(|p| p.aid == aid)
    }
    fn by_name(&self, name: &str) -> Option<&PackageApi> {
        self.packages.iter().find(|p| p.name == name)
    }
}

/// No imported package is known (every import is then an error).
pub struct NoImports;

impl Imports for NoImports {
    fn by_aid(&self, _: &[u8]) -> Option<&PackageApi> {
        None
    }
    fn by_name(&self, _: &str) -> Option<&PackageApi> {
        None
    }
}

/// Built-in API packages (`hydra_jcapi`'s generated tables), each converted
/// the first time the verifier asks for it: a card verifying a load file
/// needs the three or four packages it imports, not the whole release.
pub struct BuiltinImports {
    packages: Vec<&'static hydra_jcapi::ApiPackage>,
    converted: Vec<core::cell::OnceCell<PackageApi>>,
}

impl BuiltinImports {
    pub fn new(packages: impl IntoIterator<Item = &'static hydra_jcapi::ApiPackage>) -> Self {
        let packages: Vec<_> = packages.into_iter().collect();
        let converted = packages
            .iter()
            .map(|_| core::cell::OnceCell::new())
            .collect();
        BuiltinImports {
            packages,
            converted,
        }
    }

    fn get(&self, i: usize) -> Option<&PackageApi> {
        let p = *self.packages.get(i)?;
        Some(self.converted.get(i)?.get_or_init(|| p.into()))
    }
}

impl Imports for BuiltinImports {
    fn by_aid(&self, aid: &[u8]) -> Option<&PackageApi> {
        self.get(self.packages.iter().position(|p| *p.aid == *aid)?)
    }
    fn by_name(&self, name: &str) -> Option<&PackageApi> {
        self.get(self.packages.iter().position(|p| p.name == name)?)
    }
}
