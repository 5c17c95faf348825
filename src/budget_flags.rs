//! Budget values as users write them, in flags and in `ballast.toml`'s
//! `[budget]` table, parsed into the analysis's [`Budgets`]. Parsing lives
//! here, with the other settings, so the analysis never reads a file.

use bytesize::ByteSize;

use crate::analyze::budget::Budgets;
use crate::analyze::diff::DiffBudgets;

/// `1.5GB`, `800MiB`, `20MB`, `1024`: bytesize's units (kB/MB/GB are powers
/// of 1000, KiB/MiB/GiB of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|_| format!("{s:?} is not a size (try 1.5GB, 800MiB or 1048576)"))
}

/// `10%` or a ratio in 0..=1 (`0.1`). A bare number above 1 is refused
/// rather than guessed at.
pub fn parse_ratio(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, scale) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (t, 1.0),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a ratio (try 10% or 0.1)"))?;
    let v = v / scale;
    if !(0.0..=1.0).contains(&v) || v.is_nan() {
        return Err(format!(
            "{s:?} is out of range: give a percentage (10%) or a ratio between 0 and 1"
        ));
    }
    Ok(v)
}

/// `cache=50MB`
pub fn parse_category(s: &str) -> Result<(String, u64), String> {
    let (cat, size) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} should be CATEGORY=SIZE, e.g. cache=50MB"))?;
    if cat.trim().is_empty() {
        return Err(format!("{s:?} names no category"));
    }
    Ok((cat.trim().to_string(), parse_size(size)?))
}

/// Reads the `[budget]` table of a `ballast.toml`.
pub fn from_toml(t: &toml::Table) -> Result<Budgets, String> {
    let mut b = Budgets::default();
    for (k, v) in t {
        let text = match v {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Table(_) if k == "max_category" => String::new(),
            _ => return Err(format!("budget.{k}: expected a string or a number")),
        };
        let key = k.replace('-', "_");
        match key.as_str() {
            "max_size" => {
                b.max_size = Some(parse_size(&text).map_err(|e| format!("budget.{k}: {e}"))?);
            }
            "max_compressed_size" => {
                b.max_compressed_size =
                    Some(parse_size(&text).map_err(|e| format!("budget.{k}: {e}"))?);
            }
            "max_layer_size" => {
                b.max_layer_size = Some(parse_size(&text).map_err(|e| format!("budget.{k}: {e}"))?);
            }
            "max_waste" => {
                b.max_waste = Some(parse_size(&text).map_err(|e| format!("budget.{k}: {e}"))?);
            }
            "max_waste_percent" => {
                b.max_waste_percent =
                    Some(parse_ratio(&text).map_err(|e| format!("budget.{k}: {e}"))?);
            }
            "min_efficiency" => {
                b.min_efficiency =
                    Some(parse_ratio(&text).map_err(|e| format!("budget.{k}: {e}"))?);
            }
            "max_user_waste_percent" => {
                b.max_user_waste_percent =
                    Some(parse_ratio(&text).map_err(|e| format!("budget.{k}: {e}"))?);
            }
            "max_category" => {
                let toml::Value::Table(cats) = v else {
                    return Err(format!(
                        "budget.{k}: expected a table such as {{ cache = \"50MB\" }}"
                    ));
                };
                for (cat, size) in cats {
                    let s = match size {
                        toml::Value::String(s) => s.clone(),
                        toml::Value::Integer(i) => i.to_string(),
                        _ => return Err(format!("budget.max_category.{cat}: expected a size")),
                    };
                    b.max_category.insert(
                        cat.clone(),
                        parse_size(&s).map_err(|e| format!("budget.max_category.{cat}: {e}"))?,
                    );
                }
            }
            _ => {
                return Err(format!(
                    "budget.{k}: unknown budget (known: max_size, max_compressed_size, max_layer_size, max_waste, max_waste_percent, min_efficiency, max_user_waste_percent, max_category)"
                ));
            }
        }
    }
    Ok(b)
}

/// Reads the `[diff]` table of a `ballast.toml`.
pub fn diff_from_toml(t: &toml::Table) -> Result<DiffBudgets, String> {
    let text = |k: &str, v: &toml::Value| match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        _ => Err(format!("diff.{k}: expected a string or a number")),
    };
    let mut b = DiffBudgets::default();
    for (k, v) in t {
        let at = |e: String| format!("diff.{k}: {e}");
        match k.replace('-', "_").as_str() {
            "max_growth" => b.max_growth = Some(parse_size(&text(k, v)?).map_err(at)?),
            "max_growth_percent" => {
                b.max_growth_percent = Some(parse_ratio(&text(k, v)?).map_err(at)?);
            }
            "max_pull" => b.max_pull = Some(parse_size(&text(k, v)?).map_err(at)?),
            "fail_on_new" => {
                let list = match v {
                    toml::Value::String(s) => vec![s.clone()],
                    toml::Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| at("expected a list of category names".into()))?,
                    _ => return Err(at("expected a list of category names".into())),
                };
                b.fail_on_new = list;
            }
            _ => {
                return Err(format!(
                    "diff.{k}: unknown key (known: max_growth, max_growth_percent, max_pull, fail_on_new)"
                ));
            }
        }
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ratios_parse_in_human_units() {
        assert_eq!(parse_size("1.5GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("800MiB"), Ok(800 << 20));
        assert_eq!(parse_size("1024"), Ok(1024));
        assert!(parse_size("lots").is_err());
        assert_eq!(parse_ratio("10%"), Ok(0.1));
        assert_eq!(parse_ratio("0.25"), Ok(0.25));
        assert!(parse_ratio("20").unwrap_err().contains("out of range"));
        assert_eq!(
            parse_category("cache=50MB"),
            Ok(("cache".into(), 50_000_000))
        );
        assert!(parse_category("cache").is_err());
    }

    #[test]
    fn toml_budgets_parse_and_flags_win() {
        let t: toml::Table = toml::from_str(
            "max_size = \"1GB\"\nmin_efficiency = 0.9\n[max_category]\ncache = \"5MB\"\n",
        )
        .unwrap();
        let file = from_toml(&t).unwrap();
        assert_eq!(file.max_size, Some(1_000_000_000));
        assert_eq!(file.max_category["cache"], 5_000_000);
        let flags = Budgets {
            max_size: Some(2),
            ..Budgets::default()
        };
        let merged = flags.or(file);
        assert_eq!(merged.max_size, Some(2));
        assert_eq!(merged.min_efficiency, Some(0.9));
        let bad: toml::Table = toml::from_str("max_sise = \"1GB\"").unwrap();
        assert!(from_toml(&bad).unwrap_err().contains("unknown budget"));
    }

    #[test]
    fn toml_diff_table_reads_every_key_and_names_unknown_ones() {
        let t: toml::Table = toml::from_str(
            "max_growth = \"50MB\"\nmax-growth-percent = \"5%\"\nmax_pull = 1000\nfail_on_new = [\"cache\"]\n",
        )
        .unwrap();
        let b = diff_from_toml(&t).unwrap();
        assert_eq!(b.max_growth, Some(50_000_000));
        assert_eq!(b.max_growth_percent, Some(0.05));
        assert_eq!(b.max_pull, Some(1000));
        assert_eq!(b.fail_on_new, ["cache"]);
        let flags = DiffBudgets {
            max_pull: Some(1),
            ..DiffBudgets::default()
        };
        assert_eq!(flags.or(b).max_pull, Some(1));
        let bad: toml::Table = toml::from_str("max_pul = 1").unwrap();
        assert!(diff_from_toml(&bad).unwrap_err().contains("unknown key"));
    }
}
