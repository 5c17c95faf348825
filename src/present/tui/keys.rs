//! Every key binding, in one table. The event handler looks keys up here,
//! the footer shows the entries for the focused pane and the help overlay
//! lists them all, so what the screen says is what the keys do.
//!
//! dive's Ctrl keys are here too where they do not clash: Ctrl+M is the
//! same byte as Enter in a terminal, so "modified" is `m` alone.
//!
//! A few keys mean something particular in one pane (Enter, `s`): the
//! [`IN_PANE`] table says what, and that pane's footer and help section
//! list it.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::browse::list::Move;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    NextPane,
    PrevPane,
    /// Moves the focused pane's selection; scrolls the help overlay.
    Move(Move),
    Left,
    Right,
    /// Enter: steps → look at the tree; tree → fold; waste → jump to it;
    /// packages → show the package's files.
    Activate,
    /// Esc: close what is open, leave a package's files, clear the
    /// filters; never quits.
    Back,
    Fold,
    FoldAll,
    Filter,
    ToggleMode,
    ShowStepOnly,
    Sort,
    WastedOnly,
    ToggleEmptySteps,
    HideUnmodified,
    HideRemoved,
    HideModified,
    ToggleAttributes,
    Zoom,
    /// Show the selected text file in a pane, read from the archive.
    View,
    /// Write the selected file to a path the user types.
    Extract,
    /// Copy the selected path to the clipboard (OSC 52).
    CopyPath,
    /// Hide files smaller than a size the user types.
    MinSize,
    /// The details of the selection, whole, in a scrollable pane.
    Details,
    /// Fold the steps inherited from the base image (when it is known).
    ToggleInherited,
    /// `ballast diff`: the marks against OLD on or off.
    DiffLens,
}

impl Action {
    /// The name `[tui.keys]` in `ballast.toml` uses for it.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::NextPane => "next-pane",
            Action::PrevPane => "prev-pane",
            Action::Move(Move::Up) => "up",
            Action::Move(Move::Down) => "down",
            Action::Move(Move::PageUp) => "page-up",
            Action::Move(Move::PageDown) => "page-down",
            Action::Move(Move::Top) => "top",
            Action::Move(Move::Bottom) => "bottom",
            Action::Move(Move::By(_)) => "scroll",
            Action::Left => "left",
            Action::Right => "right",
            Action::Activate => "open",
            Action::Back => "back",
            Action::Fold => "fold",
            Action::FoldAll => "fold-all",
            Action::Filter => "filter",
            Action::ToggleMode => "toggle-view",
            Action::ShowStepOnly => "step-changes",
            Action::Sort => "sort",
            Action::WastedOnly => "wasted-only",
            Action::ToggleEmptySteps => "empty-steps",
            Action::HideUnmodified => "hide-unmodified",
            Action::HideRemoved => "hide-removed",
            Action::HideModified => "hide-modified",
            Action::ToggleAttributes => "attributes",
            Action::Zoom => "zoom",
            Action::View => "view",
            Action::Extract => "extract",
            Action::CopyPath => "copy-path",
            Action::MinSize => "min-size",
            Action::Details => "details",
            Action::ToggleInherited => "inherited",
            Action::DiffLens => "diff-lens",
        }
    }
}

/// Where a binding is listed: in every footer, or the focused pane's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Global,
    Steps,
    Tree,
    Waste,
    Packages,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Global => "Everywhere",
            Section::Steps => "Steps",
            Section::Tree => "File tree",
            Section::Waste => "Waste & fixes",
            Section::Packages => "Packages",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    code: KeyCode,
    ctrl: bool,
}

const fn ch(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

const fn key(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

impl Key {
    /// Parses `ctrl+f`, `space`, `tab`, `pgdn`, `f1`, `x` (the names dive's
    /// `keybinding` section uses, and a few more).
    pub fn parse(text: &str) -> Option<Key> {
        let lower = text.trim().to_ascii_lowercase();
        let (ctrl, rest) = match lower.strip_prefix("ctrl+") {
            Some(r) => (true, r.to_string()),
            None => (false, lower.clone()),
        };
        let code = match rest.as_str() {
            "space" => KeyCode::Char(' '),
            "tab" => KeyCode::Tab,
            "backtab" | "shift+tab" => KeyCode::BackTab,
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            f if f.len() > 1 && f.starts_with('f') => KeyCode::F(f[1..].parse().ok()?),
            _ => {
                // One character, as typed (`G` stays upper case).
                let raw = text.trim();
                let raw = if ctrl { &raw[5..] } else { raw };
                let mut chars = raw.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c })
            }
        };
        Some(Key { code, ctrl })
    }

    pub fn label(self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.ctrl { format!("C-{base}") } else { base }
    }

    fn matches(self, ev: &KeyEvent) -> bool {
        if self.ctrl != ev.modifiers.contains(KeyModifiers::CONTROL) {
            return false;
        }
        match (self.code, ev.code) {
            // Letters compare as typed: Shift is already in the character.
            (KeyCode::Char(a), KeyCode::Char(b)) => a == b,
            (a, b) => a == b,
        }
    }
}

pub struct Binding {
    pub action: Action,
    pub keys: &'static [Key],
    pub section: Section,
    /// The help overlay's line.
    pub help: &'static str,
    /// The footer's word, for the bindings worth a footer slot.
    pub footer: Option<&'static str>,
}

const fn bind(
    action: Action,
    keys: &'static [Key],
    section: Section,
    help: &'static str,
    footer: Option<&'static str>,
) -> Binding {
    Binding {
        action,
        keys,
        section,
        help,
        footer,
    }
}

use Action as A;
use Section as S;

pub static BINDINGS: &[Binding] = &[
    bind(
        A::NextPane,
        &[key(KeyCode::Tab)],
        S::Global,
        "next pane",
        Some("pane"),
    ),
    bind(
        A::PrevPane,
        &[key(KeyCode::BackTab)],
        S::Global,
        "previous pane",
        None,
    ),
    bind(
        A::Move(Move::Up),
        &[key(KeyCode::Up), ch('k')],
        S::Global,
        "move up",
        None,
    ),
    bind(
        A::Move(Move::Down),
        &[key(KeyCode::Down), ch('j')],
        S::Global,
        "move down",
        None,
    ),
    bind(
        A::Move(Move::PageUp),
        &[key(KeyCode::PageUp)],
        S::Global,
        "page up",
        None,
    ),
    bind(
        A::Move(Move::PageDown),
        &[key(KeyCode::PageDown)],
        S::Global,
        "page down",
        None,
    ),
    bind(
        A::Move(Move::Top),
        &[key(KeyCode::Home), ch('g')],
        S::Global,
        "first row",
        None,
    ),
    bind(
        A::Move(Move::Bottom),
        &[key(KeyCode::End), ch('G')],
        S::Global,
        "last row",
        None,
    ),
    bind(
        A::ToggleMode,
        &[ch('a'), ctrl('a')],
        S::Global,
        "whole image at the step / only the step's changes",
        Some("view"),
    ),
    bind(
        A::ShowStepOnly,
        &[ctrl('l')],
        S::Global,
        "show only the step's changes (dive's layer view)",
        None,
    ),
    bind(
        A::Filter,
        &[ch('/'), ctrl('f')],
        S::Global,
        "filter paths (substring or regex)",
        Some("filter"),
    ),
    bind(
        A::WastedOnly,
        &[ch('w')],
        S::Global,
        "only wasted paths",
        Some("wasted"),
    ),
    bind(
        A::Activate,
        &[key(KeyCode::Enter)],
        S::Global,
        "open: a step's files, a directory, a finding's path, a package",
        None,
    ),
    bind(
        A::Zoom,
        &[ch('z')],
        S::Global,
        "zoom the focused pane",
        None,
    ),
    bind(
        A::Help,
        &[ch('?'), key(KeyCode::F(1))],
        S::Global,
        "this help",
        Some("help"),
    ),
    bind(
        A::Back,
        &[key(KeyCode::Esc)],
        S::Global,
        "close, back from a package, clear filters (never quits)",
        None,
    ),
    bind(
        A::Details,
        &[ch('d')],
        S::Global,
        "the selection's details, whole (long findings, full commands)",
        None,
    ),
    bind(
        A::DiffLens,
        &[ch('D')],
        S::Global,
        "ballast diff: marks against OLD on / off (a: only what changed)",
        None,
    ),
    bind(
        A::Quit,
        &[ch('q'), ctrl('c')],
        S::Global,
        "quit",
        Some("quit"),
    ),
    bind(
        A::ToggleEmptySteps,
        &[ch('e')],
        S::Steps,
        "show / hide steps that made no layer",
        Some("empty steps"),
    ),
    bind(
        A::ToggleInherited,
        &[ch('i')],
        S::Steps,
        "fold / unfold the steps inherited from the base image",
        None,
    ),
    bind(
        A::Fold,
        &[ch(' ')],
        S::Tree,
        "open / close the directory",
        Some("fold"),
    ),
    bind(
        A::Left,
        &[key(KeyCode::Left), ch('h')],
        S::Tree,
        "close, or go to the parent",
        None,
    ),
    bind(
        A::Right,
        &[key(KeyCode::Right), ch('l')],
        S::Tree,
        "open, or step inside",
        None,
    ),
    bind(
        A::FoldAll,
        &[ctrl(' '), ch('c')],
        S::Tree,
        "open / close all directories",
        Some("all"),
    ),
    bind(
        A::Sort,
        &[ch('s')],
        S::Tree,
        "sort by size / name (in Packages: size / name / manager)",
        Some("sort"),
    ),
    bind(
        A::HideUnmodified,
        &[ch('u'), ctrl('u')],
        S::Tree,
        "hide / show unmodified",
        None,
    ),
    bind(
        A::HideRemoved,
        &[ch('r'), ctrl('r')],
        S::Tree,
        "hide / show removed",
        None,
    ),
    bind(
        A::HideModified,
        &[ch('m')],
        S::Tree,
        "hide / show modified",
        None,
    ),
    bind(
        A::ToggleAttributes,
        &[ch('b'), ctrl('b')],
        S::Tree,
        "mode and owner columns also on narrow screens",
        None,
    ),
    bind(
        A::MinSize,
        &[ch('>')],
        S::Tree,
        "hide files smaller than a size (e.g. 1MB)",
        None,
    ),
    bind(
        A::View,
        &[ch('v')],
        S::Tree,
        "view the file's text, read from the archive",
        None,
    ),
    bind(
        A::Extract,
        &[ch('x'), ctrl('e')],
        S::Tree,
        "write the file to a path you type",
        None,
    ),
    bind(
        A::CopyPath,
        &[ch('y')],
        S::Tree,
        "copy the path to the clipboard (OSC 52)",
        None,
    ),
];

/// The key table in force: [`BINDINGS`], with the keys `ballast.toml`
/// rebinds (`[tui.keys]`). Every lookup, footer hint and help line goes
/// through it, so what the screen says is what the keys do.
#[derive(Clone, Debug)]
pub struct KeyMap {
    keys: Vec<Vec<Key>>,
}

impl Default for KeyMap {
    fn default() -> KeyMap {
        KeyMap {
            keys: BINDINGS.iter().map(|b| b.keys.to_vec()).collect(),
        }
    }
}

impl KeyMap {
    /// Binds `action` to `keys` alone; other actions lose these keys.
    pub fn rebind(&mut self, action: Action, keys: &[Key]) {
        for (i, b) in BINDINGS.iter().enumerate() {
            if b.action == action {
                self.keys[i] = keys.to_vec();
            } else {
                self.keys[i].retain(|k| !keys.contains(k));
            }
        }
    }

    /// The action bound to a key press, if any (key releases are ignored).
    pub fn action_for(&self, ev: &KeyEvent) -> Option<Action> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        BINDINGS
            .iter()
            .zip(&self.keys)
            .find(|(_, keys)| keys.iter().any(|k| k.matches(ev)))
            .map(|(b, _)| b.action)
    }

    pub fn keys_of(&self, action: Action) -> &[Key] {
        BINDINGS
            .iter()
            .position(|b| b.action == action)
            .and_then(|i| self.keys.get(i))
            .map_or(&[], Vec::as_slice)
    }

    /// An action's keys, e.g. `↑ k`.
    pub fn label(&self, action: Action) -> String {
        self.keys_of(action)
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn first_key(&self, action: Action) -> Option<String> {
        Some(self.keys_of(action).first()?.label())
    }
}

/// The action bound to a key press, if any. Key releases (reported by some
/// terminals) are ignored.
pub fn action_for(ev: &KeyEvent) -> Option<Action> {
    KeyMap::default().action_for(ev)
}

/// What a key shared by several panes does in one of them.
pub struct InPane {
    pub section: Section,
    pub action: Action,
    /// The pane's help line, when the general one does not say it.
    pub help: Option<&'static str>,
    pub footer: Option<&'static str>,
}

const fn in_pane(
    section: Section,
    action: Action,
    help: Option<&'static str>,
    footer: Option<&'static str>,
) -> InPane {
    InPane {
        section,
        action,
        help,
        footer,
    }
}

/// Keys whose meaning depends on the focused pane, listed first in that
/// pane's footer and in its help section.
pub static IN_PANE: &[InPane] = &[
    in_pane(S::Steps, A::Activate, None, Some("files")),
    in_pane(
        S::Waste,
        A::Activate,
        Some("jump to the finding's step and path"),
        Some("jump to it"),
    ),
    in_pane(
        S::Packages,
        A::Activate,
        Some("show the package's files in the tree"),
        Some("files"),
    ),
    in_pane(
        S::Packages,
        A::Sort,
        Some("sort by size / name / manager"),
        Some("sort"),
    ),
];

/// The binding of an action (every action has one).
pub fn binding(action: Action) -> Option<&'static Binding> {
    BINDINGS.iter().find(|b| b.action == action)
}

/// The footer's hints for a pane: Esc when there is a view to go back
/// from, what the pane's own keys mean there, its bindings, then the
/// global ones; the first key of each.
pub fn footer(map: &KeyMap, section: Section, can_go_back: bool) -> Vec<(String, &'static str)> {
    let back = can_go_back
        .then(|| Some((map.first_key(Action::Back)?, "back")))
        .flatten();
    let in_pane = IN_PANE
        .iter()
        .filter(|p| p.section == section)
        .filter_map(|p| Some((map.first_key(p.action)?, p.footer?)));
    // A pane that gives `s` its own meaning lists it once.
    let overridden = |b: &&Binding| {
        IN_PANE
            .iter()
            .any(|p| p.section == section && p.action == b.action)
    };
    let own = BINDINGS.iter().filter(|b| b.section == section);
    let global = BINDINGS.iter().filter(|b| b.section == Section::Global);
    back.into_iter()
        .chain(in_pane)
        .chain(
            own.chain(global)
                .filter(|b| !overridden(b))
                .filter_map(|b| Some((map.first_key(b.action)?, b.footer?))),
        )
        .collect()
}

/// The help overlay: sections in order, each with its bindings and what
/// shared keys mean there.
pub fn help(map: &KeyMap) -> Vec<(Section, Vec<(String, &'static str)>)> {
    [
        Section::Global,
        Section::Steps,
        Section::Tree,
        Section::Waste,
        Section::Packages,
    ]
    .into_iter()
    .map(|s| {
        let mut lines: Vec<(String, &'static str)> = BINDINGS
            .iter()
            .filter(|b| b.section == s)
            .map(|b| (map.label(b.action), b.help))
            .collect();
        for p in IN_PANE.iter().filter(|p| p.section == s) {
            if let Some(h) = p.help {
                lines.push((map.label(p.action), h));
            }
        }
        if s == Section::Global {
            lines.push(("wheel".into(), "scroll the pane under the pointer"));
            lines.push(("click".into(), "focus a pane and select a row"));
        }
        (s, lines)
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen: Vec<Key> = Vec::new();
        for b in BINDINGS {
            for k in b.keys {
                assert!(!seen.contains(k), "{} bound twice", k.label());
                seen.push(*k);
            }
        }
    }

    #[test]
    fn dive_keys_work() {
        let c = KeyModifiers::CONTROL;
        assert_eq!(
            action_for(&press(KeyCode::Char('a'), c)),
            Some(A::ToggleMode)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('l'), c)),
            Some(A::ShowStepOnly)
        );
        assert_eq!(action_for(&press(KeyCode::Char(' '), c)), Some(A::FoldAll));
        assert_eq!(action_for(&press(KeyCode::Char('f'), c)), Some(A::Filter));
        assert_eq!(
            action_for(&press(KeyCode::Char('u'), c)),
            Some(A::HideUnmodified)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('r'), c)),
            Some(A::HideRemoved)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('b'), c)),
            Some(A::ToggleAttributes)
        );
        assert_eq!(
            action_for(&press(KeyCode::Tab, KeyModifiers::NONE)),
            Some(A::NextPane)
        );
        assert_eq!(
            action_for(&press(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(A::PrevPane)
        );
        // Shift is part of the character, not a different binding.
        assert_eq!(
            action_for(&press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(A::Move(Move::Bottom))
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(A::Help)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('o'), KeyModifiers::NONE)),
            None
        );
        // dive's ^E (extract) works here.
        assert_eq!(action_for(&press(KeyCode::Char('e'), c)), Some(A::Extract));
    }

    #[test]
    fn every_action_has_a_key_and_the_help_lists_it() {
        let listed: usize = help(&KeyMap::default()).iter().map(|(_, l)| l.len()).sum();
        assert!(listed >= BINDINGS.len());
        assert!(
            footer(&KeyMap::default(), Section::Tree, false)
                .iter()
                .any(|(k, w)| k == "Space" && *w == "fold")
        );
    }

    #[test]
    fn shared_keys_say_what_they_do_in_the_focused_pane() {
        let packages = footer(&KeyMap::default(), Section::Packages, false);
        assert_eq!(packages[0], ("Enter".to_string(), "files"));
        assert_eq!(packages[1], ("s".to_string(), "sort"));
        assert_eq!(packages.iter().filter(|(k, _)| k == "s").count(), 1);
        assert_eq!(
            footer(&KeyMap::default(), Section::Tree, true)[0],
            ("Esc".to_string(), "back")
        );
        assert!(
            footer(&KeyMap::default(), Section::Tree, false)
                .iter()
                .all(|(k, _)| k != "Esc")
        );
        let help = help(&KeyMap::default());
        let (_, lines) = help
            .iter()
            .find(|(s, _)| *s == Section::Packages)
            .expect("a Packages section");
        assert!(lines.iter().any(|(k, h)| k == "s" && h.contains("manager")));
        assert_eq!(
            action_for(&press(KeyCode::Esc, KeyModifiers::NONE)),
            Some(A::Back)
        );
    }
}
