//! `ballast diff`: compare two finished reports (OLD and NEW), and, when both
//! images were analysed, their final trees file by file. Pure: reports and
//! file lists in, one [`DiffReport`] out; loading the images (each shared
//! layer indexed once) is the binary's `pair` module's job, showing the result the
//! printers'.
//!
//! Steps are matched by their cleaned instruction with the content hashes
//! builders write into `COPY`/`ADD` lines (`COPY dir:<sha> in /app`) left
//! out, as a longest common subsequence; what is left is a move (the same
//! instruction elsewhere), an edit (another instruction of the same kind in
//! the same place), or an addition/removal.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use super::budget::{BudgetCheck, BudgetVerdict, Figure};
use super::diff_report::{
    CategoryChange, DIFF_SCHEMA_VERSION, DiffReport, DirChange, FindingRef, FindingsChange,
    LayerPull, PackageChange, PackageRef, PackagesChange, PathChange, PathStatus, PathsChange,
    PullCost, RebuiltFrom, Side, SideFinding, SideInfo, SideKind, SidePackage, SideStep,
    SizeChange, StepChange, StepStatus,
};
use super::report::{PathBytes, Report};
use crate::units::human;
use ballast_image::ImageIndex;
use ballast_image::index::layer::EntryKind;

/// Files listed in the JSON's `paths.files`; all are in `all_paths`.
const TOP_FILES: usize = 30;
/// Directories listed in `paths.directories`.
const TOP_DIRS: usize = 15;
/// Deepest directory level rolled up.
const DIR_DEPTH: usize = 3;
/// Above this many step pairs the matcher goes greedy instead of LCS.
const LCS_CELLS: usize = 4_000_000;

/// The files of an image's final tree: path (no leading slash) → (content
/// bytes, content hash).
#[derive(Clone, Debug, Default)]
pub struct FileSizes(HashMap<Vec<u8>, (u64, u128)>);

impl FileSizes {
    /// Every non-directory of the final image.
    pub fn of_image(image: &ImageIndex) -> FileSizes {
        let mut m = HashMap::new();
        image.walk_final(|path, _, st| {
            if let Some(e) = st.entry
                && e.kind != EntryKind::Dir
            {
                m.insert(path.to_vec(), (e.size, e.hash));
            }
        });
        FileSizes(m)
    }
}

/// Limits on a change: exit 1 when one is exceeded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DiffBudgets {
    pub max_growth: Option<u64>,
    /// A ratio: 0.1 is 10 %.
    pub max_growth_percent: Option<f64>,
    pub max_pull: Option<u64>,
    /// Categories (or rule ids) no new finding may have.
    pub fail_on_new: Vec<String>,
}

impl DiffBudgets {
    /// Fills what `self` leaves unset from `other` (flags over file).
    pub fn or(mut self, other: DiffBudgets) -> DiffBudgets {
        self.max_growth = self.max_growth.or(other.max_growth);
        self.max_growth_percent = self.max_growth_percent.or(other.max_growth_percent);
        self.max_pull = self.max_pull.or(other.max_pull);
        if self.fail_on_new.is_empty() {
            self.fail_on_new = other.fail_on_new;
        }
        self
    }
}

/// The part of `r` a comparison reads, exactly as a saved `--json` report
/// would give it back.
pub fn side_of(r: &Report) -> Result<Side, String> {
    serde_json::to_value(r)
        .and_then(serde_json::from_value)
        .map_err(|e| format!("report: {e}"))
}

/// A saved report (`ballast IMAGE --json`) as the OLD side.
pub fn parse_baseline(json: &str) -> Result<Side, String> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("not a JSON report: {e}"))?;
    match v.get("schema_version").and_then(serde_json::Value::as_u64) {
        // Version 2 changed what `reclaimable_bytes` counts (payload and
        // the base image's waste left out), not the fields read here.
        Some(n) if (1..=u64::from(crate::report::SCHEMA_VERSION)).contains(&n) => {}
        Some(n) => {
            return Err(format!(
                "report schema_version {n}; this ballast reads versions 1 to {}",
                crate::report::SCHEMA_VERSION
            ));
        }
        None => {
            return Err(
                "not a ballast report (no schema_version; write one with `ballast IMAGE --json FILE`)"
                    .into(),
            );
        }
    }
    serde_json::from_value(v).map_err(|e| format!("not a ballast report: {e}"))
}

/// One side as given to [`compare`].
pub struct Input<'a> {
    pub side: &'a Side,
    pub kind: SideKind,
    /// The final tree's files; `None` for a saved report.
    pub files: Option<&'a FileSizes>,
}

/// Compares OLD with NEW and checks `budgets`.
pub fn compare(old: &Input<'_>, new: &Input<'_>, budgets: &DiffBudgets) -> DiffReport {
    let (o, n) = (old.side, new.side);
    let mut warnings = Vec::new();
    if o.layers
        .iter()
        .chain(&n.layers)
        .any(|l| l.diff_id.is_none())
    {
        warnings.push(
            "some layers have no diff_id in their config: pull cost counts them as new".into(),
        );
    }
    let pull = pull_cost(o, n);
    let steps = match_steps(o, n);
    let (paths, all_paths) = match (old.files, new.files) {
        (Some(a), Some(b)) => {
            let (section, all) = compare_paths(a, b);
            (Some(section), all)
        }
        _ => (None, Vec::new()),
    };
    let mut needs_old_image = Vec::new();
    if paths.is_none() {
        needs_old_image.push(
            "paths: which files appeared, vanished or changed size needs OLD's image (a saved report lists no files)"
                .to_string(),
        );
    }
    let findings = compare_findings(o, n, &steps);
    let size = SizeChange {
        delta_bytes: delta(o.image.size_bytes, n.image.size_bytes),
        delta_ratio: (o.image.size_bytes > 0).then(|| {
            delta(o.image.size_bytes, n.image.size_bytes) as f64 / o.image.size_bytes as f64
        }),
        compressed_delta_bytes: delta(o.image.compressed_size_bytes, n.image.compressed_size_bytes),
        final_delta_bytes: delta(o.image.final_size_bytes, n.image.final_size_bytes),
        reclaimable_delta_bytes: delta(o.summary.reclaimable_bytes, n.summary.reclaimable_bytes),
    };
    let mut report = DiffReport {
        schema_version: DIFF_SCHEMA_VERSION,
        old: side_info(o, old.kind),
        new: side_info(n, new.kind),
        size,
        pull,
        steps,
        paths,
        packages: compare_packages(o, n),
        findings,
        needs_old_image,
        budget: BudgetVerdict::default(),
        warnings,
        all_paths,
    };
    report.budget = evaluate(&report, budgets);
    report
}

fn delta(old: u64, new: u64) -> i64 {
    i64::try_from(i128::from(new) - i128::from(old)).unwrap_or(i64::MAX)
}

fn side_info(s: &Side, from: SideKind) -> SideInfo {
    SideInfo {
        source: s.image.source.clone(),
        name: s
            .image
            .repo_tags
            .first()
            .cloned()
            .unwrap_or_else(|| s.image.source.clone()),
        from,
        size_bytes: s.image.size_bytes,
        compressed_size_bytes: s.image.compressed_size_bytes,
        final_size_bytes: s.image.final_size_bytes,
        file_count: s.image.file_count,
        layer_count: s.image.layer_count,
        reclaimable_bytes: s.summary.reclaimable_bytes,
    }
}

fn pull_cost(o: &Side, n: &Side) -> PullCost {
    let mut old_at: HashMap<&str, usize> = HashMap::new();
    for (i, l) in o.layers.iter().enumerate() {
        if let Some(d) = &l.diff_id {
            old_at.entry(d.as_str()).or_insert(i);
        }
    }
    let mut layers = Vec::with_capacity(n.layers.len());
    let (mut reused_layers, mut reused_bytes) = (0, 0);
    let (mut download_layers, mut download_bytes) = (0, 0);
    let mut fetched: HashSet<&str> = HashSet::new();
    for (i, l) in n.layers.iter().enumerate() {
        let old_index = l.diff_id.as_deref().and_then(|d| old_at.get(d).copied());
        if old_index.is_some() {
            reused_layers += 1;
            reused_bytes += l.compressed_size_bytes;
        } else if l.diff_id.as_deref().is_none_or(|d| fetched.insert(d)) {
            download_layers += 1;
            download_bytes += l.compressed_size_bytes;
        }
        layers.push(LayerPull {
            index: i,
            diff_id: l.diff_id.clone(),
            compressed_size_bytes: l.compressed_size_bytes,
            old_index,
        });
    }
    let first = n.layers.iter().enumerate().position(|(i, l)| {
        l.diff_id.is_none()
            || o.layers.get(i).and_then(|x| x.diff_id.as_ref()) != l.diff_id.as_ref()
    });
    let rebuilt_from = first.map(|i| {
        let step_index = n.layers[i].step_index;
        RebuiltFrom {
            step_index,
            instruction: n
                .steps
                .get(step_index)
                .map_or_else(String::new, |s| s.instruction.clone()),
            layer_index: i,
            layer_count: n.layers.len() - i,
            compressed_bytes: n.layers[i..].iter().map(|l| l.compressed_size_bytes).sum(),
        }
    });
    PullCost {
        layer_count: n.layers.len(),
        reused_layers,
        reused_bytes,
        download_layers,
        download_bytes,
        rebuilt_from,
        layers,
    }
}

/// The instruction as the matcher compares it: content hashes builders put
/// in `COPY`/`ADD` lines (`file:<sha>`, `dir:<sha>`, `multi:<sha>`) do not
/// count, so a step whose copied files changed is the same step, changed.
pub fn match_key(instruction: &str) -> String {
    static HASHES: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"\b(file|dir|multi):[0-9a-f]{12,}\b").expect("a valid regex")
    });
    HASHES.replace_all(instruction.trim(), "$1:…").into_owned()
}

/// The instruction's keyword (`RUN`, `COPY`, …), for pairing edits.
fn keyword(instruction: &str) -> &str {
    instruction.split_whitespace().next().unwrap_or("")
}

/// Pairs of (old, new) step indexes with equal keys, in order, as long as
/// possible.
fn common_subsequence(a: &[String], b: &[String]) -> Vec<(usize, usize)> {
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > LCS_CELLS {
        // Greedy: each new step takes the next old step with its key.
        let mut out = Vec::new();
        let mut from = 0;
        for (j, k) in b.iter().enumerate() {
            if let Some(off) = a[from..].iter().position(|x| x == k) {
                out.push((from + off, j));
                from += off + 1;
            }
        }
        return out;
    }
    let w = m + 1;
    let mut len = vec![0u32; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            len[i * w + j] = if a[i] == b[j] {
                len[(i + 1) * w + j + 1] + 1
            } else {
                len[(i + 1) * w + j].max(len[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n && j < m {
        if a[i] == b[j] {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if len[(i + 1) * w + j] >= len[i * w + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn match_steps(o: &Side, n: &Side) -> Vec<StepChange> {
    let ok: Vec<String> = o.steps.iter().map(|s| match_key(&s.instruction)).collect();
    let nk: Vec<String> = n.steps.iter().map(|s| match_key(&s.instruction)).collect();
    let anchors = common_subsequence(&ok, &nk);
    let mut old_of_new: Vec<Option<(usize, StepStatus)>> = vec![None; n.steps.len()];
    let mut old_used = vec![false; o.steps.len()];
    for &(i, j) in &anchors {
        old_of_new[j] = Some((i, StepStatus::Same));
        old_used[i] = true;
    }
    // The gap a step sits in: how many anchors come before it.
    let gaps = |len: usize, side: fn(&(usize, usize)) -> usize| {
        let mut g = vec![0usize; len];
        let mut k = 0;
        for (i, slot) in g.iter_mut().enumerate() {
            while k < anchors.len() && side(&anchors[k]) < i {
                k += 1;
            }
            *slot = k;
        }
        g
    };
    let gap_old = gaps(o.steps.len(), |a| a.0);
    let gap_new = gaps(n.steps.len(), |a| a.1);
    // Moves: the same instruction elsewhere.
    let mut free_by_key: HashMap<&str, std::collections::VecDeque<usize>> = HashMap::new();
    for i in (0..o.steps.len()).filter(|&i| !old_used[i]) {
        free_by_key.entry(ok[i].as_str()).or_default().push_back(i);
    }
    for j in 0..n.steps.len() {
        if old_of_new[j].is_some() {
            continue;
        }
        if let Some(i) = free_by_key
            .get_mut(nk[j].as_str())
            .and_then(std::collections::VecDeque::pop_front)
        {
            old_of_new[j] = Some((i, StepStatus::Moved));
            old_used[i] = true;
        }
    }
    // Edits: an instruction of the same kind in the same gap.
    let mut free_by_gap: HashMap<(usize, &str), std::collections::VecDeque<usize>> = HashMap::new();
    for i in (0..o.steps.len()).filter(|&i| !old_used[i]) {
        free_by_gap
            .entry((gap_old[i], keyword(&o.steps[i].instruction)))
            .or_default()
            .push_back(i);
    }
    for j in 0..n.steps.len() {
        if old_of_new[j].is_some() {
            continue;
        }
        let slot = (gap_new[j], keyword(&n.steps[j].instruction));
        if let Some(i) = free_by_gap
            .get_mut(&slot)
            .and_then(std::collections::VecDeque::pop_front)
        {
            old_of_new[j] = Some((i, StepStatus::Changed));
            old_used[i] = true;
        }
    }
    let old_diff_ids: HashSet<&str> = o
        .layers
        .iter()
        .filter_map(|l| l.diff_id.as_deref())
        .collect();
    fn diff_id_of(s: &Side, layer: Option<usize>) -> Option<&str> {
        layer
            .and_then(|l| s.layers.get(l))
            .and_then(|l| l.diff_id.as_deref())
    }
    let size_of = |s: &SideStep| s.layer_index.map_or(0, |_| s.size_bytes);
    // (sort position, change)
    let mut rows: Vec<((i64, u8, usize), StepChange)> = Vec::new();
    for (j, ns) in n.steps.iter().enumerate() {
        let new_diff = diff_id_of(n, ns.layer_index);
        let layer_reused = new_diff.is_some_and(|d| old_diff_ids.contains(d));
        let change = match old_of_new[j] {
            Some((i, how)) => {
                let os = &o.steps[i];
                let old_diff = diff_id_of(o, os.layer_index);
                let same_layer = match (os.layer_index, ns.layer_index) {
                    (None, None) => true,
                    (Some(_), Some(_)) => old_diff.is_some() && old_diff == new_diff,
                    _ => false,
                };
                let status = match how {
                    StepStatus::Same if !same_layer => StepStatus::Changed,
                    other => other,
                };
                StepChange {
                    status,
                    old_index: Some(i),
                    new_index: Some(j),
                    instruction: ns.instruction.clone(),
                    old_instruction: (os.instruction != ns.instruction)
                        .then(|| os.instruction.clone()),
                    old_size_bytes: Some(size_of(os)),
                    new_size_bytes: Some(size_of(ns)),
                    delta_bytes: delta(size_of(os), size_of(ns)),
                    new_layer_index: ns.layer_index,
                    layer_reused,
                }
            }
            None => StepChange {
                status: StepStatus::Added,
                old_index: None,
                new_index: Some(j),
                instruction: ns.instruction.clone(),
                old_instruction: None,
                old_size_bytes: None,
                new_size_bytes: Some(size_of(ns)),
                delta_bytes: delta(0, size_of(ns)),
                new_layer_index: ns.layer_index,
                layer_reused,
            },
        };
        rows.push(((j as i64, 0, 0), change));
    }
    for (i, os) in o.steps.iter().enumerate() {
        if old_used[i] {
            continue;
        }
        // Shown after the NEW step its last anchor matched.
        let after = gap_old[i]
            .checked_sub(1)
            .map_or(-1, |k| anchors[k].1 as i64);
        rows.push((
            (after, 1, i),
            StepChange {
                status: StepStatus::Removed,
                old_index: Some(i),
                new_index: None,
                instruction: os.instruction.clone(),
                old_instruction: None,
                old_size_bytes: Some(size_of(os)),
                new_size_bytes: None,
                delta_bytes: delta(size_of(os), 0),
                new_layer_index: None,
                layer_reused: false,
            },
        ));
    }
    rows.sort_by_key(|(k, _)| *k);
    rows.into_iter().map(|(_, c)| c).collect()
}

fn compare_paths(old: &FileSizes, new: &FileSizes) -> (PathsChange, Vec<PathChange>) {
    let mut all = Vec::new();
    for (p, &(nb, nh)) in &new.0 {
        let change = match old.0.get(p) {
            None => Some((PathStatus::Added, None)),
            Some(&(ob, _)) if ob < nb => Some((PathStatus::Grown, Some(ob))),
            Some(&(ob, _)) if ob > nb => Some((PathStatus::Shrunk, Some(ob))),
            Some(&(ob, oh)) if oh != nh => Some((PathStatus::Modified, Some(ob))),
            Some(_) => None,
        };
        if let Some((status, ob)) = change {
            all.push(PathChange {
                path: PathBytes::from_relative(p),
                status,
                old_bytes: ob,
                new_bytes: Some(nb),
                delta_bytes: delta(ob.unwrap_or(0), nb),
            });
        }
    }
    for (p, &(ob, _)) in &old.0 {
        if !new.0.contains_key(p) {
            all.push(PathChange {
                path: PathBytes::from_relative(p),
                status: PathStatus::Removed,
                old_bytes: Some(ob),
                new_bytes: None,
                delta_bytes: delta(ob, 0),
            });
        }
    }
    all.sort_by(|a, b| {
        b.delta_bytes
            .unsigned_abs()
            .cmp(&a.delta_bytes.unsigned_abs())
            .then_with(|| a.path.cmp(&b.path))
    });
    let count = |s: PathStatus| all.iter().filter(|c| c.status == s).count() as u64;
    let bytes = |s: PathStatus| {
        all.iter()
            .filter(|c| c.status == s)
            .map(|c| c.delta_bytes.unsigned_abs())
            .sum()
    };
    let section = PathsChange {
        added_count: count(PathStatus::Added),
        removed_count: count(PathStatus::Removed),
        changed_count: count(PathStatus::Grown)
            + count(PathStatus::Shrunk)
            + count(PathStatus::Modified),
        added_bytes: bytes(PathStatus::Added),
        removed_bytes: bytes(PathStatus::Removed),
        directories: directory_changes(old, new, &all),
        files: all.iter().take(TOP_FILES).cloned().collect(),
    };
    (section, all)
}

/// The directories up to [`DIR_DEPTH`] levels that hold `p`, without the
/// leading slash.
fn ancestors(p: &[u8]) -> impl Iterator<Item = &[u8]> {
    p.iter()
        .enumerate()
        .filter(|&(_, &c)| c == b'/')
        .map(|(i, _)| &p[..i])
        .take(DIR_DEPTH)
}

fn directory_changes(old: &FileSizes, new: &FileSizes, all: &[PathChange]) -> Vec<DirChange> {
    // Only directories holding a change are totalled.
    let mut changed: HashMap<&[u8], usize> = HashMap::new();
    for c in all {
        for d in ancestors(&c.path.0[1..]) {
            *changed.entry(d).or_default() += 1;
        }
    }
    let mut totals: HashMap<&[u8], (u64, u64)> = HashMap::new();
    for (files, new_side) in [(old, false), (new, true)] {
        for (p, &(b, _)) in &files.0 {
            for d in ancestors(p) {
                if let Some((k, _)) = changed.get_key_value(d) {
                    let t = totals.entry(k).or_default();
                    if new_side {
                        t.1 += b;
                    } else {
                        t.0 += b;
                    }
                }
            }
        }
    }
    let row = |d: &[u8]| {
        let (ob, nb) = totals.get(d).copied().unwrap_or_default();
        (delta(ob, nb), ob, nb)
    };
    let mut dirs: Vec<DirChange> = changed
        .iter()
        .filter(|&(&d, &count)| {
            // A directory whose changes all sit in one child directory says
            // nothing its child does not.
            let (dl, _, _) = row(d);
            dl != 0
                && !changed.iter().any(|(&c, &cc)| {
                    cc == count
                        && c.len() > d.len()
                        && c.starts_with(d)
                        && c[d.len()] == b'/'
                        && row(c).0 == dl
                })
        })
        .map(|(&d, _)| {
            let (dl, ob, nb) = row(d);
            DirChange {
                path: PathBytes::from_relative(d),
                old_bytes: ob,
                new_bytes: nb,
                delta_bytes: dl,
            }
        })
        .collect();
    dirs.sort_by(|a, b| {
        b.delta_bytes
            .unsigned_abs()
            .cmp(&a.delta_bytes.unsigned_abs())
            .then_with(|| a.path.cmp(&b.path))
    });
    dirs.truncate(TOP_DIRS);
    dirs
}

fn compare_packages(o: &Side, n: &Side) -> PackagesChange {
    fn key(p: &SidePackage) -> (&str, &str, &[u8]) {
        (&p.manager, &p.name, &p.location.0)
    }
    let olds: HashMap<_, &SidePackage> = o.packages.list.iter().map(|p| (key(p), p)).collect();
    let news: HashMap<_, &SidePackage> = n.packages.list.iter().map(|p| (key(p), p)).collect();
    let as_ref = |p: &SidePackage| PackageRef {
        manager: p.manager.clone(),
        name: p.name.clone(),
        version: p.version.clone(),
        location: p.location.clone(),
        bytes: p.bytes,
    };
    let mut out = PackagesChange::default();
    for p in &n.packages.list {
        match olds.get(&key(p)) {
            None => out.added.push(as_ref(p)),
            Some(op) if op.version != p.version || op.bytes != p.bytes => {
                let c = PackageChange {
                    manager: p.manager.clone(),
                    name: p.name.clone(),
                    location: p.location.clone(),
                    old_version: op.version.clone(),
                    new_version: p.version.clone(),
                    old_bytes: op.bytes,
                    new_bytes: p.bytes,
                    delta_bytes: delta(op.bytes, p.bytes),
                };
                if op.version == p.version {
                    out.resized.push(c);
                } else {
                    out.upgraded.push(c);
                }
            }
            Some(_) => {}
        }
    }
    for p in &o.packages.list {
        if !news.contains_key(&key(p)) {
            out.removed.push(as_ref(p));
        }
    }
    let by_bytes = |a: &PackageRef, b: &PackageRef| b.bytes.cmp(&a.bytes).then(a.name.cmp(&b.name));
    out.added.sort_by(by_bytes);
    out.removed.sort_by(by_bytes);
    let by_delta = |a: &PackageChange, b: &PackageChange| {
        b.delta_bytes
            .unsigned_abs()
            .cmp(&a.delta_bytes.unsigned_abs())
            .then(a.name.cmp(&b.name))
    };
    out.upgraded.sort_by(by_delta);
    out.resized.sort_by(by_delta);
    out
}

/// Where a finding's step sits, on NEW's side: OLD's steps are mapped to
/// the NEW step they were matched with (an edited or moved step keeps its
/// findings); an OLD step NEW lacks keeps its own number apart.
type StepSlot = (u8, usize);

/// What makes two findings the same finding on both sides: the rule, the
/// (matched) step and the paths named.
fn finding_key(slot: StepSlot, f: &SideFinding) -> (String, StepSlot, Vec<Vec<u8>>) {
    let mut paths: Vec<Vec<u8>> = f.paths.iter().map(|p| p.0.clone()).collect();
    paths.sort();
    (f.rule.clone(), slot, paths)
}

fn unmatched(
    from: &Side,
    slot_from: &dyn Fn(Option<usize>) -> StepSlot,
    against: &Side,
    slot_against: &dyn Fn(Option<usize>) -> StepSlot,
) -> Vec<FindingRef> {
    let mut pool: HashMap<_, usize> = HashMap::new();
    for f in &against.findings {
        *pool
            .entry(finding_key(slot_against(f.step_index), f))
            .or_default() += 1;
    }
    let mut out: Vec<FindingRef> = Vec::new();
    for f in &from.findings {
        if let Some(c) = pool.get_mut(&finding_key(slot_from(f.step_index), f))
            && *c > 0
        {
            *c -= 1;
            continue;
        }
        out.push(FindingRef {
            rule: f.rule.clone(),
            category: f.category.clone(),
            bytes: f.bytes,
            step_index: f.step_index,
            instruction: f
                .step_index
                .and_then(|i| from.steps.get(i))
                .map(|s| s.instruction.clone()),
            paths: f.paths.clone(),
            path_count: f.path_count,
            message: f.message.clone(),
        });
    }
    out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.rule.cmp(&b.rule)));
    out
}

fn compare_findings(o: &Side, n: &Side, steps: &[StepChange]) -> FindingsChange {
    let new_of_old: HashMap<usize, usize> = steps
        .iter()
        .filter_map(|s| Some((s.old_index?, s.new_index?)))
        .collect();
    let slot_new = |i: Option<usize>| i.map_or((2, 0), |i| (0, i));
    let slot_old =
        |i: Option<usize>| i.map_or((2, 0), |i| new_of_old.get(&i).map_or((1, i), |&j| (0, j)));
    let new = unmatched(n, &slot_new, o, &slot_old);
    let fixed = unmatched(o, &slot_old, n, &slot_new);
    let mut by_category = BTreeMap::new();
    for cat in o
        .summary
        .by_category
        .keys()
        .chain(n.summary.by_category.keys())
    {
        let ob = o.summary.by_category.get(cat).copied().unwrap_or(0);
        let nb = n.summary.by_category.get(cat).copied().unwrap_or(0);
        by_category.insert(
            cat.clone(),
            CategoryChange {
                old_bytes: ob,
                new_bytes: nb,
                delta_bytes: delta(ob, nb),
            },
        );
    }
    FindingsChange {
        new_bytes: new.iter().map(|f| f.bytes).sum(),
        fixed_bytes: fixed.iter().map(|f| f.bytes).sum(),
        new,
        fixed,
        by_category,
    }
}

fn signed_human(d: i64) -> String {
    if d < 0 {
        format!("-{}", human(d.unsigned_abs()))
    } else {
        format!("+{}", human(d.unsigned_abs()))
    }
}

fn check(
    name: &str,
    passed: bool,
    actual: Option<Figure>,
    limit: Figure,
    message: String,
) -> BudgetCheck {
    BudgetCheck {
        name: name.to_string(),
        passed,
        actual,
        limit,
        message,
    }
}

/// The budget checks on a finished comparison.
pub fn evaluate(d: &DiffReport, b: &DiffBudgets) -> BudgetVerdict {
    let verdict = |ok: bool| if ok { "within" } else { "over" };
    let mut checks = Vec::new();
    if let Some(l) = b.max_growth {
        let grew = u64::try_from(d.size.delta_bytes).unwrap_or(0);
        let ok = grew <= l;
        checks.push(check(
            "max-growth",
            ok,
            Some(Figure::Bytes(grew)),
            Figure::Bytes(l),
            format!(
                "the image changed by {} ({} bytes), {} the limit of {} ({l} bytes)",
                signed_human(d.size.delta_bytes),
                d.size.delta_bytes,
                verdict(ok),
                human(l)
            ),
        ));
    }
    if let Some(l) = b.max_growth_percent {
        match d.size.delta_ratio {
            Some(r) => {
                let ok = r <= l;
                checks.push(check(
                    "max-growth-percent",
                    ok,
                    Some(Figure::Ratio(r)),
                    Figure::Ratio(l),
                    format!(
                        "the image changed by {:+.4} %, {} the limit of {:.4} %",
                        r * 100.0,
                        verdict(ok),
                        l * 100.0
                    ),
                ));
            }
            None => checks.push(check(
                "max-growth-percent",
                true,
                None,
                Figure::Ratio(l),
                "OLD is empty, so growth has no percentage; passes".into(),
            )),
        }
    }
    if let Some(l) = b.max_pull {
        let a = d.pull.download_bytes;
        let ok = a <= l;
        checks.push(check(
            "max-pull",
            ok,
            Some(Figure::Bytes(a)),
            Figure::Bytes(l),
            format!(
                "a host holding OLD downloads {} ({a} bytes) in {} layers, {} the limit of {} ({l} bytes)",
                human(a),
                d.pull.download_layers,
                verdict(ok),
                human(l)
            ),
        ));
    }
    for cat in &b.fail_on_new {
        let hits: Vec<&FindingRef> = d
            .findings
            .new
            .iter()
            .filter(|f| &f.category == cat || &f.rule == cat)
            .collect();
        let bytes: u64 = hits.iter().map(|f| f.bytes).sum();
        let message = if hits.is_empty() {
            format!("no new {cat} findings")
        } else {
            format!(
                "{} new {cat} finding{} ({}), first: {}",
                hits.len(),
                if hits.len() == 1 { "" } else { "s" },
                human(bytes),
                hits[0].message
            )
        };
        checks.push(check(
            &format!("fail-on-new {cat}"),
            hits.is_empty(),
            Some(Figure::Bytes(bytes)),
            Figure::Bytes(0),
            message,
        ));
    }
    BudgetVerdict {
        passed: checks.iter().all(|c| c.passed),
        checks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_hashes_do_not_count_in_matching() {
        assert_eq!(
            match_key("COPY dir:a5a8e4a026d72d31732290f9b231ece4e0 in /opt/data/"),
            match_key("COPY dir:e8ab6e9f19a5639c24fdcbb6c13cf67170 in /opt/data/")
        );
        assert_ne!(
            match_key("COPY dir:a5a8e4a026d72d31732290f9b231ece4e0 in /opt/data/"),
            match_key("COPY dir:a5a8e4a026d72d31732290f9b231ece4e0 in /app/")
        );
    }

    fn keys(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| (*x).to_string()).collect()
    }

    #[test]
    fn subsequence_is_longest_and_ordered() {
        let a = keys(&["a", "b", "c", "d"]);
        let b = keys(&["a", "c", "b", "d"]);
        let m = common_subsequence(&a, &b);
        assert_eq!(m.len(), 3);
        assert!(m.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
    }

    /// A side from a few steps (instruction, diff_id) and packages
    /// (name, version, bytes), in a report's JSON shape.
    fn side(steps: &[(&str, &str)], packages: &[(&str, &str, u64)]) -> Side {
        let st: Vec<_> = steps
            .iter()
            .enumerate()
            .map(|(i, (ins, _))| {
                serde_json::json!({"index": i, "instruction": ins, "layer_index": i, "size_bytes": 10 * i})
            })
            .collect();
        let layers: Vec<_> = steps
            .iter()
            .enumerate()
            .map(|(i, (_, d))| {
                serde_json::json!({"diff_id": d, "compressed_size_bytes": 100 + i, "size_bytes": 10 * i,
                                   "step_index": i})
            })
            .collect();
        let pk: Vec<_> = packages
            .iter()
            .map(|(n, v, b)| {
                serde_json::json!({"manager": "pip", "name": n, "version": v, "location": "/sp", "bytes": b})
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "schema_version": 1,
            "image": {"source": "s", "repo_tags": [], "size_bytes": 1, "final_size_bytes": 1,
                      "compressed_size_bytes": 1, "layer_count": steps.len(), "file_count": 1},
            "layers": layers, "steps": st, "findings": [],
            "summary": {"reclaimable_bytes": 0, "by_category": {}},
            "packages": {"list": pk},
        }))
        .unwrap()
    }

    fn run(o: &Side, n: &Side) -> DiffReport {
        let input = |side| Input {
            side,
            kind: SideKind::Report,
            files: None,
        };
        compare(&input(o), &input(n), &DiffBudgets::default())
    }

    #[test]
    fn packages_are_added_removed_upgraded_or_resized() {
        let steps = [("RUN a", "sha256:a")];
        let o = side(
            &steps,
            &[
                ("torch", "2.1", 100),
                ("gone", "1", 5),
                ("same", "1", 7),
                ("fat", "1", 10),
            ],
        );
        let n = side(
            &steps,
            &[
                ("torch", "2.2", 130),
                ("new", "3", 9),
                ("same", "1", 7),
                ("fat", "1", 25),
            ],
        );
        let p = run(&o, &n).packages;
        assert_eq!(
            p.added.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
            ["new"]
        );
        assert_eq!(
            p.removed
                .iter()
                .map(|x| x.name.as_str())
                .collect::<Vec<_>>(),
            ["gone"]
        );
        assert_eq!(p.upgraded.len(), 1);
        let up = &p.upgraded[0];
        assert_eq!(
            (
                up.old_version.as_str(),
                up.new_version.as_str(),
                up.delta_bytes
            ),
            ("2.1", "2.2", 30)
        );
        assert_eq!(p.resized.len(), 1);
        assert_eq!(
            (p.resized[0].name.as_str(), p.resized[0].delta_bytes),
            ("fat", 15)
        );
    }

    #[test]
    fn removed_steps_follow_their_matched_predecessor_and_pull_counts_new_layers_once() {
        let o = side(
            &[
                ("FROM", "sha256:base"),
                ("RUN a", "sha256:a"),
                ("RUN b", "sha256:b"),
            ],
            &[],
        );
        let n = side(
            &[
                ("FROM", "sha256:base"),
                ("COPY x", "sha256:x"),
                ("COPY y", "sha256:x"),
                ("RUN b", "sha256:b"),
            ],
            &[],
        );
        let d = run(&o, &n);
        let rows: Vec<(StepStatus, Option<usize>, Option<usize>)> = d
            .steps
            .iter()
            .map(|s| (s.status, s.old_index, s.new_index))
            .collect();
        use StepStatus::*;
        assert_eq!(
            rows,
            [
                (Same, Some(0), Some(0)),
                (Removed, Some(1), None),
                (Added, None, Some(1)),
                (Added, None, Some(2)),
                (Same, Some(2), Some(3)),
            ]
        );
        // x twice in NEW is downloaded once; base and b are reused.
        assert_eq!((d.pull.download_layers, d.pull.download_bytes), (1, 101));
        assert_eq!(d.pull.reused_layers, 2);
        let from = d.pull.rebuilt_from.unwrap();
        assert_eq!((from.step_index, from.layer_count), (1, 3));
        assert_eq!(d.needs_old_image.len(), 1);
        assert!(d.paths.is_none());
    }
}
