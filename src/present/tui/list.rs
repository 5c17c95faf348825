//! Selection and scrolling for a flat list (the steps and waste panes): the
//! list's length is passed in, so the rows themselves live elsewhere.

use super::tree_view::Move;

#[derive(Clone, Copy, Debug, Default)]
pub struct ListNav {
    selected: usize,
    offset: usize,
    height: usize,
}

impl ListNav {
    pub fn selected(&self) -> usize {
        self.selected
    }

    pub fn offset(&self) -> usize {
        self.offset
    }

    pub fn set_height(&mut self, height: usize, len: usize) {
        self.height = height;
        self.fix(len);
    }

    pub fn select(&mut self, index: usize, len: usize) {
        self.selected = index;
        self.fix(len);
    }

    pub fn apply(&mut self, m: Move, len: usize) {
        let last = len.saturating_sub(1);
        let page = self.height.saturating_sub(1).max(1);
        self.selected = match m {
            Move::Up => self.selected.saturating_sub(1),
            Move::Down => self.selected.saturating_add(1).min(last),
            Move::PageUp => self.selected.saturating_sub(page),
            Move::PageDown => self.selected.saturating_add(page).min(last),
            Move::Top => 0,
            Move::Bottom => last,
            Move::By(d) => self.selected.saturating_add_signed(d).min(last),
        };
        self.fix(len);
    }

    /// The index range in the viewport.
    pub fn window(&self, len: usize) -> std::ops::Range<usize> {
        let start = self.offset.min(len);
        start..start.saturating_add(self.height).min(len)
    }

    fn fix(&mut self, len: usize) {
        if len == 0 {
            self.selected = 0;
            self.offset = 0;
            return;
        }
        self.selected = self.selected.min(len - 1);
        if self.height == 0 {
            self.offset = self.selected;
            return;
        }
        if self.selected < self.offset {
            self.offset = self.selected;
        }
        if self.selected >= self.offset + self.height {
            self.offset = self.selected + 1 - self.height;
        }
        self.offset = self.offset.min(len.saturating_sub(self.height));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_clamp_and_scroll() {
        let mut n = ListNav::default();
        n.set_height(3, 10);
        n.apply(Move::Bottom, 10);
        assert_eq!((n.selected(), n.offset()), (9, 7));
        n.apply(Move::PageUp, 10);
        assert_eq!(n.selected(), 7);
        n.apply(Move::By(-100), 10);
        assert_eq!((n.selected(), n.offset()), (0, 0));
        assert_eq!(n.window(10), 0..3);
        n.apply(Move::Down, 0);
        assert_eq!((n.selected(), n.window(0)), (0, 0..0));
    }
}
