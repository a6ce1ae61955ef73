//! `hydra bench --quick`: every benchmark runs on the firmware's
//! interpreter, compiled to Thumb-2 and in C under QEMU, its answers match
//! the oracle's, and the table, bench.json and bench.svg come out. Fails
//! without qemu-system-arm or arm-none-eabi-gcc.

use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn quick_benchmarks_run_and_report() {
    // Missing tools fail the test rather than pass it unchecked.
    assert!(
        have("qemu-system-arm") && have("arm-none-eabi-gcc"),
        "the benchmarks need qemu-system-arm and arm-none-eabi-gcc (run .ci/setup)"
    );
    let out = tempfile_dir();
    let run = Command::new(env!("CARGO_BIN_EXE_hydra"))
        .args(["bench", "--quick", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("geomean"), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    let benches = json["benchmarks"].as_array().unwrap();
    assert_eq!(benches.len(), 9);
    for b in benches {
        assert!(b["interp"]["instructions"].as_u64().unwrap() > 0, "{b}");
        assert!(b["c"]["instructions"].as_u64().unwrap() > 0, "{b}");
        assert!(b["c"]["cycles"].as_u64().unwrap() >= b["c"]["instructions"].as_u64().unwrap());
        // Every benchmark compiles to Thumb-2 and runs with the oracle's
        // answers.
        assert!(b["thumb"]["instructions"].as_u64().unwrap_or(0) > 0, "{b}");
        // Both engines run the same runtime's store barrier: the same NVM
        // writes, bytes and blocks.
        for k in ["nvm_writes", "nvm_bytes", "nvm_blocks"] {
            assert!(b["interp"][k].is_u64(), "{k}: {b}");
            assert_eq!(b["interp"][k], b["thumb"][k], "{k}: {b}");
        }
        // The card type-checked the benchmark's package as it loaded it,
        // on both engines, and the count of that check is there.
        for e in ["interp", "thumb"] {
            let checks = b[e]["verification"].as_array().unwrap();
            assert!(!checks.is_empty(), "{e}: {b}");
            for c in checks {
                assert!(c["instructions"].as_u64().unwrap() > 0, "{e}: {b}");
                assert_eq!(c["type_checked"], true, "{e}: {b}");
            }
        }
        // The firmware reported its heap: something left in use by boot
        // and install, and a peak during the commands no lower than that.
        for e in ["interp", "thumb"] {
            let heap = &b[e]["heap"];
            let after_boot = heap["after_boot"].as_u64().unwrap();
            assert!(after_boot > 0, "{e}: {b}");
            assert!(heap["peak"].as_u64().unwrap() >= after_boot, "{e}: {b}");
        }
        let name = b["name"].as_str().unwrap();
        let writes = b["thumb"]["nvm_writes"].as_u64().unwrap();
        let variant = &b["c_nvm"];
        match name {
            // Kept in persistent objects by the applet, so in NVM by the
            // C variant: both write.
            "sha256" | "tlv" | "purse" | "objects" | "exceptions" | "xtea" => {
                assert!(variant["nvm_writes"].as_u64().unwrap() > 0, "{b}");
                assert!(
                    variant["cycles_with_nvm"].as_u64().unwrap()
                        > variant["cycles"].as_u64().unwrap(),
                    "{b}"
                );
                assert!(writes > 0, "{b}");
            }
            // Transient or stack state only: no NVM write at all.
            "crc" | "bignum" | "sort" => {
                assert_eq!(writes, 0, "{b}");
                assert!(variant.is_null(), "{b}");
            }
            _ => {}
        }
        // purse's INS 03 updates one persistent short outside a
        // transaction, `touches++` from 0 once per card: 0 -> 1 changes
        // the low byte only, so the update is that one byte's write (a
        // one-byte write is atomic; no redo record), on both engines and
        // in the C variant alike.
        let update = &b["thumb"]["field_update_nvm"];
        if name == "purse" {
            for e in ["interp", "thumb"] {
                assert!(b[e]["field_update"].as_u64().unwrap() > 0, "{b}");
                assert_eq!(b[e]["field_update_nvm"], serde_json::json!([1, 1]), "{b}");
            }
            assert_eq!(
                variant["field_update_nvm"],
                serde_json::json!([1, 1]),
                "{b}"
            );
        } else {
            assert!(update.is_null(), "{b}");
        }
    }
    assert!(stdout.contains("NVM writes/bytes/blocks"), "{stdout}");
    assert!(stdout.contains("One persistent field update"), "{stdout}");
    // The verification line names each benchmark with its two figures.
    let verify_line = stdout
        .lines()
        .find(|l| l.starts_with("Instructions of the on-card verification"))
        .unwrap_or_else(|| panic!("{stdout}"));
    for b in benches {
        let name = b["name"].as_str().unwrap();
        let figure = |e: &str| b[e]["verification"][0]["instructions"].as_u64().unwrap();
        let want = format!("{name} {}/{}", figure("interp"), figure("thumb"));
        assert!(verify_line.contains(&want), "{want}: {verify_line}");
    }
    assert!(stdout.contains("RAM: static (data+bss)"), "{stdout}");
    let svg = std::fs::read_to_string(out.join("bench.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("sha256"));
    let _ = std::fs::remove_dir_all(&out);
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("hydra-bench-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
