//! Where each pane goes for a terminal size: one pure function, used by the
//! drawing code and by the event handler (page sizes, the mouse), so both
//! agree without drawing having to write anything back.

use ratatui::layout::{Constraint, Layout, Rect};

/// The panes that take focus; Details follows whichever had it last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Steps,
    Tree,
    Waste,
}

impl Pane {
    pub const ALL: [Pane; 3] = [Pane::Steps, Pane::Tree, Pane::Waste];

    pub fn next(self) -> Pane {
        match self {
            Pane::Steps => Pane::Tree,
            Pane::Tree => Pane::Waste,
            Pane::Waste => Pane::Steps,
        }
    }

    pub fn prev(self) -> Pane {
        match self {
            Pane::Steps => Pane::Waste,
            Pane::Tree => Pane::Steps,
            Pane::Waste => Pane::Tree,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub steps: Rect,
    pub tree: Rect,
    pub waste: Rect,
    pub details: Rect,
    pub footer: Rect,
}

impl Areas {
    pub fn of(&self, pane: Pane) -> Rect {
        match pane {
            Pane::Steps => self.steps,
            Pane::Tree => self.tree,
            Pane::Waste => self.waste,
        }
    }

    /// The pane under a screen cell.
    pub fn pane_at(&self, x: u16, y: u16) -> Option<Pane> {
        let p = ratatui::layout::Position { x, y };
        Pane::ALL
            .into_iter()
            .find(|&pane| self.of(pane).contains(p))
    }
}

/// From this width the steps and waste share a left column; below it the
/// steps take the full width on top, so instructions stay readable.
const WIDE_MIN_WIDTH: u16 = 110;
/// Below this width the panes stack in one column.
const TWO_COLUMNS_MIN_WIDTH: u16 = 60;

/// The panes for a screen; `steps` (the number of step rows) lets the steps
/// pane shrink to its content and leave the rest to the findings.
pub fn areas(full: Rect, zoom: Option<Pane>, steps: usize) -> Areas {
    let steps_h = |cap: u16| {
        let wanted = u16::try_from(steps.saturating_add(2)).unwrap_or(u16::MAX);
        wanted.clamp(3.min(cap), cap.max(1))
    };
    let [header, body, footer] = if full.height >= 3 {
        Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(full)
    } else {
        [Rect::default(), full, Rect::default()]
    };
    let mut a = Areas {
        header,
        footer,
        ..Areas::default()
    };
    if let Some(p) = zoom {
        match p {
            Pane::Steps => a.steps = body,
            Pane::Tree => a.tree = body,
            Pane::Waste => a.waste = body,
        }
        return a;
    }
    if body.width >= WIDE_MIN_WIDTH {
        let left_width = (body.width / 2).clamp(30, 100);
        let [left, right] =
            Layout::horizontal([Constraint::Length(left_width), Constraint::Fill(1)]).areas(body);
        let top = steps_h(left.height * 11 / 20);
        [a.steps, a.waste] =
            Layout::vertical([Constraint::Length(top), Constraint::Fill(1)]).areas(left);
        let details = (right.height * 3 / 10).clamp(3, 12);
        [a.tree, a.details] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(details)]).areas(right);
    } else if body.width >= TWO_COLUMNS_MIN_WIDTH {
        let top = steps_h((body.height * 7 / 20).max(5));
        let [top, rest] =
            Layout::vertical([Constraint::Length(top), Constraint::Fill(1)]).areas(body);
        a.steps = top;
        let [tree, right] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Fill(1)]).areas(rest);
        a.tree = tree;
        [a.waste, a.details] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Fill(1)]).areas(right);
    } else {
        [a.steps, a.tree, a.waste, a.details] = Layout::vertical([
            Constraint::Percentage(25),
            Constraint::Fill(1),
            Constraint::Percentage(20),
            Constraint::Percentage(15),
        ])
        .areas(body);
    }
    a
}

/// The inside of a bordered pane.
pub fn inner(r: Rect) -> Rect {
    Rect {
        x: r.x.saturating_add(1),
        y: r.y.saturating_add(1),
        width: r.width.saturating_sub(2),
        height: r.height.saturating_sub(2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_tile_the_screen_at_common_and_tiny_sizes() {
        for (w, h) in [(160, 48), (80, 24), (40, 12), (10, 3), (1, 1), (0, 0)] {
            let full = Rect::new(0, 0, w, h);
            let a = areas(full, None, 17);
            for r in [a.header, a.steps, a.tree, a.waste, a.details, a.footer] {
                assert!(full.union(r) == full || r.area() == 0, "{w}x{h}: {r:?}");
            }
        }
        let a = areas(Rect::new(0, 0, 80, 24), None, 17);
        assert_eq!(a.pane_at(a.tree.x + 1, a.tree.y + 1), Some(Pane::Tree));
        assert_eq!(a.pane_at(0, 0), None);
        let z = areas(Rect::new(0, 0, 80, 24), Some(Pane::Waste), 17);
        assert_eq!(z.waste.height, 22);
        assert_eq!(z.tree.area(), 0);
    }
}
