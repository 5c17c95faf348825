//! Registry credentials and the `WWW-Authenticate` challenge.
//!
//! Credentials are looked up the way Docker and Podman do: Podman's
//! `auth.json` (`REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`)
//! and Docker's `config.json` (`$DOCKER_CONFIG`, `~/.docker`) with its
//! `auths`, `credHelpers` and `credsStore` (`docker-credential-NAME get`).
//! A secret is kept only in [`Credentials`], whose `Debug` hides it, and is
//! never put into a message.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::reference::DOCKER_HUB;

#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    pub secret: String,
    /// Where they came from, for messages (a file path or a helper name).
    pub origin: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Credentials({} from {}, secret hidden)",
            self.username, self.origin
        )
    }
}

impl Credentials {
    /// The `Authorization` value for HTTP basic auth.
    pub fn basic(&self) -> String {
        format!(
            "Basic {}",
            BASE64.encode(format!("{}:{}", self.username, self.secret))
        )
    }
}

#[derive(serde::Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// The auth files consulted, most specific first.
pub fn auth_files() -> Vec<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let mut out = Vec::new();
    if let Some(p) = env("REGISTRY_AUTH_FILE") {
        out.push(p);
    }
    if let Some(d) = env("DOCKER_CONFIG") {
        out.push(d.join("config.json"));
    }
    if let Some(d) = env("XDG_RUNTIME_DIR") {
        out.push(d.join("containers/auth.json"));
    }
    if let Some(h) = env("HOME") {
        out.push(h.join(".config/containers/auth.json"));
        if env("DOCKER_CONFIG").is_none() {
            out.push(h.join(".docker/config.json"));
        }
    }
    out
}

/// `docker.io` for every spelling of Docker Hub; `HOST[:PORT]` otherwise.
fn normalize_key(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = k.split('/').next().unwrap_or(k);
    match host {
        "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
        h => h.to_string(),
    }
}

/// Credentials for `registry` (`HOST[:PORT]`, Docker Hub as `docker.io`),
/// or `None` when no file or helper has any. A broken file is an error.
pub fn find(registry: &str) -> Result<Option<Credentials>, String> {
    for path in auth_files() {
        let Ok(text) = std::fs::read(&path) else {
            continue;
        };
        let cfg: ConfigFile = serde_json::from_slice(&text)
            .map_err(|e| format!("{}: not valid JSON: {e}", path.display()))?;
        let origin = path.display().to_string();
        if let Some(helper) = cfg
            .cred_helpers
            .iter()
            .find(|(k, _)| normalize_key(k) == registry)
            .map(|(_, v)| v)
        {
            return run_helper(helper, registry);
        }
        if let Some(entry) = cfg
            .auths
            .iter()
            .find(|(k, _)| normalize_key(k) == registry)
            .map(|(_, v)| v)
            && let Some(c) = decode_entry(entry, &origin)?
        {
            return Ok(Some(c));
        }
        if let Some(store) = &cfg.creds_store
            && let Some(c) = run_helper(store, registry)?
        {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

fn decode_entry(e: &AuthEntry, origin: &str) -> Result<Option<Credentials>, String> {
    if let Some(auth) = e.auth.as_deref().filter(|a| !a.is_empty()) {
        let raw = BASE64
            .decode(auth.trim())
            .map_err(|_| format!("{origin}: an `auth` entry is not base64"))?;
        let text = String::from_utf8(raw)
            .map_err(|_| format!("{origin}: an `auth` entry is not UTF-8"))?;
        let (u, p) = text
            .split_once(':')
            .ok_or_else(|| format!("{origin}: an `auth` entry is not USER:PASSWORD"))?;
        return Ok(Some(Credentials {
            username: u.to_string(),
            secret: p.to_string(),
            origin: origin.to_string(),
        }));
    }
    if let (Some(u), Some(p)) = (&e.username, &e.password) {
        return Ok(Some(Credentials {
            username: u.clone(),
            secret: p.clone(),
            origin: origin.to_string(),
        }));
    }
    Ok(None)
}

#[derive(serde::Deserialize)]
struct HelperReply {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

/// `docker-credential-NAME get`, the server on stdin, JSON on stdout. A
/// helper that has nothing for the server exits non-zero: no credentials.
fn run_helper(name: &str, registry: &str) -> Result<Option<Credentials>, String> {
    let program = format!("docker-credential-{name}");
    let server = if registry == DOCKER_HUB {
        "https://index.docker.io/v1/".to_string()
    } else {
        registry.to_string()
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|_| format!("credential helper {program} could not be run"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|_| format!("credential helper {program} failed"))?;
    if !out.status.success() {
        return Ok(None);
    }
    let reply: HelperReply = serde_json::from_slice(&out.stdout)
        .map_err(|_| format!("credential helper {program} gave no usable answer"))?;
    Ok(Some(Credentials {
        username: reply.username,
        secret: reply.secret,
        origin: program,
    }))
}

/// One `WWW-Authenticate` challenge: its scheme and parameters.
#[derive(Debug, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: HashMap<String, String>,
}

impl Challenge {
    /// Parses `Bearer realm="…",service="…",scope="…"` (quoted values
    /// may hold commas).
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        if scheme.is_empty() {
            return None;
        }
        let mut params = HashMap::new();
        let mut chars = rest.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
                chars.next();
            }
            let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=')).collect();
            if key.is_empty() || chars.next() != Some('=') {
                break;
            }
            let mut value = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => value.extend(chars.next()),
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                value = std::iter::from_fn(|| chars.next_if(|c| *c != ',')).collect();
            }
            params.insert(key.trim().to_ascii_lowercase(), value);
        }
        Some(Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params,
        })
    }
}

/// Percent-encodes a query value.
pub fn query_escape(s: &str) -> String {
    super::percent_escape(s, b"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_keep_commas_inside_quotes() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.params["realm"], "https://auth.example/token");
        assert_eq!(c.params["scope"], "repository:a/b:pull,push");
        let b = Challenge::parse(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!(b.scheme, "basic");
    }

    #[test]
    fn config_keys_are_normalized() {
        assert_eq!(normalize_key("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(normalize_key("127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(normalize_key("ghcr.io/org"), "ghcr.io");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let c = Credentials {
            username: "u".into(),
            secret: "hunter2".into(),
            origin: "x".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(c.basic(), format!("Basic {}", BASE64.encode("u:hunter2")));
    }

    #[test]
    fn queries_are_escaped() {
        assert_eq!(
            query_escape("repository:a/b:pull"),
            "repository%3Aa%2Fb%3Apull"
        );
    }
}
