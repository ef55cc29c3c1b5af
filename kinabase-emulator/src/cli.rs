//! The `kinabase-emulator` command line, shared by the binary and `cargo kinabase emulate`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::account::Account;
use crate::config::{
    BulkResponse, DEFAULT_APP_ID, DEFAULT_APP_SECRET, DEFAULT_MAX_BODY, DEFAULT_MAX_CONNECTIONS,
    EmulatorConfig, ListingForm, MAX_TOKEN_LIFETIME, RateLimit,
};
use crate::emulator::Emulator;
use crate::store::{RecordShape, TimestampFormat};

/// Options of `kinabase-emulator` / `cargo kinabase emulate`.
#[derive(Debug, Clone, Args)]
pub struct EmulateArgs {
    /// Account fixture to serve (JSON: collections, fields, seed records); without it, the
    /// bundled demo account (a field-service business).
    #[arg(long)]
    pub account: Option<PathBuf>,
    /// Serve a codegen snapshot (kinabase.snapshot.json) with generated records instead of an
    /// account fixture.
    #[arg(long, conflicts_with = "account")]
    pub snapshot: Option<PathBuf>,
    /// Records generated in each collection of a --snapshot.
    #[arg(long, default_value_t = 20, requires = "snapshot", value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub records: u32,
    /// Seed of the generated records: the same seed gives the same records.
    #[arg(long, default_value_t = 1, requires = "snapshot")]
    pub seed: u64,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8099)]
    pub port: u16,
    /// App ID to accept at POST /token.
    #[arg(long, default_value = DEFAULT_APP_ID)]
    pub app_id: String,
    /// App Secret to accept at POST /token.
    #[arg(long, default_value = DEFAULT_APP_SECRET, hide_default_value = true)]
    pub app_secret: String,
    /// Token lifetime in seconds (1 to 315360000, ten years).
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=MAX_TOKEN_LIFETIME.as_secs()))]
    pub token_lifetime: u64,
    /// Requests allowed per minute (0 turns the limit off).
    #[arg(long, default_value_t = 100)]
    pub rate_limit: u32,
    /// Form of GET /collections.
    #[arg(long, value_enum, default_value_t = Listing::Array)]
    pub listing: Listing,
    /// Shape of records.
    #[arg(long, value_enum, default_value_t = Shape::Nested)]
    pub shape: Shape,
    /// Format of `createdAt` and `updatedAt`.
    #[arg(long, value_enum, default_value_t = Timestamps::Kinabase)]
    pub timestamps: Timestamps,
    /// What bulk create and update answer.
    #[arg(long, value_enum, default_value_t = Bulk::Records)]
    pub bulk_response: Bulk,
    /// Persist writes to this file and resume from it.
    #[arg(long)]
    pub data_file: Option<PathBuf>,
    /// Connections served at once; one more is answered 503.
    #[arg(long, default_value_t = DEFAULT_MAX_CONNECTIONS as u32, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub max_connections: u32,
    /// The largest request body in bytes; a larger one is answered 413.
    #[arg(long, default_value_t = DEFAULT_MAX_BODY as u32, value_parser = clap::value_parser!(u32).range(1..=1_073_741_824))]
    pub max_body: u32,
}

/// `--timestamps` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Timestamps {
    /// `dd/MM/yyyy HH:mm:ss +hh:mm`, as Kinabase's published example.
    Kinabase,
    /// ISO 8601.
    Iso,
}

/// `--bulk-response` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Bulk {
    /// `{"records": [...]}`.
    Records,
    /// An empty body.
    Empty,
}

/// `--listing` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Listing {
    /// A bare JSON array.
    Array,
    /// `{"collections": [...]}`.
    Wrapped,
    /// A page envelope.
    Paged,
}

/// `--shape` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shape {
    /// Fields under `data`.
    Nested,
    /// Fields beside the metadata.
    Flat,
}

impl EmulateArgs {
    /// The emulator configuration these options describe.
    pub fn config(&self) -> EmulatorConfig {
        EmulatorConfig {
            app_id: self.app_id.clone(),
            app_secret: self.app_secret.clone(),
            token_lifetime: Duration::from_secs(self.token_lifetime.max(1)).min(MAX_TOKEN_LIFETIME),
            rate_limit: (self.rate_limit > 0).then_some(RateLimit {
                requests: self.rate_limit,
                per: Duration::from_secs(60),
            }),
            listing_form: match self.listing {
                Listing::Array => ListingForm::BareArray,
                Listing::Wrapped => ListingForm::Wrapped,
                Listing::Paged => ListingForm::Paged,
            },
            record_shape: match self.shape {
                Shape::Nested => RecordShape::Nested,
                Shape::Flat => RecordShape::Flat,
            },
            timestamp_format: match self.timestamps {
                Timestamps::Kinabase => TimestampFormat::Kinabase,
                Timestamps::Iso => TimestampFormat::Iso8601,
            },
            bulk_response: match self.bulk_response {
                Bulk::Records => BulkResponse::Records,
                Bulk::Empty => BulkResponse::Empty,
            },
            data_file: self.data_file.clone(),
            port: self.port,
            max_connections: self.max_connections as usize,
            max_body: self.max_body as usize,
        }
    }
}

/// Serves until Ctrl-C. Prints the base URL and the credentials it accepts as `export`
/// lines a shell can paste.
pub fn run(args: &EmulateArgs) -> Result<(), String> {
    let (account, name) = match (&args.snapshot, &args.account) {
        (Some(path), _) => (
            Account::load_snapshot(path, args.records as usize, args.seed),
            format!(
                "{} with {} generated records a collection (seed {})",
                path.display(),
                args.records,
                args.seed
            ),
        ),
        (None, Some(path)) => (Account::load(path), path.display().to_string()),
        (None, None) => (Account::demo(), "the bundled demo account".to_string()),
    };
    let account = account.map_err(|e| e.to_string())?;
    let emulator = Emulator::start(account, args.config())
        .map_err(|e| format!("cannot start the emulator on 127.0.0.1:{}: {e}", args.port))?;
    println!("Kinabase emulator serving {name}. In another shell:");
    println!("  export KINABASE_BASE_URL={}", emulator.base_url());
    println!("  export KINABASE_APP_ID={}", emulator.app_id());
    println!("  export KINABASE_APP_SECRET={}", emulator.app_secret());
    println!("Try:");
    println!(
        "  curl -s -X POST {}token -H 'Content-Type: application/json' -d '{{\"appId\":\"{}\",\"secret\":\"{}\"}}'",
        emulator.base_url(),
        emulator.app_id(),
        emulator.app_secret()
    );
    println!("Press Ctrl-C to stop.");
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| format!("cannot install the Ctrl-C handler: {e}"))?;
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("stopped");
    Ok(())
}
