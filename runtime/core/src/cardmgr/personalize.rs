//! Personalization through the ISD (GP 2.3.1 §11.5.2.3 INSTALL [for
//! personalization], §11.11 STORE DATA): after INSTALL [for
//! personalization] names an application, every STORE DATA of the same
//! secure channel is unwrapped by the ISD and handed to the application's
//! `org.globalplatform.Application.processData`, in the application's
//! context, with the APDU buffer holding the command as the application
//! would have received it (`CLA INS P1 P2 Lc data`, offset 0).
//!
//! The session ends with the secure channel (SELECT, reset, a new
//! INITIALIZE UPDATE) and at the next INSTALL.

use alloc::vec::Vec;

use super::content::fields;
use super::{SW_CONDITIONS, SW_NOT_FOUND, SW_OK, SW_WRONG_DATA};
use crate::apdu::{Command, Response};
use crate::api_tables::{tok, GP};
use crate::card::Card;
use crate::class::NO_CLASS;
use crate::nvm::Nvm;
use crate::registry::{LC_INSTALLED, LC_LOCKED_BIT};

impl<N: Nvm> Card<N> {
    /// INSTALL [for personalization]: `00 | 00 | La application AID | 00 |
    /// 00 | 00` (the other fields are empty).
    pub(crate) fn install_for_personalization(&mut self, data: &[u8]) -> Response {
        self.cardmgr.personalizing = None;
        let Some([_, _, aid, _, _, _]) = fields::<6>(data) else {
            return Response::sw(SW_WRONG_DATA);
        };
        let Some(i) = self.registry.find_exact(aid) else {
            return Response::sw(SW_NOT_FOUND);
        };
        let a = &self.registry.applets[i];
        if a.life_cycle & LC_LOCKED_BIT != 0
            || a.life_cycle & LC_INSTALLED != LC_INSTALLED
            || self.process_data_method(a.instance).is_none()
        {
            return Response::sw(SW_CONDITIONS);
        }
        self.cardmgr.personalizing = Some(aid.to_vec());
        Response {
            data: alloc::vec![0x00],
            sw: SW_OK,
        }
    }

    /// `Application.processData` of the applet instance, if its class
    /// implements `org.globalplatform.Application`.
    fn process_data_method(&self, instance: crate::heap::Ref) -> Option<u16> {
        let class = self.store.obj(instance).map_or(NO_CLASS, |o| o.class);
        let app = self.api_class(GP, tok::GP_APPLICATION);
        self.interface_method(class, app, 0)
    }

    /// STORE DATA (`80 E2 P1 P2 Lc data`, already unwrapped): forwarded to
    /// the application being personalized.
    pub(crate) fn store_data(&mut self, cmd: &Command) -> Response {
        // Data for the ISD itself (no session): none is defined on this
        // card. By AID, not registry index: a DELETE in between renumbers
        // the registry, and a deleted application gets nothing.
        let found = self
            .cardmgr
            .personalizing
            .as_deref()
            .and_then(|aid| self.registry.find_exact(aid));
        let Some((i, a)) = found.and_then(|i| Some((i, self.registry.applets.get(i)?))) else {
            self.cardmgr.personalizing = None;
            return Response::sw(SW_CONDITIONS);
        };
        if a.life_cycle & LC_LOCKED_BIT != 0 {
            return Response::sw(SW_CONDITIONS);
        }
        let (pkg, instance) = (a.pkg, a.instance);
        let (Some(m), Ok(lc)) = (
            self.process_data_method(instance),
            u8::try_from(cmd.data.len()),
        ) else {
            return Response::sw(SW_WRONG_DATA);
        };
        let mut apdu = Vec::with_capacity(5 + cmd.data.len());
        apdu.extend_from_slice(&cmd.header);
        apdu.push(lc);
        apdu.extend_from_slice(&cmd.data);
        let buffer = self.jcre.buffer;
        let Some(o) = self.store.obj(buffer).copied() else {
            return Response::sw(crate::jcre::SW_UNKNOWN);
        };
        if self.store.write(&o, 0, &apdu, false).is_err() {
            return Response::sw(crate::jcre::SW_UNKNOWN);
        }
        self.active_applet = Some(i);
        let args = [instance as i16, buffer as i16, 0, apdu.len() as i16];
        let r = self.applet_call(pkg, m, &args);
        self.active_applet = None;
        match r {
            Ok(_) => Response::sw(SW_OK),
            Err(e) => {
                self.last_uncaught = Some(alloc::format!("uncaught {}", self.describe(&e)));
                Response::sw(self.sw_of(&e))
            }
        }
    }
}
