//! The mid-end: Cranelift's target-independent passes on the lowered CLIF,
//! run with plain `settings::Flags` (no `TargetIsa`), so the Thumb-2
//! backend consumes exactly what the host backends compile.

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::Function;
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
/// e-graph pass (GVN, LICM, algebraic rewrites, redundant-load removal).
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
    let after = live_insts(&ctx.func);
    Ok((
        ctx.func,
        MidEndStats {
            insts_before: before,
            insts_after: after,
        },
    ))
}
