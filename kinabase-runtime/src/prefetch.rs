//! Pages fetched ahead of a lazy scan: while the caller consumes one page, up to N next
//! pages are requested on their own threads (each through the client's rate budget, so
//! never faster than it allows). Workers return the raw bytes; decoding stays on the
//! caller's thread, so generated types need not be `Send`. Order is kept by taking
//! results in page order; memory is at most N pages of bytes; dropping the scan drops
//! the queue, so no new request starts (those in flight finish and are discarded).

use std::collections::VecDeque;
use std::thread::JoinHandle;

use crate::call::Call;
use crate::client::Client;
use crate::error::{Error, Result};

/// The most pages a scan may fetch ahead.
pub const MAX_PREFETCH: usize = 4;

/// Pages requested ahead, in page order.
#[derive(Default)]
pub(crate) struct Ahead {
    queue: VecDeque<(usize, JoinHandle<Result<Vec<u8>>>)>,
    /// The next page index not yet requested.
    next: usize,
}

impl Ahead {
    /// Starts requests for pages up to `depth` ahead of `from`, below `end`.
    pub(crate) fn fill(
        &mut self,
        client: &Client,
        depth: usize,
        from: usize,
        end: usize,
        call: impl Fn(usize) -> Result<Call>,
    ) {
        self.next = self.next.max(from);
        while self.queue.len() < depth && self.next < end {
            let index = self.next;
            self.next += 1;
            let Ok(call) = call(index) else {
                // A call that cannot be built fails again, visibly, when fetched in line.
                return;
            };
            let client = client.clone();
            let worker = std::thread::Builder::new()
                .name(format!("kinabase-prefetch-{index}"))
                .spawn(move || client.execute(call).map(|answer| answer.body));
            match worker {
                Ok(h) => self.queue.push_back((index, h)),
                Err(_) => {
                    // No thread to be had: the page is fetched in line instead.
                    self.next = index;
                    return;
                }
            }
        }
    }

    /// The bytes of page `index` if it was requested ahead (waiting for them).
    pub(crate) fn take(&mut self, index: usize, attempted: &str) -> Option<Result<Vec<u8>>> {
        if self.queue.front().is_none_or(|(i, _)| *i != index) {
            return None;
        }
        let (_, worker) = self.queue.pop_front()?;
        Some(worker.join().unwrap_or_else(|_| {
            Err(Error::Transport {
                attempted: attempted.to_string(),
                attempts: 1,
                message: "the thread fetching this page ahead stopped unexpectedly".into(),
                may_have_reached_server: false,
                source: None,
            })
        }))
    }
}
