//! Reading the firmware ELF: the APDU and verification markers and the
//! count map that splits instruction counts into buckets by function.

use std::fmt::Write as _;
use std::path::Path;

use object::{Object, ObjectSymbol, SymbolKind};

use crate::Error;

/// Name of the firmware function that opens an APDU window.
pub const BEGIN_MARKER: &str = "hydra_icount_begin";
/// Name of the firmware function that closes an APDU window.
pub const END_MARKER: &str = "hydra_icount_end";
/// Name of the function an image calls at the start of every NVM write.
pub const NVM_WRITE_MARKER: &str = "hydra_nvm_write";
/// The firmware function called just before the card checks a load file.
pub const VERIFY_BEGIN_MARKER: &str = "hydra_icount_verify_begin";
/// Called after the check when the verifier type-checked the load file.
pub const VERIFY_END_MARKER: &str = "hydra_icount_verify_end";
/// Called after the check when no type check could run.
pub const VERIFY_UNTYPED_MARKER: &str = "hydra_icount_verify_untyped";
/// The linker's bounds of an image's NVM region.
pub const NVM_START: &str = "__nvm_start";
pub const NVM_END: &str = "__nvm_end";

/// Bytes of NVM that one program operation writes, by default: the
/// 64-byte block of the STM8L151 data EEPROM (STMicroelectronics,
/// STM8L151x2/x3 datasheet DocID018780 Rev 4, Table 32, t_prog "for 1 to
/// 64 bytes (block)"), a metering-class MCU.
pub const NVM_BLOCK: u64 = 64;

/// One bucket of the instruction counts: the functions whose demangled path
/// starts with one of `crates` (a whole path segment: `hydra_runtime`
/// matches `hydra_runtime::heap::alloc` and
/// `<hydra_runtime::Card as Drop>::drop`; a prefix ending in `*` matches
/// any name that starts with the rest), plus any address `ranges`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub name: String,
    pub prefixes: Vec<String>,
    pub ranges: Vec<(u64, u64)>,
}

impl Bucket {
    pub fn new(name: &str, prefixes: &[&str]) -> Bucket {
        Bucket {
            name: name.to_string(),
            prefixes: prefixes.iter().map(|s| s.to_string()).collect(),
            ranges: Vec::new(),
        }
    }

    fn matches(&self, path: &str) -> bool {
        let path = path.trim_start_matches(['<', '&', '*']);
        self.prefixes.iter().any(|p| {
            if let Some(stem) = p.strip_suffix('*') {
                return path.starts_with(stem);
            }
            path.strip_prefix(p.as_str()).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with("::") || rest.starts_with('<')
            })
        })
    }
}

/// The default split: the interpreter, the rest of the runtime with the
/// Java Card API, compiled applet code (address ranges, added when native
/// packages are loaded), the board, and Rust's libraries. Everything else
/// (start-up code, markers) counts as `other`. The first match wins.
pub fn default_buckets() -> Vec<Bucket> {
    vec![
        Bucket::new("interp", &["hydra_runtime::interp"]),
        Bucket::new("runtime", &["hydra_runtime", "hydra_cap", "hydra_jcapi"]),
        Bucket::new("applet", &[]),
        // The vpcd protocol is the board's transport (its generic serve loop
        // is compiled into the board and inlines the board's card).
        Bucket::new("board", &["hydra_mps2_an385", "hydra_vpcd"]),
        Bucket::new(
            "lib",
            &[
                "core",
                "alloc",
                "compiler_builtins",
                "embedded_alloc",
                "linked_list_allocator",
                "rlsf",
                "cortex_m",
                "cortex_m_rt",
                "critical_section",
                "__aeabi_*",
                "memcpy",
                "memmove",
                "memset",
                "memcmp",
            ],
        ),
    ]
}

/// What the host needs from the firmware ELF.
#[derive(Debug, Clone)]
pub struct FirmwareSymbols {
    pub begin: u64,
    pub end: u64,
    /// Functions: (start, end, demangled name without hash), sorted.
    pub functions: Vec<(u64, u64, String)>,
    /// The NVM region and write marker, when the image has both (NVM
    /// writes are then counted).
    pub nvm: Option<NvmSymbols>,
    /// The verification markers, when the image has all three (each
    /// check of a load file is then counted).
    pub verify: Option<VerifySymbols>,
}

/// The markers around the card's check of one load file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifySymbols {
    pub begin: u64,
    pub end: u64,
    pub untyped: u64,
}

/// Where an image keeps its NVM, [`start`, `end`), and the function it
/// calls at the start of every NVM write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NvmSymbols {
    pub start: u64,
    pub end: u64,
    pub write_marker: u64,
}

impl FirmwareSymbols {
    pub fn read(elf: &Path) -> Result<FirmwareSymbols, Error> {
        let bytes = std::fs::read(elf)
            .map_err(|e| Error::Io(format!("reading firmware {}", elf.display()), e))?;
        let bad = |what: String| Error::Firmware {
            path: elf.to_path_buf(),
            what,
        };
        let file =
            object::File::parse(&*bytes).map_err(|e| bad(format!("not an ELF file: {e}")))?;
        let (mut begin, mut end) = (None, None);
        let (mut nvm_start, mut nvm_end, mut nvm_write) = (None, None, None);
        let (mut v_begin, mut v_end, mut v_untyped) = (None, None, None);
        let mut functions = Vec::new();
        for sym in file.symbols() {
            let Ok(name) = sym.name() else { continue };
            // Thumb function symbols have bit 0 set.
            let addr = sym.address() & !1;
            match name {
                BEGIN_MARKER => begin = Some(addr),
                END_MARKER => end = Some(addr),
                NVM_WRITE_MARKER => nvm_write = Some(addr),
                VERIFY_BEGIN_MARKER => v_begin = Some(addr),
                VERIFY_END_MARKER => v_end = Some(addr),
                VERIFY_UNTYPED_MARKER => v_untyped = Some(addr),
                NVM_START => nvm_start = Some(sym.address()),
                NVM_END => nvm_end = Some(sym.address()),
                _ => {}
            }
            if sym.kind() == SymbolKind::Text && sym.size() > 0 {
                let name = format!("{:#}", rustc_demangle::demangle(name));
                functions.push((addr, addr + sym.size(), name));
            }
        }
        let missing = |m: &str| {
            bad(format!(
                "no `{m}` symbol: not a Hydra firmware, or stripped"
            ))
        };
        let begin = begin.ok_or_else(|| missing(BEGIN_MARKER))?;
        let end = end.ok_or_else(|| missing(END_MARKER))?;
        if begin == end {
            return Err(bad("the two APDU markers share one address".into()));
        }
        functions.sort();
        functions.dedup_by_key(|f| f.0);
        let nvm = match (nvm_start, nvm_end, nvm_write) {
            (Some(start), Some(end), Some(write_marker)) if start < end => Some(NvmSymbols {
                start,
                end,
                write_marker,
            }),
            _ => None,
        };
        let verify = match (v_begin, v_end, v_untyped) {
            (Some(begin), Some(end), Some(untyped)) => Some(VerifySymbols {
                begin,
                end,
                untyped,
            }),
            _ => None,
        };
        Ok(FirmwareSymbols {
            begin,
            end,
            functions,
            nvm,
            verify,
        })
    }

    /// The count map for the plugin (format: `hydra-qemu-icount`'s `map`
    /// module): one range per function, clipped so none overlap; the NVM
    /// region with blocks of `nvm_block` bytes, when the image has one.
    pub fn count_map(&self, buckets: &[Bucket], nvm_block: u64) -> String {
        let mut out = String::new();
        for b in buckets {
            let _ = writeln!(out, "bucket {}", b.name);
        }
        let mut spans: Vec<(u64, u64, &str)> = Vec::new();
        for (lo, hi, name) in &self.functions {
            if let Some(b) = buckets.iter().find(|b| b.matches(name)) {
                spans.push((*lo, *hi, &b.name));
            }
        }
        for b in buckets {
            for &(lo, hi) in &b.ranges {
                spans.push((lo, hi, &b.name));
            }
        }
        spans.sort();
        let mut covered = 0u64;
        for (lo, hi, name) in spans {
            let lo = lo.max(covered);
            if lo < hi {
                let _ = writeln!(out, "range {lo:#x} {hi:#x} {name}");
                covered = hi;
            }
        }
        let _ = writeln!(out, "begin {:#x}\nend {:#x}", self.begin, self.end);
        if let Some(n) = self.nvm {
            let _ = writeln!(
                out,
                "nvm {:#x} {:#x} {nvm_block}\nnvmwrite {:#x}",
                n.start, n.end, n.write_marker
            );
        }
        if let Some(v) = self.verify {
            let _ = writeln!(
                out,
                "verifybegin {:#x}\nverifyend {:#x}\nverifyuntyped {:#x}",
                v.begin, v.end, v.untyped
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_matching() {
        let b = Bucket::new("rt", &["hydra_runtime", "core"]);
        assert!(b.matches("hydra_runtime::heap::alloc"));
        assert!(b.matches("<hydra_runtime::Card as core::ops::Drop>::drop"));
        assert!(b.matches("core::ptr::drop_in_place<u8>"));
        assert!(!b.matches("hydra_runtime_extra::f"));
        assert!(!b.matches("corex::f"));
        let c = Bucket::new("lib", &["__aeabi_*"]);
        assert!(c.matches("__aeabi_memcpy4"));
        assert!(!c.matches("_aeabi"));
    }

    #[test]
    fn count_map_clips_and_classifies() {
        let syms = FirmwareSymbols {
            begin: 0x100,
            end: 0x104,
            functions: vec![
                (0x10, 0x20, "hydra_runtime::interp::run".into()),
                (0x18, 0x30, "hydra_runtime::heap::new".into()),
                (0x40, 0x50, "main".into()),
            ],
            nvm: Some(NvmSymbols {
                start: 0x2100_0000,
                end: 0x2110_0000,
                write_marker: 0x108,
            }),
            verify: Some(VerifySymbols {
                begin: 0x110,
                end: 0x118,
                untyped: 0x120,
            }),
        };
        let mut buckets = default_buckets();
        buckets[2].ranges.push((0x1000, 0x2000));
        let map = syms.count_map(&buckets, 64);
        assert_eq!(
            map,
            "bucket interp\nbucket runtime\nbucket applet\nbucket board\nbucket lib\n\
             range 0x10 0x20 interp\nrange 0x20 0x30 runtime\nrange 0x1000 0x2000 applet\n\
             begin 0x100\nend 0x104\nnvm 0x21000000 0x21100000 64\nnvmwrite 0x108\n\
             verifybegin 0x110\nverifyend 0x118\nverifyuntyped 0x120\n"
        );
    }
}

/// A flat profile from the plugin's `pcs=` file: executed instructions per
/// firmware function, busiest first; addresses outside the firmware's
/// functions (compiled applet code in the package image) count as
/// `(compiled applet code)`.
pub fn flat_profile(pcs: &str, syms: &FirmwareSymbols) -> Vec<(String, u64)> {
    let mut by_fn: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for line in pcs.lines() {
        let mut w = line.split_whitespace();
        if w.next() != Some("pc") {
            continue;
        }
        let (Some(a), Some(n)) = (w.next(), w.next()) else {
            continue;
        };
        let addr = a
            .strip_prefix("0x")
            .and_then(|h| u64::from_str_radix(h, 16).ok());
        let (Some(addr), Ok(n)) = (addr, n.parse::<u64>()) else {
            continue;
        };
        let i = syms.functions.partition_point(|f| f.0 <= addr);
        let name = match i.checked_sub(1).map(|i| &syms.functions[i]) {
            Some((_, end, name)) if addr < *end => name.as_str(),
            _ => "(compiled applet code)",
        };
        *by_fn.entry(name).or_default() += n;
    }
    let mut v: Vec<(String, u64)> = by_fn.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

#[cfg(test)]
mod profile_tests {
    use super::*;

    #[test]
    fn flat_profile_names_functions_and_sorts() {
        let syms = FirmwareSymbols {
            begin: 0,
            end: 4,
            functions: vec![(0x100, 0x110, "a".into()), (0x200, 0x220, "b".into())],
            nvm: None,
            verify: None,
        };
        let pcs = "# hydra-icount pcs 1\npc 0x100 5\npc 0x10e 1\npc 0x200 9\npc 0x300 2\n";
        assert_eq!(
            flat_profile(pcs, &syms),
            vec![
                ("b".to_string(), 9),
                ("a".to_string(), 6),
                ("(compiled applet code)".to_string(), 2)
            ]
        );
    }
}
