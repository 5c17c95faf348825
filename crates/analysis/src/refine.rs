//! From everything found to what a user can act on, in the unit they act on:
//!
//! - paths the user ignores (`--ignore`, `[ignore]`) are dropped;
//! - a build toolchain becomes one finding per installing step naming its
//!   packages (`toolchain`), and the path rules keep only files no package
//!   owns;
//! - waste wholly inside the base image becomes one `base-image` finding
//!   whose fix is a slimmer base; nothing else points at an inherited step;
//! - duplicates wholly inside package-managed files (licences, docs) fold
//!   into one low-severity finding per package manager;
//! - model weights are payload: reported, never reclaimable.
//!
//! Pure: findings, attribution and settings in, findings out.

use std::collections::{BTreeMap, HashSet};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Serialize;

use super::base::{self, BaseInfo};
use super::findings::{Context, Finding, Item, Severity, plural};
use super::packages::{Attribution, Manager};
use super::report::PathBytes;
use crate::units::human;
use ballast_image::index::tree::NodeId;

/// Findings smaller than this are counted, not listed, in the text and
/// Markdown summaries (`--min-bytes`); the JSON report keeps them all.
pub const DEFAULT_MIN_BYTES: u64 = 100_000;
/// Paths listed per folded finding.
const MAX_PATHS: usize = 10;

/// How the user narrowed the findings.
#[derive(Clone, Debug, Default)]
pub struct Focus {
    /// Globs over image paths (no leading `/`) whose files are not waste.
    pub ignore: Vec<String>,
    /// Text and Markdown list findings of at least this many bytes.
    pub min_bytes: u64,
    /// Hide the base image (its steps and the `base-image` finding).
    pub only_own: bool,
}

/// `report.filters`: what was applied.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Filters {
    pub min_bytes: u64,
    /// Findings below `min_bytes` (listed here in the JSON, only counted in
    /// text and Markdown) and their bytes.
    pub below_min_count: usize,
    pub below_min_bytes: u64,
    pub only_own: bool,
    pub ignore: Vec<String>,
}

/// Compiles `--ignore` globs; the error names the bad one.
pub fn ignore_set(globs: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let pattern = g.trim_start_matches('/');
        let glob: Glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("bad pattern {g:?}: {}", e.kind()))?;
        b.add(glob);
        // `dir` also means everything under it.
        if let Ok(under) = GlobBuilder::new(&format!("{}/**", pattern.trim_end_matches('/')))
            .literal_separator(true)
            .build()
        {
            b.add(under);
        }
    }
    b.build().map_err(|e| e.to_string())
}

/// Keeps the items `keep` accepts; recomputes bytes, paths and severity.
fn retain(cx: &Context<'_>, f: &mut Finding, keep: impl Fn(NodeId) -> bool) {
    let before = f.items.len();
    f.items.retain(|i| keep(i.node(cx.tree)));
    if f.items.len() == before {
        return;
    }
    relist(cx, f);
}

/// Bytes, paths and severity from the items.
fn relist(cx: &Context<'_>, f: &mut Finding) {
    let mut items: Vec<(Item, NodeId)> = f.items.iter().map(|&i| (i, i.node(cx.tree))).collect();
    items.sort_by(|a, b| b.0.bytes().cmp(&a.0.bytes()).then(a.1.cmp(&b.1)));
    f.bytes = items.iter().map(|i| i.0.bytes()).sum();
    f.paths = items
        .iter()
        .map(|i| i.1)
        .collect::<Vec<_>>()
        .iter()
        .take(MAX_PATHS)
        .map(|&n| PathBytes::from_relative(&cx.tree.path(n)))
        .collect();
    f.path_count = items.len();
    f.items = items.into_iter().map(|i| i.0).collect();
    f.severity = cx.severity(f.bytes);
}

fn node_of(cx: &Context<'_>, p: &PathBytes) -> Option<NodeId> {
    cx.tree.lookup(p.0.strip_prefix(b"/").unwrap_or(&p.0))
}

/// Everything the module does, in order. `base` is the detected base image.
pub fn refine(
    cx: &Context<'_>,
    att: &Attribution,
    base: Option<&BaseInfo>,
    focus: &Focus,
    ignore: &GlobSet,
    found: Vec<Finding>,
) -> Vec<Finding> {
    let mut found = found;
    let wanted = |n: NodeId| !ignore.is_match(String::from_utf8_lossy(&cx.tree.path(n)).as_ref());
    // Packages as the unit: the toolchain by package, path rules for the
    // rest.
    let (toolchain, _) = super::toolchain::findings(cx, att);
    found.extend(toolchain);
    found.retain_mut(|f| {
        let had = !f.items.is_empty();
        if !ignore.is_empty() {
            retain(cx, f, wanted);
        }
        if f.category == "build-tooling" && f.rule != "build-toolchain" {
            retain(cx, f, |n| !att.owner.contains_key(&n));
        }
        // A finding whose every path was taken away is gone.
        !had || !f.items.is_empty()
    });
    // The base image apart.
    let base_layers = cx.base_layers;
    let base_steps = base.map_or(0, |b| b.step_count);
    let inherited = |f: &Finding| {
        f.layer_index.is_some_and(|l| l < base_layers)
            || f.step_index.is_some_and(|s| s < base_steps)
    };
    let (in_base, mut own): (Vec<Finding>, Vec<Finding>) =
        found.into_iter().partition(|f| inherited(f));
    if let Some(b) = base.filter(|_| !focus.only_own)
        && let Some(f) = base_image(cx, b, &in_base)
    {
        own.push(f);
    }
    let mut out = fold_package_duplicates(cx, att, own);
    for f in &mut out {
        if f.category == "model-weights" {
            f.reclaimable = false;
        }
    }
    super::findings::sort_findings(&mut out);
    out
}

/// One finding for the waste of the base image's own layers.
fn base_image(cx: &Context<'_>, b: &BaseInfo, in_base: &[Finding]) -> Option<Finding> {
    let sized: Vec<&Finding> = in_base.iter().filter(|f| f.bytes > 0).collect();
    if sized.is_empty() {
        return None;
    }
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    let mut by_cat: BTreeMap<&str, u64> = BTreeMap::new();
    for f in &sized {
        *by_cat.entry(f.category.as_str()).or_default() += f.bytes;
        for &i in &f.items {
            if seen.insert(i) {
                items.push(i);
            }
        }
    }
    let devel = sized
        .iter()
        .any(|f| f.rule == "cuda-devel" || f.packages.iter().any(|p| p.starts_with("cuda-")));
    let name = b.name.clone().unwrap_or_default();
    let what: Vec<String> = by_cat
        .iter()
        .map(|(c, bytes)| format!("{c} {}", human(*bytes)))
        .collect();
    let mut f = Finding {
        rule: "base-image".into(),
        category: "base-image".into(),
        severity: Severity::Low,
        bytes: 0,
        layer_index: None,
        step_index: None,
        paths: Vec::new(),
        path_count: 0,
        message: format!(
            "the base image{} ships waste of its own ({}); no step of yours can remove it",
            if name.is_empty() {
                String::new()
            } else {
                format!(" {name}")
            },
            what.join(", ")
        ),
        suggestion: format!(
            "Only another base removes it: {}",
            base::slimmer(&name, devel)
        ),
        reclaimable: false,
        keep: None,
        packages: Vec::new(),
        items,
    };
    relist(cx, &mut f);
    Some(f)
}

/// Duplicate groups whose every copy a package owns (licences, docs,
/// timezone data): one low-severity finding per manager.
fn fold_package_duplicates(
    cx: &Context<'_>,
    att: &Attribution,
    found: Vec<Finding>,
) -> Vec<Finding> {
    let manager_of = |n: NodeId| att.owner.get(&n).map(|&p| att.packages[p].manager);
    let mut folded: BTreeMap<Manager, Vec<Finding>> = BTreeMap::new();
    let mut out = Vec::new();
    for f in found {
        if f.rule != "duplicate-content" {
            out.push(f);
            continue;
        }
        let keep = f.keep.as_ref().and_then(|p| node_of(cx, p));
        let managers: HashSet<Option<Manager>> = f
            .items
            .iter()
            .map(|i| manager_of(i.node(cx.tree)))
            .chain(keep.map(manager_of))
            .collect();
        match managers.into_iter().collect::<Vec<_>>().as_slice() {
            [Some(m)] => folded.entry(*m).or_default().push(f),
            _ => out.push(f),
        }
    }
    for (m, fs) in folded {
        let groups = fs.len();
        // The step that added most of the bytes carries it.
        let mut by_layer: BTreeMap<usize, u64> = BTreeMap::new();
        for f in &fs {
            if let Some(l) = f.layer_index {
                *by_layer.entry(l).or_default() += f.bytes;
            }
        }
        let best = by_layer.values().copied().max().unwrap_or(0);
        let layer = by_layer.iter().find(|&(_, &b)| b == best).map(|(&l, _)| l);
        let mut seen = HashSet::new();
        let items: Vec<Item> = fs
            .iter()
            .flat_map(|f| f.items.iter().copied())
            .filter(|i| seen.insert(*i))
            .collect();
        let mut f = Finding {
            rule: "duplicate-package-files".into(),
            category: "duplicate-content".into(),
            severity: Severity::Low,
            bytes: 0,
            layer_index: layer,
            step_index: layer.and_then(|l| cx.step_of_layer.get(l).copied()),
            paths: Vec::new(),
            path_count: 0,
            message: format!(
                "{} of identical files inside {} packages (licences, docs, data shipped by several packages)",
                plural(groups, "group", "groups"),
                m.name()
            ),
            suggestion: match m {
                Manager::Dpkg => "Usually not worth acting on: the packages ship these files; to keep documentation and licences out, add `path-exclude=/usr/share/doc/*` to /etc/dpkg/dpkg.cfg.d/ before installing".to_string(),
                _ => format!(
                    "Usually not worth acting on: the {} packages ship these files themselves; removing them by hand breaks the packages' records",
                    m.name()
                ),
            },
            reclaimable: true,
            keep: None,
            packages: Vec::new(),
            items,
        };
        relist(cx, &mut f);
        f.severity = Severity::Low;
        out.push(f);
    }
    out
}
