//! Images read where they live: a Docker or Podman engine, or a registry.
//!
//! Each source ends in the archive loader: an engine's `docker save`
//! stream goes to the streaming loader as stdin would, a registry is shown
//! to the random-access loader as an OCI layout whose blobs are fetched
//! (concurrently, largest first) as they are indexed. No temporary file.

pub mod auth;
pub mod certs_d;
pub mod engine;
pub mod idle;
mod podman_cli;
mod read_ahead;
pub mod reference;
pub mod registry;

use std::fmt::Display;
use std::io::{self, BufRead};

use super::decompress::Compression;
use super::layout::Format;
use super::{ImageMeta, LoadOptions};
use crate::error::{LoadError, Problem};
use crate::sha256_tap::Sha256Tap;
use engine::EngineError;
use reference::Reference;

/// Where an image is looked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Docker,
    Podman,
    Registry,
    /// A bare name: Docker, then Podman, then the registry.
    Any,
}

/// An image by name, and where to look for it.
#[derive(Clone, Debug)]
pub struct ImageSource {
    pub place: Place,
    pub name: String,
}

impl ImageSource {
    /// `docker://NAME`, `podman://NAME`, `registry://REF`, or `None` when
    /// the argument has no such prefix.
    pub fn from_prefixed(arg: &str) -> Option<ImageSource> {
        let (place, name) = if let Some(n) = arg.strip_prefix("docker://") {
            (Place::Docker, n)
        } else if let Some(n) = arg.strip_prefix("podman://") {
            (Place::Podman, n)
        } else if let Some(n) = arg.strip_prefix("registry://") {
            (Place::Registry, n)
        } else {
            return None;
        };
        Some(ImageSource {
            place,
            name: name.to_string(),
        })
    }

    /// Whether an argument that names no file reads as an image reference
    /// (`python:3.12`, `ghcr.io/org/img`), not as a mistyped path.
    pub fn looks_like_reference(arg: &str) -> bool {
        const ARCHIVE_ENDINGS: [&str; 6] = [".tar", ".tgz", ".gz", ".zst", ".json", ".tar.gz"];
        !arg.starts_with(['.', '/', '~'])
            && !ARCHIVE_ENDINGS.iter().any(|e| arg.ends_with(e))
            && Reference::parse(arg).is_some()
    }

    /// Whether the image is read from an engine's `docker save` stream,
    /// whose layers the source itself checks against their diff_ids as
    /// they pass (a bare name may still end at a registry).
    pub fn is_engine(&self) -> bool {
        matches!(self.place, Place::Docker | Place::Podman)
    }

    pub fn display(&self) -> String {
        match self.place {
            Place::Docker => format!("docker://{}", self.name),
            Place::Podman => format!("podman://{}", self.name),
            Place::Registry => format!("registry://{}", self.name),
            Place::Any => self.name.clone(),
        }
    }
}

/// Loads an image from its engine or registry (see [`super::load`]).
pub(super) fn load<T, E, F>(
    src: &ImageSource,
    opts: &LoadOptions,
    reuse: &(dyn Fn(&str) -> Option<T> + Sync),
    index: &F,
) -> Result<(ImageMeta, Vec<T>), LoadError>
where
    T: Send + Clone + crate::archive::retained::Retained,
    E: Display + Send,
    F: Fn(&mut dyn BufRead) -> Result<T, E> + Sync,
{
    let label = src.display();
    let fail = |p: Problem| LoadError::new(label.clone(), p);
    let idle = idle::limit().map_err(fail)?;
    match src.place {
        Place::Docker => match engine::docker(&src.name, idle) {
            Ok(s) => from_engine(s, &src.name, Place::Docker, opts, index),
            Err(e) => Err(fail(engine_problem(e))),
        },
        Place::Podman => match engine::podman(&src.name, idle) {
            Ok(s) => from_engine(s, &src.name, Place::Podman, opts, index),
            Err(e) => Err(fail(engine_problem(e))),
        },
        Place::Registry => {
            let r = Reference::parse(&src.name).ok_or_else(|| {
                fail(Problem::Archive(
                    "not an image reference (HOST[:PORT]/REPO[:TAG|@DIGEST])".into(),
                ))
            })?;
            from_registry(&r, opts, idle, reuse, index)
        }
        Place::Any => {
            let mut tried = Vec::new();
            for (place, attempt) in [
                (
                    Place::Docker,
                    engine::docker as fn(&str, _) -> Result<engine::Stream, EngineError>,
                ),
                (Place::Podman, engine::podman),
            ] {
                match attempt(&src.name, idle) {
                    Ok(s) => return from_engine(s, &src.name, place, opts, index),
                    Err(e @ EngineError::Failed(_)) => return Err(fail(engine_problem(e))),
                    Err(e) => tried.push(e.to_string()),
                }
            }
            let r = Reference::parse(&src.name).ok_or_else(|| fail(Problem::NotFound))?;
            from_registry(&r, opts, idle, reuse, index).map_err(|e| {
                // The registry has it, and it is no image (a Helm chart, a
                // signature): that is the answer, and the registry gave it.
                if matches!(e.problem, Problem::NotAnImage(_)) {
                    return e;
                }
                let mut e = e;
                e.file.clone_from(&label);
                e.problem = Problem::Archive(format!(
                    "no such file, and no engine or registry had it: {}; registry: {}",
                    tried.join("; "),
                    e.problem
                ));
                e
            })
        }
    }
}

fn engine_problem(e: EngineError) -> Problem {
    match e {
        EngineError::NoImage(s) => Problem::Archive(format!("image unknown: {s}")),
        EngineError::Unreachable(s) | EngineError::Failed(s) => Problem::Archive(s),
    }
}

/// Loads an engine's `docker save` stream, checking every layer as it
/// passes: the engine's tar holds no other proof that its layers are the
/// image's. Each layer's uncompressed bytes are hashed in the pass that
/// indexes them and compared with the config's diff_id (and, when stored
/// uncompressed, with the blob's own name); a compressed blob is checked
/// against its name as it streams. Mismatches land in `digest_mismatches`.
fn from_engine<T, E, F>(
    stream: engine::Stream,
    name: &str,
    place: Place,
    opts: &LoadOptions,
    index: &F,
) -> Result<(ImageMeta, Vec<T>), LoadError>
where
    T: Send + Clone + crate::archive::retained::Retained,
    E: Display + Send,
    F: Fn(&mut dyn BufRead) -> Result<T, E> + Sync,
{
    let (label, format) = match place {
        Place::Podman => (format!("podman://{name}"), Format::Podman),
        _ => (format!("docker://{name}"), Format::DockerEngine),
    };
    let hashed = |s: &mut dyn BufRead| -> Result<(T, Option<String>), String> {
        let mut tap = Sha256Tap::new(s, true);
        let t = index(&mut tap).map_err(|e| e.to_string())?;
        // The diff_id covers the whole stream, past where the index stopped.
        io::copy(&mut tap, &mut io::sink()).map_err(|e| e.to_string())?;
        Ok((t, tap.finish()))
    };
    let opts = LoadOptions {
        verify: true,
        ..opts.clone()
    };
    let (mut meta, layers) = super::load_stream(stream, &label, &opts, &hashed)?;
    meta.format = format;
    let diff_ids = meta.config.rootfs().diff_ids().clone();
    let mut out = Vec::with_capacity(layers.len());
    for (i, (t, have)) in layers.into_iter().enumerate() {
        let Some(have) = have else { continue };
        if let Some(l) = meta.layers.get(i)
            && l.compression == Compression::None
            && let Some(want) = l.digest.as_ref().filter(|d| d.starts_with("sha256:"))
            && *want != have
        {
            meta.digest_mismatches.push(format!(
                "layer {i} ({}): blob digest {have} does not match the manifest's {want}",
                l.name
            ));
        }
        if let Some(want) = diff_ids.get(i)
            && *want != have
        {
            meta.digest_mismatches.push(format!(
                "layer {i}: content digest {have} does not match the config's diff_id {want}"
            ));
        }
        out.push(t);
    }
    Ok((meta, out))
}

/// Concurrent downloads: a remote registry is network-bound, so more blobs
/// are in flight than there are cores.
const REGISTRY_STREAMS: usize = 8;

/// Blobs in flight from `r`: on loopback there is no latency to hide, and
/// streams past the cores only cost CPU (a 493 MB image of 12 layers,
/// 2 cores: 2.03 s with 2 streams, 2.18 s with 8).
fn streams_for(r: &Reference) -> usize {
    if r.is_loopback() {
        std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
    } else {
        REGISTRY_STREAMS
    }
}

fn from_registry<T, E, F>(
    r: &Reference,
    opts: &LoadOptions,
    idle: Option<std::time::Duration>,
    reuse: &(dyn Fn(&str) -> Option<T> + Sync),
    index: &F,
) -> Result<(ImageMeta, Vec<T>), LoadError>
where
    T: Send + Clone,
    E: Display + Send,
    F: Fn(&mut dyn BufRead) -> Result<T, E> + Sync,
{
    let label = format!("registry://{r}");
    let fail = |p: Problem| LoadError::new(label.clone(), p);
    let client = registry::Client::new(r.clone(), &opts.insecure_registries, idle).map_err(fail)?;
    let layout = registry::Layout::open(&client, &r.to_string()).map_err(fail)?;
    let mut opts = opts.clone();
    if opts.selection.platform.is_none() {
        opts.selection.platform = Some(registry::host_platform());
    }
    // Each blob is read to its end, so its length and digest are checked
    // even where the tar inside ends early.
    let drained = |s: &mut dyn BufRead| -> Result<T, String> {
        let t = index(s).map_err(|e| e.to_string())?;
        io::copy(s, &mut io::sink()).map_err(|e| e.to_string())?;
        Ok(t)
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(streams_for(r))
        .build()
        .map_err(|e| fail(Problem::Archive(e.to_string())))?;
    let (mut meta, layers) = pool.install(|| {
        super::load_random_access(&layout, Format::Registry, &label, &opts, reuse, &drained)
    })?;
    // Every blob's length and sha256 were checked as it arrived.
    meta.digests_checked = true;
    Ok((meta, layers))
}

/// Percent-encodes all but unreserved characters and those in `keep`.
fn percent_escape(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    /// A `docker save` stream of one layer whose config names `diff_id`.
    fn saved(layer: &[u8], diff_id: &str) -> engine::Stream {
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{diff_id}"]}}}}"#
        );
        let manifest = br#"[{"Config":"c.json","RepoTags":["t:1"],"Layers":["l/layer.tar"]}]"#;
        let archive = tar_of(&[
            ("l/layer.tar", layer),
            ("c.json", config.as_bytes()),
            ("manifest.json", manifest),
        ]);
        Box::new(io::Cursor::new(archive))
    }

    #[test]
    fn engine_streams_check_every_layer_against_its_diff_id() {
        let layer = tar_of(&[("etc/hosts", b"127.0.0.1 localhost\n")]);
        let right = format!(
            "sha256:{}",
            crate::index::layer::hex(&Sha256::digest(&layer))
        );
        let wrong = format!("sha256:{}", "0".repeat(64));
        // Checked even when the indexer reads nothing of the layer, and
        // with no `--verify`.
        let nothing = |_: &mut dyn BufRead| Ok::<(), std::convert::Infallible>(());
        let opts = LoadOptions::default();
        let (meta, layers) =
            from_engine(saved(&layer, &right), "t", Place::Docker, &opts, &nothing).expect("loads");
        assert_eq!(layers.len(), 1);
        assert!(
            meta.digest_mismatches.is_empty(),
            "{:?}",
            meta.digest_mismatches
        );
        let (meta, _) =
            from_engine(saved(&layer, &wrong), "t", Place::Docker, &opts, &nothing).expect("loads");
        assert_eq!(
            meta.digest_mismatches.len(),
            1,
            "{:?}",
            meta.digest_mismatches
        );
        assert!(meta.digest_mismatches[0].contains(&right));
        assert!(meta.digest_mismatches[0].contains("diff_id"));
        // A reader that stops half way does not shorten what is hashed.
        let half = |s: &mut dyn BufRead| {
            let n = s.fill_buf()?.len().min(700);
            s.consume(n);
            Ok::<(), io::Error>(())
        };
        let (meta, _) =
            from_engine(saved(&layer, &right), "t", Place::Podman, &opts, &half).expect("loads");
        assert!(
            meta.digest_mismatches.is_empty(),
            "{:?}",
            meta.digest_mismatches
        );
    }

    #[test]
    fn prefixes_and_bare_names() {
        let s = ImageSource::from_prefixed("docker://ml:latest").unwrap();
        assert_eq!((s.place, s.name.as_str()), (Place::Docker, "ml:latest"));
        assert_eq!(s.display(), "docker://ml:latest");
        assert!(ImageSource::from_prefixed("img.tar").is_none());
        assert!(ImageSource::looks_like_reference("python:3.12"));
        assert!(ImageSource::looks_like_reference("127.0.0.1:5000/x:y"));
        assert!(!ImageSource::looks_like_reference("missing.tar"));
        assert!(!ImageSource::looks_like_reference("/nonexistent/img"));
        assert!(!ImageSource::looks_like_reference("./img"));
    }
}
