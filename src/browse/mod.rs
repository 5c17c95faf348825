//! The browsing model the terminal UI draws from, with no terminal in it:
//! what the file tree shows at a step ([`lens`]), directory sizes at any
//! step ([`sizes`]), tree and list navigation ([`tree_view`], [`list`]),
//! the read-only look-up tables built once from a finished analysis
//! ([`model`]), and text fitted to a width in cells ([`text`]).
//!
//! It reads a finished [`crate::Analysis`] and never recomputes it. It must
//! not name ratatui or crossterm: keys and drawing live in
//! [`crate::present::tui`], so everything here is unit-tested alone.

pub mod diff_lens;
pub mod fixes;
pub mod lens;
pub mod list;
pub mod model;
pub mod sizes;
pub mod text;
pub mod tree_view;

#[cfg(test)]
mod tests {
    /// The browsing model stays usable without a terminal: no file of it
    /// names a terminal crate.
    #[test]
    fn names_no_terminal_crate() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/browse");
        let mut read = 0;
        for entry in std::fs::read_dir(&dir).expect("src/browse") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("source");
            // Spelt in halves, so this very file does not trip the check.
            for name in [["rata", "tui"].concat(), ["cross", "term"].concat()] {
                for used in [format!("{name}::"), format!("use {name}")] {
                    assert!(!text.contains(&used), "{} names {used}", path.display());
                }
            }
            read += 1;
        }
        assert!(read >= 6, "only {read} files read");
    }
}
