//! The `dir:` transport of containers/image, which skopeo (`skopeo copy …
//! dir:PATH`) and `podman save --format docker-dir` write: `manifest.json`
//! is one image manifest (Docker schema 2 or OCI) or, with `--all`, a
//! manifest list whose instances are `HEX.manifest.json`; a `version` file
//! says `Directory Transport Version: 1.1`; every blob is a file named by
//! its bare hex digest.
//!
//! Shown to the loader as an OCI layout, the way a registry is: a made-up
//! `index.json` naming the manifest, and `blobs/ALG/HEX` mapped to `HEX`.

use std::io::Read;

use sha2::Digest;

use super::layout::MetaFiles;
use super::{DirContainer, RandomAccess};
use crate::error::Problem;

pub(super) struct DirTransport {
    dir: DirContainer,
    index_json: Vec<u8>,
    /// The hex digest the made-up index gives `manifest.json`.
    manifest_hex: String,
}

/// Whether a directory holding `manifest.json` is a `dir:` transport copy
/// rather than an unpacked `docker save` (whose manifest is a JSON array).
pub(super) fn is_dir_transport(dir: &DirContainer) -> bool {
    let versioned = dir
        .read("version")
        .is_ok_and(|v| v.starts_with(b"Directory Transport Version"));
    versioned
        || dir.read("manifest.json").is_ok_and(|m| {
            m.iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|&b| b == b'{')
        })
}

impl DirTransport {
    pub(super) fn open(dir: DirContainer) -> Result<DirTransport, Problem> {
        let manifest = dir.read("manifest.json")?;
        let v: serde_json::Value =
            serde_json::from_slice(&manifest).map_err(|e| Problem::BadJson {
                what: "manifest.json".into(),
                detail: e.to_string(),
            })?;
        let manifest_hex = crate::index::layer::hex(&sha2::Sha256::digest(&manifest));
        let index_json = if v.get("manifests").is_some() {
            // A manifest list (`skopeo copy --all`) is the index itself.
            manifest
        } else {
            let media_type = v
                .get("mediaType")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("application/vnd.oci.image.manifest.v1+json");
            serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": [{
                    "mediaType": media_type,
                    "digest": format!("sha256:{manifest_hex}"),
                    "size": manifest.len(),
                }],
            }))
            .map_err(|e| Problem::Archive(e.to_string()))?
        };
        Ok(DirTransport {
            dir,
            index_json,
            manifest_hex,
        })
    }

    /// The file a `blobs/ALG/HEX` name is stored as.
    fn file_of(&self, name: &str) -> Option<String> {
        let hex = name.strip_prefix("blobs/")?.split_once('/')?.1;
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        if hex == self.manifest_hex {
            return Some("manifest.json".into());
        }
        let instance = format!("{hex}.manifest.json");
        if self.dir.exists(&instance) {
            return Some(instance);
        }
        Some(hex.to_string())
    }

    fn missing(name: &str) -> Problem {
        Problem::MissingBlob {
            what: "manifest.json".into(),
            name: name.to_string(),
        }
    }
}

impl MetaFiles for DirTransport {
    fn exists(&self, name: &str) -> bool {
        name == "index.json" || self.file_of(name).is_some_and(|f| self.dir.exists(&f))
    }

    fn read(&self, name: &str) -> Result<Vec<u8>, Problem> {
        if name == "index.json" {
            return Ok(self.index_json.clone());
        }
        let file = self.file_of(name).ok_or_else(|| Self::missing(name))?;
        self.dir.read(&file)
    }
}

impl RandomAccess for DirTransport {
    fn open(&self, name: &str) -> Result<(Box<dyn Read + Send + '_>, u64), Problem> {
        let file = self.file_of(name).ok_or_else(|| Self::missing(name))?;
        self.dir.open(&file)
    }
    fn positional(&self, name: &str) -> Option<super::parallel_inflate::FileRange> {
        self.dir.positional(&self.file_of(name)?)
    }
}
