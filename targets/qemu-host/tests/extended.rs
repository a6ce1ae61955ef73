//! Extended APDUs as raw bytes at the firmware (the Java Card runtime on
//! the Cortex-M3, over UART0's long frames) and at the host card: commands
//! without Le, with Lc one byte short or long of the data, and the longest
//! legal command (65,544 bytes) must be answered alike, the host's answer
//! being the reference; the firmware must keep answering afterwards.

use std::path::Path;

use hydra_qemu_host::script::all_applets;
use hydra_qemu_host::{Artifacts, Config, Session};

const APDU_APPLET: [u8; 8] = [0xF0, 0x48, 0x59, 0x44, 0x52, 0x41, 0x0B, 0x01];

fn extended(ins: u8, data: &[u8], lc: usize, le: Option<[u8; 2]>) -> Vec<u8> {
    let mut c = vec![0x80, ins, 0, 0, 0, (lc >> 8) as u8, lc as u8];
    c.extend_from_slice(data);
    c.extend(le.into_iter().flatten());
    c
}

fn commands() -> Vec<Vec<u8>> {
    let mut select = vec![0x00, 0xA4, 0x04, 0x00, 0x08];
    select.extend_from_slice(&APDU_APPLET);
    let mut out = vec![select];
    for lc in [1usize, 255, 256, 257, 32767, 32768, 65534, 65535] {
        let data: Vec<u8> = (0..lc).map(|i| (i * 13 + 1) as u8).collect();
        // B4 without Le (case 3), B2 then B8 (what B2 received), Lc one
        // byte short of and over the data, Le FF FF.
        out.push(extended(0xB4, &data, lc, None));
        out.push(extended(0xB2, &data, lc, None));
        out.push(vec![0x80, 0xB8, 0, 0, 0]);
        out.push(extended(0xB4, &data[1..], lc, Some([0, 0])));
        if lc < 65535 {
            let mut more = data.clone();
            more.push(0x55);
            out.push(extended(0xB4, &more, lc, None));
        }
        out.push(extended(0xB3, &data, lc, Some([0xFF, 0xFF])));
    }
    // The longest legal command, then one that only the length of the
    // wire tells apart (Lc 0 in extended form is not legal).
    out.push(extended(
        0xB4,
        &vec![0xEE; 65535],
        65535,
        Some([0xFF, 0xFF]),
    ));
    out.push(extended(0xB4, &vec![0xEE; 65535], 0, Some([0, 0])));
    out
}

#[test]
fn raw_extended_apdus_answer_as_on_the_host() {
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = hydra_qemu_host::artifacts_dir(&ws);
    let art = Artifacts::build(&ws, &dir).unwrap_or_else(|e| panic!("{e}"));
    let cap = ws.join("conformance/applets/apdu/cap/apdu.cap");

    let mut host = hydra_host::Host::in_memory();
    host.load(&hydra_host::read_cap(&cap).unwrap()).unwrap();
    host.install_all().unwrap();

    let mut cfg = Config::new(&art.firmware);
    cfg.packages = vec![cap.clone()];
    cfg.installs = all_applets(&cfg.packages).unwrap();
    let mut s = Session::start(&cfg).unwrap_or_else(|e| panic!("{e}"));
    s.power_on().unwrap();

    for c in commands() {
        let want = host.exchange("", |card| card.process(&c)).unwrap();
        let mut want_bytes = want.data.clone();
        want_bytes.extend_from_slice(&want.sw.to_be_bytes());
        let got = s
            .transmit(&c)
            .unwrap_or_else(|e| panic!("{} bytes {:02X?}...: {e}", c.len(), &c[..8]))
            .response;
        assert_eq!(
            got,
            want_bytes,
            "{} bytes {:02X?}...",
            c.len(),
            &c[..c.len().min(8)]
        );
    }
    // Still answering.
    let r = s.transmit(&[0x80, 0xB6, 0, 0, 0]).unwrap().response;
    assert_eq!(r, [0x01, 0x90, 0x00]);
    s.stop();
}
