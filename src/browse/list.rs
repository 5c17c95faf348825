//! Selection and scrolling for a list of rows (the steps, waste and packages
//! panes, and the file tree's visible rows): the list's length is passed in,
//! so the rows themselves live elsewhere.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Several rows at once (the mouse wheel).
    By(isize),
}

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
        self.keep_visible(len);
    }

    pub fn select(&mut self, index: usize, len: usize) {
        self.selected = index;
        self.keep_visible(len);
    }

    /// Selects `index` with the viewport centred on it (after a jump, so the
    /// context shows).
    pub fn center_on(&mut self, index: usize, len: usize) {
        self.selected = index;
        self.offset = index.saturating_sub(self.height / 2);
        self.keep_visible(len);
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
        self.keep_visible(len);
    }

    /// The index range in the viewport.
    pub fn window(&self, len: usize) -> std::ops::Range<usize> {
        let start = self.offset.min(len);
        start..start.saturating_add(self.height).min(len)
    }

    /// Keeps the selection on the list and in the viewport, and the viewport
    /// on the list; called whenever the selection, the height or the
    /// length changed.
    pub fn keep_visible(&mut self, len: usize) {
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
        // No empty space below the last row while rows sit above the top.
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

    #[test]
    fn center_on_puts_the_selection_mid_viewport_within_the_list() {
        let mut n = ListNav::default();
        n.set_height(4, 10);
        n.center_on(5, 10);
        assert_eq!((n.selected(), n.offset()), (5, 3));
        n.center_on(9, 10);
        assert_eq!((n.selected(), n.offset()), (9, 6));
        n.center_on(1, 10);
        assert_eq!((n.selected(), n.offset()), (1, 0));
    }
}
