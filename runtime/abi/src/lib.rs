//! The runtime ABI between compiled methods and the runtime, as numbers.
//! The prose, with the pictures, is `runtime/docs/native-abi.md`; the
//! lowering (`hydra-lower`) and the engines use only these definitions.
//!
//! Everything depends on the pointer size `P` of the target (8 on the
//! 64-bit hosts, 4 on Thumb-2), never on the host compiling the code.

#![no_std]

extern crate alloc;

/// Version of this ABI, which a native package names and an engine
/// checks: it changes with any number below (context layout, entry
/// points, link table words, object header).
pub const ABI_VERSION: u16 = 2;

/// Signature of every compiled method:
/// `fn(vm: *mut Vm, pkg: *const u32, args: *const i16) -> i32`.
pub const METHOD_PARAMS: usize = 3;

/// Byte offsets of the fields of the VM context compiled code reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VmLayout {
    pub ptr: u32,
}

impl VmLayout {
    pub const fn new(pointer_bytes: u32) -> VmLayout {
        VmLayout { ptr: pointer_bytes }
    }
    /// `*const [fn; ENTRY_COUNT]`: the entry-point table.
    pub const fn entry(self) -> u32 {
        0
    }
    /// `*const Obj`: header cache of persistent objects (handle `h` at `12*h`).
    pub const fn objs(self) -> u32 {
        self.ptr
    }
    /// `*const Obj`: header cache of RAM objects (handle `0x8000+i` at `12*i`).
    pub const fn ram_objs(self) -> u32 {
        2 * self.ptr
    }
    /// `*const u8`: NVM, memory-mapped; persistent data addresses are offsets.
    pub const fn nvm(self) -> u32 {
        3 * self.ptr
    }
    /// `*mut u8`: RAM of transient arrays and RAM objects.
    pub const fn ram(self) -> u32 {
        4 * self.ptr
    }
    /// `u32`: entries in `objs` (valid persistent handles are `1..nobjs`).
    pub const fn nobjs(self) -> u32 {
        5 * self.ptr
    }
    /// `u32`: entries in `ram_objs`.
    pub const fn nram_objs(self) -> u32 {
        5 * self.ptr + 4
    }
    /// `u32`: the current firewall context (0: JCRE).
    pub const fn ctx(self) -> u32 {
        5 * self.ptr + 8
    }
    /// `u32`: non-zero while an exception is pending.
    pub const fn pending(self) -> u32 {
        5 * self.ptr + 12
    }
    /// `u32`: frames left to direct calls (engines with direct calls only):
    /// the interpreter's `max_frames` less the frames in use, the direct
    /// calls in progress counted. A direct call needs it non-zero, takes one
    /// and gives it back.
    pub const fn frames_left(self) -> u32 {
        5 * self.ptr + 16
    }
    /// `u32`: operand-stack words left to direct calls, the same way; a
    /// direct call takes its callee's `nargs + max_locals + max_stack`.
    pub const fn words_left(self) -> u32 {
        5 * self.ptr + 20
    }
    /// `u32`: ticks of the execution budget left to compiled code. Every
    /// method entry, loop header and exception handler takes one; at 0 the
    /// code throws [`OUT_OF_BUDGET`]. The engine fills it from the card's
    /// budget and charges what was taken whenever the runtime is entered.
    pub const fn ticks_left(self) -> u32 {
        5 * self.ptr + 24
    }
    /// `u32`: handle of the APDU buffer (what `APDU.getBuffer()` returns),
    /// fixed while the card runs.
    pub const fn apdu_buffer(self) -> u32 {
        5 * self.ptr + 28
    }
    /// `u32`: 1 while the JCRE dispatches the SELECT that selects the
    /// current applet (`Applet.selectingApplet()`), else 0; fixed while one
    /// command is processed.
    pub const fn selecting(self) -> u32 {
        5 * self.ptr + 32
    }
    /// `u32`: `JCSystem.getTransactionDepth()`; changes only inside
    /// `invoke`, after which compiled code reloads it.
    pub const fn txn_depth(self) -> u32 {
        5 * self.ptr + 36
    }
    /// `u32`: while `pending` is set by a thrown object (not a card
    /// fault), its handle; else 0. A handler that catches it inline clears
    /// both `pending` and this (the engine then forgets its exception).
    pub const fn pending_ref(self) -> u32 {
        5 * self.ptr + 40
    }
    /// `u32`: the built-in classes are the ids below this (0: unknown).
    /// None of them extends a class of a loaded package.
    pub const fn api_classes(self) -> u32 {
        5 * self.ptr + 44
    }
    /// Size of the part of the context compiled code may read.
    pub const fn size(self) -> u32 {
        5 * self.ptr + 48
    }
}

/// The RAM object header (`hydra_runtime::heap::Obj`, `#[repr(C)]`).
pub mod obj {
    pub const SIZE: u32 = 12;
    pub const KIND: u32 = 0;
    pub const FLAGS: u32 = 1;
    pub const OWNER: u32 = 2;
    pub const CLASS: u32 = 4;
    pub const LEN: u32 = 6;
    pub const DATA: u32 = 8;
    pub const K_INSTANCE: u8 = 0;
    pub const K_BOOL: u8 = 1;
    pub const F_RAM: u8 = 0x04;
    pub const F_GLOBAL: u8 = 0x08;
    pub const RAM_HANDLE_BASE: u16 = 0x8000;
}

/// The package link table `pkg` (u32 words): `[0]` the runtime's package
/// index, `[1]` the number of constant-pool entries, `[2 + i]` entry `i`
/// resolved (instance field: absolute cell; static field: NVM address;
/// anything else: 0, only helpers use it).
pub mod pkg {
    pub const INDEX: u32 = 0;
    pub const CP_COUNT: u32 = 4;
    pub const CP: u32 = 8;
}

/// Dispatch rows of the link table (filled by engines that run compiled
/// code in place; 0 in `pkg[2 + i]` means none). For a virtual method
/// reference `i`, or an interface class reference `i`, `pkg[2 + i]` is the
/// word index of a row:
///
/// ```text
///   [0] first class id of the package   [1] number of classes n
///   [2] methods per class m (1 for a virtual reference; the interface's
///       method tokens for an interface)
///   [3 + 2 * (c * m + t)]  code address of the method a receiver of class
///                          `first + c` runs for token t, or 0
///   [4 + 2 * (c * m + t)]  its words: nargs + max_locals + max_stack
/// ```
///
/// Only methods compiled in the same package as the reference appear, so a
/// call through a row keeps the caller's link table; compiled code also
/// requires the receiver to be an instance owned by the current context
/// (no context switch).
///
/// A *type row* (`[2]` = 0) serves `checkcast`/`instanceof` of a class
/// reference `i` (not an interface) to a class of the package: entry `c`
/// holds 1 when an instance of class `first + c` is an instance of the
/// referenced class, else 0 (second word 1).
/// Link-table word of a class reference to a class of another package
/// (engines with dispatch rows): this bit with the class id, so that a
/// handler can compare a thrown object's class with it inline.
pub const CLASS_ID: u32 = 0x8000_0000;

pub mod row {
    pub const FIRST: u32 = 0;
    pub const COUNT: u32 = 4;
    pub const STRIDE: u32 = 8;
    pub const ENTRIES: u32 = 12;
    pub const ENTRY_SIZE: u32 = 8;
}

/// Value kinds of field, array and static helpers (the order of the
/// bytecodes' `a`, `b`, `s`, `i` forms).
pub mod kind {
    pub const REF: i32 = 0;
    pub const BYTE: i32 = 1;
    pub const SHORT: i32 = 2;
    pub const INT: i32 = 3;
}

/// Token compiled code passes to [`Entry::ThrowVm`] when a slow path that
/// must throw returned normally: not a java.lang class, so the runtime
/// answers with a card fault.
pub const BROKEN_INVARIANT: u8 = 0xFF;
/// `ThrowVm` token: the execution budget ran out (the interpreter's
/// `Fault::Budget`, which no handler catches).
pub const OUT_OF_BUDGET: u8 = 0xFE;

/// Added to the kind of `getfield`/`putfield` for the `_this` forms, which
/// skip the firewall check (as the interpreter does).
pub const THIS_FORM: i32 = 0x100;

/// `op` of [`Entry::Invoke`].
pub mod invoke {
    pub const STATIC: i32 = 0;
    pub const SPECIAL: i32 = 1;
    pub const VIRTUAL: i32 = 2;
    /// `index` is `cp | token << 16`.
    pub const INTERFACE: i32 = 3;
}

/// A parameter or result type of an entry point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// Pointer-sized.
    Ptr,
    I32,
}

/// The entry points, by their index in the table. Every one takes the VM
/// context first. Each that can throw sets `pending`; compiled code MUST
/// test `pending` after calling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Entry {
    /// `(vm, token)`: throw the JCRE instance of java.lang exception `token`.
    ThrowVm = 0,
    /// `(vm, ref)`: `athrow` (NullPointerException for null).
    Throw,
    /// `(vm, ref, cell, kind) -> value`: getfield, every check done.
    GetField,
    /// `(vm, ref, cell, kind, value)`: putfield, every check done.
    PutField,
    /// `(vm, ref, index, kind) -> value`: array load, every check done.
    ArrayLoad,
    /// `(vm, ref, index, kind, value)`: array store, every check done.
    ArrayStore,
    /// `(vm, ref) -> length`.
    ArrayLength,
    /// `(vm, addr, kind, value)`: putstatic.
    PutStatic,
    /// `(vm, addr, bytes, value)`: the persistent-store barrier: write
    /// `bytes` (1, 2, 4) big-endian at NVM `addr` through the undo log.
    StoreNvm,
    /// `(vm, pkg, op, index, args, nargs) -> result`: a call.
    Invoke,
    /// `(vm, pkg, cp) -> ref`: `new`.
    New,
    /// `(vm, pkg, atype, cp, length) -> ref`: `newarray`/`anewarray`.
    NewArray,
    /// `(vm, pkg, instanceof, atype, cp, ref) -> ref or 0/1`.
    TypeCheck,
    /// `(vm, pkg, cp) -> ref`: takes the pending exception if it is an
    /// instance of class `cp` (0: any); 0 when it is not.
    Catch,
    /// `(vm, op)`: `JCSystem.beginTransaction()` (op 0) or
    /// `commitTransaction()` (op 1), TransactionException as the API
    /// throws it.
    Transaction,
}

impl Entry {
    /// The entry point's effect class: whether it may allocate, collect,
    /// free, run other code or switch the firewall context, and so move the
    /// header caches or RAM, add handles or change `ctx` (compiled code
    /// reloads what it derived from the VM context after such a call).
    ///
    /// The others (`false`) only read the card or write object and static
    /// data (`Store::write`, `write_nvm`: the data and the undo log, never a
    /// header), and set `pending`: the field, array, static and store
    /// operations; `throw_vm`, `throw` and `type_check`, which read the
    /// class tables and hand out a JCRE exception instance made when the card starts
    /// (`Card::jcre_exception`); `catch`, which only reads the pending
    /// exception's class and clears `pending`; and `transaction`, which
    /// writes the log's header and state, never a header of an object. A handler reached through
    /// `catch` runs in the context that threw. `runtime/docs/native-abi.md`
    /// ("the header cache is current") states the rule for engines.
    pub const fn may_move_memory(self) -> bool {
        matches!(self, Entry::Invoke | Entry::New | Entry::NewArray)
    }
}

pub const ENTRY_COUNT: usize = 15;

impl Entry {
    pub const ALL: [Entry; ENTRY_COUNT] = [
        Entry::ThrowVm,
        Entry::Throw,
        Entry::GetField,
        Entry::PutField,
        Entry::ArrayLoad,
        Entry::ArrayStore,
        Entry::ArrayLength,
        Entry::PutStatic,
        Entry::StoreNvm,
        Entry::Invoke,
        Entry::New,
        Entry::NewArray,
        Entry::TypeCheck,
        Entry::Catch,
        Entry::Transaction,
    ];

    /// Parameters after the VM context, and the result.
    pub fn signature(self) -> (&'static [Ty], Option<Ty>) {
        use Ty::*;
        match self {
            Entry::ThrowVm | Entry::Throw | Entry::Transaction => (&[I32], None),
            Entry::GetField | Entry::ArrayLoad => (&[I32, I32, I32], Some(I32)),
            Entry::PutField | Entry::ArrayStore => (&[I32, I32, I32, I32], None),
            Entry::ArrayLength => (&[I32], Some(I32)),
            Entry::PutStatic | Entry::StoreNvm => (&[I32, I32, I32], None),
            Entry::Invoke => (&[Ptr, I32, I32, Ptr, I32], Some(I32)),
            Entry::New => (&[Ptr, I32], Some(I32)),
            Entry::NewArray => (&[Ptr, I32, I32, I32], Some(I32)),
            Entry::TypeCheck => (&[Ptr, I32, I32, I32, I32], Some(I32)),
            Entry::Catch => (&[Ptr, I32], Some(I32)),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Entry::ThrowVm => "throw_vm",
            Entry::Throw => "throw",
            Entry::GetField => "getfield",
            Entry::PutField => "putfield",
            Entry::ArrayLoad => "array_load",
            Entry::ArrayStore => "array_store",
            Entry::ArrayLength => "array_length",
            Entry::PutStatic => "putstatic",
            Entry::StoreNvm => "store_nvm",
            Entry::Invoke => "invoke",
            Entry::New => "new",
            Entry::NewArray => "new_array",
            Entry::TypeCheck => "type_check",
            Entry::Catch => "catch",
            Entry::Transaction => "transaction",
        }
    }
}

/// Symbol of the compiled method whose first bytecode is at `offset` in
/// the Method component (the offset the runtime's method table records).
pub fn method_symbol(offset: u16) -> alloc::string::String {
    alloc::format!("hydra_m{offset:04x}")
}

/// Parses a [`method_symbol`].
pub fn parse_method_symbol(name: &str) -> Option<u16> {
    u16::from_str_radix(name.strip_prefix("hydra_m")?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_symbols_round_trip() {
        for off in [0u16, 0x13, 0xFFFF] {
            assert_eq!(parse_method_symbol(&method_symbol(off)), Some(off));
        }
        assert_eq!(parse_method_symbol("main"), None);
    }

    #[test]
    fn vm_layout_of_both_pointer_sizes() {
        let host = VmLayout::new(8);
        assert_eq!(
            (host.objs(), host.ctx(), host.pending(), host.size()),
            (8, 48, 52, 88)
        );
        let thumb = VmLayout::new(4);
        assert_eq!(
            (thumb.objs(), thumb.ctx(), thumb.pending(), thumb.size()),
            (4, 28, 32, 68)
        );
        assert_eq!(Entry::ALL.len(), ENTRY_COUNT);
        for (i, e) in Entry::ALL.iter().enumerate() {
            assert_eq!(*e as usize, i, "{}", e.name());
        }
    }
}
