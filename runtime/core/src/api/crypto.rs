//! Natives of `javacard.security`: `CryptoException`, `MessageDigest`,
//! `RandomData` (the other engines go through `crypto_native`).

use super::*;

impl<N: Nvm> Card<N> {
    #[inline(always)]
    pub(super) fn native_crypto(&mut self, n: Native, base: usize) -> Result<usize, Exc> {
        use Native::*;
        let a = |i: usize| self.stack.get(base + i).copied().unwrap_or(0);
        let (a0, a1, a2, a3, a4) = (a(0), a(1), a(2), a(3), a(4));
        match n {
            CryptoThrowIt => Err(self.crypto_exc(a0 as u16)),
            DigestGetInstance => {
                let r = self.digest_get_instance(a0 as u8, a1 != 0)?;
                Ok(self.ret1(base, r as i16))
            }
            DigestUpdate => {
                self.digest_update(a0 as Ref, a1 as Ref, a2, a3)?;
                Ok(0)
            }
            DigestDoFinal => {
                let n = self.digest_do_final(a0 as Ref, (a1 as Ref, a2, a3), (a4 as Ref, a(5)))?;
                Ok(self.ret1(base, n))
            }
            DigestGetAlgorithm | RandomGetAlgorithm => {
                self.engine(a0 as Ref)?;
                Ok(self.ret1(base, i16::from(self.engine_alg(a0 as Ref) as i8)))
            }
            DigestGetLength => {
                let n = self.digest_length(a0 as Ref)?;
                Ok(self.ret1(base, n))
            }
            DigestReset => {
                self.digest_reset(a0 as Ref)?;
                Ok(0)
            }
            RandomGetInstance => {
                let r = self.random_get_instance(a0 as u8)?;
                Ok(self.ret1(base, r as i16))
            }
            RandomGenerateData => {
                self.random_generate(a0 as Ref, a1 as Ref, a2, a3)?;
                Ok(0)
            }
            RandomNextBytes => {
                self.random_generate(a0 as Ref, a1 as Ref, a2, a3)?;
                Ok(self.ret1(base, a2.wrapping_add(a3)))
            }
            RandomSetSeed => {
                self.random_set_seed(a0 as Ref, a1 as Ref, a2, a3)?;
                Ok(0)
            }
            _ => Err(Exc::Fault(NOT_THIS_CLASS)),
        }
    }
}
