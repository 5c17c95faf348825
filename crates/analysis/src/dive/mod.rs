//! dive 0.13.1's image metrics and `.dive-ci` rules, reproduced exactly.
//!
//! Teams already gate their builds on dive's `efficiency`, `wastedBytes` and
//! `userWastedPercent` with a `.dive-ci` file. This module lets them carry
//! those thresholds over unchanged: it computes dive's three numbers (and its
//! list of "inefficient files") the way dive computes them, including the
//! choices that make them misleading, and it reads and applies `.dive-ci`
//! rules the way dive does. It must not be where ballast's own findings come
//! from: reclaimable bytes, duplicate content and deleted directories are
//! computed elsewhere, correctly, and reported separately. It depends on
//! nothing but `std` and the image crate's id table, reads no files and
//! prints nothing.
//!
//! - `metrics`: the numbers, with dive's formula, its quirks, the deviations
//!   from it and the cost of computing it;
//! - `ci_rules`: the rules, dive's rule values and their evaluation (the
//!   binary reads the `.dive-ci` file itself).

mod ci_rules;
mod metrics;

pub use ci_rules::{
    CiRule, CiRules, CiRulesError, CiValue, CiVerdict, IgnoredKey, evaluate_ci_rules, parse_ratio,
    parse_size,
};
pub use metrics::{DiveEntry, DiveKind, DiveMetrics, InefficientFile, compute, compute_from};
