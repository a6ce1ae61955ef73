//! What the card manager tells about the card: card recognition data, CPLC,
//! and GET STATUS over the registry (GP 2.3.1 §11.4, tag E3 format and the
//! legacy format), with paging.

use alloc::vec::Vec;

use super::{tlv, SW_INCORRECT_P1P2, SW_MORE, SW_NOT_FOUND, SW_OK, SW_WRONG_DATA};
use crate::apdu::{Command, Response};
use crate::card::Card;
use crate::nvm::Nvm;

/// Privileges of the ISD: Security Domain, Card Lock, Card Terminate, Card
/// Reset, CVM Management; Trusted Path, Authorized Management, Token
/// Verification, Global Delete, Global Lock, Global Registry, Final
/// Application; Receipt Generation.
pub const ISD_PRIVILEGES: [u8; 3] = [0x9E, 0xFE, 0x80];

/// Executable load file life cycle LOADED.
const ELF_LOADED: u8 = 0x01;

/// Response data per GET STATUS answer: room under 256 bytes for an R-MAC
/// and the padding of R-ENCRYPTION.
const PAGE: usize = 224;

/// The OID prefix {iso(1) member-body(2) us(840) 114283} of GlobalPlatform.
const GP_OID: [u8; 6] = [0x2A, 0x86, 0x48, 0x86, 0xFC, 0x6B];

/// Card recognition data (GP 2.3.1 §H.2), the value of tag 73: GP's OID,
/// card management GP 2.3.1, the card identification scheme, and one
/// secure channel protocol entry (tag 64) per protocol the key sets offer,
/// given as (SCP, i).
pub fn card_recognition_data(protocols: &[(u8, u8)]) -> Vec<u8> {
    let oid = |tail: &[u8]| {
        let mut v = GP_OID.to_vec();
        v.extend_from_slice(tail);
        v
    };
    let wrapped = |tag: u16, tail: &[u8]| {
        let mut inner = Vec::new();
        tlv::put(&mut inner, 0x06, &oid(tail));
        let mut v = Vec::new();
        tlv::put(&mut v, tag, &inner);
        v
    };
    let mut v = Vec::new();
    tlv::put(&mut v, 0x06, &oid(&[0x01]));
    v.extend(wrapped(0x60, &[0x02, 0x02, 0x03, 0x01]));
    v.extend(wrapped(0x63, &[0x03]));
    for &(scp, i) in protocols {
        v.extend(wrapped(0x64, &[0x04, scp, i]));
    }
    v
}

/// Card production life cycle data (GET DATA 9F7F), 42 bytes: IC
/// fabricator, IC type, OS identifier, OS release date and level, then
/// fabrication, serial and personalisation fields (zero: an emulated chip).
pub fn cplc() -> [u8; 42] {
    let mut c = [0u8; 42];
    // OS identifier "HY", release date 6335 (2026, day 335), level 0001.
    c[4..10].copy_from_slice(&[b'H', b'Y', 0x63, 0x35, 0x00, 0x01]);
    // IC serial number.
    c[12..16].copy_from_slice(&[0x00, 0x00, 0x00, 0x01]);
    c
}

/// GET STATUS entries still to send.
#[derive(Debug, Clone)]
pub struct Pending {
    entries: Vec<Vec<u8>>,
}

/// Which part of the registry a GET STATUS names (P1).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Subset {
    Isd,
    Applications,
    LoadFiles,
    LoadFilesAndModules,
}

impl<N: Nvm> Card<N> {
    /// GET STATUS (`80 F2 P1 P2 Lc 4F len AID-prefix`): the entries of the
    /// subset P1 names whose AID starts with the prefix; P2 bit 2 is the E3
    /// format (else legacy), P2 bit 1 asks for the next page after 6310.
    pub(crate) fn get_status(&mut self, cmd: &Command) -> Response {
        let tlv_format = cmd.p2() & 0x02 != 0;
        if cmd.p2() & !0x03 != 0 {
            return Response::sw(SW_INCORRECT_P1P2);
        }
        if cmd.p2() & 0x01 != 0 {
            return match self.cardmgr.pending_status.take() {
                Some(p) => self.status_page(p.entries),
                None => Response::sw(SW_NOT_FOUND),
            };
        }
        let subset = match cmd.p1() {
            0x80 => Subset::Isd,
            0x40 => Subset::Applications,
            0x20 => Subset::LoadFiles,
            0x10 => Subset::LoadFilesAndModules,
            _ => return Response::sw(SW_INCORRECT_P1P2),
        };
        let Some(prefix) = search_aid(&cmd.data) else {
            return Response::sw(SW_WRONG_DATA);
        };
        let entries = self.status_entries(subset, prefix, tlv_format);
        if entries.is_empty() {
            return Response::sw(SW_NOT_FOUND);
        }
        self.status_page(entries)
    }

    /// Sends the entries that fit; keeps the rest for P2 = 03.
    fn status_page(&mut self, mut entries: Vec<Vec<u8>>) -> Response {
        let mut data = Vec::new();
        let mut n = 0;
        while n < entries.len() && (n == 0 || data.len() + entries[n].len() <= PAGE) {
            data.extend_from_slice(&entries[n]);
            n += 1;
        }
        let rest = entries.split_off(n);
        let sw = if rest.is_empty() {
            SW_OK
        } else {
            self.cardmgr.pending_status = Some(Pending { entries: rest });
            SW_MORE
        };
        Response { data, sw }
    }

    fn status_entries(&self, subset: Subset, prefix: &[u8], tlv_format: bool) -> Vec<Vec<u8>> {
        let isd = &self.cardmgr.isd_aid;
        let matches = |aid: &[u8]| aid.starts_with(prefix);
        let mut out = Vec::new();
        match subset {
            Subset::Isd => {
                if matches(isd) {
                    let mut privileges = ISD_PRIVILEGES;
                    privileges[0] |= self.cardmgr.dap_privileges();
                    out.push(entry(
                        tlv_format,
                        isd,
                        self.cardmgr.life_cycle,
                        Some(&privileges),
                        |e| tlv::put(e, 0xCC, isd),
                    ));
                }
            }
            Subset::Applications => {
                for a in self.registry.applets.iter().filter(|a| matches(&a.aid)) {
                    let pkg = self
                        .packages
                        .get(usize::from(a.pkg))
                        .map(|p| p.aid.as_slice());
                    out.push(entry(
                        tlv_format,
                        &a.aid,
                        a.life_cycle,
                        Some(&a.privileges),
                        |e| {
                            if let Some(p) = pkg {
                                tlv::put(e, 0xC4, p);
                            }
                            tlv::put(e, 0xCC, isd);
                        },
                    ));
                }
            }
            Subset::LoadFiles | Subset::LoadFilesAndModules => {
                for p in self
                    .packages
                    .iter()
                    .filter(|p| !p.deleted && matches(&p.aid))
                {
                    out.push(entry(tlv_format, &p.aid, ELF_LOADED, None, |e| {
                        tlv::put(e, 0xCE, &[p.major, p.minor]);
                        if subset == Subset::LoadFilesAndModules {
                            for (class_aid, _) in &p.applets {
                                tlv::put(e, 0x84, class_aid);
                            }
                        }
                        tlv::put(e, 0xCC, isd);
                    }));
                }
            }
        }
        out
    }
}

/// The AID prefix of the search criteria `4F len prefix` (other tags, such
/// as a tag list 5C, are allowed and ignored); `None` when malformed.
fn search_aid(data: &[u8]) -> Option<&[u8]> {
    let mut rest = data;
    let mut aid: &[u8] = &[];
    while !rest.is_empty() {
        let (tag, value, r) = tlv::next(rest)?;
        if tag == 0x4F {
            aid = value;
        }
        rest = r;
    }
    Some(aid)
}

/// One registry entry: `E3 { 4F aid, 9F70 life cycle, [C5 privileges], more }`
/// or, in the legacy format, `len aid life-cycle privileges(1)`.
fn entry(
    tlv_format: bool,
    aid: &[u8],
    life_cycle: u8,
    privileges: Option<&[u8; 3]>,
    more: impl FnOnce(&mut Vec<u8>),
) -> Vec<u8> {
    if !tlv_format {
        let mut v = alloc::vec![aid.len() as u8];
        v.extend_from_slice(aid);
        v.push(life_cycle);
        v.push(privileges.map_or(0, |p| p[0]));
        return v;
    }
    let mut inner = Vec::new();
    tlv::put(&mut inner, 0x4F, aid);
    tlv::put(&mut inner, 0x9F70, &[life_cycle]);
    if let Some(p) = privileges {
        tlv::put(&mut inner, 0xC5, p);
    }
    more(&mut inner);
    let mut v = Vec::new();
    tlv::put(&mut v, 0xE3, &inner);
    v
}
