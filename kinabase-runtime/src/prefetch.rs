//! Pages fetched ahead of a lazy scan: while the caller consumes one page, up to N next
//! pages are requested in the background (each through the client's rate budget, so
//! never faster than it allows): on threads for the blocking iterator, as tokio tasks for
//! the async stream. Workers return the raw bytes; decoding stays with the caller, so
//! generated types need not be `Send`. Order is kept by taking results in page order;
//! memory is at most N pages of bytes; dropping the scan drops the queue, so no new
//! request starts (those in flight finish and are discarded).

use std::collections::VecDeque;

use crate::call::Call;
use crate::error::{Error, Result};
use crate::options::ListOptions;
use crate::record::{Page, Record};
use crate::requests::{self, Pager};

/// A scan of pages without I/O, which the blocking iterator and the async stream step
/// through: the current page's records, then which page to fetch (with its fetch started
/// ahead, if any), then what that fetch brought. `W` is the handle of one background
/// fetch (a thread, a tokio task).
pub(crate) struct PageScan<T, W> {
    pager: Pager,
    buffer: std::vec::IntoIter<Record<T>>,
    ahead: Ahead<W>,
}

/// What a [`PageScan`] needs next.
pub(crate) enum Step<T, W> {
    /// The next record.
    Record(Record<T>),
    /// Fetch page `index`; with `Some`, by waiting for the fetch started ahead.
    Fetch(usize, Option<W>),
    /// The scan cannot go on (for one, past `max_pages`).
    Failed(Error),
    /// Every page has been read.
    End,
}

impl<T, W> PageScan<T, W> {
    pub(crate) fn new(pager: Pager) -> Self {
        PageScan {
            pager,
            buffer: Vec::new().into_iter(),
            ahead: Ahead::default(),
        }
    }

    /// The next step of a scan of the collection at `path`.
    pub(crate) fn step(&mut self, path: &str) -> Step<T, W> {
        if let Some(r) = self.buffer.next() {
            return Step::Record(r);
        }
        match self.pager.next(path) {
            None => Step::End,
            Some(Err(e)) => Step::Failed(e),
            Some(Ok(index)) => Step::Fetch(index, self.ahead.take(index)),
        }
    }

    /// What the fetch of the page asked for brought. A page is counted, its records are
    /// handed over one step at a time, and the fetches ahead (`options.prefetch` of them)
    /// are started through `start`; a failure is given back, to end the scan with.
    pub(crate) fn fetched(
        &mut self,
        page: Result<Page<T>>,
        path: &str,
        options: &ListOptions,
        max_pages: usize,
        start: impl FnMut(Call) -> Option<W>,
    ) -> Result<()> {
        let page = page.inspect_err(|_| self.pager.failed())?;
        self.pager.arrived(&page);
        if !self.pager.is_done() {
            self.ahead.after(
                &page,
                options.prefetch,
                self.pager.next_index(),
                max_pages,
                |i| requests::page(path, i, options),
                start,
            );
        }
        self.buffer = page.records.into_iter();
        Ok(())
    }

    /// The index of the next page to read.
    pub(crate) fn next_index(&self) -> usize {
        self.pager.next_index()
    }
}

/// Pages requested ahead, in page order.
struct Ahead<W> {
    queue: VecDeque<(usize, W)>,
    /// The next page index not yet requested.
    next: usize,
    /// The page count the first page's total implies, once known.
    end: Option<usize>,
}

impl<W> Default for Ahead<W> {
    fn default() -> Self {
        Ahead {
            queue: VecDeque::new(),
            next: 0,
            end: None,
        }
    }
}

impl<W> Ahead<W> {
    /// After a page has arrived: starts fetches (through `start`) for pages up to `depth`
    /// ahead of `from`. Nothing is fetched ahead before a page has given the total, nor
    /// past it, nor past `max_pages`.
    fn after<T>(
        &mut self,
        page: &Page<T>,
        depth: usize,
        from: usize,
        max_pages: usize,
        call: impl Fn(usize) -> Result<Call>,
        mut start: impl FnMut(Call) -> Option<W>,
    ) {
        if depth == 0 {
            return;
        }
        if self.end.is_none()
            && let Some(t) = page.total_records
        {
            let per_page = page.records.len().max(1) as u64;
            self.end = Some(t.div_ceil(per_page).min(max_pages as u64) as usize);
        }
        let end = self.end.unwrap_or(0);
        self.next = self.next.max(from);
        while self.queue.len() < depth && self.next < end {
            let index = self.next;
            let Ok(call) = call(index) else {
                // A call that cannot be built fails again, visibly, when fetched in line.
                return;
            };
            match start(call) {
                Some(w) => {
                    self.queue.push_back((index, w));
                    self.next += 1;
                }
                // No worker to be had: the page is fetched in line instead.
                None => return,
            }
        }
    }

    /// The fetch of page `index`, if it was started ahead.
    fn take(&mut self, index: usize) -> Option<W> {
        if self.queue.front().is_none_or(|(i, _)| *i != index) {
            return None;
        }
        self.queue.pop_front().map(|(_, w)| w)
    }
}

/// The error for a background fetch that ended without an answer (its thread panicked,
/// or its task was cancelled with the runtime).
pub(crate) fn worker_lost(attempted: &str) -> Error {
    Error::Transport {
        attempted: attempted.to_string(),
        attempts: 1,
        message: "the fetch of this page ahead stopped unexpectedly".into(),
        may_have_reached_server: false,
        source: None,
    }
}
