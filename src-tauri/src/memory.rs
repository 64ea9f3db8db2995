//! Giving freed memory back to the system.
//!
//! glibc's allocator keeps freed pages in its heaps (one per thread that
//! allocated, Tauri runs commands on a pool): after an agenda over tens of
//! thousands of cases, the shell would keep that peak resident for the
//! rest of the session. `malloc_trim` returns what is free.

/// Returns the allocator's free pages to the system (glibc only; a no-op
/// elsewhere). Costs a few milliseconds: call it after large, rare work.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim only releases free memory; it takes no pointer.
    unsafe {
        libc::malloc_trim(0);
    }
}
