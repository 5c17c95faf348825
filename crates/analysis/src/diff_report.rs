//! What `ballast diff` returns: plain data comparing two images (or a saved
//! report and an image). Field names are the `--json` contract of
//! `ballast diff` (`schema_version` 1, documented in `docs/diff.schema.json`).
//!
//! Also the input side: [`Side`] is the part of a report the comparison
//! reads, with the report's own JSON field names, so a `--baseline` report
//! read from disk and a report computed a moment ago go through the same
//! code. Nothing here reads files or formats for a terminal.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::budget::BudgetVerdict;
use super::report::PathBytes;

pub const DIFF_SCHEMA_VERSION: u32 = 1;

/// The comparison of OLD and NEW.
#[derive(Clone, Debug, Serialize)]
pub struct DiffReport {
    pub schema_version: u32,
    pub old: SideInfo,
    pub new: SideInfo,
    pub size: SizeChange,
    pub pull: PullCost,
    /// Every step of both images, in NEW's order with OLD's removed steps
    /// where they stood.
    pub steps: Vec<StepChange>,
    /// Files that appeared, vanished or changed size; `null` when OLD is a
    /// saved report (a report does not list every file).
    pub paths: Option<PathsChange>,
    pub packages: PackagesChange,
    pub findings: FindingsChange,
    /// Sections left out because only OLD's saved report was given: each
    /// names the field and what it needs.
    pub needs_old_image: Vec<String>,
    /// Checks from `--max-growth`, `--max-growth-percent`, `--max-pull`,
    /// `--fail-on-new` and `[diff]` in `ballast.toml`.
    pub budget: BudgetVerdict,
    pub warnings: Vec<String>,
    /// Every changed path (the JSON lists only the largest), for the TUI's
    /// diff lens; empty when OLD is a saved report.
    #[serde(skip)]
    pub all_paths: Vec<PathChange>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SideInfo {
    pub source: String,
    /// The first repo tag, or the source.
    pub name: String,
    /// `image` (analysed now) or `report` (a saved `--json` report).
    pub from: SideKind,
    pub size_bytes: u64,
    pub compressed_size_bytes: u64,
    pub final_size_bytes: u64,
    pub file_count: u64,
    pub layer_count: usize,
    pub reclaimable_bytes: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SideKind {
    Image,
    Report,
}

#[derive(Clone, Debug, Serialize)]
pub struct SizeChange {
    /// NEW's `size_bytes` minus OLD's (sum of the layers, dive's image size).
    pub delta_bytes: i64,
    /// `delta_bytes` over OLD's size; `null` when OLD is empty.
    pub delta_ratio: Option<f64>,
    pub compressed_delta_bytes: i64,
    /// Change in the final tree's content bytes.
    pub final_delta_bytes: i64,
    /// Change in reclaimable waste.
    pub reclaimable_delta_bytes: i64,
}

/// What a host holding OLD downloads to run NEW.
#[derive(Clone, Debug, Serialize)]
pub struct PullCost {
    pub layer_count: usize,
    /// NEW's layers whose diff_id OLD has.
    pub reused_layers: usize,
    /// Their compressed bytes.
    pub reused_bytes: u64,
    /// NEW's layers OLD does not have, each distinct diff_id once.
    pub download_layers: usize,
    /// Their compressed bytes: what a pull of NEW downloads.
    pub download_bytes: u64,
    /// The first layer whose diff_id differs from OLD's at the same
    /// position: a build rebuilds every step from here, and a registry or
    /// runtime that keys layers by their parent chain sends all of them.
    /// `null` when NEW's layers start with all of OLD's.
    pub rebuilt_from: Option<RebuiltFrom>,
    /// NEW's layers, bottom first.
    pub layers: Vec<LayerPull>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RebuiltFrom {
    pub step_index: usize,
    pub instruction: String,
    pub layer_index: usize,
    /// Layers from this one to the top.
    pub layer_count: usize,
    /// Their compressed bytes.
    pub compressed_bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct LayerPull {
    pub index: usize,
    pub diff_id: Option<String>,
    pub compressed_size_bytes: u64,
    /// OLD's layer with the same diff_id.
    pub old_index: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Same instruction, same layer content (or no layer on both sides).
    Same,
    /// Matched, but its layer differs, or its instruction was edited.
    Changed,
    Added,
    Removed,
    /// The same instruction at another place in the order.
    Moved,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepChange {
    pub status: StepStatus,
    pub old_index: Option<usize>,
    pub new_index: Option<usize>,
    /// NEW's instruction (OLD's for a removed step).
    pub instruction: String,
    /// OLD's instruction when it was edited into NEW's.
    pub old_instruction: Option<String>,
    /// `null` on the side the step is missing from.
    pub old_size_bytes: Option<u64>,
    pub new_size_bytes: Option<u64>,
    pub delta_bytes: i64,
    /// NEW's layer, when the step made one.
    pub new_layer_index: Option<usize>,
    /// Whether NEW's layer is one OLD has (same diff_id).
    pub layer_reused: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct PathsChange {
    pub added_count: u64,
    pub removed_count: u64,
    /// Files whose size or content changed.
    pub changed_count: u64,
    pub added_bytes: u64,
    pub removed_bytes: u64,
    /// Directories (up to three levels deep) by how much they changed,
    /// largest change first.
    pub directories: Vec<DirChange>,
    /// Files by how much they changed, largest change first.
    pub files: Vec<PathChange>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DirChange {
    pub path: PathBytes,
    pub old_bytes: u64,
    pub new_bytes: u64,
    pub delta_bytes: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PathStatus {
    Added,
    Removed,
    Grown,
    Shrunk,
    /// Same size, other content.
    Modified,
}

#[derive(Clone, Debug, Serialize)]
pub struct PathChange {
    pub path: PathBytes,
    pub status: PathStatus,
    pub old_bytes: Option<u64>,
    pub new_bytes: Option<u64>,
    pub delta_bytes: i64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct PackagesChange {
    pub added: Vec<PackageRef>,
    pub removed: Vec<PackageRef>,
    /// Version changed (and maybe size).
    pub upgraded: Vec<PackageChange>,
    /// Same version, other size.
    pub resized: Vec<PackageChange>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PackageRef {
    pub manager: String,
    pub name: String,
    pub version: String,
    pub location: PathBytes,
    pub bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PackageChange {
    pub manager: String,
    pub name: String,
    pub location: PathBytes,
    pub old_version: String,
    pub new_version: String,
    pub old_bytes: u64,
    pub new_bytes: u64,
    pub delta_bytes: i64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct FindingsChange {
    /// Findings in NEW with no match in OLD, largest first.
    pub new: Vec<FindingRef>,
    /// Findings in OLD with no match in NEW, largest first.
    pub fixed: Vec<FindingRef>,
    pub new_bytes: u64,
    pub fixed_bytes: u64,
    /// Waste per category on both sides (categories on either side).
    pub by_category: BTreeMap<String, CategoryChange>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FindingRef {
    pub rule: String,
    pub category: String,
    pub bytes: u64,
    /// The step on its own side (NEW for new findings, OLD for fixed ones).
    pub step_index: Option<usize>,
    pub instruction: Option<String>,
    pub paths: Vec<PathBytes>,
    pub path_count: usize,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct CategoryChange {
    pub old_bytes: u64,
    pub new_bytes: u64,
    pub delta_bytes: i64,
}

// ---- input: the part of a report the comparison reads -------------------

/// One side of a comparison, read from a finished report (its `--json`
/// field names; unknown fields are ignored, so newer reports still load).
#[derive(Clone, Debug, Deserialize)]
pub struct Side {
    pub schema_version: u32,
    pub image: SideImage,
    pub layers: Vec<SideLayer>,
    pub steps: Vec<SideStep>,
    pub findings: Vec<SideFinding>,
    pub summary: SideSummary,
    pub packages: SidePackages,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SideImage {
    pub source: String,
    pub repo_tags: Vec<String>,
    pub size_bytes: u64,
    pub final_size_bytes: u64,
    pub compressed_size_bytes: u64,
    pub layer_count: usize,
    pub file_count: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SideLayer {
    pub diff_id: Option<String>,
    pub compressed_size_bytes: u64,
    pub size_bytes: u64,
    pub step_index: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SideStep {
    pub index: usize,
    pub instruction: String,
    pub layer_index: Option<usize>,
    pub size_bytes: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SideFinding {
    pub rule: String,
    pub category: String,
    pub bytes: u64,
    pub step_index: Option<usize>,
    #[serde(deserialize_with = "paths")]
    pub paths: Vec<PathBytes>,
    pub path_count: usize,
    pub message: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SideSummary {
    pub reclaimable_bytes: u64,
    pub by_category: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SidePackages {
    pub list: Vec<SidePackage>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SidePackage {
    pub manager: String,
    pub name: String,
    pub version: String,
    #[serde(deserialize_with = "path")]
    pub location: PathBytes,
    pub bytes: u64,
}

/// A path as the report writes it: a string, or `{"bytes": "<base64>"}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum JsonPath {
    Text(String),
    Raw { bytes: String },
}

impl JsonPath {
    fn into_path<E: serde::de::Error>(self) -> Result<PathBytes, E> {
        match self {
            JsonPath::Text(s) => Ok(PathBytes(s.into_bytes())),
            JsonPath::Raw { bytes } => unbase64(&bytes)
                .map(PathBytes)
                .ok_or_else(|| E::custom(format!("{bytes:?} is not base64"))),
        }
    }
}

fn path<'de, D: Deserializer<'de>>(d: D) -> Result<PathBytes, D::Error> {
    JsonPath::deserialize(d)?.into_path()
}

fn paths<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PathBytes>, D::Error> {
    Vec::<JsonPath>::deserialize(d)?
        .into_iter()
        .map(JsonPath::into_path)
        .collect()
}

/// Standard base64 with padding, the inverse of [`super::report::base64`].
fn unbase64(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let s = s.as_bytes();
    if !s.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for chunk in s.chunks(4) {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::base64;

    #[test]
    fn unbase64_inverts_the_reports_base64() {
        for raw in [
            &b""[..],
            b"f",
            b"fo",
            b"foo",
            b"caf\xe9",
            b"/a/\xff\xfe\x00x",
        ] {
            assert_eq!(unbase64(&base64(raw)).as_deref(), Some(raw));
        }
        assert_eq!(unbase64("Zg="), None);
        assert_eq!(unbase64("Z!=="), None);
    }

    #[test]
    fn report_paths_read_back_as_written() {
        let written = serde_json::to_string(&vec![
            PathBytes::from_relative(b"ok"),
            PathBytes::from_relative(b"caf\xe9"),
        ])
        .unwrap();
        let mut d = serde_json::Deserializer::from_str(&written);
        let back = paths(&mut d).unwrap();
        assert_eq!(back[0].0, b"/ok");
        assert_eq!(back[1].0, b"/caf\xe9");
    }
}
