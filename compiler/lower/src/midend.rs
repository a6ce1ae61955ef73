//! The mid-end: Cranelift's target-independent passes on the lowered CLIF,
//! run with plain `settings::Flags` (no `TargetIsa`), so the Thumb-2
//! backend consumes exactly what the host backends compile.

use std::collections::HashMap;

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{Block, Function, InstructionData, Opcode, Value};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;

/// Instruction counts before and after the mid-end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MidEndStats {
    pub insts_before: usize,
    pub insts_after: usize,
}

/// The flags the mid-end runs with (`opt_level=speed`, verifier on).
pub fn flags() -> settings::Flags {
    let mut b = settings::builder();
    b.set("opt_level", "speed").expect("known setting");
    b.set("enable_verifier", "true").expect("known setting");
    settings::Flags::new(b)
}

fn live_insts(f: &Function) -> usize {
    f.layout
        .blocks()
        .map(|b| f.layout.block_insts(b).count())
        .sum()
}

/// Verifies, removes unreachable code and constant phis, then runs the
/// e-graph pass (GVN, LICM, algebraic rewrites, redundant-load removal),
/// then folds the branches a dominating branch already decided.
pub fn optimize(
    func: Function,
    flags: &settings::Flags,
) -> Result<(Function, MidEndStats), String> {
    let before = live_insts(&func);
    let mut ctx = Context::for_function(func);
    ctx.verify(flags).map_err(|e| e.to_string())?;
    ctx.compute_cfg();
    ctx.compute_domtree();
    ctx.eliminate_unreachable_code(flags)
        .map_err(|e| e.to_string())?;
    ctx.remove_constant_phis(flags).map_err(|e| e.to_string())?;
    ctx.func.dfg.resolve_all_aliases();
    ctx.egraph_pass(flags, &mut ControlPlane::default())
        .map_err(|e| e.to_string())?;
    if fold_decided_branches(&mut ctx) {
        ctx.compute_cfg();
        ctx.compute_domtree();
        ctx.eliminate_unreachable_code(flags)
            .map_err(|e| e.to_string())?;
    }
    let after = live_insts(&ctx.func);
    Ok((
        ctx.func,
        MidEndStats {
            insts_before: before,
            insts_after: after,
        },
    ))
}

/// Turns into a jump every `brif` whose condition a dominating `brif` has
/// already tested: GVN gives a repeated test (the bounds check of an array
/// element read twice) the same condition value, and where a block is
/// entered only through one edge of a `brif` on `c`, `c` is known in every
/// block it dominates. Removing edges keeps every dominance and
/// single-predecessor fact true, so one pass over the original graph is
/// sound. Returns whether anything changed.
fn fold_decided_branches(ctx: &mut Context) -> bool {
    ctx.compute_cfg();
    ctx.compute_domtree();
    let f = &ctx.func;
    // What entering a block decides: (condition, non-zero).
    let mut decided: HashMap<Block, (Value, bool)> = HashMap::new();
    for b in f.layout.blocks() {
        let mut preds = ctx.cfg.pred_iter(b);
        let (Some(p), None) = (preds.next(), preds.next()) else {
            continue;
        };
        if let InstructionData::Brif { arg, blocks, .. } = f.dfg.insts[p.inst] {
            let (t, e) = (
                blocks[0].block(&f.dfg.value_lists),
                blocks[1].block(&f.dfg.value_lists),
            );
            if t != e {
                decided.insert(b, (f.dfg.resolve_aliases(arg), t == b));
            }
        }
    }
    let mut folds = Vec::new();
    for b in f.layout.blocks() {
        let Some(term) = f.layout.last_inst(b) else {
            continue;
        };
        let InstructionData::Brif { arg, blocks, .. } = f.dfg.insts[term] else {
            continue;
        };
        let c = f.dfg.resolve_aliases(arg);
        let mut x = Some(b);
        while let Some(at) = x {
            if let Some(&(v, nonzero)) = decided.get(&at) {
                if v == c {
                    folds.push((term, blocks[usize::from(!nonzero)]));
                    break;
                }
            }
            x = ctx.domtree.idom(at);
        }
    }
    for &(inst, destination) in &folds {
        ctx.func.dfg.insts[inst] = InstructionData::Jump {
            opcode: Opcode::Jump,
            destination,
        };
    }
    !folds.is_empty()
}

#[cfg(test)]
mod tests {
    use cranelift_codegen::ir::condcodes::IntCC;
    use cranelift_codegen::ir::types::I32;
    use cranelift_codegen::ir::{AbiParam, Function, InstBuilder, Signature, UserFuncName};
    use cranelift_codegen::isa::CallConv;
    use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

    use super::*;

    fn brifs(f: &Function) -> usize {
        f.layout
            .blocks()
            .filter_map(|b| f.layout.last_inst(b))
            .filter(|&i| f.dfg.insts[i].opcode() == Opcode::Brif)
            .count()
    }

    /// `if (x < n) { if (x < n) return 1; else return 2; } return 3;`
    /// (the inner test repeated, as two reads of one array element check
    /// its bounds twice): the inner branch goes, and with it the `return 2`
    /// it can never take; so does the test after the false side, which
    /// only that side reaches.
    #[test]
    fn a_branch_decided_by_a_dominating_one_becomes_a_jump() {
        let mut sig = Signature::new(CallConv::SystemV);
        sig.params.push(AbiParam::new(I32));
        sig.params.push(AbiParam::new(I32));
        sig.returns.push(AbiParam::new(I32));
        let mut f = Function::with_name_signature(UserFuncName::user(0, 0), sig);
        let mut fc = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut f, &mut fc);
        let [entry, inner, one, two, three, join, again, four, five] =
            core::array::from_fn(|_| b.create_block());
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let (x, n) = (b.block_params(entry)[0], b.block_params(entry)[1]);
        let c = b.ins().icmp(IntCC::SignedLessThan, x, n);
        b.ins().brif(c, inner, &[], three, &[]);
        b.switch_to_block(inner);
        let c2 = b.ins().icmp(IntCC::SignedLessThan, x, n);
        b.ins().brif(c2, one, &[], two, &[]);
        for (blk, v) in [(one, 1), (two, 2)] {
            b.switch_to_block(blk);
            let r = b.ins().iconst(I32, v);
            b.ins().return_(&[r]);
        }
        b.switch_to_block(three);
        b.ins().jump(join, &[]);
        b.switch_to_block(join);
        let c3 = b.ins().icmp(IntCC::SignedLessThan, x, n);
        b.ins().brif(c3, again, &[], four, &[]);
        b.switch_to_block(again);
        b.ins().jump(five, &[]);
        for (blk, v) in [(four, 4), (five, 5)] {
            b.switch_to_block(blk);
            let r = b.ins().iconst(I32, v);
            b.ins().return_(&[r]);
        }
        b.seal_all_blocks();
        let target = crate::Target {
            pointer: I32,
            call_conv: CallConv::SystemV,
        };
        b.finalize(target.frontend_config());
        assert_eq!(brifs(&f), 3);
        let (f, _) = optimize(f, &flags()).expect("mid-end");
        let text = f.display().to_string();
        // `join` is reached only from the false side of the first test:
        // its test is decided too (x < n is false there).
        assert_eq!(brifs(&f), 1, "{text}");
        assert!(!text.contains("iconst.i32 2"), "{text}");
        assert!(!text.contains("iconst.i32 5"), "{text}");
    }
}
