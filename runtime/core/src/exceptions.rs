//! The exceptions the runtime itself throws: the JCRE-owned instances of
//! the API exception classes (the JCRE owns one of each, so throwing never
//! allocates), with the reason code written into them.

use crate::api_tables::{tok, FW, LANG};
use crate::card::Card;
use crate::error::Fault;
use crate::interp::Exc;
use crate::nvm::Nvm;

impl<N: Nvm> Card<N> {
    /// The JCRE-owned instance of an API exception class.
    pub fn jcre_exception(&self, pkg: u16, token: u8) -> Exc {
        let c = self.api_class(pkg, token);
        match self.jcre.exceptions.iter().find(|e| e.0 == c) {
            Some(&(_, r)) => Exc::Throw(r),
            None => Exc::Fault(Fault::Corrupt("missing JCRE exception object")),
        }
    }

    /// A java.lang exception thrown by the virtual machine.
    pub fn vm_exc(&self, token: u8) -> Exc {
        self.jcre_exception(LANG, token)
    }

    /// A javacard.framework CardRuntimeException subclass with a reason.
    pub fn cre(&mut self, token: u8, reason: u16) -> Exc {
        self.api_exception(FW, token, reason)
    }

    /// The JCRE instance of API exception class `(pkg, token)` with a reason.
    pub fn api_exception(&mut self, pkg: u16, token: u8, reason: u16) -> Exc {
        let e = self.jcre_exception(pkg, token);
        if let Exc::Throw(r) = e {
            if let Some(o) = self.store.obj(r).copied() {
                let _ = self.store.write(&o, 0, &reason.to_be_bytes(), false);
            }
        }
        e
    }

    #[cold]
    #[inline(never)]
    pub fn npe(&self) -> Exc {
        self.vm_exc(tok::NULL_POINTER)
    }

    #[cold]
    #[inline(never)]
    pub fn security(&self) -> Exc {
        self.vm_exc(tok::SECURITY)
    }
}
