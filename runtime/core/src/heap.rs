//! The object heap: objects and arrays behind 16-bit handles, their headers
//! in NVM, their data in NVM (persistent) or RAM (transient, and the JCRE's
//! per-session objects). See `docs/object-model.md` for the pictures.
//!
//! All persistent writes go through [`Store::write_nvm`], which sends them
//! through the transaction log when a transaction is open (and keeps
//! multi-byte updates atomic when none is).

use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use crate::error::{Fault, Result};
use crate::nvm::Nvm;
use crate::txn::{Guarded, TxnLog};

/// A reference as stored in fields, arrays, statics and on the operand
/// stack: a handle. 0 is `null`; 1..=0x7FFF are persistent objects (their
/// header address is in the NVM handle table); 0x8000..=0xFFFF are RAM
/// objects the runtime creates at every reset (APDU buffer, JCRE exception
/// singletons, the APDU object).
pub type Ref = u16;
pub const NULL: Ref = 0;
pub const RAM_HANDLE_BASE: Ref = 0x8000;

/// Object kinds (header byte 0).
pub const K_INSTANCE: u8 = 0;
pub const K_BOOL: u8 = 1;
pub const K_BYTE: u8 = 2;
pub const K_SHORT: u8 = 3;
pub const K_INT: u8 = 4;
pub const K_REF: u8 = 5;

/// Header flags (header byte 1).
pub const F_CLEAR_ON_RESET: u8 = 0x01;
pub const F_CLEAR_ON_DESELECT: u8 = 0x02;
/// Data lives in RAM (transient arrays, RAM objects).
pub const F_RAM: u8 = 0x04;
/// Global array: any context may access it (the APDU buffer).
pub const F_GLOBAL: u8 = 0x08;
/// JCRE entry point: any context may invoke its public methods.
pub const F_ENTRY_POINT: u8 = 0x10;
/// Temporary entry point / global array: may not be stored in fields,
/// static fields or arrays.
pub const F_TEMPORARY: u8 = 0x20;

/// Element size in bytes of each kind (instance: one 16-bit cell).
pub const fn elem_size(kind: u8) -> u32 {
    match kind {
        K_BOOL | K_BYTE => 1,
        K_INT => 4,
        _ => 2,
    }
}

pub const HEADER_SIZE: u32 = 8;

/// The RAM copy of an object header. `repr(C)`: compiled code reads it
/// (layout in `hydra_native::abi::obj`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct Obj {
    pub kind: u8,
    pub flags: u8,
    /// Owning context (package context id; 0 is the JCRE).
    pub owner: u8,
    /// Class id for instances; element class id for reference arrays
    /// (0xFFFF when unknown).
    pub class: u16,
    /// Cells (instances) or elements (arrays).
    pub len: u16,
    /// Address of the data: NVM address, or RAM offset with `F_RAM`.
    pub data: u32,
}

impl Obj {
    #[inline]
    pub fn is_array(&self) -> bool {
        self.kind != K_INSTANCE
    }
    #[inline]
    pub fn in_ram(&self) -> bool {
        self.flags & F_RAM != 0
    }
    pub fn transient_kind(&self) -> u8 {
        if self.flags & F_CLEAR_ON_RESET != 0 {
            1
        } else if self.flags & F_CLEAR_ON_DESELECT != 0 {
            2
        } else {
            0
        }
    }
    pub fn data_len(&self) -> u32 {
        u32::from(self.len) * elem_size(self.kind)
    }
}

// ---- NVM layout -----------------------------------------------------------

pub const MAGIC: u32 = 0x4859_4431; // "HYD1"
/// 2: handle table entries carry a validity byte, space is reused (no heap
/// top, no handle count), package records name their slot, class range and
/// static area length. 3: the superblock records the built-in API's shape
/// (`SB_API`). 4: CRC-32s over the superblock's geometry, the metadata
/// blob, each package's load image, each object header (a check byte) and
/// the card manager's record and key sets. 5: transaction log records carry
/// a CRC-32 and validate themselves (`txn`). 6: an update made atomic
/// outside a transaction leaves a redo record, not an undo record. 7: a
/// package record says whether the card's verifier type-checked it.
pub const LAYOUT_VERSION: u16 = 7;

/// Superblock fields.
pub const SB_MAGIC: u32 = 0;
pub const SB_VERSION: u32 = 4;
pub const SB_SIZE: u32 = 8;
/// Registry/package metadata blob: address and length, updated atomically
/// (one 8-byte logged write); address 0: no metadata (nothing loaded).
pub const SB_META: u32 = 20;
pub const SB_LOG_SIZE: u32 = 28;
pub const SB_MAX_HANDLES: u32 = 32;
/// Address of the card manager's record (0 until the first boot writes it).
pub const SB_CARDMGR: u32 = 36;
/// The built-in API the image was written with: package count and class
/// count (u16 each). Loaded packages' slots and class ids start after
/// them, so a runtime with another API cannot read the image.
pub const SB_API: u32 = 40;

/// CRC-32 of the superblock's fields that format writes once: all of
/// bytes 0..60 but the two published pointers (`SB_META`, `SB_CARDMGR`),
/// which change in place and are checked by what they point at.
pub const SB_CRC: u32 = 60;

/// The CRC-32 of every check in NVM: ISO-HDLC, the zip/Ethernet one.
const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// CRC-32 of one run of bytes (inline: the log's records of fields).
#[inline]
pub fn crc32_of(b: &[u8]) -> u32 {
    CRC.checksum(b)
}

/// CRC-32 (ISO-HDLC) of the concatenated parts.
pub fn crc32(parts: &[&[u8]]) -> u32 {
    let mut d = CRC.digest();
    for p in parts {
        d.update(p);
    }
    d.finalize()
}

/// The superblock CRC of `sb` (its first 60 bytes, pointers as zero).
pub(crate) fn superblock_crc(sb: &[u8]) -> u32 {
    let p = |a: u32, b: u32| sb.get(a as usize..b as usize).unwrap_or(&[]);
    crc32(&[
        p(0, SB_META),
        &[0; 8],
        p(SB_META + 8, SB_CARDMGR),
        &[0; 4],
        p(SB_CARDMGR + 4, SB_CRC),
    ])
}

/// An object header's check byte (header byte 3): the low byte of the
/// CRC-32 of the other seven bytes and the handle, so a header that was
/// damaged, or a handle entry whose address now names another object's
/// header, is found at boot. Headers never change after allocation, so
/// it costs no write.
pub fn header_check(h: u32, hd: &[u8]) -> u8 {
    let h = (h as u16).to_be_bytes();
    crc32(&[hd.get(..3).unwrap_or(&[]), hd.get(4..8).unwrap_or(&[]), &h]) as u8
}

/// The `SB_API` value of this runtime.
pub fn api_shape() -> (u16, u16) {
    (
        crate::api_tables::N_BUILTIN,
        crate::api_tables::CLASSES.len() as u16,
    )
}
pub const SUPERBLOCK_SIZE: u32 = 64;

/// Handle table entry: `[valid][address u24]`. The address is written
/// first, the valid byte last, and freeing clears the valid byte alone:
/// each change of an entry's meaning is one single-byte (atomic) write.
const ENTRY_VALID: u8 = 1;
/// Addresses must fit the entry's 24 bits.
pub const MAX_NVM_SIZE: u32 = 1 << 24;

/// Owner of a free handle's cached header. No package gets this context
/// (at most 250 slots), so the firewall refuses every access from applet
/// code; `Store::obj` does not return it.
pub const FREE_OWNER: u8 = 0xFF;
const FREE: Obj = Obj {
    kind: K_INSTANCE,
    flags: 0,
    owner: FREE_OWNER,
    class: 0xFFFF,
    len: 0,
    data: 0,
};

impl Obj {
    #[inline]
    pub fn is_free(&self) -> bool {
        self.owner == FREE_OWNER
    }
    /// Bytes of NVM the object occupies (header, and data unless in RAM).
    pub fn nvm_len(&self) -> u32 {
        HEADER_SIZE + if self.in_ram() { 0 } else { self.data_len() }
    }
}

/// The NVM space an allocation of `len` bytes occupies (4-byte granules).
/// Allocation and the boot-time rebuild of the free list both use it, so a
/// reboot finds exactly the extents that were handed out.
pub const fn extent(len: u32) -> u32 {
    let len = if len == 0 { 1 } else { len };
    len.saturating_add(3) & !3
}

/// Geometry chosen at format time.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub size: u32,
    pub log_start: u32,
    pub log_size: u32,
    pub handles_start: u32,
    pub max_handles: u32,
    pub heap_start: u32,
}

impl Layout {
    pub fn new(size: u32, log_size: u32, max_handles: u32) -> Layout {
        let log_start = SUPERBLOCK_SIZE;
        let handles_start = log_start + log_size;
        let heap_start = handles_start + 4 * (max_handles + 1);
        Layout {
            size,
            log_start,
            log_size,
            handles_start,
            max_handles,
            heap_start,
        }
    }
}

pub fn rd_u16(b: &[u8], at: u32) -> Result<u16> {
    let a = at as usize;
    b.get(a..a + 2)
        .map(|s| u16::from_be_bytes([s[0], s[1]]))
        .ok_or(Fault::NvmRange { at, len: 2 })
}

pub fn rd_u32(b: &[u8], at: u32) -> Result<u32> {
    let a = at as usize;
    b.get(a..a + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(Fault::NvmRange { at, len: 4 })
}

/// What an operation allocated, so that a refused operation can give it
/// back (see [`Store::track`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Allocation {
    Extent(u32, u32),
    Handle(Ref),
}

/// The heap and everything under it: NVM, the transaction log, RAM.
///
/// Space is not recorded as allocated anywhere: an NVM byte is in use
/// exactly when a published structure names it (the superblock's card
/// manager record and metadata blob, the packages the metadata lists, the
/// objects of valid handle table entries). The free list is that set's
/// complement, rebuilt at every boot, so space written but never published
/// (a LOAD cut by power loss) is free again after the reboot. See
/// `docs/object-model.md`, "Allocation and reclamation".
pub struct Store<N: Nvm> {
    /// The board's NVM behind the redo record's guard: every write goes
    /// through it.
    pub nvm: Guarded<N>,
    pub layout: Layout,
    pub log: TxnLog,
    /// Header cache of persistent objects, indexed by handle (free
    /// handles hold a header with owner [`FREE_OWNER`]).
    pub objs: Vec<Obj>,
    /// Header cache of RAM objects, indexed by handle - 0x8000.
    pub ram_objs: Vec<Obj>,
    /// RAM arena: transient array data and RAM objects.
    pub ram: Vec<u8>,
    pub ram_limit: u32,
    /// Free NVM extents `(address, length)`, ascending and coalesced.
    free: Vec<(u32, u32)>,
    /// Free handles below `objs.len()`.
    free_handles: BTreeSet<Ref>,
    /// Allocations of the operation being tracked.
    tracked: Option<Vec<Allocation>>,
}

impl<N: Nvm> Store<N> {
    /// The board's NVM, for the next power-up.
    pub fn into_nvm(self) -> N {
        self.nvm.into_inner()
    }

    /// Opens a formatted NVM (recovering an interrupted transaction), or
    /// formats it when it holds no card (all zero, or `format` is set).
    ///
    /// An NVM without the magic is blank only if nothing after the
    /// superblock was ever written (a new card, or a first format cut
    /// before its magic landed); anything else is refused, never
    /// re-formatted, so no card state is silently lost.
    pub fn open(nvm: N, format: bool, ram_limit: u32) -> Result<Store<N>> {
        let bytes = nvm.bytes();
        let size = bytes.len() as u32;
        let blank = || {
            rd_u32(bytes, SB_MAGIC).is_ok_and(|m| m != MAGIC)
                && bytes
                    .get(SUPERBLOCK_SIZE as usize..)
                    .is_some_and(|b| b.iter().all(|&x| x == 0))
        };
        let fresh = format || blank();
        let mut s = Store {
            nvm: Guarded::new(nvm),
            layout: Layout::new(size, 0, 0),
            log: TxnLog::default(),
            objs: Vec::new(),
            ram_objs: Vec::new(),
            ram: Vec::new(),
            ram_limit,
            free: Vec::new(),
            free_handles: BTreeSet::new(),
            tracked: None,
        };
        if fresh {
            let log_size = (size / 16).clamp(1024, 16 * 1024);
            let max_handles = (size / 64).clamp(256, 0x7FFF);
            let layout = Layout::new(size, log_size, max_handles);
            if layout.heap_start + 1024 > size {
                return Err(Fault::OutOfNvm {
                    needed: layout.heap_start + 1024,
                });
            }
            if size > MAX_NVM_SIZE {
                return Err(Fault::NvmTooLarge { size });
            }
            s.layout = layout;
            // Zero the system area, then write the superblock; the magic last.
            // In blocks from one small buffer, not one RAM buffer of the
            // whole system area (82 KB at 1 MiB of NVM).
            let zeros = [0u8; 1024];
            let mut at = 0u32;
            while at < layout.heap_start {
                let n = (layout.heap_start - at).min(zeros.len() as u32);
                s.nvm.write(at, &zeros[..n as usize])?;
                at += n;
            }
            let mut sb = [0u8; SUPERBLOCK_SIZE as usize];
            sb[4..6].copy_from_slice(&LAYOUT_VERSION.to_be_bytes());
            sb[8..12].copy_from_slice(&size.to_be_bytes());
            sb[28..32].copy_from_slice(&log_size.to_be_bytes());
            sb[32..36].copy_from_slice(&max_handles.to_be_bytes());
            let (pkgs, classes) = api_shape();
            sb[40..42].copy_from_slice(&pkgs.to_be_bytes());
            sb[42..44].copy_from_slice(&classes.to_be_bytes());
            sb[..4].copy_from_slice(&MAGIC.to_be_bytes());
            let crc = superblock_crc(&sb);
            sb[SB_CRC as usize..][..4].copy_from_slice(&crc.to_be_bytes());
            sb[..4].fill(0);
            s.nvm.write(0, &sb)?;
            s.nvm.write(SB_MAGIC, &MAGIC.to_be_bytes())?;
            s.objs.push(FREE);
            s.free.push((layout.heap_start, size - layout.heap_start));
            s.log.init(&layout);
            return Ok(s);
        }
        let b = s.nvm.bytes();
        if rd_u32(b, SB_MAGIC)? != MAGIC {
            return Err(Fault::NvmFormat);
        }
        let version = rd_u16(b, SB_VERSION)?;
        if version != LAYOUT_VERSION {
            return Err(Fault::NvmVersion {
                found: version,
                expected: LAYOUT_VERSION,
            });
        }
        let sb = b.get(..SUPERBLOCK_SIZE as usize).ok_or(Fault::NvmRange {
            at: 0,
            len: SUPERBLOCK_SIZE,
        })?;
        if rd_u32(b, SB_CRC)? != superblock_crc(sb) {
            return Err(Fault::Checksum("superblock"));
        }
        let found = (rd_u16(b, SB_API)?, rd_u16(b, SB_API + 2)?);
        if found != api_shape() {
            return Err(Fault::NvmApi {
                found,
                expected: api_shape(),
            });
        }
        let recorded = rd_u32(b, SB_SIZE)?;
        if recorded != size {
            return Err(Fault::NvmSize {
                found: recorded,
                expected: size,
            });
        }
        if size > MAX_NVM_SIZE {
            return Err(Fault::NvmTooLarge { size });
        }
        let log_size = rd_u32(b, SB_LOG_SIZE)?;
        let max_handles = rd_u32(b, SB_MAX_HANDLES)?;
        let layout = Layout::new(size, log_size, max_handles);
        if layout.heap_start > size || max_handles > 0x7FFF {
            return Err(Fault::Corrupt("superblock geometry"));
        }
        // The published pointers: inside the heap, 4-byte aligned (the
        // structures they name carry their own checksums).
        for (at, what) in [
            (SB_META, "metadata pointer"),
            (SB_CARDMGR, "card manager record pointer"),
        ] {
            let p = rd_u32(b, at)?;
            if p != 0 && (p < layout.heap_start || p >= size || p % 4 != 0) {
                return Err(Fault::Corrupt(what));
            }
        }
        s.layout = layout;
        s.log.init(&layout);
        // Roll back whatever was in flight when the power went.
        crate::txn::recover(&mut s)?;
        let b = s.nvm.bytes();
        // The header cache holds handles up to the last one in use, and no
        // more capacity than that (a table sized for `max_handles` is
        // 12 bytes a handle: 393 KB of RAM at 1 MiB of NVM).
        let last = (1..=max_handles)
            .rev()
            .find(|&h| rd_u32(b, layout.handles_start + 4 * h).is_ok_and(|e| e != 0))
            .unwrap_or(0);
        s.objs.reserve_exact(last as usize + 1);
        s.objs.push(FREE);
        for h in 1..=last {
            let at = layout.handles_start + 4 * h;
            let entry = rd_u32(b, at)?;
            match (entry >> 24) as u8 {
                0 => {
                    s.objs.push(FREE);
                    continue;
                }
                ENTRY_VALID => {}
                _ => return Err(Fault::Corrupt("handle table entry")),
            }
            let addr = entry & 0x00FF_FFFF;
            if addr < layout.heap_start || addr + HEADER_SIZE > size {
                return Err(Fault::Corrupt("object address"));
            }
            let a = addr as usize;
            let hd = &b[a..a + HEADER_SIZE as usize];
            if hd[3] != header_check(h, hd) {
                return Err(Fault::ObjectChecksum { handle: h as u16 });
            }
            let mut o = Obj {
                kind: hd[0],
                flags: hd[1],
                owner: hd[2],
                class: u16::from_be_bytes([hd[4], hd[5]]),
                len: u16::from_be_bytes([hd[6], hd[7]]),
                data: addr + HEADER_SIZE,
            };
            if o.kind > K_REF || o.owner == FREE_OWNER {
                return Err(Fault::Corrupt("object header"));
            }
            if o.in_ram() {
                o.data = 0;
            } else if o.data + o.data_len() > size {
                return Err(Fault::Corrupt("object extent"));
            }
            s.objs.push(o);
        }
        // Trailing free handles are not kept: allocation grows `objs` again.
        while s.objs.len() > 1 && s.objs.last().is_some_and(Obj::is_free) {
            s.objs.pop();
        }
        s.free_handles = (1..s.objs.len())
            .filter(|&h| s.objs[h].is_free())
            .map(|h| h as Ref)
            .collect();
        s.rebuild_free()?;
        // Transient data starts zeroed at every reset (CLEAR_ON_RESET, and
        // CLEAR_ON_DESELECT since a reset deselects every applet).
        for h in 1..s.objs.len() {
            let o = s.objs[h];
            if !o.is_free() && o.in_ram() {
                let off = s.ram_alloc(o.data_len())?;
                s.objs[h].data = off;
            }
        }
        Ok(s)
    }

    /// The free list as the complement of every published extent; two
    /// published extents that overlap are corruption.
    fn rebuild_free(&mut self) -> Result<()> {
        let b = self.nvm.bytes();
        let mut used: Vec<(u32, u32)> = Vec::new();
        for (h, o) in self.objs.iter().enumerate().skip(1) {
            if !o.is_free() {
                let at = rd_u32(b, self.layout.handles_start + 4 * h as u32)? & 0x00FF_FFFF;
                used.push((at, extent(o.nvm_len())));
            }
        }
        let record = rd_u32(b, SB_CARDMGR)?;
        if record != 0 {
            used.push((record, extent(crate::cardmgr::RECORD_SIZE)));
            if let Some((at, len)) = crate::cardmgr::record_extents(b, record) {
                used.push((at, extent(len)));
            }
        }
        let meta = rd_u32(b, SB_META)?;
        if meta != 0 {
            used.push((meta, extent(rd_u32(b, SB_META + 4)?)));
        }
        let (pkgs, _) = crate::registry::load(self)?;
        for p in &pkgs {
            used.push((p.image, extent(p.image_len)));
            used.push((p.static_base, extent(p.static_len)));
        }
        used.sort_unstable();
        let mut free = Vec::new();
        let mut at = self.layout.heap_start;
        for (a, len) in used {
            let end = a
                .checked_add(len)
                .filter(|&e| a >= at && e <= self.layout.size)
                .ok_or(Fault::Corrupt("overlapping or stray NVM extents"))?;
            if a > at {
                free.push((at, a - at));
            }
            at = end;
        }
        if at < self.layout.size {
            free.push((at, self.layout.size - at));
        }
        self.free = free;
        Ok(())
    }

    /// Free persistent memory, in bytes (possibly in several extents).
    pub fn free_nvm(&self) -> u32 {
        self.free.iter().map(|e| e.1).sum()
    }

    /// The largest allocation that can succeed now.
    pub fn largest_free(&self) -> u32 {
        self.free.iter().map(|e| e.1).max().unwrap_or(0)
    }

    /// Free extents, ascending (for tests and figures).
    pub fn free_extents(&self) -> &[(u32, u32)] {
        &self.free
    }

    pub fn free_ram(&self) -> u32 {
        self.ram_limit.saturating_sub(self.ram.len() as u32)
    }

    /// Reserves zeroed RAM.
    pub fn ram_alloc(&mut self, len: u32) -> Result<u32> {
        let off = self.ram.len() as u32;
        let len4 = (len + 3) & !3;
        if off + len4 > self.ram_limit {
            return Err(Fault::OutOfNvm { needed: len });
        }
        self.ram.resize((off + len4) as usize, 0);
        Ok(off)
    }

    /// Starts recording allocations, so that [`Store::untrack`] can give
    /// them back if the operation is refused.
    pub fn track(&mut self) {
        self.tracked = Some(Vec::new());
    }

    /// Ends the recording; `keep: false` frees what was allocated since
    /// [`Store::track`] (objects by clearing their handle entries).
    pub fn untrack(&mut self, keep: bool) -> Result<()> {
        let Some(list) = self.tracked.take() else {
            return Ok(());
        };
        if keep {
            return Ok(());
        }
        for a in list.into_iter().rev() {
            match a {
                Allocation::Extent(at, len) => self.free_extent(at, len),
                Allocation::Handle(h) => self.free_object(h)?,
            }
        }
        Ok(())
    }

    /// Reserves raw NVM space whose every byte the caller writes before
    /// publishing it (package images, static images, metadata): first fit,
    /// lowest address. Nothing is written: the space counts as used only
    /// once a published structure names it.
    pub fn nvm_alloc_raw(&mut self, len: u32) -> Result<u32> {
        let at = self.take_extent(len)?;
        if let Some(t) = self.tracked.as_mut() {
            t.push(Allocation::Extent(at, extent(len)));
        }
        Ok(at)
    }

    /// First fit, not tracked (objects are tracked by handle).
    fn take_extent(&mut self, len: u32) -> Result<u32> {
        let need = extent(len);
        let i = self
            .free
            .iter()
            .position(|e| e.1 >= need)
            .ok_or(Fault::OutOfNvm { needed: len })?;
        let (at, n) = self.free[i];
        if n == need {
            self.free.remove(i);
        } else {
            self.free[i] = (at + need, n - need);
        }
        Ok(at)
    }

    /// Reserves zeroed NVM space. Reused space may hold an old owner's
    /// bytes; only the 256-byte chunks that are not zero already are
    /// written (fresh space costs no write).
    pub fn nvm_alloc(&mut self, len: u32) -> Result<u32> {
        let at = self.nvm_alloc_raw(len)?;
        self.zero(at, extent(len))?;
        Ok(at)
    }

    fn zero(&mut self, at: u32, len: u32) -> Result<()> {
        let zeros = [0u8; 256];
        let mut p = at;
        while p < at + len {
            let n = (at + len - p).min(256);
            let dirty = self
                .nvm
                .bytes()
                .get(p as usize..(p + n) as usize)
                .is_none_or(|b| b.iter().any(|&x| x != 0));
            if dirty {
                self.nvm.write(p, &zeros[..n as usize])?;
            }
            p += n;
        }
        Ok(())
    }

    /// Returns an extent to the free list. The caller MUST have made the
    /// NVM stop naming it first (unpublished it), so that a reuse can never
    /// overwrite something a reboot would still find.
    pub fn free_extent(&mut self, at: u32, len: u32) {
        let len = extent(len);
        if at < self.layout.heap_start {
            return;
        }
        let i = self.free.partition_point(|e| e.0 < at);
        // Space already free (a caller's double free) stays counted once.
        let overlaps_prev = i > 0 && self.free[i - 1].0 + self.free[i - 1].1 > at;
        let overlaps_next = self.free.get(i).is_some_and(|e| at + len > e.0);
        if overlaps_prev || overlaps_next {
            debug_assert!(false, "double free of NVM extent {at:#x}+{len}");
            return;
        }
        self.free.insert(i, (at, len));
        // Coalesce with the next, then with the previous extent.
        if i + 1 < self.free.len() && at + len == self.free[i + 1].0 {
            self.free[i].1 += self.free[i + 1].1;
            self.free.remove(i + 1);
        }
        if i > 0 && self.free[i - 1].0 + self.free[i - 1].1 == at {
            self.free[i - 1].1 += self.free[i].1;
            self.free.remove(i);
        }
    }

    /// Frees a persistent object: one single-byte write (its handle entry's
    /// valid byte), then its extent and handle are reusable. Its RAM data
    /// (a transient array) is given back by [`Store::compact_ram`].
    pub fn free_object(&mut self, h: Ref) -> Result<()> {
        let Some(o) = self.objs.get(usize::from(h)).copied() else {
            return Ok(());
        };
        if h == NULL || o.is_free() {
            return Ok(());
        }
        let entry = self.layout.handles_start + 4 * u32::from(h);
        let addr = rd_u32(self.nvm.bytes(), entry)? & 0x00FF_FFFF;
        self.nvm.write(entry, &[0])?;
        self.objs[usize::from(h)] = FREE;
        self.free_handles.insert(h);
        self.free_extent(addr, o.nvm_len());
        Ok(())
    }

    /// Packs the RAM arena: the data of live transient arrays and RAM
    /// objects slides down over what freed transient arrays left (RAM data
    /// is reached through the header caches only, so it may move).
    pub fn compact_ram(&mut self) {
        let mut parts: Vec<(u32, u32, bool, usize)> = Vec::new();
        for (h, o) in self.objs.iter().enumerate() {
            if !o.is_free() && o.in_ram() {
                parts.push((o.data, o.data_len(), true, h));
            }
        }
        for (i, o) in self.ram_objs.iter().enumerate() {
            parts.push((o.data, o.data_len(), false, i));
        }
        parts.sort_unstable();
        let mut to = 0u32;
        for (from, len, persistent, i) in parts {
            let len4 = (len + 3) & !3;
            if from != to {
                self.ram
                    .copy_within(from as usize..(from + len4) as usize, to as usize);
            }
            if persistent {
                self.objs[i].data = to;
            } else {
                self.ram_objs[i].data = to;
            }
            to += len4;
        }
        self.ram.truncate(to as usize);
    }

    /// Allocates an object; `flags` decides persistent/transient/RAM.
    pub fn alloc(&mut self, kind: u8, flags: u8, owner: u8, class: u16, len: u16) -> Result<Ref> {
        let data_len = u32::from(len) * elem_size(kind);
        let mut o = Obj {
            kind,
            flags,
            owner,
            class,
            len,
            data: 0,
        };
        if flags & (F_CLEAR_ON_RESET | F_CLEAR_ON_DESELECT) != 0 {
            o.flags |= F_RAM;
        }
        if o.flags & F_RAM != 0 && flags & (F_CLEAR_ON_RESET | F_CLEAR_ON_DESELECT) == 0 {
            // A RAM object: lives until the next reset.
            if self.ram_objs.len() >= 0x7FFF {
                return Err(Fault::OutOfHandles);
            }
            o.data = self.ram_alloc(data_len)?;
            self.ram_objs.push(o);
            return Ok(RAM_HANDLE_BASE + (self.ram_objs.len() - 1) as u16);
        }
        if owner == FREE_OWNER {
            return Err(Fault::Corrupt("object owner"));
        }
        let h = match self.free_handles.first() {
            Some(&h) => u32::from(h),
            None => self.objs.len() as u32,
        };
        if h > self.layout.max_handles {
            return Err(Fault::OutOfHandles);
        }
        // Transient data first: a refusal there leaves NVM untouched.
        let ram_at = self.ram.len();
        let ram_off = if o.in_ram() {
            Some(self.ram_alloc(data_len)?)
        } else {
            None
        };
        let addr = match self.take_extent(o.nvm_len()) {
            Ok(a) => a,
            Err(e) => {
                self.ram.truncate(ram_at);
                return Err(e);
            }
        };
        self.zero(addr + HEADER_SIZE, extent(o.nvm_len()) - HEADER_SIZE)?;
        let mut hd = [0u8; 8];
        hd[0] = kind;
        hd[1] = o.flags;
        hd[2] = owner;
        hd[4..6].copy_from_slice(&class.to_be_bytes());
        hd[6..8].copy_from_slice(&len.to_be_bytes());
        hd[3] = header_check(h, &hd);
        self.nvm.write(addr, &hd)?;
        // Publish: the address (skipped when a reused entry holds it
        // already), then the valid byte.
        let entry = self.layout.handles_start + 4 * h;
        let a = addr.to_be_bytes();
        if self
            .nvm
            .bytes()
            .get((entry + 1) as usize..(entry + 4) as usize)
            != Some(&a[1..])
        {
            self.nvm.write(entry + 1, &a[1..])?;
        }
        self.nvm.write(entry, &[ENTRY_VALID])?;
        o.data = ram_off.unwrap_or(addr + HEADER_SIZE);
        let h = h as Ref;
        if usize::from(h) == self.objs.len() {
            self.objs.push(o);
        } else {
            self.objs[usize::from(h)] = o;
            self.free_handles.remove(&h);
        }
        if let Some(t) = self.tracked.as_mut() {
            t.push(Allocation::Handle(h));
        }
        Ok(h)
    }

    /// The header of a non-null reference, or `None` for a dangling one.
    #[inline]
    pub fn obj(&self, r: Ref) -> Option<&Obj> {
        if r < RAM_HANDLE_BASE {
            self.objs
                .get(usize::from(r))
                .filter(|o| r != NULL && !o.is_free())
        } else {
            self.ram_objs.get(usize::from(r - RAM_HANDLE_BASE))
        }
    }

    /// Bytes of an object's data.
    #[inline]
    pub fn data(&self, o: &Obj) -> &[u8] {
        let (buf, start) = if o.in_ram() {
            (&self.ram[..], o.data as usize)
        } else {
            (self.nvm.bytes(), o.data as usize)
        };
        let end = start + o.data_len() as usize;
        buf.get(start..end).unwrap_or(&[])
    }

    #[inline]
    pub fn read_u8(&self, o: &Obj, off: u32) -> u8 {
        let (buf, start) = if o.in_ram() {
            (&self.ram[..], o.data)
        } else {
            (self.nvm.bytes(), o.data)
        };
        buf.get((start + off) as usize).copied().unwrap_or(0)
    }

    #[inline]
    pub fn read_u16(&self, o: &Obj, off: u32) -> u16 {
        let (buf, start) = if o.in_ram() {
            (&self.ram[..], o.data)
        } else {
            (self.nvm.bytes(), o.data)
        };
        let a = (start + off) as usize;
        match buf.get(a..a + 2) {
            Some(s) => u16::from_be_bytes([s[0], s[1]]),
            None => 0,
        }
    }

    /// Writes `bytes` at `off` in an object's data: RAM directly, NVM
    /// through the transaction log (atomically when `atomic`).
    pub fn write(&mut self, o: &Obj, off: u32, bytes: &[u8], atomic: bool) -> Result<()> {
        if o.in_ram() {
            let a = (o.data + off) as usize;
            match self.ram.get_mut(a..a + bytes.len()) {
                Some(d) => crate::nvm::copy_bytes(d, bytes),
                None => return Err(Fault::Corrupt("RAM object extent")),
            }
            Ok(())
        } else {
            self.write_nvm(o.data + off, bytes, atomic)
        }
    }

    /// One persistent update: logged inside a transaction; outside, a
    /// multi-byte `atomic` update goes through a one-record log so power loss
    /// leaves either the old or the new value.
    ///
    /// Only what changes is written: an update that changes nothing costs
    /// no NVM write (and no wear); one that changes a single byte (a
    /// counter's low byte, a flag in a short) is that byte's write alone,
    /// atomic by itself, so it needs no redo record, and inside a
    /// transaction its undo record keeps that byte only.
    ///
    /// Fields, statics and array elements (1, 2 or 4 bytes) take
    /// [`Store::write_nvm_small`], where every length is a constant.
    /// Not inlined: in the interpreter's loop the dispatch alone shifts the
    /// register allocation of every bytecode (10 % slower on `crc`, which
    /// writes no NVM at all).
    #[inline(never)]
    pub fn write_nvm(&mut self, at: u32, bytes: &[u8], atomic: bool) -> Result<()> {
        match *bytes {
            [a] => self.write_nvm_small(at, [a], atomic),
            [a, b] => self.write_nvm_small(at, [a, b], atomic),
            [a, b, c, d] => self.write_nvm_small(at, [a, b, c, d], atomic),
            _ => self.write_nvm_any(at, bytes, atomic),
        }
    }

    /// [`Store::write_nvm`] of `L` bytes: the same rules, with the length,
    /// the change test and the redo record's layout known when compiled.
    pub fn write_nvm_small<const L: usize>(
        &mut self,
        at: u32,
        new: [u8; L],
        atomic: bool,
    ) -> Result<()> {
        let a = at as usize;
        let mut old = [0u8; L];
        match self.nvm.bytes().get(a..a + L) {
            Some(b) => old.copy_from_slice(b),
            // Out of range: reported as for any length.
            None => return self.write_nvm_any(at, &new, atomic),
        }
        let (at, k) = match crate::nvm::change(&old, &new) {
            crate::nvm::Change::None => return Ok(()),
            crate::nvm::Change::OneByte(k) => (at + k as u32, k),
            crate::nvm::Change::Several => {
                if self.log.in_txn() {
                    crate::txn::log_old_small(self, at, old)?;
                    return self.nvm.write(at, &new);
                }
                return if atomic {
                    crate::txn::atomic_write_small(self, at, new)
                } else {
                    self.nvm.write_tearable(at, &new)
                };
            }
        };
        // One byte changes: its write is atomic by itself.
        let byte = [new[k]];
        if self.log.in_txn() {
            crate::txn::log_old_small(self, at, [old[k]])?;
            self.nvm.write(at, &byte)
        } else if atomic {
            self.nvm.write(at, &byte)
        } else {
            self.nvm.write_tearable(at, &byte)
        }
    }

    /// [`Store::write_nvm`] of any length.
    fn write_nvm_any(&mut self, at: u32, bytes: &[u8], atomic: bool) -> Result<()> {
        let a = at as usize;
        let change = match self.nvm.bytes().get(a..a + bytes.len()) {
            Some(old) => crate::nvm::change(old, bytes),
            // Out of range: the write below reports it.
            None => crate::nvm::Change::Several,
        };
        let (at, bytes) = match change {
            crate::nvm::Change::None => return Ok(()),
            crate::nvm::Change::OneByte(k) => (at + k as u32, &bytes[k..k + 1]),
            crate::nvm::Change::Several => (at, bytes),
        };
        if self.log.in_txn() {
            crate::txn::log_old(self, at, bytes.len() as u32)?;
            self.nvm.write(at, bytes)
        } else if atomic && bytes.len() > 1 {
            crate::txn::atomic_write(self, at, bytes)
        } else if atomic {
            self.nvm.write(at, bytes)
        } else {
            self.nvm.write_tearable(at, bytes)
        }
    }

    /// Zeroes the data of every CLEAR_ON_DESELECT array owned by `ctx`.
    pub fn clear_on_deselect(&mut self, ctx: u8) {
        for o in self.objs.iter() {
            if o.flags & F_CLEAR_ON_DESELECT != 0 && o.owner == ctx {
                let a = o.data as usize;
                let n = o.data_len() as usize;
                if let Some(d) = self.ram.get_mut(a..a + n) {
                    d.fill(0);
                }
            }
        }
    }

    /// Drops RAM object `r` if it is the last one made (a temporary the
    /// JCRE no longer needs: no field, static or array can hold it), with
    /// its data when that ends the arena.
    pub fn drop_last_ram_object(&mut self, r: Ref) {
        let Some(i) = r.checked_sub(RAM_HANDLE_BASE).map(usize::from) else {
            return;
        };
        if i + 1 != self.ram_objs.len() {
            return;
        }
        let o = self.ram_objs[i];
        self.ram_objs.pop();
        let end = o.data + ((o.data_len() + 3) & !3);
        if end as usize == self.ram.len() {
            self.ram.truncate(o.data as usize);
        }
    }

    /// Gives RAM object `r` to context `owner` (a JCRE pool object lent to
    /// the applet that opened it); false if `r` is no RAM object.
    pub fn set_ram_owner(&mut self, r: Ref, owner: u8) -> bool {
        match r
            .checked_sub(RAM_HANDLE_BASE)
            .and_then(|i| self.ram_objs.get_mut(usize::from(i)))
        {
            Some(o) => {
                o.owner = owner;
                true
            }
            None => false,
        }
    }

    /// Drops the RAM objects (at reset).
    pub fn reset_ram_objects(&mut self) {
        self.ram_objs.clear();
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::nvm::RamNvm;
    use std::string::ToString;

    /// The constant-length path of fields, statics and array elements
    /// writes what the general one writes, byte for byte and write for
    /// write: in and out of a transaction, atomic or not, with no, one or
    /// several bytes changed.
    #[test]
    fn small_updates_write_what_any_update_writes() {
        let cases: [(&[u8], &[u8]); 7] = [
            (&[7], &[7]),
            (&[7], &[8]),
            (&[1, 2], &[1, 2]),
            (&[1, 2], &[1, 9]),
            (&[1, 2], &[9, 9]),
            (&[1, 2, 3, 4], &[1, 2, 3, 5]),
            (&[1, 2, 3, 4], &[4, 3, 2, 1]),
        ];
        // Writes of an atomic update outside a transaction: none when
        // nothing changes, one for one changed byte, a redo record and the
        // data otherwise.
        let atomic_writes = [0, 1, 0, 1, 2, 1, 2];
        for ((old, new), want) in cases.into_iter().zip(atomic_writes) {
            for txn in [false, true] {
                for atomic in [false, true] {
                    let run = |small: bool| {
                        let mut s = Store::open(RamNvm::new(64 * 1024), true, 1024).unwrap();
                        // An odd address: no alignment is assumed.
                        let at = s.layout.heap_start + 3;
                        s.nvm.write(at, old).unwrap();
                        if txn {
                            crate::txn::begin(&mut s).unwrap();
                        }
                        let n0 = s.nvm.writes;
                        match *new {
                            [a] if small => s.write_nvm_small(at, [a], atomic),
                            [a, b] if small => s.write_nvm_small(at, [a, b], atomic),
                            [a, b, c, d] if small => s.write_nvm_small(at, [a, b, c, d], atomic),
                            _ => s.write_nvm_any(at, new, atomic),
                        }
                        .unwrap();
                        assert_eq!(&s.nvm.bytes()[at as usize..at as usize + new.len()], new);
                        (s.nvm.writes - n0, s.nvm.bytes().to_vec())
                    };
                    let (writes, bytes) = run(true);
                    let case = std::format!("{old:?} -> {new:?}, txn {txn}, atomic {atomic}");
                    assert!((writes, bytes) == run(false), "{case}");
                    if atomic && !txn {
                        assert_eq!(writes, want, "{case}");
                    }
                }
            }
        }
    }

    /// A reboot's header cache holds the handles in use, not the table's
    /// capacity (16,384 handles at 1 MiB of NVM), and keeps every object.
    #[test]
    fn a_reboot_caches_only_the_handles_in_use() {
        let mut s = Store::open(RamNvm::new(1024 * 1024), true, 1024).unwrap();
        let refs: std::vec::Vec<Ref> = (0..5)
            .map(|i| {
                s.alloc(K_BYTE, 0, 7, crate::class::NO_CLASS, 3 + i)
                    .unwrap()
            })
            .collect();
        let s = Store::open(s.into_nvm(), false, 1024).unwrap();
        assert!(s.objs.capacity() <= 8, "capacity {}", s.objs.capacity());
        for (i, r) in refs.into_iter().enumerate() {
            let o = s.obj(r).unwrap();
            assert_eq!((o.kind, o.owner, o.len), (K_BYTE, 7, 3 + i as u16));
        }
    }

    /// A state file of an earlier layout is refused with one line naming
    /// both versions, and left as it was.
    #[test]
    fn an_older_layout_is_refused_by_name() {
        let mut nvm = Store::open(RamNvm::new(64 * 1024), true, 1024).unwrap().nvm;
        nvm.write(SB_VERSION, &1u16.to_be_bytes()).unwrap();
        let before = nvm.data.clone();
        let e = Store::open(nvm.clone(), false, 1024).err().unwrap();
        assert_eq!(
            e,
            Fault::NvmVersion {
                found: 1,
                expected: LAYOUT_VERSION
            }
        );
        let line = e.to_string();
        assert!(!line.contains('\n') && line.contains("version 1") && line.contains("version 7"));
        assert!(nvm.data == before);
    }

    /// An image written with another built-in API (more packages or
    /// classes, so other slot and class numbers) is refused by name.
    #[test]
    fn another_api_is_refused_by_name() {
        let mut nvm = Store::open(RamNvm::new(64 * 1024), true, 1024).unwrap().nvm;
        let (p, c) = api_shape();
        nvm.write(SB_API + 2, &(c - 1).to_be_bytes()).unwrap();
        let crc = superblock_crc(&nvm.data[..64]);
        nvm.write(SB_CRC, &crc.to_be_bytes()).unwrap();
        let e = Store::open(nvm, false, 1024).err().unwrap();
        assert_eq!(
            e,
            Fault::NvmApi {
                found: (p, c - 1),
                expected: (p, c)
            }
        );
        assert!(e.to_string().contains("another built-in API"));
    }

    /// Freed extents coalesce with both neighbours, and a reboot rebuilds
    /// the same free list from the handle table.
    #[test]
    fn freed_objects_coalesce_and_survive_a_reboot() {
        let mut s = Store::open(RamNvm::new(64 * 1024), true, 1024).unwrap();
        let free0 = s.free_nvm();
        // Headers of 8 bytes: 8 + 5 -> 16, 8 + 2 * 3 -> 16, 8 + 4 -> 12.
        let a = s.alloc(K_BYTE, 0, 3, 0xFFFF, 5).unwrap();
        let b = s.alloc(K_SHORT, 0, 3, 0xFFFF, 3).unwrap();
        let c = s.alloc(K_INT, 0, 3, 0xFFFF, 1).unwrap();
        assert_eq!(free0 - s.free_nvm(), 16 + 16 + 12);
        s.free_object(a).unwrap();
        s.free_object(c).unwrap();
        assert_eq!(
            s.free_extents().len(),
            2,
            "a's hole, and c's merged into the rest"
        );
        let s2 = Store::open(s.nvm.clone(), false, 1024).unwrap();
        assert_eq!(s2.free_extents(), s.free_extents());
        s.free_object(b).unwrap();
        assert_eq!(s.free_extents(), &[(s.layout.heap_start, free0)]);
        // The lowest handle is reused.
        assert_eq!(s.alloc(K_BYTE, 0, 3, 0xFFFF, 1).unwrap(), a);
    }
}
