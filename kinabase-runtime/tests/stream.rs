//! `/all` read as it arrives: records come before the answer is complete, a bad element
//! names its index, a broken array ends the stream with an error.

mod support;

use std::sync::Mutex;
use std::sync::mpsc;

use kinabase_runtime::Error;
use support::{Hostile, Reply, answer, client, token_answer};

fn head(len: usize) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    )
}

#[test]
fn records_arrive_before_the_answer_is_complete() {
    let (tx, rx) = mpsc::channel();
    let rx = Mutex::new(Some(rx));
    let first = r#"[{"id": "a", "data": {"n": 1}},"#;
    let rest = r#" {"name": "flat", "id": "b"} ]"#;
    let server = Hostile::start(move |r| {
        if r.path().ends_with("/token") {
            return token_answer("tok-abcdef");
        }
        match rx.lock().unwrap().take() {
            Some(gate) => Reply::Gated {
                first: format!("{}{first}", head(first.len() + rest.len())).into_bytes(),
                gate,
                rest: rest.as_bytes().to_vec(),
            },
            None => Reply::Close,
        }
    });
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
        let server = Hostile::start(move |r| {
            if r.path().ends_with("/token") {
                return token_answer("tok-abcdef");
            }
            answer(200, "", body)
        });
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
