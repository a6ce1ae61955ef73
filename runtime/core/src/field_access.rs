//! What a field instruction may touch, checked once per instruction at link
//! time so that no engine has to trust the CAP's layout claims.
//!
//! The Class component says how many cells a class adds and which of them
//! hold references; the Static Field component says the same of the static
//! image. Compiled code reads and writes fields at the linker's cell index
//! or address with no per-access bounds check, and the collector follows
//! exactly the reference cells and slots. So every field instruction MUST
//! stay inside its class's own cells (or its package's static image) and
//! MUST use reference cells for references and only for references. A CAP
//! whose instructions break that is refused here, whatever its Class or
//! Static Field component claims; a converter's output always passes.

use alloc::format;
use alloc::string::String;

use crate::class::{Class, ClassId, Cp};

/// A package's static field image in NVM: `[start, end)`, reference slots
/// in `[start, refs_end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticArea {
    pub start: u32,
    pub end: u32,
    pub refs_end: u32,
}

/// What a constant-pool field entry reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldSite {
    /// Not a field (or a field of nothing the card stores).
    None,
    /// An instance field declared by this class.
    Instance(ClassId),
    /// A static field in this image.
    Static(StaticArea),
}

/// The JCVM value kinds of field instructions, in opcode order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ref,
    Byte,
    Short,
    Int,
}

/// One field instruction: static or instance, and the kind it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldAccess {
    is_static: bool,
    kind: Kind,
}

impl FieldAccess {
    /// The field access an opcode makes, if it makes one.
    pub fn of(opcode: u8) -> Option<FieldAccess> {
        let (is_static, first) = match opcode {
            0x7B..=0x82 => (true, 0x7B),
            0x83..=0x8A => (false, 0x83),
            0xA9..=0xB8 => (false, 0xA9),
            _ => return None,
        };
        let kind = match (opcode - first) % 4 {
            0 => Kind::Ref,
            1 => Kind::Byte,
            2 => Kind::Short,
            _ => Kind::Int,
        };
        Some(FieldAccess { is_static, kind })
    }

    /// Checks the access against the resolved entry and what it reaches;
    /// the error completes "<opcode> ...".
    pub fn check(self, cp: Cp, site: FieldSite, classes: &[Class]) -> Result<(), String> {
        match (self.is_static, cp, site) {
            (false, Cp::Field(cell), FieldSite::Instance(class)) => {
                let c = classes
                    .get(usize::from(class))
                    .ok_or_else(|| String::from("names a class the card does not hold"))?;
                self.check_instance(u32::from(cell), c)
            }
            (true, Cp::Static(addr), FieldSite::Static(area)) => self.check_static(addr, area),
            _ => Err(String::from("refers to a field the card cannot place")),
        }
    }

    fn check_instance(self, cell: u32, c: &Class) -> Result<(), String> {
        let cells = match self.kind {
            Kind::Int => 2,
            _ => 1,
        };
        let (own_start, own_end) = (u32::from(c.base), u32::from(c.cells));
        if cell < own_start || cell + cells > own_end {
            return Err(format!(
                "reaches cell {cell} of class {}, which declares cells {own_start}..{own_end}",
                c.name
            ));
        }
        let refs = u32::from(c.refs.0)..u32::from(c.refs.0) + u32::from(c.refs.1);
        let in_refs = (cell..cell + cells).any(|x| refs.contains(&x));
        match (self.kind, in_refs) {
            (Kind::Ref, true) | (Kind::Byte | Kind::Short | Kind::Int, false) => Ok(()),
            (Kind::Ref, false) => Err(format!(
                "stores a reference in cell {cell} of class {}, which is not a reference field",
                c.name
            )),
            _ => Err(format!(
                "moves a primitive value in cell {cell} of class {}, a reference field",
                c.name
            )),
        }
    }

    fn check_static(self, addr: u32, a: StaticArea) -> Result<(), String> {
        let bytes = match self.kind {
            Kind::Byte => 1,
            Kind::Int => 4,
            _ => 2,
        };
        if addr < a.start || addr + bytes > a.end {
            return Err(format!(
                "reaches static byte {} of an image of {} bytes",
                addr.wrapping_sub(a.start),
                a.end - a.start
            ));
        }
        let offset = addr - a.start;
        match self.kind {
            Kind::Ref if offset.is_multiple_of(2) && addr + 2 <= a.refs_end => Ok(()),
            Kind::Ref => Err(format!(
                "uses static byte {offset} as a reference, which is not a reference slot"
            )),
            _ if addr >= a.refs_end => Ok(()),
            _ => Err(format!(
                "moves a primitive value in static byte {offset}, a reference slot"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(base: u16, cells: u16, refs: (u16, u16)) -> Class {
        Class {
            base,
            cells,
            refs,
            name: "p.C".into(),
            ..Class::vacant()
        }
    }

    fn instance(op: u8, cell: u16, c: Class) -> Result<(), String> {
        FieldAccess::of(op)
            .unwrap()
            .check(Cp::Field(cell), FieldSite::Instance(0), &[c])
    }

    #[test]
    fn instance_fields_stay_in_their_class_and_kind() {
        // Cells 2..6 of its own, references in 3..5.
        let c = || class(2, 6, (3, 2));
        assert!(instance(0x83, 3, c()).is_ok()); // getfield_a
        assert!(instance(0x87, 4, c()).is_ok()); // putfield_a
        assert!(instance(0x85, 2, c()).is_ok()); // getfield_s
        assert!(instance(0xAF, 5, c()).is_ok()); // getfield_s_this
                                                 // The superclass's cells, the end, an int across the end.
        assert!(instance(0x85, 1, c()).is_err());
        assert!(instance(0x85, 6, c()).is_err());
        assert!(instance(0x86, 5, c()).is_err());
        // Kinds: a reference in a short cell, a short or an int over a
        // reference cell.
        assert!(instance(0x87, 5, c())
            .unwrap_err()
            .contains("not a reference"));
        assert!(instance(0x89, 3, c())
            .unwrap_err()
            .contains("reference field"));
        assert!(instance(0x86, 2, c()).is_err());
        assert!(instance(0xB4, 5, c()).is_err()); // putfield_i_w, past the end
        assert!(instance(0xB0, 5, class(2, 7, (3, 2))).is_ok()); // getfield_i_this
    }

    #[test]
    fn statics_stay_in_the_image_and_kind() {
        let a = StaticArea {
            start: 100,
            end: 110,
            refs_end: 104,
        };
        let st = |op: u8, addr: u32| {
            FieldAccess::of(op)
                .unwrap()
                .check(Cp::Static(addr), FieldSite::Static(a), &[])
        };
        assert!(st(0x7B, 100).is_ok()); // getstatic_a
        assert!(st(0x7F, 102).is_ok()); // putstatic_a
        assert!(st(0x7B, 101).is_err()); // straddles two slots
        assert!(st(0x7B, 104).is_err()); // a primitive slot
        assert!(st(0x7D, 102).is_err()); // getstatic_s of a reference slot
        assert!(st(0x7E, 106).is_ok()); // getstatic_i
        assert!(st(0x82, 107).is_err()); // putstatic_i past the end
        assert!(st(0x80, 109).is_ok()); // putstatic_b, last byte
        assert!(st(0x81, 109).is_err()); // putstatic_s past the end
        assert!(st(0x7D, 99).is_err());
    }

    #[test]
    fn entries_of_the_wrong_shape_are_refused() {
        let get_s = FieldAccess::of(0x85).unwrap();
        assert!(get_s.check(Cp::Invalid, FieldSite::None, &[]).is_err());
        assert!(get_s
            .check(Cp::Field(0), FieldSite::Instance(3), &[])
            .is_err());
        assert!(FieldAccess::of(0x7D)
            .unwrap()
            .check(Cp::Field(0), FieldSite::Instance(0), &[class(0, 1, (0, 0))])
            .is_err());
        assert_eq!(FieldAccess::of(0x8B), None);
        assert_eq!(FieldAccess::of(0xB9), None);
    }
}
