//! `hydra-qemu-icount`: a QEMU TCG plugin (plugin API v1, QEMU 7.2) that
//! counts executed guest instructions exactly, split into buckets by
//! address range, and reports them per APDU.
//!
//! # Mechanism
//!
//! - Counting: at translation, every guest instruction gets one inline
//!   `ADD_U64 1` on the counter of the bucket its address falls in. Inline
//!   ops run each time the instruction is executed (started), independent of
//!   how QEMU cuts translation blocks or whether a block is left early by an
//!   exception, so the count is exact and does not depend on the host.
//! - APDU windows: the firmware calls two marker functions,
//!   `hydra_icount_begin` once a whole command APDU has been received and
//!   `hydra_icount_end` just before it sends the response. The plugin puts
//!   an execution callback on the first instruction of each (addresses from
//!   the count map); `begin` snapshots the counters, `end` writes the
//!   difference. Polling the UART lies outside the windows, so a window's
//!   count depends only on the firmware and the APDU, never on host timing.
//!
//! # Arguments (`-plugin libhydra_qemu_icount.so,ARG=VALUE,...`)
//!
//! - `map=PATH`: a count map (see [`map`]); buckets, ranges and markers.
//! - `range=NAME:START-END`: one more range (repeatable).
//! - `begin=ADDR`, `end=ADDR`: the marker addresses (override the map's);
//!   `verifybegin=`, `verifyend=`, `verifyuntyped=` likewise.
//! - `out=PATH`: where to write the counts (default: standard error).
//! - `mix=on`: also count the instruction mix of each window (see [`mix`]):
//!   single loads and stores, multiple loads and stores and the registers
//!   they move, multiplies by kind, divides, instructions that can write
//!   the PC, and branches taken. Taken branches need a callback at the
//!   start of every translation block (the next block's address tells
//!   whether the previous block's closing branch was taken), which makes
//!   the run slower; the counts without `mix` are unchanged.
//! - `dispatch=ADDR`: profile the interpreter's bytecodes: ADDR is the
//!   dispatch instruction of its loop (the `tbh` of the opcode `match`);
//!   every instruction from one dispatch to the next is charged to the arm
//!   the dispatch jumped to, counted per executed translation block.
//! - `stop=START-END`: with `dispatch=`, code that ends the charging of the
//!   current arm (the interpreter's entry, which runs again when a method
//!   returns to its native caller or an exception unwinds); repeatable.
//! - NVM writes: when the map names an `nvm` region and the `nvmwrite`
//!   marker (the function the firmware calls at the start of each write
//!   through its NVM driver), each window also counts the writes, the
//!   bytes stored into the region and the blocks programmed (see [`nvm`]).
//!   Every store instruction then gets a memory callback, which makes the
//!   run slower; the instruction counts are unchanged.
//! - Verification windows: when the map names the `verifybegin` marker and
//!   `verifyend` or `verifyuntyped` (the firmware calls them around its
//!   check of each load file it loads: the factory image's at boot, a
//!   card manager LOAD's inside that APDU's window), the plugin also
//!   counts the instructions of each check. A verification window is
//!   independent of the APDU windows: it snapshots the same counters, so
//!   an APDU window around it still counts everything, the check
//!   included.
//! - `pcs=PATH`: also count every instruction address inside the APDU
//!   windows and rewrite PATH with `pc ADDR COUNT` lines at the end of each
//!   window (a flat profile; the host names the functions).
//!
//! # Output
//!
//! ```text
//! # hydra-icount 1
//! buckets interp runtime other
//! arm 0xe4b4 12 300           # with dispatch=: arm, dispatches, instructions
//! verify 0 81234 1           # index, total, typed (1) or not (0)
//! verify 1 90210 1 0          # ... and the APDU window it lies in
//! apdu 0 1234 1000 200 34     # index, total, then one count per bucket
//! exit 99999 ...              # whole run, when QEMU exits
//! ```
//!
//! With `mix=on` the header has one more line, `classes loads stores ...`
//! (the names of [`mix::CLASSES`]), and each `apdu` line follows a line
//! `mix INDEX COUNT...` with one count per class for the same window. With
//! an NVM region, each `apdu` line follows `nvm INDEX WRITES BYTES BLOCKS`.
//!
//! A `verify` line is written at the end of each verification window
//! (see [`verify_record`]): its own index (from 0, in order), the
//! instructions of the check, `1` when the verifier type-checked the load
//! file (whatever its verdict) or `0` when the check found it could not
//! (no Descriptor component, or an import whose export data the card does
//! not hold: what was counted is that finding alone), and, when an APDU
//! window was open at its start, that window's index, so it precedes that
//! window's `apdu` line.
//!
//! Each `apdu` line is written and flushed before the firmware can send the
//! response, so a host that has read the response can read the line.

pub mod map;
pub mod mix;
pub mod nvm;

#[cfg(not(test))]
mod plugin;

/// Formats one output record: `KIND INDEX? TOTAL COUNTS...`.
pub fn record(kind: &str, index: Option<u64>, counts: &[u64]) -> String {
    use core::fmt::Write;
    let mut s = String::from(kind);
    if let Some(i) = index {
        let _ = write!(s, " {i}");
    }
    let _ = write!(s, " {}", counts.iter().sum::<u64>());
    for c in counts {
        let _ = write!(s, " {c}");
    }
    s
}

/// Formats a verification record: `verify INDEX TOTAL TYPED [APDU]`.
pub fn verify_record(index: u64, total: u64, typed: bool, apdu: Option<u64>) -> String {
    let mut s = format!("verify {index} {total} {}", u8::from(typed));
    if let Some(a) = apdu {
        s.push_str(&format!(" {a}"));
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn record_format() {
        assert_eq!(
            super::record("apdu", Some(3), &[5, 0, 7]),
            "apdu 3 12 5 0 7"
        );
        assert_eq!(super::record("exit", None, &[1]), "exit 1 1");
    }

    #[test]
    fn verify_record_format() {
        assert_eq!(
            super::verify_record(0, 81234, true, None),
            "verify 0 81234 1"
        );
        assert_eq!(
            super::verify_record(4, 57, false, Some(12)),
            "verify 4 57 0 12"
        );
    }
}
