//! Account-wide calls: `/status`, and the collections listing in each tolerated form,
//! its pages followed within a bound.

use reqwest::Method;
use serde_json::Value;

use crate::call::Call;
use crate::client::Client;
use crate::error::{Error, Excerpt, Result, decode};
use crate::options::MAX_BATCH;
use crate::record::lenient_total;
use crate::retry::Repeat;
use crate::verify::{ExpectedSchema, SchemaReport};

/// The three tolerated forms of the collections listing (contract §2).
pub(crate) enum Listing {
    /// A bare array or `{"collections": [...]}`: everything.
    Complete(Vec<Value>),
    /// A page envelope.
    Page {
        items: Vec<Value>,
        total: Option<u64>,
    },
}

/// Where a collections listing stands: which page to ask for next, or the answer. The
/// same steps for the blocking and the async client.
pub(crate) struct Collector {
    out: Vec<Value>,
    first: bool,
    next: u64,
    max_pages: usize,
    total: Option<u64>,
}

/// What to do next for a listing.
pub(crate) enum Step {
    /// Ask for this page (`None`: the plain, documented call).
    Fetch(Option<u64>),
    /// The listing is complete (or broken).
    Done(Result<Vec<Value>>),
}

impl Collector {
    pub(crate) fn new(max_pages: usize) -> Collector {
        Collector {
            out: Vec::new(),
            first: true,
            next: 0,
            max_pages,
            total: None,
        }
    }

    /// The first request: the documented call takes no parameters. Only when the answer
    /// is a page of a larger listing are pages requested, from the start and 300 at a
    /// time.
    pub(crate) fn start(&self) -> Step {
        Step::Fetch(None)
    }

    /// An answer arrived.
    pub(crate) fn arrived(&mut self, listing: Listing) -> Step {
        let (items, total) = match listing {
            Listing::Complete(items) => return Step::Done(Ok(items)),
            Listing::Page { items, total } => (items, total),
        };
        if self.first {
            self.first = false;
            if items.is_empty() || total.is_none_or(|t| items.len() as u64 >= t) {
                return Step::Done(Ok(items));
            }
            self.total = total;
        } else {
            let got = items.len();
            self.out.extend(items);
            self.total = total;
            if got == 0 || total.is_none_or(|t| self.out.len() as u64 >= t) {
                return Step::Done(Ok(std::mem::take(&mut self.out)));
            }
        }
        if self.next as usize >= self.max_pages {
            return Step::Done(Err(Error::Decode {
                attempted: "GET /collections".into(),
                path: ".".into(),
                message: format!(
                    "the listing did not end within {} pages ({} collections so far, total announced {:?}); the server's paging looks broken (raise ClientBuilder::max_pages if the account is really this large)",
                    self.max_pages,
                    self.out.len(),
                    self.total
                ),
                excerpt: Excerpt(String::new()),
                applied: false,
            }));
        }
        self.next += 1;
        Step::Fetch(Some(self.next - 1))
    }
}

/// The call for one answer of `GET /collections`.
pub(crate) fn listing_call(page: Option<u64>) -> Result<Call> {
    let mut call = Call::new(Method::GET, &["collections"], Repeat::Safe)?;
    if let Some(index) = page {
        call = call.query("pageIndex", index).query("pageSize", MAX_BATCH);
    }
    Ok(call)
}

/// One answer of `GET /collections`, in whichever form it comes.
pub(crate) fn parse(attempted: &str, body: &[u8]) -> Result<Listing> {
    let unexpected = |message: &str| Error::Decode {
        attempted: attempted.to_string(),
        path: ".".into(),
        message: message.into(),
        excerpt: Excerpt::of(body),
        applied: false,
    };
    match decode::<Value>(attempted, body, true)? {
        Value::Array(items) => Ok(Listing::Complete(items)),
        Value::Object(mut obj) => {
            if let Some(Value::Array(items)) = obj.remove("collections") {
                return Ok(Listing::Complete(items));
            }
            match obj.remove("records") {
                Some(Value::Array(items)) => Ok(Listing::Page {
                    items,
                    total: obj.get("totalRecords").and_then(lenient_total),
                }),
                _ => Err(unexpected(
                    "expected an array, {\"collections\": [...]} or a page of records",
                )),
            }
        }
        _ => Err(unexpected("expected a list of collections")),
    }
}

impl Client {
    /// `GET /status`: checks that the credentials work.
    pub fn status(&self) -> Result<()> {
        self.execute(Call::new(Method::GET, &["status"], Repeat::Safe)?)
            .map(|_| ())
    }

    /// Every collection of the account as raw JSON objects, whichever of the three
    /// tolerated forms the listing takes (a bare array, `{"collections": [...]}`, or a
    /// page envelope, whose pages are followed until the total is reached or a page is
    /// empty, at most [`max_pages`](crate::ClientBuilder::max_pages) of them).
    pub fn list_collections(&self) -> Result<Vec<Value>> {
        let mut collector = Collector::new(self.inner.max_pages);
        let mut step = collector.start();
        loop {
            step = match step {
                Step::Fetch(page) => {
                    let call = listing_call(page)?;
                    let attempted = call.attempted();
                    let answer = self.execute(call)?;
                    collector.arrived(parse(&attempted, &answer.body)?)
                }
                Step::Done(result) => return result,
            };
        }
    }

    /// The schema guard: one collections listing (plus its pages) compared with the
    /// schema generated bindings were made from (`Kinabase::verify` calls this with the
    /// generated `SCHEMA`).
    pub fn verify_schema(&self, expected: &ExpectedSchema) -> Result<SchemaReport> {
        let expected = expected.collections()?;
        Ok(crate::verify::compare(expected, &self.list_collections()?))
    }
}
