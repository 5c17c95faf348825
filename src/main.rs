//! The `ballast` binary: parse flags, run the pipeline, present, and map the
//! outcome to an exit code: 0 analyzed and within budget, 1 over budget,
//! 2 could not analyze.

mod cli;
mod diff_cli;
mod diff_tui;
mod dive_ci;
mod dive_config;
mod dockerfile_source;
mod fix_cli;
mod outputs;
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
use cli::{Cli, Format, Settings};

const EXIT_OVER_BUDGET: u8 = 1;
const EXIT_UNANALYZABLE: u8 = 2;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "diff") {
        return diff_cli::main(args[1..].to_vec());
    }
    if args.get(1).is_some_and(|a| a == "fix") {
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
        match cli::one_line_error(&e) {
            // --help and --version: clap prints them and exits 0.
            None => e.exit(),
            Some(line) => {
                eprintln!("ballast: error: {line}");
                std::process::exit(EXIT_UNANALYZABLE.into());
            }
        }
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
        && s.sarif.is_none()
        && s.codequality.is_none()
        && s.junit.is_none()
        && s.html.is_none()
        && s.ncdu.is_none()
        && !s.ci
        && !s.verify
        && s.format == Format::Text
}

/// Starts the analysis on a thread of its own, so the UI can open at once
/// and show its progress; the UI receives the finished analysis.
fn start_loading(input: Input, mut options: ballast::Options) -> io::Result<present::tui::Loading> {
    let progress = Arc::new(LoadProgress::default());
    options.load.progress = Some(Arc::clone(&progress));
    let source = input.display();
    let dockerfile = options.dockerfile.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("ballast-load".into())
        .spawn(move || {
            // The receiver is gone only when the user quit while loading.
            let _ = tx.send(ballast::run_pipeline(&input, &options));
        })?;
    Ok(present::tui::Loading {
        source,
        progress,
        started: std::time::Instant::now(),
        result: rx,
        dockerfile,
    })
}

fn run_tui(mut s: Settings) -> ExitCode {
    // dive's own config: its remapped keys, under ballast.toml's.
    dive_config::apply_from_env(&mut s.tui);
    match start_loading(s.input, s.options).and_then(|l| present::tui::run(l, &s.tui)) {
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
    // Where each step's Dockerfile line is, when the report knows.
    let locations = present::location::Locations::of_report(r);
    outputs::emit(s.json.as_ref(), &mut out, |w| present::json::write(r, w))?;
    outputs::emit(s.markdown.as_ref(), &mut out, |w| {
        present::markdown::write(r, w)
    })?;
    outputs::emit(s.sarif.as_ref(), &mut out, |w| {
        present::sarif::write(r, &locations, w)
    })?;
    outputs::emit(s.codequality.as_ref(), &mut out, |w| {
        present::codequality::write(r, &locations, w)
    })?;
    outputs::emit(s.junit.as_ref(), &mut out, |w| present::junit::write(r, w))?;
    outputs::emit(s.html.as_ref(), &mut out, |w| {
        let page = present::html::data::image_page(r, &a.image, &a.packages);
        present::html::write(&page, w)
    })?;
    outputs::emit(s.ncdu.as_ref(), &mut out, |w| {
        present::ncdu::write(&a.image, w)
    })?;
    outputs::github_actions(r, &locations)?;
    let stdout_taken = outputs::other_on_stdout(&[
        &s.json,
        &s.markdown,
        &s.sarif,
        &s.codequality,
        &s.junit,
        &s.html,
        &s.ncdu,
    ]);
    if s.ci {
        // With another output on stdout, the CI text goes to stderr.
        if stdout_taken {
            let stderr = io::stderr();
            let paint = paint_for(stderr.is_terminal());
            let mut err = stderr.lock();
            write_ci(s, r, &mut err, paint)?;
        } else {
            write_ci(s, r, &mut out, paint_for(stdout_terminal))?;
        }
    } else if !stdout_taken {
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

/// `--ci`: the summary in the chosen format and the verdict, after a first
/// line saying so when dive's default rules stand in for missing budgets.
fn write_ci(
    s: &Settings,
    r: &ballast::analyze::report::Report,
    out: &mut dyn Write,
    paint: Paint,
) -> io::Result<()> {
    if s.dive_defaults {
        writeln!(out, "{}", outputs::DIVE_DEFAULTS_NOTE)?;
        writeln!(out)?;
    }
    match s.format {
        // The Markdown summary carries the budget table itself.
        Format::Markdown => present::markdown::write(r, out),
        Format::Text => {
            present::text::write_summary(r, out)?;
            writeln!(out)?;
            present::text::write_budget(&r.budget, out, paint)
        }
    }
}
