//! Blob digests computed as the bytes stream past (`--verify`), once per
//! byte.

use super::decompress::Compression;
use std::io;
use std::io::Read;
use std::sync::Arc;

/// The sha256 of a compressed blob as it streams past, for `--verify`.
/// An uncompressed blob is its layer's content, which the indexer hashes
/// anyway (the diff_id): [`BlobDigest::skip`] stops the second hash, and
/// the report compares that diff_id with the manifest's digest instead.
#[derive(Clone)]
pub(super) struct BlobDigest(Arc<std::sync::Mutex<Option<BlobHasher>>>);

/// OCI blobs are named by sha256 or sha512.
pub(super) enum BlobHasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl BlobDigest {
    /// `raw`, hashed on the way through when verifying, with the algorithm
    /// the blob's name (`blobs/ALG/HEX`) gives.
    pub(super) fn tap<'a>(
        raw: Box<dyn Read + Send + 'a>,
        verify: bool,
        name: &str,
    ) -> (Box<dyn Read + Send + 'a>, Option<BlobDigest>) {
        if !verify {
            return (raw, None);
        }
        let hasher = if name.starts_with("blobs/sha512/") {
            BlobHasher::Sha512(<sha2::Sha512 as sha2::Digest>::new())
        } else {
            BlobHasher::Sha256(<sha2::Sha256 as sha2::Digest>::new())
        };
        let digest = BlobDigest(Arc::new(std::sync::Mutex::new(Some(hasher))));
        let tapped = DigestTap {
            inner: raw,
            digest: digest.clone(),
        };
        (Box::new(tapped), Some(digest))
    }

    /// Called once the compression is known. An uncompressed sha256 blob
    /// is its layer's diff_id, hashed by the indexer anyway.
    pub(super) fn sniffed(&self, comp: Compression) {
        if comp == Compression::None
            && let Ok(mut h) = self.0.lock()
            && matches!(*h, Some(BlobHasher::Sha256(_)))
        {
            *h = None;
        }
    }

    pub(super) fn finish(&self) -> Option<String> {
        let h = self.0.lock().ok()?.take()?;
        Some(match h {
            BlobHasher::Sha256(h) => format!(
                "sha256:{}",
                crate::index::layer::hex(&sha2::Digest::finalize(h))
            ),
            BlobHasher::Sha512(h) => format!(
                "sha512:{}",
                crate::index::layer::hex(&sha2::Digest::finalize(h))
            ),
        })
    }
}

pub(super) struct DigestTap<R> {
    inner: R,
    digest: BlobDigest,
}

impl<R: Read> Read for DigestTap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut h) = self.digest.0.lock()
            && let Some(h) = h.as_mut()
        {
            match h {
                BlobHasher::Sha256(h) => sha2::Digest::update(h, &buf[..n]),
                BlobHasher::Sha512(h) => sha2::Digest::update(h, &buf[..n]),
            }
        }
        Ok(n)
    }
}
