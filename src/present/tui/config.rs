//! The UI's settings from `ballast.toml`: `[tui.keys]` rebinds actions
//! (by ballast's own action names, or by the names of dive's `keybinding`
//! section, so a `~/.dive.yaml` carries over), `[tui.colors]` recolours the
//! theme's styles.
//!
//! ```toml
//! [tui.keys]
//! quit = "ctrl+q"
//! filter-files = "ctrl+f"     # dive's name for `filter`
//! view = ["v", "enter"]
//! [tui.colors]
//! selected = "magenta"        # any colour name, "#rrggbb" or 0-255
//! wasted = "#ff8800"
//! ```

use std::str::FromStr;

use ratatui::style::{Color, Style};

use crate::browse::list::Move;

use super::keys::{Action, BINDINGS, Key, KeyMap};
use super::theme::Theme;

/// Validated `[tui]` settings.
#[derive(Clone, Debug, Default)]
pub struct TuiConfig {
    keys: Vec<(Action, Vec<Key>)>,
    colors: Vec<(String, Color)>,
    /// dive's own `keybinding:` entries, under `keys` (see
    /// [`super::dive_keys`]).
    dive: Vec<super::dive_keys::DiveBinding>,
}

/// dive's `keybinding` names and the action each is here. dive's names
/// with no counterpart are accepted and ignored, so a dive config can be
/// copied whole.
const DIVE_NAMES: &[(&str, Option<Action>)] = &[
    ("quit", Some(Action::Quit)),
    ("toggle-view", Some(Action::NextPane)),
    ("filter-files", Some(Action::Filter)),
    ("compare-layer", Some(Action::ShowStepOnly)),
    ("compare-all", Some(Action::ToggleMode)),
    ("toggle-collapse-dir", Some(Action::Fold)),
    ("toggle-collapse-all-dir", Some(Action::FoldAll)),
    ("toggle-removed-files", Some(Action::HideRemoved)),
    ("toggle-modified-files", Some(Action::HideModified)),
    ("toggle-unmodified-files", Some(Action::HideUnmodified)),
    ("toggle-filetree-attributes", Some(Action::ToggleAttributes)),
    ("page-up", Some(Action::Move(Move::PageUp))),
    ("page-down", Some(Action::Move(Move::PageDown))),
    ("extract-file", Some(Action::Extract)),
    ("toggle-added-files", None),
    ("toggle-wrap-tree", None),
    ("toggle-aggregated-layers", None),
    ("toggle-layer-details", None),
    ("toggle-sort-order", Some(Action::Sort)),
    ("close-filter-files", Some(Action::Back)),
];

/// The action a dive `keybinding` name stands for: dive's meaning first
/// (its `toggle-view` is the next pane), then ballast's own names; `None`
/// when ballast has no counterpart.
pub(super) fn dive_action(name: &str) -> Option<Action> {
    match DIVE_NAMES.iter().find(|(n, _)| *n == name) {
        Some((_, a)) => *a,
        None => BINDINGS
            .iter()
            .find(|b| b.action.name() == name)
            .map(|b| b.action),
    }
}

/// Theme styles by name; the first three take a background colour.
const STYLE_NAMES: &[&str] = &[
    "selected",
    "selected-idle",
    "brand",
    "text",
    "dim",
    "bold",
    "border",
    "border-focused",
    "title",
    "title-focused",
    "header",
    "key",
    "message",
    "error",
    "bar",
    "wasted",
    "added",
    "modified",
    "metadata",
    "removed",
    "dir",
    "link",
    "group",
];

fn action_named(name: &str) -> Result<Option<Action>, String> {
    if let Some(b) = BINDINGS.iter().find(|b| b.action.name() == name) {
        return Ok(Some(b.action));
    }
    if let Some((_, a)) = DIVE_NAMES.iter().find(|(n, _)| *n == name) {
        return Ok(*a);
    }
    let mut known: Vec<&str> = BINDINGS.iter().map(|b| b.action.name()).collect();
    known.sort_unstable();
    Err(format!(
        "[tui.keys]: `{name}` is not an action; one of: {}",
        known.join(", ")
    ))
}

impl TuiConfig {
    /// Reads and checks the `[tui]` table; errors name the offending key.
    pub fn from_toml(t: &toml::Table) -> Result<TuiConfig, String> {
        let mut cfg = TuiConfig::default();
        for (section, value) in t {
            let table = value
                .as_table()
                .ok_or_else(|| format!("[tui]: `{section}` must be a table"))?;
            match section.as_str() {
                "keys" => {
                    for (name, v) in table {
                        let texts: Vec<&str> = match v {
                            toml::Value::String(s) => vec![s.as_str()],
                            toml::Value::Array(a) => a.iter().filter_map(|x| x.as_str()).collect(),
                            _ => Vec::new(),
                        };
                        if texts.is_empty() {
                            return Err(format!(
                                "[tui.keys]: `{name}` needs a key or a list of keys, e.g. \"ctrl+f\""
                            ));
                        }
                        let keys = texts
                            .iter()
                            .map(|k| {
                                Key::parse(k).ok_or_else(|| {
                                    format!("[tui.keys]: `{name}`: `{k}` is not a key")
                                })
                            })
                            .collect::<Result<Vec<Key>, String>>()?;
                        if let Some(action) = action_named(name)? {
                            cfg.keys.push((action, keys));
                        }
                    }
                }
                "colors" => {
                    for (name, v) in table {
                        if !STYLE_NAMES.contains(&name.as_str()) {
                            return Err(format!(
                                "[tui.colors]: `{name}` is not a style; one of: {}",
                                STYLE_NAMES.join(", ")
                            ));
                        }
                        let text = v.as_str().unwrap_or_default();
                        let color = Color::from_str(text).map_err(|_| {
                            format!("[tui.colors]: `{name}`: `{text}` is not a colour")
                        })?;
                        cfg.colors.push((name.clone(), color));
                    }
                }
                other => {
                    return Err(format!("[tui]: unknown section `{other}` (keys, colors)"));
                }
            }
        }
        Ok(cfg)
    }

    /// Takes dive's `keybinding` entries (name, keys) under this config's
    /// own: an action `[tui.keys]` binds keeps those keys. Returns the
    /// entries that do not apply, for one warning line.
    pub fn add_dive_keys(&mut self, entries: &[(String, String)]) -> Vec<String> {
        let (applied, ignored) = super::dive_keys::resolve(entries);
        self.dive = applied
            .into_iter()
            .filter(|d| !self.keys.iter().any(|(a, _)| *a == d.action))
            .collect();
        ignored
    }

    /// The key table with this config's bindings.
    pub fn key_map(&self) -> KeyMap {
        let mut map = KeyMap::default();
        for d in &self.dive {
            let mut keys: Vec<Key> = map
                .keys_of(d.action)
                .iter()
                .filter(|k| !d.dive_default.contains(k))
                .copied()
                .collect();
            for k in &d.keys {
                if !keys.contains(k) {
                    keys.push(*k);
                }
            }
            map.rebind(d.action, &keys);
        }
        // ballast.toml's own bindings win over dive's.
        for (action, keys) in &self.keys {
            map.rebind(*action, keys);
        }
        map
    }

    /// `theme` recoloured; without colour (`NO_COLOR`) it stays plain.
    pub fn apply_colors(&self, theme: &mut Theme, colored: bool) {
        if !colored {
            return;
        }
        for (name, color) in &self.colors {
            let (style, bg): (&mut Style, bool) = match name.as_str() {
                "selected" => (&mut theme.selected, true),
                "selected-idle" => (&mut theme.selected_idle, true),
                "brand" => (&mut theme.brand, true),
                "text" => (&mut theme.text, false),
                "dim" => (&mut theme.dim, false),
                "bold" => (&mut theme.bold, false),
                "border" => (&mut theme.border, false),
                "border-focused" => (&mut theme.border_focused, false),
                "title" => (&mut theme.title, false),
                "title-focused" => (&mut theme.title_focused, false),
                "header" => (&mut theme.header, false),
                "key" => (&mut theme.key, false),
                "message" => (&mut theme.message, false),
                "error" => (&mut theme.error, false),
                "bar" => (&mut theme.bar, false),
                "wasted" => (&mut theme.wasted, false),
                "added" => (&mut theme.added, false),
                "modified" => (&mut theme.modified, false),
                "metadata" => (&mut theme.metadata, false),
                "removed" => (&mut theme.removed, false),
                "dir" => (&mut theme.dir, false),
                "link" => (&mut theme.link, false),
                "group" => (&mut theme.group, false),
                _ => continue,
            };
            *style = if bg {
                style.bg(*color)
            } else {
                style.fg(*color)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn keys_rebind_by_ballast_and_dive_names() {
        let t: toml::Table = toml::from_str(
            r#"
            [keys]
            quit = "ctrl+q"
            filter-files = ["ctrl+f", "F"]
            toggle-added-files = "ctrl+a"
            view = "enter"
            "#,
        )
        .expect("toml");
        let map = TuiConfig::from_toml(&t).expect("valid").key_map();
        let ctrl = KeyModifiers::CONTROL;
        let none = KeyModifiers::NONE;
        assert_eq!(
            map.action_for(&press(KeyCode::Char('q'), ctrl)),
            Some(Action::Quit)
        );
        // `q` now does nothing; Ctrl+C is no longer quit either.
        assert_eq!(map.action_for(&press(KeyCode::Char('q'), none)), None);
        assert_eq!(
            map.action_for(&press(KeyCode::Char('F'), none)),
            Some(Action::Filter)
        );
        // Enter moved to `view`: taken from Activate.
        assert_eq!(
            map.action_for(&press(KeyCode::Enter, none)),
            Some(Action::View)
        );
        // dive's added-files toggle has no counterpart: ignored, Ctrl+A kept.
        assert_eq!(
            map.action_for(&press(KeyCode::Char('a'), ctrl)),
            Some(Action::ToggleMode)
        );
        assert_eq!(map.label(Action::Quit), "C-q");
    }

    #[test]
    fn bad_names_keys_and_colours_are_named() {
        for (text, want) in [
            ("[keys]\nqiut = \"q\"", "`qiut` is not an action"),
            ("[keys]\nquit = \"ctrl+\"", "`ctrl+` is not a key"),
            ("[keys]\nquit = 3", "needs a key"),
            ("[colors]\nselcted = \"red\"", "`selcted` is not a style"),
            (
                "[colors]\nselected = \"reddish\"",
                "`reddish` is not a colour",
            ),
            ("[keyz]\nquit = \"q\"", "unknown section `keyz`"),
        ] {
            let t: toml::Table = toml::from_str(text).expect("toml");
            let e = TuiConfig::from_toml(&t).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn colours_apply_to_the_named_styles() {
        let t: toml::Table =
            toml::from_str("[colors]\nselected = \"magenta\"\nwasted = \"#ff8800\"").expect("toml");
        let cfg = TuiConfig::from_toml(&t).expect("valid");
        let mut theme = Theme::colored();
        cfg.apply_colors(&mut theme, true);
        assert_eq!(theme.selected.bg, Some(Color::Magenta));
        assert_eq!(theme.wasted.fg, Some(Color::Rgb(0xff, 0x88, 0x00)));
        let mut plain = Theme::plain();
        cfg.apply_colors(&mut plain, false);
        assert_eq!(plain.selected.bg, None);
    }
}
