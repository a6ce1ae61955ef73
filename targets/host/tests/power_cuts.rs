//! Power cut at every NVM write of the conformance scripts: after each cut
//! and reboot the card answers as in the old or the new state
//! (`hydra_host::power_cut`). CI sweeps the scripts whose state matters
//! most (PIN, transactions, statics, and the card manager's over secure
//! channels, opened again after each reboot); `HYDRA_CUT_SCRIPTS` names
//! others
//! (comma-separated, `all` for the whole suite; `hydra run --suite
//! conformance/applets/suite.json --power-cuts` does the same, faster, from
//! a release build).

use std::path::Path;

use hydra_host::power_cut::{sweep, sweepable};
use hydra_host::{read_cap, read_suite};

#[test]
fn every_power_cut_leaves_the_old_or_the_new_state() {
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets/suite.json");
    let only = match std::env::var("HYDRA_CUT_SCRIPTS") {
        Ok(s) if s == "all" => None,
        Ok(s) => Some(s),
        Err(_) => Some("pin,txn,statics,cardmgr,personal,secchannel".to_string()),
    };
    let (mut writes, mut cuts, mut consistent, mut skipped) = (0, 0, 0, 0);
    let mut bad = Vec::new();
    let mut swept = 0;
    for e in read_suite(&suite).unwrap() {
        let name = e.script.file_stem().unwrap().to_string_lossy().into_owned();
        if only
            .as_ref()
            .is_some_and(|o| !o.split(',').any(|x| x == name))
        {
            continue;
        }
        let text = std::fs::read_to_string(&e.script).unwrap();
        if !sweepable(&text) {
            continue;
        }
        let caps: Vec<_> = e.caps.iter().map(|c| read_cap(c).unwrap()).collect();
        let t = std::time::Instant::now();
        let r = sweep(&e, &caps, None).unwrap();
        println!(
            "{name}: {} writes, {} torn cuts, {} consistent, {} torn non-atomic data, {} clean cuts, {} in SELECT, {} not reproducible, {:?}",
            r.writes,
            r.cuts,
            r.consistent,
            r.torn_non_atomic,
            r.clean_cuts,
            r.skipped,
            r.unreproducible,
            t.elapsed()
        );
        swept += 1;
        writes += r.writes;
        cuts += r.cuts;
        consistent += r.consistent;
        skipped += r.skipped;
        bad.extend(r.inconsistencies);
    }
    println!(
        "power cuts: {swept} scripts, {writes} writes, {cuts} cuts injected, {consistent} states \
         checked consistent, {skipped} in SELECT not cut, {} inconsistencies",
        bad.len()
    );
    assert!(swept > 0);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
