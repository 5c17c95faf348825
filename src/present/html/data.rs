//! The data the HTML page draws, built from a finished report, the merged
//! tree and the package attribution. Pure: no I/O, no HTML. The page reads
//! it from one `<script type="application/json">` block; its shape is
//! documented in `docs/html-data.md` (`format` "ballast-html", `version` 1).
//!
//! The final tree goes in as columns (one array per field, node `i` across
//! them), parents before children and each directory's children together,
//! largest first. Files too small to ever be a visible tile are folded into
//! "N small files" nodes per directory, per step, package and waste category,
//! so a 300k-file image stays a few megabytes and every byte is still
//! counted: a directory's `bytes` always equals the sum of its children's.

use std::collections::HashMap;

use serde::Serialize;

use crate::ImageIndex;
use crate::analyze::findings::Item;
use crate::analyze::packages::Attribution;
use crate::analyze::report::Report;
use crate::index::layer::{EntryKind, LayerIndex};
use crate::index::path::push_escaped;
use crate::index::tree::{MergedTree, NodeId, ROOT};

/// Nodes the page carries at most before small files are folded.
pub const NODE_BUDGET: usize = 60_000;
/// "N small files" nodes per directory at most; smaller groups merge into
/// the last one.
const MAX_GROUPS: usize = 6;
/// Paths listed per finding in its table row.
const FINDING_PATHS: usize = 10;

/// Node kinds in `tree.kind`.
pub const DIR: u8 = 0;
pub const FILE: u8 = 1;
/// Symlinks, hard links, devices, fifos: no bytes of their own.
pub const OTHER: u8 = 2;
/// "N small files": `files` of them, `bytes` in all.
pub const SMALL: u8 = 3;

/// Changes in `tree.change` (diff pages).
pub const UNCHANGED: u8 = 0;
pub const ADDED: u8 = 1;
pub const GROWN: u8 = 2;
pub const SHRUNK: u8 = 3;
pub const REMOVED: u8 = 4;
/// Same size, other content.
pub const REWRITTEN: u8 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One image: the treemap shows its final tree.
    Image,
    /// Two images: the treemap shows growth (see `Tree::change`).
    Diff,
}

#[derive(Debug, Serialize)]
pub struct PageData {
    /// Always "ballast-html".
    pub format: &'static str,
    pub version: u32,
    pub mode: Mode,
    pub header: Header,
    pub steps: Vec<StepRow>,
    /// Waste categories, indexed by `tree.category`.
    pub categories: Vec<String>,
    pub findings: Vec<FindingRow>,
    pub suggestions: Vec<SuggestionRow>,
    /// Indexed by `tree.package`.
    pub packages: Vec<PackageRow>,
    pub package_totals: PackageTotals,
    pub dive: Option<DiveRow>,
    pub tree: Tree,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Header {
    pub image: String,
    pub source: String,
    pub os_arch: String,
    pub size_bytes: u64,
    pub final_size_bytes: u64,
    /// The compressed layer blobs: what a pull downloads.
    pub compressed_size_bytes: u64,
    pub layer_count: usize,
    pub file_count: u64,
    pub reclaimable_bytes: u64,
    pub efficiency: f64,
    /// `None` when no budget was set.
    pub budget_passed: Option<bool>,
    pub budget_checks: Vec<CheckRow>,
    /// The other image of a diff page (its name), `None` otherwise.
    pub base_image: Option<String>,
    pub base_final_size_bytes: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct CheckRow {
    pub name: String,
    pub passed: bool,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct StepRow {
    pub index: usize,
    pub instruction: String,
    pub layer_index: Option<usize>,
    /// The layer's content bytes (0 for steps that made none).
    pub size_bytes: u64,
    /// Of those, the bytes still in the final image (the tree's files whose
    /// final version this step's layer wrote).
    pub final_bytes: u64,
    pub added: u64,
    pub modified: u64,
    pub removed: u64,
    /// `Some(true)` when the step belongs to the base image; `None` while
    /// the base is unknown. The bar chart splits yours from inherited when
    /// it is set.
    pub inherited: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct FindingRow {
    pub rule: String,
    pub category: String,
    pub severity: String,
    pub bytes: u64,
    pub step_index: Option<usize>,
    pub paths: Vec<String>,
    pub path_count: usize,
    pub message: String,
    pub suggestion: String,
    /// Tree nodes (indices) whose bytes this finding counts; a folded file
    /// is its "N small files" node.
    pub nodes: Vec<u32>,
}

#[derive(Debug, Serialize)]
pub struct SuggestionRow {
    pub step_index: usize,
    pub instruction: String,
    pub fixes: Vec<String>,
    pub bytes: u64,
}

#[derive(Debug, Serialize)]
pub struct PackageRow {
    pub manager: String,
    pub name: String,
    pub version: String,
    pub location: String,
    pub bytes: u64,
    pub file_count: u64,
    pub step_index: Option<usize>,
}

#[derive(Debug, Default, Serialize)]
pub struct PackageTotals {
    pub owned_bytes: u64,
    pub unowned_bytes: u64,
    /// (manager, packages, bytes).
    pub by_manager: Vec<(String, usize, u64)>,
}

#[derive(Debug, Serialize)]
pub struct DiveRow {
    pub efficiency: f64,
    pub wasted_bytes: u64,
    pub user_wasted_percent: Option<f64>,
    /// (path, count, wasted bytes), at most 50.
    pub inefficient_files: Vec<(String, u32, u64)>,
}

/// The final tree as columns; node 0 is the root (`parent[0] == 0`).
#[derive(Debug, Default, Serialize)]
pub struct Tree {
    pub name: Vec<String>,
    pub parent: Vec<u32>,
    /// [`DIR`], [`FILE`], [`OTHER`] or [`SMALL`].
    pub kind: Vec<u8>,
    /// Content bytes; a directory's is the sum of its children's.
    pub bytes: Vec<u64>,
    /// Files (non-directories) this node stands for.
    pub files: Vec<u64>,
    /// Step whose layer wrote the file's final version; -1 for directories.
    pub step: Vec<i32>,
    /// Index in `packages` of the owner; -1 for none.
    pub package: Vec<i32>,
    /// Index in `categories` of the first (largest) finding naming the
    /// file; -1 for none.
    pub category: Vec<i32>,
    /// Diff pages only: the bytes in the other (older) image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_bytes: Option<Vec<u64>>,
    /// Diff pages only: 0 unchanged, 1 added, 2 grown, 3 shrunk, 4 removed,
    /// 5 rewritten (same size, other content); for a directory, how its
    /// bytes moved (5: same total, something inside changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Vec<u8>>,
    /// Files smaller than this (or inside directories smaller than this)
    /// were folded into "N small files" nodes; 0 when none were.
    pub small_below: u64,
    /// How many files were folded.
    pub folded_files: u64,
}

/// One node of a final tree, before folding.
#[derive(Clone, Debug)]
struct Raw<'a> {
    id: NodeId,
    name: &'a [u8],
    parent: usize,
    kind: u8,
    bytes: u64,
    files: u64,
    step: i32,
    package: i32,
    category: i32,
    /// Diff pages: the bytes in the older image, and how the node changed.
    old: u64,
    change: u8,
    /// Content hash of a regular file (0 otherwise), to tell a rewrite of
    /// the same size from no change.
    hash: u128,
}

impl Raw<'_> {
    /// Bytes a tile of this node stands for: a removed file keeps its old
    /// size so it stays visible on a diff page.
    fn area(&self) -> u64 {
        self.bytes.max(self.old)
    }
}

/// Every node present in the final image, parents first, with sizes rolled
/// up. `raw[0]` is the root.
fn final_nodes<'a>(
    tree: &'a MergedTree,
    layers: &[LayerIndex],
    step_of_layer: &[usize],
    owner: &HashMap<NodeId, usize>,
    category_of: &HashMap<NodeId, usize>,
) -> Vec<Raw<'a>> {
    let mut raw = vec![Raw {
        id: ROOT,
        name: b"",
        parent: 0,
        kind: DIR,
        bytes: 0,
        files: 0,
        step: -1,
        package: -1,
        category: -1,
        old: 0,
        change: UNCHANGED,
        hash: 0,
    }];
    let Some(last) = layers.len().checked_sub(1) else {
        return raw;
    };
    let idx = |v: Option<&usize>| v.map_or(-1, |&i| i32::try_from(i).unwrap_or(-1));
    let mut stack = vec![0usize];
    while let Some(at) = stack.pop() {
        let id = raw[at].id;
        for c in tree.children(id) {
            let Some(st) = tree.state_at(layers, c, last) else {
                continue;
            };
            let kind = match st.entry.map(|e| e.kind) {
                None | Some(EntryKind::Dir) => DIR,
                Some(EntryKind::File) => FILE,
                Some(_) => OTHER,
            };
            let layer = st.version.layer as usize;
            raw.push(Raw {
                id: c,
                name: tree.name(c),
                parent: at,
                kind,
                bytes: st.size(),
                files: u64::from(kind != DIR),
                step: if kind == DIR {
                    -1
                } else {
                    idx(step_of_layer.get(layer))
                },
                package: idx(owner.get(&c)),
                category: idx(category_of.get(&c)),
                old: 0,
                change: UNCHANGED,
                hash: st
                    .entry
                    .filter(|e| e.kind == EntryKind::File)
                    .map_or(0, |e| e.hash),
            });
            if kind == DIR {
                stack.push(raw.len() - 1);
            }
        }
    }
    for i in (1..raw.len()).rev() {
        let (b, f, p) = (raw[i].bytes, raw[i].files, raw[i].parent);
        raw[p].bytes += b;
        raw[p].files += f;
    }
    raw
}

/// Folds small files until at most `budget` nodes remain; returns the tree
/// and, for each raw node, its index in it.
fn fold(raw: &[Raw], budget: usize, diff: bool) -> (Tree, Vec<u32>) {
    let mut small_below = 0u64;
    if raw.len() > budget {
        let mut values: Vec<u64> = raw[1..].iter().map(Raw::area).collect();
        values.sort_unstable_by(|a, b| b.cmp(a));
        // Half the budget for named nodes leaves room for the groups;
        // tighten until it fits.
        let mut keep = budget / 2;
        loop {
            small_below = values[keep.min(values.len() - 1)].saturating_add(1);
            let (t, map) = fold_at(raw, small_below, diff);
            if t.name.len() <= budget || keep < 16 {
                return (t, map);
            }
            keep = keep * 3 / 4;
        }
    }
    fold_at(raw, small_below, diff)
}

/// Group key of a folded file: (step, package, category, change).
type Key = (i32, i32, i32, u8);

fn fold_at(raw: &[Raw], small_below: u64, diff: bool) -> (Tree, Vec<u32>) {
    let kept = |i: usize| i == 0 || small_below == 0 || raw[i].area() >= small_below;
    // The nearest kept directory of each folded node.
    let mut home = vec![0usize; raw.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); raw.len()];
    // Per kept directory: (step, package, category) → (bytes, files).
    let mut groups: HashMap<usize, HashMap<Key, (u64, u64, u64)>> = HashMap::new();
    let mut folded_files = 0u64;
    for i in 1..raw.len() {
        let p = raw[i].parent;
        if kept(i) {
            children[p].push(i);
            home[i] = i;
        } else {
            home[i] = home[p];
            if raw[i].kind != DIR {
                folded_files += 1;
                let g = groups
                    .entry(home[i])
                    .or_default()
                    .entry(key(&raw[i]))
                    .or_default();
                g.0 += raw[i].bytes;
                g.1 += 1;
                g.2 += raw[i].old;
            }
        }
    }
    let mut t = Tree {
        small_below,
        folded_files,
        old_bytes: diff.then(Vec::new),
        change: diff.then(Vec::new),
        ..Tree::default()
    };
    let mut index = vec![u32::MAX; raw.len()];
    let push = |t: &mut Tree, name: String, parent: u32, r: &Raw, kind: u8| {
        t.name.push(name);
        t.parent.push(parent);
        t.kind.push(kind);
        t.bytes.push(r.bytes);
        t.files.push(r.files);
        t.step.push(r.step);
        t.package.push(r.package);
        t.category.push(r.category);
        if let Some(o) = &mut t.old_bytes {
            o.push(r.old);
        }
        if let Some(c) = &mut t.change {
            c.push(r.change);
        }
        u32::try_from(t.name.len() - 1).unwrap_or(u32::MAX)
    };
    // (directory, step, package, category) → its "N small files" node;
    // keys merged into a directory's last group map through `tail`.
    let mut group_of: HashMap<(u32, Key), u32> = HashMap::new();
    let mut tail: HashMap<u32, u32> = HashMap::new();
    index[0] = push(&mut t, String::new(), 0, &raw[0], DIR);
    let mut stack = vec![0usize];
    while let Some(d) = stack.pop() {
        let mut list: Vec<(u64, Child)> = children[d]
            .iter()
            .map(|&c| (raw[c].area(), Child::Node(c)))
            .collect();
        if let Some(g) = groups.remove(&d) {
            let mut g: Vec<_> = g.into_iter().collect();
            g.sort_by(|a, b| {
                (b.1.0.max(b.1.2))
                    .cmp(&a.1.0.max(a.1.2))
                    .then(a.0.cmp(&b.0))
            });
            let merged = g.len() > MAX_GROUPS;
            if merged {
                let sum = g[MAX_GROUPS - 1..].iter().fold((0, 0, 0), |acc, x| {
                    (acc.0 + x.1.0, acc.1 + x.1.1, acc.2 + x.1.2)
                });
                g.truncate(MAX_GROUPS);
                g[MAX_GROUPS - 1].1 = sum;
            }
            let last = g.len() - 1;
            for (n, ((step, package, category, change), (bytes, files, old))) in
                g.into_iter().enumerate()
            {
                let r = Raw {
                    id: ROOT,
                    name: b"",
                    parent: d,
                    kind: SMALL,
                    bytes,
                    files,
                    step,
                    package,
                    category,
                    old,
                    change,
                    hash: 0,
                };
                list.push((r.area(), Child::Small(r, merged && n == last)));
            }
        }
        let name_of = |c: &Child| match c {
            Child::Node(i) => raw[*i].name,
            Child::Small(..) => b"",
        };
        list.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| name_of(&a.1).cmp(name_of(&b.1))));
        let parent = index[d];
        for (_, c) in list {
            match c {
                Child::Node(i) => {
                    let mut name = String::new();
                    push_escaped(&mut name, raw[i].name);
                    index[i] = push(&mut t, name, parent, &raw[i], raw[i].kind);
                    if raw[i].kind == DIR {
                        stack.push(i);
                    }
                }
                Child::Small(r, is_tail) => {
                    let at = push(&mut t, String::new(), parent, &r, SMALL);
                    group_of.insert((parent, key(&r)), at);
                    if is_tail {
                        tail.insert(parent, at);
                    }
                }
            }
        }
    }
    let map = (0..raw.len())
        .map(|i| {
            if index[i] != u32::MAX {
                return index[i];
            }
            let h = index[home[i]];
            let r = &raw[i];
            group_of
                .get(&(h, key(r)))
                .or_else(|| tail.get(&h))
                .copied()
                .unwrap_or(h)
        })
        .collect();
    (t, map)
}

fn key(r: &Raw) -> Key {
    (r.step, r.package, r.category, r.change)
}

enum Child<'a> {
    Node(usize),
    /// A group of folded files; `true` for a directory's merged last group.
    Small(Raw<'a>, bool),
}

/// Everything the findings say about files of the final tree: each file's
/// first (largest) finding's category, and each finding's files.
struct FindingIndex {
    categories: Vec<String>,
    category_of: HashMap<NodeId, usize>,
}

fn finding_index(report: &Report) -> FindingIndex {
    let mut categories: Vec<String> = report.summary.by_category.keys().cloned().collect();
    let mut category_of = HashMap::new();
    for f in &report.findings {
        let c = match categories.iter().position(|c| *c == f.category) {
            Some(c) => c,
            None => {
                categories.push(f.category.clone());
                categories.len() - 1
            }
        };
        for item in &f.items {
            if let Item::Node(id, _) = item {
                category_of.entry(*id).or_insert(c);
            }
        }
    }
    FindingIndex {
        categories,
        category_of,
    }
}

/// One image's finished analysis, as a page needs it.
#[derive(Clone, Copy)]
pub struct Side<'a> {
    pub report: &'a Report,
    pub image: &'a ImageIndex,
    pub packages: &'a Attribution,
}

impl<'a> Side<'a> {
    fn step_of_layer(&self) -> Vec<usize> {
        self.report.layers.iter().map(|l| l.step_index).collect()
    }

    fn nodes(&self, category_of: &HashMap<NodeId, usize>) -> Vec<Raw<'a>> {
        final_nodes(
            &self.image.tree,
            &self.image.layers,
            &self.step_of_layer(),
            &self.packages.owner,
            category_of,
        )
    }
}

/// The page of one image.
pub fn image_page(report: &Report, image: &ImageIndex, packages: &Attribution) -> PageData {
    image_page_with_budget(report, image, packages, NODE_BUDGET)
}

/// [`image_page`] with another node budget (tests fold small trees).
pub fn image_page_with_budget(
    report: &Report,
    image: &ImageIndex,
    packages: &Attribution,
    budget: usize,
) -> PageData {
    let side = Side {
        report,
        image,
        packages,
    };
    let fi = finding_index(report);
    let raw = side.nodes(&fi.category_of);
    let raw_of: HashMap<NodeId, usize> = raw.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    page(report, fi.categories, &raw, &raw_of, budget, None)
}

/// The growth page: `new`'s final tree against `old`'s. Every path of
/// either is a node; `bytes` are `new`'s, `old_bytes` `old`'s, `change`
/// says how it moved. Steps, findings and packages are `new`'s.
pub fn diff_page(old: Side<'_>, new: Side<'_>) -> PageData {
    diff_page_with_budget(old, new, NODE_BUDGET)
}

/// [`diff_page`] with another node budget.
pub fn diff_page_with_budget(old: Side<'_>, new: Side<'_>, budget: usize) -> PageData {
    let fi = finding_index(new.report);
    let a = old.nodes(&HashMap::new());
    let b = new.nodes(&fi.category_of);
    let (raw, new_of) = union(&a, &b);
    let mut p = page(
        new.report,
        fi.categories,
        &raw,
        &new_of,
        budget,
        Some(old.report),
    );
    p.mode = Mode::Diff;
    p
}

/// The union of two final trees by path, parents first; returns it and, for
/// each of `b`'s tree nodes, its index in the union.
fn union<'a>(a: &[Raw<'a>], b: &[Raw<'a>]) -> (Vec<Raw<'a>>, HashMap<NodeId, usize>) {
    let children = |raw: &[Raw]| {
        let mut c: Vec<Vec<usize>> = vec![Vec::new(); raw.len()];
        for (i, r) in raw.iter().enumerate().skip(1) {
            c[r.parent].push(i);
        }
        c
    };
    let (ca, cb) = (children(a), children(b));
    let mut out: Vec<Raw<'a>> = vec![Raw {
        old: a[0].bytes,
        ..b[0].clone()
    }];
    let mut b_of = HashMap::new();
    b_of.insert(b[0].id, 0);
    let mut stack = vec![(Some(0usize), Some(0usize), 0usize)];
    while let Some((ia, ib, at)) = stack.pop() {
        let mut by_name: HashMap<&[u8], (Option<usize>, Option<usize>)> = HashMap::new();
        let mut order: Vec<&[u8]> = Vec::new();
        for (side, list) in [(0, ia.map(|i| &ca[i])), (1, ib.map(|i| &cb[i]))] {
            let Some(list) = list else { continue };
            let raw = if side == 0 { a } else { b };
            for &c in list {
                let e = by_name.entry(raw[c].name).or_insert_with(|| {
                    order.push(raw[c].name);
                    (None, None)
                });
                if side == 0 {
                    e.0 = Some(c);
                } else {
                    e.1 = Some(c);
                }
            }
        }
        for name in order {
            let (oa, ob) = by_name[name];
            let mut r = match (oa, ob) {
                (_, Some(j)) => {
                    let mut r = b[j].clone();
                    r.old = oa.map_or(0, |i| a[i].bytes);
                    r
                }
                (Some(i), None) => Raw {
                    bytes: 0,
                    old: a[i].bytes,
                    step: -1,
                    package: -1,
                    category: -1,
                    files: 0,
                    ..a[i].clone()
                },
                (None, None) => continue,
            };
            r.parent = at;
            r.change = match (oa, ob) {
                (None, _) => ADDED,
                (_, None) => REMOVED,
                (Some(_), Some(_)) if r.bytes > r.old => GROWN,
                (Some(_), Some(_)) if r.bytes < r.old => SHRUNK,
                (Some(i), Some(j)) if a[i].hash != b[j].hash || a[i].kind != b[j].kind => REWRITTEN,
                _ => UNCHANGED,
            };
            out.push(r);
            let k = out.len() - 1;
            if let Some(j) = ob {
                b_of.insert(b[j].id, k);
            }
            let dir_a = oa.filter(|&i| a[i].kind == DIR);
            let dir_b = ob.filter(|&j| b[j].kind == DIR);
            if dir_a.is_some() || dir_b.is_some() {
                out[k].kind = DIR;
                stack.push((dir_a, dir_b, k));
            }
        }
    }
    // A directory whose total did not move but holds a change is rewritten;
    // children come after parents, so one reverse sweep rolls it up.
    for k in (1..out.len()).rev() {
        if out[k].change != UNCHANGED {
            let p = out[k].parent;
            if out[p].change == UNCHANGED {
                out[p].change = REWRITTEN;
            }
        }
    }
    (out, b_of)
}

fn page(
    report: &Report,
    categories: Vec<String>,
    raw: &[Raw],
    raw_of: &HashMap<NodeId, usize>,
    budget: usize,
    base: Option<&Report>,
) -> PageData {
    let (t, map) = fold(raw, budget.max(2), base.is_some());
    let mut final_bytes = vec![0u64; report.steps.len()];
    for r in raw {
        if let Ok(s) = usize::try_from(r.step)
            && r.kind != DIR
            && let Some(b) = final_bytes.get_mut(s)
        {
            *b += r.bytes;
        }
    }
    let findings = report
        .findings
        .iter()
        .map(|f| {
            let mut nodes: Vec<u32> = f
                .items
                .iter()
                .filter_map(|it| match it {
                    Item::Node(id, _) => raw_of.get(id).map(|&i| map[i]),
                    Item::Version(..) => None,
                })
                .collect();
            nodes.sort_unstable();
            nodes.dedup();
            FindingRow {
                rule: f.rule.clone(),
                category: f.category.clone(),
                severity: format!("{:?}", f.severity).to_lowercase(),
                bytes: f.bytes,
                step_index: f.step_index,
                paths: f
                    .paths
                    .iter()
                    .take(FINDING_PATHS)
                    .map(ballast_analysis::report::PathBytes::display)
                    .collect(),
                path_count: f.path_count,
                message: f.message.clone(),
                suggestion: f.suggestion.clone(),
                nodes,
            }
        })
        .collect();
    let steps = report
        .steps
        .iter()
        .map(|s| {
            let l = s.layer_index.and_then(|l| report.layers.get(l));
            StepRow {
                index: s.index,
                instruction: s.instruction.clone(),
                layer_index: s.layer_index,
                size_bytes: s.size_bytes,
                final_bytes: final_bytes.get(s.index).copied().unwrap_or(0),
                added: l.map_or(0, |l| l.added),
                modified: l.map_or(0, |l| l.modified),
                removed: l.map_or(0, |l| l.removed),
                inherited: None,
            }
        })
        .collect();
    let p = &report.packages;
    let mut header = header(report);
    if let Some(base) = base {
        let h = self::header(base);
        header.base_image = Some(h.image);
        header.base_final_size_bytes = Some(h.final_size_bytes);
    }
    PageData {
        format: "ballast-html",
        version: 1,
        mode: Mode::Image,
        header,
        steps,
        categories,
        findings,
        suggestions: report
            .suggestions
            .iter()
            .map(|s| SuggestionRow {
                step_index: s.step_index,
                instruction: s.instruction.clone(),
                fixes: s.fixes.clone(),
                bytes: s.bytes,
            })
            .collect(),
        packages: p
            .list
            .iter()
            .map(|pk| PackageRow {
                manager: pk.manager.name().to_string(),
                name: pk.name.clone(),
                version: pk.version.clone(),
                location: pk.location.display(),
                bytes: pk.bytes,
                file_count: pk.file_count,
                step_index: pk.step_index,
            })
            .collect(),
        package_totals: PackageTotals {
            owned_bytes: p.owned_bytes,
            unowned_bytes: p.unowned_bytes,
            by_manager: p
                .by_manager
                .iter()
                .map(|(m, t)| (m.clone(), t.count, t.bytes))
                .collect(),
        },
        dive: Some(DiveRow {
            efficiency: report.dive.efficiency,
            wasted_bytes: report.dive.wasted_bytes,
            user_wasted_percent: report.dive.user_wasted_percent,
            inefficient_files: report
                .dive
                .inefficient_files
                .iter()
                .take(50)
                .map(|f| (f.path.display(), f.count, f.wasted_bytes))
                .collect(),
        }),
        tree: t,
        warnings: report.warnings.clone(),
    }
}

fn header(report: &Report) -> Header {
    let img = &report.image;
    let checks = &report.budget.checks;
    Header {
        image: img
            .repo_tags
            .first()
            .cloned()
            .unwrap_or_else(|| img.source.clone()),
        source: img.source.clone(),
        os_arch: format!("{}/{}", img.os, img.architecture),
        size_bytes: img.size_bytes,
        final_size_bytes: img.final_size_bytes,
        compressed_size_bytes: img.compressed_size_bytes,
        layer_count: img.layer_count,
        file_count: img.file_count,
        reclaimable_bytes: report.summary.reclaimable_bytes,
        efficiency: report.dive.efficiency,
        budget_passed: (!checks.is_empty()).then_some(report.budget.passed),
        budget_checks: checks
            .iter()
            .map(|c| CheckRow {
                name: c.name.clone(),
                passed: c.passed,
                message: c.message.clone(),
            })
            .collect(),
        base_image: None,
        base_final_size_bytes: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(id: NodeId, parent: usize, bytes: u64, step: i32) -> Raw<'static> {
        Raw {
            id,
            name: b"f",
            parent,
            kind: FILE,
            bytes,
            files: 1,
            step,
            package: -1,
            category: -1,
            old: 0,
            change: UNCHANGED,
            hash: 0,
        }
    }

    /// A root holding one big file and ten small ones from ten steps: the
    /// small ones fold into at most six groups, the smallest merged, and
    /// every byte and file is still counted once.
    #[test]
    fn small_files_fold_into_at_most_six_groups_per_directory() {
        let mut raw = vec![Raw {
            kind: DIR,
            files: 0,
            ..file(ROOT, 0, 0, -1)
        }];
        raw.push(file(1, 0, 1_000_000, 0));
        for s in 0..10u32 {
            raw.push(file(
                2 + s,
                0,
                100 + u64::from(s),
                i32::try_from(s).unwrap(),
            ));
        }
        raw[0].bytes = raw[1..].iter().map(|r| r.bytes).sum();
        raw[0].files = 11;
        // Half a budget of 4 keeps two nodes: the big file and the 109-byte one.
        let (t, map) = fold(&raw, 4, false);
        assert_eq!(t.small_below, 109);
        let groups: Vec<usize> = (0..t.name.len()).filter(|&i| t.kind[i] == SMALL).collect();
        assert_eq!(groups.len(), MAX_GROUPS);
        assert_eq!(t.bytes[1..].iter().sum::<u64>(), t.bytes[0]);
        assert_eq!(t.files[1..].iter().sum::<u64>(), 11);
        // Each folded file maps to a group; the four smallest (steps 0-3)
        // share the merged last one.
        for (i, &m) in map.iter().enumerate().take(11).skip(2) {
            assert_eq!(t.kind[m as usize], SMALL, "raw {i}");
        }
        assert_eq!(t.kind[map[11] as usize], FILE);
        let merged = map[2];
        assert!((3..6).all(|i| map[i] == merged));
        assert_eq!(
            (t.files[merged as usize], t.bytes[merged as usize]),
            (4, 406)
        );
    }
}
