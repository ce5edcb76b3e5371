//! How the C allocator (glibc's malloc, where the tool runs on it) is set up
//! before any work starts, so that a run's peak memory follows what it holds.
//!
//! By default glibc gives every thread an arena of its own (up to eight per
//! core) and raises its mmap threshold each time a large block is freed, so
//! the buffers a streaming read frees stay mapped in whichever arena freed
//! them and peak RSS grows with a file's size even when the live heap does
//! not. Two settings, made once at start-up for the commands that run a
//! pipeline, keep it flat: at most two arenas, and a fixed 1 MiB threshold
//! above which a block is mapped on its own and given back to the system
//! when freed. `mirror-all` folds in buffers it reuses and is left with the
//! defaults. Elsewhere than on glibc this does nothing.

/// Set up the allocator; call before any thread starts (no thread is
/// started while the command line is parsed).
pub(crate) fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes allocator parameters; it is called once,
    // before the process starts any thread.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
