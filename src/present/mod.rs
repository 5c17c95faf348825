//! Present: read a finished [`crate::analyze::report::Report`] and show it.
//! A presenter never re-walks layers or recomputes analysis.

pub mod html;
pub mod json;
pub mod markdown;
pub mod ncdu;
pub mod text;
pub mod tui;
