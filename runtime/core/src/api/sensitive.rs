//! Natives of `javacard.framework.SensitiveArrays` and the
//! integrity-sensitive arrays of `JCSystem`, which this card does not
//! support.

use super::*;

impl<N: Nvm> Card<N> {
    #[inline(always)]
    pub(super) fn native_sensitive_arrays(&mut self, n: Native, base: usize) -> Result<usize, Exc> {
        use Native::*;
        let a = |i: usize| self.stack.get(base + i).copied().unwrap_or(0);
        let a0 = a(0);
        match n {
            IsIntegritySensitiveArraysSupported => Ok(self.bool_ret(base, false)),
            IsIntegritySensitive => {
                if a0 == 0 {
                    return Err(self.npe());
                }
                Ok(self.bool_ret(base, false))
            }
            AssertIntegrity => {
                if a0 == 0 {
                    return Err(self.npe());
                }
                Ok(0)
            }
            MakeIntegritySensitiveArray | ClearArray => {
                Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_USE))
            }
            _ => Err(Exc::Fault(NOT_THIS_CLASS)),
        }
    }
}
