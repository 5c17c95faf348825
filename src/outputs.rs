//! Which outputs a run writes, and where: every `--FLAG PATH|-` output
//! (`-` is stdout), the summary on stdout, and in GitHub Actions the step
//! summary and workflow annotations.
//!
//! The rule users read in the README: at most one output goes to stdout,
//! and no two outputs share a file. Anything else is refused in one line
//! before the image is read, never resolved by silently dropping one.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use ballast::analyze::report::Report;
use ballast::present::{self, location::Locations};

use crate::cli::{Format, JsonTarget};

/// The outputs asked for, as typed.
pub struct Requested {
    pub json: Option<JsonTarget>,
    pub markdown: Option<JsonTarget>,
    pub sarif: Option<JsonTarget>,
    pub codequality: Option<JsonTarget>,
    pub junit: Option<JsonTarget>,
    pub html: Option<JsonTarget>,
    pub ncdu: Option<JsonTarget>,
    /// `--format`, when given: the summary then claims stdout.
    pub format: Option<Format>,
}

impl Requested {
    fn files(&self) -> [(&'static str, &Option<JsonTarget>); 7] {
        [
            ("--json", &self.json),
            ("--markdown", &self.markdown),
            ("--sarif", &self.sarif),
            ("--codequality", &self.codequality),
            ("--junit", &self.junit),
            ("--html", &self.html),
            ("--ncdu", &self.ncdu),
        ]
    }

    /// Refuses two outputs on stdout and two outputs in one file.
    pub fn check(&self) -> Result<(), String> {
        let mut on_stdout: Vec<String> = self
            .files()
            .iter()
            .filter(|(_, t)| **t == Some(JsonTarget::Stdout))
            .map(|(flag, _)| format!("{flag} -"))
            .collect();
        if let Some(f) = self.format {
            on_stdout.push(format!("--format {}", format_name(f)));
        }
        if on_stdout.len() > 1 {
            return Err(format!(
                "{} all write to stdout: at most one output may; give the others a file path",
                on_stdout.join(", ")
            ));
        }
        let files = self.files();
        for (i, (a, ta)) in files.iter().enumerate() {
            for (b, tb) in &files[i + 1..] {
                if let (Some(JsonTarget::File(pa)), Some(JsonTarget::File(pb))) = (ta, tb)
                    && pa == pb
                {
                    return Err(format!(
                        "{a} and {b} both write {}: give each output its own file",
                        pa.display()
                    ));
                }
            }
        }
        Ok(())
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Text => "text",
        Format::Markdown => "markdown",
    }
}

/// Any output but the summary goes to stdout.
pub fn other_on_stdout(targets: &[&Option<JsonTarget>]) -> bool {
    targets.iter().any(|t| **t == Some(JsonTarget::Stdout))
}

/// Writes one output to its file, or to `out` for stdout.
pub fn emit(
    target: Option<&JsonTarget>,
    out: &mut dyn Write,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    match target {
        None => Ok(()),
        Some(JsonTarget::Stdout) => f(out),
        Some(JsonTarget::File(path)) => crate::with_file(path, f),
    }
}

/// The first line of `--ci` output when no budget was set anywhere.
pub const DIVE_DEFAULTS_NOTE: &str = "No budget set (flags, ballast.toml, .dive-ci): applying dive 0.13.1's default rules as `dive --ci` does: lowestEfficiency 0.9, highestUserWastedPercent 0.1 (highestWastedBytes off)";

/// In GitHub Actions: the Markdown summary appended to
/// `$GITHUB_STEP_SUMMARY`, and annotations on stderr (the runner reads
/// workflow commands from both streams; stdout may carry a report).
pub fn github_actions(r: &Report, locations: &Locations) -> io::Result<()> {
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        append_step_summary(Path::new(&path), r)?;
    }
    if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
        let mut err = io::stderr().lock();
        for line in present::github::annotations(r, locations) {
            writeln!(err, "{line}")?;
        }
    }
    Ok(())
}

fn append_step_summary(path: &Path, r: &Report) -> io::Result<()> {
    let named = |e: io::Error| {
        io::Error::new(
            e.kind(),
            format!("GITHUB_STEP_SUMMARY {}: {e}", path.display()),
        )
    };
    let used = std::fs::metadata(path).map_or(0, |m| m.len());
    let room = usize::try_from(present::github::STEP_SUMMARY_LIMIT.saturating_sub(used))
        .unwrap_or(usize::MAX);
    let text = present::github::step_summary(r, room);
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(named)?;
    f.write_all(text.as_bytes()).map_err(named)
}
