//! Size budgets: limits a CI job sets on the image, checked against the
//! finished report. Each check says what it measured, the limit and the
//! verdict in words a person reads at a glance; any failure makes the run
//! exit 1.
//!
//! Limits come from flags, from `ballast.toml`, and from dive's `.dive-ci`
//! (evaluated exactly as dive does, through [`super::dive`]).

use std::collections::BTreeMap;

use serde::Serialize;

use super::dive::{self, CiRules, CiValue};
use super::report::{DiveSection, ImageInfo, LayerInfo, StepInfo, Summary};
use crate::units::human;

/// The measurements budgets are checked against, taken before the report
/// is assembled (the verdict is part of the report).
pub struct Measured<'a> {
    pub image: &'a ImageInfo,
    pub layers: &'a [LayerInfo],
    pub steps: &'a [StepInfo],
    pub summary: &'a Summary,
    pub dive: &'a DiveSection,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Budgets {
    pub max_size: Option<u64>,
    pub max_compressed_size: Option<u64>,
    pub max_layer_size: Option<u64>,
    pub max_waste: Option<u64>,
    /// A ratio: 0.1 is 10 %.
    pub max_waste_percent: Option<f64>,
    pub min_efficiency: Option<f64>,
    pub max_user_waste_percent: Option<f64>,
    pub max_category: BTreeMap<String, u64>,
    /// Rules read from a `.dive-ci` file.
    pub dive_rules: Option<CiRules>,
}

impl Budgets {
    /// Fills every limit `self` leaves unset from `other` (flags over file).
    pub fn or(mut self, other: Budgets) -> Budgets {
        self.max_size = self.max_size.or(other.max_size);
        self.max_compressed_size = self.max_compressed_size.or(other.max_compressed_size);
        self.max_layer_size = self.max_layer_size.or(other.max_layer_size);
        self.max_waste = self.max_waste.or(other.max_waste);
        self.max_waste_percent = self.max_waste_percent.or(other.max_waste_percent);
        self.min_efficiency = self.min_efficiency.or(other.min_efficiency);
        self.max_user_waste_percent = self.max_user_waste_percent.or(other.max_user_waste_percent);
        for (k, v) in other.max_category {
            self.max_category.entry(k).or_insert(v);
        }
        self.dive_rules = self.dive_rules.or(other.dive_rules);
        self
    }
}

/// A measured or limiting figure: bytes, or a ratio (0.25 = 25 %).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Figure {
    Bytes(u64),
    Ratio(f64),
}

impl Figure {
    fn show(self) -> String {
        match self {
            Figure::Bytes(b) => format!("{} ({b} bytes)", human(b)),
            Figure::Ratio(r) => format!("{:.4} %", r * 100.0),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct BudgetCheck {
    /// The flag or key, e.g. `max-size`, `max-category cache`,
    /// `lowestEfficiency`.
    pub name: String,
    pub passed: bool,
    /// `null` when the figure does not exist (user-wasted percent of a
    /// one-layer image); such a check passes, as in dive.
    pub actual: Option<Figure>,
    pub limit: Figure,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct BudgetVerdict {
    /// True when every check passed (and when there are none).
    pub passed: bool,
    pub checks: Vec<BudgetCheck>,
}

impl Default for BudgetVerdict {
    /// No budgets set: nothing to fail.
    fn default() -> Self {
        BudgetVerdict {
            passed: true,
            checks: Vec::new(),
        }
    }
}

impl BudgetVerdict {
    /// How many checks failed.
    pub fn failed(&self) -> usize {
        self.checks.iter().filter(|c| !c.passed).count()
    }
}

fn at_most(name: &str, what: &str, actual: Figure, limit: Figure) -> BudgetCheck {
    let passed = match (actual, limit) {
        (Figure::Bytes(a), Figure::Bytes(l)) => a <= l,
        (Figure::Ratio(a), Figure::Ratio(l)) => a <= l,
        _ => false,
    };
    let verdict = if passed { "within" } else { "over" };
    BudgetCheck {
        name: name.to_string(),
        passed,
        actual: Some(actual),
        limit,
        message: format!(
            "{what} is {}, {verdict} the limit of {}",
            actual.show(),
            limit.show()
        ),
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

pub fn evaluate(r: &Measured<'_>, b: &Budgets) -> BudgetVerdict {
    let mut checks = Vec::new();
    if let Some(l) = b.max_size {
        checks.push(at_most(
            "max-size",
            "image size",
            Figure::Bytes(r.image.size_bytes),
            Figure::Bytes(l),
        ));
    }
    if let Some(l) = b.max_compressed_size {
        checks.push(at_most(
            "max-compressed-size",
            "compressed size",
            Figure::Bytes(r.image.compressed_size_bytes),
            Figure::Bytes(l),
        ));
    }
    if let Some(l) = b.max_layer_size {
        let biggest = r
            .layers
            .iter()
            .max_by_key(|x| (x.size_bytes, std::cmp::Reverse(x.index)));
        let (size, what) = biggest.map_or((0, "the largest layer".to_string()), |x| {
            let instr = r
                .steps
                .get(x.step_index)
                .map_or("", |s| s.instruction.as_str());
            (
                x.size_bytes,
                format!(
                    "the largest layer (step {}: {})",
                    x.step_index,
                    crate::units::ellipsize_middle(instr, 50)
                ),
            )
        });
        checks.push(at_most(
            "max-layer-size",
            &what,
            Figure::Bytes(size),
            Figure::Bytes(l),
        ));
    }
    if let Some(l) = b.max_waste {
        checks.push(at_most(
            "max-waste",
            "reclaimable waste",
            Figure::Bytes(r.summary.reclaimable_bytes),
            Figure::Bytes(l),
        ));
    }
    if let Some(l) = b.max_waste_percent {
        checks.push(at_most(
            "max-waste-percent",
            "reclaimable waste as a share of the image (all layers)",
            Figure::Ratio(ratio(r.summary.reclaimable_bytes, r.image.size_bytes)),
            Figure::Ratio(l),
        ));
    }
    if let Some(l) = b.min_efficiency {
        let a = r.dive.efficiency;
        let passed = a >= l;
        checks.push(BudgetCheck {
            name: "min-efficiency".into(),
            passed,
            actual: Some(Figure::Ratio(a)),
            limit: Figure::Ratio(l),
            message: format!(
                "dive-compatible efficiency is {}, {} the minimum of {}",
                Figure::Ratio(a).show(),
                if passed { "at or above" } else { "below" },
                Figure::Ratio(l).show()
            ),
        });
    }
    if let Some(l) = b.max_user_waste_percent {
        match r.dive.user_wasted_percent {
            Some(a) => checks.push(at_most(
                "max-user-waste-percent",
                "dive-compatible user-wasted percent",
                Figure::Ratio(a),
                Figure::Ratio(l),
            )),
            None => checks.push(BudgetCheck {
                name: "max-user-waste-percent".into(),
                passed: true,
                actual: None,
                limit: Figure::Ratio(l),
                message:
                    "user-wasted percent is undefined for a one-layer image; passes as in dive"
                        .into(),
            }),
        }
    }
    for (cat, &l) in &b.max_category {
        let a = r.summary.by_category.get(cat).copied().unwrap_or(0);
        checks.push(at_most(
            &format!("max-category {cat}"),
            &format!("{cat} waste"),
            Figure::Bytes(a),
            Figure::Bytes(l),
        ));
    }
    if let Some(rules) = &b.dive_rules {
        checks.extend(dive_checks(r, rules));
    }
    BudgetVerdict {
        passed: checks.iter().all(|c| c.passed),
        checks,
    }
}

/// dive's own verdicts for a `.dive-ci`, worded as dive's rules are named.
fn dive_checks(r: &Measured<'_>, rules: &CiRules) -> Vec<BudgetCheck> {
    let m = dive::DiveMetrics {
        efficiency: r.dive.efficiency,
        wasted_bytes: r.dive.wasted_bytes,
        user_wasted_percent: r.dive.user_wasted_percent,
        size_bytes: r.image.size_bytes,
        inefficient_files: Vec::new(),
    };
    dive::evaluate_ci_rules(rules, &m)
        .into_iter()
        .map(|v| {
            let fig = |c: CiValue| match c {
                CiValue::Ratio(x) => Figure::Ratio(x),
                CiValue::Bytes(b) => Figure::Bytes(b),
            };
            let actual = v.actual.map(fig);
            let limit = fig(v.limit);
            let message = format!(
                "{} (dive rule): {} against {}",
                v.rule.key(),
                actual.map_or_else(|| "undefined".to_string(), Figure::show),
                limit.show()
            );
            BudgetCheck {
                name: v.rule.key().to_string(),
                passed: v.passed,
                actual,
                limit,
                message,
            }
        })
        .collect()
}
