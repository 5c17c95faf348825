//! One layer's (uncompressed) tar stream through the indexer: path
//! normalization, whiteouts, hard links, metadata capture, ELF sniffing and
//! content hashing.

#![no_main]

use std::io::Cursor;

use ballast::index::layer::{IndexOptions, index_layer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(idx) = index_layer(Cursor::new(data), IndexOptions::default()) {
        // Every span handed out must point into the arena.
        for e in &idx.entries {
            let _ = idx.path(e);
            let _ = idx.link(e);
        }
        assert!(idx.tar_bytes <= data.len() as u64, "indexed past the input");
    }
});
