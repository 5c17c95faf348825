//! How a registry's TLS is set up from files. Mozilla's roots by default.
//! A private registry's CA, and a client certificate where the registry
//! asks for one, are given the way Docker and Podman users already give
//! them: a `certs.d/HOST[:PORT]/` directory (under `~/.config/containers`,
//! `/etc/containers` or `/etc/docker`) holding `*.crt` CAs and `*.cert`
//! client certificates each with its `*.key`; or a whole CA bundle in
//! `SSL_CERT_FILE`. With any CA given, the system's bundle joins it so the
//! registry's public mirrors and token servers stay trusted.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts};

/// Where Debian, Fedora and Alpine keep the system's CA bundle.
const SYSTEM_BUNDLES: [&str; 3] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// What a registry's TLS is checked against and shows.
#[derive(Default)]
pub struct RegistryTls {
    /// `None`: Mozilla's roots.
    pub roots: Option<RootCerts>,
    pub client: Option<ClientCert>,
    /// The files read, for messages.
    pub files: Vec<PathBuf>,
}

/// The TLS set-up for `registry` (`HOST[:PORT]` as the reference names it).
pub fn for_registry(registry: &str) -> Result<RegistryTls, String> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let bundle = std::env::var_os("SSL_CERT_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    read(&cert_dirs(home.as_deref(), registry), bundle)
}

/// `certs.d/HOST[:PORT]` directories, in the order containers/image reads
/// them.
fn cert_dirs(home: Option<&Path>, registry: &str) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(h) = home {
        dirs.push(h.join(".config/containers/certs.d"));
    }
    dirs.push(PathBuf::from("/etc/containers/certs.d"));
    dirs.push(PathBuf::from("/etc/docker/certs.d"));
    dirs.into_iter().map(|d| d.join(registry)).collect()
}

fn read(dirs: &[PathBuf], bundle: Option<PathBuf>) -> Result<RegistryTls, String> {
    let mut cas: Vec<PathBuf> = bundle.into_iter().collect();
    let mut client = None;
    let mut files = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        names.sort();
        for p in names {
            match p.extension().and_then(|x| x.to_str()) {
                Some("crt") => cas.push(p),
                // The first pair found wins, as in containers/image.
                Some("cert") if client.is_none() => {
                    let key = p.with_extension("key");
                    client = Some(read_client(&p, &key)?);
                    files.extend([p, key]);
                }
                _ => {}
            }
        }
    }
    let roots = if cas.is_empty() {
        None
    } else {
        let mut certs = Vec::new();
        for f in &cas {
            certs.extend(read_certs(f)?);
        }
        let same = |a: &Path, b: &Path| a.canonicalize().ok() == b.canonicalize().ok();
        if let Some(system) = SYSTEM_BUNDLES.iter().map(Path::new).find(|p| p.exists())
            // SSL_CERT_FILE often names the system bundle itself.
            && !cas.iter().any(|f| same(f, system))
        {
            // A broken system bundle is not the user's file: skip it whole.
            certs.extend(read_certs(system).unwrap_or_default());
        }
        Some(RootCerts::Specific(Arc::new(certs)))
    };
    cas.extend(files);
    Ok(RegistryTls {
        roots,
        client,
        files: cas,
    })
}

/// A client certificate chain and its key (`NAME.cert`, `NAME.key`).
fn read_client(cert: &Path, key: &Path) -> Result<ClientCert, String> {
    let chain = read_certs(cert)?;
    let bytes = std::fs::read(key)
        .map_err(|e| format!("client key {} (for {}): {e}", key.display(), cert.display()))?;
    let key =
        PrivateKey::from_pem(&bytes).map_err(|e| format!("client key {}: {e}", key.display()))?;
    Ok(ClientCert::new_with_certs(&chain, key))
}

/// The certificates of one PEM file; an error naming it when it holds none.
fn read_certs(path: &Path) -> Result<Vec<Certificate<'static>>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("CA file {}: {e}", path.display()))?;
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&bytes)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(format!(
            "CA file {}: no PEM certificate in it",
            path.display()
        ));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certs_d_dirs_follow_containers_order() {
        let dirs = cert_dirs(Some(Path::new("/home/u")), "reg.example:5000");
        assert_eq!(
            dirs,
            [
                PathBuf::from("/home/u/.config/containers/certs.d/reg.example:5000"),
                PathBuf::from("/etc/containers/certs.d/reg.example:5000"),
                PathBuf::from("/etc/docker/certs.d/reg.example:5000"),
            ]
        );
    }

    #[test]
    fn nothing_given_keeps_mozillas_roots_and_bad_files_are_named() {
        let dir = tempfile_dir();
        let none = read(&[dir.join("absent")], None).unwrap();
        assert!(none.roots.is_none() && none.client.is_none() && none.files.is_empty());
        let bad = dir.join("bad.crt");
        std::fs::write(&bad, "not a certificate").unwrap();
        let e = read(std::slice::from_ref(&dir), None).err().unwrap();
        assert!(
            e.contains("bad.crt") && e.contains("no PEM certificate"),
            "{e}"
        );
        std::fs::remove_file(&bad).unwrap();
        let e = read(&[], Some(dir.join("missing.pem"))).err().unwrap();
        assert!(e.contains("missing.pem"), "{e}");
        // A client certificate that is no certificate is named.
        std::fs::write(dir.join("me.cert"), "x").unwrap();
        let e = read(std::slice::from_ref(&dir), None).err().unwrap();
        assert!(e.contains("me.cert"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("ballast-certs-d-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
