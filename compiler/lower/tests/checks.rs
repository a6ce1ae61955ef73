//! Properties of the inline checks in the optimised CLIF of every method of
//! the conformance and benchmark applets.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use cranelift_codegen::dominator_tree::DominatorTree;
use cranelift_codegen::flowgraph::ControlFlowGraph;
use cranelift_codegen::ir::types::I32;
use cranelift_codegen::ir::{Function, InstructionData, Opcode};
use cranelift_codegen::isa::CallConv;
use cranelift_codegen::loop_analysis::LoopAnalysis;
use hydra_jcapi::{ApiVersion, ExportPath};
use hydra_lower::{lower_package, optimize, Target};
use hydra_verify::ApiSet;

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

/// Loads of the "vm context" and "object headers" regions marked
/// `readonly` (constant between calls) whose address is computed outside
/// a loop that makes no call, but which stay inside it; and the number of
/// such loops.
fn unhoisted(f: &Function) -> (Vec<String>, usize) {
    let cfg = ControlFlowGraph::with_function(f);
    let dt = DominatorTree::with_function(f, &cfg);
    let mut la = LoopAnalysis::new();
    la.compute(f, &cfg, &dt);
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
            let InstructionData::Load {
                opcode: Opcode::Load,
                flags,
                arg,
                ..
            } = f.dfg.insts[i]
            else {
                continue;
            };
            if flags.alias_region().is_some() && flags.readonly() && !inside.contains(&arg) {
                bad.push(format!("{}", f.dfg.display_inst(i)));
            }
        }
    }
    (bad, loops)
}

#[test]
fn header_and_context_loads_leave_call_free_loops() {
    let mut path = ExportPath::new(ApiVersion::from_name("3.2.0").unwrap());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/applets");
    path.add_dir(&root.join("shareserver/cap")).unwrap();
    path.add_dir(&root.join("fwlib/cap")).unwrap();
    let api = ApiSet::from_export_path(&path);
    // The Thumb-2 target's pointer size.
    let target = Target {
        pointer: I32,
        call_conv: CallConv::SystemV,
    };
    let flags = hydra_lower::flags();
    let mut loops = 0;
    let mut failures = Vec::new();
    for cap in caps() {
        let loaded = hydra_cap::container::read_path(&cap).unwrap();
        let v = hydra_verify::verify(&loaded.cap, &api)
            .unwrap_or_else(|e| panic!("{}: {:?}", cap.display(), e));
        let methods = lower_package(&loaded.cap, &v, &target)
            .unwrap_or_else(|e| panic!("{}: {e}", cap.display()));
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
