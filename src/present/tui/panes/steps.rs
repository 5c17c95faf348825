//! The steps pane's state: which steps are listed (all, or only those that
//! made a layer) and which is selected.

use crate::browse::list::{ListNav, Move};
use crate::browse::model::Model;

pub struct StepsState {
    /// Step indices listed, in order.
    pub rows: Vec<usize>,
    pub nav: ListNav,
    /// Steps that made no layer are listed (dimmed).
    pub show_empty: bool,
    /// Steps inherited from the base image are folded into one row's worth
    /// of nothing (only when the report knows the base).
    pub hide_inherited: bool,
}

impl StepsState {
    /// Lists every step and selects the last that made a layer: the image
    /// as shipped.
    pub fn new(model: &Model) -> StepsState {
        let mut s = StepsState {
            rows: Vec::new(),
            nav: ListNav::default(),
            show_empty: true,
            hide_inherited: false,
        };
        s.rebuild(model);
        if let Some(step) = final_step(model) {
            s.select_step(model, step);
        }
        s
    }

    pub fn selected(&self) -> Option<usize> {
        self.rows.get(self.nav.selected()).copied()
    }

    pub fn rebuild(&mut self, model: &Model) {
        let steps = &model.report().steps;
        self.rows = (0..steps.len())
            .filter(|&i| self.show_empty || steps[i].layer_index.is_some())
            .filter(|&i| !(self.hide_inherited && model.is_inherited(i)))
            .collect();
        self.nav.select(self.nav.selected(), self.rows.len());
    }

    /// Selects a step's row, listing empty or inherited steps again if it
    /// is one of them. True when the list changed (its height may too).
    pub fn select_step(&mut self, model: &Model, step: usize) -> bool {
        let mut relisted = false;
        if !self.rows.contains(&step) {
            self.show_empty = true;
            self.hide_inherited = false;
            self.rebuild(model);
            relisted = true;
        }
        if let Some(pos) = self.rows.iter().position(|&s| s == step) {
            self.nav.select(pos, self.rows.len());
        }
        relisted
    }

    pub fn apply(&mut self, m: Move) {
        self.nav.apply(m, self.rows.len());
    }

    /// Flips a listing option, keeping the same step selected when it is
    /// still listed.
    pub fn relist(&mut self, model: &Model, flip: impl FnOnce(&mut StepsState)) {
        let keep = self.selected();
        flip(self);
        self.rebuild(model);
        if let Some(s) = keep
            && let Some(pos) = self.rows.iter().position(|&r| r == s)
        {
            self.nav.select(pos, self.rows.len());
        }
    }
}

/// The last step that made a layer: the image as shipped.
pub fn final_step(model: &Model) -> Option<usize> {
    (0..model.step_count())
        .rev()
        .find(|&s| model.report().steps[s].layer_index.is_some())
}
