//! Memory stays bounded under hostile input: one test in its own process, so the peak
//! resident size it reads belongs to this attack alone.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use kinabase_emulator::synth::{self, Size};
use kinabase_emulator::{Emulator, EmulatorConfig};

/// Peak resident set size of this process, in KiB (Linux); `None` elsewhere.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn send(addr: SocketAddr, request: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    if s.write_all(request).is_err() {
        return 0;
    }
    let mut head = [0u8; 12];
    match s.read_exact(&mut head) {
        Ok(()) => String::from_utf8_lossy(&head[9..12]).parse().unwrap_or(0),
        Err(_) => 0,
    }
}

#[test]
fn many_large_bodies_and_an_endless_header_stay_within_bounded_memory() {
    let Some(before) = peak_kib() else { return };
    const MIB: usize = 1024 * 1024;
    let account = synth::account(Size {
        collections: 1,
        fields: 2,
        records: 1,
    });
    let emu = Emulator::start(
        account,
        EmulatorConfig {
            max_body: MIB,
            ..EmulatorConfig::unlimited()
        },
    )
    .unwrap();
    let addr: SocketAddr = emu
        .base_url()
        .trim_start_matches("http://")
        .trim_end_matches("/api/v1/")
        .parse()
        .unwrap();
    // The JSON that grows most when parsed: ~32 bytes of `Value` per 2 bytes of text.
    // `/token` parses its body before any credential is checked.
    let mut body = "1,".repeat(MIB / 2 - 1);
    body.insert(0, '[');
    body.pop();
    body.push(']');
    let request = Arc::new(
        format!(
            "POST /api/v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    );
    drop(body);
    let senders: Vec<_> = (0..24)
        .map(|_| {
            let request = Arc::clone(&request);
            std::thread::spawn(move || send(addr, &request))
        })
        .collect();
    for s in senders {
        assert_eq!(s.join().unwrap(), 400, "each body is read and refused");
    }
    // A header line that never ends.
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(b"GET /api/v1/status HTTP/1.1\r\nX-Long: ");
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent = 0usize;
    while sent < 1 << 30 && s.write(&chunk).is_ok() {
        sent += chunk.len();
    }
    let grown_mib = peak_kib().unwrap().saturating_sub(before) / 1024;
    // Unbounded, the 24 bodies alone would take ~24 × 32 MiB parsed at once.
    assert!(
        grown_mib < 200,
        "peak resident size grew by {grown_mib} MiB"
    );
    eprintln!("peak resident size grew by {grown_mib} MiB; header bytes taken: {sent}");
}
