//! Podman with no API socket: `podman image save` piped. A pipe has no read
//! timeout, so its output passes through a reader thread and every wait
//! for the next chunk is bounded by the idle limit: a podman that stops
//! (a storage lock held elsewhere, a stopped process) is an error naming
//! Podman, never a hang.

use std::io::{self, BufRead, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::engine::{EngineError, Stream};

/// Chunks in flight between the reader thread and the loader.
const CHUNKS_AHEAD: usize = 4;
const CHUNK: usize = 1 << 20;

/// Streams `podman image save NAME` (the `docker save` layout), after
/// `podman image exists` tells an unknown image from a broken podman.
pub(super) fn save(name: &str, idle: Option<Duration>) -> Result<Stream, EngineError> {
    let mut exists = Command::new("podman");
    exists.args(["image", "exists", name]);
    let (code, stderr) = run_within(exists, idle)?;
    match code {
        Some(0) => {}
        Some(1) => return Err(EngineError::NoImage(format!("Podman: no image {name}"))),
        _ => {
            return Err(EngineError::Unreachable(format!(
                "Podman: {}",
                last_line(&stderr)
            )));
        }
    }
    let mut child = Command::new("podman")
        .args(["image", "save", "--format", "docker-archive", name])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| EngineError::Unreachable(format!("Podman: {e}")))?;
    let mut out = child
        .stdout
        .take()
        .ok_or_else(|| EngineError::Failed("Podman: no output".into()))?;
    let stderr = collect(child.stderr.take());
    let (tx, chunks) = mpsc::sync_channel(CHUNKS_AHEAD);
    // Ends when podman's output ends or the loader hangs up.
    std::thread::spawn(move || {
        loop {
            let mut buf = vec![0u8; CHUNK];
            let got = out.read(&mut buf).map(|n| {
                buf.truncate(n);
                buf
            });
            let last = !matches!(&got, Ok(b) if !b.is_empty());
            if tx.send(got).is_err() || last {
                return;
            }
        }
    });
    Ok(Box::new(SavePipe {
        chunks,
        chunk: Vec::new(),
        at: 0,
        idle,
        child: Some(child),
        stderr,
    }))
}

/// Runs a short podman command to its end, within `idle`; its exit code
/// and standard error.
fn run_within(
    mut cmd: Command,
    idle: Option<Duration>,
) -> Result<(Option<i32>, Vec<u8>), EngineError> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            EngineError::Unreachable(format!("Podman: no socket and no podman command ({e})"))
        })?;
    let stderr = collect(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(EngineError::Failed(format!("Podman: {e}"))),
        }
        if let Some(limit) = idle
            && start.elapsed() >= limit
        {
            let _ = child.kill();
            let _ = child.wait();
            return Err(EngineError::Failed(format!(
                "Podman stalled: `podman image exists` gave {}",
                super::idle::words(limit).replacen("no byte", "no answer", 1)
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ok((status.code(), stderr.join().unwrap_or_default()))
}

/// Reads a child's standard error to its end on a thread of its own, so a
/// chatty podman never blocks on a full pipe.
fn collect(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut v);
        }
        v
    })
}

fn last_line(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("failed")
        .trim()
        .to_string()
}

/// `podman image save`'s output as the reader thread hands it over.
struct SavePipe {
    chunks: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
    idle: Option<Duration>,
    child: Option<Child>,
    stderr: JoinHandle<Vec<u8>>,
}

impl SavePipe {
    fn next_chunk(&mut self) -> io::Result<()> {
        let got = match self.idle {
            Some(limit) => self.chunks.recv_timeout(limit).map_err(|e| match e {
                RecvTimeoutError::Timeout => Some(limit),
                RecvTimeoutError::Disconnected => None,
            }),
            None => self.chunks.recv().map_err(|_| None),
        };
        match got {
            Ok(Ok(chunk)) if !chunk.is_empty() => {
                self.chunk = chunk;
                self.at = 0;
                Ok(())
            }
            Ok(Err(e)) => Err(e),
            Err(Some(limit)) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("Podman stalled: {}", super::idle::words(limit)),
            )),
            Ok(Ok(_)) | Err(None) => self.finished(),
        }
    }

    /// The output ended: podman's exit status says whether it was whole.
    fn finished(&mut self) -> io::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let status = child.wait()?;
        if status.success() {
            return Ok(());
        }
        let stderr = std::mem::replace(&mut self.stderr, std::thread::spawn(Vec::new));
        let text = last_line(&stderr.join().unwrap_or_default());
        Err(io::Error::other(format!(
            "podman image save failed: {text}"
        )))
    }
}

impl Read for SavePipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let have = self.fill_buf()?;
        let n = have.len().min(buf.len());
        buf[..n].copy_from_slice(&have[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for SavePipe {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.at >= self.chunk.len() && self.child.is_some() {
            self.next_chunk()?;
        }
        Ok(&self.chunk[self.at.min(self.chunk.len())..])
    }
    fn consume(&mut self, amt: usize) {
        self.at = (self.at + amt).min(self.chunk.len());
    }
}

impl Drop for SavePipe {
    fn drop(&mut self) {
        // Stopped early (an error downstream, a stall): leave no podman
        // behind, stopped or not.
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
