//! What the user typed (clap types live here only) and its conversion into
//! validated settings the program runs with.

use std::path::PathBuf;

use clap::Parser;

use ballast::Options;
use ballast::archive::layout::Selection;
use ballast::archive::{Input, LoadOptions};
use ballast::index::layer::IndexOptions;

const AFTER_HELP: &str = "\
Examples:
  ballast image.tar                      summary of a `docker save` / `podman save` archive
  docker save myimg | ballast -          read the archive from stdin, nothing written to disk
  ballast image.tar --json report.json   the full report as JSON (`--json -` for stdout)
  ballast oci-dir/ --platform linux/arm64
                                         an OCI layout directory, one platform of several
  ballast all.tar --image myimg:latest   one image of an archive that holds several

Inputs: docker-archive (legacy and Docker >= 25 OCI layout), kaniko, skopeo/buildah
docker-archive: and oci-archive: tarballs, OCI layout directories; layers
uncompressed, gzip, zstd or eStargz. The format is detected from the contents.

Exit codes: 0 analyzed, 1 over a budget, 2 could not analyze (the message names
the file and the problem).";

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

    /// Pick one image from an archive holding several.
    #[arg(long = "image", value_name = "NAME[:TAG]")]
    pub select_image: Option<String>,

    /// Pick one platform from a multi-platform OCI index.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,

    /// Check every layer's content digest against the config's diff_ids and
    /// fail on a mismatch.
    #[arg(long)]
    pub verify: bool,

    /// Extra or overriding waste rules (TOML, the shape of the built-in
    /// `src/analyze/rules.toml`): add categories and patterns without code.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// Never show the progress bar (it shows only on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
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
    pub rules_file: Option<PathBuf>,
    pub verify: bool,
    pub progress: bool,
}

impl Cli {
    pub fn into_settings(self) -> Settings {
        let json = self.json.map(|p| {
            if p == "-" {
                JsonTarget::Stdout
            } else {
                JsonTarget::File(PathBuf::from(p))
            }
        });
        Settings {
            input: Input::parse(&self.image),
            options: Options {
                load: LoadOptions {
                    selection: Selection {
                        image: self.select_image,
                        platform: self.platform,
                    },
                    progress: None,
                },
                index: IndexOptions {
                    verify: self.verify,
                },
                rules: None,
            },
            rules_file: self.rules,
            json,
            verify: self.verify,
            progress: !self.no_progress,
        }
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
        let s = Cli::parse_from(["ballast", "img.tar", "--json"]).into_settings();
        assert_eq!(s.json, Some(JsonTarget::Stdout));
        let s = Cli::parse_from(["ballast", "img.tar", "--json", "out.json"]).into_settings();
        assert_eq!(s.json, Some(JsonTarget::File("out.json".into())));
        let s = Cli::parse_from(["ballast", "-"]).into_settings();
        assert!(matches!(s.input, Input::Stdin));
    }
}
