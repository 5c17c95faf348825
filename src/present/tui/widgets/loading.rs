//! The screen shown while the image loads: the input, a byte gauge fed by
//! the loader's atomic counters, and the layer count. The UI opens at once
//! and stays responsive (q quits) however long the load takes.

use std::sync::atomic::Ordering;
use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::archive::LoadProgress;

use super::super::theme::Theme;
use crate::browse::text;

pub struct LoadingView<'a> {
    pub theme: &'a Theme,
    pub source: &'a str,
    pub progress: &'a LoadProgress,
    pub elapsed: Duration,
}

impl Widget for LoadingView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let t = self.theme;
        let p = self.progress;
        let total = p.bytes_total.load(Ordering::Relaxed);
        let done = p.bytes_done.load(Ordering::Relaxed);
        let layers_total = p.layers_total.load(Ordering::Relaxed);
        let layers_done = p.layers_done.load(Ordering::Relaxed);
        let width = area.width.min(72);
        let height = area.height.min(7);
        let r = Rect::new(
            area.x + (area.width - width) / 2,
            area.y + (area.height - height) / 2,
            width,
            height,
        );
        let inner_w = usize::from(width.saturating_sub(2));
        let stage = if layers_total > 0 && layers_done >= layers_total {
            "merging layers and looking for waste…".to_string()
        } else if layers_total > 0 {
            format!("reading layers {layers_done}/{layers_total}")
        } else {
            "reading the archive…".to_string()
        };
        let fraction = if total > 0 {
            (done as f64 / total as f64).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let bar_w = inner_w.saturating_sub(8);
        let filled = ((fraction * bar_w as f64).round() as usize).min(bar_w);
        let bytes = if total > 0 {
            format!("{} of {}", text::human(done), text::human(total))
        } else {
            format!("{} read", text::human(done))
        };
        let lines = vec![
            Line::styled(text::fit_middle(self.source, inner_w), t.bold),
            Line::raw(""),
            Line::from(vec![
                Span::styled("█".repeat(filled), t.bar),
                Span::styled("░".repeat(bar_w - filled), t.dim),
                Span::raw(format!(" {:>3.0} %", fraction * 100.0)),
            ]),
            Line::styled(
                format!("{stage} · {bytes} · {:.1} s", self.elapsed.as_secs_f64()),
                t.text,
            ),
            Line::styled("q quits", t.dim),
        ];
        Paragraph::new(lines)
            .block(
                Block::bordered()
                    .border_style(t.border_focused)
                    .title(Span::styled(" ballast · loading ", t.title_focused)),
            )
            .render(r, buf);
    }
}
