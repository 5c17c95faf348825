//! The OCI distribution API, no daemon: manifest (and index) by tag or
//! digest, config and layer blobs by digest, streamed and sha256-checked
//! as they arrive.
//!
//! The registry is shown to the loader as a virtual OCI layout: a made-up
//! `index.json` naming the manifest the registry returned, and
//! `blobs/sha256/HEX` fetched on demand. Platform choice, config parsing
//! and the concurrent, largest-first indexing are the archive loader's own.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::auth::{self, Challenge, Credentials};
use super::read_ahead::ReadAhead;
use super::reference::Reference;
use crate::archive::layout::MetaFiles;
use crate::archive::{META_LIMIT, RandomAccess};
use crate::error::Problem;

const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// How often a 429 is waited out before giving up, and the longest wait.
const RETRIES_429: u32 = 4;
const LONGEST_WAIT: Duration = Duration::from_secs(30);

/// A registry session for one repository: the agent and the
/// `Authorization` value earned so far.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    pub reference: Reference,
    /// The longest wait for the next byte ([`super::idle`]).
    idle: Option<Duration>,
    authorization: Mutex<Option<String>>,
    /// Looked up at the first challenge; `Some(None)`: none found.
    #[allow(clippy::option_option)] // not looked up / looked up, none / found
    creds: Mutex<Option<Option<Credentials>>>,
    /// The files TLS is set up from (CAs, a client certificate and key).
    tls_files: Vec<std::path::PathBuf>,
}

/// Whether `host` answers HTTPS at all (any status): Docker's test for an
/// insecure registry, tried before plain HTTP. A plain HTTP server fails
/// the handshake at once; the bound is for one that says nothing.
fn speaks_tls(agent: &ureq::Agent, host: &str) -> bool {
    agent
        .get(&format!("https://{host}/v2/"))
        .config()
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .call()
        .is_ok()
}

fn host_words(r: &Reference) -> String {
    format!("registry {}", r.registry)
}

impl Client {
    /// Verified TLS, set up from the files [`super::certs_d`] finds. A
    /// loopback registry or one named by `--insecure-registry` is insecure
    /// the way Docker means it: TLS if it speaks it, its certificate
    /// unchecked, else plain HTTP. `idle` bounds every wait for the
    /// registry's next byte, a stalled blob's too.
    pub fn new(
        reference: Reference,
        insecure: &[String],
        idle: Option<Duration>,
    ) -> Result<Client, Problem> {
        let insecure = reference.is_loopback() || insecure.iter().any(|h| h == &reference.registry);
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .timeout_per_read(idle)
            .user_agent(concat!("ballast/", env!("CARGO_PKG_VERSION")));
        let tls = super::certs_d::for_registry(&reference.registry)
            .map_err(|e| Problem::Archive(format!("{}: {e}", host_words(&reference))))?;
        let mut tls_config = ureq::tls::TlsConfig::builder()
            .disable_verification(insecure)
            .client_cert(tls.client);
        if let Some(roots) = tls.roots {
            tls_config = tls_config.root_certs(roots);
        }
        config = config.tls_config(tls_config.build());
        let agent: ureq::Agent = config.build().into();
        let scheme = if !insecure || speaks_tls(&agent, reference.api_host()) {
            "https"
        } else {
            "http"
        };
        Ok(Client {
            agent,
            base: format!("{scheme}://{}", reference.api_host()),
            reference,
            idle,
            authorization: Mutex::new(None),
            creds: Mutex::new(None),
            tls_files: tls.files,
        })
    }

    fn creds(&self) -> Result<Option<Credentials>, Problem> {
        let mut slot = self.creds.lock().map_err(|_| poisoned())?;
        if slot.is_none() {
            *slot = Some(auth::find(&self.reference.registry).map_err(Problem::Archive)?);
        }
        Ok(slot.clone().flatten())
    }

    /// GETs `path` under `/v2/REPO/`, answering auth challenges and waiting
    /// out 429s. Returns the response for 2xx and 404.
    fn get(&self, path: &str, accept: Option<&str>) -> Result<Response, Problem> {
        let url = format!("{}/v2/{}/{path}", self.base, self.reference.repository);
        let mut challenged = false;
        let mut waits = 0;
        loop {
            let mut req = self.agent.get(&url);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            let sent_auth = self.authorization.lock().map_err(|_| poisoned())?.clone();
            if let Some(a) = &sent_auth {
                req = req.header("Authorization", a);
            }
            let resp = req.call().map_err(|e| self.transport(&e))?;
            let status = resp.status().as_u16();
            match status {
                200..=299 | 404 => return Ok(resp),
                401 if !challenged => {
                    challenged = true;
                    let header = resp
                        .headers()
                        .get("www-authenticate")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    self.authenticate(&header)?;
                }
                401 => return Err(self.refused(401)),
                403 => return Err(self.refused(403)),
                429 if waits < RETRIES_429 => {
                    waits += 1;
                    let wait = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map_or(Duration::from_secs(1), Duration::from_secs)
                        .min(LONGEST_WAIT);
                    std::thread::sleep(wait);
                }
                429 => {
                    return Err(Problem::Archive(format!(
                        "{} kept answering 429 too many requests ({RETRIES_429} waits honoured); try again later",
                        host_words(&self.reference)
                    )));
                }
                s => {
                    return Err(Problem::Archive(format!(
                        "{} answered HTTP {s} for {path}",
                        host_words(&self.reference)
                    )));
                }
            }
        }
    }

    fn transport(&self, e: &ureq::Error) -> Problem {
        if let (ureq::Error::Timeout(ureq::Timeout::PerRead), Some(limit)) = (e, self.idle) {
            return Problem::Archive(format!(
                "{} stalled: {}",
                host_words(&self.reference),
                super::idle::words(limit)
            ));
        }
        // rustls's verdict, whether ureq passes it as its own or as I/O.
        let text = e.to_string();
        let files = |client: bool| {
            self.tls_files
                .iter()
                .filter(|p| p.extension().is_some_and(|x| x == "cert" || x == "key") == client)
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
        };
        if let Some(at) = text.find("invalid peer certificate") {
            let why = &text[at..];
            let cas = files(false);
            let trusted = if cas.is_empty() {
                "Mozilla's roots".to_string()
            } else {
                cas.join(", ")
            };
            return Problem::Archive(format!(
                "{}: its TLS certificate was not accepted ({why}; checked against {trusted}); \
                 give its CA in ~/.config/containers/certs.d/{}/ca.crt or SSL_CERT_FILE, or \
                 --insecure-registry {} to skip the check",
                host_words(&self.reference),
                self.reference.registry,
                self.reference.registry
            ));
        }
        if let Some(at) = text.find("received fatal alert: ")
            && text[at..].contains("Certificate")
        {
            let shown = files(true);
            let shown = if shown.is_empty() {
                "none was found".to_string()
            } else {
                format!("it refused {}", shown.join(" and "))
            };
            return Problem::Archive(format!(
                "{}: the TLS handshake was refused ({}): it wants a client certificate and {shown}; \
                 give one as NAME.cert and NAME.key in ~/.config/containers/certs.d/{}/",
                host_words(&self.reference),
                &text[at..],
                self.reference.registry
            ));
        }
        // ureq's messages name the URL, never a header.
        Problem::Archive(format!(
            "{} could not be reached: {}",
            host_words(&self.reference),
            one_line(&e.to_string())
        ))
    }

    fn refused(&self, status: u16) -> Problem {
        let what = match self.creds() {
            Ok(Some(c)) => format!("the credentials from {} were not accepted", c.origin),
            _ => format!(
                "it needs credentials and none were found (looked in {} and credential helpers)",
                auth::auth_files()
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let verb = if status == 403 {
            "refused access"
        } else {
            "asked for authentication"
        };
        Problem::Archive(format!(
            "{} {verb} to {} ({status}): {what}",
            host_words(&self.reference),
            self.reference.repository
        ))
    }

    /// Answers a `WWW-Authenticate` challenge: basic with the stored
    /// credentials, or a bearer token from the challenge's realm.
    fn authenticate(&self, header: &str) -> Result<(), Problem> {
        let challenge = Challenge::parse(header).ok_or_else(|| self.refused(401))?;
        let creds = self.creds()?;
        let value = match challenge.scheme.as_str() {
            "basic" => creds.as_ref().ok_or_else(|| self.refused(401))?.basic(),
            "bearer" => format!("Bearer {}", self.token(&challenge, creds.as_ref())?),
            _ => return Err(self.refused(401)),
        };
        *self.authorization.lock().map_err(|_| poisoned())? = Some(value);
        Ok(())
    }

    fn token(&self, c: &Challenge, creds: Option<&Credentials>) -> Result<String, Problem> {
        let realm = c.params.get("realm").ok_or_else(|| self.refused(401))?;
        let scope = c
            .params
            .get("scope")
            .cloned()
            .unwrap_or_else(|| format!("repository:{}:pull", self.reference.repository));
        let mut url = format!("{realm}?scope={}", auth::query_escape(&scope));
        if let Some(s) = c.params.get("service") {
            url.push_str(&format!("&service={}", auth::query_escape(s)));
        }
        let mut req = self.agent.get(&url);
        if let Some(c) = creds {
            req = req.header("Authorization", c.basic());
        }
        let resp = req.call().map_err(|e| {
            Problem::Archive(format!(
                "the token service of {} could not be reached: {}",
                host_words(&self.reference),
                one_line(&e.to_string())
            ))
        })?;
        match resp.status().as_u16() {
            200..=299 => {}
            401 | 403 => return Err(self.refused(401)),
            s => {
                return Err(Problem::Archive(format!(
                    "the token service of {} answered HTTP {s}",
                    host_words(&self.reference)
                )));
            }
        }
        #[derive(serde::Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let body = read_small(resp, "the token answer")?;
        let t: Token = serde_json::from_slice(&body).map_err(|_| {
            Problem::Archive(format!(
                "the token service of {} gave no token",
                host_words(&self.reference)
            ))
        })?;
        t.token
            .or(t.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Problem::Archive(format!(
                    "the token service of {} gave no token",
                    host_words(&self.reference)
                ))
            })
    }

    /// The manifest or index `reference` names: its bytes, digest and
    /// media type. A digest reference is checked against the content.
    pub fn manifest(&self, reference: &str) -> Result<(Vec<u8>, String, String), Problem> {
        let resp = self.get(&format!("manifests/{reference}"), Some(MANIFEST_ACCEPT))?;
        if resp.status().as_u16() == 404 {
            return Err(Problem::Archive(format!(
                "{} has no manifest {}:{reference} (manifest unknown)",
                host_words(&self.reference),
                self.reference.repository
            )));
        }
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(';').next().unwrap_or(s).trim().to_string());
        let body = read_small(resp, "a manifest")?;
        let digest = format!(
            "sha256:{}",
            crate::index::layer::hex(&Sha256::digest(&body))
        );
        if reference.starts_with("sha256:") && reference != digest {
            return Err(Problem::Digest(format!(
                "manifest {reference} from {} has content {digest}",
                host_words(&self.reference)
            )));
        }
        let media_type = content_type
            .filter(|t| t.contains("manifest") || t.contains("index"))
            .or_else(|| json_media_type(&body))
            .unwrap_or_else(|| {
                if serde_json::from_slice::<serde_json::Value>(&body)
                    .is_ok_and(|v| v.get("manifests").is_some())
                {
                    "application/vnd.oci.image.index.v1+json".into()
                } else {
                    "application/vnd.oci.image.manifest.v1+json".into()
                }
            });
        Ok((body, digest, media_type))
    }

    fn blob(&self, digest: &str) -> Result<Response, Problem> {
        let resp = self.get(&format!("blobs/{digest}"), None)?;
        if resp.status().as_u16() == 404 {
            return Err(Problem::Archive(format!(
                "{} has no blob {digest} in {} (blob unknown)",
                host_words(&self.reference),
                self.reference.repository
            )));
        }
        Ok(resp)
    }
}

type Response = ureq::http::Response<ureq::Body>;

fn poisoned() -> Problem {
    Problem::Archive("internal error: a lock was poisoned".into())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn read_small(resp: Response, what: &str) -> Result<Vec<u8>, Problem> {
    resp.into_body()
        .into_with_config()
        .limit(META_LIMIT)
        .read_to_vec()
        .map_err(|e| Problem::Archive(format!("reading {what}: {}", one_line(&e.to_string()))))
}

fn json_media_type(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("mediaType")?.as_str().map(str::to_string)
}

fn hex_of(name: &str) -> Option<&str> {
    name.strip_prefix("blobs/sha256/")
}

/// Media types of an image's config: anything else (a Helm chart, a
/// signature, an SBOM) is an artifact ballast cannot analyze.
fn is_image_config(media_type: &str) -> bool {
    matches!(
        media_type,
        "application/vnd.oci.image.config.v1+json"
            | "application/vnd.docker.container.image.v1+json"
    )
}

fn is_layer(media_type: &str) -> bool {
    media_type.starts_with("application/vnd.oci.image.layer.")
        || media_type.starts_with("application/vnd.docker.image.rootfs.")
}

/// The registry as an OCI layout the loader reads like a directory.
pub struct Layout<'a> {
    client: &'a Client,
    index_json: Vec<u8>,
    /// Manifests and configs already fetched, by hex digest.
    cache: Mutex<HashMap<String, Vec<u8>>>,
    /// Digests the indexes list as manifests (fetched as manifests).
    manifests: Mutex<HashSet<String>>,
    /// Layer sizes from the manifests, by hex digest.
    sizes: Mutex<HashMap<String, u64>>,
}

impl<'a> Layout<'a> {
    pub fn open(client: &'a Client, label: &str) -> Result<Layout<'a>, Problem> {
        let (body, digest, media_type) = client.manifest(client.reference.manifest_ref())?;
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": media_type,
                "digest": digest,
                "size": body.len(),
                "annotations": {"org.opencontainers.image.ref.name": label},
            }],
        });
        let layout = Layout {
            client,
            index_json: serde_json::to_vec(&index).map_err(|e| Problem::Archive(e.to_string()))?,
            cache: Mutex::new(HashMap::new()),
            manifests: Mutex::new(HashSet::new()),
            sizes: Mutex::new(HashMap::new()),
        };
        let hex = digest.trim_start_matches("sha256:").to_string();
        layout.learn(&body)?;
        layout
            .cache
            .lock()
            .map_err(|_| poisoned())?
            .insert(hex, body);
        Ok(layout)
    }

    /// Notes what a manifest or index lists, and refuses artifacts.
    fn learn(&self, body: &[u8]) -> Result<(), Problem> {
        let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| Problem::BadJson {
            what: "the registry's manifest".into(),
            detail: e.to_string(),
        })?;
        if v.get("schemaVersion").and_then(serde_json::Value::as_u64) == Some(1) {
            return Err(Problem::NotAnImage(
                "the registry serves a Docker schema 1 manifest, which ballast does not read"
                    .into(),
            ));
        }
        let digest_hex = |d: &serde_json::Value| {
            d.get("digest")
                .and_then(serde_json::Value::as_str)
                .and_then(|s| s.strip_prefix("sha256:"))
                .map(str::to_string)
        };
        if let Some(list) = v.get("manifests").and_then(serde_json::Value::as_array) {
            let mut m = self.manifests.lock().map_err(|_| poisoned())?;
            m.extend(list.iter().filter_map(digest_hex));
            return Ok(());
        }
        let config_type = v
            .pointer("/config/mediaType")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        if !is_image_config(config_type) {
            let artifact = v
                .get("artifactType")
                .and_then(serde_json::Value::as_str)
                .unwrap_or(config_type);
            return Err(Problem::NotAnImage(format!(
                "the manifest is an artifact of type {artifact}, not a container image"
            )));
        }
        let layers = v.get("layers").and_then(serde_json::Value::as_array);
        let mut sizes = self.sizes.lock().map_err(|_| poisoned())?;
        for l in layers.into_iter().flatten() {
            let mt = l
                .get("mediaType")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("");
            if !is_layer(mt) {
                return Err(Problem::NotAnImage(format!(
                    "the manifest lists a {mt} blob, not an image layer"
                )));
            }
            if let (Some(hex), Some(size)) = (
                digest_hex(l),
                l.get("size").and_then(serde_json::Value::as_u64),
            ) {
                sizes.insert(hex, size);
            }
        }
        Ok(())
    }
}

impl MetaFiles for Layout<'_> {
    fn exists(&self, name: &str) -> bool {
        name == "index.json" || hex_of(name).is_some()
    }

    fn read(&self, name: &str) -> Result<Vec<u8>, Problem> {
        if name == "index.json" {
            return Ok(self.index_json.clone());
        }
        let hex = hex_of(name).ok_or_else(|| Problem::MissingBlob {
            what: "the registry's manifest".into(),
            name: name.to_string(),
        })?;
        if let Some(b) = self.cache.lock().map_err(|_| poisoned())?.get(hex) {
            return Ok(b.clone());
        }
        let digest = format!("sha256:{hex}");
        let is_manifest = self.manifests.lock().map_err(|_| poisoned())?.contains(hex);
        let body = if is_manifest {
            let (body, _, _) = self.client.manifest(&digest)?;
            self.learn(&body)?;
            body
        } else {
            let body = read_small(self.client.blob(&digest)?, &digest)?;
            let have = crate::index::layer::hex(&Sha256::digest(&body));
            if have != hex {
                return Err(Problem::Digest(format!(
                    "blob {digest} from {} has content sha256:{have}",
                    host_words(&self.client.reference)
                )));
            }
            body
        };
        self.cache
            .lock()
            .map_err(|_| poisoned())?
            .insert(hex.to_string(), body.clone());
        Ok(body)
    }
}

impl RandomAccess for Layout<'_> {
    fn open(&self, name: &str) -> Result<(Box<dyn Read + Send + '_>, u64), Problem> {
        let hex = hex_of(name).ok_or_else(|| Problem::MissingBlob {
            what: "the registry's manifest".into(),
            name: name.to_string(),
        })?;
        let (size, total) = {
            let sizes = self.sizes.lock().map_err(|_| poisoned())?;
            (
                sizes.get(hex).copied().unwrap_or(0),
                sizes.values().sum::<u64>(),
            )
        };
        let cores = std::thread::available_parallelism().map_or(1, usize::from) as u64;
        Ok((
            Box::new(Blob {
                client: self.client,
                digest: format!("sha256:{hex}"),
                size,
                // Other layers keep the cores busy unless this one is more
                // than a core's share of the image.
                read_ahead: cores >= 2
                    && size >= READ_AHEAD_MIN
                    && size.saturating_mul(cores) > total,
                body: None,
            }),
            size,
        ))
    }
}

/// The smallest blob worth a thread of its own.
const READ_AHEAD_MIN: u64 = 4 << 20;

/// One layer blob, requested at its first read.
struct Blob<'a> {
    client: &'a Client,
    digest: String,
    size: u64,
    /// Received and hashed on a thread of its own ([`ReadAhead`]), beside
    /// the inflate and index of its bytes: for a layer so big that the
    /// others cannot keep the cores busy while it streams (one huge pip
    /// layer is the usual ML image).
    read_ahead: bool,
    body: Option<Box<dyn Read + Send + 'static>>,
}

impl Read for Blob<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.body.is_none() {
            let resp = self
                .client
                .blob(&self.digest)
                .map_err(|p| io::Error::other(p.to_string()))?;
            let checked = Checked {
                body: resp.into_body().into_reader(),
                digest: self.digest.clone(),
                size: self.size,
                hasher: Sha256::new(),
                read: 0,
                done: false,
                stalled: self.client.idle.map(|limit| {
                    format!(
                        "{} stalled: {}",
                        host_words(&self.client.reference),
                        super::idle::words(limit)
                    )
                }),
            };
            self.body = Some(if self.read_ahead {
                // ureq bounds each socket read already: no second timer.
                Box::new(ReadAhead::spawn(checked, None))
            } else {
                Box::new(checked)
            });
        }
        match self.body.as_mut() {
            Some(body) => body.read(buf),
            None => Ok(0),
        }
    }
}

/// A blob's body, hashed as it streams, and an error at its end unless
/// length and sha256 match the manifest.
struct Checked<R> {
    body: R,
    digest: String,
    size: u64,
    hasher: Sha256,
    read: u64,
    /// Length and digest were checked (a decoder may read past the end
    /// more than once).
    done: bool,
    /// What a read that timed out says, when reads are bounded.
    stalled: Option<String>,
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.body.read(buf).map_err(|e| {
            let timed_out = e
                .get_ref()
                .and_then(|i| i.downcast_ref::<ureq::Error>())
                .is_some_and(|u| matches!(u, ureq::Error::Timeout(ureq::Timeout::PerRead)));
            let why = match &self.stalled {
                Some(words) if timed_out => words.clone(),
                _ => one_line(&e.to_string()),
            };
            io::Error::other(format!(
                "blob {} broke off after {} of {} bytes: {why}",
                self.digest, self.read, self.size,
            ))
        })?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        if self.read > self.size {
            return Err(io::Error::other(format!(
                "blob {} is longer than the {} bytes its manifest gives",
                self.digest, self.size
            )));
        }
        if n == 0 && !self.done {
            self.done = true;
            if self.read < self.size {
                return Err(io::Error::other(format!(
                    "blob {} is truncated: {} of {} bytes",
                    self.digest, self.read, self.size
                )));
            }
            let have = format!(
                "sha256:{}",
                crate::index::layer::hex(&std::mem::take(&mut self.hasher).finalize())
            );
            if have != self.digest {
                return Err(io::Error::other(format!(
                    "digest mismatch: blob {} has content {have}",
                    self.digest
                )));
            }
        }
        Ok(n)
    }
}

/// `os/arch[/variant]` of this machine in OCI's words.
pub fn host_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        "loongarch64" => "loong64",
        other => other,
    };
    format!("linux/{arch}")
}
