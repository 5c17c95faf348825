//! What a layer's result holds in memory. A streamed archive (stdin, a pipe,
//! a compressed archive) is indexed blob by blob before its manifest says
//! which blobs are layers, so every result is kept until then; the stream
//! loader bounds those kept results by the bytes they hold, not by how many
//! blobs there are, so thousands of small unreferenced blobs cost little and
//! a few hostile ones cannot hold gigabytes.

use std::mem::size_of;

use crate::index::layer::{Captured, LayerEntry, LayerIndex};

/// Most bytes of results kept while a stream's layout is unknown (every
/// layer's index until `manifest.json`, which `docker save` writes last, or
/// `index.json` arrives). An image with about two million files fits.
pub const SPECULATIVE_LIMIT: u64 = 256 << 20;

/// Heap bytes a layer's result holds (an estimate from above).
pub trait Retained {
    fn retained_bytes(&self) -> u64;
}

impl Retained for () {
    fn retained_bytes(&self) -> u64 {
        0
    }
}

impl Retained for LayerIndex {
    fn retained_bytes(&self) -> u64 {
        let entries = self.entries.capacity() * size_of::<LayerEntry>();
        // Names may share the arena; counting each one is an upper bound.
        let names: usize = self
            .entries
            .iter()
            .map(|e| self.path(e).len() + self.link(e).len())
            .sum();
        let captured: usize = self
            .captured
            .iter()
            .map(|c| c.content.capacity() + size_of::<Captured>())
            .sum();
        let warnings: usize = self
            .warnings
            .iter()
            .map(|w| w.capacity() + size_of::<String>())
            .sum();
        let other = self.unresolved_links.capacity() * size_of::<u32>()
            + self.elf_debug.capacity() * size_of::<(u32, u64)>();
        (entries + names + captured + warnings + other) as u64
    }
}

/// A result with the digest its stream was checked by.
impl<T: Retained> Retained for (T, Option<String>) {
    fn retained_bytes(&self) -> u64 {
        self.0.retained_bytes() + self.1.as_ref().map_or(0, |d| d.capacity() as u64)
    }
}
