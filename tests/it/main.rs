//! End-to-end tests of the ballast binary and library on real archives.
//!
//! - `architecture`: the crates depend one way along the pipeline.
//! - `dive_fixtures`: figures that must equal dive 0.13.1's export on the
//!   dive project's own test images (skipped, with a message, when
//!   `../shared` is absent).
//! - `contract`: the JSON report against its schema, strict structs and
//!   snapshots. `budgets`: exit codes and verdicts, dive `.dive-ci` parity.
//! - `formats`: one image saved in every format gives one answer.
//! - `errors`: broken input gives exit 2 and one clear line.
//! - `dockerfile`: steps mapped to Dockerfile lines (`--dockerfile`).
//! - `findings`: planted mistakes are found, attributed and sized; clean
//!   images stay quiet; user rules add categories.
//! - `hostile`: the hostile corpus (`tests/hostile/`): clean errors, no
//!   hangs, correct trees; big cases behind `BALLAST_BIG_TESTS=1`.
//! - `report_shape` (shared with `tests/packages.rs`) and `util`: helpers.

mod architecture;
mod budgets;
mod contract;
mod dive_fixtures;
mod dockerfile;
mod errors;
mod findings;
mod formats;
mod hostile;
mod merge_model;
#[path = "../common/report_shape.rs"]
mod report_shape;
mod util;
