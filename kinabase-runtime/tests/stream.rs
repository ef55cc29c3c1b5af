//! `/all` read as it arrives, by the blocking iterator and the async stream alike: records
//! come before the answer is complete, a bad element names its index, a broken array ends
//! the stream with an error, the size cap applies per record.

mod support;

use std::sync::Mutex;
use std::sync::mpsc;

use futures_util::{StreamExt, TryStreamExt};
use kinabase_runtime::Error;
use support::{Hostile, Reply, answer, client, token_answer};

fn head(len: usize) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    )
}

/// A server whose `/all` answer holds its second record until `gate` is signalled.
fn gated(rx: mpsc::Receiver<()>) -> Hostile {
    let rx = Mutex::new(Some(rx));
    let first = r#"[{"id": "a", "data": {"n": 1}},"#;
    let rest = r#" {"name": "flat", "id": "b"} ]"#;
    Hostile::start(move |r| {
        if r.path().ends_with("/token") {
            return token_answer("tok-abcdef");
        }
        match rx.lock().expect("the gate lock").take() {
            Some(gate) => Reply::Gated {
                first: format!("{}{first}", head(first.len() + rest.len())).into_bytes(),
                gate,
                rest: rest.as_bytes().to_vec(),
            },
            None => Reply::Close,
        }
    })
}

#[test]
fn records_arrive_before_the_answer_is_complete() {
    let (tx, rx) = mpsc::channel();
    let server = gated(rx);
    let c = client(&server.base_url()).build().unwrap();
    let mut all = c.untyped("jobs").iter_all().unwrap();
    // The server holds the rest of the answer until the first record has been handed
    // over: a client that waited for the whole body would time out here.
    let a = all.next().unwrap().unwrap();
    assert_eq!(
        (a.id.as_str(), &a.fields["n"]),
        ("a", &serde_json::json!(1))
    );
    tx.send(()).unwrap();
    let b = all.next().unwrap().unwrap();
    assert_eq!(
        (b.id.as_str(), &b.fields["name"]),
        ("b", &serde_json::json!("flat"))
    );
    assert!(all.next().is_none());
    assert!(all.next().is_none());
}

#[test]
fn a_bad_element_names_its_index_and_ends_the_stream() {
    let server = Hostile::start(|r| {
        if r.path().ends_with("/token") {
            return token_answer("tok-abcdef");
        }
        answer(
            200,
            "",
            r#"[{"id": "a"}, {"id": "b", "data": 7}, {"id": "c"}]"#,
        )
    });
    let c = client(&server.base_url()).build().unwrap();
    let mut all = c.untyped("jobs").iter_all().unwrap();
    assert_eq!(all.next().unwrap().unwrap().id, "a");
    match all.next().unwrap().unwrap_err() {
        Error::Decode { path, .. } => assert!(path.starts_with("[1]"), "{path}"),
        e => panic!("{e}"),
    }
    assert!(all.next().is_none());
    let err = c.untyped("jobs").all().unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
}

#[test]
fn broken_arrays_are_errors_not_panics() {
    for (body, want) in [
        (r#"{"records": []}"#, "not a JSON array"),
        (r#"[{"id": "a"} {"id": "b"}]"#, "expected ',' or ']'"),
        (r#"[{"id": "a"}, {"id": "#, "ended before"),
        (r#"[{"id": "a"}"#, "ended before"),
        ("", "ended before"),
        ("[ ]", ""),
        ("[1]", "[0]"),
    ] {
        let server = serving(body);
        let c = client(&server.base_url()).build().unwrap();
        match c.untyped("jobs").all() {
            Ok(v) => assert!(want.is_empty() && v.is_empty(), "{body}"),
            Err(e) => assert!(
                !want.is_empty() && format!("{e} {e:?}").contains(want),
                "{body}: {e}"
            ),
        }
    }
}

/// A server whose every `/all` answer is `body`.
fn serving(body: &'static str) -> Hostile {
    Hostile::start(move |r| {
        if r.path().ends_with("/token") {
            return token_answer("tok-abcdef");
        }
        answer(200, "", body)
    })
}

/// Every item of the async `/all` stream, errors included.
async fn streamed(
    c: &kinabase_runtime::AsyncClient,
) -> Vec<
    kinabase_runtime::Result<kinabase_runtime::Record<serde_json::Map<String, serde_json::Value>>>,
> {
    c.untyped("jobs")
        .stream_all()
        .await
        .expect("the /all request")
        .collect()
        .await
}

#[tokio::test]
async fn async_records_arrive_before_the_answer_is_complete() {
    let (tx, rx) = mpsc::channel();
    let server = gated(rx);
    let c = client(&server.base_url()).build_async().unwrap();
    let all = c.untyped("jobs").stream_all().await.unwrap();
    let mut all = std::pin::pin!(all);
    let a = all.next().await.unwrap().unwrap();
    assert_eq!(
        (a.id.as_str(), &a.fields["n"]),
        ("a", &serde_json::json!(1))
    );
    tx.send(()).unwrap();
    assert_eq!(all.next().await.unwrap().unwrap().fields["name"], "flat");
    assert!(all.next().await.is_none());
    assert!(all.next().await.is_none());
}

#[tokio::test]
async fn async_broken_arrays_end_the_stream_with_the_cause() {
    for (body, want, before) in [
        (
            r#"[{"id": "a"}, {"id": "b", "data": 7}, {"id": "c"}]"#,
            "[1]",
            1,
        ),
        (r#"{"records": []}"#, "not a JSON array", 0),
        (r#"[{"id": "a"} {"id": "b"}]"#, "expected ',' or ']'", 1),
        (r#"[{"id": "a"}, {"id": "#, "ended before", 1),
        ("", "ended before", 0),
    ] {
        let server = serving(body);
        let c = client(&server.base_url()).build_async().unwrap();
        let items = streamed(&c).await;
        assert_eq!(
            items.len(),
            before + 1,
            "{body}: the error is the last item"
        );
        assert!(items[..before].iter().all(Result::is_ok), "{body}");
        let err = items[before].as_ref().unwrap_err();
        assert!(format!("{err} {err:?}").contains(want), "{body}: {err}");
        let err = c.untyped("jobs").all().await.unwrap_err();
        assert!(format!("{err} {err:?}").contains(want), "{body}: {err}");
    }
}

/// The size cap applies per record, not to the whole answer, in both clients: an
/// answer larger than the cap is read whole when each record is under it.
#[tokio::test]
async fn the_size_cap_applies_per_record() {
    let records: Vec<_> = (0..64)
        .map(|i| serde_json::json!({"id": format!("r{i}"), "data": {"notes": "x".repeat(900)}}))
        .collect();
    let body = serde_json::Value::from(records).to_string();
    assert!(body.len() > 48 * 1024);
    let body: &'static str = Box::leak(body.into_boxed_str());
    let server = serving(body);
    let capped = || client(&server.base_url()).max_response_bytes(4 * 1024);
    let all = capped().build_async().unwrap().untyped("jobs").all().await;
    assert_eq!(all.unwrap().len(), 64);
    let blocking = capped().build().unwrap();
    let n = tokio::task::spawn_blocking(move || blocking.untyped("jobs").all().map(|v| v.len()));
    assert_eq!(n.await.unwrap().unwrap(), 64);
    // A record over the cap is an error naming it and the setting to raise.
    let c = client(&server.base_url())
        .max_response_bytes(512)
        .build_async()
        .unwrap();
    let items = streamed(&c).await;
    assert_eq!(items.len(), 1);
    let err = items[0].as_ref().unwrap_err().to_string();
    assert!(
        err.contains("record 0") && err.contains("max_response_bytes"),
        "{err}"
    );
    let _ = c
        .untyped("jobs")
        .stream_all()
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
}
