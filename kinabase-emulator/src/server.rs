//! The HTTP side: an HTTP/1.1 server on a std `TcpListener` (requests parsed by
//! `httparse`), one thread per connection, routing, auth, faults, the rate limit and
//! the request log.
//!
//! A server crate such as tiny_http cannot drop a connection after reading a request
//! without first writing a response (it answers 500 on drop and keeps the socket), and
//! dropping a connection is exactly the fault clients must be tested against. Owning
//! the connection loop gives that control in about a hundred lines.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::auth::TokenAuthority;
use crate::store::{CollectionState, RecordShape, Store, StoreError, StoredRecord};
use crate::{
    BulkResponse, EmulatorConfig, FaultAction, FaultRule, ListingForm, LogEntry, RateLimit,
};

/// The largest request body the emulator reads (bulk calls of 300 large records fit).
const MAX_BODY: usize = 32 * 1024 * 1024;
/// The largest `/all` answer, as documented.
const MAX_ALL: usize = 100_000;
/// The largest page and bulk call, as documented.
pub(crate) const MAX_PAGE: usize = 300;
/// The request log keeps this many entries, dropping the oldest.
const LOG_CAP: usize = 200_000;

/// State shared by the workers and the [`crate::Emulator`] handle.
pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    pub(crate) control: Mutex<Control>,
    pub(crate) auth: Mutex<TokenAuthority>,
    pub(crate) log: Mutex<VecDeque<LogEntry>>,
    pub(crate) seq: AtomicU64,
    pub(crate) config: EmulatorConfig,
}

/// What tests can change while the emulator runs.
pub(crate) struct Control {
    pub(crate) faults: Vec<FaultRule>,
    pub(crate) delay: Duration,
    pub(crate) throttle_every: u64,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) window: VecDeque<Instant>,
    pub(crate) listing_form: ListingForm,
    pub(crate) bulk_response: BulkResponse,
    pub(crate) token_lifetime: Duration,
    /// Serve at most this many records a page, whatever was asked (an alternative server).
    pub(crate) page_cap: Option<usize>,
}

/// Locks a mutex, recovering from a worker that panicked while holding it: the emulator
/// keeps serving rather than cascading the panic to every test thread.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A reply before it is written.
struct Reply {
    status: u16,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, v: &Value) -> Reply {
        Reply {
            status,
            body: serde_json::to_vec(v).unwrap_or_default(),
            headers: Vec::new(),
        }
    }
    fn error(status: u16, msg: impl Into<String>) -> Reply {
        Reply::json(status, &json!({ "error": msg.into() }))
    }
    fn empty(status: u16) -> Reply {
        Reply {
            status,
            body: Vec::new(),
            headers: Vec::new(),
        }
    }
}

impl From<StoreError> for Reply {
    fn from(e: StoreError) -> Reply {
        match e {
            StoreError::Invalid(m) => Reply::error(400, m),
            StoreError::NotFound(m) => Reply::error(404, m),
        }
    }
}

/// A parsed HTTP request.
pub(crate) struct HttpRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// The client asked to close the connection after this exchange.
    close: bool,
}

impl HttpRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Accepts connections until `stop` is set, one thread per connection.
pub(crate) fn accept_loop(listener: TcpListener, shared: Arc<Shared>, stop: Arc<AtomicBool>) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(&shared);
        let stop = Arc::clone(&stop);
        let _ = std::thread::Builder::new()
            .name("kinabase-emulator-conn".into())
            .spawn(move || connection(stream, &shared, &stop));
    }
}

/// Serves one keep-alive connection.
fn connection(stream: TcpStream, shared: &Shared, stop: &AtomicBool) {
    let _ = stream.set_nodelay(true);
    // Idle connections wake up now and then to notice that the emulator stopped.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut writer = std::io::BufWriter::new(write_half);
    let mut reader = BufReader::new(stream);
    loop {
        let request = match read_request(&mut reader, stop) {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(reply) => {
                let _ = write_reply(&mut writer, reply, true);
                return;
            }
        };
        let close = request.close;
        match handle(request, shared) {
            Some(reply) => {
                if write_reply(&mut writer, reply, close).is_err() || close {
                    return;
                }
            }
            None => {
                // The injected drop: the request was read, no byte of a reply is sent.
                let _ = reader.get_ref().shutdown(Shutdown::Both);
                return;
            }
        }
    }
}

/// A read that timed out only because the connection was idle: keep waiting.
fn is_idle(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// Reads one request. `Ok(None)` when the client closed the connection or the emulator
/// stopped; `Err` with a reply for a request that cannot be parsed.
fn read_request(
    reader: &mut BufReader<TcpStream>,
    stop: &AtomicBool,
) -> Result<Option<HttpRequest>, Reply> {
    let mut head = Vec::new();
    loop {
        if stop.load(Ordering::SeqCst) {
            return Ok(None);
        }
        match reader.read_until(b'\n', &mut head) {
            Ok(0) => return Ok(None),
            Ok(_) => {
                if head.ends_with(b"\r\n\r\n") || head == b"\r\n" {
                    if head == b"\r\n" {
                        head.clear();
                        continue;
                    }
                    break;
                }
                if head.len() > 64 * 1024 {
                    return Err(Reply::error(431, "request head too large"));
                }
            }
            Err(e) if is_idle(&e) => continue,
            Err(_) => return Ok(None),
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(Reply::error(400, "malformed HTTP request")),
    }
    let method = parsed.method.unwrap_or("GET").to_string();
    let target = parsed.path.unwrap_or("/").to_string();
    let http10 = parsed.version == Some(0);
    let headers: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let mut request = HttpRequest {
        method,
        target,
        headers,
        body: Vec::new(),
        close: http10,
    };
    if let Some(c) = request.header("connection") {
        request.close = c.eq_ignore_ascii_case("close");
    }
    if request
        .header("transfer-encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
    {
        return Err(Reply::error(
            411,
            "chunked request bodies are not supported; send Content-Length",
        ));
    }
    let len: usize = match request.header("content-length") {
        None => 0,
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| Reply::error(400, "bad Content-Length"))?,
    };
    if len > MAX_BODY {
        return Err(Reply::error(413, "request body too large"));
    }
    request.body = vec![0; len];
    let mut read = 0;
    while read < len {
        match reader.read(&mut request.body[read..]) {
            Ok(0) => return Ok(None),
            Ok(n) => read += n,
            Err(e) if is_idle(&e) => continue,
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(request))
}

fn write_reply(w: &mut impl Write, reply: Reply, close: bool) -> std::io::Result<()> {
    write!(w, "HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status))?;
    write!(
        w,
        "Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n",
        reply.body.len()
    )?;
    for (k, v) in &reply.headers {
        write!(w, "{k}: {v}\r\n")?;
    }
    if close {
        w.write_all(b"Connection: close\r\n")?;
    }
    w.write_all(b"\r\n")?;
    w.write_all(&reply.body)?;
    w.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Handles one request; `None` means drop the connection without replying.
fn handle(request: HttpRequest, shared: &Shared) -> Option<Reply> {
    let started = Instant::now();
    let method = request.method.clone();
    let (path, query) = match request.target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (request.target.clone(), String::new()),
    };
    let seq = shared.seq.fetch_add(1, Ordering::SeqCst) + 1;

    let (delay, fault) = {
        let mut c = lock(&shared.control);
        let fault = take_fault(&mut c.faults, &method, &path);
        (c.delay, fault)
    };
    if !delay.is_zero() {
        std::thread::sleep(delay);
    }

    let reply = match fault {
        Some(FaultAction::Drop) => {
            log(shared, &method, &path, &query, 0, started);
            return None;
        }
        Some(FaultAction::Fail(status)) => {
            Reply::error(status, format!("injected fault: status {status}"))
        }
        None => limit(shared, seq)
            .unwrap_or_else(|| route(shared, &method, &path, &query, &request.body, &request)),
    };
    log(shared, &method, &path, &query, reply.status, started);
    Some(reply)
}

fn take_fault(faults: &mut Vec<FaultRule>, method: &str, path: &str) -> Option<FaultAction> {
    let i = faults.iter().position(|f| f.matches(method, path))?;
    let f = &mut faults[i];
    f.remaining -= 1;
    let action = f.action;
    if f.remaining == 0 {
        faults.remove(i);
    }
    Some(action)
}

/// The rate limit and the every-Nth-request throttle. Returns a `429` when over.
fn limit(shared: &Shared, seq: u64) -> Option<Reply> {
    let mut c = lock(&shared.control);
    if c.throttle_every > 0 && seq.is_multiple_of(c.throttle_every) {
        let mut r = Reply::error(429, "rate limit exceeded (injected); retry after 1 second");
        r.headers.push(("Retry-After", "1".into()));
        return Some(r);
    }
    let limit = c.rate_limit?;
    let now = Instant::now();
    while c
        .window
        .front()
        .is_some_and(|t| now.duration_since(*t) >= limit.per)
    {
        c.window.pop_front();
    }
    if c.window.len() >= limit.requests as usize {
        let oldest = *c.window.front()?;
        let wait = limit.per.saturating_sub(now.duration_since(oldest));
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut r = Reply::error(
            429,
            format!(
                "rate limit of {} requests per {:?} exceeded; retry after {secs} second(s)",
                limit.requests, limit.per
            ),
        );
        r.headers.push(("Retry-After", secs.max(1).to_string()));
        return Some(r);
    }
    c.window.push_back(now);
    None
}

fn log(shared: &Shared, method: &str, path: &str, query: &str, status: u16, started: Instant) {
    let mut log = lock(&shared.log);
    if log.len() >= LOG_CAP {
        log.pop_front();
    }
    log.push_back(LogEntry {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        status,
        elapsed: started.elapsed(),
    });
}

fn route(
    shared: &Shared,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
    request: &HttpRequest,
) -> Reply {
    let Some(rest) = path.strip_prefix("/api/v1/") else {
        return Reply::error(
            404,
            format!("no such endpoint {path}; the API lives under /api/v1/"),
        );
    };
    let segments: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    if segs == ["token"] {
        return if method == "POST" {
            token(shared, body)
        } else {
            Reply::error(405, "use POST /token")
        };
    }
    let app = match authenticate(shared, request) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    let params = parse_query(query);
    let json_body = || -> Result<Value, Reply> {
        serde_json::from_slice(body)
            .map_err(|e| Reply::error(400, format!("the request body is not valid JSON: {e}")))
    };
    let result: Result<Reply, Reply> = (|| {
        Ok(match (method, segs.as_slice()) {
            ("GET", ["status"]) => Reply::json(200, &json!({"status": "ok", "appId": app})),
            ("GET", ["collections"]) => list_collections(shared, &params)?,
            ("GET", ["collections", c]) => page(shared, c, &params)?,
            ("GET", ["collections", c, "all"]) => all(shared, c, &params)?,
            ("POST", ["collections", c]) => {
                let body = json_body()?;
                let mut store = lock(&shared.store);
                let rec = store.create(c, &body, &app)?;
                persist(shared, &store)?;
                Reply::json(200, &render(shared, &store, c, &rec, true))
            }
            ("POST", ["collections", c, "ingest"]) => {
                let body = json_body()?;
                let mut store = lock(&shared.store);
                store.ingest(c, &body, &app)?;
                persist(shared, &store)?;
                Reply::empty(200)
            }
            ("POST", ["collections", c, "bulk"]) => {
                bulk_write(shared, c, &json_body()?, &app, true)?
            }
            ("PATCH", ["collections", c, "bulk"]) => {
                bulk_write(shared, c, &json_body()?, &app, false)?
            }
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
                read_one(shared, &store, c, &id, &params)?
            }
            ("PATCH", ["collections", c, "ext", service, ext]) => {
                let body = json_body()?;
                let mut store = lock(&shared.store);
                let id = store.find_external(c, service, ext)?;
                let rec = store.update(c, &id, &body, &app)?;
                persist(shared, &store)?;
                Reply::json(200, &render(shared, &store, c, &rec, true))
            }
            ("DELETE", ["collections", c, "ext", service, ext]) => {
                let mut store = lock(&shared.store);
                let id = store.find_external(c, service, ext)?;
                store.delete(c, &id)?;
                persist(shared, &store)?;
                Reply::empty(200)
            }
            ("GET", ["collections", c, r]) => {
                read_one(shared, &lock(&shared.store), c, r, &params)?
            }
            ("PATCH", ["collections", c, r]) => {
                let body = json_body()?;
                let mut store = lock(&shared.store);
                let rec = store.update(c, r, &body, &app)?;
                persist(shared, &store)?;
                Reply::json(200, &render(shared, &store, c, &rec, true))
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
                let entry = store.add_activity(c, r, &body, &app)?;
                persist(shared, &store)?;
                Reply::json(200, &entry)
            }
            (_, ["status"] | ["collections", ..] | ["activities", ..]) => {
                Reply::error(405, format!("method {method} is not allowed on {path}"))
            }
            _ => Reply::error(404, format!("no such endpoint {path}")),
        })
    })();
    result.unwrap_or_else(|r| r)
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
            "invalid app credentials; check the App ID and App Secret in Settings → API",
        );
    }
    let lifetime = lock(&shared.control).token_lifetime;
    let token = lock(&shared.auth).issue(app_id, lifetime, now_ms());
    Reply::json(200, &json!({ "token": token }))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authenticate(shared: &Shared, request: &HttpRequest) -> Result<String, Reply> {
    let auth = request.header("authorization");
    let Some(auth) = auth else {
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
        Some(path) => crate::write_atomically(path, store)
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
    let include_lists = bool_param(params, "includeLists")?.unwrap_or(true);
    Ok(Reply::json(
        200,
        &render(shared, store, c, rec, include_lists),
    ))
}

/// A record in the collection's configured shape.
fn render(
    shared: &Shared,
    store: &Store,
    c: &str,
    rec: &StoredRecord,
    include_lists: bool,
) -> Value {
    let Some(coll) = store.collection(c) else {
        return Value::Null;
    };
    render_in(coll, rec, include_lists, shared.config.timestamp_format)
}

fn render_in(
    coll: &CollectionState,
    rec: &StoredRecord,
    include_lists: bool,
    fmt: crate::store::TimestampFormat,
) -> Value {
    let mut data = Map::new();
    for (k, v) in &rec.data {
        if !include_lists && coll.field(k).is_some_and(|f| f.ty == "list") {
            continue;
        }
        data.insert(k.clone(), v.clone());
    }
    let created = crate::time::format_timestamp(rec.created_at, fmt);
    let updated = crate::time::format_timestamp(rec.updated_at, fmt);
    let external = if rec.external.is_empty() {
        Value::Null
    } else {
        Value::Object(
            rec.external
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    };
    match coll.shape {
        RecordShape::Nested => json!({
            "id": rec.id,
            "numericId": rec.numeric_id,
            "data": data,
            "external": external,
            "createdAt": created,
            "updatedAt": updated,
            "updatedBy": rec.updated_by,
        }),
        RecordShape::Flat => {
            let mut obj = data;
            obj.insert("id".into(), json!(rec.id));
            obj.insert("recordId".into(), json!(rec.numeric_id));
            obj.insert("createdAt".into(), json!(created));
            obj.insert("updatedAt".into(), json!(updated));
            obj.insert("updatedBy".into(), json!(rec.updated_by));
            Value::Object(obj)
        }
    }
}

fn page(shared: &Shared, c: &str, params: &Map<String, Value>) -> Result<Reply, Reply> {
    let (index, asked) = page_window(params)?;
    let size = lock(&shared.control)
        .page_cap
        .map_or(asked, |cap| asked.min(cap.max(1)));
    let after = time_param(params, "updatedAfter")?;
    let include_lists = bool_param(params, "includeLists")?.unwrap_or(false);
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
            records.push(render_in(coll, r, include_lists, fmt));
        }
        total += 1;
    }
    Ok(Reply::json(
        200,
        &json!({ "records": records, "totalRecords": total, "pageIndex": index, "pageSize": size }),
    ))
}

fn all(shared: &Shared, c: &str, params: &Map<String, Value>) -> Result<Reply, Reply> {
    let after = time_param(params, "updatedAfter")?;
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
        .map(|r| render_in(coll, r, false, fmt))
        .collect();
    Ok(Reply::json(200, &Value::Array(records)))
}

fn list_collections(shared: &Shared, params: &Map<String, Value>) -> Result<Reply, Reply> {
    let form = lock(&shared.control).listing_form;
    let store = lock(&shared.store);
    let items: Vec<Value> = store
        .collections
        .iter()
        .map(|c| {
            let mut obj = json!({ "id": c.def.id, "name": c.def.name, "slug": c.def.slug });
            if let Some(d) = &c.def.description {
                obj["description"] = json!(d);
            }
            if !c.hide_fields {
                obj["fields"] = serde_json::to_value(&c.def.fields).unwrap_or(Value::Null);
            }
            obj
        })
        .collect();
    Ok(match form {
        ListingForm::BareArray => Reply::json(200, &Value::Array(items)),
        ListingForm::Wrapped => Reply::json(200, &json!({ "collections": items })),
        ListingForm::Paged => {
            let (index, size) = page_window(params)?;
            let total = items.len();
            let page: Vec<Value> = items
                .into_iter()
                .skip(index.saturating_mul(size))
                .take(size)
                .collect();
            Reply::json(
                200,
                &json!({ "records": page, "totalRecords": total, "pageIndex": index, "pageSize": size }),
            )
        }
    })
}

fn parse_query(query: &str) -> Map<String, Value> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), Value::String(percent_decode(v)))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `pageIndex` (from 0, default 0) and `pageSize` (1..=300, default 10), as documented.
fn page_window(params: &Map<String, Value>) -> Result<(usize, usize), Reply> {
    let index = usize_param(params, "pageIndex")?.unwrap_or(0);
    let size = usize_param(params, "pageSize")?.unwrap_or(10);
    if size == 0 || size > MAX_PAGE {
        return Err(Reply::error(
            400,
            format!("pageSize must be between 1 and {MAX_PAGE}; got {size}"),
        ));
    }
    Ok((index, size))
}

fn usize_param(params: &Map<String, Value>, key: &str) -> Result<Option<usize>, Reply> {
    match params.get(key).and_then(Value::as_str) {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse::<usize>()
            .map(Some)
            .map_err(|_| Reply::error(400, format!("{key} must be a whole number ≥ 0; got {s:?}"))),
    }
}

fn bool_param(params: &Map<String, Value>, key: &str) -> Result<Option<bool>, Reply> {
    match params.get(key).and_then(Value::as_str) {
        None | Some("") => Ok(None),
        Some(s) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(s) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(s) => Err(Reply::error(
            400,
            format!("{key} must be true or false; got {s:?}"),
        )),
    }
}

fn time_param(params: &Map<String, Value>, key: &str) -> Result<Option<jiff::Timestamp>, Reply> {
    match params.get(key).and_then(Value::as_str) {
        None | Some("") => Ok(None),
        Some(s) => crate::time::parse_timestamp(s).map(Some).ok_or_else(|| {
            Reply::error(
                400,
                format!(
                    "{key} must be an ISO 8601 date-time or dd/MM/yyyy HH:mm:ss +hh:mm; got {s:?}"
                ),
            )
        }),
    }
}
