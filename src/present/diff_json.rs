//! `ballast diff --json`: the comparison as one JSON document
//! (`docs/diff.schema.json`).

use std::io::{self, Write};

use crate::analyze::diff_report::DiffReport;

pub fn write(d: &DiffReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, d).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
