//! Docker and Podman: `GET /images/{name}/get` on the engine's unix socket
//! (Docker's API, which Podman's socket also speaks), or `podman image
//! save` piped when no Podman socket is up. Either way the loader gets the
//! `docker save` tar as it arrives; nothing is written to disk.
//!
//! A minimal HTTP/1.1 client: one request per connection, status line and
//! headers, then a body framed by `Content-Length`, chunked encoding or
//! the connection's end.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

/// Why an engine could not hand the image over.
#[derive(Debug)]
pub enum EngineError {
    /// No engine to ask (no socket, no binary): try the next source.
    Unreachable(String),
    /// The engine answered: it has no such image.
    NoImage(String),
    /// The engine has it but failed.
    Failed(String),
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::Unreachable(s) | EngineError::NoImage(s) | EngineError::Failed(s) => {
                f.write_str(s)
            }
        }
    }
}

pub type Stream = Box<dyn BufRead + Send>;

/// The Docker socket: `DOCKER_HOST=unix://PATH`, else the default one.
fn docker_socket() -> Result<PathBuf, EngineError> {
    match std::env::var("DOCKER_HOST") {
        Ok(h) if !h.is_empty() => h.strip_prefix("unix://").map(PathBuf::from).ok_or_else(|| {
            EngineError::Unreachable(format!(
                "DOCKER_HOST={h} is not a unix:// socket, the only kind ballast talks to"
            ))
        }),
        _ => Ok(PathBuf::from("/var/run/docker.sock")),
    }
}

/// Podman's API socket when one is listening.
fn podman_socket() -> Option<PathBuf> {
    if let Ok(h) = std::env::var("CONTAINER_HOST")
        && let Some(p) = h.strip_prefix("unix://")
    {
        return Some(PathBuf::from(p));
    }
    let mut candidates = Vec::new();
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR") {
        candidates.push(PathBuf::from(d).join("podman/podman.sock"));
    }
    candidates.push(PathBuf::from("/run/podman/podman.sock"));
    candidates
        .into_iter()
        .find(|p| UnixStream::connect(p).is_ok())
}

/// Streams `docker save NAME` from the Docker Engine; `idle` bounds each
/// wait for the next byte.
pub fn docker(name: &str, idle: Option<Duration>) -> Result<Stream, EngineError> {
    let socket = docker_socket()?;
    let stream = UnixStream::connect(&socket).map_err(|e| {
        EngineError::Unreachable(format!(
            "no Docker Engine at {} ({e}; set DOCKER_HOST=unix://PATH)",
            socket.display()
        ))
    })?;
    get_image(stream, name, "Docker", idle)
}

/// Streams `podman save NAME`: from its API socket, else from the CLI.
pub fn podman(name: &str, idle: Option<Duration>) -> Result<Stream, EngineError> {
    if let Some(socket) = podman_socket()
        && let Ok(stream) = UnixStream::connect(&socket)
    {
        return get_image(stream, name, "Podman", idle);
    }
    super::podman_cli::save(name, idle)
}

fn get_image(
    stream: UnixStream,
    name: &str,
    engine: &'static str,
    idle: Option<Duration>,
) -> Result<Stream, EngineError> {
    let timeouts = stream
        .set_read_timeout(idle)
        .and_then(|()| stream.set_write_timeout(idle));
    timeouts.map_err(|e| EngineError::Failed(format!("{engine}: {e}")))?;
    let mut stream = Watched {
        inner: stream,
        engine,
        idle,
    };
    let request = format!(
        "GET /images/{}/get HTTP/1.1\r\nHost: localhost\r\nUser-Agent: ballast\r\nConnection: close\r\n\r\n",
        path_escape(name)
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| EngineError::Failed(format!("{engine}: {e}")))?;
    let mut r = BufReader::with_capacity(1 << 20, stream);
    let head = read_head(&mut r).map_err(|e| {
        EngineError::Failed(if e.kind() == io::ErrorKind::TimedOut {
            e.to_string()
        } else {
            format!("{engine}: {e}")
        })
    })?;
    let body: Stream = if head.chunked {
        Box::new(BufReader::with_capacity(1 << 20, Chunked::new(r)))
    } else if let Some(n) = head.length {
        Box::new(BufReader::new(r.take(n)))
    } else {
        Box::new(r)
    };
    match head.status {
        200 => Ok(body),
        s => {
            let mut text = Vec::new();
            let _ = body.take(64 << 10).read_to_end(&mut text);
            let message = serde_json::from_slice::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("message")?.as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&text).trim().to_string());
            let line = format!(
                "{engine}: {}",
                message.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            if s == 404 {
                Err(EngineError::NoImage(line))
            } else {
                Err(EngineError::Failed(format!("{line} (HTTP {s})")))
            }
        }
    }
}

/// Percent-encodes what may not stand in a URL path (a reference's `/`,
/// `:` and `@` may).
fn path_escape(s: &str) -> String {
    super::percent_escape(s, b"/:@")
}

/// The engine's socket, whose timed-out waits say which engine stalled and
/// for how long.
struct Watched {
    inner: UnixStream,
    engine: &'static str,
    idle: Option<Duration>,
}

impl Watched {
    fn stalled(&self, e: io::Error) -> io::Error {
        match (e.kind(), self.idle) {
            (io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut, Some(limit)) => io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{} stalled: {}", self.engine, super::idle::words(limit)),
            ),
            _ => e,
        }
    }
}

impl Read for Watched {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| self.stalled(e))
    }
}

impl Write for Watched {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).map_err(|e| self.stalled(e))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

struct Head {
    status: u16,
    chunked: bool,
    length: Option<u64>,
}

fn read_head(r: &mut impl BufRead) -> io::Result<Head> {
    let mut line = String::new();
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    if r.by_ref().take(8 << 10).read_line(&mut line)? == 0 {
        return Err(bad("the engine closed the connection without answering"));
    }
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("the engine's answer is not HTTP"))?;
    let mut head = Head {
        status,
        chunked: false,
        length: None,
    };
    for _ in 0..200 {
        line.clear();
        r.by_ref().take(64 << 10).read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            return Ok(head);
        }
        if let Some((k, v)) = l.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                head.chunked = true;
            } else if k == "content-length" {
                head.length = v.parse().ok();
            }
        }
    }
    Err(bad("the engine's answer has too many headers"))
}

/// Decodes `Transfer-Encoding: chunked`; a connection that ends inside a
/// chunk is an error, not a short image.
struct Chunked<R> {
    inner: R,
    left: u64,
    done: bool,
}

impl<R: BufRead> Chunked<R> {
    fn new(inner: R) -> Self {
        Chunked {
            inner,
            left: 0,
            done: false,
        }
    }

    fn next_size(&mut self) -> io::Result<u64> {
        let mut line = String::new();
        self.inner.by_ref().take(1024).read_line(&mut line)?;
        let hex = line.trim().split(';').next().unwrap_or("");
        u64::from_str_radix(hex, 16).map_err(|_| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the engine's stream broke off (truncated)",
            )
        })
    }
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            self.left = self.next_size()?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the engine's stream broke off (truncated)",
            ));
        }
        self.left -= n as u64;
        if self.left == 0 {
            let mut crlf = [0u8; 2];
            self.inner.read_exact(&mut crlf)?;
        }
        Ok(n)
    }
}

/// `podman image save` piped; its exit status is checked at the stream's
/// end, so a failed save is an error, not a short archive.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_decode_and_cuts_are_errors() {
        let whole = b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n";
        let mut out = String::new();
        Chunked::new(&whole[..]).read_to_string(&mut out).unwrap();
        assert_eq!(out, "hello world");
        let cut = b"5\r\nhello\r\n6\r\n wo";
        let mut out = Vec::new();
        assert!(Chunked::new(&cut[..]).read_to_end(&mut out).is_err());
    }

    #[test]
    fn heads_give_status_and_framing() {
        let mut r = &b"HTTP/1.1 404 Not Found\r\nContent-Length: 12\r\n\r\n{\"message\":1}"[..];
        let h = read_head(&mut r).unwrap();
        assert_eq!((h.status, h.length, h.chunked), (404, Some(12), false));
        assert_eq!(path_escape("reg:5000/a b@x"), "reg:5000/a%20b@x");
    }
}
