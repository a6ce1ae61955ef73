//! Bounds-checked big-endian cursor over one component, and its writer twin.

use alloc::vec::Vec;
use core::cell::RefCell;

use crate::component::ComponentTag;
use crate::error::{CapError, CapErrorKind, Result};

/// Reads one component's bytes; every read is checked and every error carries
/// the component and the offset from the component's tag byte.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    tag: ComponentTag,
    /// Offset of `data[0]` inside the component file (3 for a body after tag and size).
    base: usize,
    /// Where every read is recorded, when a caller asked for the field map.
    trace: Option<&'a RefCell<Vec<FieldSpan>>>,
}

/// One item a component's parser read: where it is in the component file
/// (counted from the tag byte), how long it is, and what the parser calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpan {
    pub tag: ComponentTag,
    pub offset: usize,
    pub len: usize,
    pub what: &'static str,
}

impl<'a> Reader<'a> {
    pub fn new(tag: ComponentTag, data: &'a [u8], base: usize) -> Self {
        Reader {
            data,
            pos: 0,
            tag,
            base,
            trace: None,
        }
    }

    /// A reader that records every item it reads into `trace`.
    pub fn traced(
        tag: ComponentTag,
        data: &'a [u8],
        base: usize,
        trace: Option<&'a RefCell<Vec<FieldSpan>>>,
    ) -> Self {
        Reader {
            trace,
            ..Reader::new(tag, data, base)
        }
    }

    /// Offset of the next byte, counted from the start of `data`.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Offset of the next byte inside the component file, for error messages.
    pub fn file_offset(&self) -> usize {
        self.base + self.pos
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn tag(&self) -> ComponentTag {
        self.tag
    }

    pub fn error(&self, kind: CapErrorKind) -> CapError {
        CapError::at(self.tag, self.file_offset(), kind)
    }

    /// An error at an earlier position (`pos` counted like [`Reader::pos`]).
    pub fn error_at(&self, pos: usize, kind: CapErrorKind) -> CapError {
        CapError::at(self.tag, self.base + pos, kind)
    }

    pub fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        if self.remaining() < n {
            return Err(self.error(CapErrorKind::UnexpectedEnd {
                what,
                needed: n,
                available: self.remaining(),
            }));
        }
        let s = &self.data[self.pos..self.pos + n];
        if let Some(t) = self.trace {
            t.borrow_mut().push(FieldSpan {
                tag: self.tag,
                offset: self.file_offset(),
                len: n,
                what,
            });
        }
        self.pos += n;
        Ok(s)
    }

    pub fn u1(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.bytes(1, what)?[0])
    }

    pub fn u2(&mut self, what: &'static str) -> Result<u16> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn u4(&mut self, what: &'static str) -> Result<u32> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A byte that the format requires to be zero.
    pub fn padding(&mut self, what: &'static str) -> Result<()> {
        let at = self.pos;
        let v = self.u1(what)?;
        if v != 0 {
            return Err(self.error_at(
                at,
                CapErrorKind::NonZeroPadding {
                    what,
                    value: v.into(),
                },
            ));
        }
        Ok(())
    }

    /// Splits off the next `n` bytes as a reader of their own, keeping offsets.
    pub fn sub(&mut self, n: usize, what: &'static str) -> Result<Reader<'a>> {
        let base = self.file_offset();
        let data = self.bytes(n, what)?;
        Ok(Reader {
            data,
            pos: 0,
            tag: self.tag,
            base,
            trace: self.trace,
        })
    }

    /// Fails unless every byte was consumed.
    pub fn finish(&self) -> Result<()> {
        if self.remaining() != 0 {
            return Err(self.error(CapErrorKind::TrailingBytes {
                count: self.remaining(),
            }));
        }
        Ok(())
    }
}

/// Appends big-endian items.
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn u1(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn u2(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn u4(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }
    pub fn len(&self) -> usize {
        self.buf.len()
    }
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}
