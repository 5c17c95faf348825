//! The file tree pane's state: the step's layer, the view and filters
//! ([`TreeSettings`]), the sizes that go with them, and the rows
//! ([`TreeView`]). Everything here is brought up to date incrementally, so
//! a keypress costs what it changes, not the size of the image.

use crate::browse::lens::{self, Filters, Hidden, Lens, Mode, PathFilter, Sort};
use crate::browse::list::Move;
use crate::browse::model::Model;
use crate::browse::sizes::{self, SizeCursor};
use crate::browse::tree_view::TreeView;
use crate::index::tree::NodeId;

/// Filters and views that leave at most this many paths open everything,
/// so matches show without digging; larger results stay folded.
const AUTO_EXPAND_LIMIT: usize = 2_000;

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
    /// Only files of at least this many bytes.
    pub min_size: Option<u64>,
    /// The selected step made `layer` (false for a step that made no
    /// layer, which shows the tree of the last one before it).
    pub own_layer: bool,
    /// Paths the filter matches that the tree shows at this step.
    pub filter_shown: usize,
    /// The step's own changes the hidden kinds hide: (removed, modified).
    pub hidden_here: (usize, usize),
    cursor: Option<SizeCursor>,
    /// With a path filter: directory sizes counting the matching files only.
    filtered_sizes: Option<Vec<u64>>,
    step_sizes: Vec<u64>,
    step_sizes_layer: Option<usize>,
    keep: Option<Vec<bool>>,
    kept: usize,
}

impl TreeSettings {
    /// Sizes of the current view: the whole tree's at the step, or what the
    /// step itself wrote.
    pub fn sizes(&self) -> &[u64] {
        if let Some(f) = &self.filtered_sizes {
            return f;
        }
        self.view_sizes()
    }

    /// [`Self::sizes`] before a filter narrows them.
    fn view_sizes(&self) -> &[u64] {
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
        self.filter.is_some()
            || self.package.is_some()
            || self.wasted_only
            || self.hidden.any()
            || self.min_size.is_some()
    }
}

/// The tree pane: its settings and its rows.
pub struct FilesState {
    pub settings: TreeSettings,
    pub tree: TreeView,
}

impl FilesState {
    /// Sizes start from the final image's, already computed by the model.
    pub fn new(model: &Model) -> FilesState {
        let last_layer = model.layers().len().checked_sub(1);
        let cursor = last_layer.map(|l| SizeCursor::new(model.final_sizes().to_vec(), l));
        FilesState {
            settings: TreeSettings {
                layer: None,
                mode: Mode::Aggregated,
                sort: Sort::Size,
                hidden: Hidden::default(),
                wasted_only: false,
                attributes: false,
                filter: None,
                package: None,
                min_size: None,
                own_layer: true,
                filter_shown: 0,
                hidden_here: (0, 0),
                cursor,
                filtered_sizes: None,
                step_sizes: Vec::new(),
                step_sizes_layer: None,
                keep: None,
                kept: 0,
            },
            tree: TreeView::default(),
        }
    }

    pub fn lens<'a>(&'a self, model: &'a Model) -> Lens<'a> {
        lens_of(model, &self.settings)
    }

    /// Shows the tree after `layer`, for a step that made it (`own`) or
    /// came after it; false when it already did.
    pub fn set_layer(&mut self, model: &Model, layer: Option<usize>, own: bool) -> bool {
        if layer == self.settings.layer && own == self.settings.own_layer {
            return false;
        }
        self.settings.layer = layer;
        self.settings.own_layer = own;
        self.refresh(model);
        true
    }

    /// Brings sizes and the visibility set up to date for the step, view
    /// and filters, then rebuilds the rows. Costs the changes between the
    /// old and new step plus the filters' candidate lists.
    pub fn refresh(&mut self, model: &Model) {
        self.update_view(model);
        let s = &self.settings;
        let lens = lens_of(model, s);
        if s.keep.is_some() && s.kept <= AUTO_EXPAND_LIMIT {
            self.tree.expand_all(&lens);
        } else {
            self.tree.rebuild(&lens);
        }
    }

    /// Rebuilds the rows only (the sort changed, or a saved tree is back).
    pub fn rebuild_rows(&mut self, model: &Model) {
        let lens = lens_of(model, &self.settings);
        self.tree.rebuild(&lens);
    }

    /// Sizes and the visibility set for the step, view and filters; the
    /// rows are left to the caller.
    pub fn update_view(&mut self, model: &Model) {
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
            min_size: s.min_size,
        };
        (s.keep, s.kept) = if s.mode == Mode::StepOnly && !s.own_layer {
            // A step that made no layer changed nothing: its "changes" are
            // none, not the layer before it's.
            (Some(vec![false; model.tree().node_count()]), 0)
        } else {
            match lens::compute_keep(model, &filters) {
                Some((keep, kept)) => (Some(keep), kept),
                None => (None, 0),
            }
        };
        s.hidden_here = match s.layer {
            Some(l) if s.mode == Mode::StepOnly && s.own_layer && s.hidden.any() => {
                lens::hidden_changes(model.tree(), l, s.hidden)
            }
            _ => (0, 0),
        };
        s.filtered_sizes = None;
        s.filter_shown = 0;
        if let (Some(f), Some(keep)) = (&s.filter, &s.keep) {
            let shown = |n: &NodeId| keep.get(*n as usize).copied().unwrap_or(false);
            s.filter_shown = f.matched.iter().filter(|n| shown(n)).count();
            let tree = model.tree();
            let base = s.view_sizes();
            let mut out = Vec::new();
            // Files only: a matched directory's own size would count its
            // unmatched files too.
            sizes::subset_sizes(
                tree,
                f.matched
                    .iter()
                    .copied()
                    .filter(|n| shown(n) && tree.children(*n).next().is_none()),
                |n| base.get(n as usize).copied().unwrap_or(0),
                &mut out,
            );
            s.filtered_sizes = Some(out);
        }
    }

    pub fn toggle_mode(&mut self, model: &Model) {
        self.settings.mode = match self.settings.mode {
            Mode::Aggregated => Mode::StepOnly,
            Mode::StepOnly => Mode::Aggregated,
        };
        self.refresh(model);
    }

    pub fn set_mode(&mut self, model: &Model, mode: Mode) {
        self.settings.mode = mode;
        self.refresh(model);
    }

    pub fn toggle_sort(&mut self, model: &Model) {
        self.settings.sort = match self.settings.sort {
            Sort::Size => Sort::Name,
            Sort::Name => Sort::Size,
        };
        self.rebuild_rows(model);
    }

    pub fn toggle_wasted_only(&mut self, model: &Model) {
        self.settings.wasted_only = !self.settings.wasted_only;
        self.refresh(model);
    }

    pub fn toggle_hidden(&mut self, model: &Model, field: impl Fn(&mut Hidden) -> &mut bool) {
        let f = field(&mut self.settings.hidden);
        *f = !*f;
        self.refresh(model);
    }

    /// Re-matches the path filter (one pass over the paths) and redraws.
    pub fn set_filter_text(&mut self, model: &Model, text: &str) {
        self.settings.filter = (!text.is_empty()).then(|| PathFilter::new(text, model.tree()));
        self.refresh(model);
    }

    /// Clears every filter (a jump needs its path visible).
    pub fn clear_filters(&mut self, model: &Model) {
        let s = &mut self.settings;
        s.filter = None;
        s.package = None;
        s.wasted_only = false;
        s.hidden = Hidden::default();
        s.min_size = None;
        self.refresh(model);
    }

    pub fn set_min_size(&mut self, model: &Model, min: Option<u64>) {
        self.settings.min_size = min;
        self.refresh(model);
    }

    pub fn move_selection(&mut self, m: Move) {
        self.tree.move_selection(m);
    }

    pub fn left(&mut self, model: &Model) {
        let lens = lens_of(model, &self.settings);
        self.tree.left(&lens);
    }

    pub fn right(&mut self, model: &Model) {
        let lens = lens_of(model, &self.settings);
        self.tree.right(&lens);
    }

    pub fn toggle(&mut self, model: &Model) {
        let lens = lens_of(model, &self.settings);
        self.tree.toggle(&lens);
    }

    pub fn toggle_all(&mut self, model: &Model) {
        let lens = lens_of(model, &self.settings);
        self.tree.toggle_all(&lens);
    }

    /// Opens the directories above `node` and selects it; false when it is
    /// not visible in this view.
    pub fn reveal(&mut self, model: &Model, node: NodeId) -> bool {
        let lens = lens_of(model, &self.settings);
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
