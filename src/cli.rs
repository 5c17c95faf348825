//! What the user typed (clap types live here only) and its conversion into
//! validated settings the program runs with: budgets parsed, config files
//! read, rule files compiled. Every mistake becomes one message naming the
//! flag or file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, ValueEnum};

use ballast::Options;
use ballast::analyze::budget::Budgets;
use ballast::analyze::categories;
use ballast::analyze::refine;
use ballast::analyze::rules::{self, RuleSet};
use ballast::archive::layout::Selection;
use ballast::archive::source::{ImageSource, Place};
use ballast::archive::{Input, LoadOptions};
use ballast::budget_flags;
use ballast::index::layer::IndexOptions;

const AFTER_HELP: &str = "\
Examples:
  ballast python:3.12                    straight from Docker, Podman or the registry
  ballast registry://ghcr.io/org/img:tag the registry only, no daemon, no tarball
  ballast image.tar                      browse it (on a terminal) or print a summary
  docker save myimg | ballast -          read the archive from stdin, nothing written to disk
  ballast image.tar --json report.json   the full report as JSON (`--json -` for stdout)
  ballast image.tar --ci --max-size 2GB --max-category cache=50MB
                                         fail a CI job (exit 1) when over budget
  ballast image.tar --ci --ci-config .dive-ci
                                         dive's own rules, evaluated as dive does
  ballast image.tar --format markdown    a summary for a pull-request comment
  ballast image.tar --html report.html   one offline HTML page: treemap, steps, findings
  ballast oci-dir/ --platform linux/arm64
                                         an OCI layout directory, one platform of several
  ballast image.tar --dockerfile Dockerfile
                                         name each step's Dockerfile line
  ballast fix image.tar --dockerfile Dockerfile
                                         the fixes as a patch (`patch -p1`; --write applies it)
  ballast diff old.tar new.tar           what a change added and costs to pull (see
                                         `ballast diff --help`)

Sources: an archive path, `-`, docker://NAME (Docker Engine, DOCKER_HOST), podman://NAME,
registry://HOST[:PORT]/REPO[:TAG|@DIGEST], or a bare NAME[:TAG] that is no file (Docker,
then Podman, then the registry). Registry credentials come from $DOCKER_CONFIG/config.json,
~/.docker/config.json (auths, credHelpers, credsStore) and Podman's auth.json.

Inputs: docker-archive (legacy and Docker >= 25 OCI layout), kaniko, skopeo/buildah
docker-archive: and oci-archive: tarballs, OCI layout directories, gzip-compressed
archives; layers uncompressed, gzip, zstd or eStargz. Detected from the contents.

Budgets can also live in ./ballast.toml (or --config FILE):
  [budget]
  max_size = \"2GB\"
  max_waste_percent = \"10%\"
  [budget.max_category]
  cache = \"50MB\"
plus [[rule]] tables that extend the waste rules (see --rules), and paths that
are never waste:
  [ignore]
  paths = [\"opt/app/data/**\"]
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
    /// NAME[:TAG] (Docker, then Podman, then the registry), docker://, podman://,
    /// registry:// references, an image archive (.tar), an OCI layout or
    /// skopeo dir: directory, or `-` for stdin.
    #[arg(value_name = "IMAGE")]
    pub image: String,

    /// Write the JSON report to PATH (or stdout with `-` or no value).
    #[arg(long, value_name = "PATH|-", num_args = 0..=1, default_missing_value = "-")]
    pub json: Option<String>,

    /// Include every layer's changed paths in the JSON report (large).
    #[arg(long, requires = "json")]
    pub json_files: bool,

    /// Summary format on stdout when not interactive [default: text].
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Also write a Markdown summary to PATH (`-` for stdout; for a PR
    /// comment or CI step summary).
    #[arg(long, value_name = "PATH|-")]
    pub markdown: Option<String>,

    /// Write a self-contained HTML report (treemap, steps, findings,
    /// packages) to PATH, or stdout with `-`.
    #[arg(long, value_name = "PATH|-")]
    pub html: Option<String>,

    /// Write the final tree in ncdu's JSON export format to PATH, or stdout
    /// with `-` (browse it with `ncdu -f PATH`).
    #[arg(long, value_name = "PATH|-")]
    pub ncdu: Option<String>,

    /// CI mode: no UI; print the summary and one PASS/FAIL line per budget.
    /// With no budget set anywhere, dive's default rules apply.
    #[arg(long)]
    pub ci: bool,

    /// Write the findings and failed budgets as SARIF 2.1.0 to PATH (`-`
    /// for stdout), for GitHub code scanning.
    #[arg(long, value_name = "PATH|-")]
    pub sarif: Option<String>,

    /// Write a GitLab Code Quality report (JSON) to PATH (`-` for stdout).
    #[arg(long, value_name = "PATH|-")]
    pub codequality: Option<String>,

    /// Write the budget checks as JUnit XML to PATH (`-` for stdout), one
    /// test case per budget.
    #[arg(long, value_name = "PATH|-")]
    pub junit: Option<String>,

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

    /// Refuse (exit 2) an image whose layers hold more than N entries
    /// together (files, directories, links, whiteouts and directories their
    /// paths imply) or more than 96 bytes of names per entry of N: the bound
    /// that keeps peak memory under 500 MB. Default 1200000.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=500_000_000))]
    pub max_entries: Option<u64>,

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

    /// The base image's archive (any input ballast reads): the layers the
    /// two share are the base's. Without it, the base is found from the
    /// manifest's annotations or the history.
    #[arg(long, value_name = "IMAGE")]
    pub base: Option<String>,

    /// Paths that are never waste (a glob over image paths, `**` spans
    /// directories; repeatable; also `[ignore] paths` in ballast.toml).
    #[arg(long, value_name = "GLOB")]
    pub ignore: Vec<String>,

    /// Text and Markdown list findings of at least SIZE and count the rest
    /// (the JSON report keeps all) [default: 100kB].
    #[arg(long, value_name = "SIZE")]
    pub min_bytes: Option<String>,

    /// Only this build's own steps: hide the base image's steps and its
    /// `base-image` finding.
    #[arg(long)]
    pub only_own: bool,

    /// Where IMAGE is read from, overriding the guess (dive's flag).
    #[arg(long, value_enum, value_name = "SOURCE")]
    pub source: Option<SourceFlag>,

    /// Treat this registry (HOST[:PORT]) as insecure, as Docker does: TLS
    /// with its certificate unchecked, else plain HTTP (repeatable);
    /// loopback registries always are.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub insecure_registry: Vec<String>,

    /// Map each step to its line in this Dockerfile (default: ./Dockerfile
    /// or ./Containerfile when it matches the image's history).
    #[arg(long, value_name = "PATH")]
    pub dockerfile: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SourceFlag {
    Docker,
    Podman,
    Registry,
    Archive,
}

impl SourceFlag {
    /// IMAGE read from this source; a matching prefix may be left on.
    fn input(self, arg: &str) -> Input {
        let name = |prefix: &str| arg.strip_prefix(prefix).unwrap_or(arg).to_string();
        let image = |place, prefix: &str| {
            Input::Image(ImageSource {
                place,
                name: name(prefix),
            })
        };
        match self {
            SourceFlag::Docker => image(Place::Docker, "docker://"),
            SourceFlag::Podman => image(Place::Podman, "podman://"),
            SourceFlag::Registry => image(Place::Registry, "registry://"),
            SourceFlag::Archive if arg == "-" => Input::Stdin,
            SourceFlag::Archive => Input::Path(PathBuf::from(name("docker-archive://"))),
        }
    }
}

/// Where an output goes: the JSON report and every other `--FLAG PATH|-`
/// output (Markdown, SARIF, Code Quality, JUnit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonTarget {
    Stdout,
    File(PathBuf),
}

impl JsonTarget {
    /// `-` is stdout; anything else a file.
    pub(crate) fn parse(p: &str) -> JsonTarget {
        if p == "-" {
            JsonTarget::Stdout
        } else {
            JsonTarget::File(PathBuf::from(p))
        }
    }
}

pub struct Settings {
    pub input: Input,
    pub options: Options,
    pub json: Option<JsonTarget>,
    pub format: Format,
    pub markdown: Option<JsonTarget>,
    pub sarif: Option<JsonTarget>,
    pub codequality: Option<JsonTarget>,
    pub junit: Option<JsonTarget>,
    pub html: Option<JsonTarget>,
    pub ncdu: Option<JsonTarget>,
    pub ci: bool,
    /// `--ci` found no budget anywhere and applies dive's default rules.
    pub dive_defaults: bool,
    pub verify: bool,
    pub progress: bool,
    /// `[tui]` of `ballast.toml`: key bindings and colours.
    pub tui: ballast::present::tui::config::TuiConfig,
}

/// A settings mistake: the flag or file, and what is wrong.
pub type SettingsError = String;

pub(crate) fn flag<T>(
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

/// `ballast.toml`: `[budget]`, `[[rule]]` and `[tui]`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    budget: Option<toml::Table>,
    #[serde(default)]
    rule: Vec<rules::Rule>,
    /// `ballast diff`'s budgets, read by `diff_cli`.
    #[serde(default, rename = "diff")]
    _diff: Option<toml::Table>,
    #[serde(default)]
    tui: Option<toml::Table>,
    #[serde(default)]
    ignore: Option<IgnoreTable>,
}

/// `[ignore]` in ballast.toml.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreTable {
    #[serde(default)]
    paths: Vec<String>,
}

impl Cli {
    pub fn into_settings(self) -> Result<Settings, SettingsError> {
        let json = self.json.as_deref().map(JsonTarget::parse);
        let html = self.html.as_deref().map(JsonTarget::parse);
        let ncdu = self.ncdu.as_deref().map(JsonTarget::parse);
        let outputs = crate::outputs::Requested {
            json: json.clone(),
            markdown: self.markdown.as_deref().map(JsonTarget::parse),
            sarif: self.sarif.as_deref().map(JsonTarget::parse),
            codequality: self.codequality.as_deref().map(JsonTarget::parse),
            junit: self.junit.as_deref().map(JsonTarget::parse),
            html: html.clone(),
            ncdu: ncdu.clone(),
            format: self.format,
        };
        outputs.check()?;
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
        let mut ignore = self.ignore.clone();
        let mut tui = ballast::present::tui::config::TuiConfig::default();
        if let Some(p) = &config_path {
            let cfg: ConfigFile = toml::from_str(&read(p)?)
                .map_err(|e| format!("{}: {}", p.display(), e.message()))?;
            if let Some(t) = &cfg.budget {
                file_budgets =
                    budget_flags::from_toml(t).map_err(|e| format!("{}: {e}", p.display()))?;
            }
            user_rules.extend(cfg.rule);
            if let Some(t) = cfg.ignore {
                refine::ignore_set(&t.paths)
                    .map_err(|e| format!("{}: [ignore]: {e}", p.display()))?;
                ignore.extend(t.paths);
            }
            if let Some(t) = &cfg.tui {
                tui = ballast::present::tui::config::TuiConfig::from_toml(t)
                    .map_err(|e| format!("{}: {e}", p.display()))?;
            }
        }
        refine::ignore_set(&self.ignore).map_err(|e| format!("--ignore: {e}"))?;
        let min_bytes = flag(
            "min-bytes",
            self.min_bytes.as_deref(),
            budget_flags::parse_size,
        )?
        .unwrap_or(refine::DEFAULT_MIN_BYTES);
        let base = match self.base.as_deref() {
            Some("-") => {
                return Err("--base: the base image must be a file or directory, not stdin".into());
            }
            Some(b) => Some(Input::parse(b)),
            None => None,
        };
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
        if let Some(p) = &ci_config {
            let r = crate::dive_ci::parse_ci_rules(&read(p)?)
                .map_err(|e| format!("{}: {e}", p.display()))?;
            if let Some(k) = r.ignored_keys.first() {
                return Err(format!(
                    "{}: line {}: unknown key `{}` (dive reads only rules.lowestEfficiency, rules.highestWastedBytes, rules.highestUserWastedPercent; dive would ignore it silently)",
                    p.display(),
                    k.line,
                    k.key
                ));
            }
            flags.dive_rules = Some(r);
        }
        // A budget on a category no finding can carry would always pass.
        let builtin;
        let rule_set = match &rules {
            Some(r) => r.as_ref(),
            None => {
                builtin = RuleSet::load(None).map_err(|e| format!("built-in rules: {e}"))?;
                &builtin
            }
        };
        categories::check_budgets(&flags, rule_set).map_err(|e| format!("--max-category: {e}"))?;
        if let Some(p) = &config_path {
            categories::check_budgets(&file_budgets, rule_set)
                .map_err(|e| format!("{}: budget.max_category: {e}", p.display()))?;
        }
        let mut budgets = flags.or(file_budgets);
        // `dive --ci` with no rules file applies its defaults; so does `--ci`.
        let dive_defaults = self.ci && budgets == Budgets::default();
        if dive_defaults {
            budgets.dive_rules = Some(ballast::analyze::dive::CiRules::default());
        }

        Ok(Settings {
            input: match self.source {
                Some(f) => f.input(&self.image),
                None => Input::parse(&self.image),
            },
            options: Options {
                load: LoadOptions {
                    selection: Selection {
                        image: self.select_image,
                        platform: self.platform,
                    },
                    progress: None,
                    verify: self.verify,
                    insecure_registries: self.insecure_registry,
                },
                index: IndexOptions {
                    verify: self.verify,
                    max_entries: self
                        .max_entries
                        .unwrap_or(ballast::index::budget::DEFAULT_MAX_ENTRIES),
                },
                rules,
                budgets,
                layer_files: self.json_files,
                base,
                focus: refine::Focus {
                    ignore,
                    min_bytes,
                    only_own: self.only_own,
                },
                dockerfile: crate::dockerfile_source::read(self.dockerfile.as_deref())?
                    .map(Arc::new),
            },
            format: self.format.unwrap_or(Format::Text),
            markdown: outputs.markdown,
            sarif: outputs.sarif,
            codequality: outputs.codequality,
            junit: outputs.junit,
            json,
            html,
            ncdu,
            ci: self.ci,
            dive_defaults,
            verify: self.verify,
            progress: !self.no_progress,
            tui,
        })
    }
}

/// clap's multi-line usage error as one line (its message and tip, then
/// where to look), or `None` for `--help` and `--version`, which clap
/// prints itself with exit 0.
pub fn one_line_error(e: &clap::Error) -> Option<String> {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        return None;
    }
    let text = e.render().to_string();
    let mut parts: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if !line.is_empty() {
            parts.push(line.strip_prefix("error: ").unwrap_or(line));
        }
    }
    // "…were not provided:" runs on into what it introduces.
    let mut line = String::new();
    for p in parts {
        if !line.is_empty() {
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(p);
    }
    line.push_str(" (see `ballast --help`)");
    Some(ballast::present::text::one_line(&line))
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
