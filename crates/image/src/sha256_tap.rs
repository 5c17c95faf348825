//! The sha256 of what a reader consumes, so a layer's diff_id is checked
//! in the same pass that indexes it.

use sha2::Digest;
use std::io::{self, BufRead, Read};

use crate::archive::tar_stream::SkipForward;
use crate::index::layer::hex;

pub(crate) struct Sha256Tap<R> {
    inner: R,
    hasher: Option<sha2::Sha256>,
}

impl<R: BufRead> Sha256Tap<R> {
    /// `inner`, hashed as it is consumed when `hashing`.
    pub(crate) fn new(inner: R, hashing: bool) -> Self {
        Sha256Tap {
            inner,
            hasher: hashing.then(sha2::Sha256::new),
        }
    }

    /// `sha256:HEX` of every byte consumed so far, when hashing.
    pub(crate) fn finish(&mut self) -> Option<String> {
        self.hasher
            .take()
            .map(|h| format!("sha256:{}", hex(&h.finalize())))
    }
}

impl<R: BufRead> Read for Sha256Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Sha256Tap<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        if let Some(h) = self.hasher.as_mut()
            && let Ok(buf) = self.inner.fill_buf()
        {
            h.update(&buf[..amt.min(buf.len())]);
        }
        self.inner.consume(amt);
    }
}

impl<R: BufRead> SkipForward for Sha256Tap<R> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_consumes_hash_the_same_bytes() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let want = format!("sha256:{}", hex(&sha2::Sha256::digest(&data)));
        let mut by_read = Sha256Tap::new(io::BufReader::new(&data[..]), true);
        io::copy(&mut by_read, &mut io::sink()).unwrap();
        assert_eq!(by_read.finish(), Some(want.clone()));
        let mut by_consume = Sha256Tap::new(io::BufReader::with_capacity(999, &data[..]), true);
        loop {
            let n = by_consume.fill_buf().unwrap().len().min(377);
            if n == 0 {
                break;
            }
            by_consume.consume(n);
        }
        assert_eq!(by_consume.finish(), Some(want));
        let mut off = Sha256Tap::new(&data[..], false);
        io::copy(&mut off, &mut io::sink()).unwrap();
        assert_eq!(off.finish(), None);
    }
}
