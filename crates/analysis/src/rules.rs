//! The path rule table: built-in rules from `rules.toml`, extended or
//! overridden by a user's file. Adding a category or a pattern is a data
//! change, never a code change.

use std::borrow::Cow;
use std::path::Path;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

const BUILTIN: &str = include_str!("rules.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub min_bytes: u64,
    #[serde(default)]
    pub only_after: Vec<String>,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub suggestion: String,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<Rule>,
}

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{0}")]
    Toml(String),
    #[error("rule {id}: bad pattern {pattern:?}: {detail}")]
    Pattern {
        id: String,
        pattern: String,
        detail: String,
    },
    #[error("rule {0}: a new rule needs a category, paths, a message and a suggestion")]
    Incomplete(String),
    #[error(
        "rule {id}: no rule has this id, so `disabled = true` disables nothing (known: {known})"
    )]
    Unknown { id: String, known: String },
}

/// Compiled rules, ready to match paths.
pub struct RuleSet {
    pub rules: Vec<Rule>,
    all: GlobSet,
    /// The rule each pattern of `all` belongs to.
    owner: Vec<usize>,
    exclude: Vec<Option<GlobSet>>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RuleSet({} rules)", self.rules.len())
    }
}

fn glob(id: &str, pattern: &str) -> Result<Glob, RuleError> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| RuleError::Pattern {
            id: id.to_string(),
            pattern: pattern.to_string(),
            detail: e.kind().to_string(),
        })
}

/// Parses a rules file (`[[rule]]` tables).
pub fn parse(text: &str) -> Result<Vec<Rule>, RuleError> {
    let file: RuleFile =
        toml::from_str(text).map_err(|e| RuleError::Toml(e.message().to_string()))?;
    Ok(file.rule)
}

impl RuleSet {
    /// The built-in table, with `user` (a rules file's text) applied on top.
    pub fn load(user: Option<&str>) -> Result<RuleSet, RuleError> {
        let user_rules = match user {
            Some(text) => parse(text)?,
            None => Vec::new(),
        };
        Self::with_user_rules(user_rules)
    }

    /// The built-in table with already parsed user rules applied in order
    /// (from `--rules` files and `ballast.toml`).
    pub fn with_user_rules(user_rules: Vec<Rule>) -> Result<RuleSet, RuleError> {
        let mut rules = parse(BUILTIN)?;
        for r in user_rules {
            match rules.iter_mut().find(|b| b.id == r.id) {
                Some(existing) => {
                    // An override may change only some fields.
                    if r.disabled {
                        existing.disabled = true;
                    } else {
                        merge_into(existing, r);
                    }
                }
                None if r.disabled => {
                    // Disabling a rule that does not exist disables nothing.
                    let known: Vec<&str> = rules.iter().map(|b| b.id.as_str()).collect();
                    return Err(RuleError::Unknown {
                        id: r.id,
                        known: known.join(", "),
                    });
                }
                None => {
                    if r.category.is_empty()
                        || r.paths.is_empty()
                        || r.message.is_empty()
                        || r.suggestion.is_empty()
                    {
                        return Err(RuleError::Incomplete(r.id));
                    }
                    rules.push(r);
                }
            }
        }
        rules.retain(|r| !r.disabled);
        let mut all = GlobSetBuilder::new();
        let mut owner = Vec::new();
        let mut exclude = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            for p in &r.paths {
                all.add(glob(&r.id, p)?);
                owner.push(i);
            }
            exclude.push(if r.exclude.is_empty() {
                None
            } else {
                let mut b = GlobSetBuilder::new();
                for p in &r.exclude {
                    b.add(glob(&r.id, p)?);
                }
                Some(b.build().map_err(|e| RuleError::Toml(e.to_string()))?)
            });
        }
        let all = all.build().map_err(|e| RuleError::Toml(e.to_string()))?;
        Ok(RuleSet {
            rules,
            all,
            owner,
            exclude,
        })
    }

    /// The rules that claim `path` (root-relative, no leading slash), in
    /// table order, each once.
    pub fn matching(&self, path: &[u8], out: &mut Vec<usize>) {
        out.clear();
        let text: Cow<'_, str> = String::from_utf8_lossy(path);
        let p = Path::new(text.as_ref());
        for pat in self.all.matches(p) {
            let r = self.owner[pat];
            if out.contains(&r) {
                continue;
            }
            if self.exclude[r].as_ref().is_some_and(|x| x.is_match(p)) {
                continue;
            }
            out.push(r);
        }
        out.sort_unstable();
    }
}

fn merge_into(base: &mut Rule, r: Rule) {
    if !r.category.is_empty() {
        base.category = r.category;
    }
    if !r.paths.is_empty() {
        base.paths = r.paths;
    }
    if !r.exclude.is_empty() {
        base.exclude = r.exclude;
    }
    if r.min_bytes != 0 {
        base.min_bytes = r.min_bytes;
    }
    if !r.only_after.is_empty() {
        base.only_after = r.only_after;
    }
    if !r.message.is_empty() {
        base.message = r.message;
    }
    if !r.suggestion.is_empty() {
        base.suggestion = r.suggestion;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(set: &RuleSet, path: &str) -> Vec<String> {
        let mut out = Vec::new();
        set.matching(path.as_bytes(), &mut out);
        out.iter().map(|&i| set.rules[i].id.clone()).collect()
    }

    #[test]
    fn builtin_table_parses_and_matches_typical_paths() {
        let set = RuleSet::load(None).unwrap();
        assert_eq!(
            ids(&set, "root/.cache/pip/http-v2/a/b/c.body"),
            ["pip-cache"]
        );
        assert_eq!(ids(&set, "home/app/.cache/pip/wheels/x.whl"), ["pip-cache"]);
        assert_eq!(
            ids(
                &set,
                "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"
            ),
            ["apt-lists"]
        );
        assert!(ids(&set, "var/lib/apt/lists/lock").is_empty());
        assert_eq!(
            ids(&set, "usr/lib/gcc/x86_64-linux-gnu/12/cc1"),
            ["compilers"]
        );
        assert_eq!(ids(&set, "app/.git/objects/ab/cdef"), ["git-directory"]);
        assert!(ids(&set, "usr/bin/python3").is_empty());
        assert!(ids(&set, "usr/lib/x86_64-linux-gnu/libc.so.6").is_empty());
        assert_eq!(
            ids(&set, "opt/conda/pkgs/numpy-1.26/lib/x.so"),
            ["conda-pkgs"]
        );
        // Python's own venv module is not a copied virtualenv.
        for stdlib in [
            "usr/lib/python3.11/venv/__init__.py",
            "usr/local/lib/python3.12/venv/scripts/common/activate",
            "opt/conda/lib/python3.11/venv/__main__.py",
        ] {
            assert!(ids(&set, stdlib).is_empty(), "{stdlib}");
        }
        assert_eq!(ids(&set, "app/.venv/bin/python3"), ["copied-venv"]);
        assert_eq!(
            ids(&set, "srv/venv/lib/python3.11/site-packages/x.py"),
            ["copied-venv"]
        );
    }

    #[test]
    fn user_rules_add_categories_override_and_disable() {
        let user = r#"
[[rule]]
id = "logs"
category = "logs"
paths = ["var/log/**"]
message = "log files"
suggestion = "don't keep logs"

[[rule]]
id = "git-directory"
disabled = true

[[rule]]
id = "pip-cache"
suggestion = "use uv"
"#;
        let set = RuleSet::load(Some(user)).unwrap();
        assert_eq!(ids(&set, "var/log/dpkg.log"), ["logs"]);
        assert!(ids(&set, "app/.git/HEAD").is_empty());
        let pip = set.rules.iter().find(|r| r.id == "pip-cache").unwrap();
        assert_eq!(pip.suggestion, "use uv");
        assert_eq!(pip.category, "cache");
    }

    #[test]
    fn bad_user_rules_are_reported() {
        assert!(matches!(
            RuleSet::load(Some("[[rule]]\nid = \"x\"\ncategory = \"c\"\n")),
            Err(RuleError::Incomplete(_))
        ));
        let bad_glob =
            "[[rule]]\nid=\"x\"\ncategory=\"c\"\npaths=[\"a[\"]\nmessage=\"m\"\nsuggestion=\"s\"\n";
        assert!(matches!(
            RuleSet::load(Some(bad_glob)),
            Err(RuleError::Pattern { .. })
        ));
        assert!(matches!(
            RuleSet::load(Some("not toml [")),
            Err(RuleError::Toml(_))
        ));
        assert!(matches!(
            RuleSet::load(Some("[[rule]]\nid=\"x\"\nbogus=1\n")),
            Err(RuleError::Toml(_))
        ));
    }
}
