//! The QEMU side: argument parsing, translation-time instrumentation and the
//! marker callbacks.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use qemu_plugin::install::{Args, Info};
use qemu_plugin::sys::{qemu_plugin_mem_rw, qemu_plugin_op};
use qemu_plugin::{
    qemu_plugin_register_atexit_cb, qemu_plugin_register_vcpu_insn_exec_inline, register,
    HasCallbacks, PluginId, Register, TranslationBlock,
};

use crate::map::CountMap;
use crate::mix::{classify, idx, CLASSES};
use crate::nvm::NvmMeter;
use crate::{record, verify_record};

struct State {
    map: CountMap,
    /// One counter per bucket; QEMU's inline ops add to them directly.
    counters: Box<[AtomicU64]>,
    window: Mutex<Window>,
    /// Bytecode profile, when `dispatch=` is given.
    profile: Option<Profile>,
    /// With `mix=on`: one counter per instruction class (`mix::CLASSES`).
    mix: Option<Box<[AtomicU64]>>,
    /// With `mix=on`: the fall-through address of the branch that ends the
    /// translation block running now (0: it does not end with a branch).
    pending: AtomicU64,
    /// With `pcs=PATH`: one counter per guest instruction address (leaked,
    /// so QEMU's inline ops may point at them) and where to write them.
    pcs: Option<(Mutex<BTreeMap<u64, &'static AtomicU64>>, String)>,
    /// With `pcs=`: per address, (count at the open window's `begin`,
    /// instructions inside windows so far).
    pc_windows: Mutex<BTreeMap<u64, (u64, u64)>>,
    /// With an `nvm` region in the map: the NVM writes of the open window.
    nvm: Option<Mutex<NvmMeter>>,
    /// The verification window (see the crate's documentation).
    verify: Mutex<VerifyWindow>,
}

#[derive(Default)]
struct VerifyWindow {
    /// While a verification window is open: the instructions executed
    /// before it, and the index of the APDU window open at its start.
    open: Option<(u64, Option<u64>)>,
    next_index: u64,
}

/// Instructions per interpreted bytecode: every instruction executed from
/// one dispatch of the interpreter loop up to the next is charged to the
/// arm the first dispatch jumped to (the first block executed after the
/// block that holds the dispatch instruction). Blocks starting in a `stop`
/// range (the interpreter's entry, entered again when a method returns to
/// its native caller) charge nothing until the next dispatch. Counted per
/// translation block, with a callback per executed block.
struct Profile {
    /// The dispatch instruction of each interpreter loop.
    dispatch: Vec<u64>,
    stop: Vec<(u64, u64)>,
    state: Mutex<ProfileState>,
}

#[derive(Default)]
struct ProfileState {
    /// The last block executed ended with the dispatch.
    pending: bool,
    /// The arm being charged.
    current: Option<u64>,
    /// Arm address -> (dispatches, instructions) in the open window.
    arms: BTreeMap<u64, (u64, u64)>,
}

impl Profile {
    fn block(&self, start: u64, insns: u64, dispatches: bool, stops: bool) {
        let mut p = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if p.pending {
            p.pending = false;
            p.current = Some(start);
            p.arms.entry(start).or_default().0 += 1;
        } else if stops {
            p.current = None;
        }
        if let Some(arm) = p.current {
            p.arms.entry(arm).or_default().1 += insns;
        }
        p.pending = dispatches;
    }

    fn reset(&self) -> BTreeMap<u64, (u64, u64)> {
        let mut p = self.state.lock().unwrap_or_else(|e| e.into_inner());
        p.pending = false;
        p.current = None;
        std::mem::take(&mut p.arms)
    }
}

struct Window {
    out: Box<dyn Write + Send>,
    /// Counters (buckets, then mix classes) at the last `begin`, while a
    /// window is open.
    open: Option<Vec<u64>>,
    next_index: u64,
}

static STATE: OnceLock<State> = OnceLock::new();

impl State {
    fn snapshot(&self) -> Vec<u64> {
        // The counters are only written by the vCPU thread, which is the
        // thread running the marker callbacks; at exit it has stopped.
        self.counters
            .iter()
            .chain(self.mix.iter().flat_map(|m| m.iter()))
            .map(|c| c.load(Ordering::Relaxed))
            .collect()
    }

    /// Instructions executed so far, in every bucket.
    fn executed(&self) -> u64 {
        self.counters
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    fn verify_begin(&self) {
        let now = self.executed();
        let apdu = {
            let w = self.window.lock().unwrap_or_else(|e| e.into_inner());
            w.open.is_some().then_some(w.next_index)
        };
        let mut v = self.verify.lock().unwrap_or_else(|e| e.into_inner());
        v.open = Some((now, apdu));
    }

    fn verify_end(&self, typed: bool) {
        let now = self.executed();
        let mut v = self.verify.lock().unwrap_or_else(|e| e.into_inner());
        let Some((start, apdu)) = v.open.take() else {
            return;
        };
        let index = v.next_index;
        v.next_index += 1;
        drop(v);
        let line = verify_record(index, now - start, typed, apdu);
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(w.out, "{line}");
        let _ = w.out.flush();
    }

    fn begin(&self) {
        if let Some(p) = &self.profile {
            p.reset();
        }
        self.pcs_window(true);
        if let Some(m) = &self.nvm {
            m.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
        let now = self.snapshot();
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        w.open = Some(now);
    }

    fn end(&self) {
        let now = self.snapshot();
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let Some(start) = w.open.take() else { return };
        let delta: Vec<u64> = now.iter().zip(&start).map(|(n, s)| n - s).collect();
        let index = w.next_index;
        w.next_index += 1;
        if let Some(p) = &self.profile {
            for (arm, (n, insns)) in p.reset() {
                let _ = writeln!(w.out, "arm {arm:#x} {n} {insns}");
            }
        }
        let (buckets, mix) = delta.split_at(self.counters.len());
        if self.mix.is_some() {
            // Before the `apdu` line: a reader that has the `apdu` line
            // has the window's `mix` line too.
            let mut line = format!("mix {index}");
            for c in mix {
                line.push_str(&format!(" {c}"));
            }
            let _ = writeln!(w.out, "{line}");
        }
        if let Some(m) = &self.nvm {
            // Before the `apdu` line, as `mix`.
            let n = m.lock().unwrap_or_else(|e| e.into_inner()).take();
            let _ = writeln!(w.out, "nvm {index} {} {} {}", n.writes, n.bytes, n.blocks);
        }
        let line = record("apdu", Some(index), buckets);
        let _ = writeln!(w.out, "{line}");
        let _ = w.out.flush();
        drop(w);
        // The host stops QEMU with a signal: keep the file current.
        self.pcs_window(false);
        self.write_pcs();
    }

    /// With `pcs=`: at `begin` (`open`) notes every address's count; at
    /// `end` adds what ran since to the window totals.
    fn pcs_window(&self, open: bool) {
        let Some((pcs, _)) = &self.pcs else { return };
        let pcs = pcs.lock().unwrap_or_else(|e| e.into_inner());
        let mut w = self.pc_windows.lock().unwrap_or_else(|e| e.into_inner());
        for (addr, c) in pcs.iter() {
            let now = c.load(Ordering::Relaxed);
            let e = w.entry(*addr).or_insert((0, 0));
            if open {
                e.0 = now;
            } else {
                e.1 += now - e.0;
                e.0 = now;
            }
        }
    }

    /// Writes `pc ADDR COUNT` for every instruction executed inside the
    /// APDU windows so far (rewritten at the end of each window).
    fn write_pcs(&self) {
        let Some((_, path)) = &self.pcs else { return };
        let w = self.pc_windows.lock().unwrap_or_else(|e| e.into_inner());
        let written = File::create(path).and_then(|f| {
            let mut f = BufWriter::new(f);
            writeln!(f, "# hydra-icount pcs 1")?;
            for (addr, (_, n)) in w.iter() {
                if *n > 0 {
                    writeln!(f, "pc {addr:#x} {n}")?;
                }
            }
            f.flush()
        });
        if let Err(e) = written {
            eprintln!("hydra-qemu-icount: cannot write {path}: {e}");
        }
    }

    fn exit(&self) {
        let now = self.snapshot();
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let line = record("exit", None, &now[..self.counters.len()]);
        let _ = writeln!(w.out, "{line}");
        let _ = w.out.flush();
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("hydra-qemu-icount: {msg}");
    std::process::exit(2)
}

fn parse_addr(key: &str, v: &str) -> u64 {
    let parsed = match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    };
    parsed.unwrap_or_else(|| fail(&format!("bad address in `{key}={v}`"))) & !1
}

fn configure(args: &Args) -> State {
    let mut map = CountMap::default();
    let mut out: Box<dyn Write + Send> = Box::new(std::io::stderr());
    let mut mix = false;
    let (mut dispatch, mut stop) = (Vec::new(), Vec::new());
    let mut pcs = None;
    // First the map file, then the arguments that add to or override it.
    for raw in &args.raw {
        if let Some(path) = raw.strip_prefix("map=") {
            let text = std::fs::read_to_string(path)
                .unwrap_or_else(|e| fail(&format!("cannot read count map {path}: {e}")));
            map = CountMap::parse(&text).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
        }
    }
    for raw in &args.raw {
        let (key, value) = raw.split_once('=').unwrap_or((raw.as_str(), ""));
        match key {
            "map" => {}
            "range" => map.add_range_arg(value).unwrap_or_else(|e| fail(&e)),
            "begin" => map.begin = Some(parse_addr(key, value)),
            "end" => map.end = Some(parse_addr(key, value)),
            "verifybegin" => map.verify_begin = Some(parse_addr(key, value)),
            "verifyend" => map.verify_end = Some(parse_addr(key, value)),
            "verifyuntyped" => map.verify_untyped = Some(parse_addr(key, value)),
            "mix" => {
                mix = match value {
                    "on" => true,
                    "off" => false,
                    _ => fail(&format!("bad value in `{raw}` (want mix=on or mix=off)")),
                }
            }
            "dispatch" => dispatch.push(parse_addr(key, value)),
            "pcs" => pcs = Some(value.to_string()),
            "stop" => {
                let (lo, hi) = value
                    .split_once('-')
                    .unwrap_or_else(|| fail(&format!("bad `{raw}` (want stop=START-END)")));
                stop.push((parse_addr(key, lo), parse_addr(key, hi)));
            }
            "out" => {
                let f = File::create(value)
                    .unwrap_or_else(|e| fail(&format!("cannot create {value}: {e}")));
                out = Box::new(BufWriter::new(f));
            }
            _ => fail(&format!(
                "unknown argument `{raw}` (want map=, range=, begin=, end=, verifybegin=, verifyend=, verifyuntyped=, out=, dispatch=, stop=, mix=, pcs=)"
            )),
        }
    }
    let counters = (0..map.len()).map(|_| AtomicU64::new(0)).collect();
    let mut header = String::from("# hydra-icount 1\nbuckets");
    for n in map.names() {
        header.push(' ');
        header.push_str(n);
    }
    if mix {
        header.push_str("\nclasses");
        for c in CLASSES {
            header.push(' ');
            header.push_str(c);
        }
    }
    let _ = writeln!(out, "{header}");
    let _ = out.flush();
    let nvm = map.nvm.map(|r| Mutex::new(NvmMeter::new(r)));
    State {
        map,
        nvm,
        counters,
        mix: mix.then(|| CLASSES.iter().map(|_| AtomicU64::new(0)).collect()),
        pending: AtomicU64::new(0),
        pcs: pcs.map(|p| (Mutex::new(BTreeMap::new()), p)),
        pc_windows: Mutex::new(BTreeMap::new()),
        verify: Mutex::new(VerifyWindow::default()),
        window: Mutex::new(Window {
            out,
            open: None,
            next_index: 0,
        }),
        profile: (!dispatch.is_empty()).then(|| Profile {
            dispatch,
            stop,
            state: Mutex::new(ProfileState::default()),
        }),
    }
}

struct Icount;

impl Register for Icount {
    fn register(&mut self, id: PluginId, args: &Args, _info: &Info) -> qemu_plugin::Result<()> {
        if STATE.set(configure(args)).is_err() {
            fail("loaded twice");
        }
        qemu_plugin_register_atexit_cb(id, |_| {
            if let Some(s) = STATE.get() {
                s.exit();
            }
        })
    }
}

impl HasCallbacks for Icount {
    fn on_translation_block_translate(
        &mut self,
        _id: PluginId,
        tb: TranslationBlock,
    ) -> qemu_plugin::Result<()> {
        let Some(state) = STATE.get() else {
            return Ok(());
        };
        if let Some(p) = &state.profile {
            let start = tb.vaddr();
            let insns = tb.size() as u64;
            let dispatches = tb.instructions().any(|i| p.dispatch.contains(&i.vaddr()));
            let stops = p.stop.iter().any(|&(lo, hi)| (lo..hi).contains(&start));
            tb.register_execute_callback(move |_| {
                if let Some(p) = STATE.get().and_then(|s| s.profile.as_ref()) {
                    p.block(start, insns, dispatches, stops);
                }
            });
        }
        let mut fallthrough = 0u64;
        for insn in tb.instructions() {
            let addr = insn.vaddr();
            if let Some(mix) = &state.mix {
                let kind = classify(&insn.data());
                for &(c, n) in kind.adds() {
                    qemu_plugin_register_vcpu_insn_exec_inline(
                        insn.clone(),
                        qemu_plugin_op::QEMU_PLUGIN_INLINE_ADD_U64,
                        mix[c].as_ptr().cast(),
                        n,
                    );
                }
                // QEMU ends a block at any instruction that writes the PC.
                fallthrough = if kind.branch {
                    addr + insn.size() as u64
                } else {
                    0
                };
            }
            if state.map.begin == Some(addr) {
                insn.register_execute_callback(|_| {
                    if let Some(s) = STATE.get() {
                        s.begin();
                    }
                });
            }
            if state.map.end == Some(addr) {
                insn.register_execute_callback(|_| {
                    if let Some(s) = STATE.get() {
                        s.end();
                    }
                });
            }
            if state.map.verify_begin == Some(addr) {
                insn.register_execute_callback(|_| {
                    if let Some(s) = STATE.get() {
                        s.verify_begin();
                    }
                });
            }
            for (marker, typed) in [
                (state.map.verify_end, true),
                (state.map.verify_untyped, false),
            ] {
                if marker == Some(addr) {
                    insn.register_execute_callback(move |_| {
                        if let Some(s) = STATE.get() {
                            s.verify_end(typed);
                        }
                    });
                }
            }
            if state.nvm.is_some() {
                if state.map.nvm_write == Some(addr) {
                    insn.register_execute_callback(|_| {
                        if let Some(m) = STATE.get().and_then(|s| s.nvm.as_ref()) {
                            m.lock().unwrap_or_else(|e| e.into_inner()).write_starts();
                        }
                    });
                }
                insn.register_memory_access_callback(
                    |_, info, vaddr| {
                        if !info.is_store() {
                            return;
                        }
                        if let Some(m) = STATE.get().and_then(|s| s.nvm.as_ref()) {
                            let size = 1u64 << info.size_shift();
                            m.lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .store(vaddr, size);
                        }
                    },
                    qemu_plugin_mem_rw::QEMU_PLUGIN_MEM_W,
                );
            }
            if let Some((pcs, _)) = &state.pcs {
                let mut pcs = pcs.lock().unwrap_or_else(|e| e.into_inner());
                let c: &'static AtomicU64 = pcs
                    .entry(addr)
                    .or_insert_with(|| Box::leak(Box::new(AtomicU64::new(0))));
                qemu_plugin_register_vcpu_insn_exec_inline(
                    insn.clone(),
                    qemu_plugin_op::QEMU_PLUGIN_INLINE_ADD_U64,
                    c.as_ptr().cast(),
                    1,
                );
            }
            let counter = &state.counters[state.map.bucket_of(addr)];
            qemu_plugin_register_vcpu_insn_exec_inline(
                insn,
                qemu_plugin_op::QEMU_PLUGIN_INLINE_ADD_U64,
                counter.as_ptr().cast(),
                1,
            );
        }
        if state.mix.is_some() {
            // A branch was taken when the next block does not start at its
            // fall-through address.
            let start = tb.vaddr();
            tb.register_execute_callback(move |_| {
                if let Some(s) = STATE.get() {
                    let prev = s.pending.swap(fallthrough, Ordering::Relaxed);
                    if prev != 0 && prev != start {
                        if let Some(mix) = &s.mix {
                            mix[idx::TAKEN].fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
        Ok(())
    }
}

register!(Icount);
