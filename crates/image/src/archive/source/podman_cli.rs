//! Podman with no API socket: `podman image save` piped. A pipe has no read
//! timeout, so its output passes through a reader thread and every wait
//! for the next chunk is bounded by the idle limit: a podman that stops
//! (a storage lock held elsewhere, a stopped process) is an error naming
//! Podman, never a hang.

use std::io::{self, BufRead, Read};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::engine::{EngineError, Stream};
use super::read_ahead::{ReadAhead, read_buffered};

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
    let out = child
        .stdout
        .take()
        .ok_or_else(|| EngineError::Failed("Podman: no output".into()))?;
    let stderr = collect(child.stderr.take());
    let idle = idle.map(|limit| {
        (
            limit,
            format!("Podman stalled: {}", super::idle::words(limit)),
        )
    });
    Ok(Box::new(SavePipe {
        pipe: ReadAhead::spawn(out, idle),
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

/// `podman image save`'s output, and podman to ask at its end.
struct SavePipe {
    pipe: ReadAhead,
    child: Option<Child>,
    stderr: JoinHandle<Vec<u8>>,
}

impl SavePipe {
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
        read_buffered(self, buf)
    }
}

impl BufRead for SavePipe {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pipe.fill_buf()?.is_empty() {
            self.finished()?;
        }
        self.pipe.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.pipe.consume(amt);
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
