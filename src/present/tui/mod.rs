//! The interactive terminal UI: `ballast IMAGE` on a terminal.
//!
//! Five panes: the Dockerfile steps, the file tree at the selected step,
//! the waste findings grouped by step, the packages the image's package
//! managers recorded (Enter shows one's files in the tree), and details of
//! whatever is selected.
//! The UI does not run the pipeline: the caller starts the analysis on a
//! thread of its own and hands over a [`Loading`] (progress counters and a
//! channel), and a progress screen shows until the finished analysis
//! arrives. It is then read, never recomputed, except what depends on the
//! selection (sizes at a step, filters), which the UI-free
//! [`crate::browse`] model updates incrementally so a keypress costs what it
//! changes, not the size of the image.
//!
//! Layout of this module: [`app`] (routing keys, what spans panes),
//! [`panes`] (each pane's state and actions), [`keys`] (the one key
//! table), [`layout`], [`theme`], [`widgets`] (drawing only, from per-frame
//! props), [`event_loop`] and [`terminal`]. Nothing outside this module
//! names ratatui or crossterm.

pub mod app;
pub mod config;
pub mod dive_keys;
pub mod event_loop;
pub mod keys;
pub mod layout;
pub mod panes;
pub mod terminal;
pub mod theme;
pub mod widgets;

use std::io;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub use crate::browse::model::Model;
pub use app::App;
pub use event_loop::{Loading, Outcome};
pub use theme::Theme;

/// Opens the UI on the terminal while the analysis `loading` describes
/// runs elsewhere, and returns when the user quits. On a load failure the
/// terminal is restored and the error returned for the caller to print
/// (exit code 2).
pub fn run(loading: Loading, config: &config::TuiConfig) -> io::Result<Outcome> {
    run_with_diff(loading, config, None)
}

/// [`run`], for `ballast diff OLD NEW`: NEW (what `loading` brings) with
/// the comparison `diff` as a lens over it.
pub fn run_with_diff(
    loading: Loading,
    config: &config::TuiConfig,
    diff: Option<std::sync::Arc<crate::analyze::diff_report::DiffReport>>,
) -> io::Result<Outcome> {
    let mut theme = Theme::from_env();
    config.apply_colors(&mut theme, !Theme::no_color());
    let guard = terminal::Guard::enter()?;
    let mut term = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    let mut screen = event_loop::Screen::Loading(loading);
    let setup = event_loop::Setup {
        keys: config.key_map(),
        // `y` writes the OSC 52 sequence straight to the terminal.
        clipboard: || {
            Box::new(|seq: &str| {
                let mut out = io::stdout();
                let _ = io::Write::write_all(&mut out, seq.as_bytes());
                let _ = io::Write::flush(&mut out);
            })
        },
        diff,
    };
    let outcome = event_loop::run_loop_with(
        &mut term,
        &mut screen,
        &mut event_loop::TerminalInputs,
        &theme,
        &setup,
    );
    drop(guard);
    outcome
}
