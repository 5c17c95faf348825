//! dive's `.dive-ci` rules: what they are, how dive's flag strings and
//! rule values are read, and how dive applies them.
//!
//! The binary reads the file as dive 0.13.1 does (yaml.v3 into a struct
//! with dive's defaults) into [`CiRules`], and [`evaluate_ci_rules`]
//! applies dive's strict comparisons. dive exits 1 both
//! for a failed rule and for a bad file; keeping [`CiRulesError`] apart from
//! a failed [`CiVerdict`] lets ballast tell the two apart.

use std::fmt;

use super::metrics::DiveMetrics;

/// dive's `.dive-ci` rules; `None` disables a rule.
///
/// `Default` is dive's: lowest efficiency 0.9, highest wasted bytes disabled,
/// highest user-wasted percent 0.1.
#[derive(Debug, Clone, PartialEq)]
pub struct CiRules {
    /// Fail when this is greater than the efficiency (a ratio in 0..=1).
    pub lowest_efficiency: Option<f64>,
    /// Fail when the wasted bytes are greater than this.
    pub highest_wasted_bytes: Option<u64>,
    /// Fail when the user-wasted ratio is greater than this (a ratio in 0..=1).
    pub highest_user_wasted_percent: Option<f64>,
    /// Keys dive reads past without a word; ballast warns about them.
    pub ignored_keys: Vec<IgnoredKey>,
}

impl Default for CiRules {
    fn default() -> Self {
        CiRules {
            lowest_efficiency: Some(0.9),
            highest_wasted_bytes: None,
            highest_user_wasted_percent: Some(0.1),
            ignored_keys: Vec::new(),
        }
    }
}

/// A key of a `.dive-ci` file that dive does not read (a typo, most often).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredKey {
    /// 1-based line number.
    pub line: usize,
    /// Dotted from the top, e.g. `rules.lowestEfficency`.
    pub key: String,
}

/// Why a `.dive-ci` file or rule value could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiRulesError {
    /// 1-based line number in the file, when the error comes from one.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for CiRulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for CiRulesError {}

/// The three rules, by the names dive uses in `.dive-ci` and its flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiRule {
    LowestEfficiency,
    HighestWastedBytes,
    HighestUserWastedPercent,
}

impl CiRule {
    /// The key as written in `.dive-ci` and printed by dive.
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            CiRule::LowestEfficiency => "lowestEfficiency",
            CiRule::HighestWastedBytes => "highestWastedBytes",
            CiRule::HighestUserWastedPercent => "highestUserWastedPercent",
        }
    }
}

/// A measured value or a threshold, in raw units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CiValue {
    /// A ratio in 0..=1 (efficiency, user-wasted percent).
    Ratio(f64),
    Bytes(u64),
}

impl fmt::Display for CiValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CiValue::Ratio(ratio) => write!(f, "{ratio}"),
            CiValue::Bytes(bytes) => write!(f, "{bytes}"),
        }
    }
}

/// The outcome of one enabled rule.
#[derive(Debug, Clone, PartialEq)]
pub struct CiVerdict {
    pub rule: CiRule,
    pub passed: bool,
    /// `None` when the image has no defined user-wasted percent (dive's NaN).
    pub actual: Option<CiValue>,
    pub limit: CiValue,
}

/// dive's `isRuleDisabled`.
fn is_disabled(value: &str) -> bool {
    matches!(
        value.trim().to_lowercase().as_str(),
        "" | "disabled" | "off" | "false"
    )
}

/// dive's ratio rules: Go's `strconv.ParseFloat` on the untrimmed value, then
/// a 0..=1 range check.
///
/// Differences from Go, both stricter: NaN is refused (dive accepts it and
/// the rule can then never fail), and hexadecimal floats (`0x1p-1`) are not
/// understood.
pub fn parse_ratio(rule: CiRule, value: &str) -> Result<Option<f64>, String> {
    if is_disabled(value) {
        return Ok(None);
    }
    let key = rule.key();
    let threshold: f64 = value
        .parse()
        .map_err(|_| format!("invalid {key} value {value:?}: not a number"))?;
    if threshold.is_nan() {
        return Err(format!("invalid {key} value {value:?}: not a number"));
    }
    if !(0.0..=1.0).contains(&threshold) {
        return Err(format!(
            "{key} must be a ratio between 0 and 1, given {value:?}"
        ));
    }
    Ok(Some(threshold))
}

/// dive's size rule: go-humanize's `ParseBytes`, disabling words aside.
pub fn parse_size(value: &str) -> Result<Option<u64>, String> {
    if is_disabled(value) {
        return Ok(None);
    }
    parse_bytes(value)
        .map(Some)
        .map_err(|why| format!("invalid highestWastedBytes value {value:?}: {why}"))
}

/// go-humanize `ParseBytes`: leading ASCII digits and dots as a float, then an
/// optional unit, case-insensitive and space-trimmed. `k`/`kb`/`m`/`mb`/… are
/// powers of 1000 and `ki`/`kib`/`mi`/`mib`/… powers of 1024; `b` is a byte,
/// so `20Mb` is 20 000 000 bytes, not megabits. Fractions are truncated.
fn parse_bytes(value: &str) -> Result<u64, String> {
    let number_end = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let number: f64 = value[..number_end]
        .parse()
        .map_err(|_| "expected a number, optionally followed by a unit".to_owned())?;
    let unit = value[number_end..].trim().to_lowercase();
    let multiplier: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "ki" | "kib" => 1 << 10,
        "m" | "mb" => 1000_u64.pow(2),
        "mi" | "mib" => 1 << 20,
        "g" | "gb" => 1000_u64.pow(3),
        "gi" | "gib" => 1 << 30,
        "t" | "tb" => 1000_u64.pow(4),
        "ti" | "tib" => 1 << 40,
        "p" | "pb" => 1000_u64.pow(5),
        "pi" | "pib" => 1 << 50,
        "e" | "eb" => 1000_u64.pow(6),
        "ei" | "eib" => 1 << 60,
        _ => return Err(format!("unknown size unit {unit:?}")),
    };
    #[allow(
        clippy::cast_precision_loss,
        reason = "go-humanize multiplies in float64 too"
    )]
    let bytes = number * multiplier as f64;
    // Go compares against MaxUint64 converted to float64, which is 2^64.
    if bytes >= 18_446_744_073_709_551_616.0 {
        return Err("too large".to_owned());
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "non-negative and below 2^64; truncation is go-humanize's uint64(f)"
    )]
    Ok(bytes as u64)
}

/// Applies each enabled rule to `metrics`, strictly as dive does: fail when
/// `lowest_efficiency > efficiency`, `wasted_bytes > highest_wasted_bytes`
/// or `user_wasted_percent > highest_user_wasted_percent`. An undefined
/// user-wasted percent (dive's NaN) passes.
///
/// Verdicts come in dive's printing order, sorted by rule key:
/// `highestUserWastedPercent`, `highestWastedBytes`, `lowestEfficiency`.
#[must_use]
pub fn evaluate_ci_rules(rules: &CiRules, metrics: &DiveMetrics) -> Vec<CiVerdict> {
    let mut verdicts = Vec::with_capacity(3);
    if let Some(limit) = rules.highest_user_wasted_percent {
        verdicts.push(CiVerdict {
            rule: CiRule::HighestUserWastedPercent,
            passed: metrics
                .user_wasted_percent
                .is_none_or(|actual| actual <= limit),
            actual: metrics.user_wasted_percent.map(CiValue::Ratio),
            limit: CiValue::Ratio(limit),
        });
    }
    if let Some(limit) = rules.highest_wasted_bytes {
        verdicts.push(CiVerdict {
            rule: CiRule::HighestWastedBytes,
            passed: metrics.wasted_bytes <= limit,
            actual: Some(CiValue::Bytes(metrics.wasted_bytes)),
            limit: CiValue::Bytes(limit),
        });
    }
    if let Some(limit) = rules.lowest_efficiency {
        verdicts.push(CiVerdict {
            rule: CiRule::LowestEfficiency,
            // dive fails when `threshold > efficiency`; neither can be NaN here.
            passed: limit <= metrics.efficiency,
            actual: Some(CiValue::Ratio(metrics.efficiency)),
            limit: CiValue::Ratio(limit),
        });
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_go_humanize() {
        let cases: [(&str, u64); 12] = [
            ("20MB", 20_000_000),
            ("20Mb", 20_000_000),
            ("20mb", 20_000_000),
            ("20 MB", 20_000_000),
            ("1GiB", 1 << 30),
            ("1gi", 1 << 30),
            ("1024", 1024),
            ("1024B", 1024),
            ("1.5k", 1500),
            ("1.5KiB", 1536),
            ("0.5", 0),
            ("2EiB", 2 << 60),
        ];
        for (text, bytes) in cases {
            assert_eq!(parse_bytes(text), Ok(bytes), "{text}");
        }
        for bad in ["", "MB", "-5", "5 XB", "1.2.3MB", " 5", "16EiB", "20 M B"] {
            assert!(parse_bytes(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
