//! The object heap: objects and arrays behind 16-bit handles, their headers
//! in NVM, their data in NVM (persistent) or RAM (transient, and the JCRE's
//! per-session objects). See `docs/object-model.md` for the pictures.
//!
//! All persistent writes go through [`Store::write_nvm`], which sends them
//! through the transaction log when a transaction is open (and keeps
//! multi-byte updates atomic when none is).

use alloc::vec::Vec;

use crate::error::{Fault, Result};
use crate::nvm::Nvm;
use crate::txn::TxnLog;

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
pub const LAYOUT_VERSION: u16 = 1;

/// Superblock fields.
pub const SB_MAGIC: u32 = 0;
pub const SB_VERSION: u32 = 4;
pub const SB_SIZE: u32 = 8;
pub const SB_HEAP_TOP: u32 = 12;
pub const SB_HANDLES: u32 = 16;
/// Registry/package metadata blob: address and length, updated atomically
/// (one 8-byte logged write).
pub const SB_META: u32 = 20;
pub const SB_LOG_SIZE: u32 = 28;
pub const SB_MAX_HANDLES: u32 = 32;
/// Address of the card manager's record (0 until the first boot writes it).
pub const SB_CARDMGR: u32 = 36;
pub const SUPERBLOCK_SIZE: u32 = 64;

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

/// The heap and everything under it: NVM, the transaction log, RAM.
pub struct Store<N: Nvm> {
    pub nvm: N,
    pub layout: Layout,
    pub log: TxnLog,
    /// Header cache of persistent objects, indexed by handle.
    pub objs: Vec<Obj>,
    /// Header cache of RAM objects, indexed by handle - 0x8000.
    pub ram_objs: Vec<Obj>,
    /// RAM arena: transient array data and RAM objects.
    pub ram: Vec<u8>,
    pub ram_limit: u32,
    heap_top: u32,
}

impl<N: Nvm> Store<N> {
    /// Opens a formatted NVM (recovering an interrupted transaction), or
    /// formats it when it holds no card (all zero, or `format` is set).
    pub fn open(nvm: N, format: bool, ram_limit: u32) -> Result<Store<N>> {
        let bytes = nvm.bytes();
        let size = bytes.len() as u32;
        let fresh = format || rd_u32(bytes, SB_MAGIC)? == 0;
        let mut s = Store {
            nvm,
            layout: Layout::new(size, 0, 0),
            log: TxnLog::default(),
            objs: Vec::new(),
            ram_objs: Vec::new(),
            ram: Vec::new(),
            ram_limit,
            heap_top: 0,
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
            s.layout = layout;
            // Zero the system area, then write the superblock; the magic last.
            let zeros = alloc::vec![0u8; layout.heap_start as usize];
            s.nvm.write(0, &zeros)?;
            let mut sb = [0u8; SUPERBLOCK_SIZE as usize];
            sb[4..6].copy_from_slice(&LAYOUT_VERSION.to_be_bytes());
            sb[8..12].copy_from_slice(&size.to_be_bytes());
            sb[12..16].copy_from_slice(&layout.heap_start.to_be_bytes());
            sb[28..32].copy_from_slice(&log_size.to_be_bytes());
            sb[32..36].copy_from_slice(&max_handles.to_be_bytes());
            s.nvm.write(0, &sb)?;
            s.nvm.write(SB_MAGIC, &MAGIC.to_be_bytes())?;
            s.objs.push(Obj::default());
            s.heap_top = layout.heap_start;
            s.log.init(&layout);
            return Ok(s);
        }
        let b = s.nvm.bytes();
        if rd_u32(b, SB_MAGIC)? != MAGIC || rd_u16(b, SB_VERSION)? != LAYOUT_VERSION {
            return Err(Fault::NvmFormat);
        }
        if rd_u32(b, SB_SIZE)? != size {
            return Err(Fault::NvmFormat);
        }
        let log_size = rd_u32(b, SB_LOG_SIZE)?;
        let max_handles = rd_u32(b, SB_MAX_HANDLES)?;
        let layout = Layout::new(size, log_size, max_handles);
        if layout.heap_start > size || max_handles > 0x7FFF {
            return Err(Fault::Corrupt("superblock geometry"));
        }
        s.layout = layout;
        s.log.init(&layout);
        // Roll back whatever was in flight when the power went.
        crate::txn::recover(&mut s)?;
        let b = s.nvm.bytes();
        s.heap_top = rd_u32(b, SB_HEAP_TOP)?;
        if s.heap_top < layout.heap_start || s.heap_top > size {
            return Err(Fault::Corrupt("heap top"));
        }
        let count = rd_u32(b, SB_HANDLES)?;
        if count > max_handles {
            return Err(Fault::Corrupt("handle count"));
        }
        s.objs.push(Obj::default());
        for h in 1..=count {
            let addr = rd_u32(b, layout.handles_start + 4 * h)?;
            if addr == 0 {
                s.objs.push(Obj::default());
                continue;
            }
            if addr < layout.heap_start || addr + HEADER_SIZE > s.heap_top {
                return Err(Fault::Corrupt("object address"));
            }
            let a = addr as usize;
            let hd = &b[a..a + HEADER_SIZE as usize];
            let mut o = Obj {
                kind: hd[0],
                flags: hd[1],
                owner: hd[2],
                class: u16::from_be_bytes([hd[4], hd[5]]),
                len: u16::from_be_bytes([hd[6], hd[7]]),
                data: addr + HEADER_SIZE,
            };
            if o.kind > K_REF {
                return Err(Fault::Corrupt("object kind"));
            }
            if o.in_ram() {
                o.data = 0;
            } else if o.data + o.data_len() > s.heap_top {
                return Err(Fault::Corrupt("object extent"));
            }
            s.objs.push(o);
        }
        // Transient data starts zeroed at every reset (CLEAR_ON_RESET, and
        // CLEAR_ON_DESELECT since a reset deselects every applet).
        for h in 1..s.objs.len() {
            let o = s.objs[h];
            if o.in_ram() {
                let off = s.ram_alloc(o.data_len())?;
                s.objs[h].data = off;
            }
        }
        Ok(s)
    }

    pub fn heap_top(&self) -> u32 {
        self.heap_top
    }

    pub fn free_nvm(&self) -> u32 {
        self.layout.size - self.heap_top
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

    /// Reserves raw NVM space (package images, metadata); zeroed.
    pub fn nvm_alloc(&mut self, len: u32) -> Result<u32> {
        let at = self.heap_top;
        let len4 = (len + 3) & !3;
        let top = at
            .checked_add(len4)
            .filter(|&t| t <= self.layout.size)
            .ok_or(Fault::OutOfNvm { needed: len })?;
        // Move the top first: an interrupted allocation leaks, never overlaps.
        self.nvm.write(SB_HEAP_TOP, &top.to_be_bytes())?;
        self.heap_top = top;
        let zeros = [0u8; 256];
        let mut p = at;
        while p < top {
            let n = (top - p).min(256);
            self.nvm.write(p, &zeros[..n as usize])?;
            p += n;
        }
        Ok(at)
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
        let h = self.objs.len() as u32;
        if h > self.layout.max_handles {
            return Err(Fault::OutOfHandles);
        }
        let nvm_len = HEADER_SIZE + if o.in_ram() { 0 } else { data_len };
        if o.in_ram() && self.free_ram() < data_len {
            return Err(Fault::OutOfNvm { needed: data_len });
        }
        let addr = self.nvm_alloc(nvm_len)?;
        let mut hd = [0u8; 8];
        hd[0] = kind;
        hd[1] = o.flags;
        hd[2] = owner;
        hd[4..6].copy_from_slice(&class.to_be_bytes());
        hd[6..8].copy_from_slice(&len.to_be_bytes());
        self.nvm.write(addr, &hd)?;
        self.nvm
            .write(self.layout.handles_start + 4 * h, &addr.to_be_bytes())?;
        self.nvm.write(SB_HANDLES, &h.to_be_bytes())?;
        o.data = if o.in_ram() {
            self.ram_alloc(data_len)?
        } else {
            addr + HEADER_SIZE
        };
        self.objs.push(o);
        Ok(h as Ref)
    }

    /// The header of a non-null reference, or `None` for a dangling one.
    #[inline]
    pub fn obj(&self, r: Ref) -> Option<&Obj> {
        if r < RAM_HANDLE_BASE {
            self.objs.get(usize::from(r)).filter(|_| r != NULL)
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
    pub fn write_nvm(&mut self, at: u32, bytes: &[u8], atomic: bool) -> Result<()> {
        // An update that changes nothing costs no NVM write (and no wear).
        let a = at as usize;
        let unchanged = self
            .nvm
            .bytes()
            .get(a..a + bytes.len())
            .is_some_and(|old| crate::nvm::same_bytes(old, bytes));
        if unchanged {
            return Ok(());
        }
        if self.log.in_txn() {
            crate::txn::log_old(self, at, bytes.len() as u32)?;
            self.nvm.write(at, bytes)
        } else if atomic && bytes.len() > 1 {
            crate::txn::atomic_write(self, at, bytes)
        } else {
            self.nvm.write(at, bytes)
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

    /// Drops the RAM objects (at reset).
    pub fn reset_ram_objects(&mut self) {
        self.ram_objs.clear();
    }
}
