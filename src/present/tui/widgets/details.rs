//! The details pane: everything about the focused pane's selection. For a
//! file: size, mode, owner, the step that wrote it, its history, other
//! paths with the same content, and the findings that name it. For a step:
//! its full instruction and changes. For a finding: its rule and fix. For
//! a package: manager, version, where it lives, its bytes and files, and
//! the step that installed it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::analyze::findings::Finding;
use crate::index::layer::EntryKind;
use crate::index::path;
use crate::index::tree::Change;

use super::super::layout::Pane;
use super::super::panes::waste::WasteRow;
use super::super::theme::Theme;
use super::{Props, frame_pane};
use crate::browse::lens::{self, Mode};
use crate::browse::text;

pub struct DetailsPane<'a> {
    pub props: &'a Props<'a>,
    /// Lines scrolled off the top (the details over the whole screen).
    pub scroll: usize,
    pub title: &'static str,
}

/// Other paths with the same content listed by name; the rest counted.
const SAME_CONTENT_SHOWN: usize = 2;
const HISTORY_SHOWN: usize = 6;

fn labeled<'a>(theme: &Theme, label: &'a str, value: String, style: Style) -> Line<'a> {
    Line::from(vec![
        Span::styled(label, theme.dim),
        Span::styled(value, style),
    ])
}

impl DetailsPane<'_> {
    fn step_lines(&self) -> Vec<Line<'static>> {
        let app = self.props;
        let t = app.theme;
        let model = app.model;
        let Some(step) = app
            .steps
            .selected()
            .and_then(|s| model.report().steps.get(s))
        else {
            return vec![Line::styled("no step selected", t.dim)];
        };
        let label = model
            .step_labels
            .get(step.index)
            .cloned()
            .unwrap_or_default();
        let mut lines = Vec::new();
        let head = match step.layer_index {
            Some(l) => format!(
                "Step {} · layer {l} · {}",
                step.index,
                text::human(step.size_bytes)
            ),
            None => format!("Step {} · made no layer", step.index),
        };
        lines.push(Line::styled(head, t.bold));
        lines.push(Line::styled(label.clone(), t.text));
        if let Some(at) = crate::present::text::dockerfile_at(step) {
            lines.push(labeled(t, "line    ", text::clean_str(&at), t.text));
        }
        if let Some(info) = step.layer_index.and_then(|l| model.report().layers.get(l)) {
            lines.push(Line::from(vec![
                Span::styled("changes ", t.dim),
                Span::styled(format!("+{} added", info.added), t.added),
                Span::raw(" · "),
                Span::styled(format!("~{} modified", info.modified), t.modified),
                Span::raw(" · "),
                Span::styled(format!("*{} metadata only", info.metadata_only), t.metadata),
                Span::raw(" · "),
                Span::styled(format!("-{} removed", info.removed), t.removed),
            ]));
        }
        let reclaim = model.step_reclaim.get(step.index).copied().unwrap_or(0);
        let count = model.step_findings.get(step.index).copied().unwrap_or(0);
        if count > 0 {
            lines.push(labeled(
                t,
                "waste   ",
                format!(
                    "{} reclaimable, {count} finding{} (see Waste & fixes)",
                    text::human(reclaim),
                    if count == 1 { "" } else { "s" }
                ),
                t.wasted,
            ));
        }
        // What dive's layer details show: the whole command and the
        // layer's identity (wrapped here; `d` shows them whole).
        let command = text::clean_str(&step.created_by);
        if !command.is_empty() && command != label {
            lines.push(labeled(t, "command ", command, t.text));
        }
        if let Some(info) = step.layer_index.and_then(|l| model.report().layers.get(l)) {
            for (name, value) in [("digest  ", &info.digest), ("diff_id ", &info.diff_id)] {
                if let Some(v) = value {
                    lines.push(labeled(t, name, text::clean_str(v), t.dim));
                }
            }
        }
        lines
    }

    fn file_lines(&self, width: usize) -> Vec<Line<'static>> {
        let app = self.props;
        let t = app.theme;
        let model = app.model;
        let tree = model.tree();
        let (Some(node), Some(layer)) = (app.files.tree.selected_node(), app.files.settings.layer)
        else {
            return vec![Line::styled("no file selected", t.dim)];
        };
        let Some(at) = lens::node_at(model, node, layer) else {
            return vec![Line::styled("not present at this step", t.dim)];
        };
        let mut lines = Vec::new();
        let full = path::display(&tree.path(node));
        let full = text::clean_str(&full);
        lines.push(Line::styled(text::fit_middle(&full, width), t.bold));
        let kind = match at.entry.map(|e| e.kind) {
            None | Some(EntryKind::Dir) => "directory",
            Some(EntryKind::File) => "file",
            Some(EntryKind::Symlink) => "symlink",
            Some(EntryKind::Hardlink) => "hard link",
            Some(_) => "special file",
        };
        let total = app
            .files
            .settings
            .total_sizes()
            .get(node as usize)
            .copied()
            .unwrap_or(0);
        let mut facts = vec![kind.to_string()];
        if at.mark == lens::Mark::Removed {
            facts.push(format!(
                "was {}",
                text::human(at.entry.map_or(0, |e| e.size))
            ));
        } else {
            facts.push(text::human(total));
        }
        if app.files.settings.mode == Mode::StepOnly && at.is_dir() {
            let own = app
                .files
                .settings
                .sizes()
                .get(node as usize)
                .copied()
                .unwrap_or(0);
            facts.push(format!("{} written by this step", text::human(own)));
        }
        if let Some(e) = at.entry {
            facts.push(text::mode_string(e.kind, e.mode));
            facts.push(format!("owner {}:{}", e.uid, e.gid));
        }
        lines.push(Line::styled(facts.join(" · "), t.text));
        if let Some(e) = at.entry
            && matches!(e.kind, EntryKind::Symlink | EntryKind::Hardlink)
            && let Some(idx) = model.layers().get(at.entry_layer)
        {
            lines.push(labeled(t, "target  ", text::clean(idx.link(e)), t.link));
        }
        let step_of = |l: u32| model.step_of_layer(l as usize);
        // A directory every layer lists again says nothing: name the step
        // that last really changed it.
        let v = tree
            .history(node)
            .skip_while(|h| h.layer > at.version.layer)
            .find(|h| h.change != Change::Unchanged)
            .unwrap_or(at.version);
        let by = match step_of(v.layer) {
            Some(s) => format!("step {s} (layer {})", v.layer),
            None => format!("layer {}", v.layer),
        };
        lines.push(labeled(
            t,
            "",
            format!("{} by {by}", change_word(v.change)),
            t.mark(at.mark),
        ));
        let mut history: Vec<String> = tree
            .history(node)
            .map(|h| {
                let who = step_of(h.layer)
                    .map_or_else(|| format!("layer {}", h.layer), |s| format!("step {s}"));
                format!("{who} {}", change_word(h.change))
            })
            .collect();
        history.reverse();
        if history.len() > 1 {
            let more = history.len().saturating_sub(HISTORY_SHOWN);
            let mut shown: Vec<String> = history.into_iter().take(HISTORY_SHOWN).collect();
            if more > 0 {
                shown.push(format!("+{more} more"));
            }
            lines.push(labeled(t, "history ", shown.join(" · "), t.text));
        }
        if let Some(e) = at.entry
            && e.kind == EntryKind::File
            && e.size > 0
        {
            let same: Vec<_> = model
                .same_content(e.hash, node)
                .take(SAME_CONTENT_SHOWN + 1)
                .collect();
            if !same.is_empty() {
                let names: Vec<String> = same
                    .iter()
                    .take(SAME_CONTENT_SHOWN)
                    .map(|&n| text::clean_str(&path::display(&tree.path(n))))
                    .collect();
                let total_same = model.same_content(e.hash, node).count();
                let mut s = names.join(", ");
                if total_same > SAME_CONTENT_SHOWN {
                    s.push_str(&format!(" (+{} more)", total_same - SAME_CONTENT_SHOWN));
                }
                lines.push(labeled(t, "same content ", s, t.wasted));
            }
        }
        for f in model.findings_of(node) {
            lines.push(Line::from(vec![
                Span::styled("flagged ", t.dim),
                Span::styled(rule_label(f), t.wasted),
                Span::styled(
                    f.step_index
                        .map(|s| format!(" step {s}"))
                        .unwrap_or_default(),
                    t.dim,
                ),
                Span::styled(format!(": {}", text::clean_str(&f.message)), t.text),
            ]));
        }
        lines
    }

    fn finding_lines(&self, f: &Finding) -> Vec<Line<'static>> {
        let t = self.props.theme;
        let mut head = format!(
            "{} · {}",
            rule_label(f),
            format!("{:?}", f.severity).to_lowercase()
        );
        if let Some(s) = f.step_index {
            head.push_str(&format!(" · step {s}"));
        }
        if f.bytes > 0 {
            head.push_str(&format!(" · {}", text::human(f.bytes)));
        }
        let mut lines = vec![
            Line::styled(head, t.wasted),
            Line::styled(text::clean_str(&f.message), t.text),
            labeled(t, "fix ", text::clean_str(&f.suggestion), t.bold),
        ];
        if let Some(p) = f.paths.first() {
            let more = if f.path_count > 1 {
                format!(" (+{} more)", f.path_count - 1)
            } else {
                String::new()
            };
            lines.push(labeled(
                t,
                "path ",
                format!("{}{more}", text::clean_str(&p.display())),
                t.text,
            ));
            lines.push(Line::styled("Enter jumps to it", t.dim));
        }
        lines
    }

    /// The hunks `ballast fix` would write for finding `index` (only when
    /// the run has a Dockerfile), and what it leaves to do by hand.
    fn fix_lines(&self, index: usize) -> Vec<Line<'static>> {
        let t = self.props.theme;
        let Some(fix) = self.props.model.fixes.of(index) else {
            return Vec::new();
        };
        let mut lines = Vec::new();
        for h in &fix.hunks {
            let line = match h.as_bytes().first() {
                // The hunk header names who would write it.
                Some(b'@') => Line::from(vec![
                    Span::styled(text::clean_str(h), t.dim),
                    Span::styled(" ballast fix", t.bold),
                ]),
                Some(b'+') => Line::styled(text::clean_str(h), t.added),
                Some(b'-') => Line::styled(text::clean_str(h), t.removed),
                _ => Line::styled(text::clean_str(h), t.text),
            };
            lines.push(line);
        }
        for m in &fix.manual {
            lines.push(labeled(t, "by hand ", text::clean_str(m), t.text));
        }
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        lines
    }

    fn package_lines(&self, width: usize) -> Vec<Line<'static>> {
        let app = self.props;
        let t = app.theme;
        let model = app.model;
        let Some(p) = app
            .packages
            .selected(model)
            .and_then(|i| model.packages().get(i))
        else {
            return vec![Line::styled(super::packages::NO_PACKAGES, t.dim)];
        };
        let mut head = text::clean_str(&p.name);
        if !p.version.is_empty() {
            head.push(' ');
            head.push_str(&text::clean_str(&p.version));
        }
        let files = format!(
            "{} file{}",
            p.file_count,
            if p.file_count == 1 { "" } else { "s" }
        );
        let mut facts = vec![p.manager.name().to_string(), text::human(p.bytes), files];
        if p.missing_count > 0 {
            facts.push(format!("{} listed but gone", p.missing_count));
        }
        let mut lines = vec![
            Line::styled(head, t.bold),
            Line::styled(facts.join(" · "), t.text),
        ];
        let installed = match (p.step_index, p.layer_index) {
            (Some(s), _) => {
                let label = model.step_labels.get(s).map_or("", String::as_str);
                format!("step {s}: {label}")
            }
            (None, Some(l)) => format!("layer {l}"),
            (None, None) => "unknown".to_string(),
        };
        lines.push(labeled(t, "installed by ", installed, t.text));
        let path = |b: &crate::analyze::report::PathBytes, room: usize| {
            text::fit_middle(&text::clean_str(&b.display()), room)
        };
        lines.push(labeled(
            t,
            "in      ",
            path(&p.location, width.saturating_sub(8)),
            t.text,
        ));
        lines.push(labeled(
            t,
            "record  ",
            path(&p.metadata, width.saturating_sub(8)),
            t.text,
        ));
        if app.files.settings.package == app.packages.selected(model) {
            lines.push(Line::styled(
                "its files are in the tree; Esc goes back",
                t.dim,
            ));
        } else if p.file_count > 0 {
            lines.push(Line::styled("Enter shows its files in the tree", t.dim));
        }
        lines
    }

    fn group_lines(&self, step: Option<usize>) -> Vec<Line<'static>> {
        let app = self.props;
        let t = app.theme;
        let model = app.model;
        let Some(s) = step else {
            return vec![Line::styled("findings not tied to one step", t.dim)];
        };
        let mut lines = vec![Line::styled(
            format!(
                "step {s} · saves {}",
                text::human(model.step_reclaim.get(s).copied().unwrap_or(0))
            ),
            t.wasted,
        )];
        lines.push(Line::styled(
            model.step_labels.get(s).cloned().unwrap_or_default(),
            t.text,
        ));
        for sg in model
            .report()
            .suggestions
            .iter()
            .filter(|sg| sg.step_index == s)
        {
            for fix in &sg.fixes {
                lines.push(Line::styled(format!("- {}", text::clean_str(fix)), t.bold));
            }
        }
        lines
    }
}

/// `[category] rule`, or `[category]` alone when the rule is named the same.
fn rule_label(f: &Finding) -> String {
    let category = text::clean_str(&f.category);
    if f.rule == f.category {
        format!("[{category}]")
    } else {
        format!("[{category}] {}", text::clean_str(&f.rule))
    }
}

fn change_word(c: Change) -> &'static str {
    match c {
        Change::Added => "added",
        Change::Modified => "modified",
        Change::MetadataOnly => "rewritten (metadata only)",
        Change::Unchanged => "listed again",
        Change::Removed => "removed",
    }
}

impl Widget for DetailsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.props;
        let inner = frame_pane(
            area,
            buf,
            self.title,
            self.scroll > 0 || self.title != " Details ",
            app.theme,
        );
        if inner.is_empty() {
            return;
        }
        let width = usize::from(inner.width);
        let diff = app.diff;
        let lines = match app.focus {
            Pane::Steps => {
                let mut lines = self.step_lines();
                if let (Some(d), Some(step)) = (diff, app.steps.selected()) {
                    let at = lines.len().min(2);
                    lines.splice(at..at, super::diff::step_lines(&d.lens, app.theme, step));
                }
                lines
            }
            Pane::Tree => match diff.filter(|d| d.shows_tree()) {
                Some(d) => super::diff::path_lines(d, app.theme, width),
                None => self.file_lines(width),
            },
            Pane::Waste => match app.waste.selected() {
                Some(WasteRow::Finding(i)) => match app.waste.selected_finding(app.model) {
                    Some(f) => {
                        // The planned edit right under the finding's message.
                        let mut lines = self.finding_lines(f);
                        let at = lines.len().min(2);
                        lines.splice(at..at, self.fix_lines(i));
                        lines
                    }
                    None => Vec::new(),
                },
                Some(WasteRow::Group { step, .. }) => self.group_lines(step),
                None => vec![Line::styled("No waste found.", app.theme.dim)],
            },
            Pane::Packages => self.package_lines(width),
        };
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(self.scroll).unwrap_or(u16::MAX), 0))
            .render(inner, buf);
    }
}
