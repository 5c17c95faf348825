//! Present: read a finished [`crate::analyze::report::Report`] and show it.
//! A presenter never re-walks layers or recomputes analysis.

pub mod diff_json;
pub mod diff_markdown;
pub mod diff_text;
pub mod json;
pub mod markdown;
pub mod text;
pub mod tui;
