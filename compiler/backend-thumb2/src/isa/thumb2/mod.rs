//! The Thumb-2 (ARMv7-M) backend: [`lower`] selects instructions from
//! optimised CLIF into [`vcode::VCode`], regalloc2 assigns registers,
//! [`compile_function`] turns the allocation into machine instructions with
//! the frame of [`abi`], and [`buffer`] lays them out (branch relaxation,
//! literal pools) for the encoder in [`inst`].

pub mod abi;
pub mod buffer;
pub mod inst;
pub mod lower;
pub mod settings;
pub mod vcode;

use std::collections::HashMap;

use cranelift_codegen::ir::Function;
use regalloc2::{Allocation, Block, Edit, InstOrEdit, Output, RegallocOptions};

use crate::CodegenError;
use buffer::{Buffer, Item};
use inst::*;
use vcode::{Cmp, CmpB, Kind, VCode};

/// One compiled function.
#[derive(Debug, Clone)]
pub struct CompiledCode {
    pub code: Vec<u8>,
    /// The listing: (offset, text); labels have no offset.
    pub listing: Vec<(Option<u32>, String)>,
    /// Literal-pool ranges inside `code`.
    pub data_ranges: Vec<(u32, u32)>,
    pub frame: abi::Frame,
    pub spill_slots: usize,
}

/// Compiles one function of optimised CLIF.
pub fn compile_function(
    func: &Function,
    name: &str,
    flags: &settings::Flags,
) -> Result<CompiledCode, CodegenError> {
    let vcode = lower::lower(func, name)?;
    let env = abi::machine_env();
    let opts = RegallocOptions {
        verbose_log: false,
        validate_ssa: cfg!(debug_assertions),
        algorithm: regalloc2::Algorithm::Ion,
    };
    if std::env::var_os("HYDRA_THUMB2_DUMP").is_some() {
        eprintln!("{}\n{vcode}", func.display());
    }
    let out = regalloc2::run(&vcode, &env, &opts).map_err(|e| CodegenError::Regalloc {
        func: name.to_string(),
        what: format!("{e:?}"),
    })?;
    if std::env::var_os("HYDRA_THUMB2_DUMP").is_some() {
        for b in 0..vcode.blocks.len() {
            eprintln!("block {b}");
            for ie in out.block_insts_and_edits(&vcode, Block::new(b)) {
                match ie {
                    InstOrEdit::Inst(i) => eprintln!("  {}: {:?}", i.index(), out.inst_allocs(i)),
                    InstOrEdit::Edit(e) => eprintln!("  edit {e:?}"),
                }
            }
        }
    }
    if flags.check_regalloc {
        let mut checker = regalloc2::checker::Checker::new(&vcode, &env);
        checker.prepare(&out);
        checker.run().map_err(|e| CodegenError::Regalloc {
            func: name.to_string(),
            what: format!("checker: {e:?}"),
        })?;
    }
    emit(&vcode, &out, name)
}

fn preg(a: Allocation) -> Reg {
    Reg::from_preg(a.as_reg().expect("register operand"))
}

fn emit(vc: &VCode, out: &Output, name: &str) -> Result<CompiledCode, CodegenError> {
    let bug = |what: String| CodegenError::Bug(format!("{name}: {what}"));
    // Registers used, for the prologue.
    let mut used = RegSet::default();
    for a in &out.allocs {
        if let Some(p) = a.as_reg() {
            used = used.with(Reg::from_preg(p));
        }
    }
    for (_, Edit::Move { from, to }) in &out.edits {
        for a in [from, to] {
            if let Some(p) = a.as_reg() {
                used = used.with(Reg::from_preg(p));
            }
        }
    }
    for i in &vc.insts {
        for r in i.clobbers {
            let _ = r;
        }
    }
    let frame = abi::Frame::new(
        used,
        vc.calls,
        vc.outgoing,
        vc.slots,
        out.num_spillslots as u32,
    );
    if frame.size >= 4096 || frame.spill_offset(out.num_spillslots) >= 4096 {
        return Err(CodegenError::Unsupported {
            func: name.to_string(),
            inst: String::new(),
            what: format!("a frame of {} bytes (at most 4 KiB)", frame.size),
        });
    }
    let nblocks = vc.blocks.len();
    // Blocks that are a lone jump with no moves: branch past them.
    let mut forward: Vec<Option<usize>> = vec![None; nblocks];
    for (b, blk) in vc.blocks.iter().enumerate() {
        let insts = vc.block_insts(b);
        if b != 0 && insts.len() == 1 {
            if let Kind::Jump { target } = insts[0].kind {
                let edits = out
                    .block_insts_and_edits(vc, Block::new(b))
                    .filter(|x| matches!(x, InstOrEdit::Edit(_)))
                    .count();
                if edits == 0 && target.index() != b {
                    forward[b] = Some(target.index());
                }
            }
        }
        let _ = blk;
    }
    // Blocks identical to an earlier one (same instructions, registers,
    // moves and successors, as the slow paths that raise one exception
    // often are): branch to the earlier one. Merging can make more blocks
    // identical; every forward goes to a lower block, so chains end.
    loop {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut changed = false;
        for b in 1..nblocks {
            if forward[b].is_some() {
                continue;
            }
            let key = block_key(vc, out, b, &|t| resolve_in(&forward, t));
            match seen.entry(key) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    forward[b] = Some(*e.get());
                    changed = true;
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(b);
                }
            }
        }
        if !changed {
            break;
        }
    }
    let resolve = |mut b: usize| {
        let mut n = 0;
        while let Some(t) = forward[b] {
            b = t;
            n += 1;
            if n > nblocks {
                break;
            }
        }
        b
    };
    let emitted: Vec<usize> = (0..nblocks).filter(|&b| forward[b].is_none()).collect();
    let mut buf = Buffer::new();
    buf.reserve_labels(nblocks as u32);
    let lab = |b: usize| Label(resolve(b) as u32);
    for i in frame.prologue() {
        buf.push(i);
    }
    let spill = |a: Allocation| frame.spill_offset(a.as_stack().expect("stack").index());
    for (k, &b) in emitted.iter().enumerate() {
        let next = emitted.get(k + 1).copied();
        buf.bind(Label(b as u32));
        for ie in out.block_insts_and_edits(vc, Block::new(b)) {
            let inst = match ie {
                InstOrEdit::Edit(Edit::Move { from, to }) => {
                    let m = match (from.as_reg(), to.as_reg()) {
                        (Some(f), Some(t)) => Inst::Mov {
                            rd: Reg::from_preg(t),
                            rm: Reg::from_preg(f),
                        },
                        (None, Some(t)) => Inst::Load {
                            size: MemSize::W32,
                            rt: Reg::from_preg(t),
                            rn: SP,
                            off: spill(*from),
                        },
                        (Some(f), None) => Inst::Store {
                            size: MemSize::W32,
                            rt: Reg::from_preg(f),
                            rn: SP,
                            off: spill(*to),
                        },
                        (None, None) => return Err(bug("stack-to-stack move".into())),
                    };
                    if !matches!(m, Inst::Mov { rd, rm } if rd == rm) {
                        buf.push(m);
                    }
                    continue;
                }
                InstOrEdit::Inst(i) => i,
            };
            let vi = &vc.insts[inst.index()];
            let allocs = out.inst_allocs(inst);
            let r = |slot: u8| preg(allocs[slot as usize]);
            match &vi.kind {
                Kind::Op(i) => {
                    let m = vcode::map_regs(i, &|x| r(x.num() as u8));
                    if !matches!(m, Inst::Mov { rd, rm } if rd == rm) {
                        buf.push(m);
                    }
                }
                Kind::Args => {}
                Kind::Const(c) => buf.items.push(Item::Lit {
                    rt: r(0),
                    value: *c,
                }),
                Kind::SetCc { cmp, rd } => {
                    let cond = emit_cmp(&mut buf, cmp, &r);
                    buf.push(Inst::It {
                        cond,
                        len: 2,
                        elses: 1,
                    });
                    buf.push(Inst::MovImmCond {
                        cond,
                        rd: r(*rd),
                        imm: 1,
                    });
                    buf.push(Inst::MovImmCond {
                        cond: cond.invert(),
                        rd: r(*rd),
                        imm: 0,
                    });
                }
                Kind::Select { cmp, rd, t } => {
                    if r(*rd) != r(*t) {
                        let cond = emit_cmp(&mut buf, cmp, &r);
                        buf.push(Inst::It {
                            cond,
                            len: 1,
                            elses: 0,
                        });
                        buf.push(Inst::MovCond {
                            cond,
                            rd: r(*rd),
                            rm: r(*t),
                        });
                    }
                }
                Kind::SlotAddr { rd, off } => buf.push(Inst::AddSp {
                    rd: r(*rd),
                    imm: frame.outgoing + off,
                }),
                Kind::SlotMem {
                    load,
                    size,
                    rt,
                    off,
                } => {
                    let (size, rt, rn, off) = (*size, r(*rt), SP, (frame.outgoing + off) as i32);
                    buf.push(if *load {
                        Inst::Load { size, rt, rn, off }
                    } else {
                        Inst::Store { size, rt, rn, off }
                    });
                }
                Kind::Call { target } => buf.push(Inst::Blx { rm: r(*target) }),
                Kind::Ret => {
                    for i in frame.epilogue() {
                        buf.push(i);
                    }
                }
                Kind::Unreachable => buf.push(Inst::Udf { imm: 0 }),
                Kind::Jump { target } => {
                    let t = resolve(target.index());
                    if Some(t) != next {
                        buf.push(Inst::B {
                            label: lab(t),
                            wide: false,
                        });
                    }
                }
                Kind::CondBr {
                    cmp,
                    taken,
                    not_taken,
                } => {
                    let (t, f) = (resolve(taken.index()), resolve(not_taken.index()));
                    let (cond, target, other) = if Some(t) == next {
                        (invert_cmp(cmp), f, None)
                    } else if Some(f) == next {
                        (*cmp, t, None)
                    } else {
                        (*cmp, t, Some(f))
                    };
                    let rn = r(cond.a);
                    if cond.b == CmpB::Zero
                        && matches!(cond.cond, Cond::Eq | Cond::Ne)
                        && rn.is_low()
                    {
                        buf.items.push(Item::ZeroBranch {
                            nz: cond.cond == Cond::Ne,
                            rn,
                            label: lab(target),
                        });
                    } else {
                        let c = emit_cmp(&mut buf, &cond, &r);
                        buf.push(Inst::BCond {
                            cond: c,
                            label: lab(target),
                            wide: false,
                        });
                    }
                    if let Some(f) = other {
                        buf.push(Inst::B {
                            label: lab(f),
                            wide: false,
                        });
                    }
                }
                Kind::CondBrMulti {
                    cmps,
                    all,
                    taken,
                    not_taken,
                } => {
                    let (t, f) = (resolve(taken.index()), resolve(not_taken.index()));
                    let (last, first) = cmps
                        .split_last()
                        .ok_or_else(|| bug("no comparison".into()))?;
                    // All but the last decide early: `bor` jumps to the
                    // taken side when one holds, `band` to the other side
                    // when one fails.
                    for c in first {
                        if *all {
                            branch_on(&mut buf, &invert_cmp(c), lab(f), &r);
                        } else {
                            branch_on(&mut buf, c, lab(t), &r);
                        }
                    }
                    if Some(t) == next {
                        branch_on(&mut buf, &invert_cmp(last), lab(f), &r);
                    } else {
                        branch_on(&mut buf, last, lab(t), &r);
                        if Some(f) != next {
                            buf.push(Inst::B {
                                label: lab(f),
                                wide: false,
                            });
                        }
                    }
                }
                Kind::BrTable {
                    idx,
                    tmp,
                    targets,
                    default,
                } => {
                    for (n, t) in targets.iter().enumerate() {
                        let n = n as u32;
                        match ModImm::maybe_from_u32(n) {
                            Some(m) => buf.push(Inst::CmpImm {
                                rn: r(*idx),
                                imm: m,
                            }),
                            None => {
                                buf.push(Inst::MovImm {
                                    rd: r(*tmp),
                                    imm: n,
                                });
                                buf.push(Inst::CmpReg {
                                    rn: r(*idx),
                                    rm: r(*tmp),
                                });
                            }
                        }
                        buf.push(Inst::BCond {
                            cond: Cond::Eq,
                            label: lab(t.index()),
                            wide: false,
                        });
                    }
                    let d = resolve(default.index());
                    if Some(d) != next {
                        buf.push(Inst::B {
                            label: lab(d),
                            wide: false,
                        });
                    }
                }
            }
        }
    }
    drop_dead_reloads(&mut buf.items);
    let fin = buf
        .finish(&|l| {
            if l.0 == u32::MAX {
                "pool".into()
            } else {
                format!(".L{}", l.0)
            }
        })
        .map_err(bug)?;
    Ok(CompiledCode {
        code: fin.code,
        listing: fin.listing,
        data_ranges: fin.data_ranges,
        frame,
        spill_slots: out.num_spillslots,
    })
}

/// Where a branch to block `b` goes: past forwarded blocks.
fn resolve_in(forward: &[Option<usize>], mut b: usize) -> usize {
    let mut n = 0;
    while let Some(t) = forward[b] {
        b = t;
        n += 1;
        if n > forward.len() {
            break;
        }
    }
    b
}

/// What block `b` emits, as a key: two blocks with one key have the same
/// code and the same successors (`res` resolves them).
fn block_key(vc: &VCode, out: &Output, b: usize, res: &dyn Fn(usize) -> usize) -> String {
    use core::fmt::Write;
    let rb = |t: &Block| Block::new(res(t.index()));
    let mut key = String::new();
    for ie in out.block_insts_and_edits(vc, Block::new(b)) {
        let _ = match ie {
            InstOrEdit::Edit(e) => write!(key, "{e:?};"),
            InstOrEdit::Inst(i) => {
                let kind = match &vc.insts[i.index()].kind {
                    Kind::Jump { target } => Kind::Jump { target: rb(target) },
                    Kind::CondBr {
                        cmp,
                        taken,
                        not_taken,
                    } => Kind::CondBr {
                        cmp: *cmp,
                        taken: rb(taken),
                        not_taken: rb(not_taken),
                    },
                    Kind::CondBrMulti {
                        cmps,
                        all,
                        taken,
                        not_taken,
                    } => Kind::CondBrMulti {
                        cmps: cmps.clone(),
                        all: *all,
                        taken: rb(taken),
                        not_taken: rb(not_taken),
                    },
                    Kind::BrTable {
                        idx,
                        tmp,
                        targets,
                        default,
                    } => Kind::BrTable {
                        idx: *idx,
                        tmp: *tmp,
                        targets: targets.iter().map(rb).collect(),
                        default: rb(default),
                    },
                    k => k.clone(),
                };
                write!(key, "{kind:?} {:?};", out.inst_allocs(i))
            }
        };
    }
    key
}

/// Removes a stack load whose register the next instruction executed
/// reloads from the stack (a block ending in a reload that the block it
/// falls into repeats). Labels in between do not matter: the removed load
/// only ever ran on the fall-through path.
fn drop_dead_reloads(items: &mut Vec<Item>) {
    let sp_load = |i: &Item| match i {
        Item::Inst(Inst::Load { rt, rn, .. }) if *rn == SP => Some(*rt),
        _ => None,
    };
    let mut keep = vec![true; items.len()];
    for (i, item) in items.iter().enumerate() {
        let Some(rt) = sp_load(item) else { continue };
        let next = items[i + 1..].iter().find(|x| !matches!(x, Item::Label(_)));
        if next.and_then(sp_load) == Some(rt) {
            keep[i] = false;
        }
    }
    let mut k = keep.into_iter();
    items.retain(|_| k.next().unwrap_or(true));
}

fn invert_cmp(c: &Cmp) -> Cmp {
    Cmp {
        cond: c.cond.invert(),
        ..*c
    }
}

/// A branch to `label` when `cmp` holds: `cbz`/`cbnz` where it can be.
fn branch_on(buf: &mut Buffer, cmp: &Cmp, label: Label, r: &dyn Fn(u8) -> Reg) {
    let rn = r(cmp.a);
    if cmp.b == CmpB::Zero && matches!(cmp.cond, Cond::Eq | Cond::Ne) && rn.is_low() {
        buf.items.push(Item::ZeroBranch {
            nz: cmp.cond == Cond::Ne,
            rn,
            label,
        });
    } else {
        let cond = emit_cmp(buf, cmp, r);
        buf.push(Inst::BCond {
            cond,
            label,
            wide: false,
        });
    }
}

/// Emits the flag-setting part of `cmp`; returns the condition to test.
fn emit_cmp(buf: &mut Buffer, cmp: &Cmp, r: &dyn Fn(u8) -> Reg) -> Cond {
    let a = r(cmp.a);
    match cmp.b {
        CmpB::Reg(b) => buf.push(Inst::CmpReg { rn: a, rm: r(b) }),
        CmpB::Imm(m) => buf.push(Inst::CmpImm { rn: a, imm: m }),
        CmpB::Neg(m) => buf.push(Inst::CmnImm { rn: a, imm: m }),
        CmpB::Tst(m) => buf.push(Inst::TstImm { rn: a, imm: m }),
        CmpB::Zero => buf.push(Inst::CmpImm {
            rn: a,
            imm: ModImm::maybe_from_u32(0).expect("0"),
        }),
        CmpB::Low { bits, tmp } => buf.push(Inst::LslsImm {
            rd: r(tmp),
            rm: a,
            amt: ShiftAmt::maybe_from_u32(32 - u32::from(bits)).expect("8 or 16 bits"),
        }),
    }
    cmp.cond
}
