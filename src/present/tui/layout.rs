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
    Packages,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Steps, Pane::Tree, Pane::Waste, Pane::Packages];

    pub fn next(self) -> Pane {
        match self {
            Pane::Steps => Pane::Tree,
            Pane::Tree => Pane::Waste,
            Pane::Waste => Pane::Packages,
            Pane::Packages => Pane::Steps,
        }
    }

    pub fn prev(self) -> Pane {
        match self {
            Pane::Steps => Pane::Packages,
            Pane::Tree => Pane::Steps,
            Pane::Waste => Pane::Tree,
            Pane::Packages => Pane::Waste,
        }
    }
}

/// What the layout depends on besides the screen size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Content {
    /// The pane that fills the screen, if any.
    pub zoom: Option<Pane>,
    /// Step rows: the steps pane shrinks to them.
    pub steps: usize,
    /// Package rows: the packages pane shrinks to them when stacked.
    pub packages: usize,
    /// Where waste and packages share one area (short screens), the one
    /// shown: [`Pane::Packages`], or else the waste.
    pub tab: Pane,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub steps: Rect,
    pub tree: Rect,
    pub waste: Rect,
    pub packages: Rect,
    pub details: Rect,
    pub footer: Rect,
}

impl Areas {
    pub fn of(&self, pane: Pane) -> Rect {
        match pane {
            Pane::Steps => self.steps,
            Pane::Tree => self.tree,
            Pane::Waste => self.waste,
            Pane::Packages => self.packages,
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
/// From this height the waste and packages panes are stacked; below it
/// they share one area, showing whichever had focus last.
const STACK_MIN_HEIGHT: u16 = 12;

/// The panes for a screen; the step rows let the steps pane shrink to its
/// content and leave the rest to the findings.
pub fn areas(full: Rect, content: &Content) -> Areas {
    let zoom = content.zoom;
    let steps_h = |cap: u16| {
        let wanted = u16::try_from(content.steps.saturating_add(2)).unwrap_or(u16::MAX);
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
            Pane::Packages => a.packages = body,
        }
        return a;
    }
    if body.width >= WIDE_MIN_WIDTH {
        let left_width = (body.width / 2).clamp(30, 100);
        let [left, right] =
            Layout::horizontal([Constraint::Length(left_width), Constraint::Fill(1)]).areas(body);
        let top = steps_h(left.height * 11 / 20);
        let [steps, lower] =
            Layout::vertical([Constraint::Length(top), Constraint::Fill(1)]).areas(left);
        a.steps = steps;
        waste_and_packages(&mut a, lower, content);
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
        let [lower, details] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Fill(1)]).areas(right);
        a.details = details;
        waste_and_packages(&mut a, lower, content);
    } else {
        let lower;
        [a.steps, a.tree, lower, a.details] = Layout::vertical([
            Constraint::Percentage(25),
            Constraint::Fill(1),
            Constraint::Percentage(20),
            Constraint::Percentage(15),
        ])
        .areas(body);
        waste_and_packages(&mut a, lower, content);
    }
    a
}

/// Waste above packages when `area` is tall enough, the packages pane no
/// taller than its rows (and at most half); else one of them, as a tab.
fn waste_and_packages(a: &mut Areas, area: Rect, content: &Content) {
    if area.height >= STACK_MIN_HEIGHT {
        let wanted = u16::try_from(content.packages.saturating_add(2)).unwrap_or(u16::MAX);
        let h = wanted.clamp(3, area.height / 2);
        [a.waste, a.packages] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(h)]).areas(area);
    } else if content.tab == Pane::Packages {
        a.packages = area;
    } else {
        a.waste = area;
    }
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

    fn content(zoom: Option<Pane>, tab: Pane) -> Content {
        Content {
            zoom,
            steps: 17,
            packages: 14,
            tab,
        }
    }

    #[test]
    fn panes_tile_the_screen_at_common_and_tiny_sizes() {
        for (w, h) in [(160, 48), (80, 24), (40, 12), (10, 3), (1, 1), (0, 0)] {
            for tab in [Pane::Waste, Pane::Packages] {
                let full = Rect::new(0, 0, w, h);
                let a = areas(full, &content(None, tab));
                let all = [
                    a.header, a.steps, a.tree, a.waste, a.packages, a.details, a.footer,
                ];
                for (i, r) in all.iter().enumerate() {
                    assert!(full.union(*r) == full || r.area() == 0, "{w}x{h}: {r:?}");
                    for o in &all[i + 1..] {
                        assert!(r.intersection(*o).area() == 0, "{w}x{h}: {r:?} {o:?}");
                    }
                }
            }
        }
        let a = areas(Rect::new(0, 0, 80, 24), &content(None, Pane::Waste));
        assert_eq!(a.pane_at(a.tree.x + 1, a.tree.y + 1), Some(Pane::Tree));
        assert_eq!(a.pane_at(0, 0), None);
        let z = areas(
            Rect::new(0, 0, 80, 24),
            &content(Some(Pane::Waste), Pane::Waste),
        );
        assert_eq!(z.waste.height, 22);
        assert_eq!(z.tree.area(), 0);
        let z = areas(
            Rect::new(0, 0, 80, 24),
            &content(Some(Pane::Packages), Pane::Waste),
        );
        assert_eq!((z.packages.height, z.waste.area()), (22, 0));
    }

    #[test]
    fn waste_and_packages_stack_when_tall_and_take_turns_when_short() {
        let big = areas(Rect::new(0, 0, 160, 48), &content(None, Pane::Waste));
        assert!(big.waste.height >= 5 && big.packages.height >= 5, "{big:?}");
        assert_eq!(big.packages.y, big.waste.bottom());
        let few = Content {
            packages: 0,
            ..content(None, Pane::Waste)
        };
        assert_eq!(areas(Rect::new(0, 0, 160, 48), &few).packages.height, 3);
        let small = areas(Rect::new(0, 0, 80, 24), &content(None, Pane::Waste));
        assert!(small.waste.area() > 0 && small.packages.area() == 0);
        let small = areas(Rect::new(0, 0, 80, 24), &content(None, Pane::Packages));
        assert!(small.packages.area() > 0 && small.waste.area() == 0);
    }
}
