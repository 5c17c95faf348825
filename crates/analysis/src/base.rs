//! The base image: which layers and steps the image inherited from the image
//! it was built `FROM`, so that no fix points at a step the user cannot
//! change. Three ways to tell, best first:
//!
//! - `--base REF`: another archive holding the base; the longest common
//!   prefix of the two images' `diff_ids` is the base (exact);
//! - the manifest's `org.opencontainers.image.base.name` / `.base.digest`
//!   annotations (buildah and buildx write them): they name the base, and the
//!   history tells how many layers it has;
//! - the history alone: a base image's history ends with its own `CMD` or
//!   `ENTRYPOINT` before the user's steps; buildkit marks the steps of the
//!   current build with the comment `buildkit.dockerfile.v0`, and buildah
//!   comments the first step of a build `FROM <base name>`.
//!
//! Pure: reads the config's history and what the caller loaded, returns data.

use std::collections::BTreeMap;

use serde::Serialize;

use super::steps::Step;

pub const ANNOTATION_NAME: &str = "org.opencontainers.image.base.name";
pub const ANNOTATION_DIGEST: &str = "org.opencontainers.image.base.digest";
/// The comment buildkit writes on every history entry of the build.
const BUILDKIT_COMMENT: &str = "buildkit.dockerfile.v0";

/// How the base was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// `--base REF`: common `diff_ids` prefix.
    Argument,
    /// The manifest's base annotations, extent from the history.
    Annotation,
    /// The history alone.
    History,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// `image.base` in the report.
#[derive(Clone, Debug, Serialize)]
pub struct BaseInfo {
    pub method: Method,
    pub confidence: Confidence,
    /// The first `layer_count` layers are the base's.
    pub layer_count: usize,
    /// The first `step_count` history entries are the base's.
    pub step_count: usize,
    /// Sum of the base layers' `size_bytes`.
    pub bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// A base image the user named with `--base`, as loaded.
#[derive(Clone, Debug, Default)]
pub struct GivenBase {
    /// What the user typed (or the archive's first tag).
    pub name: String,
    pub diff_ids: Vec<String>,
    /// Entries in the base's own history.
    pub history_len: usize,
}

/// buildah's comment on the first step of a build: `FROM <base name>`
/// (later steps say `FROM <image id>`, 12 hex digits).
fn buildah_from(comment: Option<&str>) -> Option<&str> {
    let name = comment?.strip_prefix("FROM ")?.trim();
    let id = name.len() >= 12 && name.bytes().all(|b| b.is_ascii_hexdigit());
    (!name.is_empty() && !id && name != "scratch").then_some(name)
}

/// What the history says: where the user's steps start, how sure, and the
/// base's name when buildah recorded it.
fn from_history(
    steps: &[Step],
    comments: &[Option<String>],
) -> Option<(usize, Confidence, Option<String>)> {
    let makes_layer_after = |i: usize| steps[i + 1..].iter().any(|s| s.layer_index.is_some());
    let is_end_of_image = |s: &Step| {
        let i = s.instruction.trim_start();
        i.starts_with("CMD") || i.starts_with("ENTRYPOINT")
    };
    let by_cmd = (0..steps.len())
        .rev()
        .find(|&i| is_end_of_image(&steps[i]) && makes_layer_after(i))
        .map(|i| i + 1);
    let marked = |i: usize| comments.get(i).and_then(|c| c.as_deref()) == Some(BUILDKIT_COMMENT);
    // The trailing run of buildkit-marked steps, when something unmarked
    // that made a layer comes before it.
    let by_buildkit = {
        let mut k = steps.len();
        while k > 0 && marked(k - 1) {
            k -= 1;
        }
        (k > 0 && k < steps.len() && steps[..k].iter().any(|s| s.layer_index.is_some()))
            .then_some(k)
    };
    // The last step buildah commented with the base's name.
    let by_buildah = (1..steps.len())
        .rev()
        .find_map(|i| buildah_from(comments.get(i).and_then(|c| c.as_deref())).map(|n| (i, n)));
    if let Some((b, name)) = by_buildah {
        let sure = if by_cmd == Some(b) {
            Confidence::High
        } else {
            Confidence::Medium
        };
        return Some((b, sure, Some(name.to_string())));
    }
    match (by_buildkit, by_cmd) {
        (Some(b), Some(c)) if b == c => Some((b, Confidence::High, None)),
        (Some(b), _) => Some((b, Confidence::Medium, None)),
        (None, Some(c)) => Some((c, Confidence::Medium, None)),
        (None, None) => None,
    }
}

/// The layers made by the first `step_count` steps.
fn layers_of_steps(steps: &[Step], step_count: usize) -> usize {
    steps[..step_count.min(steps.len())]
        .iter()
        .filter(|s| s.layer_index.is_some())
        .count()
}

/// Finds the base. `comments` are the history entries' comments (same
/// order as `steps`), `layer_sizes` the layers' content bytes. Returns the
/// base (none when nothing tells) and warnings.
pub fn detect(
    steps: &[Step],
    comments: &[Option<String>],
    diff_ids: &[String],
    annotations: &BTreeMap<String, String>,
    given: Option<&GivenBase>,
    layer_sizes: &[u64],
) -> (Option<BaseInfo>, Vec<String>) {
    let mut warnings = Vec::new();
    // buildah writes an empty name (and a digest) for `FROM scratch`:
    // no base at all.
    let scratch = annotations
        .get(ANNOTATION_NAME)
        .is_some_and(std::string::String::is_empty);
    let name = annotations
        .get(ANNOTATION_NAME)
        .filter(|_| !scratch)
        .cloned();
    let digest = annotations
        .get(ANNOTATION_DIGEST)
        .filter(|_| !scratch)
        .cloned();
    let bytes = |n: usize| layer_sizes.iter().take(n).sum::<u64>();
    if let Some(g) = given {
        let n = diff_ids
            .iter()
            .zip(&g.diff_ids)
            .take_while(|(a, b)| a == b)
            .count();
        if n == 0 {
            warnings.push(format!(
                "--base {}: shares no layer with this image; the base was looked for in the history instead",
                g.name
            ));
        } else {
            if n < g.diff_ids.len() {
                warnings.push(format!(
                    "--base {}: only its first {n} of {} layers are in this image",
                    g.name,
                    g.diff_ids.len()
                ));
            }
            // The user's first step is the one that made layer n; the
            // base's own history ends no later.
            let first_own = steps
                .iter()
                .find(|s| s.layer_index == Some(n))
                .map_or(steps.len(), |s| s.index);
            let step_count = if n == g.diff_ids.len() {
                g.history_len.min(first_own)
            } else {
                first_own
            };
            return (
                Some(BaseInfo {
                    method: Method::Argument,
                    confidence: Confidence::High,
                    layer_count: n,
                    step_count: step_count.max(
                        steps
                            .iter()
                            .filter(|s| s.layer_index.is_some_and(|l| l < n))
                            .map(|s| s.index + 1)
                            .max()
                            .unwrap_or(0),
                    ),
                    bytes: bytes(n),
                    name: Some(g.name.clone()),
                    digest: None,
                }),
                warnings,
            );
        }
    }
    let found = from_history(steps, comments);
    if name.is_some() || digest.is_some() {
        let Some((step_count, _, _)) = found else {
            warnings.push(format!(
                "the manifest names the base image {} but the history does not show where it ends; pass --base to tell its layers apart",
                name.as_deref().or(digest.as_deref()).unwrap_or_default()
            ));
            return (
                Some(BaseInfo {
                    method: Method::Annotation,
                    confidence: Confidence::Low,
                    layer_count: 0,
                    step_count: 0,
                    bytes: 0,
                    name,
                    digest,
                }),
                warnings,
            );
        };
        let n = layers_of_steps(steps, step_count);
        return (
            Some(BaseInfo {
                method: Method::Annotation,
                confidence: Confidence::High,
                layer_count: n,
                step_count,
                bytes: bytes(n),
                name,
                digest,
            }),
            warnings,
        );
    }
    let base = found.map(|(step_count, confidence, name)| {
        let n = layers_of_steps(steps, step_count);
        BaseInfo {
            method: Method::History,
            confidence,
            layer_count: n,
            step_count,
            bytes: bytes(n),
            name,
            digest: None,
        }
    });
    (base, warnings)
}

/// The slimmer base to suggest for `name` (a base image reference), when
/// one is known from its name alone.
pub fn slimmer(name: &str, has_cuda_devel: bool) -> String {
    let lower = name.to_ascii_lowercase();
    let (repo, tag) = match lower.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (lower.as_str(), ""),
    };
    if has_cuda_devel || (repo.contains("cuda") && tag.contains("devel")) {
        return "a CUDA `-runtime` base instead of `-devel` (e.g. nvidia/cuda:…-runtime-…), with the build in a `-devel` stage".into();
    }
    let distro = [
        "debian", "ubuntu", "python", "node", "ruby", "openjdk", "golang",
    ]
    .iter()
    .any(|d| repo.ends_with(d) || repo.contains(&format!("/{d}")));
    if distro && !tag.contains("slim") {
        return format!(
            "the `-slim` variant of {} (e.g. {}:{}-slim), or a distroless base (gcr.io/distroless/…)",
            name,
            repo,
            if tag.is_empty() { "bookworm" } else { tag }
        );
    }
    "a slimmer base: a `-slim` variant or a distroless image (gcr.io/distroless/…) with only what the program needs at run time".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(index: usize, instruction: &str, layer: Option<usize>) -> Step {
        Step {
            index,
            created_by: String::new(),
            instruction: instruction.into(),
            empty_layer: layer.is_none(),
            layer_index: layer,
        }
    }

    fn debian_then_user() -> Vec<Step> {
        vec![
            step(0, "ADD file:abc in /", Some(0)),
            step(1, "CMD [\"bash\"]", None),
            step(2, "RUN apt-get install -y gcc", Some(1)),
            step(3, "CMD [\"python3\"]", None),
        ]
    }

    #[test]
    fn the_bases_last_cmd_ends_it() {
        let steps = debian_then_user();
        let (b, w) = detect(&steps, &[], &[], &BTreeMap::new(), None, &[10, 5]);
        let b = b.unwrap();
        assert_eq!(
            (b.method, b.confidence, b.layer_count, b.step_count, b.bytes),
            (Method::History, Confidence::Medium, 1, 2, 10)
        );
        assert!(w.is_empty());
        // The user's own CMD at the end is not a base.
        let (b, _) = detect(&steps[2..], &[], &[], &BTreeMap::new(), None, &[]);
        assert!(b.is_none());
    }

    #[test]
    fn buildkit_marks_agreeing_with_the_cmd_are_sure() {
        let steps = debian_then_user();
        let c = |s: &str| Some(s.to_string());
        let comments = [None, None, c(BUILDKIT_COMMENT), c(BUILDKIT_COMMENT)];
        let (b, _) = detect(&steps, &comments, &[], &BTreeMap::new(), None, &[1, 1]);
        assert_eq!(b.unwrap().confidence, Confidence::High);
    }

    #[test]
    fn buildahs_from_comment_names_the_base() {
        let steps = debian_then_user();
        let c = |s: &str| Some(s.to_string());
        let comments = [
            None,
            c("FROM 007bf07c47db"),
            c("FROM localhost/base:1"),
            c("FROM 674a29833e81"),
        ];
        let (b, _) = detect(&steps, &comments, &[], &BTreeMap::new(), None, &[1, 1]);
        let b = b.unwrap();
        assert_eq!((b.step_count, b.confidence), (2, Confidence::High));
        assert_eq!(b.name.as_deref(), Some("localhost/base:1"));
    }

    #[test]
    fn buildahs_scratch_annotation_is_no_base() {
        let steps = vec![
            step(0, "COPY dir:x in /", Some(0)),
            step(1, "CMD [\"sh\"]", None),
        ];
        let ann = BTreeMap::from([
            (ANNOTATION_NAME.to_string(), String::new()),
            (ANNOTATION_DIGEST.to_string(), "sha256:6c24".to_string()),
        ]);
        let (b, w) = detect(&steps, &[], &[], &ann, None, &[1]);
        assert!(b.is_none() && w.is_empty());
    }

    #[test]
    fn a_given_base_is_the_common_prefix() {
        let steps = debian_then_user();
        let ids = ["a".to_string(), "b".to_string()];
        let g = GivenBase {
            name: "debian".into(),
            diff_ids: vec!["a".into()],
            history_len: 2,
        };
        let (b, w) = detect(&steps, &[], &ids, &BTreeMap::new(), Some(&g), &[7, 1]);
        let b = b.unwrap();
        assert_eq!(
            (b.method, b.layer_count, b.step_count, b.bytes),
            (Method::Argument, 1, 2, 7)
        );
        assert!(w.is_empty());
        let other = GivenBase {
            diff_ids: vec!["z".into()],
            ..g
        };
        let (b, w) = detect(&steps, &[], &ids, &BTreeMap::new(), Some(&other), &[7, 1]);
        assert_eq!(b.unwrap().method, Method::History);
        assert!(w[0].contains("shares no layer"));
    }

    #[test]
    fn slimmer_bases_by_name() {
        assert!(slimmer("nvidia/cuda:12.1.0-devel-ubuntu22.04", false).contains("-runtime"));
        assert!(slimmer("docker.io/library/python:3.11", false).contains("python:3.11-slim"));
        assert!(slimmer("localhost/base", false).contains("distroless"));
    }
}
