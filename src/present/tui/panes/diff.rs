//! The diff lens's state (`ballast diff OLD NEW` on a terminal): the
//! comparison, whether the lens is on, and whether the files pane shows
//! only the paths that changed against OLD (their own tree, with rows of
//! its own).

use crate::browse::diff_lens::DiffLens;
use crate::browse::list::Move;
use crate::browse::tree_view::TreeView;
use crate::index::tree::NodeId;

pub struct DiffState {
    pub lens: DiffLens,
    /// The lens shows (`D` switches it off and on).
    pub on: bool,
    /// The files pane shows only the changed paths (`a` with the lens on).
    pub changed_only: bool,
    /// Rows of the changed-paths tree.
    pub tree: TreeView,
}

impl DiffState {
    /// Opens on: the steps marked, the files pane on the changed paths
    /// (when the report has them), the largest change's directories open.
    pub fn new(lens: DiffLens) -> DiffState {
        let mut tree = TreeView::default();
        tree.rebuild(&lens.tree);
        if lens.tree.len() <= 64 {
            tree.expand_all(&lens.tree);
        }
        DiffState {
            changed_only: lens.has_paths(),
            lens,
            on: true,
            tree,
        }
    }

    /// The files pane shows the changed-paths tree rather than NEW's.
    pub fn shows_tree(&self) -> bool {
        self.on && self.changed_only
    }

    pub fn toggle(&mut self) {
        self.on = !self.on;
    }

    pub fn toggle_changed_only(&mut self) {
        self.changed_only = !self.changed_only;
    }

    pub fn move_selection(&mut self, m: Move) {
        self.tree.move_selection(m);
    }

    pub fn left(&mut self) {
        self.tree.left(&self.lens.tree);
    }

    pub fn right(&mut self) {
        self.tree.right(&self.lens.tree);
    }

    pub fn fold(&mut self) {
        self.tree.toggle(&self.lens.tree);
    }

    pub fn fold_all(&mut self) {
        self.tree.toggle_all(&self.lens.tree);
    }

    /// The selected changed path, without the leading slash.
    pub fn selected_path(&self) -> Option<Vec<u8>> {
        let node: NodeId = self.tree.selected_node()?;
        Some(self.lens.tree.path(node))
    }
}
