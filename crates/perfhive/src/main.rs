//! `perfhive`: a performance lab in one binary. Thin main: parse, run, print the error chain,
//! map to the documented exit code.

mod cli;
mod exit;
mod interrupt;
mod output;
mod progress;
mod recording;

use std::process::ExitCode;

/// mimalloc, for Rust's allocations and tree-sitter's: the scanner allocates and frees a node at
/// a time while parsing, where glibc's malloc costs a tenth of a scan's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `calloc` on mimalloc: `n` zeroed items of `size` bytes, null when the size overflows.
unsafe extern "C" fn zeroed(n: usize, size: usize) -> *mut std::ffi::c_void {
    match n.checked_mul(size) {
        // SAFETY: mi_zalloc takes any size and returns null when it cannot allocate.
        Some(total) => unsafe { libmimalloc_sys::mi_zalloc(total) },
        None => std::ptr::null_mut(),
    }
}

fn main() -> ExitCode {
    // SAFETY: before any tree-sitter object exists (nothing allocated by one allocator is freed
    // by the other); mimalloc's functions have the C signatures tree-sitter asks for.
    unsafe {
        use libmimalloc_sys as mi;
        tree_sitter::set_allocator(
            Some(mi::mi_malloc),
            Some(zeroed),
            Some(mi::mi_realloc),
            Some(mi::mi_free),
        );
    }
    // The benchmark spawner: a small process forking the measured commands (see
    // perfhive_bench::exec::Spawner). Nothing else is initialised.
    if std::env::args_os().nth(1).is_some_and(|a| a == "__spawn") {
        return ExitCode::from(perfhive_bench::exec::serve_spawner());
    }
    // The demo service for `investigate --demo`, in its own process so it is observed apart
    // from the load generator.
    if std::env::args_os().nth(1).is_some_and(|a| a == "__demo") {
        return ExitCode::from(cli::investigate::serve_demo());
    }
    // A write beyond the file size limit (`ulimit -f`) fails with EFBIG, reported by whatever
    // wrote, instead of SIGXFSZ ending the process and losing what it measured.
    // SAFETY: setting a signal's disposition to SIG_IGN before any thread starts.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let args = cli::parse();
    let mut out = output::Printer::new();
    match cli::exec(args, &mut out) {
        Ok(code) => code.into(),
        Err(err) if out.stdout_closed() && exit::is_broken_pipe(&err) => {
            // stdout's reader went away (`perfhive history | head -1`): nothing to report on a
            // stream nobody reads; 141 as for a process a SIGPIPE ended, never a success
            ExitCode::from(exit::BROKEN_PIPE)
        }
        Err(err) => {
            out.error(&err);
            exit::code_for_error(&err).into()
        }
    }
}
