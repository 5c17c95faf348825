//! The top line: image name, size, what can be reclaimed and dive's
//! efficiency score. Figures drop from the right when the line is short; the
//! name is cut in the middle.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::super::app::App;
use super::super::text;

pub struct Header<'a> {
    pub app: &'a App,
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let theme = &self.app.theme;
        let r = self.app.model().report();
        let brand = " ballast ";
        let size = text::human(r.image.size_bytes);
        let reclaim = text::human(r.summary.reclaimable_bytes);
        let share = text::percent(r.summary.reclaimable_bytes, r.image.final_size_bytes);
        let eff = format!("{:.1} %", r.dive.efficiency * 100.0);
        // (size, reclaimable, efficiency) from the fullest wording to the
        // tersest; the first that fits beside the name wins.
        let wordings: [[String; 3]; 6] = [
            [
                format!("{size} · {} layers", r.image.layer_count),
                format!("reclaimable {reclaim} ({share})"),
                format!("efficiency {eff}"),
            ],
            [
                size.clone(),
                format!("reclaimable {reclaim} ({share})"),
                format!("efficiency {eff}"),
            ],
            [
                size.clone(),
                format!("reclaimable {reclaim}"),
                format!("efficiency {eff}"),
            ],
            [
                size.clone(),
                format!("waste {reclaim}"),
                format!("eff. {eff}"),
            ],
            [size.clone(), format!("waste {reclaim}"), String::new()],
            [size, String::new(), String::new()],
        ];
        // A run with budgets says where it stands; quitting exits 1 when over.
        let failed = r.budget.checks.iter().filter(|c| !c.passed).count();
        let budget = match (r.budget.checks.len(), failed) {
            (0, _) => String::new(),
            (n, 0) => format!("budget ok ({n})"),
            (n, f) => format!("over budget ({f} of {n})"),
        };
        let width = usize::from(area.width);
        let sep = " │ ";
        // The name keeps up to this many cells before figures are dropped.
        let name_min = text::width(&self.app.model().title).min(24);
        let cells = |w: &[String; 3]| {
            text::width(brand)
                + 1
                + [&budget]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .map(|s| text::width(s) + text::width(sep))
                    .sum::<usize>()
                + w.iter()
                    .filter(|s| !s.is_empty())
                    .map(|s| text::width(s) + text::width(sep))
                    .sum::<usize>()
        };
        let fits = wordings.iter().find(|w| cells(w) + name_min <= width);
        // Too narrow for any figure: the name alone, no budget either.
        let show_budget = !budget.is_empty() && fits.is_some();
        let empty = [String::new(), String::new(), String::new()];
        let shown = fits.unwrap_or(&empty);
        let budget_cells = if budget.is_empty() || show_budget {
            0
        } else {
            text::width(&budget) + text::width(sep)
        };
        let name_room = width.saturating_sub(cells(shown) - budget_cells);
        let mut spans = vec![
            Span::styled(brand, theme.brand),
            Span::raw(" "),
            Span::styled(
                text::fit_middle(&self.app.model().title, name_room),
                theme.header,
            ),
        ];
        for (i, s) in shown.iter().enumerate() {
            if s.is_empty() {
                continue;
            }
            spans.push(Span::styled(sep, theme.dim));
            let style = if i == 1 && r.summary.reclaimable_bytes > 0 {
                theme.wasted
            } else {
                theme.text
            };
            spans.push(Span::styled(s.as_str(), style));
        }
        if show_budget {
            spans.push(Span::styled(sep, theme.dim));
            let style = if failed > 0 { theme.wasted } else { theme.text };
            spans.push(Span::styled(budget.as_str(), style));
        }
        Line::from(spans).render(area, buf);
    }
}
