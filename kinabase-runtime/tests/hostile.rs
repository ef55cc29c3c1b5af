//! The runtime against hostile loopback servers: redirects, absurd numbers, slow and huge
//! bodies, endless pages, dot segments, bad tokens, echoed secrets, proxies, odd totals.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use kinabase_runtime::{Error, ListOptions};
use support::{Hostile, Reply, answer, client, token_answer};

const SECRET: &str = "app-secret-value-123";

fn jwt(claims: &str) -> String {
    let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!("eyJhbGciOiJIUzI1NiJ9.{}.sig", b.encode(claims))
}

/// A server that issues `tok` and answers data requests with `data`.
fn serving(data: impl Fn(&support::Request) -> Reply + Send + Sync + 'static) -> Hostile {
    Hostile::start(move |r| {
        if r.path().ends_with("/token") {
            token_answer("tok-abcdef")
        } else {
            data(r)
        }
    })
}

#[test]
fn redirects_never_carry_the_secret_or_reads_to_another_host() {
    let thief = Hostile::start(|_| answer(200, "", r#"{"token": "stolen", "records": []}"#));
    let to_thief = format!("http://127.0.0.1:{}/steal", thief.port);
    let token_redirect = {
        let loc = to_thief.clone();
        Hostile::start(move |_| answer(307, &format!("Location: {loc}\r\n"), ""))
    };
    let err = client(&token_redirect.base_url())
        .build()
        .unwrap()
        .status()
        .unwrap_err();
    assert!(
        matches!(err, Error::BadCredentials { .. } | Error::Status { .. }),
        "{err}"
    );
    assert!(!err.to_string().contains(SECRET));

    let read_redirect = {
        let loc = to_thief.clone();
        serving(move |_| answer(302, &format!("Location: {loc}\r\n"), ""))
    };
    let err = client(&read_redirect.base_url())
        .build()
        .unwrap()
        .untyped("jobs")
        .get("r1")
        .unwrap_err();
    assert_eq!(err.status(), Some(302), "{err}");
    assert!(err.to_string().contains("redirect"), "{err}");
    assert_eq!(thief.requests().len(), 0, "nothing reached the other host");
}

#[test]
fn absurd_retry_after_and_token_lifetimes_do_not_panic() {
    let throttled = serving(|_| answer(429, "Retry-After: 1e20\r\n", "{}"));
    let err = client(&throttled.base_url())
        .build()
        .unwrap()
        .status()
        .unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { attempts: 2, .. }),
        "{err}"
    );

    for exp in ["1e30", "1e19", "-1e30", "18446744073709551615"] {
        let token = jwt(&format!("{{\"exp\": {exp}, \"iat\": 0}}"));
        let server = Hostile::start(move |r| {
            if r.path().ends_with("/token") {
                token_answer(&token)
            } else {
                answer(200, "", "{}")
            }
        });
        let c = client(&server.base_url()).build().unwrap();
        c.status().unwrap();
        c.status().unwrap();
        assert!(server.count("POST", "/token") >= 1, "{exp}");
    }
}

#[test]
fn many_threads_cause_one_slow_token_request() {
    let tokens = Arc::new(AtomicUsize::new(0));
    let server = {
        let tokens = tokens.clone();
        Hostile::start(move |r| {
            if r.path().ends_with("/token") {
                tokens.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(400));
                token_answer("tok-slow")
            } else {
                answer(200, "", "{}")
            }
        })
    };
    let c = client(&server.base_url()).build().unwrap();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || c.status())
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    assert_eq!(tokens.load(Ordering::SeqCst), 1);
    assert_eq!(c.stats().token_requests, 1);
}

/// An answer over the size cap is its own error: not a network error, not retryable, with
/// the setting to raise; "may have been applied" only for a write (the server answered).
/// A whole `200` answer over a 1024-byte cap.
fn assert_answer_too_large(err: &Error) {
    assert!(
        matches!(
            err,
            Error::TooLarge {
                status: 200,
                limit: 1024,
                record: None,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn an_answer_over_the_cap_says_so_and_names_the_setting() {
    let big = format!(
        "{{\"id\": \"a\", \"data\": {{\"n\": \"{}\"}}}}",
        "x".repeat(4096)
    );
    let big: &'static str = Box::leak(big.into_boxed_str());
    let server = serving(move |_| answer(200, "", big));
    let c = client(&server.base_url())
        .max_response_bytes(1024)
        .build()
        .unwrap();
    let read = c.untyped("jobs").get("a").unwrap_err();
    let write = c.untyped("jobs").delete("a").unwrap_err();
    for (err, write) in [(&read, false), (&write, true)] {
        assert_answer_too_large(err);
        let text = err.to_string();
        assert!(text.contains("the answer is larger than the 1024-byte limit; raise ClientBuilder::max_response_bytes"), "{text}");
        assert!(
            !text.contains("network") && !text.contains("connection"),
            "{text}"
        );
        assert_eq!(err.may_have_been_applied(), write, "{text}");
        assert!(!err.is_retryable());
        assert_eq!(err.status(), Some(200));
    }
    // A page over the cap also says that smaller pages help; other answers do not.
    let err = c
        .untyped("jobs")
        .page(0, &kinabase_runtime::ListOptions::default())
        .unwrap_err();
    assert!(matches!(err, Error::TooLarge { page: true, .. }), "{err:?}");
    assert!(err.to_string().contains("ListOptions::page_size"), "{err}");
    assert!(!read.to_string().contains("page_size"), "{read}");
    // Other answers over the cap keep their first bytes and their meaning: a 404 stays a
    // 404 (a write it answered was not applied), a 503 is still retried.
    let pad = "x".repeat(4096);
    let refusals = serving(move |r| {
        let status = if r.path().ends_with("/gone") {
            404
        } else {
            503
        };
        answer(
            status,
            "",
            &format!("{{\"message\": \"no such record\", \"pad\": \"{pad}\"}}"),
        )
    });
    let c = client(&refusals.base_url())
        .max_response_bytes(1024)
        .build()
        .unwrap();
    let err = c.untyped("jobs").delete("gone").unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(!err.may_have_been_applied(), "{err}");
    let err = c.untyped("jobs").get("busy").unwrap_err();
    assert!(
        matches!(err, Error::Server { status: 503, attempts, .. } if attempts > 1),
        "{err:?}"
    );
    // Even the token answer: not "may have been applied" (a token changes no data).
    let token = serving(|_| answer(200, "", &format!("{{\"token\": \"{}\"}}", "t".repeat(4096))));
    let c = client(&token.base_url())
        .max_response_bytes(1024)
        .build()
        .unwrap();
    let err = c.status().unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLarge {
                may_have_been_applied: false,
                ..
            }
        ),
        "{err:?}"
    );
}

/// The async client reads answers to the same cap with the same meaning.
#[tokio::test]
async fn the_async_client_caps_answers_alike() {
    let big = "x".repeat(4096);
    let server = serving(move |r| {
        let status = if r.path().ends_with("/gone") {
            404
        } else {
            200
        };
        answer(status, "", &format!("{{\"message\": \"{big}\"}}"))
    });
    let c = client(&server.base_url())
        .max_response_bytes(1024)
        .build_async()
        .unwrap();
    let err = c.untyped("jobs").get("a").await.unwrap_err();
    assert_answer_too_large(&err);
    let err = c.untyped("jobs").delete("gone").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[test]
fn huge_bodies_are_capped_and_slow_bodies_meet_the_deadline() {
    let declared = serving(|_| {
        Reply::Raw(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2000000000\r\nConnection: close\r\n\r\n[".to_vec(),
        )
    });
    let c = client(&declared.base_url())
        .max_response_bytes(1024 * 1024)
        .build()
        .unwrap();
    // `/all` is read as it arrives: a huge declared length alone holds no memory; the
    // body ends early, which is an error of its own.
    let err = c.untyped("jobs").all().unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    let big = 2 * 1024 * 1024;
    let one_huge_record = serving(move |_| {
        answer(
            200,
            "",
            &format!("[{{\"id\": \"a\"}}, {{\"id\": \"{}\"}}]", "x".repeat(big)),
        )
    });
    let c = client(&one_huge_record.base_url())
        .max_response_bytes(1024 * 1024)
        .build()
        .unwrap();
    let mut records = c.untyped("jobs").iter_all().unwrap();
    assert_eq!(records.next().unwrap().unwrap().id, "a");
    let err = records.next().unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLarge {
                limit: 1048576,
                record: Some(1),
                status: 200,
                may_have_been_applied: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("record 1 of the answer"), "{err}");
    assert!(records.next().is_none(), "an error ends the stream");

    let chunked = serving(|_| {
        let mut raw =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
        raw.extend_from_slice(b"9\r\n[{\"id\": \"\r\n");
        for _ in 0..40 {
            raw.extend_from_slice(format!("{:x}\r\n", 64 * 1024).as_bytes());
            raw.extend(std::iter::repeat_n(b'x', 64 * 1024));
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"0\r\n\r\n");
        Reply::Raw(raw)
    });
    let c = client(&chunked.base_url())
        .max_response_bytes(1024 * 1024)
        .build()
        .unwrap();
    let err = c.untyped("jobs").all().unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLarge {
                record: Some(0),
                ..
            }
        ),
        "{err:?}"
    );

    let slow = serving(|_| Reply::Dribble {
        head: b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n".to_vec(),
        every: Duration::from_millis(100),
        for_at_most: Duration::from_secs(60),
    });
    let c = client(&slow.base_url())
        .timeout(Duration::from_secs(1))
        .retry(kinabase_runtime::RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        })
        .build()
        .unwrap();
    let started = Instant::now();
    let err = c.untyped("jobs").all().unwrap_err();
    // Without a deadline over the body this read would take the whole minute.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(err, Error::Transport { .. }), "{err}");
}

#[test]
fn endless_pages_stop_at_the_bound() {
    let record = |i: usize| serde_json::json!({"id": format!("r{i}"), "data": {}});
    let endless = serving(move |r| {
        let records: Vec<_> = (0..300).map(record).collect();
        if r.path().ends_with("/collections") {
            answer(
                200,
                "",
                &serde_json::json!({"records": [{"id": "c"}], "totalRecords": 1_000_000_000u64})
                    .to_string(),
            )
        } else {
            answer(
                200,
                "",
                &serde_json::json!({ "records": records }).to_string(),
            )
        }
    });
    let c = client(&endless.base_url()).max_pages(5).build().unwrap();
    let err = c.list_collections().unwrap_err();
    assert!(err.to_string().contains("within 5 pages"), "{err}");
    let results: Vec<_> = c.untyped("jobs").iter().collect();
    assert_eq!(results.len(), 5 * 300 + 1);
    let err = results.last().unwrap().as_ref().unwrap_err();
    assert!(err.to_string().contains("within 5 pages"), "{err}");
}

#[test]
fn dot_segments_and_reserved_characters_never_change_the_path() {
    let server = serving(|_| answer(200, "", r#"{"id": "x", "data": {}}"#));
    let c = client(&server.base_url()).build().unwrap();
    for (collection, id) in [("jobs", "."), ("jobs", ".."), ("..", "token"), ("jobs", "")] {
        let err = c.untyped(collection).delete(id).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err}");
    }
    assert!(c.untyped("jobs").get_external("..", "x").is_err());
    assert_eq!(
        server.count("DELETE", ""),
        0,
        "nothing was deleted anywhere"
    );
    c.untyped("jobs").get("a/b?c#d .").unwrap();
    let paths: Vec<_> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert!(
        paths.contains(&"/api/v1/collections/jobs/a%2Fb%3Fc%23d%20.".to_string()),
        "{paths:?}"
    );
}

#[test]
fn bad_tokens_are_refused_and_echoed_secrets_redacted() {
    let server = Hostile::start(|r| {
        if r.path().ends_with("/token") {
            token_answer("abc\r\nX-Injected: 1")
        } else {
            answer(200, "", "{}")
        }
    });
    let c = client(&server.base_url()).build().unwrap();
    assert!(c.status().is_err());
    assert!(c.status().is_err());
    assert_eq!(
        server.count("POST", "/token"),
        2,
        "a bad token is not cached"
    );
    assert_eq!(server.count("GET", "/status"), 0);

    let echo = serving(|r| {
        let auth = r.header("authorization").unwrap_or_default().to_string();
        answer(
            400,
            "",
            &serde_json::json!({"error": format!("you sent {auth} and {SECRET}")}).to_string(),
        )
    });
    let err = client(&echo.base_url())
        .build()
        .unwrap()
        .status()
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains("tok-abcdef") && !shown.contains(SECRET),
        "{shown}"
    );
    assert!(shown.contains("[redacted]"), "{shown}");
}

#[test]
fn odd_totals_are_read_liberally() {
    for total in ["-5", "\"600\"", "600.0", "\"x\"", "1e300", "null"] {
        let server = serving(move |r| {
            let index: usize = r
                .target
                .split("pageIndex=")
                .nth(1)
                .and_then(|s| s.split('&').next())
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let records: Vec<_> = (0..if index < 2 { 300 } else { 0 })
                .map(|i| serde_json::json!({"id": format!("{index}-{i}"), "data": {}}))
                .collect();
            answer(
                200,
                "",
                &format!(
                    r#"{{"records": {}, "totalRecords": {total}}}"#,
                    serde_json::to_string(&records).unwrap()
                ),
            )
        });
        let c = client(&server.base_url()).build().unwrap();
        let read: Vec<_> = c
            .untyped("jobs")
            .iter_with(ListOptions::default())
            .collect();
        assert!(
            read.iter().all(Result::is_ok),
            "{total}: {:?}",
            read.iter().find(|r| r.is_err())
        );
        assert_eq!(read.len(), 600, "{total}");
    }
}

/// Runs only as a child of `loopback_calls_bypass_proxies`, with proxy variables set.
#[test]
#[ignore = "run by loopback_calls_bypass_proxies"]
fn proxy_child() {
    let Ok(base) = std::env::var("KB_TEST_BASE") else {
        return;
    };
    client(&base).build().unwrap().status().unwrap();
}

#[test]
fn loopback_calls_bypass_proxies() {
    let proxy = Hostile::start(|_| answer(502, "", "{}"));
    let server = serving(|_| answer(200, "", "{}"));
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port);
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "proxy_child", "--ignored", "--nocapture"])
        .env("KB_TEST_BASE", server.base_url())
        .env("HTTP_PROXY", &proxy_url)
        .env("http_proxy", &proxy_url)
        .env("ALL_PROXY", &proxy_url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(proxy.requests().len(), 0, "the proxy saw nothing");
    assert_eq!(server.count("GET", "/status"), 1);
}

#[test]
fn long_429_waits_are_reported() {
    let first = Arc::new(AtomicUsize::new(0));
    let server = {
        let first = first.clone();
        serving(move |_| {
            if first.fetch_add(1, Ordering::SeqCst) == 0 {
                answer(429, "Retry-After: 1\r\n", "{}")
            } else {
                answer(200, "", "{}")
            }
        })
    };
    let waits = Arc::new(std::sync::Mutex::new(Vec::new()));
    let c = {
        let waits = waits.clone();
        client(&server.base_url())
            .retry(kinabase_runtime::RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_secs(2),
            })
            .on_wait(move |w| waits.lock().unwrap().push(w.clone()))
            .build()
            .unwrap()
    };
    c.status().unwrap();
    let waits = waits.lock().unwrap().clone();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert_eq!(waits[0].reason, kinabase_runtime::WaitReason::RateLimited);
    assert_eq!(waits[0].duration, Duration::from_secs(1));
    assert_eq!(waits[0].attempted, "GET /status");
}

#[test]
fn the_blocking_client_works_inside_an_async_runtime() {
    let server = serving(|_| answer(200, "", "{}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let base = server.base_url();
    // reqwest's blocking client panics here ("Cannot drop a runtime in a context where
    // blocking is not allowed"); the runtime moves such calls to a helper thread.
    let outcome = rt.block_on(async move {
        let c = client(&base).build()?;
        c.status()?;
        c.untyped("jobs").all().map(|_| ()).or_else(|e| match e {
            Error::Decode { .. } => Ok(()),
            other => Err(other),
        })
    });
    outcome.unwrap();
}
