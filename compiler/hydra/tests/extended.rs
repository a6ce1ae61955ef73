//! Extended APDUs at the boundary lengths on every engine: the `apdu`
//! conformance applet (ExtendedLength) takes commands of Lc 1 to 65,535
//! (the longest, 65,544 bytes on the wire) and answers up to 32,767 bytes;
//! `interp`, `native`, `thumb-interp` and `thumb` (the last two on the
//! meter firmware in qemu-system-arm, whose UART link frames them with the
//! long-frame escape) must print the same, and the byte sums B4 answers
//! are checked against the sums of the data sent.

use std::path::{Path, PathBuf};
use std::process::Command;

fn conformance(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../conformance/applets")
        .join(p)
}

const LCS: [usize; 8] = [1, 255, 256, 257, 32767, 32768, 65534, 65535];
/// Le 00 00 (65,536), 00 08 (B4's answer exactly), 00 03 (shorter than
/// it: `setOutgoingLength` does not check Ne, JC 3.0.5 APDU), FF FF.
const LES: [u16; 4] = [0, 8, 3, 0xFFFF];

fn data(lc: usize) -> Vec<u8> {
    (0..lc).map(|i| (i * 7 + 3) as u8).collect()
}

fn push(script: &mut String, bytes: &[u8]) {
    for b in bytes {
        script.push_str(&format!("0x{b:02X} "));
    }
    script.push_str(";\n");
}

/// The script: SELECT, B4 (receive: incoming length, data offset, bytes
/// received, byte sum) for every Lc and Le, B3 (data reversed) and B5
/// (P1P2 bytes out) at the lengths around the APDU buffer's and the
/// largest it answers.
fn script() -> String {
    let mut s = String::from("powerup;\n");
    push(
        &mut s,
        &[
            0x00, 0xA4, 0x04, 0x00, 0x08, 0xF0, 0x48, 0x59, 0x44, 0x52, 0x41, 0x0B, 0x01, 0x7F,
        ],
    );
    for lc in LCS {
        for le in LES {
            let mut c = vec![0x80, 0xB4, 0, 0, 0, (lc >> 8) as u8, lc as u8];
            c.extend(data(lc));
            c.extend(le.to_be_bytes());
            push(&mut s, &c);
        }
    }
    for lc in [1usize, 254, 255, 256, 257, 65535] {
        let mut c = vec![0x80, 0xB3, 0, 0, 0, (lc >> 8) as u8, lc as u8];
        c.extend(data(lc));
        c.extend([0, 0]);
        push(&mut s, &c);
    }
    for n in [1u16, 255, 256, 257, 32767] {
        for le in [0u16, n, 0xFFFF] {
            let [p1, p2] = n.to_be_bytes();
            let [l1, l2] = le.to_be_bytes();
            push(&mut s, &[0x80, 0xB5, p1, p2, 0, 0, 0, l1, l2]);
        }
    }
    s.push_str("powerdown;\n");
    s
}

fn run(engine: &str, script: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_hydra"))
        .args(["run", "--engine", engine, "--cap"])
        .arg(conformance("apdu/cap/apdu.cap"))
        .arg(script)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{engine}: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The bytes after "Le: xxxx, " of an output line, and the SW.
fn answer(line: &str) -> (Vec<u8>, String) {
    let rest = &line[line.find("Le: ").expect("Le") + 4..];
    let mut parts: Vec<&str> = rest.split(", ").collect();
    let sw = parts.split_off(parts.len() - 2).join(", ");
    let data = parts[1..]
        .iter()
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect();
    (data, sw)
}

#[test]
fn boundary_lengths_answer_alike_on_every_engine() {
    let dir = std::env::temp_dir().join(format!("hydra-extended-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("extended.scr");
    std::fs::write(&path, script()).unwrap();
    let reference = run("interp", &path);
    let lines: Vec<&str> = reference
        .lines()
        .filter(|l| l.starts_with("CLA:"))
        .collect();
    assert_eq!(
        lines.len(),
        1 + LCS.len() * LES.len() + 6 + 15,
        "{reference}"
    );
    // B4 worked out here: Lc, offset 7, Lc bytes received, their sum.
    for (k, lc) in LCS.iter().enumerate() {
        let sum = data(*lc)
            .iter()
            .fold(0u16, |a, &b| a.wrapping_add(u16::from(b)));
        let [l1, l2] = (*lc as u16).to_be_bytes();
        let [s1, s2] = sum.to_be_bytes();
        for (j, le) in LES.iter().enumerate() {
            let (got, sw) = answer(lines[1 + k * LES.len() + j]);
            assert_eq!(sw, "SW1: 90, SW2: 00", "Lc {lc} Le {le}");
            assert_eq!(got, [l1, l2, 0, 7, l1, l2, s1, s2], "Lc {lc} Le {le}");
        }
    }
    // B5 with Le 00 00: n bytes of 00..3f repeated.
    let b5 = &lines[lines.len() - 15..];
    for (i, n) in [1usize, 255, 256, 257, 32767].iter().enumerate() {
        let (got, sw) = answer(b5[i * 3]);
        assert_eq!(sw, "SW1: 90, SW2: 00", "B5 {n}");
        assert_eq!(
            got,
            (0..*n).map(|i| (i % 64) as u8).collect::<Vec<_>>(),
            "B5 {n}"
        );
    }
    for engine in ["native", "thumb-interp", "thumb"] {
        let out = run(engine, &path);
        if out != reference {
            let (line, want, got) =
                hydra_host::first_difference(&out, &reference).expect("outputs differ");
            panic!(
                "{engine} differs from interp at line {line}:\n  interp {}\n  {engine} {}",
                &want[..want.len().min(300)],
                &got[..got.len().min(300)]
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
