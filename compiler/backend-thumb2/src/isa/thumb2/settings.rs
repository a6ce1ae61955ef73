//! Backend settings.

/// The core the code is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cpu {
    /// ARMv7-M (`thumbv7m-none-eabi`).
    #[default]
    CortexM3,
    /// ARMv7E-M (`thumbv7em-none-eabi`): the same code today.
    CortexM4,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    pub cpu: Cpu,
    /// Run regalloc2's checker on every function (tests).
    pub check_regalloc: bool,
}

impl Flags {
    /// The flags for a target triple, if it is one of ours.
    pub fn for_triple(triple: &str) -> Option<Flags> {
        let cpu = match triple {
            "thumbv7m-none-eabi" => Cpu::CortexM3,
            "thumbv7em-none-eabi" | "thumbv7em-none-eabihf" => Cpu::CortexM4,
            _ => return None,
        };
        Some(Flags {
            cpu,
            check_regalloc: false,
        })
    }
}
