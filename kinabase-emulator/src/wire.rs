//! Wire forms: a request and a reply as the routes see them, records in either shape,
//! the collections listing in each form, page envelopes and query parameters.

use kinabase_contract::{FieldType, limits};
use serde_json::{Map, Value, json};

use crate::config::{ListingForm, MAX_PAGE};
use crate::store::{CollectionState, RecordShape, Store, StoreError, StoredRecord};
use crate::time::TimestampFormat;

/// A request whose body has been read (and bounded) by the HTTP layer.
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) authorization: Option<String>,
    pub(crate) body: bytes::Bytes,
}

/// A reply before it is written.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(crate) fn json(status: u16, v: &Value) -> Reply {
        Reply {
            status,
            body: serde_json::to_vec(v).unwrap_or_default(),
            headers: Vec::new(),
        }
    }

    pub(crate) fn error(status: u16, msg: impl Into<String>) -> Reply {
        Reply::json(status, &json!({ "error": msg.into() }))
    }

    pub(crate) fn empty(status: u16) -> Reply {
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

/// A record in its collection's configured shape.
pub(crate) fn render(
    coll: &CollectionState,
    rec: &StoredRecord,
    include_lists: bool,
    fmt: TimestampFormat,
) -> Value {
    let mut data = Map::new();
    for (k, v) in &rec.data {
        if !include_lists && coll.field(k).is_some_and(|f| f.ty == FieldType::List) {
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

/// `GET /collections` in the configured form.
pub(crate) fn listing(
    store: &Store,
    form: ListingForm,
    params: &Map<String, Value>,
) -> Result<Reply, Reply> {
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
            page_envelope(page, total, index, size)
        }
    })
}

/// The documented page envelope.
pub(crate) fn page_envelope(records: Vec<Value>, total: usize, index: usize, size: usize) -> Reply {
    Reply::json(
        200,
        &json!({ "records": records, "totalRecords": total, "pageIndex": index, "pageSize": size }),
    )
}

/// Query parameters, percent-decoded.
pub(crate) fn parse_query(query: &str) -> Map<String, Value> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), Value::String(percent_decode(v)))
        })
        .collect()
}

/// Decodes `%XX` escapes and `+`; invalid escapes stay as they are.
pub(crate) fn percent_decode(s: &str) -> String {
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
pub(crate) fn page_window(params: &Map<String, Value>) -> Result<(usize, usize), Reply> {
    let index = usize_param(params, "pageIndex")?.unwrap_or(0);
    let size = usize_param(params, "pageSize")?.unwrap_or(limits::DEFAULT_PAGE_SIZE as usize);
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

/// A `true`/`false` parameter.
pub(crate) fn bool_param(params: &Map<String, Value>, key: &str) -> Result<Option<bool>, Reply> {
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

/// A timestamp parameter in either documented form.
pub(crate) fn time_param(
    params: &Map<String, Value>,
    key: &str,
) -> Result<Option<jiff::Timestamp>, Reply> {
    match params.get(key).and_then(Value::as_str) {
        None | Some("") => Ok(None),
        Some(s) => kinabase_contract::time::parse_timestamp(s).map(Some).ok_or_else(|| {
            Reply::error(
                400,
                format!(
                    "{key} must be an ISO 8601 date-time or dd/MM/yyyy HH:mm:ss +hh:mm; got {s:?}"
                ),
            )
        }),
    }
}
