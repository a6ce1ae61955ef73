//! SET STATUS (GP 2.3.1 §11.10, §5.1): the card's life cycle and the
//! locking of applications.
//!
//! ```text
//! OP_READY 01 -> INITIALIZED 07 -> SECURED 0F <-> CARD_LOCKED 7F
//!        any state -> TERMINATED FF (irreversible)
//! ```
//!
//! A locked or terminated card selects no application; a terminated card
//! answers GET DATA and nothing else.

use super::{
    CARD_INITIALIZED, CARD_LOCKED, CARD_OP_READY, CARD_SECURED, CARD_TERMINATED, R_LIFE_CYCLE,
    SW_CONDITIONS, SW_INCORRECT_P1P2, SW_NOT_FOUND, SW_OK, SW_WRONG_DATA,
};
use crate::apdu::{Command, Response};
use crate::card::Card;
use crate::nvm::Nvm;

use crate::registry::LC_LOCKED_BIT as APP_LOCKED_BIT;

/// May the card go from `from` to `to`?
fn card_transition(from: u8, to: u8) -> bool {
    matches!(
        (from, to),
        (CARD_OP_READY, CARD_INITIALIZED)
            | (CARD_OP_READY | CARD_INITIALIZED, CARD_SECURED)
            | (CARD_SECURED, CARD_LOCKED)
            | (CARD_LOCKED, CARD_SECURED)
            | (_, CARD_TERMINATED)
    ) && from != CARD_TERMINATED
}

impl<N: Nvm> Card<N> {
    /// Does the card's life cycle let applications be selected?
    pub(crate) fn applications_available(&self) -> bool {
        !matches!(self.cardmgr.life_cycle, CARD_LOCKED | CARD_TERMINATED)
    }

    /// SET STATUS (`80 F0 P1 P2 [4F? AID]`): P1 80 the card (P2 the new
    /// state), P1 40 an application (P2 bit 8 locks, clear unlocks).
    pub(crate) fn set_status(&mut self, cmd: &Command) -> Response {
        match cmd.p1() {
            0x80 => self.set_card_state(cmd.p2()),
            0x40 => self.set_app_state(&cmd.data, cmd.p2()),
            _ => Response::sw(SW_INCORRECT_P1P2),
        }
    }

    /// Moves the card to `to` if the life cycle allows it (`false` if
    /// not); selections are the caller's business.
    pub(crate) fn write_card_state(&mut self, to: u8) -> crate::error::Result<bool> {
        if !card_transition(self.cardmgr.life_cycle, to) {
            return Ok(false);
        }
        let at = self.cardmgr.record + R_LIFE_CYCLE;
        self.store.write_nvm(at, &[to], true)?;
        self.cardmgr.life_cycle = to;
        Ok(true)
    }

    fn set_card_state(&mut self, to: u8) -> Response {
        match self.write_card_state(to) {
            Ok(true) => {}
            Ok(false) => return Response::sw(SW_CONDITIONS),
            Err(_) => return Response::sw(crate::jcre::SW_UNKNOWN),
        }
        if !self.applications_available() {
            // Applications selected elsewhere lose their channels' selection.
            for ch in 0..crate::registry::CHANNELS {
                if self.registry.selected[ch].is_some() {
                    self.deselect_channel(ch);
                }
            }
        }
        Response::sw(SW_OK)
    }

    fn set_app_state(&mut self, aid: &[u8], p2: u8) -> Response {
        if !(5..=16).contains(&aid.len()) {
            return Response::sw(SW_WRONG_DATA);
        }
        let Some(i) = self.registry.find_exact(aid) else {
            return Response::sw(SW_NOT_FOUND);
        };
        let lc = self.registry.applets[i].life_cycle;
        let new = if p2 & APP_LOCKED_BIT != 0 {
            lc | APP_LOCKED_BIT
        } else if lc & APP_LOCKED_BIT != 0 {
            lc & !APP_LOCKED_BIT
        } else {
            return Response::sw(SW_CONDITIONS);
        };
        if new & APP_LOCKED_BIT != 0 && self.registry.is_active(i) {
            // A locked application is deselected where it is selected.
            for ch in 0..crate::registry::CHANNELS {
                if self.registry.selected[ch] == Some(i) {
                    self.deselect_channel(ch);
                }
            }
        }
        self.registry.applets[i].life_cycle = new;
        if self.save_meta().is_err() {
            return Response::sw(crate::jcre::SW_UNKNOWN);
        }
        Response::sw(SW_OK)
    }

    /// `GPSystem.setCardContentState(state)`: applet `i` moves itself to an
    /// application-specific state (GP 2.3.1 §5.3.1: bit 8 clear, bits 1-3
    /// set, so `SELECTABLE` is kept); `false` for any other value and for a
    /// locked or not yet selectable application.
    pub(crate) fn set_application_specific_state(
        &mut self,
        i: usize,
        state: u8,
    ) -> Result<bool, crate::interp::Exc> {
        let Some(lc) = self.registry.applets.get(i).map(|a| a.life_cycle) else {
            return Ok(false);
        };
        if !crate::registry::is_selectable(state) || !crate::registry::is_selectable(lc) {
            return Ok(false);
        }
        if lc != state {
            self.registry.applets[i].life_cycle = state;
            if let Err(f) = self.save_meta() {
                self.registry.applets[i].life_cycle = lc;
                return Err(crate::interp::Exc::Fault(f));
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_life_cycle_rules() {
        assert!(card_transition(CARD_OP_READY, CARD_INITIALIZED));
        assert!(card_transition(CARD_INITIALIZED, CARD_SECURED));
        assert!(card_transition(CARD_SECURED, CARD_LOCKED));
        assert!(card_transition(CARD_LOCKED, CARD_SECURED));
        assert!(card_transition(CARD_LOCKED, CARD_TERMINATED));
        assert!(!card_transition(CARD_SECURED, CARD_INITIALIZED));
        assert!(!card_transition(CARD_SECURED, CARD_OP_READY));
        assert!(!card_transition(CARD_TERMINATED, CARD_SECURED));
        assert!(!card_transition(CARD_TERMINATED, CARD_TERMINATED));
        assert!(!card_transition(CARD_OP_READY, CARD_LOCKED));
        assert!(!card_transition(CARD_SECURED, 0x55));
    }
}
