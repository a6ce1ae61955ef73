//! Differential testing of the engines (feature `fuzzing`): random
//! mutations of the conformance applets that stay valid — an operator, a
//! comparison, a constant replaced by another of the same stack effect and
//! length — re-verified, compiled, and run on the interpreter and on the
//! compiled code with the applet's conformance script. Any difference in
//! the responses is a bug of one engine.
//!
//! Only methods without backward branches are mutated, so a mutation
//! cannot turn a loop into an endless one.

use std::path::PathBuf;
use std::rc::Rc;

use hydra_cap::bytecode::{decode_all, Operands};
use hydra_cap::CapFile;
use hydra_host::{read_suite, SuiteEntry};
use hydra_jcapi::{ApiVersion, ExportPath};
use hydra_native::host::{NativeCode, NativeImage};
use hydra_verify::ApiSet;

/// A small deterministic generator (xorshift64*), seeded by the fuzzer.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64, so neighbouring seeds start far apart.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
    fn short(&mut self) -> i16 {
        match self.below(4) {
            0 => self.pick(&[0, 1, -1, 2, 0x7F, -0x80, 0xFF, 0x7FFF, -0x8000]),
            1 => self.below(16) as i16 - 8,
            _ => self.next_u64() as i16,
        }
    }
}

/// One applied mutation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutation {
    /// Method header offset, pc in the method, what changed.
    pub method: u16,
    pub pc: u16,
    pub what: String,
}

impl std::fmt::Display for Mutation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "method @{:#06x} pc {}: {}",
            self.method, self.pc, self.what
        )
    }
}

const GROUPS: &[&[u8]] = &[
    &[
        0x41, 0x43, 0x45, 0x47, 0x49, 0x4D, 0x4F, 0x51, 0x53, 0x55, 0x57,
    ],
    &[
        0x42, 0x44, 0x46, 0x48, 0x4A, 0x4E, 0x50, 0x52, 0x54, 0x56, 0x58,
    ],
    &[0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08],
    &[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F],
    &[0x60, 0x61, 0x62, 0x63, 0x64, 0x65],
    &[0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D],
    &[0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F],
    &[0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7],
    &[0x66, 0x67],
    &[0x9E, 0x9F],
    &[0x68, 0x69],
    &[0xA0, 0xA1],
    &[0x4B, 0x5B, 0x00],
];

/// Applies up to `count` mutations to methods without backward branches.
pub fn mutate(cap: &CapFile, rng: &mut Rng, count: usize) -> (CapFile, Vec<Mutation>) {
    let mut out = cap.clone();
    let mut done = Vec::new();
    // Candidate (method index, instruction pc, opcode, operands).
    let mut sites = Vec::new();
    for (mi, m) in out.method.methods.iter().enumerate() {
        let Ok(insns) = decode_all(&m.bytecode) else {
            continue;
        };
        let loops = insns.iter().any(|i| {
            i.branch_targets().iter().any(|&t| t <= i32::from(i.pc))
                || matches!(i.opcode.0, 0x71 | 0x72)
        });
        if loops {
            continue;
        }
        for i in &insns {
            let op = i.opcode.0;
            if GROUPS.iter().any(|g| g.contains(&op))
                || matches!(op, 0x10..=0x14 | 0x59 | 0x96 | 0x5A | 0x97)
            {
                sites.push((mi, i.pc, op, i.operands.clone()));
            }
        }
    }
    for _ in 0..count {
        if sites.is_empty() {
            break;
        }
        let (mi, pc, op, operands) = sites[rng.below(sites.len())].clone();
        let m = &mut out.method.methods[mi];
        let at = usize::from(pc);
        let what = if let Some(g) = GROUPS.iter().find(|g| g.contains(&op)) {
            let to = rng.pick(g);
            m.bytecode[at] = to;
            format!("opcode {op:#04x} -> {to:#04x}")
        } else {
            match (op, operands) {
                (0x10 | 0x12, _) => {
                    let v = rng.short() as u8;
                    m.bytecode[at + 1] = v;
                    format!("push byte {v:#04x}")
                }
                (0x11 | 0x13, _) => {
                    let v = rng.short();
                    m.bytecode[at + 1..at + 3].copy_from_slice(&v.to_be_bytes());
                    format!("push short {v}")
                }
                (0x14, _) => {
                    let v = (rng.short() as i32) << rng.below(17);
                    m.bytecode[at + 1..at + 5].copy_from_slice(&v.to_be_bytes());
                    format!("push int {v}")
                }
                (0x59 | 0x5A, Operands::Inc { .. }) => {
                    let v = rng.short() as u8;
                    m.bytecode[at + 2] = v;
                    format!("increment {}", v as i8)
                }
                (0x96 | 0x97, Operands::Inc { .. }) => {
                    let v = rng.short();
                    m.bytecode[at + 2..at + 4].copy_from_slice(&v.to_be_bytes());
                    format!("increment {v}")
                }
                _ => continue,
            }
        };
        done.push(Mutation {
            method: m.offset,
            pc,
            what,
        });
    }
    (out, done)
}

/// `cap` with every short shift whose amount is a local
/// (`sload_x sload_y sshl|sshr|sushr`) shifting by the constant `k`
/// instead (`sconst_k`, -1..=5: -1 shifts by 31), or `None` when it has
/// no such shift. The compiler lowers shifts by constants on their own
/// path: these variants put it beside the interpreter, amounts of 16 and
/// more included.
pub fn with_constant_shifts(cap: &CapFile, k: i8) -> Option<CapFile> {
    assert!((-1..=5).contains(&k), "sconst_k exists for -1..=5");
    let sconst = (0x03 + i16::from(k)) as u8;
    let mut out = cap.clone();
    let mut any = false;
    for m in &mut out.method.methods {
        let Ok(insns) = decode_all(&m.bytecode) else {
            continue;
        };
        for w in insns.windows(3) {
            let sload = |op: u8| (0x1C..=0x1F).contains(&op);
            if sload(w[0].opcode.0)
                && sload(w[1].opcode.0)
                && matches!(w[2].opcode.0, 0x4D | 0x4F | 0x51)
            {
                m.bytecode[usize::from(w[1].pc)] = sconst;
                any = true;
            }
        }
    }
    any.then_some(out)
}

/// The conformance suite of the repository.
pub fn suite() -> Vec<SuiteEntry> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets/suite.json");
    read_suite(&dir).unwrap_or_default()
}

/// The API plus the export files beside the suite entry's CAPs.
pub fn api_for(caps: &[PathBuf]) -> ApiSet {
    let mut path = ExportPath::new(ApiVersion::from_name("3.2.0").expect("known API"));
    for c in caps {
        if let Some(d) = c.parent() {
            let _ = path.add_dir(d);
        }
    }
    ApiSet::from_export_path(&path)
}

/// What one differential case found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Both engines answered every APDU identically; `changed`: and
    /// differently from the unmutated applet (the mutation was observable).
    Same { changed: bool },
    /// The mutation did not verify (skipped).
    Invalid,
    /// The engines differ: the first differing response.
    Differ(String),
}

/// One case: suite entry, package and mutations chosen by `seed`.
pub fn run_case(seed: u64) -> (Outcome, Vec<Mutation>, String) {
    let suite = suite();
    if suite.is_empty() {
        return (Outcome::Invalid, Vec::new(), String::new());
    }
    let mut rng = Rng::new(seed);
    let e = &suite[rng.below(suite.len())];
    let mut caps: Vec<CapFile> = Vec::new();
    for c in &e.caps {
        match hydra_host::read_cap(c) {
            Ok(cap) => caps.push(cap),
            Err(_) => return (Outcome::Invalid, Vec::new(), String::new()),
        }
    }
    let which = rng.below(caps.len());
    let n = 1 + rng.below(8);
    let (mutated, muts) = mutate(&caps[which], &mut rng, n);
    caps[which] = mutated;
    let label = e.script.display().to_string();
    let api = api_for(&e.caps);
    let mut code = NativeCode::new();
    for cap in &caps {
        let Ok(v) = hydra_verify::verify(cap, &api) else {
            return (Outcome::Invalid, muts, label);
        };
        let p = match crate::compile(cap, &v, crate::HOST_TRIPLE, crate::Options::default()) {
            Ok(p) => p,
            Err(err) => return (Outcome::Differ(format!("compile: {err}")), muts, label),
        };
        let package = match crate::emit_package(&p, cap) {
            Ok(o) => o,
            Err(err) => return (Outcome::Differ(format!("package: {err}")), muts, label),
        };
        match NativeImage::load(&package) {
            Ok(i) => code.add(i),
            Err(err) => return (Outcome::Differ(format!("load: {err}")), muts, label),
        }
    }
    let interp = e.run_with(&caps, None);
    // Twice: a mutation can make the applet answer random bytes, which no
    // two runs share; those responses are not compared.
    let interp_again = e.run_with(&caps, None);
    let native = e.run_with(&caps, Some(Rc::new(move || code.engine())));
    let again = interp_again.as_deref().ok();
    let outcome = match (interp, native) {
        (Ok(a), Ok(b)) => match hydra_host::first_stable_difference(&a, again, &b) {
            None => {
                let expected = std::fs::read_to_string(&e.expected).unwrap_or_default();
                Outcome::Same {
                    changed: hydra_host::first_difference(&a, &expected).is_some(),
                }
            }
            Some((line, want, got)) => Outcome::Differ(format!(
                "response {line}\n  interp: {want}\n  native: {got}"
            )),
        },
        (Err(a), Err(b)) if a == b => Outcome::Same { changed: true },
        (a, b) => Outcome::Differ(format!("interp: {a:?}\n  native: {b:?}")),
    };
    (outcome, muts, label)
}
