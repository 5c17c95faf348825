//! Findings particular to ML images, where a handful of things make up most
//! of the size: CUDA shipped twice (by pip's `nvidia-*` wheels and by a CUDA
//! base image) or in two versions, one Python package installed in two
//! environments, and shared libraries that still carry their debug info.
//! Path-shaped insights (model weights, CUDA `-devel` parts, tests and docs
//! inside site-packages) are rules in `rules.toml` instead.
//!
//! Reads the index, the package attribution and the ELF debug sizes the
//! indexer measured; adds [`Finding`]s in the shape the rest of the report
//! uses, so totals, suggestions and every presenter treat them alike.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::findings::{Context, Finding, Group, finish, plural};
use super::packages::{Attribution, Manager};
use super::report::PathBytes;
use crate::units::human;
use ballast_image::index::layer::EntryKind;
use ballast_image::index::tree::NodeId;

/// A step's debug sections below this are not worth a finding.
const MIN_DEBUG_BYTES: u64 = 64 << 10;
/// Libraries of the CUDA toolkit and its companions (cuDNN, NCCL), by the
/// name between `lib` and `.so`.
const CUDA_LIBS: &[&str] = &[
    "cudart",
    "cublas",
    "cublasLt",
    "cufft",
    "cufftw",
    "curand",
    "cusolver",
    "cusolverMg",
    "cusparse",
    "cusparseLt",
    "nccl",
    "nvrtc",
    "nvrtc-builtins",
    "nvJitLink",
    "cupti",
    "nvToolsExt",
    "nvjpeg",
    "cufile",
    "nvblas",
    "nvperf_host",
    "nvperf_target",
    "cuinj64",
    "accinj64",
];
/// Packages every virtualenv gets; a second copy of them is not a mistake.
const VENV_SEEDS: &[&str] = &["pip", "setuptools", "wheel"];

/// Adds the ML findings to `out`, then restores the report's order.
pub fn add_findings(cx: &Context<'_>, att: &Attribution, out: &mut Vec<Finding>) {
    let Some(last) = cx.layers.len().checked_sub(1) else {
        return;
    };
    let walk = walk_final(cx, att, last);
    cuda(cx, &walk.cuda, out);
    packages_twice(cx, att, out);
    unstripped(cx, &walk.debug, out);
    super::findings::sort_findings(out);
}

fn display(p: &[u8]) -> String {
    PathBytes::from_relative(p).display()
}

/// Names, at most `max`, then how many more.
fn some_of<I: IntoIterator<Item = String>>(names: I, max: usize) -> String {
    let all: Vec<String> = names.into_iter().collect();
    let mut s = all.iter().take(max).cloned().collect::<Vec<_>>().join(", ");
    if all.len() > max {
        s.push_str(&format!(" and {} more", all.len() - max));
    }
    s
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    /// pip wheels (`nvidia-*`, or bundled in a framework's wheel).
    Pip,
    Conda,
    /// A CUDA toolkit in the base image or from the distribution.
    System,
}

#[derive(Clone, Debug)]
struct CudaLib {
    node: NodeId,
    size: u64,
    layer: usize,
    stem: String,
    /// The numbers after `.so.` (or from a `cuda-X.Y` directory).
    version: Vec<u32>,
    source: Source,
    /// Where this copy of CUDA lives: the site-packages directory, the conda
    /// prefix, `usr/local/cuda-X.Y`, or the library's directory.
    root: Vec<u8>,
}

struct Walk {
    cuda: Vec<CudaLib>,
    /// (node, origin layer, bytes of `.debug*` sections).
    debug: Vec<(NodeId, usize, u64)>,
}

/// `libcublasLt.so.12.1.3.1` → (`cublasLt`, [12, 1, 3, 1]); bundled copies
/// renamed with a hash (`libcudart-9335f6a2.so.12`) count too.
fn cuda_name(base: &[u8]) -> Option<(String, Vec<u32>)> {
    let base = std::str::from_utf8(base).ok()?;
    let rest = base.strip_prefix("lib")?;
    let so = rest.find(".so")?;
    let (mut stem, tail) = (&rest[..so], &rest[so + 3..]);
    if tail.is_empty() || tail.starts_with('.') {
        if let Some((s, hash)) = stem.rsplit_once('-')
            && hash.len() == 8
            && hash.bytes().all(|b| b.is_ascii_hexdigit())
        {
            stem = s;
        }
        let known =
            CUDA_LIBS.contains(&stem) || stem.starts_with("cudnn") || stem.starts_with("npp");
        if !known {
            return None;
        }
        // Only numbers follow `.so` in a library's name.
        let version = tail
            .split('.')
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().ok())
            .collect::<Option<Vec<u32>>>()?;
        return Some((stem.to_string(), version));
    }
    None
}

/// `cuda-12.1` → [12, 1].
fn cuda_dir_version(comp: &[u8]) -> Option<Vec<u32>> {
    let v = std::str::from_utf8(comp.strip_prefix(b"cuda-")?).ok()?;
    v.split('.').map(|p| p.parse().ok()).collect()
}

/// One walk of the final tree for CUDA libraries and debug sections.
fn walk_final(cx: &Context<'_>, att: &Attribution, last: usize) -> Walk {
    let mut walk = Walk {
        cuda: Vec::new(),
        debug: Vec::new(),
    };
    cx.tree.walk_present(cx.layers, last, |path, c, st| {
        let Some(e) = st.entry.filter(|e| e.kind == EntryKind::File && e.size > 0) else {
            return;
        };
        let v = st.version;
        let debug = v.entry_index().and_then(|i| {
            let table = &cx.layers[v.layer as usize].elf_debug;
            let i = u32::try_from(i).ok()?;
            table
                .binary_search_by_key(&i, |d| d.0)
                .ok()
                .map(|at| table[at].1)
        });
        if let Some(d) = debug {
            walk.debug
                .push((c, cx.tree.content_origin(cx.layers, c, v), d));
        }
        let Some((stem, mut version)) = cuda_name(cx.tree.name(c)) else {
            return;
        };
        let dir = ballast_image::index::path::split_parent(path).0;
        let (source, root) = classify(dir, att.owner.get(&c).map(|&p| &att.packages[p]));
        if version.is_empty() {
            version = root
                .split(|&b| b == b'/')
                .find_map(cuda_dir_version)
                .unwrap_or_default();
        }
        walk.cuda.push(CudaLib {
            node: c,
            size: e.size,
            layer: cx.tree.content_origin(cx.layers, c, v),
            stem,
            version,
            source,
            root,
        });
    });
    walk
}

/// Where a CUDA library in directory `dir` comes from.
fn classify(dir: &[u8], owner: Option<&super::packages::Package>) -> (Source, Vec<u8>) {
    let comps: Vec<&[u8]> = dir.split(|&b| b == b'/').collect();
    if let Some(i) = comps
        .iter()
        .position(|c| *c == b"site-packages" || *c == b"dist-packages")
    {
        return (Source::Pip, comps[..=i].join(&b'/'));
    }
    if let Some(p) = owner.filter(|p| p.manager == Manager::Conda) {
        return (Source::Conda, p.location.clone());
    }
    if comps.len() >= 3
        && comps[0] == b"usr"
        && comps[1] == b"local"
        && comps[2].starts_with(b"cuda")
    {
        return (Source::System, comps[..3].join(&b'/'));
    }
    (Source::System, dir.to_vec())
}

/// CUDA twice (two sources) and in two versions (one source).
fn cuda(cx: &Context<'_>, libs: &[CudaLib], out: &mut Vec<Finding>) {
    let mut sources: HashMap<&str, BTreeSet<Source>> = HashMap::new();
    for l in libs {
        sources.entry(l.stem.as_str()).or_default().insert(l.source);
    }
    // The copy a framework loads: its own wheels' first, then conda's.
    let preferred = |stem: &str| sources[stem].first().copied();
    let mut twice: BTreeMap<(usize, Source), Vec<&CudaLib>> = BTreeMap::new();
    let mut rest: Vec<&CudaLib> = Vec::new();
    for l in libs {
        match preferred(&l.stem) {
            Some(p) if p != l.source => twice.entry((l.layer, p)).or_default().push(l),
            _ => rest.push(l),
        }
    }
    for ((layer, kept), group) in twice {
        let stems: BTreeSet<String> = group.iter().map(|l| format!("lib{}", l.stem)).collect();
        let roots: BTreeSet<String> = group.iter().map(|l| display(&l.root)).collect();
        let kept_roots: BTreeSet<String> = libs
            .iter()
            .filter(|l| l.source == kept && stems.contains(&format!("lib{}", l.stem)))
            .map(|l| display(&l.root))
            .collect();
        let (who, fix) = match kept {
            Source::Pip => (
                "pip's nvidia-* wheels",
                "The framework's pip wheels bring their own CUDA (the nvidia-* packages), so this copy is never loaded: build FROM a base without CUDA (debian, python:*-slim, or nvidia/cuda:*-base), or install the framework's wheels without their CUDA and use this one",
            ),
            _ => (
                "conda",
                "conda brings its own CUDA (cuda-*/cudatoolkit packages), so this copy is never loaded: build FROM a base without CUDA, or keep CUDA out of the conda environment",
            ),
        };
        let message = format!(
            "CUDA ships twice: {} ({}) {} from {who} in {} and again here in {}",
            plural(stems.len(), "library", "libraries"),
            some_of(stems.iter().cloned(), 4),
            if stems.len() == 1 { "comes" } else { "come" },
            some_of(kept_roots, 2),
            some_of(roots, 2),
        );
        let items = group.iter().map(|l| (l.node, l.size));
        out.push(finish(
            cx,
            "cuda-twice",
            "duplicate-cuda",
            layer,
            Group::of_nodes(items),
            message,
            fix.to_string(),
        ));
    }
    // Two versions of one library from one source: all but the newest.
    let mut versions: BTreeMap<(Source, &str), BTreeSet<&[u32]>> = BTreeMap::new();
    for l in &rest {
        if !l.version.is_empty() {
            versions
                .entry((l.source, l.stem.as_str()))
                .or_default()
                .insert(l.version.as_slice());
        }
    }
    let mut older: BTreeMap<usize, Vec<&CudaLib>> = BTreeMap::new();
    for l in &rest {
        let Some(vs) = versions.get(&(l.source, l.stem.as_str())) else {
            continue;
        };
        if vs.len() > 1
            && vs
                .last()
                .is_some_and(|newest| *newest != l.version.as_slice())
        {
            older.entry(l.layer).or_default().push(l);
        }
    }
    let dotted = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(".");
    for (layer, group) in older {
        let pairs: BTreeSet<String> = group
            .iter()
            .map(|l| {
                let newest = versions[&(l.source, l.stem.as_str())]
                    .last()
                    .copied()
                    .unwrap_or_default();
                format!(
                    "lib{} {} beside {}",
                    l.stem,
                    dotted(&l.version),
                    dotted(newest)
                )
            })
            .collect();
        let roots: BTreeSet<String> = group.iter().map(|l| display(&l.root)).collect();
        let message = format!(
            "two CUDA versions: {} in {} {} older than the copy the image also has ({})",
            plural(group.len(), "library", "libraries"),
            some_of(roots, 2),
            if group.len() == 1 { "is" } else { "are" },
            some_of(pairs, 3),
        );
        let items = group.iter().map(|l| (l.node, l.size));
        out.push(finish(
            cx,
            "cuda-two-versions",
            "duplicate-cuda",
            layer,
            Group::of_nodes(items),
            message,
            "Keep one CUDA version: drop the older toolkit or packages in the step that installs them (e.g. `apt-get purge` its cuda-*-X-Y packages, or pin every nvidia-*-cuXX wheel to one CUDA)".to_string(),
        ));
    }
}

/// One Python package in two environments. The environment that holds
/// most packages is the one the application runs in (ties: the larger, then
/// the one installed last); copies elsewhere are the waste.
fn packages_twice(cx: &Context<'_>, att: &Attribution, out: &mut Vec<Finding>) {
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut weight: HashMap<&[u8], (usize, u64)> = HashMap::new();
    for (i, p) in att.packages.iter().enumerate() {
        let name = super::packages::pip::normalize(&p.name);
        if matches!(p.manager, Manager::Pip | Manager::Conda)
            && p.bytes > 0
            && !VENV_SEEDS.contains(&name.as_str())
        {
            by_name.entry(name).or_default().push(i);
            let w = weight.entry(p.location.as_slice()).or_default();
            w.0 += 1;
            w.1 += p.bytes;
        }
    }
    // (wasted copy's environment, kept copy's environment, layer) → packages
    let mut groups: BTreeMap<(Vec<u8>, Vec<u8>, usize), Vec<usize>> = BTreeMap::new();
    for copies in by_name.values() {
        let envs: BTreeSet<&[u8]> = copies
            .iter()
            .map(|&i| att.packages[i].location.as_slice())
            .collect();
        if envs.len() < 2 {
            continue;
        }
        let Some(&kept) = copies.iter().max_by(|&&a, &&b| {
            let (pa, pb) = (&att.packages[a], &att.packages[b]);
            weight[pa.location.as_slice()]
                .cmp(&weight[pb.location.as_slice()])
                .then(pa.layer.cmp(&pb.layer))
                .then_with(|| pb.location.cmp(&pa.location))
        }) else {
            continue;
        };
        let kept_env = &att.packages[kept].location;
        for &i in copies {
            let p = &att.packages[i];
            if p.location != *kept_env {
                groups
                    .entry((p.location.clone(), kept_env.clone(), p.layer.unwrap_or(0)))
                    .or_default()
                    .push(i);
            }
        }
    }
    for ((env, kept_env, layer), pkgs) in groups {
        let names = pkgs.iter().map(|&i| {
            let p = &att.packages[i];
            format!("{} {}", p.name, p.version).trim_end().to_string()
        });
        let message = format!(
            "{} ({}) {} installed in {} and again in {}",
            plural(pkgs.len(), "Python package", "Python packages"),
            some_of(names, 4),
            if pkgs.len() == 1 { "is" } else { "are" },
            display(&env),
            display(&kept_env),
        );
        let items = pkgs
            .iter()
            .flat_map(|&i| att.packages[i].files.iter().copied());
        out.push(finish(
            cx,
            "python-package-twice",
            "duplicate-package",
            layer,
            Group::of_nodes(items),
            message,
            format!(
                "Install each package into one environment: drop this install and keep the copy in {} (install everything into the venv, or create it with --system-site-packages; with conda, install a package with conda or pip, not both)",
                display(&kept_env)
            ),
        ));
    }
}

/// ELF files with debug sections, per step.
fn unstripped(cx: &Context<'_>, debug: &[(NodeId, usize, u64)], out: &mut Vec<Finding>) {
    let mut by_layer: BTreeMap<usize, Vec<(NodeId, u64)>> = BTreeMap::new();
    for &(node, layer, bytes) in debug {
        by_layer.entry(layer).or_default().push((node, bytes));
    }
    for (layer, items) in by_layer {
        let total: u64 = items.iter().map(|i| i.1).sum();
        if total < MIN_DEBUG_BYTES {
            continue;
        }
        let message = format!(
            "{} {} {} of debug sections (.debug*) that nothing needs at run time",
            plural(
                items.len(),
                "ELF binary or library",
                "ELF binaries and libraries"
            ),
            if items.len() == 1 { "carries" } else { "carry" },
            human(total),
        );
        out.push(finish(
            cx,
            "unstripped-binaries",
            "debug-symbols",
            layer,
            Group::of_nodes(items),
            message,
            "Strip them in the step that builds or installs them: `strip --strip-debug FILE…` (e.g. `find / -xdev -name '*.so*' -type f -exec strip --strip-debug {} +`), or build without -g / with -s; keep symbols in a separate debug artifact if you need them".to_string(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuda_library_names_are_recognized() {
        assert_eq!(
            cuda_name(b"libcublasLt.so.12.1.3.1"),
            Some(("cublasLt".into(), vec![12, 1, 3, 1]))
        );
        assert_eq!(cuda_name(b"libcudart.so"), Some(("cudart".into(), vec![])));
        assert_eq!(
            cuda_name(b"libcudart-9335f6a2.so.12"),
            Some(("cudart".into(), vec![12]))
        );
        assert_eq!(
            cuda_name(b"libcudnn_ops_infer.so.8"),
            Some(("cudnn_ops_infer".into(), vec![8]))
        );
        assert_eq!(
            cuda_name(b"libnvrtc-builtins.so.12.1"),
            Some(("nvrtc-builtins".into(), vec![12, 1]))
        );
        assert_eq!(cuda_name(b"libcudart_static.a"), None);
        assert_eq!(
            cuda_name(b"libcuda.so.1"),
            None,
            "the driver is not part of an image"
        );
        assert_eq!(cuda_name(b"libc.so.6"), None);
        assert_eq!(cuda_name(b"libcublas.so.12.py"), None);
        assert_eq!(cuda_dir_version(b"cuda-11.8"), Some(vec![11, 8]));
        assert_eq!(cuda_dir_version(b"cuda"), None);
    }

    #[test]
    fn sources_follow_the_path() {
        let (s, r) = classify(
            b"usr/local/lib/python3.11/site-packages/nvidia/cublas/lib",
            None,
        );
        assert_eq!(
            (s, r.as_slice()),
            (Source::Pip, &b"usr/local/lib/python3.11/site-packages"[..])
        );
        let (s, r) = classify(b"usr/local/cuda-12.1/targets/x86_64-linux/lib", None);
        assert_eq!(
            (s, r.as_slice()),
            (Source::System, &b"usr/local/cuda-12.1"[..])
        );
        let (s, r) = classify(b"usr/lib/x86_64-linux-gnu", None);
        assert_eq!(
            (s, r.as_slice()),
            (Source::System, &b"usr/lib/x86_64-linux-gnu"[..])
        );
    }

    #[test]
    fn lists_are_shortened() {
        assert_eq!(
            some_of(["a".into(), "b".into(), "c".into()], 2),
            "a, b and 1 more"
        );
        assert_eq!(some_of(["a".into()], 2), "a");
    }
}
