//! The types the verifier tracks: declared types of fields, parameters and
//! returns ([`JType`]), and the verification types of operand-stack and
//! local-variable words ([`VType`]), with their frames.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::model::{ClassId, Universe};

/// Element type of a (one-dimensional) Java Card array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Elem {
    Boolean,
    Byte,
    Short,
    Int,
    Ref(ClassId),
}

/// A declared type (field, parameter, return value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JType {
    Void,
    Boolean,
    Byte,
    Short,
    Int,
    Ref(ClassId),
    Array(Elem),
}

impl JType {
    /// Words the type takes on the stack or in locals.
    pub fn words(self) -> usize {
        match self {
            JType::Void => 0,
            JType::Int => 2,
            _ => 1,
        }
    }

    pub fn is_reference(self) -> bool {
        matches!(self, JType::Ref(_) | JType::Array(_))
    }

    /// The verification words of a value of this type, bottom first.
    pub fn vtypes(self) -> &'static [VType] {
        match self {
            JType::Void => &[],
            JType::Int => &[VType::IntHi, VType::IntLo],
            JType::Boolean | JType::Byte | JType::Short => &[VType::Short],
            // References are handled by `vref`.
            JType::Ref(_) | JType::Array(_) => &[],
        }
    }

    /// The verification type of a reference type.
    pub fn vref(self) -> Option<VType> {
        match self {
            JType::Ref(c) => Some(VType::Ref(c)),
            JType::Array(e) => Some(VType::Array(e)),
            _ => None,
        }
    }

    pub fn describe(self, u: &Universe) -> String {
        match self {
            JType::Void => "void".into(),
            JType::Boolean => "boolean".into(),
            JType::Byte => "byte".into(),
            JType::Short => "short".into(),
            JType::Int => "int".into(),
            JType::Ref(c) => u.class_name(c).into(),
            JType::Array(e) => describe_elem(e, u),
        }
    }
}

fn describe_elem(e: Elem, u: &Universe) -> String {
    match e {
        Elem::Boolean => "boolean[]".into(),
        Elem::Byte => "byte[]".into(),
        Elem::Short => "short[]".into(),
        Elem::Int => "int[]".into(),
        Elem::Ref(c) => format!("{}[]", u.class_name(c)),
    }
}

/// A method signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sig {
    pub params: Vec<JType>,
    pub ret: JType,
}

impl Sig {
    /// Parameter words (without `this`).
    pub fn param_words(&self) -> usize {
        self.params.iter().map(|p| p.words()).sum()
    }

    pub fn describe(&self, u: &Universe) -> String {
        let mut s = String::from("(");
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(&p.describe(u));
        }
        s.push(')');
        s.push_str(&self.ret.describe(u));
        s
    }
}

/// The type of one word of the operand stack or of the local variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VType {
    /// Unusable: never written, or different types merged.
    Top,
    /// byte, boolean or short (the JCVM widens them all to a short word).
    Short,
    /// First (high) word of an int.
    IntHi,
    /// Second (low) word of an int.
    IntLo,
    /// The null reference.
    Null,
    /// An instance of this class (or of a subclass).
    Ref(ClassId),
    /// An array.
    Array(Elem),
    /// The result of `new` at `pc`, before its constructor ran.
    Uninit { pc: u16, class: ClassId },
    /// `this` in a constructor, before the superclass constructor ran.
    UninitThis(ClassId),
    /// A `jsr` return address, for the subroutine starting at this pc.
    RetAddr(u16),
}

impl VType {
    /// An initialised reference (or null).
    pub fn is_reference(self) -> bool {
        matches!(self, VType::Null | VType::Ref(_) | VType::Array(_))
    }

    pub fn is_uninit(self) -> bool {
        matches!(self, VType::Uninit { .. } | VType::UninitThis(_))
    }

    pub fn describe(self, u: &Universe) -> String {
        match self {
            VType::Top => "an unusable value".into(),
            VType::Short => "short".into(),
            VType::IntHi => "int".into(),
            VType::IntLo => "the low word of an int".into(),
            VType::Null => "null".into(),
            VType::Ref(c) => u.class_name(c).into(),
            VType::Array(e) => describe_elem(e, u),
            VType::Uninit { pc, class } => {
                format!("uninitialised {} (new at pc {pc})", u.class_name(class))
            }
            VType::UninitThis(c) => format!("uninitialised this ({})", u.class_name(c)),
            VType::RetAddr(pc) => format!("return address (subroutine at pc {pc})"),
        }
    }
}

/// The types of the local variables and operand stack before an instruction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Frame {
    pub locals: Vec<VType>,
    /// Bottom first.
    pub stack: Vec<VType>,
    /// In a constructor: the superclass (or another) constructor has not
    /// been called yet on this path.
    pub this_uninit: bool,
}

impl Frame {
    /// Words on the operand stack.
    pub fn depth(&self) -> usize {
        self.stack.len()
    }
}
