//! Memory a phase of a run freed (the reads; the reading of the focus's rows
//! kept on disk; the building of the tables), handed back to the system
//! before the next phase starts. glibc's malloc keeps what is freed in its arenas for reuse,
//! and the blocks a streaming read frees are of other sizes than what
//! building the tables asks for, so without this a run's peak resident memory
//! is the read's and the build's added together rather than the larger of the
//! two. Only the resident pages go: nothing allocated is touched. Elsewhere
//! than on glibc this does nothing.

/// Hand the memory freed so far back to the system.
pub(crate) fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns free memory of the allocator's own
    // to the system; no allocation is moved or changed.
    unsafe {
        libc::malloc_trim(0);
    }
}
