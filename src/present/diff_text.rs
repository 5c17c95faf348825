//! `ballast diff` as plain text: the size and pull cost first, then what
//! changed step by step, path by path, package by package, the findings
//! that are new or fixed, and the budget verdict. Writes to any `io::Write`.

use std::io::{self, Write};

use crate::analyze::diff_report::{DiffReport, PathStatus, StepStatus};
use crate::present::text::{Paint, ellipsize_middle, human, one_line, write_budget};

/// Widest instruction column before it is cut in the middle.
const INSTRUCTION_WIDTH: usize = 80;
/// Rows per list; the rest are counted (the JSON has them all).
const ROWS: usize = 15;

/// `+1.2 MB` / `-300 kB` / `0 B`.
pub fn signed(d: i64) -> String {
    match d.signum() {
        1 => format!("+{}", human(d.unsigned_abs())),
        -1 => format!("-{}", human(d.unsigned_abs())),
        _ => "0 B".into(),
    }
}

pub fn step_status(s: StepStatus) -> &'static str {
    match s {
        StepStatus::Same => "same",
        StepStatus::Changed => "changed",
        StepStatus::Added => "added",
        StepStatus::Removed => "removed",
        StepStatus::Moved => "moved",
    }
}

pub fn path_status(s: PathStatus) -> &'static str {
    match s {
        PathStatus::Added => "added",
        PathStatus::Removed => "removed",
        PathStatus::Grown => "grown",
        PathStatus::Shrunk => "shrunk",
        PathStatus::Modified => "modified",
    }
}

/// The headline: size change, pull cost and the first rebuilt step.
pub fn headline(d: &DiffReport) -> Vec<String> {
    let mut lines = Vec::new();
    let pct = d
        .size
        .delta_ratio
        .map_or_else(String::new, |r| format!(", {:+.1} %", r * 100.0));
    lines.push(format!(
        "Size: {} → {} ({}{pct}); compressed {}; reclaimable waste {}",
        human(d.old.size_bytes),
        human(d.new.size_bytes),
        signed(d.size.delta_bytes),
        signed(d.size.compressed_delta_bytes),
        signed(d.size.reclaimable_delta_bytes),
    ));
    let p = &d.pull;
    lines.push(format!(
        "Pull: a host holding OLD downloads {} ({} of {} layers); {} layers ({}) reused",
        human(p.download_bytes),
        p.download_layers,
        p.layer_count,
        p.reused_layers,
        human(p.reused_bytes),
    ));
    match &p.rebuilt_from {
        Some(r) => lines.push(format!(
            "This change rebuilds everything from step {}: {} to push and pull ({} layers, from {})",
            r.step_index,
            human(r.compressed_bytes),
            r.layer_count,
            ellipsize_middle(&one_line(&r.instruction), 60),
        )),
        None => lines.push("No layer of OLD was rebuilt".into()),
    }
    lines
}

pub fn write(d: &DiffReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "ballast diff: {} → {}",
        one_line(&d.old.name),
        one_line(&d.new.name)
    )?;
    for l in headline(d) {
        writeln!(out, "{l}")?;
    }
    writeln!(out)?;
    writeln!(out, "Steps")?;
    writeln!(
        out,
        "  {:<8} {:>4} {:>4}  {:>9}  {:>9}  {:>10}  INSTRUCTION",
        "STATUS", "OLD", "NEW", "OLD SIZE", "NEW SIZE", "DELTA"
    )?;
    let idx = |i: Option<usize>| i.map_or_else(|| "-".to_string(), |i| i.to_string());
    let size = |s: Option<u64>| s.map_or_else(|| "-".to_string(), human);
    for s in &d.steps {
        writeln!(
            out,
            "  {:<8} {:>4} {:>4}  {:>9}  {:>9}  {:>10}  {}",
            step_status(s.status),
            idx(s.old_index),
            idx(s.new_index),
            size(s.old_size_bytes),
            size(s.new_size_bytes),
            signed(s.delta_bytes),
            ellipsize_middle(&one_line(&s.instruction), INSTRUCTION_WIDTH)
        )?;
        if let Some(was) = &s.old_instruction {
            writeln!(
                out,
                "  {:>55}  was: {}",
                "",
                ellipsize_middle(&one_line(was), INSTRUCTION_WIDTH)
            )?;
        }
    }
    if let Some(p) = &d.paths {
        writeln!(out)?;
        writeln!(
            out,
            "Paths: {} added ({}), {} removed ({}), {} changed",
            p.added_count,
            human(p.added_bytes),
            p.removed_count,
            human(p.removed_bytes),
            p.changed_count
        )?;
        if !p.directories.is_empty() {
            writeln!(out, "  Directories")?;
            for c in p.directories.iter().take(ROWS) {
                writeln!(
                    out,
                    "  {:>10}  {} ({} → {})",
                    signed(c.delta_bytes),
                    c.path.display(),
                    human(c.old_bytes),
                    human(c.new_bytes)
                )?;
            }
        }
        if !p.files.is_empty() {
            writeln!(out, "  Files")?;
            for c in p.files.iter().take(ROWS) {
                writeln!(
                    out,
                    "  {:>10}  {:<8}  {}",
                    signed(c.delta_bytes),
                    path_status(c.status),
                    c.path.display()
                )?;
            }
            let total = p.added_count + p.removed_count + p.changed_count;
            let shown = p.files.len().min(ROWS) as u64;
            if total > shown {
                writeln!(out, "  … {} more in the JSON (--json)", total - shown)?;
            }
        }
    }
    let pk = &d.packages;
    if !(pk.added.is_empty()
        && pk.removed.is_empty()
        && pk.upgraded.is_empty()
        && pk.resized.is_empty())
    {
        writeln!(out)?;
        writeln!(out, "Packages")?;
        for (tag, list) in [("added", &pk.added), ("removed", &pk.removed)] {
            for p in list.iter().take(ROWS) {
                writeln!(
                    out,
                    "  {tag:<9} {:<5} {} {} ({})",
                    p.manager,
                    one_line(&p.name),
                    one_line(&p.version),
                    human(p.bytes)
                )?;
            }
        }
        for p in pk.upgraded.iter().take(ROWS) {
            writeln!(
                out,
                "  upgraded  {:<5} {} {} → {} ({})",
                p.manager,
                one_line(&p.name),
                one_line(&p.old_version),
                one_line(&p.new_version),
                signed(p.delta_bytes)
            )?;
        }
        for p in pk.resized.iter().take(ROWS) {
            writeln!(
                out,
                "  resized   {:<5} {} {} ({})",
                p.manager,
                one_line(&p.name),
                one_line(&p.new_version),
                signed(p.delta_bytes)
            )?;
        }
    }
    let f = &d.findings;
    writeln!(out)?;
    writeln!(
        out,
        "Findings: {} new ({}), {} fixed ({})",
        f.new.len(),
        human(f.new_bytes),
        f.fixed.len(),
        human(f.fixed_bytes)
    )?;
    for (tag, list) in [("new", &f.new), ("fixed", &f.fixed)] {
        for x in list.iter().take(ROWS) {
            let step = x
                .step_index
                .map_or_else(String::new, |s| format!(" step {s}"));
            writeln!(
                out,
                "  {tag:<6} {:>9}  {}{step}: {}",
                human(x.bytes),
                x.category,
                one_line(&x.message)
            )?;
        }
    }
    if !d.needs_old_image.is_empty() {
        writeln!(out)?;
        writeln!(out, "Not compared (OLD is a saved report)")?;
        for n in &d.needs_old_image {
            writeln!(out, "  - {}", one_line(n))?;
        }
    }
    if !d.warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "Warnings")?;
        for w in &d.warnings {
            writeln!(out, "  - {}", one_line(w))?;
        }
    }
    if !d.budget.checks.is_empty() {
        writeln!(out)?;
        write_budget(&d.budget, out, Paint::default())?;
    }
    Ok(())
}
