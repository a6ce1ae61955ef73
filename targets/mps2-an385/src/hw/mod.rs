//! Everything that touches the AN385 hardware or QEMU: start-up glue, UART0,
//! semihosting, the NVM driver, the heap, panic and fault reports, and the
//! instruction-count markers. Only built for the bare-metal target.

pub mod nvm;
pub mod semihosting;
pub mod uart;

use core::convert::Infallible;
use core::fmt::Write;
use core::mem::MaybeUninit;

use alloc::vec::Vec;
// Linked for its single-core critical-section implementation (the heap).
use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use cortex_m as _;
use cortex_m_rt::{exception, ExceptionFrame};
use embedded_alloc::TlsfHeap;

use crate::card::Card;
use crate::javacard::RuntimeCard;
use crate::loopback::LoopbackCard;
use crate::{image, HEAP_SIZE, NVM_SIZE};
use alloc::format;
use hydra_vpcd::Marks;

#[global_allocator]
static HEAP: PeakHeap = PeakHeap {
    tlsf: TlsfHeap::empty(),
    used: AtomicUsize::new(0),
    peak: AtomicUsize::new(0),
};

/// The TLSF heap, keeping the bytes allocated and the most allocated at
/// once since the last APDU window began: the board reports them to the
/// host after each window (on the semihosting console, outside the window),
/// since the counting plugin cannot read the guest's memory.
struct PeakHeap {
    tlsf: TlsfHeap,
    used: AtomicUsize,
    peak: AtomicUsize,
}

impl PeakHeap {
    fn grew(&self, by: usize) {
        let now = self.used.load(Relaxed) + by;
        self.used.store(now, Relaxed);
        if now > self.peak.load(Relaxed) {
            self.peak.store(now, Relaxed);
        }
    }

    fn shrank(&self, by: usize) {
        self.used
            .store(self.used.load(Relaxed).saturating_sub(by), Relaxed);
    }
}

// SAFETY: every call goes to the TLSF heap with the caller's arguments
// unchanged; the byte counts beside it are bookkeeping only (one core, and
// allocation never happens in an interrupt handler).
unsafe impl GlobalAlloc for PeakHeap {
    // Not inlined: one copy of the bookkeeping, as the heap had one entry.
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc`, passed on.
        let p = unsafe { self.tlsf.alloc(layout) };
        if !p.is_null() {
            self.grew(layout.size());
        }
        p
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { self.tlsf.dealloc(ptr, layout) };
        self.shrank(layout.size());
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc`, passed on.
        let p = unsafe { self.tlsf.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            self.shrank(layout.size());
            self.grew(new_size);
        }
        p
    }
}

/// Starts a window's peak at what is allocated now, and remembers that.
fn start_heap_window(at_start: &mut usize) {
    let used = HEAP.used.load(Relaxed);
    HEAP.peak.store(used, Relaxed);
    *at_start = used;
}

/// Tells the host the heap in use when the window began and its peak in it.
fn report_heap_window(at_start: usize) {
    let peak = HEAP.peak.load(Relaxed);
    let _ = writeln!(
        semihosting::Console::stderr(),
        "hydra heap peak {peak} from {at_start}"
    );
}

fn init_heap() {
    // In .uninit: not zeroed at boot (the allocator does not need it).
    #[link_section = ".uninit.heap"]
    static mut HEAP_MEM: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
    // SAFETY: called once, from `run`, before the first allocation; HEAP_MEM
    // is used by nothing else.
    unsafe { HEAP.tlsf.init(&raw mut HEAP_MEM as usize, HEAP_SIZE) }
}

// The markers for the instruction counter (`hydra-qemu-icount`), which
// watches the first instruction of each: the APDU window, the NVM write,
// and the verification window around the check of one load file. Written
// in assembly so that their bodies differ and no optimisation can merge,
// inline or drop them.
core::arch::global_asm!(
    ".section .text.hydra_icount_begin,\"ax\",%progbits",
    ".global hydra_icount_begin",
    ".type hydra_icount_begin,%function",
    ".thumb_func",
    "hydra_icount_begin:",
    "    nop",
    "    bx lr",
    ".size hydra_icount_begin, . - hydra_icount_begin",
    ".section .text.hydra_icount_end,\"ax\",%progbits",
    ".global hydra_icount_end",
    ".type hydra_icount_end,%function",
    ".thumb_func",
    "hydra_icount_end:",
    "    nop",
    "    nop",
    "    bx lr",
    ".size hydra_icount_end, . - hydra_icount_end",
    ".section .text.hydra_nvm_write,\"ax\",%progbits",
    ".global hydra_nvm_write",
    ".type hydra_nvm_write,%function",
    ".thumb_func",
    "hydra_nvm_write:",
    "    bx lr",
    ".size hydra_nvm_write, . - hydra_nvm_write",
    ".section .text.hydra_icount_verify_begin,\"ax\",%progbits",
    ".global hydra_icount_verify_begin",
    ".type hydra_icount_verify_begin,%function",
    ".thumb_func",
    "hydra_icount_verify_begin:",
    "    nop",
    "    nop",
    "    nop",
    "    bx lr",
    ".size hydra_icount_verify_begin, . - hydra_icount_verify_begin",
    ".section .text.hydra_icount_verify_end,\"ax\",%progbits",
    ".global hydra_icount_verify_end",
    ".type hydra_icount_verify_end,%function",
    ".thumb_func",
    "hydra_icount_verify_end:",
    "    nop",
    "    nop",
    "    nop",
    "    nop",
    "    bx lr",
    ".size hydra_icount_verify_end, . - hydra_icount_verify_end",
    ".section .text.hydra_icount_verify_untyped,\"ax\",%progbits",
    ".global hydra_icount_verify_untyped",
    ".type hydra_icount_verify_untyped,%function",
    ".thumb_func",
    "hydra_icount_verify_untyped:",
    "    nop",
    "    nop",
    "    nop",
    "    nop",
    "    nop",
    "    bx lr",
    ".size hydra_icount_verify_untyped, . - hydra_icount_verify_untyped",
);

extern "C" {
    /// Called once a whole command APDU has been received.
    fn hydra_icount_begin();
    /// Called just before the response APDU is sent.
    fn hydra_icount_end();
    /// Called at the start of every write through the NVM driver (the
    /// counter's NVM accounting; two instructions per write).
    fn hydra_nvm_write();
    /// Called just before the card checks a load file (its verification
    /// window, which may lie inside an APDU window: LOAD).
    fn hydra_icount_verify_begin();
    /// Closes the verification window: the verifier type-checked the load
    /// file (whatever its verdict).
    fn hydra_icount_verify_end();
    /// Closes the verification window: the check found the load file
    /// cannot be type-checked (no Descriptor, or an import whose export
    /// data the card does not hold), so no type check ran.
    fn hydra_icount_verify_untyped();
}

fn verify_begin() {
    // SAFETY: the marker only executes `nop`s and `bx lr`: it reads and
    // writes no memory and follows the C calling convention.
    unsafe { hydra_icount_verify_begin() }
}

fn verify_end(typed: bool) {
    if typed {
        // SAFETY: as for `hydra_icount_verify_begin`.
        unsafe { hydra_icount_verify_end() }
    } else {
        // SAFETY: as for `hydra_icount_verify_begin`.
        unsafe { hydra_icount_verify_untyped() }
    }
}

/// Tells the instruction counter that an NVM write starts.
pub(crate) fn nvm_write_mark() {
    // SAFETY: the marker only executes `bx lr`: it reads and writes no
    // memory and follows the C calling convention.
    unsafe { hydra_nvm_write() }
}

/// The APDU window's markers; around each window, the heap's figures are
/// taken and reported (before the response goes out, so the host has them
/// once it has the response).
struct BoardMarks {
    heap_at_start: usize,
}

impl Marks for BoardMarks {
    fn begin(&mut self) {
        start_heap_window(&mut self.heap_at_start);
        // SAFETY: the marker only executes `nop; bx lr`: it reads and
        // writes no memory and follows the C calling convention.
        unsafe { hydra_icount_begin() }
    }
    fn end(&mut self) {
        // SAFETY: as for `hydra_icount_begin`.
        unsafe { hydra_icount_end() }
        report_heap_window(self.heap_at_start);
    }
}

/// The value of `key=` among the space-separated words of `cmdline`.
fn arg<'a>(cmdline: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    cmdline
        .split(|&b| b == b' ')
        .find_map(|w| w.strip_prefix(key)?.strip_prefix(b"="))
}

/// The board's entropy source. QEMU's mps2-an385 has no TRNG, so the host
/// that starts the emulation passes 32 bytes from its own random source
/// (`seed=HEX` on the semihosting command line), as a virtio-rng device
/// would; ChaCha20 stretches them. Without a seed the card has no secure
/// random numbers (`RandomData` answers NO_SUCH_ALGORITHM for them).
static ENTROPY: critical_section::Mutex<core::cell::RefCell<Option<rand_chacha::ChaCha20Rng>>> =
    critical_section::Mutex::new(core::cell::RefCell::new(None));

fn board_entropy(out: &mut [u8]) -> bool {
    use rand_chacha::rand_core::RngCore;
    critical_section::with(|cs| match ENTROPY.borrow_ref_mut(cs).as_mut() {
        Some(rng) => {
            rng.fill_bytes(out);
            true
        }
        None => false,
    })
}

/// A ChaCha20 generator from 64 hex digits.
fn seed_from_hex(hex: &[u8]) -> Option<rand_chacha::ChaCha20Rng> {
    use rand_chacha::rand_core::SeedableRng;
    Some(rand_chacha::ChaCha20Rng::from_seed(from_hex(hex)?))
}

/// Exactly `N` bytes in hex.
fn from_hex<const N: usize>(hex: &[u8]) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    if hex.len() != 2 * N {
        return None;
    }
    for (i, pair) in hex.chunks(2).enumerate() {
        let s = core::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

/// Reports a fatal start-up error and stops the emulation.
fn fatal(what: core::fmt::Arguments) -> ! {
    let _ = writeln!(semihosting::Console::stderr(), "hydra firmware: {what}");
    semihosting::exit(false)
}

extern "C" {
    static __pkgimage_start: u8;
    static __pkgimage_end: u8;
}

/// The package image placed in PSRAM by QEMU's loader, if there is one.
fn package_image() -> Option<&'static [u8]> {
    let start = &raw const __pkgimage_start;
    let room = (&raw const __pkgimage_end as usize) - (start as usize);
    // SAFETY: memory.x reserves [__pkgimage_start, __pkgimage_end) in PSRAM
    // for the image; the firmware never writes there (QEMU's loader fills it
    // before reset), so shared reads of any length up to `room` are sound.
    let header = unsafe { core::slice::from_raw_parts(start, 16) };
    let len = image::image_len(header)?;
    if len > room {
        fatal(format_args!(
            "package image of {len} bytes overflows its {room}-byte area"
        ));
    }
    // SAFETY: as above; `len <= room`.
    Some(unsafe { core::slice::from_raw_parts(start, len) })
}

fn serve<C: Card<Error = Infallible>>(card: &mut C, uart: &mut uart::Uart0) -> ! {
    let mut response = Vec::new();
    let mut marks = BoardMarks { heap_at_start: 0 };
    loop {
        // Neither the UART nor the board's cards fail.
        let _ = hydra_vpcd::serve_one_with(
            uart,
            hydra_vpcd::Framing::Long,
            card,
            &mut marks,
            &mut response,
        );
    }
}

/// The firmware: bring up heap, UART0 and NVM, boot the Java Card runtime,
/// apply the package image, then serve vpcd frames. Semihosting arguments:
/// `nvm=PATH`, the NVM backing file (without it the NVM is volatile);
/// `card=loopback`, the board-test card instead of the runtime;
/// `verify=always`, a card manager that accepts only load files its
/// verifier type-checked; `seed=HEX`, 32 bytes of entropy (see
/// [`board_entropy`]); `budget=N`, the execution budget of one applet
/// entry (bytecodes and compiled-code ticks; the runtime's default
/// otherwise); `cut=K`, a power cut at the K-th NVM write (from 1) once
/// the card serves, torn (half its bytes written), the board then stopped
/// with the NVM file as left; `cleancut=K`, the same before the write
/// begins; `native=on`, the native engine (native packages keep their
/// code and run it; without it they run as their bytecode);
/// `dapkey=HEX`, an uncompressed P-256 point: the ISD verifies DAP with it,
/// and requires it of every load file (Mandated DAP).
pub fn run() -> ! {
    init_heap();
    let mut uart = uart::Uart0::take().unwrap_or_else(|| fatal(format_args!("UART0 taken twice")));
    let mut buf = [0u8; 768];
    let cmdline = semihosting::cmdline(&mut buf);
    // A file of the wrong size is a card state the card refuses (below),
    // not a reason to stop.
    let opened = match nvm::SemihostNvm::open(arg(cmdline, b"nvm")) {
        Ok(nvm) => match nvm.short() {
            Some(len) => Err(format!(
                "card state refused: truncated NVM file, {len} of its {NVM_SIZE} bytes"
            )),
            None => Ok(nvm),
        },
        Err(nvm::OpenError::TooLarge(len)) => Err(format!(
            "card state refused: NVM file of {len} bytes, more than the board's {NVM_SIZE}"
        )),
        Err(e) => fatal(format_args!("NVM: {e:?}")),
    };
    if arg(cmdline, b"card") == Some(b"loopback") {
        let nvm = opened.unwrap_or_else(|e| fatal(format_args!("{e}")));
        serve(&mut LoopbackCard::new(nvm), &mut uart)
    }
    let entropy = arg(cmdline, b"seed").and_then(seed_from_hex);
    let has_entropy = entropy.is_some();
    critical_section::with(|cs| *ENTROPY.borrow_ref_mut(cs) = entropy);
    let config = hydra_runtime::Config {
        entropy: has_entropy.then_some(board_entropy as fn(&mut [u8]) -> bool),
        verify_loads: if arg(cmdline, b"verify") == Some(b"always") {
            hydra_runtime::load_check::VerifyLoads::Always
        } else {
            hydra_runtime::load_check::VerifyLoads::WhenPossible
        },
        budget: arg(cmdline, b"budget")
            .and_then(|b| core::str::from_utf8(b).ok()?.parse().ok())
            .unwrap_or(hydra_runtime::Config::default().budget),
        native_code: (arg(cmdline, b"native") == Some(b"on")).then(crate::native::native_code),
        verify_marks: Some(hydra_runtime::load_check::VerifyMarks {
            begin: verify_begin,
            end: verify_end,
        }),
        ..hydra_runtime::Config::default()
    };
    let mut card = match opened {
        Ok(nvm) => RuntimeCard::boot(nvm, config),
        Err(why) => RuntimeCard::<nvm::SemihostNvm>::refusing(config, why),
    };
    if let Some(why) = card.refused() {
        // Reported once; the card then answers 6581 to every command.
        let _ = writeln!(
            semihosting::Console::stderr(),
            "hydra firmware: {why}; every command answers 6581"
        );
        serve(&mut card, &mut uart)
    }
    if let Some(hex) = arg(cmdline, b"dapkey") {
        let key: [u8; 65] =
            from_hex(hex).unwrap_or_else(|| fatal(format_args!("dapkey=HEX: 65 bytes in hex")));
        card.runtime()
            .and_then(|c| c.personalize_dap(&key, true).map_err(|e| format!("{e}")))
            .unwrap_or_else(|e| fatal(format_args!("DAP key: {e}")));
    }
    if let Some(img) = package_image() {
        card.apply_image(img)
            .unwrap_or_else(|e| fatal(format_args!("{e}")));
    }
    let cut = |key| {
        arg(cmdline, key).map(|k| {
            decimal(k).unwrap_or_else(|| {
                fatal(format_args!(
                    "{}=K: K a write number from 1",
                    core::str::from_utf8(key).unwrap_or("cut")
                ))
            })
        })
    };
    match (cut(b"cut"), cut(b"cleancut")) {
        (Some(k), None) => nvm::arm_cut(k, true),
        (None, Some(k)) => nvm::arm_cut(k, false),
        (None, None) => {}
        (Some(_), Some(_)) => fatal(format_args!("cut=K and cleancut=K exclude each other")),
    }
    serve(&mut card, &mut uart)
}

/// A decimal number from 1.
fn decimal(s: &[u8]) -> Option<u32> {
    let n = core::str::from_utf8(s).ok()?.parse::<u32>().ok()?;
    (n > 0).then_some(n)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let _ = writeln!(
        semihosting::Console::stderr(),
        "hydra firmware panicked: {info}"
    );
    semihosting::exit(false)
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    let _ = writeln!(
        semihosting::Console::stderr(),
        "hydra firmware: HardFault at pc {:#010x}, lr {:#010x}",
        frame.pc(),
        frame.lr()
    );
    semihosting::exit(false)
}

#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    fatal(format_args!("unexpected exception or interrupt {irqn}"))
}
