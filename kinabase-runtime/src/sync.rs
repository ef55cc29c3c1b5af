//! Threads: lock helpers (a poisoned lock is taken over; state stays consistent by
//! construction), and moving blocking calls off an async runtime's thread.

use std::sync::{Mutex, MutexGuard};

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` here, or on a helper thread when this thread is inside a tokio runtime
/// (reqwest's blocking client panics there). The caller's thread still waits: in async
/// code, use `spawn_blocking` so that a worker thread is not held.
pub(crate) fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        tracing::warn!(
            "kinabase: the blocking client was called on an async runtime thread; it blocks that thread for each request (use tokio::task::spawn_blocking)"
        );
    });
    std::thread::scope(|s| match s.spawn(f).join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}
