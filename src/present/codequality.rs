//! `--codequality PATH`: a GitLab Code Quality report (the Code Climate
//! issue subset GitLab reads: `description`, `check_name`, `fingerprint`,
//! `severity`, `location.path` and `location.lines.begin`), one issue per
//! finding and one per failed budget, so merge requests show them.
//!
//! The location is the step's Dockerfile line when [`Locations`] knows it,
//! the image archive's path (line 1) otherwise. Fingerprints are unique in
//! a report, as GitLab requires.

use std::collections::HashSet;
use std::io::{self, Write};

use serde_json::{Value, json};

use crate::analyze::findings::Severity;
use crate::analyze::report::Report;
use crate::present::location::Locations;
use crate::present::sarif::fingerprint;

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::High => "major",
        Severity::Medium => "minor",
        Severity::Low | Severity::Info => "info",
    }
}

/// The report as a JSON array.
#[must_use]
pub fn issues(r: &Report, locations: &Locations) -> Value {
    let mut seen = HashSet::new();
    let mut unique = |base: String| {
        let mut fp = base.clone();
        let mut n = 1u32;
        while !seen.insert(fp.clone()) {
            n += 1;
            fp = format!("{base}-{n}");
        }
        fp
    };
    let image = r.image.source.as_str();
    let mut out = Vec::new();
    for f in &r.findings {
        let (path, line) = locations
            .step(f.step_index)
            .map_or((image, 1), |l| (l.path.as_str(), l.line));
        let step = f
            .step_index
            .and_then(|i| r.steps.get(i))
            .map(|s| format!(" (step {}: {})", s.index, s.instruction))
            .unwrap_or_default();
        out.push(json!({
            "type": "issue",
            "description": format!("{}{step}", f.message),
            "check_name": f.rule,
            "fingerprint": unique(fingerprint(r, f)),
            "severity": severity(f.severity),
            "categories": ["Performance"],
            "content": { "body": f.suggestion },
            "location": { "path": path, "lines": { "begin": line } }
        }));
    }
    for c in r.budget.checks.iter().filter(|c| !c.passed) {
        let id = format!("budget/{}", c.name.replace(' ', "/"));
        out.push(json!({
            "type": "issue",
            "description": format!("over budget: {}", c.message),
            "check_name": id,
            "fingerprint": unique(format!("{:032x}", twox_hash::XxHash3_128::oneshot(id.as_bytes()))),
            "severity": "critical",
            "categories": ["Performance"],
            "location": { "path": image, "lines": { "begin": 1 } }
        }));
    }
    Value::Array(out)
}

pub fn write(r: &Report, locations: &Locations, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &issues(r, locations)).map_err(io::Error::from)?;
    out.write_all(b"\n")
}
