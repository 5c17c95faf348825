//! The packages pane: every package the image's package managers recorded,
//! with its size in the final image, manager, name, version and the step
//! that installed it; largest first, or by name or manager. The title
//! carries what no package owns. Enter shows a package's files in the tree.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Widget;

use crate::browse::model::{Model, PackageSort};

use super::super::panes::packages::PackagesState;
use super::super::theme::Theme;
use super::{frame_pane, pad_left, row, selection_style};
use crate::browse::text;

pub struct PackagesPane<'a> {
    pub model: &'a Model,
    pub theme: &'a Theme,
    pub state: &'a PackagesState,
    pub focused: bool,
    /// The package whose files the tree shows.
    pub shown: Option<usize>,
}

const SIZE_W: usize = 9;
/// The longest manager name (`conda`, `dpkg`).
const MANAGER_W: usize = 5;
/// The step column shows from this width.
const STEP_MIN_WIDTH: usize = 40;

/// Said in the pane (and the details) when the image has none.
pub const NO_PACKAGES: &str = "No packages found.";

impl PackagesPane<'_> {
    /// The count, what no package owns and a sort other than by size; when
    /// the title is short the parentheses go, then what no package owns
    /// (the sort explains the order, so it stays).
    fn title(&self, width: usize) -> String {
        let section = &self.model.report().packages;
        let n = section.list.len();
        if n == 0 {
            return " Packages ".into();
        }
        let counts = [format!("Packages ({n})"), format!("Packages {n}")];
        let unowned = format!("{} unowned", text::human(section.unowned_bytes));
        let sort = self.state.sort;
        let sort = (sort != PackageSort::Size).then(|| sort.word());
        let mut wordings: Vec<Vec<&str>> = Vec::new();
        for c in &counts {
            wordings.push([c.as_str(), &unowned].into_iter().chain(sort).collect());
        }
        for c in &counts {
            wordings.push(std::iter::once(c.as_str()).chain(sort).collect());
        }
        wordings
            .iter()
            .map(|w| format!(" {} ", w.join(" · ")))
            .find(|t| text::width(t) <= width)
            .unwrap_or_else(|| format!(" Packages {n} "))
    }
}

impl Widget for PackagesPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (theme, focused) = (self.theme, self.focused);
        let title = self.title(usize::from(area.width.saturating_sub(2)));
        let inner = frame_pane(area, buf, &title, focused, theme);
        if inner.is_empty() {
            return;
        }
        let model = self.model;
        let list = model.packages();
        if list.is_empty() {
            row(
                buf,
                inner,
                inner.y,
                vec![Span::styled(NO_PACKAGES, theme.dim)],
                vec![],
                theme.text,
            );
            return;
        }
        let width = usize::from(inner.width);
        let rows = self.state.rows(model);
        let nav = &self.state.nav;
        let shown = self.shown;
        let step_w = if width >= STEP_MIN_WIDTH {
            let last = model.step_count().saturating_sub(1);
            " step ".len() + last.to_string().len()
        } else {
            0
        };
        for (line, i) in nav.window(rows.len()).enumerate() {
            let Some(p) = rows.get(i).and_then(|&r| list.get(r)) else {
                continue;
            };
            let y = inner
                .y
                .saturating_add(u16::try_from(line).unwrap_or(u16::MAX));
            let base = selection_style(theme, i == nav.selected(), focused);
            let head = format!("{} ", pad_left(&text::human(p.bytes), SIZE_W));
            let manager = format!("{:<MANAGER_W$} ", p.manager.name());
            let room = width.saturating_sub(text::width(&head) + text::width(&manager) + step_w);
            let name = text::fit_middle(&text::clean_str(&p.name), room);
            let version_room = room.saturating_sub(text::width(&name) + 1);
            let version = text::clean_str(&p.version);
            let version = if version.is_empty() || version_room < 3 {
                String::new()
            } else {
                format!(" {}", text::fit_end(&version, version_room))
            };
            // One package in two environments: say which this is.
            let where_room = version_room.saturating_sub(text::width(&version) + 3);
            let location = match rows.get(i) {
                Some(&r) if model.package_has_twin(r) && where_room >= 8 => format!(
                    " in {}",
                    text::fit_middle(&text::clean_str(&p.location.display()), where_room)
                ),
                _ => String::new(),
            };
            // The package the tree shows stands out.
            let name_style = if shown == rows.get(i).copied() {
                theme.bold
            } else {
                theme.text
            };
            let right = match p.step_index {
                Some(s) if step_w > 0 => vec![Span::styled(format!(" step {s}"), theme.dim)],
                _ => vec![],
            };
            row(
                buf,
                inner,
                y,
                vec![
                    Span::styled(head, theme.text),
                    Span::styled(manager, theme.dim),
                    Span::styled(name, name_style),
                    Span::styled(version, theme.dim),
                    Span::styled(location, theme.dim),
                ],
                right,
                base,
            );
        }
    }
}
