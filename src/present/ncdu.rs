//! `--ncdu`: the final tree in ncdu's JSON export format (major version 1,
//! minor 2, as `ncdu -o` writes it), for browsing with `ncdu -f` or
//! `gdu -f`.
//!
//! A directory is an array of its info object followed by its children;
//! anything else is an object. Sizes are the content bytes the report
//! counts: `asize` and `dsize` are both the file's size (an image has no
//! blocks), directories carry none of their own, and symlinks, hard links
//! and devices are `notreg` with no size (a hard link's bytes count once, at
//! its target), so ncdu's totals are the report's `final_size_bytes`. Names
//! are written as their raw bytes, as ncdu itself does, with `"`, `\` and
//! control characters escaped.

use std::io::{self, Write};

use crate::ImageIndex;
use crate::index::layer::EntryKind;
use crate::index::tree::ROOT;

pub fn write(image: &ImageIndex, out: &mut dyn Write) -> io::Result<()> {
    let (tree, layers) = (&image.tree, image.layers.as_slice());
    write!(
        out,
        "[1,2,{{\"progname\":\"ballast\",\"progver\":\"{}\"}},\n[{{\"name\":\"/\"}}",
        env!("CARGO_PKG_VERSION")
    )?;
    if let Some(last) = layers.len().checked_sub(1) {
        // Depth-first with an explicit stack: trees can be thousands of
        // levels deep.
        let mut stack = vec![tree.children(ROOT)];
        while let Some(children) = stack.last_mut() {
            let Some(c) = children.next() else {
                stack.pop();
                if !stack.is_empty() {
                    out.write_all(b"]")?;
                }
                continue;
            };
            let Some(st) = tree.state_at(layers, c, last) else {
                continue;
            };
            out.write_all(b",\n")?;
            let kind = st.entry.map_or(EntryKind::Dir, |e| e.kind);
            if kind == EntryKind::Dir {
                out.write_all(b"[{\"name\":")?;
                name(out, tree.name(c))?;
                out.write_all(b"}")?;
                stack.push(tree.children(c));
            } else {
                out.write_all(b"{\"name\":")?;
                name(out, tree.name(c))?;
                if kind == EntryKind::File {
                    let size = st.size();
                    write!(out, ",\"asize\":{size},\"dsize\":{size}}}")?;
                } else {
                    out.write_all(b",\"notreg\":true}")?;
                }
            }
        }
    }
    out.write_all(b"]]\n")
}

/// A JSON string of the raw name bytes.
fn name(out: &mut dyn Write, raw: &[u8]) -> io::Result<()> {
    out.write_all(b"\"")?;
    let mut start = 0;
    for (i, &b) in raw.iter().enumerate() {
        if b == b'"' || b == b'\\' || b < 0x20 {
            out.write_all(&raw[start..i])?;
            match b {
                b'"' => out.write_all(b"\\\"")?,
                b'\\' => out.write_all(b"\\\\")?,
                _ => write!(out, "\\u{b:04x}")?,
            }
            start = i + 1;
        }
    }
    out.write_all(&raw[start..])?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_escape_quotes_backslashes_and_controls_only() {
        let mut v = Vec::new();
        name(&mut v, b"a\"b\\c\nd\xffe").unwrap();
        assert_eq!(v, b"\"a\\\"b\\\\c\\u000ad\xffe\"");
    }
}
