//! Whole-archive loading: the outer tar scan (or the streamed path for a
//! gzip/zstd-compressed archive), format detection, manifest/index/config
//! JSON, layer decompression, layer indexing, the merge and the analysis.
//!
//! The input is written to one file per process under /dev/shm, rewritten on
//! every run, because `run_pipeline` takes a path. Any `Err` is a correct
//! answer; a panic, a hang or runaway memory is a bug.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        dir.join(format!("ballast-fuzz-archive-{}.tar", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    // A failed write is the harness's problem, not ballast's: stop loudly.
    std::fs::write(path, data).expect("write the fuzz input to /dev/shm");
    let input = ballast::archive::Input::Path(path.clone());
    let _ = ballast::run_pipeline(&input, &ballast::Options::default());
});
