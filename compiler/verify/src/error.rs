//! Verification errors: where (component, class, method, pc or offset) and
//! what (expected vs found), one line each.

use alloc::string::String;
use core::fmt;

use hydra_cap::bytecode::DecodeError;
use hydra_cap::ComponentTag;

/// Where an error was found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    pub component: Option<ComponentTag>,
    /// Class name (from the Debug component or export data) or `class@offset`.
    pub class: Option<String>,
    /// Method name and signature, or `method@offset`.
    pub method: Option<String>,
    /// Bytecode offset inside the method.
    pub pc: Option<u16>,
    /// Index or offset of the item inside the component (constant-pool
    /// index, handler number, info offset).
    pub item: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some(c) = self.component {
            write!(f, "{c} component")?;
            sep = ", ";
        }
        if let Some(i) = &self.item {
            write!(f, "{sep}{i}")?;
            sep = ", ";
        }
        if let Some(c) = &self.class {
            write!(f, "{sep}class {c}")?;
            sep = ", ";
        }
        if let Some(m) = &self.method {
            write!(f, "{sep}method {m}")?;
            sep = ", ";
        }
        if let Some(pc) = self.pc {
            write!(f, "{sep}pc {pc}")?;
            sep = ", ";
        }
        if sep.is_empty() {
            f.write_str("CAP file")?;
        }
        Ok(())
    }
}

/// What was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    // ---- structure ----
    #[error("the CAP file does not parse: {0}")]
    Malformed(String),
    #[error("{what}: expected {expected}, found {found}")]
    Inconsistent {
        what: &'static str,
        expected: String,
        found: String,
    },
    #[error("no export file for imported package {aid}")]
    MissingImport { aid: String },
    #[error("imported package {aid} version {imported} is not provided: export file has version {available}")]
    ImportVersion {
        aid: String,
        imported: String,
        available: String,
    },
    #[error("package token {token} out of range: {count} package(s) imported")]
    BadPackageToken { token: u8, count: usize },
    #[error("class {what} does not exist")]
    UnknownClass { what: String },
    #[error("{kind} token {token} does not exist in {class}")]
    UnknownToken {
        kind: &'static str,
        token: u8,
        class: String,
    },
    #[error("{what} offset {offset:#06x} names no {target}")]
    BadOffset {
        what: &'static str,
        offset: u16,
        target: &'static str,
    },
    #[error("constant-pool index {index} out of range ({count} entries)")]
    CpIndexOutOfRange { index: u16, count: usize },
    #[error("constant-pool entry {index}: expected {expected}, found {found}")]
    CpKind {
        index: u16,
        expected: &'static str,
        found: &'static str,
    },
    #[error("expected {expected}, found {found} {name}")]
    ClassKind {
        expected: &'static str,
        found: &'static str,
        name: String,
    },
    #[error("class hierarchy of {0} is cyclic")]
    CyclicHierarchy(String),
    #[error("{class} extends final class {superclass}")]
    FinalSuperclass { class: String, superclass: String },
    #[error(
        "descriptor gives constant-pool entry {index} the type {declared}, but it is {actual}"
    )]
    CpTypeMismatch {
        index: u16,
        declared: String,
        actual: String,
    },
    #[error("malformed type descriptor at offset {offset:#06x}")]
    BadTypeDescriptor { offset: u16 },
    #[error("exception handler {index}: {what}")]
    BadHandler { index: usize, what: String },
    #[error("reference location {offset:#06x}: {what}")]
    BadReferenceLocation { offset: u16, what: &'static str },
    #[error("constant-pool operand at info offset {offset:#06x} is not listed in the ReferenceLocation component")]
    UnlistedReference { offset: u16 },
    #[error("static field image: {0}")]
    BadStaticImage(String),
    #[error("method header: {what}: expected {expected}, found {found}")]
    MethodHeader {
        what: &'static str,
        expected: u32,
        found: u32,
    },
    #[error("method at offset {offset:#06x} is not described in the Descriptor component")]
    UndescribedMethod { offset: u16 },
    #[error("applet {aid}: {what}")]
    BadApplet { aid: String, what: String },
    #[error("{0}")]
    Decode(DecodeError),

    // ---- bytecode ----
    #[error("{opcode}: expected {expected}, found {found}")]
    TypeMismatch {
        opcode: &'static str,
        expected: String,
        found: String,
    },
    #[error("{opcode}: operand stack underflow: needs {needed} word(s), has {depth}")]
    StackUnderflow {
        opcode: &'static str,
        needed: usize,
        depth: usize,
    },
    #[error("{opcode}: operand stack overflow: {depth} word(s) exceed max_stack {max}")]
    StackOverflow {
        opcode: &'static str,
        depth: usize,
        max: usize,
    },
    #[error("stack height differs between paths to pc {target}: {a} and {b} word(s)")]
    StackHeightMismatch { target: u16, a: usize, b: usize },
    #[error("{opcode}: splits the two words of an int")]
    SplitInt { opcode: &'static str },
    #[error("{opcode}: local variable {index} out of range ({count} local word(s))")]
    LocalOutOfRange {
        opcode: &'static str,
        index: usize,
        count: usize,
    },
    #[error("{opcode}: branch target {target} is {what}")]
    BadBranch {
        opcode: &'static str,
        target: i32,
        what: &'static str,
    },
    #[error("execution falls off the end of the code")]
    FallsOffEnd,
    #[error("{opcode}: {what}")]
    Uninitialized { opcode: &'static str, what: String },
    #[error("{opcode}: {what}")]
    BadInvoke { opcode: &'static str, what: String },
    #[error("{opcode}: {member} is {access} and not accessible from {from}")]
    Access {
        opcode: &'static str,
        member: String,
        access: &'static str,
        from: String,
    },
    #[error("{opcode}: writes final field {field} outside a constructor of its class")]
    FinalFieldWrite { opcode: &'static str, field: String },
    #[error("{opcode}: cannot instantiate {what} {class}")]
    BadNew {
        opcode: &'static str,
        what: &'static str,
        class: String,
    },
    #[error("{opcode}: invalid array type {atype}")]
    BadArrayType { opcode: &'static str, atype: u8 },
    #[error("{opcode}: the package does not declare the int type (ACC_INT)")]
    IntNotDeclared { opcode: &'static str },
    #[error("{opcode}: return type is {declared}")]
    BadReturn {
        opcode: &'static str,
        declared: String,
    },
    #[error("{opcode}: {what}")]
    BadSubroutine { opcode: &'static str, what: String },
    #[error("{opcode}: invalid stack operand {mn:#04x}")]
    BadStackOperand { opcode: &'static str, mn: u8 },
    #[error("method is too complex to verify")]
    TooComplex,
    #[error("uses {what}, which did not resolve (reported above)")]
    Unresolved { what: String },
}

impl ErrorKind {
    /// The variant's name, for tests and tables.
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::Malformed(_) => "Malformed",
            ErrorKind::Inconsistent { .. } => "Inconsistent",
            ErrorKind::MissingImport { .. } => "MissingImport",
            ErrorKind::ImportVersion { .. } => "ImportVersion",
            ErrorKind::BadPackageToken { .. } => "BadPackageToken",
            ErrorKind::UnknownClass { .. } => "UnknownClass",
            ErrorKind::UnknownToken { .. } => "UnknownToken",
            ErrorKind::BadOffset { .. } => "BadOffset",
            ErrorKind::CpIndexOutOfRange { .. } => "CpIndexOutOfRange",
            ErrorKind::CpKind { .. } => "CpKind",
            ErrorKind::ClassKind { .. } => "ClassKind",
            ErrorKind::CyclicHierarchy(_) => "CyclicHierarchy",
            ErrorKind::FinalSuperclass { .. } => "FinalSuperclass",
            ErrorKind::CpTypeMismatch { .. } => "CpTypeMismatch",
            ErrorKind::BadTypeDescriptor { .. } => "BadTypeDescriptor",
            ErrorKind::BadHandler { .. } => "BadHandler",
            ErrorKind::BadReferenceLocation { .. } => "BadReferenceLocation",
            ErrorKind::UnlistedReference { .. } => "UnlistedReference",
            ErrorKind::BadStaticImage(_) => "BadStaticImage",
            ErrorKind::MethodHeader { .. } => "MethodHeader",
            ErrorKind::UndescribedMethod { .. } => "UndescribedMethod",
            ErrorKind::BadApplet { .. } => "BadApplet",
            ErrorKind::Decode(_) => "Decode",
            ErrorKind::TypeMismatch { .. } => "TypeMismatch",
            ErrorKind::StackUnderflow { .. } => "StackUnderflow",
            ErrorKind::StackOverflow { .. } => "StackOverflow",
            ErrorKind::StackHeightMismatch { .. } => "StackHeightMismatch",
            ErrorKind::SplitInt { .. } => "SplitInt",
            ErrorKind::LocalOutOfRange { .. } => "LocalOutOfRange",
            ErrorKind::BadBranch { .. } => "BadBranch",
            ErrorKind::FallsOffEnd => "FallsOffEnd",
            ErrorKind::Uninitialized { .. } => "Uninitialized",
            ErrorKind::BadInvoke { .. } => "BadInvoke",
            ErrorKind::Access { .. } => "Access",
            ErrorKind::FinalFieldWrite { .. } => "FinalFieldWrite",
            ErrorKind::BadNew { .. } => "BadNew",
            ErrorKind::BadArrayType { .. } => "BadArrayType",
            ErrorKind::IntNotDeclared { .. } => "IntNotDeclared",
            ErrorKind::BadReturn { .. } => "BadReturn",
            ErrorKind::BadSubroutine { .. } => "BadSubroutine",
            ErrorKind::BadStackOperand { .. } => "BadStackOperand",
            ErrorKind::TooComplex => "TooComplex",
            ErrorKind::Unresolved { .. } => "Unresolved",
        }
    }
}

/// One verification error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct VerifyError {
    pub location: Location,
    pub kind: ErrorKind,
}

impl VerifyError {
    pub fn new(location: Location, kind: ErrorKind) -> Self {
        VerifyError { location, kind }
    }

    pub fn in_component(component: ComponentTag, kind: ErrorKind) -> Self {
        VerifyError {
            location: Location {
                component: Some(component),
                ..Location::default()
            },
            kind,
        }
    }

    /// The same error with `item` set.
    pub fn item(mut self, item: String) -> Self {
        self.location.item = Some(item);
        self
    }
}
