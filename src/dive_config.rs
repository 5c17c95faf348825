//! dive's own config file, read for its `keybinding:` section so a dive
//! user's remapped keys carry over to ballast's UI. Found where dive 0.13
//! looks (its config library's order): the files `$DIVE_CONFIG` names, else
//! `./.dive.yaml`, `./.dive/config.yaml`, `~/.dive.yaml`,
//! `$XDG_CONFIG_HOME/dive/config.yaml` (default `~/.config`) and each
//! `$XDG_CONFIG_DIRS/dive/config.yaml` (default `/etc/xdg`), `.yml` too;
//! like dive, every file found counts and the first to set a key wins.
//!
//! Only `keybinding:` is read, with the `.dive-ci` reader's YAML scalars
//! ([`crate::dive_ci`]); every other section is skipped unread. Nothing
//! here fails a run: a file that cannot be read or parsed is one warning
//! line, and so are the entries ballast cannot use.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use ballast::present::tui::config::TuiConfig;

use crate::dive_ci::{YamlValue, has_no_value, is_document_marker, parse_value, split_key};

/// Where dive looks, from the environment (tests give their own).
pub struct Places {
    /// `$DIVE_CONFIG`: comma-separated files, read instead of the search.
    pub dive_config: Option<OsString>,
    pub home: Option<PathBuf>,
    pub xdg_config_home: Option<PathBuf>,
    /// `$XDG_CONFIG_DIRS`, colon-separated.
    pub xdg_config_dirs: Option<OsString>,
    pub cwd: PathBuf,
}

impl Places {
    pub fn from_env() -> Places {
        let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        Places {
            dive_config: nonempty("DIVE_CONFIG"),
            home: nonempty("HOME").map(PathBuf::from),
            xdg_config_home: nonempty("XDG_CONFIG_HOME").map(PathBuf::from),
            xdg_config_dirs: nonempty("XDG_CONFIG_DIRS"),
            cwd: PathBuf::from("."),
        }
    }

    /// The config files that exist, first (strongest) first.
    pub fn files(&self) -> Vec<PathBuf> {
        if let Some(list) = &self.dive_config {
            return list
                .to_string_lossy()
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(PathBuf::from)
                .collect();
        }
        let both =
            |dir: &Path, base: &str| ["yaml", "yml"].map(|ext| dir.join(format!("{base}.{ext}")));
        let mut candidates: Vec<PathBuf> = Vec::new();
        candidates.extend(both(&self.cwd, ".dive"));
        candidates.extend(both(&self.cwd.join(".dive"), "config"));
        if let Some(home) = &self.home {
            candidates.extend(both(home, ".dive"));
        }
        let config_home = self
            .xdg_config_home
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".config")));
        if let Some(dir) = config_home {
            candidates.extend(both(&dir.join("dive"), "config"));
        }
        let dirs = self
            .xdg_config_dirs
            .clone()
            .unwrap_or_else(|| OsString::from("/etc/xdg"));
        for dir in std::env::split_paths(&dirs) {
            candidates.extend(both(&dir.join("dive"), "config"));
        }
        candidates.into_iter().filter(|p| p.is_file()).collect()
    }
}

/// The `keybinding:` entries of one dive config, in file order.
///
/// # Errors
/// A line number and what is wrong, for YAML this reader does not take on
/// inside `keybinding:` (or around it).
pub fn parse_keybindings(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out: Vec<(String, String)> = Vec::new();
    // Inside `keybinding:`, and the indentation its keys use.
    let mut block: Option<Option<usize>> = None;
    let mut started = false;
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let Some(indent) = line.find(|c: char| c != ' ' && c != '\t') else {
            continue;
        };
        let content = &line[indent..];
        if content.starts_with('#') {
            continue;
        }
        if indent > 0 {
            let Some(expected) = block else {
                // Inside another section: not read.
                continue;
            };
            if line[..indent].contains('\t') {
                return Err((line_no, "tabs cannot indent YAML; use spaces".into()));
            }
            match expected {
                None => block = Some(Some(indent)),
                Some(e) if e != indent => {
                    return Err((
                        line_no,
                        "unexpected indentation: key bindings are `name: keys` lines indented alike"
                            .into(),
                    ));
                }
                Some(_) => {}
            }
            let (name, rest) = split_key(content).map_err(|e| (line_no, e))?;
            match parse_value(rest).map_err(|e| (line_no, e))? {
                YamlValue::Text(keys) => {
                    // The first of a repeated key stands, as in one file
                    // read by dive.
                    if !out.iter().any(|(n, _)| *n == name) {
                        out.push((name, keys));
                    }
                }
                YamlValue::Null => {}
                YamlValue::EmptyMap => {
                    return Err((line_no, format!("`{name}` needs keys, not a mapping")));
                }
            }
            continue;
        }
        if is_document_marker(content, "---") {
            if started {
                break;
            }
            started = true;
            continue;
        }
        if is_document_marker(content, "...") {
            break;
        }
        started = true;
        block = None;
        // A list item of the section above (`hide:` then `- added`).
        if content == "-" || content.starts_with("- ") {
            continue;
        }
        let Ok((key, rest)) = split_key(content) else {
            // Top-level YAML this reader does not take on, outside
            // `keybinding:`: skipped.
            continue;
        };
        if key == "keybinding" {
            if has_no_value(rest) {
                block = Some(None);
            } else if !matches!(parse_value(rest), Ok(YamlValue::Null | YamlValue::EmptyMap)) {
                return Err((
                    line_no,
                    "`keybinding` must be a mapping of names to keys, one per line".into(),
                ));
            }
        }
    }
    Ok(out)
}

/// Every file's entries, the first file's winning; and a warning per file
/// that could not be used.
pub fn load(places: &Places) -> (Vec<(String, String)>, Vec<String>) {
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut warnings = Vec::new();
    for path in places.files() {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                warnings.push(format!(
                    "{}: {e}; its key bindings are not used",
                    path.display()
                ));
                continue;
            }
        };
        match parse_keybindings(&text) {
            Ok(found) => {
                for (name, keys) in found {
                    if !entries.iter().any(|(n, _)| *n == name) {
                        entries.push((name, keys));
                    }
                }
            }
            Err((line, e)) => warnings.push(format!(
                "{}: line {line}: {e}; its key bindings are not used",
                path.display()
            )),
        }
    }
    (entries, warnings)
}

/// `tui` with dive's key bindings under its own, and what could not be
/// used, one line each (printed before the UI takes the screen, so they
/// are there when it leaves).
pub fn apply(tui: &mut TuiConfig, places: &Places) -> Vec<String> {
    let (entries, mut warnings) = load(places);
    let ignored = tui.add_dive_keys(&entries);
    if !ignored.is_empty() {
        warnings.push(format!(
            "dive config: keybinding entries ballast cannot use, ignored: {}",
            ignored.join(", ")
        ));
    }
    warnings
}

/// [`apply`] with dive's own search, the warnings on stderr.
pub fn apply_from_env(tui: &mut TuiConfig) {
    for w in apply(tui, &Places::from_env()) {
        eprintln!("ballast: warning: {}", ballast::present::text::one_line(&w));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMPED: &str = "\
# written by `dive config`
log:
  enabled: false
  path: \"./dive.log\"
diff:
  hide:
  - added
  - unmodified
keybinding:
  quit: ctrl+q            # a comment
  toggle-view: 'tab'
  filter-files: \"ctrl+f, ctrl+slash\"
  extract-file:
filetree:
  collapse-dir: false
";

    #[test]
    fn reads_keybinding_alone_and_skips_the_rest() {
        let got = parse_keybindings(DUMPED).expect("valid");
        assert_eq!(
            got,
            [
                ("quit".to_string(), "ctrl+q".to_string()),
                ("toggle-view".to_string(), "tab".to_string()),
                ("filter-files".to_string(), "ctrl+f, ctrl+slash".to_string()),
            ]
        );
        assert!(
            parse_keybindings("log:\n  x: [1, 2]\n")
                .expect("ok")
                .is_empty()
        );
        assert!(
            parse_keybindings("keybinding: {}\n")
                .expect("ok")
                .is_empty()
        );
    }

    #[test]
    fn malformed_keybinding_sections_name_the_line() {
        for (text, line) in [
            ("keybinding:\n  quit: ctrl+q\n    nested: x\n", 3),
            ("keybinding:\n\tquit: q\n", 2),
            ("keybinding: ctrl+q\n", 1),
            ("keybinding:\n  quit: [q, x]\n", 2),
            ("keybinding:\n  quit: \"ctrl+q\n", 2),
        ] {
            let (at, _) = parse_keybindings(text).expect_err(text);
            assert_eq!(at, line, "{text}");
        }
    }

    fn places(dir: &Path) -> Places {
        Places {
            dive_config: None,
            home: Some(dir.join("home")),
            xdg_config_home: None,
            xdg_config_dirs: Some(dir.join("etc").into_os_string()),
            cwd: dir.join("work"),
        }
    }

    #[test]
    fn found_where_dive_looks_and_the_first_file_wins() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        for sub in ["home/.config/dive", "etc/dive", "work"] {
            std::fs::create_dir_all(d.join(sub)).expect("mkdir");
        }
        std::fs::write(d.join("home/.dive.yaml"), "keybinding:\n  quit: ctrl+q\n").unwrap();
        std::fs::write(
            d.join("home/.config/dive/config.yaml"),
            "keybinding:\n  quit: ctrl+x\n  filter-files: ctrl+p\n",
        )
        .unwrap();
        std::fs::write(d.join("etc/dive/config.yml"), "keybinding:\n  up: w\n").unwrap();
        let p = places(d);
        assert_eq!(p.files().len(), 3);
        let (entries, warnings) = load(&p);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            entries,
            [
                ("quit".to_string(), "ctrl+q".to_string()),
                ("filter-files".to_string(), "ctrl+p".to_string()),
                ("up".to_string(), "w".to_string()),
            ]
        );
        // A malformed file is a warning naming it; the others still count.
        std::fs::write(d.join("work/.dive.yaml"), "keybinding:\n\tquit: q\n").unwrap();
        let (entries, warnings) = load(&p);
        assert_eq!(entries.len(), 3);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains(".dive.yaml: line 2"), "{warnings:?}");
        // $DIVE_CONFIG replaces the search.
        let only = Places {
            dive_config: Some(d.join("etc/dive/config.yml").into_os_string()),
            ..places(d)
        };
        assert_eq!(load(&only).0, [("up".to_string(), "w".to_string())]);
    }
}
