//! Natives of `javacard.framework.Applet`: registration and the selection state.

use super::*;

impl<N: Nvm> Card<N> {
    #[inline(always)]
    pub(super) fn native_applet(&mut self, n: Native, base: usize) -> Result<usize, Exc> {
        use Native::*;
        let a = |i: usize| self.stack.get(base + i).copied().unwrap_or(0);
        let (a0, a1, a2, a3) = (a(0), a(1), a(2), a(3));
        match n {
            AppletRegister => {
                let aid = match &self.installing {
                    Some((aid, _)) => aid.clone(),
                    None => return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_AID)),
                };
                self.register_applet(a0 as Ref, &aid)?;
                Ok(0)
            }
            AppletRegisterAid => {
                let o = self.byte_range(a1 as Ref, a2, i16::from(a3 as i8))?;
                if !(5..=16).contains(&(a3 as i8)) {
                    return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_VALUE));
                }
                let aid = self.store.data(&o)[a2 as usize..(a2 + a3) as usize].to_vec();
                if self.installing.is_none() {
                    return Err(self.cre(tok::SYSTEM_EXCEPTION, reason::SYS_ILLEGAL_AID));
                }
                self.register_applet(a0 as Ref, &aid)?;
                Ok(0)
            }
            AppletSelectingApplet => Ok(self.bool_ret(base, self.selecting)),
            AppletReSelecting => Ok(self.bool_ret(base, self.reselecting)),
            AppletDeselect => Ok(0),
            AppletSelect => Ok(self.bool_ret(base, true)),
            AppletGetShareable => Ok(self.ret1(base, 0)),
            AppletInstall => Err(self.cre(tok::ISO_EXCEPTION, reason::ISO_FUNC_NOT_SUPPORTED)),
            _ => Err(Exc::Fault(NOT_THIS_CLASS)),
        }
    }
}
