//! A layer blob as stored: magic-byte sniffing, gzip (multi-member) or zstd
//! decoding, then the indexer with the diff_id check on. Bombs are bounded by
//! the input size times the codec's best ratio; anything slower than that, or
//! memory that grows with the claimed sizes rather than the bytes, is a bug.

#![no_main]

use std::io::Cursor;

use ballast::archive::decompress::decoder;
use ballast::index::layer::{IndexOptions, index_layer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((stream, _kind)) = decoder(Cursor::new(data)) else {
        return;
    };
    if let Ok(idx) = index_layer(
        stream,
        IndexOptions {
            verify: true,
            ..IndexOptions::default()
        },
    ) {
        for e in &idx.entries {
            let _ = idx.path(e);
            let _ = idx.link(e);
        }
        assert!(idx.diff_id.is_some(), "verify asked for a diff_id");
    }
});
