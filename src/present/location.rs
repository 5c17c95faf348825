//! Where a step was written: the hook CI printers use to point SARIF
//! results, Code Quality issues and GitHub annotations at a Dockerfile
//! line. It is filled from the report's `steps[].dockerfile` (given with
//! `--dockerfile` or found); where a step has none, each printer points at
//! the image archive itself.

/// A line of a file in the repository, e.g. `Dockerfile` line 12.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLocation {
    /// Relative to the repository root, `/`-separated.
    pub path: String,
    /// 1-based.
    pub line: u32,
}

/// Each step's source location, by step index, where known.
#[derive(Clone, Debug, Default)]
pub struct Locations {
    by_step: Vec<Option<SourceLocation>>,
}

impl Locations {
    /// Locations by step index (`None` where unknown).
    #[must_use]
    pub fn new(by_step: Vec<Option<SourceLocation>>) -> Locations {
        Locations { by_step }
    }

    /// Each step's Dockerfile line, as the report mapped them.
    #[must_use]
    pub fn of_report(r: &ballast_analysis::report::Report) -> Locations {
        Locations::new(
            r.steps
                .iter()
                .map(|s| {
                    s.dockerfile.as_ref().map(|d| SourceLocation {
                        path: d.path.clone(),
                        line: u32::try_from(d.line).unwrap_or(u32::MAX),
                    })
                })
                .collect(),
        )
    }

    /// Where step `index` was written, if known.
    #[must_use]
    pub fn step(&self, index: Option<usize>) -> Option<&SourceLocation> {
        self.by_step.get(index?)?.as_ref()
    }
}
