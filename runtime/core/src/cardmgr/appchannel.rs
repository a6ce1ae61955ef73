//! `org.globalplatform.SecureChannel` for applications: the ISD, their
//! security domain, runs the channel with its own session code and key
//! sets. An applet forwards INITIALIZE UPDATE and EXTERNAL AUTHENTICATE
//! (`processSecurity`) and then unwraps its commands and wraps its
//! responses; the channel belongs to the logical channel it was opened on
//! and ends as the ISD's does (SELECT, reset, a security error).

use alloc::vec::Vec;

use super::{scp03, SecureSession};
use crate::apdu::{Command, Response};
use crate::card::Card;
use crate::nvm::Nvm;

/// `SecureChannel.AUTHENTICATED`, added to the channel's level by
/// `getSecurityLevel`.
pub const AUTHENTICATED: u8 = 0x80;

/// Why an application's secure channel operation failed: the status word
/// of the ISOException it throws.
pub type Sw = u16;

impl<N: Nvm> Card<N> {
    /// `processSecurity`: INITIALIZE UPDATE or EXTERNAL AUTHENTICATE on the
    /// current logical channel, answered by the ISD; other commands 6D00.
    pub(crate) fn app_process_security(&mut self, cmd: &Command) -> Response {
        let ch = self.channel;
        match cmd.ins() {
            0x50 if cmd.cla() & 0x04 == 0 => self.initialize_update(ch, cmd),
            0x82 => self.external_authenticate(ch, cmd),
            _ => Response::sw(super::SW_INS),
        }
    }

    /// `getSecurityLevel`: the channel's level with AUTHENTICATED, or 0.
    pub(crate) fn app_security_level(&self) -> u8 {
        self.cardmgr
            .level(self.channel)
            .map_or(0, |l| l | AUTHENTICATED)
    }

    /// `resetSecurity`.
    pub(crate) fn app_reset_security(&mut self) {
        self.cardmgr.close_session_on(self.channel);
    }

    /// `unwrap`: at a level with C-MAC, a command's secure messaging (CLA
    /// bit 3) checked and stripped, and a command without it refused; a
    /// failure ends the channel (6982). With no channel open, or one at
    /// AUTHENTICATED only, nothing is done (`None`), as the GP API says.
    pub(crate) fn app_unwrap(&mut self, cmd: &Command) -> Result<Option<Command>, Sw> {
        let ch = self.channel;
        let level = self.cardmgr.level(ch).unwrap_or(0);
        if level & scp03::C_MAC == 0 {
            return Ok(None);
        }
        let unwrapped = match self.cardmgr.secure.as_mut() {
            Some(sc) if cmd.cla() & 0x04 != 0 => sc.session.unwrap(cmd).ok(),
            _ => None,
        };
        match unwrapped {
            Some(c) => Ok(Some(c)),
            None => {
                self.cardmgr.close_session();
                Err(super::SW_SECURITY)
            }
        }
    }

    /// `wrap`: response data and its status word, with R-MAC (and
    /// R-ENCRYPTION) when the channel's level asks for them (SCP03); the
    /// result leaves the status word out. `None` when the level asks for
    /// neither.
    pub(crate) fn app_wrap(&mut self, data: &[u8], sw: u16) -> Result<Option<Vec<u8>>, Sw> {
        let ch = self.channel;
        let Some(sc) = self.cardmgr.secure.as_mut().filter(|s| s.channel == ch) else {
            return Ok(None);
        };
        let SecureSession::Scp03(session) = &mut sc.session else {
            return Ok(None);
        };
        if session.level.unwrap_or(0) & scp03::R_MAC == 0 {
            return Ok(None);
        }
        match session.wrap(data, sw) {
            Ok(mut bytes) => {
                bytes.truncate(bytes.len().saturating_sub(2));
                Ok(Some(bytes))
            }
            Err(_) => {
                self.cardmgr.close_session();
                Err(super::SW_SECURITY)
            }
        }
    }

    /// `decryptData` / `encryptData`: whole blocks under the channel's key
    /// encryption key (SCP03: AES-CBC under the static DEK; SCP02: 3DES-ECB
    /// under the DEK session key), as PUT KEY's key data. Needs an open
    /// (authenticated) channel, else 6982; a partial block is 6700.
    pub(crate) fn app_crypt(&mut self, data: &mut [u8], encrypt: bool) -> Result<(), Sw> {
        let ch = self.channel;
        let Some(sc) = self
            .cardmgr
            .secure
            .as_ref()
            .filter(|s| s.channel == ch && s.session.level().is_some())
        else {
            return Err(super::SW_SECURITY);
        };
        let block = match sc.session {
            SecureSession::Scp03(_) => 16,
            SecureSession::Scp02(_) => 8,
        };
        if !data.len().is_multiple_of(block) {
            return Err(super::SW_WRONG_LENGTH);
        }
        let Some((_, ks)) = self.cardmgr.key_set(sc.kvn) else {
            return Err(super::SW_CONDITIONS);
        };
        let done = if encrypt {
            sc.session.encrypt_key(&ks.keys.dek, data)
        } else {
            sc.session.decrypt_key(&ks.keys.dek, data)
        };
        done.map_err(|_| super::SW_WRONG_LENGTH)
    }
}
