//! The `--json` report as `docs/report.schema.json` documents it, as structs
//! that reject unknown fields: parsing a report into them fails on any field
//! the schema does not name. Shared by the test binaries that parse reports
//! (`tests/it`, `tests/packages.rs`), so the shape is written down once.

// Fields the tests read are `pub`; the rest are there only for the parse to
// check, and each binary reads a different part.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde::Deserialize;

/// A report's findings of one rule, in report order.
pub fn findings<'a>(r: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// A path in the image: a string when it is UTF-8, else `{"bytes": base64}`.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Path {
    Text(String),
    Raw { bytes: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub schema_version: u32,
    image: Image,
    pub layers: Vec<Layer>,
    pub steps: Vec<Step>,
    largest_directories: Vec<Dir>,
    dive: Dive,
    findings: Vec<Finding>,
    summary: Summary,
    suggestions: Vec<Suggestion>,
    packages: Packages,
    budget: Budget,
    filters: Filters,
    warnings: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    min_bytes: u64,
    below_min_count: usize,
    below_min_bytes: u64,
    only_own: bool,
    ignore: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Base {
    method: String,
    confidence: String,
    layer_count: usize,
    step_count: usize,
    bytes: u64,
    name: Option<String>,
    digest: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    source: String,
    format: String,
    repo_tags: Vec<String>,
    os: String,
    architecture: String,
    size_bytes: u64,
    final_size_bytes: u64,
    compressed_size_bytes: u64,
    digests_checked: bool,
    layer_count: usize,
    file_count: u64,
    base: Option<Base>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    index: usize,
    digest: Option<String>,
    diff_id: Option<String>,
    media_type: String,
    compressed_size_bytes: u64,
    tar_size_bytes: u64,
    size_bytes: u64,
    file_count: u64,
    added: u64,
    modified: u64,
    metadata_only: u64,
    removed: u64,
    step_index: usize,
    pub files: Option<Vec<FileChange>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileChange {
    path: Path,
    change: String,
    kind: Option<String>,
    size_bytes: u64,
    mode: Option<u32>,
    uid: Option<u32>,
    gid: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub index: usize,
    created_by: String,
    instruction: String,
    empty_layer: bool,
    layer_index: Option<usize>,
    size_bytes: u64,
    inherited: bool,
    #[serde(default)]
    pub dockerfile: Option<DockerfileLine>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerfileLine {
    pub path: String,
    pub line: usize,
    pub end_line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dir {
    path: Path,
    size_bytes: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dive {
    efficiency: f64,
    wasted_bytes: u64,
    user_wasted_percent: Option<f64>,
    inefficient_files: Vec<InefficientFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InefficientFile {
    path: Path,
    count: u32,
    wasted_bytes: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    rule: String,
    category: String,
    severity: String,
    bytes: u64,
    layer_index: Option<usize>,
    step_index: Option<usize>,
    paths: Vec<Path>,
    path_count: usize,
    message: String,
    suggestion: String,
    reclaimable: bool,
    keep: Option<Path>,
    #[serde(default)]
    packages: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    wasted_bytes: u64,
    reclaimable_bytes: u64,
    by_category: BTreeMap<String, u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suggestion {
    step_index: usize,
    instruction: String,
    fixes: Vec<String>,
    bytes: u64,
}

/// The `packages` section; `tests/packages.rs` parses it on its own.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Packages {
    owned_bytes: u64,
    pub unowned_bytes: u64,
    pub by_manager: BTreeMap<String, ManagerTotal>,
    pub list: Vec<Package>,
    pub unowned: Vec<Unowned>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagerTotal {
    pub count: usize,
    pub bytes: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    pub manager: String,
    name: String,
    version: String,
    location: Path,
    metadata: Path,
    pub bytes: u64,
    pub file_count: u64,
    missing_count: u64,
    layer_index: Option<usize>,
    step_index: Option<usize>,
    pub files: Vec<PackageFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageFile {
    path: Path,
    pub size_bytes: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unowned {
    path: Path,
    pub bytes: u64,
    file_count: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    passed: bool,
    checks: Vec<Check>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    name: String,
    passed: bool,
    actual: Option<f64>,
    limit: f64,
    message: String,
}
