//! `ballast diff OLD NEW` and `ballast diff --baseline REPORT.json NEW`:
//! the subcommand's flags (clap types stay on the binary side), turned into
//! settings, run, and mapped to an exit code: 0 within budget, 1 over,
//! 2 could not analyse. `main` hands over when the first argument is `diff`
//! (an image file named `diff` is `./diff`).

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use ballast::analyze::diff::{self, DiffBudgets, FileSizes};
use ballast::analyze::diff_report::{DiffReport, SideKind};
use ballast::archive::{Input, LoadProgress};
use ballast::budget_flags::{parse_ratio, parse_size};
use ballast::present;
use ballast::present::html::data::{self as html_data, PageData};

use crate::cli::{Cli, Format, JsonTarget, flag};
use crate::{EXIT_OVER_BUDGET, EXIT_UNANALYZABLE, progress};

const AFTER_HELP: &str = "\
Examples:
  ballast diff old.tar new.tar             what NEW added, what a pull costs, new waste
  ballast diff --baseline main.json new.tar
                                           against a report saved on main
                                           (`ballast IMAGE --json main.json`)
  ballast diff old.tar new.tar --format markdown > comment.md
  ballast diff old.tar new.tar --max-growth 50MB --fail-on-new cache
                                           fail a CI job (exit 1) on a regression
  docker save new | ballast diff old.tar -  one side (at most) from stdin

Budgets can also live in ./ballast.toml (or --config FILE):
  [diff]
  max_growth = \"50MB\"
  max_growth_percent = \"5%\"
  max_pull = \"200MB\"
  fail_on_new = [\"cache\", \"build-tooling\"]

On a terminal with no output flag (--json, --markdown, --html, --format),
the interactive UI opens on NEW with the diff as a lens (D turns it off,
a switches between the changed paths and NEW's whole tree).

Layers with the same diff_id on both sides are indexed once.
Exit codes: 0 compared and within budget, 1 over a budget, 2 could not analyse.";

/// Compare two images (or a saved report and an image): size, pull cost,
/// steps, files, packages and findings that changed.
#[derive(Parser, Debug)]
#[command(name = "ballast diff", version, about, after_help = AFTER_HELP)]
pub struct DiffCli {
    /// OLD and NEW: image archives (.tar), OCI layout directories, or `-`
    /// (stdin) for one of them. With --baseline, NEW only.
    #[arg(value_name = "OLD NEW", num_args = 1..=2, required = true)]
    pub images: Vec<String>,

    /// OLD as a report saved with `ballast IMAGE --json FILE`, so CI needs
    /// no old image (file-level changes then need OLD's image).
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,

    /// Write the comparison as JSON to PATH (or stdout with `-` or no
    /// value); docs/diff.schema.json.
    #[arg(long, value_name = "PATH|-", num_args = 0..=1, default_missing_value = "-")]
    pub json: Option<String>,

    /// Format on stdout [default: text; on a terminal with no output
    /// flag, the interactive UI opens on NEW with the diff as a lens].
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Also write the Markdown (a pull-request comment) to PATH.
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,

    /// Write one offline HTML page whose treemap shows what grew, appeared
    /// and vanished, to PATH (or stdout with `-`); needs OLD's image.
    #[arg(long, value_name = "PATH|-")]
    pub html: Option<String>,

    /// Pick one image from archives holding several (both sides).
    #[arg(long = "image", value_name = "NAME[:TAG]")]
    pub select_image: Option<String>,

    /// Pick one platform from multi-platform OCI indexes (both sides).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,

    /// Extra or overriding waste rules (as for `ballast IMAGE --rules`).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// Rules and `[diff]` budgets file [default: ./ballast.toml when present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Fail when NEW is larger than OLD by more (sum of layers).
    #[arg(long, value_name = "SIZE", help_heading = "Budgets")]
    pub max_growth: Option<String>,

    /// Fail when NEW grew by a larger share of OLD's size.
    #[arg(long, value_name = "RATIO", help_heading = "Budgets")]
    pub max_growth_percent: Option<String>,

    /// Fail when a host holding OLD must download more compressed bytes.
    #[arg(long, value_name = "SIZE", help_heading = "Budgets")]
    pub max_pull: Option<String>,

    /// Fail when NEW has a finding of this category (or rule id) that OLD
    /// has not (repeatable).
    #[arg(long, value_name = "CATEGORY", help_heading = "Budgets")]
    pub fail_on_new: Vec<String>,

    /// Never show the progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

enum Old {
    Image(Input),
    Baseline(PathBuf),
}

struct DiffSettings {
    old: Old,
    new: Input,
    options: ballast::Options,
    budgets: DiffBudgets,
    json: Option<JsonTarget>,
    format: Format,
    /// `--format` was given (so no interactive UI).
    format_given: bool,
    markdown: Option<PathBuf>,
    html: Option<JsonTarget>,
    progress: bool,
    /// `[tui]` of `ballast.toml`, for the interactive lens.
    tui: ballast::present::tui::config::TuiConfig,
}

/// `[diff]` of a `ballast.toml`; the rest is read by [`Cli`].
#[derive(serde::Deserialize)]
struct DiffConfig {
    #[serde(default)]
    diff: Option<toml::Table>,
}

impl DiffCli {
    fn into_settings(self) -> Result<DiffSettings, String> {
        let (old, new) = match (&self.baseline, self.images.as_slice()) {
            (Some(b), [new]) => (Old::Baseline(b.clone()), Input::parse(new)),
            (Some(_), _) => {
                return Err("--baseline: give NEW only (the report stands for OLD)".into());
            }
            (None, [old, new]) => (Old::Image(Input::parse(old)), Input::parse(new)),
            (None, _) => {
                return Err("give OLD and NEW (or --baseline REPORT.json and NEW)".into());
            }
        };
        if matches!(old, Old::Image(Input::Stdin)) && matches!(new, Input::Stdin) {
            return Err("-: stdin can stand for one side only".into());
        }
        let mut budgets = DiffBudgets {
            max_growth: flag("max-growth", self.max_growth.as_deref(), parse_size)?,
            max_growth_percent: flag(
                "max-growth-percent",
                self.max_growth_percent.as_deref(),
                parse_ratio,
            )?,
            max_pull: flag("max-pull", self.max_pull.as_deref(), parse_size)?,
            fail_on_new: self.fail_on_new.clone(),
        };
        if budgets.fail_on_new.iter().any(|c| c.trim().is_empty()) {
            return Err("--fail-on-new: names no category".into());
        }
        let config_path = match &self.config {
            Some(p) => Some(p.clone()),
            None => Some(PathBuf::from("ballast.toml")).filter(|p| p.is_file()),
        };
        if let Some(p) = &config_path {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let cfg: DiffConfig =
                toml::from_str(&text).map_err(|e| format!("{}: {}", p.display(), e.message()))?;
            if let Some(t) = &cfg.diff {
                let file = ballast::budget_flags::diff_from_toml(t)
                    .map_err(|e| format!("{}: {e}", p.display()))?;
                budgets = budgets.or(file);
            }
        }
        // The analysis settings (rules, config, selection) are the single-
        // image command's, read by its own code.
        let mut args: Vec<std::ffi::OsString> = vec!["ballast".into(), "-".into()];
        let pairs = [
            ("--image", self.select_image.map(Into::into)),
            ("--platform", self.platform.map(Into::into)),
            ("--rules", self.rules.map(Into::into)),
            ("--config", config_path.map(Into::into)),
        ];
        for (name, value) in pairs {
            if let Some(v) = value {
                args.push(name.into());
                args.push(v);
            }
        }
        let single = Cli::try_parse_from(args)
            .map_err(|e| e.to_string())?
            .into_settings()?;
        let json = self.json.as_deref().map(|p| {
            if p == "-" {
                JsonTarget::Stdout
            } else {
                JsonTarget::File(PathBuf::from(p))
            }
        });
        let html = self.html.as_deref().map(JsonTarget::parse);
        if html.is_some() && matches!(old, Old::Baseline(_)) {
            return Err("--html draws both images' trees: give OLD's image, not --baseline".into());
        }
        if html == Some(JsonTarget::Stdout) && json == Some(JsonTarget::Stdout) {
            return Err("--json - and --html - both write to stdout; give one a file path".into());
        }
        Ok(DiffSettings {
            old,
            new,
            html,
            options: single.options,
            tui: single.tui,
            budgets,
            json,
            format: self.format.unwrap_or(Format::Text),
            format_given: self.format.is_some(),
            markdown: self.markdown,
            progress: !self.no_progress,
        })
    }
}

/// Runs `ballast diff` with `args` (`diff` first).
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    let cli = DiffCli::try_parse_from(args).unwrap_or_else(|e| e.exit());
    let s = match cli.into_settings() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let stdin_used = matches!(s.new, Input::Stdin) || matches!(s.old, Old::Image(Input::Stdin));
    if stdin_used && io::stdin().is_terminal() {
        return fail(
            "-: stdin is a terminal; pipe an archive in (`docker save IMAGE | ballast diff old.tar -`)",
        );
    }
    if interactive(&s) {
        return crate::diff_tui::run(&s.tui, || run(&s).map(|(r, _, new)| (r, new)));
    }
    let (report, page, _) = match run(&s) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    match present_all(&s, &report, page.as_ref()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return fail(&e.to_string()),
    }
    if report.budget.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_OVER_BUDGET)
    }
}

/// The lens, when a person is at a terminal and asked for no output.
fn interactive(s: &DiffSettings) -> bool {
    io::stdout().is_terminal()
        && s.json.is_none()
        && s.markdown.is_none()
        && s.html.is_none()
        && !s.format_given
}

pub(crate) fn fail(message: &str) -> ExitCode {
    eprintln!("ballast: error: {}", present::text::one_line(message));
    ExitCode::from(EXIT_UNANALYZABLE)
}

/// The comparison, and the growth page when `--html` asks for it.
fn run(s: &DiffSettings) -> Result<(DiffReport, Option<PageData>, ballast::Analysis), String> {
    let mut options = s.options.clone();
    let load_progress = Arc::new(LoadProgress::default());
    options.load.progress = Some(Arc::clone(&load_progress));
    let display = progress::Display::start(&load_progress, s.progress);
    let result = match &s.old {
        Old::Image(old) => {
            ballast::pair::analyze_pair(old, &s.new, &options).map(|(o, n)| (Some(o), n))
        }
        Old::Baseline(_) => ballast::run_pipeline(&s.new, &options).map(|n| (None, n)),
    };
    display.finish();
    let (old_a, new_a) = result.map_err(|e| e.one_line())?;
    let (report, page) = match (&s.old, old_a) {
        (_, Some(old_a)) => {
            let page = s
                .html
                .as_ref()
                .map(|_| html_data::diff_page(html_side(&old_a), html_side(&new_a)));
            (ballast::pair::compare(&old_a, &new_a, &s.budgets)?, page)
        }
        (Old::Baseline(path), None) => {
            let new_side = diff::side_of(&new_a.report)?;
            let new_files = FileSizes::of_image(&new_a.image);
            let new_in = diff::Input {
                side: &new_side,
                kind: SideKind::Image,
                files: Some(&new_files),
            };
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let old_side =
                diff::parse_baseline(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let old_in = diff::Input {
                side: &old_side,
                kind: SideKind::Report,
                files: None,
            };
            (diff::compare(&old_in, &new_in, &s.budgets), None)
        }
        (Old::Image(old), None) => return Err(format!("{}: was not analysed", old.display())),
    };
    Ok((report, page, new_a))
}

/// One image as the HTML growth page reads it.
fn html_side(a: &ballast::Analysis) -> html_data::Side<'_> {
    html_data::Side {
        report: &a.report,
        image: &a.image,
        packages: &a.packages,
    }
}

fn present_all(s: &DiffSettings, d: &DiffReport, page: Option<&PageData>) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match (&s.html, page) {
        (Some(JsonTarget::File(path)), Some(p)) => {
            crate::with_file(path, |w| present::html::write(p, w))?;
        }
        (Some(JsonTarget::Stdout), Some(p)) => present::html::write(p, &mut out)?,
        _ => {}
    }
    match &s.json {
        Some(JsonTarget::File(path)) => {
            crate::with_file(path, |w| present::diff_json::write(d, w))?;
        }
        Some(JsonTarget::Stdout) => present::diff_json::write(d, &mut out)?,
        None => {}
    }
    if let Some(path) = &s.markdown {
        crate::with_file(path, |w| present::diff_markdown::write(d, w))?;
    }
    if s.json != Some(JsonTarget::Stdout) && s.html != Some(JsonTarget::Stdout) {
        match s.format {
            Format::Markdown => present::diff_markdown::write(d, &mut out)?,
            Format::Text => present::diff_text::write(d, &mut out)?,
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        DiffCli::command().debug_assert();
    }

    #[test]
    fn sides_are_checked_before_any_image_is_read() {
        let e = DiffCli::parse_from(["diff", "-", "-"])
            .into_settings()
            .err()
            .unwrap();
        assert!(e.contains("one side only"), "{e}");
        let e = DiffCli::parse_from(["diff", "a", "b", "--baseline", "r.json"])
            .into_settings()
            .err()
            .unwrap();
        assert!(e.starts_with("--baseline"), "{e}");
        let e = DiffCli::parse_from(["diff", "a"])
            .into_settings()
            .err()
            .unwrap();
        assert!(e.contains("OLD and NEW"), "{e}");
        let e = DiffCli::parse_from(["diff", "a", "b", "--max-pull", "lots"])
            .into_settings()
            .err()
            .unwrap();
        assert!(e.starts_with("--max-pull:"), "{e}");
    }
}
