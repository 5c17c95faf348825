//! The UI's state and what each action does to it. Keys arrive as
//! [`Action`]s from the key table and go to the focused pane's state
//! ([`super::panes`]); what spans panes (a finding's jump, a package's
//! files, Esc going back) is done here. Drawing reads the state through
//! [`App::props`] and never changes it.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;

use crate::analyze::findings::Finding;
use crate::archive::extract;
use crate::browse::lens::{self, Hidden, Lens, Mode, PathFilter};
use crate::browse::list::{ListNav, Move};
use crate::browse::model::{Model, PackageSort};
use crate::browse::text;
use crate::browse::tree_view::TreeView;
use crate::index::layer::EntryKind;
use crate::index::path;

use super::keys::{Action, KeyMap};
use super::layout::{self, Areas, Content, Pane};
use super::panes::diff::DiffState;
use super::panes::files::FilesState;
use super::panes::packages::PackagesState;
use super::panes::steps::{StepsState, final_step};
use super::panes::waste::WasteState;
use super::theme::Theme;
use super::widgets::Props;

pub use super::panes::files::TreeSettings;
pub use super::panes::waste::WasteRow;

/// Rows the mouse wheel moves per notch.
const WHEEL_ROWS: isize = 3;
/// The most of a file `v` reads to show; the rest is left in the archive.
const VIEW_LIMIT: usize = 512 << 10;
/// Lines of a viewed file kept for the pane.
const VIEW_LINES: usize = 5_000;

/// The view before Enter on a package, which Esc puts back.
struct SavedView {
    focus: Pane,
    show_empty: bool,
    step: Option<usize>,
    mode: Mode,
    filter: Option<PathFilter>,
    wasted_only: bool,
    hidden: Hidden,
    tree: TreeView,
}

/// What a line typed at the bottom is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptKind {
    /// The path filter (applied as it is typed).
    Filter,
    /// The smallest file size shown.
    MinSize,
    /// Where to write a file (its path in the image).
    Extract(String),
}

/// The line being typed; Esc puts `previous` back.
pub struct FilterInput {
    pub kind: PromptKind,
    pub text: String,
    previous: Option<String>,
}

/// A file's text, read from the archive, shown over the panes.
pub struct TextView {
    pub title: String,
    pub lines: Vec<String>,
    pub scroll: usize,
}

/// Where copied paths go: the real terminal's OSC 52 sequence, or a test's
/// list.
pub type ClipboardSink = Box<dyn FnMut(&str) + Send>;

pub struct App {
    model: Model,
    pub theme: Theme,
    focus: Pane,
    zoom: bool,
    size: Rect,
    steps: StepsState,
    files: FilesState,
    waste: WasteState,
    packages: PackagesState,
    /// Waste or packages: the one shown where they share an area.
    tab: Pane,
    /// Set while a package's files are shown: the view to go back to.
    before_package: Option<SavedView>,
    input: Option<FilterInput>,
    help: Option<usize>,
    /// The details pane over the whole screen, and its scroll.
    details: Option<usize>,
    view: Option<TextView>,
    keymap: KeyMap,
    clipboard: Option<ClipboardSink>,
    copied: Option<String>,
    message: Option<String>,
    quit: bool,
    /// `ballast diff OLD NEW`: the comparison shown as a lens.
    diff: Option<DiffState>,
}

impl App {
    /// Opens on the last step that made a layer: the image as shipped.
    pub fn new(model: Model, theme: Theme) -> App {
        let mut app = App {
            focus: Pane::Steps,
            zoom: false,
            size: Rect::default(),
            steps: StepsState::new(&model),
            files: FilesState::new(&model),
            waste: WasteState::new(&model),
            packages: PackagesState::default(),
            tab: Pane::Waste,
            before_package: None,
            input: None,
            help: None,
            details: None,
            view: None,
            keymap: KeyMap::default(),
            clipboard: None,
            copied: None,
            message: None,
            quit: false,
            diff: None,
            theme,
            model,
        };
        app.sync_layer();
        app.files.refresh(&app.model);
        app
    }

    /// Keys as `ballast.toml` binds them.
    pub fn set_key_map(&mut self, keymap: KeyMap) {
        self.keymap = keymap;
    }

    /// `ballast diff`: shows the comparison as a lens (on at first).
    pub fn set_diff(&mut self, lens: crate::browse::diff_lens::DiffLens) {
        self.diff = Some(DiffState::new(lens));
        self.fit_viewports();
    }

    /// The diff lens, when the app was opened by `ballast diff`.
    pub fn diff(&self) -> Option<&DiffState> {
        self.diff.as_ref()
    }

    /// The files pane shows the changed-paths tree of the diff lens.
    fn diff_tree_shown(&self) -> bool {
        self.diff.as_ref().is_some_and(DiffState::shows_tree)
    }

    /// Where `y` sends the selected path (the terminal's clipboard).
    pub fn set_clipboard(&mut self, sink: ClipboardSink) {
        self.clipboard = Some(sink);
    }

    /// What one frame draws from: each pane's state, borrowed.
    pub fn props(&self) -> Props<'_> {
        Props {
            model: &self.model,
            theme: &self.theme,
            focus: self.focus,
            content: self.layout_content(),
            steps: &self.steps,
            files: &self.files,
            waste: &self.waste,
            packages: &self.packages,
            can_go_back: self.can_go_back(),
            input: self.input.as_ref(),
            help: self.help,
            details: self.details,
            view: self.view.as_ref(),
            keymap: &self.keymap,
            message: self.message.as_deref(),
            diff: self.diff.as_ref().filter(|d| d.on),
        }
    }

    // --- what tests and the benchmark read ---

    pub fn model(&self) -> &Model {
        &self.model
    }
    pub fn focus(&self) -> Pane {
        self.focus
    }
    pub fn zoomed(&self) -> Option<Pane> {
        self.zoom.then_some(self.focus)
    }
    pub fn areas(&self) -> Areas {
        layout::areas(self.size, &self.layout_content())
    }
    /// What the layout needs besides the screen size.
    pub fn layout_content(&self) -> Content {
        Content {
            zoom: self.zoomed(),
            steps: self.steps.rows.len(),
            packages: self.model.packages().len(),
            tab: self.tab,
        }
    }
    pub fn step_rows(&self) -> &[usize] {
        &self.steps.rows
    }
    pub fn steps_nav(&self) -> &ListNav {
        &self.steps.nav
    }
    pub fn show_empty(&self) -> bool {
        self.steps.show_empty
    }
    pub fn selected_step(&self) -> Option<usize> {
        self.steps.selected()
    }
    pub fn waste_rows(&self) -> &[WasteRow] {
        &self.waste.rows
    }
    pub fn waste_nav(&self) -> &ListNav {
        &self.waste.nav
    }
    pub fn selected_waste(&self) -> Option<WasteRow> {
        self.waste.selected()
    }
    pub fn selected_finding(&self) -> Option<&Finding> {
        self.waste.selected_finding(&self.model)
    }
    pub fn package_sort(&self) -> PackageSort {
        self.packages.sort
    }
    /// The packages pane's rows: package indices in the current order.
    pub fn package_rows(&self) -> &[usize] {
        self.packages.rows(&self.model)
    }
    pub fn packages_nav(&self) -> &ListNav {
        &self.packages.nav
    }
    pub fn selected_package(&self) -> Option<usize> {
        self.packages.selected(&self.model)
    }
    /// The package whose files the tree shows, if any.
    pub fn shown_package(&self) -> Option<usize> {
        self.files.settings.package
    }
    /// Esc has a view to go back to.
    pub fn can_go_back(&self) -> bool {
        self.before_package.is_some()
    }
    pub fn tree(&self) -> &TreeView {
        &self.files.tree
    }
    pub fn settings(&self) -> &TreeSettings {
        &self.files.settings
    }
    pub fn lens(&self) -> Lens<'_> {
        self.files.lens(&self.model)
    }
    pub fn input(&self) -> Option<&FilterInput> {
        self.input.as_ref()
    }
    pub fn help_scroll(&self) -> Option<usize> {
        self.help
    }
    /// The details over the whole screen (`d`), and its scroll.
    pub fn details_scroll(&self) -> Option<usize> {
        self.details
    }
    /// The file shown by `v`.
    pub fn text_view(&self) -> Option<&TextView> {
        self.view.as_ref()
    }
    /// The last path `y` copied.
    pub fn copied(&self) -> Option<&str> {
        self.copied.as_deref()
    }
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
    pub fn should_quit(&self) -> bool {
        self.quit
    }
    pub fn layer(&self) -> Option<usize> {
        self.files.settings.layer
    }

    /// The selected file's path as shown, e.g. `/app/main.py`.
    pub fn selected_path(&self) -> Option<String> {
        if let Some(p) = self
            .diff
            .as_ref()
            .filter(|d| d.shows_tree())
            .and_then(DiffState::selected_path)
        {
            return Some(path::display(&p));
        }
        let node = self.files.tree.selected_node()?;
        Some(path::display(&self.model.tree().path(node)))
    }

    /// The tree's rows as paths, indented by depth (for tests).
    pub fn tree_lines(&self) -> Vec<String> {
        let t = self.model.tree();
        self.files
            .tree
            .rows()
            .iter()
            .map(|r| {
                let mut s = "  ".repeat(r.depth as usize);
                path::push_escaped(&mut s, t.name(r.node));
                s
            })
            .collect()
    }

    // --- events ---

    pub fn handle(&mut self, ev: &Event) {
        match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => self.key(*k),
            Event::Mouse(m) => self.mouse(*m),
            Event::Resize(w, h) => self.resize(*w, *h),
            _ => {}
        }
    }

    /// Records the terminal size: pages and scrolling depend on it.
    pub fn resize(&mut self, width: u16, height: u16) {
        self.size = Rect::new(0, 0, width, height);
        self.fit_viewports();
    }

    fn fit_viewports(&mut self) {
        let a = self.areas();
        let h = |r: Rect| usize::from(layout::inner(r).height);
        self.steps.nav.set_height(h(a.steps), self.steps.rows.len());
        self.waste.nav.set_height(h(a.waste), self.waste.rows.len());
        let packages = self.model.packages().len();
        self.packages.nav.set_height(h(a.packages), packages);
        self.files.tree.set_height(h(a.tree));
        if let Some(d) = self.diff.as_mut() {
            d.tree.set_height(h(a.tree));
        }
    }

    pub fn key(&mut self, k: KeyEvent) {
        self.message = None;
        if self.input.is_some() {
            self.filter_key(k);
            return;
        }
        let action = self.keymap.action_for(&k);
        // Over the panes: ↑↓ scroll, any other key (bound or not) closes.
        let scrolled = |scroll: usize| match action {
            Some(Action::Move(Move::Up)) => Some(scroll.saturating_sub(1)),
            Some(Action::Move(Move::Down)) => Some(scroll.saturating_add(1)),
            Some(Action::Move(Move::PageUp)) => Some(scroll.saturating_sub(10)),
            Some(Action::Move(Move::PageDown)) => Some(scroll.saturating_add(10)),
            Some(Action::Move(Move::Top)) => Some(0),
            _ => None,
        };
        if let Some(scroll) = self.help {
            self.help = scrolled(scroll);
            return;
        }
        if let Some(scroll) = self.details {
            self.details = scrolled(scroll);
            return;
        }
        if let Some(v) = &mut self.view {
            match scrolled(v.scroll) {
                Some(s) => v.scroll = s.min(v.lines.len().saturating_sub(1)),
                None => self.view = None,
            }
            return;
        }
        if let Some(action) = action {
            self.act(action);
        }
    }

    pub fn act(&mut self, action: Action) {
        // Filters narrow NEW's tree: the changed-paths list makes way for
        // it (its marks stay).
        if matches!(
            action,
            Action::Filter | Action::MinSize | Action::WastedOnly | Action::HideUnmodified
        ) && let Some(d) = self.diff.as_mut().filter(|d| d.shows_tree())
        {
            d.changed_only = false;
        }
        let model = &self.model;
        match action {
            Action::Quit => self.quit = true,
            Action::Back => self.back(),
            Action::Help => self.help = Some(0),
            Action::Details => self.details = Some(0),
            Action::View => self.view_file(),
            Action::Extract => self.ask_extract_path(),
            Action::CopyPath => self.copy_path(),
            Action::MinSize => {
                self.set_focus(Pane::Tree);
                let current = self.files.settings.min_size.map(|m| m.to_string());
                self.input = Some(FilterInput {
                    kind: PromptKind::MinSize,
                    text: current.clone().unwrap_or_default(),
                    previous: current,
                });
            }
            Action::ToggleInherited => {
                if self.model.inherited.is_none() {
                    self.message = Some("the base image is not known: no inherited steps".into());
                } else {
                    self.steps
                        .relist(model, |s| s.hide_inherited = !s.hide_inherited);
                    self.fit_viewports();
                    self.step_changed();
                }
            }
            Action::NextPane => self.set_focus(self.focus.next()),
            Action::PrevPane => self.set_focus(self.focus.prev()),
            Action::Move(m) => self.move_in(self.focus, m),
            Action::Activate => self.activate(),
            Action::Left | Action::Right | Action::Fold | Action::FoldAll => self.fold(action),
            Action::Filter => {
                self.set_focus(Pane::Tree);
                let current = self.files.settings.filter.as_ref().map(|f| f.text.clone());
                self.input = Some(FilterInput {
                    kind: PromptKind::Filter,
                    text: current.clone().unwrap_or_default(),
                    previous: current,
                });
            }
            Action::DiffLens => self.toggle_diff_lens(),
            Action::ToggleMode
                if self
                    .diff
                    .as_ref()
                    .is_some_and(|d| d.on && d.lens.has_paths()) =>
            {
                if let Some(d) = self.diff.as_mut() {
                    d.toggle_changed_only();
                }
            }
            Action::ToggleMode => self.files.toggle_mode(model),
            Action::ShowStepOnly => self.files.set_mode(model, Mode::StepOnly),
            Action::Sort if self.focus == Pane::Packages => self.packages.cycle_sort(model),
            Action::Sort => self.files.toggle_sort(model),
            Action::WastedOnly => self.files.toggle_wasted_only(model),
            Action::ToggleEmptySteps => {
                self.steps.relist(model, |s| s.show_empty = !s.show_empty);
                // The steps pane's height follows its row count.
                self.fit_viewports();
                self.step_changed();
            }
            Action::HideUnmodified => self.files.toggle_hidden(model, |h| &mut h.unmodified),
            Action::HideRemoved => self.files.toggle_hidden(model, |h| &mut h.removed),
            Action::HideModified => self.files.toggle_hidden(model, |h| &mut h.modified),
            Action::ToggleAttributes => {
                self.files.settings.attributes = !self.files.settings.attributes;
            }
            Action::Zoom => {
                self.zoom = !self.zoom;
                self.fit_viewports();
            }
        }
    }

    fn set_focus(&mut self, pane: Pane) {
        self.focus = pane;
        if matches!(pane, Pane::Waste | Pane::Packages) {
            self.tab = pane;
        }
        // Zoom and the waste / packages tab follow focus.
        self.fit_viewports();
    }

    fn move_in(&mut self, pane: Pane, m: Move) {
        match pane {
            Pane::Steps => {
                self.steps.apply(m);
                self.step_changed();
            }
            Pane::Tree if self.diff_tree_shown() => {
                if let Some(d) = self.diff.as_mut() {
                    d.move_selection(m);
                }
            }
            Pane::Tree => self.files.move_selection(m),
            Pane::Waste => self.waste.apply(m),
            Pane::Packages => self.packages.apply(&self.model, m),
        }
    }

    fn activate(&mut self) {
        match self.focus {
            Pane::Steps => self.set_focus(Pane::Tree),
            Pane::Tree => self.fold(Action::Fold),
            Pane::Waste => match self.waste.selected() {
                Some(WasteRow::Finding(i)) => self.jump_to_finding(i),
                Some(WasteRow::Group { step: Some(s), .. }) => {
                    self.select_step(s);
                    self.step_changed();
                }
                _ => {}
            },
            Pane::Packages => {
                if let Some(p) = self.selected_package() {
                    self.show_package(p);
                }
            }
        }
    }

    fn fold(&mut self, action: Action) {
        if self.focus != Pane::Tree {
            if action == Action::Fold || action == Action::FoldAll {
                self.message = Some("Tab to the file tree to open directories".into());
            }
            return;
        }
        if let Some(d) = self.diff.as_mut().filter(|d| d.shows_tree()) {
            match action {
                Action::Left => d.left(),
                Action::Right => d.right(),
                Action::Fold => d.fold(),
                _ => d.fold_all(),
            }
            return;
        }
        let model = &self.model;
        match action {
            Action::Left => self.files.left(model),
            Action::Right => self.files.right(model),
            Action::Fold => self.files.toggle(model),
            _ => self.files.toggle_all(model),
        }
    }

    fn filter_key(&mut self, k: KeyEvent) {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let Some(input) = self.input.as_mut() else {
            return;
        };
        // Only the path filter applies as it is typed.
        let live = input.kind == PromptKind::Filter;
        match k.code {
            KeyCode::Char('c') if ctrl => self.quit = true,
            KeyCode::Char('u') if ctrl => {
                input.text.clear();
                if live {
                    self.apply_filter_text();
                }
            }
            KeyCode::Char(c) if !ctrl => {
                input.text.push(c);
                if live {
                    self.apply_filter_text();
                }
            }
            KeyCode::Backspace => {
                input.text.pop();
                if live {
                    self.apply_filter_text();
                }
            }
            KeyCode::Enter => {
                if let Some(done) = self.input.take() {
                    self.finish_prompt(&done);
                }
            }
            KeyCode::Esc => {
                if live {
                    let previous = input.previous.take().unwrap_or_default();
                    input.text = previous;
                    self.apply_filter_text();
                }
                self.input = None;
            }
            KeyCode::Up => self.files.move_selection(Move::Up),
            KeyCode::Down => self.files.move_selection(Move::Down),
            KeyCode::PageUp => self.files.move_selection(Move::PageUp),
            KeyCode::PageDown => self.files.move_selection(Move::PageDown),
            _ => {}
        }
    }

    /// Re-matches the typed filter (one pass over the paths) and redraws
    /// the tree from it.
    fn apply_filter_text(&mut self) {
        let text = self
            .input
            .as_ref()
            .map(|i| i.text.clone())
            .unwrap_or_default();
        self.files.set_filter_text(&self.model, &text);
    }

    fn mouse(&mut self, m: MouseEvent) {
        let areas = self.areas();
        let Some(pane) = areas.pane_at(m.column, m.row) else {
            return;
        };
        match m.kind {
            MouseEventKind::ScrollDown => self.move_in(pane, Move::By(WHEEL_ROWS)),
            MouseEventKind::ScrollUp => self.move_in(pane, Move::By(-WHEEL_ROWS)),
            MouseEventKind::Down(MouseButton::Left) => {
                self.set_focus(pane);
                let inner = layout::inner(areas.of(pane));
                if m.row < inner.y || m.row >= inner.bottom() {
                    return;
                }
                let row = usize::from(m.row - inner.y);
                match pane {
                    Pane::Steps => {
                        let i = self.steps.nav.offset() + row;
                        if i < self.steps.rows.len() {
                            self.steps.nav.select(i, self.steps.rows.len());
                            self.step_changed();
                        }
                    }
                    Pane::Tree => {
                        let t = match self.diff.as_mut().filter(|d| d.shows_tree()) {
                            Some(d) => &mut d.tree,
                            None => &mut self.files.tree,
                        };
                        t.select_index(t.offset() + row);
                    }
                    Pane::Waste => {
                        let i = self.waste.nav.offset() + row;
                        if i < self.waste.rows.len() {
                            self.waste.nav.select(i, self.waste.rows.len());
                        }
                    }
                    Pane::Packages => {
                        let i = self.packages.nav.offset() + row;
                        let len = self.model.packages().len();
                        if i < len {
                            self.packages.nav.select(i, len);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Enter on a prompt: apply what was typed.
    fn finish_prompt(&mut self, done: &FilterInput) {
        match done.kind {
            PromptKind::Filter => {}
            PromptKind::MinSize => {
                let text = done.text.trim();
                if text.is_empty() || text == "0" {
                    self.files.set_min_size(&self.model, None);
                    return;
                }
                match crate::budget_flags::parse_size(text) {
                    Ok(min) => self.files.set_min_size(&self.model, Some(min)),
                    Err(e) => self.message = Some(e),
                }
            }
            PromptKind::Extract(_) => self.extract_to(done.text.trim()),
        }
    }

    /// Esc: closes the package view, else clears the path filter and the
    /// size filter, else the other filters, else unzooms. It never quits
    /// (q does), as in dive.
    fn back(&mut self) {
        if self.leave_package() {
            return;
        }
        let s = &self.files.settings;
        if s.filter.is_some() || s.min_size.is_some() {
            self.files.settings.filter = None;
            self.files.set_min_size(&self.model, None);
            self.message = Some("filter cleared".into());
        } else if s.any_filter() {
            self.files.clear_filters(&self.model);
            self.message = Some("filters cleared".into());
        } else if self.zoom {
            self.zoom = false;
            self.fit_viewports();
        } else {
            let quit = self.keymap.keys_of(Action::Quit).first().map(|k| k.label());
            self.message = Some(format!("{} quits", quit.unwrap_or_default()));
        }
    }

    /// The selected file as the archive holds it: its path in the image,
    /// the layer blob its content is in, and its size. An error says why
    /// there is nothing to read.
    fn selected_file(&self) -> Result<(Vec<u8>, String, u64), String> {
        let (node, layer) = match self.diff.as_ref().filter(|d| d.shows_tree()) {
            // The changed paths compare the final images: NEW's file as
            // shipped.
            Some(d) => {
                let p = d.selected_path().ok_or("select a file in the tree first")?;
                let node = self
                    .model
                    .tree()
                    .lookup(&p)
                    .ok_or("only OLD has this path: NEW removed it")?;
                (Some(node), self.model.layers().len().checked_sub(1))
            }
            None => (self.files.tree.selected_node(), self.files.settings.layer),
        };
        let (Some(node), Some(layer)) = (node, layer) else {
            return Err("select a file in the tree first".into());
        };
        let at = lens::node_at(&self.model, node, layer).ok_or("not present at this step")?;
        if at.mark == lens::Mark::Removed {
            return Err("this step removed the file".into());
        }
        let entry = at.entry.ok_or("a directory: select a file")?;
        match entry.kind {
            EntryKind::File | EntryKind::Hardlink => {}
            EntryKind::Dir => return Err("a directory: select a file".into()),
            EntryKind::Symlink => return Err("a symbolic link: select its target".into()),
            _ => return Err("not a regular file".into()),
        }
        let blob = self
            .model
            .analysis
            .image
            .meta
            .layers
            .get(at.entry_layer)
            .map(|l| l.name.clone())
            .ok_or("the layer is not in the archive")?;
        Ok((self.model.tree().path(node), blob, entry.size))
    }

    fn archive(&self) -> Result<std::path::PathBuf, String> {
        self.model
            .archive_path()
            .ok_or_else(|| "the image came from stdin: there is no archive to read it from".into())
    }

    /// `v`: the selected file's text in a pane over the others, read from
    /// the archive now (that file's bytes only, at most [`VIEW_LIMIT`]).
    fn view_file(&mut self) {
        let got = self.selected_file().and_then(|(p, blob, size)| {
            let archive = self.archive()?;
            let e =
                extract::read_entry(&archive, &blob, &p, VIEW_LIMIT).map_err(|e| e.to_string())?;
            Ok((p, size, e))
        });
        let (p, size, e) = match got {
            Ok(v) => v,
            Err(m) => {
                self.message = Some(m);
                return;
            }
        };
        let shown = path::display(&p);
        let head = &e.bytes[..e.bytes.len().min(8 << 10)];
        let valid = match std::str::from_utf8(&e.bytes) {
            Ok(t) => Some(t),
            // A character cut by the read limit does not make it binary.
            Err(err) if e.truncated() && err.error_len().is_none() => {
                std::str::from_utf8(&e.bytes[..err.valid_up_to()]).ok()
            }
            Err(_) => None,
        };
        let text = valid.filter(|_| !head.contains(&0));
        let mut lines: Vec<String> = match text {
            Some(t) => t
                .lines()
                .take(VIEW_LINES)
                .map(|l| text::clean_str(&l.replace('\t', "    ")))
                .collect(),
            None => vec![format!(
                "a binary file ({}): x writes it to a path",
                text::human(size)
            )],
        };
        if e.truncated() {
            lines.push(format!(
                "… the first {} of {} shown; x writes the whole file",
                text::human(e.bytes.len() as u64),
                text::human(size)
            ));
        }
        self.view = Some(TextView {
            title: format!(" {} · {} ", text::clean_str(&shown), text::human(size)),
            lines,
            scroll: 0,
        });
    }

    /// `x`: asks where to write the selected file.
    fn ask_extract_path(&mut self) {
        match self.selected_file() {
            Ok((p, _, _)) => {
                let name = path::split_parent(&p).1;
                let suggested = format!("./{}", String::from_utf8_lossy(name));
                self.input = Some(FilterInput {
                    kind: PromptKind::Extract(path::display(&p)),
                    text: suggested,
                    previous: None,
                });
            }
            Err(m) => self.message = Some(m),
        }
    }

    /// Writes the selected file to `dest`, streaming it from the archive;
    /// never over an existing file.
    fn extract_to(&mut self, dest: &str) {
        if dest.is_empty() {
            self.message = Some("no path given: nothing written".into());
            return;
        }
        let result = self.selected_file().and_then(|(p, blob, _)| {
            let archive = self.archive()?;
            let dest_path = std::path::Path::new(dest);
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(dest_path)
                .map_err(|e| format!("{dest}: {e}"))?;
            let mut out = std::io::BufWriter::new(file);
            let n = extract::write_entry(&archive, &blob, &p, &mut out).map_err(|e| {
                let _ = std::fs::remove_file(dest_path);
                format!("{}: {e}", path::display(&p))
            })?;
            std::io::Write::flush(&mut out).map_err(|e| format!("{dest}: {e}"))?;
            Ok(n)
        });
        self.message = Some(match result {
            Ok(n) => format!("wrote {} to {dest}", text::human(n)),
            Err(m) => m,
        });
    }

    /// `y`: the selected path to the terminal's clipboard (OSC 52).
    fn copy_path(&mut self) {
        let Some(p) = self.selected_path() else {
            self.message = Some("select a path in the tree first".into());
            return;
        };
        if let Some(sink) = self.clipboard.as_mut() {
            sink(&osc52(&p));
        }
        self.message = Some(format!("copied {}", text::clean_str(&p)));
        self.copied = Some(p);
    }

    /// `D`: the diff lens on or off.
    fn toggle_diff_lens(&mut self) {
        match self.diff.as_mut() {
            Some(d) => {
                d.toggle();
                self.message = Some(
                    if d.on {
                        "diff lens on"
                    } else {
                        "diff lens off"
                    }
                    .into(),
                );
            }
            None => {
                self.message = Some("no comparison: `ballast diff OLD NEW` opens this lens".into());
            }
        }
    }

    // --- across panes ---

    /// Selects a step's row, listing it again if it was hidden.
    fn select_step(&mut self, step: usize) {
        if self.steps.select_step(&self.model, step) {
            self.fit_viewports();
        }
    }

    /// The layer (and whether the step made it) for the selected step,
    /// without refreshing the tree.
    fn sync_layer(&mut self) {
        self.files.settings.layer = self.current_layer();
        self.files.settings.own_layer = self.own_layer();
    }

    fn own_layer(&self) -> bool {
        self.steps
            .selected()
            .and_then(|s| self.model.report().steps.get(s))
            .is_none_or(|s| s.layer_index.is_some())
    }

    fn current_layer(&self) -> Option<usize> {
        match self.steps.selected() {
            Some(s) => self.model.layer_at_step(s),
            None if self.model.step_count() == 0 => self.model.layers().len().checked_sub(1),
            None => None,
        }
    }

    /// After the step selection moved: show that step's tree.
    fn step_changed(&mut self) {
        let layer = self.current_layer();
        let own = self.own_layer();
        self.files.set_layer(&self.model, layer, own);
    }

    /// Enter on a package: the final image's tree with only its files, all
    /// open when they are few, its largest file selected. The view before
    /// is kept for Esc (once: going from package to package keeps the
    /// first).
    fn show_package(&mut self, package: usize) {
        let s = &mut self.files.settings;
        if self.before_package.is_none() {
            self.before_package = Some(SavedView {
                focus: self.focus,
                show_empty: self.steps.show_empty,
                step: self.steps.selected(),
                mode: s.mode,
                filter: s.filter.take(),
                wasted_only: s.wasted_only,
                hidden: s.hidden,
                tree: std::mem::take(&mut self.files.tree),
            });
        } else {
            self.files.tree = TreeView::default();
        }
        let s = &mut self.files.settings;
        s.package = Some(package);
        s.mode = Mode::Aggregated;
        s.filter = None;
        s.wasted_only = false;
        s.hidden = Hidden::default();
        if let Some(step) = final_step(&self.model) {
            self.select_step(step);
        }
        self.sync_layer();
        self.set_focus(Pane::Tree);
        self.files.refresh(&self.model);
        if let Some(&(largest, _)) = self.model.package_files(package).first() {
            self.files.reveal(&self.model, largest);
        }
    }

    /// Esc after Enter on a package: the view from before, as it was
    /// (step, view, filters, open directories, selection, focus). False
    /// when no package is shown.
    fn leave_package(&mut self) -> bool {
        let Some(saved) = self.before_package.take() else {
            return false;
        };
        let s = &mut self.files.settings;
        s.package = None;
        s.mode = saved.mode;
        s.filter = saved.filter;
        s.wasted_only = saved.wasted_only;
        s.hidden = saved.hidden;
        if self.steps.show_empty != saved.show_empty {
            self.steps.show_empty = saved.show_empty;
            self.steps.rebuild(&self.model);
        }
        if let Some(step) = saved.step {
            self.select_step(step);
        }
        self.sync_layer();
        self.files.tree = saved.tree;
        self.files.update_view(&self.model);
        self.files.rebuild_rows(&self.model);
        self.set_focus(saved.focus);
        true
    }

    /// Enter on a finding: select its step, open the tree down to its
    /// largest path and select that. Filters that hide the path are
    /// cleared, and the step-only view left if the path is not a change
    /// of that step.
    fn jump_to_finding(&mut self, index: usize) {
        let Some(f) = self.model.report().findings.get(index) else {
            return;
        };
        let step = f.step_index;
        let target = self.model.finding_target(f);
        if let Some(s) = step {
            self.select_step(s);
            self.step_changed();
        }
        let Some((node, _)) = target else {
            self.message = Some("this finding is about the step, not a path".into());
            return;
        };
        self.set_focus(Pane::Tree);
        if self.files.reveal(&self.model, node) {
            return;
        }
        if self.files.settings.any_filter() {
            self.before_package = None;
            self.files.clear_filters(&self.model);
            self.message = Some("filters cleared to show the path".into());
            if self.files.reveal(&self.model, node) {
                return;
            }
        }
        if self.files.settings.mode == Mode::StepOnly {
            self.files.set_mode(&self.model, Mode::Aggregated);
            if self.files.reveal(&self.model, node) {
                return;
            }
        }
        self.message = Some("the path is not in this step's tree".into());
    }
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard (over
/// ssh and in tmux with `set-clipboard on` too).
pub fn osc52(text: &str) -> String {
    format!(
        "\x1b]52;c;{}\x07",
        crate::analyze::report::base64(text.as_bytes())
    )
}
