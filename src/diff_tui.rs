//! `ballast diff OLD NEW` on a terminal: the comparison runs first (the
//! progress bar on stderr, each shared layer indexed once), then the UI
//! opens on NEW with the diff as a lens. Quitting exits as the text form
//! would: 0 within the diff budgets, 1 over them (the failed checks
//! printed once the UI is gone), 2 when nothing could be compared.

use std::io::{self, IsTerminal};
use std::process::ExitCode;
use std::sync::Arc;

use ballast::Analysis;
use ballast::analyze::diff_report::DiffReport;
use ballast::archive::LoadProgress;
use ballast::present;
use ballast::present::tui::config::TuiConfig;
use ballast::present::tui::{Loading, Outcome};

use crate::diff_cli::fail;
use crate::{EXIT_OVER_BUDGET, EXIT_UNANALYZABLE};

/// Runs `compare`, then the UI on its NEW side until the user quits.
pub fn run(
    config: &TuiConfig,
    compare: impl FnOnce() -> Result<(DiffReport, Analysis), String>,
) -> ExitCode {
    let (report, new) = match compare() {
        Ok(v) => v,
        Err(e) => return fail(&e),
    };
    let report = Arc::new(report);
    let mut config = config.clone();
    crate::dive_config::apply_from_env(&mut config);
    // NEW is analysed already: the UI's loader hands it over at once.
    let (tx, rx) = std::sync::mpsc::channel();
    let source = new.report.image.source.clone();
    if tx.send(Ok(new)).is_err() {
        return fail("the comparison could not be handed to the UI");
    }
    let loading = Loading {
        source,
        progress: Arc::new(LoadProgress::default()),
        started: std::time::Instant::now(),
        result: rx,
        dockerfile: None,
    };
    match present::tui::run_with_diff(loading, &config, Some(Arc::clone(&report))) {
        // NEW's own budgets (`[budget]`) are not what `diff` checks.
        Ok(Outcome::Quit | Outcome::OverBudget(_)) if report.budget.passed => ExitCode::SUCCESS,
        Ok(Outcome::Quit | Outcome::OverBudget(_)) => {
            let mut err = io::stderr().lock();
            let _ = present::text::write_budget(
                &report.budget,
                &mut err,
                crate::paint_for(io::stderr().is_terminal()),
            );
            ExitCode::from(EXIT_OVER_BUDGET)
        }
        Ok(Outcome::LoadFailed(e)) => fail(&e.one_line()),
        Err(e) => {
            eprintln!(
                "ballast: error: terminal: {}",
                present::text::one_line(&e.to_string())
            );
            ExitCode::from(EXIT_UNANALYZABLE)
        }
    }
}
