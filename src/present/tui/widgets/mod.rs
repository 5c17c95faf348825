//! Drawing: one widget per pane, each made fresh per frame from [`Props`],
//! which borrows every pane's state (never the [`super::app::App`] itself);
//! a pane's widget gets only its own state. Widgets only read state, touch
//! only the rows in view, and render into any area, down to 0×0, without
//! panicking.

mod details;
mod diff;
mod footer;
mod header;
mod help;
mod loading;
mod overlay;
mod packages;
mod steps;
mod tree;
mod waste;

pub use details::DetailsPane;
pub use diff::DiffTreePane;
pub use footer::Footer;
pub use header::Header;
pub use help::HelpOverlay;
pub use loading::LoadingView;
pub use overlay::TextOverlay;
pub use packages::PackagesPane;
pub use steps::StepsPane;
pub use tree::TreePane;
pub use waste::WastePane;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Widget};

use super::app::{FilterInput, TextView};
use super::keys::KeyMap;
use super::layout::{self, Content, Pane};
use super::panes::diff::DiffState;
use super::panes::files::FilesState;
use super::panes::packages::PackagesState;
use super::panes::steps::StepsState;
use super::panes::waste::WasteState;
use super::theme::Theme;
use crate::browse::model::Model;
use crate::browse::text;

/// What one frame draws from: the model and each pane's state, borrowed
/// (see [`super::app::App::props`]).
pub struct Props<'a> {
    pub model: &'a Model,
    pub theme: &'a Theme,
    pub focus: Pane,
    pub content: Content,
    pub steps: &'a StepsState,
    pub files: &'a FilesState,
    pub waste: &'a WasteState,
    pub packages: &'a PackagesState,
    pub can_go_back: bool,
    /// The line being typed at the bottom.
    pub input: Option<&'a FilterInput>,
    /// The help overlay's scroll, when it is open.
    pub help: Option<usize>,
    /// The details over the whole screen, and their scroll.
    pub details: Option<usize>,
    /// A file's text over the panes.
    pub view: Option<&'a TextView>,
    pub keymap: &'a KeyMap,
    pub message: Option<&'a str>,
    /// `ballast diff`'s lens, when it is on.
    pub diff: Option<&'a DiffState>,
}

impl<'a> Props<'a> {
    pub fn header(&self) -> Header<'a> {
        Header {
            model: self.model,
            theme: self.theme,
            diff: self.diff,
        }
    }
    pub fn steps_pane(&self) -> StepsPane<'a> {
        StepsPane {
            model: self.model,
            theme: self.theme,
            state: self.steps,
            focused: self.focus == Pane::Steps,
            diff: self.diff,
        }
    }
    pub fn tree_pane(&self) -> TreePane<'a> {
        TreePane {
            model: self.model,
            theme: self.theme,
            state: self.files,
            step: self.steps.selected(),
            focused: self.focus == Pane::Tree,
            diff: self.diff,
        }
    }
    pub fn waste_pane(&self) -> WastePane<'a> {
        WastePane {
            model: self.model,
            theme: self.theme,
            state: self.waste,
            focused: self.focus == Pane::Waste,
        }
    }
    pub fn packages_pane(&self) -> PackagesPane<'a> {
        PackagesPane {
            model: self.model,
            theme: self.theme,
            state: self.packages,
            focused: self.focus == Pane::Packages,
            shown: self.files.settings.package,
        }
    }
    pub fn details_pane(&self) -> DetailsPane<'_> {
        DetailsPane {
            props: self,
            scroll: 0,
            title: " Details ",
        }
    }
    pub fn footer(&self) -> Footer<'a> {
        Footer {
            theme: self.theme,
            focus: self.focus,
            can_go_back: self.can_go_back,
            input: self.input,
            settings: &self.files.settings,
            keymap: self.keymap,
            message: self.message,
        }
    }
    pub fn help_overlay(&self, scroll: usize) -> HelpOverlay<'a> {
        HelpOverlay {
            theme: self.theme,
            keys: self.keymap,
            scroll,
        }
    }
}

/// Draws the whole screen for the current state.
pub fn draw(frame: &mut Frame<'_>, props: &Props<'_>) {
    let area = frame.area();
    render_app(props, area, frame.buffer_mut());
}

/// [`draw`] into any buffer area (tests render into odd sizes).
pub fn render_app(p: &Props<'_>, area: Rect, buf: &mut Buffer) {
    let a = layout::areas(area, &p.content);
    p.header().render(a.header, buf);
    p.steps_pane().render(a.steps, buf);
    match p.diff.filter(|d| d.shows_tree()) {
        Some(state) => DiffTreePane {
            theme: p.theme,
            state,
            focused: p.focus == Pane::Tree,
        }
        .render(a.tree, buf),
        None => p.tree_pane().render(a.tree, buf),
    }
    p.waste_pane().render(a.waste, buf);
    p.packages_pane().render(a.packages, buf);
    p.details_pane().render(a.details, buf);
    p.footer().render(a.footer, buf);
    let body = Rect {
        y: a.header.bottom().min(area.bottom()),
        height: area
            .height
            .saturating_sub(a.header.height + a.footer.height),
        ..area
    };
    if let Some(v) = p.view {
        TextOverlay {
            theme: p.theme,
            title: &v.title,
            lines: &v.lines,
            scroll: v.scroll,
        }
        .render(body, buf);
    }
    if let Some(scroll) = p.details {
        let r = overlay::centered(body, 100, u16::MAX);
        ratatui::widgets::Clear.render(r, buf);
        DetailsPane {
            props: p,
            scroll,
            title: " Details · ↑↓ scroll · any other key closes ",
        }
        .render(r, buf);
    }
    if let Some(scroll) = p.help {
        p.help_overlay(scroll).render(area, buf);
    }
}

/// A pane's frame: bold cyan border and title when focused; in plain mode a
/// focused title is reversed so focus reads without color.
fn pane_block<'a>(title: String, focused: bool, theme: &Theme) -> Block<'a> {
    let (border, title_style) = if focused {
        (theme.border_focused, theme.title_focused)
    } else {
        (theme.border, theme.title)
    };
    Block::bordered()
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(border)
        .title(Span::styled(title, title_style))
}

/// Renders the frame and returns the inside; nothing for empty areas.
fn frame_pane(area: Rect, buf: &mut Buffer, title: &str, focused: bool, theme: &Theme) -> Rect {
    if area.is_empty() {
        return Rect::default();
    }
    let title = text::fit_end(title, usize::from(area.width.saturating_sub(2)));
    pane_block(title, focused, theme).render(area, buf);
    layout::inner(area).intersection(area)
}

/// One row of a pane: `left` spans, then `right` flush with the right edge,
/// then `base` over the whole width (the selection highlight).
fn row(
    buf: &mut Buffer,
    area: Rect,
    y: u16,
    left: Vec<Span<'_>>,
    right: Vec<Span<'_>>,
    base: Style,
) {
    if area.is_empty() || y < area.y || y >= area.bottom() {
        return;
    }
    let r = Rect::new(area.x, y, area.width, 1);
    Line::from(left).render(r, buf);
    let right = Line::from(right);
    let w = u16::try_from(right.width())
        .unwrap_or(u16::MAX)
        .min(area.width);
    if w > 0 {
        right.render(Rect::new(area.right() - w, y, w, 1), buf);
    }
    // Last, so the highlight wins over the spans' own colors: a dim span
    // on a gray selection bar would vanish.
    buf.set_style(r, base);
}

/// The row style for selection state.
fn selection_style(theme: &Theme, selected: bool, focused: bool) -> Style {
    match (selected, focused) {
        (true, true) => theme.selected,
        (true, false) => theme.selected_idle,
        _ => Style::new(),
    }
}

/// A cell-width-aware right-aligned number column.
fn pad_left(s: &str, width: usize) -> String {
    let w = text::width(s);
    if w >= width {
        s.to_string()
    } else {
        format!("{}{s}", " ".repeat(width - w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_clip_to_the_area() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 5, 1));
        row(
            &mut buf,
            Rect::new(0, 0, 5, 1),
            0,
            vec![Span::raw("abcdefgh")],
            vec![Span::raw("123")],
            Style::new(),
        );
        row(
            &mut buf,
            Rect::new(0, 0, 0, 0),
            0,
            vec![],
            vec![],
            Style::new(),
        );
        row(
            &mut buf,
            Rect::new(0, 0, 5, 1),
            3,
            vec![],
            vec![],
            Style::new(),
        );
        assert_eq!(pad_left("ab", 4), "  ab");
    }
}
