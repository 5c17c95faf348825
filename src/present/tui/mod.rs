//! The interactive terminal UI: `ballast IMAGE` on a terminal.
//!
//! Five panes: the Dockerfile steps, the file tree at the selected step,
//! the waste findings grouped by step, the packages the image's package
//! managers recorded (Enter shows one's files in the tree), and details of
//! whatever is selected.
//! The image loads on another thread while a progress screen shows; the
//! analysis is then read, never recomputed, except what depends on the
//! selection (sizes at a step, filters), which is updated incrementally so a
//! keypress costs what it changes, not the size of the image.
//!
//! Layout of this module: [`model`] (read-only data and indices),
//! [`sizes`], [`lens`] and [`tree_view`] (what the tree shows and how it is
//! navigated: pure, unit-tested), [`app`] (state and actions), [`keys`]
//! (the one key table), [`layout`], [`theme`], [`widgets`] (drawing only),
//! [`event_loop`] and [`terminal`]. Nothing outside this module names
//! ratatui or crossterm.

pub mod app;
pub mod event_loop;
pub mod keys;
pub mod layout;
pub mod lens;
pub mod list;
pub mod model;
pub mod sizes;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod tree_view;
pub mod widgets;

use std::io;
use std::sync::{Arc, mpsc};
use std::time::Instant;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::Options;
use crate::archive::{Input, LoadProgress};

pub use app::App;
pub use event_loop::Outcome;
pub use model::Model;
pub use theme::Theme;

/// Opens the UI on the terminal, loads the image on a thread meanwhile,
/// and returns when the user quits. On a load failure the terminal is
/// restored and the error returned for the caller to print (exit code 2).
pub fn run(input: Input, mut options: Options) -> io::Result<Outcome> {
    let theme = Theme::from_env();
    let progress = Arc::new(LoadProgress::default());
    options.load.progress = Some(Arc::clone(&progress));
    let source = input.display();
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("ballast-load".into())
        .spawn(move || {
            // The receiver is gone only when the user quit while loading.
            let _ = tx.send(Model::load(&input, &options));
        })?;
    let guard = terminal::Guard::enter()?;
    let mut term = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    let mut screen = event_loop::Screen::Loading(event_loop::Loading {
        source,
        progress,
        started: Instant::now(),
        result: rx,
    });
    let outcome = event_loop::run_loop(
        &mut term,
        &mut screen,
        &mut event_loop::TerminalInputs,
        &theme,
    );
    drop(guard);
    outcome
}
