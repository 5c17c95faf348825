//! GitHub Actions: the job's step summary (Markdown appended to
//! `$GITHUB_STEP_SUMMARY`) and workflow annotations (`::error` for failed
//! budgets, `::warning` for the largest findings).
//!
//! GitHub shows at most 1 MiB of step summary per step and 10 annotations
//! of each type per step: the summary is cut at a table row, never inside
//! one or inside an open `<details>`, and the annotations stop at ten.

use crate::analyze::report::Report;
use crate::present::location::Locations;
use crate::present::markdown::{self, cell};
use crate::present::text::{ellipsize_middle, human};

/// GitHub's limit on one step's summary.
pub const STEP_SUMMARY_LIMIT: u64 = 1 << 20;
/// GitHub shows at most this many annotations of each type per step.
pub const ANNOTATIONS_PER_TYPE: usize = 10;
/// Widest table cell in the summary's long tables.
const CELL_WIDTH: usize = 300;
/// dive's inefficient files listed at most (a big image has tens of
/// thousands; the first hundreds say what there is to say).
const DIVE_ROWS: usize = 500;
/// Room kept for the closing lines of a cut table.
const CLOSING_ROOM: usize = 400;

/// Appends lines to a string that must stay within `limit` bytes.
struct Bounded {
    text: String,
    limit: usize,
}

impl Bounded {
    /// Adds `line` if it leaves `reserve` bytes free; false when it would not.
    fn line(&mut self, line: &str, reserve: usize) -> bool {
        if self.text.len() + line.len() + 1 + reserve > self.limit {
            return false;
        }
        self.text.push_str(line);
        self.text.push('\n');
        true
    }

    /// A collapsed table: `rows` after `header`, cut with a note when the
    /// limit is near.
    fn details(
        &mut self,
        summary: &str,
        header: &[&str],
        rows: impl Iterator<Item = String>,
        total: usize,
    ) {
        let open = format!("<details><summary>{summary}</summary>\n");
        if !self.line(&open, CLOSING_ROOM) {
            return;
        }
        for h in header {
            self.line(h, CLOSING_ROOM);
        }
        let mut shown = 0;
        for row in rows {
            if !self.line(&row, CLOSING_ROOM) {
                break;
            }
            shown += 1;
        }
        if shown < total {
            let note = format!(
                "\n… {} more rows left out (`--json` has them all).",
                total - shown
            );
            self.line(&note, 20);
        }
        self.line("\n</details>\n", 0);
    }
}

/// The step summary: the Markdown summary, then the long tables (every
/// step, every finding, dive's inefficient files) each folded in a
/// `<details>`; never more than `limit` bytes.
#[must_use]
pub fn step_summary(r: &Report, limit: usize) -> String {
    let mut head = Vec::new();
    let _ = markdown::write(r, &mut head);
    let head = String::from_utf8_lossy(&head);
    let mut b = Bounded {
        text: String::new(),
        limit,
    };
    // Whole lines only: a cut table stays a table.
    for line in head.lines() {
        if !b.line(line, CLOSING_ROOM) {
            return b.text;
        }
    }
    b.line("", 0);
    let cut = |s: &str| cell(&ellipsize_middle(s, CELL_WIDTH));
    if r.steps.len() > 10 {
        b.details(
            &format!("All {} steps", r.steps.len()),
            &["| Step | Size | Instruction |", "|---:|---:|---|"],
            r.steps.iter().map(|s| {
                format!(
                    "| {} | {} | `{}` |",
                    s.index,
                    human(s.size_bytes),
                    cut(&s.instruction)
                )
            }),
            r.steps.len(),
        );
    }
    if r.findings.len() > 10 {
        b.details(
            &format!("All {} findings", r.findings.len()),
            &[
                "| Waste | Step | Category | Finding | First path |",
                "|---:|---:|---|---|---|",
            ],
            r.findings.iter().map(|f| {
                format!(
                    "| {} | {} | {} | {} | {} |",
                    human(f.bytes),
                    f.step_index.map_or_else(|| "-".into(), |s| s.to_string()),
                    cut(&f.category),
                    cut(&f.message),
                    f.paths
                        .first()
                        .map_or_else(String::new, |p| cut(&p.display()))
                )
            }),
            r.findings.len(),
        );
    }
    let files = &r.dive.inefficient_files;
    if !files.is_empty() {
        b.details(
            &format!("dive's {} inefficient files", files.len()),
            &["| Count | Wasted | Path |", "|---:|---:|---|"],
            files.iter().take(DIVE_ROWS).map(|f| {
                format!(
                    "| {} | {} | {} |",
                    f.count,
                    human(f.wasted_bytes),
                    cut(&f.path.display())
                )
            }),
            files.len(),
        );
    }
    b.text
}

/// Escapes a workflow command's message (GitHub's rules: `%`, CR, LF).
#[must_use]
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (also `:` and `,`).
#[must_use]
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::error` lines for failed budgets and `::warning` lines for the
/// largest findings, at most [`ANNOTATIONS_PER_TYPE`] of each. A finding
/// points at its step's Dockerfile line when `locations` knows it.
#[must_use]
pub fn annotations(r: &Report, locations: &Locations) -> Vec<String> {
    let mut out = Vec::new();
    for c in r
        .budget
        .checks
        .iter()
        .filter(|c| !c.passed)
        .take(ANNOTATIONS_PER_TYPE)
    {
        out.push(format!(
            "::error title={}::{}",
            escape_property(&format!("ballast: over budget ({})", c.name)),
            escape_data(&c.message)
        ));
    }
    let mut sized: Vec<_> = r.findings.iter().filter(|f| f.bytes > 0).collect();
    sized.sort_by_key(|f| std::cmp::Reverse(f.bytes));
    for f in sized.into_iter().take(ANNOTATIONS_PER_TYPE) {
        let mut props = Vec::new();
        if let Some(l) = locations.step(f.step_index) {
            props.push(format!("file={}", escape_property(&l.path)));
            props.push(format!("line={}", l.line));
        }
        props.push(format!(
            "title={}",
            escape_property(&format!(
                "ballast: {} {} ({})",
                human(f.bytes),
                f.category,
                f.rule
            ))
        ));
        let step = f
            .step_index
            .map(|s| format!("step {s}: "))
            .unwrap_or_default();
        let msg = format!("{step}{}. Fix: {}", f.message, f.suggestion);
        out.push(format!(
            "::warning {}::{}",
            props.join(","),
            escape_data(&msg)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping_follows_github() {
        assert_eq!(escape_data("50% a\r\nb: c,d"), "50%25 a%0D%0Ab: c,d");
        assert_eq!(escape_property("a: b,c%"), "a%3A b%2Cc%25");
    }
}
