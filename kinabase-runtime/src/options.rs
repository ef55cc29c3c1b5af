//! What a listing asks for: [`ListOptions`] (filters, page size, pages fetched ahead)
//! and the documented batch size. Read by both clients' handles and by `requests.rs`.

use jiff::Timestamp;

/// The most records a page or a bulk call may carry (documented).
pub const MAX_BATCH: usize = kinabase_contract::limits::MAX_BULK;

/// The most pages a scan may fetch ahead ([`ListOptions::prefetch`]).
pub const MAX_PREFETCH: usize = 4;

/// Options of a listing: filters and page size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOptions {
    /// Records per request (1..=300; default 300, the fewest requests).
    pub page_size: usize,
    /// Only records updated after this instant.
    pub updated_after: Option<Timestamp>,
    /// Include collection-list fields.
    pub include_lists: bool,
    /// Only records with an id in this external service.
    pub external_service: Option<String>,
    /// Pages a lazy scan requests ahead while the current one is consumed (0..=4;
    /// default 0). Each goes through the rate budget; see [`ListOptions::prefetch`].
    pub prefetch: usize,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            page_size: MAX_BATCH,
            updated_after: None,
            include_lists: false,
            external_service: None,
            prefetch: 0,
        }
    }
}

impl ListOptions {
    /// Sets the page size (clamped to 1..=300).
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n.clamp(1, MAX_BATCH);
        self
    }

    /// Only records updated after `t`.
    pub fn updated_after(mut self, t: Timestamp) -> Self {
        self.updated_after = Some(t);
        self
    }

    /// Include collection-list fields.
    pub fn include_lists(mut self, yes: bool) -> Self {
        self.include_lists = yes;
        self
    }

    /// Requests up to `n` next pages (at most 4) while the current one is consumed, for
    /// scans whose pages are slow to serve: with pages taking 1.5 s and the documented
    /// 100 requests a minute, 2 or 3 keep a scan at the rate limit instead of at the
    /// server's pace. Pages still come in order; every request still waits for the
    /// client's rate budget; at most `n` pages of bytes are held ahead; dropping the
    /// iterator starts no new request. Prefetching starts once the first page has given
    /// the total, and never asks past it. The blocking iterator fetches ahead on threads,
    /// the async stream (`stream_with`) as tokio tasks.
    pub fn prefetch(mut self, n: usize) -> Self {
        self.prefetch = n.min(MAX_PREFETCH);
        self
    }
}
