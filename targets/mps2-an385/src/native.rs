//! The firmware's native code: compiled packages (Thumb-2 code from
//! `hydra-backend-thumb2`) run by the one compiled-code engine
//! (`hydra_native::engine`, the host's too); the board supplies only where
//! the code is.
//!
//! Native code executes in place from NVM: the card manager keeps a
//! native package it loaded for this engine's target and ABI as the
//! package's stored image (`Card::native_package`), and the engine makes
//! the method entries absolute against where the code lies in the NVM
//! mirror, in RAM. The code is position-independent: compiled code reaches
//! the runtime only through the VM context and its entry-point table, and
//! other methods through the link table the engine builds, so nothing in
//! NVM is patched.
//!
//! Trust: the card manager keeps native code only with a DAP signature
//! that the ISD verified (or from the board's factory image), since the
//! card cannot check machine code the way the verifier checks bytecode.

use alloc::rc::Rc;

use hydra_native::abi;
use hydra_native::engine::{CodeSource, CompiledEngine, Methods};
use hydra_runtime::card::Card;
use hydra_runtime::engine::Engine;
use hydra_runtime::nvm::Nvm;

/// The board's code source: a package's code in place in the NVM mirror.
pub struct InPlace;

impl<N: Nvm> CodeSource<N> for InPlace {
    /// The compiled methods of package `pkg`, from its native package in
    /// NVM; none when it has none or its code is not 4-byte aligned there
    /// (the code's literal pools assume it).
    fn methods(&self, card: &Card<N>, pkg: u16) -> Option<Rc<Methods>> {
        let p = card.native_package(pkg)?;
        let at = p.code.as_ptr() as usize;
        let at = u32::try_from(at).ok().filter(|a| a % 4 == 0)?;
        Some(Rc::new(Methods::of_package(&p, at as usize)))
    }

    fn direct_calls(&self) -> bool {
        true
    }

    /// Thumb-2 code runs only on the board.
    fn can_run(&self) -> bool {
        cfg!(all(target_arch = "arm", target_os = "none"))
    }
}

/// The engine of a card whose `Config::native_code` is [`native_code`].
pub fn engine<N: Nvm + 'static>() -> Rc<dyn Engine<N>> {
    Rc::new(CompiledEngine::<N, InPlace>::new(InPlace))
}

/// What this engine runs: Thumb-2 for Armv7-M, this runtime ABI.
pub fn native_code() -> hydra_runtime::NativeCode {
    hydra_runtime::NativeCode {
        target: hydra_package::Target::Thumbv7m,
        abi: abi::ABI_VERSION,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_become_thumb_addresses_of_the_code() {
        let p = hydra_package::Writer {
            target: hydra_package::Target::Thumbv7m,
            abi: abi::ABI_VERSION,
            aid: &[0xF0, 0x48, 0x59, 0x44, 0x52],
            version: (1, 0),
            load_file: &[1],
            code: &[0x70, 0x47, 0x00, 0xBF, 0x70, 0x47],
            entries: alloc::vec![hydra_package::MethodEntry {
                method: 0x12,
                kind: hydra_package::EntryKind::ThumbFunction,
                ret_words: 1,
                code_offset: 4,
            }],
            manifest: &[0xA0],
        }
        .to_bytes();
        let p = hydra_package::Package::parse(&p).unwrap();
        let m = Methods::of_package(&p, 0x2100_0100);
        assert_eq!(m.get(0x12), Some((0x2100_0105, 1)));
        assert_eq!(m.len(), 1);
    }
}
