//! Load: turn a tarball, an OCI layout directory or stdin into the image's
//! metadata plus one decompressed tar stream per layer, handed to an indexer.
//!
//! The format is sniffed from contents, never from names. A seekable archive
//! is scanned header by header first (seeking over data), so every layer's
//! byte range is known and layers are indexed on all cores at once, largest
//! first. Stdin is read once, front to back: each blob is indexed as it
//! streams past, before `manifest.json` (which `docker save` writes last)
//! says which blobs are layers. Nothing is extracted to disk.
//!
//! Here: the entry points ([`load`], [`load_reusing`]) and the random-access
//! loader. Beside it: `input` (what a load starts from and yields),
//! `containers` (seekable tar, directory), `stream` (the one-pass loader),
//! `digest` (blob hashes as bytes pass), `layout` (formats and selection),
//! `source` (engines and registries), the tar reader and decompression.

mod containers;
pub mod decompress;
mod digest;
mod dir_transport;
pub mod extract;
mod input;
pub mod layout;
pub mod parallel_inflate;
pub mod retained;
pub mod source;
mod stream;
pub mod tar_pax;
pub mod tar_stream;

use std::collections::HashMap;
use std::fmt::Display;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::error::{LoadError, Problem};
use decompress::{Compression, Counting};
use layout::{Format, MetaFiles, Resolved};
use tar_stream::TarError;

use containers::{DirContainer, SeekableTar};
use digest::BlobDigest;
pub use input::{ImageMeta, Input, LayerMeta, LoadOptions, LoadProgress};
use stream::load_stream;

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
    T: Send + Clone + retained::Retained,
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
    T: Send + Clone + retained::Retained,
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
    /// The blob as a byte range of a file, for positional reads (the
    /// parallel inflate); `None` where it is not one.
    fn positional(&self, _name: &str) -> Option<parallel_inflate::FileRange> {
        None
    }
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
    let inflate = parallel_inflate::Mode::from_env();
    let total_bytes: u64 = order.iter().map(|&i| sizes[i]).sum();
    let cores = rayon::current_num_threads();
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
                    if inflate.parallel_for(sizes[slot], total_bytes, cores)
                        && let Some(range) = c.positional(&unique[slot])
                        && let Some(r) = parallel_inflate::index_blob(
                            range,
                            opts.progress.as_ref(),
                            opts.verify,
                            &unique[slot],
                            index,
                        )
                    {
                        match r {
                            Ok(v) => return Ok(v),
                            Err(e) if !inflate.falls_back() => return Err(Problem::Archive(e)),
                            Err(_) => {}
                        }
                    }
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
        return Err(err(Problem::bad_layer(
            first_layer_of(slot),
            unique[slot].clone(),
            p.to_string(),
        )));
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
        digests_checked: false,
        skipped: r.skipped,
        source: source.to_string(),
        format,
        repo_tags: r.repo_tags,
        config: r.config,
        layers,
        annotations: r.annotations,
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
