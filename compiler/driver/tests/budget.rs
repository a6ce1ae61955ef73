//! An applet whose methods loop for ever (`goto` to itself, a valid
//! program) runs out of the execution budget on every engine: the command
//! gets 6F00, the card keeps answering, and the engines agree.

mod common;

use common::*;
use hydra_cap::component::descriptor::ACC_STATIC;
use hydra_cap::CapFile;
use hydra_host::Host;

/// `cap` with every virtual method's body replaced by `goto 0` and nops.
fn endless(cap: &CapFile) -> CapFile {
    let mut c = cap.clone();
    let virtuals: Vec<u16> = c
        .descriptor
        .classes
        .iter()
        .flat_map(|d| d.methods.iter())
        .filter(|m| m.access_flags & ACC_STATIC == 0 && !m.is_init() && m.method_offset != 0)
        .map(|m| m.method_offset)
        .collect();
    let mut cleared = Vec::new();
    for m in &mut c.method.methods {
        if virtuals.contains(&m.offset) && m.bytecode.len() >= 2 {
            m.bytecode.fill(0x00);
            m.bytecode[0] = 0x70; // goto +0
            let start = m.code_offset();
            cleared.push(start..start + m.bytecode.len() as u16);
        }
    }
    // The constant-pool operands that were there are gone.
    let kept = |o: &u16| !cleared.iter().any(|r| r.contains(o));
    let rl = &mut c.reference_location;
    rl.byte_index_offsets.retain(kept);
    rl.byte2_index_offsets.retain(kept);
    c
}

fn answers(cap: &CapFile, engine: Option<hydra_host::EngineFactory>) -> Vec<u16> {
    let mut host = Host::in_memory();
    host.engine = engine;
    host.config.budget = 100_000;
    host.load(cap).unwrap();
    host.install_all().unwrap();
    let card = host.card().unwrap();
    let aid = &cap.applet.as_ref().unwrap().applets[0].aid;
    let mut select = vec![0x00, 0xA4, 0x04, 0x00, aid.as_bytes().len() as u8];
    select.extend_from_slice(aid.as_bytes());
    let mut sws = vec![card.process(&select).sw];
    for _ in 0..3 {
        sws.push(card.process(&[0x80, 0x10, 0x00, 0x00, 0x00]).sw);
    }
    sws
}

#[test]
fn endless_loops_run_out_of_budget_on_every_engine() {
    let path = applets().join("arith/cap/arith.cap");
    let cap = endless(&hydra_host::read_cap(&path).unwrap());
    let api = api(std::slice::from_ref(&path));
    let v = hydra_verify::verify(&cap, &api).expect("a loop is a valid program");
    let p = hydra_driver::compile(&cap, &v, HOST, hydra_driver::Options::default()).unwrap();
    let package = hydra_driver::emit_package(&p, &cap).unwrap();
    let mut code = hydra_native::host::NativeCode::new();
    code.add(hydra_native::host::NativeImage::load(&package).unwrap());
    let interp = answers(&cap, None);
    let native = answers(&cap, Some(factory(code)));
    // SELECT runs select() (a virtual method): out of budget too.
    assert_eq!(interp, [0x6F00; 4]);
    assert_eq!(native, interp);
}
