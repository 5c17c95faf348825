//! Every style the UI uses, in one place. Widgets ask the theme; none names a
//! color. With `NO_COLOR` set the theme has no colors at all, only bold,
//! dim and reverse; change kinds stay readable through their symbols.

use ratatui::style::{Color, Modifier, Style};

use crate::browse::lens::Mark;

#[derive(Clone, Debug)]
pub struct Theme {
    pub text: Style,
    pub dim: Style,
    pub bold: Style,
    pub border: Style,
    pub border_focused: Style,
    pub title: Style,
    pub title_focused: Style,
    /// The selected row of the focused pane.
    pub selected: Style,
    /// The selected row of a pane without focus.
    pub selected_idle: Style,
    pub header: Style,
    pub brand: Style,
    pub key: Style,
    pub message: Style,
    pub error: Style,
    pub bar: Style,
    pub wasted: Style,
    pub added: Style,
    pub modified: Style,
    pub metadata: Style,
    pub removed: Style,
    pub dir: Style,
    pub link: Style,
    pub group: Style,
}

impl Theme {
    /// Colors unless `NO_COLOR` is set to anything non-empty (no-color.org).
    pub fn from_env() -> Theme {
        if Theme::no_color() {
            Theme::plain()
        } else {
            Theme::colored()
        }
    }

    /// `NO_COLOR` is set to something (no-color.org).
    pub fn no_color() -> bool {
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    pub fn colored() -> Theme {
        let s = Style::new();
        Theme {
            text: s,
            dim: s.fg(Color::DarkGray),
            bold: s.add_modifier(Modifier::BOLD),
            border: s.fg(Color::DarkGray),
            border_focused: s.fg(Color::Cyan),
            title: s.fg(Color::Gray),
            title_focused: s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            selected: s.bg(Color::Blue).fg(Color::White),
            selected_idle: s.bg(Color::DarkGray).fg(Color::White),
            header: s.add_modifier(Modifier::BOLD),
            brand: s
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            key: s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            message: s.fg(Color::Yellow),
            error: s.fg(Color::Red).add_modifier(Modifier::BOLD),
            bar: s.fg(Color::Blue),
            wasted: s.fg(Color::LightRed).add_modifier(Modifier::BOLD),
            added: s.fg(Color::Green),
            modified: s.fg(Color::Yellow),
            metadata: s.fg(Color::Magenta),
            removed: s.fg(Color::Red),
            dir: s.fg(Color::LightBlue).add_modifier(Modifier::BOLD),
            link: s.fg(Color::Cyan),
            group: s.add_modifier(Modifier::BOLD),
        }
    }

    pub fn plain() -> Theme {
        let s = Style::new();
        let bold = s.add_modifier(Modifier::BOLD);
        Theme {
            text: s,
            dim: s.add_modifier(Modifier::DIM),
            bold,
            border: s,
            border_focused: bold,
            title: s,
            title_focused: bold.add_modifier(Modifier::REVERSED),
            selected: s.add_modifier(Modifier::REVERSED),
            selected_idle: bold.add_modifier(Modifier::UNDERLINED),
            header: bold,
            brand: bold.add_modifier(Modifier::REVERSED),
            key: bold,
            message: bold,
            error: bold,
            bar: s,
            wasted: bold,
            added: s,
            modified: s,
            metadata: s,
            removed: s.add_modifier(Modifier::CROSSED_OUT),
            dir: bold,
            link: s,
            group: bold,
        }
    }

    pub fn mark(&self, m: Mark) -> Style {
        match m {
            Mark::Unmodified => self.text,
            Mark::Added => self.added,
            Mark::Modified => self.modified,
            Mark::Metadata => self.metadata,
            Mark::Removed => self.removed,
        }
    }
}
