//! The file tree's navigation model: which rows are on screen, which is
//! selected, which directories are open, where the viewport starts. Plain
//! data, no terminal types, unit-tested alone.
//!
//! Rows exist only for what is open: opening a directory splices its
//! visible children in after it, closing removes them again, so a 300k-file
//! tree with its top level showing holds a handful of rows. Only "open
//! everything" walks the whole tree, once, on that keypress. A frame reads
//! the rows in the viewport and nothing else.

use std::collections::HashSet;

use super::list::{ListNav, Move};
use crate::index::tree::{NodeId, ROOT};

/// The tree as the view needs it; [`super::lens::Lens`] implements it over
/// the merged tree, tests over a toy tree.
pub trait Source {
    /// Visible children of `node` in display order, into `out`.
    fn children(&self, node: NodeId, out: &mut Vec<NodeId>);
    fn has_children(&self, node: NodeId) -> bool;
    /// `None` for the root.
    fn parent(&self, node: NodeId) -> Option<NodeId>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    pub node: NodeId,
    /// 0 for the root's children.
    pub depth: u32,
    pub has_children: bool,
}

#[derive(Default)]
pub struct TreeView {
    rows: Vec<Row>,
    expanded: HashSet<NodeId>,
    /// Selection and viewport over `rows`.
    nav: ListNav,
    scratch: Vec<NodeId>,
}

impl TreeView {
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn selected(&self) -> usize {
        self.nav.selected()
    }

    pub fn selected_row(&self) -> Option<Row> {
        self.rows.get(self.selected()).copied()
    }

    pub fn selected_node(&self) -> Option<NodeId> {
        self.selected_row().map(|r| r.node)
    }

    pub fn offset(&self) -> usize {
        self.nav.offset()
    }

    pub fn is_expanded(&self, node: NodeId) -> bool {
        self.expanded.contains(&node)
    }

    pub fn any_expanded(&self) -> bool {
        !self.expanded.is_empty()
    }

    /// The rows in the viewport: all a frame ever reads.
    pub fn window(&self) -> &[Row] {
        &self.rows[self.nav.window(self.rows.len())]
    }

    pub fn set_height(&mut self, height: usize) {
        self.nav.set_height(height, self.rows.len());
    }

    /// Rebuilds the rows (after the step, a filter or the sort changed),
    /// re-opening what was open and keeping the selection on the same node,
    /// or on its nearest visible ancestor.
    pub fn rebuild(&mut self, src: &impl Source) {
        let keep = self.selected_node();
        let mut rows = std::mem::take(&mut self.rows);
        rows.clear();
        self.push_subtree(src, ROOT, 0, false, &mut rows);
        self.rows = rows;
        self.reselect(src, keep);
    }

    /// Appends the rows under `node` (its visible children and, below open
    /// directories, theirs), depth-first without recursion. With `open_all`
    /// every directory is opened on the way.
    fn push_subtree(
        &mut self,
        src: &impl Source,
        node: NodeId,
        depth: u32,
        open_all: bool,
        out: &mut Vec<Row>,
    ) {
        let mut stack: Vec<(NodeId, u32)> = Vec::new();
        let mut kids = std::mem::take(&mut self.scratch);
        src.children(node, &mut kids);
        stack.extend(kids.iter().rev().map(|&c| (c, depth)));
        while let Some((n, d)) = stack.pop() {
            let has_children = src.has_children(n);
            out.push(Row {
                node: n,
                depth: d,
                has_children,
            });
            if !has_children {
                continue;
            }
            if open_all {
                self.expanded.insert(n);
            }
            if self.expanded.contains(&n) {
                src.children(n, &mut kids);
                stack.extend(kids.iter().rev().map(|&c| (c, d + 1)));
            }
        }
        self.scratch = kids;
    }

    pub fn move_selection(&mut self, m: Move) {
        self.nav.apply(m, self.rows.len());
    }

    /// Selects a row by its index (a mouse click).
    pub fn select_index(&mut self, index: usize) {
        if index < self.rows.len() {
            self.nav.select(index, self.rows.len());
        }
    }

    /// Opens the selected directory; false when there is nothing to open.
    pub fn expand(&mut self, src: &impl Source) -> bool {
        let Some(row) = self.selected_row() else {
            return false;
        };
        if !row.has_children || self.expanded.contains(&row.node) {
            return false;
        }
        self.expanded.insert(row.node);
        self.splice_children(src, self.selected(), row);
        self.nav.keep_visible(self.rows.len());
        true
    }

    fn splice_children(&mut self, src: &impl Source, at: usize, row: Row) {
        let mut sub = Vec::new();
        self.push_subtree(src, row.node, row.depth + 1, false, &mut sub);
        let at = at + 1;
        self.rows.splice(at..at, sub);
    }

    /// Closes the selected directory; false when it was not open.
    pub fn collapse(&mut self) -> bool {
        let Some(row) = self.selected_row() else {
            return false;
        };
        if !self.expanded.remove(&row.node) {
            return false;
        }
        let selected = self.selected();
        let end = self.subtree_end(selected);
        self.rows.drain(selected + 1..end);
        self.nav.keep_visible(self.rows.len());
        true
    }

    /// One past the last row under the row at `index`.
    fn subtree_end(&self, index: usize) -> usize {
        let depth = self.rows.get(index).map_or(0, |r| r.depth);
        self.rows
            .iter()
            .skip(index + 1)
            .position(|r| r.depth <= depth)
            .map_or(self.rows.len(), |p| index + 1 + p)
    }

    /// Space: open or close the selected directory.
    pub fn toggle(&mut self, src: &impl Source) {
        if !self.collapse() {
            self.expand(src);
        }
    }

    /// Left: close the directory, or go to the parent.
    pub fn left(&mut self, src: &impl Source) {
        if self.collapse() {
            return;
        }
        let Some(row) = self.selected_row() else {
            return;
        };
        if let Some(parent) = src.parent(row.node)
            && parent != ROOT
            && let Some(i) = self.rows[..self.selected()]
                .iter()
                .rposition(|r| r.node == parent)
        {
            self.nav.select(i, self.rows.len());
        }
    }

    /// Right: open the directory, or step into it.
    pub fn right(&mut self, src: &impl Source) {
        if self.expand(src) {
            return;
        }
        if let Some(row) = self.selected_row()
            && self.expanded.contains(&row.node)
            && self
                .rows
                .get(self.selected() + 1)
                .is_some_and(|r| r.depth > row.depth)
        {
            self.move_selection(Move::Down);
        }
    }

    /// Opens everything when nothing is open, else closes everything.
    pub fn toggle_all(&mut self, src: &impl Source) {
        if self.expanded.is_empty() {
            self.expand_all(src);
        } else {
            self.collapse_all(src);
        }
    }

    pub fn expand_all(&mut self, src: &impl Source) {
        let keep = self.selected_node();
        let mut rows = std::mem::take(&mut self.rows);
        rows.clear();
        self.push_subtree(src, ROOT, 0, true, &mut rows);
        self.rows = rows;
        self.reselect(src, keep);
    }

    pub fn collapse_all(&mut self, src: &impl Source) {
        self.expanded.clear();
        self.rebuild(src);
    }

    /// Opens the directories above `node` and selects it. False when the
    /// node is not visible (filtered out, or not there at this step).
    pub fn reveal(&mut self, src: &impl Source, node: NodeId) -> bool {
        let mut chain = vec![node];
        let mut cur = node;
        while let Some(p) = src.parent(cur) {
            if p == ROOT {
                break;
            }
            chain.push(p);
            cur = p;
        }
        chain.reverse();
        let mut from = 0;
        for (i, &n) in chain.iter().enumerate() {
            let Some(pos) = self.find_row(n, from) else {
                return false;
            };
            let is_target = i + 1 == chain.len();
            if !is_target && !self.expanded.contains(&n) {
                let row = self.rows[pos];
                if !row.has_children {
                    return false;
                }
                self.expanded.insert(n);
                self.splice_children(src, pos, row);
            }
            from = pos + 1;
            if is_target {
                self.nav.center_on(pos, self.rows.len());
                return true;
            }
        }
        false
    }

    /// The row of `node` at or after `from`, searching only the subtree
    /// that starts there (what [`reveal`](Self::reveal) walks down).
    fn find_row(&self, node: NodeId, from: usize) -> Option<usize> {
        let depth = self.rows.get(from)?.depth;
        self.rows[from..]
            .iter()
            .take_while(|r| r.depth >= depth)
            .position(|r| r.node == node)
            .map(|p| from + p)
    }

    /// After the rows were rebuilt: selects `node` (what was selected
    /// before), or its nearest visible ancestor, else keeps the index.
    fn reselect(&mut self, src: &impl Source, node: Option<NodeId>) {
        let index = node
            .and_then(|n| self.row_of_node_or_ancestor(src, n))
            .unwrap_or(self.selected());
        self.nav.select(index, self.rows.len());
    }

    fn row_of_node_or_ancestor(&self, src: &impl Source, node: NodeId) -> Option<usize> {
        let mut cur = Some(node);
        while let Some(n) = cur {
            if n == ROOT {
                break;
            }
            if let Some(i) = self.rows.iter().position(|r| r.node == n) {
                return Some(i);
            }
            cur = src.parent(n);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy tree: node ids with parents; children in id order.
    struct Toy {
        parent: Vec<NodeId>,
    }

    impl Toy {
        /// root 0; 1 a/ {2 a/x, 3 a/y/ {4 a/y/z}}; 5 b; 6 c/ {7 c/w}
        fn new() -> Toy {
            Toy {
                parent: vec![0, 0, 1, 1, 3, 0, 0, 6],
            }
        }
    }

    impl Source for Toy {
        fn children(&self, node: NodeId, out: &mut Vec<NodeId>) {
            out.clear();
            out.extend(
                (1..self.parent.len() as NodeId).filter(|&c| self.parent[c as usize] == node),
            );
        }
        fn has_children(&self, node: NodeId) -> bool {
            (1..self.parent.len()).any(|c| self.parent[c] == node)
        }
        fn parent(&self, node: NodeId) -> Option<NodeId> {
            if node == ROOT {
                return None;
            }
            self.parent.get(node as usize).copied()
        }
    }

    fn nodes(v: &TreeView) -> Vec<NodeId> {
        v.rows().iter().map(|r| r.node).collect()
    }

    fn view(t: &Toy, height: usize) -> TreeView {
        let mut v = TreeView::default();
        v.set_height(height);
        v.rebuild(t);
        v
    }

    #[test]
    fn starts_with_the_top_level_only() {
        let t = Toy::new();
        let v = view(&t, 10);
        assert_eq!(nodes(&v), [1, 5, 6]);
        assert_eq!(v.selected_node(), Some(1));
    }

    #[test]
    fn expand_and_collapse_splice_rows() {
        let t = Toy::new();
        let mut v = view(&t, 10);
        v.toggle(&t);
        assert_eq!(nodes(&v), [1, 2, 3, 5, 6]);
        v.move_selection(Move::Down);
        v.move_selection(Move::Down);
        v.right(&t); // open a/y
        assert_eq!(nodes(&v), [1, 2, 3, 4, 5, 6]);
        v.right(&t); // step into it
        assert_eq!(v.selected_node(), Some(4));
        v.left(&t); // z is a file: go to the parent
        assert_eq!(v.selected_node(), Some(3));
        v.move_selection(Move::Top);
        v.toggle(&t); // close a/: its rows go, a/y stays open inside
        assert_eq!(nodes(&v), [1, 5, 6]);
        v.toggle(&t);
        assert_eq!(nodes(&v), [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn toggle_all_opens_then_closes_everything() {
        let t = Toy::new();
        let mut v = view(&t, 10);
        v.toggle_all(&t);
        assert_eq!(nodes(&v), [1, 2, 3, 4, 5, 6, 7]);
        v.move_selection(Move::Bottom);
        assert_eq!(v.selected_node(), Some(7));
        v.toggle_all(&t);
        assert_eq!(nodes(&v), [1, 5, 6]);
        // The selection moved to the closed ancestor of c/w.
        assert_eq!(v.selected_node(), Some(6));
    }

    #[test]
    fn reveal_opens_the_ancestors_and_selects() {
        let t = Toy::new();
        let mut v = view(&t, 3);
        assert!(v.reveal(&t, 4));
        assert_eq!(v.selected_node(), Some(4));
        assert_eq!(nodes(&v), [1, 2, 3, 4, 5, 6]);
        assert!(v.offset() <= v.selected() && v.selected() < v.offset() + 3);
        assert!(!v.reveal(&t, 99));
    }

    #[test]
    fn scrolling_keeps_the_selection_in_view() {
        let t = Toy::new();
        let mut v = view(&t, 2);
        v.toggle_all(&t);
        v.move_selection(Move::PageDown);
        assert_eq!(v.selected(), 1);
        v.move_selection(Move::Bottom);
        assert_eq!(v.offset(), 5);
        assert_eq!(v.window().len(), 2);
        v.move_selection(Move::Top);
        assert_eq!(v.offset(), 0);
        v.move_selection(Move::By(4));
        assert_eq!(v.selected(), 4);
        // Growing the viewport pulls the top back so no space is wasted.
        v.set_height(100);
        assert_eq!(v.offset(), 0);
    }

    #[test]
    fn rebuild_keeps_the_selected_node() {
        let t = Toy::new();
        let mut v = view(&t, 10);
        v.toggle_all(&t);
        v.move_selection(Move::By(3)); // a/y/z
        assert_eq!(v.selected_node(), Some(4));
        v.rebuild(&t);
        assert_eq!(v.selected_node(), Some(4));
    }

    #[test]
    fn empty_views_and_zero_heights_do_not_panic() {
        struct Empty;
        impl Source for Empty {
            fn children(&self, _: NodeId, out: &mut Vec<NodeId>) {
                out.clear();
            }
            fn has_children(&self, _: NodeId) -> bool {
                false
            }
            fn parent(&self, _: NodeId) -> Option<NodeId> {
                None
            }
        }
        let mut v = TreeView::default();
        v.rebuild(&Empty);
        for m in [
            Move::Up,
            Move::Down,
            Move::PageDown,
            Move::Bottom,
            Move::By(-5),
        ] {
            v.move_selection(m);
        }
        v.toggle(&Empty);
        v.left(&Empty);
        v.right(&Empty);
        v.toggle_all(&Empty);
        assert!(v.window().is_empty());
        let t = Toy::new();
        let mut v = view(&t, 0);
        v.move_selection(Move::PageDown);
        assert_eq!(v.window().len(), 0);
    }
}
