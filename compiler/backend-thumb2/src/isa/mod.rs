//! Instruction set backends (Cranelift's layout: `isa/<arch>/...`).

pub mod thumb2;
