//! The tar reader alone, on a forward-only stream: every header, PAX and GNU
//! extension, and the data of each entry read in varied amounts.
//!
//! Besides "no panic", it checks the reader's own promises: the position
//! never goes back, a chunk never exceeds what is left of the entry, and an
//! entry never yields more data than its size (a sparse file's real size).

#![no_main]

use std::io::Cursor;

use ballast::archive::tar_stream::{Streamed, TarReader};
use libfuzzer_sys::fuzz_target;

/// Stops a reader that keeps producing entries from an input that cannot
/// hold them (each entry needs at least one 512-byte header).
fn entry_bound(len: usize) -> usize {
    len / 512 + 2
}

fuzz_target!(|data: &[u8]| {
    let mut tar = TarReader::new(Streamed(Cursor::new(data)));
    let mut last_pos = 0u64;
    let mut entries = 0usize;
    loop {
        let size = match tar.next_entry() {
            Ok(Some(h)) => h.size,
            Ok(None) | Err(_) => break,
        };
        entries += 1;
        assert!(
            entries <= entry_bound(data.len()),
            "{entries} entries from {} bytes",
            data.len()
        );
        let pos = tar.position();
        assert!(pos >= last_pos, "position went back: {last_pos} -> {pos}");
        last_pos = pos;
        // Stored data never exceeds the entry's size; a sparse file's size
        // (its holes included) may exceed what is stored.
        assert!(tar.data_left() <= size, "data_left right after the header");

        // Entry by entry: read everything, read a little then skip, or skip.
        let mut read = 0u64;
        match entries % 3 {
            0 => {}
            mode => loop {
                let n = match tar.data_chunk() {
                    Ok(c) if c.is_empty() => break,
                    Ok(c) => {
                        assert!(c.len() as u64 <= size - read, "chunk past the entry's end");
                        if mode == 1 { c.len() } else { c.len().div_ceil(2) }
                    }
                    Err(_) => break,
                };
                tar.consume(n);
                read += n as u64;
                assert!(read <= size, "read {read} of a {size}-byte entry");
                if mode == 2 && read > 4096 {
                    break;
                }
            },
        }
        let pos = tar.position();
        assert!(pos >= last_pos, "position went back: {last_pos} -> {pos}");
        last_pos = pos;
    }
});
