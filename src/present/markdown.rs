//! `--format markdown` / `--markdown PATH`: a compact summary for a pull
//! request comment or a CI step summary: steps by size, top findings, the
//! budget verdict.

use std::io::{self, Write};

use crate::analyze::budget::BudgetVerdict;
use crate::analyze::report::Report;
use crate::present::text::{ellipsize_middle, human};

/// Rows in each table; the rest are counted.
const ROWS: usize = 10;

/// Makes text safe inside a table cell: no pipes, no line breaks, no
/// backticks that would open code spans across cells.
pub fn cell(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '|' => '¦',
            '`' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

pub fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let img = &r.image;
    let name = img
        .repo_tags
        .first()
        .map_or(img.source.as_str(), String::as_str);
    writeln!(out, "### ballast: `{}`", cell(name))?;
    writeln!(out)?;
    writeln!(
        out,
        "**{}** in {} layers ({} {}) · **{} reclaimable** · dive efficiency {:.2} %",
        human(img.size_bytes),
        img.layer_count,
        human(img.compressed_size_bytes),
        super::text::stored_word(r),
        human(r.summary.reclaimable_bytes),
        r.dive.efficiency * 100.0
    )?;
    write_budget(&r.budget, out)?;
    if let Some(b) = &img.base {
        writeln!(out)?;
        writeln!(out, "{}", cell(&crate::present::text::base_line(b)))?;
    }
    writeln!(out)?;
    writeln!(out, "| Step | Size | Whose | Instruction |")?;
    writeln!(out, "|---:|---:|---|---|")?;
    let mut steps: Vec<_> = r
        .steps
        .iter()
        .filter(|s| s.layer_index.is_some() && !(r.filters.only_own && s.inherited))
        .collect();
    steps.sort_by(|a, b| b.size_bytes.cmp(&a.size_bytes).then(a.index.cmp(&b.index)));
    for s in steps.iter().take(ROWS) {
        writeln!(
            out,
            "| {} | {} | {} | `{}`{} |",
            s.index,
            human(s.size_bytes),
            if s.inherited { "inherited" } else { "yours" },
            cell(&ellipsize_middle(&s.instruction, 80)),
            super::text::dockerfile_at(s).map_or(String::new(), |at| format!(" ({})", cell(&at)))
        )?;
    }
    if steps.len() > ROWS {
        writeln!(out, "| | | | … {} smaller steps |", steps.len() - ROWS)?;
    }
    let sized: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.bytes > 0 && f.bytes >= r.filters.min_bytes)
        .collect();
    if !sized.is_empty() {
        writeln!(out)?;
        writeln!(out, "| Waste | Step | Category | Finding | Fix |")?;
        writeln!(out, "|---:|---:|---|---|---|")?;
        for f in sized.iter().take(ROWS) {
            let step = f.step_index.map_or_else(|| "-".into(), |s| s.to_string());
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                human(f.bytes),
                step,
                cell(&f.category),
                cell(&f.message),
                cell(&f.suggestion)
            )?;
        }
        if sized.len() > ROWS {
            writeln!(
                out,
                "| | | | … {} more findings in the JSON report | |",
                sized.len() - ROWS
            )?;
        }
    }
    if r.filters.below_min_count > 0 {
        writeln!(out)?;
        writeln!(
            out,
            "{} findings under {} ({} in all) are not listed; the JSON report has them.",
            r.filters.below_min_count,
            human(r.filters.min_bytes),
            human(r.filters.below_min_bytes)
        )?;
    }
    Ok(())
}

/// The budget verdict and one row per check; nothing when no budget is set.
pub fn write_budget(budget: &BudgetVerdict, out: &mut dyn Write) -> io::Result<()> {
    if budget.checks.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let failed = budget.failed();
    if failed == 0 {
        writeln!(out, "Budget: ✅ all {} checks pass", budget.checks.len())?;
    } else {
        writeln!(
            out,
            "Budget: ❌ {failed} of {} checks fail",
            budget.checks.len()
        )?;
    }
    writeln!(out)?;
    writeln!(out, "| Check | Result | Detail |")?;
    writeln!(out, "|---|---|---|")?;
    for c in &budget.checks {
        writeln!(
            out,
            "| {} | {} | {} |",
            cell(&c.name),
            if c.passed { "PASS" } else { "**FAIL**" },
            cell(&c.message)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc`d"), "a¦b c'd");
    }
}
