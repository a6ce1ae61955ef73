//! Lowering of verified Java Card bytecode to Cranelift IR (CLIF), one
//! function per method, and the mid-end that optimises it.
//!
//! Every compiled method has the signature of the runtime ABI
//! (`hydra_abi`, prose in `runtime/docs/native-abi.md`):
//! `fn(vm, pkg, args) -> i32`. The operand stack and the locals become
//! cranelift-frontend variables of 16-bit words (an `int` is two words, high
//! first, exactly as in the JCVM), so `dup_x`/`swap_x` stay word moves and
//! the SSA builder does the rest; the verifier's frames give the stack depth
//! at every block entry.
//!
//! The inline checks are written here once, for every backend:
//! null (an invalid handle takes the slow path), firewall (owner context
//! against the current context, global arrays pass), array bounds,
//! division by zero, and the persistent-store barrier (transient and RAM
//! data are stored inline; persistent data through `store_nvm`). When a
//! fast-path check fails the code calls the runtime's full operation, which
//! re-checks and throws exactly as the interpreter does. Exceptions are a
//! pending flag in the VM context, tested after each runtime call; a
//! dispatch block per covering handler list asks the runtime whether the
//! pending exception is caught.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{I16, I32, I64, I8};
use cranelift_codegen::ir::{
    AbiParam, AliasRegion, AliasRegionData, Block, Function, InstBuilder, MemFlagsData, SigRef,
    Signature, StackSlotData, StackSlotKind, Type, UserFuncName, Value,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Switch, Variable};
use hydra_abi::{self as abi, kind, obj, Entry, Ty, VmLayout, THIS_FORM};
use hydra_cap::bytecode::{Instruction, Operands};
use hydra_cap::component::MethodInfo;
use hydra_cap::CapFile;
use hydra_verify::{Elem, Resolved, VType, Verified};

pub mod codegen;
mod intrinsic;
mod midend;
pub use midend::{flags, optimize, MidEndStats};

/// Why a method could not be lowered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LowerError {
    /// A construct this compiler does not translate (never silently
    /// interpreted instead).
    #[error("method {method} at pc {pc}: {what} is not supported by the compiler")]
    Unsupported {
        method: String,
        pc: u16,
        what: String,
    },
    /// The verifier left no type state where the lowering needs one: a bug
    /// of the verifier or of the lowering, not of the input.
    #[error("method {method} at pc {pc}: no verified type state ({what})")]
    NoTypes {
        method: String,
        pc: u16,
        what: &'static str,
    },
    #[error("method {method}: Cranelift rejected the generated code: {what}")]
    Codegen { method: String, what: String },
}

/// What the lowering targets.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Pointer type: `I64` on the 64-bit hosts, `I32` on Thumb-2.
    pub pointer: Type,
    pub call_conv: CallConv,
}

impl Target {
    pub fn layout(&self) -> VmLayout {
        VmLayout::new(self.pointer.bytes())
    }
    pub fn frontend_config(&self) -> TargetFrontendConfig {
        TargetFrontendConfig {
            default_call_conv: self.call_conv,
            pointer_width: if self.pointer == I64 {
                target_lexicon_width::U64
            } else {
                target_lexicon_width::U32
            },
            page_size_align_log2: 12,
        }
    }
}

mod target_lexicon_width {
    pub use target_lexicon::PointerWidth::{U32, U64};
}

/// One lowered method.
#[derive(Debug, Clone)]
pub struct LoweredMethod {
    /// Offset of the method header in the Method component.
    pub offset: u16,
    /// `Class.name(signature)`, for messages and listings.
    pub label: String,
    pub func: Function,
}

/// Lowers every method with code of a verified package.
pub fn lower_package(
    cap: &CapFile,
    verified: &Verified,
    target: &Target,
) -> Result<Vec<LoweredMethod>, LowerError> {
    lower_package_with(cap, verified, target, true)
}

/// Like [`lower_package`], but with the inline null, firewall and bounds
/// checks left out — for measuring what the checks cost only: such code
/// MUST NOT run.
pub fn lower_package_without_checks(
    cap: &CapFile,
    verified: &Verified,
    target: &Target,
) -> Result<Vec<LoweredMethod>, LowerError> {
    lower_package_with(cap, verified, target, false)
}

fn lower_package_with(
    cap: &CapFile,
    verified: &Verified,
    target: &Target,
    checks: bool,
) -> Result<Vec<LoweredMethod>, LowerError> {
    let mut out = Vec::new();
    let mut fctx = FunctionBuilderContext::new();
    for info in &cap.method.methods {
        if info.header.is_abstract() {
            continue;
        }
        out.push(lower_method_with(
            cap, verified, info, target, &mut fctx, checks,
        )?);
    }
    Ok(out)
}

/// Lowers the method whose header is at `offset`.
pub fn lower_method(
    cap: &CapFile,
    verified: &Verified,
    offset: u16,
    target: &Target,
) -> Result<LoweredMethod, LowerError> {
    let info = cap
        .method
        .methods
        .iter()
        .find(|m| m.offset == offset)
        .ok_or_else(|| LowerError::NoTypes {
            method: format!("@{offset:#06x}"),
            pc: 0,
            what: "no method at this offset",
        })?;
    lower_method_with(
        cap,
        verified,
        info,
        target,
        &mut FunctionBuilderContext::new(),
        true,
    )
}

/// `Class.name(signature)` of the method at `offset`.
pub fn method_label(verified: &Verified, offset: u16) -> String {
    match verified.universe.method_at(offset) {
        Some(m) => verified.universe.method_label(m),
        None => format!("method@{offset:#06x}"),
    }
}

/// The signature of every compiled method.
pub fn method_signature(target: &Target) -> Signature {
    let mut s = Signature::new(target.call_conv);
    for _ in 0..abi::METHOD_PARAMS {
        s.params.push(AbiParam::new(target.pointer));
    }
    s.returns.push(AbiParam::new(I32));
    s
}

fn entry_signature(target: &Target, e: Entry) -> Signature {
    let ty = |t: Ty| match t {
        Ty::Ptr => target.pointer,
        Ty::I32 => I32,
    };
    let mut s = Signature::new(target.call_conv);
    s.params.push(AbiParam::new(target.pointer));
    let (params, ret) = e.signature();
    for p in params {
        s.params.push(AbiParam::new(ty(*p)));
    }
    if let Some(r) = ret {
        s.returns.push(AbiParam::new(ty(r)));
    }
    s
}

fn lower_method_with(
    cap: &CapFile,
    verified: &Verified,
    info: &MethodInfo,
    target: &Target,
    fctx: &mut FunctionBuilderContext,
    checks: bool,
) -> Result<LoweredMethod, LowerError> {
    let label = method_label(verified, info.offset);
    let types = verified
        .method_at(info.offset)
        .ok_or_else(|| LowerError::NoTypes {
            method: label.clone(),
            pc: 0,
            what: "the method was not verified",
        })?;
    let mut func = Function::with_name_signature(
        UserFuncName::user(0, u32::from(info.offset)),
        method_signature(target),
    );
    {
        let b = FunctionBuilder::new(&mut func, fctx);
        let mut l = Lowerer::new(b, cap, verified, info, types, target, label.clone());
        l.checks = checks;
        l.method()?;
        l.save_vm_at_entry();
        l.seal_bytecode_blocks();
        l.b.seal_all_blocks();
        l.b.finalize(target.frontend_config());
    }
    Ok(LoweredMethod {
        offset: info.offset,
        label,
        func,
    })
}

/// A branch condition against zero or between two words.
#[derive(Clone, Copy)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Ge,
    Gt,
    Le,
}

impl Cmp {
    fn from_index(k: u8) -> Cmp {
        match k {
            0 => Cmp::Eq,
            1 => Cmp::Ne,
            2 => Cmp::Lt,
            3 => Cmp::Ge,
            4 => Cmp::Gt,
            _ => Cmp::Le,
        }
    }
    fn cc(self) -> IntCC {
        match self {
            Cmp::Eq => IntCC::Equal,
            Cmp::Ne => IntCC::NotEqual,
            Cmp::Lt => IntCC::SignedLessThan,
            Cmp::Ge => IntCC::SignedGreaterThanOrEqual,
            Cmp::Gt => IntCC::SignedGreaterThan,
            Cmp::Le => IntCC::SignedLessThanOrEqual,
        }
    }
}

/// The operands of the runtime's generic `invoke` for one call site.
#[derive(Clone, Copy)]
struct GenericCall {
    op: i32,
    index: i32,
    nargs: usize,
    args: Value,
}

/// An object as the inline checks see it: header address, flags, and
/// whether the fast path may use it.
#[derive(Clone, Copy)]
struct ObjView {
    o: Value,
    flags: Value,
    /// Address of the first data byte.
    start: Value,
}

struct Lowerer<'a, 'f> {
    b: FunctionBuilder<'f>,
    cap: &'a CapFile,
    verified: &'a Verified,
    info: &'a MethodInfo,
    types: &'a hydra_verify::MethodTypes,
    target: &'a Target,
    lay: VmLayout,
    label: String,
    ptr: Type,
    nloc: usize,
    vars: Vec<Variable>,
    sp: usize,
    pc: u16,
    next_pc: u16,
    vm: Value,
    pkg: Value,
    blocks: HashMap<u16, Block>,
    /// Handler-dispatch blocks by covering handler list.
    dispatch: HashMap<Vec<usize>, Block>,
    sigs: HashMap<u8, SigRef>,
    out_args: Option<cranelift_codegen::ir::StackSlot>,
    /// Emit the inline null/firewall/bounds checks (off only to measure them).
    checks: bool,
    /// The pcs where a check is branch-free (`object`) so that the mid-end
    /// hoists it out of a loop; elsewhere it branches (`header`),
    /// which is shorter when it runs every time.
    hoisting: std::collections::HashSet<u16>,
    /// The bytecode range of each loop: a backward branch's target to the
    /// branch.
    loops: Vec<(u16, u16)>,
    /// Branching checks already passed (`header`): the reference, the VM
    /// pointer of the epoch, whether the firewall was checked, the block
    /// the check ended in, and the header. Another access to the same
    /// object in the same epoch, in code that block dominates, reuses it.
    checked: Vec<(Value, Value, bool, Block, ObjView)>,
    /// Immediate dominators of the blocks entered since the last bytecode
    /// block (where `checked` starts over), as far as known: a block whose
    /// predecessors are all in this tree is dominated by their nearest
    /// common ancestor (all are emitted when a block is entered).
    idom: HashMap<Block, Option<Block>>,
    /// Predecessors of blocks, from the terminators of the blocks in the
    /// layout up to `pred_cursor` (`note_idom`).
    preds: HashMap<Block, Vec<Block>>,
    pred_cursor: Option<Block>,
    /// Alias regions of the VM context and of the object headers: only the
    /// runtime writes them (during calls), so the mid-end may reuse their
    /// loads across the method's own stores.
    regions: Option<(AliasRegion, AliasRegion)>,
    /// The VM context pointer as of the last call that may move memory or
    /// change the context (`Entry::may_move_memory`, direct calls).
    /// Everything such a call may change (header caches, table sizes, RAM
    /// base, `ctx`) is loaded `readonly` from this value, so the mid-end
    /// merges and hoists those loads between them; after one the pointer is
    /// reloaded from `vm_slot` as a new SSA value, which starts a new epoch.
    epoch: Option<Variable>,
    /// `int` words by the value they were split from: joining them again
    /// gives that value back instead of shifts and ors.
    ints: HashMap<(Value, Value), Value>,
    /// One 32-bit variable per local: the `int` last stored there (the
    /// verifier only lets `iload` read a local an `int` was stored to, so
    /// int locals live in one register, not as two word variables).
    int_vars: Vec<Variable>,
    vm_slot: Option<cranelift_codegen::ir::StackSlot>,
    /// The execution budget left, in a register while the method runs: it
    /// is written back to the VM context before every call and return and
    /// read again after a call (None: the method takes no ticks).
    ticks: Option<Variable>,
}

/// The link table and the entry table never change while code runs, and
/// their words are read at fixed offsets the verifier checked: such loads
/// may move (out of loops, above tests).
fn mf_ro() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

/// Dispatch-row words: constant, but indexed by a receiver's class, so they
/// stay behind the tests that bound the index.
fn mf_row() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly()
}

/// Object data, statics and argument words: valid, possibly unaligned.
fn mf_data() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

impl<'a, 'f> Lowerer<'a, 'f> {
    fn new(
        b: FunctionBuilder<'f>,
        cap: &'a CapFile,
        verified: &'a Verified,
        info: &'a MethodInfo,
        types: &'a hydra_verify::MethodTypes,
        target: &'a Target,
        label: String,
    ) -> Self {
        let nloc = usize::from(info.header.nargs) + usize::from(info.header.max_locals);
        Lowerer {
            b,
            cap,
            verified,
            info,
            types,
            target,
            lay: target.layout(),
            label,
            ptr: target.pointer,
            nloc,
            vars: Vec::new(),
            sp: 0,
            pc: 0,
            next_pc: 0,
            vm: Value::from_u32(0),
            pkg: Value::from_u32(0),
            blocks: HashMap::new(),
            dispatch: HashMap::new(),
            sigs: HashMap::new(),
            out_args: None,
            checks: true,
            hoisting: std::collections::HashSet::new(),
            loops: Vec::new(),
            checked: Vec::new(),
            idom: HashMap::new(),
            preds: HashMap::new(),
            pred_cursor: None,
            regions: None,
            epoch: None,
            ints: HashMap::new(),
            int_vars: Vec::new(),
            vm_slot: None,
            ticks: None,
        }
    }

    /// Continues in `block`, a block of the lowering whose predecessors are
    /// all emitted: sealing it now lets the SSA builder resolve variables
    /// there without block parameters, which keeps values that are
    /// constant in a loop recognisable as such (and so hoistable).
    fn enter(&mut self, block: Block) {
        self.note_idom(block);
        self.b.switch_to_block(block);
        self.b.seal_block(block);
    }

    /// Starts the dominator tree of `checked` over at `block` (a bytecode
    /// block, whose predecessors are not all emitted yet).
    fn forget_checks(&mut self, block: Block) {
        self.checked.clear();
        self.idom.clear();
        self.idom.insert(block, None);
    }

    /// Records `block`'s immediate dominator when its predecessors (all
    /// emitted) lie in the known tree; otherwise starts over at it.
    fn note_idom(&mut self, block: Block) {
        // Blocks join the layout when first entered, each terminated before
        // the next, so the ones after the cursor are scanned once.
        let f = &self.b.func;
        let mut next = match self.pred_cursor {
            Some(b) => f.layout.next_block(b),
            None => f.layout.entry_block(),
        };
        while let Some(b) = next {
            let Some(last) = f.layout.last_inst(b) else {
                break;
            };
            if !f.dfg.insts[last].opcode().is_terminator() {
                break;
            }
            let dests =
                f.dfg.insts[last].branch_destination(&f.dfg.jump_tables, &f.dfg.exception_tables);
            for d in dests {
                let preds = self.preds.entry(d.block(&f.dfg.value_lists)).or_default();
                if !preds.contains(&b) {
                    preds.push(b);
                }
            }
            self.pred_cursor = Some(b);
            next = f.layout.next_block(b);
        }
        let preds = self.preds.get(&block).cloned().unwrap_or_default();
        let mut common: Option<Vec<Block>> = None;
        for p in preds {
            let Some(path) = self.dom_path(p) else {
                common = None;
                break;
            };
            common = Some(match common {
                None => path,
                Some(c) => c.into_iter().filter(|b| path.contains(b)).collect(),
            });
        }
        match common.and_then(|c| c.first().copied()) {
            Some(d) => {
                self.idom.insert(block, Some(d));
            }
            None => self.forget_checks(block),
        }
    }

    /// `block` and its dominators up to the root of the known tree, or
    /// None when `block` is not in it.
    fn dom_path(&self, block: Block) -> Option<Vec<Block>> {
        let mut path = vec![block];
        let mut at = block;
        loop {
            match self.idom.get(&at)? {
                Some(d) => {
                    path.push(*d);
                    at = *d;
                }
                None => return Some(path),
            }
        }
    }

    /// Seals the blocks of the bytecode, innermost code first (reverse pc
    /// order), so a loop header is sealed after the joins inside the loop
    /// and its redundant parameters are removed.
    fn seal_bytecode_blocks(&mut self) {
        let mut blocks: Vec<(u16, Block)> = self.blocks.iter().map(|(&pc, &b)| (pc, b)).collect();
        blocks.sort_unstable_by_key(|b| std::cmp::Reverse(b.0));
        for (_, b) in blocks {
            self.b.seal_block(b);
        }
    }

    /// A 32-bit offset or address as a pointer-sized value.
    fn widen(&mut self, v: Value) -> Value {
        if self.ptr == I32 {
            v
        } else {
            self.b.ins().uextend(self.ptr, v)
        }
    }

    /// The dispatch or type row whose word index is `row_at` (`abi::row`),
    /// and the index in it of `obj`'s class with whether it lies inside.
    fn row_class(&mut self, row_at: Value, obj: &ObjView) -> (Value, Value, Value) {
        let cls = self.hdr_half(obj.o, obj::CLASS);
        self.row_of_class(row_at, cls)
    }

    /// Row `row_at` (a word index of the link table), the slot of class id
    /// `cls` in it, and whether the row covers that class.
    fn row_of_class(&mut self, row_at: Value, cls: Value) -> (Value, Value, Value) {
        let row_off = self.b.ins().ishl_imm_u(row_at, 2);
        let row_off = self.widen(row_off);
        let row = self.b.ins().iadd(self.pkg, row_off);
        let first = self
            .b
            .ins()
            .load(I32, mf_row(), row, abi::row::FIRST as i32);
        let count = self
            .b
            .ins()
            .load(I32, mf_row(), row, abi::row::COUNT as i32);
        let c = self.b.ins().isub(cls, first);
        let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, c, count);
        (row, c, inside)
    }

    /// For a call or type test through a row: the link-table word of `cp`
    /// (a row's word index or 0), the object `r`, and whether the row may
    /// answer: a row exists and `r` is a valid instance (with
    /// `same_owner`, owned by the current context).
    fn row_candidate(&mut self, r: Value, cp: u16, same_owner: bool) -> (Value, ObjView, Value) {
        let row_at = self.cp_word(cp);
        let (obj, ok) = self.object(r, false);
        let kd = self.hdr_byte(obj.o, obj::KIND);
        let inst = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, kd, i64::from(obj::K_INSTANCE));
        let has_row = self.b.ins().icmp_imm_s(IntCC::NotEqual, row_at, 0);
        let mut usable = self.b.ins().band(ok, inst);
        usable = self.b.ins().band(usable, has_row);
        if same_owner {
            let owner = self.hdr_byte(obj.o, obj::OWNER);
            let ctx = self.vm_fixed(I32, self.lay.ctx());
            let same = self.b.ins().icmp(IntCC::Equal, owner, ctx);
            usable = self.b.ins().band(usable, same);
        }
        (row_at, obj, usable)
    }

    /// Address of entry `slot` of `row` (see `abi::row`).
    fn row_entry(&mut self, row: Value, slot: Value) -> Value {
        let off = self
            .b
            .ins()
            .imul_imm_u(slot, i64::from(abi::row::ENTRY_SIZE));
        let off = self.widen(off);
        let e = self.b.ins().iadd(row, off);
        self.b.ins().iadd_imm_s(e, i64::from(abi::row::ENTRIES))
    }

    /// The VM context pointer of the current epoch.
    fn vm(&mut self) -> Value {
        match self.epoch {
            Some(v) => self.b.use_var(v),
            None => self.vm,
        }
    }

    /// Starts a new epoch after a call into the runtime that may move
    /// memory or change the context, or into compiled code.
    fn refresh_vm(&mut self) {
        let Some(var) = self.epoch else { return };
        let slot = match self.vm_slot {
            Some(s) => s,
            None => {
                let s = self.b.create_sized_stack_slot(StackSlotData::new(
                    StackSlotKind::ExplicitSlot,
                    self.ptr.bytes(),
                    self.ptr.bytes().trailing_zeros() as u8,
                ));
                self.vm_slot = Some(s);
                s
            }
        };
        let a = self.b.ins().stack_addr(self.ptr, slot, 0);
        let v = self.b.ins().load(self.ptr, MemFlagsData::trusted(), a, 0);
        self.b.def_var(var, v);
    }

    /// Saves the VM pointer for `refresh_vm` at the top of `entry` (only
    /// when some call needed it).
    fn save_vm_at_entry(&mut self) {
        let Some(slot) = self.vm_slot else { return };
        let Some(entry) = self.b.func.layout.entry_block() else {
            return;
        };
        let vm = self.vm;
        let ptr = self.ptr;
        let mut pos = cranelift_codegen::cursor::FuncCursor::new(self.b.func);
        pos.goto_first_insertion_point(entry);
        use cranelift_codegen::cursor::Cursor;
        let a = pos.ins().stack_addr(ptr, slot, 0);
        pos.ins().store(MemFlagsData::trusted(), vm, a, 0);
    }

    fn regions(&mut self) -> (AliasRegion, AliasRegion) {
        if let Some(r) = self.regions {
            return r;
        }
        let rs = &mut self.b.func.dfg.alias_regions;
        let vm = rs.insert(AliasRegionData {
            user_id: 1,
            description: "vm context".into(),
        });
        let hdr = rs.insert(AliasRegionData {
            user_id: 2,
            description: "object headers".into(),
        });
        self.regions = Some((vm, hdr));
        (vm, hdr)
    }

    /// Loads from the VM context: aligned, never trap, own region.
    fn mf_vm(&mut self) -> MemFlagsData {
        let r = self.regions().0;
        MemFlagsData::trusted().with_alias_region(Some(r))
    }

    /// Loads from the object header cache: aligned, never trap, own region,
    /// and `readonly`: a header never changes while its handle is valid, and
    /// the cache only moves during calls (its base is loaded per epoch).
    /// Such loads may be hoisted above the checks that use them; they stay
    /// inside the cache because a verified reference is 0 or a handle the
    /// runtime gave out, and tables never shrink below a given handle.
    fn mf_hdr(&mut self) -> MemFlagsData {
        let r = self.regions().1;
        MemFlagsData::trusted()
            .with_alias_region(Some(r))
            .with_readonly()
            .with_can_move()
    }

    fn unsupported(&self, what: impl Into<String>) -> LowerError {
        LowerError::Unsupported {
            method: self.label.clone(),
            pc: self.pc,
            what: what.into(),
        }
    }

    fn no_types(&self, what: &'static str) -> LowerError {
        LowerError::NoTypes {
            method: self.label.clone(),
            pc: self.pc,
            what,
        }
    }

    // ---- operand stack and locals -------------------------------------

    fn push(&mut self, v: Value) -> Result<(), LowerError> {
        let var = *self
            .vars
            .get(self.nloc + self.sp)
            .ok_or_else(|| self.no_types("operand stack deeper than verified"))?;
        self.b.def_var(var, v);
        self.sp += 1;
        Ok(())
    }

    fn pop(&mut self) -> Result<Value, LowerError> {
        if self.sp == 0 {
            return Err(self.no_types("operand stack underflow"));
        }
        self.sp -= 1;
        Ok(self.b.use_var(self.vars[self.nloc + self.sp]))
    }

    fn peek(&mut self, from_top: usize) -> Result<Value, LowerError> {
        if from_top >= self.sp {
            return Err(self.no_types("operand stack underflow"));
        }
        Ok(self
            .b
            .use_var(self.vars[self.nloc + self.sp - 1 - from_top]))
    }

    fn local(&mut self, i: usize) -> Result<Value, LowerError> {
        if i >= self.nloc {
            return Err(self.no_types("local index out of range"));
        }
        Ok(self.b.use_var(self.vars[i]))
    }

    fn set_local(&mut self, i: usize, v: Value) -> Result<(), LowerError> {
        if i >= self.nloc {
            return Err(self.no_types("local index out of range"));
        }
        self.b.def_var(self.vars[i], v);
        Ok(())
    }

    fn join(&mut self, hi: Value, lo: Value) -> Value {
        if let Some(&v) = self.ints.get(&(hi, lo)) {
            return v;
        }
        let h = self.b.ins().uextend(I32, hi);
        let h = self.b.ins().ishl_imm_u(h, 16);
        let l = self.b.ins().uextend(I32, lo);
        let v = self.b.ins().bor(h, l);
        self.ints.insert((hi, lo), v);
        v
    }

    /// The two JCVM words (high, low) of `int` `v`.
    fn split(&mut self, v: Value) -> (Value, Value) {
        let hi = self.b.ins().ushr_imm_u(v, 16);
        let hi = self.b.ins().ireduce(I16, hi);
        let lo = self.b.ins().ireduce(I16, v);
        self.ints.insert((hi, lo), v);
        (hi, lo)
    }

    fn push_int(&mut self, v: Value) -> Result<(), LowerError> {
        let (hi, lo) = self.split(v);
        self.push(hi)?;
        self.push(lo)
    }

    /// `iload`: the int of local `l`.
    fn int_local(&mut self, l: usize) -> Result<Value, LowerError> {
        let var = *self
            .int_vars
            .get(l)
            .filter(|_| l + 1 < self.nloc)
            .ok_or_else(|| self.no_types("int local index out of range"))?;
        Ok(self.b.use_var(var))
    }

    /// `istore`: int `v` into locals `l`, `l + 1`.
    fn set_int_local(&mut self, l: usize, v: Value) -> Result<(), LowerError> {
        let var = *self
            .int_vars
            .get(l)
            .filter(|_| l + 1 < self.nloc)
            .ok_or_else(|| self.no_types("int local index out of range"))?;
        self.b.def_var(var, v);
        let (hi, lo) = self.split(v);
        self.set_local(l, hi)?;
        self.set_local(l + 1, lo)
    }

    fn pop_int(&mut self) -> Result<Value, LowerError> {
        let lo = self.pop()?;
        let hi = self.pop()?;
        Ok(self.join(hi, lo))
    }

    fn push_i32_as_short(&mut self, v: Value) -> Result<(), LowerError> {
        let s = self.b.ins().ireduce(I16, v);
        self.push(s)
    }

    fn sext(&mut self, v: Value) -> Value {
        self.b.ins().sextend(I32, v)
    }

    /// The value of `v` when an `iconst` in this function defines it.
    fn const_value(&self, v: Value) -> Option<i64> {
        let dfg = &self.b.func.dfg;
        let cranelift_codegen::ir::ValueDef::Result(inst, _) = dfg.value_def(v) else {
            return None;
        };
        match dfg.insts[inst] {
            cranelift_codegen::ir::InstructionData::UnaryImm {
                opcode: cranelift_codegen::ir::Opcode::Iconst,
                imm,
            } => Some(imm.bits()),
            _ => None,
        }
    }

    fn iconst16(&mut self, v: i16) -> Value {
        self.b.ins().iconst(I16, i64::from(v))
    }

    fn iconst32(&mut self, v: i32) -> Value {
        self.b.ins().iconst(I32, i64::from(v))
    }

    // ---- blocks ---------------------------------------------------------

    fn block_at(&mut self, rel: i32) -> Result<Block, LowerError> {
        let pc = u16::try_from(rel).map_err(|_| self.no_types("branch target out of range"))?;
        self.blocks
            .get(&pc)
            .copied()
            .ok_or_else(|| self.no_types("branch target is not a reachable block"))
    }

    /// A VM-context field the runtime sets during calls (`pending`).
    fn vm_load(&mut self, ty: Type, off: u32) -> Value {
        let f = self.mf_vm();
        let vm = self.vm();
        self.b.ins().load(ty, f, vm, off as i32)
    }

    /// A VM-context field constant between calls (table bases and sizes,
    /// memory bases, the current context, the entry table).
    fn vm_fixed(&mut self, ty: Type, off: u32) -> Value {
        let f = self.mf_vm().with_readonly().with_can_move();
        let vm = self.vm();
        self.b.ins().load(ty, f, vm, off as i32)
    }

    fn entry_sig(&mut self, e: Entry) -> SigRef {
        if let Some(s) = self.sigs.get(&(e as u8)) {
            return *s;
        }
        let s = self.b.import_signature(entry_signature(self.target, e));
        self.sigs.insert(e as u8, s);
        s
    }

    /// Calls runtime entry point `e` through the table in the VM context.
    fn call_rt(&mut self, e: Entry, args: &[Value]) -> Option<Value> {
        let sig = self.entry_sig(e);
        let table = self.vm_fixed(self.ptr, self.lay.entry());
        let f = self.b.ins().load(
            self.ptr,
            mf_ro(),
            table,
            (e as u32 * self.ptr.bytes()) as i32,
        );
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(self.vm());
        all.extend_from_slice(args);
        // Only `invoke` runs code that takes ticks.
        let runs_code = e == Entry::Invoke;
        if runs_code {
            self.spill_ticks();
        }
        let call = self.b.ins().call_indirect(sig, f, &all);
        let r = self.b.inst_results(call).first().copied();
        if e.may_move_memory() {
            self.refresh_vm();
        }
        if runs_code {
            self.reload_ticks();
        }
        r
    }

    /// Starts keeping the budget in a register (the method's entry).
    fn keep_ticks(&mut self) {
        let var = self.b.declare_var(I32);
        let off = self.lay.ticks_left() as i32;
        let vm = self.vm();
        let v = self.b.ins().load(I32, MemFlagsData::trusted(), vm, off);
        self.b.def_var(var, v);
        self.ticks = Some(var);
    }

    /// Writes the budget back for the runtime (before a call or return).
    fn spill_ticks(&mut self) {
        if let Some(var) = self.ticks {
            let v = self.b.use_var(var);
            let vm = self.vm();
            let off = self.lay.ticks_left() as i32;
            self.b.ins().store(MemFlagsData::trusted(), v, vm, off);
        }
    }

    /// Reads the budget the runtime left (after a call).
    fn reload_ticks(&mut self) {
        if let Some(var) = self.ticks {
            let vm = self.vm();
            let off = self.lay.ticks_left() as i32;
            let v = self.b.ins().load(I32, MemFlagsData::trusted(), vm, off);
            self.b.def_var(var, v);
        }
    }

    /// Returns `v` with the budget written back.
    fn ret(&mut self, v: Value) {
        self.spill_ticks();
        self.b.ins().return_(&[v]);
    }

    /// The block that handles an exception pending at the current pc.
    fn exc_block(&mut self) -> Block {
        let abs = u32::from(self.info.code_offset()) + u32::from(self.pc);
        let covering: Vec<usize> = self
            .cap
            .method
            .handlers
            .iter()
            .enumerate()
            .filter(|(_, h)| abs >= u32::from(h.start_offset) && abs < h.end_offset())
            .map(|(i, _)| i)
            .collect();
        if let Some(b) = self.dispatch.get(&covering) {
            return *b;
        }
        let b = self.b.create_block();
        self.b.set_cold_block(b);
        self.dispatch.insert(covering, b);
        b
    }

    /// Tests the pending-exception flag after a runtime call.
    fn check_pending(&mut self) {
        let p = self.vm_load(I32, self.lay.pending());
        let exc = self.exc_block();
        let cont = self.b.create_block();
        self.b.ins().brif(p, exc, &[], cont, &[]);
        self.enter(cont);
    }

    /// Calls a runtime entry point that may throw, then tests `pending`.
    fn call_rt_checked(&mut self, e: Entry, args: &[Value]) -> Option<Value> {
        let r = self.call_rt(e, args);
        self.check_pending();
        r
    }

    /// The slow path of an inline check: the runtime's full operation. It
    /// throws whenever the fast path gave up (the runtime tests the same
    /// predicates), so control never rejoins the fast path, which then
    /// dominates what follows and its loads and tests are reused. Should it
    /// return normally, the invariant is broken: a card fault, never a
    /// wrong value.
    fn call_rt_throwing(&mut self, e: Entry, args: &[Value]) {
        self.call_rt(e, args);
        let p = self.vm_load(I32, self.lay.pending());
        let exc = self.exc_block();
        let broken = self.b.create_block();
        self.b.set_cold_block(broken);
        self.b.ins().brif(p, exc, &[], broken, &[]);
        self.enter(broken);
        let t = self.iconst32(i32::from(abi::BROKEN_INVARIANT));
        self.call_rt(Entry::ThrowVm, &[t]);
        self.b.ins().jump(exc, &[]);
    }

    /// Takes one tick of the execution budget; with none left, the
    /// budget fault is pending and the code leaves as for an exception.
    fn tick(&mut self) {
        let Some(var) = self.ticks else {
            return;
        };
        let left = self.b.use_var(var);
        let out = self.b.ins().icmp_imm_s(IntCC::Equal, left, 0);
        let cold = self.b.create_block();
        self.b.set_cold_block(cold);
        let cont = self.b.create_block();
        self.b.ins().brif(out, cold, &[], cont, &[]);
        self.enter(cold);
        let t = self.iconst32(i32::from(abi::OUT_OF_BUDGET));
        self.call_rt(Entry::ThrowVm, &[t]);
        let exc = self.exc_block();
        self.b.ins().jump(exc, &[]);
        self.enter(cont);
        let left = self.b.ins().iadd_imm_s(left, -1);
        self.b.def_var(var, left);
    }

    /// Throws java.lang exception `token` (cold path) if `cond` holds.
    fn throw_if(&mut self, cond: Value, token: u8) {
        let cold = self.b.create_block();
        self.b.set_cold_block(cold);
        let cont = self.b.create_block();
        self.b.ins().brif(cond, cold, &[], cont, &[]);
        self.enter(cold);
        let t = self.iconst32(i32::from(token));
        self.call_rt(Entry::ThrowVm, &[t]);
        let exc = self.exc_block();
        self.b.ins().jump(exc, &[]);
        self.enter(cont);
    }

    fn cp_word(&mut self, index: u16) -> Value {
        self.b.ins().load(
            I32,
            mf_ro(),
            self.pkg,
            (abi::pkg::CP + 4 * u32::from(index)) as i32,
        )
    }

    // ---- object fast paths --------------------------------------------

    /// An inline check: continue at `ok` when `cond` holds, else `slow`.
    ///
    /// The branch names the slow path first on purpose: Cranelift's
    /// elaborator visits the dominator tree's children in reverse
    /// post-order and forgets the enclosing loops once it has visited a
    /// block outside them, so the fast path, which stays in the loop, must
    /// come first for its invariant header loads to be hoisted.
    fn check(&mut self, cond: Value, ok: Block, slow: Block) {
        if self.checks {
            let fail = self.b.ins().icmp_imm_s(IntCC::Equal, cond, 0);
            self.b.ins().brif(fail, slow, &[], ok, &[]);
        } else {
            self.b.ins().jump(ok, &[]);
        }
    }

    /// A header byte, zero-extended. (`load` + `uextend` rather than
    /// `uload8`: only plain `load`s are pure for the mid-end.)
    fn hdr_byte(&mut self, o: Value, off: u32) -> Value {
        let hdr = self.mf_hdr();
        let v = self.b.ins().load(I8, hdr, o, off as i32);
        self.b.ins().uextend(I32, v)
    }

    /// A 16-bit header field, zero-extended.
    fn hdr_half(&mut self, o: Value, off: u32) -> Value {
        let hdr = self.mf_hdr();
        let v = self.b.ins().load(I16, hdr, o, off as i32);
        self.b.ins().uextend(I32, v)
    }

    /// Handle `r` (16-bit) in its header table: the handle, its index in
    /// the table, the table's size and the header's address (meaningless
    /// unless the handle is non-null and the index below the size). Pure,
    /// constant between calls.
    fn locate(&mut self, r: Value) -> (Value, Value, Value, Value) {
        let h = self.b.ins().uextend(I32, r);
        let is_ram = self.b.ins().icmp_imm_s(
            IntCC::UnsignedGreaterThanOrEqual,
            h,
            i64::from(obj::RAM_HANDLE_BASE),
        );
        let objs = self.vm_fixed(self.ptr, self.lay.objs());
        let ram_objs = self.vm_fixed(self.ptr, self.lay.ram_objs());
        let n = self.vm_fixed(I32, self.lay.nobjs());
        let nram = self.vm_fixed(I32, self.lay.nram_objs());
        let table = self.b.ins().select(is_ram, ram_objs, objs);
        let count = self.b.ins().select(is_ram, nram, n);
        let idx = self.b.ins().band_imm_u(h, 0x7FFF);
        let wide = self.widen(idx);
        let off = self.b.ins().imul_imm_u(wide, i64::from(obj::SIZE));
        let o = self.b.ins().iadd(table, off);
        (h, idx, count, o)
    }

    /// Header address, flags and validity of handle `r` (16-bit), without
    /// branching: `ok` holds when the handle is valid and, with `firewall`,
    /// accessible from the current context. All loads are constant between
    /// calls, so in a loop without calls the whole computation is hoisted
    /// and each access keeps one test.
    fn object(&mut self, r: Value, firewall: bool) -> (ObjView, Value) {
        let (h, idx, count, o) = self.locate(r);
        let in_range = self.b.ins().icmp(IntCC::UnsignedLessThan, idx, count);
        let not_null = self.b.ins().icmp_imm_s(IntCC::NotEqual, h, 0);
        let mut ok = self.b.ins().band(in_range, not_null);
        let flags = self.hdr_byte(o, obj::FLAGS);
        if firewall {
            let owner = self.hdr_byte(o, obj::OWNER);
            let ctx = self.vm_fixed(I32, self.lay.ctx());
            let same = self.b.ins().icmp(IntCC::Equal, owner, ctx);
            let jcre = self.b.ins().icmp_imm_s(IntCC::Equal, ctx, 0);
            let global = self.b.ins().band_imm_u(flags, i64::from(obj::F_GLOBAL));
            let global = self.b.ins().icmp_imm_s(IntCC::NotEqual, global, 0);
            let a = self.b.ins().bor(same, jcre);
            let access = self.b.ins().bor(a, global);
            ok = self.b.ins().band(ok, access);
        }
        let start = self.data_start(o, flags);
        (ObjView { o, flags, start }, ok)
    }

    /// Whether the checks at the current pc are branch-free, for hoisting
    /// (`hoisting`).
    fn hoists(&self) -> bool {
        self.hoisting.contains(&self.pc)
    }

    /// Continues when `fail` is zero, else jumps to `slow` (named first, as
    /// in `check`).
    fn give_up_if(&mut self, fail: Value, slow: Block) {
        if self.checks {
            let next = self.b.create_block();
            self.b.ins().brif(fail, slow, &[], next, &[]);
            self.enter(next);
        }
    }

    /// Header of handle `r` when it is valid and, with `firewall`,
    /// accessible from the current context; otherwise jumps to `slow`.
    ///
    /// Outside call-free loops the tests branch, the common ones first:
    /// null, then the table bound, then owner against context; only an
    /// object of another context goes on to the rarer passes (a global
    /// array such as the APDU buffer, or code running as the JCRE). Each
    /// failing test goes to `slow`, which performs the whole operation in
    /// the runtime and throws; the passes are exactly `object`'s.
    fn header(&mut self, r: Value, firewall: bool, slow: Block) -> ObjView {
        if self.hoists() {
            let (v, ok) = self.object(r, firewall);
            let next = self.b.create_block();
            self.check(ok, next, slow);
            self.enter(next);
            return v;
        }
        let vm = self.vm();
        let here = self.b.current_block();
        let path = here.and_then(|b| self.dom_path(b)).unwrap_or_default();
        if let Some(&(.., v)) = self
            .checked
            .iter()
            .find(|c| c.0 == r && c.1 == vm && c.2 >= firewall && path.contains(&c.3))
        {
            return v;
        }
        let (h, idx, count, o) = self.locate(r);
        let null = self.b.ins().icmp_imm_s(IntCC::Equal, h, 0);
        self.give_up_if(null, slow);
        let out = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, idx, count);
        self.give_up_if(out, slow);
        let flags = self.hdr_byte(o, obj::FLAGS);
        if firewall && self.checks {
            let owner = self.hdr_byte(o, obj::OWNER);
            let ctx = self.vm_fixed(I32, self.lay.ctx());
            let other = self.b.ins().icmp(IntCC::NotEqual, owner, ctx);
            let ok = self.b.create_block();
            let rare = self.b.create_block();
            self.b.ins().brif(other, rare, &[], ok, &[]);
            self.enter(rare);
            let global = self.b.ins().band_imm_u(flags, i64::from(obj::F_GLOBAL));
            let not_global = self.b.create_block();
            self.b.ins().brif(global, ok, &[], not_global, &[]);
            self.enter(not_global);
            // Not JCRE (context 0): no pass left.
            self.b.ins().brif(ctx, slow, &[], ok, &[]);
            self.enter(ok);
        }
        let start = self.data_start(o, flags);
        let v = ObjView { o, flags, start };
        if self.checks {
            if let Some(b) = self.b.current_block() {
                self.checked.push((r, vm, firewall, b, v));
            }
        }
        v
    }

    /// Array `r` checked for index `i` (16-bit, taken unsigned). Returns
    /// the array and the index. Branch-free (hoisting), one test covers
    /// null, the firewall and the bounds, as the length counts as 0 when
    /// the handle fails the others; else `header`'s tests, then the bound.
    fn element(&mut self, r: Value, i: Value, slow: Block) -> (ObjView, Value) {
        let iu = self.b.ins().uextend(I32, i);
        if !self.hoists() {
            let v = self.header(r, true, slow);
            let len = self.hdr_half(v.o, obj::LEN);
            let out = self
                .b
                .ins()
                .icmp(IntCC::UnsignedGreaterThanOrEqual, iu, len);
            self.give_up_if(out, slow);
            return (v, iu);
        }
        let (v, ok) = self.object(r, true);
        let len = self.hdr_half(v.o, obj::LEN);
        let zero = self.iconst32(0);
        let limit = self.b.ins().select(ok, len, zero);
        let inb = self.b.ins().icmp(IntCC::UnsignedLessThan, iu, limit);
        let fast = self.b.create_block();
        self.check(inb, fast, slow);
        self.enter(fast);
        (v, iu)
    }

    /// Address of byte `off` (an i32 byte offset) of the object's data.
    fn data_addr(&mut self, v: &ObjView, off: Value) -> Value {
        let start = v.start;
        let off = self.widen(off);
        self.b.ins().iadd(start, off)
    }

    /// Address of the object's first data byte (constant between calls).
    fn data_start(&mut self, o: Value, flags: Value) -> Value {
        let hdr = self.mf_hdr();
        let data = self.b.ins().load(I32, hdr, o, obj::DATA as i32);
        let in_ram = self.b.ins().band_imm_u(flags, i64::from(obj::F_RAM));
        let ram = self.vm_fixed(self.ptr, self.lay.ram());
        let nvm = self.vm_fixed(self.ptr, self.lay.nvm());
        let base = self.b.ins().select(in_ram, ram, nvm);
        let data = self.widen(data);
        self.b.ins().iadd(base, data)
    }

    /// Loads a big-endian value of kind `k` at `addr`, as the i32 the
    /// slow-path helpers return (byte: sign-extended).
    fn load_be(&mut self, k: i32, addr: Value, byte_elem: bool) -> Value {
        self.load_be_with(k, addr, byte_elem, mf_data())
    }

    fn load_be_with(&mut self, k: i32, addr: Value, byte_elem: bool, f: MemFlagsData) -> Value {
        if byte_elem {
            if f.can_move() {
                // A plain `load` + `sextend`: only `load` can be pure.
                let b = self.b.ins().load(I8, f, addr, 0);
                return self.b.ins().sextend(I32, b);
            }
            return self.b.ins().sload8(I32, f, addr, 0);
        }
        if k == kind::INT {
            let v = self.b.ins().load(I32, f, addr, 0);
            return self.b.ins().bswap(v);
        }
        let v = self.b.ins().load(I16, f, addr, 0);
        let v = self.b.ins().bswap(v);
        if k == kind::BYTE {
            // A byte field: a 16-bit cell holding the sign-extended byte.
            let lo = self.b.ins().ireduce(I8, v);
            return self.b.ins().sextend(I32, lo);
        }
        self.b.ins().sextend(I32, v)
    }

    fn store_be(&mut self, bytes: u32, addr: Value, v: Value) {
        match bytes {
            1 => {
                self.b.ins().istore8(mf_data(), v, addr, 0);
            }
            2 => {
                let s = self.b.ins().ireduce(I16, v);
                let s = self.b.ins().bswap(s);
                self.b.ins().store(mf_data(), s, addr, 0);
            }
            _ => {
                let s = self.b.ins().bswap(v);
                self.b.ins().store(mf_data(), s, addr, 0);
            }
        }
    }

    fn push_kind(&mut self, k: i32, v: Value) -> Result<(), LowerError> {
        if k == kind::INT {
            self.push_int(v)
        } else {
            self.push_i32_as_short(v)
        }
    }

    fn pop_kind(&mut self, k: i32) -> Result<Value, LowerError> {
        if k == kind::INT {
            self.pop_int()
        } else {
            let v = self.pop()?;
            Ok(self.sext(v))
        }
    }

    fn getfield(&mut self, k: i32, cp: u16, this: bool) -> Result<(), LowerError> {
        let r = if this { self.local(0)? } else { self.pop()? };
        let cell = self.cp_word(cp);
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let done = self.b.create_block();
        let result = self.b.append_block_param(done, I32);
        let obj = self.header(r, !this, slow);
        let off = self.b.ins().ishl_imm_u(cell, 1);
        let addr = self.data_addr(&obj, off);
        let v = self.load_be(k, addr, false);
        self.b.ins().jump(done, &[v.into()]);
        self.enter(slow);
        let r32 = self.b.ins().uextend(I32, r);
        let kc = self.iconst32(k | if this { THIS_FORM } else { 0 });
        self.call_rt_throwing(Entry::GetField, &[r32, cell, kc]);
        self.enter(done);
        self.push_kind(k, result)
    }

    fn putfield(&mut self, k: i32, cp: u16, this: bool) -> Result<(), LowerError> {
        let v = self.pop_kind(k)?;
        let r = if this { self.local(0)? } else { self.pop()? };
        let cell = self.cp_word(cp);
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let done = self.b.create_block();
        if k != kind::REF {
            // References need the storable check: always the runtime.
            let obj = self.header(r, !this, slow);
            let off = self.b.ins().ishl_imm_u(cell, 1);
            let bytes = if k == kind::INT { 4 } else { 2 };
            let v = if k == kind::BYTE {
                let b = self.b.ins().ireduce(I8, v);
                self.b.ins().sextend(I32, b)
            } else {
                v
            };
            self.store(&obj, off, bytes, v);
            self.b.ins().jump(done, &[]);
        } else {
            self.b.ins().jump(slow, &[]);
        }
        self.enter(slow);
        let r32 = self.b.ins().uextend(I32, r);
        let kc = self.iconst32(k | if this { THIS_FORM } else { 0 });
        if k == kind::REF {
            self.call_rt_checked(Entry::PutField, &[r32, cell, kc, v]);
            self.b.ins().jump(done, &[]);
        } else {
            self.call_rt_throwing(Entry::PutField, &[r32, cell, kc, v]);
        }
        self.enter(done);
        Ok(())
    }

    /// Stores `v` at data offset `off` of a checked object: RAM data inline,
    /// persistent data through the store barrier.
    fn store(&mut self, obj: &ObjView, off: Value, bytes: u32, v: Value) {
        let in_ram = self.b.ins().band_imm_u(obj.flags, i64::from(obj::F_RAM));
        let ram_b = self.b.create_block();
        let nvm_b = self.b.create_block();
        let done = self.b.create_block();
        self.b.ins().brif(in_ram, ram_b, &[], nvm_b, &[]);
        self.enter(ram_b);
        let addr = self.data_addr(obj, off);
        self.store_be(bytes, addr, v);
        self.b.ins().jump(done, &[]);
        self.enter(nvm_b);
        let hdr = self.mf_hdr();
        let data = self.b.ins().load(I32, hdr, obj.o, obj::DATA as i32);
        let at = self.b.ins().iadd(data, off);
        let n = self.iconst32(bytes as i32);
        self.call_rt_checked(Entry::StoreNvm, &[at, n, v]);
        self.b.ins().jump(done, &[]);
        self.enter(done);
    }

    fn array_load(&mut self, k: i32) -> Result<(), LowerError> {
        let i = self.pop()?;
        let r = self.pop()?;
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let done = self.b.create_block();
        let result = self.b.append_block_param(done, I32);
        let (arr, iu) = self.element(r, i, slow);
        let shift = match k {
            kind::BYTE => 0,
            kind::INT => 2,
            _ => 1,
        };
        let off = self.b.ins().ishl_imm_u(iu, shift);
        let addr = self.data_addr(&arr, off);
        let v = self.load_be(k, addr, k == kind::BYTE);
        self.b.ins().jump(done, &[v.into()]);
        self.enter(slow);
        let r32 = self.b.ins().uextend(I32, r);
        let i32v = self.sext(i);
        let kc = self.iconst32(k);
        self.call_rt_throwing(Entry::ArrayLoad, &[r32, i32v, kc]);
        self.enter(done);
        self.push_kind(k, result)
    }

    fn array_store(&mut self, k: i32) -> Result<(), LowerError> {
        let v = self.pop_kind(k)?;
        let i = self.pop()?;
        let r = self.pop()?;
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let done = self.b.create_block();
        if k != kind::REF {
            let (arr, iu) = self.element(r, i, slow);
            let (shift, bytes) = match k {
                kind::BYTE => (0, 1),
                kind::INT => (2, 4),
                _ => (1, 2),
            };
            let elem = self.stored_elem();
            let v = if k == kind::BYTE && elem == Some(Elem::Boolean) {
                self.b.ins().band_imm_u(v, 1)
            } else if k == kind::BYTE && elem != Some(Elem::Byte) {
                // boolean[] stores keep the low bit only.
                let kd = self.hdr_byte(arr.o, obj::KIND);
                let is_bool = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::Equal, kd, i64::from(obj::K_BOOL));
                let bit = self.b.ins().band_imm_u(v, 1);
                self.b.ins().select(is_bool, bit, v)
            } else {
                v
            };
            let off = self.b.ins().ishl_imm_u(iu, shift);
            self.store(&arr, off, bytes, v);
            self.b.ins().jump(done, &[]);
        } else {
            self.b.ins().jump(slow, &[]);
        }
        self.enter(slow);
        let r32 = self.b.ins().uextend(I32, r);
        let i32v = self.sext(i);
        let kc = self.iconst32(k);
        if k == kind::REF {
            self.call_rt_checked(Entry::ArrayStore, &[r32, i32v, kc, v]);
            self.b.ins().jump(done, &[]);
        } else {
            self.call_rt_throwing(Entry::ArrayStore, &[r32, i32v, kc, v]);
        }
        self.enter(done);
        Ok(())
    }

    /// The element type the verifier gives the array operand of the
    /// store at the current pc (`[.., array, index, value]`), when it
    /// names one: a `byte[]` is never a `boolean[]` in verified code, so
    /// its stores need no test of the array's kind.
    fn stored_elem(&self) -> Option<Elem> {
        let f = self.types.frame_at(self.pc)?;
        match f.stack.len().checked_sub(3).and_then(|i| f.stack.get(i)) {
            Some(VType::Array(e)) => Some(*e),
            _ => None,
        }
    }

    fn array_length(&mut self) -> Result<(), LowerError> {
        let r = self.pop()?;
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let done = self.b.create_block();
        let result = self.b.append_block_param(done, I32);
        let arr = self.header(r, true, slow);
        let len = self.hdr_half(arr.o, obj::LEN);
        self.b.ins().jump(done, &[len.into()]);
        self.enter(slow);
        let r32 = self.b.ins().uextend(I32, r);
        self.call_rt_throwing(Entry::ArrayLength, &[r32]);
        self.enter(done);
        self.push_i32_as_short(result)
    }

    fn getstatic(&mut self, k: i32, cp: u16) -> Result<(), LowerError> {
        let addr = self.cp_word(cp);
        let nvm = self.vm_fixed(self.ptr, self.lay.nvm());
        let a = self.widen(addr);
        let p = self.b.ins().iadd(nvm, a);
        let v = if self.final_static(cp) {
            self.load_be_with(
                k,
                p,
                k == kind::BYTE,
                mf_data().with_readonly().with_can_move(),
            )
        } else {
            self.load_be(k, p, k == kind::BYTE)
        };
        self.push_kind(k, v)
    }

    /// Whether static field reference `cp` names a `final` field: its value
    /// changes only through a `putstatic`, after which the lowering starts
    /// a new epoch, so between calls it is loaded once (and hoisted out of
    /// loops, like the array constants of tables).
    fn final_static(&self, cp: u16) -> bool {
        let u = &self.verified.universe;
        match u.cp.get(usize::from(cp)) {
            Some(Resolved::StaticField(f)) => u.field(*f).is_final,
            _ => false,
        }
    }

    fn putstatic(&mut self, k: i32, cp: u16) -> Result<(), LowerError> {
        let v = self.pop_kind(k)?;
        let addr = self.cp_word(cp);
        if k == kind::REF {
            let kc = self.iconst32(k);
            self.call_rt_checked(Entry::PutStatic, &[addr, kc, v]);
        } else {
            let bytes = match k {
                kind::BYTE => 1,
                kind::INT => 4,
                _ => 2,
            };
            let n = self.iconst32(bytes);
            self.call_rt_checked(Entry::StoreNvm, &[addr, n, v]);
        }
        // A final static is loaded as a constant of the epoch (see
        // `final_static`): after writing one, start over. Other statics are
        // plain loads, which the call already orders.
        if self.final_static(cp) {
            self.refresh_vm();
        }
        Ok(())
    }

    // ---- calls ----------------------------------------------------------

    fn out_args(&mut self) -> Value {
        let slot = match self.out_args {
            Some(s) => s,
            None => {
                let max = self.max_call_words();
                let s = self.b.create_sized_stack_slot(StackSlotData::new(
                    StackSlotKind::ExplicitSlot,
                    (2 * max.max(1)) as u32,
                    1,
                ));
                self.out_args = Some(s);
                s
            }
        };
        self.b.ins().stack_addr(self.ptr, slot, 0)
    }

    /// Largest number of argument words of a call in this method.
    fn max_call_words(&self) -> usize {
        let mut max = 0;
        for (i, insn) in self.types.insns.iter().enumerate() {
            if !matches!(insn.opcode.0, 0x8B..=0x8E) {
                continue;
            }
            if let Some(Some(f)) = self.types.frames.get(i) {
                max = max.max(f.depth());
            }
        }
        max
    }

    fn return_words(&self, cp: u16) -> Option<usize> {
        let u = &self.verified.universe;
        match u.cp.get(usize::from(cp))? {
            Resolved::StaticMethod(m) | Resolved::VirtualMethod(m) | Resolved::SuperMethod(m) => {
                Some(u.method(*m).sig.ret.words())
            }
            _ => None,
        }
    }

    /// Whether virtual method reference `cp` names a method of this package
    /// (only then can a dispatch row hold compiled code for it).
    fn own_virtual(&self, cp: u16) -> bool {
        let u = &self.verified.universe;
        match u.cp.get(usize::from(cp)) {
            Some(Resolved::VirtualMethod(m)) => {
                u.classes[usize::from(u.method(*m).class)].package == 0
            }
            _ => false,
        }
    }

    /// Whether class reference `cp` is a class (not an interface) of this
    /// package: `checkcast`/`instanceof` may use its type row.
    fn own_class(&self, cp: u16) -> bool {
        let u = &self.verified.universe;
        match u.cp.get(usize::from(cp)) {
            Some(Resolved::Class(c)) => {
                let c = &u.classes[usize::from(*c)];
                c.package == 0 && !c.is_interface
            }
            _ => false,
        }
    }

    /// `checkcast`/`instanceof` of handle `r` against class reference `cp`
    /// of this package through its type row (`abi::row`): null gives 0
    /// (instanceof) or passes (checkcast); an instance of a class of the
    /// package is answered by the row; anything else, and a failing
    /// checkcast, goes to the runtime, which answers or throws. Returns
    /// the i32 the runtime's `type_check` would.
    fn type_check_inline(&mut self, r: Value, instanceof: bool, cp: u16) -> Value {
        let generic = self.b.create_block();
        self.b.set_cold_block(generic);
        let join = self.b.create_block();
        let result = self.b.append_block_param(join, I32);
        let r32 = self.b.ins().uextend(I32, r);
        let nonnull = self.b.create_block();
        let null_result = if instanceof { self.iconst32(0) } else { r32 };
        self.b
            .ins()
            .brif(r32, nonnull, &[], join, &[null_result.into()]);
        self.enter(nonnull);
        let (row_at, obj, usable) = self.row_candidate(r, cp, false);
        let t1 = self.b.create_block();
        self.b.ins().brif(usable, t1, &[], generic, &[]);
        self.enter(t1);
        let (row, c, inside) = self.row_class(row_at, &obj);
        let t2 = self.b.create_block();
        self.b.ins().brif(inside, t2, &[], generic, &[]);
        self.enter(t2);
        let e = self.row_entry(row, c);
        let yes = self.b.ins().load(I32, mf_row(), e, 0);
        if instanceof {
            self.b.ins().jump(join, &[yes.into()]);
        } else {
            // A failing cast throws: the runtime does it.
            self.b.ins().brif(yes, join, &[r32.into()], generic, &[]);
        }
        self.enter(generic);
        let v = self.type_check_call(r32, instanceof, 0, i32::from(cp));
        self.b.ins().jump(join, &[v.into()]);
        self.enter(join);
        result
    }

    /// The runtime's `type_check` of handle `r32` (atype and class
    /// reference as in the bytecode), pending tested.
    pub(crate) fn type_check_call(
        &mut self,
        r32: Value,
        instanceof: bool,
        atype: i32,
        cp: i32,
    ) -> Value {
        let is_instanceof = self.iconst32(i32::from(instanceof));
        let t = self.iconst32(atype);
        let c = self.iconst32(cp);
        self.call_rt_checked(Entry::TypeCheck, &[self.pkg, is_instanceof, t, c, r32])
            .expect("type check returns")
    }

    /// Whether class reference `cp` is an interface of this package.
    fn own_interface(&self, cp: u16) -> bool {
        let u = &self.verified.universe;
        match u.cp.get(usize::from(cp)) {
            Some(Resolved::Class(c)) => {
                let c = &u.classes[usize::from(*c)];
                c.package == 0 && c.is_interface
            }
            _ => false,
        }
    }

    /// The operand-stack words (`nargs + max_locals + max_stack`) of the
    /// callee of static method reference `cp`, when it is a method of this
    /// package with code: a candidate for a direct call.
    fn direct_words(&self, cp: u16) -> Option<u32> {
        let u = &self.verified.universe;
        // A `super.m()` call is bound statically too (the runtime's
        // `Cp::Direct`): to the method found from the superclass.
        let off = match u.cp.get(usize::from(cp))? {
            Resolved::StaticMethod(m) | Resolved::SuperMethod(m) => u.method(*m).offset?,
            _ => return None,
        };
        let h = &self
            .cap
            .method
            .methods
            .iter()
            .find(|i| i.offset == off)?
            .header;
        if h.is_abstract() {
            return None;
        }
        Some(u32::from(h.nargs) + u32::from(h.max_locals) + u32::from(h.max_stack))
    }

    /// `invokestatic`/`invokespecial` of a method of this package. The
    /// engine MAY have put the callee's code address in the link table
    /// (same package, so same context: no firewall, no context switch);
    /// then the call goes straight to it, with the engine's limits tested
    /// inline on the context's `frames_left`/`words_left`. Otherwise (no
    /// address, null `this`, a limit reached) the generic `invoke`, which
    /// does the full operation and throws what the interpreter throws.
    fn invoke_direct(&mut self, cp: u16, need: u32, special: bool, call: GenericCall) -> Value {
        self.fast_call_or_generic(call, |l, generic| {
            let f = l.cp_word(cp);
            let tests = l.b.create_block();
            l.b.ins().brif(f, tests, &[], generic, &[]);
            l.enter(tests);
            if special {
                let this = l.b.ins().load(I16, mf_data(), call.args, 0);
                let t2 = l.b.create_block();
                l.b.ins().brif(this, t2, &[], generic, &[]);
                l.enter(t2);
            }
            let need = l.iconst32(need as i32);
            l.call_with_budget(f, need, call.args, generic)
        })
    }

    /// A call with a fast path: `fast` emits it (branching to the block it
    /// is given when it cannot be taken) and returns its result; the
    /// generic `invoke` of `call` follows, and the pending flag is tested
    /// after either.
    fn fast_call_or_generic(
        &mut self,
        call: GenericCall,
        fast: impl FnOnce(&mut Self, Block) -> Value,
    ) -> Value {
        let generic = self.b.create_block();
        self.b.set_cold_block(generic);
        let join = self.b.create_block();
        let r = self.b.append_block_param(join, I32);
        let rv = fast(self, generic);
        self.b.ins().jump(join, &[rv.into()]);
        self.enter(generic);
        let rg = self.generic_invoke(call);
        self.b.ins().jump(join, &[rg.into()]);
        self.enter(join);
        self.check_pending();
        r
    }

    /// The runtime's `invoke` for `call` (pending not yet tested).
    fn generic_invoke(&mut self, call: GenericCall) -> Value {
        let opc = self.iconst32(call.op);
        let idx = self.iconst32(call.index);
        let n = self.iconst32(call.nargs as i32);
        self.call_rt(Entry::Invoke, &[self.pkg, opc, idx, call.args, n])
            .expect("invoke returns")
    }

    /// Calls compiled method `f` directly when the engine's budgets allow
    /// (`frames_left` non-zero, `words_left >= need`), taking them for the
    /// call and giving them back; else branches to `generic`.
    fn call_with_budget(&mut self, f: Value, need: Value, args: Value, generic: Block) -> Value {
        let (fl_off, wl_off) = (self.lay.frames_left(), self.lay.words_left());
        let vm = self.vm();
        let fl = self
            .b
            .ins()
            .load(I32, MemFlagsData::trusted(), vm, fl_off as i32);
        let wl = self
            .b
            .ins()
            .load(I32, MemFlagsData::trusted(), vm, wl_off as i32);
        let short = self.b.ins().icmp(IntCC::UnsignedLessThan, wl, need);
        let none = self.b.ins().icmp_imm_s(IntCC::Equal, fl, 0);
        let absent = self.b.ins().icmp_imm_s(IntCC::Equal, f, 0);
        let no = self.b.ins().bor(short, none);
        let no = self.b.ins().bor(no, absent);
        let call = self.b.create_block();
        self.b.ins().brif(no, generic, &[], call, &[]);
        self.enter(call);
        let fl1 = self.b.ins().iadd_imm_s(fl, -1);
        let wl1 = self.b.ins().isub(wl, need);
        self.b
            .ins()
            .store(MemFlagsData::trusted(), fl1, vm, fl_off as i32);
        self.b
            .ins()
            .store(MemFlagsData::trusted(), wl1, vm, wl_off as i32);
        let sig = method_signature(self.target);
        let sig = self.b.import_signature(sig);
        self.spill_ticks();
        let call_inst = self.b.ins().call_indirect(sig, f, &[vm, self.pkg, args]);
        let rv = self.b.inst_results(call_inst)[0];
        self.refresh_vm();
        self.reload_ticks();
        let vm = self.vm();
        self.b
            .ins()
            .store(MemFlagsData::trusted(), fl, vm, fl_off as i32);
        self.b
            .ins()
            .store(MemFlagsData::trusted(), wl, vm, wl_off as i32);
        rv
    }

    /// `invokevirtual`/`invokeinterface` through the link table's dispatch
    /// row of the reference (`abi::row`): when the engine built one, the
    /// receiver is an instance owned by the current context and its class
    /// has a compiled method for the token, the call goes straight to it
    /// with the budgets of a direct call. Anything else (no row, null,
    /// another owner, a class of another package, an interpreted or native
    /// method, a limit reached) takes the generic `invoke`.
    fn invoke_dispatched(&mut self, cp: u16, token: Option<u8>, call: GenericCall) -> Value {
        self.fast_call_or_generic(call, |l, generic| {
            let this = l.b.ins().load(I16, mf_data(), call.args, 0);
            let (row_at, obj, usable) = l.row_candidate(this, cp, true);
            let t1 = l.b.create_block();
            l.b.ins().brif(usable, t1, &[], generic, &[]);
            l.enter(t1);
            let (row, c, mut ok) = l.row_class(row_at, &obj);
            let slot = match token {
                Some(t) => {
                    let stride = l.b.ins().load(I32, mf_row(), row, abi::row::STRIDE as i32);
                    let tok = l.iconst32(i32::from(t));
                    let tok_ok = l.b.ins().icmp(IntCC::UnsignedLessThan, tok, stride);
                    ok = l.b.ins().band(ok, tok_ok);
                    let base = l.b.ins().imul(c, stride);
                    l.b.ins().iadd(base, tok)
                }
                None => c,
            };
            let t2 = l.b.create_block();
            l.b.ins().brif(ok, t2, &[], generic, &[]);
            l.enter(t2);
            let e = l.row_entry(row, slot);
            let f = l.b.ins().load(I32, mf_row(), e, 0);
            let need = l.b.ins().load(I32, mf_row(), e, 4);
            let f = l.widen(f);
            l.call_with_budget(f, need, call.args, generic)
        })
    }

    fn invoke(&mut self, insn: &Instruction, next_depth: Option<usize>) -> Result<(), LowerError> {
        let (op, index, ret_words, nargs) = match insn.operands {
            Operands::Interface {
                nargs,
                index,
                token,
            } => {
                let u = &self.verified.universe;
                let ret = match u.cp.get(usize::from(index)) {
                    Some(Resolved::Class(c)) => u
                        .find_interface_method(*c, token)
                        .map(|m| u.method(m).sig.ret.words()),
                    _ => None,
                }
                .ok_or_else(|| self.no_types("unresolved interface method"))?;
                (
                    abi::invoke::INTERFACE,
                    i32::from(index) | i32::from(token) << 16,
                    ret,
                    usize::from(nargs),
                )
            }
            Operands::Cp(index) => {
                let ret = self
                    .return_words(index)
                    .ok_or_else(|| self.no_types("unresolved method"))?;
                let next = next_depth.ok_or_else(|| self.no_types("no state after the call"))?;
                let nargs = (self.sp + ret)
                    .checked_sub(next)
                    .ok_or_else(|| self.no_types("call pops more than the stack holds"))?;
                let op = match insn.opcode.0 {
                    0x8B => abi::invoke::VIRTUAL,
                    0x8C => abi::invoke::SPECIAL,
                    _ => abi::invoke::STATIC,
                };
                (op, i32::from(index), ret, nargs)
            }
            _ => return Err(self.unsupported("call operands")),
        };
        if nargs > self.sp {
            return Err(self.no_types("call pops more than the stack holds"));
        }
        let args = self.out_args();
        let words = (0..nargs)
            .map(|i| self.peek(nargs - 1 - i))
            .collect::<Result<Vec<_>, _>>()?;
        self.sp -= nargs;
        let intrinsic = match insn.operands {
            Operands::Cp(cp) => {
                intrinsic::Intrinsic::of(&self.verified.universe, insn.opcode.0, cp)
            }
            _ => None,
        };
        let call = GenericCall {
            op,
            index,
            nargs,
            args,
        };
        if let Some(which) = intrinsic {
            let r = self.intrinsic(which, &words, call);
            return match ret_words {
                0 => Ok(()),
                1 => self.push_i32_as_short(r),
                _ => self.push_int(r),
            };
        }
        for (i, w) in words.iter().enumerate() {
            self.b.ins().store(mf_data(), *w, args, (2 * i) as i32);
        }
        let direct = match insn.operands {
            Operands::Cp(cp) if matches!(insn.opcode.0, 0x8C | 0x8D) => self
                .direct_words(cp)
                .map(|need| (cp, need, insn.opcode.0 == 0x8C)),
            _ => None,
        };
        let dispatched = match insn.operands {
            Operands::Cp(cp) if op == abi::invoke::VIRTUAL && self.own_virtual(cp) => {
                Some((cp, None))
            }
            Operands::Interface { index, token, .. } if self.own_interface(index) => {
                Some((index, Some(token)))
            }
            _ => None,
        };
        let r = match (direct, dispatched) {
            (Some((cp, need, special)), _) => self.invoke_direct(cp, need, special, call),
            (None, Some((cp, token))) => self.invoke_dispatched(cp, token, call),
            (None, None) => {
                let r = self.generic_invoke(call);
                self.check_pending();
                r
            }
        };
        match ret_words {
            0 => Ok(()),
            1 => self.push_i32_as_short(r),
            _ => self.push_int(r),
        }
    }

    // ---- arithmetic -----------------------------------------------------

    fn short_binop(&mut self, op: u8) -> Result<(), LowerError> {
        let b = self.pop()?;
        let a = self.pop()?;
        // A short shifted by a constant: the JVM shifts the int
        // value1 by the low five bits of value2 and keeps 16 bits.
        // Left by k < 16 or arithmetic right by any k, those 16 bits
        // are the 16-bit shift's (right by 16..=31 leaves the sign:
        // right by 15), so no widening.
        if let (0x4D | 0x4F, Some(k)) = (op, self.const_value(b)) {
            let k = k & 0x1F;
            let r = match (op, k) {
                (0x4D, 0..=15) => self.b.ins().ishl_imm_u(a, k),
                (0x4D, _) => self.iconst16(0),
                _ => self.b.ins().sshr_imm_u(a, k.min(15)),
            };
            return self.push(r);
        }
        let r = match op {
            0x41 => self.b.ins().iadd(a, b),
            0x43 => self.b.ins().isub(a, b),
            0x45 => self.b.ins().imul(a, b),
            0x53 => self.b.ins().band(a, b),
            0x55 => self.b.ins().bor(a, b),
            0x57 => self.b.ins().bxor(a, b),
            0x47 | 0x49 => {
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
                self.throw_if(zero, hydra_runtime::api_tables::tok::ARITHMETIC);
                // In 32 bits, -32768 / -1 cannot overflow; truncation wraps.
                let a32 = self.sext(a);
                let b32 = self.sext(b);
                let r = if op == 0x47 {
                    self.b.ins().sdiv(a32, b32)
                } else {
                    self.b.ins().srem(a32, b32)
                };
                self.b.ins().ireduce(I16, r)
            }
            _ => {
                let a32 = self.sext(a);
                let b32 = self.sext(b);
                let s = self.b.ins().band_imm_u(b32, 0x1F);
                let r = match op {
                    0x4D => self.b.ins().ishl(a32, s),
                    0x4F => self.b.ins().sshr(a32, s),
                    _ => self.b.ins().ushr(a32, s),
                };
                self.b.ins().ireduce(I16, r)
            }
        };
        self.push(r)
    }

    fn int_binop(&mut self, op: u8) -> Result<(), LowerError> {
        let b = self.pop_int()?;
        let a = self.pop_int()?;
        let r = match op {
            0x42 => self.b.ins().iadd(a, b),
            0x44 => self.b.ins().isub(a, b),
            0x46 => self.b.ins().imul(a, b),
            0x54 => self.b.ins().band(a, b),
            0x56 => self.b.ins().bor(a, b),
            0x58 => self.b.ins().bxor(a, b),
            0x48 | 0x4A => {
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
                self.throw_if(zero, hydra_runtime::api_tables::tok::ARITHMETIC);
                // MIN / -1 wraps in Java; the machine instruction traps.
                let m1 = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
                let one = self.iconst32(1);
                let d = self.b.ins().select(m1, one, b);
                if op == 0x48 {
                    let q = self.b.ins().sdiv(a, d);
                    let neg = self.b.ins().ineg(a);
                    self.b.ins().select(m1, neg, q)
                } else {
                    let r = self.b.ins().srem(a, d);
                    let zero = self.iconst32(0);
                    self.b.ins().select(m1, zero, r)
                }
            }
            _ => {
                let s = self.b.ins().band_imm_u(b, 0x1F);
                match op {
                    0x4E => self.b.ins().ishl(a, s),
                    0x50 => self.b.ins().sshr(a, s),
                    _ => self.b.ins().ushr(a, s),
                }
            }
        };
        self.push_int(r)
    }

    /// A conditional branch. When exactly one side leaves the innermost
    /// loop around it, that side is named first, for the same reason as
    /// the slow path in `check`: otherwise the elaborator visits the exit
    /// before the rest of the body and hoists nothing out of it.
    fn branch(&mut self, cond: Value, target: i32) -> Result<(), LowerError> {
        let t = self.block_at(target)?;
        let next_pc = self.next_pc;
        let f = self.block_at(i32::from(next_pc))?;
        if self.leaves_loop(i32::from(next_pc)) && !self.leaves_loop(target) {
            let not = self.b.ins().icmp_imm_s(IntCC::Equal, cond, 0);
            self.b.ins().brif(not, f, &[], t, &[]);
        } else {
            self.b.ins().brif(cond, t, &[], f, &[]);
        }
        Ok(())
    }

    /// Whether a jump from the current pc to `to` leaves the innermost
    /// loop (`loops`) around the current pc, directly or by a `goto` there
    /// (a `break` is a branch over a `goto` out of the loop).
    fn leaves_loop(&self, to: i32) -> bool {
        let pc = self.pc;
        let insns = &self.types.insns;
        let mut to = to;
        for _ in 0..4 {
            let Ok(i) = insns.binary_search_by_key(&to, |i| i32::from(i.pc)) else {
                break;
            };
            match (insns[i].opcode.0, &insns[i].operands) {
                (0x70 | 0xA8, Operands::Branch(o)) => to += i32::from(*o),
                _ => break,
            }
        }
        self.loops
            .iter()
            .filter(|&&(start, end)| start <= pc && pc <= end)
            .min_by_key(|&&(start, end)| end - start)
            .is_some_and(|&(start, end)| to < i32::from(start) || to > i32::from(end))
    }

    fn switch(&mut self, key: Value, cases: &[(i32, i16)], default: i16) -> Result<(), LowerError> {
        let mut sw = Switch::new();
        let mut seen = std::collections::HashSet::new();
        for &(k, off) in cases {
            if seen.insert(k) {
                let b = self.block_at(i32::from(self.pc) + i32::from(off))?;
                sw.set_entry(u128::from(k as u32), b);
            }
        }
        let d = self.block_at(i32::from(self.pc) + i32::from(default))?;
        sw.emit(&mut self.b, key, d);
        Ok(())
    }
}

mod method;
