//! One forward pass over an archive that cannot seek (stdin, a pipe, a
//! compressed archive, an engine's stream): metadata kept in memory,
//! layers indexed as they pass.

use super::META_LIMIT;
use super::check_layer_count;
use super::containers::member_name;
use super::decompress;
use super::decompress::Compression;
use super::decompress::Counting;
use super::digest::BlobDigest;
use super::image_meta;
use super::input::ImageMeta;
use super::input::LayerMeta;
use super::input::LoadOptions;
use super::layer_prefix;
use super::layout;
use super::layout::Format;
use super::layout::MetaFiles;
use super::retained::Retained;
use super::retained::SPECULATIVE_LIMIT;
use super::tar_problem;
use super::tar_stream;
use super::tar_stream::Streamed;
use super::tar_stream::TarReader;
use crate::error::LoadError;
use crate::error::Problem;
use std::collections::HashMap;
use std::fmt::Display;
use std::io;
use std::io::BufRead;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Metadata files kept in memory while streaming.
pub(super) struct StreamedMeta {
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
pub(super) struct EntryData<'a, R: tar_stream::SkipForward> {
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

pub(super) fn looks_like_json(head: &[u8]) -> bool {
    head.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{' || b == b'[')
}

pub(super) type StreamedLayer<T> = Result<(T, Compression, u64, Option<String>), String>;

pub(super) fn load_stream<T, E, F>(
    raw: Box<dyn BufRead + Send + '_>,
    file_label: &str,
    opts: &LoadOptions,
    index: &F,
) -> Result<(ImageMeta, Vec<T>), LoadError>
where
    T: Send + Clone + Retained,
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
    // What the results kept so far hold: bounded by bytes, not by a count
    // of blobs, so many small unreferenced blobs pass and a few huge
    // indexes do not.
    let mut kept_bytes = 0u64;
    let over_bound = || {
        err(Problem::Archive(format!(
            "the blobs read before the manifest hold over {} MiB of indexes and metadata, the \
             bound for an archive read as a stream; give it as a file to read only its layers",
            SPECULATIVE_LIMIT >> 20
        )))
    };
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
            kept_bytes += size + name.len() as u64;
            if kept_bytes > SPECULATIVE_LIMIT {
                return Err(over_bound());
            }
            let mut v = head[..got].to_vec();
            EntryData { tar: &mut tar }
                .read_to_end(&mut v)
                .map_err(|e| err(Problem::Archive(e.to_string())))?;
            meta.files.insert(name, v);
            continue;
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
        kept_bytes += kept_cost(&name, &result);
        if kept_bytes > SPECULATIVE_LIMIT {
            return Err(over_bound());
        }
        if let Some(old) = layers.insert(name, result) {
            kept_bytes -= kept_cost("", &old).min(kept_bytes);
        }
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
        let (t, comp, size, computed) =
            r.map_err(|detail| err(Problem::bad_layer(i, l.name.clone(), detail)))?;
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

/// Bytes one kept result holds: its slot, its name and what it retains.
fn kept_cost<T: Retained>(name: &str, r: &StreamedLayer<T>) -> u64 {
    let held = match r {
        Ok((t, _, _, digest)) => t.retained_bytes() + digest.as_ref().map_or(0, |d| d.len() as u64),
        Err(e) => e.len() as u64,
    };
    (std::mem::size_of::<(String, StreamedLayer<T>)>() + name.len()) as u64 + held
}
