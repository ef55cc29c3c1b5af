//! The runtime against the emulator over loopback: tokens, retries, faults, paging, bulk.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Barrier};
use std::time::Duration;

use kinabase_emulator::synth::{self, Size};
use kinabase_emulator::{Account, Emulator, EmulatorConfig, FaultRule, RateLimit, RecordShape};
use kinabase_runtime::{
    Client, Collection, Error, ListOptions, Patch, RateBudget, RecordRef, RetryPolicy,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

fn demo() -> Account {
    Account::demo().unwrap()
}

fn client_for(emu: &Emulator) -> Client {
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
        .build()
        .unwrap()
}

fn count(emu: &Emulator, method: &str, path_end: &str) -> usize {
    emu.request_log()
        .iter()
        .filter(|e| e.method == method && e.path.ends_with(path_end))
        .count()
}

/// A hand-written binding, as the generator would emit it, for typed tests.
enum Suppliers {}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Supplier {
    name: Option<String>,
    payment_terms: Option<String>,
    #[serde(
        default,
        deserialize_with = "kinabase_runtime::__private::lenient_number"
    )]
    rating: Option<f64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct NewSupplier {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_terms: Option<String>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct SupplierUpdate {
    #[serde(skip_serializing_if = "Patch::is_keep")]
    payment_terms: Patch<String>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    rating: Patch<f64>,
}

impl Collection for Suppliers {
    const ID: &'static str = "col_suppliers";
    const SLUG: &'static str = "suppliers";
    const NAME: &'static str = "Suppliers";
    type Read = Supplier;
    type Create = NewSupplier;
    type Update = SupplierUpdate;
}

enum Jobs {}
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Job {
    job_title: Option<String>,
    customer: Option<RecordRef<Customers>>,
}
enum Customers {}
impl Collection for Jobs {
    const ID: &'static str = "col_jobs";
    const SLUG: &'static str = "jobs";
    const NAME: &'static str = "Jobs";
    type Read = Job;
    type Create = Map<String, Value>;
    type Update = Map<String, Value>;
}

fn new_supplier(name: &str) -> NewSupplier {
    NewSupplier {
        name: name.into(),
        payment_terms: Some("Net 30".into()),
    }
}

#[test]
fn clients_are_send_sync_and_clones_share_one_token() {
    fn send_sync<T: Send + Sync + Clone>() {}
    send_sync::<Client>();
    send_sync::<kinabase_runtime::CollectionHandle<Suppliers>>();
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let a = client_for(&emu);
    let b = a.clone();
    a.status().unwrap();
    b.status().unwrap();
    assert_eq!(count(&emu, "POST", "/token"), 1, "clones share the token");
    assert_eq!(b.stats().requests, 3, "and the counters");
}

#[test]
fn typed_crud_with_partial_updates_and_clears() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let client = client_for(&emu);
    let suppliers = client.collection::<Suppliers>();
    let created = suppliers.create(&new_supplier("Acme Tools")).unwrap();
    assert_eq!(created.fields.name.as_deref(), Some("Acme Tools"));
    assert!(created.numeric_id.is_some() && created.created_at.is_some());

    let changes = SupplierUpdate {
        rating: Patch::Set(4.0),
        ..Default::default()
    };
    suppliers.update(&created.id, &changes).unwrap();
    let read = suppliers.get(&created.id).unwrap();
    assert_eq!(
        (read.fields.rating, read.fields.payment_terms.as_deref()),
        (Some(4.0), Some("Net 30")),
        "only sent keys change"
    );

    suppliers
        .update(
            &created.id,
            &SupplierUpdate {
                payment_terms: Patch::Clear,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        suppliers.get(&created.id).unwrap().fields.payment_terms,
        None,
        "Clear sends null"
    );

    suppliers.delete(&created.id).unwrap();
    assert!(matches!(
        suppliers.get(&created.id),
        Err(Error::NotFound { .. })
    ));

    let err = suppliers
        .create(&NewSupplier {
            name: "X".into(),
            payment_terms: Some("Net 90".into()),
        })
        .unwrap_err();
    assert!(
        matches!(&err, Error::Validation { message, .. } if message.contains("not an option")),
        "{err}"
    );
}

#[test]
fn typed_links_and_both_record_shapes() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let client = client_for(&emu);
    let jobs = client.collection::<Jobs>();
    let nested: Vec<_> = jobs.iter().map(Result::unwrap).collect();
    emu.set_record_shape("jobs", RecordShape::Flat);
    let flat: Vec<_> = jobs.iter().map(Result::unwrap).collect();
    assert_eq!(nested.len(), 150);
    for (a, b) in nested.iter().zip(&flat) {
        assert_eq!(
            (&a.id, a.numeric_id, a.created_at),
            (&b.id, b.numeric_id, b.created_at)
        );
        assert_eq!(a.fields.job_title, b.fields.job_title);
        assert_eq!(a.fields.customer, b.fields.customer);
    }
    assert!(nested[0].fields.customer.is_some());
}

#[test]
fn paging_edge_cases_use_ceil_n_over_300_requests() {
    for n in [0usize, 1, 299, 300, 301, 1234] {
        let account = synth::account(Size {
            collections: 1,
            fields: 4,
            records: n,
        });
        let emu = Emulator::start(account, EmulatorConfig::unlimited()).unwrap();
        let client = client_for(&emu);
        let handle = client.untyped("collection-0");
        let ids: Vec<String> = handle.iter().map(|r| r.unwrap().id).collect();
        assert_eq!(ids.len(), n);
        let unique: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), n, "every record once");
        let pages = count(&emu, "GET", "/collections/collection-0");
        assert_eq!(pages, n.div_ceil(300).max(1), "n = {n}");
        assert_eq!(handle.all().unwrap().len(), n);
        assert_eq!(count(&emu, "GET", "/all"), 1);
    }
}

#[test]
fn a_server_that_pages_smaller_than_asked_does_not_end_the_scan() {
    let account = synth::account(Size {
        collections: 1,
        fields: 3,
        records: 1234,
    });
    let emu = Emulator::start(account, EmulatorConfig::unlimited()).unwrap();
    emu.set_page_cap(Some(100));
    let client = client_for(&emu);
    let ids: Vec<String> = client
        .untyped("collection-0")
        .iter()
        .map(|r| r.unwrap().id)
        .collect();
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!((ids.len(), unique.len()), (1234, 1234));
    assert_eq!(count(&emu, "GET", "/collections/collection-0"), 13);
}

#[test]
fn bulk_calls_chunk_to_300() {
    for n in [0usize, 1, 300, 301, 1000] {
        let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
        let client = client_for(&emu);
        let suppliers = client.collection::<Suppliers>();
        let items: Vec<NewSupplier> = (0..n).map(|i| new_supplier(&format!("Bulk {i}"))).collect();
        let report = suppliers.bulk_create(&items).unwrap();
        assert_eq!(report.written(), n);
        assert_eq!(report.chunks.len(), n.div_ceil(300));
        assert_eq!(count(&emu, "POST", "/bulk"), n.div_ceil(300));
        assert_eq!(emu.record_count("suppliers"), Some(15 + n));
        let ids: Vec<String> = report.records().map(|r| r.id.clone()).collect();
        assert_eq!(ids.len(), n);
        let updates: Vec<(String, SupplierUpdate)> = ids
            .iter()
            .map(|id| {
                (
                    id.clone(),
                    SupplierUpdate {
                        rating: Patch::Set(1.0),
                        ..Default::default()
                    },
                )
            })
            .collect();
        assert_eq!(suppliers.bulk_update(&updates).unwrap().written(), n);
        assert_eq!(suppliers.bulk_delete(&ids).unwrap().written(), n);
        assert_eq!(emu.record_count("suppliers"), Some(15));
    }
}

#[test]
fn a_failed_bulk_chunk_does_not_stop_the_others() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let client = client_for(&emu);
    let mut items: Vec<NewSupplier> = (0..700).map(|i| new_supplier(&format!("B{i}"))).collect();
    items[450].payment_terms = Some("Whenever".into());
    let err = client
        .collection::<Suppliers>()
        .bulk_create(&items)
        .unwrap_err();
    assert_eq!(err.completed.written(), 400);
    assert_eq!(err.failures.len(), 1);
    assert_eq!(err.failures[0].items, 300..600);
    assert!(matches!(err.failures[0].error, Error::Validation { .. }));
    assert_eq!(emu.record_count("suppliers"), Some(415));
    assert!(
        err.to_string()
            .contains("wrote 400 item(s); items [300..600] failed"),
        "{err}"
    );
    // `?` turns it into the one error type, keeping what was written and the cause.
    let folded: Error = err.into();
    assert!(!folded.is_retryable() && folded.may_have_been_applied());
    assert!(
        matches!(&folded, Error::Bulk { written: 400, failed, source } if failed.len() == 1 && failed[0] == (300..600) && matches!(**source, Error::Validation { .. })),
        "{folded}"
    );
    assert!(std::error::Error::source(&folded).is_some());
}

#[test]
fn short_tokens_are_renewed_during_a_long_iteration() {
    let account = synth::account(Size {
        collections: 1,
        fields: 3,
        records: 60,
    });
    let config = EmulatorConfig {
        token_lifetime: Duration::from_secs(2),
        ..EmulatorConfig::unlimited()
    };
    let emu = Emulator::start(account, config).unwrap();
    emu.set_delay(Duration::from_millis(120));
    let client = client_for(&emu);
    let options = ListOptions::default().page_size(2);
    let records: Vec<_> = client
        .untyped("collection-0")
        .iter_with(options)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(records.len(), 60);
    let log = emu.request_log();
    assert!(
        log.iter().all(|e| e.status == 200),
        "zero failed calls: {:?}",
        log.iter().filter(|e| e.status != 200).collect::<Vec<_>>()
    );
    assert!(
        client.stats().token_requests >= 2,
        "the token was renewed: {:?}",
        client.stats()
    );
}

#[test]
fn eight_threads_share_one_token_request() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    emu.set_delay(Duration::from_millis(50));
    let client = client_for(&emu);
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                client.status().unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(count(&emu, "POST", "/token"), 1);
    assert_eq!(client.stats().token_requests, 1);
}

#[test]
fn revoked_tokens_are_renewed_once() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let client = client_for(&emu);
    client.status().unwrap();
    emu.revoke_tokens();
    client.status().unwrap();
    assert_eq!(client.stats().token_requests, 2);
}

#[test]
fn a_429_every_third_request_still_yields_every_record_once() {
    let account = synth::account(Size {
        collections: 1,
        fields: 3,
        records: 1234,
    });
    let emu = Emulator::start(account, EmulatorConfig::unlimited()).unwrap();
    emu.throttle_every(3);
    let client = Client::builder()
        .base_url(emu.base_url())
        .app_id(emu.app_id())
        .app_secret(emu.app_secret())
        .retry(RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        })
        .build()
        .unwrap();
    let ids: Vec<String> = client
        .untyped("collection-0")
        .iter_with(ListOptions::default().page_size(100))
        .map(|r| r.unwrap().id)
        .collect();
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!((ids.len(), unique.len()), (1234, 1234));
    assert!(client.stats().throttled >= 4, "{:?}", client.stats());
}

#[test]
fn server_errors_on_reads_are_retried() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let client = client_for(&emu);
    client.status().unwrap();
    emu.inject(FaultRule::fail(500).times(3).on_method("GET"));
    let jobs = client
        .untyped("jobs")
        .page(0, &ListOptions::default())
        .unwrap();
    assert_eq!(jobs.records.len(), 150);
    assert_eq!(client.stats().retries, 3);

    emu.inject(FaultRule::fail(503).times(10).on_method("GET"));
    let err = client.untyped("jobs").get("x").unwrap_err();
    assert!(
        matches!(
            err,
            Error::Server {
                status: 503,
                attempts: 6,
                ..
            }
        ),
        "{err}"
    );
    emu.clear_faults();

    emu.inject(FaultRule::drop_connection().on_method("GET"));
    assert_eq!(
        client.untyped("jobs").all().unwrap().len(),
        150,
        "a dropped read is repeated"
    );
}

#[test]
fn a_create_is_never_sent_twice() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let client = client_for(&emu);
    client.status().unwrap();
    let suppliers = client.collection::<Suppliers>();

    emu.inject(
        FaultRule::drop_connection()
            .on_method("POST")
            .on_path("/collections/suppliers"),
    );
    let err = suppliers.create(&new_supplier("Once Ltd")).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                may_have_reached_server: true,
                attempts: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.may_have_been_applied() && err.is_retryable());
    assert!(err.to_string().contains("may have been applied"));
    assert_eq!(
        count(&emu, "POST", "/collections/suppliers"),
        1,
        "sent once"
    );
    assert!(emu.record_count("suppliers").unwrap() <= 16, "at most once");

    emu.inject(
        FaultRule::fail(500)
            .on_method("POST")
            .on_path("/collections/suppliers"),
    );
    let err = suppliers.create(&new_supplier("Once Ltd")).unwrap_err();
    assert!(matches!(err, Error::Server { attempts: 1, .. }), "{err}");
    assert!(err.may_have_been_applied() && err.status() == Some(500));

    // A 429 means the server did not take the request: repeating a create is safe.
    emu.inject(
        FaultRule::fail(429)
            .on_method("POST")
            .on_path("/collections/suppliers"),
    );
    suppliers.create(&new_supplier("Twice Ltd")).unwrap();
    let named: usize = suppliers
        .iter()
        .filter(|r| r.as_ref().unwrap().fields.name.as_deref() == Some("Twice Ltd"))
        .count();
    assert_eq!(named, 1);
}

#[test]
fn the_client_budget_avoids_429s() {
    let account = synth::account(Size {
        collections: 1,
        fields: 3,
        records: 40,
    });
    let limit = RateLimit {
        requests: 10,
        per: Duration::from_secs(1),
    };
    let emu = Emulator::start(
        account,
        EmulatorConfig {
            rate_limit: Some(limit),
            ..EmulatorConfig::unlimited()
        },
    )
    .unwrap();
    let client = Client::builder()
        .base_url(emu.base_url())
        .app_id(emu.app_id())
        .app_secret(emu.app_secret())
        .rate_budget(Some(RateBudget {
            requests: 10,
            per: Duration::from_secs(1),
        }))
        .build()
        .unwrap();
    let n = client
        .untyped("collection-0")
        .iter_with(ListOptions::default().page_size(2))
        .count();
    assert_eq!(n, 40);
    assert_eq!(client.stats().throttled, 0, "{:?}", client.stats());
    assert!(client.stats().limiter_waits > 0);
    assert!(emu.request_log().iter().all(|e| e.status != 429));
}

#[test]
fn bad_credentials_unreachable_hosts_and_secrets() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let secret = "this-is-the-wrong-secret-0123456789";
    let client = Client::builder()
        .base_url(emu.base_url())
        .app_id(emu.app_id())
        .app_secret(secret)
        .build()
        .unwrap();
    let err = client.status().unwrap_err();
    assert!(matches!(err, Error::BadCredentials { .. }), "{err}");
    assert_eq!(
        err.to_string().matches("Settings → API").count(),
        1,
        "the fix is named once: {err}"
    );
    for shown in [err.to_string(), format!("{err:?}"), format!("{client:?}")] {
        assert!(!shown.contains(secret), "secret leaked: {shown}");
    }

    let good = client_for(&emu);
    good.status().unwrap();
    let jobs_err = good.untyped("nope").get("x").unwrap_err();
    let shown = format!("{jobs_err} {jobs_err:?} {good:?}");
    assert!(!shown.contains(emu.app_secret()));
    assert!(
        !shown.contains("eyJ"),
        "no token in errors or Debug: {shown}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}/api/v1/"))
        .app_id("a")
        .app_secret("b")
        .retry(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        })
        .build()
        .unwrap();
    let err = nowhere.status().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                may_have_reached_server: false,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("check the base URL"), "{err}");
}

#[test]
fn collections_listing_in_each_form() {
    use kinabase_emulator::ListingForm;
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let client = client_for(&emu);
    for form in [
        ListingForm::BareArray,
        ListingForm::Wrapped,
        ListingForm::Paged,
    ] {
        emu.set_listing_form(form);
        let cols = client.list_collections().unwrap();
        assert_eq!(cols.len(), 6, "{form:?}");
        assert_eq!(cols[5]["slug"], json!("purchase-orders"));
    }
}

#[test]
fn external_ids_and_activities() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let client = client_for(&emu);
    let customers = client.untyped("customers");
    let rec = customers.get_external("xero", "CUST-0003").unwrap();
    let mut changes = Map::new();
    changes.insert("rating".into(), json!(2));
    customers
        .update_external("xero", "CUST-0003", &changes)
        .unwrap();
    assert_eq!(customers.get(&rec.id).unwrap().fields["rating"], json!(2));
    customers
        .add_activity(
            &rec.id,
            &kinabase_runtime::NewActivity::new(kinabase_runtime::ActivityType::Note, "Visited"),
        )
        .unwrap();
    assert_eq!(customers.activities(&rec.id).unwrap().len(), 1);
    customers.delete_external("xero", "CUST-0003").unwrap();
    assert!(matches!(
        customers.get(&rec.id),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn decode_errors_name_the_json_path() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let client = client_for(&emu);
    emu.with_store(|s| {
        let c = s.collection_mut("suppliers").unwrap();
        c.records[3]
            .data
            .insert("rating".into(), json!({"stars": 5}));
    });
    let err = client
        .collection::<Suppliers>()
        .page(0, &ListOptions::default())
        .unwrap_err();
    match &err {
        Error::Decode { path, excerpt, .. } => {
            assert!(path.starts_with("records[3]"), "{path}");
            assert!(excerpt.0.len() <= 250);
        }
        other => panic!("expected a decode error, got {other}"),
    }
}

/// A delete answered `404` after a retry is a success only when an earlier attempt may
/// have deleted the record (a lost connection, a `5xx`); after a `429`, which the server
/// refused, the record never existed and the `404` stands.
#[test]
fn a_repeated_delete_is_forgiven_its_404_only_when_it_may_have_worked() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let c = client_for(&emu);
    let jobs = c.untyped("jobs");
    emu.inject(FaultRule::fail(429).on_method("DELETE").times(1));
    let err = jobs.delete("no-such-job").unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(count(&emu, "DELETE", "/no-such-job"), 2);
    emu.inject(FaultRule::fail(503).on_method("DELETE").times(1));
    jobs.delete("no-such-job").unwrap();
    emu.inject(FaultRule::drop_after_work().on_method("DELETE").times(1));
    let id = jobs.all().unwrap()[0].id.clone();
    jobs.delete(&id).unwrap();
    assert!(matches!(jobs.get(&id), Err(Error::NotFound { .. })));
}
