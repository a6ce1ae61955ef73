//! Boots the real firmware in qemu-system-arm (needs the Debian package
//! `qemu-system-arm` and the `thumbv7m-none-eabi` Rust target), with the
//! board-test loopback card: transport, NVM, counts, panics.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hydra_qemu_host::{Artifacts, Config, Counts, Error, Session};

fn artifacts() -> &'static Artifacts {
    static ART: OnceLock<Artifacts> = OnceLock::new();
    ART.get_or_init(|| {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        // A target directory of its own: the outer cargo holds the lock of
        // the usual one while tests run.
        let dir = hydra_qemu_host::artifacts_dir(&ws);
        Artifacts::build(&ws, &dir).unwrap_or_else(|e| panic!("{e}"))
    })
}

fn config(nvm: Option<PathBuf>) -> Config {
    let art = artifacts();
    let mut cfg = Config::new(&art.firmware);
    cfg.plugin = Some(art.plugin.clone());
    cfg.nvm = nvm;
    cfg.loopback = true;
    cfg
}

const BUMP: [u8; 4] = [0x80, 0x24, 0x00, 0x00];
const TRANSIENT: [u8; 4] = [0x80, 0x26, 0x00, 0x00];

fn ok(s: &mut Session, apdu: &[u8]) -> Vec<u8> {
    let r = s.transmit(apdu).unwrap_or_else(|e| panic!("{e}")).response;
    assert_eq!(&r[r.len() - 2..], [0x90, 0x00], "{apdu:02X?} -> {r:02X?}");
    r[..r.len() - 2].to_vec()
}

#[test]
fn apdus_nvm_survives_restart_and_power_events() {
    let dir = tempfile::tempdir().unwrap();
    let nvm = dir.path().join("card.nvm");
    let mut s = Session::start(&config(Some(nvm.clone()))).unwrap_or_else(|e| panic!("{e}"));
    let atr = s.power_on().unwrap();
    assert_eq!(atr, hydra_mps2_an385::card::ATR);
    assert_eq!(&atr[..3], [0x3B, 0x88, 0x01], "T=1 only");
    assert_eq!(&atr[3..11], b"HYDRA-M3");
    assert_eq!(ok(&mut s, &[0x80, 0x10, 0, 0, 3, 1, 2, 3, 0]), [1, 2, 3]);
    let big: Vec<u8> = (0..=254).collect();
    let mut cmd = vec![0x80, 0x20, 0x01, 0x00, 255];
    cmd.extend_from_slice(&big);
    ok(&mut s, &cmd);
    assert_eq!(ok(&mut s, &BUMP), [0, 0, 0, 1]);
    assert_eq!(ok(&mut s, &BUMP), [0, 0, 0, 2]);
    assert_eq!(ok(&mut s, &TRANSIENT), [0, 0, 0, 1]);
    assert_eq!(ok(&mut s, &TRANSIENT), [0, 0, 0, 2]);
    // Reset clears transient state, not persistent state; so does power off/on.
    assert_eq!(s.reset().unwrap(), atr);
    assert_eq!(ok(&mut s, &TRANSIENT), [0, 0, 0, 1]);
    s.power_off().unwrap();
    assert_eq!(s.power_on().unwrap(), atr);
    assert_eq!(ok(&mut s, &TRANSIENT), [0, 0, 0, 1]);
    // pcscd's periodic ATR requests change nothing.
    assert_eq!(s.atr().unwrap(), atr);
    assert_eq!(ok(&mut s, &TRANSIENT), [0, 0, 0, 2]);
    let r = s.transmit(&[0x80, 0x55, 0, 0]).unwrap();
    assert_eq!(r.response, [0x6D, 0x00]);
    s.stop();

    assert_eq!(std::fs::metadata(&nvm).unwrap().len(), 1024 * 1024);
    let mut s = Session::start(&config(Some(nvm))).unwrap();
    s.power_on().unwrap();
    assert_eq!(ok(&mut s, &BUMP), [0, 0, 0, 3]);
    assert_eq!(ok(&mut s, &[0x80, 0x22, 0x01, 0x00, 0x00])[..255], big[..]);
    s.stop();
}

fn counted_run(nvm: PathBuf) -> Vec<(Vec<u8>, Counts)> {
    let mut s = Session::start(&config(Some(nvm))).unwrap_or_else(|e| panic!("{e}"));
    s.power_on().unwrap();
    let script: [&[u8]; 6] = [
        &[0x80, 0x10, 0, 0, 4, 0xDE, 0xAD, 0xBE, 0xEF],
        &BUMP,
        &[0x80, 0x30, 0x00, 0x10],
        &[0x80, 0x30, 0x00, 0x20],
        &[0x80, 0x30, 0x01, 0x00],
        &TRANSIENT,
    ];
    let out = script
        .iter()
        .map(|a| {
            let ex = s.transmit(a).unwrap();
            (ex.response, ex.counts.expect("counting session"))
        })
        .collect();
    s.stop();
    out
}

#[test]
fn instruction_counts_are_exact_and_repeatable() {
    let dir = tempfile::tempdir().unwrap();
    let a = counted_run(dir.path().join("a.nvm"));
    let b = counted_run(dir.path().join("b.nvm"));
    assert_eq!(
        a, b,
        "two runs of the same firmware and APDUs must count the same"
    );
    for (_, c) in &a {
        assert!(c.total > 0);
        assert_eq!(c.total, c.buckets.iter().map(|b| b.1).sum::<u64>());
        let names: Vec<&str> = c.buckets.iter().map(|b| b.0.as_str()).collect();
        assert_eq!(
            names,
            ["interp", "runtime", "applet", "board", "lib", "other"]
        );
        assert!(c.get("board") > 0, "{c:?}");
    }
    // WORK: a fixed amount of work per round, so the counts grow linearly
    // in the rounds: (256 - 32) rounds cost 7 times (32 - 16) rounds.
    let (w16, w32, w256) = (a[2].1.total, a[3].1.total, a[4].1.total);
    assert!(w16 < w32 && w32 < w256);
    assert_eq!((w256 - w32) * 16, (w32 - w16) * 224, "{w16} {w32} {w256}");
}

#[test]
fn panic_is_reported() {
    let mut s = Session::start(&config(None)).unwrap();
    s.power_on().unwrap();
    match s.transmit(&[0x80, 0x7F, 0, 0]) {
        Err(Error::Exited { status, output, .. }) => {
            assert!(output.contains("hydra firmware panicked"), "{output}");
            assert!(output.contains("panic requested by INS 7F"), "{output}");
            assert!(status.contains('1'), "{status}");
        }
        other => panic!("expected QEMU to exit with a report, got {other:?}"),
    }
}

#[test]
fn missing_qemu_names_the_package() {
    let mut cfg = config(None);
    cfg.qemu = PathBuf::from("/nonexistent/qemu-system-arm");
    let e = Session::start(&cfg).err().expect("must fail");
    assert!(matches!(e, Error::QemuMissing(_)));
    assert!(
        e.to_string().contains("apt-get install qemu-system-arm"),
        "{e}"
    );
    cfg.qemu = PathBuf::from("no-such-qemu-binary");
    assert!(matches!(Session::start(&cfg), Err(Error::QemuMissing(_))));
}

/// The Java Card runtime over a damaged NVM image (random bytes, then a
/// truncated file): the card reports the cause once on its console and
/// answers every command with `6581` (memory failure), across resets and
/// power cycles; the file is left as it was, not formatted again.
#[test]
fn a_damaged_nvm_image_answers_6581_to_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let nvm = dir.path().join("card.nvm");
    let mut x = 0x9E37_79B9u32;
    let image: Vec<u8> = (0..1024 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(&nvm, &image).unwrap();
    let mut cfg = config(Some(nvm.clone()));
    cfg.loopback = false;
    let mut s = Session::start(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let atr = s.power_on().unwrap();
    let select_isd = [0x00, 0xA4, 0x04, 0x00, 0x00];
    let get_data = [0x80, 0xCA, 0x00, 0x66, 0x00];
    for apdu in [&select_isd[..], &get_data, &[0x80, 0x55, 0, 0]] {
        assert_eq!(s.transmit(apdu).unwrap().response, [0x65, 0x81]);
    }
    assert_eq!(s.reset().unwrap(), atr);
    assert_eq!(s.transmit(&select_isd).unwrap().response, [0x65, 0x81]);
    s.power_off().unwrap();
    s.power_on().unwrap();
    assert_eq!(s.transmit(&select_isd).unwrap().response, [0x65, 0x81]);
    let log = s.stop();
    let reports: Vec<&str> = log.lines().filter(|l| l.contains("refused")).collect();
    assert_eq!(reports.len(), 1, "{log}");
    assert!(reports[0].contains("not a card image"), "{log}");
    assert!(
        std::fs::read(&nvm).unwrap() == image,
        "the image was changed"
    );

    // A truncated file: refused before the runtime boots, not extended.
    std::fs::write(&nvm, &image[..4096]).unwrap();
    let mut s = Session::start(&cfg).unwrap_or_else(|e| panic!("{e}"));
    s.power_on().unwrap();
    assert_eq!(s.transmit(&select_isd).unwrap().response, [0x65, 0x81]);
    let log = s.stop();
    assert!(log.contains("truncated NVM file, 4096 of its"), "{log}");
    assert_eq!(std::fs::read(&nvm).unwrap(), &image[..4096]);
}
