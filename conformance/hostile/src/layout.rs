//! Truncations and field lies, placed by the CAP reader's own field map.

use hydra_cap::cap::{split_component_stream, FieldSpan};
use hydra_cap::{CapError, CapFile, ComponentTag, RawComponent};

use crate::{Case, Family};

/// The components of a load file, where each starts in it, and the
/// reader's field map.
struct Parsed {
    components: Vec<RawComponent>,
    starts: Vec<usize>,
    spans: Vec<FieldSpan>,
}

fn parse(load_file: &[u8]) -> Result<Parsed, CapError> {
    let components = split_component_stream(load_file)?;
    let mut starts = Vec::with_capacity(components.len());
    let mut at = 0;
    for c in &components {
        starts.push(at);
        at += c.bytes.len();
    }
    let (_, spans) = CapFile::field_map(components.clone(), false)?;
    Ok(Parsed {
        components,
        starts,
        spans,
    })
}

fn concat(components: &[RawComponent]) -> Vec<u8> {
    components
        .iter()
        .flat_map(|c| c.bytes.iter().copied())
        .collect()
}

/// The item boundaries inside component `tag`: every offset where an item
/// the reader reads starts, then the component's end.
fn boundaries(spans: &[FieldSpan], tag: ComponentTag, len: usize) -> Vec<(usize, &'static str)> {
    let mut b: Vec<(usize, &'static str)> = spans
        .iter()
        .filter(|s| s.tag == tag)
        .map(|s| (s.offset, s.what))
        .collect();
    b.push((len, "the next component"));
    b.sort_by_key(|x| x.0);
    b.dedup_by_key(|x| x.0);
    b
}

/// The load file ending at every boundary, and every component cut at
/// every boundary of its own with its size (and the Directory's record of
/// it) rewritten to match.
pub fn truncations(load_file: &[u8]) -> Result<Vec<Case>, CapError> {
    let p = parse(load_file)?;
    let mut out = Vec::new();
    for (ci, c) in p.components.iter().enumerate() {
        let tag = c.tag;
        for (b, what) in boundaries(&p.spans, tag, c.bytes.len()) {
            out.push(Case {
                family: Family::Truncation,
                label: format!("load file ends at {tag:?}+{b:#06x}, before {what}"),
                load_file: load_file[..p.starts[ci] + b].to_vec(),
            });
            if b < 3 || b == c.bytes.len() {
                continue;
            }
            let body = (b - 3) as u16;
            let mut comps = p.components.clone();
            comps[ci].bytes.truncate(b);
            comps[ci].bytes[1..3].copy_from_slice(&body.to_be_bytes());
            if let Some(d) = comps.iter_mut().find(|d| d.tag == ComponentTag::Directory) {
                let slot = 3 + 2 * (usize::from(tag.to_u8()) - 1);
                if tag != ComponentTag::Directory && (1..=12).contains(&tag.to_u8()) {
                    if let Some(s) = d.bytes.get_mut(slot..slot + 2) {
                        s.copy_from_slice(&body.to_be_bytes());
                    }
                }
            }
            out.push(Case {
                family: Family::Truncation,
                label: format!("{tag:?} cut to {b:#06x} bytes, before {what}, sizes agreeing"),
                load_file: concat(&comps),
            });
        }
    }
    Ok(out)
}

/// The values a field of `len` bytes holding `v` is made to lie with.
fn lies(v: u64, len: usize) -> Vec<u64> {
    let bits = 8 * len as u32;
    let all = if bits >= 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    };
    let mut out = vec![
        0,
        all,
        v.wrapping_add(1) & all,
        v.wrapping_sub(1) & all,
        v ^ (1 << (bits - 1)),
    ];
    out.sort_unstable();
    out.dedup();
    out.retain(|&x| x != v);
    out
}

/// Every item the reader reads, told a lie: fields of 1, 2 and 4 bytes
/// take each value of [`lies`]; longer items (AIDs, names, tables read
/// whole) have their first and last byte changed. Method bytecode is left
/// to the bytecode attacks.
pub fn field_lies(load_file: &[u8]) -> Result<Vec<Case>, CapError> {
    let p = parse(load_file)?;
    let mut out = Vec::new();
    for s in &p.spans {
        if s.what == "method bytecodes" || s.len == 0 {
            continue;
        }
        let Some(ci) = p.components.iter().position(|c| c.tag == s.tag) else {
            continue;
        };
        let at = p.starts[ci] + s.offset;
        let Some(field) = load_file.get(at..at + s.len) else {
            continue;
        };
        let mut tell = |bytes: &[u8], label: String| {
            let mut f = load_file.to_vec();
            f[at..at + bytes.len()].copy_from_slice(bytes);
            out.push(Case {
                family: Family::FieldLie,
                label,
                load_file: f,
            });
        };
        let place = format!("{:?}+{:#06x} {}", s.tag, s.offset, s.what);
        if matches!(s.len, 1 | 2 | 4) {
            let v = field.iter().fold(0u64, |a, &b| a << 8 | u64::from(b));
            for x in lies(v, s.len) {
                let bytes = x.to_be_bytes();
                tell(&bytes[8 - s.len..], format!("{place} {v:#x} -> {x:#x}"));
            }
        } else {
            let last = s.len - 1;
            for (i, name) in [(0, "first"), (last, "last")] {
                let mut bytes = field.to_vec();
                bytes[i] = bytes[i].wrapping_add(1);
                tell(&bytes, format!("{place}, {name} byte + 1"));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lies_of_a_byte_are_the_edges_and_the_neighbours() {
        assert_eq!(lies(5, 1), vec![0, 4, 6, 0x85, 0xFF]);
        assert_eq!(lies(0, 1), vec![1, 0x80, 0xFF]);
        assert_eq!(lies(0xFFFF, 2), vec![0, 0x7FFF, 0xFFFE]);
    }
}
