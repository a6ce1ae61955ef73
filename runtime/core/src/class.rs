//! The runtime class model shared by interpreted and (later) native code:
//! classes with flattened virtual tables and interface maps, methods, and
//! the pre-resolved constant pool entries.

use alloc::string::String;
use alloc::vec::Vec;

pub type ClassId = u16;
pub type MethodId = u16;
pub const NO_CLASS: ClassId = 0xFFFF;
pub const NO_METHOD: MethodId = 0xFFFF;

pub const C_INTERFACE: u8 = 0x1;
pub const C_SHAREABLE: u8 = 0x2;
pub const C_ABSTRACT: u8 = 0x4;

#[derive(Debug, Clone)]
pub struct Class {
    /// Package index (0: java.lang, 1: javacard.framework, 2..: loaded).
    pub pkg: u16,
    pub name: String,
    /// Class token (API classes; 0xFF when unknown).
    pub token: u8,
    pub flags: u8,
    pub super_class: ClassId,
    /// Superclasses above this class (0: `Object` and interfaces): a
    /// subclass test climbs only the difference (`is_subclass_of`).
    pub depth: u8,
    /// Instance cells of the superclasses (first cell of this class's fields).
    pub base: u16,
    /// Total instance cells.
    pub cells: u16,
    /// Public virtual methods by token, inherited entries included.
    pub vtable: Vec<MethodId>,
    /// Package-visible virtual methods by token & 0x7F, inherited from
    /// superclasses of the same package.
    pub pvtable: Vec<MethodId>,
    /// Implemented interfaces (all, transitively) with their method maps
    /// (interface method token -> public virtual token).
    pub itable: Vec<(ClassId, Vec<u8>)>,
    /// Interfaces: their superinterfaces, transitively.
    pub superinterfaces: Vec<ClassId>,
    /// The reference fields this class adds: first cell and count (the
    /// CAP's reference tokens are consecutive), so that the collector
    /// follows references and nothing else.
    pub refs: (u16, u16),
}

/// `Class::pkg` of a class id no package holds (a deleted package's).
pub const NO_PACKAGE: u16 = 0xFFFF;

impl Class {
    pub fn is_interface(&self) -> bool {
        self.flags & C_INTERFACE != 0
    }

    /// A class id no package holds.
    pub fn vacant() -> Class {
        Class {
            pkg: NO_PACKAGE,
            name: String::new(),
            token: 0xFF,
            flags: 0,
            super_class: NO_CLASS,
            depth: 0,
            base: 0,
            cells: 0,
            vtable: Vec::new(),
            pvtable: Vec::new(),
            itable: Vec::new(),
            superinterfaces: Vec::new(),
            refs: (0, 0),
        }
    }

    pub fn is_vacant(&self) -> bool {
        self.pkg == NO_PACKAGE
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodKind {
    Bytecode,
    Abstract,
    Native(crate::api::Native),
}

#[derive(Debug, Clone)]
pub struct Method {
    pub kind: MethodKind,
    pub pkg: u16,
    /// First bytecode, as an offset in the package's code.
    pub code: u32,
    pub code_end: u32,
    /// Argument words, `this` included.
    pub nargs: u8,
    /// Local words beyond the arguments.
    pub max_locals: u8,
    pub max_stack: u8,
    /// Range of the package's handler table covering this method.
    pub handlers: (u16, u16),
}

/// A resolved constant-pool entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cp {
    Class(ClassId),
    /// Absolute instance cell.
    Field(u16),
    Virtual {
        class: ClassId,
        token: u8,
        /// What the token names in `class` itself (`NO_METHOD`: nothing):
        /// the callee when the object is of that class, and the argument
        /// count of every override.
        method: MethodId,
    },
    /// Statically bound method (super call, static method, constructor).
    Direct(MethodId),
    /// NVM address of a static field.
    Static(u32),
    /// An entry no bytecode may use (e.g. a class of another kind).
    Invalid,
}

/// A handler with absolute code offsets.
#[derive(Debug, Clone, Copy)]
pub struct Handler {
    pub start: u32,
    pub end: u32,
    pub handler: u32,
    /// Class caught, or `NO_CLASS` for any (`finally`).
    pub catch: ClassId,
}
