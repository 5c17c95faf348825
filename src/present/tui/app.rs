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
use crate::browse::lens::{Hidden, Lens, Mode, PathFilter};
use crate::browse::list::{ListNav, Move};
use crate::browse::model::{Model, PackageSort};
use crate::browse::tree_view::TreeView;
use crate::index::path;

use super::keys::{self, Action};
use super::layout::{self, Areas, Content, Pane};
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

/// The filter being typed; Esc puts `previous` back.
pub struct FilterInput {
    pub text: String,
    previous: Option<String>,
}

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
    message: Option<String>,
    quit: bool,
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
            message: None,
            quit: false,
            theme,
            model,
        };
        app.files.settings.layer = app.current_layer();
        app.files.refresh(&app.model);
        app
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
            input: self.input.as_ref().map(|i| i.text.as_str()),
            help: self.help,
            message: self.message.as_deref(),
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
    }

    pub fn key(&mut self, k: KeyEvent) {
        self.message = None;
        if self.input.is_some() {
            self.filter_key(k);
            return;
        }
        let Some(action) = keys::action_for(&k) else {
            return;
        };
        if let Some(scroll) = self.help {
            self.help = match action {
                Action::Move(Move::Up) => Some(scroll.saturating_sub(1)),
                Action::Move(Move::Down) => Some(scroll.saturating_add(1)),
                Action::Move(Move::PageUp) => Some(scroll.saturating_sub(10)),
                Action::Move(Move::PageDown) => Some(scroll.saturating_add(10)),
                _ => None,
            };
            return;
        }
        self.act(action);
    }

    pub fn act(&mut self, action: Action) {
        let model = &self.model;
        match action {
            Action::Quit => self.quit = true,
            Action::Back => {
                if !self.leave_package() {
                    self.quit = true;
                }
            }
            Action::Help => self.help = Some(0),
            Action::NextPane => self.set_focus(self.focus.next()),
            Action::PrevPane => self.set_focus(self.focus.prev()),
            Action::Move(m) => self.move_in(self.focus, m),
            Action::Activate => self.activate(),
            Action::Left | Action::Right | Action::Fold | Action::FoldAll => self.fold(action),
            Action::Filter => {
                self.set_focus(Pane::Tree);
                let current = self.files.settings.filter.as_ref().map(|f| f.text.clone());
                self.input = Some(FilterInput {
                    text: current.clone().unwrap_or_default(),
                    previous: current,
                });
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
        match k.code {
            KeyCode::Char('c') if ctrl => self.quit = true,
            KeyCode::Char('u') if ctrl => {
                input.text.clear();
                self.apply_filter_text();
            }
            KeyCode::Char(c) if !ctrl => {
                input.text.push(c);
                self.apply_filter_text();
            }
            KeyCode::Backspace => {
                input.text.pop();
                self.apply_filter_text();
            }
            KeyCode::Enter => {
                self.input = None;
            }
            KeyCode::Esc => {
                let previous = input.previous.take().unwrap_or_default();
                input.text = previous;
                self.apply_filter_text();
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
                        let t = &mut self.files.tree;
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

    // --- across panes ---

    /// Selects a step's row, listing it again if it was hidden.
    fn select_step(&mut self, step: usize) {
        if self.steps.select_step(&self.model, step) {
            self.fit_viewports();
        }
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
        self.files.set_layer(&self.model, layer);
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
        self.files.settings.layer = self.current_layer();
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
        self.files.settings.layer = self.current_layer();
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
