//! Hostile loopback servers for the runtime's tests: a tiny HTTP/1.1 listener on
//! 127.0.0.1:0 that answers whatever bytes a test wants, and a proxy that loses answers.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A request as the hostile server read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, e.g. `/api/v1/collections/jobs?pageIndex=0`.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the hostile server does with a request.
pub enum Reply {
    /// These exact bytes, then close.
    Raw(Vec<u8>),
    /// Close without a byte.
    Close,
    /// `first`, then (once `gate` is signalled, or after 30 s) `rest`, then close.
    Gated {
        first: Vec<u8>,
        gate: std::sync::mpsc::Receiver<()>,
        rest: Vec<u8>,
    },
    /// This head, then one body byte every `every`, for at most `for_at_most`.
    Dribble {
        head: Vec<u8>,
        every: Duration,
        for_at_most: Duration,
    },
}

/// A complete answer with `Content-Length` and `Connection: close`.
pub fn answer(status: u16, extra_headers: &str, body: &str) -> Reply {
    Reply::Raw(
        format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// `{"token": token}` for `POST /token`.
pub fn token_answer(token: &str) -> Reply {
    answer(200, "", &serde_json::json!({ "token": token }).to_string())
}

/// A running hostile server; it stops accepting when dropped.
pub struct Hostile {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<Request>>>,
    pub connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Hostile {
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        {
            let (requests, connections, stop) =
                (requests.clone(), connections.clone(), stop.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (handler, requests) = (handler.clone(), requests.clone());
                    thread::spawn(move || serve(stream, &*handler, &requests));
                }
            });
        }
        Hostile {
            port,
            requests,
            connections,
            stop,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/api/v1/", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self, method: &str, path_end: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.path().ends_with(path_end))
            .count()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, handler: &dyn Fn(&Request) -> Reply, log: &Mutex<Vec<Request>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    log.lock().unwrap().push(request.clone());
    let mut stream = stream;
    match handler(&request) {
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
            let _ = stream.flush();
        }
        Reply::Close => {}
        Reply::Gated { first, gate, rest } => {
            let _ = stream.write_all(&first);
            let _ = stream.flush();
            let _ = gate.recv_timeout(Duration::from_secs(30));
            let _ = stream.write_all(&rest);
            let _ = stream.flush();
        }
        Reply::Dribble {
            head,
            every,
            for_at_most,
        } => {
            let _ = stream.write_all(&head);
            let started = std::time::Instant::now();
            while started.elapsed() < for_at_most {
                if stream.write_all(b" ").is_err() {
                    break;
                }
                thread::sleep(every);
            }
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// Reads one request (head and `Content-Length` body).
pub fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

/// A proxy in front of a real server that loses the answer of every other request
/// after the server has processed it: the client sees a dropped connection although the
/// write happened.
pub struct Flaky {
    pub port: u16,
    pub lost: Arc<AtomicUsize>,
}

impl Flaky {
    pub fn start(upstream: u16) -> Flaky {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seq = Arc::new(AtomicUsize::new(0));
        let lost = Arc::new(AtomicUsize::new(0));
        {
            let lost = lost.clone();
            thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(client) = stream else { continue };
                    let (seq, lost) = (seq.clone(), lost.clone());
                    thread::spawn(move || relay(client, upstream, &seq, &lost));
                }
            });
        }
        Flaky { port, lost }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/api/v1/", self.port)
    }
}

fn relay(client: TcpStream, upstream: u16, seq: &AtomicUsize, lost: &AtomicUsize) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut client = client;
    // One request a connection: the answer closes it.
    if let Some(req) = read_request(&mut reader) {
        let mut head = format!("{} {} HTTP/1.1\r\n", req.method, req.target);
        for (k, v) in &req.headers {
            if !k.eq_ignore_ascii_case("connection") {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        head.push_str("Connection: close\r\n\r\n");
        let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else {
            return;
        };
        let _ = up.write_all(head.as_bytes());
        let _ = up.write_all(&req.body);
        let mut response = Vec::new();
        let _ = up.read_to_end(&mut response);
        if seq.fetch_add(1, Ordering::SeqCst) % 2 == 1 {
            // Processed upstream; the answer is lost.
            lost.fetch_add(1, Ordering::SeqCst);
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
        // The upstream closed after its answer (`Connection: close`); so does the relay.
        let _ = client.write_all(&response);
        let _ = client.shutdown(Shutdown::Both);
    }
}

/// A client for a hostile server: quick retries, no limiter.
pub fn client(base: &str) -> kinabase_runtime::ClientBuilder {
    kinabase_runtime::Client::builder()
        .base_url(base)
        .app_id("app-id")
        .app_secret("app-secret-value-123")
        .timeout(Duration::from_secs(5))
        .retry(kinabase_runtime::RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(20),
        })
        .rate_budget(None)
}
