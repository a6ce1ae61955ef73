//! Reachability of persistent objects: what DELETE may free, whether it
//! may delete at all (JCRE 3.0.5 §11.3.4), and the collection that frees
//! every unreachable object (after DELETE and at boot).
//!
//! Roots are the registry's applet instances and their AID objects, and
//! the reference static fields of the loaded packages. Edges are the
//! elements of reference arrays (transient ones included: their RAM data)
//! and the reference cells of instances, which each class records from the
//! CAP's `first_reference_token`/`reference_count` (the API's own: an AID's
//! bytes, an OwnerPIN's value and flag). The collector never looks at a
//! primitive cell, so a short that happens to equal a handle keeps nothing
//! alive. It runs only when no applet code is on the stack (the card
//! manager's DELETE, boot), so the operand stack holds no references.

use alloc::vec;
use alloc::vec::Vec;

use crate::card::{Card, Package};
use crate::error::Fault;
use crate::heap::{Obj, Ref, K_INSTANCE, K_REF, NULL, RAM_HANDLE_BASE};
use crate::nvm::Nvm;

/// What a DELETE takes away.
#[derive(Debug, Clone, Default)]
pub struct Doomed {
    /// Registry indices of the applet instances.
    pub applets: Vec<usize>,
    /// The package slot.
    pub package: Option<u16>,
}

/// One bit per persistent handle.
struct Marks(Vec<u32>);

impl Marks {
    fn new(n: usize) -> Marks {
        Marks(vec![0; n.div_ceil(32)])
    }
    fn get(&self, h: usize) -> bool {
        self.0.get(h / 32).is_some_and(|w| w & (1 << (h % 32)) != 0)
    }
    /// Sets the bit; `true` when it was clear.
    fn set(&mut self, h: usize) -> bool {
        match self.0.get_mut(h / 32) {
            Some(w) if *w & (1 << (h % 32)) == 0 => {
                *w |= 1 << (h % 32);
                true
            }
            _ => false,
        }
    }
}

impl<N: Nvm> Card<N> {
    /// The roots that stay after `doomed` goes; with `only`, just those of
    /// these contexts.
    fn roots(&self, doomed: &Doomed, only: Option<&[u8]>) -> Vec<Ref> {
        let keep = |ctx: u8| only.is_none_or(|c| c.contains(&ctx));
        let mut roots = Vec::new();
        for (i, a) in self.registry.applets.iter().enumerate() {
            if !doomed.applets.contains(&i) && keep(Package::context(a.pkg)) {
                roots.extend_from_slice(&[a.instance, a.aid_obj]);
            }
        }
        let b = self.store.nvm.bytes();
        for &slot in &self.load_order {
            let Some(p) = self.packages.get(usize::from(slot)) else {
                continue;
            };
            if doomed.package == Some(slot) || !keep(Package::context(slot)) {
                continue;
            }
            for k in 0..u32::from(p.static_refs) {
                let at = (p.static_base + 2 * k) as usize;
                if let Some(s) = b.get(at..at + 2) {
                    roots.push(u16::from_be_bytes([s[0], s[1]]));
                }
            }
        }
        roots
    }

    /// The persistent objects reachable from `roots`.
    fn mark(&self, roots: Vec<Ref>) -> Marks {
        let objs = &self.store.objs;
        let mut marks = Marks::new(objs.len());
        let mut stack = roots;
        while let Some(r) = stack.pop() {
            if r == NULL || r >= RAM_HANDLE_BASE {
                continue;
            }
            let Some(o) = self.store.obj(r).copied() else {
                continue;
            };
            if marks.set(usize::from(r)) {
                self.children(&o, &mut stack);
            }
        }
        marks
    }

    /// Pushes the references `o` holds.
    fn children(&self, o: &Obj, out: &mut Vec<Ref>) {
        match o.kind {
            K_REF => {
                for i in 0..u32::from(o.len) {
                    out.push(self.store.read_u16(o, 2 * i));
                }
            }
            K_INSTANCE => {
                // The class chain, bounded in case a corrupt one loops.
                let mut c = o.class;
                for _ in 0..self.classes.len() {
                    let Some(cl) = self.classes.get(usize::from(c)) else {
                        break;
                    };
                    let (first, n) = (u32::from(cl.refs.0), u32::from(cl.refs.1));
                    for cell in first..(first + n).min(u32::from(o.len)) {
                        out.push(self.store.read_u16(o, 2 * cell));
                    }
                    c = cl.super_class;
                }
            }
            _ => {}
        }
    }

    /// Whether `doomed` may go (JCRE 3.0.5 §11.3.4): no object of a doomed
    /// context may stay reachable unless that context's own remaining roots
    /// (its other instances, its package's statics) reach it — so one that
    /// another context holds (a Shareable it handed out, a reference stored
    /// in another applet's field or in another package's static) refuses
    /// the deletion. A deleted package also leaves no reachable object that
    /// it owns or whose class it defines. Ownership is per context (the
    /// header's owner byte): an object of the context that only another
    /// context still holds counts as the deleted instance's.
    pub fn may_delete(&self, doomed: &Doomed) -> bool {
        let mut ctxs: Vec<u8> = doomed
            .applets
            .iter()
            .filter_map(|&i| self.registry.applets.get(i))
            .map(|a| Package::context(a.pkg))
            .collect();
        ctxs.extend(doomed.package.map(Package::context));
        let live = self.mark(self.roots(doomed, None));
        let own = self.mark(self.roots(doomed, Some(&ctxs)));
        self.store.objs.iter().enumerate().all(|(h, o)| {
            if o.is_free() || !live.get(h) {
                return true;
            }
            let held_by_others = ctxs.contains(&o.owner) && !own.get(h);
            let of_package = doomed.package.is_some_and(|p| {
                o.owner == Package::context(p)
                    || self
                        .classes
                        .get(usize::from(o.class))
                        .is_some_and(|c| c.pkg == p)
            });
            !held_by_others && !of_package
        })
    }

    /// Frees every persistent object the current roots do not reach: one
    /// single-byte NVM write each. Returns how many were freed. MUST NOT
    /// run while applet code is on the stack or a transaction is open.
    pub fn collect(&mut self) -> Result<usize, Fault> {
        if self.store.log.in_txn() || !self.frames.is_empty() {
            return Err(Fault::Corrupt("collection while applet code runs"));
        }
        let live = self.mark(self.roots(&Doomed::default(), None));
        let mut freed = 0;
        let mut ram = false;
        for h in 1..self.store.objs.len() {
            let o = self.store.objs[h];
            if !o.is_free() && !live.get(h) {
                ram |= o.in_ram();
                self.store.free_object(h as Ref)?;
                self.engines.forget(h as Ref);
                freed += 1;
            }
        }
        if ram {
            self.store.compact_ram();
        }
        Ok(freed)
    }
}
