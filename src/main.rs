//! The `ballast` binary: parse flags, run the pipeline, present, and map the
//! outcome to an exit code: 0 analyzed and within budget, 1 over budget,
//! 2 could not analyze.

mod budget_flags;
mod cli;
mod dive_ci;
mod dockerfile_source;
mod fix_cli;
mod progress;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use ballast::Analysis;
use ballast::archive::{Input, LoadProgress};
use ballast::present;
use ballast::present::text::Paint;
use cli::{Cli, Format, JsonTarget, Settings};

const EXIT_OVER_BUDGET: u8 = 1;
const EXIT_UNANALYZABLE: u8 = 2;

fn main() -> ExitCode {
    if std::env::args_os().nth(1).is_some_and(|a| a == "fix") {
        return fix_cli::main();
    }
    let cli = Cli::try_parse().unwrap_or_else(|e| {
        if e.kind() == clap::error::ErrorKind::MissingRequiredArgument
            && let Some(path) = json_took_the_image()
        {
            eprintln!(
                "ballast: error: no IMAGE given: `--json {path}` read {path} as the report's path; \
                 put the image first (`ballast {path} --json`)"
            );
            std::process::exit(EXIT_UNANALYZABLE.into());
        }
        e.exit()
    });
    let settings = match cli.into_settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ballast: error: {}", present::text::one_line(&e));
            return ExitCode::from(EXIT_UNANALYZABLE);
        }
    };
    if matches!(settings.input, Input::Stdin) && io::stdin().is_terminal() {
        // Nothing is piped in: reading would wait for keystrokes forever.
        eprintln!(
            "ballast: error: -: stdin is a terminal; pipe an archive in (`docker save IMAGE | ballast -`)"
        );
        return ExitCode::from(EXIT_UNANALYZABLE);
    }
    if interactive(&settings) {
        return run_tui(settings);
    }
    let mut options = settings.options.clone();
    let load_progress = Arc::new(LoadProgress::default());
    options.load.progress = Some(Arc::clone(&load_progress));
    let display = progress::Display::start(&load_progress, settings.progress);
    let result = ballast::run_pipeline(&settings.input, &options);
    display.finish();
    let analysis = match result {
        Ok(a) => a,
        Err(e) => {
            eprintln!("ballast: error: {}", e.one_line());
            return ExitCode::from(EXIT_UNANALYZABLE);
        }
    };
    match present_all(&settings, &analysis) {
        Ok(()) => {}
        // The reader went away (`| head`): not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!(
                "ballast: error: {}",
                present::text::one_line(&e.to_string())
            );
            return ExitCode::from(EXIT_UNANALYZABLE);
        }
    }
    if analysis.report.budget.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_OVER_BUDGET)
    }
}

/// The terminal UI, when a person is at a terminal and asked for no other
/// output and no check that ends in an exit code.
fn interactive(s: &Settings) -> bool {
    io::stdout().is_terminal()
        && s.json.is_none()
        && s.markdown.is_none()
        && !s.ci
        && !s.verify
        && s.format == Format::Text
}

fn run_tui(s: Settings) -> ExitCode {
    match present::tui::run(s.input, s.options) {
        Ok(present::tui::Outcome::Quit) => ExitCode::SUCCESS,
        Ok(present::tui::Outcome::OverBudget(verdict)) => {
            // The UI is gone from the screen: say why the exit code is 1.
            let mut err = io::stderr().lock();
            let _ = present::text::write_budget(
                &verdict,
                &mut err,
                paint_for(io::stderr().is_terminal()),
            );
            ExitCode::from(EXIT_OVER_BUDGET)
        }
        Ok(present::tui::Outcome::LoadFailed(e)) => {
            eprintln!("ballast: error: {}", e.one_line());
            ExitCode::from(EXIT_UNANALYZABLE)
        }
        Err(e) => {
            eprintln!(
                "ballast: error: terminal: {}",
                present::text::one_line(&e.to_string())
            );
            ExitCode::from(EXIT_UNANALYZABLE)
        }
    }
}

/// `ballast --json IMAGE`: `--json` takes an optional path, so clap took
/// the image for it and then misses the image. Returns that path.
fn json_took_the_image() -> Option<String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let at = args.iter().position(|a| a == "--json")?;
    args.get(at + 1).filter(|a| !a.starts_with('-')).cloned()
}

/// Colors only on a terminal, and never when NO_COLOR is set.
fn paint_for(terminal: bool) -> Paint {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Paint {
        color: terminal && !no_color,
    }
}

fn with_file(
    path: &std::path::Path,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let file = File::create(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let mut w = BufWriter::new(file);
    f(&mut w)
        .and_then(|()| w.flush())
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

fn present_all(s: &Settings, a: &Analysis) -> io::Result<()> {
    let r = &a.report;
    let stdout = io::stdout();
    let stdout_terminal = stdout.is_terminal();
    let mut out = BufWriter::new(stdout.lock());
    match &s.json {
        Some(JsonTarget::File(path)) => with_file(path, |w| present::json::write(r, w))?,
        Some(JsonTarget::Stdout) => present::json::write(r, &mut out)?,
        None => {}
    }
    if let Some(path) = &s.markdown {
        with_file(path, |w| present::markdown::write(r, w))?;
    }
    let json_on_stdout = s.json == Some(JsonTarget::Stdout);
    if s.ci {
        // With the JSON on stdout, the CI text goes to stderr.
        if json_on_stdout {
            let stderr = io::stderr();
            let paint = paint_for(stderr.is_terminal());
            let mut err = stderr.lock();
            present::text::write_summary(r, &mut err)?;
            writeln!(err)?;
            present::text::write_budget(&r.budget, &mut err, paint)?;
        } else {
            present::text::write_summary(r, &mut out)?;
            writeln!(out)?;
            present::text::write_budget(&r.budget, &mut out, paint_for(stdout_terminal))?;
        }
    } else if !json_on_stdout {
        match s.format {
            Format::Markdown => present::markdown::write(r, &mut out)?,
            Format::Text => {
                present::text::write_summary(r, &mut out)?;
                if !r.budget.checks.is_empty() {
                    writeln!(out)?;
                    present::text::write_budget(&r.budget, &mut out, paint_for(stdout_terminal))?;
                }
            }
        }
    }
    out.flush()
}
