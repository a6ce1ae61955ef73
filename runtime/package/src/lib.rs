//! The native package: a compiled Java Card package as the build server
//! ships it and the card loads it (`runtime/docs/native-package.md` draws
//! the byte layout and states its rules).
//!
//! One format serves both ends. The reader ([`Package::parse`]) is
//! `no_std` and borrows from the bytes: the card parses a package in the
//! RAM buffer its LOAD blocks filled, and again in place in NVM when it
//! binds the code. The writer ([`Writer`]) and the manifest codec are the
//! build server's. DAP signatures over a package are [`dap`]'s; key files
//! ([`keyfile`], with `std`) are PEM, as openssl writes them.

#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod dap;
#[cfg(feature = "std")]
pub mod keyfile;
pub mod loadfile;
#[cfg(feature = "std")]
pub mod manifest;

use alloc::vec::Vec;
use sha2::{Digest, Sha256};

/// The first four bytes of every native package.
pub const MAGIC: [u8; 4] = *b"HNPK";
/// The layout this crate reads and writes.
pub const FORMAT_VERSION: u8 = 1;
/// Bytes of the fixed header.
pub const HEADER_LEN: usize = 16;
/// Bytes of one section table entry.
pub const SECTION_ENTRY_LEN: usize = 12;
/// Bytes of the trailing SHA-256 digest.
pub const DIGEST_LEN: usize = 32;
/// Bytes of one method entry in the Entries section.
pub const ENTRY_LEN: usize = 8;

/// The instruction set a package's code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Armv7-M Thumb-2, no FPU (Cortex-M3): `thumbv7m-none-eabi`.
    Thumbv7m = 1,
    /// Armv7E-M (Cortex-M4/M7): `thumbv7em-none-eabi`.
    Thumbv7em = 2,
    /// Armv8-M Mainline (Cortex-M33): `thumbv8m.main-none-eabi`.
    Thumbv8mMain = 3,
    /// The build server's own engine (`hydra run --engine native`):
    /// `x86_64-unknown-linux-gnu`.
    X86_64Linux = 16,
    /// `aarch64-unknown-linux-gnu`.
    Aarch64Linux = 17,
}

const TARGETS: [Target; 5] = [
    Target::Thumbv7m,
    Target::Thumbv7em,
    Target::Thumbv8mMain,
    Target::X86_64Linux,
    Target::Aarch64Linux,
];

impl Target {
    pub fn from_byte(b: u8) -> Option<Target> {
        TARGETS.into_iter().find(|t| *t as u8 == b)
    }

    /// The Rust target triple.
    pub fn triple(self) -> &'static str {
        match self {
            Target::Thumbv7m => "thumbv7m-none-eabi",
            Target::Thumbv7em => "thumbv7em-none-eabi",
            Target::Thumbv8mMain => "thumbv8m.main-none-eabi",
            Target::X86_64Linux => "x86_64-unknown-linux-gnu",
            Target::Aarch64Linux => "aarch64-unknown-linux-gnu",
        }
    }

    pub fn from_triple(t: &str) -> Option<Target> {
        TARGETS.into_iter().find(|k| k.triple() == t)
    }

    /// The one entry kind a package for this target MUST use.
    pub fn entry_kind(self) -> EntryKind {
        match self {
            Target::Thumbv7m | Target::Thumbv7em | Target::Thumbv8mMain => EntryKind::ThumbFunction,
            Target::X86_64Linux | Target::Aarch64Linux => EntryKind::Function,
        }
    }
}

/// Section kinds, in the order a package MUST list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum SectionKind {
    Identity = 1,
    LoadFile = 2,
    Code = 3,
    Entries = 4,
    Manifest = 5,
}

const SECTIONS: [SectionKind; 5] = [
    SectionKind::Identity,
    SectionKind::LoadFile,
    SectionKind::Code,
    SectionKind::Entries,
    SectionKind::Manifest,
];

impl SectionKind {
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Identity => "identity",
            SectionKind::LoadFile => "load file",
            SectionKind::Code => "code",
            SectionKind::Entries => "entries",
            SectionKind::Manifest => "manifest",
        }
    }
}

/// How a method entry's code offset becomes an address on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A Thumb function: the address of the code plus the offset, with bit
    /// 0 set.
    ThumbFunction = 1,
    /// A function of a host target: the address of the code plus the
    /// offset.
    Function = 2,
}

/// One compiled method: a relocation of its entry against the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodEntry {
    /// Offset of the method's first bytecode in the Method component.
    pub method: u16,
    pub kind: EntryKind,
    /// Words of its result (0, 1 or 2).
    pub ret_words: u8,
    /// Offset of its first instruction in the code.
    pub code_offset: u32,
}

impl MethodEntry {
    /// The entry's address when the code starts at `code_addr`.
    pub fn address(&self, code_addr: usize) -> usize {
        let at = code_addr.wrapping_add(self.code_offset as usize);
        match self.kind {
            EntryKind::ThumbFunction => at | 1,
            EntryKind::Function => at,
        }
    }
}

/// Why bytes are not a native package: the field, where, and what is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("native package: {field} at byte {at}: {what}")]
pub struct FormatError {
    pub field: &'static str,
    pub at: usize,
    pub what: &'static str,
}

fn err<T>(field: &'static str, at: usize, what: &'static str) -> Result<T, FormatError> {
    Err(FormatError { field, at, what })
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// A parsed package, borrowing from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Package<'a> {
    pub target: Target,
    /// Runtime ABI version the code was compiled against.
    pub abi: u16,
    pub aid: &'a [u8],
    /// Package version (major, minor), as in the load file's Header.
    pub version: (u8, u8),
    /// The bytecode load file (CAP components) the code was compiled from.
    pub load_file: &'a [u8],
    pub code: &'a [u8],
    /// Offset of the code in the package's bytes.
    pub code_at: usize,
    entries: &'a [u8],
    /// The CBOR manifest (for tools; the card does not read it).
    pub manifest: &'a [u8],
    pub digest: &'a [u8],
}

/// Whether `bytes` start like a native package (and not like a CAP
/// component stream, whose first byte is a component tag).
pub fn is_package(bytes: &[u8]) -> bool {
    bytes.get(..4) == Some(&MAGIC[..])
}

impl<'a> Package<'a> {
    /// Parses and checks a package, its digest included.
    pub fn parse(bytes: &'a [u8]) -> Result<Package<'a>, FormatError> {
        let p = Package::parse_unhashed(bytes)?;
        let body = bytes.len() - DIGEST_LEN;
        if Sha256::digest(&bytes[..body]).as_slice() != p.digest {
            return err("digest", body, "does not match the package");
        }
        Ok(p)
    }

    /// [`Package::parse`] without the digest check: for bytes the card
    /// checked when it loaded them and keeps under its own checksum.
    pub fn parse_unhashed(bytes: &'a [u8]) -> Result<Package<'a>, FormatError> {
        if bytes.len() < HEADER_LEN + DIGEST_LEN {
            return err("header", 0, "shorter than a header and a digest");
        }
        if bytes[..4] != MAGIC {
            return err("magic", 0, "not \"HNPK\"");
        }
        if bytes[4] != FORMAT_VERSION {
            return err("format version", 4, "not 1");
        }
        let target = Target::from_byte(bytes[5]).ok_or(FormatError {
            field: "target",
            at: 5,
            what: "unknown instruction set",
        })?;
        let abi = u16_at(bytes, 6).unwrap_or(0);
        if u32_at(bytes, 8) != Some(bytes.len() as u32) {
            return err("total length", 8, "is not the package's length");
        }
        let count = usize::from(u16_at(bytes, 12).unwrap_or(0));
        if count != SECTIONS.len() {
            return err("section count", 12, "not 5");
        }
        if u16_at(bytes, 14) != Some(0) {
            return err("reserved", 14, "not zero");
        }
        let body_end = bytes.len() - DIGEST_LEN;
        let table_end = HEADER_LEN + SECTION_ENTRY_LEN * count;
        if table_end > body_end {
            return err("section table", HEADER_LEN, "runs past the digest");
        }
        let mut found: [&[u8]; 5] = [&[]; 5];
        let mut offsets = [0usize; 5];
        let mut next = table_end;
        for (i, kind) in SECTIONS.into_iter().enumerate() {
            let at = HEADER_LEN + SECTION_ENTRY_LEN * i;
            if u16_at(bytes, at) != Some(kind as u16) {
                return err("section table", at, "sections out of order or unknown");
            }
            if u16_at(bytes, at + 2) != Some(0) {
                return err("section flags", at + 2, "not zero");
            }
            let off = u32_at(bytes, at + 4).unwrap_or(0) as usize;
            let len = u32_at(bytes, at + 8).unwrap_or(0) as usize;
            if !off.is_multiple_of(4) || off < next {
                return err(kind.name(), at + 4, "misaligned or overlapping");
            }
            let end = off.checked_add(len).filter(|&e| e <= body_end);
            let Some(end) = end else {
                return err(kind.name(), at + 8, "runs past the digest");
            };
            found[i] = &bytes[off..end];
            offsets[i] = off;
            next = end;
        }
        let [identity, load_file, code, entries, manifest] = found;
        let id_at = offsets[0];
        let n = usize::from(*identity.first().unwrap_or(&0));
        if !(5..=16).contains(&n) {
            return err("package AID", id_at, "length not 5..=16");
        }
        if identity.len() != 1 + n + 2 {
            return err("identity", id_at, "length is not AID + version");
        }
        if load_file.is_empty() {
            return err("load file", offsets[1], "empty");
        }
        let thumb = target.entry_kind() == EntryKind::ThumbFunction;
        if thumb && code.len() % 2 != 0 {
            return err("code", offsets[2], "odd length (Thumb code is halfwords)");
        }
        if manifest.is_empty() {
            return err("manifest", offsets[4], "empty");
        }
        let p = Package {
            target,
            abi,
            aid: &identity[1..1 + n],
            version: (identity[1 + n], identity[2 + n]),
            load_file,
            code,
            code_at: offsets[2],
            entries,
            manifest,
            digest: &bytes[body_end..],
        };
        p.check_entries(offsets[3])?;
        Ok(p)
    }

    fn check_entries(&self, at: usize) -> Result<(), FormatError> {
        let count = usize::from(u16_at(self.entries, 0).unwrap_or(0));
        if self.entries.len() < 4 || u16_at(self.entries, 2) != Some(0) {
            return err("entries", at, "no count or reserved not zero");
        }
        if self.entries.len() != 4 + ENTRY_LEN * count {
            return err("entries", at, "length is not the count's");
        }
        let mut last: Option<u16> = None;
        for i in 0..count {
            let e_at = at + 4 + ENTRY_LEN * i;
            let e = self.entry_at(i).ok_or(FormatError {
                field: "method entry",
                at: e_at,
                what: "unknown kind or reserved not zero",
            })?;
            if last.is_some_and(|l| l >= e.method) {
                return err("method entry", e_at, "methods not in ascending order");
            }
            if e.code_offset as usize >= self.code.len() {
                return err("method entry", e_at + 4, "outside the code");
            }
            if e.kind == EntryKind::ThumbFunction && e.code_offset % 2 != 0 {
                return err("method entry", e_at + 4, "odd offset of Thumb code");
            }
            if e.kind != self.target.entry_kind() {
                return err("method entry", e_at + 2, "kind is not the target's");
            }
            if e.ret_words > 2 {
                return err("method entry", e_at + 3, "more than 2 result words");
            }
            last = Some(e.method);
        }
        Ok(())
    }

    fn entry_at(&self, i: usize) -> Option<MethodEntry> {
        let at = 4 + ENTRY_LEN * i;
        let e = self.entries.get(at..at + ENTRY_LEN)?;
        let kind = match e[2] {
            1 => EntryKind::ThumbFunction,
            2 => EntryKind::Function,
            _ => return None,
        };
        Some(MethodEntry {
            method: u16::from_le_bytes([e[0], e[1]]),
            kind,
            ret_words: e[3],
            code_offset: u32::from_le_bytes([e[4], e[5], e[6], e[7]]),
        })
    }

    /// Number of compiled methods.
    pub fn entry_count(&self) -> usize {
        (self.entries.len().saturating_sub(4)) / ENTRY_LEN
    }

    /// The compiled methods, in ascending method offset.
    pub fn entries(&self) -> impl Iterator<Item = MethodEntry> + '_ {
        (0..self.entry_count()).filter_map(|i| self.entry_at(i))
    }

    /// The compiled method whose first bytecode is at `method`.
    pub fn entry(&self, method: u16) -> Option<MethodEntry> {
        let (mut lo, mut hi) = (0, self.entry_count());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let e = self.entry_at(mid)?;
            match e.method.cmp(&method) {
                core::cmp::Ordering::Equal => return Some(e),
                core::cmp::Ordering::Less => lo = mid + 1,
                core::cmp::Ordering::Greater => hi = mid,
            }
        }
        None
    }
}

/// The build server's side: writes a package.
#[derive(Debug, Clone)]
pub struct Writer<'a> {
    pub target: Target,
    pub abi: u16,
    pub aid: &'a [u8],
    pub version: (u8, u8),
    pub load_file: &'a [u8],
    pub code: &'a [u8],
    /// In any order; written sorted.
    pub entries: Vec<MethodEntry>,
    pub manifest: &'a [u8],
}

impl Writer<'_> {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut identity = Vec::with_capacity(3 + self.aid.len());
        identity.push(self.aid.len() as u8);
        identity.extend_from_slice(self.aid);
        identity.extend_from_slice(&[self.version.0, self.version.1]);
        let mut entries = self.entries.clone();
        entries.sort_by_key(|e| e.method);
        let mut table = Vec::with_capacity(4 + ENTRY_LEN * entries.len());
        table.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        table.extend_from_slice(&[0, 0]);
        for e in &entries {
            table.extend_from_slice(&e.method.to_le_bytes());
            table.push(e.kind as u8);
            table.push(e.ret_words);
            table.extend_from_slice(&e.code_offset.to_le_bytes());
        }
        let bodies: [&[u8]; 5] = [&identity, self.load_file, self.code, &table, self.manifest];
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        out.push(FORMAT_VERSION);
        out.push(self.target as u8);
        out.extend_from_slice(&self.abi.to_le_bytes());
        out.extend_from_slice(&[0; 4]); // total length, below
        out.extend_from_slice(&(bodies.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        let mut at = HEADER_LEN + SECTION_ENTRY_LEN * bodies.len();
        for (kind, body) in SECTIONS.iter().zip(bodies) {
            at = at.next_multiple_of(4);
            out.extend_from_slice(&(*kind as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&(at as u32).to_le_bytes());
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            at += body.len();
        }
        for body in bodies {
            out.resize(out.len().next_multiple_of(4), 0);
            out.extend_from_slice(body);
        }
        let total = (out.len() + DIGEST_LEN) as u32;
        out[8..12].copy_from_slice(&total.to_le_bytes());
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        out
    }
}

#[cfg(test)]
mod tests;
