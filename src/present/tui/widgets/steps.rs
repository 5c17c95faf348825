//! The steps pane: one row per Dockerfile step with its size, a bar
//! proportional to the largest step, and the instruction. Steps that made
//! no layer are dimmed (or hidden with `e`); `!` marks steps with waste.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Widget;

use crate::browse::model::Model;

use super::super::panes::steps::StepsState;
use super::super::theme::Theme;
use super::{frame_pane, pad_left, row, selection_style};
use crate::browse::text;

pub struct StepsPane<'a> {
    pub model: &'a Model,
    pub theme: &'a Theme,
    pub state: &'a StepsState,
    pub focused: bool,
    /// With `ballast diff`'s lens on: each step marked against OLD.
    pub diff: Option<&'a super::super::panes::diff::DiffState>,
}

/// Eighths of a cell, for a smooth bar.
const BAR_PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

fn bar(fraction: f64, width: usize) -> String {
    let eighths = (fraction.clamp(0.0, 1.0) * (width * 8) as f64).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(BAR_PARTS[eighths % 8]);
    }
    let w = text::width(&s);
    s.push_str(&" ".repeat(width.saturating_sub(w)));
    s
}

impl Widget for StepsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (model, theme, focused) = (self.model, self.theme, self.focused);
        let steps = &model.report().steps;
        let rows = &self.state.rows;
        let mut title = format!(" Steps ({}) ", steps.len());
        if !self.state.show_empty {
            title = format!(" Steps ({} with layers) ", rows.len());
        }
        if self.state.hide_inherited {
            let inherited = (0..steps.len()).filter(|&i| model.is_inherited(i)).count();
            title = format!("{title}· {inherited} from the base folded (i) ");
        }
        if let Some(d) = self.diff {
            title = format!("{title}· {} ", super::diff::steps_title(&d.lens));
        }
        let inner = frame_pane(area, buf, &title, focused, theme);
        if inner.is_empty() {
            return;
        }
        let width = usize::from(inner.width);
        let max_size = steps.iter().map(|s| s.size_bytes).max().unwrap_or(0).max(1);
        let index_w = steps.len().saturating_sub(1).to_string().len();
        const SIZE_W: usize = 9;
        let bar_w = match width {
            w if w >= 100 => 12,
            w if w >= 60 => 8,
            w if w >= 40 => 6,
            _ => 0,
        };
        let nav = &self.state.nav;
        for (line, i) in nav.window(rows.len()).enumerate() {
            let Some(step) = rows.get(i).and_then(|&s| steps.get(s)) else {
                continue;
            };
            let y = inner
                .y
                .saturating_add(u16::try_from(line).unwrap_or(u16::MAX));
            let selected = i == nav.selected();
            let empty = step.layer_index.is_none();
            let wasted = model.step_reclaim.get(step.index).copied().unwrap_or(0) > 0;
            let base = selection_style(theme, selected, focused);
            // Steps from the base image are someone else's: dimmed.
            let inherited = model.is_inherited(step.index);
            let text_style = if empty || inherited {
                theme.dim
            } else {
                theme.text
            };
            let size = if empty {
                "-".to_string()
            } else {
                text::human(step.size_bytes)
            };
            let mut left = vec![
                Span::styled(if wasted { "!" } else { " " }, theme.wasted),
                Span::styled(pad_left(&step.index.to_string(), index_w), theme.dim),
                Span::styled(format!(" {} ", pad_left(&size, SIZE_W)), text_style),
            ];
            let mut used = 1 + index_w + SIZE_W + 2;
            if let Some(status) = self.diff.and_then(|d| d.lens.step_status(step.index)) {
                left.insert(
                    1,
                    Span::styled(
                        crate::browse::diff_lens::step_symbol(status).to_string(),
                        super::diff::step_style(theme, status),
                    ),
                );
                used += 1;
            }
            if bar_w > 0 {
                let b = if empty {
                    " ".repeat(bar_w)
                } else {
                    bar(step.size_bytes as f64 / max_size as f64, bar_w)
                };
                left.push(Span::styled(b, theme.bar));
                left.push(Span::raw(" "));
                used += bar_w + 1;
            }
            let label = model.step_labels.get(step.index).map_or("", String::as_str);
            left.push(Span::styled(
                text::fit_middle(label, width.saturating_sub(used)),
                text_style,
            ));
            row(buf, inner, y, left, vec![], base);
        }
        if rows.is_empty() {
            row(
                buf,
                inner,
                inner.y,
                vec![Span::styled("no steps", theme.dim)],
                vec![],
                theme.text,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fill_proportionally() {
        assert_eq!(bar(1.0, 4), "████");
        assert_eq!(bar(0.0, 4), "    ");
        assert_eq!(bar(0.5, 4), "██  ");
        assert_eq!(text::width(&bar(0.3, 5)), 5);
        assert_eq!(bar(2.0, 0), "");
    }
}
