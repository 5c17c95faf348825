//! The bottom line: the keys that work in the focused pane (from the key
//! table), a status message, or the filter being typed.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::super::app::{FilterInput, PromptKind};
use super::super::keys::{self, Action, KeyMap, Section};
use super::super::layout::Pane;
use super::super::panes::files::TreeSettings;
use super::super::theme::Theme;
use crate::browse::text;

pub struct Footer<'a> {
    pub theme: &'a Theme,
    pub focus: Pane,
    /// Esc has a view to go back to.
    pub can_go_back: bool,
    /// The line being typed, if any.
    pub input: Option<&'a FilterInput>,
    /// The tree's filters (what the typed filter matches at this step).
    pub settings: &'a TreeSettings,
    pub keymap: &'a KeyMap,
    pub message: Option<&'a str>,
}

impl Widget for Footer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let t = self.theme;
        let width = usize::from(area.width);
        if let Some(input) = self.input {
            let typed = text::clean_str(&input.text);
            let (prompt, status) = match &input.kind {
                PromptKind::Filter => (
                    "/ ".to_string(),
                    match &self.settings.filter {
                        // The count is what the tree shows at this step, so
                        // it agrees with the tree; the image-wide count only
                        // when it differs.
                        Some(f) => {
                            let here = self.settings.filter_shown;
                            let all = f.matched.len();
                            let elsewhere = if all > here {
                                format!(" ({all} in the image)")
                            } else {
                                String::new()
                            };
                            format!(
                                "  {} · {here} path{} here{elsewhere}  Enter keep · Esc cancel",
                                if f.literal { "substring" } else { "regex" },
                                if here == 1 { "" } else { "s" },
                            )
                        }
                        None => "  substring or regex · Enter keep · Esc cancel".into(),
                    },
                ),
                PromptKind::MinSize => (
                    "files of at least ".to_string(),
                    "  e.g. 1MB, 500k; empty shows all · Enter keep · Esc cancel".into(),
                ),
                PromptKind::Extract(from) => (
                    format!("write {} to ", text::fit_middle(&text::clean_str(from), 30)),
                    "  Enter write · Esc cancel".into(),
                ),
            };
            let room = width.saturating_sub(text::width(&status) + text::width(&prompt) + 1);
            Line::from(vec![
                Span::styled(prompt, t.key),
                Span::styled(text::fit_middle(&typed, room), t.bold),
                Span::styled("▏", t.key),
                Span::styled(status, t.dim),
            ])
            .render(area, buf);
            return;
        }
        let section = match self.focus {
            Pane::Steps => Section::Steps,
            Pane::Tree => Section::Tree,
            Pane::Waste => Section::Waste,
            Pane::Packages => Section::Packages,
        };
        let message = self.message.map(text::clean_str);
        let reserve = message.as_ref().map_or(0, |m| text::width(m) + 2);
        let mut hints = keys::footer(self.keymap, section, self.can_go_back);
        // Quit is the hint a narrow screen must not lose: it goes last and
        // its room is kept.
        let quit_key = self.keymap.keys_of(Action::Quit).first().map(|k| k.label());
        let quit = hints
            .iter()
            .position(|(k, w)| *w == "quit" && Some(k) == quit_key.as_ref())
            .map(|i| hints.remove(i));
        let hint_w = |(k, w): &(String, &str)| text::width(k) + text::width(w) + 3;
        let quit_w = quit.as_ref().map_or(0, hint_w);
        let mut spans = Vec::new();
        let mut used = 0;
        for h in &hints {
            let w = hint_w(h);
            if used + w + quit_w > width.saturating_sub(reserve) {
                break;
            }
            used += w;
            spans.push(Span::styled(format!(" {}", h.0), t.key));
            spans.push(Span::styled(format!(" {} ", h.1), t.dim));
        }
        if let Some((k, w)) = &quit
            && used + quit_w <= width.saturating_sub(reserve)
        {
            spans.push(Span::styled(format!(" {k}"), t.key));
            spans.push(Span::styled(format!(" {w} "), t.dim));
        }
        Line::from(spans).render(area, buf);
        if let Some(m) = message {
            let m = text::fit_end(&m, width);
            let w = u16::try_from(text::width(&m))
                .unwrap_or(area.width)
                .min(area.width);
            Line::from(Span::styled(m, t.message))
                .render(Rect::new(area.right() - w, area.y, w, 1), buf);
        }
    }
}
