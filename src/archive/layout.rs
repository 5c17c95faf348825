//! Which image an archive holds, and where its config and layers are:
//! Docker's `manifest.json` (legacy `docker save`, kaniko, skopeo/buildah
//! `docker-archive:`, Docker ≥ 25 which also writes an OCI layout) or the
//! OCI `index.json`, possibly nested per platform.
//!
//! Works on names inside a container only; it never opens a layer.

use std::collections::HashMap;

use oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest};
use serde::{Deserialize, Serialize};

use crate::error::Problem;

/// The metadata files of an archive or directory, by normalized name.
pub trait MetaFiles {
    fn exists(&self, name: &str) -> bool;
    fn read(&self, name: &str) -> Result<Vec<u8>, Problem>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Format {
    #[serde(rename = "docker-archive")]
    DockerArchive,
    #[serde(rename = "oci-archive")]
    OciArchive,
    #[serde(rename = "oci-dir")]
    OciDir,
    #[serde(rename = "docker-dir")]
    DockerDir,
    /// Read from a registry's distribution API.
    #[serde(rename = "registry")]
    Registry,
    /// Streamed from the Docker Engine's API.
    #[serde(rename = "docker")]
    DockerEngine,
    /// Streamed from Podman.
    #[serde(rename = "podman")]
    Podman,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::DockerArchive => "docker-archive",
            Format::OciArchive => "oci-archive",
            Format::OciDir => "oci-dir",
            Format::DockerDir => "docker-dir",
            Format::Registry => "registry",
            Format::DockerEngine => "docker",
            Format::Podman => "podman",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// `NAME[:TAG]`
    pub image: Option<String>,
    /// `os/arch[/variant]`
    pub platform: Option<String>,
}

#[derive(Clone, Debug)]
pub struct LayerRef {
    /// Where the blob sits in the container.
    pub name: String,
    pub digest: Option<String>,
    pub media_type: Option<String>,
}

#[derive(Debug)]
pub struct Resolved {
    pub uses_oci_index: bool,
    /// Digest mismatches found for free on the way (a config blob whose
    /// content does not match its digest); nothing else goes here.
    pub digest_mismatches: Vec<String>,
    pub repo_tags: Vec<String>,
    pub config: ImageConfiguration,
    pub layers: Vec<LayerRef>,
}

#[derive(Deserialize)]
struct DockerEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

pub fn resolve(files: &dyn MetaFiles, sel: &Selection) -> Result<Resolved, Problem> {
    if files.exists("manifest.json") {
        resolve_docker(files, sel)
    } else if files.exists("index.json") {
        resolve_oci(files, sel)
    } else {
        Err(Problem::NotAnImage(
            "could not find image manifest (no manifest.json or index.json)".into(),
        ))
    }
}

fn parse_json<T: for<'de> Deserialize<'de>>(bytes: &[u8], what: &str) -> Result<T, Problem> {
    serde_json::from_slice(bytes).map_err(|e| Problem::BadJson {
        what: what.to_string(),
        detail: e.to_string(),
    })
}

fn read_config(
    files: &dyn MetaFiles,
    name: &str,
    owner: &str,
) -> Result<(ImageConfiguration, Option<String>), Problem> {
    if !files.exists(name) {
        return Err(Problem::MissingBlob {
            what: format!("{owner} config"),
            name: name.to_string(),
        });
    }
    let bytes = files.read(name)?;
    let config = parse_json(&bytes, &format!("image config {name}"))?;
    Ok((config, digest_mismatch(name, &bytes)))
}

/// Config and manifest blobs are named by their sha256 (`blobs/sha256/HEX`,
/// legacy `HEX.json`, kaniko's `sha256:HEX`): checking costs nothing, so a
/// mismatch is always reported (and fails `--verify`).
fn digest_mismatch(name: &str, bytes: &[u8]) -> Option<String> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let hex = if name.starts_with("blobs/sha256/") {
        base
    } else {
        base.strip_prefix("sha256:")
            .or_else(|| base.strip_suffix(".json"))
            .unwrap_or("")
    };
    if !is_hex64(hex) {
        return None;
    }
    let have = crate::index::layer::hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes));
    (have != hex.to_ascii_lowercase()).then(|| {
        format!("{name}: blob digest sha256:{have} does not match the name it is stored under")
    })
}

fn platform_of(c: &ImageConfiguration) -> String {
    let mut p = format!("{}/{}", c.os(), c.architecture());
    if let Some(v) = c.variant() {
        p.push('/');
        p.push_str(v);
    }
    p
}

fn platform_matches(want: &str, have: &str) -> bool {
    // `linux/arm64` matches `linux/arm64/v8`; a variant asked for must match.
    have == want || have.starts_with(&format!("{want}/"))
}

/// `NAME[:TAG]` against a full reference; a bare name means any tag of it,
/// and registry prefixes such as `docker.io/library/` may be left off.
fn image_matches(want: &str, tag: &str) -> bool {
    let strip = |s: &str| -> String {
        let s = s.strip_prefix("docker.io/").unwrap_or(s);
        let s = s.strip_prefix("localhost/").unwrap_or(s);
        s.strip_prefix("library/").unwrap_or(s).to_string()
    };
    let (w, t) = (strip(want), strip(tag));
    if w == t {
        return true;
    }
    let has_tag = w.rsplit('/').next().is_some_and(|last| last.contains(':'));
    !has_tag && t.rsplit_once(':').is_some_and(|(repo, _)| repo == w)
}

fn resolve_docker(files: &dyn MetaFiles, sel: &Selection) -> Result<Resolved, Problem> {
    let bytes = files.read("manifest.json")?;
    let entries: Vec<DockerEntry> = parse_json(&bytes, "manifest.json")?;
    if entries.is_empty() {
        return Err(Problem::NotAnImage("manifest.json lists no images".into()));
    }
    // Reading is confined to the archive anyway; this names the problem.
    for e in &entries {
        if let Some(name) = std::iter::once(&e.config)
            .chain(&e.layers)
            .find(|n| escapes_root(n))
        {
            return Err(Problem::Archive(format!(
                "manifest.json names {name}, which points outside the archive"
            )));
        }
    }
    let label = |i: usize, e: &DockerEntry| -> String {
        match e.repo_tags.as_deref() {
            Some([first, ..]) => first.clone(),
            _ => format!("#{i} ({})", e.config),
        }
    };
    let mut candidates: Vec<usize> = (0..entries.len()).collect();
    if let Some(want) = &sel.image {
        candidates.retain(|&i| {
            entries[i]
                .repo_tags
                .iter()
                .flatten()
                .any(|t| image_matches(want, t))
        });
        if candidates.is_empty() {
            return Err(Problem::NoMatch {
                what: format!("--image {want}"),
                choices: entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| label(i, e))
                    .collect(),
            });
        }
    }
    let mut configs = HashMap::new();
    if let Some(want) = &sel.platform {
        let mut kept = Vec::new();
        for &i in &candidates {
            let c = read_config(files, &entries[i].config, "manifest.json")?;
            if platform_matches(want, &platform_of(&c.0)) {
                kept.push(i);
                configs.insert(i, c);
            }
        }
        if kept.is_empty() {
            return Err(Problem::NoMatch {
                what: format!("--platform {want}"),
                choices: candidates.iter().map(|&i| label(i, &entries[i])).collect(),
            });
        }
        candidates = kept;
    }
    if candidates.len() > 1 {
        return Err(Problem::Ambiguous {
            what: "the archive".into(),
            flag: "--image",
            choices: candidates.iter().map(|&i| label(i, &entries[i])).collect(),
        });
    }
    let i = candidates[0];
    let entry = &entries[i];
    let (config, config_warning) = match configs.remove(&i) {
        Some(c) => c,
        None => read_config(files, &entry.config, "manifest.json")?,
    };
    let layers = entry
        .layers
        .iter()
        .map(|name| LayerRef {
            name: normalize_name(name),
            digest: digest_from_name(name),
            media_type: None,
        })
        .collect();
    Ok(Resolved {
        uses_oci_index: false,
        digest_mismatches: config_warning.into_iter().collect(),
        repo_tags: entry.repo_tags.clone().unwrap_or_default(),
        config,
        layers,
    })
}

/// A blob's digest when its name carries one (`blobs/sha256/HEX`,
/// kaniko's `HEX.tar.gz`).
fn digest_from_name(name: &str) -> Option<String> {
    let name = normalize_name(name);
    if let Some(hex) = name.strip_prefix("blobs/sha256/") {
        return is_hex64(hex).then(|| format!("sha256:{hex}"));
    }
    let stem = name
        .strip_suffix(".tar.gz")
        .or_else(|| name.strip_suffix(".tar"))?;
    is_hex64(stem).then(|| format!("sha256:{stem}"))
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether a name climbs above the archive's root with `..`.
fn escapes_root(name: &str) -> bool {
    crate::index::path::normalize_into(name.as_bytes(), &mut Vec::new()).escaped_root
}

pub fn normalize_name(name: &str) -> String {
    let mut out = Vec::new();
    crate::index::path::normalize_into(name.as_bytes(), &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn blob_name(d: &Descriptor) -> String {
    let digest = d.digest();
    format!("blobs/{}/{}", digest.algorithm(), digest.digest())
}

#[derive(Clone)]
struct Candidate {
    manifest: Descriptor,
    names: Vec<String>,
    platform: Option<String>,
}

const INDEX_DEPTH_LIMIT: usize = 4;
/// Manifest descriptors looked at across all indexes; real layouts list a
/// handful per platform.
const CANDIDATE_LIMIT: usize = 100_000;

/// Walks nested image indexes. Each index blob is read once however often
/// it is listed, the same manifest listed twice is one candidate, an index
/// that contains itself is refused, and the total work is capped, so a
/// hostile layout can neither loop nor fan out exponentially.
struct IndexWalk<'a> {
    files: &'a dyn MetaFiles,
    expanded: HashMap<String, Vec<Candidate>>,
    /// Blob names of the indexes being expanded, outermost first.
    ancestors: Vec<String>,
    budget: usize,
}

impl IndexWalk<'_> {
    fn manifests(&mut self, owner: &str, listed: &[Descriptor]) -> Result<Vec<Candidate>, Problem> {
        let mut out: Vec<Candidate> = Vec::new();
        let mut slot: HashMap<(String, Option<String>), usize> = HashMap::new();
        for d in listed {
            let mut names = Vec::new();
            if let Some(ann) = d.annotations() {
                if ann.get("vnd.docker.reference.type").map(String::as_str)
                    == Some("attestation-manifest")
                {
                    continue;
                }
                for key in [
                    "io.containerd.image.name",
                    "org.opencontainers.image.ref.name",
                ] {
                    if let Some(v) = ann.get(key)
                        && !names.contains(v)
                    {
                        names.push(v.clone());
                    }
                }
            }
            let mt = d.media_type().to_string();
            let found = if mt.contains("index") || mt.contains("manifest.list") {
                self.nested(owner, d)?
            } else {
                let platform = d.platform().as_ref().map(|p| {
                    let mut s = format!("{}/{}", p.os(), p.architecture());
                    if let Some(v) = p.variant() {
                        s.push('/');
                        s.push_str(v);
                    }
                    s
                });
                if platform.as_deref() == Some("unknown/unknown") {
                    continue;
                }
                vec![Candidate {
                    manifest: d.clone(),
                    names: Vec::new(),
                    platform,
                }]
            };
            for c in found {
                self.budget = self.budget.checked_sub(1).ok_or_else(|| {
                    Problem::Archive(format!(
                        "image indexes list more than {CANDIDATE_LIMIT} manifests"
                    ))
                })?;
                let key = (c.manifest.digest().to_string(), c.platform.clone());
                let i = *slot.entry(key).or_insert_with(|| {
                    out.push(Candidate {
                        names: Vec::new(),
                        ..c.clone()
                    });
                    out.len() - 1
                });
                // The outer descriptor's names come first, as they did when
                // the walk was a plain descent.
                for n in names.iter().chain(&c.names) {
                    if !out[i].names.contains(n) {
                        out[i].names.push(n.clone());
                    }
                }
            }
        }
        Ok(out)
    }

    fn nested(&mut self, owner: &str, d: &Descriptor) -> Result<Vec<Candidate>, Problem> {
        let name = blob_name(d);
        if let Some(done) = self.expanded.get(&name) {
            return Ok(done.clone());
        }
        if self.ancestors.contains(&name) {
            return Err(Problem::Archive(format!(
                "image index {name} lists itself (a cycle)"
            )));
        }
        if self.ancestors.len() >= INDEX_DEPTH_LIMIT {
            return Err(Problem::Archive(format!(
                "image indexes nest deeper than {INDEX_DEPTH_LIMIT} levels"
            )));
        }
        if !self.files.exists(&name) {
            return Err(Problem::MissingBlob {
                what: owner.to_string(),
                name,
            });
        }
        let index: ImageIndex =
            parse_json(&self.files.read(&name)?, &format!("image index {name}"))?;
        self.ancestors.push(name.clone());
        let found = self.manifests(&format!("image index {name}"), index.manifests());
        self.ancestors.pop();
        let found = found?;
        self.expanded.insert(name, found.clone());
        Ok(found)
    }
}

fn resolve_oci(files: &dyn MetaFiles, sel: &Selection) -> Result<Resolved, Problem> {
    let bytes = files.read("index.json")?;
    let index: ImageIndex = parse_json(&bytes, "index.json")?;
    let mut walk = IndexWalk {
        files,
        expanded: HashMap::new(),
        ancestors: Vec::new(),
        budget: CANDIDATE_LIMIT,
    };
    let mut candidates = walk.manifests("index.json", index.manifests())?;
    if candidates.is_empty() {
        return Err(Problem::NotAnImage(
            "index.json lists no image manifests".into(),
        ));
    }
    let label = |c: &Candidate| -> String {
        let name = c
            .names
            .first()
            .cloned()
            .unwrap_or_else(|| c.manifest.digest().to_string());
        match &c.platform {
            Some(p) => format!("{name} ({p})"),
            None => name,
        }
    };
    if let Some(want) = &sel.image {
        let all: Vec<String> = candidates.iter().map(label).collect();
        candidates.retain(|c| c.names.iter().any(|n| image_matches(want, n) || n == want));
        if candidates.is_empty() {
            return Err(Problem::NoMatch {
                what: format!("--image {want}"),
                choices: all,
            });
        }
    }
    if let Some(want) = &sel.platform {
        let all: Vec<String> = candidates.iter().map(label).collect();
        candidates.retain(|c| {
            c.platform
                .as_deref()
                .is_none_or(|p| platform_matches(want, p))
        });
        if candidates.is_empty() {
            return Err(Problem::NoMatch {
                what: format!("--platform {want}"),
                choices: all,
            });
        }
    }
    if candidates.len() > 1 {
        let platforms_differ = candidates
            .iter()
            .any(|c| c.platform != candidates[0].platform);
        return Err(Problem::Ambiguous {
            what: "the archive".into(),
            flag: if platforms_differ {
                "--platform (or --image)"
            } else {
                "--image"
            },
            choices: candidates.iter().map(label).collect(),
        });
    }
    let chosen = candidates.remove(0);
    let mname = blob_name(&chosen.manifest);
    if !files.exists(&mname) {
        return Err(Problem::MissingBlob {
            what: "index.json".into(),
            name: mname,
        });
    }
    let manifest_bytes = files.read(&mname)?;
    let manifest: ImageManifest = parse_json(&manifest_bytes, &format!("image manifest {mname}"))?;
    let (config, config_warning) =
        read_config(files, &blob_name(manifest.config()), "image manifest")?;
    let digest_mismatches = digest_mismatch(&mname, &manifest_bytes)
        .into_iter()
        .chain(config_warning)
        .collect();
    let layers = manifest
        .layers()
        .iter()
        .map(|d| LayerRef {
            name: blob_name(d),
            digest: Some(d.digest().to_string()),
            media_type: Some(d.media_type().to_string()),
        })
        .collect();
    Ok(Resolved {
        uses_oci_index: true,
        digest_mismatches,
        repo_tags: chosen.names,
        config,
        layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_match_with_and_without_tags_and_registries() {
        assert!(image_matches("busybox", "busybox:latest"));
        assert!(image_matches(
            "busybox:latest",
            "docker.io/library/busybox:latest"
        ));
        assert!(image_matches("localhost/ml:1", "localhost/ml:1"));
        assert!(image_matches("ml", "localhost/ml:latest"));
        assert!(!image_matches("busybox:1", "busybox:latest"));
        assert!(!image_matches("busy", "busybox:latest"));
        assert!(image_matches("reg:5000/x", "reg:5000/x:tag"));
    }

    #[test]
    fn digests_come_from_blob_names() {
        let hex = "a".repeat(64);
        assert_eq!(
            digest_from_name(&format!("blobs/sha256/{hex}")),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(
            digest_from_name(&format!("{hex}.tar.gz")),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(digest_from_name("abc/layer.tar"), None);
    }

    #[test]
    fn platforms_match_with_optional_variant() {
        assert!(platform_matches("linux/arm64", "linux/arm64/v8"));
        assert!(!platform_matches("linux/arm", "linux/arm64"));
        assert!(platform_matches("linux/amd64", "linux/amd64"));
    }
}
