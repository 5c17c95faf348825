//! The diff lens drawn: the changed-paths tree (what NEW added, grew,
//! shrank or removed against OLD), the header's summary (size change, pull
//! cost, first rebuilt step), and the details lines for a step and a
//! changed path. The other panes ask here for their marks.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::analyze::diff_report::{PathStatus, StepStatus};
use crate::browse::diff_lens::{self, DiffLens, PathDiff};
use crate::browse::text;
use crate::present::diff_text::{path_status, signed, step_status};

use super::super::panes::diff::DiffState;
use super::super::theme::Theme;
use super::{frame_pane, pad_left, row, selection_style};

const DELTA_W: usize = 10;
const SIZE_W: usize = 9;

/// The style of a path change (the tree's own colours: added green,
/// removed red, otherwise modified yellow).
pub fn path_style(theme: &Theme, s: PathStatus) -> Style {
    match s {
        PathStatus::Added => theme.added,
        PathStatus::Removed => theme.removed,
        PathStatus::Grown | PathStatus::Shrunk | PathStatus::Modified => theme.modified,
    }
}

pub fn step_style(theme: &Theme, s: StepStatus) -> Style {
    match s {
        StepStatus::Same => theme.dim,
        StepStatus::Changed => theme.modified,
        StepStatus::Added => theme.added,
        StepStatus::Removed => theme.removed,
        StepStatus::Moved => theme.metadata,
    }
}

/// The changed paths alone, as a tree: mark, name, change, size in NEW.
pub struct DiffTreePane<'a> {
    pub theme: &'a Theme,
    pub state: &'a DiffState,
    pub focused: bool,
}

impl Widget for DiffTreePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (theme, focused) = (self.theme, self.focused);
        let lens = &self.state.lens;
        let tree = &lens.tree;
        let files = tree.node(0).map_or(0, |n| n.files);
        let title = format!(" Files · changed vs OLD · {files} paths ");
        let inner = frame_pane(area, buf, &title, focused, theme);
        if inner.is_empty() {
            return;
        }
        let width = usize::from(inner.width);
        let view = &self.state.tree;
        if view.rows().is_empty() {
            let hint = lens
                .paths_note()
                .map_or("no path changed against OLD", |n| n)
                .to_string();
            row(
                buf,
                inner,
                inner.y,
                vec![Span::styled(text::fit_end(&hint, width), theme.dim)],
                vec![],
                theme.text,
            );
            return;
        }
        for (line, r) in view.window().iter().enumerate() {
            let Some(n) = tree.node(r.node) else { continue };
            let index = view.offset() + line;
            let y = inner
                .y
                .saturating_add(u16::try_from(line).unwrap_or(u16::MAX));
            let base = selection_style(theme, index == view.selected(), focused);
            let style = path_style(theme, n.diff.status);
            let delta = pad_left(&signed(n.diff.delta), DELTA_W);
            let size = match n.diff.status {
                PathStatus::Removed => "-".to_string(),
                _ => text::human(n.diff.new_bytes),
            };
            let size = pad_left(&size, SIZE_W);
            let room = width.saturating_sub(3 + DELTA_W + SIZE_W + 2);
            let indent = (r.depth as usize * 2).min(room / 3);
            let fold = super::tree::fold_glyph(r.has_children, view.is_expanded(r.node));
            let mut name = text::clean(&n.name);
            if n.is_dir {
                name.push('/');
            }
            let name = text::fit_middle(&name, room.saturating_sub(indent + 2));
            let name_style = if n.is_dir {
                style.patch(theme.bold)
            } else {
                style
            };
            row(
                buf,
                inner,
                y,
                vec![
                    Span::styled(format!("{} ", n.diff.symbol()), style),
                    Span::raw(" "),
                    Span::raw(" ".repeat(indent)),
                    Span::styled(fold, theme.dim),
                    Span::styled(name, name_style),
                ],
                vec![
                    Span::styled(delta, style),
                    Span::raw(" "),
                    Span::styled(size, theme.text),
                ],
                base,
            );
        }
    }
}

/// The header line with the lens on: OLD → NEW, size change, pull cost and
/// where the rebuild starts; figures drop from the right when short.
pub fn header_spans<'a>(
    lens: &DiffLens,
    theme: &Theme,
    title: &str,
    width: usize,
) -> Vec<Span<'a>> {
    let d = &lens.report;
    let pct = d
        .size
        .delta_ratio
        .map_or_else(String::new, |r| format!(" ({:+.1} %)", r * 100.0));
    let figures = [
        format!("{}{pct}", signed(d.size.delta_bytes)),
        format!(
            "pull {} in {} layer{}",
            text::human(d.pull.download_bytes),
            d.pull.download_layers,
            if d.pull.download_layers == 1 { "" } else { "s" }
        ),
        d.pull.rebuilt_from.as_ref().map_or_else(
            || "no layer rebuilt".to_string(),
            |r| format!("rebuilt from step {}", r.step_index),
        ),
        if d.budget.checks.is_empty() {
            String::new()
        } else if d.budget.passed {
            "budget ok".to_string()
        } else {
            "over budget".to_string()
        },
    ];
    let brand = " ballast diff ";
    let sep = " │ ";
    let name = format!("{} → {}", text::clean_str(&short(&d.old.name)), title);
    let name_min = text::width(&name).min(24);
    let mut shown: Vec<&String> = figures.iter().filter(|f| !f.is_empty()).collect();
    let cells = |shown: &[&String]| {
        text::width(brand)
            + 1
            + shown
                .iter()
                .map(|s| text::width(s) + text::width(sep))
                .sum::<usize>()
    };
    while !shown.is_empty() && cells(&shown) + name_min > width {
        shown.pop();
    }
    let room = width.saturating_sub(cells(&shown));
    let mut spans = vec![
        Span::styled(brand, theme.brand),
        Span::raw(" "),
        Span::styled(text::fit_middle(&name, room), theme.header),
    ];
    for (i, s) in shown.into_iter().enumerate() {
        spans.push(Span::styled(sep, theme.dim));
        let alarm = (i == 0 && d.size.delta_bytes > 0)
            || (i == 3 && !d.budget.passed && !d.budget.checks.is_empty());
        spans.push(Span::styled(
            s.clone(),
            if alarm { theme.wasted } else { theme.text },
        ));
    }
    spans
}

/// A name without the default registry's prefix.
fn short(name: &str) -> String {
    ["docker.io/library/", "docker.io/", "localhost/"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name)
        .to_string()
}

/// The steps pane's title words: what changed against OLD.
pub fn steps_title(lens: &DiffLens) -> String {
    let (changed, added, moved, removed) = lens.step_counts();
    let mut parts = Vec::new();
    for (n, word) in [
        (changed, "changed"),
        (added, "added"),
        (moved, "moved"),
        (removed, "removed"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    if parts.is_empty() {
        "same as OLD".into()
    } else {
        format!("vs OLD: {}", parts.join(", "))
    }
}

/// The details of a step with the lens on: how it stands against OLD, and
/// OLD's steps NEW no longer has.
pub fn step_lines(lens: &DiffLens, theme: &Theme, step: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(c) = lens.step_change(step) {
        let mut head = format!("vs OLD: {}", step_status(c.status));
        if let Some(o) = c.old_index
            && c.status != StepStatus::Same
        {
            head.push_str(&format!(" (OLD step {o})"));
        }
        let sizes = match (c.old_size_bytes, c.new_size_bytes) {
            _ if c.status == StepStatus::Same => String::new(),
            (Some(o), Some(n)) => format!(
                " · {} → {} ({})",
                text::human(o),
                text::human(n),
                signed(c.delta_bytes)
            ),
            (None, Some(n)) => format!(" · {} new", text::human(n)),
            _ => String::new(),
        };
        head.push_str(&sizes);
        if c.layer_reused {
            head.push_str(" · layer reused, nothing to pull");
        }
        lines.push(Line::styled(head, step_style(theme, c.status)));
        if let Some(was) = &c.old_instruction {
            lines.push(Line::from(vec![
                Span::styled("was     ", theme.dim),
                Span::styled(text::clean_str(was), theme.text),
            ]));
        }
    }
    let removed: Vec<_> = lens.removed_steps().collect();
    if !removed.is_empty() {
        lines.push(Line::styled(
            format!(
                "OLD's step{} NEW no longer has:",
                if removed.len() == 1 { "" } else { "s" }
            ),
            theme.dim,
        ));
        for r in removed {
            lines.push(Line::styled(
                format!(
                    "- step {} {} ({})",
                    r.old_index.map_or_else(String::new, |i| i.to_string()),
                    text::clean_str(&r.instruction),
                    signed(r.delta_bytes)
                ),
                theme.removed,
            ));
        }
    }
    if let Some(note) = lens.paths_note() {
        lines.push(Line::styled(text::clean_str(note), theme.dim));
    }
    if !lines.is_empty() {
        lines.push(Line::default());
    }
    lines
}

/// The details of the selected changed path.
pub fn path_lines(state: &DiffState, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let tree = &state.lens.tree;
    let Some(node) = state.tree.selected_node() else {
        let note = state
            .lens
            .paths_note()
            .unwrap_or("no path changed against OLD");
        return vec![Line::styled(note.to_string(), theme.dim)];
    };
    let Some(n) = tree.node(node) else {
        return Vec::new();
    };
    let mut full = String::from("/");
    full.push_str(&text::clean(&tree.path(node)));
    let mut lines = vec![Line::styled(text::fit_middle(&full, width), theme.bold)];
    let what = if n.is_dir {
        format!(
            "directory · {} changed file{}",
            n.files,
            if n.files == 1 { "" } else { "s" }
        )
    } else {
        path_status(n.diff.status).to_string()
    };
    lines.push(Line::styled(what, path_style(theme, n.diff.status)));
    lines.push(Line::from(vec![
        Span::styled("OLD ", theme.dim),
        Span::styled(describe_side(n.diff, false), theme.text),
        Span::styled(" → NEW ", theme.dim),
        Span::styled(describe_side(n.diff, true), theme.text),
        Span::styled(
            format!("  ({})", signed(n.diff.delta)),
            path_style(theme, n.diff.status),
        ),
    ]));
    lines
}

fn describe_side(d: PathDiff, new: bool) -> String {
    let absent = if new {
        d.status == PathStatus::Removed
    } else {
        d.status == PathStatus::Added
    };
    if absent {
        "absent".into()
    } else {
        text::human(if new { d.new_bytes } else { d.old_bytes })
    }
}

/// The tree pane's mark for a node of NEW with the lens on: the change's
/// symbol and style, and the byte change for the size column.
pub fn tree_mark(lens: &DiffLens, theme: &Theme, node: u32) -> Option<(char, Style, String)> {
    let d = lens.mark(node)?;
    Some((
        diff_lens::symbol(d.status),
        path_style(theme, d.status),
        signed(d.delta),
    ))
}
