//! ballast finds the dead weight in container images.
//!
//! The pipeline runs once, one way, across three crates:
//! [`ballast_image`] loads an image and indexes its layers into an
//! [`ImageIndex`]; [`ballast_analysis`] turns that into one finished
//! [`analyze::report::Report`]; this crate, the binary's, holds what a
//! person touches: flags and settings, the printers ([`present`]) and the
//! terminal UI. [`run_pipeline`] is the one place the stages are wired.

pub mod present;

pub use ballast_analysis as analyze;
pub use ballast_image::{ImageIndex, archive, error, index};

use ballast_image::archive::{Input, LoadOptions};
use ballast_image::error::{LoadError, Problem};
use ballast_image::image_index::load_layers;
use ballast_image::index::layer::IndexOptions;

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
    /// Problems found while reading the settings that belong with the
    /// report's warnings.
    pub notes: Vec<String>,
    /// A Dockerfile to map the steps to (`--dockerfile`, or found).
    pub dockerfile: Option<std::sync::Arc<analyze::dockerfile::Source>>,
}

/// Loads, indexes, merges and analyzes one image.
pub fn run_pipeline(input: &Input, opts: &Options) -> Result<Analysis, LoadError> {
    let (meta, layers) = load_layers(input, &opts.load, opts.index)?;
    if opts.load.verify || opts.index.verify {
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
            layer_files: opts.layer_files,
            notes: &opts.notes,
            dockerfile: opts.dockerfile.as_deref(),
        },
    );
    Ok(Analysis {
        image,
        report,
        packages,
    })
}
