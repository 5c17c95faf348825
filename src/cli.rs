//! What the user typed (clap types live here only) and its conversion into
//! validated settings the program runs with: budgets parsed, config files
//! read, rule files compiled. Every mistake becomes one message naming the
//! flag or file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, ValueEnum};

use crate::budget_flags;
use ballast::Options;
use ballast::analyze::budget::Budgets;
use ballast::analyze::rules::{self, RuleSet};
use ballast::archive::layout::Selection;
use ballast::archive::{Input, LoadOptions};
use ballast::index::layer::IndexOptions;

const AFTER_HELP: &str = "\
Examples:
  ballast image.tar                      browse it (on a terminal) or print a summary
  docker save myimg | ballast -          read the archive from stdin, nothing written to disk
  ballast image.tar --json report.json   the full report as JSON (`--json -` for stdout)
  ballast image.tar --ci --max-size 2GB --max-category cache=50MB
                                         fail a CI job (exit 1) when over budget
  ballast image.tar --ci --ci-config .dive-ci
                                         dive's own rules, evaluated as dive does
  ballast image.tar --format markdown    a summary for a pull-request comment
  ballast oci-dir/ --platform linux/arm64
                                         an OCI layout directory, one platform of several
  ballast image.tar --dockerfile Dockerfile
                                         name each step's Dockerfile line
  ballast fix image.tar --dockerfile Dockerfile
                                         the fixes as a patch (`patch -p1`; --write applies it)

Inputs: docker-archive (legacy and Docker >= 25 OCI layout), kaniko, skopeo/buildah
docker-archive: and oci-archive: tarballs, OCI layout directories, gzip-compressed
archives; layers uncompressed, gzip, zstd or eStargz. Detected from the contents.

Budgets can also live in ./ballast.toml (or --config FILE):
  [budget]
  max_size = \"2GB\"
  max_waste_percent = \"10%\"
  [budget.max_category]
  cache = \"50MB\"
plus [[rule]] tables that extend the waste rules (see --rules).
Sizes: 1.5GB, 800MiB, 1048576 (kB/MB/GB = 1000s, KiB/MiB/GiB = 1024s).
Ratios: 10% or 0.1.

Exit codes: 0 analyzed and within budget, 1 over a budget, 2 could not analyze
(the message names the file and the problem). NO_COLOR turns colors off.";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Markdown,
}

/// Find the dead weight in a container image: which Dockerfile step put it
/// there, and what to change.
#[derive(Parser, Debug)]
#[command(name = "ballast", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Image archive (.tar), OCI layout directory, or `-` for stdin.
    #[arg(value_name = "IMAGE")]
    pub image: String,

    /// Write the JSON report to PATH (or stdout with `-` or no value).
    #[arg(long, value_name = "PATH|-", num_args = 0..=1, default_missing_value = "-")]
    pub json: Option<String>,

    /// Include every layer's changed paths in the JSON report (large).
    #[arg(long, requires = "json")]
    pub json_files: bool,

    /// Summary format on stdout when not interactive.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// Also write a Markdown summary to PATH (for a PR comment or CI step
    /// summary).
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,

    /// CI mode: no UI; print the summary and one PASS/FAIL line per budget.
    #[arg(long)]
    pub ci: bool,

    /// Pick one image from an archive holding several.
    #[arg(long = "image", value_name = "NAME[:TAG]")]
    pub select_image: Option<String>,

    /// Pick one platform from a multi-platform OCI index.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,

    /// Check every blob's sha256 against its digest and every layer's
    /// content against the config's diff_ids; fail (exit 2) on a mismatch.
    #[arg(long)]
    pub verify: bool,

    /// Extra or overriding waste rules: a TOML file of `[[rule]]` tables
    /// (id, category, paths, suggestion; see the README's Rules section)
    /// that add categories and patterns or override built-in rules by id.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// Budgets and rules file [default: ./ballast.toml when present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// dive's `.dive-ci` rules file [default with --ci: ./.dive-ci when present].
    #[arg(long, value_name = "FILE")]
    pub ci_config: Option<PathBuf>,

    /// Fail when the image (sum of its layers) is larger.
    #[arg(long, value_name = "SIZE", help_heading = "Budgets")]
    pub max_size: Option<String>,

    /// Fail when the compressed layer blobs add up to more.
    #[arg(long, value_name = "SIZE", help_heading = "Budgets")]
    pub max_compressed_size: Option<String>,

    /// Fail when any single layer is larger.
    #[arg(long, value_name = "SIZE", help_heading = "Budgets")]
    pub max_layer_size: Option<String>,

    /// Fail when the reclaimable waste is larger.
    #[arg(long, value_name = "SIZE", help_heading = "Budgets")]
    pub max_waste: Option<String>,

    /// Fail when the reclaimable waste is a larger share of the image.
    #[arg(long, value_name = "RATIO", help_heading = "Budgets")]
    pub max_waste_percent: Option<String>,

    /// Fail when dive's efficiency score is lower (dive's lowestEfficiency).
    #[arg(long, value_name = "RATIO", help_heading = "Budgets")]
    pub min_efficiency: Option<String>,

    /// Fail when dive's user-wasted percent is higher
    /// (dive's highestUserWastedPercent).
    #[arg(long, value_name = "RATIO", help_heading = "Budgets")]
    pub max_user_waste_percent: Option<String>,

    /// Fail when one category's waste is larger, e.g. `cache=50MB`
    /// (repeatable).
    #[arg(long, value_name = "CATEGORY=SIZE", help_heading = "Budgets")]
    pub max_category: Vec<String>,

    /// Never show the progress bar (it shows only on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,

    /// Map each step to its line in this Dockerfile (default: ./Dockerfile
    /// or ./Containerfile when it matches the image's history).
    #[arg(long, value_name = "PATH")]
    pub dockerfile: Option<PathBuf>,
}

/// Where the JSON report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonTarget {
    Stdout,
    File(PathBuf),
}

pub struct Settings {
    pub input: Input,
    pub options: Options,
    pub json: Option<JsonTarget>,
    pub format: Format,
    pub markdown: Option<PathBuf>,
    pub ci: bool,
    pub verify: bool,
    pub progress: bool,
}

/// A settings mistake: the flag or file, and what is wrong.
pub type SettingsError = String;

fn flag<T>(
    name: &str,
    v: Option<&str>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, SettingsError> {
    v.map(|s| parse(s).map_err(|e| format!("--{name}: {e}")))
        .transpose()
}

fn read(path: &Path) -> Result<String, SettingsError> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `ballast.toml`: `[budget]` and `[[rule]]`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    budget: Option<toml::Table>,
    #[serde(default)]
    rule: Vec<rules::Rule>,
}

impl Cli {
    pub fn into_settings(self) -> Result<Settings, SettingsError> {
        let json = self.json.as_deref().map(|p| {
            if p == "-" {
                JsonTarget::Stdout
            } else {
                JsonTarget::File(PathBuf::from(p))
            }
        });
        let mut flags = Budgets {
            max_size: flag(
                "max-size",
                self.max_size.as_deref(),
                budget_flags::parse_size,
            )?,
            max_compressed_size: flag(
                "max-compressed-size",
                self.max_compressed_size.as_deref(),
                budget_flags::parse_size,
            )?,
            max_layer_size: flag(
                "max-layer-size",
                self.max_layer_size.as_deref(),
                budget_flags::parse_size,
            )?,
            max_waste: flag(
                "max-waste",
                self.max_waste.as_deref(),
                budget_flags::parse_size,
            )?,
            max_waste_percent: flag(
                "max-waste-percent",
                self.max_waste_percent.as_deref(),
                budget_flags::parse_ratio,
            )?,
            min_efficiency: flag(
                "min-efficiency",
                self.min_efficiency.as_deref(),
                budget_flags::parse_ratio,
            )?,
            max_user_waste_percent: flag(
                "max-user-waste-percent",
                self.max_user_waste_percent.as_deref(),
                budget_flags::parse_ratio,
            )?,
            ..Budgets::default()
        };
        for c in &self.max_category {
            let (cat, size) =
                budget_flags::parse_category(c).map_err(|e| format!("--max-category: {e}"))?;
            flags.max_category.insert(cat, size);
        }

        let config_path = match &self.config {
            Some(p) => Some(p.clone()),
            None => Some(PathBuf::from("ballast.toml")).filter(|p| p.is_file()),
        };
        let mut user_rules = Vec::new();
        let mut file_budgets = Budgets::default();
        if let Some(p) = &config_path {
            let cfg: ConfigFile = toml::from_str(&read(p)?)
                .map_err(|e| format!("{}: {}", p.display(), e.message()))?;
            if let Some(t) = &cfg.budget {
                file_budgets =
                    budget_flags::from_toml(t).map_err(|e| format!("{}: {e}", p.display()))?;
            }
            user_rules.extend(cfg.rule);
        }
        if let Some(p) = &self.rules {
            user_rules
                .extend(rules::parse(&read(p)?).map_err(|e| format!("{}: {e}", p.display()))?);
        }
        let rules = if user_rules.is_empty() {
            None
        } else {
            let origin = self
                .rules
                .as_ref()
                .or(config_path.as_ref())
                .map_or(String::new(), |p| p.display().to_string());
            Some(Arc::new(
                RuleSet::with_user_rules(user_rules).map_err(|e| format!("{origin}: {e}"))?,
            ))
        };

        let ci_config = match &self.ci_config {
            Some(p) => Some(p.clone()),
            None if self.ci => Some(PathBuf::from(".dive-ci")).filter(|p| p.is_file()),
            None => None,
        };
        let mut notes = Vec::new();
        if let Some(p) = &ci_config {
            let r = crate::dive_ci::parse_ci_rules(&read(p)?)
                .map_err(|e| format!("{}: {e}", p.display()))?;
            // dive reads past a misspelt rule and applies its default instead.
            notes.extend(r.ignored_keys.iter().map(|k| {
                format!(
                    ".dive-ci line {}: `{}` is not a key dive reads, so dive ignores it (a typo?)",
                    k.line, k.key
                )
            }));
            flags.dive_rules = Some(r);
        }

        Ok(Settings {
            input: Input::parse(&self.image),
            options: Options {
                load: LoadOptions {
                    selection: Selection {
                        image: self.select_image,
                        platform: self.platform,
                    },
                    progress: None,
                    verify: self.verify,
                },
                index: IndexOptions {
                    verify: self.verify,
                },
                rules,
                budgets: flags.or(file_budgets),
                layer_files: self.json_files,
                notes,
                dockerfile: crate::dockerfile_source::read(self.dockerfile.as_deref())?
                    .map(Arc::new),
            },
            json,
            format: self.format,
            markdown: self.markdown,
            ci: self.ci,
            verify: self.verify,
            progress: !self.no_progress,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn json_flag_takes_an_optional_path() {
        let s = Cli::parse_from(["ballast", "img.tar", "--json"])
            .into_settings()
            .unwrap();
        assert_eq!(s.json, Some(JsonTarget::Stdout));
        let s = Cli::parse_from(["ballast", "img.tar", "--json", "out.json"])
            .into_settings()
            .unwrap();
        assert_eq!(s.json, Some(JsonTarget::File("out.json".into())));
        let s = Cli::parse_from(["ballast", "-"]).into_settings().unwrap();
        assert!(matches!(s.input, Input::Stdin));
    }

    #[test]
    fn budget_flags_are_validated_with_the_flag_named() {
        let s = Cli::parse_from([
            "ballast",
            "x",
            "--max-size",
            "1.5GB",
            "--max-category",
            "cache=50MB",
        ])
        .into_settings()
        .unwrap();
        assert_eq!(s.options.budgets.max_size, Some(1_500_000_000));
        assert_eq!(s.options.budgets.max_category["cache"], 50_000_000);
        let e = Cli::parse_from(["ballast", "x", "--max-size", "big"])
            .into_settings()
            .err()
            .unwrap();
        assert!(e.starts_with("--max-size:"), "{e}");
        let e = Cli::parse_from(["ballast", "x", "--min-efficiency", "95"])
            .into_settings()
            .err()
            .unwrap();
        assert!(
            e.contains("--min-efficiency") && e.contains("out of range"),
            "{e}"
        );
    }
}
