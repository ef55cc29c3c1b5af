//! The slow-pages scan: 100 pages that each take 1.5 s to serve, under the documented 100
//! requests a minute, read with pages fetched ahead (`ListOptions::prefetch`). A proxy in
//! front of the emulator holds every answer until 1.5 s after its request.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kinabase_emulator::synth::{self, Size};
use kinabase_emulator::{Emulator, EmulatorConfig};
use kinabase_runtime::{Client, ListOptions};

use super::data;

const PAGES: usize = 100;
const LATENCY: Duration = Duration::from_millis(1500);

/// Starts a proxy on 127.0.0.1 that forwards to `upstream` and delays each answer to
/// `latency` after the request that asked for it; returns its base URL.
fn delaying_proxy(upstream: std::net::SocketAddr, latency: Duration) -> Result<String, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(upstream) else {
                continue;
            };
            let asked = Arc::new(Mutex::new(Instant::now()));
            let (mut c_in, mut s_out) = match (client.try_clone(), server.try_clone()) {
                (Ok(c), Ok(s)) => (c, s),
                _ => continue,
            };
            let stamp = asked.clone();
            // Requests go straight through, stamped with when they were sent...
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n) = c_in.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    *stamp.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
                    if s_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = s_out.shutdown(Shutdown::Write);
            });
            // ...and answers wait until `latency` after their request.
            let (mut s_in, mut c_out) = (server, client);
            std::thread::spawn(move || {
                let mut buf = [0u8; 64 * 1024];
                while let Ok(n) = s_in.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let at = *asked.lock().unwrap_or_else(|e| e.into_inner()) + latency;
                    std::thread::sleep(at.saturating_duration_since(Instant::now()));
                    if c_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = c_out.shutdown(Shutdown::Both);
            });
        }
    });
    Ok(format!("http://127.0.0.1:{port}/api/v1/"))
}

/// Prints the slow-pages figure (about a minute).
pub fn table() -> Result<(), String> {
    println!(
        "SLOW PAGES ({PAGES} pages of 300, each answered {:.1} s after its request; emulator enforces 100 requests/min; client default budget)",
        LATENCY.as_secs_f64()
    );
    let prefetch = 3;
    let options = ListOptions::default().prefetch(prefetch);
    for label in ["blocking iterator", "async stream"] {
        // A fresh emulator each time: its rate window must not hold the last scan.
        let account = synth::account(Size {
            collections: 1,
            fields: data::SCAN_FIELDS,
            records: PAGES * 300,
        });
        // The documented limit, enforced by the emulator; the client keeps its default budget.
        let emu = Emulator::start(account, EmulatorConfig::default()).map_err(|e| e.to_string())?;
        let upstream = emu
            .base_url()
            .trim_start_matches("http://")
            .split('/')
            .next()
            .and_then(|a| a.parse().ok())
            .ok_or("emulator address")?;
        let builder = Client::builder()
            .base_url(delaying_proxy(upstream, LATENCY)?)
            .app_id(emu.app_id())
            .app_secret(emu.app_secret())
            .timeout(Duration::from_secs(120));
        let started = Instant::now();
        let n = if label == "async stream" {
            let client = builder.build_async().map_err(|e| e.to_string())?;
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                use futures_util::TryStreamExt;
                let records = client.untyped(data::UNIFORM).stream_with(options.clone());
                records.try_fold(0, |n, _| async move { Ok(n + 1) }).await
            })
        } else {
            let client = builder.build().map_err(|e| e.to_string())?;
            let records = client.untyped(data::UNIFORM).iter_with(options.clone());
            records.map(|r| r.map(|_| 1)).sum()
        }
        .map_err(|e| e.to_string())?;
        let secs = started.elapsed().as_secs_f64();
        let log = emu.request_log();
        if n != PAGES * 300 {
            return Err(format!("slow scan read {n} records of {}", PAGES * 300));
        }
        println!(
            "  {label}, prefetch {prefetch}: {} requests, {secs:.1} s (target ≤ 65 s; the limit allows 60 s); 429s: {} (target 0)",
            log.len(),
            log.iter().filter(|e| e.status == 429).count()
        );
    }
    println!(
        "  sequential (prefetch 0), computed: {PAGES} pages × {:.1} s = {:.0} s\n",
        LATENCY.as_secs_f64(),
        PAGES as f64 * LATENCY.as_secs_f64()
    );
    Ok(())
}
