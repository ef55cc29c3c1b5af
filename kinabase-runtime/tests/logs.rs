//! The app secret and tokens never reach the logs, while each request is traced.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use kinabase_emulator::{Account, Emulator, EmulatorConfig};
use kinabase_runtime::Client;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn requests_are_traced_without_secrets() {
    let account = Account::load(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/accounts/field-service.json"
        )
        .as_ref(),
    )
    .unwrap();
    let emu = Emulator::start(account, EmulatorConfig::unlimited()).unwrap();
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let client = Client::builder()
            .base_url(emu.base_url())
            .app_id(emu.app_id())
            .app_secret(emu.app_secret())
            .build()
            .unwrap();
        client.status().unwrap();
        client.untyped("jobs").page(0, &Default::default()).unwrap();
        emu.revoke_tokens();
        client.untyped("nope").get("x").unwrap_err();
        let bad = Client::builder()
            .base_url(emu.base_url())
            .app_id(emu.app_id())
            .app_secret("wrong-secret-value")
            .build()
            .unwrap();
        bad.status().unwrap_err();
    });
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("kinabase_request")
            && logs.contains("status=200")
            && logs.contains("path=collections/jobs"),
        "{logs}"
    );
    assert!(
        logs.contains("status=401"),
        "the revoked token is visible as a 401: {logs}"
    );
    for secret in [emu.app_secret(), "wrong-secret-value", "eyJ", "Bearer"] {
        assert!(
            !logs.contains(secret),
            "{secret:?} leaked into the logs:\n{logs}"
        );
    }
}
