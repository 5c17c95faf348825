//! The terminal UI, driven like a user would: scripted key journeys through
//! the real event loop on ratatui's `TestBackend`, insta snapshots of the
//! rendered screens at 80×24 and 160×48, every pane rendered into
//! degenerate areas, hostile images, the loading screen, and (when tmux is
//! installed) the real binary in a real terminal.

// Test scaffolding: a test may panic on what it did not expect, and the
// pedantic lints are for the product code.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::Widget;

use ballast::archive::{Input, LoadProgress};
use ballast::browse::lens::{Mode, Sort};
use ballast::browse::model::PackageSort;
use ballast::present::tui::app::{App, WasteRow};
use ballast::present::tui::event_loop::{Loading, Outcome, Screen, Scripted, run_loop};
use ballast::present::tui::layout::Pane;
use ballast::present::tui::widgets::{self, LoadingView};
use ballast::present::tui::{Model, Theme};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample() -> PathBuf {
    root().join("sample-images/ml-mistakes.docker.tar")
}

/// The sample with dpkg, pip and conda packages.
fn cuda_sample() -> PathBuf {
    root().join("sample-images/ml-cuda.oci.tar")
}

fn load(path: &Path) -> Model {
    load_with(path, &ballast::Options::default())
}

fn load_with(path: &Path, options: &ballast::Options) -> Model {
    Model::load(&Input::Path(path.to_path_buf()), options)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A key, a control key, or text typed one character at a time.
enum K {
    Key(KeyCode),
    Ctrl(char),
    Text(&'static str),
}

use K::{Ctrl, Key, Text};

fn ch(c: char) -> K {
    Key(KeyCode::Char(c))
}

/// The app on a `TestBackend`, driven through the real event loop.
struct Session {
    term: Terminal<TestBackend>,
    screen: Screen,
    theme: Theme,
}

impl Session {
    fn open(path: &Path, width: u16, height: u16) -> Session {
        Session::of(load(path), width, height)
    }

    fn of(model: Model, width: u16, height: u16) -> Session {
        let theme = Theme::plain();
        let mut app = App::new(model, theme.clone());
        app.resize(width, height);
        Session {
            term: Terminal::new(TestBackend::new(width, height)).expect("test terminal"),
            screen: Screen::Ready(Box::new(app)),
            theme,
        }
    }

    fn sample(width: u16, height: u16) -> Session {
        Session::open(&sample(), width, height)
    }

    fn events(&mut self, events: Vec<Event>) -> Outcome {
        let mut inputs = Scripted(VecDeque::from(events));
        run_loop(&mut self.term, &mut self.screen, &mut inputs, &self.theme).expect("event loop")
    }

    fn keys(&mut self, keys: &[K]) -> &mut Session {
        let mut events = Vec::new();
        for k in keys {
            match k {
                Key(code) => events.push(key(*code, KeyModifiers::NONE)),
                Ctrl(c) => events.push(key(KeyCode::Char(*c), KeyModifiers::CONTROL)),
                Text(s) => {
                    events.extend(s.chars().map(|c| key(KeyCode::Char(c), KeyModifiers::NONE)));
                }
            }
        }
        assert!(matches!(self.events(events), Outcome::Quit));
        self
    }

    fn app(&self) -> &App {
        match &self.screen {
            Screen::Ready(app) => app,
            Screen::Loading(_) => panic!("still loading"),
        }
    }

    fn screen_text(&self) -> String {
        buffer_text(self.term.backend().buffer())
    }
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, modifiers))
}

fn buffer_text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        for x in area.left()..area.right() {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Moves the steps selection to `step` with the arrow keys, as a user would.
fn go_to_step(s: &mut Session, step: usize) {
    for _ in 0..100 {
        let cur = s.app().selected_step().expect("a step is selected");
        if cur == step {
            return;
        }
        let k = if cur > step {
            KeyCode::Up
        } else {
            KeyCode::Down
        };
        s.keys(&[Key(k)]);
    }
    panic!("could not reach step {step}");
}

// --- journeys ---

#[test]
fn opens_on_the_final_image_with_the_largest_directory_first() {
    let mut s = Session::sample(80, 24);
    s.keys(&[]);
    let app = s.app();
    assert_eq!(app.focus(), Pane::Steps);
    let last_with_layer = app
        .model()
        .report()
        .steps
        .iter()
        .rev()
        .find(|st| st.layer_index.is_some())
        .map(|st| st.index);
    assert_eq!(app.selected_step(), last_with_layer);
    assert_eq!(app.layer(), Some(app.model().layers().len() - 1));
    assert_eq!(app.tree_lines().first().map(String::as_str), Some("bin"));
    let text = s.screen_text();
    assert!(text.contains("ml-mistakes"), "{text}");
    assert!(text.contains("reclaimable"), "{text}");
    insta::assert_snapshot!("start_80x24", text);
}

#[test]
fn start_screen_at_160x48() {
    let mut s = Session::sample(160, 48);
    s.keys(&[]);
    insta::assert_snapshot!("start_160x48", s.screen_text());
}

#[test]
fn main_views_at_160x48() {
    // A step's own changes, a flagged file selected: its details.
    let mut s = Session::sample(160, 48);
    go_to_step(&mut s, 5);
    s.keys(&[Key(KeyCode::Enter), ch('a')]);
    for _ in 0..9 {
        s.keys(&[ch('j')]);
    }
    let p = s.app().selected_path().unwrap_or_default();
    assert!(p.starts_with("/root/.cache/pip/"), "{p}");
    insta::assert_snapshot!("step5_changes_160x48", s.screen_text());

    // From the deleted-later finding to its file.
    let mut s = Session::sample(160, 48);
    let row = s
        .app()
        .waste_rows()
        .iter()
        .position(|r| {
            matches!(r, WasteRow::Finding(i)
                if s.app().model().report().findings[*i].category == "deleted-later")
        })
        .expect("a deleted-later finding");
    s.keys(&[Key(KeyCode::Tab), Key(KeyCode::Tab)]);
    for _ in 0..row {
        s.keys(&[Key(KeyCode::Down)]);
    }
    insta::assert_snapshot!("waste_selected_160x48", s.screen_text());
    s.keys(&[Key(KeyCode::Enter)]);
    assert_eq!(s.app().selected_path().as_deref(), Some("/tmp/dataset.tar"));
    insta::assert_snapshot!("jump_deleted_later_160x48", s.screen_text());

    let mut s = Session::sample(160, 48);
    s.keys(&[ch('?')]);
    insta::assert_snapshot!("help_160x48", s.screen_text());
}

#[test]
fn select_a_step_and_open_a_directory() {
    let mut s = Session::sample(80, 24);
    // Step 5 is `RUN pip install tinypkg`; look at only what it changed.
    go_to_step(&mut s, 5);
    s.keys(&[Key(KeyCode::Enter), ch('a')]);
    assert_eq!(s.app().focus(), Pane::Tree);
    assert_eq!(s.app().settings().mode, Mode::StepOnly);
    assert_eq!(s.app().layer(), Some(4));
    // A small step opens fully: pip's cache is visible at once.
    let lines = s.app().tree_lines();
    assert!(lines.iter().any(|l| l.trim() == "pip"), "{lines:#?}");
    insta::assert_snapshot!("step5_changes_80x24", s.screen_text());

    // Back to the whole image, fold everything, then open /usr by hand.
    s.keys(&[ch('a'), ch('c')]);
    assert_eq!(s.app().settings().mode, Mode::Aggregated);
    assert!(s.app().tree_lines().iter().all(|l| !l.starts_with(' ')));
    let usr = s
        .app()
        .tree_lines()
        .iter()
        .position(|l| l == "usr")
        .expect("usr at step 5");
    s.keys(&[Key(KeyCode::Home)]);
    for _ in 0..usr {
        s.keys(&[ch('j')]);
    }
    assert_eq!(s.app().selected_path().as_deref(), Some("/usr"));
    s.keys(&[Key(KeyCode::Char(' '))]);
    assert!(
        s.app().tree_lines().iter().any(|l| l == "  local"),
        "{:#?}",
        s.app().tree_lines()
    );
    s.keys(&[Key(KeyCode::Right), Key(KeyCode::Right)]);
    let p = s.app().selected_path().expect("selection");
    assert!(p.starts_with("/usr/"), "{p}");
    s.keys(&[Key(KeyCode::Left), Key(KeyCode::Left)]);
    assert_eq!(s.app().selected_path().as_deref(), Some("/usr"));
    s.keys(&[Key(KeyCode::Left)]);
    assert!(!s.app().tree_lines().iter().any(|l| l.starts_with("  ")));
}

#[test]
fn filter_the_tree_by_substring_and_regex() {
    let mut s = Session::sample(80, 24);
    s.keys(&[ch('/'), Text("safetensors")]);
    assert!(s.app().input().is_some());
    assert!(s.screen_text().contains("/ safetensors"));
    s.keys(&[Key(KeyCode::Enter)]);
    assert!(s.app().input().is_none());
    let lines = s.app().tree_lines();
    let files: Vec<&String> = lines.iter().filter(|l| l.contains("safetensors")).collect();
    assert_eq!(files.len(), 2, "{lines:#?}");
    assert!(
        lines
            .iter()
            .all(|l| ["models", "app", "weights"].contains(&l.trim()) || l.contains("safetensors"))
    );
    insta::assert_snapshot!("filter_safetensors_80x24", s.screen_text());

    // A regex; upper case makes it case-sensitive (smart case).
    s.keys(&[ch('/'), Ctrl('u'), Text(r"\.py$"), Key(KeyCode::Enter)]);
    let lines = s.app().tree_lines();
    assert!(lines.iter().any(|l| l.trim() == "main.py"), "{lines:#?}");
    let rows = s.app().tree().rows();
    let leaves: Vec<&str> = rows
        .iter()
        .zip(&lines)
        .filter(|(r, _)| !r.has_children)
        .map(|(_, l)| l.trim())
        .collect();
    assert!(leaves.iter().all(|l| l.ends_with(".py")), "{lines:#?}");
    s.keys(&[ch('/'), Ctrl('u'), Text("MAIN"), Key(KeyCode::Enter)]);
    assert!(s.app().tree_lines().is_empty());
    assert!(s.screen_text().contains("no path matches"));
    // An invalid regex is taken literally.
    s.keys(&[ch('/'), Ctrl('u'), Text("(main"), Key(KeyCode::Enter)]);
    assert!(
        s.app()
            .settings()
            .filter
            .as_ref()
            .is_some_and(|f| f.literal)
    );
    // Esc while typing puts the previous filter back; an empty one clears.
    s.keys(&[ch('/'), Text("xyz"), Key(KeyCode::Esc)]);
    assert_eq!(
        s.app().settings().filter.as_ref().map(|f| f.text.as_str()),
        Some("(main")
    );
    s.keys(&[Ctrl('f'), Ctrl('u'), Key(KeyCode::Enter)]);
    assert!(s.app().settings().filter.is_none());
    assert!(s.app().tree_lines().len() > 3);
}

#[test]
fn enter_on_every_finding_jumps_to_its_step_and_path() {
    let mut s = Session::sample(80, 24);
    s.keys(&[Key(KeyCode::Tab), Key(KeyCode::Tab)]);
    assert_eq!(s.app().focus(), Pane::Waste);
    let rows = s.app().waste_rows().to_vec();
    let mut jumped = 0;
    for (i, row) in rows.iter().enumerate() {
        let WasteRow::Finding(fi) = *row else {
            continue;
        };
        let finding = s.app().model().report().findings[fi].clone();
        // Back to the waste pane, onto row i.
        while s.app().focus() != Pane::Waste {
            s.keys(&[Key(KeyCode::Tab)]);
        }
        s.keys(&[Key(KeyCode::Home)]);
        for _ in 0..i {
            s.keys(&[Key(KeyCode::Down)]);
        }
        assert_eq!(s.app().waste_nav().selected(), i);
        s.keys(&[Key(KeyCode::Enter)]);
        assert_eq!(
            s.app().selected_step(),
            finding.step_index,
            "{}",
            finding.message
        );
        match finding.paths.first() {
            Some(p) => {
                assert_eq!(s.app().focus(), Pane::Tree);
                assert_eq!(
                    s.app().selected_path(),
                    Some(p.display()),
                    "{}",
                    finding.message
                );
                jumped += 1;
                if finding.rule == "deleted-later" || finding.category == "deleted-later" {
                    insta::assert_snapshot!("jump_deleted_later_80x24", s.screen_text());
                }
            }
            None => assert_eq!(s.app().focus(), Pane::Waste),
        }
    }
    assert!(jumped >= 8, "only {jumped} findings had paths");
}

#[test]
fn jumping_clears_filters_that_would_hide_the_path() {
    let mut s = Session::sample(80, 24);
    s.keys(&[
        ch('/'),
        Text("nothing-matches-this"),
        Key(KeyCode::Enter),
        ch('a'),
    ]);
    assert!(s.app().tree_lines().is_empty());
    s.keys(&[
        Key(KeyCode::Tab),
        Key(KeyCode::Home),
        Key(KeyCode::Down),
        Key(KeyCode::Enter),
    ]);
    assert_eq!(s.app().focus(), Pane::Tree);
    assert!(s.app().settings().filter.is_none());
    assert!(s.app().selected_path().is_some());
}

#[test]
fn toggle_views_sorts_and_filters() {
    let mut s = Session::sample(80, 24);
    s.keys(&[Key(KeyCode::Tab)]);
    assert_eq!(s.app().settings().sort, Sort::Size);
    s.keys(&[ch('s')]);
    assert_eq!(s.app().settings().sort, Sort::Name);
    let names = s.app().tree_lines();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    s.keys(&[ch('s')]);

    // dive's keys: Ctrl+L layer changes, Ctrl+A back to aggregated.
    s.keys(&[Ctrl('l')]);
    assert_eq!(s.app().settings().mode, Mode::StepOnly);
    s.keys(&[Ctrl('a')]);
    assert_eq!(s.app().settings().mode, Mode::Aggregated);

    s.keys(&[ch('w')]);
    assert!(s.app().settings().wasted_only);
    let text = s.screen_text();
    assert!(text.contains("wasted only"), "{text}");
    s.keys(&[ch('w'), Ctrl('u')]);
    assert!(s.app().settings().hidden.unmodified);
    s.keys(&[Ctrl('u'), Ctrl('r'), ch('m')]);
    assert!(s.app().settings().hidden.removed && s.app().settings().hidden.modified);
    s.keys(&[ch('r'), ch('m')]);
    assert!(!s.app().settings().hidden.any());

    s.keys(&[Ctrl('b')]);
    assert!(s.app().settings().attributes);
    assert!(s.screen_text().contains("drwxr-xr-x"));
    s.keys(&[ch('b')]);

    // Ctrl+Space closes everything (the filters above opened their
    // matches), then opens everything, then closes it again.
    if s.app().tree().any_expanded() {
        s.keys(&[Ctrl(' ')]);
    }
    let closed = s.app().tree_lines().len();
    s.keys(&[Ctrl(' ')]);
    assert!(s.app().tree_lines().len() > closed * 5);
    s.keys(&[Ctrl(' ')]);
    assert_eq!(s.app().tree_lines().len(), closed);

    // Empty steps hidden and shown again.
    s.keys(&[Key(KeyCode::BackTab), ch('e')]);
    let with_layers = s.app().model().layers().len();
    assert_eq!(s.app().step_rows().len(), with_layers);
    s.keys(&[ch('e')]);
    assert_eq!(s.app().step_rows().len(), s.app().model().step_count());

    s.keys(&[ch('z')]);
    assert_eq!(s.app().zoomed(), Some(Pane::Steps));
    insta::assert_snapshot!("zoomed_steps_80x24", s.screen_text());
    s.keys(&[ch('z')]);
}

#[test]
fn help_overlay_lists_every_binding() {
    let mut s = Session::sample(80, 24);
    s.keys(&[ch('?')]);
    assert!(s.app().help_scroll().is_some());
    let text = s.screen_text();
    assert!(text.contains("Keys"), "{text}");
    insta::assert_snapshot!("help_80x24", text);
    s.keys(&[Key(KeyCode::PageDown), Key(KeyCode::PageDown)]);
    let scrolled = s.screen_text();
    assert!(scrolled.contains("mode and owner"), "{scrolled}");
    // Any other key closes it and does nothing else; q does not quit.
    s.keys(&[ch('q')]);
    assert!(s.app().help_scroll().is_none());
    assert!(!s.app().should_quit());
    let mut big = Session::sample(160, 48);
    big.keys(&[ch('?')]);
    let all = big.screen_text();
    for b in ballast::present::tui::keys::BINDINGS {
        assert!(all.contains(b.help), "help lacks {:?}:\n{all}", b.help);
    }
}

#[test]
fn quit_keys_end_the_session() {
    // Esc is not one of them (issue 18: dive never quits on Esc).
    for k in [ch('q'), Ctrl('c')] {
        let mut s = Session::sample(80, 24);
        let before = s.app().selected_step();
        let ev = match k {
            Key(code) => key(code, KeyModifiers::NONE),
            Ctrl(c) => key(KeyCode::Char(c), KeyModifiers::CONTROL),
            Text(_) => unreachable!(),
        };
        // The loop returns on the quit key, before the rest.
        let rest = key(KeyCode::Char('j'), KeyModifiers::NONE);
        assert!(matches!(s.events(vec![ev, rest]), Outcome::Quit));
        assert!(s.app().should_quit());
        assert_eq!(s.app().selected_step(), before);
    }
}

#[test]
fn mouse_wheel_scrolls_the_pane_under_the_pointer_and_clicks_focus() {
    let mut s = Session::sample(80, 24);
    let areas = s.app().areas();
    let at = |r: Rect, kind| {
        Event::Mouse(MouseEvent {
            kind,
            column: r.x + 2,
            row: r.y + 2,
            modifiers: KeyModifiers::NONE,
        })
    };
    let before = s.app().selected_step();
    s.events(vec![at(areas.steps, MouseEventKind::ScrollUp)]);
    assert_eq!(s.app().selected_step(), before.map(|b| b - 3));
    assert_eq!(
        s.app().focus(),
        Pane::Steps,
        "the wheel does not move focus"
    );
    s.events(vec![at(areas.tree, MouseEventKind::ScrollDown)]);
    assert_eq!(s.app().tree().selected(), 3);
    s.events(vec![at(
        areas.waste,
        MouseEventKind::Down(MouseButton::Left),
    )]);
    assert_eq!(s.app().focus(), Pane::Waste);
    assert_eq!(s.app().waste_nav().selected(), 1);
}

#[test]
fn resizing_redraws_and_keeps_the_selection_visible() {
    let mut s = Session::sample(160, 48);
    s.keys(&[Key(KeyCode::Tab), Ctrl(' '), Key(KeyCode::End)]);
    let selected = s.app().selected_path();
    for (w, h) in [(80, 24), (40, 12), (20, 6), (1, 1), (120, 40)] {
        s.term.backend_mut().resize(w, h);
        s.events(vec![Event::Resize(w, h)]);
        assert_eq!(s.app().selected_path(), selected);
        let t = s.app().tree();
        assert!(t.window().iter().any(|r| Some(r.node) == t.selected_node()) || h < 8);
    }
}

#[test]
fn narrow_terminals_cut_long_paths_in_the_middle() {
    let mut s = Session::sample(50, 16);
    s.keys(&[
        ch('/'),
        Text("Packages"),
        Key(KeyCode::Enter),
        Key(KeyCode::End),
    ]);
    let text = s.screen_text();
    assert!(text.contains('…'), "{text}");
    insta::assert_snapshot!("narrow_50x16", text);
}

// --- packages ---

/// A package's files as paths, from the report alone (its `files` list is
/// complete for a package of at most ten files).
fn report_files(app: &App, package: usize) -> Vec<String> {
    let p = &app.model().packages()[package];
    assert!(p.file_count <= 10, "{}: the report lists ten files", p.name);
    assert_eq!(p.files.len() as u64, p.file_count, "{}", p.name);
    let mut v: Vec<String> = p.files.iter().map(|f| f.path.display()).collect();
    v.sort();
    v
}

/// The leaves of the tree as shown, as paths.
fn shown_files(app: &App) -> Vec<String> {
    let tree = app.model().tree();
    let mut v: Vec<String> = app
        .tree()
        .rows()
        .iter()
        .filter(|r| !r.has_children)
        .map(|r| ballast::index::path::display(&tree.path(r.node)))
        .collect();
    v.sort();
    v
}

/// Moves the packages selection onto `package` with the arrow keys.
fn go_to_package(s: &mut Session, package: usize) {
    let row = s
        .app()
        .package_rows()
        .iter()
        .position(|&p| p == package)
        .expect("the package is listed");
    s.keys(&[Key(KeyCode::Home)]);
    for _ in 0..row {
        s.keys(&[Key(KeyCode::Down)]);
    }
    assert_eq!(s.app().selected_package(), Some(package));
}

#[test]
fn packages_pane_sorts_and_enter_shows_exactly_a_package_s_files() {
    let mut s = Session::open(&cuda_sample(), 80, 24);
    // Tab order: steps, tree, waste, packages. At 80×24 waste and packages
    // take turns in one area.
    s.keys(&[Key(KeyCode::Tab), Key(KeyCode::Tab)]);
    assert_eq!(s.app().focus(), Pane::Waste);
    assert_eq!(s.app().areas().packages.area(), 0);
    s.keys(&[Key(KeyCode::Tab)]);
    assert_eq!(s.app().focus(), Pane::Packages);
    let areas = s.app().areas();
    assert!(areas.packages.area() > 0 && areas.waste.area() == 0);
    let count = s.app().model().packages().len();
    assert!(count >= 10, "{count} packages");
    assert_eq!(s.app().package_rows().len(), count);

    // Largest first, the selection on the largest.
    let model = s.app().model();
    let bytes: Vec<u64> = s
        .app()
        .package_rows()
        .iter()
        .map(|&i| model.packages()[i].bytes)
        .collect();
    assert!(bytes.windows(2).all(|w| w[0] >= w[1]), "{bytes:?}");
    assert_eq!(
        bytes[0],
        model.packages().iter().map(|p| p.bytes).max().unwrap()
    );
    assert_eq!(s.app().package_sort(), PackageSort::Size);
    let text = s.screen_text();
    // Names are cut in the middle to fit; short ones show with versions.
    assert!(
        text.contains("torch 2.3.0") && text.contains("libcublas-12-1"),
        "{text}"
    );
    assert!(text.contains("unowned"), "{text}");
    assert!(
        text.contains("Enter files") && text.contains("s sort"),
        "{text}"
    );
    insta::assert_snapshot!("packages_80x24", text);

    // `s` cycles size → name → manager → size, keeping the selection on
    // the same package.
    s.keys(&[Key(KeyCode::Down), Key(KeyCode::Down)]);
    let picked = s.app().selected_package();
    s.keys(&[ch('s')]);
    assert_eq!(s.app().package_sort(), PackageSort::Name);
    assert_eq!(s.app().selected_package(), picked);
    assert_eq!(
        s.app().settings().sort,
        Sort::Size,
        "the tree's sort is untouched"
    );
    let model = s.app().model();
    let names: Vec<String> = s
        .app()
        .package_rows()
        .iter()
        .map(|&i| model.packages()[i].name.to_lowercase())
        .collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
    assert!(s.screen_text().contains("by name"));
    s.keys(&[ch('s')]);
    assert_eq!(s.app().package_sort(), PackageSort::Manager);
    assert_eq!(s.app().selected_package(), picked);
    let model = s.app().model();
    let by_manager: Vec<(&str, u64)> = s
        .app()
        .package_rows()
        .iter()
        .map(|&i| {
            let p = &model.packages()[i];
            (p.manager.name(), p.bytes)
        })
        .collect();
    assert!(
        by_manager
            .windows(2)
            .all(|w| w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 >= w[1].1)),
        "{by_manager:?}"
    );
    s.keys(&[ch('s')]);
    assert_eq!(s.app().package_sort(), PackageSort::Size);
    assert_eq!(s.app().selected_package(), picked);

    // Enter on each package: the final image's tree with exactly its files,
    // focus on the tree, the title naming it; Esc puts everything back.
    let final_step = s.app().selected_step();
    let before_lines = s.app().tree_lines();
    for package in 0..count {
        go_to_package(&mut s, package);
        s.keys(&[Key(KeyCode::Enter)]);
        let app = s.app();
        let p = &app.model().packages()[package];
        assert_eq!(app.shown_package(), Some(package));
        assert_eq!(app.focus(), Pane::Tree);
        assert_eq!(app.selected_step(), final_step);
        assert_eq!(shown_files(app), report_files(app, package), "{}", p.name);
        // The largest file is selected.
        assert_eq!(
            app.selected_path(),
            p.files.first().map(|f| f.path.display()),
            "{}",
            p.name
        );
        // The tree's title names it (cut to fit at 80 columns).
        let text = s.screen_text();
        let title = format!("package {}", p.name);
        let shown: String = title.chars().take(16).collect();
        assert!(text.contains(&shown), "{text}");
        assert!(text.contains("Esc back"), "{text}");
        s.keys(&[Key(KeyCode::Esc)]);
        let app = s.app();
        assert!(!app.should_quit());
        assert_eq!(app.shown_package(), None);
        assert_eq!(app.focus(), Pane::Packages);
        assert_eq!(app.tree_lines(), before_lines);
        assert!(!s.screen_text().contains("Esc back"));
    }
    // With nothing to go back from, Esc says how to quit, and does not.
    s.keys(&[Key(KeyCode::Esc)]);
    assert!(!s.app().should_quit());
    assert!(s.screen_text().contains("q quits"));
}

#[test]
fn esc_from_a_package_restores_the_view_before() {
    let mut s = Session::open(&cuda_sample(), 160, 48);
    // Both panes show at 160×48, stacked.
    let areas = s.app().areas();
    assert!(areas.waste.area() > 0 && areas.packages.area() > 0);
    // An earlier step's own changes, filtered, a file selected.
    go_to_step(&mut s, 5);
    s.keys(&[
        Key(KeyCode::Enter),
        ch('a'),
        ch('/'),
        Text("torch"),
        Key(KeyCode::Enter),
        Key(KeyCode::End),
    ]);
    let lines = s.app().tree_lines();
    let selected = s.app().selected_path();
    assert!(!lines.is_empty());
    // A click focuses the packages pane and selects the row under it.
    let inner = ballast::present::tui::layout::inner(s.app().areas().packages);
    s.events(vec![Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: inner.x + 3,
        row: inner.y + 2,
        modifiers: KeyModifiers::NONE,
    })]);
    assert_eq!(s.app().focus(), Pane::Packages);
    assert_eq!(s.app().packages_nav().selected(), 2);
    let package = s.app().selected_package().expect("a package");
    let details = s.screen_text();
    let p = &s.app().model().packages()[package];
    assert!(
        details.contains("installed by step") && details.contains(&p.metadata.display()),
        "{details}"
    );
    insta::assert_snapshot!("package_selected_160x48", details);

    s.keys(&[Key(KeyCode::Enter)]);
    let app = s.app();
    assert_eq!(app.settings().mode, Mode::Aggregated);
    assert!(app.settings().filter.is_none());
    assert_eq!(shown_files(app), report_files(app, package));
    insta::assert_snapshot!("package_files_160x48", s.screen_text());
    // The filter narrows the package's files; zoom shows the tree alone.
    s.keys(&[ch('/'), Text(r"\.so"), Key(KeyCode::Enter), ch('z')]);
    let narrowed = shown_files(s.app());
    assert!(
        narrowed.iter().all(|f| f.contains(".so"))
            && narrowed
                .iter()
                .all(|f| report_files(s.app(), package).contains(f)),
        "{narrowed:?}"
    );
    assert_eq!(s.app().zoomed(), Some(Pane::Tree));
    s.keys(&[ch('z'), Key(KeyCode::Esc)]);
    let app = s.app();
    assert_eq!(app.selected_step(), Some(5));
    assert_eq!(app.settings().mode, Mode::StepOnly);
    assert_eq!(
        app.settings().filter.as_ref().map(|f| f.text.as_str()),
        Some("torch")
    );
    assert_eq!(app.tree_lines(), lines);
    assert_eq!(app.selected_path(), selected);
    assert_eq!(app.focus(), Pane::Packages);

    // Zoomed, the packages pane fills the body.
    s.keys(&[ch('z')]);
    assert_eq!(s.app().zoomed(), Some(Pane::Packages));
    assert_eq!(s.app().areas().packages.height, 46);
}

#[test]
fn an_image_without_packages_says_so() {
    let mut s = Session::open(&root().join("sample-images/clean.docker.tar"), 80, 24);
    s.keys(&[Key(KeyCode::BackTab)]);
    assert_eq!(s.app().focus(), Pane::Packages);
    assert!(s.app().model().packages().is_empty());
    let text = s.screen_text();
    assert!(text.contains("No packages found."), "{text}");
    // Enter and `s` do nothing there.
    s.keys(&[Key(KeyCode::Enter), ch('s'), Key(KeyCode::Down)]);
    assert_eq!(s.app().shown_package(), None);
    assert_eq!(s.app().focus(), Pane::Packages);
    let mut big = Session::open(&root().join("sample-images/clean.docker.tar"), 160, 48);
    big.keys(&[]);
    assert_eq!(big.app().areas().packages.height, 3);
    assert!(big.screen_text().contains("No packages found."));
}

// --- rendering robustness ---

#[test]
fn every_pane_renders_into_tiny_areas() {
    let mut s = Session::sample(80, 24);
    // States with the most on screen: help, filter input, zoom, details of a file.
    let states: Vec<Vec<K>> = vec![
        vec![],
        vec![Key(KeyCode::Tab), Ctrl(' '), Key(KeyCode::End)],
        vec![Key(KeyCode::Tab), ch('b'), ch('a')],
        vec![Key(KeyCode::Tab), Key(KeyCode::Down)],
        vec![ch('/'), Text("a")],
        vec![Key(KeyCode::Enter), ch('?')],
        vec![ch('?'), ch('z')],
        // Packages focused, a package's files in the tree, both zoomed.
        vec![ch('z'), Key(KeyCode::Tab), Key(KeyCode::Tab)],
        vec![Key(KeyCode::Enter)],
        vec![ch('z')],
        vec![ch('z'), Key(KeyCode::Tab), Key(KeyCode::Tab), ch('z')],
    ];
    for keys in states {
        s.keys(&keys);
        let app = s.app();
        for (w, h) in [
            (0, 0),
            (1, 1),
            (0, 5),
            (5, 0),
            (1, 7),
            (7, 1),
            (2, 2),
            (3, 3),
            (12, 4),
        ] {
            let area = Rect::new(0, 0, w, h);
            let mut buf = Buffer::empty(area);
            let p = app.props();
            widgets::render_app(&p, area, &mut buf);
            p.header().render(area, &mut buf);
            p.steps_pane().render(area, &mut buf);
            p.tree_pane().render(area, &mut buf);
            p.waste_pane().render(area, &mut buf);
            p.packages_pane().render(area, &mut buf);
            p.details_pane().render(area, &mut buf);
            p.footer().render(area, &mut buf);
            p.help_overlay(99).render(area, &mut buf);
            let lines = vec!["x".to_string(); 3];
            widgets::TextOverlay {
                theme: &app.theme,
                title: " a file ",
                lines: &lines,
                scroll: 9,
            }
            .render(area, &mut buf);
            let p = LoadProgress::default();
            LoadingView {
                theme: &app.theme,
                source: "x",
                progress: &p,
                elapsed: std::time::Duration::ZERO,
            }
            .render(area, &mut buf);
        }
    }
    assert_eq!(s.app().zoomed(), Some(Pane::Packages));
    assert!(s.app().shown_package().is_some());
}

#[test]
fn no_color_means_no_color_and_symbols_still_tell_changes_apart() {
    let mut s = Session::sample(80, 24);
    go_to_step(&mut s, 8); // chown -R: metadata-only rewrites
    s.keys(&[Key(KeyCode::Enter), ch('a')]);
    let buf = s.term.backend().buffer();
    for cell in buf.content() {
        assert!(matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset));
    }
    let text = s.screen_text();
    assert!(
        text.contains("*! "),
        "metadata-only rows carry `*`:\n{text}"
    );
    insta::assert_snapshot!("chown_step_changes_80x24", text);
}

#[test]
fn hostile_images_render_and_navigate() {
    let dir = root().join("tests/hostile/corpus");
    let raw = std::fs::read(dir.join("cases.json")).expect("cases.json");
    let cases: serde_json::Value = serde_json::from_slice(&raw).expect("json");
    let mut ran = 0;
    for case in cases.as_array().expect("a list") {
        let file = case["file"].as_str().unwrap_or_default();
        let big = case["big"].as_bool().unwrap_or(false);
        if case["expect_exit"].as_i64() != Some(0) || big || !dir.join(file).exists() {
            continue;
        }
        for (w, h) in [(80, 24), (24, 8)] {
            let mut s = Session::open(&dir.join(file), w, h);
            s.keys(&[
                Key(KeyCode::Tab),
                Ctrl(' '),
                Key(KeyCode::End),
                ch('b'),
                Key(KeyCode::PageUp),
                ch('a'),
                Key(KeyCode::BackTab),
                Key(KeyCode::Home),
                Key(KeyCode::End),
                ch('/'),
                Text("a"),
                Key(KeyCode::Enter),
                Key(KeyCode::Tab),
                Key(KeyCode::Tab),
                Key(KeyCode::Down),
                Key(KeyCode::Enter),
            ]);
            let text = s.screen_text();
            assert!(
                !text.contains('\u{202E}'),
                "{file}: a bidi override reached the screen"
            );
        }
        ran += 1;
    }
    assert!(ran >= 10, "only {ran} hostile cases ran");
}

// --- loading ---

#[test]
fn loading_screen_shows_progress_then_opens_the_ui() {
    let theme = Theme::plain();
    let progress = Arc::new(LoadProgress::default());
    progress.bytes_total.store(1000, Ordering::Relaxed);
    progress.bytes_done.store(500, Ordering::Relaxed);
    progress.layers_total.store(4, Ordering::Relaxed);
    progress.layers_done.store(2, Ordering::Relaxed);
    let (tx, rx) = std::sync::mpsc::channel();
    let mut screen = Screen::Loading(Loading {
        source: "image.tar".into(),
        progress: Arc::clone(&progress),
        started: Instant::now(),
        result: rx,
        dockerfile: None,
    });
    let mut term = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    let none = Scripted(VecDeque::new());
    let out = run_loop(&mut term, &mut screen, &mut { none }, &theme).expect("loop");
    assert!(matches!(out, Outcome::Quit));
    let text = buffer_text(term.backend().buffer());
    assert!(
        text.contains("image.tar") && text.contains("50 %") && text.contains("layers 2/4"),
        "{text}"
    );
    let elapsed = regex::Regex::new(r"\d+\.\d s").expect("regex");
    insta::assert_snapshot!("loading_80x24", elapsed.replace_all(&text, "N.N s"));

    let analysis = ballast::run_pipeline(&Input::Path(sample()), &ballast::Options::default());
    tx.send(analysis).expect("send");
    let keys = Scripted(VecDeque::from(vec![key(KeyCode::Tab, KeyModifiers::NONE)]));
    run_loop(&mut term, &mut screen, &mut { keys }, &theme).expect("loop");
    let Screen::Ready(app) = &screen else {
        panic!("the UI did not open");
    };
    assert_eq!(app.focus(), Pane::Tree);
}

#[test]
fn q_quits_while_loading_and_a_load_failure_is_returned() {
    let theme = Theme::plain();
    let (_tx, rx) = std::sync::mpsc::channel();
    let mut screen = Screen::Loading(Loading {
        source: "x".into(),
        progress: Arc::new(LoadProgress::default()),
        started: Instant::now(),
        result: rx,
        dockerfile: None,
    });
    let mut term = Terminal::new(TestBackend::new(40, 10)).expect("terminal");
    let q = Scripted(VecDeque::from(vec![
        key(KeyCode::Char('q'), KeyModifiers::NONE),
        key(KeyCode::Tab, KeyModifiers::NONE),
    ]));
    let out = run_loop(&mut term, &mut screen, &mut { q }, &theme).expect("loop");
    assert!(matches!(out, Outcome::Quit));
    assert!(matches!(screen, Screen::Loading(_)));

    let bad = root().join("tests/hostile/corpus/docker-manifest-not-json.tar");
    let result = ballast::run_pipeline(&Input::Path(bad), &ballast::Options::default());
    let (tx, rx) = std::sync::mpsc::channel();
    tx.send(result).expect("send");
    let mut screen = Screen::Loading(Loading {
        source: "x".into(),
        progress: Arc::new(LoadProgress::default()),
        started: Instant::now(),
        result: rx,
        dockerfile: None,
    });
    let out = run_loop(
        &mut term,
        &mut screen,
        &mut Scripted(VecDeque::new()),
        &theme,
    )
    .expect("loop");
    match out {
        Outcome::LoadFailed(e) => assert!(e.one_line().contains("manifest.json"), "{e}"),
        Outcome::Quit | Outcome::OverBudget(_) => panic!("the failure was not returned"),
    }
}

// --- a real terminal ---

/// Runs tmux on its own server socket, so a test never touches a user's
/// sessions.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn available() -> bool {
        std::process::Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    fn run(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "e2e"])
    }

    /// Starts `cmd` in a detached session `e2e` of `width`x`height` that
    /// stays on screen after the command ends.
    fn start(&self, cmd: &str, width: u16, height: u16) {
        let (w, h) = (width.to_string(), height.to_string());
        self.run(&["new-session", "-d", "-s", "e2e", "-x", &w, "-y", &h, cmd]);
        self.run(&["set-option", "-t", "e2e", "remain-on-exit", "on"]);
        // tmux holds a lone Escape back for 500 ms by default.
        self.run(&["set-option", "-s", "escape-time", "0"]);
    }

    /// Waits for the command to write its exit line to `status`; returns it.
    fn wait_exit(&self, status: &Path) -> String {
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        loop {
            // The shell creates the file before it writes the line: an
            // empty file means "not yet" (seen on a loaded machine).
            let line = std::fs::read_to_string(status).unwrap_or_default();
            if line.ends_with('\n') {
                return line.trim().to_string();
            }
            assert!(
                Instant::now() < deadline,
                "ballast did not quit (status {line:?}):\n{}",
                self.screen()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Waits until the screen shows `text`.
    fn wait_for(&self, text: &str) -> String {
        self.wait_until(text, |s| s.contains(text))
    }

    /// Waits until the screen satisfies `ok` and has stopped changing: a
    /// capture can land while a frame is being drawn.
    fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let s = self.screen();
            if ok(&s) {
                std::thread::sleep(std::time::Duration::from_millis(40));
                if self.screen() == s {
                    return s;
                }
                continue;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

#[test]
fn real_terminal_opens_answers_keys_and_quits_with_exit_0() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let status = dir.path().join("status");
    let t = Tmux {
        socket: format!("ballast-e2e-{}", std::process::id()),
    };
    let cmd = format!(
        "'{}' '{}'; echo \"exit=$?\" > '{}'",
        env!("CARGO_BIN_EXE_ballast"),
        sample().display(),
        status.display()
    );
    t.start(&cmd, 100, 30);
    let first = t.wait_for("Files · step 14");
    assert!(first.contains("ml-mistakes:latest"), "{first}");
    assert!(first.contains("Waste & fixes"), "{first}");

    // Into the tree, open /usr.
    t.run(&["send-keys", "-t", "e2e", "Tab", "Down", "Down", "Space"]);
    t.wait_for("▾ usr/");
    // Filter, then the help overlay, then close it.
    t.run(&["send-keys", "-t", "e2e", "/", "safetensors", "Enter"]);
    t.wait_for("/safetensors/");
    t.run(&["send-keys", "-t", "e2e", "?"]);
    t.wait_for("any other key closes");
    t.run(&["send-keys", "-t", "e2e", "Escape"]);
    // A resize redraws at the new size: the header drops the layer count
    // at 80 columns, the frame ends at column 80.
    t.wait_for("13 layers");
    t.run(&["resize-window", "-t", "e2e", "-x", "80", "-y", "24"]);
    let small = t.wait_until("the 80x24 layout", |s| {
        !s.contains("13 layers") && s.contains("Files · step 14 · /safetensors/")
    });
    assert!(small.lines().all(|l| l.chars().count() <= 80), "{small}");
    t.run(&["send-keys", "-t", "e2e", "q"]);
    assert_eq!(t.wait_exit(&status), "exit=0");
    // The alternate screen is gone: the UI no longer shows.
    assert!(!t.screen().contains("Waste & fixes"));
}

// --- budgets ---

fn load_with_max_size(path: &Path, max_size: u64) -> Model {
    let mut options = ballast::Options::default();
    options.budgets.max_size = Some(max_size);
    load_with(path, &options)
}

#[test]
fn a_budget_shows_in_the_header_and_quitting_over_it_says_so() {
    let over = load_with_max_size(&sample(), 1_000);
    let size = over.report().image.final_size_bytes;
    let mut s = Session::of(over, 160, 48);
    let out = s.events(vec![key(KeyCode::Char('q'), KeyModifiers::NONE)]);
    let header = buffer_text(s.term.backend().buffer());
    let header = header.lines().next().unwrap_or_default();
    assert!(header.contains("over budget (1 of 1)"), "{header}");
    match out {
        Outcome::OverBudget(v) => {
            assert!(!v.passed);
            assert_eq!(v.checks.len(), 1);
            assert!(!v.checks[0].passed);
        }
        other => panic!("quitting over budget gave {other:?}"),
    }

    let within = load_with_max_size(&sample(), size * 2);
    let mut s = Session::of(within, 160, 48);
    let out = s.events(vec![key(KeyCode::Char('q'), KeyModifiers::NONE)]);
    let header = buffer_text(s.term.backend().buffer());
    assert!(
        header
            .lines()
            .next()
            .unwrap_or_default()
            .contains("budget ok (1)"),
        "{header}"
    );
    assert!(matches!(out, Outcome::Quit), "{out:?}");

    // Without budgets the header has no budget figure at all.
    let mut s = Session::sample(160, 48);
    s.keys(&[]);
    let header = buffer_text(s.term.backend().buffer());
    assert!(!header.lines().next().unwrap_or_default().contains("budget"));
}

#[test]
fn real_terminal_over_budget_exits_1_and_prints_the_failed_check() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let status = dir.path().join("status");
    let stderr = dir.path().join("stderr");
    let t = Tmux {
        socket: format!("ballast-e2e-budget-{}", std::process::id()),
    };
    let cmd = format!(
        "'{}' '{}' --max-size 1KB 2> '{}'; echo \"exit=$?\" > '{}'",
        env!("CARGO_BIN_EXE_ballast"),
        sample().display(),
        stderr.display(),
        status.display()
    );
    t.start(&cmd, 120, 30);
    let first = t.wait_for("Files · step 14");
    assert!(first.contains("over budget (1 of 1)"), "{first}");
    t.run(&["send-keys", "-t", "e2e", "q"]);
    assert_eq!(t.wait_exit(&status), "exit=1");
    let err = std::fs::read_to_string(&stderr).expect("stderr");
    assert!(err.contains("FAIL") && err.contains("max-size"), "{err}");
    assert!(
        err.contains("Result: FAIL (1 of 1 checks over budget)"),
        "{err}"
    );
}

// --- issue 18: rough edges and dive habits ---

impl Session {
    fn app_mut(&mut self) -> &mut App {
        match &mut self.screen {
            Screen::Ready(app) => app,
            Screen::Loading(_) => panic!("still loading"),
        }
    }

    fn footer_line(&self) -> String {
        self.screen_text()
            .lines()
            .last()
            .unwrap_or_default()
            .to_string()
    }
}

/// A file's bytes as the image ships them, read independently of ballast
/// with the `tar` crate: every layer of the docker archive in order, the
/// last one that holds the path wins.
fn oracle_file(archive: &Path, path: &str) -> Vec<u8> {
    use std::io::Read;
    let outer = |name: &str| -> Vec<u8> {
        let mut t = tar::Archive::new(std::fs::File::open(archive).expect("archive"));
        for e in t.entries().expect("entries") {
            let mut e = e.expect("entry");
            if e.path().expect("path").to_string_lossy() == name {
                let mut v = Vec::new();
                e.read_to_end(&mut v).expect("read");
                return v;
            }
        }
        panic!("{name} not in the archive");
    };
    let manifest: serde_json::Value =
        serde_json::from_slice(&outer("manifest.json")).expect("manifest");
    let mut found = None;
    for layer in manifest[0]["Layers"].as_array().expect("layers") {
        let blob = outer(layer.as_str().expect("name"));
        let mut t = tar::Archive::new(blob.as_slice());
        for e in t.entries().expect("layer entries") {
            let mut e = e.expect("entry");
            let p = e.path().expect("path").to_string_lossy().into_owned();
            if p.trim_start_matches("./").trim_start_matches('/') == path {
                let mut v = Vec::new();
                e.read_to_end(&mut v).expect("read");
                found = Some(v);
            }
        }
    }
    found.unwrap_or_else(|| panic!("{path} is in no layer"))
}

/// Selects the file at `path` in the tree with the filter and the arrow
/// keys, then clears the filter (the selection stays on it).
fn select_file(s: &mut Session, path: &str) {
    let name = path.rsplit('/').next().unwrap_or(path);
    s.keys(&[ch('/'), Ctrl('u')]);
    let text: &'static str = Box::leak(format!("{name}$").into_boxed_str());
    s.keys(&[Text(text), Key(KeyCode::Enter), Key(KeyCode::Home)]);
    for _ in 0..50 {
        if s.app().selected_path().as_deref() == Some(path) {
            return;
        }
        s.keys(&[Key(KeyCode::Down)]);
    }
    panic!("{path} not reached: {:#?}", s.app().tree_lines());
}

#[test]
fn esc_never_quits_the_main_screen() {
    let mut s = Session::sample(80, 24);
    // A filter typed and kept: Esc clears it, and the session goes on.
    s.keys(&[ch('/'), Text("safetensors"), Key(KeyCode::Enter)]);
    assert!(s.app().settings().filter.is_some());
    s.keys(&[Key(KeyCode::Esc)]);
    assert!(s.app().settings().filter.is_none());
    assert!(!s.app().should_quit());
    assert!(s.footer_line().contains("filter cleared"));
    // Overlays close on Esc: help, the details, a file's text.
    s.keys(&[ch('?'), Key(KeyCode::Esc)]);
    assert!(s.app().help_scroll().is_none());
    s.keys(&[ch('d'), Key(KeyCode::Esc)]);
    assert!(s.app().details_scroll().is_none());
    // Other filters, then zoom, then nothing left: Esc only says how to quit.
    s.keys(&[Key(KeyCode::Tab), ch('w'), ch('z')]);
    s.keys(&[Key(KeyCode::Esc)]);
    assert!(!s.app().settings().wasted_only);
    s.keys(&[Key(KeyCode::Esc)]);
    assert_eq!(s.app().zoomed(), None);
    for _ in 0..3 {
        s.keys(&[Key(KeyCode::Esc)]);
    }
    assert!(!s.app().should_quit());
    let footer = s.footer_line();
    assert!(footer.contains("q quits"), "{footer}");
    insta::assert_snapshot!("esc_says_how_to_quit_80x24", s.screen_text());
    // q still quits.
    let out = s.events(vec![key(KeyCode::Char('q'), KeyModifiers::NONE)]);
    assert!(matches!(out, Outcome::Quit) && s.app().should_quit());
}

#[test]
fn changes_of_a_step_that_made_no_layer_are_none() {
    let mut s = Session::sample(80, 24);
    go_to_step(&mut s, 6);
    assert_eq!(s.app().model().report().steps[6].layer_index, None);
    s.keys(&[Key(KeyCode::Enter), ch('a')]);
    assert_eq!(s.app().settings().mode, Mode::StepOnly);
    assert!(
        s.app().tree_lines().is_empty(),
        "{:#?}",
        s.app().tree_lines()
    );
    let text = s.screen_text();
    assert!(text.contains("made no layer"), "{text}");
    assert!(!text.contains("+ "), "no change marks:\n{text}");
    insta::assert_snapshot!("no_layer_step_changes_80x24", text);
    // The step before it (which made the layer) still shows its changes.
    s.keys(&[Key(KeyCode::BackTab)]);
    go_to_step(&mut s, 5);
    assert!(!s.app().tree_lines().is_empty());
}

#[test]
fn filter_count_matches_the_tree_at_the_selected_step() {
    let mut s = Session::sample(120, 30);
    // /tmp/dataset.tar is added by step 11 and removed by step 12.
    s.keys(&[ch('/'), Text("dataset")]);
    let shown = |s: &Session| {
        let f = s.app().settings().filter.as_ref().expect("a filter");
        s.app()
            .tree()
            .rows()
            .iter()
            .filter(|r| f.hits(r.node))
            .count()
    };
    let footer = s.footer_line();
    let _ = s.app().model().tree();
    assert_eq!(shown(&s), 0);
    assert!(footer.contains("0 paths here (1 in the image)"), "{footer}");
    assert!(s.screen_text().contains("no path matches"));
    s.keys(&[Key(KeyCode::Enter), Key(KeyCode::BackTab)]);
    go_to_step(&mut s, 11);
    s.keys(&[ch('/')]);
    assert_eq!(shown(&s), 1);
    let footer = s.footer_line();
    assert!(footer.contains("1 path here"), "{footer}");
    assert!(!footer.contains("in the image"), "{footer}");
}

#[test]
fn hidden_removals_are_counted_not_called_no_changes() {
    let mut s = Session::sample(80, 24);
    // Step 12: `RUN rm -f /tmp/dataset.tar`, one removal and nothing else.
    go_to_step(&mut s, 12);
    s.keys(&[Key(KeyCode::Enter), ch('a')]);
    assert_eq!(s.app().tree_lines().len(), 2, "{:#?}", s.app().tree_lines());
    s.keys(&[ch('r')]);
    assert!(s.app().tree_lines().is_empty());
    let text = s.screen_text();
    assert!(text.contains("1 removed change hidden"), "{text}");
    assert!(!text.contains("changed no files"), "{text}");
    s.keys(&[ch('r')]);
    assert_eq!(s.app().tree_lines().len(), 2);
}

#[test]
fn any_key_closes_the_help() {
    for k in [
        ch('o'),
        ch('x'),
        Key(KeyCode::Enter),
        ch('a'),
        Key(KeyCode::F(5)),
    ] {
        let mut s = Session::sample(80, 24);
        s.keys(&[ch('?')]);
        assert!(s.app().help_scroll().is_some());
        let mode = s.app().settings().mode;
        s.keys(&[k]);
        assert!(s.app().help_scroll().is_none());
        assert!(!s.screen_text().contains("any other key closes"));
        // The key only closed it.
        assert_eq!(s.app().settings().mode, mode);
    }
}

#[test]
fn lower_case_filters_ignore_case_and_sizes_count_the_matches() {
    let mut s = Session::sample(80, 24);
    s.keys(&[ch('/'), Text("packages"), Key(KeyCode::Enter)]);
    let f = s.app().settings().filter.as_ref().expect("a filter");
    let tree = s.app().model().tree();
    let upper: Vec<String> = f
        .matched
        .iter()
        .map(|&n| ballast::index::path::display(&tree.path(n)))
        .filter(|p| p.contains("Packages"))
        .collect();
    assert!(!upper.is_empty(), "a lower-case filter finds `Packages`");
    s.keys(&[ch('/'), Ctrl('u'), Text("PACKAGES"), Key(KeyCode::Enter)]);
    assert!(s.app().tree_lines().is_empty(), "upper case is exact");

    // With a filter on, a directory's size is its matching files' bytes.
    s.keys(&[ch('/'), Ctrl('u'), Text("safetensors"), Key(KeyCode::Enter)]);
    let app = s.app();
    let tree = app.model().tree();
    let size_of = |p: &[u8]| {
        let n = tree.lookup(p).expect("path");
        app.settings().sizes()[n as usize]
    };
    let weights = size_of(b"app/weights/model.safetensors");
    assert!(weights > 0);
    assert_eq!(size_of(b"app"), weights);
    assert_eq!(size_of(b"app/weights"), weights);
    let models = size_of(b"models/model.safetensors");
    assert_eq!(size_of(b"models"), models);
    // The whole /app is larger: the filter made the difference.
    let app_node = tree.lookup(b"app").expect("app");
    assert!(app.settings().total_sizes()[app_node as usize] > weights);
    insta::assert_snapshot!("filter_sizes_80x24", s.screen_text());
}

#[test]
fn the_footer_keeps_quit_at_80x24_in_every_pane() {
    let mut s = Session::open(&cuda_sample(), 80, 24);
    s.keys(&[]);
    for _ in 0..4 {
        let footer = s.footer_line();
        assert!(footer.trim_end().ends_with("q quit"), "{footer}");
        s.keys(&[Key(KeyCode::Tab)]);
    }
    // And with a view to go back to.
    s.keys(&[Key(KeyCode::BackTab), Key(KeyCode::Enter)]);
    assert!(s.app().can_go_back());
    let footer = s.footer_line();
    assert!(
        footer.contains("Esc back") && footer.contains("q quit"),
        "{footer}"
    );
}

#[test]
fn waste_lines_read_whole_in_the_details() {
    let mut s = Session::sample(80, 24);
    s.keys(&[Key(KeyCode::Tab), Key(KeyCode::Tab)]);
    // The finding with the longest message.
    let (row, message) = s
        .app()
        .waste_rows()
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r {
            WasteRow::Finding(f) => {
                Some((i, s.app().model().report().findings[*f].message.clone()))
            }
            WasteRow::Group { .. } => None,
        })
        .max_by_key(|(_, m)| m.len())
        .expect("findings");
    for _ in 0..row {
        s.keys(&[Key(KeyCode::Down)]);
    }
    let cut = s.screen_text();
    let words: Vec<&str> = message.split_whitespace().collect();
    assert!(
        !words.iter().all(|w| cut.contains(w)),
        "the pane alone cuts it: {message}"
    );
    s.keys(&[ch('d')]);
    let whole = s.screen_text();
    for w in &words {
        assert!(whole.contains(w), "{w:?} of {message:?} missing:\n{whole}");
    }
    insta::assert_snapshot!("details_whole_80x24", whole);
    s.keys(&[ch('j'), ch('o')]);
    assert!(s.app().details_scroll().is_none());
}

#[test]
fn mode_and_owner_show_when_wide_and_layer_details_name_the_layer() {
    let mut wide = Session::sample(160, 48);
    wide.keys(&[]);
    assert!(wide.screen_text().contains("drwxr-xr-x 1000:1000"));
    let mut narrow = Session::sample(80, 24);
    narrow.keys(&[]);
    assert!(!narrow.screen_text().contains("drwxr-xr-x"));
    // Steps focused: the details give the full command, digest and diff_id.
    let mut s = Session::sample(160, 48);
    go_to_step(&mut s, 11);
    s.keys(&[ch('d')]);
    let text = s.screen_text();
    let report = s.app().model().report();
    let layer = &report.layers[report.steps[11].layer_index.expect("a layer")];
    for want in [
        layer.digest.clone().expect("digest"),
        layer.diff_id.clone().expect("diff_id"),
    ] {
        assert!(text.contains(&want), "{want} missing:\n{text}");
    }
    let command = &report.steps[11].created_by;
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for w in command.split_whitespace() {
        assert!(flat.contains(w), "{w:?} of the command missing:\n{text}");
    }
}

#[test]
fn view_and_extract_a_file_read_from_the_archive() {
    let mut s = Session::sample(100, 30);
    s.keys(&[Key(KeyCode::Tab)]);
    select_file(&mut s, "/app/main.py");
    let want = oracle_file(&sample(), "app/main.py");
    s.keys(&[ch('v')]);
    let view = s.app().text_view().expect("the file's text");
    let lines: Vec<&str> = std::str::from_utf8(&want).expect("text").lines().collect();
    assert_eq!(view.lines, lines);
    assert!(s.screen_text().contains(lines[0].trim()));
    s.keys(&[ch('q')]);
    assert!(s.app().text_view().is_none() && !s.app().should_quit());

    // x: a path typed at the bottom, the file written there.
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("main.py");
    let dest_text: &'static str = Box::leak(dest.display().to_string().into_boxed_str());
    s.keys(&[ch('x')]);
    assert!(s.footer_line().contains("./main.py"));
    s.keys(&[Ctrl('u'), Text(dest_text), Key(KeyCode::Enter)]);
    assert_eq!(std::fs::read(&dest).expect("written"), want);
    assert!(s.footer_line().contains("wrote"), "{}", s.footer_line());
    // Never over an existing file.
    std::fs::write(&dest, b"mine").expect("write");
    s.keys(&[ch('x'), Ctrl('u'), Text(dest_text), Key(KeyCode::Enter)]);
    assert_eq!(std::fs::read(&dest).expect("kept"), b"mine");
    assert!(s.footer_line().contains("exists"), "{}", s.footer_line());
    // A directory cannot be viewed or written.
    s.keys(&[Key(KeyCode::Left), Key(KeyCode::Left), ch('v')]);
    assert!(s.footer_line().contains("directory"), "{}", s.footer_line());
}

#[test]
fn a_minimum_size_hides_smaller_files() {
    let mut s = Session::sample(80, 24);
    s.keys(&[
        Key(KeyCode::Tab),
        ch('>'),
        Text("100kB"),
        Key(KeyCode::Enter),
    ]);
    assert_eq!(s.app().settings().min_size, Some(100_000));
    let app = s.app();
    let layer = app.layer().expect("a layer");
    let leaves: Vec<u64> = app
        .tree()
        .rows()
        .iter()
        .filter(|r| !r.has_children)
        .map(|r| {
            ballast::browse::lens::node_at(app.model(), r.node, layer)
                .and_then(|a| a.entry)
                .map_or(0, |e| e.size)
        })
        .collect();
    assert!(!leaves.is_empty());
    assert!(leaves.iter().all(|&b| b >= 100_000), "{leaves:?}");
    assert!(s.screen_text().contains("≥ 100.0 kB"));
    // A bad size is said, and changes nothing; Esc clears the filter.
    s.keys(&[ch('>'), Ctrl('u'), Text("big"), Key(KeyCode::Enter)]);
    assert!(
        s.footer_line().contains("not a size"),
        "{}",
        s.footer_line()
    );
    assert_eq!(s.app().settings().min_size, Some(100_000));
    s.keys(&[Key(KeyCode::Esc)]);
    assert_eq!(s.app().settings().min_size, None);
}

#[test]
fn y_copies_the_path_with_osc_52() {
    let mut s = Session::sample(80, 24);
    let got = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&got);
    s.app_mut().set_clipboard(Box::new(move |seq: &str| {
        sink.lock().expect("lock").push(seq.to_string());
    }));
    s.keys(&[Key(KeyCode::Tab), Key(KeyCode::Down), ch('y')]);
    let path = s.app().selected_path().expect("a path");
    assert_eq!(s.app().copied(), Some(path.as_str()));
    let seqs = got.lock().expect("lock").clone();
    let b64 = ballast::analyze::report::base64(path.as_bytes());
    assert_eq!(seqs, [format!("\x1b]52;c;{b64}\x07")]);
}

#[test]
fn keys_and_colours_from_ballast_toml() {
    use ballast::present::tui::config::TuiConfig;
    let t: toml::Table = toml::from_str(
        "[keys]\nquit = \"ctrl+q\"\nfilter-files = \"F\"\n[colors]\nselected = \"magenta\"",
    )
    .expect("toml");
    let cfg = TuiConfig::from_toml(&t).expect("valid");
    let mut s = Session::sample(80, 24);
    s.app_mut().set_key_map(cfg.key_map());
    // `q` is no longer quit; dive's filter-files name bound F.
    s.keys(&[ch('q'), ch('F')]);
    assert!(!s.app().should_quit());
    assert!(s.app().input().is_some());
    s.keys(&[Key(KeyCode::Esc), ch('?')]);
    assert!(s.screen_text().contains("C-q"), "{}", s.screen_text());
    s.keys(&[ch('o')]);
    let footer = s.footer_line();
    assert!(footer.contains("C-q quit"), "{footer}");
    let out = s.events(vec![key(KeyCode::Char('q'), KeyModifiers::CONTROL)]);
    assert!(matches!(out, Outcome::Quit) && s.app().should_quit());
}

#[test]
fn inherited_steps_are_dimmed_and_fold_only_when_the_base_is_known() {
    // Without a base (ml-mistakes' history names none): `i` says so and
    // changes nothing.
    let mut s = Session::sample(80, 24);
    assert!(s.app().model().inherited.is_none());
    let rows = s.app().step_rows().len();
    s.keys(&[ch('i')]);
    assert_eq!(s.app().step_rows().len(), rows);
    assert!(s.footer_line().contains("base image is not known"));
    // The "based" sample: its history shows it was built FROM
    // ballast-based-base:1, whose 4 steps come first.
    let model = load(&root().join("sample-images/based.docker.tar"));
    let base = model.report().image.base.as_ref().expect("base detected");
    assert_eq!(base.step_count, 4);
    let want: Vec<bool> = (0..model.step_count()).map(|i| i < 4).collect();
    assert_eq!(model.inherited.as_deref(), Some(&want[..]));
    let mut s = Session::of(model, 100, 30);
    let rows = s.app().step_rows().len();
    go_to_step(&mut s, 0);
    // The base's busybox step is dimmed; this build's own chmod step is not.
    assert!(text_is_dim(&s, "--install"), "{}", s.screen_text());
    assert!(!text_is_dim(&s, "chmod 600"), "{}", s.screen_text());
    s.keys(&[ch('i')]);
    assert_eq!(s.app().step_rows().len(), rows - 4);
    assert!(s.app().step_rows().iter().all(|&r| r >= 4));
    let screen = s.screen_text();
    assert!(screen.contains("4 from the base folded"), "{screen}");
    assert!(!screen.contains("--install"), "{screen}");
    assert!(screen.contains("chmod 600"), "{screen}");
    s.keys(&[ch('i')]);
    assert_eq!(s.app().step_rows().len(), rows);
}

/// Whether the first cell of `needle` on screen is drawn dimmed.
fn text_is_dim(s: &Session, needle: &str) -> bool {
    let buf = s.term.backend().buffer();
    let (y, line) = buffer_text(buf)
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(needle))
        .map(|(y, l)| (y, l.to_string()))
        .unwrap_or_else(|| panic!("{needle} not on screen"));
    let x = line[..line.find(needle).expect("found")].chars().count();
    let cell = &buf[(x as u16, y as u16)];
    cell.modifier.contains(ratatui::style::Modifier::DIM)
}

#[test]
fn real_terminal_esc_does_not_quit_smart_case_filters_and_extract_writes_a_file() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path().join("out");
    std::fs::create_dir(&work).expect("out dir");
    let status = dir.path().join("status");
    let t = Tmux {
        socket: format!("ballast-e2e-18-{}", std::process::id()),
    };
    let cmd = format!(
        "cd '{}' && '{}' '{}'; echo \"exit=$?\" > '{}'",
        work.display(),
        env!("CARGO_BIN_EXE_ballast"),
        sample().display(),
        status.display()
    );
    t.start(&cmd, 100, 30);
    t.wait_for("Files · step 14");
    // Esc on the main screen: still running, and it says how to quit.
    t.run(&["send-keys", "-t", "e2e", "Escape"]);
    t.wait_for("q quits");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!status.exists(), "Esc quit:\n{}", t.screen());
    // Smart case: upper case is exact and finds nothing...
    t.run(&["send-keys", "-t", "e2e", "/"]);
    t.run(&["send-keys", "-t", "e2e", "-l", "AMD64_PACKAGES"]);
    t.wait_for("0 paths here");
    t.run(&["send-keys", "-t", "e2e", "C-u"]);
    // ...lower case finds the `..._amd64_Packages` lists.
    t.run(&["send-keys", "-t", "e2e", "-l", "amd64_packages"]);
    t.wait_for("3 paths here");
    t.run(&["send-keys", "-t", "e2e", "Enter"]);
    t.wait_for("_Packages");
    // Extract the last one to the suggested ./NAME.
    t.run(&["send-keys", "-t", "e2e", "End", "x"]);
    t.wait_for("Enter write");
    t.run(&["send-keys", "-t", "e2e", "Enter"]);
    t.wait_for("wrote");
    let written: Vec<PathBuf> = std::fs::read_dir(&work)
        .expect("out dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    let name = written[0]
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(name.ends_with("_Packages"), "{name}");
    let want = oracle_file(&sample(), &format!("var/lib/apt/lists/{name}"));
    assert_eq!(std::fs::read(&written[0]).expect("read"), want);
    // Esc clears the filter, still no quit; q quits with 0.
    t.run(&["send-keys", "-t", "e2e", "Escape"]);
    t.wait_for("filter cleared");
    assert!(!status.exists());
    t.run(&["send-keys", "-t", "e2e", "q"]);
    assert_eq!(t.wait_exit(&status), "exit=0");
}

#[test]
fn a_bad_tui_section_in_ballast_toml_is_a_one_line_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("ballast.toml");
    for (text, want) in [
        (
            "[tui.keys]\nqiut = \"q\"\n",
            "[tui.keys]: `qiut` is not an action",
        ),
        (
            "[tui.colors]\nselected = \"reddish\"\n",
            "`reddish` is not a colour",
        ),
    ] {
        std::fs::write(&cfg, text).expect("write");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ballast"))
            .arg(sample())
            .arg("--config")
            .arg(&cfg)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("ballast: error: ")
                && err.contains("ballast.toml")
                && err.contains(want),
            "{err}"
        );
    }
    // A valid section is accepted (the summary prints, exit 0).
    std::fs::write(&cfg, "[tui.keys]\nfilter-files = \"ctrl+f\"\n").expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ballast"))
        .arg(sample())
        .arg("--config")
        .arg(&cfg)
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The ml-mistakes sample with its Dockerfile given, as `--dockerfile`
/// does.
fn load_with_dockerfile() -> Model {
    let path = root().join("sample-images/ml-mistakes/Dockerfile");
    let text = std::fs::read_to_string(&path).expect("Dockerfile");
    let options = ballast::Options {
        dockerfile: Some(Arc::new(ballast::analyze::dockerfile::Source {
            path: "Dockerfile".into(),
            text,
            explicit: true,
        })),
        ..ballast::Options::default()
    };
    load_with(&sample(), &options)
}

/// Puts the waste pane's selection on finding `fi`; its row.
fn select_finding(s: &mut Session, fi: usize) {
    while s.app().focus() != Pane::Waste {
        s.keys(&[Key(KeyCode::Tab)]);
    }
    let row = s
        .app()
        .waste_rows()
        .iter()
        .position(|r| matches!(r, WasteRow::Finding(i) if *i == fi))
        .expect("the finding has a row");
    s.keys(&[Key(KeyCode::Home)]);
    for _ in 0..row {
        s.keys(&[Key(KeyCode::Down)]);
    }
    assert_eq!(s.app().waste_nav().selected(), row);
}

#[test]
fn with_a_dockerfile_the_details_of_a_finding_show_the_hunk_fix_would_write() {
    let model = load_with_dockerfile();
    let findings = &model.report().findings;
    let fi = findings
        .iter()
        .position(|f| f.category == "cache" && f.rule.contains("pip"))
        .expect("a pip cache finding");
    let mut s = Session::of(model, 160, 48);
    select_finding(&mut s, fi);
    let screen = s.screen_text();
    assert!(
        screen
            .lines()
            .any(|l| l.contains("│@@ -") && l.contains("@@ ballast fix")),
        "no hunk header in the details pane:\n{screen}"
    );
    assert!(
        screen
            .lines()
            .any(|l| l.contains("│+RUN pip install --no-cache-dir tinypkg")),
        "no --no-cache-dir edit:\n{screen}"
    );
    insta::assert_snapshot!("fix_hunk_pip_cache_160x48", screen);
    // Without the Dockerfile the same finding's details say nothing of it.
    let mut s = Session::sample(160, 48);
    select_finding(&mut s, fi);
    let screen = s.screen_text();
    assert!(!screen.contains("ballast fix"), "{screen}");
    assert!(!screen.contains("@@ -"), "{screen}");
}

/// With a Dockerfile, a step's details name its line, as the text summary
/// and the CI printers do (issue 20).
#[test]
fn with_a_dockerfile_the_step_details_name_its_line() {
    let model = load_with_dockerfile();
    let mapped: Vec<(usize, String)> = model
        .report()
        .steps
        .iter()
        .filter_map(|st| ballast::present::text::dockerfile_at(st).map(|at| (st.index, at)))
        .collect();
    assert!(!mapped.is_empty(), "the sample's steps map to lines");
    let mut s = Session::of(model, 160, 48);
    while s.app().focus() != Pane::Steps {
        s.keys(&[Key(KeyCode::Tab)]);
    }
    s.keys(&[Key(KeyCode::Home)]);
    let mut seen = 0;
    for _ in 0..s.app().step_rows().len() {
        let step = s.app().selected_step().expect("a step is selected");
        if let Some((_, at)) = mapped.iter().find(|(i, _)| *i == step) {
            let screen = s.screen_text();
            assert!(
                screen
                    .lines()
                    .any(|l| l.contains("line") && l.contains(at.as_str())),
                "step {step}: no `{at}` in the details:\n{screen}"
            );
            seen += 1;
        }
        s.keys(&[Key(KeyCode::Down)]);
    }
    assert!(seen > 0, "no mapped step was shown");
}

// --- `ballast diff OLD NEW`: the diff lens ---

fn diff_sample(name: &str) -> PathBuf {
    root().join(format!("sample-images/diff/{name}.oci.tar"))
}

/// What `ballast diff OLD NEW` computes before its UI opens: both images
/// analysed (shared layers once) and compared.
fn diff_pair(old: &str, new: &str) -> (Model, Arc<ballast::analyze::diff_report::DiffReport>) {
    let opts = ballast::Options::default();
    let (o, n) = ballast::pair::analyze_pair(
        &Input::Path(diff_sample(old)),
        &Input::Path(diff_sample(new)),
        &opts,
    )
    .expect("pair analysed");
    let report = ballast::pair::compare(&o, &n, &Default::default()).expect("compared");
    (Model::new(n), Arc::new(report))
}

impl Session {
    /// The UI as `ballast diff OLD NEW` opens it: NEW with the lens on.
    fn diff(old: &str, new: &str, width: u16, height: u16) -> Session {
        let (model, report) = diff_pair(old, new);
        Session::with_lens(model, report, width, height)
    }

    fn with_lens(
        model: Model,
        report: Arc<ballast::analyze::diff_report::DiffReport>,
        width: u16,
        height: u16,
    ) -> Session {
        let mut s = Session::of(model, width, height);
        let lens = ballast::browse::diff_lens::DiffLens::new(report, s.app().model());
        s.app_mut().set_diff(lens);
        s
    }

    /// The changed-paths rows: mark, path, change.
    fn diff_rows(&self) -> Vec<(char, String, i64)> {
        let d = self.app().diff().expect("a diff lens");
        d.tree
            .rows()
            .iter()
            .map(|r| {
                let n = d.lens.tree.node(r.node).expect("node");
                (
                    n.diff.symbol(),
                    String::from_utf8_lossy(&d.lens.tree.path(r.node)).into_owned(),
                    n.diff.delta,
                )
            })
            .collect()
    }
}

/// The changed files of a report, as the lens must list them.
fn diff_report_files(
    report: &ballast::analyze::diff_report::DiffReport,
) -> std::collections::BTreeSet<(String, i64)> {
    report
        .all_paths
        .iter()
        .map(|c| (c.path.display()[1..].to_string(), c.delta_bytes))
        .collect()
}

#[test]
fn diff_lens_opens_on_what_new_changed_with_the_step_marked() {
    // pip-added: the pip step installs `beta` too.
    let mut s = Session::diff("old", "pip-added", 130, 36);
    s.keys(&[]);
    let app = s.app();
    let d = app.diff().expect("the lens");
    assert!(d.on && d.shows_tree());
    use ballast::analyze::diff_report::StepStatus;
    let statuses: Vec<Option<StepStatus>> = (0..app.model().step_count())
        .map(|i| d.lens.step_status(i))
        .collect();
    let pip = app
        .model()
        .step_labels
        .iter()
        .position(|l| l.contains("pip install"))
        .expect("the pip step");
    for (i, st) in statuses.iter().enumerate() {
        let want = if i == pip {
            StepStatus::Changed
        } else {
            StepStatus::Same
        };
        assert_eq!(*st, Some(want), "step {i}");
    }
    // Every changed file is a leaf of the changed-paths tree, with its
    // byte change, and nothing else is: beta's files, all added.
    let leaves: std::collections::BTreeSet<(String, i64)> = s
        .diff_rows()
        .into_iter()
        .filter(|(_, p, _)| {
            !s.diff_rows()
                .iter()
                .any(|(_, q, _)| q.starts_with(&format!("{p}/")))
        })
        .map(|(_, p, d)| (p, d))
        .collect();
    assert_eq!(leaves, diff_report_files(&d.lens.report));
    assert!(
        leaves.iter().all(|(p, d)| p.contains("beta") && *d > 0),
        "{leaves:?}"
    );
    // `usr/` held files before: it grew; `beta/` is new.
    let rows = s.diff_rows();
    let mark = |path: &str| rows.iter().find(|(_, p, _)| p == path).map(|r| r.0);
    assert_eq!(mark("usr"), Some('↑'));
    assert_eq!(
        mark("usr/local/lib/python3.11/site-packages/beta"),
        Some('+')
    );
    let screen = s.screen_text();
    assert!(screen.contains("ballast diff"), "{screen}");
    assert!(screen.contains("vs OLD: 1 changed"), "{screen}");
    assert!(screen.contains("rebuilt from step 4"), "{screen}");
    assert!(screen.contains("pull 78.3 kB in 1 layer"), "{screen}");
    insta::assert_snapshot!("diff_lens_pip_added_130x36", screen);
}

#[test]
fn diff_lens_toggles_changed_only_and_off() {
    // file-grown: the COPY of data/ copies a longer blob.bin.
    let mut s = Session::diff("old", "file-grown", 130, 36);
    let (_, _, grown) = s
        .diff_rows()
        .into_iter()
        .find(|(_, p, _)| p == "opt/data/blob.bin")
        .expect("blob.bin changed");
    assert!(grown > 0);
    // The details of the selected change say OLD → NEW.
    s.keys(&[Key(KeyCode::Tab), Key(KeyCode::End)]);
    assert_eq!(
        s.app().selected_path().as_deref(),
        Some("/opt/data/blob.bin")
    );
    let screen = s.screen_text();
    assert!(screen.contains("grown"), "{screen}");
    assert!(screen.contains("OLD "), "{screen}");
    // A filter narrows NEW's tree: the changed-paths list makes way.
    s.keys(&[ch('w')]);
    assert!(!s.app().diff().unwrap().shows_tree());
    assert!(s.app().settings().wasted_only);
    s.keys(&[ch('w'), ch('a')]);
    assert!(s.app().diff().unwrap().shows_tree());
    // `a`: NEW's whole tree, the changed paths marked with their change.
    s.keys(&[ch('a')]);
    assert!(!s.app().diff().unwrap().shows_tree());
    let opt = s.app().model().tree().lookup(b"opt/data/blob.bin").unwrap();
    let m = s.app().diff().unwrap().lens.mark(opt).expect("marked");
    assert_eq!((m.symbol(), m.delta), ('↑', grown));
    s.keys(&[Key(KeyCode::Home), Key(KeyCode::Right)]);
    s.keys(&[ch('/'), Text("blob"), Key(KeyCode::Enter)]);
    let screen = s.screen_text();
    let line = screen
        .lines()
        .find(|l| l.contains("blob.bin"))
        .expect("blob.bin shown");
    assert!(line.contains('↑'), "{line}");
    assert!(
        line.contains(&ballast::present::diff_text::signed(grown)),
        "{line}"
    );
    insta::assert_snapshot!("diff_lens_marks_in_new_tree_130x36", screen);
    // `D`: the lens off, the plain browser back (its own header and
    // marks); `D` again, on.
    s.keys(&[ch('D')]);
    assert!(!s.app().diff().unwrap().on);
    let screen = s.screen_text();
    assert!(screen.contains("efficiency"), "{screen}");
    assert!(!screen.contains("vs OLD"), "{screen}");
    s.keys(&[ch('D')]);
    assert!(s.app().diff().unwrap().on);
    assert!(s.screen_text().contains("vs OLD"));
    // Quitting is quitting, lens or not.
    s.keys(&[ch('q')]);
    assert!(s.app().should_quit());
}

#[test]
fn diff_lens_lists_removed_paths_and_moved_steps() {
    // pip-added → old: beta's files are gone.
    let mut s = Session::diff("pip-added", "old", 130, 36);
    let rows = s.diff_rows();
    assert!(!rows.is_empty());
    // Files and beta's own directories removed; `usr/` and the others
    // above it only shrank.
    for (m, p, d) in &rows {
        let want = if p.contains("beta") { '-' } else { '↓' };
        assert_eq!((*m, *d < 0), (want, true), "{p}");
    }
    let removed = s.app().diff().unwrap().lens.removed_paths();
    assert_eq!(
        removed as usize,
        diff_report_files(&s.app().diff().unwrap().lens.report).len()
    );
    // In NEW's tree they cannot be: the title counts them.
    s.keys(&[ch('a')]);
    let screen = s.screen_text();
    assert!(
        screen.contains(&format!("{removed} removed (a lists them)")),
        "{screen}"
    );
    // A removed file cannot be read from NEW.
    s.keys(&[ch('a'), Key(KeyCode::Tab), Key(KeyCode::End), ch('v')]);
    assert!(
        s.app().message().unwrap_or_default().contains("only OLD"),
        "{:?}",
        s.app().message()
    );

    // step-moved: the app is copied before the pip step.
    let mut s = Session::diff("old", "step-moved", 130, 36);
    s.keys(&[]);
    let d = s.app().diff().unwrap();
    use ballast::analyze::diff_report::StepStatus;
    let moved: Vec<usize> = (0..s.app().model().step_count())
        .filter(|&i| d.lens.step_status(i) == Some(StepStatus::Moved))
        .collect();
    assert_eq!(moved.len(), 1, "{moved:?}");
    let label = &s.app().model().step_labels[moved[0]];
    assert!(
        label.contains("pip install") || label.contains("/app/"),
        "{label}"
    );
    let screen = s.screen_text();
    assert!(screen.contains("1 moved"), "{screen}");
    assert!(screen.contains('↕'), "{screen}");
}

#[test]
fn diff_lens_against_a_baseline_marks_steps_and_says_why_not_paths() {
    use ballast::analyze::diff::{self, FileSizes};
    use ballast::analyze::diff_report::SideKind;
    let opts = ballast::Options::default();
    let old = ballast::run_pipeline(&Input::Path(diff_sample("old")), &opts).expect("old");
    let new = ballast::run_pipeline(&Input::Path(diff_sample("cache-left")), &opts).expect("new");
    // As `--baseline`: OLD is its saved JSON report, with no file list.
    let json = serde_json::to_string(&old.report).expect("json");
    let old_side = diff::parse_baseline(&json).expect("baseline");
    let new_side = diff::side_of(&new.report).expect("side");
    let files = FileSizes::of_image(&new.image);
    let report = diff::compare(
        &diff::Input {
            side: &old_side,
            kind: SideKind::Report,
            files: None,
        },
        &diff::Input {
            side: &new_side,
            kind: SideKind::Image,
            files: Some(&files),
        },
        &Default::default(),
    );
    let mut s = Session::with_lens(Model::new(new), Arc::new(report), 130, 36);
    s.keys(&[]);
    let d = s.app().diff().unwrap();
    assert!(d.on && !d.shows_tree() && !d.lens.has_paths());
    assert!(d.lens.paths_note().unwrap().contains("OLD's image"));
    let screen = s.screen_text();
    assert!(screen.contains("paths not compared (baseline)"), "{screen}");
    assert!(screen.contains("vs OLD: 1 changed"), "{screen}");
    assert!(screen.contains("paths: which files appeared"), "{screen}");
    // `a` is the step's own changes again: nothing to list against OLD.
    s.keys(&[ch('a')]);
    assert_eq!(s.app().settings().mode, Mode::StepOnly);
    insta::assert_snapshot!("diff_lens_baseline_130x36", s.screen_text());
}

#[test]
fn real_terminal_diff_opens_the_lens_and_quits_with_exit_0() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let status = dir.path().join("status");
    let t = Tmux {
        socket: format!("ballast-e2e-diff-{}", std::process::id()),
    };
    let cmd = format!(
        "'{}' diff '{}' '{}'; echo \"exit=$?\" > '{}'",
        env!("CARGO_BIN_EXE_ballast"),
        diff_sample("old").display(),
        diff_sample("pip-added").display(),
        status.display()
    );
    t.start(&cmd, 130, 36);
    // The whole first frame: a capture can land while it is being drawn.
    let first = t.wait_until("the lens's first frame", |s| {
        s.contains("changed vs OLD") && s.contains("core.py")
    });
    assert!(first.contains("ballast diff"), "{first}");
    assert!(first.contains("vs OLD: 1 changed"), "{first}");
    assert!(first.contains("core.py"), "{first}");
    // Esc does not quit; D turns the lens off, the plain browser shows.
    t.run(&["send-keys", "-t", "e2e", "Escape", "D"]);
    t.wait_for("efficiency");
    assert!(!status.exists());
    t.run(&["send-keys", "-t", "e2e", "q"]);
    assert_eq!(t.wait_exit(&status), "exit=0");
    assert!(!t.screen().contains("changed vs OLD"));
}

// --- dive's own config (~/.dive.yaml): its remapped keys ---

#[test]
fn dive_keybindings_carry_over_under_ballast_toml() {
    use ballast::present::tui::config::TuiConfig;
    let t: toml::Table = toml::from_str("[keys]\nfilter = \"F\"\n").expect("toml");
    let mut cfg = TuiConfig::from_toml(&t).expect("valid");
    let entry = |n: &str, k: &str| (n.to_string(), k.to_string());
    let ignored = cfg.add_dive_keys(&[
        // dive's default, as `dive config` writes it: changes nothing.
        entry("page-down", "pgdn,d"),
        entry("quit", "ctrl+q"),
        entry("toggle-view", "ctrl+t"),
        // ballast.toml binds `filter`: its F wins over dive's Ctrl+P.
        entry("filter-files", "ctrl+p"),
        entry("toggle-wrap-tree", "ctrl+w"),
    ]);
    assert_eq!(ignored, ["toggle-wrap-tree (no such action in ballast)"]);
    let mut s = Session::sample(80, 24);
    s.app_mut().set_key_map(cfg.key_map());
    // Ctrl+T is dive's remapped pane switch; Tab (dive's default) no more.
    s.keys(&[Ctrl('t')]);
    assert_eq!(s.app().focus(), Pane::Tree);
    s.keys(&[Key(KeyCode::Tab)]);
    assert_eq!(s.app().focus(), Pane::Tree);
    // `d` stays the details (dive's page-down default did not take it).
    s.keys(&[ch('d')]);
    assert!(s.app().details_scroll().is_some());
    s.keys(&[Key(KeyCode::Esc)]);
    // Ctrl+P does nothing, F filters (ballast.toml wins).
    s.keys(&[Ctrl('p')]);
    assert!(s.app().input().is_none());
    s.keys(&[ch('F')]);
    assert!(s.app().input().is_some());
    s.keys(&[Key(KeyCode::Esc)]);
    // dive's quit moved from Ctrl+C to Ctrl+Q; ballast's own `q` stays.
    s.keys(&[Ctrl('c')]);
    assert!(!s.app().should_quit());
    let out = s.events(vec![key(KeyCode::Char('q'), KeyModifiers::CONTROL)]);
    assert!(matches!(out, Outcome::Quit) && s.app().should_quit());
    let mut s = Session::sample(80, 24);
    s.app_mut().set_key_map(cfg.key_map());
    s.keys(&[ch('?')]);
    let help = s.screen_text();
    assert!(help.contains("q C-q"), "{help}");
    assert!(help.contains("C-t"), "{help}");
}

#[test]
fn real_terminal_reads_dive_yaml_from_home_and_warns_once_per_problem() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let xdg = dir.path().join("xdg");
    std::fs::create_dir_all(xdg.join("dive")).expect("mkdir");
    std::fs::create_dir_all(&home).expect("mkdir");
    std::fs::write(
        home.join(".dive.yaml"),
        "log:\n  enabled: false\ndiff:\n  hide:\n  - unmodified\nkeybinding:\n  quit: ctrl+x\n  filter-files: ctrl+p\n  toggle-wrap-tree: ctrl+w\n  frobnicate: z\n",
    )
    .expect("write");
    // A second, broken file: warned about, the first still used.
    std::fs::write(xdg.join("dive/config.yaml"), "keybinding:\n\tquit: q\n").expect("write");
    let status = dir.path().join("status");
    let t = Tmux {
        socket: format!("ballast-e2e-dive-{}", std::process::id()),
    };
    let cmd = format!(
        "cd '{}' && env HOME='{}' XDG_CONFIG_HOME='{}' XDG_CONFIG_DIRS='{}' DIVE_CONFIG= '{}' '{}'; echo \"exit=$?\" > '{}'",
        dir.path().display(),
        home.display(),
        xdg.display(),
        dir.path().join("none").display(),
        env!("CARGO_BIN_EXE_ballast"),
        sample().display(),
        status.display()
    );
    t.start(&cmd, 100, 30);
    t.wait_for("Files · step 14");
    // Ctrl+P filters (dive's remap); Ctrl+C no longer quits.
    t.run(&["send-keys", "-t", "e2e", "C-p"]);
    t.wait_for("substring or regex");
    t.run(&["send-keys", "-t", "e2e", "Escape"]);
    t.wait_until("the prompt closed", |s| !s.contains("substring or regex"));
    t.run(&["send-keys", "-t", "e2e", "C-c"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!status.exists(), "Ctrl+C quit:\n{}", t.screen());
    t.run(&["send-keys", "-t", "e2e", "C-x"]);
    assert_eq!(t.wait_exit(&status), "exit=0");
    // Back on the shell's screen: one line per problem (joined where the
    // terminal wrapped it).
    let screen = t.run(&["capture-pane", "-p", "-J", "-S", "-100", "-t", "e2e"]);
    let warnings: Vec<&str> = screen
        .lines()
        .filter(|l| l.starts_with("ballast: warning:"))
        .collect();
    assert_eq!(warnings.len(), 2, "{screen}");
    assert!(
        warnings.iter().any(|w| w.contains("config.yaml: line 2")),
        "{screen}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("toggle-wrap-tree") && w.contains("frobnicate")),
        "{screen}"
    );
}

#[test]
fn diff_lens_renders_at_80x24_and_in_tiny_terminals() {
    for (w, h) in [(80, 24), (40, 12), (10, 3), (1, 1)] {
        let mut s = Session::diff("old", "pip-added", w, h);
        // Every view of the lens, navigated, at this size.
        s.keys(&[
            Key(KeyCode::Tab),
            Key(KeyCode::Down),
            ch(' '),
            ch('a'),
            Key(KeyCode::End),
            ch('D'),
            ch('D'),
            ch('d'),
        ]);
        assert!(!s.app().should_quit());
    }
    let mut s = Session::diff("old", "pip-added", 80, 24);
    s.keys(&[]);
    let screen = s.screen_text();
    assert!(screen.lines().all(|l| l.chars().count() <= 80), "{screen}");
    assert!(screen.contains("q quit"), "{screen}");
    insta::assert_snapshot!("diff_lens_80x24", screen);
}
