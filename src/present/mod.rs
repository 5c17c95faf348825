//! Present: read a finished [`crate::analyze::report::Report`] and show it.
//! A presenter never re-walks layers or recomputes analysis.

pub mod codequality;
pub mod diff;
pub mod diff_json;
pub mod diff_markdown;
pub mod diff_text;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod location;
pub mod markdown;
pub mod ncdu;
pub mod patch;
pub mod sarif;
pub mod text;
pub mod tui;
