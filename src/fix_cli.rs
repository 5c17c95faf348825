//! `ballast fix IMAGE --dockerfile PATH`: its own small set of flags, the
//! analysis with the Dockerfile mapped, and the patch printed (or, with
//! `--write`, applied with the old file kept as `PATH.orig`).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use ballast::Options;
use ballast::archive::Input;
use ballast::present::{diff, patch};

/// Write the Dockerfile changes the findings call for, as a unified diff.
#[derive(Parser, Debug)]
#[command(
    name = "ballast fix",
    about = "Print a patch to the Dockerfile that removes what the findings name",
    after_help = "Apply the printed patch in the Dockerfile's directory with `patch -p1`.\n\
                  Edits that cannot be made safely are listed at the top, not guessed."
)]
pub struct FixCli {
    /// The image (archive or OCI layout), as for `ballast IMAGE`.
    pub image: String,
    /// The Dockerfile that built it.
    #[arg(long, value_name = "PATH")]
    pub dockerfile: PathBuf,
    /// Apply the patch: PATH becomes the fixed file, the old one PATH.orig
    /// (and the same for .dockerignore).
    #[arg(long)]
    pub write: bool,
}

pub fn main() -> ExitCode {
    let cli = FixCli::try_parse_from(std::env::args_os().skip(1)).unwrap_or_else(|e| e.exit());
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.contains("Broken pipe") => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ballast: error: {}", ballast::present::text::one_line(&e));
            ExitCode::from(2)
        }
    }
}

fn run(cli: &FixCli) -> Result<(), String> {
    let text = crate::dockerfile_source::read_file(&cli.dockerfile)?;
    let ignore_path = cli
        .dockerfile
        .parent()
        .unwrap_or(Path::new("."))
        .join(".dockerignore");
    let ignore = std::fs::read_to_string(&ignore_path).ok();
    let name = cli
        .dockerfile
        .file_name()
        .map_or("Dockerfile".to_string(), |n| {
            n.to_string_lossy().into_owned()
        });
    let source = ballast::analyze::dockerfile::Source {
        path: name.clone(),
        text: text.clone(),
        explicit: true,
    };
    let options = Options {
        dockerfile: Some(Arc::new(source)),
        ..Options::default()
    };
    let a = ballast::run_pipeline(&Input::parse(&cli.image), &options).map_err(|e| e.one_line())?;
    let plan = patch::plan((&a.report).into(), &name, &text, ignore.as_deref());
    let mut out = String::new();
    for w in a.report.warnings.iter().filter(|w| w.contains(&name)) {
        out.push_str(&format!("warning: {w}\n"));
    }
    if !plan.manual.is_empty() {
        out.push_str("Not changed (make these by hand):\n");
        for m in &plan.manual {
            out.push_str(&format!("  - {m}\n"));
        }
    }
    out.push_str(&diff::unified(&name, Some(&text), &plan.dockerfile));
    if let Some(new_ignore) = &plan.dockerignore {
        out.push_str(&diff::unified(
            ".dockerignore",
            ignore.as_deref(),
            new_ignore,
        ));
    }
    if cli.write {
        write_with_backup(&cli.dockerfile, &text, &plan.dockerfile)?;
        if let Some(new_ignore) = &plan.dockerignore {
            match &ignore {
                Some(old) => write_with_backup(&ignore_path, old, new_ignore)?,
                None => std::fs::write(&ignore_path, new_ignore)
                    .map_err(|e| format!("{}: {e}", ignore_path.display()))?,
            }
        }
    }
    io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .map_err(|e| e.to_string())
}

fn write_with_backup(path: &Path, old: &str, new: &str) -> Result<(), String> {
    if old == new {
        return Ok(());
    }
    let mut backup = path.as_os_str().to_owned();
    backup.push(".orig");
    std::fs::write(&backup, old).map_err(|e| format!("{}: {e}", Path::new(&backup).display()))?;
    std::fs::write(path, new).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        FixCli::command().debug_assert();
        let c = FixCli::parse_from(["fix", "img.tar", "--dockerfile", "D", "--write"]);
        assert!(c.write);
        assert!(FixCli::try_parse_from(["fix", "img.tar"]).is_err());
    }
}
