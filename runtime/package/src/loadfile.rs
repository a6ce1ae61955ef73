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

/// The start of a load file, as a card that stores the data block while
/// it arrives needs it: the DAP blocks and where the data block (`C4`)
/// begins and how long it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head<'a> {
    pub daps: Vec<Dap<'a>>,
    /// Offset of the data block's first byte.
    pub block_at: usize,
    pub block_len: usize,
}

/// A BER-TLV tag and length: `Ok(None)` while `b` is too short to tell.
fn tlv_header(b: &[u8]) -> Result<Option<(u8, usize, usize)>, ()> {
    let (Some(&tag), Some(&l0)) = (b.first(), b.get(1)) else {
        return Ok(None);
    };
    let n = match l0 {
        0..=0x7F => return Ok(Some((tag, usize::from(l0), 2))),
        0x81..=0x83 => usize::from(l0 - 0x80),
        _ => return Err(()),
    };
    let Some(len) = b.get(2..2 + n) else {
        return Ok(None);
    };
    let len = len.iter().fold(0usize, |v, &x| (v << 8) | usize::from(x));
    Ok(Some((tag, len, 2 + n)))
}

/// Parses the DAP blocks and the data block's tag and length from the
/// first bytes of a load file; `Ok(None)`: more bytes are needed.
pub fn parse_head(b: &[u8]) -> Result<Option<Head<'_>>, LoadFileError> {
    let mut daps = Vec::new();
    let mut at = 0;
    loop {
        let bad = |what| LoadFileError { at, what };
        let Some((tag, len, hdr)) =
            tlv_header(&b[at..]).map_err(|_| bad("not a BER-TLV E2 or C4"))?
        else {
            return Ok(None);
        };
        match tag {
            0xE2 => {
                let Some(value) = b.get(at + hdr..at + hdr + len) else {
                    return Ok(None);
                };
                let (sd_aid, signature) = crate::dap::parse_dap_block(value)
                    .ok_or(bad("DAP block is not 4F AID C3 signature"))?;
                daps.push(Dap { sd_aid, signature });
                at += hdr + len;
            }
            0xC4 => {
                return Ok(Some(Head {
                    daps,
                    block_at: at + hdr,
                    block_len: len,
                }))
            }
            _ => return Err(bad("neither a DAP block (E2) nor the data block (C4)")),
        }
    }
}

/// Splits a whole load file into its DAP blocks and its data block.
pub fn split(b: &[u8]) -> Result<(Vec<Dap<'_>>, &[u8]), LoadFileError> {
    let Some(head) = parse_head(b)? else {
        return Err(LoadFileError {
            at: b.len(),
            what: "the load file ends before its data block",
        });
    };
    let end = head.block_at + head.block_len;
    match b.len() {
        n if n < end => Err(LoadFileError {
            at: n,
            what: "the load file ends inside its data block",
        }),
        n if n > end => Err(LoadFileError {
            at: end,
            what: "bytes after the load file data block",
        }),
        _ => Ok((head.daps, &b[head.block_at..end])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn the_head_is_known_once_the_data_block_s_length_has_arrived() {
        let sd = [0xA0, 0, 0, 1, 0x51, 0, 0, 0];
        let lf = build(&[(&sd, &[7; 64]), (&sd, &[8; 64])], &vec![0x55; 300]);
        // Two DAP blocks of 2 + (2 + 8) + (2 + 64) bytes, then C4 82 01 2C.
        let block_at = 2 * 78 + 4;
        for n in 0..lf.len() {
            let head = parse_head(&lf[..n]).unwrap();
            if n < block_at {
                assert_eq!(head, None, "{n} bytes");
            } else {
                let head = head.unwrap();
                assert_eq!((head.block_at, head.block_len), (block_at, 300));
                assert_eq!(head.daps.len(), 2);
                assert_eq!(head.daps[1].signature, &[8; 64]);
            }
        }
        assert!(split(&lf[..lf.len() - 1]).is_err());
        let mut long = lf.clone();
        long.push(0);
        assert!(split(&long).is_err());
        assert_eq!(parse_head(&[0xE2, 0x84]).unwrap_err().at, 0);
        assert_eq!(parse_head(&[0xC4, 0, 0x99]).unwrap().unwrap().block_len, 0);
        assert!(parse_head(&[0x99, 0]).is_err());
    }

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
        assert_eq!(
            split(&[0xC4, 3, 1, 2]).unwrap_err().what,
            "the load file ends inside its data block"
        );
        assert_eq!(
            split(&[0xC4, 1, 1, 0]).unwrap_err().what,
            "bytes after the load file data block"
        );
        assert_eq!(split(&[0xE2, 0, 0xC4, 0]).unwrap_err().at, 0);
        assert_eq!(split(&[0xC5, 0]).unwrap_err().at, 0);
        assert!(split(&[]).is_err());
    }
}
