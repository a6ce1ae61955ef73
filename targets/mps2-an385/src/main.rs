//! The firmware: `cargo build -p hydra-mps2-an385 --release --target
//! thumbv7m-none-eabi`. On any other target this is a stub that says so.

#![cfg_attr(all(target_arch = "arm", target_os = "none"), no_std, no_main)]

#[cfg(all(target_arch = "arm", target_os = "none"))]
#[cortex_m_rt::entry]
fn main() -> ! {
    hydra_mps2_an385::hw::run()
}

#[cfg(not(all(target_arch = "arm", target_os = "none")))]
fn main() {
    eprintln!(
        "hydra-mps2-an385 is firmware: build it with \
         `cargo build -p hydra-mps2-an385 --profile firmware --target thumbv7m-none-eabi`"
    );
    std::process::exit(2);
}
