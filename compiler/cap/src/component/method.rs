//! Method component (tag 7): exception handlers and method bodies.
//!
//! The component does not delimit its methods: a method ends where the next
//! begins. The boundaries come from the other components (Descriptor, Class
//! tables, Applet, Export, constant pool), so the CAP file parses this
//! component last and passes them in.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use crate::bytes::{Reader, Writer};
use crate::error::{CapErrorKind, Result};

/// Method header flag: the header is 4 bytes (max_stack etc. up to 255).
pub const ACC_EXTENDED: u8 = 0x8;
/// Method header flag: the method is abstract and has no bytecodes.
pub const ACC_ABSTRACT: u8 = 0x4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExceptionHandler {
    /// First covered bytecode, as an offset into the component's info.
    pub start_offset: u16,
    /// Number of covered bytes.
    pub active_length: u16,
    /// Set on the last handler of a method's handler list.
    pub stop_bit: bool,
    pub handler_offset: u16,
    /// Constant-pool index of the caught class; 0 catches everything (`finally`).
    pub catch_type_index: u16,
}

impl ExceptionHandler {
    pub fn end_offset(&self) -> u32 {
        u32::from(self.start_offset) + u32::from(self.active_length)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodHeader {
    /// ACC_EXTENDED and ACC_ABSTRACT.
    pub flags: u8,
    pub max_stack: u8,
    /// Parameter words, including `this`.
    pub nargs: u8,
    /// Local words beyond the parameters.
    pub max_locals: u8,
}

impl MethodHeader {
    pub fn is_extended(&self) -> bool {
        self.flags & ACC_EXTENDED != 0
    }

    pub fn is_abstract(&self) -> bool {
        self.flags & ACC_ABSTRACT != 0
    }

    pub fn encoded_len(&self) -> usize {
        if self.is_extended() {
            4
        } else {
            2
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<MethodHeader> {
        let b0 = r.u1("method header")?;
        let flags = b0 >> 4;
        if flags & ACC_EXTENDED != 0 {
            if b0 & 0xf != 0 {
                return Err(r.error_at(
                    r.pos() - 1,
                    CapErrorKind::NonZeroPadding {
                        what: "extended method header padding",
                        value: (b0 & 0xf).into(),
                    },
                ));
            }
            Ok(MethodHeader {
                flags,
                max_stack: r.u1("max_stack")?,
                nargs: r.u1("nargs")?,
                max_locals: r.u1("max_locals")?,
            })
        } else {
            let b1 = r.u1("method header nargs/max_locals")?;
            Ok(MethodHeader {
                flags,
                max_stack: b0 & 0xf,
                nargs: b1 >> 4,
                max_locals: b1 & 0xf,
            })
        }
    }

    fn write(&self, w: &mut Writer) {
        if self.is_extended() {
            w.u1(self.flags << 4);
            w.u1(self.max_stack);
            w.u1(self.nargs);
            w.u1(self.max_locals);
        } else {
            w.u1((self.flags << 4) | (self.max_stack & 0xf));
            w.u1((self.nargs << 4) | (self.max_locals & 0xf));
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodInfo {
    /// Offset of the header in the component's info: what other components
    /// use to name this method.
    pub offset: u16,
    pub header: MethodHeader,
    pub bytecode: Vec<u8>,
}

impl MethodInfo {
    /// Offset of the first bytecode in the component's info; bytecode pcs in
    /// handlers and branch targets are relative to the component, so pc 0 of
    /// the method is here.
    pub fn code_offset(&self) -> u16 {
        self.offset + self.header.encoded_len() as u16
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodComponent {
    pub handlers: Vec<ExceptionHandler>,
    pub methods: Vec<MethodInfo>,
}

impl MethodComponent {
    /// `starts` holds the info offsets where methods begin, as named by the
    /// other components.
    pub fn parse(r: &mut Reader<'_>, starts: &BTreeSet<u16>) -> Result<MethodComponent> {
        let count = r.u1("handler count")?;
        let handlers = super::read_vec(r, count.into(), |r| {
            let start_offset = r.u2("handler start offset")?;
            let bits = r.u2("handler active length")?;
            Ok(ExceptionHandler {
                start_offset,
                active_length: bits & 0x7fff,
                stop_bit: bits & 0x8000 != 0,
                handler_offset: r.u2("handler offset")?,
                catch_type_index: r.u2("catch type index")?,
            })
        })?;
        let first = r.pos();
        let end = first + r.remaining();
        for &s in starts {
            let s = usize::from(s);
            if s < first || s >= end {
                return Err(r.error_at(
                    s.min(end),
                    CapErrorKind::OutOfRange {
                        what: "method offset named by another component",
                        value: s,
                        limit: end,
                    },
                ));
            }
        }
        let mut methods = Vec::new();
        while !r.is_empty() {
            let offset = r.pos();
            let header = MethodHeader::read(r)?;
            // The method runs to the next named start, or to the end.
            let next = starts
                .range((offset as u16).saturating_add(1)..)
                .next()
                .map_or(end, |&n| usize::from(n));
            let body_len = if header.is_abstract() {
                0
            } else {
                next.checked_sub(r.pos()).ok_or_else(|| {
                    r.error_at(
                        offset,
                        CapErrorKind::InvalidValue {
                            what: "method header overlapping the next method",
                            value: offset as u32,
                        },
                    )
                })?
            };
            let bytecode = r.bytes(body_len, "method bytecodes")?.to_vec();
            methods.push(MethodInfo {
                offset: offset as u16,
                header,
                bytecode,
            });
        }
        Ok(MethodComponent { handlers, methods })
    }

    pub fn write(&self, w: &mut Writer) {
        w.u1(self.handlers.len() as u8);
        for h in &self.handlers {
            w.u2(h.start_offset);
            w.u2(h.active_length | if h.stop_bit { 0x8000 } else { 0 });
            w.u2(h.handler_offset);
            w.u2(h.catch_type_index);
        }
        for m in &self.methods {
            m.header.write(w);
            w.bytes(&m.bytecode);
        }
    }

    /// The method whose header starts at `offset`.
    pub fn method_at(&self, offset: u16) -> Option<&MethodInfo> {
        self.methods
            .binary_search_by_key(&offset, |m| m.offset)
            .ok()
            .map(|i| &self.methods[i])
    }

    /// The method containing info offset `offset` (header or bytecode).
    pub fn method_containing(&self, offset: u16) -> Option<&MethodInfo> {
        let i = self.methods.partition_point(|m| m.offset <= offset);
        let m = self.methods.get(i.checked_sub(1)?)?;
        let end = usize::from(m.code_offset()) + m.bytecode.len();
        (usize::from(offset) < end).then_some(m)
    }

    /// Handlers covering some part of `method`, in table order (the order the
    /// virtual machine searches them).
    pub fn handlers_of<'a>(
        &'a self,
        method: &'a MethodInfo,
    ) -> impl Iterator<Item = &'a ExceptionHandler> + 'a {
        let start = u32::from(method.code_offset());
        let end = start + method.bytecode.len() as u32;
        self.handlers
            .iter()
            .filter(move |h| u32::from(h.start_offset) >= start && h.end_offset() <= end)
    }
}
