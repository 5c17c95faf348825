//! What `ballast fix` would write for each finding, planned once when the
//! analysis arrives (only when the run has a Dockerfile): the unified-diff
//! hunks of the Dockerfile (and `.dockerignore`) edit, and the changes it
//! leaves to a person, by finding index.

use std::collections::HashMap;

use crate::analyze::dockerfile::Source;
use crate::analyze::report::Report;
use crate::present::{diff, patch};

/// At most this many findings are planned (each plans the Dockerfile once).
const MAX_PLANNED: usize = 2_000;

/// One finding's edit: diff lines from its first `@@` on, and the changes
/// to make by hand. Both empty when the planner has nothing for it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FindingFix {
    pub hunks: Vec<String>,
    pub manual: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Fixes {
    by_finding: HashMap<usize, FindingFix>,
}

impl Fixes {
    /// Plans each finding on its own against `source`; none without one.
    pub fn plan(report: &Report, source: Option<&Source>) -> Fixes {
        let Some(src) = source else {
            return Fixes::default();
        };
        let mapped = |s: Option<usize>| {
            s.and_then(|s| report.steps.get(s))
                .is_some_and(|s| s.dockerfile.is_some())
        };
        let mut by_finding = HashMap::new();
        let planned = report
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| mapped(f.step_index))
            .take(MAX_PLANNED);
        for (i, _) in planned {
            let inputs = patch::Inputs {
                findings: &report.findings[i..=i],
                steps: &report.steps,
                packages: &report.packages.list,
            };
            let plan = patch::plan(inputs, &src.path, &src.text, None);
            let mut hunks =
                hunk_lines(&diff::unified(&src.path, Some(&src.text), &plan.dockerfile));
            if let Some(ignore) = &plan.dockerignore {
                let d = diff::unified(".dockerignore", None, ignore);
                if !d.is_empty() {
                    hunks.push("+++ .dockerignore".to_string());
                    hunks.extend(hunk_lines(&d));
                }
            }
            let fix = FindingFix {
                hunks,
                manual: plan.manual,
            };
            if fix != FindingFix::default() {
                by_finding.insert(i, fix);
            }
        }
        Fixes { by_finding }
    }

    /// The edit planned for the report's finding `index`, if any.
    pub fn of(&self, index: usize) -> Option<&FindingFix> {
        self.by_finding.get(&index)
    }
}

/// The lines of a unified diff from its first hunk header on.
fn hunk_lines(d: &str) -> Vec<String> {
    d.lines()
        .skip_while(|l| !l.starts_with("@@"))
        .map(str::to_string)
        .collect()
}
