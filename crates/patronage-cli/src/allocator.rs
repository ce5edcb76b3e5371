//! How the C allocator (glibc's malloc, where the tool runs on it) is set up
//! before any work starts, so that a run's peak memory follows what it holds.
//!
//! By default glibc gives every thread an arena of its own (up to eight per
//! core), and what a thread frees stays in its arena: the buffers a streaming
//! read frees on the worker threads are then not reused by the tables built
//! after it, and peak RSS grows with a file's size even when the live heap
//! does not. Two settings, made once at start-up for the commands that run a
//! pipeline, keep it flat: at most two arenas, and a fixed 4 MiB threshold
//! above which a block (a read's buffers) is mapped on its own and given back
//! to the system when freed; the run also hands freed memory back between
//! its phases (the pipeline's `memory.rs`). Measured on a 30-million-row run
//! and a 10-million-row bulk file: a 1 MiB threshold made the first 30%
//! slower (smaller blocks mapped and unmapped over and over), no fixed
//! threshold left the second's peak a little higher. `mirror-all` folds in
//! buffers it reuses and is left with the defaults. Elsewhere than on glibc
//! this does nothing.

/// Set up the allocator; call before any thread starts (no thread is
/// started while the command line is parsed).
pub(crate) fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes allocator parameters; it is called once,
    // before the process starts any thread.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}
