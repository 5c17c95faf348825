//! How long a registry or an engine may send nothing before ballast gives
//! up on it: a stalled blob or socket is an error naming its source, not a
//! hang. `BALLAST_IO_TIMEOUT` sets it in seconds (`0`: wait forever).

use std::time::Duration;

use crate::error::Problem;

/// The default: long enough for a slow link's pauses, short enough that
/// a stopped registry is noticed.
const DEFAULT_SECS: u64 = 30;

pub const VARIABLE: &str = "BALLAST_IO_TIMEOUT";

/// The idle limit from `BALLAST_IO_TIMEOUT`, else the default; `None`:
/// no limit.
pub fn limit() -> Result<Option<Duration>, Problem> {
    let secs = match std::env::var(VARIABLE) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| {
                Problem::Archive(format!(
                    "{VARIABLE}={v} is not a number of seconds (0 waits forever)"
                ))
            })?,
        _ => return Ok(Some(Duration::from_secs(DEFAULT_SECS))),
    };
    Ok((secs > 0.0).then(|| Duration::from_secs_f64(secs.min(1e9))))
}

/// "no byte for 30 s", as errors say it.
pub fn words(limit: Duration) -> String {
    format!(
        "no byte for {} s ({VARIABLE})",
        format_secs(limit.as_secs_f64())
    )
}

fn format_secs(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_name_the_limit_and_the_variable() {
        assert_eq!(
            words(Duration::from_secs(30)),
            "no byte for 30 s (BALLAST_IO_TIMEOUT)"
        );
        assert_eq!(
            words(Duration::from_millis(1500)),
            "no byte for 1.5 s (BALLAST_IO_TIMEOUT)"
        );
    }
}
