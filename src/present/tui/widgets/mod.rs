//! Drawing: one widget per pane, each a borrowed view of the [`App`] made
//! fresh per frame. Widgets only read state, touch only the rows in view,
//! and render into any area, down to 0×0, without panicking.

mod details;
mod footer;
mod header;
mod help;
mod loading;
mod packages;
mod steps;
mod tree;
mod waste;

pub use details::DetailsPane;
pub use footer::Footer;
pub use header::Header;
pub use help::HelpOverlay;
pub use loading::LoadingView;
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

use super::app::App;
use super::layout::{self, Pane};
use super::text;
use super::theme::Theme;

/// Draws the whole screen for the current state.
pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let area = frame.area();
    render_app(app, area, frame.buffer_mut());
}

/// [`draw`] into any buffer area (tests render into odd sizes).
pub fn render_app(app: &App, area: Rect, buf: &mut Buffer) {
    let a = layout::areas(area, &app.layout_content());
    Header { app }.render(a.header, buf);
    StepsPane { app }.render(a.steps, buf);
    TreePane { app }.render(a.tree, buf);
    WastePane { app }.render(a.waste, buf);
    PackagesPane { app }.render(a.packages, buf);
    DetailsPane { app }.render(a.details, buf);
    Footer { app }.render(a.footer, buf);
    if let Some(scroll) = app.help_scroll() {
        HelpOverlay {
            theme: &app.theme,
            scroll,
        }
        .render(area, buf);
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

/// Which pane the details describe: the focused one.
fn details_subject(app: &App) -> Pane {
    app.focus()
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
