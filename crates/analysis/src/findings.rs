//! Findings: where the dead weight is, the step that put it there, and the
//! fix. Three sources, each one pass:
//!
//! - the version history of every path: bytes a later layer deleted
//!   (`deleted-later`), replaced (`overwritten`) or re-added unchanged to
//!   alter mode or owner (`metadata-copy`) still ship in the lower layer;
//! - the final tree: path rules from the rule table (caches, build tooling,
//!   junk) and identical content at several paths (`duplicate-content`);
//! - the steps' instructions: dependency installs after `COPY .`
//!   (`build-order`) and unpinned installs (`reproducibility`).
//!
//! Every finding carries the items it covers, so totals can count each byte
//! once however many findings name it.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::report::PathBytes;
use super::rules::RuleSet;
use super::steps::Step;
use ballast_image::index::layer::{EntryKind, LayerIndex};
use ballast_image::index::tree::{MergedTree, NodeId, Version};

/// Paths listed per finding; the rest are counted in `path_count`.
const MAX_PATHS: usize = 10;
/// Smaller files are never reported as duplicates.
const MIN_DUPLICATE_BYTES: u64 = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub rule: String,
    pub category: String,
    pub severity: Severity,
    /// What acting on the finding saves in the image, each byte once.
    pub bytes: u64,
    pub layer_index: Option<usize>,
    pub step_index: Option<usize>,
    /// The largest paths first, at most ten.
    pub paths: Vec<PathBytes>,
    pub path_count: usize,
    pub message: String,
    pub suggestion: String,
    /// Whether the fix removes the bytes: false for payload (model weights
    /// a program needs) and for waste inside the base image; such bytes are
    /// never in `summary.reclaimable_bytes`.
    pub reclaimable: bool,
    /// duplicate-content: the copy to keep (the others are `paths`' rest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep: Option<PathBytes>,
    /// Package-level findings: the packages, by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
    /// What the bytes are, for de-duplicated totals; not serialized.
    #[serde(skip)]
    pub items: Vec<Item>,
}

/// One thing a finding counts: a superseded version, or a file of the final
/// tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Item {
    Version(u32, u64),
    Node(NodeId, u64),
}

impl Item {
    pub fn bytes(self) -> u64 {
        match self {
            Item::Version(_, b) | Item::Node(_, b) => b,
        }
    }

    /// The path the item is about.
    pub fn node(self, tree: &MergedTree) -> NodeId {
        match self {
            Item::Node(n, _) => n,
            Item::Version(v, _) => tree.versions()[v as usize].node,
        }
    }
}

pub struct Context<'a> {
    pub layers: &'a [LayerIndex],
    pub tree: &'a MergedTree,
    pub steps: &'a [Step],
    pub step_of_layer: &'a [usize],
    pub rules: &'a RuleSet,
    /// The final image's content bytes, for severities.
    pub image_bytes: u64,
    /// The first `base_layers` layers are the base image's.
    pub base_layers: usize,
}

impl Context<'_> {
    fn step(&self, layer: usize) -> Option<&Step> {
        self.step_of_layer
            .get(layer)
            .and_then(|&s| self.steps.get(s))
    }
    pub(super) fn step_label(&self, layer: usize) -> String {
        match self.step(layer) {
            Some(s) => format!(
                "step {} ({})",
                s.index,
                crate::units::ellipsize_middle(&s.instruction, 60)
            ),
            None => format!("layer {layer}"),
        }
    }
    pub(super) fn severity(&self, bytes: u64) -> Severity {
        let share = if self.image_bytes == 0 {
            0.0
        } else {
            bytes as f64 / self.image_bytes as f64
        };
        if bytes >= 100_000_000 || share >= 0.10 {
            Severity::High
        } else if bytes >= 10_000_000 || share >= 0.01 {
            Severity::Medium
        } else {
            Severity::Low
        }
    }
}

/// A group of items on its way to becoming a finding, each with the node
/// whose path it lists.
pub(super) struct Group {
    items: Vec<(Item, NodeId)>,
}

impl Group {
    /// Files of the final tree, with their bytes.
    pub(super) fn of_nodes(nodes: impl IntoIterator<Item = (NodeId, u64)>) -> Group {
        Group {
            items: nodes
                .into_iter()
                .map(|(node, bytes)| (Item::Node(node, bytes), node))
                .collect(),
        }
    }

    fn bytes(&self) -> u64 {
        self.items.iter().map(|(i, _)| i.bytes()).sum()
    }
}

/// The finding for `g`'s items, attributed to `layer`'s step: the largest
/// paths listed first, the severity from the bytes. Every finding about
/// bytes is built here, so all list and count their paths alike.
pub(super) fn finish(
    cx: &Context<'_>,
    rule: &str,
    category: &str,
    layer: usize,
    mut g: Group,
    message: String,
    suggestion: String,
) -> Finding {
    g.items
        .sort_by(|a, b| b.0.bytes().cmp(&a.0.bytes()).then(a.1.cmp(&b.1)));
    let bytes = g.bytes();
    let paths = g
        .items
        .iter()
        .take(MAX_PATHS)
        .map(|(_, n)| PathBytes::from_relative(&cx.tree.path(*n)))
        .collect();
    Finding {
        rule: rule.to_string(),
        category: category.to_string(),
        severity: cx.severity(bytes),
        bytes,
        layer_index: Some(layer),
        step_index: cx.step_of_layer.get(layer).copied(),
        paths,
        path_count: g.items.len(),
        message,
        suggestion,
        reclaimable: true,
        keep: None,
        packages: Vec::new(),
        items: g.items.into_iter().map(|(i, _)| i).collect(),
    }
}

pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn file_size(cx: &Context<'_>, v: &Version) -> Option<u64> {
    let e = &cx.layers[v.layer as usize].entries[v.entry_index()?];
    (e.kind == EntryKind::File && e.size > 0).then_some(e.size)
}

/// Superseded versions: every byte a lower layer ships that the final image
/// does not show.
fn superseded(cx: &Context<'_>, out: &mut Vec<Finding>) {
    #[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
    enum Kind {
        Deleted,
        Overwritten,
        MetadataCopy,
        /// A base image's file deleted, replaced or re-added by a step of
        /// this build: that step is the cause (and the fix).
        BaseDeleted,
        BaseOverwritten,
        BaseMetadataCopy,
    }
    let base = cx.base_layers;
    let in_base = |l: u32| (l as usize) < base;
    // (kind, layer the bytes are attributed to, the other layer) → items
    let mut groups: BTreeMap<(Kind, usize, usize), Group> = BTreeMap::new();
    let versions = cx.tree.versions();
    for (vi, older) in versions.iter().enumerate() {
        if !older.present {
            continue;
        }
        let Some(size) = file_size(cx, older) else {
            continue;
        };
        // A hard link in the final image still names this inode: the
        // container sees these bytes, so they are not waste.
        let last = cx.layers.len().saturating_sub(1);
        if cx
            .tree
            .held_by_link(older.layer as usize, older.entry as usize, last)
        {
            continue;
        }
        // The version that replaced this one is the one whose `prev` it is;
        // versions are pushed in layer order, so scan the node's history.
        let Some(newer) = cx
            .tree
            .history(older.node)
            .take_while(|v| v.layer > older.layer)
            .last()
        else {
            continue;
        };
        let item = (
            Item::Version(u32::try_from(vi).unwrap_or(u32::MAX), size),
            older.node,
        );
        let base_caused = in_base(older.layer) && !in_base(newer.layer);
        let key = if newer.present {
            let same = newer
                .entry_index()
                .map(|i| &cx.layers[newer.layer as usize].entries[i])
                .is_some_and(|e| {
                    e.kind == EntryKind::File
                        && e.hash
                            == cx.layers[older.layer as usize].entries[older.entry as usize].hash
                });
            if same {
                (
                    if base_caused {
                        Kind::BaseMetadataCopy
                    } else {
                        Kind::MetadataCopy
                    },
                    newer.layer as usize,
                    older.layer as usize,
                )
            } else if base_caused {
                (
                    Kind::BaseOverwritten,
                    newer.layer as usize,
                    older.layer as usize,
                )
            } else {
                (
                    Kind::Overwritten,
                    older.layer as usize,
                    newer.layer as usize,
                )
            }
        } else if base_caused {
            (
                Kind::BaseDeleted,
                newer.layer as usize,
                older.layer as usize,
            )
        } else {
            (Kind::Deleted, older.layer as usize, newer.layer as usize)
        };
        groups
            .entry(key)
            .or_insert_with(|| Group { items: Vec::new() })
            .items
            .push(item);
    }
    for ((kind, layer, other), g) in groups {
        let n = g.items.len();
        let files = plural(n, "file", "files");
        let other_step = cx.step_label(other);
        let added_here = format!("{files} added here {}", if n == 1 { "is" } else { "are" });
        let (rule, category, message, suggestion) = match kind {
            Kind::Deleted => (
                "deleted-later",
                "deleted-later",
                format!(
                    "{added_here} deleted by {other_step}, but still {} in this layer",
                    if n == 1 { "ships" } else { "ship" }
                ),
                "Remove them in the same RUN that creates them (`… && rm -rf …`), or produce them in a build stage / cache mount so they never reach a layer".to_string(),
            ),
            Kind::Overwritten => (
                "overwritten",
                "overwritten",
                format!("{added_here} replaced by {other_step}; the first version still ships"),
                format!("Write the final version in one step: fold the change made by {other_step} into this step"),
            ),
            Kind::MetadataCopy => (
                "metadata-copy",
                "metadata-copy",
                format!(
                    "this step re-adds {files} with identical content (only mode, owner or timestamp changed), storing {} again",
                    if n == 1 { "it" } else { "them" }
                ),
                format!(
                    "Set owner and mode where the files are created: `COPY --chown=UID:GID --chmod=MODE …` in {other_step}, or chmod/chown in the same RUN that wrote them"
                ),
            ),
            Kind::BaseDeleted => (
                "deleted-base-files",
                "deleted-later",
                format!(
                    "this step deletes {files} of the base image, which still {} in the base layer: deleting {} saves nothing",
                    if n == 1 { "ships" } else { "ship" },
                    if n == 1 { "it" } else { "them" }
                ),
                "Deleting a base image's files does not shrink the image: drop the deletion, or build on a base without them (a `-slim` or distroless base)".to_string(),
            ),
            Kind::BaseOverwritten => (
                "modified-base-files",
                "overwritten",
                format!(
                    "this step replaces {files} of the base image; the base's version still ships"
                ),
                "Leave the base image's files as they are (no `sed -i`, upgrades or rewrites of base files): every change stores a second copy; choose a base that already has what you need".to_string(),
            ),
            Kind::BaseMetadataCopy => (
                "metadata-copy-base-files",
                "metadata-copy",
                format!(
                    "this step re-adds {files} of the base image with identical content (only mode, owner or timestamp changed), storing {} again",
                    if n == 1 { "it" } else { "them" }
                ),
                "Don't chmod/chown the base image's files (`chmod -R`/`chown -R` over system directories copies every file): change only the paths your program writes, created with the right owner (`COPY --chown`, `install -o`), or run as a user that needs no change".to_string(),
            ),
        };
        let mut f = finish(cx, rule, category, layer, g, message, suggestion);
        // The dead bytes sit in the base's layer: no step of this build
        // can remove them.
        f.reclaimable = !matches!(kind, Kind::BaseDeleted | Kind::BaseOverwritten);
        out.push(f);
    }
}

/// One walk of the final tree: rule matches and duplicate content.
fn final_tree(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(last) = cx.layers.len().checked_sub(1) else {
        return;
    };
    let mut by_rule: BTreeMap<(usize, usize), Group> = BTreeMap::new();
    let mut by_hash: HashMap<u128, Vec<(usize, NodeId, u64)>> = HashMap::new();
    let mut matched = Vec::new();
    cx.tree.walk_present(cx.layers, last, |path, c, st| {
        let Some(e) = st.entry.filter(|e| e.kind == EntryKind::File) else {
            return;
        };
        let layer = cx.tree.content_origin(cx.layers, c, st.version);
        cx.rules.matching(path, &mut matched);
        for &r in &matched {
            let rule = &cx.rules.rules[r];
            if !rule.only_after.is_empty() {
                let instr = cx.step(layer).map_or("", |s| s.instruction.as_str());
                if !rule
                    .only_after
                    .iter()
                    .any(|w| instr.starts_with(w.as_str()))
                {
                    continue;
                }
            }
            by_rule
                .entry((r, layer))
                .or_insert_with(|| Group { items: Vec::new() })
                .items
                .push((Item::Node(c, e.size), c));
        }
        if e.size >= MIN_DUPLICATE_BYTES {
            by_hash.entry(e.hash).or_default().push((layer, c, e.size));
        }
    });
    for ((r, layer), g) in by_rule {
        let rule = &cx.rules.rules[r];
        if g.bytes() == 0 || g.bytes() < rule.min_bytes {
            continue;
        }
        let message = format!(
            "{} ({})",
            rule.message,
            plural(g.items.len(), "file", "files")
        );
        let suggestion = if rule.suggestion.contains(SITE_PACKAGES) {
            rule.suggestion
                .replace(SITE_PACKAGES, &site_packages_dirs(cx, &g))
        } else {
            rule.suggestion.clone()
        };
        out.push(finish(
            cx,
            &rule.id,
            &rule.category,
            layer,
            g,
            message,
            suggestion,
        ));
    }
    duplicates(cx, by_hash, out);
}

/// The placeholder a rule's suggestion uses for where the files are.
const SITE_PACKAGES: &str = "{site_packages}";

/// The site-packages / dist-packages directories `g`'s files are in, as
/// shell words (at most four; the largest share first).
fn site_packages_dirs(cx: &Context<'_>, g: &Group) -> String {
    let mut dirs: Vec<(String, u64)> = Vec::new();
    for (item, node) in &g.items {
        let path = cx.tree.path(*node);
        let comps: Vec<&[u8]> = path.split(|&b| b == b'/').collect();
        let Some(i) = comps
            .iter()
            .position(|c| *c == b"site-packages" || *c == b"dist-packages")
        else {
            continue;
        };
        let dir = PathBytes::from_relative(&comps[..=i].join(&b'/')).display();
        match dirs.iter_mut().find(|d| d.0 == dir) {
            Some(d) => d.1 += item.bytes(),
            None => dirs.push((dir, item.bytes())),
        }
    }
    dirs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if dirs.is_empty() {
        return "/usr/local/lib/python3*/site-packages".into();
    }
    dirs.iter()
        .take(4)
        .map(|d| d.0.clone())
        .collect::<Vec<_>>()
        .join(" ")
}

fn duplicates(
    cx: &Context<'_>,
    by_hash: HashMap<u128, Vec<(usize, NodeId, u64)>>,
    out: &mut Vec<Finding>,
) {
    let mut groups: Vec<Vec<(usize, NodeId, u64)>> =
        by_hash.into_values().filter(|v| v.len() > 1).collect();
    for g in &mut groups {
        g.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| cx.tree.path(a.1).cmp(&cx.tree.path(b.1)))
        });
    }
    groups.sort_by(|a, b| {
        (b[0].2 * (b.len() as u64 - 1))
            .cmp(&(a[0].2 * (a.len() as u64 - 1)))
            .then(a[0].1.cmp(&b[0].1))
    });
    for g in groups {
        let keep = g[0].1;
        let keep_path = PathBytes::from_relative(&cx.tree.path(keep));
        let copies = &g[1..];
        // The step to change: the one that added most of the extra copies
        // (ties: the first).
        let mut per_layer: BTreeMap<usize, usize> = BTreeMap::new();
        for c in copies {
            *per_layer.entry(c.0).or_default() += 1;
        }
        let most = per_layer.values().copied().max().unwrap_or(0);
        let layer = per_layer
            .iter()
            .find(|&(_, &n)| n == most)
            .map_or(g[0].0, |(&l, _)| l);
        let size = g[0].2;
        let mut f = finish(
            cx,
            "duplicate-content",
            "duplicate-content",
            layer,
            Group::of_nodes(copies.iter().map(|&(_, c, s)| (c, s))),
            format!(
                "{} copies of the same {} file in the final image; {} extra",
                g.len(),
                crate::units::human(size),
                plural(copies.len(), "is", "are")
            ),
            format!(
                "Keep one copy ({}): reference it (a symlink, or pass its path) instead of copying it",
                keep_path.display()
            ),
        );
        // Every copy: the extra ones (what the fix removes), then the kept
        // one.
        f.paths.truncate(MAX_PATHS - 1);
        f.paths.push(keep_path.clone());
        f.path_count += 1;
        f.keep = Some(keep_path);
        out.push(f);
    }
}

const INSTALL_WORDS: [&str; 9] = [
    "pip install -r",
    "pip3 install -r",
    "pip install .",
    "pip install -e",
    "poetry install",
    "npm install",
    "npm ci",
    "yarn install",
    "uv sync",
];

/// Steps that copy the whole build context.
fn copies_whole_context(s: &Step) -> bool {
    let i = s.instruction.as_str();
    (i.starts_with("COPY ") || i.starts_with("ADD "))
        && (i.starts_with("COPY . ")
            || i.starts_with("ADD . ")
            || i.starts_with("COPY ./ ")
            || i.contains(" dir:"))
}

/// Unpinned package installs and dependency installs after `COPY .`.
fn from_history(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let mut copied_context: Option<&Step> = None;
    for s in cx.steps {
        if copies_whole_context(s) && copied_context.is_none() {
            copied_context = Some(s);
        }
        let instr = s.instruction.as_str();
        if !instr.starts_with("RUN ") {
            continue;
        }
        if let Some(c) = copied_context
            && INSTALL_WORDS.iter().any(|w| instr.contains(w))
        {
            out.push(about_step(
                s,
                "copy-before-install",
                "build-order",
                format!(
                    "dependencies are installed after step {} copies the whole build context, so every code change reinstalls them",
                    c.index
                ),
                "COPY the dependency files first (requirements.txt / pyproject.toml / package*.json), install, then COPY the rest",
            ));
        }
        let unpinned = unpinned_packages(instr);
        if !unpinned.is_empty() {
            out.push(about_step(
                s,
                "unpinned-install",
                "reproducibility",
                format!("packages installed without a pinned version: {}", unpinned.join(", ")),
                "Pin versions (`pip install pkg==1.2.3`, `apt-get install pkg=1.2-3`) or install from a lock file, so rebuilds give the same image",
            ));
        }
    }
}

/// A finding about how a step is written, not about bytes it ships: no
/// paths, no bytes, severity info.
fn about_step(s: &Step, rule: &str, category: &str, message: String, suggestion: &str) -> Finding {
    Finding {
        rule: rule.to_string(),
        category: category.to_string(),
        severity: Severity::Info,
        bytes: 0,
        layer_index: s.layer_index,
        step_index: Some(s.index),
        paths: Vec::new(),
        path_count: 0,
        message,
        suggestion: suggestion.to_string(),
        reclaimable: true,
        keep: None,
        packages: Vec::new(),
        items: Vec::new(),
    }
}

/// Package names in `pip install` / `apt-get install` commands that carry
/// no version.
pub fn unpinned_packages(instr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for cmd in instr.split(['&', ';', '|']) {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let Some(pos) = words.windows(2).position(|w| {
            matches!(w[0], "pip" | "pip3" | "apt-get" | "apt" | "conda" | "mamba") || w[0].ends_with("/pip")
        } && w[1] == "install")
        .or_else(|| words.windows(3).position(|w| w[0].starts_with("python") && w[1] == "-m" && w[2] == "pip").map(|p| p + 1)) else {
            continue;
        };
        let manager = words[pos];
        let pinned_sep = if manager.contains("apt") || manager == "conda" || manager == "mamba" {
            "="
        } else {
            "=="
        };
        let mut skip_next = false;
        for w in words.iter().skip(pos + 2) {
            if skip_next {
                skip_next = false;
                continue;
            }
            if w.starts_with('-') {
                // Options that take a value: the value is not a package.
                skip_next = matches!(
                    *w,
                    "-r" | "-c"
                        | "-e"
                        | "--requirement"
                        | "--constraint"
                        | "-i"
                        | "--index-url"
                        | "--extra-index-url"
                        | "-t"
                        | "--target"
                        | "-f"
                        | "--find-links"
                        | "-o"
                );
                continue;
            }
            let w = w.trim_matches(|c| c == '"' || c == '\'');
            if w.is_empty()
                || w.contains('/')
                || w.starts_with('.')
                || w.contains("://")
                || w.ends_with(".whl")
            {
                continue;
            }
            let pinned = w.contains(pinned_sep)
                || w.contains("===")
                || (pinned_sep == "==" && (w.contains("~=") || w.contains('<') || w.contains('>')));
            if !pinned && w != "pip" && w != "setuptools" && w != "wheel" {
                out.push(w.to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// All findings, largest first.
pub fn find(cx: &Context<'_>) -> Vec<Finding> {
    // The version history and the final tree are read independently, and
    // on a 300k-file image each is a fair share of the analysis.
    let (mut out, from_tree) = rayon::join(
        || {
            let mut out = Vec::new();
            superseded(cx, &mut out);
            out
        },
        || {
            let mut out = Vec::new();
            final_tree(cx, &mut out);
            out
        },
    );
    out.extend(from_tree);
    from_history(cx, &mut out);
    sort_findings(&mut out);
    out
}

/// The report's order: largest first, then by step, rule and paths.
pub fn sort_findings(out: &mut [Finding]) {
    out.sort_by(|a, b| {
        b.bytes
            .cmp(&a.bytes)
            .then(a.step_index.cmp(&b.step_index))
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.paths.cmp(&b.paths))
    });
}

/// Bytes of the union of the findings' items: nothing counted twice.
pub fn union_bytes<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> u64 {
    let mut seen = HashSet::new();
    let mut total = 0u64;
    for f in findings {
        for &item in &f.items {
            let key = match item {
                Item::Version(v, _) => (0u8, u64::from(v)),
                Item::Node(n, _) => (1u8, u64::from(n)),
            };
            if seen.insert(key) {
                total += item.bytes();
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpinned_installs_are_named() {
        assert_eq!(
            unpinned_packages("RUN pip install torch numpy==1.26.4"),
            ["torch"]
        );
        assert_eq!(
            unpinned_packages("RUN apt-get update && apt-get install -y gcc make=4.3-4.1"),
            ["gcc"]
        );
        assert!(unpinned_packages("RUN pip install -r requirements.txt").is_empty());
        assert!(unpinned_packages("RUN pip install --no-cache-dir -e .").is_empty());
        assert_eq!(
            unpinned_packages("RUN python -m pip install 'requests>=2'"),
            Vec::<String>::new()
        );
        assert_eq!(
            unpinned_packages("RUN python3 -m pip install flask"),
            ["flask"]
        );
        assert!(
            unpinned_packages("RUN echo pip install x").is_empty()
                || unpinned_packages("RUN echo pip install x") == ["x"]
        );
    }

    #[test]
    fn whole_context_copies_are_recognized() {
        let step = |i: &str| Step {
            index: 0,
            created_by: String::new(),
            instruction: i.into(),
            empty_layer: false,
            layer_index: Some(0),
        };
        assert!(copies_whole_context(&step("COPY . /app")));
        assert!(copies_whole_context(&step("COPY dir:5b80 in /app/")));
        assert!(!copies_whole_context(&step("COPY requirements.txt /app/")));
        assert!(!copies_whole_context(&step("COPY file:0cde in /models/m")));
    }
}
