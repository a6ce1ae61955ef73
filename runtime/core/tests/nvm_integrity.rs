//! A damaged card image is refused at boot with the fault that names the
//! damaged structure, or (for bytes that no check covers: field values,
//! free space, counters) boots and answers; it never panics and is never
//! formatted again.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use hydra_runtime::cardmgr::RECORD_SIZE;
use hydra_runtime::heap::{self, rd_u32, HEADER_SIZE, SB_CARDMGR, SB_META, SUPERBLOCK_SIZE};
use hydra_runtime::{Card, Config, Fault, LoadError, RamNvm};

const SIZE: usize = 256 * 1024;
const PIN_APPLET: &[u8] = &[0xF0, 0x48, 0x59, 0x44, 0x52, 0x41, 0x08, 0x01];

fn boot(nvm: RamNvm) -> Result<Card<RamNvm>, LoadError> {
    Card::boot(nvm, Config::default())
}

/// A card with the PIN package loaded, an instance installed and one
/// wrong VERIFY counted, powered down.
fn populated() -> RamNvm {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../conformance/applets/pin/cap/pin.cap"
    );
    let cap = hydra_cap::container::read_path(std::path::Path::new(path))
        .unwrap()
        .cap;
    let mut card = boot(RamNvm::new(SIZE)).unwrap();
    card.load_package(&cap).unwrap();
    card.install(PIN_APPLET, None, &[], &[]).unwrap();
    assert_eq!(answers(&mut card), Some([0, 3, 0].to_vec()));
    let mut select = vec![0x00, 0xA4, 0x04, 0x00, 0x08];
    select.extend_from_slice(PIN_APPLET);
    assert_eq!(card.process(&select).sw, 0x9000);
    let r = card.process(&[0x80, 0x80, 0x00, 0x00, 0x04, 0x31, 0x32, 0x33, 0x35]);
    assert_eq!(r.data, [0, 2, 0]);
    card.power_down()
}

/// SELECT of the PIN applet and its STATUS data (`None` if the select
/// fails); the card manager must answer in any case.
fn answers(card: &mut Card<RamNvm>) -> Option<Vec<u8>> {
    let mut select = vec![0x00, 0xA4, 0x04, 0x00, 0x08];
    select.extend_from_slice(PIN_APPLET);
    let ok = card.process(&select).sw == 0x9000;
    let status = card.process(&[0x80, 0x81, 0x00, 0x00, 0x00]).data;
    assert_eq!(card.process(&[0x00, 0xA4, 0x04, 0x00, 0x00]).sw, 0x9000);
    ok.then_some(status)
}

/// What a damaged byte of a region must give.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// The named checksum (or, for the superblock's magic and version
    /// bytes, the not-a-card and version refusals).
    Superblock,
    Meta,
    Image,
    Record,
    Header(u16),
    /// A range check or a checksum of what the field names.
    Pointer,
    /// Anything: refused with an integrity fault, or booted and answering.
    Any,
}

fn integrity_fault(f: &Fault) -> bool {
    matches!(
        f,
        Fault::Checksum(_)
            | Fault::ObjectChecksum { .. }
            | Fault::PackageChecksum { .. }
            | Fault::Corrupt(_)
            | Fault::NvmFormat
            | Fault::NvmVersion { .. }
            | Fault::NvmSize { .. }
            | Fault::NvmRange { .. }
    )
}

/// `at`: the byte's NVM address; `offset`: its offset in the structure.
fn matches(e: Expect, f: &Fault, at: u32, offset: u32) -> bool {
    match e {
        Expect::Superblock => match at {
            0..=3 => *f == Fault::NvmFormat,
            4 | 5 => matches!(f, Fault::NvmVersion { .. }),
            _ => *f == Fault::Checksum("superblock"),
        },
        Expect::Meta => *f == Fault::Checksum("metadata blob"),
        // The AID is named unless the flipped byte is the tag, the AID or
        // its length.
        Expect::Image => matches!(f, Fault::PackageChecksum { slot: _, aid }
            if aid == "F0485944524108" || offset == 0 || (12..20).contains(&offset)),
        Expect::Record => matches!(
            f,
            Fault::Checksum("card manager record" | "card manager key set") | Fault::Corrupt(_)
        ),
        Expect::Header(h) => *f == Fault::ObjectChecksum { handle: h },
        Expect::Pointer | Expect::Any => integrity_fault(f),
    }
}

#[derive(Default, Debug)]
struct Tally {
    flipped: u32,
    detected: u32,
    booted: u32,
    panics: u32,
}

/// Flips every byte of `[start, start + len)` (XOR 0xFF) and reboots.
fn flip(base: &RamNvm, name: &str, start: u32, len: u32, e: Expect, t: &mut Tally) {
    let (detected, booted) = (t.detected, t.booted);
    flip_bytes(base, name, start, len, e, t);
    println!(
        "{name} at {start:#x}+{len}: {} detected, {} booted",
        t.detected - detected,
        t.booted - booted
    );
}

fn flip_bytes(base: &RamNvm, name: &str, start: u32, len: u32, e: Expect, t: &mut Tally) {
    for i in 0..len {
        let mut nvm = base.clone();
        nvm.data[(start + i) as usize] ^= 0xFF;
        t.flipped += 1;
        let r = catch_unwind(AssertUnwindSafe(|| match boot(nvm) {
            Ok(mut card) => {
                answers(&mut card);
                None
            }
            Err(LoadError::Fault(f)) => Some(Ok(f)),
            Err(other) => Some(Err(other.to_string())),
        }));
        match r {
            Err(_) => t.panics += 1,
            Ok(None) => {
                assert!(
                    matches!(e, Expect::Any | Expect::Record),
                    "{name} byte {i} (at {:#x}) changed unnoticed",
                    start + i
                );
                t.booted += 1;
            }
            Ok(Some(Ok(f))) => {
                assert!(matches(e, &f, start + i, i), "{name} byte {i}: {f}");
                let line = f.to_string();
                assert!(!line.contains('\n'), "{line}");
                t.detected += 1;
            }
            Ok(Some(Err(other))) => panic!("{name} byte {i}: not an integrity fault: {other}"),
        }
    }
}

#[test]
fn every_damaged_metadata_byte_is_found_and_other_bytes_boot() {
    let base = populated();
    let card = boot(base.clone()).unwrap();
    let b = &base.data;
    let meta = (rd_u32(b, SB_META).unwrap(), rd_u32(b, SB_META + 4).unwrap());
    let record = rd_u32(b, SB_CARDMGR).unwrap();
    let layout = card.store.layout;
    let pin = card
        .packages
        .iter()
        .find(|p| !p.deleted && p.image.1 != 0)
        .unwrap();
    let image = (pin.image.0, pin.image.1);
    let mut t = Tally::default();
    flip(&base, "superblock", 0, 20, Expect::Superblock, &mut t);
    flip(
        &base,
        "metadata pointer",
        SB_META,
        8,
        Expect::Pointer,
        &mut t,
    );
    flip(&base, "superblock", 28, 8, Expect::Superblock, &mut t);
    flip(
        &base,
        "card manager pointer",
        SB_CARDMGR,
        4,
        Expect::Pointer,
        &mut t,
    );
    flip(&base, "superblock", 40, 24, Expect::Superblock, &mut t);
    flip(&base, "metadata blob", meta.0, meta.1, Expect::Meta, &mut t);
    flip(&base, "load image", image.0, image.1, Expect::Image, &mut t);
    flip(
        &base,
        "card manager record",
        record,
        RECORD_SIZE,
        Expect::Record,
        &mut t,
    );
    let mut objects = 0;
    for (h, o) in card.store.objs.iter().enumerate() {
        if h == 0 || o.is_free() {
            continue;
        }
        let entry = layout.handles_start + 4 * h as u32;
        let at = rd_u32(b, entry).unwrap() & 0x00FF_FFFF;
        let e = Expect::Header(h as u16);
        flip(&base, "object header", at, HEADER_SIZE, e, &mut t);
        flip(&base, "handle entry", entry, 4, Expect::Pointer, &mut t);
        objects += 1;
    }
    let covered = t.flipped;
    println!("{objects} objects; covered structures: {t:?}");
    assert_eq!(t.panics, 0);
    // A sample of everything else: the log, the handle table, object
    // data, static images, free space.
    let mut rest = Tally::default();
    for at in (SUPERBLOCK_SIZE..SIZE as u32).step_by(89) {
        flip_bytes(&base, "image byte", at, 1, Expect::Any, &mut rest);
    }
    println!("sample of all bytes (every 89th): {rest:?}");
    assert_eq!(rest.panics, 0);
    assert!(covered > 1000 && rest.booted > 0);
}

/// Each whole-image failure has its own fault: another size, random
/// bytes, an image of layout version 3.
#[test]
fn whole_image_failures_are_told_apart() {
    let base = populated();
    let fault = |nvm: RamNvm| match boot(nvm) {
        Err(LoadError::Fault(f)) => f,
        Ok(_) => panic!("booted"),
        Err(e) => panic!("{e}"),
    };
    let mut bigger = RamNvm::new(SIZE * 2);
    bigger.data[..SIZE].copy_from_slice(&base.data);
    let mut truncated = RamNvm::new(SIZE - 4096);
    truncated.data.copy_from_slice(&base.data[..SIZE - 4096]);
    let mut random = RamNvm::new(SIZE);
    let mut x = 0x2545_F491u32;
    for b in random.data.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    let mut v3 = base.clone();
    v3.data[4..6].copy_from_slice(&3u16.to_be_bytes());
    let faults = [
        fault(bigger),
        fault(truncated),
        fault(random.clone()),
        fault(v3),
    ];
    assert_eq!(
        faults[0],
        Fault::NvmSize {
            found: SIZE as u32,
            expected: 2 * SIZE as u32
        }
    );
    assert!(matches!(faults[1], Fault::NvmSize { .. }));
    assert_eq!(faults[2], Fault::NvmFormat);
    assert_eq!(
        faults[3],
        Fault::NvmVersion {
            found: 3,
            expected: heap::LAYOUT_VERSION
        }
    );
    let lines: Vec<String> = faults.iter().map(|f| f.to_string()).collect();
    println!("{lines:#?}");
    assert!(lines[0].contains("another size") && lines[2].contains("not a card image"));
    // Refused before any write: nothing re-formats it.
    random.fail_at = Some(0);
    assert_eq!(fault(random), Fault::NvmFormat);
}

/// An image whose magic was lost but which holds a card (bytes after the
/// superblock) is refused, not formatted again.
#[test]
fn a_card_without_its_magic_is_not_formatted() {
    let mut nvm = populated();
    nvm.data[..4].fill(0);
    let mut probe = nvm.clone();
    probe.fail_at = Some(0);
    assert!(matches!(
        boot(probe),
        Err(LoadError::Fault(Fault::NvmFormat))
    ));
    assert!(matches!(boot(nvm), Err(LoadError::Fault(Fault::NvmFormat))));
}

/// A cut at every write of a new card's first boot (format, then the card
/// manager's record): the next boot gives a working card.
#[test]
fn the_first_boot_survives_a_cut_at_every_write() {
    let mut n = 0;
    loop {
        let mut nvm = RamNvm::new(SIZE);
        nvm.fail_at = Some(n);
        let (nvm, mirror) = Mirrored::new(nvm);
        let first = catch_unwind(AssertUnwindSafe(|| boot_mirrored(nvm)));
        match first {
            Err(_) => panic!("cut {n}: panic"),
            Ok(true) => break,
            Ok(false) => {
                let mut left = RamNvm::new(SIZE);
                left.data = mirror.borrow().clone();
                let mut card = boot(left).unwrap_or_else(|e| panic!("cut {n}: {e}"));
                let sw = card.process(&[0x00, 0xA4, 0x04, 0x00, 0x00]).sw;
                assert_eq!(sw, 0x9000, "cut {n}");
            }
        }
        n += 1;
    }
    println!("first boot: {n} writes, each cut survived");
    assert!(n >= 4, "{n} writes");
}

fn boot_mirrored(nvm: Mirrored) -> bool {
    Card::boot(nvm, Config::default()).is_ok()
}

/// An NVM that copies what every write leaves (a torn one too) into a
/// shared buffer, which outlives a boot that fails.
struct Mirrored {
    nvm: RamNvm,
    mirror: Rc<RefCell<Vec<u8>>>,
}

impl Mirrored {
    fn new(nvm: RamNvm) -> (Mirrored, Rc<RefCell<Vec<u8>>>) {
        let mirror = Rc::new(RefCell::new(nvm.data.clone()));
        let m = Mirrored {
            nvm,
            mirror: mirror.clone(),
        };
        (m, mirror)
    }
}

impl hydra_runtime::Nvm for Mirrored {
    fn bytes(&self) -> &[u8] {
        &self.nvm.data
    }
    fn write(&mut self, at: u32, data: &[u8]) -> Result<(), Fault> {
        let r = self.nvm.write(at, data);
        let (s, e) = (at as usize, (at as usize + data.len()).min(SIZE));
        if s < e {
            self.mirror.borrow_mut()[s..e].copy_from_slice(&self.nvm.data[s..e]);
        }
        r
    }
}
