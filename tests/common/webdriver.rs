//! A WebDriver client for the workbench's browser tests: chromedriver's
//! HTTP protocol spoken over a plain socket, and where Debian's packages
//! put Chromium and its driver. Shared by tests/serve.rs,
//! tests/serve_appeals.rs and tests/serve_xss.rs.
#![allow(dead_code)] // Not every test binary uses both.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// One WebDriver command: `method path` with a JSON body, the JSON answer.
pub fn wd(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let mut s = std::net::TcpStream::connect(addr).expect("chromedriver");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("send");
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .expect("timeout");
    // chromedriver keeps the connection open whatever the request says:
    // the answer is read up to its Content-Length, not to the end.
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = s.read(&mut buf).expect("read webdriver answer");
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&raw);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if body.len() >= len {
                break;
            }
        }
    }
    let raw = String::from_utf8_lossy(&raw).to_string();
    let body = raw.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
    serde_json::from_str(body)
        .unwrap_or_else(|_| panic!("webdriver answer to {method} {path}: {raw}"))
}

/// Chromium and chromedriver where Debian's packages put them, if both are there.
pub fn chromium() -> Option<(PathBuf, PathBuf)> {
    let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())?;
    let driver = PathBuf::from("/usr/bin/chromedriver");
    driver.exists().then_some((browser, driver))
}

/// chromedriver listening on a free loopback port; stopped when dropped.
pub struct Driver {
    child: Child,
    /// Its address, for [`wd`].
    pub addr: String,
}

impl Driver {
    /// Starts `driver` and waits (up to 10 s) until it accepts connections.
    pub fn start(driver: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver");
        let addr = format!("127.0.0.1:{port}");
        let d = Driver { child, addr };
        let ready = (0..100).any(|_| {
            std::net::TcpStream::connect(&d.addr).is_ok() || {
                std::thread::sleep(std::time::Duration::from_millis(100));
                false
            }
        });
        assert!(ready, "chromedriver did not start");
        d
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
