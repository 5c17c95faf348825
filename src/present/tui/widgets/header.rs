//! The top line: image name, size, what can be reclaimed and dive's
//! efficiency score. Figures drop from the right when the line is short; the
//! name is cut in the middle.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::browse::model::Model;

use super::super::theme::Theme;
use crate::browse::text;

pub struct Header<'a> {
    pub model: &'a Model,
    pub theme: &'a Theme,
    /// With `ballast diff`'s lens on, the line is the comparison's summary.
    pub diff: Option<&'a super::super::panes::diff::DiffState>,
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let theme = self.theme;
        if let Some(d) = self.diff {
            let spans =
                super::diff::header_spans(&d.lens, theme, &self.model.title, area.width.into());
            Line::from(spans).render(area, buf);
            return;
        }
        let r = self.model.report();
        let brand = " ballast ";
        let size = text::human(r.image.size_bytes);
        let reclaim = text::human(r.summary.reclaimable_bytes);
        let share = text::percent(r.summary.reclaimable_bytes, r.image.final_size_bytes);
        let eff = format!("{:.1} %", r.dive.efficiency * 100.0);
        // A run with budgets says where it stands; quitting exits 1 when over.
        let failed = r.budget.failed();
        let budget = match (r.budget.checks.len(), failed) {
            (0, _) => String::new(),
            (n, 0) => format!("budget ok ({n})"),
            (n, f) => format!("over budget ({f} of {n})"),
        };
        // (size, reclaimable, efficiency, budget) from the fullest wording to
        // the tersest; the first that fits beside the name wins.
        let wordings: [[String; 4]; 6] = [
            [
                format!("{size} · {} layers", r.image.layer_count),
                format!("reclaimable {reclaim} ({share})"),
                format!("efficiency {eff}"),
                budget.clone(),
            ],
            [
                size.clone(),
                format!("reclaimable {reclaim} ({share})"),
                format!("efficiency {eff}"),
                budget.clone(),
            ],
            [
                size.clone(),
                format!("reclaimable {reclaim}"),
                format!("efficiency {eff}"),
                budget.clone(),
            ],
            [
                size.clone(),
                format!("waste {reclaim}"),
                format!("eff. {eff}"),
                budget.clone(),
            ],
            [
                size.clone(),
                format!("waste {reclaim}"),
                String::new(),
                budget.clone(),
            ],
            [size, String::new(), String::new(), budget],
        ];
        let width = usize::from(area.width);
        let sep = " │ ";
        // The name keeps up to this many cells before figures are dropped.
        let name_min = text::width(&self.model.title).min(24);
        let cells = |w: &[String; 4]| {
            text::width(brand)
                + 1
                + w.iter()
                    .filter(|s| !s.is_empty())
                    .map(|s| text::width(s) + text::width(sep))
                    .sum::<usize>()
        };
        let empty: [String; 4] = Default::default();
        let shown = wordings
            .iter()
            .find(|w| cells(w) + name_min <= width)
            .unwrap_or(&empty);
        let name_room = width.saturating_sub(cells(shown));
        let mut spans = vec![
            Span::styled(brand, theme.brand),
            Span::raw(" "),
            Span::styled(text::fit_middle(&self.model.title, name_room), theme.header),
        ];
        for (i, s) in shown.iter().enumerate() {
            if s.is_empty() {
                continue;
            }
            spans.push(Span::styled(sep, theme.dim));
            let alarm = match i {
                1 => r.summary.reclaimable_bytes > 0,
                3 => failed > 0,
                _ => false,
            };
            let style = if alarm { theme.wasted } else { theme.text };
            spans.push(Span::styled(s.as_str(), style));
        }
        Line::from(spans).render(area, buf);
    }
}
