//! BER-TLV as GlobalPlatform uses it: one- or two-byte tags, definite
//! lengths up to 65535.

use alloc::vec::Vec;

/// Appends `tag length value`.
pub fn put(out: &mut Vec<u8>, tag: u16, value: &[u8]) {
    if tag > 0xFF {
        out.extend_from_slice(&tag.to_be_bytes());
    } else {
        out.push(tag as u8);
    }
    put_len(out, value.len());
    out.extend_from_slice(value);
}

/// Appends a BER length: `n`, `81 n` or `82 hi lo`.
pub fn put_len(out: &mut Vec<u8>, n: usize) {
    match n {
        0..=0x7F => out.push(n as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, n as u8]),
        _ => {
            out.push(0x82);
            out.extend_from_slice(&(n.min(0xFFFF) as u16).to_be_bytes());
        }
    }
}

/// One TLV read from the front of `b`: (tag, value, rest).
pub fn next(b: &[u8]) -> Option<(u16, &[u8], &[u8])> {
    let (&t0, mut rest) = b.split_first()?;
    let tag = if t0 & 0x1F == 0x1F {
        let (&t1, r) = rest.split_first()?;
        rest = r;
        u16::from_be_bytes([t0, t1])
    } else {
        u16::from(t0)
    };
    let (&l0, r) = rest.split_first()?;
    let (len, r) = match l0 {
        0..=0x7F => (usize::from(l0), r),
        0x81 => (usize::from(*r.first()?), &r[1..]),
        0x82 => (
            usize::from(u16::from_be_bytes([*r.first()?, *r.get(1)?])),
            &r[2..],
        ),
        _ => return None,
    };
    let value = r.get(..len)?;
    Some((tag, value, &r[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn round_trips() {
        for len in [0usize, 1, 0x7F, 0x80, 0xFF, 0x100, 300] {
            for tag in [0x4Fu16, 0x9F70] {
                let value = vec![0xAB; len];
                let mut b = Vec::new();
                put(&mut b, tag, &value);
                b.push(0xEE);
                assert_eq!(
                    next(&b),
                    Some((tag, &value[..], &[0xEE][..])),
                    "{tag:#x} {len}"
                );
            }
        }
    }

    #[test]
    fn truncated_or_malformed() {
        assert_eq!(next(&[]), None);
        assert_eq!(next(&[0x4F]), None);
        assert_eq!(next(&[0x4F, 0x05, 1, 2]), None);
        assert_eq!(next(&[0x9F]), None);
        assert_eq!(next(&[0x4F, 0x83, 0, 0, 1]), None);
        assert_eq!(next(&[0x4F, 0x81]), None);
    }
}
