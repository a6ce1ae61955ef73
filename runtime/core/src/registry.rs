//! The applet registry and the persistent card metadata (loaded packages,
//! applet instances), shaped for a GlobalPlatform card manager: each entry
//! keeps its life cycle state and privileges, and install parameters follow
//! the GlobalPlatform layout.

use alloc::vec::Vec;

use crate::error::{Fault, Result};
use crate::heap::{rd_u16, rd_u32, Ref, Store, SB_META};
use crate::nvm::Nvm;

/// GlobalPlatform application life cycle states.
pub const LC_INSTALLED: u8 = 0x03;
pub const LC_SELECTABLE: u8 = 0x07;
/// The life cycle bit of a locked application.
pub const LC_LOCKED_BIT: u8 = 0x80;

/// May an application in this life cycle state be selected? SELECTABLE
/// and the application-specific states above it (bits 1-3 set), unless
/// locked (GP 2.3.1 §5.3.1).
pub fn is_selectable(life_cycle: u8) -> bool {
    life_cycle & LC_LOCKED_BIT == 0 && life_cycle & LC_SELECTABLE == LC_SELECTABLE
}
pub const LC_LOCKED: u8 = 0x83;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppletEntry {
    pub aid: Vec<u8>,
    pub pkg: u16,
    /// The applet object (set by `register()`).
    pub instance: Ref,
    /// The JCRE-owned AID object of this instance.
    pub aid_obj: Ref,
    pub life_cycle: u8,
    /// GlobalPlatform privileges (3 bytes).
    pub privileges: [u8; 3],
}

/// Logical channels: the basic channel 0 and 19 further ones.
pub const CHANNELS: usize = 20;

#[derive(Debug, Clone)]
pub struct Registry {
    pub applets: Vec<AppletEntry>,
    /// Selected applet per logical channel.
    pub selected: [Option<usize>; CHANNELS],
    /// Open logical channels (bit n: channel n); channel 0 is always open.
    pub open: u32,
    /// Channels whose selected applet implements ExtendedLength (bit n:
    /// channel n), found when it was selected.
    pub extended: u32,
    /// Channels on which the card manager (the ISD) is selected (bit n:
    /// channel n); after a reset it is selected on the basic channel.
    pub isd: u32,
}

impl Default for Registry {
    fn default() -> Registry {
        Registry {
            applets: Vec::new(),
            selected: [None; CHANNELS],
            open: 1,
            extended: 0,
            isd: 1,
        }
    }
}

impl Registry {
    pub fn is_open(&self, ch: u8) -> bool {
        usize::from(ch) < CHANNELS && self.open & (1 << ch) != 0
    }

    /// Is applet `i` selected on some channel?
    pub fn is_active(&self, i: usize) -> bool {
        self.selected.contains(&Some(i))
    }

    pub fn find_exact(&self, aid: &[u8]) -> Option<usize> {
        self.applets.iter().position(|a| a.aid == aid)
    }

    /// Partial selection (ISO 7816-4): the first applet whose AID starts
    /// with `prefix`.
    pub fn find_partial(&self, prefix: &[u8]) -> Option<usize> {
        self.applets
            .iter()
            .position(|a| a.aid.len() >= prefix.len() && a.aid[..prefix.len()] == *prefix)
    }
}

/// A package record of the metadata: where its parts are and which
/// numbers it holds. Records are kept in load order, so that relinking
/// them in that order finds every import already linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageRecord {
    /// Package index, which is also its firewall context.
    pub slot: u8,
    /// Class id of its first class; its classes take the ids after it
    /// (object headers name them, so they stay the same across relinks).
    pub class_base: u16,
    pub image: u32,
    pub image_len: u32,
    pub static_base: u32,
    /// Bytes allocated for the static field image.
    pub static_len: u32,
    /// CRC-32 of the load image, computed when it was written; checked at
    /// every boot before the image is relinked.
    pub image_crc: u32,
    /// The card's verifier type-checked it when it was loaded, so the
    /// interpreter runs it in its trusting loop (`interp.rs`).
    pub verified: bool,
}

/// Bytes of one encoded package record.
const PACKAGE_RECORD: u32 = 24;

/// Package record flag: verified on load.
const RECORD_VERIFIED: u8 = 1;

/// GlobalPlatform INSTALL [for install] parameters, as passed to
/// `install(byte[] bArray, short bOffset, byte bLength)`:
/// `Li AID | Lc control info (privileges) | La application data (C9 value)`.
pub fn install_parameters(aid: &[u8], privileges: &[u8], app_params: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(3 + aid.len() + privileges.len() + app_params.len());
    v.push(aid.len() as u8);
    v.extend_from_slice(aid);
    v.push(privileges.len() as u8);
    v.extend_from_slice(privileges);
    v.push(app_params.len() as u8);
    v.extend_from_slice(app_params);
    v
}

pub fn encode(pkgs: &[PackageRecord], applets: &[AppletEntry]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&(pkgs.len() as u16).to_be_bytes());
    for p in pkgs {
        v.push(p.slot);
        v.extend_from_slice(&p.class_base.to_be_bytes());
        v.extend_from_slice(&p.image.to_be_bytes());
        v.extend_from_slice(&p.image_len.to_be_bytes());
        v.extend_from_slice(&p.static_base.to_be_bytes());
        v.extend_from_slice(&p.static_len.to_be_bytes());
        v.extend_from_slice(&p.image_crc.to_be_bytes());
        v.push(if p.verified { RECORD_VERIFIED } else { 0 });
    }
    v.extend_from_slice(&(applets.len() as u16).to_be_bytes());
    for a in applets {
        v.push(a.aid.len() as u8);
        v.extend_from_slice(&a.aid);
        v.extend_from_slice(&a.pkg.to_be_bytes());
        v.extend_from_slice(&a.instance.to_be_bytes());
        v.extend_from_slice(&a.aid_obj.to_be_bytes());
        v.push(a.life_cycle);
        v.extend_from_slice(&a.privileges);
    }
    // The blob is written once and published whole: a CRC-32 trailer
    // costs no write of its own.
    let crc = crate::heap::crc32(&[&v]);
    v.extend_from_slice(&crc.to_be_bytes());
    v
}

pub fn decode(blob: &[u8]) -> Result<(Vec<PackageRecord>, Vec<AppletEntry>)> {
    let crc = blob.len().checked_sub(4).map(|n| blob.split_at(n));
    let Some((b, crc)) = crc else {
        return Err(Fault::Checksum("metadata blob"));
    };
    if crc != crate::heap::crc32(&[b]).to_be_bytes() {
        return Err(Fault::Checksum("metadata blob"));
    }
    let bad = Fault::Corrupt("card metadata");
    let mut at = 0u32;
    let n = rd_u16(b, at).map_err(|_| bad.clone())?;
    at += 2;
    let mut pkgs = Vec::new();
    for _ in 0..n {
        pkgs.push(PackageRecord {
            slot: *b.get(at as usize).ok_or(bad.clone())?,
            class_base: rd_u16(b, at + 1)?,
            image: rd_u32(b, at + 3)?,
            image_len: rd_u32(b, at + 7)?,
            static_base: rd_u32(b, at + 11)?,
            static_len: rd_u32(b, at + 15)?,
            image_crc: rd_u32(b, at + 19)?,
            verified: match b.get(at as usize + 23) {
                Some(&0) => false,
                Some(&RECORD_VERIFIED) => true,
                _ => return Err(bad),
            },
        });
        at += PACKAGE_RECORD;
    }
    let n = rd_u16(b, at)?;
    at += 2;
    let mut applets = Vec::new();
    for _ in 0..n {
        let len = *b.get(at as usize).ok_or(bad.clone())? as u32;
        let aid = b
            .get(at as usize + 1..(at + 1 + len) as usize)
            .ok_or(bad.clone())?
            .to_vec();
        at += 1 + len;
        let pkg = rd_u16(b, at)?;
        let instance = rd_u16(b, at + 2)?;
        let aid_obj = rd_u16(b, at + 4)?;
        let life_cycle = *b.get(at as usize + 6).ok_or(bad.clone())?;
        let p = b
            .get(at as usize + 7..at as usize + 10)
            .ok_or(bad.clone())?;
        at += 10;
        applets.push(AppletEntry {
            aid,
            pkg,
            instance,
            aid_obj,
            life_cycle,
            privileges: [p[0], p[1], p[2]],
        });
    }
    if at as usize != b.len() {
        return Err(bad);
    }
    Ok((pkgs, applets))
}

/// Writes new metadata: the blob to free NVM, then its (address, length)
/// in the superblock in one atomic update (the commit point of LOAD,
/// INSTALL and DELETE); only then is the old blob's space free. An empty
/// card has no blob (`None`, address 0), so deleting everything gives back every
/// byte.
pub fn store<N: Nvm>(s: &mut Store<N>, blob: Option<&[u8]>) -> Result<()> {
    let b = s.nvm.bytes();
    let old = (rd_u32(b, SB_META)?, rd_u32(b, SB_META + 4)?);
    let mut ptr = [0u8; 8];
    if let Some(blob) = blob {
        let at = s.nvm_alloc_raw(blob.len() as u32)?;
        s.nvm.write(at, blob)?;
        ptr[..4].copy_from_slice(&at.to_be_bytes());
        ptr[4..].copy_from_slice(&(blob.len() as u32).to_be_bytes());
    }
    s.write_nvm(SB_META, &ptr, true)?;
    if old.0 != 0 {
        s.free_extent(old.0, old.1);
    }
    Ok(())
}

pub fn load<N: Nvm>(s: &Store<N>) -> Result<(Vec<PackageRecord>, Vec<AppletEntry>)> {
    let b = s.nvm.bytes();
    let at = rd_u32(b, SB_META)?;
    let len = rd_u32(b, SB_META + 4)?;
    if at == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let blob = b
        .get(at as usize..(at as usize).saturating_add(len as usize))
        .ok_or(Fault::Checksum("metadata blob"))?;
    decode(blob)
}
