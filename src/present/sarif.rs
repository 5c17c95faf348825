//! `--sarif PATH`: findings and failed budgets as a SARIF 2.1.0 log, for
//! GitHub code scanning and any SARIF viewer.
//!
//! One result per finding (rule id = the finding's rule, level from its
//! severity) and one per failed budget (rule id `budget/NAME`, level
//! `error`). Bytes, category, step and paths are in each result's
//! `properties`; `partialFingerprints` hash what stays put across rebuilds
//! (rule, step instruction, paths), never digests. The location is the
//! step's Dockerfile line when [`Locations`] knows it, the image archive
//! otherwise.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{Value, json};

use crate::analyze::findings::{Finding, Severity};
use crate::analyze::report::Report;
use crate::present::location::Locations;

/// The key of ballast's partial fingerprint; bump the version when the
/// hashed fields change.
pub const FINGERPRINT_KEY: &str = "ballastFinding/v1";

/// A stable hash of a finding: its rule, the instruction of its step and
/// its paths; the same mistake in the next build hashes alike.
#[must_use]
pub fn fingerprint(r: &Report, f: &Finding) -> String {
    let mut text = Vec::new();
    text.extend_from_slice(f.rule.as_bytes());
    text.push(0);
    if let Some(s) = f.step_index.and_then(|i| r.steps.get(i)) {
        text.extend_from_slice(s.instruction.as_bytes());
    }
    for p in &f.paths {
        text.push(0);
        text.extend_from_slice(&p.0);
    }
    format!("{:032x}", twox_hash::XxHash3_128::oneshot(&text))
}

/// SARIF's level for a finding's severity.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// A URI reference for the image's path: relative paths stay relative,
/// absolute ones become `file://` URIs; reserved characters are escaped.
#[must_use]
pub fn artifact_uri(source: &str) -> String {
    let mut out = String::new();
    if source.starts_with('/') {
        out.push_str("file://");
    }
    for b in source.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location(image_uri: &str, loc: Option<&crate::present::location::SourceLocation>) -> Value {
    match loc {
        Some(l) => json!({
            "physicalLocation": {
                "artifactLocation": { "uri": artifact_uri(&l.path) },
                "region": { "startLine": l.line }
            }
        }),
        None => json!({
            "physicalLocation": {
                "artifactLocation": { "uri": image_uri, "index": 0 }
            }
        }),
    }
}

/// The SARIF log as a JSON value.
#[must_use]
pub fn log(r: &Report, locations: &Locations) -> Value {
    let image_uri = artifact_uri(&r.image.source);
    // tool.driver.rules: one per rule id, in first-seen order.
    let mut rule_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut rules: Vec<Value> = Vec::new();
    let mut index_of = |id: &str, make: &dyn Fn() -> Value| -> usize {
        *rule_index.entry(id.to_string()).or_insert_with(|| {
            rules.push(make());
            rules.len() - 1
        })
    };
    let mut results = Vec::new();
    for f in &r.findings {
        let i = index_of(&f.rule, &|| {
            json!({
                "id": f.rule,
                "name": f.rule,
                "shortDescription": { "text": format!("{} ({})", f.rule, f.category) },
                "help": { "text": f.suggestion },
                "defaultConfiguration": { "level": level(f.severity) },
                "properties": { "category": f.category }
            })
        });
        let step = f.step_index.and_then(|s| r.steps.get(s));
        let mut text = f.message.clone();
        if let Some(s) = step {
            text.push_str(&format!(" (step {}: {})", s.index, s.instruction));
        }
        text.push_str(". Fix: ");
        text.push_str(&f.suggestion);
        let paths: Vec<String> = f
            .paths
            .iter()
            .map(ballast_analysis::report::PathBytes::display)
            .collect();
        results.push(json!({
            "ruleId": f.rule,
            "ruleIndex": i,
            "level": level(f.severity),
            "message": { "text": text },
            "locations": [location(&image_uri, locations.step(f.step_index))],
            "partialFingerprints": { FINGERPRINT_KEY: fingerprint(r, f) },
            "properties": {
                "bytes": f.bytes,
                "category": f.category,
                "severity": f.severity,
                "step_index": f.step_index,
                "layer_index": f.layer_index,
                "paths": paths,
                "path_count": f.path_count,
            }
        }));
    }
    for c in r.budget.checks.iter().filter(|c| !c.passed) {
        let id = format!("budget/{}", c.name.replace(' ', "/"));
        let i = index_of(&id, &|| {
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": format!("budget {}", c.name) },
                "defaultConfiguration": { "level": "error" }
            })
        });
        results.push(json!({
            "ruleId": id,
            "ruleIndex": i,
            "level": "error",
            "message": { "text": format!("over budget: {}", c.message) },
            "locations": [location(&image_uri, None)],
            "partialFingerprints": {
                FINGERPRINT_KEY: format!("{:032x}", twox_hash::XxHash3_128::oneshot(id.as_bytes()))
            },
            "properties": { "actual": c.actual, "limit": c.limit }
        }));
    }
    json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "ballast",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules
                }
            },
            "artifacts": [{
                "location": { "uri": image_uri },
                "description": { "text": "the container image archive analyzed" }
            }],
            "results": results,
            "properties": {
                "image_size_bytes": r.image.size_bytes,
                "reclaimable_bytes": r.summary.reclaimable_bytes,
                "budget_passed": r.budget.passed
            }
        }]
    })
}

pub fn write(r: &Report, locations: &Locations, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(r, locations)).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_escape_reserved_characters() {
        assert_eq!(artifact_uri("app.tar"), "app.tar");
        assert_eq!(
            artifact_uri("/tmp/my img#1.tar"),
            "file:///tmp/my%20img%231.tar"
        );
        assert_eq!(artifact_uri("-"), "-");
    }
}
