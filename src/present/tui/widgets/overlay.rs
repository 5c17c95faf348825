//! A scrollable page of text over the panes: a file read from the image
//! (`v`). ↑↓ scroll it, any other key closes it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::browse::text;

use super::super::theme::Theme;

pub struct TextOverlay<'a> {
    pub theme: &'a Theme,
    pub title: &'a str,
    pub lines: &'a [String],
    pub scroll: usize,
}

/// A rectangle of at most `width` × `height` cells centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = area.width.min(width);
    let h = area.height.min(height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

impl Widget for TextOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let t = self.theme;
        let r = centered(area, 120, u16::MAX);
        Clear.render(r, buf);
        let inner_h = usize::from(r.height.saturating_sub(2));
        let start = self.scroll.min(self.lines.len().saturating_sub(1));
        let lines: Vec<Line<'_>> = self.lines[start.min(self.lines.len())..]
            .iter()
            .take(inner_h)
            .map(|l| Line::styled(l.as_str(), t.text))
            .collect();
        let hint = format!(
            "{}↑↓ scroll · any other key closes ",
            if self.lines.len() > inner_h {
                format!("line {}/{} · ", start + 1, self.lines.len())
            } else {
                String::new()
            }
        );
        let title = text::fit_middle(
            &format!("{}· {hint}", self.title),
            usize::from(r.width.saturating_sub(2)),
        );
        Paragraph::new(lines)
            .block(
                Block::bordered()
                    .border_style(t.border_focused)
                    .title(Span::styled(title, t.title_focused)),
            )
            .render(r, buf);
    }
}
