//! Natives of `java.lang.Object` and the exception classes (`Throwable`,
//! `CardException`, `CardRuntimeException` and their `throwIt`).

use super::*;

impl<N: Nvm> Card<N> {
    #[inline(always)]
    pub(super) fn native_lang(&mut self, n: Native, base: usize) -> Result<usize, Exc> {
        use Native::*;
        let a = |i: usize| self.stack.get(base + i).copied().unwrap_or(0);
        let (a0, a1) = (a(0), a(1));
        match n {
            ObjectInit | UserExceptionInit => Ok(0),
            ObjectEquals => Ok(self.bool_ret(base, a0 == a1)),
            ExceptionInit => {
                self.set_cell(a0 as Ref, 0, a1)?;
                Ok(0)
            }
            ThrowIt(t) => Err(self.cre(t, a0 as u16)),
            GetReason => Ok(self.ret1(base, self.cell(a0 as Ref, 0))),
            SetReason => {
                self.set_cell(a0 as Ref, 0, a1)?;
                Ok(0)
            }
            _ => Err(Exc::Fault(NOT_THIS_CLASS)),
        }
    }
}
