//! Puts `memory.x` (the board's memory map) on the linker search path for firmware
//! built for bare-metal ARM; cortex-m-rt's `link.x` includes it. The firmware binary
//! itself passes `-Tlink.x` (its build script prints
//! `cargo:rustc-link-arg-bins=-Tlink.x`).

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if !(target.starts_with("thumb") && target.contains("-none-")) {
        return;
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    std::fs::copy("memory.x", out.join("memory.x")).expect("cannot copy memory.x to OUT_DIR");
    println!("cargo:rustc-link-search={}", out.display());
}
