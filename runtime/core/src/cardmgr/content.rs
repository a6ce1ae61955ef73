//! Content management by the ISD (GP 2.3.1 §11.5 INSTALL, §11.6 LOAD,
//! §11.2 DELETE): a load file arrives in LOAD blocks after INSTALL [for
//! load], is checked against the hash INSTALL gave, parsed by the card's
//! own CAP reader and linked; applets are installed and made selectable;
//! applications and packages are deleted with the dependencies the
//! specification requires.
//!
//! Every change is committed by the one atomic metadata update at its end:
//! a power cut before it leaves the card as it was. Space comes back: a
//! refused LOAD gives back what it allocated, an interrupted one left it
//! unpublished (free after the reboot), and DELETE frees the objects that
//! nothing reaches any more, the package's image, static area and slot
//! (see `gc.rs` and `docs/object-model.md`).

use alloc::vec::Vec;

use sha1::Digest as _;

use super::dap::DapRefusal;
use super::{
    tlv, SW_CONDITIONS, SW_INCORRECT_P1P2, SW_NOT_FOUND, SW_OK, SW_SECURITY, SW_WRONG_DATA,
};
use crate::apdu::{Command, Response};
use crate::card::{Card, Package};
use crate::error::{Fault, LoadError};
use crate::gc::Doomed;
use crate::link::ImageSource;
use crate::load_check::Checked;
use crate::nvm::Nvm;
use crate::registry::{LC_INSTALLED, LC_SELECTABLE};

/// Not enough memory for the load file.
const SW_NO_SPACE: u16 = 0x6A84;
/// An NVM write failed.
const SW_MEMORY_FAILURE: u16 = 0x6581;

/// The most bytes of DAP blocks before the load file data block (a
/// DAP block for each of a few security domains).
const MAX_HEAD: usize = 1024;

/// A load in progress, from INSTALL [for load] to the last LOAD block.
/// The data block goes to NVM as it arrives, so RAM holds one block, not
/// the load file.
#[derive(Debug, Clone)]
pub struct Loading {
    aid: Vec<u8>,
    hash: Vec<u8>,
    next_block: u8,
    /// The load file's first bytes until the data block's length is known.
    head: Vec<u8>,
    /// The DAP blocks (security domain AID, signature).
    daps: Vec<(Vec<u8>, Vec<u8>)>,
    /// Where the data block is being written.
    block: Option<Streamed>,
}

/// The load file data block's NVM extent: reserved, not published (a
/// power cut leaves it free at the next boot).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Streamed {
    pub at: u32,
    pub len: u32,
    pub written: u32,
}

impl Loading {
    /// The NVM extent to give back when the load is dropped unfinished.
    pub(crate) fn extent(&self) -> Option<(u32, u32)> {
        self.block.map(|b| (b.at, b.len))
    }
}

/// The length-prefixed fields of INSTALL data, in order.
pub(super) fn fields<const N: usize>(data: &[u8]) -> Option<[&[u8]; N]> {
    let mut out = [&[][..]; N];
    let mut rest = data;
    for f in out.iter_mut() {
        let (&n, r) = rest.split_first()?;
        let n = usize::from(n);
        *f = r.get(..n)?;
        rest = &r[n..];
    }
    rest.is_empty().then_some(out)
}

fn done() -> Response {
    Response {
        data: alloc::vec![0x00],
        sw: SW_OK,
    }
}

/// The status word for a load or install the runtime refused.
fn sw_of(e: &LoadError) -> u16 {
    match e {
        LoadError::Fault(Fault::OutOfNvm { .. } | Fault::OutOfHandles) => SW_NO_SPACE,
        LoadError::DuplicatePackage { .. }
        | LoadError::DuplicateInstance { .. }
        | LoadError::NotVerifiable { .. } => SW_CONDITIONS,
        LoadError::NoSuchApplet { .. } => SW_NOT_FOUND,
        _ => SW_WRONG_DATA,
    }
}

impl<N: Nvm> Card<N> {
    fn content_allowed(&self) -> bool {
        matches!(
            self.cardmgr.life_cycle,
            super::CARD_OP_READY | super::CARD_INITIALIZED | super::CARD_SECURED
        )
    }

    /// INSTALL (`80 E6 P1 00`): [for load] (P1 02), [for install] (04),
    /// [for make selectable] (08), the two together (0C) and [for
    /// personalization] (20).
    pub(crate) fn install_cmd(&mut self, cmd: &Command) -> Response {
        if !self.content_allowed() {
            return Response::sw(SW_CONDITIONS);
        }
        self.cardmgr.personalizing = None;
        match cmd.p1() {
            0x20 => self.install_for_personalization(&cmd.data),
            0x02 => self.install_for_load(&cmd.data),
            0x04 | 0x0C => self.install_for_install(&cmd.data, cmd.p1() & 0x08 != 0),
            0x08 => self.make_selectable(&cmd.data),
            _ => Response::sw(SW_INCORRECT_P1P2),
        }
    }

    /// `Lf ELF-AID | Ls SD-AID | Lh hash | Lp load parameters | Lt token`.
    fn install_for_load(&mut self, data: &[u8]) -> Response {
        if let Some(l) = self.cardmgr.loading.take() {
            self.drop_load(&l);
        }
        let Some([aid, sd, hash, _params, token]) = fields::<5>(data) else {
            return Response::sw(SW_WRONG_DATA);
        };
        let sd_ok = sd.is_empty() || sd == self.cardmgr.isd_aid.as_slice();
        // Delegated management tokens are not supported.
        if !(5..=16).contains(&aid.len()) || !sd_ok || !token.is_empty() {
            return Response::sw(SW_WRONG_DATA);
        }
        if !matches!(hash.len(), 0 | 20 | 32) {
            return Response::sw(SW_WRONG_DATA);
        }
        if self.live_package(aid).is_some() {
            return Response::sw(SW_CONDITIONS);
        }
        self.cardmgr.loading = Some(Loading {
            aid: aid.to_vec(),
            hash: hash.to_vec(),
            next_block: 0,
            head: Vec::new(),
            daps: Vec::new(),
            block: None,
        });
        done()
    }

    /// LOAD (`80 E8 P1 block#`; P1 80 on the last block).
    pub(crate) fn load_cmd(&mut self, cmd: &Command) -> Response {
        let Some(mut l) = self.cardmgr.loading.take() else {
            return Response::sw(SW_CONDITIONS);
        };
        if cmd.p2() != l.next_block || cmd.p1() & 0x7F != 0 {
            self.drop_load(&l);
            return Response::sw(SW_INCORRECT_P1P2);
        }
        if let Err(sw) = self.take_block(&mut l, &cmd.data) {
            self.drop_load(&l);
            return Response::sw(sw);
        }
        l.next_block = l.next_block.wrapping_add(1);
        if cmd.p1() & 0x80 == 0 {
            self.cardmgr.loading = Some(l);
            return Response::sw(SW_OK);
        }
        match self.finish_load(&l) {
            Ok(kept) => {
                if !kept {
                    self.drop_load(&l);
                }
                done()
            }
            Err(sw) => {
                self.drop_load(&l);
                Response::sw(sw)
            }
        }
    }

    /// Gives back the NVM of a load the end of its session dropped.
    pub(crate) fn reclaim_dropped_load(&mut self) {
        if let Some((at, len)) = self.cardmgr.dropped_load.take() {
            self.store.free_extent(at, len);
        }
    }

    /// Gives back the NVM a load that will not finish reserved (nothing
    /// published names it).
    pub(crate) fn drop_load(&mut self, l: &Loading) {
        if let Some((at, len)) = l.extent() {
            self.store.free_extent(at, len);
        }
    }

    /// One LOAD block: the DAP blocks are kept in RAM; from the data
    /// block's tag and length on, its bytes go to its NVM extent.
    fn take_block(&mut self, l: &mut Loading, data: &[u8]) -> Result<(), u16> {
        if l.block.is_some() {
            return self.write_block(l, data);
        }
        l.head.extend_from_slice(data);
        let head = match hydra_package::loadfile::parse_head(&l.head) {
            Err(e) => return Err(self.refuse(SW_WRONG_DATA, e)),
            Ok(None) if l.head.len() > MAX_HEAD => {
                return Err(self.refuse(
                    SW_WRONG_DATA,
                    "more than 1 KB of DAP blocks before the load file data block",
                ))
            }
            Ok(None) => return Ok(()),
            Ok(Some(h)) => h,
        };
        l.daps = head
            .daps
            .iter()
            .map(|d| (d.sd_aid.to_vec(), d.signature.to_vec()))
            .collect();
        let (block_at, len) = (head.block_at, head.block_len);
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        let at = match self.store.nvm_alloc_raw(len) {
            Ok(at) => at,
            Err(_) => {
                return Err(self.refuse(
                    SW_NO_SPACE,
                    alloc::format!("no room in NVM for a load file data block of {len} bytes"),
                ))
            }
        };
        l.block = Some(Streamed {
            at,
            len,
            written: 0,
        });
        let rest = l.head.split_off(block_at);
        l.head = Vec::new();
        self.write_block(l, &rest)
    }

    fn write_block(&mut self, l: &mut Loading, data: &[u8]) -> Result<(), u16> {
        let Some(b) = l.block.as_mut() else {
            return Ok(());
        };
        let n = data.len() as u32;
        if n > b.len - b.written {
            return Err(self.refuse(SW_WRONG_DATA, "bytes after the load file data block"));
        }
        if self.store.nvm.write(b.at + b.written, data).is_err() {
            return Err(self.refuse(SW_MEMORY_FAILURE, "an NVM write of a LOAD block failed"));
        }
        b.written += n;
        Ok(())
    }

    /// The load file is `[E2 DAP blocks] C4 load-file-data-block`; the
    /// data block, now in NVM, is a bytecode load file or a native
    /// package. `Ok(true)`: its extent became the package's image.
    fn finish_load(&mut self, l: &Loading) -> Result<bool, u16> {
        let Some(b) = l.block else {
            return Err(self.refuse(SW_WRONG_DATA, "the load file ends before its data block"));
        };
        if b.written != b.len {
            return Err(self.refuse(
                SW_WRONG_DATA,
                alloc::format!(
                    "the load file ends inside its data block ({} of {} bytes)",
                    b.written,
                    b.len
                ),
            ));
        }
        let range = b.at as usize..(b.at + b.len) as usize;
        let Some(block) = self.store.nvm.bytes().get(range.clone()) else {
            return Err(self.refuse(SW_MEMORY_FAILURE, "the load file data block is outside NVM"));
        };
        let digest: Vec<u8> = match l.hash.len() {
            0 => Vec::new(),
            20 => sha1::Sha1::digest(block).to_vec(),
            _ => sha2::Sha256::digest(block).to_vec(),
        };
        let daps: Vec<_> = l
            .daps
            .iter()
            .map(|(sd_aid, signature)| hydra_package::loadfile::Dap { sd_aid, signature })
            .collect();
        let signed = self.cardmgr.check_daps(&daps, block);
        let native = hydra_package::is_package(block);
        if digest != l.hash {
            return Err(self.refuse(
                SW_WRONG_DATA,
                "the load file data block does not have the hash of INSTALL [for load]",
            ));
        }
        let signed = signed.map_err(|r| match r {
            DapRefusal::UnknownDomain => self.refuse(
                SW_NOT_FOUND,
                "a DAP block names a security domain not on the card",
            ),
            DapRefusal::BadSignature => {
                self.refuse(SW_SECURITY, "the ISD's DAP signature does not verify")
            }
            DapRefusal::Missing => self.refuse(
                SW_SECURITY,
                "the ISD has Mandated DAP and the load file has no DAP block for it",
            ),
        })?;
        if native {
            return self.finish_native_load(l, b, signed);
        }
        let block = &self.store.nvm.bytes()[range];
        let described = crate::load_check::has_descriptor(block);
        let cap = hydra_cap::CapFile::from_gp_load_file(block)
            .map_err(|e| self.refuse(SW_WRONG_DATA, e))?;
        if cap.header.package.aid.as_bytes() != l.aid.as_slice() {
            return Err(self.refuse(
                SW_WRONG_DATA,
                "the load file is of another package than INSTALL [for load] named",
            ));
        }
        // Without a Debug component the load file is what the card would
        // store (a boot parses images as LOAD does): its extent becomes
        // the image, with no second copy.
        let as_received = cap.debug.is_none();
        let image = as_received.then_some(ImageSource::Stored {
            at: b.at,
            len: b.len,
        });
        self.check_and_load(&cap, described, image)
            .map(|_| as_received)
    }

    /// A native package: its bytecode is loaded (and verified) like any
    /// load file; its code is kept to run when this card's engine runs
    /// its target and ABI and the ISD verified its DAP signature, since
    /// the card cannot check machine code as it checks bytecode.
    fn finish_native_load(&mut self, l: &Loading, b: Streamed, signed: bool) -> Result<bool, u16> {
        let block = &self.store.nvm.bytes()[b.at as usize..(b.at + b.len) as usize];
        let p = match hydra_package::Package::parse(block) {
            Ok(p) => p,
            Err(e) => return Err(self.refuse(SW_WRONG_DATA, e)),
        };
        let (aid_ok, target, abi) = (p.aid == l.aid.as_slice(), p.target, p.abi);
        let (version, described) = (p.version, crate::load_check::has_descriptor(p.load_file));
        let cap = hydra_cap::CapFile::from_gp_load_file(p.load_file);
        if !aid_ok {
            return Err(self.refuse(
                SW_WRONG_DATA,
                "the native package is of another package than INSTALL [for load] named",
            ));
        }
        let runs_code = match self.config.native_code {
            None => false,
            Some(nc) if nc.target != target || nc.abi != abi => {
                return Err(self.refuse(
                    SW_WRONG_DATA,
                    alloc::format!(
                        "native package for {} runtime ABI {}; this card runs {} ABI {}",
                        target.triple(),
                        abi,
                        nc.target.triple(),
                        nc.abi
                    ),
                ))
            }
            Some(_) if !signed => {
                return Err(self.refuse(
                    SW_SECURITY,
                    "native code needs a DAP signature that the ISD verified",
                ))
            }
            Some(_) => true,
        };
        let cap = cap.map_err(|e| self.refuse(SW_WRONG_DATA, e))?;
        let h = &cap.header.package;
        if h.aid.as_bytes() != l.aid.as_slice() || (h.major, h.minor) != version {
            return Err(self.refuse(
                SW_WRONG_DATA,
                "the native package's identity is not its load file's package",
            ));
        }
        let stored = ImageSource::Stored {
            at: b.at,
            len: b.len,
        };
        self.check_and_load(&cap, described, runs_code.then_some(stored))
            .map(|_| runs_code)
    }

    /// Verifies (per policy) and loads; `image`: what to keep as the
    /// stored image (the native package, or the load file as received)
    /// instead of the load file written again without Debug.
    fn check_and_load(
        &mut self,
        cap: &hydra_cap::CapFile,
        described: bool,
        image: Option<ImageSource<'_>>,
    ) -> Result<(), u16> {
        self.check_load(cap, described)
            .and_then(|c| self.load_package_from(cap, image, c == Checked::Verified))
            .map(|_| ())
            .map_err(|e| {
                self.last_uncaught = Some(alloc::format!("{e}"));
                sw_of(&e)
            })
    }

    /// Notes why a load file was refused (`hydra card --explain`) and
    /// gives its status word.
    fn refuse(&mut self, sw: u16, why: impl core::fmt::Display) -> u16 {
        self.last_uncaught = Some(alloc::format!("{why}"));
        sw
    }

    /// `Lf ELF-AID | Lm module AID | La instance AID | Lp privileges |
    /// Li install parameters (C9 ...) | Lt token`.
    fn install_for_install(&mut self, data: &[u8], selectable: bool) -> Response {
        let Some([elf, module, instance, privileges, params, token]) = fields::<6>(data) else {
            return Response::sw(SW_WRONG_DATA);
        };
        // Privileges of 1 or 3 bytes; the Security Domain privilege (an
        // application that is a security domain) is not supported.
        if !matches!(privileges.len(), 1 | 3) || privileges[0] & 0x80 != 0 || !token.is_empty() {
            return Response::sw(SW_WRONG_DATA);
        }
        let Some(c9) = app_parameters(params) else {
            return Response::sw(SW_WRONG_DATA);
        };
        let in_elf = self
            .live_package(elf)
            .is_some_and(|p| self.packages[p].applets.iter().any(|a| a.0 == module));
        if !in_elf {
            return Response::sw(SW_NOT_FOUND);
        }
        let instance = if instance.is_empty() {
            module
        } else {
            instance
        };
        if let Err(e) = self.install(module, Some(instance), privileges, c9) {
            return Response::sw(sw_of(&e));
        }
        if !selectable {
            if let Some(e) = self.registry.applets.last_mut() {
                e.life_cycle = LC_INSTALLED;
            }
            if self.save_meta().is_err() {
                return Response::sw(crate::jcre::SW_UNKNOWN);
            }
        }
        done()
    }

    /// [for make selectable]: `00 | 00 | La instance AID | Lp privileges |
    /// 00 | Lt token`.
    fn make_selectable(&mut self, data: &[u8]) -> Response {
        let Some([_, _, instance, _privileges, _, _token]) = fields::<6>(data) else {
            return Response::sw(SW_WRONG_DATA);
        };
        let Some(i) = self.registry.find_exact(instance) else {
            return Response::sw(SW_NOT_FOUND);
        };
        if self.registry.applets[i].life_cycle != LC_INSTALLED {
            return Response::sw(SW_CONDITIONS);
        }
        self.registry.applets[i].life_cycle = LC_SELECTABLE;
        if self.save_meta().is_err() {
            return Response::sw(crate::jcre::SW_UNKNOWN);
        }
        done()
    }

    /// DELETE (`80 E4 00 P2 4F len AID`): an application, or a package
    /// without applications and not imported by another; P2 80 deletes a
    /// package with its applications.
    pub(crate) fn delete_cmd(&mut self, cmd: &Command) -> Response {
        if !self.content_allowed() {
            return Response::sw(SW_CONDITIONS);
        }
        if cmd.p1() != 0 || cmd.p2() & 0x7F != 0 {
            return Response::sw(SW_INCORRECT_P1P2);
        }
        let related = cmd.p2() & 0x80 != 0;
        let aid = match tlv::next(&cmd.data) {
            Some((0x4F, aid, _)) if (5..=16).contains(&aid.len()) => aid.to_vec(),
            _ => return Response::sw(SW_WRONG_DATA),
        };
        if aid == self.cardmgr.isd_aid {
            return Response::sw(SW_CONDITIONS);
        }
        // What goes: an application, or a package (with its applications).
        let (package, doomed) = if let Some(i) = self.registry.find_exact(&aid) {
            (None, alloc::vec![i])
        } else if let Some(p) = self.live_package(&aid) {
            let builtin = p < usize::from(crate::api_tables::N_BUILTIN);
            let imported = self
                .packages
                .iter()
                .any(|q| !q.deleted && q.imports.contains(&(p as u16)));
            let apps: Vec<usize> = (0..self.registry.applets.len())
                .filter(|&i| usize::from(self.registry.applets[i].pkg) == p)
                .collect();
            if builtin || imported || (!apps.is_empty() && !related) {
                return Response::sw(SW_CONDITIONS);
            }
            (Some(p), apps)
        } else {
            return Response::sw(SW_NOT_FOUND);
        };
        // JCRE 3.0.5 §11.3.4: no applet of a context that loses an instance
        // (or its package) is active on any channel.
        let ctx_of = |i: usize| Package::context(self.registry.applets[i].pkg);
        let ctxs: Vec<u8> = doomed
            .iter()
            .map(|&i| ctx_of(i))
            .chain(package.map(|p| Package::context(p as u16)))
            .collect();
        if self
            .registry
            .selected
            .iter()
            .flatten()
            .any(|&j| ctxs.contains(&ctx_of(j)))
        {
            return Response::sw(SW_CONDITIONS);
        }
        for &i in &doomed {
            if self.call_uninstall(i).is_err() {
                return Response::sw(crate::jcre::SW_UNKNOWN);
            }
        }
        let plan = Doomed {
            applets: doomed.clone(),
            package: package.map(|p| p as u16),
        };
        if !self.may_delete(&plan) {
            return Response::sw(SW_CONDITIONS);
        }
        // Commit: the metadata without them, in one atomic publication.
        let (applets, selected) = (self.registry.applets.clone(), self.registry.selected);
        let order = self.load_order.clone();
        let old = package.map(|p| core::mem::replace(&mut self.packages[p], Package::vacant()));
        if let Some(p) = package {
            self.load_order.retain(|&q| usize::from(q) != p);
        }
        self.remove_applets(&doomed);
        if self.save_meta().is_err() {
            self.registry.applets = applets;
            self.registry.selected = selected;
            self.load_order = order;
            if let (Some(p), Some(old)) = (package, old) {
                self.packages[p] = old;
            }
            return Response::sw(crate::jcre::SW_UNKNOWN);
        }
        // Then free what nothing reaches any more. A cut from here on
        // leaves garbage that the next boot's collection frees.
        if self.reclaim(old.as_ref()).is_err() {
            return Response::sw(crate::jcre::SW_UNKNOWN);
        }
        done()
    }

    /// After a committed DELETE: frees the unreachable objects and the
    /// deleted package's image and static area, and relinks the packages
    /// that remain.
    fn reclaim(&mut self, package: Option<&Package>) -> Result<(), LoadError> {
        self.collect()?;
        if let Some(p) = package {
            self.store.free_extent(p.image.0, p.image.1);
            self.store.free_extent(p.static_base, p.static_len);
            self.relink()?;
        }
        Ok(())
    }

    /// Removes registry entries (indices ascending) and renumbers the
    /// selections.
    fn remove_applets(&mut self, doomed: &[usize]) {
        for &i in doomed.iter().rev() {
            self.registry.applets.remove(i);
            for s in self.registry.selected.iter_mut() {
                *s = match *s {
                    Some(j) if j == i => None,
                    Some(j) if j > i => Some(j - 1),
                    other => other,
                };
            }
        }
    }
}

/// The application-specific parameters (the value of C9) of an INSTALL
/// parameters field `C9 len data [EF ...] [...]`; an empty field is none.
fn app_parameters(params: &[u8]) -> Option<&[u8]> {
    let mut rest = params;
    let mut c9: &[u8] = &[];
    while !rest.is_empty() {
        let (tag, value, r) = tlv::next(rest)?;
        if tag == 0xC9 {
            c9 = value;
        }
        rest = r;
    }
    Some(c9)
}

#[cfg(test)]
mod tests {
    //! A power cut at every NVM write of LOAD, INSTALL and DELETE: after
    //! the reboot the card holds the package (or instance) completely or
    //! not at all, goes on working, and has exactly the free NVM of the
    //! state it holds. DELETE gives back every byte: 100 load, install,
    //! delete cycles end where they started.

    extern crate std;
    use super::*;
    use crate::card::Config;
    use crate::heap::extent;
    use crate::nvm::RamNvm;
    use alloc::vec;
    use std::println;

    const PIN_PACKAGE: &[u8] = &[0xF0, 0x48, 0x59, 0x44, 0x52, 0x41, 0x08];
    const PIN_APPLET: &[u8] = &[0xF0, 0x48, 0x59, 0x44, 0x52, 0x41, 0x08, 0x01];

    /// NVM one PIN instance holds, from the sizes (8-byte headers, 4-byte
    /// extents): the PinApplet (1 cell: 10 -> 12), its OwnerPIN (6 cells:
    /// 20), the PIN value byte[8] (16), the validated flags boolean[2]
    /// (transient: the header alone, 8), the instance's AID object (1 cell:
    /// 12) and its bytes byte[8] (16).
    const PIN_INSTANCE: u32 = 12 + 20 + 16 + 8 + 12 + 16;
    /// The constructor's `initial` byte[4] (12), unreachable once
    /// install() returns: freed by the next collection.
    const PIN_GARBAGE: u32 = 12;
    /// Metadata blobs: 2 + 23 per package + 2 + (10 + AID length) per
    /// applet + a 4-byte CRC, in 4-byte extents. An empty card has none.
    const META_PACKAGE: u32 = 32; // 31 bytes
    const META_PACKAGE_APPLET: u32 = 52; // 49 bytes
    /// The PIN package has no static fields: its static area is one extent.
    const PIN_STATICS: u32 = 4;

    fn cap(name: &str) -> hydra_cap::CapFile {
        let path = std::format!(
            "{}/../../conformance/applets/{name}/cap/{name}.cap",
            env!("CARGO_MANIFEST_DIR")
        );
        hydra_cap::container::read_path(std::path::Path::new(&path))
            .unwrap()
            .cap
    }

    /// A load file `C4 <components without Descriptor>`.
    fn load_file_of(cap: &hydra_cap::CapFile) -> Vec<u8> {
        let block = cap.to_gp_load_file().unwrap();
        let mut lf = vec![0xC4];
        tlv::put_len(&mut lf, block.len());
        lf.extend_from_slice(&block);
        lf
    }

    /// The load file of the PIN conformance package.
    fn load_file() -> Vec<u8> {
        load_file_of(&cap("pin"))
    }

    fn lv(out: &mut Vec<u8>, b: &[u8]) {
        out.push(b.len() as u8);
        out.extend_from_slice(b);
    }

    fn cmd(header: [u8; 4], data: Vec<u8>) -> Command {
        Command {
            header,
            data,
            le: Some(256),
            extended: false,
        }
    }

    /// NVM writes of the content commands and of the applet's own
    /// persistent updates (PIN package, fresh card; a reused card differs
    /// by the zero fills and handle addresses already in place). Pinned so
    /// that the image's integrity checks cost no write.
    #[test]
    fn nvm_writes_of_content_commands_and_field_updates() {
        let mut card = boot(RamNvm::new(256 * 1024));
        let mut w = card.store.nvm.writes;
        let mut delta = |card: &Card<RamNvm>| {
            let d = card.store.nvm.writes - w;
            w = card.store.nvm.writes;
            d
        };
        assert_eq!(load(&mut card), SW_OK);
        let load_writes = delta(&card);
        assert_eq!(install(&mut card), SW_OK);
        let install_writes = delta(&card);
        assert!(works(&mut card));
        delta(&card);
        // VERIFY with a wrong PIN: the OwnerPIN's try counter.
        let r = card.process(&[0x80, 0x80, 0x00, 0x00, 0x04, 0x31, 0x32, 0x33, 0x35]);
        assert_eq!(r.data, [0, 2, 0]);
        let verify_writes = delta(&card);
        // UPDATE: a new PIN value (OwnerPIN.update, an atomic array copy).
        let r = card.process(&[0x80, 0x84, 0x00, 0x00, 0x04, 0x35, 0x36, 0x37, 0x38]);
        assert_eq!(r.sw, SW_OK);
        let update_writes = delta(&card);
        select_isd(&mut card);
        delta(&card);
        assert_eq!(delete(&mut card), SW_OK);
        let delete_writes = delta(&card);
        let got = [
            load_writes,
            install_writes,
            verify_writes,
            update_writes,
            delete_writes,
        ];
        println!("NVM writes: LOAD, INSTALL, VERIFY (wrong), UPDATE, DELETE = {got:?}");
        // An update made atomic on its own is two writes (redo record,
        // data; was three with an undo record and a published epoch, and
        // [6, 66, 4, 10, 11] before self-validating log records). UPDATE
        // is an atomic group through the log: unchanged. LOAD writes each
        // block of the data block as it arrives (3 here) where it wrote
        // the whole image at the end. INSTALL was 50 before updates that
        // change one byte were written as that byte alone (six of its
        // multi-byte updates change one byte: one write each, not two).
        assert_eq!(got, [6, 44, 2, 8, 9]);
    }

    /// A command that only reads (the PIN's tries) writes nothing to NVM,
    /// and it finds the APDU buffer zeroed past its header whatever the
    /// previous command left there: the applet's answer is all that is in
    /// it afterwards.
    #[test]
    fn a_reading_command_writes_no_nvm_and_sees_a_zeroed_buffer() {
        let mut card = boot(RamNvm::new(256 * 1024));
        assert_eq!(load(&mut card), SW_OK);
        assert_eq!(install(&mut card), SW_OK);
        assert!(works(&mut card));
        let buf = *card.store.obj(card.jcre.buffer).expect("APDU buffer");
        let at = buf.data as usize;
        let n = usize::from(buf.len);
        card.store.ram[at..at + n].fill(0xA5);
        let w0 = card.store.nvm.writes;
        let r = card.process(&[0x80, 0x81, 0x00, 0x00, 0x00]);
        assert_eq!((r.data.as_slice(), r.sw), (&[0, 3, 0][..], SW_OK));
        assert_eq!(card.store.nvm.writes, w0, "NVM writes of a reading command");
        let after = &card.store.ram[at..at + n];
        assert_eq!(after[..3], [0, 3, 0], "the answer");
        assert!(after[5..].iter().all(|&b| b == 0), "{:02X?}", &after[3..16]);
    }

    /// INSTALL [for load] and the LOAD blocks of `lf`; `blocks` stops
    /// after that many (an abandoned load).
    fn load_some(card: &mut Card<RamNvm>, aid: &[u8], lf: &[u8], blocks: usize) -> u16 {
        let mut d = Vec::new();
        for f in [aid, &[], &[], &[], &[]] {
            lv(&mut d, f);
        }
        let r = card.install_cmd(&cmd([0x80, 0xE6, 0x02, 0x00], d));
        if r.sw != SW_OK {
            return r.sw;
        }
        let chunks: Vec<&[u8]> = lf.chunks(240).collect();
        let mut sw = SW_OK;
        for (i, b) in chunks.iter().enumerate().take(blocks) {
            let last = if i + 1 == chunks.len() { 0x80 } else { 0 };
            sw = card
                .load_cmd(&cmd([0x80, 0xE8, last, i as u8], b.to_vec()))
                .sw;
            if sw != SW_OK {
                break;
            }
        }
        sw
    }

    fn load(card: &mut Card<RamNvm>) -> u16 {
        load_some(card, PIN_PACKAGE, &load_file(), usize::MAX)
    }

    fn install_of(card: &mut Card<RamNvm>, package: &[u8], applet: &[u8]) -> u16 {
        let mut d = Vec::new();
        for f in [package, applet, applet, &[0u8][..], &[0xC9, 0x00], &[]] {
            lv(&mut d, f);
        }
        card.install_cmd(&cmd([0x80, 0xE6, 0x0C, 0x00], d)).sw
    }

    fn install(card: &mut Card<RamNvm>) -> u16 {
        install_of(card, PIN_PACKAGE, PIN_APPLET)
    }

    fn delete_aid(card: &mut Card<RamNvm>, aid: &[u8], p2: u8) -> u16 {
        let mut d = vec![0x4F];
        lv(&mut d, aid);
        card.delete_cmd(&cmd([0x80, 0xE4, 0x00, p2], d)).sw
    }

    /// DELETE of the PIN package with its applications (P2 80).
    fn delete(card: &mut Card<RamNvm>) -> u16 {
        delete_aid(card, PIN_PACKAGE, 0x80)
    }

    fn delete_applet(card: &mut Card<RamNvm>) -> u16 {
        delete_aid(card, PIN_APPLET, 0x00)
    }

    fn delete_package(card: &mut Card<RamNvm>) -> u16 {
        delete_aid(card, PIN_PACKAGE, 0x00)
    }

    fn has_package(card: &Card<RamNvm>) -> bool {
        card.live_package(PIN_PACKAGE).is_some()
    }

    fn has_applet(card: &Card<RamNvm>) -> bool {
        card.registry.find_exact(PIN_APPLET).is_some()
    }

    /// The PIN applet answers STATUS: 3 tries, not validated.
    fn works(card: &mut Card<RamNvm>) -> bool {
        let mut select = vec![0x00, 0xA4, 0x04, 0x00, 0x08];
        select.extend_from_slice(PIN_APPLET);
        card.process(&select).sw == SW_OK
            && card.process(&[0x80, 0x81, 0x00, 0x00, 0x00]).data == [0, 3, 0]
    }

    /// Back to the card manager on the basic channel (the PIN applet is
    /// deselected, so it may be deleted).
    fn select_isd(card: &mut Card<RamNvm>) {
        assert_eq!(card.process(&[0x00, 0xA4, 0x04, 0x00, 0x00]).sw, SW_OK);
    }

    fn boot(nvm: RamNvm) -> Card<RamNvm> {
        Card::boot(nvm, Config::default()).unwrap_or_else(|e| panic!("boot: {e}"))
    }

    /// The state `base` holds after a reboot, and its free NVM.
    fn rebooted(base: &RamNvm) -> (RamNvm, u32) {
        let card = boot(base.clone());
        let free = card.store.free_nvm();
        (card.power_down(), free)
    }

    /// The image extent of the PIN package as the card stores it (its
    /// length is the CAP writer's business; everything else is by hand).
    fn pin_image(card: &Card<RamNvm>) -> u32 {
        let p = card.live_package(PIN_PACKAGE).unwrap();
        extent(card.packages[p].image.1)
    }

    /// Runs `op` on a card booted from `base` with a cut at each of its
    /// writes; `check` sees the rebooted card. Returns the writes `op`
    /// makes uninterrupted.
    fn cut_everywhere(
        base: &RamNvm,
        op: fn(&mut Card<RamNvm>) -> u16,
        expect: u16,
        check: impl Fn(&mut Card<RamNvm>, usize),
    ) -> u64 {
        let mut card = boot(base.clone());
        let w0 = card.store.nvm.writes;
        assert_eq!(op(&mut card), expect);
        let n = card.store.nvm.writes - w0;
        for cut in 0..n {
            let mut card = boot(base.clone());
            card.store.nvm.fail_at = Some(card.store.nvm.writes + cut);
            let _ = op(&mut card);
            let mut nvm = card.power_down();
            nvm.fail_at = None;
            let mut card = boot(nvm);
            check(&mut card, cut as usize);
        }
        n
    }

    #[test]
    fn load_install_delete_survive_a_cut_at_every_write() {
        let (empty, free_empty) = rebooted(&boot(RamNvm::new(1 << 20)).power_down());
        let mut card = boot(empty.clone());
        assert_eq!(load(&mut card), SW_OK);
        let image = pin_image(&card);
        let (loaded, free_loaded) = rebooted(&card.power_down());
        assert_eq!(free_empty - free_loaded, image + PIN_STATICS + META_PACKAGE);
        let mut card = boot(loaded.clone());
        assert_eq!(install(&mut card), SW_OK);
        assert_eq!(
            free_loaded - card.store.free_nvm(),
            PIN_INSTANCE + PIN_GARBAGE + META_PACKAGE_APPLET - META_PACKAGE
        );
        // The reboot's collection frees the constructor's garbage.
        let (installed, free_installed) = rebooted(&card.power_down());
        assert_eq!(
            free_loaded - free_installed,
            PIN_INSTANCE + META_PACKAGE_APPLET - META_PACKAGE
        );

        let n = cut_everywhere(&empty, load, SW_OK, |card, cut| {
            if has_package(card) {
                assert_eq!(card.store.free_nvm(), free_loaded, "load cut {cut}");
                assert_eq!(install(card), SW_OK, "load cut {cut}");
                assert!(works(card), "load cut {cut}");
            } else {
                assert_eq!(card.store.free_nvm(), free_empty, "load cut {cut}");
                assert_eq!(load(card), SW_OK, "load cut {cut}: loads again");
            }
        });
        println!("LOAD: cut at each of {n} writes");

        let n = cut_everywhere(&loaded, install, SW_OK, |card, cut| {
            if has_applet(card) {
                assert_eq!(card.store.free_nvm(), free_installed, "install cut {cut}");
                assert!(works(card), "install cut {cut}");
            } else {
                assert_eq!(card.store.free_nvm(), free_loaded, "install cut {cut}");
                assert_eq!(install(card), SW_OK, "install cut {cut}: installs again");
            }
        });
        println!("INSTALL: cut at each of {n} writes");

        // DELETE of the package with its applet (P2 80): all or nothing.
        let n = cut_everywhere(&installed, delete, SW_OK, |card, cut| {
            assert_eq!(
                has_applet(card),
                has_package(card),
                "delete cut {cut}: half deleted"
            );
            if has_applet(card) {
                assert_eq!(card.store.free_nvm(), free_installed, "delete cut {cut}");
                assert!(works(card), "delete cut {cut}");
                select_isd(card);
                assert_eq!(delete(card), SW_OK, "delete cut {cut}: deletes again");
                assert_eq!(card.store.free_nvm(), free_empty, "delete cut {cut}");
            } else {
                assert_eq!(card.store.free_nvm(), free_empty, "delete cut {cut}");
                assert_eq!(load(card), SW_OK, "delete cut {cut}: loads again");
                assert_eq!(card.store.free_nvm(), free_loaded, "delete cut {cut}");
            }
        });
        println!("DELETE package and applet: cut at each of {n} writes");

        // DELETE of the applet alone.
        let n = cut_everywhere(&installed, delete_applet, SW_OK, |card, cut| {
            assert!(has_package(card), "delete applet cut {cut}");
            if has_applet(card) {
                assert_eq!(
                    card.store.free_nvm(),
                    free_installed,
                    "delete applet cut {cut}"
                );
                assert!(works(card), "delete applet cut {cut}");
            } else {
                assert_eq!(
                    card.store.free_nvm(),
                    free_loaded,
                    "delete applet cut {cut}"
                );
                assert_eq!(install(card), SW_OK, "delete applet cut {cut}");
                assert!(works(card), "delete applet cut {cut}");
            }
        });
        println!("DELETE applet: cut at each of {n} writes");

        // DELETE of the package alone (no applet left).
        let n = cut_everywhere(&loaded, delete_package, SW_OK, |card, cut| {
            if has_package(card) {
                assert_eq!(
                    card.store.free_nvm(),
                    free_loaded,
                    "delete package cut {cut}"
                );
                assert_eq!(install(card), SW_OK, "delete package cut {cut}");
                assert!(works(card), "delete package cut {cut}");
            } else {
                assert_eq!(
                    card.store.free_nvm(),
                    free_empty,
                    "delete package cut {cut}"
                );
                assert_eq!(load(card), SW_OK, "delete package cut {cut}");
            }
        });
        println!("DELETE package: cut at each of {n} writes");
    }

    /// GET DATA FF21 tells a client the installed applications and the
    /// free NVM and RAM, as ETSI TS 102 226 draws it.
    #[test]
    fn get_data_ff21_reports_free_memory() {
        let mut card = boot(RamNvm::new(1 << 20));
        let resources = |card: &mut Card<RamNvm>| {
            let r = card.process(&[0x80, 0xCA, 0xFF, 0x21, 0x00]);
            assert_eq!((r.sw, &r.data[..3]), (SW_OK, &[0xFF, 0x21, 16][..]));
            assert_eq!(
                (&r.data[3..5], &r.data[7..9], &r.data[13..15]),
                (&[0x81, 2][..], &[0x82, 4][..], &[0x83, 4][..])
            );
            let u32_at = |i: usize| u32::from_be_bytes(r.data[i..i + 4].try_into().unwrap());
            (
                u16::from_be_bytes([r.data[5], r.data[6]]),
                u32_at(9),
                u32_at(15),
            )
        };
        let (apps, nvm, ram) = resources(&mut card);
        assert_eq!((nvm, ram), (card.store.free_nvm(), card.store.free_ram()));
        assert_eq!(load(&mut card), SW_OK);
        assert_eq!(install(&mut card), SW_OK);
        let (apps_after, nvm_after, _) = resources(&mut card);
        assert_eq!(apps_after, apps + 1);
        assert!(nvm_after < nvm);
    }

    /// A LOAD abandoned after some blocks and a LOAD the linker refuses
    /// (after it created the static arrays) leave the card as it was, with
    /// every byte free again — also when the power goes at any write.
    #[test]
    fn abandoned_and_refused_loads_leave_no_bytes_behind() {
        let (empty, free_empty) = rebooted(&boot(RamNvm::new(1 << 20)).power_down());
        // Abandoned: the data block's first bytes are in an unpublished
        // extent, free at a reboot, given back when the session ends or a
        // new INSTALL [for load] replaces the load.
        let mut card = boot(empty.clone());
        let w0 = card.store.nvm.writes;
        assert_eq!(load_some(&mut card, PIN_PACKAGE, &load_file(), 1), SW_OK);
        assert_eq!(card.store.nvm.writes, w0 + 1);
        assert!(card.store.free_nvm() < free_empty);
        assert_eq!(rebooted(&card.store.nvm).1, free_empty);
        select_isd(&mut card);
        assert_eq!(card.store.free_nvm(), free_empty, "the session's end");
        assert_eq!(load_some(&mut card, PIN_PACKAGE, &load_file(), 2), SW_OK);
        assert_eq!(load(&mut card), SW_OK, "a new load replaces it");
        let mut fresh = boot(empty.clone());
        assert_eq!(load(&mut fresh), SW_OK);
        assert_eq!(card.store.free_nvm(), fresh.store.free_nvm());

        // Refused: the statics package calling a virtual method token the
        // API does not implement. Linking fails at the constant pool,
        // after the static image and its four arrays exist.
        let mut bad = cap("statics");
        let aid = bad.header.package.aid.as_bytes().to_vec();
        let call = bad.constant_pool.entries.iter_mut().find_map(|e| match e {
            hydra_cap::component::CpEntry::VirtualMethod {
                class: hydra_cap::ClassRef::External { .. },
                token,
            } => Some(token),
            _ => None,
        });
        *call.unwrap() = 0x7F;
        let lf = load_file_of(&bad);
        let refused = |card: &mut Card<RamNvm>| load_some(card, &aid, &lf, usize::MAX);
        let mut card = boot(empty.clone());
        let w0 = card.store.nvm.writes;
        assert_eq!(refused(&mut card), SW_WRONG_DATA);
        let n = card.store.nvm.writes - w0;
        // The image (one write per LOAD block), the four arrays (header
        // and elements, then the two writes publishing each handle), the
        // static image; then the four handles freed.
        let blocks = lf.len().div_ceil(240) as u64;
        assert_eq!(blocks, 4);
        assert_eq!(n, blocks + 4 * 4 + 1 + 4, "writes of the refused load");
        assert_eq!(card.store.free_nvm(), free_empty);
        assert!(card.store.objs.iter().all(|o| o.is_free()));
        assert_eq!(load(&mut card), SW_OK, "the card still loads");
        for cut in 0..n {
            let mut card = boot(empty.clone());
            card.store.nvm.fail_at = Some(card.store.nvm.writes + cut);
            let _ = refused(&mut card);
            let mut nvm = card.power_down();
            nvm.fail_at = None;
            let mut card = boot(nvm);
            assert_eq!(card.store.free_nvm(), free_empty, "refused load cut {cut}");
            assert!(card.live_package(&aid).is_none(), "refused load cut {cut}");
            assert_eq!(load(&mut card), SW_OK, "refused load cut {cut}");
        }
    }

    /// JCRE 3.0.5 §11.3.4.1: an applet whose object another context holds
    /// (in its package's static field, or in an object it owns) is not
    /// deleted: 6985, and not one NVM byte changes.
    #[test]
    fn delete_runs_uninstall_first_so_an_applet_can_take_back_what_it_shared() {
        // fwvictim's constructor leaves its objects in fwlib's statics;
        // its AppletEvent.uninstall() sets them to null again.
        let lib = cap("fwlib");
        let victim = cap("fwvictim");
        let victim_pkg = victim.header.package.aid.as_bytes().to_vec();
        let victim_applet = victim.applet.as_ref().unwrap().applets[0]
            .aid
            .as_bytes()
            .to_vec();
        let mut card = boot(RamNvm::new(1 << 20));
        let l = card.load_package(&lib).unwrap();
        card.load_package(&victim).unwrap();
        card.install(&victim_applet, None, &[0], &[]).unwrap();
        let (statics, n_refs) = {
            let p = &card.packages[usize::from(l)];
            (p.static_base, usize::from(p.static_refs))
        };
        assert_eq!(n_refs, 3, "Leak.array, scratch and target");
        let refs = |card: &Card<RamNvm>| {
            let at = statics as usize;
            card.store.nvm.data[at..at + 2 * n_refs].to_vec()
        };
        assert!(refs(&card).iter().any(|&b| b != 0), "the victim leaked");
        assert_eq!(delete_aid(&mut card, &victim_pkg, 0x80), SW_OK);
        assert_eq!(refs(&card), vec![0; 2 * n_refs]);
        assert!(card.registry.find_exact(&victim_applet).is_none());
        // Nothing imports the library any more.
        assert_eq!(
            delete_aid(&mut card, lib.header.package.aid.as_bytes(), 0),
            SW_OK
        );
    }

    #[test]
    fn delete_refused_while_another_context_holds_an_object() {
        let server = cap("shareserver");
        let client = cap("shareclient");
        let server_applet = server.applet.as_ref().unwrap().applets[0]
            .aid
            .as_bytes()
            .to_vec();
        let client_pkg = client.header.package.aid.as_bytes().to_vec();
        let client_applet = client.applet.as_ref().unwrap().applets[0]
            .aid
            .as_bytes()
            .to_vec();
        let mut card = boot(RamNvm::new(1 << 20));
        card.load_package(&server).unwrap();
        let c = card.load_package(&client).unwrap();
        card.install(&server_applet, None, &[0], &[]).unwrap();
        card.install(&client_applet, None, &[0], &[]).unwrap();
        let instance = card.registry.applets[0].instance;
        let (statics, n_refs) = {
            let p = &card.packages[usize::from(c)];
            (p.static_base, p.static_refs)
        };
        assert_eq!(n_refs, 2, "SERVER_AID and MISSING_AID");
        // The client's static SERVER_AID now holds the server applet.
        card.store
            .write_nvm(statics, &instance.to_be_bytes(), true)
            .unwrap();
        let before = card.store.nvm.data.clone();
        assert_eq!(delete_aid(&mut card, &server_applet, 0), SW_CONDITIONS);
        assert!(
            card.store.nvm.data == before,
            "a refused DELETE changes nothing"
        );
        // An Object[1] of the client's context holding the server applet
        // (a Shareable kept from an earlier call), in that static instead.
        let ctx = Package::context(c);
        let obj_class = card.api_class(crate::api_tables::LANG, 0);
        let arr = card
            .store
            .alloc(crate::heap::K_REF, 0, ctx, obj_class, 1)
            .unwrap();
        let o = *card.store.obj(arr).unwrap();
        card.store
            .write(&o, 0, &instance.to_be_bytes(), true)
            .unwrap();
        card.store
            .write_nvm(statics, &arr.to_be_bytes(), true)
            .unwrap();
        let before = card.store.nvm.data.clone();
        assert_eq!(delete_aid(&mut card, &server_applet, 0), SW_CONDITIONS);
        assert!(
            card.store.nvm.data == before,
            "a refused DELETE changes nothing"
        );
        // Deleting the client with its package frees the holder; then the
        // server goes.
        assert_eq!(delete_aid(&mut card, &client_pkg, 0x80), SW_OK);
        assert_eq!(delete_aid(&mut card, &server_applet, 0), SW_OK);
        assert!(card.store.obj(arr).is_none());
        assert!(card.store.obj(instance).is_none());
    }

    /// 100 times: load, install, use and delete the PIN package. Free NVM
    /// (and its very extents) and RAM end exactly where they started; the
    /// package takes the same slot, class ids and handles every time.
    #[test]
    fn a_hundred_load_delete_cycles_give_back_every_byte() {
        let mut card = boot(RamNvm::new(1 << 20));
        let (free0, extents0) = (card.store.free_nvm(), card.store.free_extents().to_vec());
        let ram0 = card.store.free_ram();
        let mut slot0 = None;
        let (mut first, mut writes) = ([0u64; 3], [0u64; 3]);
        for cycle in 0..100 {
            let w = card.store.nvm.writes;
            assert_eq!(load(&mut card), SW_OK, "cycle {cycle}");
            let w1 = card.store.nvm.writes;
            assert_eq!(install(&mut card), SW_OK, "cycle {cycle}");
            let w2 = card.store.nvm.writes;
            assert!(works(&mut card), "cycle {cycle}");
            select_isd(&mut card);
            let slot = card.live_package(PIN_PACKAGE).unwrap();
            assert_eq!(
                *slot0.get_or_insert(slot),
                slot,
                "cycle {cycle}: slot reused"
            );
            let ctx = Package::context(slot as u16);
            let w3 = card.store.nvm.writes;
            assert_eq!(delete(&mut card), SW_OK, "cycle {cycle}");
            let d = [w1 - w, w2 - w1, card.store.nvm.writes - w3];
            // Reused space differs from fresh space in what is already
            // in place (a handle entry's address, zeros): from the second
            // cycle on, every cycle writes the same.
            if cycle == 0 {
                first = d;
            } else if cycle == 1 {
                writes = d;
            }
            assert!(
                cycle == 0 || d == writes,
                "cycle {cycle}: {d:?}, not {writes:?}"
            );
            assert_eq!(card.store.free_nvm(), free0, "cycle {cycle}");
            assert_eq!(card.store.free_extents(), &extents0[..], "cycle {cycle}");
            assert_eq!(card.store.free_ram(), ram0, "cycle {cycle}");
            assert!(
                card.store
                    .objs
                    .iter()
                    .all(|o| o.is_free() || o.owner != ctx),
                "cycle {cycle}: nothing of the old context remains"
            );
        }
        // The PIN_INSTANCE and PIN_GARBAGE objects: 7 freed, one write
        // each; the emptied metadata: no blob, the atomic pointer (2).
        assert_eq!(writes[2], 7 + 2, "writes of DELETE");
        assert_eq!(first[2], writes[2], "writes of DELETE");
        println!(
            "100 cycles: free NVM {free0} bytes before, {} after; NVM writes per \
             LOAD {}, INSTALL {} (first cycle {}), DELETE {}; bytes moved 0",
            card.store.free_nvm(),
            writes[0],
            writes[1],
            first[1],
            writes[2]
        );
    }

    // Native packages and DAP.

    const ABI: u16 = 7;

    fn native_config() -> Config {
        Config {
            native_code: Some(crate::card::NativeCode {
                target: hydra_package::Target::Thumbv7m,
                abi: ABI,
            }),
            ..Config::default()
        }
    }

    /// The PIN package as a native package: its load file, and four bytes
    /// of code with one method entry (never run here: no engine).
    fn pin_native(target: hydra_package::Target, abi: u16) -> Vec<u8> {
        let cap = cap("pin");
        let load_file = cap.to_load_file(false).unwrap();
        hydra_package::Writer {
            target,
            abi,
            aid: PIN_PACKAGE,
            version: (cap.header.package.major, cap.header.package.minor),
            load_file: &load_file,
            code: &[0x70, 0x47, 0x00, 0xBF],
            entries: vec![hydra_package::MethodEntry {
                method: 1,
                kind: hydra_package::EntryKind::ThumbFunction,
                ret_words: 0,
                code_offset: 0,
            }],
            manifest: &[0xA0],
        }
        .to_bytes()
    }

    fn signing_key(b: u8) -> p256::ecdsa::SigningKey {
        p256::ecdsa::SigningKey::from_slice(&[b; 32]).unwrap()
    }

    /// The load file of `package`, with a DAP block for the ISD signed by
    /// `key` when there is one.
    fn signed(package: &[u8], key: Option<u8>) -> Vec<u8> {
        let hash = hydra_package::dap::load_file_hash(package);
        match key {
            Some(k) => {
                let sig = hydra_package::dap::sign(&signing_key(k), &hash);
                hydra_package::loadfile::build(&[(&crate::cardmgr::DEFAULT_ISD_AID, &sig)], package)
            }
            None => hydra_package::loadfile::build(&[], package),
        }
    }

    fn load_lf(card: &mut Card<RamNvm>, lf: &[u8]) -> u16 {
        load_some(card, PIN_PACKAGE, lf, usize::MAX)
    }

    fn with_dap_key(config: Config, mandated: bool) -> RamNvm {
        let mut card = Card::boot(RamNvm::new(1 << 20), config).unwrap();
        let public = hydra_package::dap::public_key_of(&signing_key(7));
        card.personalize_dap(&public, mandated).unwrap();
        card.power_down()
    }

    #[test]
    fn a_card_without_an_engine_runs_a_native_package_as_its_bytecode() {
        let mut card = boot(RamNvm::new(1 << 20));
        let pkg = pin_native(hydra_package::Target::Thumbv8mMain, 99);
        assert_eq!(load_lf(&mut card, &signed(&pkg, None)), SW_OK);
        assert_eq!(install(&mut card), SW_OK);
        assert!(works(&mut card));
        // It keeps the bytecode only: no code in NVM it cannot run.
        let p = card.live_package(PIN_PACKAGE).unwrap();
        assert!(card.native_package(p as u16).is_none());
        assert!(card.packages[p].image.1 < pkg.len() as u32);
    }

    #[test]
    fn an_engine_keeps_signed_code_of_its_target_and_abi_only() {
        let nvm = with_dap_key(native_config(), false);
        let base_free = Card::boot(nvm.clone(), native_config())
            .unwrap()
            .store
            .free_nvm();
        let pkg = pin_native(hydra_package::Target::Thumbv7m, ABI);
        let refusals: [(Vec<u8>, u16); 6] = [
            (signed(&pkg, None), SW_SECURITY),
            (signed(&pkg, Some(8)), SW_SECURITY),
            (
                signed(&pin_native(hydra_package::Target::Thumbv7em, ABI), Some(7)),
                SW_WRONG_DATA,
            ),
            (
                signed(
                    &pin_native(hydra_package::Target::Thumbv7m, ABI + 1),
                    Some(7),
                ),
                SW_WRONG_DATA,
            ),
            (signed(&pkg[..pkg.len() - 1], Some(7)), SW_WRONG_DATA),
            (
                {
                    let mut t = pkg.clone();
                    t[pkg.len() / 2] ^= 1;
                    signed(&t, Some(7))
                },
                SW_WRONG_DATA,
            ),
        ];
        for (i, (lf, sw)) in refusals.iter().enumerate() {
            let mut card = Card::boot(nvm.clone(), native_config()).unwrap();
            assert_eq!(load_lf(&mut card, lf), *sw, "case {i}");
            assert!(!has_package(&card), "case {i}");
            assert_eq!(card.store.free_nvm(), base_free, "case {i}: NVM kept");
            assert!(card.last_uncaught.is_some(), "case {i}: the reason");
        }
        let mut card = Card::boot(nvm, native_config()).unwrap();
        assert_eq!(load_lf(&mut card, &signed(&pkg, Some(7))), SW_OK);
        let p = card.live_package(PIN_PACKAGE).unwrap() as u16;
        let native = card.native_package(p).unwrap();
        assert_eq!(native.code, &[0x70, 0x47, 0x00, 0xBF]);
        assert_eq!(native.entry(1).unwrap().code_offset, 0);
        // Kept across a reboot, the code at a 4-byte aligned NVM offset.
        let mut card = Card::boot(card.power_down(), native_config()).unwrap();
        let native = card.native_package(p).unwrap();
        let nvm_at = native.code.as_ptr() as usize - card.store.nvm.bytes().as_ptr() as usize;
        assert_eq!(nvm_at % 4, 0);
        assert_eq!(install(&mut card), SW_OK);
        assert!(works(&mut card));
    }

    #[test]
    fn mandated_dap_refuses_unsigned_load_files_of_any_kind() {
        let nvm = with_dap_key(Config::default(), true);
        let mut card = boot(nvm.clone());
        assert_eq!(load(&mut card), SW_SECURITY);
        let block = cap("pin").to_gp_load_file().unwrap();
        assert_eq!(load_lf(&mut card, &signed(&block, Some(8))), SW_SECURITY);
        // A bytecode load file signed by the key goes in.
        assert_eq!(load_lf(&mut card, &signed(&block, Some(7))), SW_OK);
        // A DAP block naming another security domain: 6A88.
        let mut card = boot(nvm);
        let sig =
            hydra_package::dap::sign(&signing_key(7), &hydra_package::dap::load_file_hash(&block));
        let lf = hydra_package::loadfile::build(&[(&[0xA0, 0, 0, 0, 0x99], &sig)], &block);
        assert_eq!(load_lf(&mut card, &lf), SW_NOT_FOUND);
        // The ISD's privileges say Mandated DAP (C1 with SD): 9E | 41.
        assert_eq!(card.cardmgr.dap_privileges(), 0x41);
    }

    #[test]
    fn native_load_and_install_survive_a_cut_at_every_write() {
        let nvm = with_dap_key(native_config(), true);
        let boot_native = |n: RamNvm| Card::boot(n, native_config()).unwrap();
        let free_empty = boot_native(nvm.clone()).store.free_nvm();
        fn op(card: &mut Card<RamNvm>) -> u16 {
            let pkg = pin_native(hydra_package::Target::Thumbv7m, ABI);
            let sw = load_lf(card, &signed(&pkg, Some(7)));
            if sw != SW_OK {
                return sw;
            }
            install(card)
        }
        let mut card = boot_native(nvm.clone());
        let w0 = card.store.nvm.writes;
        assert_eq!(op(&mut card), SW_OK);
        let n = card.store.nvm.writes - w0;
        for cut in 0..n {
            let mut card = boot_native(nvm.clone());
            card.store.nvm.fail_at = Some(card.store.nvm.writes + cut);
            let _ = op(&mut card);
            let mut after = card.power_down();
            after.fail_at = None;
            let mut card = boot_native(after);
            if has_package(&card) {
                let p = card.live_package(PIN_PACKAGE).unwrap() as u16;
                assert!(card.native_package(p).is_some(), "cut {cut}: code whole");
                if !has_applet(&card) {
                    assert_eq!(install(&mut card), SW_OK, "cut {cut}");
                }
                assert!(works(&mut card), "cut {cut}");
            } else {
                assert_eq!(card.store.free_nvm(), free_empty, "cut {cut}: nothing left");
                assert_eq!(op(&mut card), SW_OK, "cut {cut}: loads again");
            }
        }
        println!("native LOAD + INSTALL: cut at each of {n} writes");
    }

    #[test]
    fn the_dap_key_is_put_over_the_channel_and_survives_a_cut() {
        let mut card = boot(RamNvm::new(1 << 20));
        let public = hydra_package::dap::public_key_of(&signing_key(7));
        let mut data = vec![0x73, 0xB0, 0x41];
        data.extend_from_slice(&public);
        data.extend_from_slice(&[0x00, 0xF0, 0x01, 0x00, 0x00]);
        let put = |p1: u8, d: Vec<u8>| cmd([0x80, 0xD8, p1, 0x01], d);
        let r = card.put_dap_key(&put(0x00, data.clone()));
        assert_eq!((r.data.as_slice(), r.sw), (&[0x73][..], SW_OK));
        assert_eq!(card.put_dap_key(&put(0x00, data.clone())).sw, SW_CONDITIONS);
        let mut bad = data.clone();
        bad[10] ^= 1; // not on the curve any more
        assert_eq!(card.put_dap_key(&put(0x73, bad)).sw, SW_WRONG_DATA);
        assert_eq!(
            card.put_dap_key(&put(0x73, data[..60].to_vec())).sw,
            SW_WRONG_DATA
        );
        let mut card = boot(card.power_down());
        assert_eq!(card.cardmgr.dap.as_ref().unwrap().public_key, public);
        assert_eq!(card.cardmgr.dap_privileges(), 0x40);
        // Not mandated: unsigned load files still load; signed ones verify.
        assert_eq!(load(&mut card), SW_OK);

        // Replacing it: a cut leaves the old key or the new one.
        let other = hydra_package::dap::public_key_of(&signing_key(9));
        let mut data2 = data.clone();
        data2[3..3 + 65].copy_from_slice(&other);
        let base = boot(RamNvm::new(1 << 20));
        let mut base = base;
        assert_eq!(base.put_dap_key(&put(0x00, data)).sw, SW_OK);
        let base = base.power_down();
        let mut c = boot(base.clone());
        let w0 = c.store.nvm.writes;
        assert_eq!(c.put_dap_key(&put(0x73, data2.clone())).sw, SW_OK);
        let n = c.store.nvm.writes - w0;
        for cut in 0..n {
            let mut c = boot(base.clone());
            c.store.nvm.fail_at = Some(c.store.nvm.writes + cut);
            let _ = c.put_dap_key(&put(0x73, data2.clone()));
            let mut nvm = c.power_down();
            nvm.fail_at = None;
            let c = boot(nvm);
            let k = c.cardmgr.dap.as_ref().unwrap().public_key;
            assert!(k == public || k == other, "cut {cut}");
        }
        println!("PUT KEY (DAP): {n} writes");
    }
}
