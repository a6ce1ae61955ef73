//! The bytecode interpreter.
//!
//! Design: one operand stack of 16-bit words shared by all frames (an `int`
//! is two words, high first, exactly as in the JCVM); locals sit below each
//! frame's operand stack. Code is the package's Method component, already
//! checked and quickened at link time (field accesses carry absolute cell
//! indices, static and special calls carry method ids), and every
//! constant-pool operand indexes a pre-resolved table. The dispatch loop
//! keeps pc/sp/fp in locals, allocates nothing, and leaves the loop only
//! for calls into natives and for exceptions.

use alloc::rc::Rc;

use crate::api_tables::{tok, LANG};
use crate::card::{Card, Frame};
use crate::class::*;
use crate::error::Fault;
use crate::heap::*;
use crate::nvm::Nvm;

/// Why execution left the normal path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exc {
    /// A Java exception object was thrown and not caught.
    Throw(Ref),
    /// The card itself failed (NVM, corrupt state, malformed code).
    Fault(Fault),
}

impl From<Fault> for Exc {
    fn from(f: Fault) -> Exc {
        Exc::Fault(f)
    }
}

/// A method's result: 0, 1 or 2 words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ret {
    pub words: u8,
    pub w: [i16; 2],
}

impl Ret {
    pub fn short(&self) -> i16 {
        self.w[0]
    }
    pub fn int(&self) -> i32 {
        ((self.w[0] as u16 as u32) << 16 | self.w[1] as u16 as u32) as i32
    }
}

struct Regs {
    pc: usize,
    sp: usize,
    fp: usize,
    code: Rc<[u8]>,
    cp: Rc<[Cp]>,
    mstart: usize,
    /// The package of `code` was verified on the card: its methods run in
    /// the trusting loop.
    trusted: bool,
}

/// Masks a stack index into the stack array: the trusting loop's accesses
/// stay inside it without a bounds test (verified code never needs the
/// mask; it keeps a verifier bug from reaching memory outside the stack).
const STACK_MASK: usize = crate::card::STACK_WORDS - 1;
const _: () = assert!(crate::card::STACK_WORDS.is_power_of_two());

#[inline(always)]
fn b1(code: &[u8], i: usize) -> u8 {
    match code.get(i) {
        Some(&b) => b,
        None => 0,
    }
}
#[inline(always)]
fn s2(code: &[u8], i: usize) -> i16 {
    match code.get(i..i + 2) {
        Some(s) => i16::from_be_bytes([s[0], s[1]]),
        None => 0,
    }
}
#[inline(always)]
fn s4(code: &[u8], i: usize) -> i32 {
    match code.get(i..i + 4) {
        Some(s) => i32::from_be_bytes([s[0], s[1], s[2], s[3]]),
        None => 0,
    }
}
/// Copies call arguments (same length): the usual one to three words
/// inline, not through a call of `memcpy`.
#[inline]
fn copy_words(dst: &mut [i16], src: &[i16]) {
    match (dst, src) {
        ([d], [s]) => *d = *s,
        ([d0, d1], [s0, s1]) => (*d0, *d1) = (*s0, *s1),
        ([d0, d1, d2], [s0, s1, s2]) => (*d0, *d1, *d2) = (*s0, *s1, *s2),
        (d, s) => d.copy_from_slice(s),
    }
}

#[inline(always)]
fn join(hi: i16, lo: i16) -> i32 {
    ((hi as u16 as u32) << 16 | lo as u16 as u32) as i32
}

/// The code and constant pool of package `p` into `regs`; a call or return
/// within one package (the common case) leaves the reference counts alone.
#[inline(always)]
fn set_code(regs: &mut Regs, p: &crate::card::Package) {
    if !Rc::ptr_eq(&regs.code, &p.code) || !Rc::ptr_eq(&regs.cp, &p.cp) {
        regs.code = p.code.clone();
        regs.cp = p.cp.clone();
        regs.trusted = p.verified;
    }
}

const MALFORMED: Fault = Fault::Corrupt("malformed bytecode");

impl<N: Nvm> Card<N> {
    // ---- array access (firewall checks in firewall.rs) --------------------

    /// The header of array `r` of element kind `kind` (a boolean array
    /// passes as a byte array, as baload/bastore take both).
    #[inline]
    fn array(&self, r: Ref, kind: u8) -> Result<Obj, Exc> {
        let o = self.access(r)?;
        if o.kind == kind || (kind == K_BYTE && o.kind == K_BOOL) {
            Ok(o)
        } else {
            Err(Exc::Fault(Fault::Corrupt("array of the wrong type")))
        }
    }

    #[inline]
    fn index(&self, o: &Obj, i: i16) -> Result<u32, Exc> {
        if i < 0 || i as u16 >= o.len {
            Err(self.vm_exc(tok::ARRAY_INDEX_OOB))
        } else {
            Ok(i as u32)
        }
    }

    // ---- entry points -----------------------------------------------------

    /// Runs `m` with `args` (words, `this` first) to completion, in the
    /// current context. Re-entrant: natives may call it.
    pub fn invoke(&mut self, m: MethodId, args: &[i16]) -> Result<Ret, Exc> {
        if let Some(MethodKind::Native(n)) = self.methods.get(usize::from(m)).map(|x| x.kind) {
            return self.invoke_native(n, args);
        }
        let base_depth = self.frames.len();
        // Natives that call back run above their caller's operand stack.
        let base_sp = self.sp_top;
        let sp = base_sp + args.len();
        let Some(slot) = self.stack.get_mut(base_sp..sp) else {
            return Err(self.so());
        };
        copy_words(slot, args);
        let saved_ctx = self.ctx;
        let r = match self.enter_compiled(m, sp) {
            Some(r) => r,
            None => self.run(m, sp, base_depth),
        };
        self.frames.truncate(base_depth);
        self.ctx = saved_ctx;
        self.sp_top = base_sp;
        r
    }

    /// [`Card::invoke`] of a compiled method: what `run` would reach through
    /// `call` and `run_compiled`, without setting up the interpreter's
    /// registers first. `None` when the method is not compiled.
    fn enter_compiled(&mut self, m: MethodId, sp: usize) -> Option<Result<Ret, Exc>> {
        let engine = self.engine.clone()?;
        let meth = self.methods.get(usize::from(m))?;
        if meth.kind != MethodKind::Bytecode {
            return None;
        }
        let fp = sp.checked_sub(usize::from(meth.nargs))?;
        self.sp_top = sp;
        let saved = self.ctx;
        if let Some(c) = self.call_ctx.take() {
            self.ctx = c;
        }
        let r = engine.run(self, m, fp);
        self.ctx = saved;
        r
    }

    /// Runs native method `n` with `args` (the caller's context, no frame),
    /// without entering the interpreter.
    fn invoke_native(&mut self, n: crate::api::Native, args: &[i16]) -> Result<Ret, Exc> {
        let fp = self.sp_top;
        let Some(slot) = self.stack.get_mut(fp..fp + args.len()) else {
            return Err(self.so());
        };
        copy_words(slot, args);
        let (depth, saved_ctx) = (self.frames.len(), self.ctx);
        self.sp_top = fp + args.len();
        let r = self.native(n, fp);
        self.frames.truncate(depth);
        self.ctx = saved_ctx;
        self.sp_top = fp;
        let words = r?;
        let mut ret = Ret {
            words: words as u8,
            w: [0; 2],
        };
        for i in 0..words.min(2) {
            ret.w[i] = self.stack.get(fp + i).copied().unwrap_or(0);
        }
        Ok(ret)
    }

    /// The exception of a call-stack overflow.
    pub fn so(&mut self) -> Exc {
        self.cre(tok::SYSTEM_EXCEPTION, 5)
    }

    #[allow(clippy::too_many_lines)]
    fn run(&mut self, entry: MethodId, sp: usize, base_depth: usize) -> Result<Ret, Exc> {
        // The entry method's package fills the registers until `call` sets
        // them (no placeholder allocations).
        let Some(p) = self
            .methods
            .get(usize::from(entry))
            .and_then(|m| self.packages.get(usize::from(m.pkg)))
        else {
            return Err(Exc::Fault(MALFORMED));
        };
        let mut regs = Regs {
            pc: 0,
            sp,
            fp: 0,
            code: p.code.clone(),
            cp: p.cp.clone(),
            mstart: 0,
            trusted: p.verified,
        };
        // Enter the first method.
        match self.call(entry, &mut regs, base_depth, true) {
            Ok(Some(ret)) => return Ok(ret),
            Ok(None) => {}
            Err(e) => return Err(e),
        }
        let stats = cfg!(feature = "opcode-stats") && self.stats.is_some();
        loop {
            let r = if stats {
                self.exec_stats(&mut regs, base_depth)
            } else if regs.trusted {
                self.exec_trusted(&mut regs, base_depth)
            } else {
                self.exec(&mut regs, base_depth)
            };
            match r {
                Ok(Some(ret)) => return Ok(ret),
                // A call or return crossed into a package of the other trust.
                Ok(None) => {}
                Err(Exc::Throw(ex)) => {
                    // A handler that throws again loops without a branch.
                    if self.executed >= self.budget_end {
                        return Err(Exc::Fault(Fault::Budget));
                    }
                    // Unwind to a handler.
                    let Some(class) = self.store.obj(ex).map(|o| o.class) else {
                        return Err(Exc::Fault(Fault::Corrupt("thrown a dangling reference")));
                    };
                    let mut found = false;
                    while self.frames.len() > base_depth {
                        let f = *self.frames.last().ok_or(Exc::Fault(MALFORMED))?;
                        let m = &self.methods[usize::from(f.method)];
                        let pkg = &self.packages[usize::from(m.pkg)];
                        let pc = regs.pc as u32;
                        let mut target = None;
                        for h in &pkg.handlers[usize::from(m.handlers.0)..usize::from(m.handlers.1)]
                        {
                            if pc >= h.start
                                && pc < h.end
                                && (h.catch == NO_CLASS || self.is_subclass_of(class, h.catch))
                            {
                                target = Some(h.handler as usize);
                                break;
                            }
                        }
                        if let Some(t) = target {
                            regs.pc = t;
                            regs.sp = f.sb as usize;
                            *self.stack.get_mut(regs.sp).ok_or(Exc::Fault(MALFORMED))? = ex as i16;
                            regs.sp += 1;
                            found = true;
                            break;
                        }
                        // Pop the frame and continue in the caller.
                        self.frames.pop();
                        self.ctx = f.ctx;
                        if self.frames.len() > base_depth {
                            let c = *self.frames.last().ok_or(Exc::Fault(MALFORMED))?;
                            self.load_regs(&c, &mut regs);
                            regs.pc = c.pc as usize;
                        }
                    }
                    if !found {
                        return Err(Exc::Throw(ex));
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    #[inline(always)]
    fn load_regs(&self, f: &Frame, regs: &mut Regs) {
        let m = &self.methods[usize::from(f.method)];
        let p = &self.packages[usize::from(m.pkg)];
        set_code(regs, p);
        regs.fp = f.fp as usize;
        regs.mstart = m.code as usize;
    }

    /// Calls `m` with its arguments on top of the stack. Natives run to
    /// completion (their result is pushed); bytecode methods get a frame.
    /// Returns `Some` only when `m` completed and it was the entry method.
    #[inline]
    fn call(
        &mut self,
        m: MethodId,
        regs: &mut Regs,
        base_depth: usize,
        entry: bool,
    ) -> Result<Option<Ret>, Exc> {
        let Some(meth) = self.methods.get(usize::from(m)) else {
            return Err(Exc::Fault(MALFORMED));
        };
        let nargs = usize::from(meth.nargs);
        let fp = regs.sp.checked_sub(nargs).ok_or(Exc::Fault(MALFORMED))?;
        // Arguments come from the caller's own operand stack.
        if !entry && fp < regs.fp {
            return Err(Exc::Fault(MALFORMED));
        }
        match meth.kind {
            MethodKind::Bytecode => {
                if self.engine.is_some() {
                    if let Some(done) = self.run_compiled(m, fp, regs, entry)? {
                        return Ok(done);
                    }
                }
                let meth = &self.methods[usize::from(m)];
                if self.frames.len() >= self.config.max_frames {
                    return Err(self.so());
                }
                let sb = fp + nargs + usize::from(meth.max_locals);
                if sb + usize::from(meth.max_stack) > self.stack.len() {
                    return Err(self.so());
                }
                // Locals start at zero (never a previous frame's words);
                // the usual few without a call of memset.
                match &mut self.stack[fp + nargs..sb] {
                    [] => {}
                    [a] => *a = 0,
                    [a, b] => (*a, *b) = (0, 0),
                    [a, b, c] => (*a, *b, *c) = (0, 0, 0),
                    [a, b, c, d] => (*a, *b, *c, *d) = (0, 0, 0, 0),
                    l => l.fill(0),
                }
                if !entry {
                    if let Some(f) = self.frames.last_mut() {
                        f.pc = regs.pc as u32;
                    }
                }
                let code_start = meth.code as usize;
                self.frames.push(Frame {
                    method: m,
                    pc: 0,
                    fp: fp as u32,
                    sb: sb as u32,
                    ctx: self.ctx,
                });
                let p = &self.packages[usize::from(meth.pkg)];
                set_code(regs, p);
                regs.fp = fp;
                regs.sp = sb;
                regs.pc = code_start;
                regs.mstart = code_start;
                let _ = base_depth;
                Ok(None)
            }
            MethodKind::Native(n) => {
                self.sp_top = regs.sp;
                // A native that only reads the card's state (selectingApplet,
                // getBuffer) on a receiver that is there: its result without
                // the native call.
                let quick = self.quick_native(n, || self.stack.get(fp).map_or(NULL, |&t| t as Ref));
                let words = match quick {
                    Some(v) => {
                        self.stack[fp] = v;
                        1
                    }
                    None => self.native(n, fp)?,
                };
                regs.sp = fp + words;
                if entry {
                    let mut r = Ret {
                        words: words as u8,
                        w: [0; 2],
                    };
                    for i in 0..words.min(2) {
                        r.w[i] = self.stack[fp + i];
                    }
                    return Ok(Some(r));
                }
                Ok(None)
            }
            MethodKind::Abstract => Err(Exc::Fault(Fault::Corrupt("call of an abstract method"))),
        }
    }

    /// Offers bytecode method `m` to the compiled-code engine; when it ran
    /// compiled, its result is on the stack as a native's would be and the
    /// outer `Some` holds what `call` returns.
    #[inline(never)]
    fn run_compiled(
        &mut self,
        m: MethodId,
        fp: usize,
        regs: &mut Regs,
        entry: bool,
    ) -> Result<Option<Option<Ret>>, Exc> {
        let Some(engine) = self.engine.clone() else {
            return Ok(None);
        };
        self.sp_top = regs.sp;
        // A virtual or interface call: the callee runs in the object's context.
        let saved = self.ctx;
        if let Some(c) = self.call_ctx.take() {
            self.ctx = c;
        }
        let r = engine.run(self, m, fp);
        self.ctx = saved;
        let Some(r) = r else {
            return Ok(None);
        };
        let r = r?;
        let words = usize::from(r.words.min(2));
        for i in 0..words {
            *self.stack.get_mut(fp + i).ok_or(Exc::Fault(MALFORMED))? = r.w[i];
        }
        regs.sp = fp + words;
        Ok(Some(entry.then_some(r)))
    }

    /// Returns from the current frame with `words` result words on top.
    #[inline]
    fn ret(
        &mut self,
        regs: &mut Regs,
        words: usize,
        base_depth: usize,
    ) -> Result<Option<Ret>, Exc> {
        let f = self.frames.pop().ok_or(Exc::Fault(MALFORMED))?;
        self.ctx = f.ctx;
        let mut r = Ret {
            words: words as u8,
            w: [0; 2],
        };
        for i in 0..words {
            r.w[i] = *self
                .stack
                .get(regs.sp - words + i)
                .ok_or(Exc::Fault(MALFORMED))?;
        }
        if self.frames.len() <= base_depth {
            return Ok(Some(r));
        }
        let c = *self.frames.last().ok_or(Exc::Fault(MALFORMED))?;
        self.load_regs(&c, regs);
        // Continue after the invoke instruction.
        let op = b1(&regs.code, c.pc as usize);
        regs.pc = c.pc as usize + if op == 0x8E { 5 } else { 3 };
        regs.sp = f.fp as usize;
        for i in 0..words {
            self.stack[regs.sp] = r.w[i];
            regs.sp += 1;
        }
        Ok(None)
    }

    #[inline]
    fn nvm_read(&self, addr: u32, len: usize) -> &[u8] {
        let a = addr as usize;
        self.store
            .nvm
            .bytes()
            .get(a..a + len)
            .unwrap_or(&[0, 0, 0, 0][..len.min(4)])
    }

    /// The checking dispatch loop, for packages loaded unverified
    /// (`hydra-qemu-host` finds the opcode dispatch of both loops by
    /// these functions' names). `Ok(None)`: execution went on in a package
    /// that the other loop runs.
    #[inline(never)]
    fn exec(&mut self, regs: &mut Regs, base_depth: usize) -> Result<Option<Ret>, Exc> {
        self.exec_loop::<false, false>(regs, base_depth)
    }

    /// The trusting dispatch loop, for packages the card verified: no test
    /// of the operand stack's depth or of local indices (see the runtime
    /// README's "What the interpreter trusts").
    #[inline(never)]
    fn exec_trusted(&mut self, regs: &mut Regs, base_depth: usize) -> Result<Option<Ret>, Exc> {
        self.exec_loop::<false, true>(regs, base_depth)
    }

    /// The checking loop that also counts every opcode in `stats` (host
    /// builds only: see the `opcode-stats` feature); it runs every package.
    #[inline(never)]
    fn exec_stats(&mut self, regs: &mut Regs, base_depth: usize) -> Result<Option<Ret>, Exc> {
        if cfg!(feature = "opcode-stats") {
            self.exec_loop::<true, false>(regs, base_depth)
        } else {
            self.exec(regs, base_depth)
        }
    }

    // Single opcodes in the match arms on purpose (see the comment there).
    #[allow(
        clippy::too_many_lines,
        clippy::cognitive_complexity,
        clippy::manual_range_patterns
    )]
    #[inline(always)]
    fn exec_loop<const STATS: bool, const TRUST: bool>(
        &mut self,
        regs: &mut Regs,
        base_depth: usize,
    ) -> Result<Option<Ret>, Exc> {
        // Bytecodes executed since `self.executed` was last brought up to
        // date (a local, so the loop head does not touch `self`); folded in
        // before anything that can read `executed` (calls, returns, leaving
        // the loop) and at every budget check.
        let mut n: u32 = 0;
        let mut pc = regs.pc;
        let mut sp = regs.sp;
        let mut fp = regs.fp;
        // This loop runs one package's code: a call or return into another
        // package leaves it (`reload!`), so the code is a plain slice here.
        let code_rc = regs.code.clone();
        let code: &[u8] = &code_rc;

        macro_rules! sync {
            () => {
                regs.pc = pc;
                regs.sp = sp;
                self.executed += u64::from(n);
                n = 0;
            };
        }
        // The execution budget, checked where execution can go back
        // (backward branches, switches, `ret`): it counts bytecodes.
        macro_rules! budget {
            () => {{
                self.executed += u64::from(n);
                n = 0;
                if self.executed >= self.budget_end {
                    fail!(Exc::Fault(Fault::Budget));
                }
            }};
        }
        macro_rules! fail {
            ($e:expr) => {{
                regs.pc = pc;
                regs.sp = sp;
                self.executed += u64::from(n);
                return Err($e);
            }};
        }
        macro_rules! tri {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(e) => fail!(Exc::from(e)),
                }
            };
        }
        macro_rules! push {
            ($v:expr) => {{
                let v: i16 = $v;
                if TRUST {
                    self.stack[sp & STACK_MASK] = v;
                } else {
                    match self.stack.get_mut(sp) {
                        Some(s) => *s = v,
                        None => fail!(Exc::Fault(MALFORMED)),
                    }
                }
                sp += 1;
            }};
        }
        // A pop never reaches below the frame: the caller's words (perhaps
        // of another context) stay out of reach even of unverified code.
        macro_rules! pop {
            () => {{
                if TRUST {
                    sp = sp.wrapping_sub(1);
                    self.stack[sp & STACK_MASK]
                } else {
                    if sp <= fp {
                        fail!(Exc::Fault(MALFORMED));
                    }
                    sp -= 1;
                    match self.stack.get(sp) {
                        Some(&v) => v,
                        None => fail!(Exc::Fault(MALFORMED)),
                    }
                }
            }};
        }
        macro_rules! push_i {
            ($v:expr) => {{
                let v: i32 = $v;
                push!((v >> 16) as i16);
                push!(v as i16);
            }};
        }
        macro_rules! pop_i {
            () => {{
                let lo = pop!();
                let hi = pop!();
                join(hi, lo)
            }};
        }
        // The `N` words on top of the frame's operand stack, read with one
        // bounds check (never below the frame, like `pop!`).
        macro_rules! top {
            ($n:expr) => {{
                if TRUST {
                    let mut w = [0i16; $n];
                    for (k, x) in w.iter_mut().enumerate() {
                        *x = self.stack[sp.wrapping_sub($n - k) & STACK_MASK];
                    }
                    w
                } else {
                    if sp < fp + $n {
                        fail!(Exc::Fault(MALFORMED));
                    }
                    match self.stack.get(sp - $n..sp) {
                        Some(s) => {
                            let mut w = [0i16; $n];
                            w.copy_from_slice(s);
                            w
                        }
                        None => fail!(Exc::Fault(MALFORMED)),
                    }
                }
            }};
        }
        // Short binary operation: pops b, a; pushes the result.
        macro_rules! sbin {
            (|$a:ident, $b:ident| $e:expr) => {{
                let [$a, $b] = top!(2);
                let r: i16 = $e;
                sp -= 2;
                push!(r);
                pc += 1;
            }};
        }
        // Int binary operation: pops b, a (two words each); pushes the result.
        macro_rules! ibin {
            (|$a:ident, $b:ident| $e:expr) => {{
                let [ah, al, bh, bl] = top!(4);
                let ($a, $b) = (join(ah, al), join(bh, bl));
                let r: i32 = $e;
                sp -= 4;
                push_i!(r);
                pc += 1;
            }};
        }
        // Conditional branches on one short / two shorts.
        macro_rules! if1 {
            (|$v:ident| $c:expr, $wide:expr) => {{
                let [$v] = top!(1);
                sp -= 1;
                branch!($c, $wide);
            }};
        }
        macro_rules! if2 {
            (|$a:ident, $b:ident| $c:expr, $wide:expr) => {{
                let [$a, $b] = top!(2);
                sp -= 2;
                branch!($c, $wide);
            }};
        }
        macro_rules! local {
            ($i:expr) => {
                if TRUST {
                    self.stack[(fp + usize::from($i)) & STACK_MASK]
                } else {
                    match self.stack.get(fp + usize::from($i)) {
                        Some(&v) => v,
                        None => fail!(Exc::Fault(MALFORMED)),
                    }
                }
            };
        }
        macro_rules! set_local {
            ($i:expr, $v:expr) => {{
                let v: i16 = $v;
                if TRUST {
                    self.stack[(fp + usize::from($i)) & STACK_MASK] = v;
                } else {
                    match self.stack.get_mut(fp + usize::from($i)) {
                        Some(s) => *s = v,
                        None => fail!(Exc::Fault(MALFORMED)),
                    }
                }
            }};
        }
        macro_rules! branch {
            ($cond:expr, $wide:expr) => {{
                if $cond {
                    let off = if $wide {
                        s2(code, pc + 1) as isize
                    } else {
                        b1(code, pc + 1) as i8 as isize
                    };
                    if off <= 0 {
                        budget!();
                    }
                    pc = (pc as isize + off) as usize;
                } else {
                    pc += if $wide { 3 } else { 2 };
                }
            }};
        }
        macro_rules! throw_vm {
            ($t:expr) => {
                fail!(self.vm_exc($t))
            };
        }
        macro_rules! reload {
            () => {{
                pc = regs.pc;
                sp = regs.sp;
                fp = regs.fp;
                if !core::ptr::eq(code, &*regs.code) {
                    // Another package's code, perhaps for the other loop
                    // (registers and `executed` are up to date: `sync!`
                    // came first).
                    return Ok(None);
                }
            }};
        }
        macro_rules! do_call {
            ($m:expr) => {{
                sync!();
                let depth = self.frames.len();
                match self.call($m, regs, base_depth, false) {
                    Ok(_) => {}
                    Err(e) => return Err(e),
                }
                if self.frames.len() > depth {
                    reload!();
                } else {
                    // A native: its result is pushed; step over the invoke.
                    sp = regs.sp;
                    pc += 3;
                }
            }};
        }
        macro_rules! do_ret {
            ($w:expr) => {{
                sync!();
                match self.ret(regs, $w, base_depth) {
                    Ok(Some(r)) => return Ok(Some(r)),
                    Ok(None) => reload!(),
                    Err(e) => return Err(e),
                }
            }};
        }
        macro_rules! cp_at {
            ($i:expr) => {
                // From `regs` (the few bytecodes that use the constant pool
                // leave two registers to the loop).
                match regs.cp.get(usize::from($i)) {
                    Some(&e) => e,
                    None => fail!(Exc::Fault(MALFORMED)),
                }
            };
        }
        macro_rules! field_cell {
            ($i:expr) => {
                match cp_at!($i) {
                    Cp::Field(c) => u32::from(c),
                    _ => fail!(Exc::Fault(MALFORMED)),
                }
            };
        }
        macro_rules! static_addr {
            ($i:expr) => {
                match cp_at!($i) {
                    Cp::Static(a) => a,
                    _ => fail!(Exc::Fault(MALFORMED)),
                }
            };
        }
        // getfield of kind k (0 a, 1 b, 2 s, 3 i) on object r at cell c.
        macro_rules! getfield {
            ($r:expr, $cell:expr, $k:expr, $check:expr) => {{
                let r = $r as Ref;
                let o = if $check {
                    tri!(self.access(r))
                } else {
                    match self.store.obj(r) {
                        Some(o) => *o,
                        None => fail!(self.npe()),
                    }
                };
                let cell: u32 = $cell;
                let need = if $k == 3 { cell + 2 } else { cell + 1 };
                if o.is_array() || need > u32::from(o.len) {
                    fail!(Exc::Fault(MALFORMED));
                }
                let v = self.store.read_u16(&o, 2 * cell) as i16;
                match $k {
                    1 => push!(v as i8 as i16),
                    3 => {
                        push!(v);
                        push!(self.store.read_u16(&o, 2 * cell + 2) as i16);
                    }
                    _ => push!(v),
                }
            }};
        }
        macro_rules! putfield {
            ($cell:expr, $k:expr, $this:expr) => {{
                let cell: u32 = $cell;
                let (hi, lo) = if $k == 3 {
                    let lo = pop!();
                    (pop!(), lo)
                } else {
                    (0, pop!())
                };
                let r = if $this { local!(0u8) } else { pop!() } as Ref;
                let o = if $this {
                    match self.store.obj(r) {
                        Some(o) => *o,
                        None => fail!(self.npe()),
                    }
                } else {
                    tri!(self.access(r))
                };
                let need = if $k == 3 { cell + 2 } else { cell + 1 };
                if o.is_array() || need > u32::from(o.len) {
                    fail!(Exc::Fault(MALFORMED));
                }
                if $k == 0 {
                    tri!(self.check_storable(lo as Ref));
                }
                match $k {
                    3 => {
                        let v = join(hi, lo);
                        tri!(self.store.write(&o, 2 * cell, &v.to_be_bytes(), true));
                    }
                    1 => tri!(self.store.write(
                        &o,
                        2 * cell,
                        &((lo as i8) as i16).to_be_bytes(),
                        true
                    )),
                    _ => tri!(self.store.write(&o, 2 * cell, &lo.to_be_bytes(), true)),
                }
            }};
        }

        // Array element load and store of one kind (a constant, so each
        // arm keeps only its own kind's path).
        macro_rules! array_load {
            ($kind:expr) => {{
                let i = pop!();
                let r = pop!() as Ref;
                let kind: u8 = $kind;
                let o = tri!(self.array(r, kind));
                let i = tri!(self.index(&o, i));
                match kind {
                    K_BYTE => push!(self.store.read_u8(&o, i) as i8 as i16),
                    K_INT => {
                        push!(self.store.read_u16(&o, 4 * i) as i16);
                        push!(self.store.read_u16(&o, 4 * i + 2) as i16);
                    }
                    _ => push!(self.store.read_u16(&o, 2 * i) as i16),
                }
                pc += 1;
            }};
        }
        macro_rules! array_store {
            ($kind:expr) => {{
                let kind: u8 = $kind;
                let (hi, lo) = if kind == K_INT {
                    let lo = pop!();
                    (pop!(), lo)
                } else {
                    (0, pop!())
                };
                let i = pop!();
                let r = pop!() as Ref;
                let o = tri!(self.array(r, kind));
                let i = tri!(self.index(&o, i));
                match kind {
                    K_BYTE => {
                        let v = if o.kind == K_BOOL {
                            (lo & 1) as u8
                        } else {
                            lo as u8
                        };
                        tri!(self.store.write(&o, i, &[v], true));
                    }
                    K_INT => {
                        tri!(self
                            .store
                            .write(&o, 4 * i, &join(hi, lo).to_be_bytes(), true))
                    }
                    K_REF => {
                        let v = lo as Ref;
                        tri!(self.check_storable(v));
                        if v != NULL && o.class != NO_CLASS {
                            let (ok, exists) = match self.store.obj(v) {
                                Some(vo) => (
                                    !vo.is_array() && self.is_subclass_of(vo.class, o.class)
                                        || o.class == self.api_class(LANG, tok::OBJECT),
                                    true,
                                ),
                                None => (false, false),
                            };
                            if !exists {
                                fail!(Exc::Fault(MALFORMED));
                            }
                            if !ok {
                                throw_vm!(tok::ARRAY_STORE);
                            }
                        }
                        tri!(self.store.write(&o, 2 * i, &lo.to_be_bytes(), true));
                    }
                    _ => tri!(self.store.write(&o, 2 * i, &lo.to_be_bytes(), true)),
                }
                pc += 1;
            }};
        }

        loop {
            let op = match code.get(pc) {
                Some(&op) => op,
                None => fail!(Exc::Fault(MALFORMED)),
            };
            n = n.wrapping_add(1);
            if STATS {
                if let Some(s) = self.stats.as_mut() {
                    s[usize::from(op)] += 1;
                }
            }
            // Single opcodes, never ranges: rustc lowers a range pattern to
            // compare-and-branch tests ahead of the jump table, which put
            // every opcode of a range arm behind a chain of tests.
            match op {
                0x00 => pc += 1,
                0x01 => {
                    push!(0);
                    pc += 1;
                }
                0x02 | 0x03 | 0x04 | 0x05 | 0x06 | 0x07 | 0x08 => {
                    push!(i16::from(op) - 3);
                    pc += 1;
                }
                0x09 | 0x0A | 0x0B | 0x0C | 0x0D | 0x0E | 0x0F => {
                    push_i!(i32::from(op) - 0x0A);
                    pc += 1;
                }
                0x10 => {
                    push!(b1(code, pc + 1) as i8 as i16);
                    pc += 2;
                }
                0x11 => {
                    push!(s2(code, pc + 1));
                    pc += 3;
                }
                0x12 => {
                    push_i!(i32::from(b1(code, pc + 1) as i8));
                    pc += 2;
                }
                0x13 => {
                    push_i!(i32::from(s2(code, pc + 1)));
                    pc += 3;
                }
                0x14 => {
                    push_i!(s4(code, pc + 1));
                    pc += 5;
                }
                0x15 | 0x16 => {
                    push!(local!(b1(code, pc + 1)));
                    pc += 2;
                }
                0x17 => {
                    let i = b1(code, pc + 1);
                    push!(local!(i));
                    push!(local!(usize::from(i) + 1));
                    pc += 2;
                }
                0x18 | 0x1C => {
                    push!(local!(0u8));
                    pc += 1;
                }
                0x19 | 0x1D => {
                    push!(local!(1u8));
                    pc += 1;
                }
                0x1A | 0x1E => {
                    push!(local!(2u8));
                    pc += 1;
                }
                0x1B | 0x1F => {
                    push!(local!(3u8));
                    pc += 1;
                }
                0x20 | 0x21 | 0x22 | 0x23 => {
                    let i = op - 0x20;
                    push!(local!(i));
                    push!(local!(i + 1));
                    pc += 1;
                }
                // array loads
                // One arm per element kind: each is specialised to its kind.
                0x24 => array_load!(K_REF),
                0x25 => array_load!(K_BYTE),
                0x26 => array_load!(K_SHORT),
                0x27 => array_load!(K_INT),
                0x28 | 0x29 => {
                    let v = pop!();
                    set_local!(b1(code, pc + 1), v);
                    pc += 2;
                }
                0x2A => {
                    let lo = pop!();
                    let hi = pop!();
                    let i = b1(code, pc + 1);
                    set_local!(i, hi);
                    set_local!(usize::from(i) + 1, lo);
                    pc += 2;
                }
                0x2B | 0x2F => {
                    let v = pop!();
                    set_local!(0u8, v);
                    pc += 1;
                }
                0x2C | 0x30 => {
                    let v = pop!();
                    set_local!(1u8, v);
                    pc += 1;
                }
                0x2D | 0x31 => {
                    let v = pop!();
                    set_local!(2u8, v);
                    pc += 1;
                }
                0x2E | 0x32 => {
                    let v = pop!();
                    set_local!(3u8, v);
                    pc += 1;
                }
                0x33 | 0x34 | 0x35 | 0x36 => {
                    let lo = pop!();
                    let hi = pop!();
                    let i = op - 0x33;
                    set_local!(i, hi);
                    set_local!(i + 1, lo);
                    pc += 1;
                }
                // array stores
                0x37 => array_store!(K_REF),
                0x38 => array_store!(K_BYTE),
                0x39 => array_store!(K_SHORT),
                0x3A => array_store!(K_INT),
                0x3B => {
                    let _ = pop!();
                    pc += 1;
                }
                0x3C => {
                    let _ = pop!();
                    let _ = pop!();
                    pc += 1;
                }
                0x3D => {
                    let v = pop!();
                    push!(v);
                    push!(v);
                    pc += 1;
                }
                0x3E => {
                    let b = pop!();
                    let a = pop!();
                    push!(a);
                    push!(b);
                    push!(a);
                    push!(b);
                    pc += 1;
                }
                0x3F => {
                    // dup_x mn
                    let mn = b1(code, pc + 1);
                    let m = usize::from(mn >> 4);
                    let n = usize::from(mn & 0xF);
                    if m == 0
                        || m > 4
                        || (n != 0 && (n < m || n > m + 4))
                        || sp < fp + n.max(m)
                        || sp + m > self.stack.len()
                    {
                        fail!(Exc::Fault(MALFORMED));
                    }
                    let mut tmp = [0i16; 4];
                    tmp[..m].copy_from_slice(&self.stack[sp - m..sp]);
                    if n == 0 {
                        self.stack[sp..sp + m].copy_from_slice(&tmp[..m]);
                    } else {
                        self.stack.copy_within(sp - n..sp, sp - n + m);
                        self.stack[sp - n..sp - n + m].copy_from_slice(&tmp[..m]);
                    }
                    sp += m;
                    pc += 2;
                }
                0x40 => {
                    // swap_x mn
                    let mn = b1(code, pc + 1);
                    let m = usize::from(mn >> 4);
                    let n = usize::from(mn & 0xF);
                    if m == 0 || m > 2 || n == 0 || n > 2 || sp < fp + m + n {
                        fail!(Exc::Fault(MALFORMED));
                    }
                    let mut tmp = [0i16; 4];
                    tmp[..m + n].copy_from_slice(&self.stack[sp - m - n..sp]);
                    // [n words][m words] -> [m words][n words]
                    self.stack[sp - m - n..sp - n].copy_from_slice(&tmp[n..n + m]);
                    self.stack[sp - n..sp].copy_from_slice(&tmp[..n]);
                    pc += 2;
                }
                // short arithmetic
                0x41 => sbin!(|a, b| a.wrapping_add(b)),
                0x43 => sbin!(|a, b| a.wrapping_sub(b)),
                0x45 => sbin!(|a, b| a.wrapping_mul(b)),
                0x47 => sbin!(|a, b| {
                    if b == 0 {
                        throw_vm!(tok::ARITHMETIC);
                    }
                    a.wrapping_div(b)
                }),
                0x49 => sbin!(|a, b| {
                    if b == 0 {
                        throw_vm!(tok::ARITHMETIC);
                    }
                    a.wrapping_rem(b)
                }),
                0x4D => sbin!(|a, b| (i32::from(a) << (b & 0x1F)) as i16),
                0x4F => sbin!(|a, b| (i32::from(a) >> (b & 0x1F)) as i16),
                0x51 => sbin!(|a, b| ((i32::from(a) as u32) >> (b & 0x1F)) as i16),
                0x53 => sbin!(|a, b| a & b),
                0x55 => sbin!(|a, b| a | b),
                0x57 => sbin!(|a, b| a ^ b),
                // int arithmetic
                0x42 => ibin!(|a, b| a.wrapping_add(b)),
                0x44 => ibin!(|a, b| a.wrapping_sub(b)),
                0x46 => ibin!(|a, b| a.wrapping_mul(b)),
                0x48 => ibin!(|a, b| {
                    if b == 0 {
                        throw_vm!(tok::ARITHMETIC);
                    }
                    a.wrapping_div(b)
                }),
                0x4A => ibin!(|a, b| {
                    if b == 0 {
                        throw_vm!(tok::ARITHMETIC);
                    }
                    a.wrapping_rem(b)
                }),
                0x4E => ibin!(|a, b| a.wrapping_shl(b as u32 & 0x1F)),
                0x50 => ibin!(|a, b| a >> (b & 0x1F)),
                0x52 => ibin!(|a, b| ((a as u32) >> (b & 0x1F)) as i32),
                0x54 => ibin!(|a, b| a & b),
                0x56 => ibin!(|a, b| a | b),
                0x58 => ibin!(|a, b| a ^ b),
                0x4B => {
                    let a = pop!();
                    push!(a.wrapping_neg());
                    pc += 1;
                }
                0x4C => {
                    let a = pop_i!();
                    push_i!(a.wrapping_neg());
                    pc += 1;
                }
                0x59 => {
                    let i = b1(code, pc + 1);
                    let v = local!(i).wrapping_add(i16::from(b1(code, pc + 2) as i8));
                    set_local!(i, v);
                    pc += 3;
                }
                0x5A => {
                    let i = b1(code, pc + 1);
                    let v = join(local!(i), local!(usize::from(i) + 1))
                        .wrapping_add(i32::from(b1(code, pc + 2) as i8));
                    set_local!(i, (v >> 16) as i16);
                    set_local!(usize::from(i) + 1, v as i16);
                    pc += 3;
                }
                0x96 => {
                    let i = b1(code, pc + 1);
                    let v = local!(i).wrapping_add(s2(code, pc + 2));
                    set_local!(i, v);
                    pc += 4;
                }
                0x97 => {
                    let i = b1(code, pc + 1);
                    let v = join(local!(i), local!(usize::from(i) + 1))
                        .wrapping_add(i32::from(s2(code, pc + 2)));
                    set_local!(i, (v >> 16) as i16);
                    set_local!(usize::from(i) + 1, v as i16);
                    pc += 4;
                }
                0x5B => {
                    let a = pop!();
                    push!(a as i8 as i16);
                    pc += 1;
                }
                0x5C => {
                    let a = pop!();
                    push_i!(i32::from(a));
                    pc += 1;
                }
                0x5D => {
                    let a = pop_i!();
                    push!(a as i8 as i16);
                    pc += 1;
                }
                0x5E => {
                    let a = pop_i!();
                    push!(a as i16);
                    pc += 1;
                }
                0x5F => {
                    let b = pop_i!();
                    let a = pop_i!();
                    push!(match a.cmp(&b) {
                        core::cmp::Ordering::Less => -1,
                        core::cmp::Ordering::Equal => 0,
                        core::cmp::Ordering::Greater => 1,
                    });
                    pc += 1;
                }
                // branches
                0x60 => if1!(|v| v == 0, false),
                0x98 => if1!(|v| v == 0, true),
                0x61 => if1!(|v| v != 0, false),
                0x99 => if1!(|v| v != 0, true),
                0x62 => if1!(|v| v < 0, false),
                0x9A => if1!(|v| v < 0, true),
                0x63 => if1!(|v| v >= 0, false),
                0x9B => if1!(|v| v >= 0, true),
                0x64 => if1!(|v| v > 0, false),
                0x9C => if1!(|v| v > 0, true),
                0x65 => if1!(|v| v <= 0, false),
                0x9D => if1!(|v| v <= 0, true),
                0x66 => if1!(|v| v == 0, false),
                0x9E => if1!(|v| v == 0, true),
                0x67 => if1!(|v| v != 0, false),
                0x9F => if1!(|v| v != 0, true),
                0x68 => if2!(|a, b| a == b, false),
                0xA0 => if2!(|a, b| a == b, true),
                0x69 => if2!(|a, b| a != b, false),
                0xA1 => if2!(|a, b| a != b, true),
                0x6A => if2!(|a, b| a == b, false),
                0xA2 => if2!(|a, b| a == b, true),
                0x6B => if2!(|a, b| a != b, false),
                0xA3 => if2!(|a, b| a != b, true),
                0x6C => if2!(|a, b| a < b, false),
                0xA4 => if2!(|a, b| a < b, true),
                0x6D => if2!(|a, b| a >= b, false),
                0xA5 => if2!(|a, b| a >= b, true),
                0x6E => if2!(|a, b| a > b, false),
                0xA6 => if2!(|a, b| a > b, true),
                0x6F => if2!(|a, b| a <= b, false),
                0xA7 => if2!(|a, b| a <= b, true),
                0x70 => branch!(true, false),
                0xA8 => branch!(true, true),
                0x71 => {
                    // jsr: the return address is method-relative.
                    push!((pc + 3 - regs.mstart) as i16);
                    branch!(true, true);
                }
                0x72 => {
                    budget!();
                    let a = local!(b1(code, pc + 1)) as u16;
                    pc = regs.mstart + usize::from(a);
                }
                0x73 => {
                    let idx = pop!();
                    let default = s2(code, pc + 1);
                    let low = s2(code, pc + 3);
                    let high = s2(code, pc + 5);
                    let off = if idx < low || idx > high {
                        default
                    } else {
                        s2(code, pc + 7 + 2 * (idx as i32 - low as i32) as usize)
                    };
                    if off <= 0 {
                        budget!();
                    }
                    pc = (pc as isize + off as isize) as usize;
                }
                0x74 => {
                    let idx = pop_i!();
                    let default = s2(code, pc + 1);
                    let low = s4(code, pc + 3);
                    let high = s4(code, pc + 7);
                    let off = if idx < low || idx > high {
                        default
                    } else {
                        s2(code, pc + 11 + 2 * (idx as i64 - low as i64) as usize)
                    };
                    if off <= 0 {
                        budget!();
                    }
                    pc = (pc as isize + off as isize) as usize;
                }
                0x75 => {
                    let key = pop!();
                    let default = s2(code, pc + 1);
                    let n = s2(code, pc + 3) as u16 as usize;
                    let mut off = default;
                    for k in 0..n {
                        let at = pc + 5 + 4 * k;
                        if s2(code, at) == key {
                            off = s2(code, at + 2);
                            break;
                        }
                    }
                    if off <= 0 {
                        budget!();
                    }
                    pc = (pc as isize + off as isize) as usize;
                }
                0x76 => {
                    let key = pop_i!();
                    let default = s2(code, pc + 1);
                    let n = s2(code, pc + 3) as u16 as usize;
                    let mut off = default;
                    for k in 0..n {
                        let at = pc + 5 + 6 * k;
                        if s4(code, at) == key {
                            off = s2(code, at + 4);
                            break;
                        }
                    }
                    if off <= 0 {
                        budget!();
                    }
                    pc = (pc as isize + off as isize) as usize;
                }
                0x77 | 0x78 => do_ret!(1),
                0x79 => do_ret!(2),
                0x7A => do_ret!(0),
                // statics
                0x7B | 0x7C | 0x7D | 0x7E => {
                    let a = static_addr!(s2(code, pc + 1) as u16);
                    match op {
                        0x7C => {
                            let v = self.nvm_read(a, 1)[0];
                            push!(v as i8 as i16);
                        }
                        0x7E => {
                            let b = self.nvm_read(a, 4);
                            let v = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                            push_i!(v);
                        }
                        _ => {
                            let b = self.nvm_read(a, 2);
                            let v = i16::from_be_bytes([b[0], b[1]]);
                            push!(v);
                        }
                    }
                    pc += 3;
                }
                0x7F | 0x80 | 0x81 | 0x82 => {
                    let a = static_addr!(s2(code, pc + 1) as u16);
                    match op {
                        0x80 => {
                            let v = pop!();
                            tri!(self.store.write_nvm(a, &[v as u8], true));
                        }
                        0x82 => {
                            let v = pop_i!();
                            tri!(self.store.write_nvm(a, &v.to_be_bytes(), true));
                        }
                        _ => {
                            let v = pop!();
                            if op == 0x7F {
                                tri!(self.check_storable(v as Ref));
                            }
                            tri!(self.store.write_nvm(a, &v.to_be_bytes(), true));
                        }
                    }
                    pc += 3;
                }
                // instance fields (unquickened forms: cells >= 256)
                0x83 | 0x84 | 0x85 | 0x86 => {
                    let c = field_cell!(b1(code, pc + 1));
                    let r = pop!();
                    getfield!(r, c, op - 0x83, true);
                    pc += 2;
                }
                0x87 | 0x88 | 0x89 | 0x8A => {
                    let c = field_cell!(b1(code, pc + 1));
                    putfield!(c, op - 0x87, false);
                    pc += 2;
                }
                0xA9 | 0xAA | 0xAB | 0xAC => {
                    let c = field_cell!(s2(code, pc + 1) as u16);
                    let r = pop!();
                    getfield!(r, c, op - 0xA9, true);
                    pc += 3;
                }
                0xB1 | 0xB2 | 0xB3 | 0xB4 => {
                    let c = field_cell!(s2(code, pc + 1) as u16);
                    putfield!(c, op - 0xB1, false);
                    pc += 3;
                }
                0xAD | 0xAE | 0xAF | 0xB0 => {
                    let c = field_cell!(b1(code, pc + 1));
                    getfield!(local!(0u8), c, op - 0xAD, false);
                    pc += 2;
                }
                0xB5 | 0xB6 | 0xB7 | 0xB8 => {
                    let c = field_cell!(b1(code, pc + 1));
                    putfield!(c, op - 0xB5, true);
                    pc += 2;
                }
                // quickened fields
                0xC0 | 0xC1 | 0xC2 | 0xC3 => {
                    let r = pop!();
                    getfield!(r, u32::from(b1(code, pc + 1)), op - 0xC0, true);
                    pc += 2;
                }
                0xC4 | 0xC5 | 0xC6 | 0xC7 => {
                    putfield!(u32::from(b1(code, pc + 1)), op - 0xC4, false);
                    pc += 2;
                }
                0xC8 | 0xC9 | 0xCA | 0xCB => {
                    getfield!(local!(0u8), u32::from(b1(code, pc + 1)), op - 0xC8, false);
                    pc += 2;
                }
                0xCC | 0xCD | 0xCE | 0xCF => {
                    putfield!(u32::from(b1(code, pc + 1)), op - 0xCC, true);
                    pc += 2;
                }
                // calls
                0x8B => {
                    let (class, token) = match cp_at!(s2(code, pc + 1) as u16) {
                        Cp::Virtual { class, token, .. } => (class, token),
                        _ => fail!(Exc::Fault(MALFORMED)),
                    };
                    // The receiver is below the arguments; its count comes
                    // from the method the reference resolves to statically.
                    let sm = match self.lookup_virtual(class, class, token) {
                        Some(m) => m,
                        None => fail!(Exc::Fault(MALFORMED)),
                    };
                    let nargs = usize::from(self.methods[usize::from(sm)].nargs);
                    let r = match sp.checked_sub(nargs).and_then(|i| self.stack.get(i)) {
                        Some(&r) => r as Ref,
                        None => fail!(Exc::Fault(MALFORMED)),
                    };
                    let o = match self.store.obj(r) {
                        Some(o) => *o,
                        None => fail!(self.npe()),
                    };
                    let new_ctx = tri!(self.invoke_context(&o, None));
                    let target_class = if o.is_array() {
                        self.api_class(LANG, tok::OBJECT)
                    } else {
                        o.class
                    };
                    // The object's class is often the reference's own: the
                    // same lookup again would give `sm`.
                    let m = if target_class == class {
                        sm
                    } else {
                        match self.lookup_virtual(target_class, class, token) {
                            Some(m) => m,
                            None => fail!(Exc::Fault(MALFORMED)),
                        }
                    };
                    if new_ctx != self.ctx {
                        self.prev_ctx = self.ctx;
                    }
                    sync!();
                    let depth = self.frames.len();
                    if matches!(self.methods[usize::from(m)].kind, MethodKind::Bytecode) {
                        self.call_ctx = Some(new_ctx);
                    }
                    let r = self.call(m, regs, base_depth, false);
                    self.call_ctx = None;
                    match r {
                        Ok(_) => {}
                        Err(e) => return Err(e),
                    }
                    if self.frames.len() > depth {
                        self.ctx = new_ctx;
                        reload!();
                    } else {
                        sp = regs.sp;
                        pc += 3;
                    }
                }
                0x8E => {
                    let nargs = usize::from(b1(code, pc + 1));
                    let iface = match cp_at!(s2(code, pc + 2) as u16) {
                        Cp::Class(c) => c,
                        _ => fail!(Exc::Fault(MALFORMED)),
                    };
                    let itok = b1(code, pc + 4);
                    let r = match sp.checked_sub(nargs).and_then(|i| self.stack.get(i)) {
                        Some(&r) => r as Ref,
                        None => fail!(Exc::Fault(MALFORMED)),
                    };
                    let o = match self.store.obj(r) {
                        Some(o) => *o,
                        None => fail!(self.npe()),
                    };
                    let new_ctx = tri!(self.invoke_context(&o, Some(iface)));
                    let m = match self.lookup_interface(o.class, iface, itok) {
                        Some(m) => m,
                        None => fail!(Exc::Fault(Fault::Corrupt(
                            "interface method not implemented"
                        ))),
                    };
                    if usize::from(self.methods[usize::from(m)].nargs) != nargs {
                        fail!(Exc::Fault(MALFORMED));
                    }
                    if new_ctx != self.ctx {
                        self.prev_ctx = self.ctx;
                    }
                    sync!();
                    let depth = self.frames.len();
                    if matches!(self.methods[usize::from(m)].kind, MethodKind::Bytecode) {
                        self.call_ctx = Some(new_ctx);
                    }
                    let r = self.call(m, regs, base_depth, false);
                    self.call_ctx = None;
                    match r {
                        Ok(_) => {}
                        Err(e) => return Err(e),
                    }
                    if self.frames.len() > depth {
                        self.ctx = new_ctx;
                        reload!();
                    } else {
                        sp = regs.sp;
                        pc += 5;
                    }
                }
                0x8C | 0x8D => {
                    // Unquickened only when the entry was not a direct method.
                    match cp_at!(s2(code, pc + 1) as u16) {
                        Cp::Direct(m) => {
                            if op == 0x8C {
                                let nargs = usize::from(self.methods[usize::from(m)].nargs);
                                if self.stack.get(sp.wrapping_sub(nargs)).copied().unwrap_or(0) == 0
                                {
                                    throw_vm!(tok::NULL_POINTER);
                                }
                            }
                            do_call!(m)
                        }
                        _ => fail!(Exc::Fault(MALFORMED)),
                    }
                }
                0xD0 => {
                    let m = s2(code, pc + 1) as u16;
                    do_call!(m)
                }
                0xD1 => {
                    let m = s2(code, pc + 1) as u16;
                    let nargs = match self.methods.get(usize::from(m)) {
                        Some(mm) => usize::from(mm.nargs),
                        None => fail!(Exc::Fault(MALFORMED)),
                    };
                    if self.stack.get(sp.wrapping_sub(nargs)).copied().unwrap_or(0) == 0 {
                        throw_vm!(tok::NULL_POINTER);
                    }
                    do_call!(m)
                }
                // objects
                0x8F => {
                    let c = match cp_at!(s2(code, pc + 1) as u16) {
                        Cp::Class(c) => c,
                        _ => fail!(Exc::Fault(MALFORMED)),
                    };
                    let cells = match self.classes.get(usize::from(c)) {
                        Some(cl) if !cl.is_interface() => cl.cells,
                        _ => fail!(Exc::Fault(MALFORMED)),
                    };
                    let r = tri!(self.new_object(c, cells));
                    push!(r as i16);
                    pc += 3;
                }
                0x90 => {
                    let n = pop!();
                    if n < 0 {
                        throw_vm!(tok::NEGATIVE_ARRAY_SIZE);
                    }
                    let kind = match b1(code, pc + 1) {
                        10 => K_BOOL,
                        11 => K_BYTE,
                        12 => K_SHORT,
                        13 => K_INT,
                        _ => fail!(Exc::Fault(MALFORMED)),
                    };
                    let r = tri!(self.new_array(kind, NO_CLASS, n as u16, 0));
                    push!(r as i16);
                    pc += 2;
                }
                0x91 => {
                    let c = match cp_at!(s2(code, pc + 1) as u16) {
                        Cp::Class(c) => c,
                        _ => fail!(Exc::Fault(MALFORMED)),
                    };
                    let n = pop!();
                    if n < 0 {
                        throw_vm!(tok::NEGATIVE_ARRAY_SIZE);
                    }
                    let r = tri!(self.new_array(K_REF, c, n as u16, 0));
                    push!(r as i16);
                    pc += 3;
                }
                0x92 => {
                    let r = pop!() as Ref;
                    let o = tri!(self.access(r));
                    if !o.is_array() {
                        fail!(Exc::Fault(MALFORMED));
                    }
                    push!(o.len as i16);
                    pc += 1;
                }
                0x93 => {
                    let r = pop!() as Ref;
                    if self.store.obj(r).is_none() {
                        throw_vm!(tok::NULL_POINTER);
                    }
                    fail!(Exc::Throw(r));
                }
                0x94 | 0x95 => {
                    let atype = b1(code, pc + 1);
                    let class = if atype == 0 || atype == 14 {
                        match cp_at!(s2(code, pc + 2) as u16) {
                            Cp::Class(c) => c,
                            _ => fail!(Exc::Fault(MALFORMED)),
                        }
                    } else {
                        NO_CLASS
                    };
                    let r = pop!() as Ref;
                    if op == 0x94 {
                        if r != NULL && !self.instance_of(r, atype, class) {
                            throw_vm!(tok::CLASS_CAST);
                        }
                        push!(r as i16);
                    } else {
                        push!(i16::from(r != NULL && self.instance_of(r, atype, class)));
                    }
                    pc += 4;
                }
                // Every byte value has an arm, so the jump table needs no
                // range test ahead of it.
                0xB9 | 0xBA | 0xBB | 0xBC | 0xBD | 0xBE | 0xBF | 0xD2 | 0xD3 | 0xD4 | 0xD5
                | 0xD6 | 0xD7 | 0xD8 | 0xD9 | 0xDA | 0xDB | 0xDC | 0xDD | 0xDE | 0xDF | 0xE0
                | 0xE1 | 0xE2 | 0xE3 | 0xE4 | 0xE5 | 0xE6 | 0xE7 | 0xE8 | 0xE9 | 0xEA | 0xEB
                | 0xEC | 0xED | 0xEE | 0xEF | 0xF0 | 0xF1 | 0xF2 | 0xF3 | 0xF4 | 0xF5 | 0xF6
                | 0xF7 | 0xF8 | 0xF9 | 0xFA | 0xFB | 0xFC | 0xFD | 0xFE | 0xFF => {
                    fail!(Exc::Fault(Fault::Corrupt("invalid opcode")))
                }
            }
        }
    }

    /// `new`: a persistent instance owned by the current context.
    pub fn new_object(&mut self, c: ClassId, cells: u16) -> Result<Ref, Exc> {
        match self.store.alloc(K_INSTANCE, 0, self.ctx, c, cells) {
            Ok(r) => Ok(r),
            Err(Fault::OutOfNvm { .. }) | Err(Fault::OutOfHandles) => {
                Err(self.cre(tok::SYSTEM_EXCEPTION, 5))
            }
            Err(e) => Err(Exc::Fault(e)),
        }
    }

    /// A new array owned by the current context; `flags` selects transience.
    pub fn new_array(&mut self, kind: u8, class: ClassId, n: u16, flags: u8) -> Result<Ref, Exc> {
        match self.store.alloc(kind, flags, self.ctx, class, n) {
            Ok(r) => Ok(r),
            Err(Fault::OutOfNvm { .. }) | Err(Fault::OutOfHandles) => {
                Err(self.cre(tok::SYSTEM_EXCEPTION, 5))
            }
            Err(e) => Err(Exc::Fault(e)),
        }
    }
}
