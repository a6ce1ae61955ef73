//! Natives of `org.globalplatform.GPSystem`: the card's and the
//! application's life-cycle states.

use super::*;

impl<N: Nvm> Card<N> {
    #[inline(always)]
    pub(super) fn native_gpsystem(&mut self, n: Native, base: usize) -> Result<usize, Exc> {
        use Native::*;
        let a = |i: usize| self.stack.get(base + i).copied().unwrap_or(0);
        let a0 = a(0);
        match n {
            GpGetCardState => Ok(self.ret1(base, i16::from(self.cardmgr.life_cycle as i8))),
            GpGetCardContentState => {
                let lc = self
                    .applet_of_context(self.ctx)
                    .map_or(0, |i| self.registry.applets[i].life_cycle);
                Ok(self.ret1(base, i16::from(lc as i8)))
            }
            GpSetCardContentState => {
                let ok = match self.applet_of_context(self.ctx) {
                    Some(i) => self.set_application_specific_state(i, a0 as u8)?,
                    None => false,
                };
                Ok(self.bool_ret(base, ok))
            }
            _ => Err(Exc::Fault(NOT_THIS_CLASS)),
        }
    }
}
