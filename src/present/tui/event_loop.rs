//! The loop: draw, wait for an input, apply it, repeat. It is generic over
//! the backend and the input source, so tests drive the very same loop on
//! ratatui's `TestBackend` with a scripted list of events.
//!
//! While the image loads (on a thread the caller started) the loop shows
//! progress and polls the loader's channel for the finished analysis; the
//! UI opens at once and q works throughout.

use std::io;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::Backend;

use crate::Analysis;
use crate::analyze::budget::BudgetVerdict;
use crate::archive::LoadProgress;
use crate::error::LoadError;

use super::app::{App, ClipboardSink};
use super::keys::KeyMap;
use super::theme::Theme;
use super::widgets;
use crate::browse::model::Model;

/// How the UI ended.
#[derive(Debug)]
pub enum Outcome {
    /// The user quit.
    Quit,
    /// The user quit, and the image breaks a budget set for the run
    /// (flags, `ballast.toml`, `.dive-ci`): the exit code says so, as
    /// without the UI.
    OverBudget(BudgetVerdict),
    /// The image could not be loaded; the terminal is already restored.
    LoadFailed(LoadError),
}

/// One thing from the input source.
pub enum Input {
    Event(Event),
    /// Nothing arrived in time; a chance to redraw progress.
    Tick,
    /// The source has ended (only scripted sources end).
    Closed,
}

pub trait Inputs {
    fn next(&mut self, wait: Duration) -> io::Result<Input>;
    /// Whether another input is already waiting (lets a burst of wheel or
    /// key-repeat events be applied before one redraw).
    fn pending(&mut self) -> io::Result<bool>;
}

/// The real terminal's events.
pub struct TerminalInputs;

impl Inputs for TerminalInputs {
    fn next(&mut self, wait: Duration) -> io::Result<Input> {
        if event::poll(wait)? {
            Ok(Input::Event(event::read()?))
        } else {
            Ok(Input::Tick)
        }
    }
    fn pending(&mut self) -> io::Result<bool> {
        event::poll(Duration::ZERO)
    }
}

/// A fixed list of events, then `Closed`: the tests' input.
pub struct Scripted(pub std::collections::VecDeque<Event>);

impl Inputs for Scripted {
    fn next(&mut self, _wait: Duration) -> io::Result<Input> {
        Ok(self.0.pop_front().map_or(Input::Closed, Input::Event))
    }
    fn pending(&mut self) -> io::Result<bool> {
        Ok(false)
    }
}

/// An analysis under way elsewhere: what the loading screen shows, and
/// where the finished analysis (or the reason there is none) arrives.
pub struct Loading {
    pub source: String,
    pub progress: Arc<LoadProgress>,
    pub started: Instant,
    pub result: Receiver<Result<Analysis, LoadError>>,
    /// The Dockerfile the run maps its steps to, for the planned fixes.
    pub dockerfile: Option<Arc<crate::analyze::dockerfile::Source>>,
}

pub enum Screen {
    Loading(Loading),
    Ready(Box<App>),
}

const LOADING_TICK: Duration = Duration::from_millis(100);
const IDLE_TICK: Duration = Duration::from_secs(1);
/// Events applied before a redraw, at most, when they arrive in a burst.
const BURST: usize = 64;

fn backend_err<E: std::fmt::Display>(e: E) -> io::Error {
    io::Error::other(e.to_string())
}

/// What the app is set up with when the analysis arrives.
pub struct Setup {
    /// The key table (`[tui.keys]` applied).
    pub keys: KeyMap,
    /// Makes the sink copied paths go to.
    pub clipboard: fn() -> ClipboardSink,
    /// `ballast diff OLD NEW`: the comparison, shown as a lens on NEW.
    pub diff: Option<Arc<crate::analyze::diff_report::DiffReport>>,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup {
            keys: KeyMap::default(),
            clipboard: || Box::new(|_: &str| {}),
            diff: None,
        }
    }
}

/// Runs until the user quits, the loader fails or the inputs close.
pub fn run_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    screen: &mut Screen,
    inputs: &mut impl Inputs,
    theme: &Theme,
) -> io::Result<Outcome> {
    run_loop_with(terminal, screen, inputs, theme, &Setup::default())
}

/// [`run_loop`] with the key table and clipboard of `setup`.
pub fn run_loop_with<B: Backend>(
    terminal: &mut Terminal<B>,
    screen: &mut Screen,
    inputs: &mut impl Inputs,
    theme: &Theme,
    setup: &Setup,
) -> io::Result<Outcome> {
    loop {
        if let Screen::Loading(l) = screen {
            match l.result.try_recv() {
                Ok(Ok(analysis)) => {
                    let size = terminal.size().map_err(backend_err)?;
                    let mut app = App::new(
                        Model::with_dockerfile(analysis, l.dockerfile.as_deref()),
                        theme.clone(),
                    );
                    app.set_key_map(setup.keys.clone());
                    app.set_clipboard((setup.clipboard)());
                    if let Some(d) = &setup.diff {
                        let lens =
                            crate::browse::diff_lens::DiffLens::new(Arc::clone(d), app.model());
                        app.set_diff(lens);
                    }
                    app.resize(size.width, size.height);
                    *screen = Screen::Ready(Box::new(app));
                }
                Ok(Err(e)) => return Ok(Outcome::LoadFailed(e)),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    return Err(io::Error::other("the loading thread stopped unexpectedly"));
                }
            }
        }
        terminal
            .draw(|f| match &*screen {
                Screen::Loading(l) => {
                    let area = f.area();
                    f.render_widget(
                        widgets::LoadingView {
                            theme,
                            source: &l.source,
                            progress: &l.progress,
                            elapsed: l.started.elapsed(),
                        },
                        area,
                    );
                }
                Screen::Ready(app) => widgets::draw(f, &app.props()),
            })
            .map_err(backend_err)?;
        let wait = match screen {
            Screen::Loading(_) => LOADING_TICK,
            Screen::Ready(_) => IDLE_TICK,
        };
        let mut applied = 0;
        loop {
            match inputs.next(wait)? {
                Input::Closed => return Ok(quit(screen)),
                Input::Tick => break,
                Input::Event(ev) => {
                    if apply(screen, &ev) {
                        return Ok(quit(screen));
                    }
                }
            }
            applied += 1;
            if applied >= BURST || !inputs.pending()? {
                break;
            }
        }
    }
}

/// How quitting ends: over budget when the loaded image breaks one.
fn quit(screen: &Screen) -> Outcome {
    match screen {
        Screen::Ready(app) if !app.model().report().budget.passed => {
            Outcome::OverBudget(app.model().report().budget.clone())
        }
        _ => Outcome::Quit,
    }
}

/// Applies one event; true when it ends the session.
fn apply(screen: &mut Screen, ev: &Event) -> bool {
    match screen {
        Screen::Loading(_) => match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                matches!(k.code, KeyCode::Char('q') | KeyCode::Esc)
                    || (k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL))
            }
            _ => false,
        },
        Screen::Ready(app) => {
            app.handle(ev);
            app.should_quit()
        }
    }
}
