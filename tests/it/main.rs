//! End-to-end tests of the ballast binary and library on real archives.
//!
//! - `architecture`: the crates depend one way along the pipeline.
//! - `dive_fixtures`: figures that must equal dive 0.13.1's export on the
//!   dive project's own test images (skipped, with a message, when
//!   `../shared` is absent).
//! - `contract`: the JSON report against its schema, strict structs and
//!   snapshots. `budgets`: exit codes and verdicts, dive `.dive-ci` parity.
//! - `diff`: `ballast diff` on the sample pairs: deltas, pull cost,
//!   `--baseline`, schema, snapshots, budgets, shared layers read once.
//! - `formats`: one image saved in every format gives one answer.
//! - `errors`: broken input gives exit 2 and one clear line.
//! - `dockerfile`: steps mapped to Dockerfile lines (`--dockerfile`).
//! - `findings`: planted mistakes are found, attributed and sized; clean
//!   images stay quiet; user rules add categories.
//! - `hostile`: the hostile corpus (`tests/hostile/`): clean errors, no
//!   hangs, correct trees; big cases behind `BALLAST_BIG_TESTS=1`.
//! - `html`: `--html` in headless chromium (driven by `cdp`) and `--ncdu`
//!   in ncdu under tmux.
//! - `sources`: registry, Docker and Podman sources against real
//!   components started by the tests, with auth and faults.
//! - `report_shape` (shared with `tests/packages.rs`) and `util`: helpers.

// Test scaffolding: a test may panic on what it did not expect, and the
// pedantic lints are for the product code.
#![allow(clippy::unwrap_used, clippy::pedantic)]

mod architecture;
mod base;
mod budgets;
mod cdp;
mod ci;
mod contract;
mod diff;
mod dive_fixtures;
mod dockerd_oracle;
mod dockerfile;
mod errors;
mod findings;
mod formats;
mod gotar;
mod hardlinks;
mod hostile;
mod html;
mod merge_model;
mod more_formats;
mod outer_names;
mod parallel_gzip;
#[path = "../common/report_shape.rs"]
mod report_shape;
mod sources;
mod stream_blobs;
mod util;
