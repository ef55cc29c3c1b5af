//! Account-wide calls: `/status`, and the collections listing in each tolerated form,
//! its pages followed within a bound.

use reqwest::Method;
use serde_json::Value;

use crate::client::Client;
use crate::error::{Error, Excerpt, Result, decode};
use crate::handle::MAX_BATCH;
use crate::record::lenient_total;
use crate::retry::Repeat;
use crate::send::Call;

/// The three tolerated forms of the collections listing (contract §2).
enum Listing {
    /// A bare array or `{"collections": [...]}`: everything.
    Complete(Vec<Value>),
    /// A page envelope.
    Page {
        items: Vec<Value>,
        total: Option<u64>,
    },
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
        // The documented call takes no parameters. Only when the answer is a page of a
        // larger listing are pages requested, from the start and 300 at a time.
        let (items, total) = match self.listing(None)? {
            Listing::Complete(items) => return Ok(items),
            Listing::Page { items, total } => (items, total),
        };
        if items.is_empty() || total.is_none_or(|t| items.len() as u64 >= t) {
            return Ok(items);
        }
        let mut out: Vec<Value> = Vec::new();
        let max_pages = self.inner.max_pages;
        for index in 0..max_pages {
            match self.listing(Some(index as u64))? {
                Listing::Complete(items) => return Ok(items),
                Listing::Page { items, total } => {
                    let got = items.len();
                    out.extend(items);
                    if got == 0 || total.is_none_or(|t| out.len() as u64 >= t) {
                        return Ok(out);
                    }
                }
            }
        }
        Err(Error::Decode {
            attempted: "GET /collections".into(),
            path: ".".into(),
            message: format!(
                "the listing did not end within {max_pages} pages ({} collections so far, total announced {total:?}); the server's paging looks broken (raise ClientBuilder::max_pages if the account is really this large)",
                out.len()
            ),
            excerpt: Excerpt(String::new()),
            applied: false,
        })
    }

    /// One answer of `GET /collections`, in whichever form it comes.
    fn listing(&self, page: Option<u64>) -> Result<Listing> {
        let mut call = Call::new(Method::GET, &["collections"], Repeat::Safe)?;
        if let Some(index) = page {
            call = call.query("pageIndex", index).query("pageSize", MAX_BATCH);
        }
        let attempted = call.attempted();
        let answer = self.execute(call)?;
        let unexpected = |message: &str| Error::Decode {
            attempted: attempted.clone(),
            path: ".".into(),
            message: message.into(),
            excerpt: Excerpt::of(&answer.body),
            applied: false,
        };
        match decode::<Value>(&attempted, &answer.body, true)? {
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
}
