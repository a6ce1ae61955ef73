//! Natives of `javacard.framework.AID`.

use super::*;

impl<N: Nvm> Card<N> {
    #[inline(always)]
    pub(super) fn native_aid(&mut self, n: Native, base: usize) -> Result<usize, Exc> {
        use Native::*;
        let a = |i: usize| self.stack.get(base + i).copied().unwrap_or(0);
        let (a0, a1, a2, a3, a4) = (a(0), a(1), a(2), a(3), a(4));
        match n {
            AidInit => {
                let len = a3 as i8;
                let o = self.byte_range(a1 as Ref, a2, i16::from(len))?;
                if !(5..=16).contains(&len) {
                    return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_VALUE));
                }
                let bytes = self.store.data(&o)[a2 as usize..(a2 as usize + len as usize)].to_vec();
                let arr = self.new_array(K_BYTE, NO_CLASS, len as u16, 0)?;
                let ao = *self.store.obj(arr).ok_or_else(|| self.npe())?;
                self.store.write(&ao, 0, &bytes, false)?;
                self.set_cell(a0 as Ref, 0, arr as i16)?;
                Ok(0)
            }
            AidEqualsObject => {
                let other = a1 as Ref;
                let c = self.api_class(FW, tok::AID);
                let is_aid = self
                    .store
                    .obj(other)
                    .is_some_and(|o| !o.is_array() && self.is_subclass_of(o.class, c));
                let eq = is_aid && self.aid_bytes(a0 as Ref)? == self.aid_bytes(other)?;
                Ok(self.bool_ret(base, eq))
            }
            AidRidEquals => {
                if a1 == 0 {
                    return Err(self.npe());
                }
                let x = self.aid_bytes(a0 as Ref)?;
                let y = self.aid_bytes(a1 as Ref)?;
                Ok(self.bool_ret(base, x.len() >= 5 && y.len() >= 5 && x[..5] == y[..5]))
            }
            AidEquals | AidPartialEquals => {
                let len = a3 as i8;
                if a1 == 0 {
                    return Ok(self.bool_ret(base, false));
                }
                let o = self.byte_range(a1 as Ref, a2, i16::from(len).max(0))?;
                let other =
                    self.store.data(&o)[a2 as usize..(a2 as usize + len.max(0) as usize)].to_vec();
                let mine = self.aid_bytes(a0 as Ref)?;
                let eq = if n == AidEquals {
                    mine == other
                } else {
                    other.len() <= mine.len() && mine[..other.len()] == other[..]
                };
                Ok(self.bool_ret(base, eq))
            }
            AidGetBytes => {
                let mine = self.aid_bytes(a0 as Ref)?;
                let o = self.byte_range(a1 as Ref, a2, mine.len() as i16)?;
                self.write_array(&o, a2 as u32, &mine, true)?;
                Ok(self.ret1(base, mine.len() as i16))
            }
            AidGetPartialBytes => {
                // (this, short aidOffset, byte[] dest, short oOffset, byte oLength)
                let mine = self.aid_bytes(a0 as Ref)?;
                let (aoff, dest, doff, len) = (a1, a2 as Ref, a3, a4 as i8);
                if aoff < 0 || aoff as usize > mine.len() {
                    return Err(self.vm_exc(tok::ARRAY_INDEX_OOB));
                }
                let avail = mine.len() - aoff as usize;
                let n = if len == 0 {
                    avail
                } else {
                    (len.max(0) as usize).min(avail)
                };
                let o = self.byte_range(dest, doff, n as i16)?;
                let bytes = mine[aoff as usize..aoff as usize + n].to_vec();
                self.write_array(&o, doff as u32, &bytes, true)?;
                Ok(self.ret1(base, n as i16))
            }
            _ => Err(Exc::Fault(NOT_THIS_CLASS)),
        }
    }
}
