//! The plain-text summary: what `ballast IMAGE` prints when stdout is not a
//! terminal, and the body of `--ci` output. Writes to any `io::Write`.

use std::io::{self, Write};

pub use ballast_analysis::units::{ellipsize_middle, human, one_line, percent};

use crate::analyze::budget::BudgetVerdict;
use crate::analyze::report::Report;

/// Widest instruction column before it is cut in the middle.
const INSTRUCTION_WIDTH: usize = 100;

/// What `compressed_size_bytes` is: the pull size when layers are
/// compressed, but only the stored tar size when they are not (a
/// docker-archive's layers), which "compressed" would misname.
pub fn stored_word(r: &Report) -> &'static str {
    let uncompressed = |t: &str| t.ends_with(".tar") || t.ends_with("diff.tar");
    if !r.layers.is_empty() && r.layers.iter().all(|l| uncompressed(&l.media_type)) {
        "stored"
    } else {
        "compressed"
    }
}

pub fn write_summary(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let img = &r.image;
    let name = img
        .repo_tags
        .first()
        .map_or(img.source.as_str(), String::as_str);
    writeln!(
        out,
        "{} ({}, {}/{})",
        one_line(name),
        img.format,
        img.os,
        img.architecture
    )?;
    writeln!(
        out,
        "{} in {} layers ({} {}), {} files in the final image ({})",
        human(img.size_bytes),
        img.layer_count,
        human(img.compressed_size_bytes),
        stored_word(r),
        img.file_count,
        human(img.final_size_bytes),
    )?;
    if let Some(b) = &img.base {
        writeln!(out, "{}", base_line(b))?;
    }
    writeln!(out)?;
    writeln!(out, "Steps")?;
    writeln!(
        out,
        "{:>4}  {:>9}  {:>7}  {:<9}  INSTRUCTION",
        "#", "SIZE", "CHANGES", "WHOSE"
    )?;
    let hidden = r.steps.iter().filter(|s| s.inherited).count();
    if r.filters.only_own && hidden > 0 {
        writeln!(
            out,
            "{:>4}  {:>9}  {:>7}  {:<9}  ({hidden} steps of the base image hidden by --only-own)",
            "", "", "", "inherited"
        )?;
    }
    for s in &r.steps {
        if r.filters.only_own && s.inherited {
            continue;
        }
        let mut instr = ellipsize_middle(&one_line(&s.instruction), INSTRUCTION_WIDTH);
        if let Some(at) = dockerfile_at(s) {
            instr = format!("{instr}  ({at})");
        }
        let whose = if s.inherited { "inherited" } else { "yours" };
        match s.layer_index {
            Some(l) => {
                let layer = &r.layers[l];
                let changes = layer.added + layer.modified + layer.metadata_only + layer.removed;
                writeln!(
                    out,
                    "{:>4}  {:>9}  {:>7}  {whose:<9}  {instr}",
                    s.index,
                    human(s.size_bytes),
                    changes
                )?;
            }
            None => writeln!(
                out,
                "{:>4}  {:>9}  {:>7}  {whose:<9}  {instr}",
                s.index, "-", "-"
            )?,
        }
    }
    if !r.largest_directories.is_empty() {
        writeln!(out)?;
        writeln!(out, "Largest directories")?;
        for d in &r.largest_directories {
            writeln!(out, "{:>11}  {}", human(d.size_bytes), d.path.display())?;
        }
    }
    write_packages(r, out)?;
    write_findings(r, out)?;
    writeln!(out)?;
    write_dive(r, out)?;
    if !r.warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "Warnings")?;
        for w in &r.warnings {
            writeln!(out, "  - {}", one_line(w))?;
        }
    }
    Ok(())
}

/// `Base image: debian:bookworm, 1 layer (78.0 MB), found by history (medium confidence)`.
pub fn base_line(b: &crate::analyze::base::BaseInfo) -> String {
    use crate::analyze::base::{Confidence, Method};
    let how = match b.method {
        Method::Argument => "given with --base",
        Method::Annotation => "named by the manifest's annotation",
        Method::History => "found in the history",
    };
    let conf = match b.confidence {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    };
    let name = b
        .name
        .as_deref()
        .or(b.digest.as_deref())
        .map_or(String::new(), |n| format!("{}, ", one_line(n)));
    format!(
        "Base image: {name}{} ({}), {how} ({conf} confidence); the other steps are yours",
        if b.layer_count == 1 {
            "1 layer".to_string()
        } else {
            format!("{} layers", b.layer_count)
        },
        human(b.bytes)
    )
}

/// Colors for the CI verdict lines; plain text when off.
#[derive(Clone, Copy, Debug, Default)]
pub struct Paint {
    pub color: bool,
}

impl Paint {
    fn wrap(self, s: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn pass(self, s: &str) -> String {
        self.wrap(s, "32")
    }
    pub fn fail(self, s: &str) -> String {
        self.wrap(s, "1;31")
    }
}

/// One PASS/FAIL line per budget check, then the verdict.
pub fn write_budget(budget: &BudgetVerdict, out: &mut dyn Write, paint: Paint) -> io::Result<()> {
    if budget.checks.is_empty() {
        writeln!(
            out,
            "Budget: no budgets set (see --max-size, --max-waste, ballast.toml, --ci-config)"
        )?;
        return Ok(());
    }
    writeln!(out, "Budget")?;
    for c in &budget.checks {
        let tag = if c.passed {
            paint.pass("PASS")
        } else {
            paint.fail("FAIL")
        };
        writeln!(out, "  {tag}  {}: {}", c.name, one_line(&c.message))?;
    }
    let failed = budget.failed();
    if failed == 0 {
        writeln!(
            out,
            "{}",
            paint.pass(&format!("Result: PASS ({} checks)", budget.checks.len()))
        )?;
    } else {
        writeln!(
            out,
            "{}",
            paint.fail(&format!(
                "Result: FAIL ({failed} of {} checks over budget)",
                budget.checks.len()
            ))
        )?;
    }
    Ok(())
}

/// Packages shown in the summary; the rest are in `--json`.
const TOP_PACKAGES: usize = 20;

/// The largest packages, and what no package owns; nothing when the image
/// has no package records.
fn write_packages(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let p = &r.packages;
    if p.list.is_empty() {
        return Ok(());
    }
    let counts: Vec<String> = p
        .by_manager
        .iter()
        .map(|(m, t)| format!("{} {m}", t.count))
        .collect();
    writeln!(out)?;
    writeln!(
        out,
        "Packages: {} ({} owned, {} owned by no package)",
        counts.join(", "),
        human(p.owned_bytes),
        human(p.unowned_bytes)
    )?;
    writeln!(
        out,
        "{:>11}  {:>4}  {:<7}  PACKAGE",
        "SIZE", "STEP", "MANAGER"
    )?;
    for pk in p.list.iter().take(TOP_PACKAGES) {
        let step = pk
            .step_index
            .map_or_else(|| "-".to_string(), |s| s.to_string());
        let mut name = one_line(&format!("{} {}", pk.name, pk.version));
        if pk.location.0 != b"/" {
            name.push_str(&format!("  in {}", pk.location.display()));
        }
        writeln!(
            out,
            "{:>11}  {step:>4}  {:<7}  {}",
            human(pk.bytes),
            pk.manager.name(),
            ellipsize_middle(name.trim_end(), INSTRUCTION_WIDTH)
        )?;
    }
    if p.list.len() > TOP_PACKAGES {
        writeln!(out, "  … {} more in --json", p.list.len() - TOP_PACKAGES)?;
    }
    if !p.unowned.is_empty() {
        let dirs: Vec<String> = p
            .unowned
            .iter()
            .filter(|d| d.bytes > 0)
            .take(6)
            .map(|d| format!("{} {}", d.path.display(), human(d.bytes)))
            .collect();
        writeln!(out, "  owned by no package: {}", dirs.join(", "))?;
    }
    Ok(())
}

/// Findings shown in the summary; the rest are in `--json`.
const TOP_FINDINGS: usize = 15;

fn write_findings(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &r.summary;
    writeln!(out)?;
    if r.findings.is_empty() {
        writeln!(out, "Waste: none found")?;
        return Ok(());
    }
    writeln!(
        out,
        "Waste: {} reclaimable ({} of the image's {}, all layers)",
        human(s.reclaimable_bytes),
        percent(s.reclaimable_bytes, r.image.size_bytes),
        human(r.image.size_bytes)
    )?;
    let cats: Vec<String> = s
        .by_category
        .iter()
        .filter(|(_, b)| **b > 0)
        .map(|(c, b)| format!("{c} {}", human(*b)))
        .collect();
    if !cats.is_empty() {
        writeln!(out, "  by category: {}", cats.join(", "))?;
    }
    writeln!(out)?;
    writeln!(out, "Top findings")?;
    let floor = r.filters.min_bytes;
    let listed: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.bytes == 0 || f.bytes >= floor)
        .collect();
    for f in listed.iter().take(TOP_FINDINGS) {
        let step = f
            .step_index
            .map_or_else(|| "-".to_string(), |s| s.to_string());
        let size = if f.bytes == 0 {
            "-".to_string()
        } else if f.reclaimable {
            human(f.bytes)
        } else {
            // Payload or the base image's: reported, not reclaimable.
            format!("({})", human(f.bytes))
        };
        writeln!(
            out,
            "{size:>11}  step {step:>3}  [{}] {}",
            f.category,
            one_line(&f.message)
        )?;
        if let Some(p) = f.paths.first() {
            let more = if f.path_count > 1 {
                format!(" (+{} more)", f.path_count - 1)
            } else {
                String::new()
            };
            writeln!(
                out,
                "{:>22}{}{more}",
                "",
                ellipsize_middle(&p.display(), INSTRUCTION_WIDTH)
            )?;
        }
    }
    if listed.len() > TOP_FINDINGS {
        writeln!(out, "  … {} more in --json", listed.len() - TOP_FINDINGS)?;
    }
    if r.filters.below_min_count > 0 {
        writeln!(
            out,
            "  … {} smaller than {} ({} in all) not listed (--min-bytes; all in --json)",
            if r.filters.below_min_count == 1 {
                "1 finding".to_string()
            } else {
                format!("{} findings", r.filters.below_min_count)
            },
            human(floor),
            human(r.filters.below_min_bytes)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "What to change, step by step")?;
    for sg in &r.suggestions {
        let size = if sg.bytes > 0 {
            format!("saves {}", human(sg.bytes))
        } else {
            "no size change".to_string()
        };
        writeln!(
            out,
            "  step {:>3}  {}  ({size}{})",
            sg.step_index,
            ellipsize_middle(&one_line(&sg.instruction), INSTRUCTION_WIDTH),
            r.steps
                .get(sg.step_index)
                .and_then(dockerfile_at)
                .map_or(String::new(), |at| format!(", {at}"))
        )?;
        for fix in &sg.fixes {
            writeln!(out, "            - {}", one_line(fix))?;
        }
    }
    Ok(())
}

/// dive's own CI wording and layout, so the figures read the same.
pub fn write_dive(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let d = &r.dive;
    writeln!(out, "dive-compatible metrics (dive 0.13.1 formula)")?;
    writeln!(out, "  efficiency: {:.4} %", d.efficiency * 100.0)?;
    writeln!(
        out,
        "  wastedBytes: {} bytes ({})",
        d.wasted_bytes,
        human(d.wasted_bytes)
    )?;
    match d.user_wasted_percent {
        Some(p) => writeln!(out, "  userWastedPercent: {:.4} %", p * 100.0)?,
        None => writeln!(out, "  userWastedPercent: n/a (one layer)")?,
    }
    if !d.inefficient_files.is_empty() {
        writeln!(out, "  {:>5}  {:>12}  File Path", "Count", "Wasted Space")?;
        for f in d.inefficient_files.iter().take(20) {
            writeln!(
                out,
                "  {:>5}  {:>12}  {}",
                f.count,
                human(f.wasted_bytes),
                f.path.display()
            )?;
        }
        if d.inefficient_files.len() > 20 {
            writeln!(out, "  … {} more in --json", d.inefficient_files.len() - 20)?;
        }
    }
    Ok(())
}

/// `Dockerfile:12` (or `Dockerfile:12-14` for a continued instruction):
/// where the step comes from, when a Dockerfile was mapped.
pub fn dockerfile_at(s: &crate::analyze::report::StepInfo) -> Option<String> {
    s.dockerfile.as_ref().map(|d| {
        if d.end_line > d.line {
            format!("{}:{}-{}", d.path, d.line, d.end_line)
        } else {
            format!("{}:{}", d.path, d.line)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipsis_keeps_both_ends() {
        assert_eq!(ellipsize_middle("abcdefghij", 5), "ab…ij");
        assert_eq!(ellipsize_middle("abc", 5), "abc");
        assert_eq!(ellipsize_middle("abc", 0), "");
        assert_eq!(ellipsize_middle("abcdef", 1), "…");
    }

    #[test]
    fn human_sizes_are_si_like_dive() {
        assert_eq!(human(32025), "32.0 kB");
        assert_eq!(human(0), "0 B");
    }
}
