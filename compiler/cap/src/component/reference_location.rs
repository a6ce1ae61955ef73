//! ReferenceLocation component (tag 9): where the Method component's bytecodes
//! hold constant-pool indices, so a loader can relink them.

use alloc::vec::Vec;

use crate::bytes::{Reader, Writer};
use crate::error::{CapErrorKind, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceLocation {
    /// Method component info offsets of one-byte constant-pool indices.
    pub byte_index_offsets: Vec<u16>,
    /// Method component info offsets of two-byte constant-pool indices.
    pub byte2_index_offsets: Vec<u16>,
}

/// Delta list: each byte adds to the running offset; 255 adds 255 without
/// naming a location, so larger gaps are runs of 255.
fn read_deltas(r: &mut Reader<'_>, what: &'static str) -> Result<Vec<u16>> {
    let count = usize::from(r.u2(what)?);
    let start = r.pos();
    let deltas = r.bytes(count, what)?;
    let mut out = Vec::new();
    let mut offset: u32 = 0;
    for (i, &d) in deltas.iter().enumerate() {
        offset += u32::from(d);
        if offset > 0xFFFF {
            return Err(r.error_at(
                start + i,
                CapErrorKind::OutOfRange {
                    what: "reference location offset",
                    value: offset as usize,
                    limit: 0xFFFF,
                },
            ));
        }
        if d != 255 {
            out.push(offset as u16);
        }
    }
    if deltas.last() == Some(&255) {
        return Err(r.error_at(
            start + count - 1,
            CapErrorKind::InvalidValue {
                what: "reference location list ending in a 255 skip",
                value: 255,
            },
        ));
    }
    let decoded = ReferenceLocation::encode(&out);
    if decoded != deltas {
        return Err(r.error_at(
            start,
            CapErrorKind::InvalidValue {
                what: "non-canonical or unsorted reference location list",
                value: count as u32,
            },
        ));
    }
    Ok(out)
}

impl ReferenceLocation {
    pub fn parse(r: &mut Reader<'_>) -> Result<ReferenceLocation> {
        Ok(ReferenceLocation {
            byte_index_offsets: read_deltas(r, "byte index offsets")?,
            byte2_index_offsets: read_deltas(r, "byte2 index offsets")?,
        })
    }

    /// Delta-encodes sorted offsets.
    pub fn encode(offsets: &[u16]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut prev: u32 = 0;
        for &o in offsets {
            let mut d = u32::from(o).saturating_sub(prev);
            while d >= 255 {
                out.push(255);
                d -= 255;
            }
            out.push(d as u8);
            prev = o.into();
        }
        out
    }

    pub fn write(&self, w: &mut Writer) {
        for list in [&self.byte_index_offsets, &self.byte2_index_offsets] {
            let enc = Self::encode(list);
            w.u2(enc.len() as u16);
            w.bytes(&enc);
        }
    }
}
