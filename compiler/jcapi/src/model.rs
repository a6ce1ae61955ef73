//! The API model: packages, classes, methods and fields with their tokens.
//!
//! Every string and table is a `Cow<'static, _>`, so the generated statics
//! (borrowed) and packages loaded from export files at run time (owned) are
//! the same types.

use alloc::borrow::Cow;
use core::fmt;

/// Access flags of a class, method or field, as in the export file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AccessFlags(pub u16);

impl AccessFlags {
    pub const PUBLIC: u16 = hydra_exp::flags::ACC_PUBLIC;
    pub const PROTECTED: u16 = hydra_exp::flags::ACC_PROTECTED;
    pub const STATIC: u16 = hydra_exp::flags::ACC_STATIC;
    pub const FINAL: u16 = hydra_exp::flags::ACC_FINAL;
    pub const INTERFACE: u16 = hydra_exp::flags::ACC_INTERFACE;
    pub const ABSTRACT: u16 = hydra_exp::flags::ACC_ABSTRACT;
    pub const SHAREABLE: u16 = hydra_exp::flags::ACC_SHAREABLE;
    pub const REMOTE: u16 = hydra_exp::flags::ACC_REMOTE;

    pub const fn has(self, flag: u16) -> bool {
        self.0 & flag == flag
    }
    pub const fn is_public(self) -> bool {
        self.has(Self::PUBLIC)
    }
    pub const fn is_protected(self) -> bool {
        self.has(Self::PROTECTED)
    }
    pub const fn is_static(self) -> bool {
        self.has(Self::STATIC)
    }
    pub const fn is_final(self) -> bool {
        self.has(Self::FINAL)
    }
    pub const fn is_interface(self) -> bool {
        self.has(Self::INTERFACE)
    }
    pub const fn is_abstract(self) -> bool {
        self.has(Self::ABSTRACT)
    }
    pub const fn is_shareable(self) -> bool {
        self.has(Self::SHAREABLE)
    }
    pub const fn is_remote(self) -> bool {
        self.has(Self::REMOTE)
    }
}

/// An API package (`javacard/framework`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiPackage {
    /// Internal form, with slashes: `javacard/framework`.
    pub name: Cow<'static, str>,
    pub aid: Cow<'static, [u8]>,
    pub major: u8,
    pub minor: u8,
    /// `true` when the package defines no applets (`ACC_LIBRARY`).
    pub library: bool,
    /// Packages that declare supertypes or descriptor types used here
    /// (from format 2.3 export files; empty for older formats).
    pub references: Cow<'static, [ApiPackageRef]>,
    pub classes: Cow<'static, [ApiClass]>,
}

/// A package this one refers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiPackageRef {
    pub name: Cow<'static, str>,
    pub aid: Cow<'static, [u8]>,
    pub major: u8,
    pub minor: u8,
}

/// A public class or interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiClass {
    /// Qualified, with slashes: `javacard/framework/APDU`.
    pub name: Cow<'static, str>,
    pub token: u8,
    pub flags: AccessFlags,
    /// The direct superclass; `java/lang/Object` for interfaces, `None`
    /// only for `java/lang/Object`.
    pub superclass: Option<Cow<'static, str>>,
    /// All public superclasses, from `java/lang/Object` down to the direct
    /// superclass.
    pub supers: Cow<'static, [Cow<'static, str>]>,
    /// All public superinterfaces.
    pub interfaces: Cow<'static, [Cow<'static, str>]>,
    pub methods: Cow<'static, [ApiMethod]>,
    pub fields: Cow<'static, [ApiField]>,
    /// Format 2.3: how many public methods a CAP 2.2 package may inherit.
    pub cap22_inheritable_methods: Option<u8>,
}

/// Which token namespace a method's token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MethodKind {
    /// `<init>`: a static method token.
    Constructor,
    /// A static method token, scoped to the class.
    Static,
    /// A virtual method token of a class (inherited methods included).
    Virtual,
    /// An interface method token of an interface.
    Interface,
}

/// A method or constructor visible outside its package.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiMethod {
    pub name: Cow<'static, str>,
    /// JVM descriptor: `(S)V`, `()[B`.
    pub descriptor: Cow<'static, str>,
    pub token: u8,
    pub flags: AccessFlags,
}

/// A field visible outside its package.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiField {
    pub name: Cow<'static, str>,
    /// JVM descriptor: `S`, `[B`, `Ljavacardx/framework/nio/ByteOrder;`.
    pub descriptor: Cow<'static, str>,
    /// `0xFF` ([`ApiField::NO_TOKEN`]) for compile-time constants.
    pub token: u8,
    pub flags: AccessFlags,
    /// The `ConstantValue` of a compile-time constant, as a Java `int`
    /// (byte and short constants sign-extended).
    pub constant: Option<i32>,
}

impl ApiMethod {
    /// Constructors and static methods share the static token namespace.
    pub fn is_static_token(&self) -> bool {
        self.flags.is_static() || self.name == "<init>"
    }

    /// The token namespace, given the class or interface that lists it.
    pub fn kind(&self, in_interface: bool) -> MethodKind {
        if self.name == "<init>" {
            MethodKind::Constructor
        } else if self.flags.is_static() {
            MethodKind::Static
        } else if in_interface {
            MethodKind::Interface
        } else {
            MethodKind::Virtual
        }
    }
}

impl ApiField {
    /// The token of fields that have none (compile-time constants).
    pub const NO_TOKEN: u8 = hydra_exp::flags::NO_TOKEN;

    /// Whether the field has a token a CAP file can refer to.
    pub fn has_token(&self) -> bool {
        !(self.token == Self::NO_TOKEN && self.constant.is_some())
    }
}

impl ApiClass {
    pub fn is_interface(&self) -> bool {
        self.flags.is_interface()
    }

    /// The simple name: `APDU`.
    pub fn simple_name(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }

    /// The virtual method (or, for an interface, interface method) with this
    /// token. Inherited public methods are listed in the class itself.
    pub fn virtual_method(&self, token: u8) -> Option<&ApiMethod> {
        self.methods
            .iter()
            .find(|m| m.token == token && !m.is_static_token())
    }

    /// The static method or constructor with this token.
    pub fn static_method(&self, token: u8) -> Option<&ApiMethod> {
        self.methods
            .iter()
            .find(|m| m.token == token && m.is_static_token())
    }

    /// The static field with this token (constants without a token excluded).
    pub fn static_field(&self, token: u8) -> Option<&ApiField> {
        self.fields
            .iter()
            .find(|f| f.token == token && f.flags.is_static() && f.has_token())
    }

    /// The instance field with this token.
    pub fn instance_field(&self, token: u8) -> Option<&ApiField> {
        self.fields
            .iter()
            .find(|f| f.token == token && !f.flags.is_static())
    }

    /// The methods with this name (overloads), in export-file order.
    pub fn methods_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ApiMethod> + 'a {
        self.methods.iter().filter(move |m| m.name == name)
    }

    /// The method with this name and descriptor.
    pub fn method(&self, name: &str, descriptor: &str) -> Option<&ApiMethod> {
        self.methods
            .iter()
            .find(|m| m.name == name && m.descriptor == descriptor)
    }

    /// The field with this name.
    pub fn field(&self, name: &str) -> Option<&ApiField> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// `javacard/framework/APDU.getBuffer()[B`.
    pub fn method_display<'a>(&'a self, m: &'a ApiMethod) -> MemberName<'a> {
        MemberName {
            class: &self.name,
            name: &m.name,
            separator: "",
            descriptor: &m.descriptor,
        }
    }

    /// `javacard/framework/ISO7816.SW_NO_ERROR:S`.
    pub fn field_display<'a>(&'a self, f: &'a ApiField) -> MemberName<'a> {
        MemberName {
            class: &self.name,
            name: &f.name,
            separator: ":",
            descriptor: &f.descriptor,
        }
    }
}

/// A human-readable member name: `javacard/framework/APDU.getBuffer()[B`
/// for methods, `javacard/framework/ISO7816.SW_NO_ERROR:S` for fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberName<'a> {
    pub class: &'a str,
    pub name: &'a str,
    separator: &'static str,
    pub descriptor: &'a str,
}

impl fmt::Display for MemberName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}{}{}",
            self.class, self.name, self.separator, self.descriptor
        )
    }
}

/// Compares a package name in internal (`javacard/framework`) or source
/// (`javacard.framework`) form with an internal name, without allocating.
pub(crate) fn same_package_name(internal: &str, query: &str) -> bool {
    internal.len() == query.len()
        && internal
            .bytes()
            .zip(query.bytes())
            .all(|(a, b)| a == b || (a == b'/' && b == b'.'))
}

impl ApiPackage {
    /// The name in source form: `javacard.framework`.
    pub fn dotted_name(&self) -> impl fmt::Display + '_ {
        struct Dotted<'a>(&'a str);
        impl fmt::Display for Dotted<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for (i, part) in self.0.split('/').enumerate() {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(part)?;
                }
                Ok(())
            }
        }
        Dotted(&self.name)
    }

    /// Whether `name` (slashes or dots) is this package's name.
    pub fn is_named(&self, name: &str) -> bool {
        same_package_name(&self.name, name)
    }

    /// The class or interface with this token.
    pub fn class_by_token(&self, token: u8) -> Option<&ApiClass> {
        self.classes.iter().find(|c| c.token == token)
    }

    /// The class by qualified (`javacard/framework/APDU`) or simple (`APDU`)
    /// name.
    pub fn class(&self, name: &str) -> Option<&ApiClass> {
        if name.contains('/') {
            self.classes.iter().find(|c| c.name == name)
        } else {
            self.classes.iter().find(|c| c.simple_name() == name)
        }
    }

    /// The virtual (or interface) method `method_token` of class `class_token`.
    pub fn virtual_method(&self, class_token: u8, method_token: u8) -> Option<&ApiMethod> {
        self.class_by_token(class_token)?
            .virtual_method(method_token)
    }

    /// The static method or constructor `method_token` of class `class_token`.
    pub fn static_method(&self, class_token: u8, method_token: u8) -> Option<&ApiMethod> {
        self.class_by_token(class_token)?
            .static_method(method_token)
    }

    /// The static field `field_token` of class `class_token`.
    pub fn static_field(&self, class_token: u8, field_token: u8) -> Option<&ApiField> {
        self.class_by_token(class_token)?.static_field(field_token)
    }

    /// The instance field `field_token` of class `class_token`.
    pub fn instance_field(&self, class_token: u8, field_token: u8) -> Option<&ApiField> {
        self.class_by_token(class_token)?
            .instance_field(field_token)
    }
}

/// Macros that expand to the struct literals of the generated statics
/// (struct literals, unlike `const fn` calls, are promoted to `'static`
/// inside nested `&[...]`).
pub(crate) mod build {
    macro_rules! s {
        ($v:expr) => {
            ::alloc::borrow::Cow::Borrowed($v)
        };
    }

    macro_rules! m {
        ($name:expr, $desc:expr, $token:expr, $flags:expr) => {
            $crate::model::ApiMethod {
                name: ::alloc::borrow::Cow::Borrowed($name),
                descriptor: ::alloc::borrow::Cow::Borrowed($desc),
                token: $token,
                flags: $crate::model::AccessFlags($flags),
            }
        };
    }

    macro_rules! f {
        ($name:expr, $desc:expr, $token:expr, $flags:expr, $constant:expr) => {
            $crate::model::ApiField {
                name: ::alloc::borrow::Cow::Borrowed($name),
                descriptor: ::alloc::borrow::Cow::Borrowed($desc),
                token: $token,
                flags: $crate::model::AccessFlags($flags),
                constant: $constant,
            }
        };
    }

    macro_rules! r {
        ($name:expr, $aid:expr, $major:expr, $minor:expr) => {
            $crate::model::ApiPackageRef {
                name: ::alloc::borrow::Cow::Borrowed($name),
                aid: ::alloc::borrow::Cow::Borrowed($aid),
                major: $major,
                minor: $minor,
            }
        };
    }

    macro_rules! c {
        ($name:expr, $token:expr, $flags:expr, $superclass:expr, [$($sup:expr),* $(,)?],
         [$($itf:expr),* $(,)?], [$($m:expr),* $(,)?], [$($f:expr),* $(,)?], $cap22:expr) => {
            $crate::model::ApiClass {
                name: ::alloc::borrow::Cow::Borrowed($name),
                token: $token,
                flags: $crate::model::AccessFlags($flags),
                superclass: $superclass,
                supers: ::alloc::borrow::Cow::Borrowed(&[$($sup),*]),
                interfaces: ::alloc::borrow::Cow::Borrowed(&[$($itf),*]),
                methods: ::alloc::borrow::Cow::Borrowed(&[$($m),*]),
                fields: ::alloc::borrow::Cow::Borrowed(&[$($f),*]),
                cap22_inheritable_methods: $cap22,
            }
        };
    }

    macro_rules! p {
        ($name:expr, $aid:expr, $major:expr, $minor:expr, $library:expr,
         [$($r:expr),* $(,)?], [$($c:expr),* $(,)?] $(,)?) => {
            $crate::model::ApiPackage {
                name: ::alloc::borrow::Cow::Borrowed($name),
                aid: ::alloc::borrow::Cow::Borrowed($aid),
                major: $major,
                minor: $minor,
                library: $library,
                references: ::alloc::borrow::Cow::Borrowed(&[$($r),*]),
                classes: ::alloc::borrow::Cow::Borrowed(&[$($c),*]),
            }
        };
    }

    pub(crate) use {c, f, m, p, r, s};
}
