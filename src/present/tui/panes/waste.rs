//! The waste pane's state: findings grouped under the step that caused
//! them, the steps with the most to reclaim first, and the selection.

use crate::analyze::findings::Finding;
use crate::browse::list::{ListNav, Move};
use crate::browse::model::Model;

/// A row of the waste pane: a step's heading, or one finding under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasteRow {
    Group {
        step: Option<usize>,
        bytes: u64,
        count: usize,
    },
    Finding(usize),
}

pub struct WasteState {
    pub rows: Vec<WasteRow>,
    pub nav: ListNav,
}

impl WasteState {
    pub fn new(model: &Model) -> WasteState {
        WasteState {
            rows: waste_rows(model),
            nav: ListNav::default(),
        }
    }

    pub fn selected(&self) -> Option<WasteRow> {
        self.rows.get(self.nav.selected()).copied()
    }

    pub fn selected_finding<'m>(&self, model: &'m Model) -> Option<&'m Finding> {
        match self.selected()? {
            WasteRow::Finding(i) => model.report().findings.get(i),
            WasteRow::Group { .. } => None,
        }
    }

    pub fn apply(&mut self, m: Move) {
        self.nav.apply(m, self.rows.len());
    }
}

/// Findings grouped by step, the steps with the most to reclaim first; the
/// findings with no step last.
fn waste_rows(model: &Model) -> Vec<WasteRow> {
    let findings = &model.report().findings;
    let mut groups: Vec<(Option<usize>, Vec<usize>)> = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        match groups.iter_mut().find(|(s, _)| *s == f.step_index) {
            Some((_, v)) => v.push(i),
            None => groups.push((f.step_index, vec![i])),
        }
    }
    let reclaim = |s: Option<usize>| {
        s.and_then(|s| model.step_reclaim.get(s).copied())
            .unwrap_or(0)
    };
    groups.sort_by(|a, b| {
        a.0.is_none()
            .cmp(&b.0.is_none())
            .then(reclaim(b.0).cmp(&reclaim(a.0)))
            .then(a.0.cmp(&b.0))
    });
    let mut rows = Vec::with_capacity(findings.len() + groups.len());
    for (step, items) in groups {
        let bytes = match step {
            Some(_) => reclaim(step),
            None => items.iter().map(|&i| findings[i].bytes).sum(),
        };
        rows.push(WasteRow::Group {
            step,
            bytes,
            count: items.len(),
        });
        rows.extend(items.into_iter().map(WasteRow::Finding));
    }
    rows
}
