//! StaticField component (tag 8): the layout and initial image of the
//! package's static fields.

use alloc::vec::Vec;

use crate::bytes::{Reader, Writer};
use crate::error::{CapErrorKind, Result};

/// Element types of initialised static arrays.
pub const ARRAY_TYPE_BOOLEAN: u8 = 2;
pub const ARRAY_TYPE_BYTE: u8 = 3;
pub const ARRAY_TYPE_SHORT: u8 = 4;
pub const ARRAY_TYPE_INT: u8 = 5;

/// A static array field with an initialiser (`static byte[] t = {1, 2}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayInit {
    pub element_type: u8,
    /// The initial values, big-endian, `count` bytes.
    pub values: Vec<u8>,
}

impl ArrayInit {
    pub fn element_size(&self) -> usize {
        match self.element_type {
            ARRAY_TYPE_SHORT => 2,
            ARRAY_TYPE_INT => 4,
            _ => 1,
        }
    }

    pub fn element_count(&self) -> usize {
        self.values.len() / self.element_size()
    }
}

/// The static field image has four segments, in this order: reference arrays
/// with initialisers (`array_init`), other references (null), primitives with
/// default values (zero), primitives with non-default values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticFieldComponent {
    pub image_size: u16,
    /// Number of reference fields (segments 1 and 2), two bytes each.
    pub reference_count: u16,
    pub array_init: Vec<ArrayInit>,
    /// Bytes of primitive fields initialised to zero (segment 3).
    pub default_value_count: u16,
    /// Initial bytes of segment 4.
    pub non_default_values: Vec<u8>,
}

impl StaticFieldComponent {
    pub fn parse(r: &mut Reader<'_>) -> Result<StaticFieldComponent> {
        let image_size = r.u2("image size")?;
        let reference_count = r.u2("reference count")?;
        let count = usize::from(r.u2("array init count")?);
        let array_init = super::read_vec(r, count, |r| {
            let at = r.pos();
            let element_type = r.u1("array init type")?;
            if !(ARRAY_TYPE_BOOLEAN..=ARRAY_TYPE_INT).contains(&element_type) {
                return Err(r.error_at(
                    at,
                    CapErrorKind::InvalidValue {
                        what: "array init element type",
                        value: element_type.into(),
                    },
                ));
            }
            let count = r.u2("array init byte count")?;
            let values = r.bytes(count.into(), "array init values")?.to_vec();
            Ok(ArrayInit {
                element_type,
                values,
            })
        })?;
        let default_value_count = r.u2("default value count")?;
        let count = r.u2("non-default value count")?;
        let non_default_values = r.bytes(count.into(), "non-default values")?.to_vec();
        Ok(StaticFieldComponent {
            image_size,
            reference_count,
            array_init,
            default_value_count,
            non_default_values,
        })
    }

    pub fn write(&self, w: &mut Writer) {
        w.u2(self.image_size);
        w.u2(self.reference_count);
        w.u2(self.array_init.len() as u16);
        for a in &self.array_init {
            w.u1(a.element_type);
            w.u2(a.values.len() as u16);
            w.bytes(&a.values);
        }
        w.u2(self.default_value_count);
        w.u2(self.non_default_values.len() as u16);
        w.bytes(&self.non_default_values);
    }

    /// The initial static image: references null, arrays to be created by the
    /// loader, then the default and non-default primitive segments.
    pub fn initial_image(&self) -> Vec<u8> {
        let mut image = Vec::with_capacity(self.image_size.into());
        image.resize(
            usize::from(self.reference_count) * 2 + usize::from(self.default_value_count),
            0,
        );
        image.extend_from_slice(&self.non_default_values);
        image
    }
}
