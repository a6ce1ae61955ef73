//! The Java Card firewall: the context checks every object access, every
//! reference store and every virtual or interface call goes through, and
//! the dispatch those calls resolve with.
//!
//! An object is reachable from the context that owns it, from the JCRE
//! (context 0), and, if it is a JCRE entry point or a global array, from
//! every context; a call across contexts is allowed on entry points, global
//! arrays and through Shareable interfaces. The interpreter, the compiled
//! code's helpers and the API natives all check through these functions.

use crate::api_tables::{tok, LANG};
use crate::card::Card;
use crate::class::*;
use crate::heap::*;
use crate::interp::Exc;
use crate::nvm::Nvm;

impl<N: Nvm> Card<N> {
    // ---- object access ----------------------------------------------------

    /// The header of `r` for a field or array access from the current
    /// context: NullPointerException, or SecurityException across contexts.
    #[inline(always)]
    pub fn access(&self, r: Ref) -> Result<Obj, Exc> {
        match self.store.obj(r) {
            Some(o) => {
                if o.owner == self.ctx || self.ctx == 0 || o.flags & F_GLOBAL != 0 {
                    Ok(*o)
                } else {
                    Err(self.security())
                }
            }
            None => Err(self.npe()),
        }
    }

    /// Storing a reference: temporary JCRE entry points and global arrays may
    /// not be stored anywhere (SecurityException).
    #[inline]
    pub fn check_storable(&self, v: Ref) -> Result<(), Exc> {
        if v == NULL {
            return Ok(());
        }
        match self.store.obj(v) {
            Some(o) if o.flags & F_TEMPORARY != 0 => Err(self.security()),
            _ => Ok(()),
        }
    }

    /// Is object `r` an instance of the type of a checkcast/instanceof?
    pub fn instance_of(&self, r: Ref, atype: u8, class: ClassId) -> bool {
        let Some(o) = self.store.obj(r) else {
            return false;
        };
        let object = self.api_class(LANG, tok::OBJECT);
        match atype {
            0 => {
                if class == object {
                    return true;
                }
                !o.is_array() && self.is_subclass_of(o.class, class)
            }
            10 => o.kind == K_BOOL,
            11 => o.kind == K_BYTE,
            12 => o.kind == K_SHORT,
            13 => o.kind == K_INT,
            14 => {
                o.kind == K_REF
                    && (class == object
                        || (o.class != NO_CLASS
                            && o.class != object
                            && self.is_subclass_of(o.class, class)))
            }
            _ => false,
        }
    }

    // ---- dispatch ---------------------------------------------------------

    /// Virtual dispatch: the method for `token` on an object of class `c`,
    /// the reference having been resolved against class `ref_class`.
    #[inline]
    pub fn lookup_virtual(&self, c: ClassId, ref_class: ClassId, token: u8) -> Option<MethodId> {
        if token & 0x80 == 0 {
            let m = *self
                .classes
                .get(usize::from(c))?
                .vtable
                .get(usize::from(token))?;
            (m != NO_METHOD).then_some(m)
        } else {
            // Package-visible: start at the first class of the referencing
            // class's package on the object's superclass chain.
            let pkg = self.classes.get(usize::from(ref_class))?.pkg;
            let mut k = c;
            loop {
                let cl = self.classes.get(usize::from(k))?;
                if cl.pkg == pkg {
                    let m = *cl.pvtable.get(usize::from(token & 0x7F))?;
                    return (m != NO_METHOD).then_some(m);
                }
                k = cl.super_class;
            }
        }
    }

    /// Firewall check of a virtual/interface call on `o`; returns the
    /// callee's context.
    #[inline]
    pub fn invoke_context(&self, o: &Obj, iface: Option<ClassId>) -> Result<u8, Exc> {
        if o.owner == self.ctx {
            return Ok(self.ctx);
        }
        if self.ctx == 0 {
            return Ok(o.owner);
        }
        if o.flags & (F_ENTRY_POINT | F_GLOBAL) != 0 {
            return Ok(self.ctx);
        }
        if let Some(i) = iface {
            if self
                .classes
                .get(usize::from(i))
                .is_some_and(|c| c.flags & C_SHAREABLE != 0)
            {
                return Ok(o.owner);
            }
        }
        Err(self.security())
    }

    /// The method implementing interface method `itok` of `iface` for class `c`.
    pub fn interface_method(&self, c: ClassId, iface: ClassId, itok: u8) -> Option<MethodId> {
        self.lookup_interface(c, iface, itok)
    }

    pub fn lookup_interface(&self, c: ClassId, iface: ClassId, itok: u8) -> Option<MethodId> {
        let mut k = c;
        while let Some(cl) = self.classes.get(usize::from(k)) {
            for (i, map) in &cl.itable {
                if *i == iface {
                    let vt = *map.get(usize::from(itok))?;
                    return self.lookup_virtual(c, c, vt);
                }
            }
            k = cl.super_class;
        }
        None
    }
}
