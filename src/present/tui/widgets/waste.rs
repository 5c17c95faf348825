//! The waste pane: findings grouped under the step that caused them, the
//! steps with the most to reclaim first. Enter on a finding jumps to it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Widget;

use crate::browse::model::Model;

use super::super::panes::waste::{WasteRow, WasteState};
use super::super::theme::Theme;
use super::{frame_pane, pad_left, row, selection_style};
use crate::browse::text;

pub struct WastePane<'a> {
    pub model: &'a Model,
    pub theme: &'a Theme,
    pub state: &'a WasteState,
    pub focused: bool,
}

const SIZE_W: usize = 9;

impl Widget for WastePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (model, theme, focused) = (self.model, self.theme, self.focused);
        let report = model.report();
        let title = format!(
            " Waste & fixes · {} reclaimable ",
            text::human(report.summary.reclaimable_bytes)
        );
        let inner = frame_pane(area, buf, &title, focused, theme);
        if inner.is_empty() {
            return;
        }
        let rows = &self.state.rows;
        if rows.is_empty() {
            row(
                buf,
                inner,
                inner.y,
                vec![Span::styled("No waste found.", theme.dim)],
                vec![],
                theme.text,
            );
            return;
        }
        let width = usize::from(inner.width);
        let nav = &self.state.nav;
        for (line, i) in nav.window(rows.len()).enumerate() {
            let y = inner
                .y
                .saturating_add(u16::try_from(line).unwrap_or(u16::MAX));
            let base = selection_style(theme, i == nav.selected(), focused);
            match rows[i] {
                WasteRow::Group { step, bytes, count } => {
                    let label = match step {
                        Some(s) => {
                            let instr = model.step_labels.get(s).map_or("", String::as_str);
                            format!("step {s} {instr}")
                        }
                        None => "not tied to a step".to_string(),
                    };
                    let size = if bytes > 0 {
                        text::human(bytes)
                    } else {
                        format!("{count} notes")
                    };
                    let room = width.saturating_sub(text::width(&size) + 1);
                    row(
                        buf,
                        inner,
                        y,
                        vec![Span::styled(text::fit_middle(&label, room), theme.group)],
                        vec![Span::styled(size, theme.wasted)],
                        base,
                    );
                }
                WasteRow::Finding(fi) => {
                    let Some(f) = report.findings.get(fi) else {
                        continue;
                    };
                    let size = if f.bytes > 0 {
                        text::human(f.bytes)
                    } else {
                        "-".to_string()
                    };
                    let head = format!(" {} ", pad_left(&size, SIZE_W));
                    let cat = format!("[{}] ", text::clean_str(&f.category));
                    let room = width.saturating_sub(text::width(&head) + text::width(&cat));
                    row(
                        buf,
                        inner,
                        y,
                        vec![
                            Span::styled(head, theme.text),
                            Span::styled(cat, theme.dim),
                            Span::styled(
                                text::fit_end(&text::clean_str(&f.message), room),
                                theme.text,
                            ),
                        ],
                        vec![],
                        base,
                    );
                }
            }
        }
    }
}
