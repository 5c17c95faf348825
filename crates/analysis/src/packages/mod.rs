//! Which package costs how much. The package managers' own records, captured
//! while the layers were indexed (no second pass over any layer), name the
//! files each package installed; the merged tree says which of those files
//! the final image still holds and how big they are.
//!
//! - pip: `*.dist-info/RECORD` and `*.egg-info/installed-files.txt` in every
//!   site-packages / dist-packages of every Python and venv;
//! - conda: `conda-meta/*.json` of every environment;
//! - dpkg: `/var/lib/dpkg/status` and `/var/lib/dpkg/info/*.list`;
//! - apk: `/lib/apk/db/installed`.
//!
//! Paths are looked up in the final tree through symlinked directories
//! (Debian lists `/bin/bash`, which merged-/usr images hold at
//! `/usr/bin/bash`). A package's bytes are the content sizes of the regular
//! files it owns that the final image holds; a hard link counts once, at its
//! target, as in the layers' own sizes. Records that only one version of the
//! tree shows are read as the final image has them; a pip record that a
//! system package manager owns (Debian's python3-pip, a conda package built
//! with pip) is that manager's package, not a second one.
//!
//! This module reads the index and returns plain data; it never touches a
//! layer's stream or a presenter.

pub mod apk;
pub mod conda;
pub mod dpkg;
pub mod pip;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::report::PathBytes;
use ballast_image::index::layer::{EntryKind, LayerIndex};
use ballast_image::index::path::{normalize_into, split_parent};
use ballast_image::index::tree::{MergedTree, NodeId, ROOT, Version};

/// Files listed per package in the report; the rest are counted.
const MAX_FILES: usize = 10;
/// Symlinks followed while resolving one path, as Linux's `MAXSYMLINKS`.
const MAX_HOPS: u32 = 40;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Manager {
    Dpkg,
    Apk,
    Conda,
    Pip,
}

impl Manager {
    pub fn name(self) -> &'static str {
        match self {
            Manager::Dpkg => "dpkg",
            Manager::Apk => "apk",
            Manager::Conda => "conda",
            Manager::Pip => "pip",
        }
    }
}

/// A package as its record describes it, before the tree is consulted.
#[derive(Clone, Debug)]
pub struct RawPackage {
    pub manager: Manager,
    pub name: String,
    pub version: String,
    /// The environment: site-packages directory, conda prefix, or the root.
    pub location: Vec<u8>,
    /// Root-relative, normalized paths it lists.
    pub files: Vec<Vec<u8>>,
}

/// `rel` from a record, resolved against the directory `base` (both
/// root-relative); an absolute `rel` is taken from the image root.
pub fn join_relative(base: &[u8], rel: &[u8]) -> Vec<u8> {
    let mut joined = Vec::with_capacity(base.len() + rel.len() + 1);
    if rel.first() != Some(&b'/') {
        joined.extend_from_slice(base);
        joined.push(b'/');
    }
    joined.extend_from_slice(rel);
    let mut out = Vec::with_capacity(joined.len());
    normalize_into(&joined, &mut out);
    out
}

/// A package of the final image.
#[derive(Clone, Debug)]
pub struct Package {
    pub manager: Manager,
    pub name: String,
    pub version: String,
    pub location: Vec<u8>,
    /// The record it was read from.
    pub metadata: NodeId,
    /// The layer that installed it: where its record's current content
    /// first appeared (apk, whose one database every install rewrites: the
    /// layer that added most of its bytes).
    pub layer: Option<usize>,
    /// Its files in the final image (not directories): node and content
    /// bytes, largest first.
    pub files: Vec<(NodeId, u64)>,
    pub bytes: u64,
    /// Paths the record lists that the final image does not hold.
    pub missing: u64,
}

/// Every package of the final image, and what no package owns.
#[derive(Clone, Debug, Default)]
pub struct Attribution {
    /// Largest first.
    pub packages: Vec<Package>,
    /// File node → index in `packages` of the first package that owns it.
    pub owner: HashMap<NodeId, usize>,
    pub owned_bytes: u64,
    pub unowned_bytes: u64,
    /// (top directory, bytes, files) of files no package owns, largest first.
    pub unowned: Vec<(Vec<u8>, u64, u64)>,
}

/// Looks paths up in the final tree, following symlinked directories.
struct Resolver<'a> {
    tree: &'a MergedTree,
    layers: &'a [LayerIndex],
    last: usize,
    dirs: HashMap<Vec<u8>, Option<Vec<u8>>>,
    /// The last parent directory looked up and its node when it is a
    /// directory of the final image: a package lists its files directory by
    /// directory, so most look-ups are one name under this node.
    last_dir: Option<(Vec<u8>, Option<NodeId>)>,
}

impl Resolver<'_> {
    fn present(&self, id: NodeId) -> bool {
        self.tree.state_at(self.layers, id, self.last).is_some()
    }

    fn present_dir(&self, id: NodeId) -> bool {
        self.tree
            .state_at(self.layers, id, self.last)
            .is_some_and(|st| st.is_dir())
    }

    /// The node at `path` in the final image; symlinks in its directories
    /// are followed, the last component is taken as it is.
    fn node(&mut self, path: &[u8]) -> Option<NodeId> {
        let (parent, base) = split_parent(path);
        if base.is_empty() {
            return None;
        }
        let parent_dir = match &self.last_dir {
            Some((p, id)) if p.as_slice() == parent => *id,
            _ => {
                let id = self.tree.lookup(parent).filter(|&id| self.present_dir(id));
                self.last_dir = Some((parent.to_vec(), id));
                id
            }
        };
        if let Some(dir) = parent_dir {
            // A directory of the final image: its path has no symlink to
            // follow, so the name under it is the whole answer.
            return self.tree.child(dir, base).filter(|&id| self.present(id));
        }
        if let Some(id) = self.tree.lookup(path)
            && self.present(id)
        {
            return Some(id);
        }
        let mut full = self.dir(parent)?;
        if !full.is_empty() {
            full.push(b'/');
        }
        full.extend_from_slice(base);
        let id = self.tree.lookup(&full)?;
        self.present(id).then_some(id)
    }

    fn dir(&mut self, path: &[u8]) -> Option<Vec<u8>> {
        if let Some(hit) = self.dirs.get(path) {
            return hit.clone();
        }
        let canon = self.canonical(path);
        self.dirs.insert(path.to_vec(), canon.clone());
        canon
    }

    /// `path` with every symlink in it replaced by its target.
    fn canonical(&self, path: &[u8]) -> Option<Vec<u8>> {
        let mut out: Vec<u8> = Vec::with_capacity(path.len());
        let mut pending: Vec<Vec<u8>> = path
            .split(|&b| b == b'/')
            .rev()
            .map(<[u8]>::to_vec)
            .collect();
        let mut hops = 0;
        while let Some(comp) = pending.pop() {
            match comp.as_slice() {
                b"" | b"." => continue,
                b".." => {
                    let keep = split_parent(&out).0.len();
                    out.truncate(keep);
                    continue;
                }
                _ => {}
            }
            let mut cand = out.clone();
            if !cand.is_empty() {
                cand.push(b'/');
            }
            cand.extend_from_slice(&comp);
            let id = self.tree.lookup(&cand)?;
            let st = self.tree.state_at(self.layers, id, self.last)?;
            match st.entry {
                Some(e) if e.kind == EntryKind::Symlink => {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return None;
                    }
                    let target = self.layers[st.version.layer as usize].link(e);
                    if target.first() == Some(&b'/') {
                        out.clear();
                    }
                    pending.extend(target.split(|&b| b == b'/').rev().map(<[u8]>::to_vec));
                }
                _ => out = cand,
            }
        }
        Some(out)
    }
}

/// A captured record as the final image has it.
struct Record<'a> {
    path: Vec<u8>,
    node: NodeId,
    version: &'a Version,
    content: &'a [u8],
}

/// The captured records whose captured version is the one in force in the
/// final image.
fn final_records<'a>(
    layers: &'a [LayerIndex],
    tree: &'a MergedTree,
    last: usize,
) -> Vec<Record<'a>> {
    let mut out = Vec::new();
    for (li, idx) in layers.iter().enumerate() {
        for c in &idx.captured {
            let Some(e) = idx.entries.get(c.entry as usize) else {
                continue;
            };
            let path = idx.path(e);
            let Some(node) = tree.lookup(path) else {
                continue;
            };
            let Some(st) = tree.state_at(layers, node, last) else {
                continue;
            };
            if st.version.layer as usize == li && st.version.entry_index() == Some(c.entry as usize)
            {
                out.push(Record {
                    path: path.to_vec(),
                    node,
                    version: st.version,
                    content: &c.content,
                });
            }
        }
    }
    out
}

/// Reads every package record the layers captured and attributes the final
/// image's files to packages.
pub fn attribute(layers: &[LayerIndex], tree: &MergedTree) -> Attribution {
    let Some(last) = layers.len().checked_sub(1) else {
        return Attribution::default();
    };
    let records = final_records(layers, tree, last);
    let status = records
        .iter()
        .find(|r| r.path == b"var/lib/dpkg/status")
        .map(|r| dpkg::Status::parse(r.content))
        .unwrap_or_default();
    // (raw, record index); system managers first, so a pip record they own
    // is recognized as theirs.
    let mut raws: Vec<(RawPackage, usize)> = Vec::new();
    for (ri, r) in records.iter().enumerate() {
        let (parent, base) = split_parent(&r.path);
        if parent == b"var/lib/dpkg/info" && base.ends_with(b".list") {
            raws.push((dpkg::read_list(base, r.content, &status), ri));
        } else if r.path == b"lib/apk/db/installed" {
            raws.extend(apk::read(r.content).into_iter().map(|p| (p, ri)));
        } else if parent.ends_with(b"conda-meta") {
            raws.extend(conda::read(&r.path, r.content).map(|p| (p, ri)));
        } else if base == b"RECORD" || base == b"installed-files.txt" {
            raws.extend(pip::read(&r.path, r.content).map(|p| (p, ri)));
        }
    }
    raws.sort_by(|a, b| a.0.manager.cmp(&b.0.manager).then(a.1.cmp(&b.1)));

    let mut res = Resolver {
        tree,
        layers,
        last,
        dirs: HashMap::new(),
        last_dir: None,
    };
    let mut att = Attribution::default();
    for (raw, ri) in raws {
        let rec = &records[ri];
        if raw.manager == Manager::Pip && att.owner.contains_key(&rec.node) {
            continue;
        }
        let mut seen = HashSet::new();
        let mut files = Vec::new();
        let mut missing = 0u64;
        for p in &raw.files {
            let Some(id) = res.node(p) else {
                missing += 1;
                continue;
            };
            let Some(st) = tree.state_at(layers, id, last) else {
                missing += 1;
                continue;
            };
            if st.is_dir() || !seen.insert(id) {
                continue;
            }
            files.push((id, st.size()));
        }
        files.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let index = att.packages.len();
        for &(id, _) in &files {
            att.owner.entry(id).or_insert(index);
        }
        let layer = if raw.manager == Manager::Apk {
            majority_layer(tree, layers, last, &files)
        } else {
            None
        }
        .or_else(|| Some(tree.content_origin(layers, rec.node, rec.version)));
        att.packages.push(Package {
            manager: raw.manager,
            name: raw.name,
            version: raw.version,
            location: raw.location,
            metadata: rec.node,
            layer,
            bytes: files.iter().map(|f| f.1).sum(),
            files,
            missing,
        });
    }
    // Sort, keeping `owner` pointing at the right packages.
    let mut order: Vec<usize> = (0..att.packages.len()).collect();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (&att.packages[a], &att.packages[b]);
        pb.bytes
            .cmp(&pa.bytes)
            .then(pa.manager.cmp(&pb.manager))
            .then_with(|| pa.name.cmp(&pb.name))
            .then_with(|| pa.location.cmp(&pb.location))
    });
    let mut new_index = vec![0; order.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let mut slots: Vec<Option<Package>> = att.packages.drain(..).map(Some).collect();
    att.packages = order.iter().filter_map(|&old| slots[old].take()).collect();
    for v in att.owner.values_mut() {
        *v = new_index[*v];
    }
    unowned(tree, layers, last, &mut att);
    att
}

/// The layer that added most of the files' bytes (ties: the lowest).
fn majority_layer(
    tree: &MergedTree,
    layers: &[LayerIndex],
    last: usize,
    files: &[(NodeId, u64)],
) -> Option<usize> {
    let mut by_layer: BTreeMap<usize, u64> = BTreeMap::new();
    for &(id, size) in files {
        let Some(st) = tree.state_at(layers, id, last) else {
            continue;
        };
        *by_layer
            .entry(tree.content_origin(layers, id, st.version))
            .or_default() += size;
    }
    let best = by_layer.values().copied().max()?;
    by_layer
        .into_iter()
        .find(|&(_, b)| b == best)
        .map(|(l, _)| l)
}

/// Sums the final image's files that no package owns, per top directory.
fn unowned(tree: &MergedTree, layers: &[LayerIndex], last: usize, att: &mut Attribution) {
    // Keyed by the top directory's node (the root itself for files at the
    // root): paths are built once per directory, not once per file.
    let mut by_top: HashMap<NodeId, (u64, u64)> = HashMap::new();
    let mut stack: Vec<(NodeId, NodeId)> = vec![(ROOT, ROOT)];
    while let Some((id, top)) = stack.pop() {
        for c in tree.children(id) {
            let Some(st) = tree.state_at(layers, c, last) else {
                continue;
            };
            let top = if id == ROOT { c } else { top };
            if st.is_dir() {
                stack.push((c, top));
                continue;
            }
            let size = st.size();
            if att.owner.contains_key(&c) {
                att.owned_bytes += size;
                continue;
            }
            att.unowned_bytes += size;
            let key = if top == c { ROOT } else { top };
            let slot = by_top.entry(key).or_default();
            slot.0 += size;
            slot.1 += 1;
        }
    }
    let mut v: Vec<(Vec<u8>, u64, u64)> = by_top
        .into_iter()
        .map(|(top, (b, n))| {
            // A file at the root is grouped under the root itself.
            let path = if top == ROOT {
                Vec::new()
            } else {
                tree.path(top)
            };
            (path, b, n)
        })
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    att.unowned = v;
}

/// The `packages` section of the report (`--json` contract; see
/// `docs/report.schema.json`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct PackagesSection {
    /// Content bytes of final-image files some package owns, each file once.
    pub owned_bytes: u64,
    /// Content bytes of final-image files no package owns.
    pub unowned_bytes: u64,
    /// Per manager (`dpkg`, `apk`, `conda`, `pip`): packages and bytes.
    pub by_manager: BTreeMap<String, ManagerTotal>,
    /// Every package, largest first.
    pub list: Vec<PackageInfo>,
    /// Files no package owns, per top directory, largest first.
    pub unowned: Vec<UnownedDir>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ManagerTotal {
    pub count: usize,
    /// Sum of the packages' bytes (a file two packages own counts twice).
    pub bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PackageInfo {
    pub manager: Manager,
    pub name: String,
    /// As the record gives it; empty when it gives none.
    pub version: String,
    /// The environment: the site-packages directory (pip), the prefix
    /// (conda), `/` (dpkg, apk).
    pub location: PathBytes,
    /// The record the package was read from.
    pub metadata: PathBytes,
    /// Content bytes of the files it owns in the final image.
    pub bytes: u64,
    /// Its files (not directories) in the final image.
    pub file_count: u64,
    /// Paths it lists that the final image does not hold.
    pub missing_count: u64,
    pub layer_index: Option<usize>,
    /// The step that installed it.
    pub step_index: Option<usize>,
    /// Its largest files, at most ten.
    pub files: Vec<PackageFile>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PackageFile {
    pub path: PathBytes,
    pub size_bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct UnownedDir {
    /// A top-level directory (`/usr`), or `/` for files at the root.
    pub path: PathBytes,
    pub bytes: u64,
    pub file_count: u64,
}

impl Attribution {
    /// The report's view of the attribution.
    pub fn section(&self, tree: &MergedTree, step_of_layer: &[usize]) -> PackagesSection {
        let mut by_manager: BTreeMap<String, ManagerTotal> = BTreeMap::new();
        for p in &self.packages {
            let t = by_manager.entry(p.manager.name().to_string()).or_default();
            t.count += 1;
            t.bytes += p.bytes;
        }
        PackagesSection {
            owned_bytes: self.owned_bytes,
            unowned_bytes: self.unowned_bytes,
            by_manager,
            list: self
                .packages
                .iter()
                .map(|p| PackageInfo {
                    manager: p.manager,
                    name: p.name.clone(),
                    version: p.version.clone(),
                    location: PathBytes::from_relative(&p.location),
                    metadata: PathBytes::from_relative(&tree.path(p.metadata)),
                    bytes: p.bytes,
                    file_count: p.files.len() as u64,
                    missing_count: p.missing,
                    layer_index: p.layer,
                    step_index: p.layer.and_then(|l| step_of_layer.get(l).copied()),
                    files: p
                        .files
                        .iter()
                        .take(MAX_FILES)
                        .map(|&(id, size)| PackageFile {
                            path: PathBytes::from_relative(&tree.path(id)),
                            size_bytes: size,
                        })
                        .collect(),
                })
                .collect(),
            unowned: self
                .unowned
                .iter()
                .map(|(top, bytes, n)| UnownedDir {
                    path: PathBytes::from_relative(top),
                    bytes: *bytes,
                    file_count: *n,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballast_image::index::layer::{IndexOptions, index_layer};
    use ballast_image::index::tree::merge;

    /// A layer from (path, content or symlink target, kind) triples.
    fn layer(entries: &[(&str, &[u8], char)]) -> LayerIndex {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data, kind) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o644);
            match kind {
                'l' => {
                    h.set_entry_type(tar::EntryType::Symlink);
                    h.set_size(0);
                    h.set_link_name(std::str::from_utf8(data).unwrap()).unwrap();
                    b.append_data(&mut h, name, &[][..]).unwrap();
                }
                'd' => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_size(0);
                    b.append_data(&mut h, name, &[][..]).unwrap();
                }
                _ => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_size(data.len() as u64);
                    b.append_data(&mut h, name, *data).unwrap();
                }
            }
        }
        let bytes = b.into_inner().unwrap();
        index_layer(std::io::Cursor::new(bytes), IndexOptions::default()).unwrap()
    }

    fn run(mut layers: Vec<LayerIndex>) -> (Attribution, MergedTree) {
        let tree = merge(&mut layers);
        (attribute(&layers, &tree), tree)
    }

    #[test]
    fn dpkg_lists_resolve_through_merged_usr_symlinks() {
        let (att, tree) = run(vec![
            layer(&[
                ("bin", b"usr/bin", 'l'),
                ("usr/bin/bash", b"12345", 'f'),
                ("usr/bin/orphan", b"xx", 'f'),
                (
                    "var/lib/dpkg/status",
                    b"Package: bash\nStatus: install ok installed\nVersion: 5.2\n",
                    'f',
                ),
                (
                    "var/lib/dpkg/info/bash.list",
                    b"/.\n/bin\n/bin/bash\n/usr/share/doc/bash/gone\n",
                    'f',
                ),
            ]),
            layer(&[("opt/x", b"1", 'f')]),
        ]);
        let bash = &att.packages[0];
        assert_eq!((bash.name.as_str(), bash.version.as_str()), ("bash", "5.2"));
        assert_eq!((bash.bytes, bash.missing, bash.layer), (5, 1, Some(0)));
        assert_eq!(tree.path(bash.files[0].0), b"usr/bin/bash");
        assert_eq!(att.owned_bytes, 5);
        let tops: Vec<(String, u64)> = att
            .unowned
            .iter()
            .map(|(t, b, _)| (String::from_utf8_lossy(t).into_owned(), *b))
            .collect();
        // The dpkg database itself is nobody's file.
        assert_eq!(tops[0].0, "var");
        assert!(tops.contains(&("usr".into(), 2)) && tops.contains(&("opt".into(), 1)));
    }

    #[test]
    fn pip_records_count_only_files_still_in_the_final_tree() {
        let rec = b"pkg/__init__.py,sha256=x,4\npkg/big.so,sha256=y,10\npkg/tests/t.py,,\n../../../bin/tool,,\npkg-1.0.dist-info/RECORD,,\n";
        let l0 = layer(&[
            (
                "venv/lib/python3.11/site-packages/pkg/__init__.py",
                b"init",
                'f',
            ),
            (
                "venv/lib/python3.11/site-packages/pkg/big.so",
                b"0123456789",
                'f',
            ),
            (
                "venv/lib/python3.11/site-packages/pkg/tests/t.py",
                b"tt",
                'f',
            ),
            ("venv/bin/tool", b"#!", 'f'),
            (
                "venv/lib/python3.11/site-packages/pkg-1.0.dist-info/RECORD",
                rec,
                'f',
            ),
        ]);
        // A later layer deletes the tests (a whiteout).
        let wh = layer(&[("venv/lib/python3.11/site-packages/pkg/.wh.tests", b"", 'f')]);
        let l1 = layer(&[("app/README", b"r", 'f')]);
        let (att, _) = run(vec![l0, wh, l1]);
        let p = &att.packages[0];
        assert_eq!(
            (p.manager, p.name.as_str(), p.version.as_str()),
            (Manager::Pip, "pkg", "1.0")
        );
        assert_eq!(p.bytes, 4 + 10 + 2 + rec.len() as u64);
        assert_eq!((p.missing, p.files.len()), (1, 4));
        assert_eq!(p.location, b"venv/lib/python3.11/site-packages");
    }

    #[test]
    fn a_pip_record_owned_by_dpkg_is_the_dpkg_package() {
        let (att, _) = run(vec![layer(&[
            ("usr/lib/python3/dist-packages/pip/__init__.py", b"p", 'f'),
            ("usr/lib/python3/dist-packages/pip-23.0.dist-info/RECORD", b"pip/__init__.py,,\n", 'f'),
            (
                "var/lib/dpkg/info/python3-pip.list",
                b"/usr/lib/python3/dist-packages/pip/__init__.py\n/usr/lib/python3/dist-packages/pip-23.0.dist-info/RECORD\n",
                'f',
            ),
        ])]);
        assert_eq!(att.packages.len(), 1);
        assert_eq!(att.packages[0].manager, Manager::Dpkg);
    }

    #[test]
    fn conda_and_apk_records_are_read() {
        let (att, _) = run(vec![layer(&[
            ("opt/conda/lib/libz.so.1", b"zzz", 'f'),
            (
                "opt/conda/conda-meta/zlib-1.3-h0.json",
                br#"{"name":"zlib","version":"1.3","files":["lib/libz.so.1"]}"#,
                'f',
            ),
            (
                "lib/apk/db/installed",
                b"P:musl\nV:1.2\nF:lib\nR:ld-musl.so\n",
                'f',
            ),
            ("lib/ld-musl.so", b"mmmmmm", 'f'),
        ])]);
        let names: Vec<(&str, Manager, u64)> = att
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.manager, p.bytes))
            .collect();
        assert_eq!(
            names,
            [("musl", Manager::Apk, 6), ("zlib", Manager::Conda, 3)]
        );
        assert_eq!(att.packages[0].layer, Some(0));
    }

    #[test]
    fn symlink_loops_and_empty_images_do_not_hang() {
        let (att, _) = run(vec![layer(&[
            ("a", b"b", 'l'),
            ("b", b"a", 'l'),
            ("var/lib/dpkg/info/x.list", b"/a/file\n", 'f'),
        ])]);
        assert_eq!(att.packages[0].missing, 1);
        assert!(attribute(&[], &MergedTree::default()).packages.is_empty());
    }
}
