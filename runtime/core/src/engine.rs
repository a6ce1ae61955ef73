//! The hook through which compiled code joins the interpreter.
//!
//! A board that runs native packages gives the card an [`Engine`]
//! (`Card::engine`). Whenever the interpreter is about to run a bytecode
//! method — an `invoke*` of interpreted code, or [`Card::invoke`] from the
//! JCRE or a native — it first offers the call to the engine; a compiled
//! method then runs to completion like a native, with the same call-depth
//! limit, exceptions and context rules. Compiled code calls back into the
//! card (other methods, the API, allocation, the undo log) through the
//! entry points of the runtime ABI (crate `hydra-native`,
//! `runtime/docs/native-abi.md`), which use `Card::invoke`, so the two
//! engines nest freely in both directions.

use crate::card::Card;
use crate::class::MethodId;
use crate::interp::{Exc, Ret};
use crate::nvm::Nvm;

/// Runs compiled methods for the interpreter.
pub trait Engine<N: Nvm> {
    /// Runs method `m` if it is compiled; `None` leaves it to the
    /// interpreter. Its argument words are `card.stack[fp..fp + nargs]`;
    /// `card.sp_top` is the first free stack word. The engine MUST leave
    /// `card.frames`, `card.ctx` and `card.sp_top` as it found them.
    fn run(&self, card: &mut Card<N>, m: MethodId, fp: usize) -> Option<Result<Ret, Exc>>;

    /// The card's packages were relinked or one was loaded or deleted:
    /// method ids and package slots may now name other code, so every
    /// binding made so far MUST be forgotten.
    fn relinked(&self);
}
