//! The card: heap, loaded packages, classes, registry, and the state of the
//! interpreter and of the APDU in progress.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use crate::apdu::ApduState;
use crate::class::{Class, ClassId, Cp, Handler, Method};
use crate::heap::{Ref, Store};
use crate::nvm::Nvm;
use crate::registry::Registry;

/// A package on the card, linked.
pub struct Package {
    pub aid: Vec<u8>,
    pub major: u8,
    pub minor: u8,
    pub name: String,
    /// Method component info (quickened copy); method and handler offsets
    /// index it directly.
    pub code: Rc<[u8]>,
    pub cp: Rc<[Cp]>,
    pub handlers: Vec<Handler>,
    pub static_base: u32,
    /// Exported classes by class token.
    pub export_classes: Vec<ClassId>,
    /// Exported static methods by (class token, method token).
    pub export_methods: Vec<Vec<u16>>,
    /// Exported static fields (NVM address) by (class token, field token).
    pub export_fields: Vec<Vec<u32>>,
    /// Applets: AID and install method.
    pub applets: Vec<(Vec<u8>, u16)>,
    /// Class component offset -> class id (internal class references).
    pub class_offsets: Vec<(u16, ClassId)>,
    /// Load file image in NVM (address, length, CRC-32); none for built-in
    /// packages.
    pub image: (u32, u32, u32),
    /// Indices of the packages it imports, in import-token order.
    pub imports: Vec<u16>,
    /// A vacant slot: the package that had this index (its context) was
    /// deleted and nothing of it is linked; a later LOAD may take the slot.
    pub deleted: bool,
    /// Bytes allocated for the static field image at `static_base`.
    pub static_len: u32,
    /// Reference static fields: the first `static_refs` 2-byte slots of the
    /// static image (the StaticField component puts them first).
    pub static_refs: u16,
    /// Class id of its first class (ids `class_base..` are its classes).
    pub class_base: u16,
    /// Type-checked by the card's verifier when it was loaded: the
    /// interpreter runs its methods in the trusting loop.
    pub verified: bool,
}

impl Package {
    /// A slot no package holds.
    pub fn vacant() -> Package {
        Package {
            aid: Vec::new(),
            major: 0,
            minor: 0,
            name: String::new(),
            code: Rc::from(Vec::new()),
            cp: Rc::from(Vec::new()),
            handlers: Vec::new(),
            static_base: 0,
            export_classes: Vec::new(),
            export_methods: Vec::new(),
            export_fields: Vec::new(),
            applets: Vec::new(),
            class_offsets: Vec::new(),
            image: (0, 0, 0),
            imports: Vec::new(),
            deleted: true,
            static_len: 0,
            static_refs: 0,
            class_base: 0,
            verified: false,
        }
    }

    /// The firewall context of objects created by this package's code.
    pub fn context(index: u16) -> u8 {
        if index < crate::api_tables::N_BUILTIN {
            0
        } else {
            index as u8
        }
    }
}

/// Operand stacks and locals of all frames, in 16-bit words (8 KB).
pub const STACK_WORDS: usize = 4096;

/// Limits of the runtime instance (chosen by the board).
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Maximum call depth.
    pub max_frames: usize,
    /// RAM for transient arrays and RAM objects, in bytes.
    pub ram_bytes: u32,
    /// Bytecodes one applet entry (install, select, process...) may execute
    /// before the runtime stops it with `6F00` (a watchdog; `u64::MAX`: none).
    pub budget: u64,
    /// Which load files the card manager accepts (see `load_check`).
    pub verify_loads: crate::load_check::VerifyLoads,
    /// The board's entropy source (a TRNG): fills the buffer, `false` on
    /// failure; none: no secure random numbers (see `security::random`).
    pub entropy: Option<fn(&mut [u8]) -> bool>,
    /// The board's AES engine, if it has one: every AES block of `Cipher`
    /// and the AES `Signature`s (ECB, CBC, CBC-MAC) runs on it instead of
    /// the `aes` crate (see `security::block::AesBlockFn`).
    pub aes_block: Option<crate::security::block::AesBlockFn>,
    /// The compiled code the board's engine runs, if any: native packages
    /// for it keep their code (signed ones only); for any other target or
    /// ABI they are refused. None: native packages load as their bytecode.
    pub native_code: Option<NativeCode>,
    /// The board's markers around the card's check of each load file
    /// (an instruction counter's window, see `load_check::VerifyMarks`);
    /// none: no markers.
    pub verify_marks: Option<crate::load_check::VerifyMarks>,
}

/// A native engine's instruction set and runtime ABI version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NativeCode {
    pub target: hydra_package::Target,
    pub abi: u16,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_frames: 128,
            ram_bytes: 32 * 1024,
            budget: 50_000_000,
            verify_loads: crate::load_check::VerifyLoads::WhenPossible,
            entropy: None,
            aes_block: None,
            native_code: None,
            verify_marks: None,
        }
    }
}

/// A call frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub method: u16,
    /// Next pc to execute in the caller once this frame returns (caller's
    /// frame keeps its own pc here while the callee runs).
    pub pc: u32,
    /// First local.
    pub fp: u32,
    /// Bottom of the operand stack.
    pub sb: u32,
    /// Context of the caller, restored on return.
    pub ctx: u8,
}

/// JCRE-owned objects recreated at every reset.
#[derive(Debug, Clone, Default)]
pub struct JcreObjects {
    pub apdu: Ref,
    pub buffer: Ref,
    /// Exception singletons by class id.
    pub exceptions: Vec<(ClassId, Ref)>,
}

impl<N: Nvm> Card<N> {
    /// The index of the live (not deleted) package with this AID.
    pub fn live_package(&self, aid: &[u8]) -> Option<usize> {
        self.packages
            .iter()
            .position(|p| p.aid == aid && !p.deleted)
    }
}

pub struct Card<N: Nvm> {
    pub store: Store<N>,
    pub config: Config,
    /// Packages by index (slot); vacant slots are `Package::deleted`.
    pub packages: Vec<Package>,
    /// Loaded packages' slots in load order (each after those it imports).
    pub load_order: Vec<u16>,
    /// Methods of the built-in API (the linked packages' methods follow).
    pub api_methods: usize,
    pub classes: Vec<Class>,
    pub methods: Vec<Method>,
    pub registry: Registry,
    /// The GlobalPlatform card manager (the ISD).
    pub cardmgr: crate::cardmgr::CardManager,
    pub jcre: JcreObjects,
    pub apdu: ApduState,
    /// Interpreter state: operand stacks and locals of every frame. A fixed
    /// size, so every index check against it is one compare with a constant.
    pub stack: alloc::boxed::Box<[i16; STACK_WORDS]>,
    pub frames: Vec<Frame>,
    /// Current firewall context.
    pub ctx: u8,
    /// Context before the last context switch (getPreviousContextAID).
    pub prev_ctx: u8,
    /// Registry index of the applet whose method is running.
    pub active_applet: Option<usize>,
    /// The JCRE is selecting the running applet (selectingApplet()).
    pub selecting: bool,
    /// The applet being selected was already selected (reSelectingApplet()).
    pub reselecting: bool,
    /// Why the last command failed, where the card can say (an exception
    /// that escaped an applet's `process`, a refused load file), for tools.
    pub last_uncaught: Option<alloc::string::String>,
    /// Logical channel of the command being processed.
    pub channel: u8,
    /// Instance AID and package of the applet being installed.
    pub installing: Option<(Vec<u8>, u16)>,
    /// Statistics: bytecodes executed, per opcode; filled only in builds
    /// with the `opcode-stats` feature (the host's).
    pub stats: Option<alloc::boxed::Box<[u64; 256]>>,
    pub executed: u64,
    /// `executed` value at which the running entry exceeds its budget.
    pub budget_end: u64,
    /// Top of the used stack while a native runs (natives may call back).
    pub sp_top: usize,
    /// Runs compiled methods (none: everything is interpreted).
    pub engine: Option<Rc<dyn crate::engine::Engine<N>>>,
    /// Running state of javacard.security engine objects (RAM).
    pub engines: crate::security::Engines,
    /// org.globalplatform's objects of this boot (RAM).
    pub gp: crate::gpapi::GpObjects,
    /// Context a compiled callee of the interpreter's `invokevirtual` /
    /// `invokeinterface` runs in (set only around that call).
    pub call_ctx: Option<u8>,
}
