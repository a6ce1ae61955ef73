//! Properties of the inline checks in the optimised CLIF of every method of
//! the conformance and benchmark applets.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use cranelift_codegen::dominator_tree::DominatorTree;
use cranelift_codegen::flowgraph::ControlFlowGraph;
use cranelift_codegen::ir::types::I32;
use cranelift_codegen::ir::{Function, Inst, InstructionData, Opcode};
use cranelift_codegen::isa::CallConv;
use cranelift_codegen::loop_analysis::LoopAnalysis;
use hydra_lower::{optimize, Target};

fn caps() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut caps = Vec::new();
    for dir in ["conformance/applets", "benches/applets"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let e = e.unwrap().path();
            let name = e.file_name().unwrap().to_string_lossy().to_string();
            let cap = e.join(format!("cap/{name}.cap"));
            if cap.exists() {
                caps.push(cap);
            }
        }
    }
    caps.sort();
    caps
}

/// Instructions of a loop that makes no call which compute an invariant
/// of the loop from loads constant between calls (`is_constant_load`:
/// the inline checks), every argument computed outside the loop, but stay
/// inside it; and the number of such loops.
fn unhoisted(f: &Function) -> (Vec<String>, usize) {
    let cfg = ControlFlowGraph::with_function(f);
    let dt = DominatorTree::with_function(f, &cfg);
    let mut la = LoopAnalysis::new();
    la.compute(f, &cfg, &dt);
    // Values computed from the loads constant between calls, not through
    // other loads: what the inline checks compute.
    let mut derived = HashSet::new();
    for b in f.layout.blocks() {
        for i in f.layout.block_insts(b) {
            let from_derived = !f.dfg.insts[i].opcode().can_load()
                && f.dfg.inst_args(i).iter().any(|a| derived.contains(a));
            if is_constant_load(f, i) || from_derived {
                derived.extend(f.dfg.inst_results(i).iter().copied());
            }
        }
    }
    let mut bad = Vec::new();
    let mut loops = 0;
    for lp in la.loops() {
        let blocks: Vec<_> = f
            .layout
            .blocks()
            .filter(|&b| la.is_in_loop(b, lp))
            .collect();
        let insts: Vec<_> = blocks
            .iter()
            .flat_map(|&b| f.layout.block_insts(b))
            .collect();
        if insts.iter().any(|&i| f.dfg.insts[i].opcode().is_call()) {
            continue;
        }
        loops += 1;
        let inside: HashSet<_> = insts
            .iter()
            .flat_map(|&i| f.dfg.inst_results(i).iter().copied())
            .chain(
                blocks
                    .iter()
                    .flat_map(|&b| f.dfg.block_params(b).iter().copied()),
            )
            .collect();
        for &i in &insts {
            let data = &f.dfg.insts[i];
            let op = data.opcode();
            let args = f.dfg.inst_args(i);
            if args.is_empty() || args.iter().any(|a| inside.contains(a)) {
                continue;
            }
            if !args.iter().any(|a| derived.contains(a)) && !is_constant_load(f, i) {
                continue;
            }
            let invariant = match *data {
                InstructionData::Load { .. } => is_constant_load(f, i),
                _ => {
                    !op.can_load()
                        && !op.can_store()
                        && !op.is_branch()
                        && !op.is_terminator()
                        && !op.other_side_effects()
                        && !op.can_trap()
                        && !op.is_call()
                }
            };
            if invariant {
                bad.push(format!("{}", f.dfg.display_inst(i)));
            }
        }
    }
    (bad, loops)
}

/// A load of the "vm context" or "object headers" region marked
/// `readonly`: constant between calls.
fn is_constant_load(f: &Function, i: Inst) -> bool {
    match f.dfg.insts[i] {
        InstructionData::Load {
            opcode: Opcode::Load,
            ..
        } => {
            let flags = f.dfg.insts[i].memflags_data(&f.dfg).unwrap();
            flags.alias_region().is_some() && flags.readonly()
        }
        _ => false,
    }
}

#[test]
fn invariants_of_call_free_loops_are_hoisted() {
    let api = common::api();
    // The Thumb-2 target's pointer size.
    let target = Target {
        pointer: I32,
        call_conv: CallConv::SystemV,
    };
    let flags = hydra_lower::flags();
    let mut loops = 0;
    let mut failures = Vec::new();
    for cap in caps() {
        let methods = common::lowered(&cap, &api, &target);
        for m in methods {
            let (f, _) = optimize(m.func, &flags).unwrap();
            let (bad, n) = unhoisted(&f);
            loops += n;
            for inst in bad {
                failures.push(format!("{} {}: {inst}", cap.display(), m.label));
            }
        }
    }
    // The benchmarks' compute loops alone are more than this.
    assert!(loops > 20, "only {loops} call-free loops");
    assert!(failures.is_empty(), "not hoisted:\n{}", failures.join("\n"));
}
