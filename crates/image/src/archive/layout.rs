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
    /// containers/image's `dir:` transport (skopeo, `podman save --format
    /// docker-dir`): one manifest and blobs named by bare hex digest.
    #[serde(rename = "dir")]
    Dir,
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
            Format::Dir => "dir",
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
    /// Manifests passed over because they are not container images
    /// (signatures, attestations, artifacts), for the report's warnings.
    pub skipped: Vec<String>,
    /// The image manifest's annotations (OCI layouts only).
    pub annotations: std::collections::BTreeMap<String, String>,
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
    } else if files.exists("repositories") {
        Err(Problem::NotAnImage(
            "this is a docker save archive from before Docker 1.10 (a repositories file, \
             no manifest.json), a format ballast does not read; save it again with a newer docker"
                .into(),
        ))
    } else {
        Err(Problem::NotAnImage(
            "could not find image manifest (no manifest.json or index.json)".into(),
        ))
    }
}

/// Parses JSON as Go's `encoding/json` does for the runtime: a key given
/// twice keeps its last value (serde's derived structs would refuse it), so
/// the document goes through a map first.
fn parse_json<T: for<'de> Deserialize<'de>>(bytes: &[u8], what: &str) -> Result<T, Problem> {
    let bad = |e: serde_json::Error| Problem::BadJson {
        what: what.to_string(),
        detail: e.to_string(),
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(bad)?;
    T::deserialize(value).map_err(bad)
}

fn read_config(
    files: &dyn MetaFiles,
    name: &str,
    owner: &str,
) -> Result<(ImageConfiguration, Option<String>), Problem> {
    // `./x.json` names the member `x.json`, as a runtime's path cleaning has it.
    let name = &normalize_name(name);
    if !files.exists(name) {
        return Err(Problem::MissingBlob {
            what: format!("{owner} config"),
            name: name.clone(),
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
    let hex = config_hex(name)?;
    let have = crate::index::layer::hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes));
    (have != hex.to_ascii_lowercase()).then(|| {
        format!("{name}: blob digest sha256:{have} does not match the name it is stored under")
    })
}

/// The sha256 a config or manifest blob's name carries (`blobs/sha256/HEX`,
/// legacy `HEX.json`, kaniko's `sha256:HEX`).
fn config_hex(name: &str) -> Option<&str> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let hex = if name.starts_with("blobs/sha256/") {
        base
    } else {
        base.strip_prefix("sha256:")
            .or_else(|| base.strip_suffix(".json"))?
    };
    is_hex64(hex).then_some(hex)
}

/// `--image sha256:HEX` picks an image by digest (the manifest's in an OCI
/// layout, the config's, i.e. the image ID, in a docker archive), as
/// ballast lists unnamed images; twelve hex digits are enough.
fn digest_matches(want: &str, digest: &str) -> bool {
    let Some(hex) = want.strip_prefix("sha256:") else {
        return false;
    };
    hex.len() >= 12
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && digest.starts_with(&want.to_ascii_lowercase())
}

/// Layer media types a runtime unpacks as tar.
const TAR_LAYER_TYPES: &[&str] = &[
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
];

const IMAGE_CONFIG_TYPES: &[&str] = &[
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

/// Why a manifest is not a container image (a signature, attestation,
/// SBOM, Helm chart or other OCI artifact), or `None` when it is one.
pub fn not_an_image(m: &ImageManifest) -> Option<String> {
    let config = m.config().media_type().to_string();
    if !IMAGE_CONFIG_TYPES.contains(&config.as_str()) {
        return Some(format!("its config is {config}"));
    }
    if let Some(a) = m.artifact_type() {
        return Some(format!("an artifact of type {a}"));
    }
    m.layers()
        .iter()
        .map(|l| l.media_type().to_string())
        .find(|t| !TAR_LAYER_TYPES.contains(&t.as_str()))
        .map(|t| format!("its layers are {t}, not tar"))
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
                || config_hex(&entries[i].config)
                    .is_some_and(|hex| digest_matches(want, &format!("sha256:{hex}")))
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
        let mut available = Vec::new();
        for &i in &candidates {
            let c = read_config(files, &entries[i].config, "manifest.json")?;
            let have = platform_of(&c.0);
            if platform_matches(want, &have) {
                kept.push(i);
                configs.insert(i, c);
            } else {
                available.push(format!("{} ({have})", label(i, &entries[i])));
            }
        }
        if kept.is_empty() {
            return Err(Problem::NoMatch {
                what: format!("--platform {want}"),
                choices: available,
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
        skipped: Vec::new(),
        annotations: std::collections::BTreeMap::new(),
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
        let mut slot: HashMap<String, usize> = HashMap::new();
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
                // One manifest listed twice (with and without a platform)
                // is one image.
                let key = c.manifest.digest().to_string();
                let i = *slot.entry(key).or_insert_with(|| {
                    out.push(Candidate {
                        names: Vec::new(),
                        ..c.clone()
                    });
                    out.len() - 1
                });
                if out[i].platform.is_none() {
                    out[i].platform.clone_from(&c.platform);
                }
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
        candidates.retain(|c| {
            c.names.iter().any(|n| image_matches(want, n) || n == want)
                || digest_matches(want, c.manifest.digest().as_ref())
        });
        if candidates.is_empty() {
            return Err(Problem::NoMatch {
                what: format!("--image {want}"),
                choices: all,
            });
        }
    }
    // Signatures, attestations and other artifacts are not images.
    let mut skipped = Vec::new();
    let mut manifests: HashMap<String, ImageManifest> = HashMap::new();
    candidates.retain(|c| {
        let name = blob_name(&c.manifest);
        let Some(m) = files
            .exists(&name)
            .then(|| files.read(&name).ok())
            .flatten()
            .and_then(|b| parse_json::<ImageManifest>(&b, "manifest").ok())
        else {
            return true; // unreadable: an error only if it is chosen
        };
        if let Some(why) = not_an_image(&m) {
            skipped.push(format!(
                "skipped {} ({why}): not a container image",
                label(c)
            ));
            return false;
        }
        manifests.insert(name, m);
        true
    });
    if candidates.is_empty() {
        return Err(Problem::NotAnImage(format!(
            "index.json lists no container image ({})",
            skipped.join("; ")
        )));
    }
    if let Some(want) = &sel.platform {
        // A descriptor without a platform: the image's config says.
        // A manifest or config that cannot be read is an error here, not
        // a candidate quietly without a platform (a registry answering 429
        // must say so, not "no image matches").
        for c in &mut candidates {
            if c.platform.is_some() {
                continue;
            }
            let name = blob_name(&c.manifest);
            let config_name = match manifests.get(&name) {
                Some(m) => blob_name(m.config()),
                None if files.exists(&name) => {
                    let m: ImageManifest = parse_json(&files.read(&name)?, "manifest")?;
                    blob_name(m.config())
                }
                None => continue,
            };
            let (config, _) = read_config(files, &config_name, "image manifest")?;
            c.platform = Some(platform_of(&config));
        }
        let all: Vec<String> = candidates.iter().map(label).collect();
        candidates.retain(|c| {
            c.platform
                .as_deref()
                .is_some_and(|p| platform_matches(want, p))
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
        skipped,
        annotations: manifest
            .annotations()
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect(),
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

    /// An in-memory archive: name → bytes.
    struct Mem(HashMap<String, Vec<u8>>);
    impl MetaFiles for Mem {
        fn exists(&self, name: &str) -> bool {
            self.0.contains_key(name)
        }
        fn read(&self, name: &str) -> Result<Vec<u8>, Problem> {
            Ok(self.0[name].clone())
        }
    }

    fn sha(bytes: &[u8]) -> String {
        crate::index::layer::hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes))
    }

    impl Mem {
        fn blob(&mut self, bytes: Vec<u8>) -> String {
            let hex = sha(&bytes);
            self.0.insert(format!("blobs/sha256/{hex}"), bytes);
            format!("sha256:{hex}")
        }
        /// A manifest: (digest, size).
        fn manifest(&mut self, config_type: &str, layer_type: &str, arch: &str) -> (String, usize) {
            let config = format!(
                r#"{{"architecture":"{arch}","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}}}}"#
            )
            .into_bytes();
            let clen = config.len();
            let cd = self.blob(config);
            let layer = self.blob(b"layer".to_vec());
            let m = format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"{config_type}","digest":"{cd}","size":{clen}}},"layers":[{{"mediaType":"{layer_type}","digest":"{layer}","size":5}}]}}"#
            )
            .into_bytes();
            let len = m.len();
            (self.blob(m), len)
        }
        fn index(&mut self, entries: &[(&(String, usize), Option<&str>)]) {
            let list: Vec<String> = entries
                .iter()
                .map(|((d, n), p)| {
                    let platform = p.map_or(String::new(), |p| {
                        format!(r#","platform":{{"os":"linux","architecture":"{p}"}}"#)
                    });
                    format!(
                        r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{d}","size":{n}{platform}}}"#
                    )
                })
                .collect();
            let index = format!(r#"{{"schemaVersion":2,"manifests":[{}]}}"#, list.join(","));
            self.0.insert("index.json".into(), index.into_bytes());
        }
    }

    const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    const TGZ: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

    fn sel(image: Option<&str>, platform: Option<&str>) -> Selection {
        Selection {
            image: image.map(str::to_string),
            platform: platform.map(str::to_string),
        }
    }

    #[test]
    fn signatures_and_artifacts_are_skipped_with_a_warning() {
        let mut m = Mem(HashMap::new());
        let image = m.manifest(OCI_CONFIG, TGZ, "amd64");
        let sig = m.manifest(
            OCI_CONFIG,
            "application/vnd.dev.cosign.simplesigning.v1+json",
            "amd64",
        );
        let helm = m.manifest(
            "application/vnd.cncf.helm.config.v1+json",
            "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
            "amd64",
        );
        m.index(&[(&image, Some("amd64")), (&sig, None), (&helm, None)]);
        for platform in [None, Some("linux/amd64")] {
            let r = resolve(&m, &sel(None, platform)).unwrap();
            assert_eq!(r.layers.len(), 1);
            assert_eq!(r.skipped.len(), 2, "{:?}", r.skipped);
            assert!(r.skipped[0].contains("simplesigning"), "{:?}", r.skipped);
            assert!(r.skipped[1].contains("helm.config"), "{:?}", r.skipped);
        }
        // Nothing but artifacts: refused, naming what they are.
        m.index(&[(&helm, None)]);
        let err = resolve(&m, &sel(None, None)).unwrap_err().to_string();
        assert!(
            err.contains("no container image") && err.contains("helm"),
            "{err}"
        );
    }

    #[test]
    fn the_same_manifest_listed_twice_is_one_image() {
        let mut m = Mem(HashMap::new());
        let image = m.manifest(OCI_CONFIG, TGZ, "arm64");
        m.index(&[(&image, None), (&image, Some("arm64"))]);
        assert!(resolve(&m, &sel(None, None)).is_ok());
        assert!(resolve(&m, &sel(None, Some("linux/arm64"))).is_ok());
    }

    #[test]
    fn unnamed_images_are_picked_by_digest() {
        let mut m = Mem(HashMap::new());
        let a = m.manifest(OCI_CONFIG, TGZ, "amd64");
        let b = m.manifest(OCI_CONFIG, TGZ, "arm64");
        m.index(&[(&a, None), (&b, None)]);
        assert!(matches!(
            resolve(&m, &sel(None, None)),
            Err(Problem::Ambiguous { .. })
        ));
        let r = resolve(&m, &sel(Some(&b.0[..19]), None)).unwrap();
        assert_eq!(r.config.architecture().to_string(), "arm64");
        assert!(resolve(&m, &sel(Some(&b.0), None)).is_ok());
        assert!(resolve(&m, &sel(Some("sha256:0000000000000"), None)).is_err());
    }

    #[test]
    fn platforms_come_from_the_config_and_a_miss_lists_them() {
        let mut m = Mem(HashMap::new());
        let a = m.manifest(OCI_CONFIG, TGZ, "amd64");
        let b = m.manifest(OCI_CONFIG, TGZ, "arm64");
        m.index(&[(&a, None), (&b, None)]);
        let r = resolve(&m, &sel(None, Some("linux/arm64"))).unwrap();
        assert_eq!(r.config.architecture().to_string(), "arm64");
        m.index(&[(&a, None)]);
        match resolve(&m, &sel(None, Some("windows/s390x"))) {
            Err(Problem::NoMatch { choices, .. }) => {
                assert!(choices[0].contains("linux/amd64"), "{choices:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn docker_archives_match_image_ids_and_list_platforms_on_a_miss() {
        let mut m = Mem(HashMap::new());
        let config =
            br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
        let hex = sha(config);
        m.0.insert(format!("{hex}.json"), config.to_vec());
        m.0.insert(
            "manifest.json".into(),
            format!(r#"[{{"Config":"{hex}.json","RepoTags":null,"Layers":[]}},{{"Config":"{hex}.json","RepoTags":["x:1"],"Layers":[]}}]"#)
                .into_bytes(),
        );
        let r = resolve(&m, &sel(Some(&format!("sha256:{}", &hex[..12])), None));
        assert!(
            matches!(r, Err(Problem::Ambiguous { .. })),
            "both entries share the id"
        );
        match resolve(&m, &sel(Some("x:1"), Some("windows/s390x"))) {
            Err(Problem::NoMatch { choices, .. }) => {
                assert_eq!(choices, vec!["x:1 (linux/amd64)".to_string()]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn duplicate_json_keys_keep_the_last_value_as_go_does() {
        let c: ImageConfiguration = parse_json(
            br#"{"architecture":"arm64","os":"linux","architecture":"amd64","rootfs":{"type":"layers","diff_ids":[]}}"#,
            "config",
        )
        .unwrap();
        assert_eq!(c.architecture().to_string(), "amd64");
    }

    #[test]
    fn platforms_match_with_optional_variant() {
        assert!(platform_matches("linux/arm64", "linux/arm64/v8"));
        assert!(!platform_matches("linux/arm", "linux/arm64"));
        assert!(platform_matches("linux/amd64", "linux/amd64"));
    }
}
