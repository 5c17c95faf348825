//! The analysis side of ballast's pipeline: one [`ImageIndex`] in, one
//! finished [`report::Report`] out, by [`analyze`].
//!
//! Pure: nothing here reads a file, parses a user's configuration or draws
//! anything. Settings arrive validated ([`Settings`]); wording that messages
//! need comes from the [`units`] leaf, never from a printer.

pub mod base;
pub mod budget;
pub mod categories;
pub mod diff;
pub mod diff_report;
pub mod dive;
pub mod dockerfile;
pub mod findings;
pub mod ml;
pub mod packages;
pub mod refine;
pub mod report;
pub mod rules;
pub mod steps;
pub mod toolchain;
pub mod units;

use ballast_image::ImageIndex;
use ballast_image::archive::ImageMeta;
use ballast_image::archive::decompress::Compression;
use ballast_image::index::layer::{EntryKind, LayerIndex};
use ballast_image::index::tree::{MergedTree, ROOT};
use report::{
    DirSize, DiveSection, ImageInfo, InefficientFileInfo, LayerInfo, PathBytes, Report,
    SCHEMA_VERSION, StepInfo, Suggestion, Summary,
};

/// How many directories the summary lists.
const LARGEST_DIRS: usize = 12;
/// Deepest directory level the largest-directories list looks at.
const LARGEST_DIRS_DEPTH: usize = 3;

/// One line for every name the layers had to put back under the root
/// (kaniko writes `/file` in every layer: thirteen warnings said nothing
/// one cannot say once).
fn repaired_paths_warning(layers: &[LayerIndex]) -> Option<String> {
    let with: Vec<usize> = (0..layers.len())
        .filter(|&i| layers[i].repaired_paths.count > 0)
        .collect();
    let count: u64 = layers.iter().map(|l| l.repaired_paths.count).sum();
    let (absolute, escaped) = layers.iter().fold((false, false), |(a, e), l| {
        let k = l.repaired_paths.kinds;
        (a || k.absolute, e || k.escaped_root)
    });
    let what = match (absolute, escaped) {
        (true, true) => "absolute or `..` paths",
        (true, false) => "absolute paths",
        (false, true) => "`..` paths escaping the root",
        (false, false) => return None,
    };
    let entries = if count == 1 { "entry" } else { "entries" };
    let had = if count == 1 { "has" } else { "have" };
    let place = match with.as_slice() {
        [one] => format!("layer {one}"),
        many if many.len() <= 4 => format!(
            "layers {}",
            many.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        many => format!(
            "{} layers ({} to {})",
            many.len(),
            many[0],
            many[many.len() - 1]
        ),
    };
    Some(format!(
        "{count} {entries} in {place} {had} {what}; normalized into the image root"
    ))
}

/// Layers whose content digest (computed when verifying) differs from the
/// config's `diff_id` or, for an uncompressed blob (whose digest is that
/// same content hash), from the manifest's digest; one line each.
pub fn diff_id_mismatches(meta: &ImageMeta, layers: &[LayerIndex]) -> Vec<String> {
    let diff_ids = meta.config.rootfs().diff_ids();
    let mut out = Vec::new();
    for (i, idx) in layers.iter().enumerate() {
        let Some(have) = &idx.diff_id else { continue };
        // The blob the manifest names first, then what the config says.
        if let Some(lm) = meta.layers.get(i)
            && lm.compression == Compression::None
            && let Some(want) = &lm.digest
            // A sha512 blob is checked as it streams (computed_digest).
            && want.starts_with("sha256:")
            && have != want
        {
            out.push(format!(
                "layer {i} ({}): blob digest {have} does not match the manifest's {want}",
                lm.name
            ));
        }
        if let Some(want) = diff_ids.get(i)
            && have != want
        {
            out.push(format!(
                "layer {i}: content digest {have} does not match the config's diff_id {want}"
            ));
        }
    }
    out
}

/// dive 0.13.1's metrics of the layers. They need no merged tree, so the
/// caller runs them beside the merge, which keeps one core on its own.
pub fn dive_metrics(layers: &[LayerIndex]) -> dive::DiveMetrics {
    let entries = layers.iter().map(|idx| idx.entries.len()).sum();
    dive::compute_from(entries, layers.iter().map(dive_input))
}

/// What the analysis runs with, validated by the caller.
#[derive(Clone, Copy)]
pub struct Settings<'a> {
    pub rules: &'a rules::RuleSet,
    pub budgets: &'a budget::Budgets,
    /// What `--min-bytes`, `--ignore` and `--only-own` ask for.
    pub focus: &'a refine::Focus,
    /// The base image named with `--base`, when one was.
    pub given_base: Option<&'a base::GivenBase>,
    /// Put every layer's changed paths in the report (`--json-files`): off
    /// by default, since a 300k-file image would otherwise produce a report
    /// of a hundred MB.
    pub layer_files: bool,
    /// A Dockerfile to map the steps to.
    pub dockerfile: Option<&'a dockerfile::Source>,
}

/// The finished analysis of one image.
pub struct Analysis {
    pub report: Report,
    /// Which package owns which file of the final image, file by file (the
    /// report's `packages` section summarizes it; the UI lists files).
    pub packages: packages::Attribution,
}

/// Analyzes one image. `dive_metrics` come from [`dive_metrics`], which the
/// caller runs beside the merge. The report is complete when this returns.
pub fn analyze(
    index: &ImageIndex,
    dive_metrics: &dive::DiveMetrics,
    settings: Settings<'_>,
) -> Analysis {
    let meta = &index.meta;
    let layers = index.layers.as_slice();
    let tree = &index.tree;
    let rules = settings.rules;
    let focus = settings.focus;
    let history = meta.config.history().clone().unwrap_or_default();
    let map = steps::map_steps(&history, layers.len());
    let diff_ids = meta.config.rootfs().diff_ids();
    let mut warnings = meta.digest_mismatches.clone();
    warnings.extend(meta.skipped.iter().cloned());
    warnings.extend(map.warnings.iter().cloned());
    let comments: Vec<Option<String>> = history.iter().map(|h| h.comment().clone()).collect();
    let layer_sizes: Vec<u64> = layers.iter().map(LayerIndex::content_bytes).collect();
    let (base_info, base_warnings) = base::detect(
        &map.steps,
        &comments,
        diff_ids,
        &meta.annotations,
        settings.given_base,
        &layer_sizes,
    );
    warnings.extend(base_warnings);
    let base_layers = base_info.as_ref().map_or(0, |b| b.layer_count);
    let base_steps = base_info.as_ref().map_or(0, |b| b.step_count);
    if diff_ids.len() != layers.len() {
        warnings.push(format!(
            "the config lists {} diff_ids for {} layers",
            diff_ids.len(),
            layers.len()
        ));
    }
    let layer_infos: Vec<LayerInfo> = layers
        .iter()
        .enumerate()
        .map(|(i, idx)| {
            let lm = &meta.layers[i];
            let ch = tree.layer_changes[i];
            let diff_id = diff_ids.get(i).cloned();
            let digest = lm.digest.clone().or_else(|| {
                // An uncompressed blob's digest is its diff_id.
                (lm.compression == Compression::None)
                    .then(|| idx.diff_id.clone().or(diff_id.clone()))
                    .flatten()
            });
            LayerInfo {
                index: i,
                digest,
                diff_id,
                media_type: lm
                    .media_type
                    .clone()
                    .unwrap_or_else(|| media_type_for(lm.compression)),
                compressed_size_bytes: lm.compressed_size,
                tar_size_bytes: idx.tar_bytes,
                size_bytes: idx.content_bytes(),
                file_count: idx
                    .entries
                    .iter()
                    .filter(|e| {
                        !matches!(
                            e.kind,
                            EntryKind::Dir | EntryKind::Whiteout | EntryKind::Opaque
                        )
                    })
                    .count() as u64,
                added: ch.added,
                modified: ch.modified,
                metadata_only: ch.metadata_only,
                removed: ch.removed,
                step_index: map.step_of_layer[i],
                files: None,
            }
        })
        .collect();
    for (i, idx) in layers.iter().enumerate() {
        for w in &idx.warnings {
            warnings.push(format!("layer {i}: {w}"));
        }
    }
    warnings.extend(repaired_paths_warning(layers));
    warnings.extend(diff_id_mismatches(meta, layers));
    warnings.extend(tree.warnings.iter().cloned());
    let steps: Vec<StepInfo> = map
        .steps
        .iter()
        .map(|s| StepInfo {
            index: s.index,
            created_by: s.created_by.clone(),
            instruction: s.instruction.clone(),
            empty_layer: s.empty_layer,
            layer_index: s.layer_index,
            size_bytes: s.layer_index.map_or(0, |l| layer_infos[l].size_bytes),
            inherited: s.index < base_steps,
            dockerfile: None,
        })
        .collect();
    let mut steps = steps;
    if let Some(source) = settings.dockerfile {
        warnings.extend(dockerfile::annotate(source, &map.steps, &mut steps));
    }
    let sizes = index.final_sizes();
    let (file_count, largest) = final_tree_summary(tree, layers, sizes);
    let cx = findings::Context {
        layers,
        tree,
        steps: &map.steps,
        step_of_layer: &map.step_of_layer,
        rules,
        image_bytes: index.final_size(),
        base_layers,
    };
    // Package attribution and the findings read the index independently;
    // on 300k files each is a sizable share of the run, so they share the
    // cores.
    let (attribution, mut found) =
        rayon::join(|| packages::attribute(layers, tree), || findings::find(&cx));
    ml::add_findings(&cx, &attribution, &mut found);
    let ignore = refine::ignore_set(&focus.ignore).unwrap_or_default();
    let found = refine::refine(&cx, &attribution, base_info.as_ref(), focus, &ignore, found);
    let summary = summarize(&found);
    let suggestions = suggest(&found, &map.steps);
    let below: Vec<&findings::Finding> = found
        .iter()
        .filter(|f| f.bytes > 0 && f.bytes < focus.min_bytes)
        .collect();
    let filters = refine::Filters {
        min_bytes: focus.min_bytes,
        below_min_count: below.len(),
        below_min_bytes: below.iter().map(|f| f.bytes).sum(),
        only_own: focus.only_own,
        ignore: focus.ignore.clone(),
    };
    let mut layer_infos = layer_infos;
    if settings.layer_files {
        add_layer_files(&mut layer_infos, index);
    }
    let image = ImageInfo {
        source: meta.source.clone(),
        format: meta.format.name().to_string(),
        repo_tags: meta.repo_tags.clone(),
        os: meta.config.os().to_string(),
        architecture: meta.config.architecture().to_string(),
        size_bytes: layer_infos.iter().map(|l| l.size_bytes).sum(),
        final_size_bytes: index.final_size(),
        compressed_size_bytes: meta.layers.iter().map(|l| l.compressed_size).sum(),
        digests_checked: meta.digests_checked,
        layer_count: layers.len(),
        file_count,
        base: base_info,
    };
    let dive = DiveSection::from(dive_metrics);
    let budget = budget::evaluate(
        &budget::Measured {
            image: &image,
            layers: &layer_infos,
            steps: &steps,
            summary: &summary,
            dive: &dive,
        },
        settings.budgets,
    );
    let report = Report {
        schema_version: SCHEMA_VERSION,
        image,
        layers: layer_infos,
        steps,
        largest_directories: largest,
        dive,
        findings: found,
        summary,
        suggestions,
        packages: attribution.section(tree, &map.step_of_layer),
        budget,
        filters,
        warnings,
    };
    Analysis {
        report,
        packages: attribution,
    }
}

fn media_type_for(c: Compression) -> String {
    match c {
        Compression::None => "application/vnd.oci.image.layer.v1.tar",
        Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        // OCI names no xz or bzip2 layer type; Docker's generic one, whose
        // compression the runtime sniffs as ballast does.
        Compression::Xz | Compression::Bzip2 => "application/vnd.docker.image.rootfs.diff.tar",
    }
    .to_string()
}

/// Counts the final tree's files and picks its largest directories, walking
/// with an explicit stack (trees can be thousands of levels deep).
fn final_tree_summary(
    tree: &MergedTree,
    layers: &[LayerIndex],
    sizes: &[u64],
) -> (u64, Vec<DirSize>) {
    let Some(last) = layers.len().checked_sub(1) else {
        return (0, Vec::new());
    };
    let mut files = 0u64;
    let mut dirs: Vec<(u64, u32)> = Vec::new();
    let mut stack = vec![(ROOT, 0usize)];
    while let Some((id, depth)) = stack.pop() {
        for c in tree.children(id) {
            let Some(st) = tree.state_at(layers, c, last) else {
                continue;
            };
            if st.is_dir() {
                if depth < LARGEST_DIRS_DEPTH {
                    dirs.push((sizes[c as usize], c));
                }
                stack.push((c, depth + 1));
            } else {
                files += 1;
            }
        }
    }
    dirs.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| tree.path(a.1).cmp(&tree.path(b.1)))
    });
    let largest = dirs
        .into_iter()
        .filter(|(s, _)| *s > 0)
        .take(LARGEST_DIRS)
        .map(|(s, id)| DirSize {
            path: PathBytes::from_relative(&tree.path(id)),
            size_bytes: s,
        })
        .collect();
    (files, largest)
}

/// The layers as dive sees them: every tar entry with its header size,
/// whiteouts by the path they remove, opaque markers dropped (dive ignores
/// them).
/// One layer's entries as dive's metrics take them, made as they are
/// walked: a list of them all would cost 32 bytes an entry.
fn dive_input(idx: &LayerIndex) -> impl Iterator<Item = dive::DiveEntry<'_>> {
    idx.entries.iter().filter_map(move |e| {
        let path = idx.path(e);
        let kind = match e.kind {
            EntryKind::Opaque => return None,
            _ if path.is_empty() => return None,
            EntryKind::Whiteout => dive::DiveKind::Whiteout,
            EntryKind::Dir => dive::DiveKind::Dir,
            _ => dive::DiveKind::NonDir,
        };
        Some(dive::DiveEntry {
            path,
            size: e.size,
            kind,
        })
    })
}

impl From<&dive::DiveMetrics> for DiveSection {
    fn from(m: &dive::DiveMetrics) -> Self {
        DiveSection {
            efficiency: m.efficiency,
            wasted_bytes: m.wasted_bytes,
            user_wasted_percent: m.user_wasted_percent,
            inefficient_files: m
                .inefficient_files
                .iter()
                .map(|f| InefficientFileInfo {
                    path: PathBytes(f.path.clone()),
                    count: f.count,
                    wasted_bytes: f.wasted_bytes,
                })
                .collect(),
        }
    }
}

fn summarize(found: &[findings::Finding]) -> Summary {
    let mut by_category = std::collections::BTreeMap::new();
    for f in found {
        *by_category.entry(f.category.clone()).or_insert(0u64) += f.bytes;
    }
    Summary {
        wasted_bytes: found.iter().map(|f| f.bytes).sum(),
        reclaimable_bytes: findings::union_bytes(found.iter().filter(|f| f.reclaimable)),
        by_category,
    }
}

/// One entry per step with fixes, largest saving first: the list a user
/// works through top to bottom.
fn suggest(found: &[findings::Finding], steps: &[steps::Step]) -> Vec<Suggestion> {
    let mut by_step: std::collections::BTreeMap<usize, Vec<&findings::Finding>> =
        std::collections::BTreeMap::new();
    for f in found {
        if let Some(s) = f.step_index {
            by_step.entry(s).or_default().push(f);
        }
    }
    let mut out: Vec<Suggestion> = by_step
        .into_iter()
        .map(|(s, fs)| {
            let fixes = step_fixes(&fs);
            Suggestion {
                step_index: s,
                instruction: steps
                    .get(s)
                    .map(|st| st.instruction.clone())
                    .unwrap_or_default(),
                fixes,
                bytes: findings::union_bytes(fs.iter().copied().filter(|f| f.reclaimable)),
            }
        })
        .collect();
    out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.step_index.cmp(&b.step_index)));
    out
}

/// How many distinct fixes of one rule a step lists before the rest are
/// summed up in one line: a step that copies 200 duplicated licenses needs
/// one piece of advice, not 200.
const FIXES_PER_RULE: usize = 2;

/// A step's fixes, largest finding first, each said once; past
/// [`FIXES_PER_RULE`] for a rule, one line counts the others.
fn step_fixes(fs: &[&findings::Finding]) -> Vec<String> {
    let mut fixes: Vec<String> = Vec::new();
    // (rule, fixes listed, fixes held back, index of the rule's last line)
    let mut per_rule: Vec<(&str, usize, usize, usize)> = Vec::new();
    for f in fs {
        if fixes.contains(&f.suggestion) {
            continue;
        }
        let slot = match per_rule.iter().position(|r| r.0 == f.rule) {
            Some(i) => i,
            None => {
                per_rule.push((&f.rule, 0, 0, 0));
                per_rule.len() - 1
            }
        };
        let rule = &mut per_rule[slot];
        if rule.1 < FIXES_PER_RULE {
            rule.1 += 1;
            rule.3 = fixes.len();
            fixes.push(f.suggestion.clone());
        } else {
            rule.2 += 1;
        }
    }
    // Inserted back to front so the recorded positions stay valid.
    per_rule.sort_by_key(|r| std::cmp::Reverse(r.3));
    for (rule, _, held, last) in per_rule {
        if held > 0 {
            fixes.insert(
                last + 1,
                format!("… and {held} more `{rule}` fixes like these (see the findings)"),
            );
        }
    }
    fixes
}

/// Adds each layer's changed paths (`--json-files`).
fn add_layer_files(infos: &mut [LayerInfo], index: &ImageIndex) {
    let (layers, tree) = (&index.layers, &index.tree);
    for (i, info) in infos.iter_mut().enumerate() {
        let mut files: Vec<report::FileChange> = tree
            .layer_versions(i)
            .iter()
            .filter(|v| v.change != ballast_image::index::tree::Change::Unchanged)
            .map(|v| {
                let e = v.entry_index().map(|x| &layers[i].entries[x]);
                report::FileChange {
                    path: PathBytes::from_relative(&tree.path(v.node)),
                    change: v.change,
                    kind: e.map(|e| e.kind),
                    size_bytes: e.map_or(0, |e| e.size),
                    mode: e.map(|e| e.mode),
                    uid: e.map(|e| e.uid),
                    gid: e.map(|e| e.gid),
                }
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        info.files = Some(files);
    }
}

#[cfg(test)]
mod tests {
    use super::findings::{Finding, Severity};
    use super::step_fixes;

    fn finding(rule: &str, fix: &str) -> Finding {
        Finding {
            rule: rule.into(),
            category: rule.into(),
            severity: Severity::Low,
            bytes: 1,
            layer_index: Some(1),
            step_index: Some(1),
            paths: Vec::new(),
            path_count: 0,
            message: String::new(),
            suggestion: fix.into(),
            reclaimable: true,
            keep: None,
            packages: Vec::new(),
            items: Vec::new(),
        }
    }

    #[test]
    fn a_rule_with_many_fixes_lists_two_and_counts_the_rest() {
        let fs = [
            finding("duplicate-content", "keep a"),
            finding("pip-cache", "purge the cache"),
            finding("duplicate-content", "keep b"),
            finding("duplicate-content", "keep c"),
            finding("duplicate-content", "keep a"),
            finding("duplicate-content", "keep d"),
        ];
        let refs: Vec<&Finding> = fs.iter().collect();
        assert_eq!(
            step_fixes(&refs),
            [
                "keep a",
                "purge the cache",
                "keep b",
                "… and 2 more `duplicate-content` fixes like these (see the findings)",
            ]
        );
    }

    #[test]
    fn repaired_names_are_reported_once_for_the_image() {
        use ballast_image::index::layer::{LayerIndex, RepairedPaths};
        use ballast_image::index::path::Repairs;
        let with = |count, absolute, escaped_root| {
            let mut idx = LayerIndex::default();
            idx.repaired_paths = RepairedPaths {
                count,
                kinds: Repairs {
                    absolute,
                    escaped_root,
                },
            };
            idx
        };
        assert_eq!(
            super::repaired_paths_warning(&[with(0, false, false)]),
            None
        );
        assert_eq!(
            super::repaired_paths_warning(&[with(0, false, false), with(1, true, false)])
                .as_deref(),
            Some("1 entry in layer 1 has absolute paths; normalized into the image root")
        );
        let many: Vec<LayerIndex> = (0..6).map(|i| with(2, i == 0, i == 5)).collect();
        assert_eq!(
            super::repaired_paths_warning(&many).as_deref(),
            Some(
                "12 entries in 6 layers (0 to 5) have absolute or `..` paths; \
                 normalized into the image root"
            )
        );
    }

    #[test]
    fn few_fixes_are_listed_whole() {
        let fs = [finding("a", "x"), finding("b", "y"), finding("a", "z")];
        let refs: Vec<&Finding> = fs.iter().collect();
        assert_eq!(step_fixes(&refs), ["x", "y", "z"]);
    }
}
