//! The Java Card runtime environment proper: applet installation,
//! selection and APDU dispatch (ISO 7816-4 and the JCRE specification).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::apdu::{Command, Response};
use crate::api_tables::{tok, FW};
use crate::card::{Card, Package};
use crate::class::{ClassId, NO_CLASS};
use crate::error::{Fault, LoadError};
use crate::heap::*;
use crate::interp::{Exc, Ret};
use crate::nvm::Nvm;
use crate::registry::{AppletEntry, CHANNELS, LC_SELECTABLE};

pub const SW_OK: u16 = 0x9000;
pub const SW_UNKNOWN: u16 = 0x6F00;
pub const SW_WRONG_LENGTH: u16 = 0x6700;
pub const SW_FILE_NOT_FOUND: u16 = 0x6A82;
pub const SW_APPLET_SELECT_FAILED: u16 = 0x6999;
pub const SW_LOGICAL_CHANNEL_NOT_SUPPORTED: u16 = 0x6881;
pub const SW_CLA_NOT_SUPPORTED: u16 = 0x6E00;
pub const SW_FUNC_NOT_SUPPORTED: u16 = 0x6A81;
pub const SW_INCORRECT_P1P2: u16 = 0x6A86;
pub const SW_CONDITIONS_NOT_SATISFIED: u16 = 0x6985;

/// The logical channel a CLA byte names: ISO 7816-4 first interindustry
/// encoding (channels 0-3, bits 1-2) when bit 7 is 0, further encoding
/// (channels 4-19, bits 1-4) when it is 1; proprietary classes use the same
/// bits.
pub fn cla_channel(cla: u8) -> u8 {
    if cla & 0x40 == 0 {
        cla & 0x03
    } else {
        4 + (cla & 0x0F)
    }
}

/// Applet virtual method tokens (javacard.framework.Applet).
const T_DESELECT: usize = 4;
const T_SELECT: usize = 6;
const T_PROCESS: usize = 7;

/// An applet's package and instance.
#[derive(Clone, Copy)]
struct Entry {
    pkg: u16,
    instance: Ref,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

impl<N: Nvm> Card<N> {
    /// Runs `m` for an applet in its context, with the JCRE's clean-up:
    /// an open transaction is aborted when the method returns. Inline: one
    /// call layer less on every APDU.
    #[inline(always)]
    pub(crate) fn applet_call(&mut self, pkg: u16, m: u16, args: &[i16]) -> Result<Ret, Exc> {
        self.ctx = Package::context(pkg);
        self.prev_ctx = 0;
        self.sp_top = 0;
        self.reset_frames();
        self.budget_end = self.executed.saturating_add(self.config.budget);
        let r = self.invoke(m, args);
        self.ctx = 0;
        self.release_oneshots();
        if self.store.log.in_txn() {
            crate::txn::abort(&mut self.store).map_err(Exc::Fault)?;
        }
        r
    }

    /// What a call into applet `i` needs of its registry entry (without
    /// copying its AID).
    fn entry(&self, i: usize) -> Entry {
        let e = &self.registry.applets[i];
        Entry {
            pkg: e.pkg,
            instance: e.instance,
        }
    }

    fn virtual_of(&self, instance: Ref, token: usize) -> Option<u16> {
        let c = self.store.obj(instance)?.class;
        let m = *self.classes.get(usize::from(c))?.vtable.get(token)?;
        (m != crate::class::NO_METHOD).then_some(m)
    }

    /// Describes an uncaught exception for messages.
    pub fn describe(&self, e: &Exc) -> String {
        match e {
            Exc::Throw(r) => {
                let (class, reason) = match self.store.obj(*r) {
                    Some(o) if !o.is_array() => {
                        (o.class, (o.len > 0).then(|| self.store.read_u16(o, 0)))
                    }
                    _ => (NO_CLASS, None),
                };
                let name = self
                    .classes
                    .get(usize::from(class))
                    .map_or("an unknown class", |c| c.name.as_str());
                match reason {
                    Some(rs) if self.is_card_exception(class) => {
                        format!("{name} (reason {rs:#06x})")
                    }
                    _ => String::from(name),
                }
            }
            Exc::Fault(f) => format!("{f}"),
        }
    }

    fn is_card_exception(&self, c: ClassId) -> bool {
        self.is_subclass_of(c, self.api_class(FW, tok::CARD_RUNTIME_EXCEPTION))
            || self.is_subclass_of(c, self.api_class(FW, tok::CARD_EXCEPTION))
    }

    /// The status word for an exception escaping an applet.
    pub(crate) fn sw_of(&self, e: &Exc) -> u16 {
        if let Exc::Throw(r) = e {
            if let Some(o) = self.store.obj(*r) {
                if !o.is_array()
                    && self.is_subclass_of(o.class, self.api_class(FW, tok::ISO_EXCEPTION))
                {
                    return self.store.read_u16(o, 0);
                }
            }
        }
        SW_UNKNOWN
    }

    /// Called by `Applet.register()`.
    pub fn register_applet(&mut self, instance: Ref, aid: &[u8]) -> Result<(), Exc> {
        let Some((_, pkg)) = self.installing.clone() else {
            return Err(self.cre(tok::SYSTEM_EXCEPTION, crate::api::reason::SYS_ILLEGAL_AID));
        };
        if self.registry.find_exact(aid).is_some() {
            return Err(self.cre(tok::SYSTEM_EXCEPTION, crate::api::reason::SYS_ILLEGAL_AID));
        }
        let aid_obj = self.new_aid_object(aid).map_err(Exc::Fault)?;
        self.registry.applets.push(AppletEntry {
            aid: aid.to_vec(),
            pkg,
            instance,
            aid_obj,
            life_cycle: LC_SELECTABLE,
            privileges: [0; 3],
        });
        self.installing = None;
        Ok(())
    }

    /// Installs an applet: `class_aid` names the applet in a loaded package,
    /// `instance_aid` (default: the same) the new instance; `params` is the
    /// application data (the GlobalPlatform `C9` value).
    pub fn install(
        &mut self,
        class_aid: &[u8],
        instance_aid: Option<&[u8]>,
        privileges: &[u8],
        params: &[u8],
    ) -> Result<(), LoadError> {
        let found = self
            .packages
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.deleted)
            .find_map(|(i, p)| {
                p.applets
                    .iter()
                    .find(|a| a.0 == class_aid)
                    .map(|a| (i as u16, a.1))
            });
        let Some((pkg, install)) = found else {
            return Err(LoadError::NoSuchApplet {
                aid: hex(class_aid),
            });
        };
        let instance_aid = instance_aid.unwrap_or(class_aid).to_vec();
        if !(5..=16).contains(&instance_aid.len()) {
            return Err(LoadError::InstallFailed {
                aid: hex(&instance_aid),
                reason: "instance AID must be 5 to 16 bytes".into(),
            });
        }
        if self.registry.find_exact(&instance_aid).is_some() {
            return Err(LoadError::DuplicateInstance {
                aid: hex(&instance_aid),
            });
        }
        if params.len() > 200 || privileges.len() > 3 {
            return Err(LoadError::InstallFailed {
                aid: hex(&instance_aid),
                reason: "install parameters too long".into(),
            });
        }
        let data = crate::registry::install_parameters(&instance_aid, privileges, params);
        let barray = self.store.alloc(
            K_BYTE,
            F_RAM | F_GLOBAL | F_TEMPORARY,
            0,
            NO_CLASS,
            data.len() as u16,
        )?;
        let bo = *self
            .store
            .obj(barray)
            .ok_or(Fault::Corrupt("install parameters"))?;
        self.store.write(&bo, 0, &data, false)?;
        self.installing = Some((instance_aid.clone(), pkg));
        let before = self.registry.applets.len();
        let r = self.applet_call(pkg, install, &[barray as i16, 0, data.len() as i16]);
        self.installing = None;
        // The parameters are a temporary global array: dead once install()
        // returns, so each INSTALL does not keep RAM until the next reset.
        self.store.drop_last_ram_object(barray);
        let failed = match r {
            Err(e) => Some(format!("install() threw {}", self.describe(&e))),
            Ok(_) if self.registry.applets.len() == before => {
                Some("install() did not call register()".into())
            }
            Ok(_) => None,
        };
        if let Some(reason) = failed {
            self.registry.applets.truncate(before);
            return Err(LoadError::InstallFailed {
                aid: hex(&instance_aid),
                reason,
            });
        }
        if let Some(p) = privileges.get(..privileges.len().min(3)) {
            let e = self
                .registry
                .applets
                .last_mut()
                .ok_or(Fault::Corrupt("registry"))?;
            e.privileges[..p.len()].copy_from_slice(p);
        }
        self.save_meta()?;
        Ok(())
    }

    fn is_multiselectable(&self, instance: Ref) -> bool {
        let ms = self.api_class(FW, tok::MULTI_SELECTABLE);
        self.store
            .obj(instance)
            .is_some_and(|o| self.is_subclass_of(o.class, ms))
    }

    /// Calls `MultiSelectable.select(boolean)` / `deselect(boolean)`.
    fn call_multiselectable(&mut self, i: usize, token: u8, flag: bool) -> Result<Ret, Exc> {
        let e = self.entry(i);
        let ms = self.api_class(FW, tok::MULTI_SELECTABLE);
        let class = self.store.obj(e.instance).map_or(NO_CLASS, |o| o.class);
        let m = self
            .interface_method(class, ms, token)
            .ok_or(Exc::Fault(Fault::Corrupt("MultiSelectable method missing")))?;
        self.applet_call(e.pkg, m, &[e.instance as i16, i16::from(flag)])
    }

    /// JCRE 3.0.5 §11.3.4: before the Applet Deletion Manager checks what
    /// still reaches an instance it was asked to delete, the instance's
    /// `AppletEvent.uninstall()` runs, in its context and as the selected
    /// applet, so that it can let go of what it shared. What it throws is
    /// ignored, and so is running out of budget (an applet must not make
    /// itself undeletable): the checks that follow decide. A power loss
    /// stops the deletion.
    pub(crate) fn call_uninstall(&mut self, i: usize) -> Result<(), Fault> {
        let e = self.entry(i);
        let event = self.api_class(FW, tok::APPLET_EVENT);
        let class = self.store.obj(e.instance).map_or(NO_CLASS, |o| o.class);
        if class == NO_CLASS || !self.is_subclass_of(class, event) {
            return Ok(());
        }
        let Some(m) = self.interface_method(class, event, 0) else {
            return Err(Fault::Corrupt("AppletEvent method missing"));
        };
        self.active_applet = Some(i);
        let r = self.applet_call(e.pkg, m, &[e.instance as i16]);
        self.active_applet = None;
        match r {
            Err(Exc::Fault(Fault::PowerLoss)) => Err(Fault::PowerLoss),
            _ => Ok(()),
        }
    }

    /// Is another applet of context `ctx` (or applet `i` itself, when
    /// `same`) selected on a channel other than `ch`?
    fn active_elsewhere(&self, i: usize, ch: usize, same: bool) -> bool {
        let ctx = Package::context(self.registry.applets[i].pkg);
        self.registry.selected.iter().enumerate().any(|(c, s)| {
            c != ch
                && s.is_some_and(|j| {
                    if same {
                        j == i
                    } else {
                        j != i && Package::context(self.registry.applets[j].pkg) == ctx
                    }
                })
        })
    }

    /// Deselects the applet on channel `ch`: `deselect()`, or
    /// `MultiSelectable.deselect(appInstStillActive)` when it or its
    /// package stays active on another channel; CLEAR_ON_DESELECT data is
    /// cleared once no applet of the context is active.
    pub(crate) fn deselect_channel(&mut self, ch: usize) {
        // The channel's secure channel ends with its selection, the ISD's
        // or an application's.
        self.cardmgr.close_session_on(ch as u8);
        if self.registry.isd & (1 << ch) != 0 {
            self.registry.isd &= !(1 << ch);
            // A load belongs to the ISD's selection.
            self.cardmgr.drop_loading();
        }
        self.registry.extended &= !(1 << ch);
        let Some(i) = self.registry.selected[ch].take() else {
            return;
        };
        let e = self.entry(i);
        let still_same = self.registry.is_active(i);
        let ctx = Package::context(e.pkg);
        let ctx_still = self
            .registry
            .selected
            .iter()
            .flatten()
            .any(|&j| Package::context(self.registry.applets[j].pkg) == ctx);
        self.active_applet = Some(i);
        if (still_same || ctx_still) && self.is_multiselectable(e.instance) {
            let _ = self.call_multiselectable(i, 1, still_same);
        } else if let Some(m) = self.virtual_of(e.instance, T_DESELECT) {
            let _ = self.applet_call(e.pkg, m, &[e.instance as i16]);
        }
        self.active_applet = None;
        if !ctx_still {
            self.store.clear_on_deselect(ctx);
        }
    }

    /// Processes one command APDU (bytes as received) and returns the response.
    pub fn process(&mut self, bytes: &[u8]) -> Response {
        let r = self.process_inner(bytes);
        self.reclaim_dropped_load();
        let _ = self.store.nvm.flush();
        r
    }

    /// Takes back the data of a response the board has sent (from
    /// [`Card::process`]): the next response's data goes into it, so a
    /// short response allocates nothing once warm. A larger one is freed.
    pub fn recycle(&mut self, mut data: Vec<u8>) {
        let cap = data.capacity();
        if cap <= crate::apdu::SPARE_MAX && cap > self.apdu.response.capacity() {
            data.clear();
            self.apdu.response = data;
        }
    }

    /// Processes one parsed command APDU.
    pub fn process_command(&mut self, cmd: Command) -> Response {
        let r = self.dispatch_command(cmd);
        self.reclaim_dropped_load();
        let _ = self.store.nvm.flush();
        r
    }

    fn process_inner(&mut self, bytes: &[u8]) -> Response {
        let spare = core::mem::take(&mut self.apdu.spare);
        match Command::parse_into(bytes, spare) {
            Ok(c) => self.dispatch_command(c),
            Err(_) => Response::sw(SW_WRONG_LENGTH),
        }
    }

    fn dispatch_command(&mut self, cmd: Command) -> Response {
        let cla = cmd.cla();
        if cla == 0xFF {
            return Response::sw(SW_CLA_NOT_SUPPORTED);
        }
        let ch = cla_channel(cla);
        if !self.registry.is_open(ch) {
            return Response::sw(SW_LOGICAL_CHANNEL_NOT_SUPPORTED);
        }
        self.channel = ch;
        let interindustry = cla & 0x80 == 0;
        if interindustry && cmd.ins() == 0x70 {
            return self.manage_channel(ch, &cmd);
        }
        let is_select = interindustry && cmd.ins() == 0xA4 && cmd.p1() == 0x04;
        let ch = usize::from(ch);
        if is_select {
            let selectable =
                |i: &usize| crate::registry::is_selectable(self.registry.applets[*i].life_cycle);
            let isd = &self.cardmgr.isd_aid;
            // An applet by its full AID, then the ISD (by its AID, or by a
            // SELECT without one, as GP clients discover it), then an
            // applet by a partial AID, then the ISD by a partial AID.
            // A locked or terminated card selects no application.
            let apps = self.applications_available();
            if let Some(i) = self.registry.find_exact(&cmd.data).filter(selectable) {
                if apps {
                    return self.select(ch, i, cmd);
                }
            }
            if cmd.data.is_empty() || cmd.data == *isd {
                return self.select_isd(ch);
            }
            if let Some(i) = self.registry.find_partial(&cmd.data).filter(selectable) {
                if apps {
                    return self.select(ch, i, cmd);
                }
            }
            if isd.starts_with(&cmd.data) {
                return self.select_isd(ch);
            }
            // Not a selection: the selected applet gets the command.
            if self.registry.selected[ch].is_none() {
                return Response::sw(SW_FILE_NOT_FOUND);
            }
        }
        if self.registry.isd & (1 << ch) != 0 {
            return self.isd_process(ch as u8, cmd);
        }
        let Some(i) = self.registry.selected[ch] else {
            return Response::sw(SW_APPLET_SELECT_FAILED);
        };
        self.dispatch(i, cmd, false)
    }

    /// Selects the card manager on channel `ch` and answers its FCI.
    fn select_isd(&mut self, ch: usize) -> Response {
        // Deselecting the channel's ISD ends its secure channel too.
        self.deselect_channel(ch);
        self.registry.isd |= 1 << ch;
        self.isd_fci()
    }

    /// MANAGE CHANNEL: open (P1 = 00; P2 = 00 lets the card choose) and
    /// close (P1 = 80; P2 = the channel, or 00 for the one in CLA).
    fn manage_channel(&mut self, origin: u8, cmd: &Command) -> Response {
        match cmd.p1() {
            0x00 => {
                let n = if cmd.p2() == 0 {
                    match (1..CHANNELS as u8).find(|&c| !self.registry.is_open(c)) {
                        Some(c) => c,
                        None => return Response::sw(SW_FUNC_NOT_SUPPORTED),
                    }
                } else {
                    let c = cmd.p2();
                    if usize::from(c) >= CHANNELS || self.registry.is_open(c) {
                        return Response::sw(SW_INCORRECT_P1P2);
                    }
                    c
                };
                self.registry.open |= 1 << n;
                // The card manager is the default selection of a new
                // channel, and follows from a channel where it is selected.
                if origin == 0 || self.registry.isd & (1 << origin) != 0 {
                    self.registry.isd |= 1 << n;
                }
                // From a further channel, the applet active there is
                // selected on the new one as well.
                if origin != 0 {
                    if let Some(i) = self.registry.selected[usize::from(origin)] {
                        let aid = self.registry.applets[i].aid.clone();
                        let r = self.select(
                            usize::from(n),
                            i,
                            Command {
                                header: [n.min(3), 0xA4, 0x04, 0x00],
                                data: aid,
                                le: None,
                                extended: false,
                            },
                        );
                        if r.sw != SW_OK {
                            self.registry.open &= !(1 << n);
                            self.registry.isd &= !(1 << n);
                            return Response::sw(r.sw);
                        }
                    }
                }
                Response {
                    data: if cmd.p2() == 0 {
                        alloc::vec![n]
                    } else {
                        Vec::new()
                    },
                    sw: SW_OK,
                }
            }
            0x80 => {
                let n = if cmd.p2() == 0 { origin } else { cmd.p2() };
                if n == 0 || !self.registry.is_open(n) {
                    return Response::sw(SW_INCORRECT_P1P2);
                }
                self.deselect_channel(usize::from(n));
                self.registry.open &= !(1 << n);
                Response::sw(SW_OK)
            }
            _ => Response::sw(SW_INCORRECT_P1P2),
        }
    }

    fn select(&mut self, ch: usize, i: usize, cmd: Command) -> Response {
        let reselect = self.registry.selected[ch] == Some(i);
        let e = self.entry(i);
        let same_elsewhere = self.active_elsewhere(i, ch, true);
        let ctx_elsewhere = self.active_elsewhere(i, ch, false);
        let multi = self.is_multiselectable(e.instance);
        // Refused before anything changes: the channel keeps its applet.
        if (same_elsewhere || ctx_elsewhere) && !multi {
            return Response::sw(SW_CONDITIONS_NOT_SATISFIED);
        }
        // JCRE 3.0.5 §4.6: a SELECT of a different or of the same applet
        // deselects the current one first (`deselect()`, and its
        // CLEAR_ON_DESELECT transients cleared), so re-selecting an applet
        // starts a fresh session (a validated PIN does not survive it).
        self.deselect_channel(ch);
        // Whether it takes extended APDUs, once per selection: the
        // channel's commands go to it until it is deselected.
        let extended_ok = self.takes_extended(e.instance);
        if !self.prepare_apdu(extended_ok, cmd) {
            return Response::sw(SW_WRONG_LENGTH);
        }
        self.active_applet = Some(i);
        self.reselecting = reselect;
        let r = if (same_elsewhere || ctx_elsewhere) && multi {
            self.call_multiselectable(i, 0, same_elsewhere)
        } else {
            match self.virtual_of(e.instance, T_SELECT) {
                Some(m) => self.applet_call(e.pkg, m, &[e.instance as i16]),
                None => Err(Exc::Fault(Fault::Corrupt("applet without select()"))),
            }
        };
        if !matches!(r, Ok(r) if r.short() != 0) {
            self.registry.selected[ch] = None;
            self.active_applet = None;
            self.reselecting = false;
            let ctx = Package::context(e.pkg);
            let ctx_active = self
                .registry
                .selected
                .iter()
                .flatten()
                .any(|&j| Package::context(self.registry.applets[j].pkg) == ctx);
            if !ctx_active {
                self.store.clear_on_deselect(ctx);
            }
            return Response::sw(SW_APPLET_SELECT_FAILED);
        }
        self.registry.selected[ch] = Some(i);
        if extended_ok {
            self.registry.extended |= 1 << ch;
        }
        let r = self.dispatch(i, Command::default(), true);
        self.reselecting = false;
        r
    }

    /// Does the applet `instance` implement `javacardx.apdu.ExtendedLength`?
    fn takes_extended(&self, instance: Ref) -> bool {
        self.store.obj(instance).is_some_and(|o| {
            self.is_subclass_of(o.class, self.api_class(crate::api_tables::APDUX, 0))
        })
    }

    /// Puts a command in the APDU buffer and the APDU state; `false` when
    /// the applet cannot take it (an extended APDU without ExtendedLength,
    /// `extended_ok`).
    fn prepare_apdu(&mut self, extended_ok: bool, cmd: Command) -> bool {
        if cmd.extended && !extended_ok {
            return false;
        }
        // The header in the buffer: CLA INS P1 P2 P3 (short), or
        // CLA INS P1 P2 00 Lc1 Lc2 (extended).
        let mut buf = [0u8; 8];
        buf[..4].copy_from_slice(&cmd.header);
        let head = if cmd.extended {
            let n = if cmd.data.is_empty() {
                cmd.le.map_or(0, |l| l as u16)
            } else {
                cmd.data.len() as u16
            };
            buf[5..7].copy_from_slice(&n.to_be_bytes());
            &buf[..7]
        } else {
            let p3 = if !cmd.data.is_empty() {
                cmd.data.len() as u8
            } else {
                cmd.le.map_or(0, |l| l as u8)
            };
            buf[4] = p3;
            &buf[..5]
        };
        if let Some(o) = self.store.obj(self.jcre.buffer).copied() {
            let n = usize::from(crate::link::APDU_BUFFER_SIZE);
            let a = o.data as usize;
            match self.store.ram.get_mut(a..a + n) {
                // The buffer is a RAM object: cleared in place. Every byte
                // (API: the JCRE zeroes the buffer before each command), so
                // nothing an applet left there reaches the next command,
                // whichever context it goes to.
                // The header then goes in as one 8-byte copy: past the
                // header `buf` is zero like the buffer.
                Some(d) if o.in_ram() => {
                    crate::nvm::zero_bytes(d);
                    d[..8].copy_from_slice(&buf);
                }
                _ => {
                    let zeros = [0u8; crate::link::APDU_BUFFER_SIZE as usize];
                    let _ = self.store.write(&o, 0, &zeros, false);
                    let _ = self.store.write(&o, 0, head, false);
                }
            }
        }
        self.apdu.start(cmd);
        if extended_ok {
            self.apdu.max_out = 32767;
        }
        true
    }

    fn dispatch(&mut self, i: usize, cmd: Command, selecting: bool) -> Response {
        let e = self.entry(i);
        let Some(m) = self.virtual_of(e.instance, T_PROCESS) else {
            return Response::sw(SW_UNKNOWN);
        };
        let extended_ok = self.registry.extended & (1 << self.channel) != 0;
        if !selecting && !self.prepare_apdu(extended_ok, cmd) {
            return Response::sw(SW_WRONG_LENGTH);
        }
        self.active_applet = Some(i);
        self.selecting = selecting;
        let r = self.applet_call(e.pkg, m, &[e.instance as i16, self.jcre.apdu as i16]);
        self.selecting = false;
        self.apdu.active = false;
        self.active_applet = None;
        // GPSystem.lockCard / terminateCard: no application stays selected
        // once the command that locked the card is done.
        if !self.applications_available() {
            for ch in 0..crate::registry::CHANNELS {
                if self.registry.selected[ch].is_some() {
                    self.deselect_channel(ch);
                }
            }
        }
        match r {
            Ok(_) => Response {
                data: core::mem::take(&mut self.apdu.response),
                sw: SW_OK,
            },
            Err(e) => {
                let sw = self.sw_of(&e);
                self.last_uncaught = Some(alloc::format!("uncaught {}", self.describe(&e)));
                // What the applet already sent goes out with the status word
                // of the exception: applets end with ISOException.throwIt(SW)
                // after sendBytes (61xx response chaining, or 9000 itself).
                Response {
                    data: core::mem::take(&mut self.apdu.response),
                    sw,
                }
            }
        }
    }

    /// Ends the card session (power off): deselects without calling
    /// `deselect()` and returns the NVM for the next power-up.
    pub fn power_down(mut self) -> N {
        let _ = self.store.nvm.flush();
        self.store.nvm.into_inner()
    }
}
