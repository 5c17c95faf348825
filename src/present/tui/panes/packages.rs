//! The packages pane's state: the order, the selection, and which
//! package's files the tree shows (with the view to go back to).

use crate::browse::list::{ListNav, Move};
use crate::browse::model::{Model, PackageSort};

pub struct PackagesState {
    pub sort: PackageSort,
    pub nav: ListNav,
}

impl Default for PackagesState {
    fn default() -> PackagesState {
        PackagesState {
            sort: PackageSort::Size,
            nav: ListNav::default(),
        }
    }
}

impl PackagesState {
    /// The rows: package indices in the current order.
    pub fn rows<'m>(&self, model: &'m Model) -> &'m [usize] {
        model.package_order(self.sort)
    }

    pub fn selected(&self, model: &Model) -> Option<usize> {
        self.rows(model).get(self.nav.selected()).copied()
    }

    pub fn apply(&mut self, model: &Model, m: Move) {
        self.nav.apply(m, model.packages().len());
    }

    /// The next order; the selection stays on the same package.
    pub fn cycle_sort(&mut self, model: &Model) {
        let keep = self.selected(model);
        self.sort = self.sort.next();
        let rows = model.package_order(self.sort);
        if let Some(pos) = keep.and_then(|p| rows.iter().position(|&r| r == p)) {
            self.nav.select(pos, rows.len());
        }
    }
}
