//! Two images analysed for `ballast diff`: every layer whose diff_id the
//! other side already indexed is taken from it, not read again, so two
//! images sharing a base cost one analysis of each distinct layer.

use std::collections::HashMap;

use crate::archive::Input;
use crate::error::LoadError;
use crate::index::layer::LayerIndex;
use crate::{Analysis, Options, run_pipeline, run_pipeline_reusing};

/// Analyses `old` and `new`. Stdin (at most one side) is read first, in one
/// pass; the other side then reuses its layers.
pub fn analyze_pair(
    old: &Input,
    new: &Input,
    opts: &Options,
) -> Result<(Analysis, Analysis), LoadError> {
    if matches!(new, Input::Stdin) && !matches!(old, Input::Stdin) {
        let new_a = run_pipeline(new, opts)?;
        let old_a = analyze_reusing_from(old, opts, &new_a)?;
        return Ok((old_a, new_a));
    }
    let old_a = run_pipeline(old, opts)?;
    let new_a = analyze_reusing_from(new, opts, &old_a)?;
    Ok((old_a, new_a))
}

/// Analyses `input`, reusing `done`'s layers by diff_id.
pub fn analyze_reusing_from(
    input: &Input,
    opts: &Options,
    done: &Analysis,
) -> Result<Analysis, LoadError> {
    let by_diff_id: HashMap<&str, &LayerIndex> = done
        .image
        .meta
        .config
        .rootfs()
        .diff_ids()
        .iter()
        .map(String::as_str)
        .zip(&done.image.layers)
        .collect();
    run_pipeline_reusing(input, opts, &|d| by_diff_id.get(d).map(|l| (*l).clone()))
}

/// `ballast diff` of two analysed images: reports and final trees compared,
/// `budgets` checked.
///
/// # Errors
/// When a report cannot be read back as a comparison side.
pub fn compare(
    old: &Analysis,
    new: &Analysis,
    budgets: &crate::analyze::diff::DiffBudgets,
) -> Result<crate::analyze::diff_report::DiffReport, String> {
    use crate::analyze::diff::{self, FileSizes};
    use crate::analyze::diff_report::SideKind;
    let new_side = diff::side_of(&new.report)?;
    let new_files = FileSizes::of_image(&new.image);
    let old_side = diff::side_of(&old.report)?;
    let old_files = FileSizes::of_image(&old.image);
    let side = |side, files| diff::Input {
        side,
        kind: SideKind::Image,
        files: Some(files),
    };
    Ok(diff::compare(
        &side(&old_side, &old_files),
        &side(&new_side, &new_files),
        budgets,
    ))
}
