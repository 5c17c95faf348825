//! Which certificate authorities a registry's TLS is checked against.
//! Mozilla's roots by default. A private registry's CA is given the way
//! Docker and Podman users already give it: `*.crt` files in a
//! `certs.d/HOST[:PORT]/` directory (under `~/.config/containers`,
//! `/etc/containers` or `/etc/docker`), or a whole bundle in
//! `SSL_CERT_FILE`. With any of those, the system's bundle joins them so
//! the registry's public mirrors and token servers stay trusted.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ureq::tls::{Certificate, PemItem, RootCerts};

/// Where Debian, Fedora and Alpine keep the system's CA bundle.
const SYSTEM_BUNDLES: [&str; 3] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// The roots for `registry` (`HOST[:PORT]` as the reference names it), and
/// the files they came from; `None`: Mozilla's roots.
pub fn roots_for(registry: &str) -> Result<Option<(RootCerts, Vec<PathBuf>)>, String> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let bundle = std::env::var_os("SSL_CERT_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    roots_from(&cert_dirs(home.as_deref(), registry), bundle)
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

fn roots_from(
    dirs: &[PathBuf],
    bundle: Option<PathBuf>,
) -> Result<Option<(RootCerts, Vec<PathBuf>)>, String> {
    let mut files: Vec<PathBuf> = bundle.into_iter().collect();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut crts: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "crt"))
            .collect();
        crts.sort();
        files.extend(crts);
    }
    if files.is_empty() {
        return Ok(None);
    }
    let mut certs = Vec::new();
    for f in &files {
        certs.extend(read_certs(f)?);
    }
    if let Some(system) = SYSTEM_BUNDLES.iter().map(Path::new).find(|p| p.exists()) {
        // A broken system bundle is not the user's file: skip it whole.
        certs.extend(read_certs(system).unwrap_or_default());
    }
    Ok(Some((RootCerts::Specific(Arc::new(certs)), files)))
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
        assert!(roots_from(&[dir.join("absent")], None).unwrap().is_none());
        let bad = dir.join("bad.crt");
        std::fs::write(&bad, "not a certificate").unwrap();
        let e = roots_from(std::slice::from_ref(&dir), None).err().unwrap();
        assert!(
            e.contains("bad.crt") && e.contains("no PEM certificate"),
            "{e}"
        );
        let e = roots_from(&[], Some(dir.join("missing.pem")))
            .err()
            .unwrap();
        assert!(e.contains("missing.pem"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("ballast-tls-roots-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
