//! A tokio program over the demo account's generated bindings: the very module the
//! blocking demo uses (`examples/field-service/src/kinabase/`), here driven by an
//! `AsyncClient`. Nothing in the generated code changes between the two.

#[rustfmt::skip]
#[path = "../../field-service/src/kinabase/mod.rs"]
pub mod kinabase;

use std::collections::BTreeMap;

use futures_util::TryStreamExt;
use kinabase::jobs;
use kinabase_runtime::{AsyncClient, RecordRef};

/// What one run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Jobs read through the stream.
    pub jobs: usize,
    /// Customers read (concurrently with the jobs).
    pub customers: usize,
    /// Jobs by stage label.
    pub by_stage: BTreeMap<String, usize>,
    /// Records created, updated and deleted.
    pub written: usize,
    /// Differences between the live account and the bindings, found at start-up.
    pub schema_changes: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "   async: schema verified ({} differences); {} jobs streamed and {} customers read concurrently; jobs by stage {:?}; {} writes",
            self.schema_changes, self.jobs, self.customers, self.by_stage, self.written
        )
    }
}

/// Streams every job while reading every customer, then creates, updates and deletes a
/// job: the same typed calls as the blocking demo, awaited.
pub async fn run(client: AsyncClient) -> Result<Summary, kinabase_runtime::Error> {
    let kb = kinabase::Kinabase::new(client);

    // Fail fast when the account changed under the bindings: one listing call.
    let report = kb.verify().await?;
    if report.is_breaking() {
        return Err(kinabase_runtime::Error::Config(format!(
            "the account no longer matches the bindings:\n{report}"
        )));
    }

    // Two requests in flight at once on one client: one token, one rate budget.
    let jobs_handle = kb.jobs();
    let stages = jobs_handle.stream().try_fold(
        BTreeMap::<String, usize>::new(),
        |mut acc, job| async move {
            let stage = job
                .fields
                .stage
                .map(|s| s.to_string())
                .unwrap_or_else(|| "(none)".into());
            *acc.entry(stage).or_default() += 1;
            Ok(acc)
        },
    );
    let customers_handle = kb.customers();
    let (by_stage, customers) = tokio::try_join!(stages, customers_handle.all())?;
    let jobs_read = by_stage.values().sum();

    let mut written = 0;
    if let Some(customer) = customers.first() {
        let customer: RecordRef<kinabase::customers::Customers> = customer.reference();
        let mut job = jobs::Create::new("Async demo: check the boiler".into(), customer);
        job.priority = Some(jobs::Priority::Low);
        let created = kb.jobs().create_once(&job).await?;
        let mut changes = jobs::Update::default();
        changes.stage.set(jobs::Stage::Scheduled);
        kb.jobs().update(&created.id, &changes).await?;
        let read = kb.jobs().get(&created.id).await?;
        if read.fields.stage != Some(jobs::Stage::Scheduled) {
            return Err(kinabase_runtime::Error::Config(
                "the update did not stick".into(),
            ));
        }
        kb.jobs().delete(&created.id).await?;
        written = 3;
    }
    Ok(Summary {
        jobs: jobs_read,
        customers: customers.len(),
        by_stage,
        written,
        schema_changes: report.changes.len(),
    })
}
