//! The `ballast` binary: parse flags, run the pipeline, present, and map the
//! outcome to an exit code: 0 analyzed, 1 over budget, 2 could not analyze.

mod cli;
mod progress;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use ballast::analyze::rules::RuleSet;
use ballast::archive::LoadProgress;
use ballast::present;
use cli::{Cli, JsonTarget};

const EXIT_UNANALYZABLE: u8 = 2;

fn main() -> ExitCode {
    let settings = Cli::parse().into_settings();
    let mut options = settings.options.clone();
    if let Some(path) = &settings.rules_file {
        let loaded = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| RuleSet::load(Some(&text)).map_err(|e| e.to_string()));
        match loaded {
            Ok(set) => options.rules = Some(Arc::new(set)),
            Err(e) => {
                eprintln!("ballast: error: {}: {e}", path.display());
                return ExitCode::from(EXIT_UNANALYZABLE);
            }
        }
    }
    let load_progress = Arc::new(LoadProgress::default());
    options.load.progress = Some(Arc::clone(&load_progress));
    let display = progress::Display::start(&load_progress, settings.progress);
    let result = ballast::analyze_image(&settings.input, &options);
    display.finish();
    let analysis = match result {
        Ok(a) => a,
        Err(e) => {
            eprintln!("ballast: error: {}", e.one_line());
            return ExitCode::from(EXIT_UNANALYZABLE);
        }
    };
    if settings.verify {
        let mismatches: Vec<&String> = analysis
            .report
            .warnings
            .iter()
            .filter(|w| w.contains("does not match the config's diff_id"))
            .collect();
        if let Some(first) = mismatches.first() {
            eprintln!(
                "ballast: error: {}: digest mismatch: {first}",
                settings.input.display()
            );
            return ExitCode::from(EXIT_UNANALYZABLE);
        }
    }
    let outcome = match &settings.json {
        Some(JsonTarget::File(path)) => File::create(path)
            .and_then(|f| {
                let mut w = BufWriter::new(f);
                present::json::write(&analysis.report, &mut w)?;
                w.flush()
            })
            .map_err(|e| (format!("{}: {e}", path.display()), false)),
        Some(JsonTarget::Stdout) => write_stdout(|out| present::json::write(&analysis.report, out)),
        None => write_stdout(|out| present::text::write_summary(&analysis.report, out)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`| head`): not an error.
        Err((_, true)) => ExitCode::SUCCESS,
        Err((msg, false)) => {
            eprintln!("ballast: error: {msg}");
            ExitCode::from(EXIT_UNANALYZABLE)
        }
    }
}

/// Runs a presenter on stdout; `Err((message, broken_pipe))`.
fn write_stdout(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), (String, bool)> {
    let stdout = io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    f(&mut w).and_then(|()| w.flush()).map_err(|e| {
        (
            format!("stdout: {e}"),
            e.kind() == io::ErrorKind::BrokenPipe,
        )
    })
}
