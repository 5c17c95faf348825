//! How much of an image the index may hold: a bound on what every layer's
//! entries cost together, so that no archive, however it is built, drives
//! memory up without limit.
//!
//! Memory grows with three things, and the budget counts each:
//! - entries (every tar entry, whiteouts included: about 200 bytes each
//!   across the layer index, the merged tree and dive's metrics);
//! - path components no earlier entry's directory implied (one file 400,000
//!   directories deep makes 400,000 tree nodes from one entry), counted as
//!   entries;
//! - name bytes (the layer keeps each normalized path, the tree each
//!   distinct name), bounded at [`NAME_BYTES_PER_ENTRY`] per allowed entry.
//!
//! The layers of an image are indexed on several threads at once, so the
//! counts are shared; each layer adds to them in batches.

use std::sync::atomic::{AtomicU64, Ordering};

/// The default `--max-entries`. An entry costs about 200 bytes, and up to
/// about 360 when each has its own 96-byte name (the hostile corpus's
/// `big-names-at-budget`): a full budget of either stays under 500 MB of
/// peak memory.
pub const DEFAULT_MAX_ENTRIES: u64 = 1_200_000;

/// Name bytes allowed per allowed entry: real images average 60 to 100
/// bytes a path.
pub const NAME_BYTES_PER_ENTRY: u64 = 96;

/// How many entries a layer indexes between two looks at the shared counts.
const BATCH: u64 = 4096;

/// Where every over-budget message starts, so that a layer's error can be
/// told apart and worded for the whole image.
pub const OVER_BUDGET: &str = "the image's layers hold ";

/// What went over the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    Entries { limit: u64 },
    NameBytes { limit: u64, max_entries: u64 },
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Exceeded::Entries { limit } => write!(
                f,
                "{OVER_BUDGET}more than {limit} entries (files, directories, links, whiteouts and the directories their paths imply); --max-entries N raises the limit"
            ),
            Exceeded::NameBytes { limit, max_entries } => write!(
                f,
                "{OVER_BUDGET}more than {limit} bytes of entry names ({NAME_BYTES_PER_ENTRY} per entry of --max-entries {max_entries}); --max-entries N raises the limit"
            ),
        }
    }
}

impl std::error::Error for Exceeded {}

/// The counts one image's layers share.
#[derive(Debug)]
pub struct Budget {
    max_entries: u64,
    entries: AtomicU64,
    name_bytes: AtomicU64,
}

impl Budget {
    pub fn new(max_entries: u64) -> Self {
        Budget {
            max_entries,
            entries: AtomicU64::new(0),
            name_bytes: AtomicU64::new(0),
        }
    }

    fn max_name_bytes(&self) -> u64 {
        self.max_entries.saturating_mul(NAME_BYTES_PER_ENTRY)
    }

    /// Adds a batch and says whether the image is still within the budget.
    fn add(&self, entries: u64, name_bytes: u64) -> Result<(), Exceeded> {
        let e = self.entries.fetch_add(entries, Ordering::Relaxed) + entries;
        let n = self.name_bytes.fetch_add(name_bytes, Ordering::Relaxed) + name_bytes;
        if e > self.max_entries {
            return Err(Exceeded::Entries {
                limit: self.max_entries,
            });
        }
        if n > self.max_name_bytes() {
            return Err(Exceeded::NameBytes {
                limit: self.max_name_bytes(),
                max_entries: self.max_entries,
            });
        }
        Ok(())
    }
}

/// One layer's share of the counts, passed on to the [`Budget`] in batches.
#[derive(Debug)]
pub struct LayerCharge<'a> {
    budget: &'a Budget,
    entries: u64,
    name_bytes: u64,
    /// The directory part of the previous entry's path: components it
    /// shares with the next one's cost nothing again.
    last_dir: Vec<u8>,
}

impl<'a> LayerCharge<'a> {
    pub fn new(budget: &'a Budget) -> Self {
        LayerCharge {
            budget,
            entries: 0,
            name_bytes: 0,
            last_dir: Vec::new(),
        }
    }

    /// Counts one entry: its normalized path and the arena bytes it took.
    pub fn entry(&mut self, path: &[u8], arena_bytes: usize) -> Result<(), Exceeded> {
        let dir = match path.iter().rposition(|&b| b == b'/') {
            Some(i) => &path[..i],
            None => &[][..],
        };
        let new_components = if dir.is_empty() {
            0
        } else {
            let total = dir.split(|&b| b == b'/').count();
            let shared = if self.last_dir.is_empty() {
                0
            } else {
                dir.split(|&b| b == b'/')
                    .zip(self.last_dir.split(|&b| b == b'/'))
                    .take_while(|(a, b)| a == b)
                    .count()
            };
            (total - shared) as u64
        };
        self.last_dir.clear();
        self.last_dir.extend_from_slice(dir);
        self.entries += 1 + new_components;
        self.name_bytes += arena_bytes as u64;
        if self.entries >= BATCH || new_components >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Passes what is counted so far on to the budget.
    pub fn flush(&mut self) -> Result<(), Exceeded> {
        let (e, n) = (self.entries, self.name_bytes);
        self.entries = 0;
        self.name_bytes = 0;
        self.budget.add(e, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(paths: &[&str]) -> u64 {
        let b = Budget::new(u64::MAX / 1024);
        let mut c = LayerCharge::new(&b);
        for p in paths {
            c.entry(p.as_bytes(), p.len()).expect("within");
        }
        c.flush().expect("within");
        b.entries.load(Ordering::Relaxed)
    }

    #[test]
    fn components_a_directory_already_implied_cost_nothing_again() {
        // One per entry, and one per directory level the previous entry's
        // directory did not have.
        assert_eq!(charge(&["a", "a/b", "a/b/c"]), 3 + 1 + 1);
        assert_eq!(charge(&["d/x", "d/y", "d/z"]), 3 + 1);
        assert_eq!(charge(&["x/d/d/d/f"]), 1 + 4);
        assert_eq!(charge(&["p/q/f", "p/r/f"]), 2 + 2 + 1);
    }

    #[test]
    fn the_shared_counts_refuse_what_goes_over() {
        let b = Budget::new(10);
        let mut one = LayerCharge::new(&b);
        let mut two = LayerCharge::new(&b);
        for i in 0..5 {
            one.entry(format!("f{i}").as_bytes(), 2).expect("within");
            two.entry(format!("g{i}").as_bytes(), 2).expect("within");
        }
        assert_eq!(one.flush(), Ok(()));
        assert_eq!(two.flush(), Ok(()));
        let mut three = LayerCharge::new(&b);
        three.entry(b"h", 1).expect("batched");
        assert_eq!(three.flush(), Err(Exceeded::Entries { limit: 10 }));
        let names = Budget::new(1);
        let mut long = LayerCharge::new(&names);
        long.entry(&[b'n'; 97], 97).expect("batched");
        assert_eq!(
            long.flush(),
            Err(Exceeded::NameBytes {
                limit: 96,
                max_entries: 1
            })
        );
    }
}
