//! ballast finds the dead weight in container images.
//!
//! The pipeline runs once, one way, across three crates:
//! [`ballast_image`] loads an image and indexes its layers into an
//! [`ImageIndex`]; [`ballast_analysis`] turns that into one finished
//! [`analyze::report::Report`]; this crate, the binary's, holds what a
//! person touches: the printers ([`present`]), the terminal UI and the
//! UI-free browsing model it draws from ([`browse`]), and the pairing of two
//! images for `ballast diff` ([`pair`]); flags and settings live in the
//! binary's own modules. [`run_pipeline`] is the one place the stages are
//! wired.

pub mod browse;
pub mod budget_flags;
pub mod pair;
pub mod present;

pub use ballast_analysis as analyze;
pub use ballast_image::{ImageIndex, archive, error, index};

use ballast_image::archive::layout::Format;
use ballast_image::archive::{Input, LoadOptions};
use ballast_image::error::{LoadError, Problem};
use ballast_image::image_index::load_layers;
use ballast_image::index::layer::{IndexOptions, LayerIndex};

/// Everything known about one image after a run of the pipeline.
pub struct Analysis {
    pub image: ImageIndex,
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
    /// The base image's archive (`--base`), to tell its layers apart.
    pub base: Option<Input>,
    /// `--ignore`, `--min-bytes`, `--only-own`.
    pub focus: analyze::refine::Focus,
    /// A Dockerfile to map the steps to (`--dockerfile`, or found).
    pub dockerfile: Option<std::sync::Arc<analyze::dockerfile::Source>>,
}

/// Reads the base image's config only: its `diff_ids` and history length
/// (no layer is read).
fn load_base(input: &Input) -> Result<analyze::base::GivenBase, LoadError> {
    // Only the base's config is needed: every layer counts as already known,
    // so a registry or random-access base is never downloaded or inflated.
    let (meta, _) = archive::load_reusing(input, &LoadOptions::default(), &|_| Some(()), |_| {
        Ok::<(), std::convert::Infallible>(())
    })?;
    Ok(analyze::base::GivenBase {
        name: meta
            .repo_tags
            .first()
            .cloned()
            .unwrap_or_else(|| input.display()),
        diff_ids: meta.config.rootfs().diff_ids().clone(),
        history_len: meta.config.history().as_ref().map_or(0, Vec::len),
    })
}

/// Loads, indexes, merges and analyzes one image.
pub fn run_pipeline(input: &Input, opts: &Options) -> Result<Analysis, LoadError> {
    run_pipeline_reusing(input, opts, &|_| None)
}

/// [`run_pipeline`], taking each layer's index from `reuse(diff_id)` when
/// it has one (another image's identical layer) instead of reading it again.
pub fn run_pipeline_reusing(
    input: &Input,
    opts: &Options,
    reuse: &(dyn Fn(&str) -> Option<LayerIndex> + Sync),
) -> Result<Analysis, LoadError> {
    let given_base = opts.base.as_ref().map(load_base).transpose()?;
    // An engine's stream checks its own layers' diff_ids as they pass; the
    // indexer's hash would be a second one.
    let engine = matches!(input, Input::Image(s) if s.is_engine());
    let index = IndexOptions {
        verify: opts.index.verify && !engine,
        ..opts.index
    };
    let (mut meta, layers) = load_layers(input, &opts.load, index, reuse)?;
    let checking = opts.load.verify
        || opts.index.verify
        || matches!(meta.format, Format::DockerEngine | Format::Podman);
    if checking {
        // Mismatches are warnings found on the way; `--verify` makes the
        // first one fatal, before any analysis is spent on the image.
        let mut mismatches = meta
            .digest_mismatches
            .iter()
            .cloned()
            .chain(analyze::diff_id_mismatches(&meta, &layers));
        if let Some(first) = mismatches.next() {
            return Err(LoadError::new(input.display(), Problem::Digest(first)));
        }
        meta.digests_checked = true;
    }
    // dive's metrics need only the layers: they run beside the merge, the
    // one phase that cannot use both cores on its own.
    let (image, dive_metrics) = ImageIndex::merge(meta, layers, analyze::dive_metrics);
    let builtin;
    let rules = match &opts.rules {
        Some(r) => r.as_ref(),
        None => {
            builtin = analyze::rules::RuleSet::load(None)
                .map_err(|e| LoadError::new("built-in rules", Problem::Archive(e.to_string())))?;
            &builtin
        }
    };
    let analyze::Analysis { report, packages } = analyze::analyze(
        &image,
        &dive_metrics,
        analyze::Settings {
            rules,
            budgets: &opts.budgets,
            focus: &opts.focus,
            given_base: given_base.as_ref(),
            layer_files: opts.layer_files,
            dockerfile: opts.dockerfile.as_deref(),
        },
    );
    Ok(Analysis {
        image,
        report,
        packages,
    })
}
