//! Loading and linking: built-in API classes, CAP packages (with token
//! resolution across packages), the pre-resolved constant pool and the
//! quickened code, boot-time relinking from NVM.

use crate::sorted::SortedMap;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use hydra_cap::bytecode::{decode, Opcode, Operands};
use hydra_cap::component::{ClassEntry, CpEntry};
use hydra_cap::{CapFile, ClassRef, ComponentTag, StaticRef};

use crate::api::Native;
use crate::api_tables::{self, CLASSES, FW, LANG};
use crate::card::{Card, Config, Frame, JcreObjects, Package};
use crate::class::*;
use crate::error::{ApiMember, Fault, LoadError};
use crate::field_access::{FieldAccess, FieldSite, StaticArea};
use crate::heap::{self, Store, F_ENTRY_POINT, F_GLOBAL, F_RAM, F_TEMPORARY, K_BYTE, K_INSTANCE};
use crate::nvm::Nvm;
use crate::registry::{self, PackageRecord, Registry};

/// What a package's stored image is made from.
#[derive(Debug, Clone, Copy)]
pub enum ImageSource<'a> {
    /// Bytes to write to a new NVM extent.
    Bytes(&'a [u8]),
    /// An NVM extent the caller reserved (`Store::nvm_alloc_raw`) and
    /// filled; unpublished until the package's record names it.
    Stored { at: u32, len: u32 },
}

/// Quick opcodes written over the original ones at link time.
pub mod quick {
    /// getfield_{a,b,s,i} with an absolute cell index.
    pub const GETFIELD: u8 = 0xC0;
    pub const PUTFIELD: u8 = 0xC4;
    pub const GETFIELD_THIS: u8 = 0xC8;
    pub const PUTFIELD_THIS: u8 = 0xCC;
    /// invokestatic / invokespecial with a u2 method id.
    pub const INVOKE_STATIC: u8 = 0xD0;
    pub const INVOKE_SPECIAL: u8 = 0xD1;
}

pub const APDU_BUFFER_SIZE: u16 = 261;

fn hex(b: &[u8]) -> String {
    let mut s = String::new();
    for x in b {
        s.push_str(&format!("{x:02X}"));
    }
    s
}

impl<N: Nvm> Card<N> {
    /// Boots the card from its NVM: formats a blank one, otherwise recovers
    /// any interrupted transaction and relinks the packages on it.
    pub fn boot(nvm: N, config: Config) -> Result<Card<N>, LoadError> {
        let mut store = Store::open(nvm, false, config.ram_bytes)?;
        let cardmgr = crate::cardmgr::CardManager::open(&mut store)?;
        let mut card = Card {
            store,
            config,
            packages: Vec::new(),
            load_order: Vec::new(),
            api_methods: 0,
            classes: Vec::new(),
            methods: Vec::new(),
            registry: Registry::default(),
            cardmgr,
            jcre: JcreObjects::default(),
            apdu: Default::default(),
            // Built on the heap: an 8 KB array on the way there would not
            // fit the meter's main stack.
            stack: alloc::vec![0; crate::card::STACK_WORDS]
                .into_boxed_slice()
                .try_into()
                .unwrap_or_else(|_| unreachable!("a vector of STACK_WORDS words")),
            frames: Vec::with_capacity(config.max_frames),
            ctx: 0,
            prev_ctx: 0,
            active_applet: None,
            selecting: false,
            reselecting: false,
            channel: 0,
            last_uncaught: None,
            installing: None,
            stats: None,
            executed: 0,
            sp_top: 0,
            budget_end: u64::MAX,
            engine: None,
            engines: Default::default(),
            gp: Default::default(),
            call_ctx: None,
        };
        card.link_api();
        card.api_methods = card.methods.len();
        let (pkgs, applets) = registry::load(&card.store)?;
        card.link_stored(&pkgs)?;
        card.registry.applets = applets;
        card.make_jcre_objects()?;
        // Whatever a cut left unreachable (the objects of a DELETE that had
        // committed but not yet freed them, of an INSTALL that failed, of
        // an aborted transaction) is freed before any applet runs.
        card.collect()?;
        Ok(card)
    }

    /// Links the stored packages in load order (the metadata's order).
    fn link_stored(&mut self, pkgs: &[PackageRecord]) -> Result<(), LoadError> {
        for &p in pkgs {
            let image = self
                .store
                .nvm
                .bytes()
                .get(p.image as usize..(p.image as usize).saturating_add(p.image_len as usize))
                .ok_or(Fault::Corrupt("package image"))?
                .to_vec();
            if heap::crc32(&[&image]) != p.image_crc {
                // Named by the AID in its Header component (tag 1, the
                // package AID's length at byte 12) while that still reads.
                let aid = match (image.first(), image.get(12)) {
                    (Some(1), Some(&n)) if (5..=16).contains(&n) => image
                        .get(13..13 + usize::from(n))
                        .map(hex)
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                let aid = if aid.is_empty() {
                    "with an unreadable header".into()
                } else {
                    aid
                };
                return Err(Fault::PackageChecksum { slot: p.slot, aid }.into());
            }
            let cap = if hydra_package::is_package(&image) {
                // Checked whole when it was loaded; the CRC above since.
                let native = hydra_package::Package::parse_unhashed(&image)
                    .map_err(|e| LoadError::Cap(e.to_string()))?;
                CapFile::from_gp_load_file(native.load_file)
            } else {
                // As LOAD parsed it: an image may be the load file as
                // received, without a Descriptor component.
                CapFile::from_gp_load_file(&image)
            }
            .map_err(|e| LoadError::Cap(e.to_string()))?;
            self.link(&cap, p, true)?;
        }
        Ok(())
    }

    /// Relinks every loaded package from NVM, as a boot does, after a
    /// package was deleted: its classes become vacant ids and the method
    /// ids close up (method ids are in no persistent structure; class ids,
    /// which object headers hold, stay as the metadata records them).
    pub fn relink(&mut self) -> Result<(), LoadError> {
        let pkgs = self.package_records();
        self.packages.truncate(usize::from(api_tables::N_BUILTIN));
        self.classes.truncate(CLASSES.len());
        self.methods.truncate(self.api_methods);
        self.load_order.clear();
        let r = self.link_stored(&pkgs);
        // Compiled code is bound by method id: the engine binds again.
        if let Some(e) = &self.engine {
            e.relinked();
        }
        r
    }

    fn make_jcre_objects(&mut self) -> Result<(), Fault> {
        let apdu_class = self.api_class(FW, api_tables::tok::APDU);
        let s = &mut self.store;
        self.jcre.apdu = s.alloc(
            K_INSTANCE,
            F_RAM | F_ENTRY_POINT | F_TEMPORARY,
            0,
            apdu_class,
            0,
        )?;
        self.jcre.buffer = s.alloc(
            K_BYTE,
            F_RAM | F_GLOBAL | F_TEMPORARY,
            0,
            NO_CLASS,
            APDU_BUFFER_SIZE,
        )?;
        self.jcre.exceptions.clear();
        for (id, c) in self.classes.iter().enumerate().take(CLASSES.len()) {
            if self.is_subclass_of(
                id as ClassId,
                self.api_class(LANG, api_tables::tok::THROWABLE),
            ) {
                let r = self.store.alloc(
                    K_INSTANCE,
                    F_RAM | F_ENTRY_POINT | F_TEMPORARY,
                    0,
                    id as ClassId,
                    c.cells,
                )?;
                self.jcre.exceptions.push((id as ClassId, r));
            }
        }
        self.make_gp_objects()
    }

    /// Class id of an API class.
    pub fn api_class(&self, pkg: u16, token: u8) -> ClassId {
        self.packages[usize::from(pkg)]
            .export_classes
            .get(usize::from(token))
            .copied()
            .unwrap_or(NO_CLASS)
    }

    fn link_api(&mut self) {
        for &(aid, ver, name) in api_tables::PACKAGES {
            self.packages.push(Package {
                aid: aid.to_vec(),
                major: ver.0,
                minor: ver.1,
                name: name.to_string(),
                deleted: false,
                ..Package::vacant()
            });
        }
        for ac in CLASSES {
            let id = self.classes.len() as ClassId;
            let super_class = ac
                .super_class
                .map_or(NO_CLASS, |(p, t)| self.api_class(p, t));
            let mut class = Class {
                pkg: ac.pkg,
                name: ac.name.to_string(),
                token: ac.token,
                flags: if ac.interface { C_INTERFACE } else { 0 },
                super_class,
                depth: 0,
                base: 0,
                cells: ac.cells,
                vtable: Vec::new(),
                pvtable: Vec::new(),
                itable: Vec::new(),
                superinterfaces: Vec::new(),
                // The API objects' own references: an AID's bytes; an
                // OwnerPIN's value (byte[]) and validated flag (boolean[]).
                refs: match (ac.pkg, ac.token) {
                    (FW, api_tables::tok::AID) => (0, 1),
                    (FW, api_tables::tok::OWNER_PIN) => (crate::api::PIN_VALUE as u16, 2),
                    // A KeyPair's two keys.
                    (api_tables::SEC, crate::security::tok::KEY_PAIR) => {
                        (crate::security::ecapi::CELL_PUBLIC as u16, 2)
                    }
                    // A key's material array.
                    (api_tables::SEC, t)
                        if crate::security::key::KINDS
                            .iter()
                            .any(|k| k.class_token == t) =>
                    {
                        (crate::security::key::CELL_DATA as u16, 1)
                    }
                    _ => (0, 0),
                },
            };
            if ac.interface {
                for &(p, t) in ac.interfaces {
                    class.superinterfaces.push(self.api_class(p, t));
                }
                if ac.token == api_tables::tok::SHAREABLE && ac.pkg == FW {
                    class.flags |= C_SHAREABLE;
                }
            }
            if let Some(sup) = self.classes.get(usize::from(super_class)) {
                class.depth = sup.depth.saturating_add(1);
                class.base = sup.cells;
                class.cells += sup.cells;
                class.vtable = sup.vtable.clone();
                class.itable = sup.itable.clone();
            }
            for &(tok, n) in ac.virtuals {
                let m = self.native_method(n);
                set_slot(&mut class.vtable, tok, m);
            }
            if ac.pkg == FW && ac.token == api_tables::tok::APPLET {
                // process(APDU) is abstract.
                let m = self.methods.len() as MethodId;
                self.methods.push(abstract_method(FW, 2));
                set_slot(&mut class.vtable, 7, m);
            }
            for &((p, t), map) in ac.imaps {
                class.itable.push((self.api_class(p, t), map.to_vec()));
            }
            let pkg = &mut self.packages[usize::from(ac.pkg)];
            // Internal classes (tokens 0xF0..) are linked by token here too
            // and withdrawn from the export table after linking the API.
            set_class_slot(&mut pkg.export_classes, ac.token, id);
            let mut statics = Vec::new();
            for &(tok, n) in ac.statics {
                let m = self.native_method(n);
                set_slot(&mut statics, tok, m);
            }
            let pkg = &mut self.packages[usize::from(ac.pkg)];
            while pkg.export_methods.len() <= usize::from(ac.token) {
                pkg.export_methods.push(Vec::new());
            }
            pkg.export_methods[usize::from(ac.token)] = statics;
            self.classes.push(class);
        }
        // Internal classes' statics are called by the natives, never by
        // token: their slots go too, and the capacity the internal tokens
        // grew the tables to (0xF0 entries a package: 9.6 KB of RAM).
        for p in &mut self.packages {
            p.export_classes.truncate(0xF0);
            p.export_methods.truncate(0xF0);
            p.export_classes.shrink_to_fit();
            p.export_methods.shrink_to_fit();
        }
        // Interfaces of API classes may be declared after the classes
        // implementing them; resolve the interface maps' shareable flags now.
        for id in 0..self.classes.len() {
            if self.classes[id].is_interface() {
                let sh = self.classes[id].superinterfaces.iter().any(|&s| {
                    self.classes
                        .get(usize::from(s))
                        .is_some_and(|c| c.flags & C_SHAREABLE != 0)
                });
                if sh {
                    self.classes[id].flags |= C_SHAREABLE;
                }
            }
        }
    }

    fn native_method(&mut self, n: Native) -> MethodId {
        let id = self.methods.len() as MethodId;
        self.methods.push(Method {
            kind: MethodKind::Native(n),
            pkg: FW,
            code: 0,
            code_end: 0,
            nargs: n.nargs(),
            max_locals: 0,
            max_stack: 0,
            handlers: (0, 0),
        });
        id
    }

    /// Loads a package: stores its load file and static image in NVM,
    /// links it, and records it in the card metadata.
    pub fn load_package(&mut self, cap: &CapFile) -> Result<u16, LoadError> {
        self.load_package_image(cap, None)
    }

    /// [`Card::load_package`], keeping `native` (a native package whose
    /// bundled load file is `cap`) as the stored image, so that the board's
    /// engine finds the code in NVM ([`Card::native_package`]).
    pub fn load_package_image(
        &mut self,
        cap: &CapFile,
        native: Option<&[u8]>,
    ) -> Result<u16, LoadError> {
        self.load_package_from(cap, native.map(ImageSource::Bytes), false)
    }

    /// [`Card::load_package_image`] with the image given: a native package
    /// or a load file without Debug, as bytes or already in NVM
    /// (`ImageSource::Stored`, written there block by block by LOAD: that
    /// extent becomes the image; on an error the caller still owns it).
    /// `None`: `cap` written again without its Debug component.
    /// `verified`: the card's verifier type-checked `cap` (see
    /// `load_check`), which the package record keeps.
    pub(crate) fn load_package_from(
        &mut self,
        cap: &CapFile,
        image: Option<ImageSource<'_>>,
        verified: bool,
    ) -> Result<u16, LoadError> {
        let aid = cap.header.package.aid.as_bytes().to_vec();
        if self.live_package(&aid).is_some() {
            return Err(LoadError::DuplicatePackage { aid: hex(&aid) });
        }
        let slot = self.free_slot().ok_or_else(|| LoadError::Invalid {
            package: hex(&aid),
            what: "too many packages on the card".into(),
        })?;
        let class_base = self.free_class_range(cap.class.entries.len());
        let rewritten;
        let image = match image {
            Some(src) => src,
            None => {
                // The load file written again without its Debug component
                // (and its size in the Directory, so the image parses again
                // at boot).
                let mut stripped = cap.clone();
                stripped.debug = None;
                if let Some(d) = stripped.directory.component_sizes.get_mut(11) {
                    *d = 0;
                }
                rewritten = stripped
                    .to_load_file(false)
                    .map_err(|e| LoadError::Cap(e.to_string()))?;
                ImageSource::Bytes(&rewritten)
            }
        };
        self.load_with_image(cap, image, slot, class_base, verified)
    }

    fn load_with_image(
        &mut self,
        cap: &CapFile,
        image: ImageSource<'_>,
        slot: u16,
        class_base: u16,
        verified: bool,
    ) -> Result<u16, LoadError> {
        // Everything allocated from here on is given back if the load is
        // refused; a cut leaves it unpublished (free at the next boot) or,
        // for the static arrays, unreachable (freed by the boot's collection).
        let (n_classes, n_methods) = (self.classes.len(), self.methods.len());
        self.store.track();
        let r = self.store_and_link(cap, image, slot, class_base, verified);
        let kept = r.is_ok();
        if !kept {
            if usize::from(slot) < self.packages.len() {
                self.packages[usize::from(slot)] = Package::vacant();
            }
            self.load_order.retain(|&p| p != slot);
            let n = cap.class.entries.len();
            for c in self
                .classes
                .iter_mut()
                .skip(usize::from(class_base))
                .take(n)
            {
                *c = Class::vacant();
            }
            self.classes.truncate(n_classes);
            self.methods.truncate(n_methods);
        }
        self.store.untrack(kept)?;
        if let Some(e) = &self.engine {
            e.relinked();
        }
        r
    }

    fn store_and_link(
        &mut self,
        cap: &CapFile,
        image: ImageSource<'_>,
        slot: u16,
        class_base: u16,
        verified: bool,
    ) -> Result<u16, LoadError> {
        let (at, len) = match image {
            ImageSource::Bytes(b) => {
                let at = self.store.nvm_alloc_raw(b.len() as u32)?;
                self.store.nvm.write(at, b)?;
                (at, b.len() as u32)
            }
            ImageSource::Stored { at, len } => (at, len),
        };
        let stored = self
            .store
            .nvm
            .bytes()
            .get(at as usize..(at + len) as usize)
            .ok_or(Fault::NvmRange { at, len })?;
        let rec = PackageRecord {
            slot: slot as u8,
            class_base,
            image: at,
            image_len: len,
            static_base: 0,
            static_len: 0,
            image_crc: heap::crc32(&[stored]),
            verified,
        };
        let idx = self.link(cap, rec, false)?;
        self.save_meta()?;
        Ok(idx)
    }

    /// The native package stored for package `pkg`, when the card keeps
    /// its code (a native engine of its target and ABI loaded it): parsed
    /// in place in NVM, so `code` is where the code lies.
    pub fn native_package(&self, pkg: u16) -> Option<hydra_package::Package<'_>> {
        let nc = self.config.native_code?;
        let p = self.packages.get(usize::from(pkg))?;
        if p.deleted {
            return None;
        }
        let (at, len, _) = p.image;
        let image = self
            .store
            .nvm
            .bytes()
            .get(at as usize..(at as usize).checked_add(len as usize)?)?;
        if !hydra_package::is_package(image) {
            return None;
        }
        hydra_package::Package::parse_unhashed(image)
            .ok()
            .filter(|n| n.target == nc.target && n.abi == nc.abi)
    }

    /// The lowest vacant package slot that nothing of its former package
    /// (an object it owned) is left in, or a new one; at most 250 slots, as
    /// contexts are one byte.
    fn free_slot(&self) -> Option<u16> {
        let first = api_tables::N_BUILTIN;
        (first..250).find(|&i| {
            self.packages.get(usize::from(i)).is_none_or(|p| p.deleted)
                && !self
                    .store
                    .objs
                    .iter()
                    .any(|o| !o.is_free() && o.owner == Package::context(i))
        })
    }

    /// The lowest run of `n` class ids that no package holds and no object
    /// names (as its class or as its elements' class).
    fn free_class_range(&self, n: usize) -> u16 {
        let named = |c: usize| {
            self.store
                .objs
                .iter()
                .any(|o| !o.is_free() && usize::from(o.class) == c)
        };
        let free = |c: usize| {
            self.classes
                .get(c)
                .is_none_or(|k| k.is_vacant() && !named(c))
        };
        let mut base = CLASSES.len();
        while base < usize::from(NO_CLASS) {
            match (base..base + n).find(|&c| !free(c)) {
                None => break,
                Some(c) => base = c + 1,
            }
        }
        base.min(usize::from(NO_CLASS)) as u16
    }

    /// The metadata records of the loaded packages, in load order.
    fn package_records(&self) -> Vec<PackageRecord> {
        self.load_order
            .iter()
            .map(|&i| {
                let p = &self.packages[usize::from(i)];
                PackageRecord {
                    slot: i as u8,
                    class_base: p.class_base,
                    image: p.image.0,
                    image_len: p.image.1,
                    static_base: p.static_base,
                    static_len: p.static_len,
                    image_crc: p.image.2,
                    verified: p.verified,
                }
            })
            .collect()
    }

    /// Rewrites the metadata (packages and registry).
    pub fn save_meta(&mut self) -> Result<(), Fault> {
        let pkgs = self.package_records();
        let blob = (!pkgs.is_empty() || !self.registry.applets.is_empty())
            .then(|| registry::encode(&pkgs, &self.registry.applets));
        registry::store(&mut self.store, blob.as_deref())
    }

    /// Links a parsed package into slot `rec.slot`, its classes at
    /// `rec.class_base`. `stored` is set when relinking (the static image
    /// is already in NVM at `rec.static_base`); otherwise the static image
    /// is created.
    pub fn link(
        &mut self,
        cap: &CapFile,
        rec: PackageRecord,
        stored: bool,
    ) -> Result<u16, LoadError> {
        let aid = cap.header.package.aid.as_bytes().to_vec();
        let pname = cap.header.package_name_str().unwrap_or_else(|| hex(&aid));
        let invalid = |what: String| LoadError::Invalid {
            package: pname.clone(),
            what,
        };
        // Format 2.3 (compact) adds a public token -> table mapping; the
        // converter writes it as the identity (255: no method of this
        // class), which is the 2.2 layout. Anything else is refused.
        for e in &cap.class.entries {
            if let ClassEntry::Class(ci) = e {
                if let Some(m) = &ci.token_mapping {
                    let identity = m
                        .public_virtual_method_token_mapping
                        .iter()
                        .enumerate()
                        .all(|(i, &t)| usize::from(t) == i || t == 0xFF);
                    if !identity {
                        return Err(LoadError::Unsupported {
                            package: pname.clone(),
                            what: format!(
                                "a non-identity public method token mapping (class at {}, CAP format {})",
                                ci.offset, cap.header.version
                            ),
                        });
                    }
                }
            }
        }
        let pkg_idx = u16::from(rec.slot);
        let vacant = self
            .packages
            .get(usize::from(pkg_idx))
            .is_none_or(|p| p.deleted);
        if pkg_idx < api_tables::N_BUILTIN || !vacant {
            return Err(LoadError::Fault(Fault::Corrupt("package slot")));
        }
        let ctx = Package::context(pkg_idx);

        // Imports -> package indices.
        let mut imports = Vec::new();
        for imp in &cap.import.packages {
            let aid = imp.aid.as_bytes();
            match self.live_package(aid) {
                Some(i)
                    if self.packages[i].major == imp.major
                        && (self.packages[i].minor >= imp.minor
                            || i < usize::from(api_tables::N_BUILTIN)) =>
                {
                    imports.push(i as u16)
                }
                _ => {
                    return Err(LoadError::MissingPackage {
                        package: pname.clone(),
                        aid: hex(imp.aid.as_bytes()),
                        major: imp.major,
                        minor: imp.minor,
                    })
                }
            }
        }

        // Methods.
        let code: Vec<u8> = cap
            .component_bytes(ComponentTag::Method)
            .map_err(|e| LoadError::Cap(e.to_string()))?
            .map(|b| b[3..].to_vec())
            .unwrap_or_default();
        let mut method_ids: SortedMap<u16, MethodId> = SortedMap::new();
        let first_method = self.methods.len();
        let mut handlers = Vec::new();
        for h in &cap.method.handlers {
            handlers.push((
                h.start_offset,
                h.end_offset(),
                h.handler_offset,
                h.catch_type_index,
            ));
        }
        for m in &cap.method.methods {
            let id = self.methods.len();
            if id >= usize::from(NO_METHOD) {
                return Err(invalid("too many methods on the card".into()));
            }
            let start = u32::from(m.code_offset());
            let end = start + m.bytecode.len() as u32;
            let first_h = handlers
                .iter()
                .position(|h| u32::from(h.0) >= start && h.1 <= end);
            let hr = match first_h {
                Some(f) => {
                    let n = handlers[f..]
                        .iter()
                        .take_while(|h| u32::from(h.0) >= start && h.1 <= end)
                        .count();
                    (f as u16, (f + n) as u16)
                }
                None => (0, 0),
            };
            self.methods.push(Method {
                kind: if m.header.is_abstract() {
                    MethodKind::Abstract
                } else {
                    MethodKind::Bytecode
                },
                pkg: pkg_idx,
                code: start,
                code_end: end,
                nargs: m.header.nargs,
                max_locals: m.header.max_locals,
                max_stack: m.header.max_stack,
                handlers: hr,
            });
            method_ids.insert(m.offset, id as MethodId);
        }
        let method_at = |off: u16| -> Result<MethodId, LoadError> {
            method_ids
                .get(&off)
                .copied()
                .ok_or_else(|| LoadError::Invalid {
                    package: pname.clone(),
                    what: format!("no method at Method component offset {off}"),
                })
        };

        // Classes: ids in component order from the recorded base; the ids
        // in between that no package holds stay vacant.
        let class_base = usize::from(rec.class_base);
        let n_classes = cap.class.entries.len();
        if class_base < CLASSES.len() || class_base + n_classes >= usize::from(NO_CLASS) {
            return Err(invalid("class ids out of range".into()));
        }
        let taken = (class_base..class_base + n_classes)
            .any(|c| self.classes.get(c).is_some_and(|k| !k.is_vacant()));
        if taken {
            return Err(LoadError::Fault(Fault::Corrupt("class ids taken")));
        }
        let mut class_offsets = Vec::new();
        for (i, e) in cap.class.entries.iter().enumerate() {
            class_offsets.push((e.offset(), (class_base + i) as ClassId));
        }
        let resolve_class = |this: &Self, r: ClassRef| -> Result<ClassId, LoadError> {
            match r {
                ClassRef::Internal(off) => class_offsets
                    .iter()
                    .find(|c| c.0 == off)
                    .map(|c| c.1)
                    .ok_or_else(|| LoadError::Invalid {
                        package: pname.clone(),
                        what: format!("no class at Class component offset {off}"),
                    }),
                ClassRef::External {
                    package_token,
                    class_token,
                } => {
                    let p = *imports.get(usize::from(package_token)).ok_or_else(|| {
                        LoadError::Invalid {
                            package: pname.clone(),
                            what: format!("package token {package_token} out of range"),
                        }
                    })?;
                    this.packages[usize::from(p)]
                        .export_classes
                        .get(usize::from(class_token))
                        .copied()
                        .filter(|&c| c != NO_CLASS)
                        .ok_or_else(|| {
                            if p < api_tables::N_BUILTIN {
                                this.missing(&pname, p, class_token, ApiMember::Class)
                            } else {
                                LoadError::Invalid {
                                    package: pname.clone(),
                                    what: format!(
                                        "package {} exports no class with token {class_token}",
                                        this.packages[usize::from(p)].name
                                    ),
                                }
                            }
                        })
                }
            }
        };
        // Placeholders so internal references resolve in any order.
        if self.classes.len() < class_base + n_classes {
            self.classes.resize(class_base + n_classes, Class::vacant());
        }
        for (i, e) in cap.class.entries.iter().enumerate() {
            self.classes[class_base + i] = Class {
                pkg: pkg_idx,
                name: format!("{pname}@{}", e.offset()),
                token: 0xFF,
                flags: 0,
                super_class: NO_CLASS,
                depth: 0,
                base: 0,
                cells: 0,
                vtable: Vec::new(),
                pvtable: Vec::new(),
                itable: Vec::new(),
                superinterfaces: Vec::new(),
                refs: (0, 0),
            };
        }
        // Interfaces first, then classes in an order where supers come first.
        for (i, e) in cap.class.entries.iter().enumerate() {
            if let ClassEntry::Interface(ii) = e {
                let mut sup = Vec::new();
                for s in &ii.superinterfaces {
                    sup.push(resolve_class(self, *s)?);
                }
                let c = &mut self.classes[class_base + i];
                c.flags = C_INTERFACE;
                c.superinterfaces = sup;
            }
        }
        // Transitive superinterfaces and shareability.
        for _ in 0..4 {
            for i in 0..cap.class.entries.len() {
                let id = class_base + i;
                if !self.classes[id].is_interface() {
                    continue;
                }
                let mut all = self.classes[id].superinterfaces.clone();
                let mut sh = false;
                for &s in &self.classes[id].superinterfaces {
                    if let Some(sc) = self.classes.get(usize::from(s)) {
                        all.extend(sc.superinterfaces.iter().copied());
                        sh |= sc.flags & C_SHAREABLE != 0
                            || (usize::from(s) < CLASSES.len()
                                && s == self.api_class(FW, api_tables::tok::SHAREABLE));
                    }
                }
                all.sort_unstable();
                all.dedup();
                let c = &mut self.classes[id];
                c.superinterfaces = all;
                if sh {
                    c.flags |= C_SHAREABLE;
                }
            }
        }
        let mut done = vec![false; cap.class.entries.len()];
        for (i, e) in cap.class.entries.iter().enumerate() {
            if matches!(e, ClassEntry::Interface(_)) {
                done[i] = true;
            }
        }
        let mut progress = true;
        while progress {
            progress = false;
            for (i, e) in cap.class.entries.iter().enumerate() {
                let ClassEntry::Class(ci) = e else { continue };
                if done[i] {
                    continue;
                }
                let sup = match ci.super_class {
                    Some(r) => resolve_class(self, r)?,
                    None => NO_CLASS,
                };
                if usize::from(sup) >= class_base
                    && usize::from(sup) < class_base + done.len()
                    && !done[usize::from(sup) - class_base]
                {
                    continue;
                }
                let supc = self.classes.get(usize::from(sup)).cloned();
                let mut c = self.classes[class_base + i].clone();
                c.super_class = sup;
                if let Some(s) = &supc {
                    if s.is_interface() {
                        return Err(invalid(format!(
                            "class at {} extends an interface",
                            ci.offset
                        )));
                    }
                    c.depth = s.depth.saturating_add(1);
                    c.base = s.cells;
                    c.vtable = s.vtable.clone();
                    c.itable = s.itable.clone();
                    if s.pkg == pkg_idx {
                        c.pvtable = s.pvtable.clone();
                    }
                }
                c.cells = c
                    .base
                    .checked_add(u16::from(ci.declared_instance_size))
                    .ok_or_else(|| invalid("instance too large".into()))?;
                if ci.reference_count > 0 {
                    let first = u32::from(c.base) + u32::from(ci.first_reference_token);
                    if first + u32::from(ci.reference_count) > u32::from(c.cells) {
                        return Err(invalid(format!(
                            "class at {}: reference fields outside the instance",
                            ci.offset
                        )));
                    }
                    c.refs = (first as u16, u16::from(ci.reference_count));
                }
                for (k, &off) in ci.public_virtual_method_table.iter().enumerate() {
                    if off != 0 && off != 0xFFFF {
                        let tok = usize::from(ci.public_method_table_base) + k;
                        if tok > 0x7F {
                            return Err(invalid("public virtual method token above 127".into()));
                        }
                        set_slot(&mut c.vtable, tok as u8, method_at(off)?);
                    }
                }
                for (k, &off) in ci.package_virtual_method_table.iter().enumerate() {
                    if off != 0 && off != 0xFFFF {
                        let tok = usize::from(ci.package_method_table_base) + k;
                        if tok > 0x7F {
                            return Err(invalid("package virtual method token above 127".into()));
                        }
                        set_slot(&mut c.pvtable, tok as u8, method_at(off)?);
                    }
                }
                for ii in &ci.interfaces {
                    let iid = resolve_class(self, ii.interface)?;
                    c.itable.retain(|x| x.0 != iid);
                    c.itable.push((iid, ii.index.clone()));
                }
                if ci.flags & hydra_cap::component::class::ACC_SHAREABLE != 0 {
                    c.flags |= C_SHAREABLE;
                }
                self.classes[class_base + i] = c;
                done[i] = true;
                progress = true;
            }
        }
        if done.iter().any(|d| !d) {
            return Err(invalid("cyclic or unresolvable superclass chain".into()));
        }
        // Names from the descriptor tokens are not in the CAP; keep offsets.

        // Static fields.
        let sf = &cap.static_field;
        let static_len = u32::from(sf.image_size);
        if 2 * u32::from(sf.reference_count) > static_len {
            return Err(invalid("reference statics outside the static image".into()));
        }
        let static_base = if stored {
            if rec.static_len < static_len {
                return Err(LoadError::Fault(Fault::Corrupt("static field image")));
            }
            rec.static_base
        } else {
            // Written whole below (the arrays' handles, the initial
            // values, zeros): no need to zero it first.
            let base = self.store.nvm_alloc_raw(static_len)?;
            let mut image = sf.initial_image();
            image.resize(usize::from(sf.image_size), 0);
            for (k, ai) in sf.array_init.iter().enumerate() {
                let kind = match ai.element_type {
                    2 => heap::K_BOOL,
                    3 => heap::K_BYTE,
                    4 => heap::K_SHORT,
                    _ => heap::K_INT,
                };
                let n = ai.element_count();
                let r = self.store.alloc(kind, 0, ctx, NO_CLASS, n as u16)?;
                let o = *self.store.obj(r).ok_or(Fault::Corrupt("new array"))?;
                self.store
                    .nvm
                    .write(o.data, &ai.values[..n * heap::elem_size(kind) as usize])?;
                if let Some(slot) = image.get_mut(2 * k..2 * k + 2) {
                    slot.copy_from_slice(&r.to_be_bytes());
                }
            }
            if !image.is_empty() {
                self.store.nvm.write(base, &image)?;
            }
            base
        };

        // Constant pool.
        let mut cp = Vec::with_capacity(cap.constant_pool.entries.len());
        // What each field entry reaches, for the per-instruction layout
        // check below.
        let mut sites = Vec::with_capacity(cap.constant_pool.entries.len());
        let own_statics = StaticArea {
            start: static_base,
            end: static_base + static_len,
            refs_end: static_base + 2 * u32::from(sf.reference_count),
        };
        for (k, e) in cap.constant_pool.entries.iter().enumerate() {
            let mut site = FieldSite::None;
            let r = match *e {
                CpEntry::Class(c) => Cp::Class(resolve_class(self, c)?),
                CpEntry::InstanceField { class, token } => {
                    let c = resolve_class(self, class)?;
                    let cl = &self.classes[usize::from(c)];
                    if usize::from(c) < CLASSES.len() {
                        return Err(self.missing(
                            &pname,
                            cl.pkg,
                            cl.token,
                            ApiMember::InstanceField(token),
                        ));
                    }
                    site = FieldSite::Instance(c);
                    Cp::Field(cl.base + u16::from(token))
                }
                CpEntry::VirtualMethod { class, token } => {
                    let class = resolve_class(self, class)?;
                    Cp::Virtual {
                        class,
                        token,
                        method: self
                            .lookup_virtual(class, class, token)
                            .unwrap_or(NO_METHOD),
                    }
                }
                CpEntry::SuperMethod { class, token } => {
                    let c = resolve_class(self, class)?;
                    let sup = self.classes[usize::from(c)].super_class;
                    let m = self.classes.get(usize::from(sup)).and_then(|s| {
                        let t = if token & 0x80 != 0 {
                            &s.pvtable
                        } else {
                            &s.vtable
                        };
                        t.get(usize::from(token & 0x7F)).copied()
                    });
                    match m {
                        Some(m) if m != NO_METHOD => Cp::Direct(m),
                        _ => {
                            return Err(invalid(format!(
                                "constant pool {k}: super method token {token} not found"
                            )))
                        }
                    }
                }
                CpEntry::StaticField(StaticRef::Internal { offset }) => {
                    if offset >= sf.image_size {
                        return Err(invalid(format!(
                            "constant pool {k}: static field offset {offset} out of the image"
                        )));
                    }
                    site = FieldSite::Static(own_statics);
                    Cp::Static(static_base + u32::from(offset))
                }
                CpEntry::StaticField(StaticRef::External {
                    package_token,
                    class_token,
                    token,
                }) => {
                    let p = imports.get(usize::from(package_token)).copied();
                    let a = p.and_then(|p| {
                        self.packages[usize::from(p)]
                            .export_fields
                            .get(usize::from(class_token))
                            .and_then(|v| v.get(usize::from(token)))
                            .copied()
                    });
                    match a {
                        Some(a) => {
                            if let Some(p) = p.and_then(|p| self.packages.get(usize::from(p))) {
                                site = FieldSite::Static(StaticArea {
                                    start: p.static_base,
                                    end: p.static_base + p.static_len,
                                    refs_end: p.static_base + 2 * u32::from(p.static_refs),
                                });
                            }
                            Cp::Static(a)
                        }
                        None => {
                            return Err(match p {
                                Some(p) if p < api_tables::N_BUILTIN => self.missing(
                                    &pname,
                                    p,
                                    class_token,
                                    ApiMember::StaticField(token),
                                ),
                                _ => LoadError::Unsupported {
                                    package: pname.clone(),
                                    what: format!(
                                        "static field token {token} of {}",
                                        self.ext_class_name(p, class_token)
                                    ),
                                },
                            })
                        }
                    }
                }
                CpEntry::StaticMethod(StaticRef::Internal { offset }) => {
                    Cp::Direct(method_at(offset)?)
                }
                CpEntry::StaticMethod(StaticRef::External {
                    package_token,
                    class_token,
                    token,
                }) => {
                    let p = imports.get(usize::from(package_token)).copied();
                    let m = p.and_then(|p| {
                        self.packages[usize::from(p)]
                            .export_methods
                            .get(usize::from(class_token))
                            .and_then(|v| v.get(usize::from(token)))
                            .copied()
                            .filter(|&m| m != NO_METHOD)
                    });
                    match m {
                        Some(m) => Cp::Direct(m),
                        None => {
                            return Err(match p {
                                Some(p) if p < api_tables::N_BUILTIN => self.missing(
                                    &pname,
                                    p,
                                    class_token,
                                    ApiMember::StaticMethod(token),
                                ),
                                _ => LoadError::Unsupported {
                                    package: pname.clone(),
                                    what: format!(
                                        "static method or constructor token {token} of {}",
                                        self.ext_class_name(p, class_token)
                                    ),
                                },
                            })
                        }
                    }
                }
            };
            cp.push(r);
            sites.push(site);
        }
        // Virtual calls to API classes must land on something implemented.
        for (k, e) in cp.iter().enumerate() {
            if let Cp::Virtual { class, token, .. } = *e {
                let cl = &self.classes[usize::from(class)];
                if usize::from(class) < CLASSES.len() && token & 0x80 == 0 && !cl.is_interface() {
                    let ok = cl
                        .vtable
                        .get(usize::from(token))
                        .is_some_and(|&m| m != NO_METHOD);
                    if !ok {
                        let _ = k;
                        return Err(self.missing(
                            &pname,
                            cl.pkg,
                            cl.token,
                            ApiMember::VirtualMethod(token),
                        ));
                    }
                }
            }
        }

        // Quicken and check every instruction.
        let mut code = code;
        for mid in first_method..self.methods.len() {
            let m = self.methods[mid].clone();
            if m.kind != MethodKind::Bytecode {
                continue;
            }
            let body = code
                .get(m.code as usize..m.code_end as usize)
                .ok_or_else(|| invalid(format!("method {mid} extends past the Method component")))?
                .to_vec();
            let mut pc = 0u16;
            while usize::from(pc) < body.len() {
                let ins =
                    decode(&body, pc).map_err(|e| invalid(format!("method at {}: {e}", m.code)))?;
                let at = m.code as usize + usize::from(pc);
                let cpe = |i: u16| cp.get(usize::from(i)).copied().unwrap_or(Cp::Invalid);
                let op = ins.opcode;
                // Every local an instruction names is inside the frame.
                let frame_words = usize::from(m.nargs) + usize::from(m.max_locals);
                let wide = matches!(op.0, 0x17 | 0x2A | 0x5A | 0x97 | 0x20..=0x23 | 0x33..=0x36);
                let local = match (op.0, &ins.operands) {
                    (_, Operands::Local(i)) => Some(usize::from(*i)),
                    (_, Operands::Inc { local, .. }) => Some(usize::from(*local)),
                    (0x18..=0x1B, _) => Some(usize::from(op.0 - 0x18)),
                    (0x1C..=0x1F, _) => Some(usize::from(op.0 - 0x1C)),
                    (0x20..=0x23, _) => Some(usize::from(op.0 - 0x20)),
                    (0x2B..=0x2E, _) => Some(usize::from(op.0 - 0x2B)),
                    (0x2F..=0x32, _) => Some(usize::from(op.0 - 0x2F)),
                    (0x33..=0x36, _) => Some(usize::from(op.0 - 0x33)),
                    (0xAD..=0xB0 | 0xB5..=0xB8, _) => Some(0),
                    _ => None,
                };
                if let Some(l) = local {
                    if l + usize::from(wide) >= frame_words {
                        return Err(invalid(format!(
                            "method at {}: pc {pc}: {op} uses local {l} of a frame of {frame_words} words",
                            m.code
                        )));
                    }
                }
                let kind_ok = match (&ins.operands, op) {
                    (Operands::Cp(i), _) => {
                        let e = cpe(*i);
                        match op.0 {
                            0x7B..=0x82 => matches!(e, Cp::Static(_)),
                            0x83..=0x8A | 0xA9..=0xB8 => matches!(e, Cp::Field(_)),
                            0x8B => matches!(e, Cp::Virtual { .. }),
                            0x8C => matches!(e, Cp::Direct(_) | Cp::Virtual { .. }),
                            0x8D => matches!(e, Cp::Direct(_)),
                            0x8F | 0x91 => matches!(e, Cp::Class(_)),
                            _ => true,
                        }
                    }
                    (Operands::Interface { index, .. }, _) => matches!(cpe(*index), Cp::Class(_)),
                    (Operands::TypeCheck { atype, index }, _) => {
                        *atype != 0 && *atype != 14 || matches!(cpe(*index), Cp::Class(_))
                    }
                    _ => true,
                };
                if !kind_ok {
                    return Err(invalid(format!(
                        "method at {}: pc {pc}: {op} refers to a constant pool entry of the wrong kind",
                        m.code
                    )));
                }
                if let (Some(access), Operands::Cp(i)) = (FieldAccess::of(op.0), &ins.operands) {
                    let site = sites
                        .get(usize::from(*i))
                        .copied()
                        .unwrap_or(FieldSite::None);
                    if let Err(why) = access.check(cpe(*i), site, &self.classes) {
                        return Err(invalid(format!(
                            "method at {}: pc {pc}: {op} {why}",
                            m.code
                        )));
                    }
                }
                // Quickening.
                match (op.0, &ins.operands) {
                    (0x83..=0x8A, Operands::Cp(i))
                    | (0xAD..=0xB0, Operands::Cp(i))
                    | (0xB5..=0xB8, Operands::Cp(i)) => {
                        if let Cp::Field(cell) = cpe(*i) {
                            if cell < 256 {
                                let q = match op.0 {
                                    0x83..=0x86 => quick::GETFIELD + (op.0 - 0x83),
                                    0x87..=0x8A => quick::PUTFIELD + (op.0 - 0x87),
                                    0xAD..=0xB0 => quick::GETFIELD_THIS + (op.0 - 0xAD),
                                    _ => quick::PUTFIELD_THIS + (op.0 - 0xB5),
                                };
                                code[at] = q;
                                code[at + 1] = cell as u8;
                            }
                        }
                    }
                    (0x8C | 0x8D, Operands::Cp(i)) => {
                        if let Cp::Direct(mid) = cpe(*i) {
                            code[at] = if op.0 == 0x8D {
                                quick::INVOKE_STATIC
                            } else {
                                quick::INVOKE_SPECIAL
                            };
                            code[at + 1..at + 3].copy_from_slice(&mid.to_be_bytes());
                        }
                    }
                    _ => {}
                }
                let _ = Opcode::NOP;
                pc += ins.len;
            }
        }

        // Handlers with absolute offsets.
        let mut hs = Vec::new();
        for (start, end, handler, catch) in handlers {
            let catch = if catch == 0 {
                NO_CLASS
            } else {
                match cp.get(usize::from(catch)) {
                    Some(Cp::Class(c)) => *c,
                    _ => {
                        return Err(invalid(format!(
                            "handler catch type {catch} is not a class"
                        )))
                    }
                }
            };
            hs.push(Handler {
                start: u32::from(start),
                end,
                handler: u32::from(handler),
                catch,
            });
        }

        // Exports.
        let mut export_classes = Vec::new();
        let mut export_methods = Vec::new();
        let mut export_fields = Vec::new();
        if let Some(ex) = &cap.export {
            for ce in &ex.classes {
                let id = resolve_class(self, ClassRef::Internal(ce.class_offset))?;
                export_classes.push(id);
                let mut ms = Vec::new();
                for &o in &ce.static_method_offsets {
                    ms.push(method_at(o)?);
                }
                export_methods.push(ms);
                export_fields.push(
                    ce.static_field_offsets
                        .iter()
                        .map(|&o| static_base + u32::from(o))
                        .collect(),
                );
            }
        }
        let mut applets = Vec::new();
        if let Some(ap) = &cap.applet {
            for a in &ap.applets {
                applets.push((
                    a.aid.as_bytes().to_vec(),
                    method_at(a.install_method_offset)?,
                ));
            }
        }
        if self.packages.len() <= usize::from(pkg_idx) {
            self.packages
                .resize_with(usize::from(pkg_idx) + 1, Package::vacant);
        }
        self.packages[usize::from(pkg_idx)] = Package {
            aid,
            major: cap.header.package.major,
            minor: cap.header.package.minor,
            name: pname,
            code: Rc::from(code),
            cp: Rc::from(cp),
            handlers: hs,
            static_base,
            export_classes,
            export_methods,
            export_fields,
            applets,
            class_offsets,
            image: (rec.image, rec.image_len, rec.image_crc),
            imports,
            deleted: false,
            static_len: if stored { rec.static_len } else { static_len },
            static_refs: sf.reference_count,
            class_base: rec.class_base,
            verified: rec.verified,
        };
        self.load_order.push(pkg_idx);
        Ok(pkg_idx)
    }

    fn missing(&self, package: &str, pkg: u16, class_token: u8, member: ApiMember) -> LoadError {
        let aid = self.packages[usize::from(pkg)].aid.clone();
        LoadError::UnsupportedApi {
            package: package.to_string(),
            api: hex(&aid),
            api_aid: aid,
            class_token,
            member,
        }
    }

    fn ext_class_name(&self, p: Option<u16>, class_token: u8) -> String {
        match p {
            Some(p) if p < api_tables::N_BUILTIN => api_tables::class_name(p, class_token)
                .map(ToString::to_string)
                .unwrap_or_else(|| {
                    format!(
                        "class token {class_token} of {}",
                        self.packages[usize::from(p)].name
                    )
                }),
            Some(p) => format!(
                "class token {class_token} of {}",
                self.packages[usize::from(p)].name
            ),
            None => format!("class token {class_token} of an unknown package"),
        }
    }

    /// Is `c` the class `target` or one of its subclasses/implementors?
    pub fn is_subclass_of(&self, mut c: ClassId, target: ClassId) -> bool {
        let Some(t) = self.classes.get(usize::from(target)) else {
            return false;
        };
        if t.is_interface() {
            let mut k = c;
            while let Some(cl) = self.classes.get(usize::from(k)) {
                if k == target
                    || cl.superinterfaces.contains(&target)
                    || cl.itable.iter().any(|(i, _)| {
                        *i == target
                            || self
                                .classes
                                .get(usize::from(*i))
                                .is_some_and(|ic| ic.superinterfaces.contains(&target))
                    })
                {
                    return true;
                }
                k = cl.super_class;
            }
            return false;
        }
        // A class's superclass `k` levels up has depth `depth - k`: climb
        // to the target's depth and compare once.
        let Some(mut cl) = self.classes.get(usize::from(c)) else {
            return false;
        };
        if cl.depth < t.depth {
            return false;
        }
        for _ in t.depth..cl.depth {
            c = cl.super_class;
            match self.classes.get(usize::from(c)) {
                Some(s) => cl = s,
                None => return false,
            }
        }
        c == target
    }

    pub(crate) fn reset_frames(&mut self) {
        self.frames.clear();
        let _: Option<Frame> = None;
    }
}

fn set_slot(t: &mut Vec<MethodId>, tok: u8, m: MethodId) {
    let i = usize::from(tok & 0x7F);
    if t.len() <= i {
        t.resize(i + 1, NO_METHOD);
    }
    t[i] = m;
}

fn set_class_slot(t: &mut Vec<ClassId>, tok: u8, c: ClassId) {
    let i = usize::from(tok);
    if t.len() <= i {
        t.resize(i + 1, NO_CLASS);
    }
    t[i] = c;
}

fn abstract_method(pkg: u16, nargs: u8) -> Method {
    Method {
        kind: MethodKind::Abstract,
        pkg,
        code: 0,
        code_end: 0,
        nargs,
        max_locals: 0,
        max_stack: 0,
        handlers: (0, 0),
    }
}
