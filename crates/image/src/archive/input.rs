//! What a load starts from and what it yields besides the layers: the
//! input, the options, the progress counters and the image's metadata.

use super::decompress::Compression;
use super::layout::Format;
use super::layout::Selection;
use super::source;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::AtomicUsize;

/// Where the archive comes from.
#[derive(Clone, Debug)]
pub enum Input {
    Path(PathBuf),
    Stdin,
    /// An image in an engine or a registry ([`source`]).
    Image(source::ImageSource),
}

impl Input {
    /// A path, `-`, `docker-archive://PATH` (dive's spelling),
    /// `docker://`, `podman://` or `registry://` NAME, or a bare image
    /// name that is not an existing path.
    pub fn parse(arg: &str) -> Input {
        if arg == "-" {
            Input::Stdin
        } else if let Some(p) = arg.strip_prefix("docker-archive://") {
            Input::Path(PathBuf::from(p))
        } else if let Some(s) = source::ImageSource::from_prefixed(arg) {
            Input::Image(s)
        } else if !Path::new(arg).exists() && source::ImageSource::looks_like_reference(arg) {
            Input::Image(source::ImageSource {
                place: source::Place::Any,
                name: arg.to_string(),
            })
        } else {
            Input::Path(PathBuf::from(arg))
        }
    }
    pub fn display(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Stdin => "<stdin>".into(),
            Input::Image(s) => s.display(),
        }
    }
}

/// Shared counters a progress display polls; loading never waits on it.
#[derive(Debug, Default)]
pub struct LoadProgress {
    pub bytes_total: AtomicU64,
    pub bytes_done: AtomicU64,
    pub layers_total: AtomicUsize,
    pub layers_done: AtomicUsize,
}

#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    pub selection: Selection,
    pub progress: Option<Arc<LoadProgress>>,
    /// Hash every layer blob as it streams and check it against the digest
    /// the manifest gives (`--verify`).
    pub verify: bool,
    /// Registries (`HOST[:PORT]`) reached over plain HTTP
    /// (`--insecure-registry`); loopback ones always are.
    pub insecure_registries: Vec<String>,
}

/// Everything about the image except its layers' contents.
#[derive(Debug)]
pub struct ImageMeta {
    pub source: String,
    pub format: Format,
    pub repo_tags: Vec<String>,
    pub config: oci_spec::image::ImageConfiguration,
    pub layers: Vec<LayerMeta>,
    /// Blobs whose content does not match their digest, found on the way
    /// (warnings in the report; `--verify` makes them an error).
    pub digest_mismatches: Vec<String>,
    /// Every layer was hashed as it was read and matched its digest or
    /// diff_id: always for a registry, Docker or Podman, with `--verify`
    /// for an archive.
    pub digests_checked: bool,
    /// Manifests passed over as not container images.
    pub skipped: Vec<String>,
    /// The image manifest's annotations (`org.opencontainers.image.base.name`
    /// and `.base.digest` among them); empty for docker-archive.
    pub annotations: std::collections::BTreeMap<String, String>,
}

#[derive(Clone, Debug)]
pub struct LayerMeta {
    pub name: String,
    pub digest: Option<String>,
    pub media_type: Option<String>,
    pub compressed_size: u64,
    pub compression: Compression,
    /// sha256 of the blob as stored, when verifying.
    pub computed_digest: Option<String>,
}
