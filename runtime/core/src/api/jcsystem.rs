//! Natives of `javacard.framework.JCSystem`: transactions, contexts,
//! transient and global arrays, memory.

use super::*;

impl<N: Nvm> Card<N> {
    /// `JCSystem.beginTransaction()`; also compiled code's `transaction`
    /// entry point.
    pub fn begin_transaction(&mut self) -> Result<(), Exc> {
        if self.store.log.in_txn() {
            return Err(self.cre(tok::TRANSACTION_EXCEPTION, reason::TXN_IN_PROGRESS));
        }
        crate::txn::begin(&mut self.store)?;
        Ok(())
    }

    /// `JCSystem.commitTransaction()`; also compiled code's `transaction`
    /// entry point.
    pub fn commit_transaction(&mut self) -> Result<(), Exc> {
        if !self.store.log.in_txn() {
            return Err(self.cre(tok::TRANSACTION_EXCEPTION, reason::TXN_NOT_IN_PROGRESS));
        }
        crate::txn::commit(&mut self.store)?;
        Ok(())
    }

    #[inline(always)]
    pub(super) fn native_jcsystem(&mut self, n: Native, base: usize) -> Result<usize, Exc> {
        use Native::*;
        let a = |i: usize| self.stack.get(base + i).copied().unwrap_or(0);
        let (a0, a1, a2) = (a(0), a(1), a(2));
        match n {
            BeginTransaction => self.begin_transaction().map(|()| 0),
            CommitTransaction => self.commit_transaction().map(|()| 0),
            AbortTransaction => {
                if !self.store.log.in_txn() {
                    return Err(self.cre(tok::TRANSACTION_EXCEPTION, reason::TXN_NOT_IN_PROGRESS));
                }
                crate::txn::abort(&mut self.store)?;
                Ok(0)
            }
            GetTransactionDepth => Ok(self.ret1(base, i16::from(self.store.log.in_txn()))),
            GetMaxCommitCapacity => {
                Ok(self.ret1(base, self.store.log.capacity().min(0x7FFF) as i16))
            }
            GetUnusedCommitCapacity => {
                Ok(self.ret1(base, self.store.log.unused().min(0x7FFF) as i16))
            }
            GetVersion => Ok(self.ret1(base, 0x0305)),
            GetAid => {
                let r = self.aid_of_context(self.ctx);
                Ok(self.ret1(base, r as i16))
            }
            GetPreviousContextAid => {
                let prev = self.previous_context();
                let r = if prev == 0 {
                    NULL
                } else {
                    self.aid_of_context(prev)
                };
                Ok(self.ret1(base, r as i16))
            }
            LookupAid => {
                let len = a2 as i8;
                let o = self.byte_range(a0 as Ref, a1, i16::from(len).max(0))?;
                let want =
                    self.store.data(&o)[a1 as usize..(a1 as usize + len.max(0) as usize)].to_vec();
                let r = self
                    .registry
                    .find_exact(&want)
                    .map_or(NULL, |i| self.registry.applets[i].aid_obj);
                Ok(self.ret1(base, r as i16))
            }
            IsAppletActive => {
                let want = if a0 == 0 {
                    return Err(self.npe());
                } else {
                    self.aid_bytes(a0 as Ref)?
                };
                let active = self
                    .registry
                    .find_exact(&want)
                    .is_some_and(|i| self.registry.is_active(i));
                Ok(self.bool_ret(base, active))
            }
            GetAppletShareableInterfaceObject => self.get_sio(base, a0 as Ref, a1),
            IsTransient => {
                let t = match self.store.obj(a0 as Ref) {
                    Some(o) => o.transient_kind(),
                    None => 0,
                };
                Ok(self.ret1(base, i16::from(t)))
            }
            MakeTransientBooleanArray => self.transient_array(base, K_BOOL, NO_CLASS),
            MakeTransientByteArray => self.transient_array(base, K_BYTE, NO_CLASS),
            MakeTransientShortArray => self.transient_array(base, K_SHORT, NO_CLASS),
            MakeTransientObjectArray => {
                let c = self.api_class(LANG, tok::OBJECT);
                self.transient_array(base, K_REF, c)
            }
            MakeGlobalArray => {
                // (byte type, short length): a CLEAR_ON_RESET global array
                // owned by the JCRE (a temporary entry point).
                let (kind, class) = match a0 {
                    1 => (K_BOOL, NO_CLASS),
                    2 => (K_BYTE, NO_CLASS),
                    3 => (K_SHORT, NO_CLASS),
                    4 => (K_INT, NO_CLASS),
                    5 => (K_REF, self.api_class(LANG, tok::OBJECT)),
                    _ => return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_VALUE)),
                };
                if a1 < 0 {
                    return Err(self.vm_exc(tok::NEGATIVE_ARRAY_SIZE));
                }
                if self.store.free_ram() < a1 as u32 * elem_size(kind) {
                    return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_NO_TRANSIENT_SPACE));
                }
                let r = self
                    .store
                    .alloc(
                        kind,
                        F_CLEAR_ON_RESET | F_GLOBAL | F_TEMPORARY,
                        0,
                        class,
                        a1 as u16,
                    )
                    .map_err(Exc::Fault)?;
                Ok(self.ret1(base, r as i16))
            }
            GetAvailableMemory => {
                let v = match a0 {
                    1 => self.store.free_nvm(),
                    2 | 3 => self.store.free_ram(),
                    _ => return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_VALUE)),
                };
                Ok(self.ret1(base, v.min(0x7FFF) as i16))
            }
            GetAvailableMemoryArray => {
                // (short[] buffer, short offset, byte memoryType): two shorts, high then low
                let v = match a2 {
                    1 => self.store.free_nvm(),
                    2 | 3 => self.store.free_ram(),
                    _ => return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_VALUE)),
                };
                let o = self.access(a0 as Ref)?;
                if o.kind != K_SHORT {
                    return Err(Exc::Fault(Fault::Corrupt("not a short array")));
                }
                if a1 < 0 || a1 as u32 + 2 > u32::from(o.len) {
                    return Err(self.vm_exc(tok::ARRAY_INDEX_OOB));
                }
                self.write_array(&o, 2 * a1 as u32, &v.to_be_bytes(), true)?;
                Ok(0)
            }
            IsObjectDeletionSupported => Ok(self.bool_ret(base, false)),
            RequestObjectDeletion => Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_USE)),
            GetAssignedChannel => Ok(self.ret1(base, i16::from(self.channel))),
            _ => Err(Exc::Fault(NOT_THIS_CLASS)),
        }
    }

    fn get_sio(&mut self, base: usize, server: Ref, param: i16) -> Result<usize, Exc> {
        if server == NULL {
            return Ok(self.ret1(base, 0));
        }
        let want = self.aid_bytes(server)?;
        let Some(idx) = self.registry.find_exact(&want) else {
            return Ok(self.ret1(base, 0));
        };
        let entry = self.registry.applets[idx].clone();
        if entry.instance == NULL {
            return Ok(self.ret1(base, 0));
        }
        let client_aid = self.aid_of_context(self.ctx);
        let applet_class = self
            .store
            .obj(entry.instance)
            .map(|o| o.class)
            .unwrap_or(NO_CLASS);
        let m = match self
            .classes
            .get(usize::from(applet_class))
            .and_then(|c| c.vtable.get(5))
        {
            Some(&m) => m,
            None => return Ok(self.ret1(base, 0)),
        };
        let saved = (self.ctx, self.prev_ctx);
        self.prev_ctx = self.ctx;
        self.ctx = Package::context(entry.pkg);
        let r = self.invoke(
            m,
            &[
                entry.instance as i16,
                client_aid as i16,
                i16::from(param as i8),
            ],
        );
        self.ctx = saved.0;
        self.prev_ctx = saved.1;
        let r = r?;
        Ok(self.ret1(base, r.short()))
    }
}
