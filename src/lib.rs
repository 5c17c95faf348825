//! ballast finds the dead weight in container images.
//!
//! The pipeline runs once, one way: [`archive`] loads an image archive and
//! streams each layer to [`index`], which builds per-layer entry lists and the
//! merged tree; [`analyze`] turns those into one plain [`analyze::report::Report`];
//! [`present`] shows it as text, JSON or (in the binary) a terminal UI, which
//! draws from the UI-free browsing model in [`browse`].

pub mod analyze;
pub mod archive;
pub mod browse;
pub mod error;
pub mod index;
pub mod present;

use archive::{ImageMeta, Input, LoadOptions};
use error::LoadError;
use index::layer::{IndexOptions, LayerIndex, index_layer};
use index::tree::{MergedTree, merge_shared};

/// Everything known about one image after a run of the pipeline.
pub struct Analysis {
    pub meta: ImageMeta,
    pub layers: Vec<LayerIndex>,
    pub tree: MergedTree,
    pub report: analyze::report::Report,
    /// Which package owns which file of the final image, file by file (the
    /// report's `packages` section summarizes it).
    pub packages: analyze::packages::Attribution,
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub load: LoadOptions,
    pub index: IndexOptions,
    /// The path rules; `None` means the built-in table.
    pub rules: Option<std::sync::Arc<analyze::rules::RuleSet>>,
    pub budgets: analyze::budget::Budgets,
    /// Put every layer's changed paths in the report (`--json-files`).
    pub layer_files: bool,
}

/// Loads, indexes, merges and analyzes one image.
pub fn analyze_image(input: &Input, opts: &Options) -> Result<Analysis, LoadError> {
    let index_opts = opts.index;
    let (meta, mut layers) =
        archive::load(input, &opts.load, |stream| index_layer(stream, index_opts))?;
    if opts.load.verify || opts.index.verify {
        // Mismatches are warnings found on the way; `--verify` makes the
        // first one fatal, before any analysis is spent on the image.
        let mut mismatches = meta
            .digest_mismatches
            .iter()
            .cloned()
            .chain(analyze::diff_id_mismatches(&meta, &layers));
        if let Some(first) = mismatches.next() {
            return Err(LoadError::new(
                input.display(),
                error::Problem::Digest(first),
            ));
        }
    }
    // dive's metrics need only the layers: they run beside the merge, the
    // one phase that cannot use both cores on its own.
    let ((tree, link_hashes), dive_metrics) =
        rayon::join(|| merge_shared(&layers), || analyze::dive_metrics(&layers));
    link_hashes.apply(&mut layers);
    let builtin;
    let rules = match &opts.rules {
        Some(r) => r.as_ref(),
        None => {
            builtin = analyze::rules::RuleSet::load(None).map_err(|e| {
                LoadError::new("built-in rules", error::Problem::Archive(e.to_string()))
            })?;
            &builtin
        }
    };
    let (mut report, packages) = analyze::build_report(&meta, &layers, &tree, rules, &dive_metrics);
    if opts.layer_files {
        analyze::add_layer_files(&mut report, &layers, &tree);
    }
    report.budget = analyze::budget::evaluate(&report, &opts.budgets);
    if let Some(rules) = &opts.budgets.dive_rules {
        // dive reads past a misspelt rule and applies its default instead.
        for k in &rules.ignored_keys {
            report.warnings.push(format!(
                ".dive-ci line {}: `{}` is not a key dive reads, so dive ignores it (a typo?)",
                k.line, k.key
            ));
        }
    }
    Ok(Analysis {
        meta,
        layers,
        tree,
        report,
        packages,
    })
}
