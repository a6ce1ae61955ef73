//! The card manager on the host card: ISD selection and FCI, GET DATA, an
//! SCP03 session at the highest level checked byte for byte against the
//! independent host in `conformance/pcsc/scp03.py`, and the refusals.

use hydra_host::Host;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn send(host: &mut Host, apdu: &str) -> (Vec<u8>, u16) {
    let r = host.card().unwrap().process(&hex(apdu));
    (r.data, r.sw)
}

// Worked out by hand from GP 2.3.1 §11.9.3.1 and §H.2: 6F { 84 ISD AID,
// A5 { 73 { 06 GP OID, 60 { 06 GP 2.3.1 }, 63 { 06 card id scheme },
// 64 { 06 SCP03 i=70 } }, 9F65 01 FF } }.
const FCI: &str = "6F41 8408A000000151000000 A535 732F 06072A864886FC6B01
    600C060A2A864886FC6B02020301 630906072A864886FC6B03 640B06092A864886FC6B040370
    9F6501FF";

// From conformance/pcsc/scp03.py (the oracle), test keys 40..4F, host
// challenge 0001020304050607, sequence counter 000001.
const INIT_RESPONSE: &str = "0000485944524100000130037086C8BD65FA1044EE7CED45F4C595BC4B000001";
const EXTERNAL_AUTHENTICATE_33: &str = "8482330010DD233EF86835D803429064D41D13D185";
const GET_STATUS_33: &str = "84F2800218475B7557C8C1459CCE532D1D4C2635CEB879977311FC0B1900";
const GET_STATUS_33_RESPONSE: &str =
    "8F451EC695FACF228A3A854BAD4A40853B63459BCD62151C4830D8F3FF05C73CF460D246DC77571C";

#[test]
fn isd_is_selected_by_default_and_by_aid() {
    let mut host = Host::in_memory();
    host.power_up().unwrap();
    assert_eq!(send(&mut host, "00A4040000"), (hex(FCI), 0x9000));
    assert_eq!(
        send(&mut host, "00A4040008A000000151000000"),
        (hex(FCI), 0x9000)
    );
    assert_eq!(send(&mut host, "00A4040005A000000151"), (hex(FCI), 0x9000));
    // GET DATA without a secure channel; CPLC names the OS "HY".
    let (cplc, sw) = send(&mut host, "80CA9F7F00");
    assert_eq!(
        (&cplc[..3], cplc.len(), sw),
        (&hex("9F7F2A")[..], 45, 0x9000)
    );
    assert_eq!(&cplc[7..9], b"HY");
    assert_eq!(
        send(&mut host, "80CA004200"),
        (hex("4205F048594452"), 0x9000)
    );
    assert_eq!(
        send(&mut host, "80CA00E000"),
        (hex("E012 C00401308810 C00402308810 C00403308810"), 0x9000)
    );
    assert_eq!(send(&mut host, "80CA00C100"), (hex("C103000000"), 0x9000));
    assert_eq!(send(&mut host, "80CA006700").1, 0x6A88);
    // Content management needs a secure channel.
    assert_eq!(send(&mut host, "80F28002024F0000").1, 0x6982);
    // Unknown INS, wrong CLA.
    assert_eq!(send(&mut host, "8012000000").1, 0x6D00);
    assert_eq!(send(&mut host, "0050000008000102030405060700").1, 0x6E00);
}

#[test]
fn scp03_session_matches_the_oracle_and_refuses_tampering() {
    let mut host = Host::in_memory();
    host.power_up().unwrap();
    send(&mut host, "00A4040000");
    assert_eq!(
        send(&mut host, "8050000008000102030405060700"),
        (hex(INIT_RESPONSE), 0x9000)
    );
    assert_eq!(send(&mut host, EXTERNAL_AUTHENTICATE_33), (vec![], 0x9000));
    assert_eq!(
        send(&mut host, GET_STATUS_33),
        (hex(GET_STATUS_33_RESPONSE), 0x9000)
    );
    // Replayed: the MAC chain has moved on. The channel is closed with it.
    assert_eq!(send(&mut host, GET_STATUS_33).1, 0x6982);
    assert_eq!(send(&mut host, "80F28002024F0000").1, 0x6982);
    assert_eq!(send(&mut host, EXTERNAL_AUTHENTICATE_33).1, 0x6985);

    // The sequence counter moved to 2 and survives a power cycle.
    host.power_up().unwrap();
    assert_eq!(send(&mut host, "80CA00C100"), (hex("C103000001"), 0x9000));
    let (r, sw) = send(&mut host, "8050000008000102030405060700");
    assert_eq!((&r[29..], sw), (&hex("000002")[..], 0x9000));
    // The old host cryptogram no longer matches: 6300, channel closed.
    assert_eq!(send(&mut host, EXTERNAL_AUTHENTICATE_33).1, 0x6300);
    assert_eq!(send(&mut host, "80F28002024F0000").1, 0x6982);
    // An unknown key version.
    assert_eq!(send(&mut host, "8050310008000102030405060700").1, 0x6A88);
    // Selecting an applet or the ISD again ends a channel.
    send(&mut host, "8050000008000102030405060700");
    send(&mut host, "00A4040000");
    assert_eq!(send(&mut host, EXTERNAL_AUTHENTICATE_33).1, 0x6985);
}

mod fuzzed {
    //! The card manager's parsers (INSTALL, LOAD, DELETE, PUT KEY, SET
    //! STATUS, GET STATUS, GET DATA) on arbitrary data behind an open
    //! channel: no panic, and the card answers afterwards (the long runs are
    //! the cargo-fuzz target `card_manager` of runtime/core).

    use super::*;
    use hydra_runtime::cardmgr::scp03::{Session, StaticKeys};
    use proptest::prelude::*;

    fn open_channel(host: &mut Host) {
        let (r, sw) = send(host, "8050000008000102030405060700");
        assert_eq!(sw, 0x9000);
        let mut card = [0u8; 8];
        card.copy_from_slice(&r[13..21]);
        let k: Vec<u8> = (0x40..0x50).collect();
        let keys = StaticKeys {
            enc: k.clone(),
            mac: k.clone(),
            dek: k,
        };
        let mut s = Session::new(&keys, &[0, 1, 2, 3, 4, 5, 6, 7], &card).unwrap();
        let ext = s.host_authenticate(0x00).unwrap();
        assert_eq!(host.card().unwrap().process_command(ext).sw, 0x9000);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn card_manager_commands_never_panic(
            cmds in proptest::collection::vec(
                (prop_oneof![Just(0xE6u8), Just(0xE8), Just(0xE4), Just(0xD8), Just(0xF0), Just(0xF2), Just(0xCA)],
                 any::<u8>(), any::<u8>(), proptest::collection::vec(any::<u8>(), 0..80)),
                1..8)
        ) {
            let mut host = Host::in_memory();
            host.power_up().unwrap();
            open_channel(&mut host);
            for (ins, p1, p2, data) in cmds {
                let mut apdu = vec![0x80, ins, p1, p2];
                if !data.is_empty() {
                    apdu.push(data.len() as u8);
                    apdu.extend_from_slice(&data);
                }
                let _ = host.card().unwrap().process(&apdu);
            }
            let r = host.card().unwrap().process(&hex("00A4040000"));
            prop_assert_eq!(r.sw, 0x9000);
        }
    }
}
