//! `ballast diff --format markdown`: a pull-request comment or CI step
//! summary. Headline and verdict in the open; tables longer than a few rows
//! folded in `<details>`. Every table has a row cap, so the comment stays
//! far below GitHub's 1 MiB step-summary limit whatever the images hold.

use std::io::{self, Write};

use crate::analyze::diff_report::{DiffReport, StepStatus};
use crate::present::diff_text::{headline, path_status, signed, step_status};
use crate::present::text::{ellipsize_middle, human};

/// Rows shown before a table is folded.
const OPEN_ROWS: usize = 8;
/// Rows in any table at all; the rest are counted.
const MAX_ROWS: usize = 100;
/// Widest cell text (instructions, paths, messages).
const CELL_WIDTH: usize = 120;

/// Text safe in Markdown: no pipes, line breaks or backticks, and no HTML.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '|' => '¦',
            '`' => '\'',
            '<' => '‹',
            '>' => '›',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// [`clean`] text for a table cell, cut in the middle when long.
fn cell(s: &str) -> String {
    ellipsize_middle(&clean(s), CELL_WIDTH)
}

/// A table: header, rows (capped), folded when long.
fn table(
    out: &mut dyn Write,
    title: &str,
    header: &str,
    align: &str,
    rows: &[String],
) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let folded = rows.len() > OPEN_ROWS;
    if folded {
        writeln!(out, "<details><summary>{title} ({})</summary>", rows.len())?;
        writeln!(out)?;
    } else {
        writeln!(out, "**{title}**")?;
        writeln!(out)?;
    }
    writeln!(out, "{header}")?;
    writeln!(out, "{align}")?;
    for r in rows.iter().take(MAX_ROWS) {
        writeln!(out, "{r}")?;
    }
    if rows.len() > MAX_ROWS {
        writeln!(
            out,
            "| … {} more in the JSON report | |",
            rows.len() - MAX_ROWS
        )?;
    }
    if folded {
        writeln!(out)?;
        writeln!(out, "</details>")?;
    }
    Ok(())
}

pub fn write(d: &DiffReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "### ballast diff: `{}` → `{}`",
        cell(&d.old.name),
        cell(&d.new.name)
    )?;
    writeln!(out)?;
    for l in headline(d) {
        writeln!(out, "- {}", clean(&l))?;
    }
    crate::present::markdown::write_budget(&d.budget, out)?;
    let idx = |i: Option<usize>| i.map_or_else(|| "-".to_string(), |i| i.to_string());
    let steps: Vec<String> = d
        .steps
        .iter()
        .filter(|s| s.status != StepStatus::Same)
        .map(|s| {
            let was = s
                .old_instruction
                .as_ref()
                .map_or_else(String::new, |w| format!(" (was `{}`)", cell(w)));
            format!(
                "| {} | {} | {} | {} | `{}`{was} |",
                step_status(s.status),
                idx(s.old_index),
                idx(s.new_index),
                signed(s.delta_bytes),
                cell(&s.instruction)
            )
        })
        .collect();
    table(
        out,
        "Steps that changed",
        "| Status | Old | New | Δ | Instruction |",
        "|---|---:|---:|---:|---|",
        &steps,
    )?;
    let f = &d.findings;
    let findings: Vec<String> = f
        .new
        .iter()
        .map(|x| ("new", x))
        .chain(f.fixed.iter().map(|x| ("fixed", x)))
        .map(|(tag, x)| {
            format!(
                "| {tag} | {} | {} | {} | {} |",
                human(x.bytes),
                cell(&x.category),
                x.step_index.map_or_else(|| "-".into(), |s| s.to_string()),
                cell(&x.message)
            )
        })
        .collect();
    table(
        out,
        "Findings new and fixed",
        "| | Waste | Category | Step | Finding |",
        "|---|---:|---|---:|---|",
        &findings,
    )?;
    let pk = &d.packages;
    let mut packages: Vec<String> = Vec::new();
    for (tag, list) in [("added", &pk.added), ("removed", &pk.removed)] {
        packages.extend(list.iter().map(|p| {
            format!(
                "| {tag} | {} | {} | {} | {} |",
                cell(&p.manager),
                cell(&p.name),
                cell(&p.version),
                human(p.bytes)
            )
        }));
    }
    for (tag, list) in [("upgraded", &pk.upgraded), ("resized", &pk.resized)] {
        packages.extend(list.iter().map(|p| {
            format!(
                "| {tag} | {} | {} | {} → {} | {} |",
                cell(&p.manager),
                cell(&p.name),
                cell(&p.old_version),
                cell(&p.new_version),
                signed(p.delta_bytes)
            )
        }));
    }
    table(
        out,
        "Packages",
        "| | Manager | Package | Version | Bytes |",
        "|---|---|---|---|---:|",
        &packages,
    )?;
    if let Some(p) = &d.paths {
        let dirs: Vec<String> = p
            .directories
            .iter()
            .map(|c| {
                format!(
                    "| {} | `{}` | {} | {} |",
                    signed(c.delta_bytes),
                    cell(&c.path.display()),
                    human(c.old_bytes),
                    human(c.new_bytes)
                )
            })
            .collect();
        table(
            out,
            "Directories that changed most",
            "| Δ | Directory | Old | New |",
            "|---:|---|---:|---:|",
            &dirs,
        )?;
        let files: Vec<String> = p
            .files
            .iter()
            .map(|c| {
                format!(
                    "| {} | {} | `{}` |",
                    signed(c.delta_bytes),
                    path_status(c.status),
                    cell(&c.path.display())
                )
            })
            .collect();
        table(
            out,
            "Files that changed most",
            "| Δ | Change | File |",
            "|---:|---|---|",
            &files,
        )?;
    }
    if !d.needs_old_image.is_empty() {
        writeln!(out)?;
        for n in &d.needs_old_image {
            writeln!(out, "_Not compared: {}_", cell(n))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::diff::{self, DiffBudgets, FileSizes};
    use crate::analyze::diff_report::{Side, SideKind};

    /// A report side with `n` of everything, long texts, `tag` in names so
    /// the two sides share nothing.
    fn side(n: usize, tag: &str) -> Side {
        let long = "x".repeat(5_000);
        let steps: Vec<_> = (0..n)
            .map(|i| {
                serde_json::json!({"index": i, "instruction": format!("RUN {tag} {i} {long}"),
                                   "layer_index": i, "size_bytes": i})
            })
            .collect();
        let layers: Vec<_> = (0..n)
            .map(|i| {
                serde_json::json!({"diff_id": format!("sha256:{tag}{i}"), "compressed_size_bytes": i,
                                   "size_bytes": i, "step_index": i})
            })
            .collect();
        let findings: Vec<_> = (0..n)
            .map(|i| {
                serde_json::json!({"rule": "r", "category": "cache", "bytes": i, "step_index": i,
                                   "paths": [format!("/{tag}/{i}/{long}")], "path_count": 1,
                                   "message": format!("{long}|`<b>")})
            })
            .collect();
        let packages: Vec<_> = (0..n)
            .map(|i| {
                serde_json::json!({"manager": "pip", "name": format!("{tag}{i}{long}"), "version": long,
                                   "location": "/", "bytes": i})
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "schema_version": 1,
            "image": {"source": tag, "repo_tags": [], "size_bytes": n, "final_size_bytes": n,
                      "compressed_size_bytes": n, "layer_count": n, "file_count": n},
            "layers": layers, "steps": steps, "findings": findings,
            "summary": {"reclaimable_bytes": 0, "by_category": {}},
            "packages": {"list": packages},
        }))
        .unwrap()
    }

    #[test]
    fn long_tables_fold_and_the_comment_stays_under_1_mib() {
        let (a, b) = (side(1_000, "old"), side(1_000, "new"));
        let files = FileSizes::default();
        let input = |s, kind| diff::Input {
            side: s,
            kind,
            files: Some(&files),
        };
        let d = diff::compare(
            &input(&a, SideKind::Image),
            &input(&b, SideKind::Image),
            &DiffBudgets::default(),
        );
        // Every step edited in place: one changed row each.
        assert_eq!(d.steps.len(), 1_000);
        let mut out = Vec::new();
        write(&d, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.len() < 1 << 20, "{} bytes", text.len());
        assert!(text.contains("<details><summary>Steps that changed (1000)</summary>"));
        assert!(text.contains("<details><summary>Packages (2000)</summary>"));
        assert!(text.contains("… 1900 more in the JSON report"));
        // Cell text cannot open HTML or break the table.
        assert!(!text.contains("<b>") && !text.contains("|`"));
    }
}
