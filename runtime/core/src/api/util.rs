//! Natives of `javacard.framework.Util`: array copy, fill and compare, shorts in byte arrays.

use super::*;

impl<N: Nvm> Card<N> {
    #[inline(always)]
    pub(super) fn native_util(&mut self, n: Native, base: usize) -> Result<usize, Exc> {
        use Native::*;
        let a = |i: usize| self.stack.get(base + i).copied().unwrap_or(0);
        let (a0, a1, a2, a3, a4) = (a(0), a(1), a(2), a(3), a(4));
        match n {
            ArrayCopy | ArrayCopyNonAtomic => {
                let (src, soff, dst, doff, len) = (a0 as Ref, a1, a2 as Ref, a3, a4);
                if src == NULL || dst == NULL {
                    return Err(self.npe());
                }
                let so = self.byte_range(src, soff, len)?;
                let d = self.byte_range(dst, doff, len)?;
                let bytes = self.store.data(&so)[soff as usize..(soff + len) as usize].to_vec();
                self.write_array(&d, doff as u32, &bytes, n == ArrayCopy)?;
                Ok(self.ret1(base, doff.wrapping_add(len)))
            }
            ArrayFill | ArrayFillNonAtomic => {
                let (arr, off, len, v) = (a0 as Ref, a1, a2, a3 as u8);
                if arr == NULL {
                    return Err(self.npe());
                }
                let o = self.byte_range(arr, off, len)?;
                let bytes = alloc::vec![v; len as usize];
                self.write_array(&o, off as u32, &bytes, n == ArrayFill)?;
                Ok(self.ret1(base, off.wrapping_add(len)))
            }
            ArrayCompare => {
                let (src, soff, dst, doff, len) = (a0 as Ref, a1, a2 as Ref, a3, a4);
                if src == NULL || dst == NULL {
                    return Err(self.npe());
                }
                let so = self.byte_range(src, soff, len)?;
                let d = self.byte_range(dst, doff, len)?;
                let x = &self.store.data(&so)[soff as usize..(soff + len) as usize];
                let y = &self.store.data(&d)[doff as usize..(doff + len) as usize];
                let mut r = 0i16;
                for (p, q) in x.iter().zip(y) {
                    let (p, q) = (*p as i8, *q as i8);
                    if p != q {
                        r = if p < q { -1 } else { 1 };
                        break;
                    }
                }
                Ok(self.ret1(base, r))
            }
            GetShort => {
                let o = self.byte_range(a0 as Ref, a1, 2)?;
                let d = self.store.data(&o);
                let v = i16::from_be_bytes([d[a1 as usize], d[a1 as usize + 1]]);
                Ok(self.ret1(base, v))
            }
            MakeShort => Ok(self.ret1(base, ((a0 as u16 & 0xFF) << 8 | (a1 as u16 & 0xFF)) as i16)),
            SetShort => {
                let o = self.byte_range(a0 as Ref, a1, 2)?;
                self.write_array(&o, a1 as u32, &a2.to_be_bytes(), true)?;
                Ok(self.ret1(base, a1.wrapping_add(2)))
            }
            _ => Err(Exc::Fault(NOT_THIS_CLASS)),
        }
    }
}
