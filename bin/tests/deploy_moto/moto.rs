//! A moto server for the deploy tests: started from the test venv on a
//! free loopback port, reset between tests through its reset API, and
//! killed by its process ID when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long moto may take to answer after it starts; its first start on a
/// cold machine imports every service module.
const STARTUP_DEADLINE: Duration = Duration::from_secs(90);

pub struct Moto {
    child: Child,
    port: u16,
    pub url: String,
}

/// Returns the venv that contains `moto[server]`: `VAULTGATE_VENV`, else `.venv` at the
/// workspace root, where the project's test script installs it.
pub fn venv() -> PathBuf {
    match std::env::var_os("VAULTGATE_VENV") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(".venv"),
    }
}

impl Moto {
    /// Starts `moto_server` on 127.0.0.1 and waits until it answers.
    ///
    /// # Panics
    /// When `moto_server` is missing, exits early, or does not answer in time.
    pub fn start() -> Moto {
        let executable = venv().join("bin").join("moto_server");
        assert!(
            executable.exists(),
            "{} not found: run scripts/test, which installs moto[server] into .venv, or set VAULTGATE_VENV to a venv that has it",
            executable.display()
        );
        let port = TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).map(|address| address.port()).expect("no free port");
        let mut child = Command::new(&executable)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", executable.display()));
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().expect("cannot poll moto_server") {
                panic!("moto_server exited with {status} before answering on port {port}");
            }
            if request(port, "GET", "/moto-api/").is_some_and(|status| status == 200) {
                break;
            }
            if started.elapsed() > STARTUP_DEADLINE {
                let _ = child.kill();
                let _ = child.wait();
                panic!("moto_server did not answer on port {port} within {STARTUP_DEADLINE:?}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Moto { child, port, url: format!("http://127.0.0.1:{port}") }
    }

    /// Forgets every resource, so that each test starts from an empty account.
    pub fn reset(&self) {
        let status = request(self.port, "POST", "/moto-api/reset");
        assert_eq!(status, Some(200), "moto reset failed");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Child::kill signals exactly this process ID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one HTTP/1.0 request and returns the response status.
fn request(port: u16, method: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(stream, "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_whitespace().nth(1)?.parse().ok()
}
