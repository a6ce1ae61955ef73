//! Logical channels (MANAGE CHANNEL, CLA channel bits) and the
//! MultiSelectable rules of the Java Card runtime specification.

use std::path::Path;

use hydra_host::{read_cap, FileNvm, Host, InstallSpec};
use hydra_runtime::Card;

const MULTI: &[u8] = &[0xF0, 0x48, 0x59, 0x44, 0x52, 0x54, 0x02, 0x01];
const MULTI2: &[u8] = &[0xF0, 0x48, 0x59, 0x44, 0x52, 0x54, 0x02, 0x02];
const SINGLE: &[u8] = &[0xF0, 0x48, 0x59, 0x44, 0x52, 0x54, 0x03, 0x01];

fn card() -> Host {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/channels");
    let mut host = Host::in_memory();
    for c in ["channels.cap", "single.cap"] {
        host.load(&read_cap(&dir.join(c)).unwrap()).unwrap();
    }
    for (class, instance) in [(MULTI, MULTI), (MULTI, MULTI2), (SINGLE, SINGLE)] {
        host.install(&InstallSpec {
            class_aid: class.to_vec(),
            instance_aid: Some(instance.to_vec()),
            params: Vec::new(),
            privileges: Vec::new(),
        })
        .unwrap();
    }
    host
}

fn send(card: &mut Card<FileNvm>, apdu: &[u8]) -> (Vec<u8>, u16) {
    let r = card.process(apdu);
    (r.data, r.sw)
}

fn select(card: &mut Card<FileNvm>, ch: u8, aid: &[u8]) -> u16 {
    let mut v = vec![ch, 0xA4, 0x04, 0x00, aid.len() as u8];
    v.extend_from_slice(aid);
    send(card, &v).1
}

/// [CLA channel, assigned channel, last select kind, last deselect kind, CoD byte]
fn state(card: &mut Card<FileNvm>, ch: u8) -> Vec<u8> {
    let (d, sw) = send(card, &[0x80 | ch, 0x20, 0, 0, 0]);
    assert_eq!(sw, 0x9000);
    d
}

#[test]
fn manage_channel_opens_and_closes() {
    let mut host = card();
    let card = host.card().unwrap();
    // Closed channel.
    assert_eq!(send(card, &[0x01, 0xA4, 0x04, 0x00, 0x01, 0xF0]).1, 0x6881);
    // The card picks channel 1, then 2; channel 3 by number; 3 again fails.
    assert_eq!(
        send(card, &[0x00, 0x70, 0x00, 0x00, 0x01]),
        (vec![1], 0x9000)
    );
    assert_eq!(
        send(card, &[0x00, 0x70, 0x00, 0x00, 0x01]),
        (vec![2], 0x9000)
    );
    assert_eq!(send(card, &[0x00, 0x70, 0x00, 0x03]), (vec![], 0x9000));
    assert_eq!(send(card, &[0x00, 0x70, 0x00, 0x03]).1, 0x6A86);
    // Close 2 (by P2) and 3 (from its own CLA); channel 0 cannot be closed.
    assert_eq!(send(card, &[0x00, 0x70, 0x80, 0x02]).1, 0x9000);
    assert_eq!(send(card, &[0x03, 0x70, 0x80, 0x00]).1, 0x9000);
    assert_eq!(send(card, &[0x00, 0x70, 0x80, 0x00]).1, 0x6A86);
    assert_eq!(send(card, &[0x02, 0xA4, 0x04, 0x00, 0x01, 0xF0]).1, 0x6881);
    assert_eq!(
        send(card, &[0x00, 0x70, 0x00, 0x00, 0x01]),
        (vec![2], 0x9000)
    );
}

#[test]
fn multiselectable_rules() {
    let mut host = card();
    let card = host.card().unwrap();
    assert_eq!(
        send(card, &[0x00, 0x70, 0x00, 0x00, 0x01]),
        (vec![1], 0x9000)
    );
    assert_eq!(
        send(card, &[0x00, 0x70, 0x00, 0x00, 0x01]),
        (vec![2], 0x9000)
    );
    // First selection: Applet.select().
    assert_eq!(select(card, 0, MULTI), 0x9000);
    assert_eq!(state(card, 0), [0, 0, 3, 0, 0]);
    // The same instance on channel 1: MultiSelectable.select(true).
    assert_eq!(select(card, 1, MULTI), 0x9000);
    assert_eq!(state(card, 1), [1, 1, 1, 0, 0]);
    // Another instance of the same package on channel 2: select(false).
    assert_eq!(select(card, 2, MULTI2), 0x9000);
    assert_eq!(state(card, 2), [2, 2, 2, 0, 0]);
    // CLEAR_ON_DESELECT data is shared by the context and survives while
    // any of its applets is active.
    assert_eq!(send(card, &[0x80, 0x21, 0x07, 0x00]).1, 0x9000);
    // Moving channel 1 to the plain applet: deselect(true) on MULTI.
    assert_eq!(select(card, 1, SINGLE), 0x9000);
    assert_eq!(state(card, 0), [0, 0, 1, 1, 7]);
    // A plain applet cannot be active on two channels.
    assert_eq!(select(card, 2, SINGLE), 0x6985);
    // The refused selection left channel 2 as it was.
    assert_eq!(state(card, 2), [2, 2, 2, 0, 0]);
    // Closing channel 2 deselects MULTI2 while MULTI stays active on 0:
    // MultiSelectable.deselect(false).
    assert_eq!(send(card, &[0x00, 0x70, 0x80, 0x02]).1, 0x9000);
    assert_eq!(select(card, 2, SINGLE), 0x6881);
    // Close channel 1, then deselect MULTI on channel 0 by selecting the
    // plain applet there: nothing of the context stays active, so
    // Applet.deselect() runs and the CoD array is cleared.
    assert_eq!(send(card, &[0x00, 0x70, 0x80, 0x01]).1, 0x9000);
    assert_eq!(select(card, 0, SINGLE), 0x9000);
    assert_eq!(send(card, &[0x80, 0x20, 0, 0, 0]), (vec![0], 0x9000));
    assert_eq!(select(card, 0, MULTI), 0x9000);
    assert_eq!(state(card, 0), [0, 0, 3, 3, 0]);
    // MULTI2's last deselection was MultiSelectable.deselect(false).
    assert_eq!(select(card, 0, MULTI2), 0x9000);
    assert_eq!(state(card, 0), [0, 0, 3, 2, 0]);
}
