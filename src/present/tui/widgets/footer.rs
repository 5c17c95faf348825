//! The bottom line: the keys that work in the focused pane (from the key
//! table), a status message, or the filter being typed.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::browse::lens::PathFilter;

use super::super::keys::{self, Section};
use super::super::layout::Pane;
use super::super::theme::Theme;
use crate::browse::text;

pub struct Footer<'a> {
    pub theme: &'a Theme,
    pub focus: Pane,
    /// Esc has a view to go back to.
    pub can_go_back: bool,
    /// The filter being typed, and what it matched.
    pub input: Option<&'a str>,
    pub filter: Option<&'a PathFilter>,
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
            let typed = text::clean_str(input);
            let status = match self.filter {
                Some(f) => format!(
                    "  {} · {} paths  Enter keep · Esc cancel",
                    if f.literal { "substring" } else { "regex" },
                    f.matched.len()
                ),
                None => "  substring or regex · Enter keep · Esc cancel".into(),
            };
            let room = width.saturating_sub(text::width(&status) + 3);
            Line::from(vec![
                Span::styled("/ ", t.key),
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
        let mut spans = Vec::new();
        let mut used = 0;
        for (key, word) in keys::footer(section, self.can_go_back) {
            let w = text::width(&key) + text::width(word) + 3;
            if used + w > width.saturating_sub(reserve) {
                break;
            }
            used += w;
            spans.push(Span::styled(format!(" {key}"), t.key));
            spans.push(Span::styled(format!(" {word} "), t.dim));
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
