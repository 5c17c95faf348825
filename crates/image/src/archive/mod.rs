//! Load: turn a tarball, an OCI layout directory or stdin into the image's
//! metadata plus one decompressed tar stream per layer, handed to an indexer.
//!
//! The format is sniffed from contents, never from names. A seekable archive
//! is scanned header by header first (seeking over data), so every layer's
//! byte range is known and layers are indexed on all cores at once, largest
//! first. Stdin is read once, front to back: each blob is indexed as it
//! streams past, before `manifest.json` (which `docker save` writes last)
//! says which blobs are layers. Nothing is extracted to disk.

pub mod decompress;
mod dir_transport;
pub mod extract;
pub mod layout;
pub mod source;
pub mod tar_pax;
pub mod tar_stream;

use std::collections::HashMap;
use std::fmt::Display;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::error::{LoadError, Problem};
use decompress::{Compression, Counting};
use layout::{Format, MetaFiles, Resolved, Selection};
use tar_stream::{Streamed, TarError, TarReader};

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

/// Largest metadata file (manifest, index, config) read into memory.
const META_LIMIT: u64 = 64 << 20;
/// Largest number of layers accepted; real images stay far below.
const LAYER_LIMIT: usize = 10_000;

/// Loads the image and runs `index` on each layer's decompressed stream.
pub fn load<T, E, F>(
    input: &Input,
    opts: &LoadOptions,
    index: F,
) -> Result<(ImageMeta, Vec<T>), LoadError>
where
    T: Send + Clone,
    E: Display + Send,
    F: Fn(&mut dyn BufRead) -> Result<T, E> + Sync,
{
    load_reusing(input, opts, &|_| None, index)
}

/// [`load`], taking a layer's result from `reuse(diff_id)` instead of
/// indexing it when that gives one (the config names each layer's diff_id
/// before any layer is read). Only random-access sources reuse; stdin is
/// read once, front to back, before the config says which blob is which,
/// and `--verify` must hash every layer.
pub fn load_reusing<T, E, F>(
    input: &Input,
    opts: &LoadOptions,
    reuse: &(dyn Fn(&str) -> Option<T> + Sync),
    index: F,
) -> Result<(ImageMeta, Vec<T>), LoadError>
where
    T: Send + Clone,
    E: Display + Send,
    F: Fn(&mut dyn BufRead) -> Result<T, E> + Sync,
{
    let file_label = input.display();
    let err = |p: Problem| LoadError::new(file_label.clone(), p);
    match input {
        Input::Image(src) => source::load(src, opts, reuse, &index),
        Input::Stdin => {
            let stdin = BufReader::with_capacity(1 << 20, io::stdin());
            load_stream(Box::new(stdin), &file_label, opts, &index)
        }
        Input::Path(p) => {
            let md = std::fs::metadata(p).map_err(|e| err(io_problem(e)))?;
            if md.is_dir() {
                let dir = DirContainer { root: p.clone() };
                if dir.exists("manifest.json") && dir_transport::is_dir_transport(&dir) {
                    let d = dir_transport::DirTransport::open(dir).map_err(err)?;
                    return load_random_access(&d, Format::Dir, &file_label, opts, reuse, &index);
                }
                let format = if dir.exists("manifest.json") {
                    Format::DockerDir
                } else {
                    Format::OciDir
                };
                return load_random_access(&dir, format, &file_label, opts, reuse, &index);
            }
            if !md.is_file() {
                // A pipe path (`ballast <(docker save img)`, a FIFO) or a
                // device: no length, no seeking, so read it as a stream.
                let f = File::open(p).map_err(|e| err(io_problem(e)))?;
                let r = BufReader::with_capacity(1 << 20, f);
                return load_stream(Box::new(r), &file_label, opts, &index);
            }
            if md.len() == 0 {
                return Err(err(Problem::Empty));
            }
            let mut f = File::open(p).map_err(|e| err(io_problem(e)))?;
            let mut head = [0u8; 4];
            let n = f.read(&mut head).map_err(|e| err(io_problem(e)))?;
            f.seek(SeekFrom::Start(0)).map_err(|e| err(io_problem(e)))?;
            if Compression::sniff(&head[..n]) != Compression::None {
                // `docker save | gzip` (or xz, bzip2, zstd): no random
                // access, stream it once.
                return load_stream(Box::new(BufReader::new(f)), &file_label, opts, &index);
            }
            let tar = SeekableTar::scan(p, f, md.len()).map_err(err)?;
            let format = if tar.exists("manifest.json") {
                Format::DockerArchive
            } else {
                Format::OciArchive
            };
            load_random_access(&tar, format, &file_label, opts, reuse, &index)
        }
    }
}

fn io_problem(e: io::Error) -> Problem {
    if e.kind() == io::ErrorKind::NotFound {
        Problem::NotFound
    } else {
        Problem::Io(e)
    }
}

fn tar_problem(e: TarError, whole_archive: bool) -> Problem {
    match e {
        // Not even one whole header: no tar at all, not a cut one.
        TarError::BadHeader { offset: 0, .. } | TarError::Truncated { offset: 0, .. }
            if whole_archive =>
        {
            Problem::NotAnImage("not a tar archive".into())
        }
        other => Problem::Archive(other.to_string()),
    }
}

/// A container whose blobs can be opened in any order (file or directory).
trait RandomAccess: MetaFiles + Sync {
    fn open(&self, name: &str) -> Result<(Box<dyn Read + Send + '_>, u64), Problem>;
}

fn check_layer_count(r: &Resolved) -> Result<(), Problem> {
    if r.layers.len() > LAYER_LIMIT {
        return Err(Problem::Archive(format!(
            "the manifest lists {} layers, over the {LAYER_LIMIT} limit",
            r.layers.len()
        )));
    }
    Ok(())
}

fn load_random_access<T, E, F>(
    c: &dyn RandomAccess,
    format: Format,
    file_label: &str,
    opts: &LoadOptions,
    reuse: &(dyn Fn(&str) -> Option<T> + Sync),
    index: &F,
) -> Result<(ImageMeta, Vec<T>), LoadError>
where
    T: Send + Clone,
    E: Display + Send,
    F: Fn(&mut dyn BufRead) -> Result<T, E> + Sync,
{
    let err = |p: Problem| LoadError::new(file_label, p);
    let resolved = layout::resolve(c, &opts.selection).map_err(err)?;
    check_layer_count(&resolved).map_err(err)?;
    let format = match (format, resolved.uses_oci_index) {
        (Format::DockerDir, true) => Format::OciDir,
        (Format::DockerArchive, true) => Format::OciArchive,
        (f, _) => f,
    };
    // Blobs named twice (identical layers) are indexed once.
    let mut unique: Vec<String> = Vec::new();
    let mut slot_of: HashMap<String, usize> = HashMap::new();
    for l in &resolved.layers {
        if !c.exists(&l.name) {
            return Err(err(Problem::MissingBlob {
                what: "the manifest".into(),
                name: l.name.clone(),
            }));
        }
        if !slot_of.contains_key(&l.name) {
            slot_of.insert(l.name.clone(), unique.len());
            unique.push(l.name.clone());
        }
    }
    let mut sizes = Vec::with_capacity(unique.len());
    for name in &unique {
        sizes.push(c.open(name).map_err(err)?.1);
    }
    let mut by_slot: Vec<Option<(T, Compression, Option<String>)>> =
        (0..unique.len()).map(|_| None).collect();
    if !opts.verify {
        reuse_layers(c, &resolved, &slot_of, &unique, reuse, &mut by_slot).map_err(err)?;
    }
    let mut order: Vec<usize> = (0..unique.len())
        .filter(|&i| by_slot[i].is_none())
        .collect();
    if let Some(p) = &opts.progress {
        p.bytes_total
            .store(order.iter().map(|&i| sizes[i]).sum(), Ordering::Relaxed);
        p.layers_total.store(order.len(), Ordering::Relaxed);
    }
    order.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
    let first_layer_of = |slot: usize| {
        resolved
            .layers
            .iter()
            .position(|l| slot_of[&l.name] == slot)
            .unwrap_or(0)
    };
    // One worker per core, each taking the largest layer not yet started:
    // the biggest layer starts first, and a core that finishes early takes
    // the next one in size (splitting the list in halves, as a plain
    // parallel iterator does, can leave a big layer for last).
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads().clamp(1, order.len().max(1));
    let results: Vec<(usize, IndexedBlob<T>)> = (0..workers)
        .into_par_iter()
        .flat_map_iter(|_| {
            std::iter::from_fn(|| {
                let &slot = order.get(next.fetch_add(1, Ordering::Relaxed))?;
                let r = (|| {
                    let (raw, _) = c.open(&unique[slot])?;
                    index_blob(
                        raw,
                        opts.progress.as_ref(),
                        opts.verify,
                        &unique[slot],
                        index,
                    )
                })();
                if let Some(p) = &opts.progress {
                    p.layers_done.fetch_add(1, Ordering::Relaxed);
                }
                Some((slot, r))
            })
        })
        .collect();
    // Report the lowest failing layer, so the message is stable.
    let mut failures: Vec<(usize, Problem)> = Vec::new();
    for (slot, r) in results {
        match r {
            Ok(v) => by_slot[slot] = Some(v),
            Err(p) => failures.push((slot, p)),
        }
    }
    if let Some((slot, p)) = failures.into_iter().min_by_key(|(s, _)| first_layer_of(*s)) {
        return Err(err(Problem::BadLayer {
            index: first_layer_of(slot),
            name: unique[slot].clone(),
            detail: p.to_string(),
        }));
    }
    // A layer's index moves out at its last use and is copied only for the
    // earlier ones, so a big layer is never held twice.
    let mut last_use = vec![0; unique.len()];
    for (i, l) in resolved.layers.iter().enumerate() {
        last_use[slot_of[&l.name]] = i;
    }
    let mut metas = Vec::with_capacity(resolved.layers.len());
    let mut out = Vec::with_capacity(resolved.layers.len());
    for (i, l) in resolved.layers.iter().enumerate() {
        let slot = slot_of[&l.name];
        let taken = if last_use[slot] == i {
            by_slot[slot].take()
        } else {
            by_slot[slot].clone()
        };
        let Some((t, comp, computed)) = taken else {
            return Err(err(Problem::Archive(format!(
                "layer {} was not indexed",
                l.name
            ))));
        };
        metas.push(LayerMeta {
            name: l.name.clone(),
            digest: l.digest.clone(),
            media_type: l.media_type.clone(),
            compressed_size: sizes[slot],
            compression: comp,
            computed_digest: computed,
        });
        out.push(t);
    }
    Ok((image_meta(file_label, format, resolved, metas), out))
}

/// Fills `by_slot` with the results `reuse` already holds, by the diff_id
/// the config gives each layer; a blob is only opened to read its first
/// bytes (its compression).
fn reuse_layers<T>(
    c: &dyn RandomAccess,
    resolved: &Resolved,
    slot_of: &HashMap<String, usize>,
    unique: &[String],
    reuse: &(dyn Fn(&str) -> Option<T> + Sync),
    by_slot: &mut [Option<(T, Compression, Option<String>)>],
) -> Result<(), Problem> {
    let diff_ids = resolved.config.rootfs().diff_ids();
    for (i, l) in resolved.layers.iter().enumerate() {
        let slot = slot_of[&l.name];
        if by_slot[slot].is_some() {
            continue;
        }
        let Some(t) = diff_ids.get(i).and_then(|d| reuse(d)) else {
            continue;
        };
        let (raw, _) = c.open(&unique[slot])?;
        let mut head = Vec::with_capacity(4);
        raw.take(4).read_to_end(&mut head).map_err(Problem::Io)?;
        by_slot[slot] = Some((t, Compression::sniff(&head), None));
    }
    Ok(())
}

fn image_meta(source: &str, format: Format, r: Resolved, layers: Vec<LayerMeta>) -> ImageMeta {
    let mut digest_mismatches = r.digest_mismatches;
    for (i, l) in layers.iter().enumerate() {
        if let (Some(have), Some(want)) = (&l.computed_digest, &l.digest)
            && have != want
        {
            digest_mismatches.push(format!(
                "layer {i} ({}): blob digest {have} does not match the manifest's {want}",
                l.name
            ));
        }
    }
    ImageMeta {
        digest_mismatches,
        skipped: r.skipped,
        source: source.to_string(),
        format,
        repo_tags: r.repo_tags,
        config: r.config,
        layers,
        annotations: r.annotations,
    }
}

/// The sha256 of a compressed blob as it streams past, for `--verify`.
/// An uncompressed blob is its layer's content, which the indexer hashes
/// anyway (the diff_id): [`BlobDigest::skip`] stops the second hash, and
/// the report compares that diff_id with the manifest's digest instead.
#[derive(Clone)]
struct BlobDigest(Arc<std::sync::Mutex<Option<BlobHasher>>>);

/// OCI blobs are named by sha256 or sha512.
enum BlobHasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl BlobDigest {
    /// `raw`, hashed on the way through when verifying, with the algorithm
    /// the blob's name (`blobs/ALG/HEX`) gives.
    fn tap<'a>(
        raw: Box<dyn Read + Send + 'a>,
        verify: bool,
        name: &str,
    ) -> (Box<dyn Read + Send + 'a>, Option<BlobDigest>) {
        if !verify {
            return (raw, None);
        }
        let hasher = if name.starts_with("blobs/sha512/") {
            BlobHasher::Sha512(<sha2::Sha512 as sha2::Digest>::new())
        } else {
            BlobHasher::Sha256(<sha2::Sha256 as sha2::Digest>::new())
        };
        let digest = BlobDigest(Arc::new(std::sync::Mutex::new(Some(hasher))));
        let tapped = DigestTap {
            inner: raw,
            digest: digest.clone(),
        };
        (Box::new(tapped), Some(digest))
    }

    /// Called once the compression is known. An uncompressed sha256 blob
    /// is its layer's diff_id, hashed by the indexer anyway.
    fn sniffed(&self, comp: Compression) {
        if comp == Compression::None
            && let Ok(mut h) = self.0.lock()
            && matches!(*h, Some(BlobHasher::Sha256(_)))
        {
            *h = None;
        }
    }

    fn finish(&self) -> Option<String> {
        let h = self.0.lock().ok()?.take()?;
        Some(match h {
            BlobHasher::Sha256(h) => format!(
                "sha256:{}",
                crate::index::layer::hex(&sha2::Digest::finalize(h))
            ),
            BlobHasher::Sha512(h) => format!(
                "sha512:{}",
                crate::index::layer::hex(&sha2::Digest::finalize(h))
            ),
        })
    }
}

struct DigestTap<R> {
    inner: R,
    digest: BlobDigest,
}

impl<R: Read> Read for DigestTap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut h) = self.digest.0.lock()
            && let Some(h) = h.as_mut()
        {
            match h {
                BlobHasher::Sha256(h) => sha2::Digest::update(h, &buf[..n]),
                BlobHasher::Sha512(h) => sha2::Digest::update(h, &buf[..n]),
            }
        }
        Ok(n)
    }
}

type IndexedBlob<T> = Result<(T, Compression, Option<String>), Problem>;

/// Decompresses one blob and indexes it.
fn index_blob<T, E, F>(
    raw: Box<dyn Read + Send + '_>,
    progress: Option<&Arc<LoadProgress>>,
    verify: bool,
    name: &str,
    index: &F,
) -> IndexedBlob<T>
where
    E: Display,
    F: Fn(&mut dyn BufRead) -> Result<T, E>,
{
    let on_read: Option<Box<dyn FnMut(u64) + Send>> = progress.map(|p| {
        let p = Arc::clone(p);
        Box::new(move |n| {
            p.bytes_done.fetch_add(n, Ordering::Relaxed);
        }) as Box<dyn FnMut(u64) + Send>
    });
    let (raw, blob_digest) = BlobDigest::tap(raw, verify, name);
    let counted = Counting::new(raw, on_read);
    let (mut stream, comp) = decompress::decoder(counted).map_err(Problem::Io)?;
    if let Some(d) = &blob_digest {
        d.sniffed(comp);
    }
    let t =
        index(&mut *stream).map_err(|e| Problem::Archive(format!("{}{e}", layer_prefix(comp))))?;
    drop(stream);
    Ok((t, comp, blob_digest.and_then(|d| d.finish())))
}

/// How a layer's error starts, so the reader knows which stream broke.
fn layer_prefix(comp: Compression) -> &'static str {
    match comp {
        Compression::Gzip => "gzip layer: ",
        Compression::Zstd => "zstd layer: ",
        Compression::Xz => "xz layer: ",
        Compression::Bzip2 => "bzip2 layer: ",
        Compression::None => "",
    }
}

/// Where an entry's data lies in a seekable outer tar.
#[derive(Clone, Debug)]
struct Located {
    offset: u64,
    size: u64,
    /// Symlinks and hard links in the outer archive (Docker dedups layers
    /// by linking `<id>/layer.tar` to another's).
    link: Option<String>,
}

/// The name an outer-archive member is found by, compared as raw bytes
/// after cleaning: a member whose name climbs out of the archive
/// (`../manifest.json`) or is not UTF-8 can match no name a manifest gives
/// (containerd's import compares `path.Clean`ed names the same way), so it
/// is passed over rather than repaired into another member's name.
fn member_name(raw: &[u8]) -> Option<String> {
    let mut out = Vec::new();
    if crate::index::path::normalize_into(raw, &mut out).escaped_root {
        return None;
    }
    String::from_utf8(out).ok()
}

struct SeekableTar {
    path: PathBuf,
    entries: HashMap<String, Located>,
}

impl SeekableTar {
    fn scan(path: &Path, f: File, len: u64) -> Result<SeekableTar, Problem> {
        let mut tar = TarReader::new(BufReader::with_capacity(64 << 10, f));
        let mut entries = HashMap::new();
        let mut seen_any = false;
        loop {
            let h = match tar.next_entry() {
                Ok(Some(h)) => h,
                Ok(None) => break,
                Err(e) => return Err(tar_problem(e, !seen_any)),
            };
            seen_any = true;
            let Some(name) = member_name(h.path) else {
                continue;
            };
            if h.data_offset.saturating_add(h.size) > len {
                return Err(Problem::Archive(format!(
                    "archive is truncated: {name} needs {} bytes, {} remain",
                    h.size,
                    len.saturating_sub(h.data_offset)
                )));
            }
            // Only files are blobs (and links to them): a manifest naming a
            // directory gets "not in the archive", as it does from stdin.
            if !(h.flag.is_regular() || h.flag.is_symlink() || h.flag.is_hardlink()) {
                continue;
            }
            let link = if h.flag.is_symlink() {
                let (dir, _) = name.rsplit_once('/').unwrap_or(("", &name));
                let target = String::from_utf8_lossy(h.link);
                Some(layout::normalize_name(&format!("{dir}/{target}")))
            } else if h.flag.is_hardlink() {
                Some(layout::normalize_name(&String::from_utf8_lossy(h.link)))
            } else {
                None
            };
            entries.insert(
                name,
                Located {
                    offset: h.data_offset,
                    size: h.size,
                    link,
                },
            );
        }
        if entries.is_empty() {
            return Err(Problem::NotAnImage("the archive holds no files".into()));
        }
        Ok(SeekableTar {
            path: path.to_path_buf(),
            entries,
        })
    }

    fn locate(&self, name: &str) -> Option<&Located> {
        let mut cur = self.entries.get(name)?;
        for _ in 0..8 {
            match &cur.link {
                Some(target) => cur = self.entries.get(target)?,
                None => return Some(cur),
            }
        }
        None
    }
}

impl MetaFiles for SeekableTar {
    fn exists(&self, name: &str) -> bool {
        self.locate(name).is_some()
    }
    fn read(&self, name: &str) -> Result<Vec<u8>, Problem> {
        let (mut r, size) = self.open(name)?;
        if size > META_LIMIT {
            return Err(Problem::Archive(format!(
                "{name} is {size} bytes, too large for metadata"
            )));
        }
        let mut v = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        r.read_to_end(&mut v).map_err(Problem::Io)?;
        Ok(v)
    }
}

impl RandomAccess for SeekableTar {
    fn open(&self, name: &str) -> Result<(Box<dyn Read + Send + '_>, u64), Problem> {
        let loc = self.locate(name).ok_or_else(|| Problem::MissingBlob {
            what: "the manifest".into(),
            name: name.to_string(),
        })?;
        let mut f = File::open(&self.path).map_err(Problem::Io)?;
        f.seek(SeekFrom::Start(loc.offset)).map_err(Problem::Io)?;
        Ok((Box::new(f.take(loc.size)), loc.size))
    }
}

struct DirContainer {
    root: PathBuf,
}

impl DirContainer {
    fn path_of(&self, name: &str) -> Option<PathBuf> {
        // Names come from the image's own manifests: never let one reach
        // outside the layout directory.
        let norm = layout::normalize_name(name);
        if norm.is_empty() || norm != name.trim_start_matches("./") {
            return None;
        }
        Some(self.root.join(norm))
    }
}

impl MetaFiles for DirContainer {
    fn exists(&self, name: &str) -> bool {
        self.path_of(name).is_some_and(|p| p.is_file())
    }
    fn read(&self, name: &str) -> Result<Vec<u8>, Problem> {
        let (mut r, size) = self.open(name)?;
        if size > META_LIMIT {
            return Err(Problem::Archive(format!(
                "{name} is {size} bytes, too large for metadata"
            )));
        }
        // The size a file reports can be a lie (files under /proc report
        // 0), so the cap counts the bytes actually read.
        // Whole 64 KiB reads: some special files refuse odd-sized ones.
        let mut v = Vec::new();
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Problem::Io(e)),
            };
            v.extend_from_slice(&buf[..n]);
            if v.len() as u64 > META_LIMIT {
                return Err(Problem::Archive(format!(
                    "{name} is over {META_LIMIT} bytes, too large for metadata"
                )));
            }
        }
        Ok(v)
    }
}

impl RandomAccess for DirContainer {
    fn open(&self, name: &str) -> Result<(Box<dyn Read + Send + '_>, u64), Problem> {
        let p = self.path_of(name).ok_or_else(|| Problem::MissingBlob {
            what: "the manifest".into(),
            name: name.to_string(),
        })?;
        // A blob that is a device or a FIFO (a symlink to /dev/zero, say)
        // would never end, or block opening.
        if std::fs::metadata(&p).is_ok_and(|m| !m.is_file()) {
            return Err(Problem::Archive(format!(
                "{name} is not a regular file (a device, FIFO or directory)"
            )));
        }
        let f = File::open(&p).map_err(|_| Problem::MissingBlob {
            what: "the manifest".into(),
            name: name.to_string(),
        })?;
        let len = f.metadata().map_err(Problem::Io)?.len();
        Ok((Box::new(f), len))
    }
}

/// Metadata files kept in memory while streaming.
struct StreamedMeta {
    files: HashMap<String, Vec<u8>>,
    links: HashMap<String, String>,
}

impl StreamedMeta {
    fn target<'a>(&'a self, name: &'a str) -> &'a str {
        let mut cur = name;
        for _ in 0..8 {
            match self.links.get(cur) {
                Some(t) => cur = t,
                None => break,
            }
        }
        cur
    }
}

impl MetaFiles for StreamedMeta {
    fn exists(&self, name: &str) -> bool {
        self.files.contains_key(self.target(name))
    }
    fn read(&self, name: &str) -> Result<Vec<u8>, Problem> {
        self.files
            .get(self.target(name))
            .cloned()
            .ok_or_else(|| Problem::MissingBlob {
                what: "the manifest".into(),
                name: name.to_string(),
            })
    }
}

/// Reads the current outer entry's data through the tar reader.
struct EntryData<'a, R: tar_stream::SkipForward> {
    tar: &'a mut TarReader<R>,
}

impl<R: tar_stream::SkipForward> Read for EntryData<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let chunk = self.tar.data_chunk().map_err(io::Error::other)?;
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        self.tar.consume(n);
        Ok(n)
    }
}

fn looks_like_json(head: &[u8]) -> bool {
    head.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{' || b == b'[')
}

type StreamedLayer<T> = Result<(T, Compression, u64, Option<String>), String>;

fn load_stream<T, E, F>(
    raw: Box<dyn BufRead + Send + '_>,
    file_label: &str,
    opts: &LoadOptions,
    index: &F,
) -> Result<(ImageMeta, Vec<T>), LoadError>
where
    T: Send + Clone,
    E: Display + Send,
    F: Fn(&mut dyn BufRead) -> Result<T, E> + Sync,
{
    let err = |p: Problem| LoadError::new(file_label, p);
    let on_read: Option<Box<dyn FnMut(u64) + Send>> = opts.progress.as_ref().map(|p| {
        let p = Arc::clone(p);
        Box::new(move |n| {
            p.bytes_done.fetch_add(n, Ordering::Relaxed);
        }) as Box<dyn FnMut(u64) + Send>
    });
    let (outer, _) =
        decompress::decoder(Counting::new(raw, on_read)).map_err(|e| err(Problem::Io(e)))?;
    let mut tar = TarReader::new(Streamed(outer));
    let mut meta = StreamedMeta {
        files: HashMap::new(),
        links: HashMap::new(),
    };
    let mut layers: HashMap<String, StreamedLayer<T>> = HashMap::new();
    let mut meta_bytes = 0u64;
    let mut seen_any = false;
    loop {
        let h = match tar.next_entry() {
            Ok(Some(h)) => h,
            Ok(None) => break,
            Err(e) => return Err(err(tar_problem(e, !seen_any))),
        };
        seen_any = true;
        let Some(name) = member_name(h.path) else {
            continue;
        };
        if h.flag.is_symlink() || h.flag.is_hardlink() {
            let target = String::from_utf8_lossy(h.link);
            let target = if h.flag.is_symlink() {
                let (dir, _) = name.rsplit_once('/').unwrap_or(("", &name));
                layout::normalize_name(&format!("{dir}/{target}"))
            } else {
                layout::normalize_name(&target)
            };
            meta.links.insert(name, target);
            continue;
        }
        if !h.flag.is_regular() {
            continue;
        }
        let size = h.size;
        let mut head = [0u8; 16];
        let mut got = 0;
        {
            let mut data = EntryData { tar: &mut tar };
            while got < head.len() {
                match data.read(&mut head[got..]) {
                    Ok(0) => break,
                    Ok(n) => got += n,
                    Err(e) => return Err(err(Problem::Archive(e.to_string()))),
                }
            }
        }
        // The layout's own files are metadata whatever they hold, so a
        // broken index.json is reported as such, not taken for a layer.
        let known_meta = matches!(name.as_str(), "manifest.json" | "index.json" | "oci-layout");
        if known_meta && size > META_LIMIT {
            return Err(err(Problem::Archive(format!(
                "{name} is {size} bytes, too large for metadata"
            ))));
        }
        if (looks_like_json(&head[..got]) || known_meta) && size <= META_LIMIT {
            meta_bytes += size;
            if meta_bytes > 4 * META_LIMIT {
                return Err(err(Problem::Archive(
                    "too much metadata in the archive".into(),
                )));
            }
            let mut v = head[..got].to_vec();
            EntryData { tar: &mut tar }
                .read_to_end(&mut v)
                .map_err(|e| err(Problem::Archive(e.to_string())))?;
            meta.files.insert(name, v);
            continue;
        }
        if layers.len() >= LAYER_LIMIT {
            return Err(err(Problem::Archive(format!(
                "more than {LAYER_LIMIT} blobs in the archive"
            ))));
        }
        let body = io::Cursor::new(head)
            .take(got as u64)
            .chain(EntryData { tar: &mut tar });
        let (body, blob_digest) = BlobDigest::tap(Box::new(body), opts.verify, &name);
        let result = decompress::decoder(body)
            .map_err(|e| e.to_string())
            .and_then(|(mut stream, comp)| {
                if let Some(d) = &blob_digest {
                    d.sniffed(comp);
                }
                index(&mut *stream)
                    .map(|t| (t, comp, size))
                    .map_err(|e| format!("{}{e}", layer_prefix(comp)))
            })
            .map(|(t, comp, size)| (t, comp, size, blob_digest.and_then(|d| d.finish())));
        if let Some(p) = &opts.progress {
            p.layers_done.fetch_add(1, Ordering::Relaxed);
        }
        // A broken outer stream shows up here first; it is fatal at once.
        if let Err(e) = &result
            && tar.data_left() > 0
            && e.contains("truncated")
        {
            return Err(err(Problem::Archive(format!(
                "archive is truncated inside {name}"
            ))));
        }
        layers.insert(name, result);
    }
    if !seen_any {
        return Err(err(Problem::NotAnImage(
            "the archive holds no files".into(),
        )));
    }
    let resolved = layout::resolve(&meta, &opts.selection).map_err(err)?;
    check_layer_count(&resolved).map_err(err)?;
    let keys: Vec<String> = resolved
        .layers
        .iter()
        .map(|l| meta.target(&l.name).to_string())
        .collect();
    let mut last_use: HashMap<&str, usize> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        last_use.insert(k, i);
    }
    let mut metas = Vec::new();
    let mut out = Vec::new();
    for (i, l) in resolved.layers.iter().enumerate() {
        let key = &keys[i];
        if !layers.contains_key(key)
            && let Some(bytes) = meta.files.get(key)
        {
            // A layer whose first entry's name starts with `{` or `[` was
            // kept as metadata; the manifest says otherwise, so index it.
            let result = decompress::decoder(io::Cursor::new(bytes.as_slice()))
                .map_err(|e| e.to_string())
                .and_then(|(mut stream, comp)| {
                    index(&mut *stream)
                        .map(|t| (t, comp, bytes.len() as u64, None))
                        .map_err(|e| format!("{}{e}", layer_prefix(comp)))
                });
            layers.insert(key.clone(), result);
        }
        // Moved out at its last use, copied before: never held twice.
        let r = if last_use[key.as_str()] == i {
            layers.remove(key)
        } else {
            layers.get(key).cloned()
        };
        let Some(r) = r else {
            return Err(err(Problem::MissingBlob {
                what: "the manifest".into(),
                name: l.name.clone(),
            }));
        };
        let (t, comp, size, computed) = r.map_err(|detail| {
            err(Problem::BadLayer {
                index: i,
                name: l.name.clone(),
                detail,
            })
        })?;
        metas.push(LayerMeta {
            name: l.name.clone(),
            digest: l.digest.clone(),
            media_type: l.media_type.clone(),
            compressed_size: size,
            compression: comp,
            computed_digest: computed,
        });
        out.push(t);
    }
    let format = if resolved.uses_oci_index {
        Format::OciArchive
    } else {
        Format::DockerArchive
    };
    Ok((image_meta(file_label, format, resolved, metas), out))
}
