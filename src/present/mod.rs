//! Present: read a finished [`crate::analyze::report::Report`] and show it.
//! A presenter never re-walks layers or recomputes analysis.

pub mod diff;
pub mod json;
pub mod markdown;
pub mod patch;
pub mod text;
pub mod tui;
