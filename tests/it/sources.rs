//! Images read where they live, against real components the tests start:
//! Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 with images
//! pushed by `skopeo`, a second one behind htpasswd basic auth, a third
//! that delegates to a bearer-token endpoint run here, a fault-injecting
//! proxy in front of one, a private `dockerd`, and Podman on private vfs
//! storage. Each source's report must equal the archive's apart from where
//! it came from and how the blobs were compressed. A component that cannot
//! start makes its test print `SKIPPED: reason` and pass.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::util::{sample, stderr};

fn skip(why: &str) {
    eprintln!("SKIPPED: {why}");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn wait_until(mut ready: impl FnMut() -> bool, child: &mut Child, secs: u64) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if ready() {
            return true;
        }
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A daemon this test started, stopped by its pid when dropped.
pub(crate) struct Daemon {
    child: Child,
    dir: tempfile::TempDir,
    host: &'static str,
    port: u16,
}

impl Daemon {
    /// SIGTERM first, so dockerd unmounts what it mounted under its data
    /// root; SIGKILL if it has not gone after 30 s.
    fn stop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(30) {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
    fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A `docker-registry` on a random loopback port.
fn registry(auth: &str) -> Option<Daemon> {
    registry_with(auth, &[])
}

/// A `docker-registry` on a random loopback port; `auth` is extra YAML
/// (its `{DIR}` is the registry's own directory, where `files` are put
/// before it starts).
fn registry_with(auth: &str, files: &[(&str, &[u8])]) -> Option<Daemon> {
    registry_at("127.0.0.1", auth, files)
}

/// [`registry_with`] listening on `host`; `extra` may continue the `http:`
/// section (`  tls:` …).
fn registry_at(host: &'static str, extra: &str, files: &[(&str, &[u8])]) -> Option<Daemon> {
    let auth = extra;
    let bin = Path::new("/usr/bin/docker-registry");
    if !bin.exists() {
        skip("/usr/bin/docker-registry is not installed (Debian package docker-registry)");
        return None;
    }
    if Command::new("skopeo").arg("--version").output().is_err() {
        skip("skopeo is not installed");
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).expect("registry file");
    }
    let auth = auth.replace("{DIR}", &dir.path().display().to_string());
    let port = free_port();
    let config = format!(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {host}:{port}\n{auth}",
        dir.path().join("data").display()
    );
    let cfg = dir.path().join("config.yml");
    std::fs::write(&cfg, config).expect("write config");
    let log = std::fs::File::create(dir.path().join("log")).expect("log file");
    let mut child = Command::new(bin)
        .arg("serve")
        .arg(&cfg)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start docker-registry");
    if !wait_until(|| TcpStream::connect((host, port)).is_ok(), &mut child, 20) {
        let _ = child.kill();
        let _ = child.wait();
        skip(&format!(
            "docker-registry did not start: {}",
            std::fs::read_to_string(dir.path().join("log")).unwrap_or_default()
        ));
        return None;
    }
    Some(Daemon {
        child,
        dir,
        host,
        port,
    })
}

fn push(src: &str, dest: &str, extra: &[&str]) {
    let o = Command::new("skopeo")
        .args(["copy", "--quiet", "--dest-tls-verify=false"])
        .args(extra)
        .arg(src)
        .arg(format!("docker://{dest}"))
        .output()
        .expect("run skopeo");
    assert!(
        o.status.success(),
        "skopeo copy {src} {dest}: {}",
        stderr(&o)
    );
}

/// An environment with no credentials and no engines of the host's.
struct Env {
    home: tempfile::TempDir,
    vars: Vec<(String, String)>,
}

impl Env {
    fn new() -> Env {
        let home = tempfile::tempdir().expect("temp home");
        let storage = home.path().join("storage.conf");
        std::fs::write(
            &storage,
            format!(
                "[storage]\ndriver = \"vfs\"\ngraphroot = \"{0}/graph\"\nrunroot = \"{0}/run\"\n",
                home.path().display()
            ),
        )
        .expect("storage.conf");
        let h = home.path().display().to_string();
        Env {
            vars: vec![
                ("HOME".into(), h.clone()),
                ("DOCKER_HOST".into(), format!("unix://{h}/no-docker.sock")),
                ("XDG_RUNTIME_DIR".into(), format!("{h}/run")),
                (
                    "CONTAINERS_STORAGE_CONF".into(),
                    storage.display().to_string(),
                ),
            ],
            home,
        }
    }
    fn set(mut self, k: &str, v: &str) -> Env {
        self.vars.retain(|(key, _)| key != k);
        self.vars.push((k.into(), v.into()));
        self
    }
    fn run(&self, args: &[&str]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ballast"));
        c.args(args).env("NO_COLOR", "1").stdin(Stdio::null());
        for k in [
            "DOCKER_CONFIG",
            "REGISTRY_AUTH_FILE",
            "CONTAINER_HOST",
            "SSL_CERT_FILE",
        ] {
            c.env_remove(k);
        }
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c.output().expect("run ballast")
    }
    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        let o = self.run(&a);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        serde_json::from_slice(&o.stdout).expect("stdout is JSON")
    }
}

fn archive_report(name: &str) -> Value {
    let p = sample(name);
    Env::new().json(&[p.to_str().expect("utf-8 path")])
}

/// The report without what must differ between sources: where the image
/// came from, its name there, how its blobs are compressed, and whether
/// they were checked on the way (always from an engine or a registry).
fn comparable(mut v: Value) -> Value {
    let img = &mut v["image"];
    for k in [
        "source",
        "format",
        "repo_tags",
        "compressed_size_bytes",
        "digests_checked",
    ] {
        img[k] = Value::Null;
    }
    if let Some(layers) = v["layers"].as_array_mut() {
        for l in layers {
            for k in ["digest", "media_type", "compressed_size_bytes"] {
                l[k] = Value::Null;
            }
        }
    }
    v
}

fn assert_same_report(got: &Value, want: &Value, what: &str) {
    let (g, w) = (comparable(got.clone()), comparable(want.clone()));
    if g != w {
        let gs = serde_json::to_string_pretty(&g).unwrap_or_default();
        let ws = serde_json::to_string_pretty(&w).unwrap_or_default();
        let first = gs
            .lines()
            .zip(ws.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "{what}: report differs from the archive's near line {first}:\n got: {}\nwant: {}",
            gs.lines().nth(first).unwrap_or(""),
            ws.lines().nth(first).unwrap_or("")
        );
    }
}

/// Sum of the layer sizes in the registry's manifest, read with skopeo.
fn registry_layer_sizes(reference: &str, creds: Option<&str>) -> u64 {
    let mut c = Command::new("skopeo");
    c.args(["inspect", "--raw", "--tls-verify=false"]);
    if let Some(cr) = creds {
        c.args(["--creds", cr]);
    }
    let o = c
        .arg(format!("docker://{reference}"))
        .output()
        .expect("skopeo inspect");
    assert!(o.status.success(), "{}", stderr(&o));
    let m: Value = serde_json::from_slice(&o.stdout).expect("manifest JSON");
    m["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["size"].as_u64().expect("size"))
        .sum()
}

#[test]
fn registry_reports_equal_the_archives() {
    let Some(reg) = registry("") else { return };
    let a = reg.addr();
    let docker_tar = sample("ml-mistakes.docker.tar");
    let zstd_tar = sample("ml-mistakes.oci-zstd.tar");
    push(
        &format!("docker-archive:{}", docker_tar.display()),
        &format!("{a}/ml:docker"),
        &[],
    );
    push(
        &format!("oci-archive:{}", zstd_tar.display()),
        &format!("{a}/ml:zstd"),
        &[],
    );
    let env = Env::new();

    let want = archive_report("ml-mistakes.docker.tar");
    let got = env.json(&[&format!("registry://{a}/ml:docker")]);
    assert_same_report(&got, &want, "registry://…/ml:docker");
    assert_eq!(got["image"]["format"], "registry");
    assert_eq!(got["image"]["digests_checked"], true);
    assert_eq!(got["image"]["source"], format!("registry://{a}/ml:docker"));
    // The pull size is what the registry stores, not the archive's.
    assert_eq!(
        got["image"]["compressed_size_bytes"],
        registry_layer_sizes(&format!("{a}/ml:docker"), None)
    );

    // A bare reference that is no file: no engine here, so the registry.
    let want_zstd = archive_report("ml-mistakes.oci-zstd.tar");
    let got = env.json(&[&format!("{a}/ml:zstd")]);
    assert_same_report(&got, &want_zstd, "bare ref to the zstd image");
    assert_eq!(got["image"]["source"], format!("registry://{a}/ml:zstd"));
    // Same blobs as the OCI archive, so the same digests and sizes.
    assert_eq!(got["layers"], want_zstd["layers"]);

    // By digest, and with --source forcing the registry.
    let digest = {
        let o = Command::new("skopeo")
            .args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
            .arg(format!("docker://{a}/ml:zstd"))
            .output()
            .expect("skopeo inspect");
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    let got = env.json(&["--source", "registry", &format!("{a}/ml@{digest}")]);
    assert_same_report(&got, &want_zstd, "by digest");

    // Unknown tag and repository: exit 2, one line naming the registry.
    let o = env.run(&[&format!("registry://{a}/ml:nope")]);
    crate::util::assert_clean_failure(&o, &format!("registry://{a}/ml:nope"), "manifest unknown");
    let o = env.run(&[&format!("registry://{a}/nobody:1")]);
    crate::util::assert_clean_failure(&o, &format!("registry {a}"), "manifest unknown");
}

/// Stores `bytes` as a blob of the OCI layout at `layout`; its digest.
fn put_blob(layout: &Path, bytes: &[u8]) -> String {
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir");
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(blobs.join(&hex), bytes).expect("write blob");
    format!("sha256:{hex}")
}

/// Writes a two-platform OCI layout (amd64 and a relabelled arm64 copy of
/// the same image) under one nested index named `multi`.
fn two_platform_layout(dir: &Path) {
    let o = Command::new("tar")
        .arg("-xf")
        .arg(sample("ml-mistakes.oci.tar"))
        .arg("-C")
        .arg(dir)
        .output()
        .expect("tar");
    assert!(o.status.success(), "{}", stderr(&o));
    let blob = |d: &str| {
        dir.join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let put = |bytes: &[u8]| put_blob(dir, bytes);
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).expect("index"))
            .expect("json");
    let m_desc = index["manifests"][0].clone();
    let m_digest = m_desc["digest"].as_str().expect("digest").to_string();
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(blob(&m_digest)).expect("manifest")).expect("json");
    let mut config: Value = serde_json::from_slice(
        &std::fs::read(blob(manifest["config"]["digest"].as_str().expect("cfg"))).expect("config"),
    )
    .expect("json");
    config["architecture"] = "arm64".into();
    config["variant"] = "v8".into();
    let config_bytes = serde_json::to_vec(&config).expect("json");
    let mut arm = manifest.clone();
    arm["config"]["size"] = config_bytes.len().into();
    arm["config"]["digest"] = put(&config_bytes).into();
    let arm_bytes = serde_json::to_vec(&arm).expect("json");
    let platform = |arch: &str, variant: Option<&str>| {
        let mut p = serde_json::json!({"os": "linux", "architecture": arch});
        if let Some(v) = variant {
            p["variant"] = v.into();
        }
        p
    };
    let list = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m_digest,
             "size": m_desc["size"], "platform": platform("amd64", None)},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(&arm_bytes),
             "size": arm_bytes.len(), "platform": platform("arm64", Some("v8"))},
        ],
    });
    let list_bytes = serde_json::to_vec(&list).expect("json");
    let top = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": put(&list_bytes), "size": list_bytes.len(),
            "annotations": {"org.opencontainers.image.ref.name": "multi"}}],
    });
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&top).expect("json"),
    )
    .expect("index.json");
}

#[test]
fn manifest_lists_resolve_by_platform() {
    let Some(reg) = registry("") else { return };
    let a = reg.addr();
    let layout = tempfile::tempdir().expect("temp dir");
    two_platform_layout(layout.path());
    push(
        &format!("oci:{}:multi", layout.path().display()),
        &format!("{a}/multi:1"),
        &["--all"],
    );
    let env = Env::new();
    let want = archive_report("ml-mistakes.oci.tar");
    let r = format!("registry://{a}/multi:1");
    // No --platform: the host's (the tests run on amd64 or arm64).
    let host = if cfg!(target_arch = "aarch64") {
        "arm64"
    } else {
        "amd64"
    };
    let got = env.json(&[&r]);
    assert_eq!(got["image"]["architecture"], host);
    let got = env.json(&[&r, "--platform", "linux/arm64"]);
    assert_eq!(got["image"]["architecture"], "arm64");
    let mut got_amd = env.json(&[&r, "--platform", "linux/amd64"]);
    assert_eq!(got_amd["image"]["architecture"], "amd64");
    assert_same_report(&got_amd, &want, "amd64 from the index");
    got_amd["image"]["architecture"] = Value::Null;
    let o = env.run(&[&r, "--platform", "linux/s390x"]);
    crate::util::assert_clean_failure(&o, &r, "--platform linux/s390x");
}

/// This machine's address on its default route, when it has one that is
/// not loopback: a registry there is not taken for a local one, so ballast
/// speaks TLS to it.
fn outside_address() -> Option<&'static str> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    // UDP connect sends nothing; it only picks the route.
    s.connect("8.8.8.8:53").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (ip.is_ipv4() && !ip.is_loopback() && !ip.is_unspecified())
        .then(|| &*Box::leak(ip.to_string().into_boxed_str()))
}

/// A test CA, a server certificate it signed for `ip` and a client
/// certificate, made by openssl: `ca.crt`, `srv.crt` + `srv.key`,
/// `client.cert` + `client.key` in `dir`.
fn test_ca(dir: &Path, ip: &str) -> bool {
    let ext = |name: &str, text: String| std::fs::write(dir.join(name), text).expect("ext file");
    ext(
        "srv.ext",
        format!("subjectAltName=IP:{ip}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"),
    );
    ext(
        "client.ext",
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n".into(),
    );
    let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    let sign = "-CA ca.crt -CAkey ca.key -CAcreateserial -days 2";
    [
        format!("req -x509 {key} -keyout ca.key -out ca.crt -days 2 -subj /CN=ballast-test-CA"),
        format!("req {key} -keyout srv.key -out srv.csr -subj /CN=registry"),
        format!("x509 -req -in srv.csr {sign} -out srv.crt -extfile srv.ext"),
        format!("req {key} -keyout client.key -out client.csr -subj /CN=ballast"),
        format!("x509 -req -in client.csr {sign} -out client.cert -extfile client.ext"),
    ]
    .iter()
    .all(|args| {
        Command::new("openssl")
            .args(args.split_whitespace())
            .current_dir(dir)
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// A TLS `docker-registry` whose certificate names this machine's
/// non-loopback address, listening there or (`every_address`) on all; with
/// `client_cas` it asks for a client certificate the test CA signed. With
/// that address and the directory of [`test_ca`]'s files.
fn tls_registry(
    every_address: bool,
    client_cas: bool,
) -> Option<(Daemon, &'static str, tempfile::TempDir)> {
    let Some(ip) = outside_address() else {
        skip("no non-loopback IPv4 address: TLS registries are untested");
        return None;
    };
    let certs = tempfile::tempdir().expect("temp dir");
    if !test_ca(certs.path(), ip) {
        skip("openssl could not make a test CA");
        return None;
    }
    let mut tls = "  tls:\n    certificate: {DIR}/srv.crt\n    key: {DIR}/srv.key\n".to_string();
    if client_cas {
        tls.push_str("    clientcas:\n      - {DIR}/ca.crt\n");
    }
    let bytes: Vec<(&str, Vec<u8>)> = ["srv.crt", "srv.key", "ca.crt"]
        .into_iter()
        .map(|f| (f, std::fs::read(certs.path().join(f)).expect("cert file")))
        .collect();
    let files: Vec<(&str, &[u8])> = bytes.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let listen = if every_address { "0.0.0.0" } else { ip };
    let reg = registry_at(listen, &tls, &files)?;
    Some((reg, ip, certs))
}

/// A registry with TLS on a non-loopback address: refused against
/// Mozilla's roots with one line saying what to do, trusted once its CA is
/// in `~/.config/containers/certs.d/HOST:PORT/` or `SSL_CERT_FILE`, or
/// when named insecure; on loopback it is read over TLS unchecked.
#[test]
fn tls_registries_are_verified_and_certs_d_gives_their_ca() {
    // On every address: this machine's for verified TLS, loopback for
    // Docker's insecure rule.
    let Some((reg, ip, certs)) = tls_registry(true, false) else {
        return;
    };
    let read = |f: &str| std::fs::read(certs.path().join(f)).expect("cert file");
    let a = format!("{ip}:{}", reg.port);
    push(
        &format!(
            "docker-archive:{}",
            sample("ml-mistakes.docker.tar").display()
        ),
        &format!("{a}/tls:1"),
        &[],
    );
    let r = format!("registry://{a}/tls:1");
    let env = Env::new();
    let want = archive_report("ml-mistakes.docker.tar");

    let o = env.run(&[&r]);
    crate::util::assert_clean_failure(
        &o,
        &format!("registry {a}"),
        "TLS certificate was not accepted",
    );
    assert!(
        stderr(&o).contains(&format!("certs.d/{a}/ca.crt")),
        "{}",
        stderr(&o)
    );

    let certs_d = env
        .home
        .path()
        .join(".config/containers/certs.d")
        .join(a.as_str());
    std::fs::create_dir_all(&certs_d).expect("mkdir");
    std::fs::write(certs_d.join("ca.crt"), read("ca.crt")).expect("ca.crt");
    let got = env.json(&[&r]);
    assert_same_report(&got, &want, "TLS with the CA in certs.d");

    std::fs::write(certs_d.join("mirror.crt"), "not a certificate").expect("bad crt");
    let o = env.run(&[&r]);
    crate::util::assert_clean_failure(&o, "mirror.crt", "no PEM certificate");
    std::fs::remove_dir_all(&certs_d).expect("rm certs.d");

    // Insecure as Docker means it: TLS without checking the certificate,
    // for a registry named by --insecure-registry or on loopback.
    let got = env.json(&[&r, "--insecure-registry", &a]);
    assert_same_report(&got, &want, "--insecure-registry over TLS");
    let got = env.json(&[&format!("registry://127.0.0.1:{}/tls:1", reg.port)]);
    assert_same_report(&got, &want, "a loopback registry over TLS");

    let bundle = certs.path().join("ca.crt").display().to_string();
    let got = env.set("SSL_CERT_FILE", &bundle).json(&[&r]);
    assert_same_report(&got, &want, "TLS with SSL_CERT_FILE");
}

/// A registry that asks for a client certificate (distribution's
/// `clientcas`): without one, one line saying so and where it goes; with
/// `NAME.cert` and `NAME.key` in certs.d, the image.
#[test]
fn a_client_certificate_comes_from_certs_d() {
    let Some((reg, _, certs)) = tls_registry(false, true) else {
        return;
    };
    let read = |f: &str| std::fs::read(certs.path().join(f)).expect("cert file");
    let a = reg.addr();
    // skopeo reads the same directory layout.
    let skopeo_certs = certs.path().join("skopeo");
    std::fs::create_dir_all(&skopeo_certs).expect("mkdir");
    for f in ["ca.crt", "client.cert", "client.key"] {
        std::fs::write(skopeo_certs.join(f), read(f)).expect("copy");
    }
    let cert_dir = skopeo_certs.display().to_string();
    push(
        &format!(
            "docker-archive:{}",
            sample("ml-mistakes.docker.tar").display()
        ),
        &format!("{a}/mtls:1"),
        &["--dest-cert-dir", &cert_dir],
    );
    let r = format!("registry://{a}/mtls:1");
    let env = Env::new();
    let certs_d = env
        .home
        .path()
        .join(".config/containers/certs.d")
        .join(a.as_str());
    std::fs::create_dir_all(&certs_d).expect("mkdir");
    std::fs::write(certs_d.join("ca.crt"), read("ca.crt")).expect("ca.crt");

    let o = env.run(&[&r]);
    crate::util::assert_clean_failure(
        &o,
        &format!("registry {a}"),
        "wants a client certificate and none was found",
    );
    assert!(
        stderr(&o).contains(&format!("certs.d/{a}/")),
        "{}",
        stderr(&o)
    );

    std::fs::write(certs_d.join("client.cert"), read("client.cert")).expect("client.cert");
    std::fs::write(certs_d.join("client.key"), read("client.key")).expect("client.key");
    let got = env.json(&[&r]);
    assert_same_report(
        &got,
        &archive_report("ml-mistakes.docker.tar"),
        "with a client certificate",
    );
}

/// An OCI layout at `dir` whose one manifest, named `art`, has the given
/// config and one blob: what Helm and cosign push to registries.
fn artifact_layout(dir: &Path, config_type: &str, config: &[u8], blob_type: &str, blob: &[u8]) {
    let put =
        |bytes: &[u8]| serde_json::json!({"digest": put_blob(dir, bytes), "size": bytes.len()});
    let with_type = |mut d: serde_json::Value, t: &str| {
        d["mediaType"] = t.into();
        d
    };
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": with_type(put(config), config_type),
        "layers": [with_type(put(blob), blob_type)],
    });
    let m = put(&serde_json::to_vec(&manifest).expect("json"));
    let mut entry = with_type(m, "application/vnd.oci.image.manifest.v1+json");
    entry["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "art"});
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [entry]});
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&index).expect("json"),
    )
    .expect("index.json");
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)
        .expect("oci-layout");
}

/// A Helm chart and a cosign signature pushed by skopeo: each is one line
/// saying it is no container image, exit 2, by `registry://` or bare name.
#[test]
fn registry_artifacts_are_refused_in_one_line() {
    let Some(reg) = registry("") else { return };
    let a = reg.addr();
    let dir = tempfile::tempdir().expect("temp dir");
    let chart = dir.path().join("chart");
    artifact_layout(
        &chart,
        "application/vnd.cncf.helm.config.v1+json",
        br#"{"name":"mychart","version":"0.1.0","apiVersion":"v2"}"#,
        "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
        b"\x1f\x8b not really a chart",
    );
    let sig = dir.path().join("sig");
    artifact_layout(
        &sig,
        "application/vnd.oci.image.config.v1+json",
        br#"{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]}}"#,
        "application/vnd.dev.cosign.simplesigning.v1+json",
        br#"{"critical":{"identity":{"docker-reference":"x"},"image":{},"type":"cosign container image signature"}}"#,
    );
    for (layout, repo) in [(&chart, "chart"), (&sig, "img")] {
        push(
            &format!("oci:{}:art", layout.display()),
            &format!("{a}/{repo}:art"),
            &[],
        );
    }
    let env = Env::new();
    let r = format!("registry://{a}/chart:art");
    let o = env.run(&[&r]);
    crate::util::assert_clean_failure(
        &o,
        &r,
        "application/vnd.cncf.helm.config.v1+json, not a container image",
    );
    let bare = format!("{a}/chart:art");
    let o = env.run(&[&bare]);
    // The registry answered: the line says so, not "no such file".
    crate::util::assert_clean_failure(&o, &format!("registry://{bare}"), "not a container image");
    assert!(!stderr(&o).contains("no such file"), "{}", stderr(&o));
    let r = format!("registry://{a}/img:art");
    let o = env.run(&[&r]);
    crate::util::assert_clean_failure(
        &o,
        &r,
        "lists a application/vnd.dev.cosign.simplesigning.v1+json blob, not an image layer",
    );
}

/// A `docker-registry` behind htpasswd basic auth (bcrypt), `user` and
/// `secret`, with the sample pushed.
fn basic_auth_registry(secret: &str) -> Option<Daemon> {
    let o = Command::new("htpasswd")
        .args(["-Bbn", "user", secret])
        .output();
    let Ok(o) = o else {
        skip("htpasswd is not installed (apache2-utils)");
        return None;
    };
    let reg = registry_with(
        "auth:\n  htpasswd:\n    realm: ballast-test\n    path: {DIR}/htpasswd\n",
        &[("htpasswd", &o.stdout)],
    )?;
    push(
        &format!(
            "docker-archive:{}",
            sample("ml-mistakes.docker.tar").display()
        ),
        &format!("{}/private:1", reg.addr()),
        &["--dest-creds", &format!("user:{secret}")],
    );
    Some(reg)
}

fn docker_config(dir: &Path, registry: &str, user: &str, secret: &str) -> PathBuf {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"));
    let cfg = serde_json::json!({"auths": {registry: {"auth": auth}}});
    std::fs::create_dir_all(dir).expect("config dir");
    let p = dir.join("config.json");
    std::fs::write(&p, serde_json::to_vec(&cfg).expect("json")).expect("config.json");
    p
}

fn assert_no_secret(o: &Output, secret: &str) {
    for (what, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        assert!(
            !String::from_utf8_lossy(bytes).contains(secret),
            "the secret leaked on {what}"
        );
    }
}

#[test]
fn basic_auth_needs_credentials_and_never_shows_them() {
    let secret = "s3cret-basic-9f2c";
    let Some(reg) = basic_auth_registry(secret) else {
        return;
    };
    let a = reg.addr();
    let r = format!("registry://{a}/private:1");
    let env = Env::new();

    let o = env.run(&[&r]);
    crate::util::assert_clean_failure(&o, &format!("registry {a}"), "credentials");

    let cfg_dir = env.home.path().join("docker-cfg");
    docker_config(&cfg_dir, &a, "user", "wrong-password");
    let bad = Env::new().set("DOCKER_CONFIG", &cfg_dir.display().to_string());
    let o = bad.run(&[&r]);
    crate::util::assert_clean_failure(&o, &format!("registry {a}"), "not accepted");
    assert_no_secret(&o, "wrong-password");

    docker_config(&cfg_dir, &a, "user", secret);
    let good = Env::new().set("DOCKER_CONFIG", &cfg_dir.display().to_string());
    let report = good.home.path().join("report.json");
    let o = good.run(&[
        &r,
        "--json",
        report.to_str().expect("utf-8"),
        "--format",
        "markdown",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_no_secret(&o, secret);
    let text = std::fs::read_to_string(&report).expect("report");
    assert!(!text.contains(secret), "the secret leaked into the JSON");
    let got: Value = serde_json::from_str(&text).expect("json");
    assert_same_report(
        &got,
        &archive_report("ml-mistakes.docker.tar"),
        "basic auth",
    );

    // Podman's auth.json (REGISTRY_AUTH_FILE) works the same way.
    let podman_auth = good.home.path().join("auth.json");
    std::fs::copy(cfg_dir.join("config.json"), &podman_auth).expect("copy");
    let podman = Env::new().set("REGISTRY_AUTH_FILE", &podman_auth.display().to_string());
    let o = podman.run(&[&r, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_no_secret(&o, secret);
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A signed JWT granting pull and push on `repo`, made with `openssl`:
/// RS256 over a fresh self-signed key whose certificate rides in `x5c`
/// (distribution checks it against its `rootcertbundle`). Returns the
/// token and the certificate (PEM).
fn signed_token(dir: &Path, repo: &str) -> Option<(String, Vec<u8>)> {
    let key = dir.join("key.pem");
    let cert = dir.join("cert.pem");
    let ok = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=ballast-test-token"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skip("openssl could not make a signing key");
        return None;
    }
    let der = Command::new("openssl")
        .args(["x509", "-outform", "DER", "-in"])
        .arg(&cert)
        .output()
        .expect("openssl x509");
    use base64::Engine as _;
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT",
        "x5c": [base64::engine::general_purpose::STANDARD.encode(&der.stdout)]});
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let claims = serde_json::json!({
        "iss": "ballast-test-issuer", "sub": "user", "aud": "ballast-test",
        "exp": now + 3600, "nbf": now - 60, "iat": now - 60, "jti": "ballast-1",
        "access": [{"type": "repository", "name": repo, "actions": ["pull", "push"]}],
    });
    let input = format!(
        "{}.{}",
        b64url(&serde_json::to_vec(&header).expect("json")),
        b64url(&serde_json::to_vec(&claims).expect("json"))
    );
    let mut sign = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(&key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl dgst");
    sign.stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let sig = sign.wait_with_output().expect("signature");
    assert!(sig.status.success());
    Some((
        format!("{input}.{}", b64url(&sig.stdout)),
        std::fs::read(&cert).expect("cert"),
    ))
}

/// Reads an HTTP request or response head (through the blank line).
fn read_head(r: &mut impl BufRead) -> Option<String> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" || line == "\n" {
            return Some(head);
        }
    }
}

/// A token endpoint: the token for `user:secret` in basic auth, 401
/// otherwise. Counts the requests it answered with a token.
fn token_server(token: String, secret: &str) -> (u16, Arc<Mutex<u32>>) {
    use base64::Engine as _;
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let want = format!(
        "authorization: basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("user:{secret}"))
    )
    .to_lowercase();
    let served = Arc::new(Mutex::new(0));
    let count = Arc::clone(&served);
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let mut r = BufReader::new(conn.try_clone().expect("clone"));
            let Some(head) = read_head(&mut r) else {
                continue;
            };
            let authorized = head.lines().any(|l| l.trim().to_lowercase() == want);
            let mut conn = conn;
            let reply = if authorized {
                *count.lock().expect("count") += 1;
                let body = serde_json::json!({"token": token, "access_token": token}).to_string();
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into()
            };
            let _ = conn.write_all(reply.as_bytes());
        }
    });
    (port, served)
}

#[test]
fn bearer_tokens_come_from_the_challenge_realm() {
    let secret = "s3cret-bearer-41ad";
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((token, cert)) = signed_token(dir.path(), "tok") else {
        return;
    };
    let (tport, served) = token_server(token.clone(), secret);
    let auth = format!(
        "auth:\n  token:\n    realm: http://127.0.0.1:{tport}/token\n    service: ballast-test\n    issuer: ballast-test-issuer\n    rootcertbundle: {{DIR}}/cert.pem\n"
    );
    let Some(reg) = registry_with(&auth, &[("cert.pem", &cert)]) else {
        return;
    };
    let a = reg.addr();
    push(
        &format!(
            "docker-archive:{}",
            sample("ml-mistakes.docker.tar").display()
        ),
        &format!("{a}/tok:1"),
        &["--dest-creds", &format!("user:{secret}")],
    );
    let r = format!("registry://{a}/tok:1");
    let o = Env::new().run(&[&r]);
    crate::util::assert_clean_failure(&o, &format!("registry {a}"), "credentials");

    let env = Env::new();
    let cfg_dir = env.home.path().join("docker-cfg");
    docker_config(&cfg_dir, &a, "user", secret);
    let env = env.set("DOCKER_CONFIG", &cfg_dir.display().to_string());
    let before = *served.lock().expect("count");
    let o = env.run(&[&r, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        *served.lock().expect("count") > before,
        "no token was asked for"
    );
    for s in [secret, token.as_str()] {
        assert_no_secret(&o, s);
    }
    let got: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_same_report(&got, &archive_report("ml-mistakes.docker.tar"), "bearer");
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    Pass,
    /// The first N blob requests get 429 with `Retry-After: 1`.
    TooMany(u32),
    /// Large blobs are served half long, with a Content-Length to match.
    Truncate,
    /// Large blobs get one byte changed where gzip does not look (MTIME).
    Corrupt,
    /// Half a large blob, then the registry is killed and the connection
    /// drops.
    Kill(u32),
    /// Half a large blob, then the registry is stopped (SIGSTOP): the rest
    /// comes only if the registry sent it before it stopped.
    Stop(u32),
    /// Every blob body at about this many bytes a second.
    Slow(u64),
}

/// A proxy in front of `upstream` that injects `fault` into blob GETs.
fn fault_proxy(upstream: u16, fault: Arc<Mutex<Fault>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let fault = Arc::clone(&fault);
            std::thread::spawn(move || proxy_one(conn, upstream, &fault));
        }
    });
    port
}

fn proxy_one(client: TcpStream, upstream: u16, fault: &Mutex<Fault>) -> Option<()> {
    let mut from_client = BufReader::new(client.try_clone().ok()?);
    let mut client = client;
    // A TLS handshake (ballast asks whether a loopback registry speaks
    // TLS): hang up at once, as a plain HTTP server does.
    if from_client.fill_buf().ok()?.first() == Some(&0x16) {
        return None;
    }
    let head = read_head(&mut from_client)?;
    let is_blob = head.lines().next()?.contains("/blobs/sha256:");
    if is_blob {
        let mut f = fault.lock().ok()?;
        if let Fault::TooMany(n) = *f
            && n > 0
        {
            *f = Fault::TooMany(n - 1);
            drop(f);
            let r = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            return client.write_all(r.as_bytes()).ok();
        }
    }
    let mut up = TcpStream::connect(("127.0.0.1", upstream)).ok()?;
    let request: String = head
        .lines()
        .filter(|l| !l.is_empty() && !l.to_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    up.write_all(format!("{request}Connection: close\r\n\r\n").as_bytes())
        .ok()?;
    let mut from_up = BufReader::new(up);
    let resp = read_head(&mut from_up)?;
    let length: u64 = resp
        .lines()
        .find_map(|l| {
            let l = l.to_lowercase();
            l.strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    let big = is_blob && resp.starts_with("HTTP/1.1 200") && length > 100_000;
    let f = *fault.lock().ok()?;
    match f {
        Fault::Truncate if big => {
            let short: String = resp
                .split_inclusive("\r\n")
                .map(|l| {
                    if l.to_lowercase().starts_with("content-length:") {
                        format!("Content-Length: {}\r\n", length / 2)
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            client.write_all(short.as_bytes()).ok()?;
            std::io::copy(&mut from_up.take(length / 2), &mut client).ok()?;
        }
        Fault::Corrupt if big => {
            let mut body = Vec::new();
            from_up.read_to_end(&mut body).ok()?;
            body[4] ^= 0x55;
            client.write_all(resp.as_bytes()).ok()?;
            client.write_all(&body).ok()?;
        }
        Fault::Kill(pid) if big => {
            client.write_all(resp.as_bytes()).ok()?;
            std::io::copy(&mut from_up.take(length / 2), &mut client).ok()?;
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            // The registry is gone: so is the rest of the blob.
            let _ = client.shutdown(std::net::Shutdown::Both);
        }
        Fault::Stop(pid) if big => {
            client.write_all(resp.as_bytes()).ok()?;
            std::io::copy(&mut (&mut from_up).take(length / 2), &mut client).ok()?;
            let _ = Command::new("kill")
                .args(["-STOP", &pid.to_string()])
                .status();
            std::io::copy(&mut from_up, &mut client).ok()?;
        }
        Fault::Slow(rate) if is_blob => {
            client.write_all(resp.as_bytes()).ok()?;
            let mut piece = [0u8; 4096];
            loop {
                let n = from_up.read(&mut piece).ok()?;
                if n == 0 {
                    break;
                }
                client.write_all(&piece[..n]).ok()?;
                std::thread::sleep(Duration::from_micros(n as u64 * 1_000_000 / rate));
            }
        }
        _ => {
            client.write_all(resp.as_bytes()).ok()?;
            std::io::copy(&mut from_up, &mut client).ok()?;
        }
    }
    Some(())
}

/// Downloads show bytes, layers done and the rate on a terminal; on a pipe
/// stderr stays empty.
#[test]
fn registry_downloads_show_progress_on_a_terminal_only() {
    let Some(reg) = registry("") else { return };
    if Command::new("tmux").arg("-V").output().is_err() {
        skip("tmux is not installed");
        return;
    }
    push(
        &format!(
            "docker-archive:{}",
            sample("ml-mistakes.docker.tar").display()
        ),
        &format!("{}/p:1", reg.addr()),
        &[],
    );
    let fault = Arc::new(Mutex::new(Fault::Slow(200_000)));
    let port = fault_proxy(reg.port, Arc::clone(&fault));
    let r = format!("registry://127.0.0.1:{port}/p:1");
    let env = Env::new();

    let o = env.run(&[&r, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "nothing but the report on a pipe");

    let out = env.home.path().join("report.json");
    let status = env.home.path().join("status");
    let vars: String = env.vars.iter().map(|(k, v)| format!("{k}={v} ")).collect();
    let cmd = format!(
        "env -u DOCKER_CONFIG -u REGISTRY_AUTH_FILE NO_COLOR=1 {vars}{} {r} --json > {} ; echo $? > {}; sleep 60",
        env!("CARGO_BIN_EXE_ballast"),
        out.display(),
        status.display()
    );
    let socket = format!("ballast-progress-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket])
            .args(args)
            .output()
            .expect("tmux")
    };
    tmux(&[
        "new-session",
        "-d",
        "-s",
        "p",
        "-x",
        "150",
        "-y",
        "10",
        &cmd,
    ]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = String::new();
    let mut bar = None;
    while Instant::now() < deadline
        && std::fs::read_to_string(&status)
            .unwrap_or_default()
            .is_empty()
    {
        seen =
            String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "p"]).stdout).into_owned();
        if let Some(line) = seen
            .lines()
            .find(|l| l.contains("layers ") && l.contains("/s"))
        {
            bar = Some(line.to_string());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let code = std::fs::read_to_string(&status).unwrap_or_default();
    tmux(&["kill-server"]);
    assert_eq!(code.trim(), "0", "ballast on a terminal; screen:\n{seen}");
    let bar = bar
        .unwrap_or_else(|| panic!("no progress line with layers and a rate; last screen:\n{seen}"));
    // Bytes so far of the total, e.g. "layers 3/7 [===> ] 310.21 KiB/1.02 MiB 198.4 KiB/s".
    assert!(bar.contains("iB/"), "bytes done of the total: {bar}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(&out).expect("report")).expect("the report is JSON");
    assert_same_report(
        &report,
        &archive_report("ml-mistakes.docker.tar"),
        "from a terminal",
    );
}

#[test]
fn registry_faults_fail_cleanly_or_recover() {
    let Some(reg) = registry("") else { return };
    push(
        &format!(
            "docker-archive:{}",
            sample("ml-mistakes.docker.tar").display()
        ),
        &format!("{}/f:1", reg.addr()),
        &[],
    );
    let fault = Arc::new(Mutex::new(Fault::Pass));
    let port = fault_proxy(reg.port, Arc::clone(&fault));
    let r = format!("registry://127.0.0.1:{port}/f:1");
    let env = Env::new();
    let want = archive_report("ml-mistakes.docker.tar");

    // 429 then success: Retry-After is waited out.
    *fault.lock().expect("fault") = Fault::TooMany(1);
    let start = Instant::now();
    let got = env.json(&[&r]);
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    assert_same_report(&got, &want, "after a 429");

    // 429 every time: a bounded number of waits, then a clear failure.
    *fault.lock().expect("fault") = Fault::TooMany(1000);
    let o = env.run(&[&r]);
    crate::util::assert_clean_failure(&o, &r, "429");

    *fault.lock().expect("fault") = Fault::Truncate;
    let o = env.run(&[&r]);
    crate::util::assert_clean_failure(&o, &r, "truncated");

    *fault.lock().expect("fault") = Fault::Corrupt;
    let o = env.run(&[&r]);
    crate::util::assert_clean_failure(&o, &r, "digest mismatch");

    // The registry killed mid-blob, then a registry that is not there.
    *fault.lock().expect("fault") = Fault::Kill(reg.child.id());
    let o = env.run(&[&r]);
    // Whichever blob fails first (cut mid-body, or refused once the
    // registry is gone), one line names the registry.
    crate::util::assert_clean_failure(&o, &r, &format!("127.0.0.1:{port}"));
    let err = crate::util::stderr(&o);
    assert!(
        err.contains("broke off") || err.contains("could not be reached"),
        "should say the connection was lost: {err}"
    );
    let o = env.run(&[&format!("registry://{}/f:1", reg.addr())]);
    crate::util::assert_clean_failure(
        &o,
        &format!("registry {}", reg.addr()),
        "could not be reached",
    );
}

/// An OCI layout named `big` whose one layer holds 48 MB that do not
/// compress: more than loopback sockets buffer, so a registry stopped
/// halfway through it has not sent the rest.
fn big_layout(dir: &Path) {
    let content = dir.join("content");
    std::fs::create_dir_all(&content).expect("mkdir");
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    let noise: Vec<u8> = (0..48 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[3]
        })
        .collect();
    std::fs::write(content.join("noise.bin"), noise).expect("write");
    let layer = dir.join("layer.tar");
    let o = Command::new("tar")
        .arg("-cf")
        .arg(&layer)
        .arg("-C")
        .arg(&content)
        .arg("noise.bin")
        .output()
        .expect("tar");
    assert!(o.status.success(), "{}", stderr(&o));
    let put = |bytes: &[u8]| (put_blob(&dir.join("oci"), bytes), bytes.len());
    let (layer_digest, layer_size) = put(&std::fs::read(&layer).expect("layer"));
    let config = serde_json::json!({
        "architecture": if cfg!(target_arch = "aarch64") { "arm64" } else { "amd64" },
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        "history": [{"created_by": "COPY noise.bin /"}],
    });
    let (config_digest, config_size) = put(&serde_json::to_vec(&config).expect("json"));
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": layer_digest, "size": layer_size}],
    });
    let (m_digest, m_size) = put(&serde_json::to_vec(&manifest).expect("json"));
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": m_digest, "size": m_size,
            "annotations": {"org.opencontainers.image.ref.name": "big"}}],
    });
    std::fs::write(
        dir.join("oci/index.json"),
        serde_json::to_vec(&index).expect("json"),
    )
    .expect("index.json");
    std::fs::write(
        dir.join("oci/oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("oci-layout");
}

/// A big blob (received and hashed on a thread of its own) fails as a
/// small one does when cut short or corrupted; and a registry that stops
/// sending in the middle of it: after `BALLAST_IO_TIMEOUT` seconds without
/// a byte, one line names the registry and the blob, exit 2, no hang.
#[test]
fn a_big_blob_cut_corrupted_or_stalled_fails_cleanly() {
    let Some(reg) = registry("") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    big_layout(dir.path());
    push(
        &format!("oci:{}:big", dir.path().join("oci").display()),
        &format!("{}/big:1", reg.addr()),
        &[],
    );
    let fault = Arc::new(Mutex::new(Fault::Pass));
    let port = fault_proxy(reg.port, Arc::clone(&fault));
    let r = format!("registry://127.0.0.1:{port}/big:1");
    let env = Env::new().set("BALLAST_IO_TIMEOUT", "2");
    let got = env.json(&[&r]);
    assert_eq!(got["image"]["file_count"], 1);

    *fault.lock().expect("fault") = Fault::Truncate;
    let o = env.run(&[&r]);
    crate::util::assert_clean_failure(&o, &r, "truncated");
    *fault.lock().expect("fault") = Fault::Corrupt;
    let o = env.run(&[&r]);
    crate::util::assert_clean_failure(&o, &r, "digest mismatch");

    *fault.lock().expect("fault") = Fault::Stop(reg.child.id());
    let start = Instant::now();
    let o = env.run(&[&r]);
    let took = start.elapsed();
    // Resume the registry before anything can fail, so it stops cleanly.
    let _ = Command::new("kill")
        .args(["-CONT", &reg.child.id().to_string()])
        .status();
    crate::util::assert_clean_failure(&o, &r, "stalled: no byte for 2 s (BALLAST_IO_TIMEOUT)");
    let err = stderr(&o);
    assert!(
        err.contains(&format!("registry 127.0.0.1:{port}")) && err.contains("blob sha256:"),
        "should name the registry and the blob: {err}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");

    let o = Env::new().set("BALLAST_IO_TIMEOUT", "soon").run(&[&r]);
    crate::util::assert_clean_failure(&o, &r, "BALLAST_IO_TIMEOUT=soon");
}

/// A private `dockerd` on vfs storage and its own socket (also the
/// naming oracle of `dockerd_oracle.rs`).
pub(crate) fn dockerd() -> Option<(Daemon, String)> {
    if Command::new("dockerd").arg("--version").output().is_err() {
        skip("dockerd is not installed (Debian package docker.io)");
        return None;
    }
    let dir = tempfile::Builder::new()
        .prefix("bd")
        .tempdir_in("/tmp")
        .expect("temp dir");
    let d = dir.path();
    let host = format!("unix://{}/docker.sock", d.display());
    let log = std::fs::File::create(d.join("log")).expect("log");
    let mut child = Command::new("dockerd")
        .args([
            "--storage-driver",
            "vfs",
            "--iptables=false",
            "--bridge=none",
        ])
        .args(["--host", &host])
        .arg("--data-root")
        .arg(d.join("data"))
        .arg("--exec-root")
        .arg(d.join("exec"))
        .arg("--pidfile")
        .arg(d.join("docker.pid"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start dockerd");
    let up = wait_until(
        || {
            Command::new("docker")
                .args(["-H", &host, "version"])
                .output()
                .is_ok_and(|o| o.status.success())
        },
        &mut child,
        60,
    );
    let daemon = Daemon {
        child,
        dir,
        host: "",
        port: 0,
    };
    if !up {
        let log = std::fs::read_to_string(daemon.dir.path().join("log")).unwrap_or_default();
        skip(&format!(
            "dockerd did not start: {}",
            log.lines().rev().take(3).collect::<Vec<_>>().join(" | ")
        ));
        return None;
    }
    Some((daemon, host))
}

#[test]
fn docker_engine_streams_the_image() {
    let Some((daemon, host)) = dockerd() else {
        return;
    };
    let o = Command::new("docker")
        .args(["-H", &host, "load", "-i"])
        .arg(sample("ml-mistakes.docker.tar"))
        .output()
        .expect("docker load");
    assert!(o.status.success(), "docker load: {}", stderr(&o));
    let env = Env::new().set("DOCKER_HOST", &host);
    let want = archive_report("ml-mistakes.docker.tar");
    let got = env.json(&["docker://ml-mistakes:latest"]);
    assert_same_report(&got, &want, "docker://");
    assert_eq!(got["image"]["format"], "docker");
    // Checked by default, as the layers passed (the archive is not).
    assert_eq!(got["image"]["digests_checked"], true);
    assert_eq!(want["image"]["digests_checked"], false);
    // A bare name that is no file: Docker answers first and says so.
    let got = env.json(&["ml-mistakes:latest"]);
    assert_eq!(got["image"]["source"], "docker://ml-mistakes:latest");
    assert_same_report(&got, &want, "bare name from Docker");

    let o = env.run(&["docker://no-such-image:1"]);
    crate::util::assert_clean_failure(&o, "docker://no-such-image:1", "image unknown");

    // A stopped engine: its socket accepts, then nothing comes.
    let pid = daemon.child.id().to_string();
    let _ = Command::new("kill").args(["-STOP", &pid]).status();
    let start = Instant::now();
    let o = Env::new()
        .set("DOCKER_HOST", &host)
        .set("BALLAST_IO_TIMEOUT", "2")
        .run(&["docker://ml-mistakes:latest"]);
    let took = start.elapsed();
    let _ = Command::new("kill").args(["-CONT", &pid]).status();
    crate::util::assert_clean_failure(
        &o,
        "docker://ml-mistakes:latest",
        "Docker stalled: no byte for 2 s",
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
    let o = Env::new().run(&["docker://ml-mistakes:latest"]);
    crate::util::assert_clean_failure(&o, "docker://ml-mistakes:latest", "no Docker Engine");
}

#[test]
fn podman_saves_the_image() {
    if Command::new("podman").arg("--version").output().is_err() {
        skip("podman is not installed");
        return;
    }
    let env = Env::new();
    let conf = env.home.path().join("containers.conf");
    std::fs::write(
        &conf,
        "[engine]\nevents_logger = \"none\"\ncgroup_manager = \"cgroupfs\"\n",
    )
    .expect("containers.conf");
    let env = env.set("CONTAINERS_CONF", &conf.display().to_string());
    let home = env.home.path().to_path_buf();
    let mut load = Command::new("podman");
    load.args(["--storage-driver", "vfs", "--root"])
        .arg(home.join("graph"))
        .arg("--runroot")
        .arg(home.join("run"))
        .args(["load", "-q", "-i"])
        .arg(sample("ml-mistakes.docker.tar"));
    for (k, v) in &env.vars {
        load.env(k, v);
    }
    let o = load.output().expect("podman load");
    if !o.status.success() {
        skip(&format!("podman load failed: {}", stderr(&o).trim()));
        return;
    }
    let want = archive_report("ml-mistakes.docker.tar");
    let got = env.json(&["podman://localhost/ml-mistakes:latest"]);
    assert_same_report(&got, &want, "podman://");
    assert_eq!(got["image"]["format"], "podman");
    assert_eq!(got["image"]["digests_checked"], true);
    let got = env.json(&["--source", "podman", "ml-mistakes:latest"]);
    assert_same_report(&got, &want, "--source podman");
    let o = env.run(&["podman://no-such-image:1"]);
    crate::util::assert_clean_failure(&o, "podman://no-such-image:1", "image unknown");

    // `podman image save` stopped before it is done: the pipe has no read
    // timeout of its own, yet the run ends with one line naming Podman.
    let mut c = Command::new(env!("CARGO_BIN_EXE_ballast"));
    c.args(["podman://localhost/ml-mistakes:latest", "--json"])
        .env("NO_COLOR", "1")
        .env("BALLAST_IO_TIMEOUT", "2")
        .env_remove("CONTAINER_HOST")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in &env.vars {
        c.env(k, v);
    }
    let start = Instant::now();
    let mut run = c.spawn().expect("run ballast");
    let pid = run.id().to_string();
    let mut save = None;
    while save.is_none() && start.elapsed() < Duration::from_secs(20) {
        let o = Command::new("pgrep")
            .args(["-P", &pid, "-f", "image save"])
            .output()
            .expect("pgrep");
        save = String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .next()
            .map(str::to_string);
        if let Ok(Some(_)) = run.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let save = save.expect("ballast runs `podman image save` when no socket is up");
    let _ = Command::new("kill").args(["-STOP", &save]).status();
    while run.try_wait().ok().flatten().is_none() && start.elapsed() < Duration::from_secs(40) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = start.elapsed();
    let left_behind = std::path::Path::new(&format!("/proc/{save}")).exists();
    // ballast kills what it started; these are for a failed assertion.
    let quiet_kill = |pid: &str| {
        let _ = Command::new("kill")
            .args(["-KILL", pid])
            .stderr(Stdio::null())
            .status();
    };
    quiet_kill(&pid);
    quiet_kill(&save);
    let o = run.wait_with_output().expect("ballast ends");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("podman://localhost/ml-mistakes:latest"),
        "{err}"
    );
    assert!(err.contains("Podman stalled: no byte for 2 s"), "{err}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(!left_behind, "the stopped podman was left behind");

    // With Podman's API socket up where Podman puts it, the image comes
    // from the socket: no podman command is even on ballast's PATH.
    let socket = home.join("run/podman/podman.sock");
    std::fs::create_dir_all(home.join("run/podman")).expect("mkdir");
    let mut service = Command::new("podman");
    service
        .args(["system", "service", "--time=0"])
        .arg(format!("unix://{}", socket.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in &env.vars {
        service.env(k, v);
    }
    let mut service = service.spawn().expect("podman system service");
    let up = wait_until(|| UnixStream::connect(&socket).is_ok(), &mut service, 30);
    if up {
        let no_podman = env.home.path().join("empty-path");
        std::fs::create_dir_all(&no_podman).expect("mkdir");
        let env = env.set("PATH", &no_podman.display().to_string());
        let got = env.json(&["podman://localhost/ml-mistakes:latest"]);
        assert_same_report(&got, &want, "podman:// by its socket");
        assert_eq!(got["image"]["format"], "podman");
        let o = env.run(&["podman://no-such-image:1"]);
        crate::util::assert_clean_failure(&o, "podman://no-such-image:1", "image unknown");
    }
    let _ = Command::new("kill")
        .args(["-TERM", &service.id().to_string()])
        .status();
    let _ = service.wait();
    if !up {
        skip("podman system service did not start: the socket path is untested");
    }
}

#[test]
fn bare_names_say_what_was_tried() {
    // Nothing answers: no Docker socket, empty Podman storage, and a
    // loopback port with no registry behind it.
    let port = free_port();
    let name = format!("127.0.0.1:{port}/none:1");
    let o = Env::new().run(&[&name]);
    crate::util::assert_clean_failure(&o, &name, "no such file");
    let err = stderr(&o);
    for tried in ["Docker", "registry"] {
        assert!(err.contains(tried), "should say {tried} was tried: {err}");
    }
    // A path-like name is still a missing file, never a registry lookup.
    let o = Env::new().run(&["./no-such-image.tar"]);
    crate::util::assert_clean_failure(&o, "no-such-image.tar", "no such file or directory");
}
