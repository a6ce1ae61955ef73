//! The GlobalPlatform load file a package travels in: `[E2 DAP block]...
//! C4 <BER length> <load file data block>`. The data block is the native
//! package (or a bytecode load file); its SHA-256 is the Load File Data
//! Block Hash that INSTALL [for load] names and a DAP signs. What `hydra
//! compile --emit package` writes is such a load file, signed or not.

use alloc::vec::Vec;

/// A DAP block of a load file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dap<'a> {
    pub sd_aid: &'a [u8],
    pub signature: &'a [u8],
}

/// Why bytes are not a load file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("load file: {what} at byte {at}")]
pub struct LoadFileError {
    pub at: usize,
    pub what: &'static str,
}

/// A BER-TLV with a one-byte tag: (tag, value, rest).
pub fn next_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = match l0 {
        0..=0x7F => (usize::from(l0), rest),
        0x81 => (usize::from(*rest.first()?), rest.get(1..)?),
        0x82 => (
            usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?])),
            rest.get(2..)?,
        ),
        0x83 => (
            (usize::from(*rest.first()?) << 16)
                | (usize::from(*rest.get(1)?) << 8)
                | usize::from(*rest.get(2)?),
            rest.get(3..)?,
        ),
        _ => return None,
    };
    let (value, rest) = rest.split_at_checked(len)?;
    Some((tag, value, rest))
}

fn push_len(out: &mut Vec<u8>, n: usize) {
    match n {
        0..=0x7F => out.push(n as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, n as u8]),
        0x100..=0xFFFF => {
            out.push(0x82);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        _ => {
            out.push(0x83);
            out.extend_from_slice(&(n as u32).to_be_bytes()[1..]);
        }
    }
}

/// A load file: the DAP blocks (security domain AID, signature), then the
/// data block.
pub fn build(daps: &[(&[u8], &[u8])], block: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(block.len() + 8 + 80 * daps.len());
    for (sd, sig) in daps {
        out.extend_from_slice(&crate::dap::dap_block(sd, sig));
    }
    out.push(0xC4);
    push_len(&mut out, block.len());
    out.extend_from_slice(block);
    out
}

/// Splits a load file into its DAP blocks and its data block.
pub fn split(b: &[u8]) -> Result<(Vec<Dap<'_>>, &[u8]), LoadFileError> {
    let mut daps = Vec::new();
    let mut rest = b;
    loop {
        let at = b.len() - rest.len();
        let Some((tag, value, r)) = next_tlv(rest) else {
            return Err(LoadFileError {
                at,
                what: "not a BER-TLV E2 or C4",
            });
        };
        match tag {
            0xE2 => {
                let (sd_aid, signature) =
                    crate::dap::parse_dap_block(value).ok_or(LoadFileError {
                        at,
                        what: "DAP block is not 4F AID C3 signature",
                    })?;
                daps.push(Dap { sd_aid, signature });
            }
            0xC4 if r.is_empty() => return Ok((daps, value)),
            0xC4 => {
                return Err(LoadFileError {
                    at,
                    what: "bytes after the load file data block",
                })
            }
            _ => {
                return Err(LoadFileError {
                    at,
                    what: "neither a DAP block (E2) nor the data block (C4)",
                })
            }
        }
        rest = r;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn load_files_round_trip_with_every_length_form() {
        for n in [0usize, 5, 127, 128, 255, 256, 65535, 65536, 70000] {
            let block = vec![0xAB; n];
            let lf = build(&[(&[0xA0, 0, 0, 1, 0x51], &[7; 64])], &block);
            let (daps, b) = split(&lf).unwrap();
            assert_eq!(b.len(), n);
            assert_eq!(daps.len(), 1);
            assert_eq!(daps[0].sd_aid, &[0xA0, 0, 0, 1, 0x51]);
            assert_eq!(daps[0].signature, &[7; 64]);
        }
        assert_eq!(build(&[], &[1, 2]), vec![0xC4, 2, 1, 2]);
    }

    #[test]
    fn other_shapes_are_refused_with_where() {
        assert_eq!(split(&[0xC4, 3, 1, 2]).unwrap_err().at, 0);
        assert_eq!(
            split(&[0xC4, 1, 1, 0]).unwrap_err().what,
            "bytes after the load file data block"
        );
        assert_eq!(split(&[0xE2, 0, 0xC4, 0]).unwrap_err().at, 0);
        assert_eq!(split(&[0xC5, 0]).unwrap_err().at, 0);
        assert!(split(&[]).is_err());
    }
}
