//! `--html`: one self-contained HTML file (inline CSS, plain JS, SVG; nothing
//! loaded from the network) with a treemap of the image, the steps, the
//! findings with their fixes, the packages and dive's metrics.
//!
//! [`data`] builds what the page shows (pure); [`write()`] puts it into the
//! page template as JSON, where `page.js` draws it.

pub mod data;

use std::io::{self, Write};

pub use data::PageData;

const PAGE: &str = include_str!("page.html");
const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");

/// Writes the page with `data` embedded.
pub fn write(data: &PageData, out: &mut dyn Write) -> io::Result<()> {
    let json = serde_json::to_string(data).map_err(io::Error::other)?;
    let mut rest = PAGE;
    while let Some(at) = rest.find("{{") {
        out.write_all(&rest.as_bytes()[..at])?;
        let end = rest[at..].find("}}").map_or(rest.len(), |e| at + e + 2);
        match &rest[at..end] {
            "{{TITLE}}" => {
                out.write_all(html_text(&format!("ballast: {}", data.header.image)).as_bytes())?;
            }
            "{{CSS}}" => out.write_all(CSS.as_bytes())?,
            "{{JS}}" => out.write_all(JS.as_bytes())?,
            "{{DATA}}" => out.write_all(script_safe(&json).as_bytes())?,
            other => out.write_all(other.as_bytes())?,
        }
        rest = &rest[end..];
    }
    out.write_all(rest.as_bytes())
}

/// JSON made safe inside `<script>`: no `<` at all, so neither `</script>`
/// nor `<!--` can end or change the block. `<` only occurs inside JSON
/// strings, where `\u003c` means the same.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
}

/// Text safe as HTML element content.
fn html_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_cannot_close_the_script() {
        let s = script_safe(r#"{"name":"</script><!--x"}"#);
        assert!(!s.contains('<'), "{s}");
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["name"], "</script><!--x");
    }

    #[test]
    fn titles_are_escaped() {
        assert_eq!(html_text("a<b>&\"c\n"), "a&lt;b&gt;&amp;&quot;c ");
    }
}
