//! The async demo: `async_demo::run` against the account in `KINABASE_BASE_URL`,
//! `KINABASE_APP_ID` and `KINABASE_APP_SECRET` (e.g. `cargo xtask emulate`'s export
//! lines), on tokio.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let client = match kinabase_runtime::AsyncClient::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match async_demo::run(client).await {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
