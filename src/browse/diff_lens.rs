//! `ballast diff` as a lens over NEW's browser: what each of NEW's steps
//! is against OLD (same, changed, added, moved; OLD's removed steps kept
//! apart), how each path of NEW's final tree stands against OLD's (added,
//! grown, shrunk, modified, with the byte change), and a small tree of the
//! changed paths alone, OLD's removed files included, for the "changed
//! only" view.
//!
//! Built once from a finished [`DiffReport`] (its `all_paths`) and NEW's
//! model; a keypress never recomputes it. With `--baseline` the report has
//! no paths: steps and the summary are marked, paths are not, and
//! [`DiffLens::paths_note`] says why.

use std::collections::HashMap;
use std::sync::Arc;

use crate::analyze::diff_report::{DiffReport, PathStatus, StepStatus};
use crate::index::tree::{NodeId, ROOT};

use super::model::Model;
use super::tree_view::Source;

/// How a path (or a directory's contents) changed against OLD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathDiff {
    pub status: PathStatus,
    pub old_bytes: u64,
    pub new_bytes: u64,
    pub delta: i64,
}

impl PathDiff {
    /// One cell, so the change reads without colour too.
    pub fn symbol(&self) -> char {
        symbol(self.status)
    }
}

/// `+` added, `-` removed, `↑` grown, `↓` shrunk, `~` same size, other bytes.
pub fn symbol(s: PathStatus) -> char {
    match s {
        PathStatus::Added => '+',
        PathStatus::Removed => '-',
        PathStatus::Grown => '↑',
        PathStatus::Shrunk => '↓',
        PathStatus::Modified => '~',
    }
}

/// A step's mark in the steps pane.
pub fn step_symbol(s: StepStatus) -> char {
    match s {
        StepStatus::Same => ' ',
        StepStatus::Changed => '~',
        StepStatus::Added => '+',
        StepStatus::Removed => '-',
        StepStatus::Moved => '↕',
    }
}

/// One node of the changed-paths tree.
#[derive(Clone, Debug)]
pub struct DiffNode {
    pub name: Vec<u8>,
    pub parent: NodeId,
    /// Largest change first.
    pub children: Vec<NodeId>,
    /// A file's change, or a directory's totals over its changed files.
    pub diff: PathDiff,
    /// Changed files at or under this node.
    pub files: u64,
    pub is_dir: bool,
}

/// The changed paths alone, as a tree (OLD's removed files included); the
/// root is [`ROOT`].
#[derive(Clone, Debug, Default)]
pub struct DiffTree {
    nodes: Vec<DiffNode>,
}

impl DiffTree {
    fn build(report: &DiffReport) -> DiffTree {
        let root = DiffNode {
            name: Vec::new(),
            parent: ROOT,
            children: Vec::new(),
            diff: PathDiff {
                status: PathStatus::Modified,
                old_bytes: 0,
                new_bytes: 0,
                delta: 0,
            },
            files: 0,
            is_dir: true,
        };
        let mut nodes = vec![root];
        let mut dirs: HashMap<Vec<u8>, NodeId> = HashMap::new();
        for c in &report.all_paths {
            let rel = c.path.0.strip_prefix(b"/").unwrap_or(&c.path.0);
            let diff = PathDiff {
                status: c.status,
                old_bytes: c.old_bytes.unwrap_or(0),
                new_bytes: c.new_bytes.unwrap_or(0),
                delta: c.delta_bytes,
            };
            let mut parent = ROOT;
            let mut chain = vec![ROOT];
            let parts: Vec<&[u8]> = rel.split(|&b| b == b'/').collect();
            let Some((file, dir_parts)) = parts.split_last() else {
                continue;
            };
            for (i, part) in dir_parts.iter().enumerate() {
                let key = dir_parts[..=i].join(&b'/');
                let id = *dirs.entry(key).or_insert_with(|| {
                    let id = node_id(nodes.len());
                    nodes.push(DiffNode {
                        name: part.to_vec(),
                        parent,
                        children: Vec::new(),
                        diff: PathDiff {
                            status: c.status,
                            old_bytes: 0,
                            new_bytes: 0,
                            delta: 0,
                        },
                        files: 0,
                        is_dir: true,
                    });
                    if let Some(p) = nodes.get_mut(parent as usize) {
                        p.children.push(id);
                    }
                    id
                });
                chain.push(id);
                parent = id;
            }
            let id = node_id(nodes.len());
            nodes.push(DiffNode {
                name: file.to_vec(),
                parent,
                children: Vec::new(),
                diff,
                files: 1,
                is_dir: false,
            });
            if let Some(p) = nodes.get_mut(parent as usize) {
                p.children.push(id);
            }
            for d in chain {
                if let Some(n) = nodes.get_mut(d as usize) {
                    n.diff.old_bytes += diff.old_bytes;
                    n.diff.new_bytes += diff.new_bytes;
                    n.diff.delta = n.diff.delta.saturating_add(diff.delta);
                    n.files += 1;
                    // A directory whose changed files all share a status
                    // has it; else it grew, shrank or kept its size.
                    if n.files > 1 && n.diff.status != diff.status {
                        n.diff.status = PathStatus::Modified;
                    }
                }
            }
        }
        for n in &mut nodes {
            if n.is_dir && n.files > 1 && n.diff.status == PathStatus::Modified {
                n.diff.status = match n.diff.delta.signum() {
                    1 => PathStatus::Grown,
                    -1 => PathStatus::Shrunk,
                    _ => PathStatus::Modified,
                };
            }
        }
        let order: Vec<(u64, Vec<u8>)> = nodes
            .iter()
            .map(|n| (n.diff.delta.unsigned_abs(), n.name.clone()))
            .collect();
        for n in &mut nodes {
            n.children.sort_by(|&a, &b| {
                let (da, na) = &order[a as usize];
                let (db, nb) = &order[b as usize];
                db.cmp(da).then_with(|| na.cmp(nb))
            });
        }
        DiffTree { nodes }
    }

    pub fn node(&self, id: NodeId) -> Option<&DiffNode> {
        self.nodes.get(id as usize)
    }

    /// Nodes, the root included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    /// The node's path, without the leading slash.
    pub fn path(&self, id: NodeId) -> Vec<u8> {
        let mut parts = Vec::new();
        let mut cur = id;
        while cur != ROOT {
            let Some(n) = self.node(cur) else { break };
            parts.push(n.name.as_slice());
            cur = n.parent;
        }
        parts.reverse();
        parts.join(&b'/')
    }
}

impl Source for DiffTree {
    fn children(&self, node: NodeId, out: &mut Vec<NodeId>) {
        out.clear();
        if let Some(n) = self.node(node) {
            out.extend_from_slice(&n.children);
        }
    }

    fn has_children(&self, node: NodeId) -> bool {
        self.node(node).is_some_and(|n| !n.children.is_empty())
    }

    fn parent(&self, node: NodeId) -> Option<NodeId> {
        (node != ROOT).then(|| self.node(node).map_or(ROOT, |n| n.parent))
    }
}

/// The comparison, read for NEW's browser.
pub struct DiffLens {
    pub report: Arc<DiffReport>,
    /// Per NEW step: how it stands against OLD.
    step_status: Vec<Option<StepStatus>>,
    /// Per NEW step: the index of its row in `report.steps`.
    step_row: Vec<Option<usize>>,
    /// Rows of `report.steps` for OLD's steps NEW no longer has.
    removed_steps: Vec<usize>,
    /// NEW's nodes that changed against OLD: files, and directories with
    /// their changed files' totals.
    marks: HashMap<NodeId, PathDiff>,
    /// Changed paths NEW's tree does not have (OLD's removed files).
    removed_paths: u64,
    pub tree: DiffTree,
}

impl DiffLens {
    pub fn new(report: Arc<DiffReport>, model: &Model) -> DiffLens {
        let steps = model.step_count();
        let mut step_status = vec![None; steps];
        let mut step_row = vec![None; steps];
        let mut removed_steps = Vec::new();
        for (row, s) in report.steps.iter().enumerate() {
            match s.new_index {
                Some(j) if j < steps => {
                    step_status[j] = Some(s.status);
                    step_row[j] = Some(row);
                }
                Some(_) => {}
                None => removed_steps.push(row),
            }
        }
        let mut tree = DiffTree::build(&report);
        let new_tree = model.tree();
        let final_size = |n: NodeId| model.final_sizes().get(n as usize).copied().unwrap_or(0);
        // A directory whose changed files were all added is new only when
        // they are all it holds in NEW; one whose files were all removed is
        // gone only when NEW holds nothing there.
        for id in 1..tree.len() {
            let path = tree.path(node_id(id));
            let Some(n) = tree.nodes.get_mut(id) else {
                continue;
            };
            if !n.is_dir {
                continue;
            }
            let in_new = new_tree.lookup(&path).map_or(0, final_size);
            n.diff.status = match n.diff.status {
                PathStatus::Added if in_new > n.diff.new_bytes => PathStatus::Grown,
                PathStatus::Removed if in_new > 0 => PathStatus::Shrunk,
                other => other,
            };
        }
        let mut marks = HashMap::new();
        let mut removed_paths = 0;
        for id in 1..tree.len() {
            let id = node_id(id);
            let Some(n) = tree.node(id) else { continue };
            if !n.is_dir && n.diff.status == PathStatus::Removed {
                removed_paths += 1;
                continue;
            }
            if let Some(found) = new_tree.lookup(&tree.path(id)) {
                marks.insert(found, n.diff);
            }
        }
        DiffLens {
            report,
            step_status,
            step_row,
            removed_steps,
            marks,
            removed_paths,
            tree,
        }
    }

    /// How NEW's step `step` stands against OLD.
    pub fn step_status(&self, step: usize) -> Option<StepStatus> {
        self.step_status.get(step).copied().flatten()
    }

    /// The report's row for NEW's step `step`.
    pub fn step_change(&self, step: usize) -> Option<&crate::analyze::diff_report::StepChange> {
        let row = self.step_row.get(step).copied().flatten()?;
        self.report.steps.get(row)
    }

    /// OLD's steps NEW no longer has.
    pub fn removed_steps(&self) -> impl Iterator<Item = &crate::analyze::diff_report::StepChange> {
        self.removed_steps
            .iter()
            .filter_map(|&r| self.report.steps.get(r))
    }

    /// (changed, added, moved, removed) step counts.
    pub fn step_counts(&self) -> (usize, usize, usize, usize) {
        let count = |s: StepStatus| self.step_status.iter().filter(|&&x| x == Some(s)).count();
        (
            count(StepStatus::Changed),
            count(StepStatus::Added),
            count(StepStatus::Moved),
            self.removed_steps.len(),
        )
    }

    /// How NEW's node stands against OLD; `None` when it did not change.
    pub fn mark(&self, node: NodeId) -> Option<PathDiff> {
        self.marks.get(&node).copied()
    }

    /// Files OLD had that NEW has not.
    pub fn removed_paths(&self) -> u64 {
        self.removed_paths
    }

    /// Whether paths are marked at all: not against a saved report.
    pub fn has_paths(&self) -> bool {
        self.report.paths.is_some()
    }

    /// Why paths are not marked, when they are not.
    pub fn paths_note(&self) -> Option<&str> {
        if self.has_paths() {
            return None;
        }
        Some(
            self.report
                .needs_old_image
                .iter()
                .find(|n| n.starts_with("paths"))
                .map_or("paths need OLD's image", String::as_str),
        )
    }
}

fn node_id(i: usize) -> NodeId {
    NodeId::try_from(i).unwrap_or(NodeId::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Input;

    fn lens(old: &str, new: &str) -> (DiffLens, Model) {
        let path = |n: &str| {
            Input::Path(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(format!("sample-images/diff/{n}.oci.tar")),
            )
        };
        let opts = crate::Options::default();
        let (o, n) = crate::pair::analyze_pair(&path(old), &path(new), &opts).expect("pair");
        let report = crate::pair::compare(&o, &n, &crate::analyze::diff::DiffBudgets::default())
            .expect("compare");
        let model = Model::new(n);
        (DiffLens::new(Arc::new(report), &model), model)
    }

    /// Every directory of the changed-paths tree totals its changed files,
    /// and each of NEW's changed files is marked with its own change.
    #[test]
    fn directories_total_their_files_and_new_files_are_marked() {
        for (old, new) in [
            ("old", "pip-added"),
            ("pip-added", "old"),
            ("old", "file-grown"),
        ] {
            let (l, model) = lens(old, new);
            let t = &l.tree;
            for id in 0..t.len() {
                let n = t.node(node_id(id)).expect("node");
                if !n.is_dir {
                    continue;
                }
                let kids: Vec<&DiffNode> = n.children.iter().filter_map(|&c| t.node(c)).collect();
                let delta: i64 = kids.iter().map(|k| k.diff.delta).sum();
                let files: u64 = kids.iter().map(|k| k.files).sum();
                assert_eq!((n.diff.delta, n.files), (delta, files), "{old}→{new} {id}");
            }
            for c in &l.report.all_paths {
                let rel = &c.path.0[1..];
                let mark = model.tree().lookup(rel).and_then(|node| l.mark(node));
                if c.status == PathStatus::Removed {
                    assert!(mark.is_none());
                } else {
                    assert_eq!(
                        mark.map(|m| (m.status, m.delta)),
                        Some((c.status, c.delta_bytes))
                    );
                }
            }
            let removed = l
                .report
                .all_paths
                .iter()
                .filter(|c| c.status == PathStatus::Removed)
                .count();
            assert_eq!(l.removed_paths() as usize, removed);
        }
    }
}
