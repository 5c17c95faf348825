//! The file tree pane: the rows in view, each with its change symbol (and
//! color), a `!` on wasted paths, optional mode and owner, the name
//! indented by depth, and the size flush right.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Widget;

use crate::index::layer::EntryKind;

use crate::browse::model::Model;

use super::super::panes::files::FilesState;
use super::super::theme::Theme;
use super::{frame_pane, pad_left, row, selection_style};
use crate::browse::lens::{self, Mark, Mode, Sort};
use crate::browse::text;

pub struct TreePane<'a> {
    pub model: &'a Model,
    pub theme: &'a Theme,
    pub state: &'a FilesState,
    /// The selected step, for the title.
    pub step: Option<usize>,
    pub focused: bool,
    /// With `ballast diff`'s lens on: paths marked against OLD.
    pub diff: Option<&'a super::super::panes::diff::DiffState>,
}

const SIZE_W: usize = 9;

/// A row's fold marker: open, closed, or none for a leaf.
pub(super) fn fold_glyph(has_children: bool, expanded: bool) -> &'static str {
    match (has_children, expanded) {
        (false, _) => "  ",
        (true, true) => "▾ ",
        (true, false) => "▸ ",
    }
}
/// Attributes need this much room besides the names.
const ATTRS_MIN_WIDTH: usize = 56;
/// From this width mode and owner show without asking, as in dive.
const ATTRS_AUTO_WIDTH: usize = 76;

impl TreePane<'_> {
    /// Short by default ("Files · step 14"); each view or filter that is
    /// not the default adds a word, so the title says why rows are missing.
    fn title(&self) -> String {
        let s = &self.state.settings;
        let mut parts = vec![" Files".to_string()];
        if let Some(step) = self.step {
            parts.push(format!("step {step}"));
        }
        if let Some(p) = s.package.and_then(|p| self.model.packages().get(p)) {
            let mut what = format!("package {}", text::clean_str(&p.name));
            if !p.version.is_empty() {
                what.push(' ');
                what.push_str(&text::clean_str(&p.version));
            }
            parts.push(what);
        }
        if let Some(f) = &s.filter {
            parts.push(format!("/{}/", text::clean_str(&f.text)));
        }
        if s.wasted_only {
            parts.push("wasted only".into());
        }
        if let Some(min) = s.min_size {
            parts.push(format!("≥ {}", text::human(min)));
        }
        if s.mode == Mode::StepOnly {
            parts.push("changes only".into());
        }
        let h = s.hidden;
        for (on, word) in [
            (h.unmodified, "no unmodified"),
            (h.modified, "no modified"),
            (h.removed, "no removed"),
        ] {
            if on {
                parts.push(word.into());
            }
        }
        if s.sort == Sort::Name {
            parts.push("by name".into());
        }
        if let Some(d) = self.diff {
            parts.push(match d.lens.paths_note() {
                Some(_) => "paths not compared (baseline)".into(),
                None if d.lens.removed_paths() > 0 => {
                    format!("vs OLD, {} removed (a lists them)", d.lens.removed_paths())
                }
                None => "vs OLD".into(),
            });
        }
        format!("{} ", parts.join(" · "))
    }

    fn empty_hint(&self) -> String {
        let s = &self.state.settings;
        let (removed, modified) = s.hidden_here;
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        if s.layer.is_none() {
            "no files yet at this step".into()
        } else if s.mode == Mode::StepOnly && !s.own_layer {
            "this step made no layer: no changes".into()
        } else if s.mode == Mode::StepOnly && s.filter.is_none() && removed + modified > 0 {
            let mut parts = Vec::new();
            if removed > 0 {
                parts.push(format!(
                    "{removed} removed change{} hidden (r shows)",
                    plural(removed)
                ));
            }
            if modified > 0 {
                parts.push(format!(
                    "{modified} modified change{} hidden (m shows)",
                    plural(modified)
                ));
            }
            parts.join(", ")
        } else if s.min_size.is_some() && s.filter.is_none() {
            "no file that large at this step".into()
        } else if s.package.is_some() && s.filter.is_none() && !s.wasted_only {
            "none of the package's files is here".into()
        } else if s.filter.is_some() {
            "no path matches the filter".into()
        } else if s.wasted_only {
            "no wasted paths at this step".into()
        } else if s.mode == Mode::StepOnly {
            "this step changed no files".into()
        } else {
            "the image is empty at this step".into()
        }
    }
}

impl Widget for TreePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (theme, focused) = (self.theme, self.focused);
        let inner = frame_pane(area, buf, &self.title(), focused, theme);
        if inner.is_empty() {
            return;
        }
        let model = self.model;
        let tree = model.tree();
        let settings = &self.state.settings;
        let sizes = settings.sizes();
        let view = &self.state.tree;
        let width = usize::from(inner.width);
        let attrs = width >= ATTRS_MIN_WIDTH && (settings.attributes || width >= ATTRS_AUTO_WIDTH);
        if view.rows().is_empty() {
            row(
                buf,
                inner,
                inner.y,
                vec![Span::styled(
                    text::fit_end(&self.empty_hint(), width),
                    theme.dim,
                )],
                vec![],
                theme.text,
            );
            return;
        }
        let Some(layer) = settings.layer else {
            return;
        };
        for (line, r) in view.window().iter().enumerate() {
            let index = view.offset() + line;
            let y = inner
                .y
                .saturating_add(u16::try_from(line).unwrap_or(u16::MAX));
            let base = selection_style(theme, index == view.selected(), focused);
            let Some(at) = lens::node_at(model, r.node, layer) else {
                continue;
            };
            let mut mark_style = theme.mark(at.mark);
            let mut symbol = at.mark.symbol();
            // With the lens on, the mark and the size say how the path
            // stands against OLD.
            let against_old = self
                .diff
                .and_then(|d| super::diff::tree_mark(&d.lens, theme, r.node));
            if let Some((s, style, _)) = &against_old {
                (symbol, mark_style) = (*s, *style);
            } else if self.diff.is_some() && at.mark != Mark::Removed {
                // With the lens on, the marks are OLD's, not the step's.
                (symbol, mark_style) = (' ', theme.text);
            }
            let wasted = model.is_wasted(r.node);
            let mut left = vec![
                Span::styled(symbol.to_string(), mark_style),
                Span::styled(if wasted { "!" } else { " " }, theme.wasted),
                Span::raw(" "),
            ];
            let mut used = 3;
            if attrs {
                let (mode, owner) = match at.entry {
                    Some(e) => (
                        text::mode_string(e.kind, e.mode),
                        format!("{}:{}", e.uid, e.gid),
                    ),
                    None => ("d---------".to_string(), "-".to_string()),
                };
                let a = format!("{mode} {:<11} ", text::fit_end(&owner, 11));
                used += text::width(&a);
                left.push(Span::styled(a, theme.dim));
            }
            let size = if at.mark == Mark::Removed {
                at.entry.map(|e| e.size).filter(|&s| s > 0).map(text::human)
            } else {
                Some(text::human(
                    sizes.get(r.node as usize).copied().unwrap_or(0),
                ))
            };
            let diff_marked = against_old.is_some();
            let size = against_old.map(|(_, _, delta)| delta).or(size);
            let size = pad_left(&size.unwrap_or_default(), SIZE_W);
            let room = width.saturating_sub(used + SIZE_W + 1);
            // Deep paths keep a third of the room for the name.
            let indent = (r.depth as usize * 2).min(room / 3);
            let fold = fold_glyph(r.has_children, view.is_expanded(r.node));
            let mut name = text::clean(tree.name(r.node));
            let is_dir = at.is_dir();
            if is_dir {
                name.push('/');
            }
            let link = at
                .entry
                .filter(|e| e.kind == EntryKind::Symlink)
                .and_then(|e| {
                    let idx = model.layers().get(at.entry_layer)?;
                    Some(format!(" → {}", text::clean(idx.link(e))))
                });
            let name_room = room.saturating_sub(indent + 2);
            let name = text::fit_middle(&name, name_room);
            let name_style = match at.mark {
                Mark::Removed => theme.removed,
                Mark::Unmodified if is_dir => theme.dir,
                _ => mark_style.patch(if is_dir { theme.bold } else { theme.text }),
            };
            left.push(Span::raw(" ".repeat(indent)));
            left.push(Span::styled(fold, theme.dim));
            let link_room = name_room.saturating_sub(text::width(&name));
            left.push(Span::styled(name, name_style));
            if let Some(l) = link
                && link_room > 3
            {
                left.push(Span::styled(text::fit_middle(&l, link_room), theme.link));
            }
            let size_style = if diff_marked {
                mark_style
            } else if at.mark == Mark::Removed {
                theme.dim
            } else {
                theme.text
            };
            row(
                buf,
                inner,
                y,
                left,
                vec![Span::styled(size, size_style)],
                base,
            );
        }
    }
}
