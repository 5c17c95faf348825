//! The `?` overlay: the key table, section by section. Built from
//! [`keys::help`], so it cannot drift from what the keys do.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::super::keys;
use super::super::theme::Theme;
use crate::browse::text;

pub struct HelpOverlay<'a> {
    pub theme: &'a Theme,
    /// The keys in force (rebindings included).
    pub keys: &'a keys::KeyMap,
    pub scroll: usize,
}

/// The widest the overlay gets; it shrinks with the terminal.
const MAX_WIDTH: u16 = 86;

impl Widget for HelpOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let t = self.theme;
        let sections = keys::help(self.keys);
        let key_w = sections
            .iter()
            .flat_map(|(_, l)| l.iter().map(|(k, _)| text::width(k)))
            .max()
            .unwrap_or(0);
        let mut lines: Vec<Line<'_>> = vec![Line::styled(
            "Change symbols: + added  ~ modified  * metadata only  - removed  ! wasted",
            t.dim,
        )];
        for (section, entries) in &sections {
            lines.push(Line::raw(""));
            lines.push(Line::styled(section.title(), t.group));
            for (k, help) in entries {
                let pad = " ".repeat(key_w.saturating_sub(text::width(k)));
                lines.push(Line::from(vec![
                    Span::styled(format!("  {k}{pad}  "), t.key),
                    Span::styled(*help, t.text),
                ]));
            }
        }
        let width = area
            .width
            .saturating_sub(2)
            .min(MAX_WIDTH)
            .max(area.width.min(3));
        let wanted = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
        let height = wanted.min(area.height);
        let r = Rect::new(
            area.x + (area.width - width) / 2,
            area.y + (area.height - height) / 2,
            width,
            height,
        );
        let inner_h = usize::from(height.saturating_sub(2));
        let max_scroll = lines.len().saturating_sub(inner_h);
        let scroll = u16::try_from(self.scroll.min(max_scroll)).unwrap_or(0);
        Clear.render(r, buf);
        let title = text::fit_end(
            " Keys · ↑↓ scroll · any other key closes ",
            usize::from(width.saturating_sub(2)),
        );
        Paragraph::new(lines)
            .scroll((scroll, 0))
            .block(
                Block::bordered()
                    .border_style(t.border_focused)
                    .title(Span::styled(title, t.title_focused)),
            )
            .style(t.text)
            .render(r, buf);
    }
}
