//! The count map: which bucket each guest address counts into, and where the
//! firmware's APDU markers are.
//!
//! Text format, one directive per line, `#` starts a comment:
//!
//! ```text
//! bucket interp                 # buckets, in output order
//! bucket runtime
//! range 0x00001000 0x00001800 interp   # [start, end) -> bucket
//! begin 0x00000420              # first instruction of the begin marker
//! end 0x00000428                # first instruction of the end marker
//! nvm 0x21000000 0x21040000 64  # the NVM region [start, end), block bytes
//! nvmwrite 0x0000042c           # first instruction of the NVM write marker
//! verifybegin 0x00000430        # opens a verification window
//! verifyend 0x00000438          # closes it: the load file was type-checked
//! verifyuntyped 0x00000442      # closes it: no type check could run
//! ```
//!
//! The three `verify` markers are optional: a map without them counts
//! APDU windows only.
//!
//! Addresses that no range covers count into an implicit last bucket,
//! `other`. Ranges may come in any order but must not overlap. Bit 0 of
//! `begin`/`end` (the Thumb bit of a function symbol) is ignored.

/// Name of the implicit bucket for addresses outside every range.
pub const OTHER: &str = "other";

/// A parsed count map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountMap {
    buckets: Vec<String>,
    /// Sorted by start, non-overlapping: (start, end, bucket index).
    ranges: Vec<(u64, u64, usize)>,
    /// Address of the instruction that opens an APDU window.
    pub begin: Option<u64>,
    /// Address of the instruction that closes an APDU window.
    pub end: Option<u64>,
    /// The NVM region, when NVM writes are to be counted.
    pub nvm: Option<NvmRegion>,
    /// Address of the marker the firmware calls once per NVM write.
    pub nvm_write: Option<u64>,
    /// Address of the instruction that opens a verification window (the
    /// card's check of one load file).
    pub verify_begin: Option<u64>,
    /// Closes a verification window in which the verifier type-checked
    /// the load file.
    pub verify_end: Option<u64>,
    /// Closes a verification window in which no type check ran.
    pub verify_untyped: Option<u64>,
}

/// Where the board keeps its NVM, and the size of the block that one
/// program operation of the memory writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NvmRegion {
    pub start: u64,
    pub end: u64,
    pub block: u64,
}

fn parse_addr(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

impl CountMap {
    /// Parses the text format above; errors name the line.
    pub fn parse(text: &str) -> Result<CountMap, String> {
        let mut map = CountMap::default();
        let mut pending: Vec<(u64, u64, String, usize)> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let bad = |what: &str| format!("count map line {line_no}: {what}: `{raw}`");
            match words.as_slice() {
                ["bucket", name] => {
                    if *name == OTHER || map.buckets.iter().any(|b| b == name) {
                        return Err(bad("duplicate or reserved bucket name"));
                    }
                    map.buckets.push((*name).to_string());
                }
                ["range", lo, hi, name] => {
                    let lo = parse_addr(lo).ok_or_else(|| bad("bad start address"))?;
                    let hi = parse_addr(hi).ok_or_else(|| bad("bad end address"))?;
                    if hi < lo {
                        return Err(bad("range ends before it starts"));
                    }
                    pending.push((lo, hi, (*name).to_string(), line_no));
                }
                ["begin", a] => {
                    map.begin = Some(parse_addr(a).ok_or_else(|| bad("bad address"))? & !1)
                }
                ["end", a] => map.end = Some(parse_addr(a).ok_or_else(|| bad("bad address"))? & !1),
                ["nvm", lo, hi, block] => {
                    let start = parse_addr(lo).ok_or_else(|| bad("bad start address"))?;
                    let end = parse_addr(hi).ok_or_else(|| bad("bad end address"))?;
                    let block = parse_addr(block)
                        .filter(|b| b.is_power_of_two())
                        .ok_or_else(|| bad("block size is not a power of two"))?;
                    if end <= start {
                        return Err(bad("NVM region ends before it starts"));
                    }
                    map.nvm = Some(NvmRegion { start, end, block });
                }
                ["nvmwrite", a] => {
                    map.nvm_write = Some(parse_addr(a).ok_or_else(|| bad("bad address"))? & !1)
                }
                ["verifybegin", a] => {
                    map.verify_begin = Some(parse_addr(a).ok_or_else(|| bad("bad address"))? & !1)
                }
                ["verifyend", a] => {
                    map.verify_end = Some(parse_addr(a).ok_or_else(|| bad("bad address"))? & !1)
                }
                ["verifyuntyped", a] => {
                    map.verify_untyped = Some(parse_addr(a).ok_or_else(|| bad("bad address"))? & !1)
                }
                _ => return Err(bad("unknown directive")),
            }
        }
        for (lo, hi, name, line_no) in pending {
            let b = map.buckets.iter().position(|b| *b == name).ok_or_else(|| {
                format!("count map line {line_no}: range names undeclared bucket `{name}`")
            })?;
            if lo < hi {
                map.ranges.push((lo, hi, b));
            }
        }
        map.ranges.sort_unstable();
        for w in map.ranges.windows(2) {
            if w[1].0 < w[0].1 {
                return Err(format!(
                    "count map: ranges {:#x}..{:#x} and {:#x}..{:#x} overlap",
                    w[0].0, w[0].1, w[1].0, w[1].1
                ));
            }
        }
        Ok(map)
    }

    /// Adds an inline range, as given in a plugin argument `NAME:START-END`,
    /// declaring the bucket if it is new.
    pub fn add_range_arg(&mut self, arg: &str) -> Result<(), String> {
        let bad = || format!("bad range argument `{arg}` (want NAME:START-END)");
        let (name, span) = arg.split_once(':').ok_or_else(bad)?;
        let (lo, hi) = span.split_once('-').ok_or_else(bad)?;
        let (lo, hi) = (
            parse_addr(lo).ok_or_else(bad)?,
            parse_addr(hi).ok_or_else(bad)?,
        );
        if name.is_empty() || name == OTHER || hi < lo {
            return Err(bad());
        }
        let at = self.ranges.partition_point(|r| r.0 < lo);
        let overlaps = (at > 0 && self.ranges[at - 1].1 > lo)
            || (at < self.ranges.len() && self.ranges[at].0 < hi);
        if overlaps {
            return Err(format!("range argument `{arg}` overlaps another range"));
        }
        let b = match self.buckets.iter().position(|b| b == name) {
            Some(b) => b,
            None => {
                self.buckets.push(name.to_string());
                self.buckets.len() - 1
            }
        };
        if lo < hi {
            self.ranges.insert(at, (lo, hi, b));
        }
        Ok(())
    }

    /// Bucket names in output order, `other` last.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.buckets
            .iter()
            .map(String::as_str)
            .chain(core::iter::once(OTHER))
    }

    /// Number of buckets including `other`.
    pub fn len(&self) -> usize {
        self.buckets.len() + 1
    }

    /// Always false: `other` exists in every map.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Index of the bucket that `addr` counts into.
    pub fn bucket_of(&self, addr: u64) -> usize {
        let at = self.ranges.partition_point(|r| r.0 <= addr);
        match at.checked_sub(1).map(|i| self.ranges[i]) {
            Some((_, hi, b)) if addr < hi => b,
            _ => self.buckets.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_looks_up() {
        let m = CountMap::parse(
            "# comment\nbucket interp\nbucket runtime\n\
             range 0x2000 0x2100 runtime\nrange 0x1000 0x1800 interp # tail\n\
             range 4096 4096 runtime\nbegin 0x401\nend 1064\n",
        )
        .unwrap();
        assert_eq!(
            m.names().collect::<Vec<_>>(),
            ["interp", "runtime", "other"]
        );
        assert_eq!(m.len(), 3);
        assert_eq!(m.begin, Some(0x400));
        assert_eq!(m.end, Some(1064));
        assert_eq!(m.bucket_of(0xfff), 2);
        assert_eq!(m.bucket_of(0x1000), 0);
        assert_eq!(m.bucket_of(0x17ff), 0);
        assert_eq!(m.bucket_of(0x1800), 2);
        assert_eq!(m.bucket_of(0x2000), 1);
        assert_eq!(m.bucket_of(0x20ff), 1);
        assert_eq!(m.bucket_of(0x2100), 2);
        assert_eq!(m.bucket_of(0), 2);
        assert_eq!(m.nvm, None);
        assert_eq!(m.verify_begin, None);
        assert_eq!(m.verify_end, None);
        assert_eq!(m.verify_untyped, None);
    }

    #[test]
    fn parses_the_verify_markers() {
        let m = CountMap::parse(
            "begin 0x401\nend 0x405\nverifybegin 0x431\nverifyend 0x439\nverifyuntyped 1090\n",
        )
        .unwrap();
        assert_eq!(m.verify_begin, Some(0x430));
        assert_eq!(m.verify_end, Some(0x438));
        assert_eq!(m.verify_untyped, Some(1090));
        assert!(CountMap::parse("verifyend 0xzz\n")
            .unwrap_err()
            .contains("bad address"));
    }

    #[test]
    fn parses_the_nvm_region() {
        let m = CountMap::parse("nvm 0x21000000 0x21040000 64\nnvmwrite 0x42d\n").unwrap();
        assert_eq!(
            m.nvm,
            Some(NvmRegion {
                start: 0x2100_0000,
                end: 0x2104_0000,
                block: 64
            })
        );
        assert_eq!(m.nvm_write, Some(0x42c));
    }

    #[test]
    fn rejects_bad_maps() {
        for (text, want) in [
            ("bucket a\nbucket a\n", "line 2"),
            ("bucket other\n", "reserved"),
            ("range 1 2 x\n", "undeclared bucket `x`"),
            (
                "bucket a\nrange 0x10 0x20 a\nrange 0x1f 0x30 a\n",
                "overlap",
            ),
            ("bucket a\nrange 0x20 0x10 a\n", "ends before"),
            ("frobnicate\n", "unknown directive"),
            ("begin zz\n", "bad address"),
            ("nvm 0x100 0x80 64\n", "ends before"),
            ("nvm 0x100 0x200 48\n", "power of two"),
        ] {
            let e = CountMap::parse(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn range_arguments() {
        let mut m = CountMap::default();
        m.add_range_arg("app:0x100-0x200").unwrap();
        m.add_range_arg("rt:0x0-0x100").unwrap();
        m.add_range_arg("app:0x300-0x400").unwrap();
        assert!(m
            .add_range_arg("x:0x150-0x160")
            .unwrap_err()
            .contains("overlaps"));
        assert!(m.add_range_arg("nocolon").is_err());
        assert!(m.add_range_arg("other:1-2").is_err());
        assert_eq!(m.names().collect::<Vec<_>>(), ["app", "rt", "other"]);
        assert_eq!(m.bucket_of(0x50), 1);
        assert_eq!(m.bucket_of(0x150), 0);
        assert_eq!(m.bucket_of(0x250), 2);
        assert_eq!(m.bucket_of(0x3ff), 0);
    }
}
