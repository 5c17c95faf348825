//! Image references as people type them (`python:3.12`,
//! `ghcr.io/org/img@sha256:…`, `127.0.0.1:5000/x:y`), split into registry,
//! repository and tag or digest with Docker's normalization rules.
//!
//! Pure string work: no I/O.

/// Docker Hub's name in references, and the host its API answers on.
pub const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_API: &str = "registry-1.docker.io";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// `HOST[:PORT]`, with Docker Hub spelled `docker.io`.
    pub registry: String,
    /// `library/python`, `org/img`.
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:HEX`
    pub digest: Option<String>,
}

impl Reference {
    /// Parses a reference; `None` when it cannot be one (empty parts,
    /// upper-case repository, spaces, a bad digest).
    pub fn parse(s: &str) -> Option<Reference> {
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(d.to_string())),
            None => (s, None),
        };
        if let Some(d) = &digest {
            let (alg, hex) = d.split_once(':')?;
            if alg != "sha256" || hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
        }
        // A tag is a `:` after the last `/` (a port's `:` comes before one).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (
                &rest[..last_slash + i],
                Some(rest[last_slash + i + 1..].to_string()),
            ),
            None => (rest, None),
        };
        if let Some(t) = &tag
            && (t.is_empty()
                || t.len() > 128
                || !t
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)))
        {
            return None;
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, path)) if is_registry_host(first) => (first.to_string(), path.to_string()),
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB.to_string()
        } else {
            registry
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        };
        if !repository.split('/').all(component_ok) || registry.is_empty() {
            return None;
        }
        Some(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The tag or digest the manifest is asked for by (`latest` if none).
    pub fn manifest_ref(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// The host the distribution API answers on.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// Whether the registry is on this machine (plain HTTP allowed).
    pub fn is_loopback(&self) -> bool {
        let host = host_part(&self.registry);
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        if self.tag.is_none() && self.digest.is_none() {
            write!(f, ":latest")?;
        }
        Ok(())
    }
}

/// `HOST` of `HOST[:PORT]`, brackets of an IPv6 literal removed.
pub fn host_part(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    registry.rsplit_once(':').map_or(registry, |(h, _)| h)
}

/// Whether a reference's first component names a registry rather than a
/// Docker Hub namespace: it has a dot or a port, or is `localhost`.
pub fn is_registry_host(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost" || first.starts_with('[')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Reference {
        Reference::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn docker_hub_names_are_normalized() {
        let p = r("python:3.12");
        assert_eq!(
            (p.registry.as_str(), p.repository.as_str(), p.tag.as_deref()),
            ("docker.io", "library/python", Some("3.12"))
        );
        assert_eq!(p.api_host(), "registry-1.docker.io");
        assert_eq!(r("docker.io/python").repository, "library/python");
        assert_eq!(
            r("pytorch/pytorch:2.3.0-runtime").repository,
            "pytorch/pytorch"
        );
        assert_eq!(r("ubuntu").manifest_ref(), "latest");
        assert_eq!(r("ubuntu").to_string(), "docker.io/library/ubuntu:latest");
    }

    #[test]
    fn registries_ports_and_digests() {
        let p = r("127.0.0.1:5000/x:y");
        assert_eq!(
            (p.registry.as_str(), p.repository.as_str()),
            ("127.0.0.1:5000", "x")
        );
        assert!(p.is_loopback());
        let hex = "a".repeat(64);
        let p = r(&format!("ghcr.io/org/img@sha256:{hex}"));
        assert_eq!(p.manifest_ref(), format!("sha256:{hex}"));
        assert!(!p.is_loopback());
        assert!(r("localhost:5000/a/b/c:1").is_loopback());
    }

    #[test]
    fn non_references_are_refused() {
        for bad in ["", "Upper/case", "a b", "x:", "x@sha256:12", "/abs", "a//b"] {
            assert!(Reference::parse(bad).is_none(), "{bad}");
        }
    }
}
