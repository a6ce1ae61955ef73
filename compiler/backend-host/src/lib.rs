//! Host backends (x86_64, aarch64) through cranelift-codegen, and ELF object output.
