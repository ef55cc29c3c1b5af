//! Routing: faults and limits first, then `/token`, authentication and each endpoint of
//! the contract, answered from the store.

use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::config::{BulkResponse, MAX_ALL, MAX_PAGE};
use crate::control::{FaultAction, LogEntry, Shared, lock};
use crate::store::{Store, StoreError};
use crate::wire::{self, Reply, Request};

/// Handles one request; `None` means drop the connection without replying.
pub(crate) fn handle(request: &Request, shared: &Shared, started: Instant) -> Option<Reply> {
    let seq = shared.seq.fetch_add(1, Ordering::SeqCst) + 1;
    let fault = lock(&shared.control).take_fault(&request.method, &request.path);
    let reply = match fault {
        Some(FaultAction::Drop) => None,
        Some(FaultAction::Fail(status)) => Some(Reply::error(
            status,
            format!("injected fault: status {status}"),
        )),
        Some(FaultAction::DropAfterWork) => {
            let _ = route(shared, request);
            None
        }
        None => Some(limit(shared, seq).unwrap_or_else(|| route(shared, request))),
    };
    shared.log(LogEntry {
        method: request.method.clone(),
        path: request.path.clone(),
        query: request.query.clone(),
        status: reply.as_ref().map_or(0, |r| r.status),
        elapsed: started.elapsed(),
    });
    reply
}

/// The rate limit and the every-Nth-request throttle. Returns a `429` when over.
fn limit(shared: &Shared, seq: u64) -> Option<Reply> {
    let (message, retry_after) = lock(&shared.control).over_limit(seq)?;
    let mut r = Reply::error(429, message);
    r.headers.push(("Retry-After", retry_after.to_string()));
    Some(r)
}

fn route(shared: &Shared, request: &Request) -> Reply {
    let (method, path) = (request.method.as_str(), request.path.as_str());
    let Some(rest) = path.strip_prefix("/api/v1/") else {
        return Reply::error(
            404,
            format!("no such endpoint {path}; the API lives under /api/v1/"),
        );
    };
    let segments: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(wire::percent_decode)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    if segs == ["token"] {
        return if method == "POST" {
            token(shared, &request.body)
        } else {
            Reply::error(405, "use POST /token")
        };
    }
    let app = match authenticate(shared, request) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    let params = wire::parse_query(&request.query);
    endpoint(shared, request, &segs, &params, &app).unwrap_or_else(|r| r)
}

fn endpoint(
    shared: &Shared,
    request: &Request,
    segs: &[&str],
    params: &Map<String, Value>,
    app: &str,
) -> Result<Reply, Reply> {
    let json_body = || -> Result<Value, Reply> {
        serde_json::from_slice(&request.body)
            .map_err(|e| Reply::error(400, format!("the request body is not valid JSON: {e}")))
    };
    let written = |store: &Store, c: &str, rec: &crate::store::StoredRecord| {
        Reply::json(200, &render(shared, store, c, rec, true))
    };
    Ok(match (request.method.as_str(), segs) {
        ("GET", ["status"]) => Reply::json(200, &json!({"status": "ok", "appId": app})),
        ("GET", ["collections"]) => {
            let form = lock(&shared.control).listing_form;
            wire::listing(&lock(&shared.store), form, params)?
        }
        ("GET", ["collections", c]) => page(shared, c, params)?,
        ("GET", ["collections", c, "all"]) => all(shared, c, params)?,
        ("POST", ["collections", c]) => {
            let body = json_body()?;
            let mut store = lock(&shared.store);
            let rec = store.create(c, &body, app)?;
            persist(shared, &store)?;
            written(&store, c, &rec)
        }
        ("POST", ["collections", c, "ingest"]) => {
            let body = json_body()?;
            let mut store = lock(&shared.store);
            store.ingest(c, &body, app)?;
            persist(shared, &store)?;
            Reply::empty(200)
        }
        ("POST", ["collections", c, "bulk"]) => bulk_write(shared, c, &json_body()?, app, true)?,
        ("PATCH", ["collections", c, "bulk"]) => bulk_write(shared, c, &json_body()?, app, false)?,
        ("DELETE", ["collections", c, "bulk"]) => {
            let body = json_body()?;
            let ids = body
                .get("recordIds")
                .and_then(Value::as_array)
                .ok_or_else(|| Reply::error(400, "bulk delete takes {\"recordIds\": [...]}"))?;
            check_bulk_len(ids.len())?;
            let ids: Vec<String> = ids
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(String::from)
                        .ok_or_else(|| Reply::error(400, "recordIds must be strings"))
                })
                .collect::<Result<_, _>>()?;
            let mut store = lock(&shared.store);
            store.bulk_delete(c, &ids)?;
            persist(shared, &store)?;
            Reply::empty(200)
        }
        ("GET", ["collections", c, "ext", service, ext]) => {
            let store = lock(&shared.store);
            let id = store.find_external(c, service, ext)?;
            read_one(shared, &store, c, &id, params)?
        }
        ("PATCH", ["collections", c, "ext", service, ext]) => {
            let body = json_body()?;
            let mut store = lock(&shared.store);
            let id = store.find_external(c, service, ext)?;
            let rec = store.update(c, &id, &body, app)?;
            persist(shared, &store)?;
            written(&store, c, &rec)
        }
        ("DELETE", ["collections", c, "ext", service, ext]) => {
            let mut store = lock(&shared.store);
            let id = store.find_external(c, service, ext)?;
            store.delete(c, &id)?;
            persist(shared, &store)?;
            Reply::empty(200)
        }
        ("GET", ["collections", c, r]) => read_one(shared, &lock(&shared.store), c, r, params)?,
        ("PATCH", ["collections", c, r]) => {
            let body = json_body()?;
            let mut store = lock(&shared.store);
            let rec = store.update(c, r, &body, app)?;
            persist(shared, &store)?;
            written(&store, c, &rec)
        }
        ("DELETE", ["collections", c, r]) => {
            let mut store = lock(&shared.store);
            store.delete(c, r)?;
            persist(shared, &store)?;
            Reply::empty(200)
        }
        ("GET", ["activities", c, r]) => {
            let store = lock(&shared.store);
            let coll = store.collection(c).ok_or_else(|| {
                Reply::from(StoreError::NotFound(format!("collection {c:?} not found")))
            })?;
            let rec = coll.get(r).ok_or_else(|| {
                Reply::error(404, format!("record {r:?} not found in collection {c:?}"))
            })?;
            Reply::json(200, &Value::Array(rec.activities.clone()))
        }
        ("POST", ["activities", c, r]) => {
            let body = json_body()?;
            let mut store = lock(&shared.store);
            let entry = store.add_activity(c, r, &body, app)?;
            persist(shared, &store)?;
            Reply::json(200, &entry)
        }
        (method, ["status"] | ["collections", ..] | ["activities", ..]) => Reply::error(
            405,
            format!("method {method} is not allowed on {}", request.path),
        ),
        _ => Reply::error(404, format!("no such endpoint {}", request.path)),
    })
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn token(shared: &Shared, body: &[u8]) -> Reply {
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return Reply::error(
            400,
            "the body must be JSON: {\"appId\": \"...\", \"secret\": \"...\"}",
        );
    };
    let app_id = obj.get("appId").and_then(Value::as_str);
    let secret = obj
        .get("secret")
        .or_else(|| obj.get("appSecret"))
        .and_then(Value::as_str);
    let (Some(app_id), Some(secret)) = (app_id, secret) else {
        return Reply::error(
            400,
            "the body needs \"appId\" and \"secret\" (or \"appSecret\")",
        );
    };
    let cfg = &shared.config;
    if app_id != cfg.app_id || !constant_time_eq(secret.as_bytes(), cfg.app_secret.as_bytes()) {
        return Reply::error(
            401,
            "invalid app credentials: no app has this App ID and App Secret",
        );
    }
    let lifetime = lock(&shared.control).token_lifetime;
    let token = lock(&shared.auth).issue(app_id, lifetime, now_ms());
    Reply::json(200, &json!({ "token": token }))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authenticate(shared: &Shared, request: &Request) -> Result<String, Reply> {
    let Some(auth) = request.authorization.as_deref() else {
        return Err(Reply::error(
            401,
            "missing Authorization header; send \"Authorization: Bearer <token>\" with a token from POST /token",
        ));
    };
    let Some(token) = auth.strip_prefix("Bearer ") else {
        return Err(Reply::error(
            401,
            "the Authorization header must be \"Bearer <token>\"",
        ));
    };
    lock(&shared.auth)
        .verify(token.trim(), now_ms())
        .map_err(|r| Reply::error(401, r.message()))
}

fn persist(shared: &Shared, store: &Store) -> Result<(), Reply> {
    match &shared.config.data_file {
        None => Ok(()),
        Some(path) => crate::store::write_atomically(path, store)
            .map_err(|e| Reply::error(500, format!("could not persist the data file: {e}"))),
    }
}

fn check_bulk_len(n: usize) -> Result<(), Reply> {
    if n > MAX_PAGE {
        return Err(Reply::error(
            400,
            format!("a bulk call takes at most {MAX_PAGE} records; this one had {n}: split it"),
        ));
    }
    Ok(())
}

fn bulk_write(
    shared: &Shared,
    c: &str,
    body: &Value,
    app: &str,
    create: bool,
) -> Result<Reply, Reply> {
    let records = body
        .get("records")
        .and_then(Value::as_array)
        .ok_or_else(|| Reply::error(400, "a bulk call takes {\"records\": [...]}"))?;
    check_bulk_len(records.len())?;
    let mut store = lock(&shared.store);
    let written = if create {
        store.bulk_create(c, records, app)?
    } else {
        store.bulk_update(c, records, app)?
    };
    persist(shared, &store)?;
    let form = lock(&shared.control).bulk_response;
    Ok(match form {
        BulkResponse::Records => {
            let items: Vec<Value> = written
                .iter()
                .map(|r| render(shared, &store, c, r, true))
                .collect();
            Reply::json(200, &json!({ "records": items }))
        }
        BulkResponse::Empty => Reply::empty(200),
    })
}

fn read_one(
    shared: &Shared,
    store: &Store,
    c: &str,
    r: &str,
    params: &Map<String, Value>,
) -> Result<Reply, Reply> {
    let coll = store
        .collection(c)
        .ok_or_else(|| Reply::error(404, format!("collection {c:?} not found")))?;
    let rec = coll
        .get(r)
        .ok_or_else(|| Reply::error(404, format!("record {r:?} not found in collection {c:?}")))?;
    let include_lists = wire::bool_param(params, "includeLists")?.unwrap_or(true);
    Ok(Reply::json(
        200,
        &render(shared, store, c, rec, include_lists),
    ))
}

/// A record of collection `c` in its configured shape.
fn render(
    shared: &Shared,
    store: &Store,
    c: &str,
    rec: &crate::store::StoredRecord,
    include_lists: bool,
) -> Value {
    match store.collection(c) {
        Some(coll) => wire::render(coll, rec, include_lists, shared.config.timestamp_format),
        None => Value::Null,
    }
}

fn page(shared: &Shared, c: &str, params: &Map<String, Value>) -> Result<Reply, Reply> {
    let (index, asked) = wire::page_window(params)?;
    let size = lock(&shared.control)
        .page_cap
        .map_or(asked, |cap| asked.min(cap.max(1)));
    let after = wire::time_param(params, "updatedAfter")?;
    let include_lists = wire::bool_param(params, "includeLists")?.unwrap_or(false);
    let service = params.get("externalService").and_then(Value::as_str);
    let store = lock(&shared.store);
    let coll = store.collection(c).ok_or_else(|| {
        Reply::error(
            404,
            format!(
                "collection {c:?} not found; use a collection id or slug from GET /collections"
            ),
        )
    })?;
    let fmt = shared.config.timestamp_format;
    let selected = coll
        .records
        .iter()
        .filter(|r| after.is_none_or(|t| r.updated_at > t))
        .filter(|r| service.is_none_or(|s| r.external.contains_key(s)));
    // Count in the same pass as the page is cut, so a 100,000-record collection is
    // walked once per request.
    let mut total = 0usize;
    let mut records = Vec::with_capacity(size);
    let start = index.saturating_mul(size);
    for r in selected {
        if total >= start && records.len() < size {
            records.push(wire::render(coll, r, include_lists, fmt));
        }
        total += 1;
    }
    Ok(wire::page_envelope(records, total, index, size))
}

fn all(shared: &Shared, c: &str, params: &Map<String, Value>) -> Result<Reply, Reply> {
    let after = wire::time_param(params, "updatedAfter")?;
    let store = lock(&shared.store);
    let coll = store
        .collection(c)
        .ok_or_else(|| Reply::error(404, format!("collection {c:?} not found")))?;
    let fmt = shared.config.timestamp_format;
    let records: Vec<Value> = coll
        .records
        .iter()
        .filter(|r| after.is_none_or(|t| r.updated_at > t))
        .take(MAX_ALL)
        .map(|r| wire::render(coll, r, false, fmt))
        .collect();
    Ok(Reply::json(200, &Value::Array(records)))
}
