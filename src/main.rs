//! The `evident` command: a thin shell over the library (see `cli/`).

mod cli;

// Imports allocate and free millions of small strings across the parse
// workers and the writer; glibc's allocator spends much of that time on its
// arena locks. mimalloc's per-thread heaps do not (measured: see README).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
