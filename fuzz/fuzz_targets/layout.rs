//! Manifest, index and config resolution over an in-memory set of metadata
//! files: Docker `manifest.json`, OCI `index.json` (nested per platform),
//! image manifests and configs, and the image/platform selection.
//!
//! Input format (so seeds can be written from real archives by `seed.sh`):
//! a run of `NAME 0x01 CONTENT 0x00` records. JSON never holds a raw 0x00, so
//! real metadata files pass through intact. Two reserved names set the
//! selection: `?image` (`NAME[:TAG]`) and `?platform` (`os/arch[/variant]`).

#![no_main]

use ballast::archive::layout::{MetaFiles, Selection, resolve};
use ballast::error::Problem;
use libfuzzer_sys::fuzz_target;

struct Files<'a> {
    files: Vec<(String, &'a [u8])>,
}

impl MetaFiles for Files<'_> {
    fn exists(&self, name: &str) -> bool {
        self.files.iter().any(|(n, _)| n == name)
    }
    fn read(&self, name: &str) -> Result<Vec<u8>, Problem> {
        // Last one wins, as in a tar holding a name twice.
        self.files
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.to_vec())
            .ok_or(Problem::NotFound)
    }
}

fn split(data: &[u8]) -> (Files<'_>, Selection) {
    let mut files = Vec::new();
    let mut sel = Selection::default();
    for record in data.split(|&b| b == 0) {
        let (name, content) = match record.iter().position(|&b| b == 1) {
            Some(i) => (&record[..i], &record[i + 1..]),
            None => (record, &record[record.len()..]),
        };
        if name.is_empty() && content.is_empty() {
            continue;
        }
        let name = String::from_utf8_lossy(name).into_owned();
        match name.as_str() {
            "?image" => sel.image = Some(String::from_utf8_lossy(content).into_owned()),
            "?platform" => sel.platform = Some(String::from_utf8_lossy(content).into_owned()),
            _ => files.push((name, content)),
        }
    }
    (Files { files }, sel)
}

fuzz_target!(|data: &[u8]| {
    let (files, sel) = split(data);
    let _ = resolve(&files, &sel);
    if sel.image.is_some() || sel.platform.is_some() {
        let _ = resolve(&files, &Selection::default());
    }
});
