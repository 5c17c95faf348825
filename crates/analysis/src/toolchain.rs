//! The build toolchain as packages: compilers, binutils, make, headers and
//! `-dev` packages a step installed and left in the runtime image, named the
//! way the user removes them (`apt-get purge --auto-remove gcc-12 …`), with
//! the bytes of all their files counted once.

use std::collections::{BTreeMap, HashSet};

use super::findings::{Context, Finding, Group, finish, plural};
use super::packages::{Attribution, Manager};
use ballast_image::index::tree::NodeId;

/// dpkg packages of the toolchain by exact name (what `build-essential`
/// pulls in besides the patterns below).
const DPKG_NAMES: &[&str] = &[
    "build-essential",
    "gcc",
    "g++",
    "cpp",
    "make",
    "cmake",
    "cmake-data",
    "ninja-build",
    "binutils",
    "libbinutils",
    "libctf0",
    "libctf-nobfd0",
    "libgprofng0",
    "libjansson4",
    "libc-dev-bin",
    "linux-libc-dev",
    "rpcsvc-proto",
    "dpkg-dev",
    "libdpkg-perl",
    "patch",
    "libcc1-0",
    "libisl23",
    "libmpc3",
    "libmpfr6",
    "libasan8",
    "libtsan2",
    "liblsan0",
    "libubsan1",
    "libhwasan0",
    "libitm1",
    "libcrypt-dev",
    "libnsl-dev",
    "libtirpc-dev",
    "pkg-config",
    "pkgconf",
    "pkgconf-bin",
    "autoconf",
    "automake",
    "libtool",
    "m4",
];
const APK_NAMES: &[&str] = &[
    "build-base",
    "gcc",
    "g++",
    "musl-dev",
    "libc-dev",
    "binutils",
    "make",
    "cmake",
    "fortify-headers",
    "patch",
    "mpc1",
    "isl26",
    "isl25",
    "libatomic",
    "pkgconf",
];
const CONDA_NAMES: &[&str] = &[
    "compilers",
    "c-compiler",
    "cxx-compiler",
    "fortran-compiler",
    "gcc",
    "gxx",
    "gfortran",
    "make",
    "cmake",
    "ninja",
    "binutils",
    "kernel-headers_linux-64",
    "sysroot_linux-64",
];

/// `gcc-12`, `g++-12`, `cpp-12`: a name and a version number.
fn versioned(name: &str, stems: &[&str]) -> bool {
    stems.iter().any(|s| {
        name.strip_prefix(s)
            .and_then(|r| r.strip_prefix('-'))
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
    })
}

/// Whether a package is part of a build toolchain (never needed to run a
/// program, only to build one).
pub fn is_toolchain(manager: Manager, name: &str) -> bool {
    let dev = name.ends_with("-dev") || name.contains("-dev-") || name.ends_with("-devel");
    match manager {
        Manager::Dpkg => {
            DPKG_NAMES.contains(&name)
                || dev
                || versioned(name, &["gcc", "g++", "cpp", "gfortran", "clang", "llvm"])
                || name.starts_with("binutils-")
                || name.starts_with("libgcc-") && name.ends_with("-dev")
                || name.starts_with("cuda-nvcc")
                || name.starts_with("cuda-compiler")
                || name.starts_with("cuda-nvvm")
                || name.starts_with("cuda-crt")
                || name.starts_with("cuda-toolkit")
        }
        Manager::Apk => APK_NAMES.contains(&name) || dev,
        Manager::Conda => {
            CONDA_NAMES.contains(&name)
                || dev
                || name.starts_with("gcc_")
                || name.starts_with("gxx_")
                || name.starts_with("gfortran_")
                || name.starts_with("binutils_")
                || name.starts_with("clang")
                || name.starts_with("cuda-nvcc")
                || name.starts_with("libgcc-devel")
                || name.starts_with("libstdcxx-devel")
        }
        Manager::Pip => false,
    }
}

/// The toolchain packages a step of this build installed: (installing
/// layer, manager) → package indexes.
pub fn toolchain_packages(att: &Attribution) -> BTreeMap<(usize, Manager), Vec<usize>> {
    let mut out: BTreeMap<(usize, Manager), Vec<usize>> = BTreeMap::new();
    for (i, p) in att.packages.iter().enumerate() {
        if p.bytes == 0 || !is_toolchain(p.manager, &p.name) {
            continue;
        }
        let Some(layer) = p.layer else { continue };
        out.entry((layer, p.manager)).or_default().push(i);
    }
    out
}

fn purge_command(manager: Manager, names: &[String]) -> String {
    let list = names.join(" ");
    match manager {
        Manager::Dpkg => format!("`apt-get purge -y --auto-remove {list}`"),
        Manager::Apk => format!(
            "`apk del {list}` (or `apk add --virtual .build-deps …` then `apk del .build-deps`)"
        ),
        Manager::Conda => format!("`conda remove -y {list}`"),
        Manager::Pip => format!("`pip uninstall -y {list}`"),
    }
}

/// One finding per step and manager that left toolchain packages in the
/// image; returns them and the files they own (path rules drop those).
pub fn findings(cx: &Context<'_>, att: &Attribution) -> (Vec<Finding>, HashSet<NodeId>) {
    let mut out = Vec::new();
    let mut owned = HashSet::new();
    for ((layer, manager), idx) in toolchain_packages(att) {
        let mut names: Vec<String> = idx.iter().map(|&i| att.packages[i].name.clone()).collect();
        names.sort();
        names.dedup();
        let mut seen = HashSet::new();
        let files: Vec<(NodeId, u64)> = idx
            .iter()
            .flat_map(|&i| att.packages[i].files.iter().copied())
            .filter(|(n, _)| seen.insert(*n))
            .collect();
        owned.extend(files.iter().map(|f| f.0));
        let shown = if names.len() > 8 {
            format!("{} and {} more", names[..8].join(", "), names.len() - 8)
        } else {
            names.join(", ")
        };
        let message = format!(
            "a build toolchain is left in the runtime image: {} ({shown})",
            plural(
                names.len(),
                &format!("{} package", manager.name()),
                &format!("{} packages", manager.name())
            ),
        );
        let suggestion = format!(
            "Remove them in the same RUN that used them: … && {}; or build in a first stage (FROM … AS build) and COPY --from=build only what runs",
            purge_command(manager, &names)
        );
        let mut f = finish(
            cx,
            "build-toolchain",
            "build-tooling",
            layer,
            Group::of_nodes(files),
            message,
            suggestion,
        );
        f.packages = names;
        out.push(f);
    }
    (out, owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchain_names() {
        for n in [
            "build-essential",
            "gcc-12",
            "g++-12",
            "cpp-12",
            "binutils-x86-64-linux-gnu",
            "libc6-dev",
            "libgcc-12-dev",
            "libpython3.11-dev",
            "cuda-nvcc-12-1",
            "cuda-cudart-dev-12-1",
            "libcublas-dev-12-1",
            "make",
        ] {
            assert!(is_toolchain(Manager::Dpkg, n), "{n}");
        }
        for n in [
            "gcc-12-base",
            "libgcc-s1",
            "libstdc++6",
            "python3",
            "libc6",
            "cuda-cudart-12-1",
        ] {
            assert!(!is_toolchain(Manager::Dpkg, n), "{n}");
        }
        assert!(is_toolchain(Manager::Apk, "musl-dev"));
        assert!(!is_toolchain(Manager::Apk, "musl"));
        assert!(is_toolchain(Manager::Conda, "gxx_impl_linux-64"));
        assert!(!is_toolchain(Manager::Conda, "ld_impl_linux-64"));
        assert!(!is_toolchain(Manager::Pip, "gcc"));
    }
}
