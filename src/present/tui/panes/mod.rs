//! Each pane's own state and what its keys do to it, one file per pane.
//! A pane's state knows nothing of the others: [`super::app::App`] routes
//! keys to the focused pane and does what spans panes (a finding's jump to
//! its step and file, a package's files in the tree). Drawing reads these
//! through per-frame props (see [`super::widgets`]) and never changes them.

pub mod diff;
pub mod files;
pub mod packages;
pub mod steps;
pub mod waste;
