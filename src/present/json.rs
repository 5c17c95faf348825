//! `--json`: the report as one JSON document (the contract in
//! `docs/report.schema.json`, field by field).

use std::io::{self, Write};

use crate::analyze::report::Report;

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::from)?;
    out.write_all(b"\n")
}
