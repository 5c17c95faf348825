//! The UI's state and what each action does to it. Keys arrive as
//! [`Action`]s from the key table; drawing reads this state and never
//! changes it.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;

use crate::analyze::findings::Finding;
use crate::index::path;

use super::keys::{self, Action};
use super::layout::{self, Areas, Content, Pane};
use super::lens::{self, Filters, Hidden, Lens, Mode, PathFilter, Sort};
use super::list::{ListNav, Move};
use super::model::{Model, PackageSort};
use super::sizes::{self, SizeCursor};
use super::theme::Theme;
use super::tree_view::TreeView;

/// Filters and views that leave at most this many paths open everything,
/// so matches show without digging; larger results stay folded.
const AUTO_EXPAND_LIMIT: usize = 2_000;
/// Rows the mouse wheel moves per notch.
const WHEEL_ROWS: isize = 3;

/// Everything the tree shows besides its rows: step, view, filters and the
/// sizes that go with them.
pub struct TreeSettings {
    pub layer: Option<usize>,
    pub mode: Mode,
    pub sort: Sort,
    pub hidden: Hidden,
    pub wasted_only: bool,
    pub attributes: bool,
    pub filter: Option<PathFilter>,
    /// Only this package's files (an index into the model's packages).
    pub package: Option<usize>,
    cursor: Option<SizeCursor>,
    step_sizes: Vec<u64>,
    step_sizes_layer: Option<usize>,
    keep: Option<Vec<bool>>,
    kept: usize,
}

impl TreeSettings {
    /// Sizes of the current view: the whole tree's at the step, or what the
    /// step itself wrote.
    pub fn sizes(&self) -> &[u64] {
        match (self.mode, &self.cursor) {
            (Mode::StepOnly, _) => &self.step_sizes,
            (Mode::Aggregated, Some(c)) => c.sizes(),
            (Mode::Aggregated, None) => &[],
        }
    }

    /// Aggregated sizes whatever the view (the details pane shows both).
    pub fn total_sizes(&self) -> &[u64] {
        self.cursor.as_ref().map_or(&[], SizeCursor::sizes)
    }

    pub fn any_filter(&self) -> bool {
        self.filter.is_some() || self.package.is_some() || self.wasted_only || self.hidden.any()
    }
}

/// A row of the waste pane: a step's heading, or one finding under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasteRow {
    Group {
        step: Option<usize>,
        bytes: u64,
        count: usize,
    },
    Finding(usize),
}

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
    show_empty: bool,
    step_rows: Vec<usize>,
    steps_nav: ListNav,
    waste_rows: Vec<WasteRow>,
    waste_nav: ListNav,
    package_sort: PackageSort,
    packages_nav: ListNav,
    /// Waste or packages: the one shown where they share an area.
    tab: Pane,
    before_package: Option<SavedView>,
    tree: TreeView,
    settings: TreeSettings,
    input: Option<FilterInput>,
    help: Option<usize>,
    message: Option<String>,
    quit: bool,
}

impl App {
    /// Opens on the last step that made a layer: the image as shipped.
    pub fn new(model: Model, theme: Theme) -> App {
        let last_layer = model.layers().len().checked_sub(1);
        let cursor = last_layer.map(|l| SizeCursor::new(model.final_sizes().to_vec(), l));
        let waste_rows = waste_rows(&model);
        let mut app = App {
            focus: Pane::Steps,
            zoom: false,
            size: Rect::default(),
            show_empty: true,
            step_rows: Vec::new(),
            steps_nav: ListNav::default(),
            waste_rows,
            waste_nav: ListNav::default(),
            package_sort: PackageSort::Size,
            packages_nav: ListNav::default(),
            tab: Pane::Waste,
            before_package: None,
            tree: TreeView::default(),
            settings: TreeSettings {
                layer: None,
                mode: Mode::Aggregated,
                sort: Sort::Size,
                hidden: Hidden::default(),
                wasted_only: false,
                attributes: false,
                filter: None,
                package: None,
                cursor,
                step_sizes: Vec::new(),
                step_sizes_layer: None,
                keep: None,
                kept: 0,
            },
            input: None,
            help: None,
            message: None,
            quit: false,
            theme,
            model,
        };
        app.rebuild_step_rows();
        if let Some(pos) = app
            .final_step()
            .and_then(|s| app.step_rows.iter().position(|&r| r == s))
        {
            app.steps_nav.select(pos, app.step_rows.len());
        }
        app.settings.layer = app.current_layer();
        app.refresh_tree();
        app
    }

    // --- what the widgets and tests read ---

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
            steps: self.step_rows.len(),
            packages: self.model.packages().len(),
            tab: self.tab,
        }
    }
    pub fn step_rows(&self) -> &[usize] {
        &self.step_rows
    }
    pub fn steps_nav(&self) -> &ListNav {
        &self.steps_nav
    }
    pub fn show_empty(&self) -> bool {
        self.show_empty
    }
    pub fn selected_step(&self) -> Option<usize> {
        self.step_rows.get(self.steps_nav.selected()).copied()
    }
    pub fn waste_rows(&self) -> &[WasteRow] {
        &self.waste_rows
    }
    pub fn waste_nav(&self) -> &ListNav {
        &self.waste_nav
    }
    pub fn selected_waste(&self) -> Option<WasteRow> {
        self.waste_rows.get(self.waste_nav.selected()).copied()
    }
    pub fn selected_finding(&self) -> Option<&Finding> {
        match self.selected_waste()? {
            WasteRow::Finding(i) => self.model.report().findings.get(i),
            WasteRow::Group { .. } => None,
        }
    }
    pub fn package_sort(&self) -> PackageSort {
        self.package_sort
    }
    /// The packages pane's rows: package indices in the current order.
    pub fn package_rows(&self) -> &[usize] {
        self.model.package_order(self.package_sort)
    }
    pub fn packages_nav(&self) -> &ListNav {
        &self.packages_nav
    }
    pub fn selected_package(&self) -> Option<usize> {
        self.package_rows()
            .get(self.packages_nav.selected())
            .copied()
    }
    /// The package whose files the tree shows, if any.
    pub fn shown_package(&self) -> Option<usize> {
        self.settings.package
    }
    /// Esc has a view to go back to (it quits otherwise).
    pub fn can_go_back(&self) -> bool {
        self.before_package.is_some()
    }
    pub fn tree(&self) -> &TreeView {
        &self.tree
    }
    pub fn settings(&self) -> &TreeSettings {
        &self.settings
    }
    pub fn lens(&self) -> Lens<'_> {
        lens_of(&self.model, &self.settings)
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
        self.settings.layer
    }

    /// The selected file's path as shown, e.g. `/app/main.py`.
    pub fn selected_path(&self) -> Option<String> {
        let node = self.tree.selected_node()?;
        Some(path::display(&self.model.tree().path(node)))
    }

    /// The tree's rows as paths, indented by depth (for tests).
    pub fn tree_lines(&self) -> Vec<String> {
        let t = self.model.tree();
        self.tree
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
        self.steps_nav.set_height(h(a.steps), self.step_rows.len());
        self.waste_nav.set_height(h(a.waste), self.waste_rows.len());
        let packages = self.model.packages().len();
        self.packages_nav.set_height(h(a.packages), packages);
        self.tree.set_height(h(a.tree));
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
                let current = self.settings.filter.as_ref().map(|f| f.text.clone());
                self.input = Some(FilterInput {
                    text: current.clone().unwrap_or_default(),
                    previous: current,
                });
            }
            Action::ToggleMode => {
                self.settings.mode = match self.settings.mode {
                    Mode::Aggregated => Mode::StepOnly,
                    Mode::StepOnly => Mode::Aggregated,
                };
                self.refresh_tree();
            }
            Action::ShowStepOnly => {
                self.settings.mode = Mode::StepOnly;
                self.refresh_tree();
            }
            Action::Sort if self.focus == Pane::Packages => self.cycle_package_sort(),
            Action::Sort => {
                self.settings.sort = match self.settings.sort {
                    Sort::Size => Sort::Name,
                    Sort::Name => Sort::Size,
                };
                let lens = lens_of(&self.model, &self.settings);
                self.tree.rebuild(&lens);
            }
            Action::WastedOnly => {
                self.settings.wasted_only = !self.settings.wasted_only;
                self.refresh_tree();
            }
            Action::ToggleEmptySteps => {
                let keep = self.selected_step();
                self.show_empty = !self.show_empty;
                self.rebuild_step_rows();
                if let Some(s) = keep {
                    self.select_step_row(s);
                }
                // The steps pane's height follows its row count.
                self.fit_viewports();
                self.step_changed();
            }
            Action::HideUnmodified => self.toggle_hidden(|h| &mut h.unmodified),
            Action::HideRemoved => self.toggle_hidden(|h| &mut h.removed),
            Action::HideModified => self.toggle_hidden(|h| &mut h.modified),
            Action::ToggleAttributes => self.settings.attributes = !self.settings.attributes,
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

    fn toggle_hidden(&mut self, field: impl Fn(&mut Hidden) -> &mut bool) {
        let f = field(&mut self.settings.hidden);
        *f = !*f;
        self.refresh_tree();
    }

    fn move_in(&mut self, pane: Pane, m: Move) {
        match pane {
            Pane::Steps => {
                self.steps_nav.apply(m, self.step_rows.len());
                self.step_changed();
            }
            Pane::Tree => self.tree.move_selection(m),
            Pane::Waste => self.waste_nav.apply(m, self.waste_rows.len()),
            Pane::Packages => {
                let len = self.model.packages().len();
                self.packages_nav.apply(m, len);
            }
        }
    }

    fn activate(&mut self) {
        match self.focus {
            Pane::Steps => self.set_focus(Pane::Tree),
            Pane::Tree => self.fold(Action::Fold),
            Pane::Waste => match self.selected_waste() {
                Some(WasteRow::Finding(i)) => self.jump_to_finding(i),
                Some(WasteRow::Group { step: Some(s), .. }) => {
                    self.select_step_row(s);
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
        let lens = lens_of(&self.model, &self.settings);
        match action {
            Action::Left => self.tree.left(&lens),
            Action::Right => self.tree.right(&lens),
            Action::Fold => self.tree.toggle(&lens),
            _ => self.tree.toggle_all(&lens),
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
            KeyCode::Up => self.tree.move_selection(Move::Up),
            KeyCode::Down => self.tree.move_selection(Move::Down),
            KeyCode::PageUp => self.tree.move_selection(Move::PageUp),
            KeyCode::PageDown => self.tree.move_selection(Move::PageDown),
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
        self.settings.filter =
            (!text.is_empty()).then(|| PathFilter::new(&text, self.model.tree()));
        self.refresh_tree();
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
                        let i = self.steps_nav.offset() + row;
                        if i < self.step_rows.len() {
                            self.steps_nav.select(i, self.step_rows.len());
                            self.step_changed();
                        }
                    }
                    Pane::Tree => self.tree.select_index(self.tree.offset() + row),
                    Pane::Waste => {
                        let i = self.waste_nav.offset() + row;
                        if i < self.waste_rows.len() {
                            self.waste_nav.select(i, self.waste_rows.len());
                        }
                    }
                    Pane::Packages => {
                        let i = self.packages_nav.offset() + row;
                        let len = self.model.packages().len();
                        if i < len {
                            self.packages_nav.select(i, len);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    // --- steps ---

    fn rebuild_step_rows(&mut self) {
        let steps = &self.model.report().steps;
        self.step_rows = (0..steps.len())
            .filter(|&i| self.show_empty || steps[i].layer_index.is_some())
            .collect();
        self.steps_nav
            .select(self.steps_nav.selected(), self.step_rows.len());
    }

    /// Selects a step's row, showing empty steps if it is one of them.
    fn select_step_row(&mut self, step: usize) {
        if !self.step_rows.contains(&step) {
            self.show_empty = true;
            self.rebuild_step_rows();
            self.fit_viewports();
        }
        if let Some(pos) = self.step_rows.iter().position(|&s| s == step) {
            self.steps_nav.select(pos, self.step_rows.len());
        }
    }

    /// The last step that made a layer: the image as shipped.
    fn final_step(&self) -> Option<usize> {
        (0..self.model.step_count())
            .rev()
            .find(|&s| self.model.report().steps[s].layer_index.is_some())
    }

    fn current_layer(&self) -> Option<usize> {
        match self.selected_step() {
            Some(s) => self.model.layer_at_step(s),
            None if self.model.step_count() == 0 => self.model.layers().len().checked_sub(1),
            None => None,
        }
    }

    /// After the step selection moved: show that step's tree.
    fn step_changed(&mut self) {
        let layer = self.current_layer();
        if layer != self.settings.layer {
            self.settings.layer = layer;
            self.refresh_tree();
        }
    }

    // --- tree ---

    /// Brings sizes and the visibility set up to date for the step, view
    /// and filters, then rebuilds the rows. Costs the changes between the
    /// old and new step plus the filters' candidate lists.
    fn refresh_tree(&mut self) {
        self.update_view();
        let s = &self.settings;
        let lens = lens_of(&self.model, s);
        if s.keep.is_some() && s.kept <= AUTO_EXPAND_LIMIT {
            self.tree.expand_all(&lens);
        } else {
            self.tree.rebuild(&lens);
        }
    }

    /// Sizes and the visibility set for the step, view and filters; the
    /// rows are left to the caller.
    fn update_view(&mut self) {
        let model = &self.model;
        let s = &mut self.settings;
        if let (Some(l), Some(c)) = (s.layer, s.cursor.as_mut()) {
            c.move_to(model.tree(), model.layers(), l);
        }
        if s.mode == Mode::StepOnly && s.step_sizes_layer != s.layer {
            match s.layer {
                Some(l) => sizes::layer_sizes(model.tree(), model.layers(), l, &mut s.step_sizes),
                None => s.step_sizes.clear(),
            }
            s.step_sizes_layer = s.layer;
        }
        let filters = Filters {
            layer: s.layer,
            mode: s.mode,
            path: s.filter.as_ref(),
            wasted_only: s.wasted_only,
            hidden: s.hidden,
            package: s.package.map(|p| model.package_files(p)),
        };
        (s.keep, s.kept) = match lens::compute_keep(model, &filters) {
            Some((keep, kept)) => (Some(keep), kept),
            None => (None, 0),
        };
    }

    // --- packages ---

    /// The next order; the selection stays on the same package.
    fn cycle_package_sort(&mut self) {
        let keep = self.selected_package();
        self.package_sort = self.package_sort.next();
        let rows = self.model.package_order(self.package_sort);
        if let Some(pos) = keep.and_then(|p| rows.iter().position(|&r| r == p)) {
            self.packages_nav.select(pos, rows.len());
        }
    }

    /// Enter on a package: the final image's tree with only its files, all
    /// open when they are few, its largest file selected. The view before
    /// is kept for Esc (once: going from package to package keeps the
    /// first).
    fn show_package(&mut self, package: usize) {
        if self.before_package.is_none() {
            self.before_package = Some(SavedView {
                focus: self.focus,
                show_empty: self.show_empty,
                step: self.selected_step(),
                mode: self.settings.mode,
                filter: self.settings.filter.take(),
                wasted_only: self.settings.wasted_only,
                hidden: self.settings.hidden,
                tree: std::mem::take(&mut self.tree),
            });
        } else {
            self.tree = TreeView::default();
        }
        let s = &mut self.settings;
        s.package = Some(package);
        s.mode = Mode::Aggregated;
        s.filter = None;
        s.wasted_only = false;
        s.hidden = Hidden::default();
        if let Some(step) = self.final_step() {
            self.select_step_row(step);
        }
        self.settings.layer = self.current_layer();
        self.set_focus(Pane::Tree);
        self.refresh_tree();
        if let Some(&(largest, _)) = self.model.package_files(package).first() {
            self.reveal(largest);
        }
    }

    /// Esc after Enter on a package: the view from before, as it was
    /// (step, view, filters, open directories, selection, focus). False
    /// when no package is shown.
    fn leave_package(&mut self) -> bool {
        let Some(saved) = self.before_package.take() else {
            return false;
        };
        self.settings.package = None;
        self.settings.mode = saved.mode;
        self.settings.filter = saved.filter;
        self.settings.wasted_only = saved.wasted_only;
        self.settings.hidden = saved.hidden;
        if self.show_empty != saved.show_empty {
            self.show_empty = saved.show_empty;
            self.rebuild_step_rows();
        }
        if let Some(step) = saved.step {
            self.select_step_row(step);
        }
        self.settings.layer = self.current_layer();
        self.tree = saved.tree;
        self.update_view();
        let lens = lens_of(&self.model, &self.settings);
        self.tree.rebuild(&lens);
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
            self.select_step_row(s);
            self.step_changed();
        }
        let Some((node, _)) = target else {
            self.message = Some("this finding is about the step, not a path".into());
            return;
        };
        self.set_focus(Pane::Tree);
        if self.reveal(node) {
            return;
        }
        if self.settings.any_filter() {
            self.settings.filter = None;
            self.settings.package = None;
            self.before_package = None;
            self.settings.wasted_only = false;
            self.settings.hidden = Hidden::default();
            self.refresh_tree();
            self.message = Some("filters cleared to show the path".into());
            if self.reveal(node) {
                return;
            }
        }
        if self.settings.mode == Mode::StepOnly {
            self.settings.mode = Mode::Aggregated;
            self.refresh_tree();
            if self.reveal(node) {
                return;
            }
        }
        self.message = Some("the path is not in this step's tree".into());
    }

    fn reveal(&mut self, node: crate::index::tree::NodeId) -> bool {
        let lens = lens_of(&self.model, &self.settings);
        self.tree.reveal(&lens, node)
    }
}

fn lens_of<'a>(model: &'a Model, s: &'a TreeSettings) -> Lens<'a> {
    Lens {
        model,
        layer: s.layer,
        sort: s.sort,
        sizes: s.sizes(),
        keep: s.keep.as_deref(),
        hide_removed: s.hidden.removed,
    }
}

/// Findings grouped by step, the steps with the most to reclaim first; the
/// findings with no step last.
fn waste_rows(model: &Model) -> Vec<WasteRow> {
    let findings = &model.report().findings;
    let mut groups: Vec<(Option<usize>, Vec<usize>)> = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        match groups.iter_mut().find(|(s, _)| *s == f.step_index) {
            Some((_, v)) => v.push(i),
            None => groups.push((f.step_index, vec![i])),
        }
    }
    let reclaim = |s: Option<usize>| {
        s.and_then(|s| model.step_reclaim.get(s).copied())
            .unwrap_or(0)
    };
    groups.sort_by(|a, b| {
        a.0.is_none()
            .cmp(&b.0.is_none())
            .then(reclaim(b.0).cmp(&reclaim(a.0)))
            .then(a.0.cmp(&b.0))
    });
    let mut rows = Vec::with_capacity(findings.len() + groups.len());
    for (step, items) in groups {
        let bytes = match step {
            Some(_) => reclaim(step),
            None => items.iter().map(|&i| findings[i].bytes).sum(),
        };
        rows.push(WasteRow::Group {
            step,
            bytes,
            count: items.len(),
        });
        rows.extend(items.into_iter().map(WasteRow::Finding));
    }
    rows
}
