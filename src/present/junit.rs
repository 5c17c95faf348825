//! `--junit PATH`: the budget checks as JUnit XML, one test case per
//! budget and a `<failure>` for each one over, so GitLab (and any CI that
//! reads JUnit) lists them with the job's tests. No budget: an empty suite.

use std::io::{self, Write};

use crate::analyze::report::Report;

/// Text made safe for XML 1.0 attributes and content: markup escaped, and
/// the control characters XML cannot carry at all dropped.
#[must_use]
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push_str(&format!("&#{};", u32::from(c))),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

pub fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let checks = &r.budget.checks;
    let failed = r.budget.failed();
    let name = r
        .image
        .repo_tags
        .first()
        .map_or(r.image.source.as_str(), String::as_str);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="ballast" tests="{}" failures="{failed}" errors="0">"#,
        checks.len()
    )?;
    writeln!(
        out,
        r#"  <testsuite name="ballast budgets: {}" tests="{}" failures="{failed}" errors="0" skipped="0">"#,
        xml_escape(name),
        checks.len()
    )?;
    for c in checks {
        writeln!(
            out,
            r#"    <testcase name="{}" classname="ballast.budget">"#,
            xml_escape(&c.name)
        )?;
        let message = xml_escape(&c.message);
        if c.passed {
            writeln!(out, "      <system-out>{message}</system-out>")?;
        } else {
            writeln!(
                out,
                r#"      <failure type="over-budget" message="{message}">{message}</failure>"#
            )?;
        }
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_control_characters_are_escaped() {
        assert_eq!(
            xml_escape("a<b & \"c\"\u{1}\n"),
            "a&lt;b &amp; &quot;c&quot;&#10;"
        );
    }
}
