//! The package image: CAP files and applet installs for the card, placed in
//! PSRAM at `__pkgimage_start` (0x2180_0000) by QEMU's generic loader
//! (`-device loader,file=IMAGE,addr=0x21800000,force-raw=on`) and applied at
//! boot: each package not yet on the card is loaded, each instance not yet
//! in the registry is installed. Applying an image twice changes nothing.
//!
//! Layout, little-endian:
//!
//! ```text
//! 0   8  magic "HYDRAPK1"
//! 8   4  total length in bytes, header included
//! 12  4  number of entries
//! 16  ..  entries, each: kind u32, length u32, payload, zero padding to 4
//!         kind 1: a CAP file as a component stream (.ijc)
//!         kind 2: install: class AID, instance AID (empty: the class AID),
//!                 install parameters and, optionally, GP privileges, each
//!                 as a length byte + bytes
//!         kind 3: a native package (`hydra-package`), loaded as its
//!                 bytecode and kept with its code for the native engine
//! ```

#![forbid(unsafe_code)]

use alloc::vec::Vec;

pub const MAGIC: &[u8; 8] = b"HYDRAPK1";
pub const KIND_CAP: u32 = 1;
pub const KIND_INSTALL: u32 = 2;
pub const KIND_NATIVE: u32 = 3;
const HEADER: usize = 16;

/// One entry of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A CAP component stream.
    Cap(&'a [u8]),
    Install {
        class_aid: &'a [u8],
        instance_aid: &'a [u8],
        params: &'a [u8],
        /// GlobalPlatform privileges (empty: none).
        privileges: &'a [u8],
    },
    /// A native package (`hydra_package::Package`).
    Native(&'a [u8]),
}

/// Why an image was refused; `at` is the byte offset of the problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageError {
    pub at: usize,
    pub what: &'static str,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The length the header claims, if `area` starts with an image.
pub fn image_len(area_start: &[u8]) -> Option<usize> {
    if area_start.get(..8)? != MAGIC {
        return None;
    }
    u32_at(area_start, 8).map(|n| n as usize)
}

/// Parses a whole image (exactly the length its header gives).
pub fn parse(image: &[u8]) -> Result<Vec<Entry<'_>>, ImageError> {
    let err = |at, what| ImageError { at, what };
    if image_len(image) != Some(image.len()) || image.len() < HEADER {
        return Err(err(0, "bad magic or length"));
    }
    let count = u32_at(image, 12).ok_or(err(12, "truncated header"))?;
    let mut at = HEADER;
    let mut out = Vec::new();
    for _ in 0..count {
        let kind = u32_at(image, at).ok_or(err(at, "truncated entry"))?;
        let len = u32_at(image, at + 4).ok_or(err(at, "truncated entry"))? as usize;
        let body = image
            .get(at + 8..)
            .and_then(|b| b.get(..len))
            .ok_or(err(at, "entry runs past the image"))?;
        out.push(match kind {
            KIND_CAP => Entry::Cap(body),
            KIND_NATIVE => Entry::Native(body),
            KIND_INSTALL => {
                // Three parts, and the privileges when there are more bytes.
                let mut parts = [&body[..0]; 4];
                let mut p = 0;
                for (i, part) in parts.iter_mut().enumerate() {
                    if i == 3 && p == len {
                        break;
                    }
                    let n = *body.get(p).ok_or(err(at, "truncated install entry"))? as usize;
                    *part = body
                        .get(p + 1..p + 1 + n)
                        .ok_or(err(at, "truncated install entry"))?;
                    p += 1 + n;
                }
                if p != len {
                    return Err(err(at, "install entry has trailing bytes"));
                }
                Entry::Install {
                    class_aid: parts[0],
                    instance_aid: parts[1],
                    params: parts[2],
                    privileges: parts[3],
                }
            }
            _ => return Err(err(at, "unknown entry kind")),
        });
        at += 8 + len.next_multiple_of(4);
    }
    if at != image.len() {
        return Err(err(at, "bytes after the last entry"));
    }
    Ok(out)
}

/// Writes an image (the host side of [`parse`]).
pub fn build(entries: &[Entry]) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::from(&MAGIC[..]);
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for e in entries {
        let (kind, body) = match e {
            Entry::Cap(b) => (KIND_CAP, b.to_vec()),
            Entry::Native(b) => (KIND_NATIVE, b.to_vec()),
            Entry::Install {
                class_aid,
                instance_aid,
                params,
                privileges,
            } => {
                let mut b = Vec::new();
                // No privileges: the three-part entry of earlier images.
                let n = if privileges.is_empty() { 3 } else { 4 };
                for part in [class_aid, instance_aid, params, privileges].iter().take(n) {
                    b.push(
                        u8::try_from(part.len())
                            .map_err(|_| "install field longer than 255 bytes")?,
                    );
                    b.extend_from_slice(part);
                }
                (KIND_INSTALL, b)
            }
        };
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(
            &(u32::try_from(body.len()).map_err(|_| "entry too large")?).to_le_bytes(),
        );
        out.extend_from_slice(&body);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    let total = u32::try_from(out.len()).map_err(|_| "image too large")?;
    out[8..12].copy_from_slice(&total.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let entries = [
            Entry::Cap(&[1, 0, 3, 0xA, 0xB, 0xC]),
            Entry::Install {
                class_aid: &[0xF0, 1],
                instance_aid: &[],
                params: &[9],
                privileges: &[],
            },
            Entry::Install {
                class_aid: &[0xF0, 2],
                instance_aid: &[0xF0, 3],
                params: &[],
                privileges: &[0x12],
            },
        ];
        let img = build(&entries).unwrap();
        assert_eq!(img.len() % 4, 0);
        assert_eq!(image_len(&img), Some(img.len()));
        assert_eq!(parse(&img).unwrap(), entries);
        assert!(parse(&img[..img.len() - 4]).is_err());
        let mut bad = img.clone();
        bad[16] = 7;
        assert_eq!(parse(&bad).unwrap_err().what, "unknown entry kind");
        let mut bad = img.clone();
        bad[20] = 0xFF;
        assert!(parse(&bad).is_err());
        assert_eq!(image_len(b"HYDRAPK0\x10\0\0\0"), None);
        assert_eq!(parse(&build(&[]).unwrap()).unwrap(), []);
    }
}
