//! `--dockerfile`: every step of the samples (built by buildah, classic
//! `#(nop)` history) maps to the line of the instruction that made it; a
//! Dockerfile in the working directory is used only when it matches.

use std::process::{Command, Stdio};

use crate::report_shape::Report;
use crate::util::{repo_root, sample, stderr};

fn report(image: &str, extra: &[&str], cwd: &std::path::Path) -> (Report, serde_json::Value) {
    let o = Command::new(env!("CARGO_BIN_EXE_ballast"))
        .arg(sample(image))
        .args(["--json", "-"])
        .args(extra)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("run ballast");
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let r: Report = serde_json::from_slice(&o.stdout).expect("report shape");
    (r, serde_json::from_slice(&o.stdout).expect("json"))
}

fn lines(r: &Report) -> Vec<Option<(usize, usize)>> {
    r.steps
        .iter()
        .map(|s| s.dockerfile.as_ref().map(|d| (d.line, d.end_line)))
        .collect()
}

/// The instruction lines, as `grep -n '^[A-Z]' Dockerfile` lists them
/// (every sample instruction is one line), minus `FROM`.
fn one_line_each(v: &[usize]) -> Vec<Option<(usize, usize)>> {
    v.iter().map(|&l| Some((l, l))).collect()
}

#[test]
fn every_step_of_the_samples_maps_to_its_line() {
    let cases: [(&str, &str, &[usize]); 3] = [
        (
            "ml-mistakes.docker.tar",
            "ml-mistakes",
            &[
                9, 10, 11, 14, 17, 20, 22, 25, 28, 30, 33, 36, 38, 41, 43, 45, 46,
            ],
        ),
        ("clean.oci.tar", "clean", &[4, 5, 6, 7, 9, 10, 11]),
        (
            "ml-cuda.oci.tar",
            "ml-cuda",
            &[8, 9, 10, 13, 16, 19, 22, 25, 28, 31, 33],
        ),
    ];
    for (image, dir, want) in cases {
        let path = sample(dir).join("Dockerfile");
        let path = path.to_str().expect("utf-8 path");
        let (r, json) = report(image, &["--dockerfile", path], &repo_root());
        assert_eq!(lines(&r), one_line_each(want), "{image}");
        assert!(
            r.steps
                .iter()
                .all(|s| s.dockerfile.as_ref().is_some_and(|d| d.path == path))
        );
        assert!(
            !json["warnings"].to_string().contains("Dockerfile"),
            "{image}: {}",
            json["warnings"]
        );
    }
}

#[test]
fn without_a_dockerfile_the_field_is_absent() {
    let (r, json) = report("clean.oci.tar", &[], &repo_root());
    assert!(r.steps.iter().all(|s| s.dockerfile.is_none()));
    assert!(json["steps"][0].get("dockerfile").is_none());
}

#[test]
fn a_dockerfile_in_the_working_directory_is_used_when_it_matches() {
    let (r, json) = report("ml-mistakes.docker.tar", &[], &sample("ml-mistakes"));
    assert_eq!(r.steps[3].dockerfile.as_ref().map(|d| d.line), Some(14));
    assert!(
        json["warnings"]
            .to_string()
            .contains("Dockerfile in the working directory matches"),
        "{}",
        json["warnings"]
    );
    // The clean sample's Dockerfile is not ml-mistakes'.
    let (r, json) = report("ml-mistakes.docker.tar", &[], &sample("clean"));
    assert!(r.steps.iter().all(|s| s.dockerfile.is_none()));
    assert!(
        json["warnings"]
            .to_string()
            .contains("does not match the image's history"),
        "{}",
        json["warnings"]
    );
}

#[test]
fn a_named_dockerfile_that_does_not_match_is_mapped_as_far_as_it_goes() {
    let path = sample("clean").join("Dockerfile");
    let (r, json) = report(
        "ml-mistakes.docker.tar",
        &["--dockerfile", path.to_str().expect("utf-8")],
        &repo_root(),
    );
    // `COPY rootfs/ /` and the busybox RUN are the same in both.
    assert_eq!(r.steps[0].dockerfile.as_ref().map(|d| d.line), Some(4));
    assert!(
        json["warnings"]
            .to_string()
            .contains("does not match the image's history everywhere"),
        "{}",
        json["warnings"]
    );
}

#[test]
fn text_and_markdown_name_the_line() {
    let path = sample("ml-mistakes").join("Dockerfile");
    let path = path.to_str().expect("utf-8");
    for format in ["text", "markdown"] {
        let o = crate::util::ballast(&[
            sample("ml-mistakes.docker.tar").to_str().expect("utf-8"),
            "--format",
            format,
            "--dockerfile",
            path,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains(&format!("{path}:14")), "{format}: {out}");
    }
}

#[test]
fn an_unreadable_dockerfile_is_a_clean_error() {
    let o = crate::util::ballast(&[
        sample("clean.oci.tar").to_str().expect("utf-8"),
        "--dockerfile",
        "/nonexistent/Dockerfile",
    ]);
    crate::util::assert_clean_failure(&o, "/nonexistent/Dockerfile", "--dockerfile");
}

/// `ballast fix` run in a copy of a sample's directory (so `--write` and
/// the patch touch only the copy); returns the directory and the output.
fn fix_in_copy(
    sample_dir: &str,
    image: &str,
    extra: &[&str],
) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        sample(sample_dir).join("Dockerfile"),
        dir.path().join("Dockerfile"),
    )
    .expect("copy Dockerfile");
    let o = Command::new(env!("CARGO_BIN_EXE_ballast"))
        .arg("fix")
        .arg(sample(image))
        .args(["--dockerfile", "Dockerfile"])
        .args(extra)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("run ballast fix");
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    (dir, o)
}

#[test]
fn fix_writes_one_hunk_per_finding_kind() {
    for (dir, image) in [
        ("ml-mistakes", "ml-mistakes.docker.tar"),
        ("ml-cuda", "ml-cuda.oci.tar"),
    ] {
        let (_tmp, o) = fix_in_copy(dir, image, &[]);
        let out = String::from_utf8(o.stdout).expect("utf-8");
        insta::assert_snapshot!(format!("fix-{dir}"), out);
    }
}

/// Runs Debian's `patch` on `diff` in `dir`; None (and a SKIPPED line)
/// when `patch` is missing.
fn patch(dir: &std::path::Path, diff: &[u8], dry_run: bool) -> Option<std::process::Output> {
    use std::io::Write;
    let mut cmd = Command::new("patch");
    cmd.arg("-p1").arg("--batch").current_dir(dir);
    if dry_run {
        cmd.arg("--dry-run");
    }
    let mut child = match cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIPPED: `patch` cannot run: {e}");
            return None;
        }
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(diff)
        .expect("write diff");
    Some(child.wait_with_output().expect("patch"))
}

#[test]
fn the_patch_applies_with_patch_p1_and_equals_write() {
    for (dir, image) in [
        ("ml-mistakes", "ml-mistakes.docker.tar"),
        ("ml-cuda", "ml-cuda.oci.tar"),
    ] {
        let (tmp, o) = fix_in_copy(dir, image, &[]);
        let Some(dry) = patch(tmp.path(), &o.stdout, true) else {
            return;
        };
        assert!(
            dry.status.success(),
            "{dir}: patch --dry-run: {}{}",
            String::from_utf8_lossy(&dry.stdout),
            String::from_utf8_lossy(&dry.stderr)
        );
        let applied = patch(tmp.path(), &o.stdout, false).expect("patch ran before");
        assert!(applied.status.success(), "{dir}: patch failed");
        let patched = std::fs::read_to_string(tmp.path().join("Dockerfile")).expect("read");
        // `--write` gives the same file and keeps the original.
        let (written, _) = fix_in_copy(dir, image, &["--write"]);
        let by_write = std::fs::read_to_string(written.path().join("Dockerfile")).expect("read");
        assert_eq!(patched, by_write, "{dir}");
        assert_eq!(
            std::fs::read(written.path().join("Dockerfile.orig")).expect("backup"),
            std::fs::read(sample(dir).join("Dockerfile")).expect("original"),
        );
        assert_ne!(
            patched,
            std::fs::read_to_string(sample(dir).join("Dockerfile")).expect("original")
        );
    }
}

#[test]
fn fix_fails_cleanly_on_a_missing_dockerfile() {
    let o = crate::util::ballast(&[
        "fix",
        sample("clean.oci.tar").to_str().expect("utf-8"),
        "--dockerfile",
        "/nonexistent/Dockerfile",
    ]);
    crate::util::assert_clean_failure(&o, "/nonexistent/Dockerfile", "--dockerfile");
}

/// The sample's stand-in pip ignores `--no-cache-dir` and `==VERSION`;
/// real pip honours both. The proof builds with this stand-in, which does
/// what pip does with them (and nothing else differently).
const PIP_AS_PIP_DOES: &str = r#"#!/bin/sh
set -e
PAYLOAD=/mnt/pypi
SITE=/usr/local/lib/python3.11/site-packages
[ "$1" = install ] || exit 1
shift
CACHE=1
[ -n "$PIP_NO_CACHE_DIR" ] && CACHE=0
for pkg in "$@"; do
    case "$pkg" in --no-cache-dir) CACHE=0; continue ;; -*) continue ;; esac
    name="${pkg%%==*}"
    dir="$PAYLOAD/$name"
    [ -d "$dir" ] || { echo "ERROR: No matching distribution found for $pkg" >&2; exit 1; }
    mkdir -p "$SITE"
    cp -a "$dir/site-packages/." "$SITE/"
    if [ "$CACHE" = 1 ]; then mkdir -p /root/.cache/pip; cp -a "$dir/cache/." /root/.cache/pip/; fi
    echo "Successfully installed $pkg"
done
"#;

/// A temp dir for a buildah build, or None (and a SKIPPED line saying
/// `why`) when buildah or a static busybox is missing.
fn buildah_workdir(why: &str) -> Option<tempfile::TempDir> {
    let ok = Command::new("buildah")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok || !std::path::Path::new("/bin/busybox").exists() {
        eprintln!("SKIPPED: {why}");
        return None;
    }
    Some(tempfile::tempdir().expect("tempdir"))
}

/// buildah with its own vfs storage under `w`, touching no other images.
fn buildah_in(w: &std::path::Path, args: &[&std::ffi::OsStr]) -> Command {
    let mut c = Command::new("buildah");
    c.arg("--root")
        .arg(w.join("storage"))
        .arg("--runroot")
        .arg(w.join("runroot"))
        .args(["--storage-driver", "vfs"])
        .args(args);
    c
}

/// Builds as `sample-images/lib.sh` does (one layer per instruction,
/// nothing cached, timestamps at 0) and saves a docker-archive.
fn bud_and_save(
    w: &std::path::Path,
    tag: &str,
    extra: &[&std::ffi::OsStr],
    dockerfile: &std::path::Path,
    ctx: &std::path::Path,
) -> std::path::PathBuf {
    let mut args: Vec<&std::ffi::OsStr> = [
        "bud",
        "--layers",
        "--no-cache",
        "--isolation",
        "chroot",
        "--timestamp",
        "0",
    ]
    .iter()
    .map(AsRef::as_ref)
    .collect();
    args.extend_from_slice(extra);
    args.extend([
        "-t".as_ref(),
        tag.as_ref(),
        "-f".as_ref(),
        dockerfile.as_os_str(),
        ctx.as_os_str(),
    ]);
    sh(&mut buildah_in(w, &args));
    let archive = w.join(format!("{tag}.tar"));
    let dest = format!("docker-archive:{}:{tag}:latest", archive.display());
    sh(&mut buildah_in(
        w,
        &[
            "push".as_ref(),
            "--quiet".as_ref(),
            tag.as_ref(),
            dest.as_ref(),
        ],
    ));
    archive
}

fn sh(cmd: &mut Command) -> std::process::Output {
    let o = cmd.output().expect("spawn");
    assert!(
        o.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Sum of the bytes of the findings of `rules` in a `--json` report.
fn bytes_of(report: &serde_json::Value, rules: &[&str]) -> u64 {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| rules.contains(&f["rule"].as_str().unwrap_or("")))
        .map(|f| f["bytes"].as_u64().unwrap_or(0))
        .sum()
}

/// The proof: build ml-mistakes with buildah as `build.sh` does, run
/// `ballast fix --write`, rebuild, re-analyse. The waste of the patched
/// findings falls by at least 90 % of what the hunks promised, and the
/// patched image still runs.
#[test]
fn fix_rebuild_saves_what_it_promised() {
    let Some(work) = buildah_workdir("the rebuild proof needs buildah and a static /bin/busybox")
    else {
        return;
    };
    let w = work.path();
    sh(Command::new("python3")
        .arg(sample("ml-mistakes/gen_context.py"))
        .args([
            "--seed",
            "ballast-sample-v1",
            "--busybox",
            "/bin/busybox",
            "--out",
        ])
        .arg(w.join("ml")));
    let ctx = w.join("ml/ctx");
    std::fs::write(ctx.join("rootfs/usr/local/bin/pip"), PIP_AS_PIP_DOES).expect("pip");
    std::fs::copy(sample("ml-mistakes/Dockerfile"), ctx.join("Dockerfile")).expect("copy");
    let buildah = |args: &[&std::ffi::OsStr]| buildah_in(w, args);
    let mount = format!("{}:/mnt:ro", w.join("ml/payload").display());
    let build = |tag: &str| {
        bud_and_save(
            w,
            tag,
            &["--volume".as_ref(), mount.as_ref()],
            &ctx.join("Dockerfile"),
            &ctx,
        )
    };
    let before = build("before");
    let o = Command::new(env!("CARGO_BIN_EXE_ballast"))
        .arg("fix")
        .arg(&before)
        .arg("--dockerfile")
        .arg(ctx.join("Dockerfile"))
        .arg("--write")
        .output()
        .expect("fix");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let fix = String::from_utf8_lossy(&o.stdout).into_owned();
    // What the hunks promise: `(N bytes)` of each `# ballast:` line that is
    // an edit (the build-stage skeleton is for review, not applied).
    let promised: u64 = fix
        .lines()
        .filter(|l| l.starts_with("+# ballast:") && !l.contains("NEEDS REVIEW"))
        .filter_map(|l| {
            l.rsplit_once('(')?
                .1
                .strip_suffix(" bytes)")?
                .parse::<u64>()
                .ok()
        })
        .sum();
    let rules = [
        "apt-lists",
        "apt-archives",
        "pip-cache",
        "metadata-copy",
        "deleted-later",
        "git-directory",
    ];
    let report = |archive: &std::path::Path| {
        let o = crate::util::ballast(&[archive.to_str().expect("utf-8"), "--json", "-"]);
        crate::util::json_of(&o)
    };
    let r_before = report(&before);
    assert_eq!(promised, bytes_of(&r_before, &rules), "{fix}");
    let after = build("after");
    let r_after = report(&after);
    let fell = bytes_of(&r_before, &rules) - bytes_of(&r_after, &rules);
    eprintln!(
        "rebuild proof: promised {promised} bytes, the patched findings fell by {fell} bytes; reclaimable {} -> {}",
        r_before["summary"]["reclaimable_bytes"], r_after["summary"]["reclaimable_bytes"]
    );
    assert!(fell * 10 >= promised * 9, "fell {fell} of {promised}");
    // The image still runs: the sample's CMD names a python the sample
    // does not ship, so run its shell against what the CMD reads.
    let ctr = String::from_utf8(
        sh(&mut buildah(&[
            "from".as_ref(),
            "--quiet".as_ref(),
            "after".as_ref(),
        ]))
        .stdout,
    )
    .expect("utf-8");
    let out = sh(&mut buildah(&[
        "run".as_ref(),
        "--isolation".as_ref(),
        "chroot".as_ref(),
        ctr.trim().as_ref(),
        "--".as_ref(),
        "/bin/sh".as_ref(),
        "-c".as_ref(),
        "id -u && stat -c %u /app/main.py && test ! -e /app/.git && test ! -e /tmp/dataset.tar"
            .as_ref(),
    ]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1000\n1000\n");
    // And its CMD does what the unpatched image's CMD does (the same exit
    // status and output: the sample ships no python, so both fail alike).
    let run_cmd = |image: &str| {
        let ctr = String::from_utf8(
            sh(&mut buildah(&[
                "from".as_ref(),
                "--quiet".as_ref(),
                image.as_ref(),
            ]))
            .stdout,
        )
        .expect("utf-8");
        let o = buildah(&[
            "run".as_ref(),
            "--isolation".as_ref(),
            "chroot".as_ref(),
            ctr.trim().as_ref(),
            "--".as_ref(),
            "python".as_ref(),
            "/app/main.py".as_ref(),
        ])
        .output()
        .expect("buildah run");
        (o.status.code(), o.stdout)
    };
    assert_eq!(run_cmd("after"), run_cmd("before"));
    let _ = buildah(&["rm".as_ref(), "--all".as_ref()]).output();
    let _ = buildah(&["rmi".as_ref(), "--all".as_ref(), "--force".as_ref()]).output();
}

#[test]
fn a_binary_dockerfile_is_a_clean_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("Dockerfile");
    std::fs::write(&bad, b"FROM x\nRUN \xff\xfe\n").expect("write");
    let bad = bad.to_str().expect("utf-8");
    for args in [
        vec![sample("clean.oci.tar").to_str().expect("utf-8").to_string()],
        vec![
            "fix".to_string(),
            sample("clean.oci.tar").to_str().expect("utf-8").to_string(),
        ],
    ] {
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend(["--dockerfile", bad]);
        let o = crate::util::ballast(&all);
        crate::util::assert_clean_failure(&o, bad, "not UTF-8");
    }
}

#[test]
fn fix_with_a_dockerfile_of_another_image_warns_and_changes_only_what_maps() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(sample("clean/Dockerfile"), dir.path().join("Dockerfile")).expect("copy");
    let o = Command::new(env!("CARGO_BIN_EXE_ballast"))
        .arg("fix")
        .arg(sample("ml-mistakes.docker.tar"))
        .args(["--dockerfile", "Dockerfile"])
        .current_dir(dir.path())
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("warning: Dockerfile does not match the image's history everywhere"),
        "{out}"
    );
    // The findings' steps (apt, pip, chown …) are not in this Dockerfile:
    // they are listed, and no line of it is rewritten.
    assert!(out.contains("maps to no line of Dockerfile"), "{out}");
    assert!(!out.contains("--- a/Dockerfile"), "{out}");
}

/// A real buildah build of a two-stage Dockerfile: buildah records only the
/// final stage, `ARG` and `ENV` unexpanded, `COPY --from` as
/// `COPY file:<hash> in /dest`, build args as `|1 NAME=…`. Every step maps
/// to its line (continued instructions to their whole range).
#[test]
fn buildah_multi_stage_history_maps_to_the_final_stage() {
    let Some(work) = buildah_workdir("needs buildah and a static /bin/busybox") else {
        return;
    };
    let busybox = std::path::Path::new("/bin/busybox");
    let w = work.path();
    let ctx = w.join("ctx");
    std::fs::create_dir(&ctx).expect("ctx");
    std::fs::copy(busybox, ctx.join("busybox")).expect("busybox");
    let dockerfile = repo_root().join("tests/dockerfiles/multi-stage.Dockerfile");
    let buildah = |args: &[&std::ffi::OsStr]| buildah_in(w, args);
    let archive = bud_and_save(
        w,
        "ms",
        &["--build-arg".as_ref(), "NAME=ballast".as_ref()],
        &dockerfile,
        &ctx,
    );
    let o = crate::util::ballast(&[
        archive.to_str().expect("utf-8"),
        "--json",
        "-",
        "--dockerfile",
        dockerfile.to_str().expect("utf-8"),
    ]);
    let r: Report = serde_json::from_slice(&o.stdout).expect("report");
    assert_eq!(
        lines(&r),
        vec![
            Some((10, 10)),
            Some((11, 12)),
            Some((13, 13)),
            Some((14, 14)),
            Some((15, 16)),
            Some((17, 17)),
            Some((18, 18)),
        ],
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let _ = buildah(&["rmi".as_ref(), "--all".as_ref(), "--force".as_ref()]).output();
}
