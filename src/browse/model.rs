//! What the UI reads: the finished analysis plus a few look-up tables, all
//! built once when the analysis arrives so no keypress ever pays for a pass
//! over the whole tree. Read-only after construction.

use crate::analyze::findings::{Finding, Item};
use std::collections::HashMap;

use crate::analyze::packages::{Manager, PackageInfo};
use crate::archive::Input;
use crate::error::LoadError;
use crate::index::layer::EntryKind;
use crate::index::tree::{MergedTree, NodeId};
use crate::{Analysis, Options};

use super::text;

pub struct Model {
    pub analysis: Analysis,
    /// Image name for the header: first tag, else the input.
    pub title: String,
    /// Each step's instruction as one safe line.
    pub step_labels: Vec<String>,
    /// The layer in force at each step: its own, or for an empty step the
    /// last one made before it.
    layer_at_step: Vec<Option<usize>>,
    /// Reclaimable bytes per step (the step's suggestion, each byte once).
    pub step_reclaim: Vec<u64>,
    /// Findings per step, for the steps pane marker.
    pub step_findings: Vec<usize>,
    /// (node, finding index) for every path a finding covers, by node.
    flags: Vec<(NodeId, u32)>,
    /// Per node: named by some finding.
    wasted: Vec<bool>,
    wasted_nodes: Vec<NodeId>,
    /// (content hash, node) for the final tree's non-empty files, by hash.
    dups: Vec<(u128, NodeId)>,
    /// The packages' indices in each [`PackageSort`] order.
    package_orders: [Vec<usize>; 3],
    /// Per package: another of the same manager has the same name (one
    /// package in two environments), so the list names its location.
    package_twins: Vec<bool>,
    /// Per package of the report's list: its entry in the file-by-file
    /// attribution, looked up by [`PackageKey`] (never by position).
    package_attribution: Vec<Option<usize>>,
    /// Per step: inherited from the base image. `None` when the report does
    /// not know the base; else the steps pane dims and folds those steps.
    pub inherited: Option<Vec<bool>>,
    /// What `ballast fix` would write for each finding, when the run had a
    /// Dockerfile.
    pub fixes: super::fixes::Fixes,
}

/// What names one package whatever list it is in: its manager, name and
/// version, where it lives and the record it was read from (dpkg and apk
/// keep every package in one record; pip and conda one per package, and
/// the same name can live in two environments).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PackageKey {
    pub manager: Manager,
    pub name: String,
    pub version: String,
    /// Root-relative paths.
    pub location: Vec<u8>,
    pub record: Vec<u8>,
}

fn relative(p: &[u8]) -> Vec<u8> {
    p.strip_prefix(b"/").unwrap_or(p).to_vec()
}

/// The orders the packages pane cycles through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackageSort {
    /// Largest first (the report's order).
    Size,
    Name,
    /// Grouped by manager, largest first within each.
    Manager,
}

impl PackageSort {
    pub fn next(self) -> PackageSort {
        match self {
            PackageSort::Size => PackageSort::Name,
            PackageSort::Name => PackageSort::Manager,
            PackageSort::Manager => PackageSort::Size,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            PackageSort::Size => "by size",
            PackageSort::Name => "by name",
            PackageSort::Manager => "by manager",
        }
    }

    fn slot(self) -> usize {
        match self {
            PackageSort::Size => 0,
            PackageSort::Name => 1,
            PackageSort::Manager => 2,
        }
    }
}

impl Model {
    /// Runs the whole pipeline on this thread and builds the tables (tests
    /// and benchmarks; the UI is handed a finished analysis instead).
    pub fn load(input: &Input, options: &Options) -> Result<Model, LoadError> {
        crate::run_pipeline(input, options)
            .map(|a| Model::with_dockerfile(a, options.dockerfile.as_deref()))
    }

    pub fn new(analysis: Analysis) -> Model {
        Model::with_dockerfile(analysis, None)
    }

    /// [`Model::new`], with the fix planned for each finding against the
    /// Dockerfile the run mapped its steps to.
    pub fn with_dockerfile(
        analysis: Analysis,
        dockerfile: Option<&crate::analyze::dockerfile::Source>,
    ) -> Model {
        let report = &analysis.report;
        let tree = &analysis.image.tree;
        let title = report
            .image
            .repo_tags
            .first()
            .map_or_else(|| report.image.source.clone(), Clone::clone);
        let step_labels = report
            .steps
            .iter()
            .map(|s| text::clean_str(&s.instruction))
            .collect();
        let mut last = None;
        let layer_at_step = report
            .steps
            .iter()
            .map(|s| {
                if s.layer_index.is_some() {
                    last = s.layer_index;
                }
                last
            })
            .collect();
        let mut step_reclaim = vec![0; report.steps.len()];
        for sg in &report.suggestions {
            if let Some(r) = step_reclaim.get_mut(sg.step_index) {
                *r += sg.bytes;
            }
        }
        let mut step_findings = vec![0; report.steps.len()];
        for f in &report.findings {
            if let Some(n) = f.step_index.and_then(|s| step_findings.get_mut(s)) {
                *n += 1;
            }
        }
        let (flags, wasted, wasted_nodes) = flag_table(tree, &report.findings);
        let final_layer = analysis.image.last_layer();
        let mut dups = Vec::new();
        if let Some(l) = final_layer {
            for id in 1..tree.node_count() {
                let id = node_id(id);
                if let Some(st) = analysis.image.state_at(id, l)
                    && let Some(e) = st.entry
                    && e.kind == EntryKind::File
                    && e.size > 0
                {
                    dups.push((e.hash, id));
                }
            }
        }
        dups.sort_unstable();
        let package_orders = package_orders(&report.packages.list);
        let package_twins = package_twins(&report.packages.list, &package_orders[1]);
        let package_attribution = package_attribution(&analysis);
        let fixes = super::fixes::Fixes::plan(report, dockerfile);
        Model {
            title: text::clean_str(short_name(&title)),
            step_labels,
            layer_at_step,
            step_reclaim,
            step_findings,
            flags,
            wasted,
            wasted_nodes,
            dups,
            package_orders,
            package_twins,
            package_attribution,
            inherited: report
                .image
                .base
                .is_some()
                .then(|| report.steps.iter().map(|s| s.inherited).collect()),
            fixes,
            analysis,
        }
    }

    pub fn tree(&self) -> &MergedTree {
        &self.analysis.image.tree
    }

    pub fn layers(&self) -> &[crate::index::layer::LayerIndex] {
        &self.analysis.image.layers
    }

    /// Sizes by node in the final image, computed once by the loader.
    pub fn final_sizes(&self) -> &[u64] {
        self.analysis.image.final_sizes()
    }

    pub fn report(&self) -> &crate::analyze::report::Report {
        &self.analysis.report
    }

    pub fn step_count(&self) -> usize {
        self.analysis.report.steps.len()
    }

    /// The layer whose tree a step shows; with no history at all, the last.
    pub fn layer_at_step(&self, step: usize) -> Option<usize> {
        if self.layer_at_step.is_empty() {
            return self.analysis.image.layers.len().checked_sub(1);
        }
        self.layer_at_step.get(step).copied().flatten()
    }

    pub fn step_of_layer(&self, layer: usize) -> Option<usize> {
        self.analysis.report.layers.get(layer).map(|l| l.step_index)
    }

    pub fn is_wasted(&self, node: NodeId) -> bool {
        self.wasted.get(node as usize).copied().unwrap_or(false)
    }

    pub fn wasted_nodes(&self) -> &[NodeId] {
        &self.wasted_nodes
    }

    /// The findings that name `node`.
    pub fn findings_of(&self, node: NodeId) -> impl Iterator<Item = &Finding> {
        let start = self.flags.partition_point(|&(n, _)| n < node);
        self.flags[start..]
            .iter()
            .take_while(move |&&(n, _)| n == node)
            .filter_map(|&(_, f)| self.analysis.report.findings.get(f as usize))
    }

    /// Other final-tree files with the same content as `hash`.
    pub fn same_content(&self, hash: u128, except: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let start = self.dups.partition_point(|&(h, _)| h < hash);
        self.dups[start..]
            .iter()
            .take_while(move |&&(h, _)| h == hash)
            .map(|&(_, n)| n)
            .filter(move |&n| n != except)
    }

    /// Every package of the final image, largest first.
    pub fn packages(&self) -> &[PackageInfo] {
        &self.analysis.report.packages.list
    }

    /// Package indices in `sort` order.
    pub fn package_order(&self, sort: PackageSort) -> &[usize] {
        &self.package_orders[sort.slot()]
    }

    /// Whether another package of the same manager has the same name.
    pub fn package_has_twin(&self, package: usize) -> bool {
        self.package_twins.get(package).copied().unwrap_or(false)
    }

    /// A package's files in the final image (node, bytes), largest first:
    /// the attribution entry with the same [`PackageKey`].
    pub fn package_files(&self, package: usize) -> &[(NodeId, u64)] {
        self.package_attribution
            .get(package)
            .copied()
            .flatten()
            .and_then(|a| self.analysis.packages.packages.get(a))
            .map_or(&[], |p| p.files.as_slice())
    }

    /// The archive the image was read from, so a file can be read back
    /// on demand; `None` when it came from stdin (see [`Input::display`]).
    pub fn archive_path(&self) -> Option<std::path::PathBuf> {
        let source = &self.analysis.image.meta.source;
        (*source != Input::Stdin.display()).then(|| std::path::PathBuf::from(source))
    }

    /// Whether a step comes from the base image (false while the report
    /// does not know the base).
    pub fn is_inherited(&self, step: usize) -> bool {
        self.inherited
            .as_ref()
            .and_then(|v| v.get(step).copied())
            .unwrap_or(false)
    }

    /// The node a finding is about (its largest item), and the layer where
    /// that node shows the waste.
    pub fn finding_target(&self, f: &Finding) -> Option<(NodeId, Option<usize>)> {
        let node = match f.items.first()? {
            Item::Version(v, _) => self.analysis.image.tree.versions().get(*v as usize)?.node,
            Item::Node(n, _) => *n,
        };
        Some((node, f.layer_index))
    }
}

/// The packages' indices by size (as listed), by name, by manager.
fn package_orders(list: &[PackageInfo]) -> [Vec<usize>; 3] {
    let by_size: Vec<usize> = (0..list.len()).collect();
    let mut by_name = by_size.clone();
    by_name.sort_by(|&a, &b| {
        let (pa, pb) = (&list[a], &list[b]);
        pa.name
            .to_lowercase()
            .cmp(&pb.name.to_lowercase())
            .then_with(|| pa.name.cmp(&pb.name))
            .then(pa.manager.name().cmp(pb.manager.name()))
            .then(a.cmp(&b))
    });
    let mut by_manager = by_size.clone();
    // Stable: within a manager the list's own order, largest first.
    by_manager.sort_by(|&a, &b| list[a].manager.name().cmp(list[b].manager.name()));
    [by_size, by_name, by_manager]
}

/// For each package of the report's list, the attribution entry with the
/// same key.
fn package_attribution(analysis: &Analysis) -> Vec<Option<usize>> {
    let tree = &analysis.image.tree;
    let by_key: HashMap<PackageKey, usize> = analysis
        .packages
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let key = PackageKey {
                manager: p.manager,
                name: p.name.clone(),
                version: p.version.clone(),
                location: relative(&p.location),
                record: tree.path(p.metadata),
            };
            (key, i)
        })
        .collect();
    analysis
        .report
        .packages
        .list
        .iter()
        .map(|p| {
            let key = PackageKey {
                manager: p.manager,
                name: p.name.clone(),
                version: p.version.clone(),
                location: relative(&p.location.0),
                record: relative(&p.metadata.0),
            };
            by_key.get(&key).copied()
        })
        .collect()
}

/// Marks packages whose manager and name another shares; `by_name` puts
/// them next to each other.
fn package_twins(list: &[PackageInfo], by_name: &[usize]) -> Vec<bool> {
    let mut twins = vec![false; list.len()];
    for w in by_name.windows(2) {
        let (a, b) = (&list[w[0]], &list[w[1]]);
        if a.manager == b.manager && a.name == b.name {
            twins[w[0]] = true;
            twins[w[1]] = true;
        }
    }
    twins
}

/// An image name without the default registry's prefix, which says
/// nothing and would push the tag off a narrow header.
fn short_name(name: &str) -> &str {
    ["docker.io/library/", "docker.io/", "localhost/"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name)
}

fn node_id(i: usize) -> NodeId {
    NodeId::try_from(i).unwrap_or(NodeId::MAX)
}

type FlagTable = (Vec<(NodeId, u32)>, Vec<bool>, Vec<NodeId>);

fn flag_table(tree: &MergedTree, findings: &[Finding]) -> FlagTable {
    let mut flags = Vec::new();
    for (fi, f) in findings.iter().enumerate() {
        let fi = u32::try_from(fi).unwrap_or(u32::MAX);
        for item in &f.items {
            let node = match *item {
                Item::Version(v, _) => match tree.versions().get(v as usize) {
                    Some(v) => v.node,
                    None => continue,
                },
                Item::Node(n, _) => n,
            };
            flags.push((node, fi));
        }
    }
    flags.sort_unstable();
    flags.dedup();
    let mut wasted = vec![false; tree.node_count()];
    let mut nodes = Vec::new();
    for &(n, _) in &flags {
        if let Some(w) = wasted.get_mut(n as usize)
            && !*w
        {
            *w = true;
            nodes.push(n);
        }
    }
    (flags, wasted, nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report's package list and the file-by-file attribution are
    /// matched by key, so reordering one does not mix packages up.
    #[test]
    fn package_files_follow_the_package_not_its_position() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-images/ml-cuda.oci.tar");
        let mut a = crate::run_pipeline(&Input::parse(path), &Options::default()).expect("loads");
        assert!(a.packages.packages.len() > 3);
        a.packages.packages.reverse();
        let m = Model::new(a);
        for (i, p) in m.packages().iter().enumerate() {
            let files = m.package_files(i);
            assert_eq!(files.len() as u64, p.file_count, "{}", p.name);
            for (f, shown) in p.files.iter().zip(files) {
                let got = crate::index::path::display(&m.tree().path(shown.0));
                assert_eq!(got, f.path.display(), "{}", p.name);
            }
        }
    }
}
