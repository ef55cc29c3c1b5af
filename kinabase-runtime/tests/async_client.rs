//! The async client against the emulator over loopback: one token for many tasks, paging
//! as a stream, 429s with Retry-After, 5xx retries, creates never sent twice and
//! exactly-once creates under dropped connections, bulk chunking.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use kinabase_emulator::synth::{self, Size};
use kinabase_emulator::{Account, Emulator, EmulatorConfig, FaultRule};
use kinabase_runtime::{AsyncClient, Client, Collection, Error, ListOptions, Patch, RetryPolicy};
use serde::{Deserialize, Serialize};

fn demo() -> Account {
    Account::load(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/accounts/field-service.json"
        )
        .as_ref(),
    )
    .unwrap()
}

fn builder(emu: &Emulator) -> kinabase_runtime::ClientBuilder {
    Client::builder()
        .base_url(emu.base_url())
        .app_id(emu.app_id())
        .app_secret(emu.app_secret())
        .timeout(Duration::from_secs(10))
        .retry(RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(3),
        })
        .rate_budget(None)
}

fn async_client(emu: &Emulator) -> AsyncClient {
    builder(emu).build_async().unwrap()
}

fn count(emu: &Emulator, method: &str, path_end: &str) -> usize {
    emu.request_log()
        .iter()
        .filter(|e| e.method == method && e.path.ends_with(path_end))
        .count()
}

/// A hand-written binding, as the generator would emit it: the same type serves the
/// blocking and the async handle.
enum Suppliers {}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Supplier {
    name: Option<String>,
    payment_terms: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct NewSupplier {
    name: String,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct SupplierUpdate {
    #[serde(skip_serializing_if = "Patch::is_keep")]
    payment_terms: Patch<String>,
}

impl Collection for Suppliers {
    const ID: &'static str = "col_suppliers";
    const SLUG: &'static str = "suppliers";
    const NAME: &'static str = "Suppliers";
    type Read = Supplier;
    type Create = NewSupplier;
    type Update = SupplierUpdate;
}

fn new_supplier(name: &str) -> NewSupplier {
    NewSupplier { name: name.into() }
}

#[tokio::test]
async fn typed_crud_over_the_same_types_as_the_blocking_client() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let client = async_client(&emu);
    client.status().await.unwrap();
    let suppliers = client.collection::<Suppliers>();
    let created = suppliers.create(&new_supplier("Async Ltd")).await.unwrap();
    assert_eq!(created.fields.name.as_deref(), Some("Async Ltd"));
    let mut changes = SupplierUpdate::default();
    changes.payment_terms.set("Net 30".into());
    suppliers.update(&created.id, &changes).await.unwrap();
    let read = suppliers.get(&created.id).await.unwrap();
    assert_eq!(read.fields.payment_terms.as_deref(), Some("Net 30"));
    // The blocking client reads the same record through the same generated type.
    let blocking = builder(&emu).build().unwrap();
    let same = tokio::task::spawn_blocking(move || {
        blocking.collection::<Suppliers>().get(&created.id).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(same.fields, read.fields);
    suppliers.delete(&read.id).await.unwrap();
    let gone = suppliers.get(&read.id).await.unwrap_err();
    assert!(matches!(gone, Error::NotFound { .. }), "{gone}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_tasks_share_one_token_request() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    // Slow answers keep every task waiting for the same token fetch.
    emu.set_delay(Duration::from_millis(50));
    let client = async_client(&emu);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.status().await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(count(&emu, "POST", "/token"), 1);
    assert_eq!(client.stats().token_requests, 1);
    assert_eq!(client.stats().requests, 17);
    // A revoked token is renewed once, by one request.
    emu.revoke_tokens();
    client.status().await.unwrap();
    assert_eq!(count(&emu, "POST", "/token"), 2);
}

#[tokio::test]
async fn the_stream_pages_lazily_with_ceil_n_over_300_requests() {
    for n in [0usize, 1, 300, 301, 1234] {
        let account = synth::account(Size {
            collections: 1,
            fields: 4,
            records: n,
        });
        let emu = Emulator::start(account, EmulatorConfig::unlimited()).unwrap();
        let client = async_client(&emu);
        let handle = client.untyped("collection-0");
        let mut stream = std::pin::pin!(handle.stream());
        if n > 0 {
            // The first record costs one page, not the whole collection.
            stream.next().await.unwrap().unwrap();
            assert_eq!(count(&emu, "GET", "/collections/collection-0"), 1);
        }
        let rest: Vec<_> = (&mut stream).try_collect().await.unwrap();
        let ids: std::collections::BTreeSet<_> = rest.iter().map(|r| r.id.clone()).collect();
        assert_eq!(ids.len() + usize::from(n > 0), n);
        let pages = count(&emu, "GET", "/collections/collection-0");
        assert_eq!(pages, n.div_ceil(300).max(1), "n = {n}");
        // Ended, it stays ended (polling it again neither panics nor fetches).
        assert!(stream.next().await.is_none());
        assert_eq!(count(&emu, "GET", "/collections/collection-0"), pages);
        assert_eq!(handle.all().await.unwrap().len(), n);
        // `/all` as a stream gives the same records as the pages, in one request.
        let streamed: Vec<_> = handle
            .stream_all()
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let streamed: std::collections::BTreeSet<_> = streamed.into_iter().map(|r| r.id).collect();
        assert_eq!(streamed.len(), n);
        assert!(ids.is_subset(&streamed));
    }
}

#[tokio::test]
async fn a_429_every_third_request_is_waited_out() {
    let account = synth::account(Size {
        collections: 1,
        fields: 3,
        records: 1234,
    });
    let emu = Emulator::start(account, EmulatorConfig::unlimited()).unwrap();
    emu.throttle_every(3);
    let client = builder(&emu)
        .retry(RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        })
        .build_async()
        .unwrap();
    let records: Vec<_> = client
        .untyped("collection-0")
        .stream_with(ListOptions::default().page_size(100))
        .try_collect()
        .await
        .unwrap();
    let unique: std::collections::BTreeSet<_> = records.iter().map(|r| &r.id).collect();
    assert_eq!((records.len(), unique.len()), (1234, 1234));
    assert!(client.stats().throttled >= 4, "{:?}", client.stats());
}

#[tokio::test]
async fn server_errors_on_reads_are_retried_and_creates_are_not() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let client = async_client(&emu);
    client.status().await.unwrap();
    emu.inject(FaultRule::fail(503).times(2).on_method("GET"));
    assert_eq!(client.untyped("jobs").all().await.unwrap().len(), 150);
    assert_eq!(client.stats().retries, 2);

    let suppliers = client.collection::<Suppliers>();
    let before = emu.record_count("suppliers").unwrap();
    emu.inject(
        FaultRule::drop_connection()
            .on_method("POST")
            .on_path("/collections/suppliers"),
    );
    let err = suppliers
        .create(&new_supplier("Once Ltd"))
        .await
        .unwrap_err();
    assert!(err.may_have_been_applied(), "{err}");
    assert_eq!(
        count(&emu, "POST", "/collections/suppliers"),
        1,
        "sent once"
    );
    emu.inject(
        FaultRule::fail(500)
            .on_method("POST")
            .on_path("/collections/suppliers"),
    );
    let err = suppliers
        .create(&new_supplier("Once Ltd"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Server { attempts: 1, .. }), "{err}");
    assert_eq!(emu.record_count("suppliers").unwrap(), before);
}

#[tokio::test]
async fn exactly_once_creates_under_dropped_connections() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let client = async_client(&emu);
    let suppliers = client.collection::<Suppliers>();
    let before = emu.record_count("suppliers").unwrap();
    for i in 0..6 {
        // Every other create loses its connection.
        if i % 2 == 0 {
            emu.inject(
                FaultRule::drop_connection()
                    .on_method("POST")
                    .on_path("/collections/suppliers"),
            );
        }
        let name = format!("Exactly {i}");
        let r = suppliers.create_once(&new_supplier(&name)).await.unwrap();
        assert_eq!(r.fields.name.as_deref(), Some(name.as_str()));
    }
    assert_eq!(emu.record_count("suppliers").unwrap(), before + 6);
    // A caller's key used twice returns the first record, creating nothing.
    let a = suppliers
        .create_once_with_key("order-17", &new_supplier("Keyed"))
        .await
        .unwrap();
    let b = suppliers
        .create_once_with_key("order-17", &new_supplier("Keyed"))
        .await
        .unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(emu.record_count("suppliers").unwrap(), before + 7);
}

#[tokio::test]
async fn bulk_calls_chunk_to_300() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let client = async_client(&emu);
    let suppliers = client.collection::<Suppliers>();
    let items: Vec<_> = (0..350)
        .map(|i| new_supplier(&format!("Bulk {i}")))
        .collect();
    let report = suppliers.bulk_create(&items).await.unwrap();
    assert_eq!(report.written(), 350);
    assert_eq!(count(&emu, "POST", "/collections/suppliers/bulk"), 2);
    let ids: Vec<String> = report.records().map(|r| r.id.clone()).collect();
    if ids.len() == 350 {
        suppliers.bulk_delete(&ids).await.unwrap();
        assert_eq!(count(&emu, "DELETE", "/collections/suppliers/bulk"), 2);
    }
}

#[test]
fn the_blocking_client_inside_a_tokio_runtime_does_not_panic() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let blocking = builder(&emu).build().unwrap();
    let n = rt.block_on(async { blocking.untyped("jobs").all().unwrap().len() });
    assert_eq!(n, 150);
}
