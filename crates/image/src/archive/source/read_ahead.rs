//! A reader moved onto a thread of its own, handing its bytes over in
//! chunks. What the reader does per byte (a registry blob's sha256 and
//! socket reads) then runs beside whoever consumes the bytes (inflate and
//! the tar index), so one big layer keeps two cores busy; and every wait
//! for the next chunk can be bounded, which a pipe cannot do by itself.

use std::io::{self, BufRead, Read};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// Chunks in flight between the thread and the consumer: enough to ride
/// out a pause on either side, little memory per stream.
const CHUNKS_AHEAD: usize = 4;
const CHUNK: usize = 1 << 20;

pub(super) struct ReadAhead {
    chunks: Receiver<io::Result<Chunk>>,
    /// Spent buffers go back to the thread: no allocation or zeroing per
    /// chunk once the first few are made.
    spent: Sender<Vec<u8>>,
    chunk: Chunk,
    at: usize,
    /// The longest wait for a chunk, and what to call a stall.
    idle: Option<(Duration, String)>,
    /// The reader's end, once reached: `Ok` or its error, given again to
    /// every later read.
    end: Option<Result<(), (io::ErrorKind, String)>>,
}

/// A buffer and how much of it holds bytes; empty at the reader's end.
struct Chunk {
    buf: Vec<u8>,
    len: usize,
}

impl ReadAhead {
    /// Reads `inner` to its end (or first error) on a new thread.
    ///
    /// Without `idle`, chunks are filled before they are handed over (a
    /// socket read gives ~128 KiB; fewer hand-overs cost less). With it, a
    /// wait longer than its duration is a `TimedOut` error whose text is
    /// its string, so every read is handed over as it comes: a slow but
    /// live source is never taken for a stalled one.
    pub(super) fn spawn<R: Read + Send + 'static>(
        mut inner: R,
        idle: Option<(Duration, String)>,
    ) -> ReadAhead {
        let (tx, chunks) = mpsc::sync_channel(CHUNKS_AHEAD);
        let (spent, reuse) = mpsc::channel::<Vec<u8>>();
        let fill = idle.is_none();
        // Ends at the reader's end or error, or when the consumer hangs up.
        std::thread::spawn(move || {
            loop {
                let mut buf = reuse.try_recv().unwrap_or_else(|_| vec![0u8; CHUNK]);
                let mut len = 0;
                let got = loop {
                    match inner.read(&mut buf[len..]) {
                        Ok(0) => break Ok(()),
                        Ok(n) => {
                            len += n;
                            if !fill || len == buf.len() {
                                break Ok(());
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                // Bytes read before an error are handed over first.
                let last = len == 0 || got.is_err();
                if len > 0 && tx.send(Ok(Chunk { buf, len })).is_err() {
                    return;
                }
                if let Err(e) = got {
                    let _ = tx.send(Err(e));
                    return;
                }
                if last {
                    let _ = tx.send(Ok(Chunk {
                        buf: Vec::new(),
                        len: 0,
                    }));
                    return;
                }
            }
        });
        ReadAhead {
            chunks,
            spent,
            chunk: Chunk {
                buf: Vec::new(),
                len: 0,
            },
            at: 0,
            idle,
            end: None,
        }
    }

    fn next_chunk(&mut self) {
        let got = match &self.idle {
            Some((limit, _)) => self.chunks.recv_timeout(*limit),
            None => self
                .chunks
                .recv()
                .map_err(|_| RecvTimeoutError::Disconnected),
        };
        match got {
            Ok(Ok(chunk)) if chunk.len > 0 => {
                let spent = std::mem::replace(&mut self.chunk, chunk);
                if !spent.buf.is_empty() {
                    let _ = self.spent.send(spent.buf);
                }
                self.at = 0;
            }
            Ok(Ok(_)) => self.end = Some(Ok(())),
            Ok(Err(e)) => self.end = Some(Err((e.kind(), e.to_string()))),
            Err(RecvTimeoutError::Timeout) => {
                let words = self
                    .idle
                    .as_ref()
                    .map(|(_, w)| w.clone())
                    .unwrap_or_default();
                self.end = Some(Err((io::ErrorKind::TimedOut, words)));
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.end = Some(Err((
                    io::ErrorKind::Other,
                    "the reading thread stopped early".into(),
                )));
            }
        }
    }
}

impl BufRead for ReadAhead {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.at >= self.chunk.len && self.end.is_none() {
            self.next_chunk();
        }
        if self.at >= self.chunk.len
            && let Some(Err((kind, text))) = &self.end
        {
            return Err(io::Error::new(*kind, text.clone()));
        }
        Ok(&self.chunk.buf[self.at.min(self.chunk.len)..self.chunk.len])
    }
    fn consume(&mut self, amt: usize) {
        self.at = (self.at + amt).min(self.chunk.len);
    }
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, buf)
    }
}

/// `Read::read` for a reader whose bytes live in its `BufRead` buffer.
pub(super) fn read_buffered(r: &mut impl BufRead, buf: &mut [u8]) -> io::Result<usize> {
    let have = r.fill_buf()?;
    let n = have.len().min(buf.len());
    buf[..n].copy_from_slice(&have[..n]);
    r.consume(n);
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives `data` in odd-sized reads, then `fail` if any.
    struct Source {
        data: Vec<u8>,
        at: usize,
        fail: Option<&'static str>,
        pause: Option<Duration>,
    }
    impl Read for Source {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if let Some(p) = self.pause.take() {
                std::thread::sleep(p);
            }
            let n = (self.data.len() - self.at).min(buf.len()).min(77_777);
            if n == 0
                && let Some(f) = self.fail
            {
                return Err(io::Error::other(f));
            }
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn source(len: usize, fail: Option<&'static str>) -> Source {
        Source {
            data: (0..len).map(|i| (i % 253) as u8).collect(),
            at: 0,
            fail,
            pause: None,
        }
    }

    #[test]
    fn bytes_arrive_whole_and_in_order() {
        // Filled chunks, and chunks handed over read by read.
        for idle in [None, Some((Duration::from_secs(60), String::new()))] {
            for len in [0, 1, CHUNK - 1, CHUNK, 5 * CHUNK + 3] {
                let want = source(len, None).data;
                let mut got = Vec::new();
                ReadAhead::spawn(source(len, None), idle.clone())
                    .read_to_end(&mut got)
                    .unwrap();
                assert_eq!(got, want, "length {len}, {idle:?}");
            }
        }
    }

    #[test]
    fn an_error_comes_after_the_bytes_before_it_and_stays() {
        let mut r = ReadAhead::spawn(source(3 * CHUNK, Some("cut off")), None);
        let mut got = Vec::new();
        let e = r.read_to_end(&mut got).unwrap_err();
        assert_eq!(got.len(), 3 * CHUNK);
        assert_eq!(e.to_string(), "cut off");
        assert_eq!(r.read(&mut [0; 8]).unwrap_err().to_string(), "cut off");
    }

    #[test]
    fn a_stalled_reader_times_out_with_its_words() {
        let mut s = source(10, None);
        s.pause = Some(Duration::from_secs(5));
        let idle = Some((Duration::from_millis(50), "it stalled".to_string()));
        let mut r = ReadAhead::spawn(s, idle);
        let e = r.fill_buf().unwrap_err();
        assert_eq!(
            (e.kind(), e.to_string()),
            (io::ErrorKind::TimedOut, "it stalled".into())
        );
    }
}
