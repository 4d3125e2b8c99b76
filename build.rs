//! Links the `evident` binary's unwinder statically on Linux (GNU).
//!
//! Rust's standard library links the unwinder from `libgcc_s.so.1`, and
//! loading that library runs its constructor, `__cpu_indicator_init`: eight
//! `cpuid` instructions, each a trap to the hypervisor on a virtual machine
//! (15 µs apiece on the benchmark's machine). A one-shot client of a holder
//! (SPEC 10's clients start once per query) took 2.87 ms with it and 2.66 ms
//! without (`perf stat -r 200`, alternating); the `sqlite3` shell it is
//! measured against loads no libgcc_s. The same unwinder comes in `libgcc_eh.a`,
//! the one Rust itself links for `crt-static` builds, and linking it
//! statically runs no constructor.
//!
//! How: `-lgcc_s`, which rustc passes, finds `libgcc_s.so` in the first
//! directory searched; for the binaries only, a directory is added whose
//! `libgcc_s.so` is a linker script naming the static `gcc_eh` instead.
//! The library, its tests and the Python package link as before, and so
//! does the binary where the C compiler (rustc's linker) has no
//! `libgcc_eh.a`.
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether the C compiler that links the binary has a static unwinder.
fn has_static_unwinder() -> bool {
    let linker = env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".to_owned());
    Command::new(linker)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .is_some_and(|printed| {
            // An unknown file is printed back bare, not as a path.
            let path = Path::new(printed.trim());
            path.is_absolute() && path.exists()
        })
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let linux_gnu = env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    let Some(out_dir) = env::var_os("OUT_DIR") else {
        return;
    };
    if !linux_gnu || !has_static_unwinder() {
        return;
    }
    let shim = PathBuf::from(out_dir).join("static-unwinder");
    let written = fs::create_dir_all(&shim)
        .and_then(|()| fs::write(shim.join("libgcc_s.so"), "INPUT ( -lgcc_eh )\n"));
    match written {
        Ok(()) => println!("cargo:rustc-link-arg-bins=-L{}", shim.display()),
        // Linking the shared unwinder as usual costs only start-up time.
        Err(e) => println!("cargo:warning=the unwinder stays shared: {e}"),
    }
}
