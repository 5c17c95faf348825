//! dive's own `keybinding:` entries (from `~/.dive.yaml` and the other
//! places dive reads its config) carried over to ballast's key table.
//!
//! dive's names map to ballast's actions as in `[tui.keys]`
//! ([`super::config`]). An entry that only repeats dive's default (a file
//! written whole by `dive config`) changes nothing: ballast already answers
//! dive's default keys. An entry that changes a key replaces the keys dive
//! gave that action and keeps ballast's own (remapping `quit` away from
//! dive's Ctrl+C leaves `q`). Names with no counterpart, and keys ballast
//! cannot read, are returned for one warning line.

use super::config::dive_action;
use super::keys::{Action, Key};

/// dive 0.13's default for each `keybinding` name (its `key.DefaultBindings`).
const DIVE_DEFAULTS: &[(&str, &str)] = &[
    ("quit", "ctrl+c"),
    ("toggle-view", "tab"),
    ("filter-files", "ctrl+f, ctrl+slash"),
    ("close-filter-files", "esc"),
    ("up", "up,k"),
    ("down", "down,j"),
    ("left", "left,h"),
    ("right", "right,l"),
    ("page-up", "pgup,u"),
    ("page-down", "pgdn,d"),
    ("compare-all", "ctrl+a"),
    ("compare-layer", "ctrl+l"),
    ("toggle-collapse-dir", "space"),
    ("toggle-collapse-all-dir", "ctrl+space"),
    ("toggle-added-files", "ctrl+a"),
    ("toggle-removed-files", "ctrl+r"),
    ("toggle-modified-files", "ctrl+m"),
    ("toggle-unmodified-files", "ctrl+u"),
    ("toggle-filetree-attributes", "ctrl+b"),
    ("toggle-wrap-tree", "ctrl+p"),
    ("toggle-sort-order", "ctrl+o"),
    ("extract-file", "ctrl+e"),
];

/// One dive entry that applies: the action, the keys dive gave it by
/// default (they go), and the keys the file gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiveBinding {
    pub action: Action,
    pub dive_default: Vec<Key>,
    pub keys: Vec<Key>,
}

/// A dive key list (`"ctrl+f, ctrl+slash"`, `"pgup,u"`): each key, or the
/// first that ballast cannot read.
fn parse_list(text: &str) -> Result<Vec<Key>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| {
            let named = match k.to_ascii_lowercase().as_str() {
                "slash" => "/".to_string(),
                "ctrl+slash" => "ctrl+/".to_string(),
                "backslash" => "\\".to_string(),
                _ => k.to_string(),
            };
            Key::parse(&named).ok_or_else(|| k.to_string())
        })
        .collect()
}

fn same_keys(a: &[Key], b: &[Key]) -> bool {
    a.len() == b.len() && a.iter().all(|k| b.contains(k))
}

/// dive's `keybinding` entries (name, value) resolved: what applies, and a
/// description of each entry that does not (unknown name, no counterpart in
/// ballast, or a key ballast cannot read).
pub fn resolve(entries: &[(String, String)]) -> (Vec<DiveBinding>, Vec<String>) {
    let mut applied = Vec::new();
    let mut ignored = Vec::new();
    for (name, value) in entries {
        let default = DIVE_DEFAULTS
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| parse_list(d).unwrap_or_default());
        let Some(dive_default) = default else {
            ignored.push(format!("{name} (not a dive key binding)"));
            continue;
        };
        let keys = match parse_list(value) {
            Ok(k) if !k.is_empty() => k,
            Ok(_) => continue,
            Err(bad) => {
                ignored.push(format!("{name} (key `{bad}`)"));
                continue;
            }
        };
        if same_keys(&keys, &dive_default) {
            continue;
        }
        match dive_action(name) {
            Some(action) => applied.push(DiveBinding {
                action,
                dive_default,
                keys,
            }),
            None => ignored.push(format!("{name} (no such action in ballast)")),
        }
    }
    (applied, ignored)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn dive_s_own_defaults_change_nothing() {
        let all: Vec<(&str, &str)> = DIVE_DEFAULTS.to_vec();
        let (applied, ignored) = resolve(&entries(&all));
        assert!(applied.is_empty(), "{applied:?}");
        assert!(ignored.is_empty(), "{ignored:?}");
    }

    #[test]
    fn changed_entries_apply_and_the_rest_is_named() {
        let (applied, ignored) = resolve(&entries(&[
            ("quit", "ctrl+q"),
            ("toggle-view", "ctrl+t"),
            ("filter-files", "ctrl+p, slash"),
            ("toggle-wrap-tree", "ctrl+w"),
            ("frobnicate", "x"),
            ("page-up", "hyper+u"),
        ]));
        let actions: Vec<Action> = applied.iter().map(|b| b.action).collect();
        assert_eq!(actions, [Action::Quit, Action::NextPane, Action::Filter]);
        assert_eq!(applied[2].keys.len(), 2);
        assert_eq!(
            ignored,
            [
                "toggle-wrap-tree (no such action in ballast)",
                "frobnicate (not a dive key binding)",
                "page-up (key `hyper+u`)"
            ]
        );
    }
}
