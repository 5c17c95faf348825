//! What the file tree shows at the selected step: which nodes, marked how,
//! in what order. The merged tree holds every path of every layer; a lens
//! picks the ones visible after one layer (or only that layer's changes),
//! applies the filters and sorts siblings.
//!
//! Filters are answered by a `keep` set computed when a filter, the view or
//! the step changes, from the smallest list that can hold the answer (the
//! paths the filter matched, the wasted paths, the layer's changes, or a
//! package's files); with no filter there is no set and visibility is asked
//! per node, lazily, as directories are opened.

use regex::bytes::RegexBuilder;

use crate::index::layer::{EntryKind, LayerEntry};
use crate::index::tree::{Change, MergedTree, NodeId, ROOT, Version};

use super::model::Model;
use super::tree_view::Source;

/// How a node stands at the selected layer, against the layers below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Unmodified,
    Added,
    Modified,
    /// Same content; mode, owner or timestamp rewritten (a second copy).
    Metadata,
    Removed,
}

impl Mark {
    /// One cell, so the change reads without color too.
    pub fn symbol(self) -> char {
        match self {
            Mark::Unmodified => ' ',
            Mark::Added => '+',
            Mark::Modified => '~',
            Mark::Metadata => '*',
            Mark::Removed => '-',
        }
    }
}

/// Whole tree at the step, or only what the step changed (dive's
/// "aggregated" and "layer" views).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Aggregated,
    StepOnly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Size,
    Name,
}

/// Change kinds hidden from the tree (dive's Ctrl+U/R/M).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hidden {
    pub unmodified: bool,
    pub removed: bool,
    pub modified: bool,
}

impl Hidden {
    pub fn any(self) -> bool {
        self.unmodified || self.removed || self.modified
    }
    pub fn hides(self, m: Mark) -> bool {
        match m {
            Mark::Unmodified => self.unmodified,
            Mark::Removed => self.removed,
            Mark::Modified | Mark::Metadata => self.modified,
            Mark::Added => false,
        }
    }
}

/// How `node` stands after `layer`; `None` when it is not there (never
/// created yet, or removed by an earlier layer). A node removed by `layer`
/// itself is shown, marked removed.
pub fn mark_at(tree: &MergedTree, node: NodeId, layer: usize) -> Option<Mark> {
    let v = tree.version_at(node, layer)?;
    if v.layer as usize != layer {
        return v.present.then_some(Mark::Unmodified);
    }
    Some(match v.change {
        Change::Added => Mark::Added,
        Change::Modified => Mark::Modified,
        Change::MetadataOnly => Mark::Metadata,
        Change::Unchanged => Mark::Unmodified,
        Change::Removed => Mark::Removed,
    })
}

/// A node as it stands at a layer, with the entry that describes it (for a
/// removed node, the entry it had before).
pub struct NodeAt<'a> {
    pub mark: Mark,
    pub version: &'a Version,
    pub entry: Option<&'a LayerEntry>,
    /// The layer `entry` belongs to.
    pub entry_layer: usize,
}

impl NodeAt<'_> {
    /// Directories, including the ones a layer implies without an entry.
    pub fn is_dir(&self) -> bool {
        self.entry.is_none_or(|e| e.kind == EntryKind::Dir)
    }
}

pub fn node_at(model: &Model, node: NodeId, layer: usize) -> Option<NodeAt<'_>> {
    let tree = model.tree();
    let mark = mark_at(tree, node, layer)?;
    let version = tree.version_at(node, layer)?;
    let described = if version.present {
        version
    } else {
        tree.versions()
            .get(version.prev as usize)
            .unwrap_or(version)
    };
    let entry = described
        .entry_index()
        .and_then(|i| model.layers().get(described.layer as usize)?.entries.get(i));
    Some(NodeAt {
        mark,
        version,
        entry,
        entry_layer: described.layer as usize,
    })
}

/// The path filter: a regex when the text is one, else a plain substring;
/// lower-case text matches either case (smart case). Matched once against
/// every path when the text changes.
pub struct PathFilter {
    pub text: String,
    /// The text did not compile as a regex and was taken literally.
    pub literal: bool,
    pub matched: Vec<NodeId>,
    hits: Vec<bool>,
}

impl PathFilter {
    pub fn new(text: &str, tree: &MergedTree) -> PathFilter {
        let smart_case = !text.chars().any(char::is_uppercase);
        let build = |pattern: &str| {
            RegexBuilder::new(pattern)
                .case_insensitive(smart_case)
                .size_limit(1 << 22)
                .build()
        };
        // A text too large even escaped matches nothing.
        let (re, literal) = match build(text) {
            Ok(re) => (Some(re), false),
            Err(_) => (build(&regex::escape(text)).ok(), true),
        };
        let mut hits = vec![false; tree.node_count()];
        let mut matched = Vec::new();
        // Depth-first with one path buffer: each node's path is its parent's
        // plus one name, so matching every path costs one pass.
        let mut path: Vec<u8> = Vec::new();
        let mut stack: Vec<(NodeId, usize)> = tree.children(ROOT).map(|c| (c, 0)).collect();
        while let Some((id, len)) = stack.pop() {
            path.truncate(len);
            path.push(b'/');
            path.extend_from_slice(tree.name(id));
            if re.as_ref().is_some_and(|re| re.is_match(&path)) {
                hits[id as usize] = true;
                matched.push(id);
            }
            let here = path.len();
            stack.extend(tree.children(id).map(|c| (c, here)));
        }
        PathFilter {
            text: text.to_string(),
            literal,
            matched,
            hits,
        }
    }

    pub fn hits(&self, node: NodeId) -> bool {
        self.hits.get(node as usize).copied().unwrap_or(false)
    }
}

/// Everything that decides what the tree shows, except the expansion state.
pub struct Filters<'a> {
    pub layer: Option<usize>,
    pub mode: Mode,
    pub path: Option<&'a PathFilter>,
    pub wasted_only: bool,
    pub hidden: Hidden,
    /// Only these files (a package's), with the other filters on top.
    pub package: Option<&'a [(NodeId, u64)]>,
    /// Only files of at least this many bytes (dive#61).
    pub min_size: Option<u64>,
}

impl Filters<'_> {
    /// Hiding removed nodes alone needs no set: a removed directory's
    /// children are removed too, so a node-by-node check is exact.
    fn needs_set(&self) -> bool {
        self.mode == Mode::StepOnly
            || self.package.is_some()
            || self.path.is_some()
            || self.wasted_only
            || self.hidden.unmodified
            || self.hidden.modified
            || self.min_size.is_some()
    }

    fn admits(&self, model: &Model, node: NodeId, layer: usize) -> bool {
        let Some(m) = mark_at(model.tree(), node, layer) else {
            return false;
        };
        if self.mode == Mode::StepOnly && m == Mark::Unmodified {
            return false;
        }
        !self.hidden.hides(m)
            && self.path.is_none_or(|p| p.hits(node))
            && (!self.wasted_only || model.is_wasted(node))
            && self.min_size.is_none_or(|min| {
                node_at(model, node, layer)
                    .and_then(|at| at.entry)
                    .is_some_and(|e| e.kind != EntryKind::Dir && e.size >= min)
            })
    }
}

/// How many of `layer`'s own changes `hidden` hides: (removed, modified or
/// metadata-only). Costs the layer's changes.
pub fn hidden_changes(tree: &MergedTree, layer: usize, hidden: Hidden) -> (usize, usize) {
    let mut removed = 0;
    let mut modified = 0;
    for v in tree.layer_versions(layer) {
        match mark_at(tree, v.node, layer) {
            Some(m) if hidden.hides(m) && m == Mark::Removed => removed += 1,
            Some(m) if hidden.hides(m) && matches!(m, Mark::Modified | Mark::Metadata) => {
                modified += 1;
            }
            _ => {}
        }
    }
    (removed, modified)
}

/// The visibility set for `f` and how many nodes it holds, or `None` when
/// every present node shows. Costs the length of the shortest candidate
/// list plus the ancestors it marks, never a pass over all nodes unless no
/// list narrows it.
pub fn compute_keep(model: &Model, f: &Filters<'_>) -> Option<(Vec<bool>, usize)> {
    if !f.needs_set() {
        return None;
    }
    let tree = model.tree();
    let mut keep = vec![false; tree.node_count()];
    let Some(layer) = f.layer else {
        return Some((keep, 0));
    };
    let layer_nodes = || tree.layer_versions(layer).iter().map(|v| v.node);
    let changes_only = f.mode == Mode::StepOnly || f.hidden.unmodified;
    let mut lists: Vec<(usize, u8)> = Vec::new();
    if let Some(p) = f.path {
        lists.push((p.matched.len(), 0));
    }
    if f.wasted_only {
        lists.push((model.wasted_nodes().len(), 1));
    }
    if changes_only {
        lists.push((tree.layer_versions(layer).len(), 2));
    }
    let mut kept = 0;
    let mut mark = |n: NodeId| {
        if !f.admits(model, n, layer) {
            return;
        }
        let mut cur = n;
        while !keep[cur as usize] {
            keep[cur as usize] = true;
            kept += 1;
            if cur == ROOT {
                break;
            }
            cur = tree.node(cur).parent;
        }
    };
    // A package's files are the candidates whatever else is set: the
    // other filters are checked per node, membership in the package is not.
    if let Some(files) = f.package {
        files.iter().map(|&(n, _)| n).for_each(&mut mark);
        return Some((keep, kept));
    }
    match lists.iter().min().map(|&(_, which)| which) {
        Some(0) => f
            .path
            .iter()
            .flat_map(|p| p.matched.iter().copied())
            .for_each(&mut mark),
        Some(1) => model.wasted_nodes().iter().copied().for_each(&mut mark),
        Some(_) => layer_nodes().for_each(&mut mark),
        None => (1..tree.node_count())
            .map(|i| NodeId::try_from(i).unwrap_or(NodeId::MAX))
            .for_each(&mut mark),
    }
    Some((keep, kept))
}

/// The tree as the tree view sees it: visible children in display order.
pub struct Lens<'a> {
    pub model: &'a Model,
    pub layer: Option<usize>,
    pub sort: Sort,
    pub sizes: &'a [u64],
    pub keep: Option<&'a [bool]>,
    /// With no `keep` set: leave out nodes this layer removed.
    pub hide_removed: bool,
}

impl Lens<'_> {
    fn tree(&self) -> &MergedTree {
        self.model.tree()
    }

    pub fn visible(&self, node: NodeId) -> bool {
        match (self.keep, self.layer) {
            (Some(k), _) => k.get(node as usize).copied().unwrap_or(false),
            (None, Some(l)) => mark_at(self.tree(), node, l)
                .is_some_and(|m| !(self.hide_removed && m == Mark::Removed)),
            (None, None) => false,
        }
    }

    pub fn size(&self, node: NodeId) -> u64 {
        self.sizes.get(node as usize).copied().unwrap_or(0)
    }
}

impl Source for Lens<'_> {
    fn children(&self, node: NodeId, out: &mut Vec<NodeId>) {
        out.clear();
        out.extend(self.tree().children(node).filter(|&c| self.visible(c)));
        let tree = self.tree();
        match self.sort {
            Sort::Name => out.sort_unstable_by(|&a, &b| tree.name(a).cmp(tree.name(b))),
            Sort::Size => out.sort_unstable_by(|&a, &b| {
                self.size(b)
                    .cmp(&self.size(a))
                    .then_with(|| tree.name(a).cmp(tree.name(b)))
            }),
        }
    }

    fn has_children(&self, node: NodeId) -> bool {
        self.tree().children(node).any(|c| self.visible(c))
    }

    fn parent(&self, node: NodeId) -> Option<NodeId> {
        (node != ROOT).then(|| self.tree().node(node).parent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Input;

    fn sample() -> Model {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sample-images/ml-mistakes.docker.tar"
        );
        Model::load(&Input::parse(path), &crate::Options::default()).expect("sample loads")
    }

    fn paths(m: &Model, nodes: &[NodeId]) -> Vec<String> {
        let mut v: Vec<String> = nodes
            .iter()
            .map(|&n| crate::index::path::display(&m.tree().path(n)))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn path_filter_matches_full_paths_with_smart_case() {
        let m = sample();
        let f = PathFilter::new("safetensors$", m.tree());
        assert!(!f.literal);
        assert_eq!(
            paths(&m, &f.matched),
            [
                "/app/weights/model.safetensors",
                "/models/model.safetensors"
            ]
        );
        // Lower case matches either case; upper case only itself.
        assert_eq!(PathFilter::new("/APP/MAIN", m.tree()).matched.len(), 0);
        assert_eq!(PathFilter::new("/app/main", m.tree()).matched.len(), 1);
        // Not a regex: taken literally.
        let lit = PathFilter::new("main.py(", m.tree());
        assert!(lit.literal);
        assert!(lit.matched.is_empty());
    }

    #[test]
    fn keep_set_holds_matches_and_their_ancestors_only() {
        let m = sample();
        let last = m.layers().len() - 1;
        let f = PathFilter::new("safetensors", m.tree());
        let filters = Filters {
            layer: Some(last),
            mode: Mode::Aggregated,
            path: Some(&f),
            wasted_only: false,
            hidden: Hidden::default(),
            package: None,
            min_size: None,
        };
        let (keep, kept) = compute_keep(&m, &filters).expect("a set");
        let kept_nodes: Vec<NodeId> = (1..m.tree().node_count())
            .map(|i| NodeId::try_from(i).unwrap())
            .filter(|&n| keep[n as usize])
            .collect();
        assert_eq!(
            paths(&m, &kept_nodes),
            [
                "/app",
                "/app/weights",
                "/app/weights/model.safetensors",
                "/models",
                "/models/model.safetensors"
            ]
        );
        assert_eq!(kept, kept_nodes.len() + 1, "the root is kept too");
        let plain = Filters {
            path: None,
            ..filters
        };
        assert!(compute_keep(&m, &plain).is_none(), "no filter, no set");
    }

    #[test]
    fn package_keep_set_holds_its_files_and_ancestors_and_other_filters_narrow_it() {
        let m = sample();
        let last = m.layers().len() - 1;
        let tinypkg = m
            .packages()
            .iter()
            .position(|p| p.name == "tinypkg")
            .expect("tinypkg");
        let files = m.package_files(tinypkg);
        assert_eq!(files.len() as u64, m.packages()[tinypkg].file_count);
        let filters = Filters {
            layer: Some(last),
            mode: Mode::Aggregated,
            path: None,
            wasted_only: false,
            hidden: Hidden::default(),
            package: Some(files),
            min_size: None,
        };
        let (keep, _) = compute_keep(&m, &filters).expect("a set");
        let tree = m.tree();
        for (i, &kept) in keep.iter().enumerate().skip(1) {
            let n = NodeId::try_from(i).unwrap();
            let is_file = files.iter().any(|&(f, _)| f == n);
            let is_ancestor = files.iter().any(|&(f, _)| {
                let mut cur = tree.node(f).parent;
                while cur != ROOT && cur != n {
                    cur = tree.node(cur).parent;
                }
                cur == n
            });
            assert_eq!(kept, is_file || is_ancestor, "{}", paths(&m, &[n])[0]);
        }
        // A path filter on top keeps the package's files it matches.
        let f = PathFilter::new("RECORD$", m.tree());
        let both = Filters {
            path: Some(&f),
            ..filters
        };
        let (keep, _) = compute_keep(&m, &both).expect("a set");
        let kept_files: Vec<NodeId> = files
            .iter()
            .map(|&(n, _)| n)
            .filter(|&n| keep[n as usize])
            .collect();
        assert_eq!(
            paths(&m, &kept_files),
            ["/usr/local/lib/python3.11/site-packages/tinypkg-1.0.dist-info/RECORD"]
        );
    }

    #[test]
    fn step_only_view_keeps_the_step_changes() {
        let m = sample();
        // Layer 9: `RUN curl … -o /tmp/dataset.tar`.
        let filters = Filters {
            layer: Some(9),
            mode: Mode::StepOnly,
            path: None,
            wasted_only: false,
            hidden: Hidden::default(),
            package: None,
            min_size: None,
        };
        let (keep, _) = compute_keep(&m, &filters).expect("a set");
        let tmp = m.tree().lookup(b"tmp/dataset.tar").expect("path");
        assert!(keep[tmp as usize]);
        assert_eq!(mark_at(m.tree(), tmp, 9), Some(Mark::Added));
        assert_eq!(mark_at(m.tree(), tmp, 10), Some(Mark::Removed));
        assert_eq!(mark_at(m.tree(), tmp, 11), None);
        let bin = m.tree().lookup(b"bin").expect("bin");
        assert!(!keep[bin as usize]);
    }
}
