//! Bad input gives the status word the specification demands and leaves the
//! card usable; card state survives power cycles, process restarts and
//! power loss at any NVM write.

use std::path::{Path, PathBuf};

use hydra_host::{read_cap, FileNvm, Host, InstallSpec};
use hydra_runtime::{Card, Config, LoadError};

const FAULTY: &[u8] = &[0xF0, 0x48, 0x59, 0x44, 0x52, 0x54, 0x01, 0x01];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/faulty/faulty.cap")
}

fn conformance(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../conformance/applets/{name}/cap/{name}.cap"))
}

fn install(host: &mut Host, params: &[u8]) -> Result<(), String> {
    host.install(&InstallSpec {
        class_aid: FAULTY.to_vec(),
        instance_aid: None,
        params: params.to_vec(),
        privileges: Vec::new(),
    })
    .map_err(|e| e.to_string())
}

fn select(aid: &[u8], p2: u8) -> Vec<u8> {
    let mut v = vec![0x00, 0xA4, 0x04, p2, aid.len() as u8];
    v.extend_from_slice(aid);
    v
}

fn sw(card: &mut Card<FileNvm>, apdu: &[u8]) -> (Vec<u8>, u16) {
    let r = card.process(apdu);
    (r.data, r.sw)
}

fn faulty_host() -> Host {
    let mut host = Host::in_memory();
    host.load(&read_cap(&fixture()).unwrap()).unwrap();
    host
}

#[test]
fn install_failures_are_reported_and_leave_the_card_usable() {
    let mut host = faulty_host();
    for (mode, what) in [
        (1u8, "ISOException (reason 0x6a80)"),
        (2, "SystemException (reason 0x0001)"),
        (3, "did not call register()"),
        (4, "NullPointerException"),
    ] {
        let err = install(&mut host, &[mode]).unwrap_err();
        assert!(err.contains(what), "mode {mode}: {err}");
    }
    install(&mut host, &[0]).unwrap();
    let card = host.card().unwrap();
    assert_eq!(sw(card, &select(FAULTY, 0)).1, 0x9000);
    // A second instance with the same AID is refused.
    let err = card.install(FAULTY, None, &[], &[]).unwrap_err();
    assert!(matches!(err, LoadError::DuplicateInstance { .. }), "{err}");
}

#[test]
fn bad_commands_get_the_right_status_words() {
    let mut host = faulty_host();
    install(&mut host, &[]).unwrap();
    let card = host.card().unwrap();
    // No applet selected yet: the card manager, selected by default, does
    // not know INS 10.
    assert_eq!(sw(card, &[0x80, 0x10, 0x00, 0x00]).1, 0x6D00);
    // Unknown AID, full and partial.
    assert_eq!(sw(card, &select(&[0xA0, 0, 0, 0, 0x99, 1], 0)).1, 0x6A82);
    // select() refusing; then nothing is selected.
    assert_eq!(sw(card, &select(FAULTY, 1)).1, 0x6999);
    assert_eq!(sw(card, &[0x80, 0x10, 0x00, 0x00]).1, 0x6999);
    // Partial selection by a prefix.
    assert_eq!(sw(card, &select(&FAULTY[..6], 0)).1, 0x9000);
    // Malformed: truncated header, Lc larger than the data, Lc smaller.
    assert_eq!(sw(card, &[0x80, 0x10]).1, 0x6700);
    assert_eq!(sw(card, &[0x80, 0x10, 0, 0, 5, 1, 2]).1, 0x6700);
    assert_eq!(sw(card, &[0x80, 0x10, 0, 0, 1, 1, 2, 3, 4]).1, 0x6700);
    // Unknown INS thrown by the applet.
    assert_eq!(sw(card, &[0x80, 0x7F, 0, 0]).1, 0x6D00);
    // Stack overflow, a global array stored in a field, too many bytes sent:
    // uncaught exceptions give 6F00.
    assert_eq!(sw(card, &[0x80, 0x11, 0, 0]).1, 0x6F00);
    assert_eq!(sw(card, &[0x80, 0x12, 0, 0]).1, 0x6F00);
    assert_eq!(sw(card, &[0x80, 0x13, 0, 0, 0]).1, 0x6F00);
    // Extended APDU to an applet without ExtendedLength.
    assert_eq!(sw(card, &[0x80, 0x10, 0, 0, 0, 0, 1, 0xAA]).1, 0x6700);
    // OwnerPINBuilder: check() before decrementTriesRemaining() throws
    // PINException ILLEGAL_STATE (2); decrement gives 2; the right PIN then
    // validates and restores the tries to the limit 3.
    let (data, s) = sw(card, &[0x80, 0x14, 0, 0, 4, 1, 2, 3, 4]);
    assert_eq!((data, s), (vec![2, 2, 1, 3, 3, 1], 0x9000));
    // Still usable.
    let (data, s) = sw(card, &[0x80, 0x10, 0, 0, 0]);
    assert_eq!((data, s), (vec![0, 1, 0, 1], 0x9000));
}

#[test]
fn uncaught_exception_aborts_the_transaction() {
    let mut host = faulty_host();
    install(&mut host, &[]).unwrap();
    let card = host.card().unwrap();
    sw(card, &select(FAULTY, 0));
    assert_eq!(sw(card, &[0x80, 0x10, 0, 0, 0]).0, vec![0, 1, 0, 1]);
    assert_eq!(sw(card, &[0x80, 0x10, 1, 0, 0]).1, 0x6F01);
    // The increment inside the aborted transaction is gone.
    assert_eq!(sw(card, &[0x80, 0x10, 0, 0, 0]).0, vec![0, 2, 0, 2]);
}

#[test]
fn state_survives_power_cycles_and_process_restarts() {
    let dir = std::env::temp_dir().join(format!("hydra-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("card.nvm");
    let _ = std::fs::remove_file(&state);
    {
        let mut host = Host::with_state(&state).unwrap();
        host.load(&read_cap(&fixture()).unwrap()).unwrap();
        install(&mut host, &[]).unwrap();
        let card = host.power_up().unwrap();
        sw(card, &select(FAULTY, 0));
        assert_eq!(sw(card, &[0x80, 0x10, 0, 0, 0]).0, vec![0, 1, 0, 1]);
        host.power_down();
        let card = host.power_up().unwrap();
        sw(card, &select(FAULTY, 0));
        assert_eq!(sw(card, &[0x80, 0x10, 0, 0, 0]).0, vec![0, 2, 0, 2]);
    }
    // A new process: the same file.
    let mut host = Host::with_state(&state).unwrap();
    let card = host.power_up().unwrap();
    assert_eq!(sw(card, &select(FAULTY, 0)).1, 0x9000);
    assert_eq!(sw(card, &[0x80, 0x10, 0, 0, 0]).0, vec![0, 3, 0, 3]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Cuts the power at every NVM write of one command that updates a
/// persistent counter in a transaction; after each cut the card boots, the
/// counter is either the old or the new value, and the card keeps working.
#[test]
fn power_loss_at_every_write_keeps_the_card_consistent() {
    let mut host = faulty_host();
    install(&mut host, &[]).unwrap();
    host.power_down();
    // Count the writes of one increment.
    let card = host.power_up().unwrap();
    sw(card, &select(FAULTY, 0));
    let n0 = card.store.nvm.writes();
    assert_eq!(sw(card, &[0x80, 0x10, 0, 0, 0]).0, vec![0, 1, 0, 1]);
    let writes = card.store.nvm.writes() - n0;
    assert!(writes > 5, "{writes} writes");
    println!("power cut at each of {writes} NVM writes");
    host.power_down();
    for cut in 0..writes {
        let card = host.power_up().unwrap();
        sw(card, &select(FAULTY, 0));
        let before = card.store.nvm.writes();
        card.store.nvm.fail_at(Some(before + cut));
        let _ = sw(card, &[0x80, 0x10, 0, 0, 0]);
        card.store.nvm.fail_at(None);
        host.power_down();
        let card = host.power_up().unwrap();
        assert_eq!(sw(card, &select(FAULTY, 0)).1, 0x9000, "cut at write {cut}");
        let (data, s) = sw(card, &[0x80, 0x10, 0, 0, 0]);
        assert_eq!(s, 0x9000, "cut at write {cut}");
        // counter and the array copy agree, and moved by one or two
        assert_eq!(data[..2], data[2..], "cut at write {cut}");
        let v = u16::from_be_bytes([data[0], data[1]]);
        assert!(v >= 2, "cut at write {cut}: counter {v}");
        host.power_down();
    }
}

#[test]
fn missing_api_is_named_at_load_time() {
    // The conformance packages load; an unknown import is refused by AID.
    let mut host = Host::in_memory();
    let cap = read_cap(&conformance("shareclient")).unwrap();
    let err = host.load(&cap).unwrap_err().to_string();
    assert!(err.contains("F0485944524109"), "{err}");
    let _ = Config::default();
}
