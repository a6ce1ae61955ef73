//! Hostile and corrupted applets: random mutations of the conformance
//! packages' bytecode, constant pool and handler table are loaded and run.
//! Whatever happens (link error, exception, status word), nothing panics,
//! nothing hangs, and the card keeps answering.

use std::path::Path;

use hydra_cap::component::CpEntry;
use hydra_cap::{CapFile, ClassRef, StaticRef};
use hydra_host::{read_cap, read_suite, Host};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(cap: &CapFile, rng: &mut Rng) -> CapFile {
    let mut c = cap.clone();
    for _ in 0..1 + rng.below(4) {
        match rng.below(10) {
            0..=5 => {
                let m = rng.below(c.method.methods.len());
                let code = &mut c.method.methods[m].bytecode;
                if !code.is_empty() {
                    let i = rng.below(code.len());
                    code[i] = rng.next() as u8;
                }
            }
            6 | 7 => {
                let n = c.constant_pool.entries.len();
                if n > 0 {
                    let i = rng.below(n);
                    let t = rng.next() as u8;
                    c.constant_pool.entries[i] = match c.constant_pool.entries[i] {
                        CpEntry::InstanceField { class, .. } => {
                            CpEntry::InstanceField { class, token: t }
                        }
                        CpEntry::VirtualMethod { class, .. } => {
                            CpEntry::VirtualMethod { class, token: t }
                        }
                        CpEntry::SuperMethod { class, .. } => {
                            CpEntry::SuperMethod { class, token: t }
                        }
                        CpEntry::StaticMethod(StaticRef::External {
                            package_token,
                            class_token,
                            ..
                        }) => CpEntry::StaticMethod(StaticRef::External {
                            package_token,
                            class_token,
                            token: t,
                        }),
                        CpEntry::StaticField(StaticRef::Internal { .. }) => {
                            CpEntry::StaticField(StaticRef::Internal {
                                offset: u16::from(t),
                            })
                        }
                        CpEntry::Class(ClassRef::External { package_token, .. }) => {
                            CpEntry::Class(ClassRef::External {
                                package_token,
                                class_token: t,
                            })
                        }
                        e => e,
                    };
                }
            }
            _ => {
                let n = c.method.handlers.len();
                if n > 0 {
                    let h = &mut c.method.handlers[rng.below(n)];
                    match rng.below(3) {
                        0 => {
                            h.handler_offset = h
                                .handler_offset
                                .wrapping_add(rng.below(9) as u16)
                                .wrapping_sub(4)
                        }
                        1 => h.catch_type_index = rng.below(300) as u16,
                        _ => h.active_length = rng.below(200) as u16,
                    }
                }
            }
        }
    }
    c
}

#[test]
fn mutated_packages_never_panic_or_hang() {
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets/suite.json");
    let entries = read_suite(&suite).unwrap();
    let rounds: usize = std::env::var("HYDRA_MUTANTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut linked, mut ran) = (0, 0);
    for e in &entries {
        if e.caps.len() != 1 {
            continue;
        }
        let cap = read_cap(&e.caps[0]).unwrap();
        let script = std::fs::read_to_string(&e.script).unwrap();
        for _ in 0..rounds {
            let bad = mutate(&cap, &mut rng);
            let mut host = Host::in_memory();
            host.config.budget = 200_000;
            if host.load(&bad).is_err() {
                continue;
            }
            linked += 1;
            for i in &e.installs {
                let _ = host.install(i);
            }
            host.power_down();
            if host.run_script("mutant", &script).is_ok() {
                ran += 1;
            }
            // The card still answers a SELECT of an unknown AID.
            let card = host.card().unwrap();
            let r = card.process(&[0x00, 0xA4, 0x04, 0x00, 0x05, 1, 2, 3, 4, 5]);
            assert!(r.sw == 0x6A82 || r.sw >> 8 != 0, "{:04X}", r.sw);
        }
    }
    println!("mutants: {linked} linked, {ran} ran their script");
    assert!(ran > 0);
}
