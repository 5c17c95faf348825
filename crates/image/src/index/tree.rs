//! The merged file tree: every path any layer touched, and for each, the
//! chain of versions layer by layer. The tree as it stands after layer L is
//! "each node's newest version at or before L", so no per-layer copy of the
//! tree is ever made.
//!
//! Merging visits each entry once and each removed node once per removal, so
//! N layers of F entries cost O(total entries + removals) hash look-ups. Nodes
//! are an arena (ids, not pointers); a child always has a larger id than its
//! parent, which lets sizes roll up in one reverse sweep without recursion.

use std::collections::HashMap;

use serde::Serialize;

use super::idtable::IdTable;
use super::layer::{EntryKind, LayerEntry, LayerIndex};
use super::names::{IdBuild, IdHasher, NameId, Names};
use super::path::split_parent;

pub type NodeId = u32;
pub const ROOT: NodeId = 0;
const NONE: u32 = u32::MAX;

#[derive(Clone, Debug)]
pub struct Node {
    pub parent: NodeId,
    pub name: NameId,
    first_child: NodeId,
    next_sibling: NodeId,
    last_version: u32,
}

/// How a layer changed a path, against the layers below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    /// Content, type or link target changed.
    Modified,
    /// Same content; mode, owner or only the timestamp changed.
    MetadataOnly,
    /// A directory listed again as it was (every layer repeats its parents).
    Unchanged,
    Removed,
}

#[derive(Clone, Copy, Debug)]
pub struct Version {
    pub node: NodeId,
    /// The node's version before this one.
    pub prev: u32,
    pub layer: u32,
    /// Entry index in the layer; `NONE` for removals and implied directories.
    pub entry: u32,
    pub change: Change,
    pub present: bool,
}

impl Version {
    pub fn entry_index(&self) -> Option<usize> {
        (self.entry != NONE).then_some(self.entry as usize)
    }
}

#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct LayerChanges {
    pub added: u64,
    pub modified: u64,
    pub metadata_only: u64,
    pub removed: u64,
}

impl LayerChanges {
    pub fn total(&self) -> u64 {
        self.added + self.modified + self.metadata_only + self.removed
    }
}

#[derive(Debug, Default)]
pub struct MergedTree {
    nodes: Vec<Node>,
    pub names: Names,
    /// Node ids by `(parent, name)`: 4 bytes a slot, the key read from the
    /// node itself.
    children: IdTable,
    versions: Vec<Version>,
    /// Versions of layer L are `versions[layer_ranges[L].0..layer_ranges[L].1]`.
    layer_ranges: Vec<(u32, u32)>,
    pub layer_changes: Vec<LayerChanges>,
    pub warnings: Vec<String>,
    /// Hard links as inodes, the way a runtime stores them (see
    /// [`crate::index::inode`]).
    pub(super) inodes: super::inode::Inodes,
    /// Per directory, every child that came alive since the directory was
    /// last emptied (dead ones and repeats included): removals walk these,
    /// not every child the directory ever had, so opaque churn over many
    /// layers stays linear.
    live_kids: HashMap<NodeId, Vec<NodeId>, IdBuild>,
}

/// What a node is at some layer, with its entry when it has one.
#[derive(Clone, Copy, Debug)]
pub struct State<'a> {
    pub version: &'a Version,
    pub entry: Option<&'a LayerEntry>,
    /// Content a hard link holds once no earlier name of its inode is
    /// present (its original was deleted or replaced): counted here, once.
    pub link_content: u64,
}

impl State<'_> {
    pub fn is_dir(&self) -> bool {
        self.entry.is_none_or(|e| e.kind == EntryKind::Dir)
    }
    pub fn size(&self) -> u64 {
        self.entry.map_or(0, |e| e.size) + self.link_content
    }
}

impl MergedTree {
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
    pub fn layer_count(&self) -> usize {
        self.layer_ranges.len()
    }
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }
    pub fn name(&self, id: NodeId) -> &[u8] {
        self.names.get(self.nodes[id as usize].name)
    }
    pub fn versions(&self) -> &[Version] {
        &self.versions
    }
    /// The versions a layer wrote, in the order it wrote them.
    pub fn layer_versions(&self, layer: usize) -> &[Version] {
        let (s, e) = self.layer_ranges[layer];
        &self.versions[s as usize..e as usize]
    }

    pub fn children(&self, id: NodeId) -> Children<'_> {
        Children {
            tree: self,
            next: self.nodes[id as usize].first_child,
        }
    }

    /// The node's versions, newest first.
    pub fn history(&self, id: NodeId) -> impl Iterator<Item = &Version> {
        let mut cur = self.nodes[id as usize].last_version;
        std::iter::from_fn(move || {
            if cur == NONE {
                return None;
            }
            let v = &self.versions[cur as usize];
            cur = v.prev;
            Some(v)
        })
    }

    /// The node's version in force after `layer` (None: never existed yet).
    pub fn version_at(&self, id: NodeId, layer: usize) -> Option<&Version> {
        self.history(id).find(|v| v.layer as usize <= layer)
    }

    /// The node as it stands after `layer`, if present.
    pub fn state_at<'a>(
        &'a self,
        layers: &'a [LayerIndex],
        id: NodeId,
        layer: usize,
    ) -> Option<State<'a>> {
        let v = self.version_at(id, layer)?;
        if !v.present {
            return None;
        }
        let entry = v
            .entry_index()
            .map(|i| &layers[v.layer as usize].entries[i]);
        let link_content = match entry {
            Some(e) if e.kind == EntryKind::Hardlink => self.link_content(layers, v, layer),
            _ => 0,
        };
        Some(State {
            version: v,
            entry,
            link_content,
        })
    }

    /// The node's full path, without a leading slash.
    pub fn path(&self, id: NodeId) -> Vec<u8> {
        let mut parts = Vec::new();
        let mut cur = id;
        while cur != ROOT {
            parts.push(self.nodes[cur as usize].name);
            cur = self.nodes[cur as usize].parent;
        }
        let mut out = Vec::new();
        for (i, name) in parts.iter().rev().enumerate() {
            if i > 0 {
                out.push(b'/');
            }
            out.extend_from_slice(self.names.get(*name));
        }
        out
    }

    /// Looks a normalized path up without creating anything.
    pub fn lookup(&self, path: &[u8]) -> Option<NodeId> {
        let mut cur = ROOT;
        if path.is_empty() {
            return Some(ROOT);
        }
        for comp in path.split(|&b| b == b'/') {
            let name = self.find_name(comp)?;
            cur = self.child_id(cur, name)?;
        }
        Some(cur)
    }

    /// The child of `parent` named `name`, if the tree ever had one.
    pub fn child(&self, parent: NodeId, name: &[u8]) -> Option<NodeId> {
        let name = self.find_name(name)?;
        self.child_id(parent, name)
    }

    fn child_id(&self, parent: NodeId, name: NameId) -> Option<NodeId> {
        self.children.find(child_key(parent, name), |id| {
            let n = &self.nodes[id as usize];
            n.parent == parent && n.name == name
        })
    }

    fn find_name(&self, comp: &[u8]) -> Option<NameId> {
        self.names.find(comp)
    }

    /// Content sizes as they stand after `layer`: files carry their size,
    /// directories the sum below them, absent nodes zero.
    pub fn sizes_at(&self, layers: &[LayerIndex], layer: usize) -> Vec<u64> {
        let mut sizes = vec![0u64; self.nodes.len()];
        for id in (1..self.nodes.len()).rev() {
            let Some(st) = self.state_at(layers, node_id(id), layer) else {
                continue;
            };
            sizes[id] += st.size();
            let parent = self.nodes[id].parent as usize;
            sizes[parent] += sizes[id];
        }
        sizes
    }

    /// The layer where a node's current content first arrived: versions
    /// that only re-wrote the same bytes (`chmod`, `chown`, a touch) do not
    /// move it, so a fix lands on the step that wrote the content.
    pub fn content_origin(&self, layers: &[LayerIndex], node: NodeId, current: &Version) -> usize {
        let hash_of = |v: &Version| {
            v.entry_index()
                .map(|i| &layers[v.layer as usize].entries[i])
                .filter(|e| e.kind == EntryKind::File)
                .map(|e| e.hash)
        };
        let mut layer = current.layer as usize;
        let Some(hash) = hash_of(current) else {
            return layer;
        };
        for v in self
            .history(node)
            .skip_while(|v| v.layer > current.layer)
            .skip(1)
        {
            if !v.present || hash_of(v) != Some(hash) {
                break;
            }
            layer = v.layer as usize;
        }
        layer
    }

    /// Calls `f(path, node, state)` for every node present after layer `at`,
    /// parents before their children; `path` has no leading slash. One
    /// path buffer, an explicit stack: trees can be thousands of levels deep.
    pub fn walk_present<'a>(
        &'a self,
        layers: &'a [LayerIndex],
        at: usize,
        mut f: impl FnMut(&[u8], NodeId, State<'a>),
    ) {
        let mut path: Vec<u8> = Vec::new();
        let mut stack: Vec<(NodeId, usize)> = vec![(ROOT, 0)];
        while let Some((id, parent_len)) = stack.pop() {
            path.truncate(parent_len);
            if id != ROOT {
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(self.name(id));
            }
            let here = path.len();
            for c in self.children(id) {
                let Some(st) = self.state_at(layers, c, at) else {
                    continue;
                };
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(self.name(c));
                f(&path, c, st);
                path.truncate(here);
                if st.is_dir() {
                    stack.push((c, here));
                }
            }
        }
    }

    /// Heap bytes held by the tree, for the memory report.
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.versions.capacity() * std::mem::size_of::<Version>()
            + self.children.heap_bytes()
            + self.names.heap_bytes()
            + self.live_kids.capacity() * 32
            + self
                .live_kids
                .values()
                .map(|v| v.capacity() * 4)
                .sum::<usize>()
    }

    fn alive(&self, id: NodeId) -> bool {
        let lv = self.nodes[id as usize].last_version;
        lv != NONE && self.versions[lv as usize].present
    }

    fn child_or_insert(&mut self, parent: NodeId, name: NameId) -> NodeId {
        if let Some(id) = self.child_id(parent, name) {
            return id;
        }
        let id = node_id(self.nodes.len());
        self.nodes.push(Node {
            parent,
            name,
            first_child: NONE,
            next_sibling: self.nodes[parent as usize].first_child,
            last_version: NONE,
        });
        self.nodes[parent as usize].first_child = id;
        let nodes = &self.nodes;
        self.children.insert(child_key(parent, name), id, |i| {
            let n = &nodes[i as usize];
            child_key(n.parent, n.name)
        });
        id
    }

    /// Writes a version of `id` for `layer`, replacing one the same layer
    /// wrote earlier (the same path twice in a layer: the last one wins).
    fn set_version(&mut self, id: NodeId, layer: u32, entry: u32, change: Change, present: bool) {
        if present && id != ROOT && !self.alive(id) {
            let parent = self.nodes[id as usize].parent;
            self.live_kids.entry(parent).or_default().push(id);
        }
        self.write_version(id, layer, entry, change, present);
    }

    /// The children of `id` that may be alive, taking them off its list:
    /// the caller removes them all.
    fn take_live_kids(&mut self, id: NodeId) -> Vec<NodeId> {
        let mut kids = self.live_kids.remove(&id).unwrap_or_default();
        kids.retain(|&k| self.alive(k));
        kids
    }

    fn write_version(&mut self, id: NodeId, layer: u32, entry: u32, change: Change, present: bool) {
        let lv = self.nodes[id as usize].last_version;
        if lv != NONE && self.versions[lv as usize].layer == layer {
            let v = &mut self.versions[lv as usize];
            v.entry = entry;
            v.change = change;
            v.present = present;
            return;
        }
        let vid = u32::try_from(self.versions.len()).unwrap_or(NONE - 1);
        self.versions.push(Version {
            node: id,
            prev: lv,
            layer,
            entry,
            change,
            present,
        });
        self.nodes[id as usize].last_version = vid;
    }

    /// The version in force below `layer` (ignoring what `layer` wrote).
    fn below(&self, id: NodeId, layer: u32) -> Option<Version> {
        let lv = self.nodes[id as usize].last_version;
        if lv == NONE {
            return None;
        }
        let v = self.versions[lv as usize];
        let v = if v.layer == layer {
            if v.prev == NONE {
                return None;
            }
            self.versions[v.prev as usize]
        } else {
            v
        };
        v.present.then_some(v)
    }

    /// Removes `id` and everything alive under it, iteratively.
    fn remove_subtree(&mut self, id: NodeId, layer: u32) {
        let mut stack = vec![id];
        while let Some(n) = stack.pop() {
            if !self.alive(n) {
                continue;
            }
            self.set_version(n, layer, NONE, Change::Removed, false);
            stack.extend(self.take_live_kids(n));
        }
    }
}

/// The hash of a `(parent, name)` key in the children table.
fn child_key(parent: NodeId, name: NameId) -> u64 {
    use std::hash::Hasher;
    let mut h = IdHasher::default();
    h.write_u32(parent);
    h.write_u32(name);
    h.finish()
}

fn node_id(i: usize) -> NodeId {
    NodeId::try_from(i).unwrap_or(NONE - 1)
}

pub struct Children<'a> {
    tree: &'a MergedTree,
    next: NodeId,
}

impl Iterator for Children<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.tree.nodes[id as usize].next_sibling;
        Some(id)
    }
}

/// Hashes the merge found for hard links whose target sits in a lower
/// layer (a layer indexed alone cannot know them): (layer, entry, hash).
#[derive(Debug, Default)]
pub struct LinkHashes(Vec<(usize, usize, u128)>);

impl LinkHashes {
    /// Writes the hashes into the layers' entries.
    pub fn apply(self, layers: &mut [LayerIndex]) {
        for (li, ei, hash) in self.0 {
            layers[li].entries[ei].hash = hash;
        }
    }
}

/// Builds the merged tree from the layers, bottom first, and gives hard
/// links whose target sits in a lower layer that target's hash.
pub fn merge(layers: &mut [LayerIndex]) -> MergedTree {
    let (tree, links) = merge_shared(layers);
    links.apply(layers);
    tree
}

/// [`merge`] reading the layers only, so other analyses of the layers can
/// run beside it; the caller applies the returned link hashes afterwards.
pub fn merge_shared(layers: &[LayerIndex]) -> (MergedTree, LinkHashes) {
    // Link hashes found so far, by (layer, entry): later layers compare
    // against them before they are written back.
    let mut fixed: HashMap<(usize, usize), u128> = HashMap::new();
    let hash_of = |fixed: &HashMap<(usize, usize), u128>, li: usize, ei: usize| {
        fixed
            .get(&(li, ei))
            .copied()
            .unwrap_or(layers[li].entries[ei].hash)
    };
    let mut t = MergedTree::default();
    let root_name = t.names.intern(b"");
    t.nodes.push(Node {
        parent: ROOT,
        name: root_name,
        first_child: NONE,
        next_sibling: NONE,
        last_version: NONE,
    });
    for li in 0..layers.len() {
        let layer = u32::try_from(li).unwrap_or(NONE - 1);
        let start = u32::try_from(t.versions.len()).unwrap_or(NONE);
        let mut changes = LayerChanges::default();
        let ro: &[LayerIndex] = layers;
        let idx = &ro[li];
        // Whiteouts act on the layers below only, so they go first; then the
        // layer's own entries, which may re-create what they removed.
        for e in &idx.entries {
            match e.kind {
                EntryKind::Whiteout => {
                    if let Some(id) = t.resolve(idx.path(e)) {
                        t.remove_subtree(id, layer);
                    }
                }
                EntryKind::Opaque => {
                    if let Some(id) = t.resolve(idx.path(e)) {
                        for k in t.take_live_kids(id) {
                            t.remove_subtree(k, layer);
                        }
                    }
                }
                _ => {}
            }
        }
        // The last parent directory resolved: tar streams list a directory's
        // entries together, so most look-ups are one comparison.
        let mut cache: Option<(Vec<u8>, NodeId)> = None;
        for (ei, e) in idx.entries.iter().enumerate() {
            match e.kind {
                // A marker sits inside a directory the layer therefore has,
                // whether or not the tar lists that directory itself.
                EntryKind::Whiteout => {
                    let (parent_path, _) = split_parent(idx.path(e));
                    t.ensure_dirs(ro, parent_path, layer);
                    continue;
                }
                EntryKind::Opaque => {
                    t.ensure_dirs(ro, idx.path(e), layer);
                    continue;
                }
                _ => {}
            }
            let path = idx.path(e);
            if path.is_empty() {
                continue; // the root directory's own entry
            }
            let (parent_path, base) = split_parent(path);
            let parent = match &cache {
                Some((p, id)) if p.as_slice() == parent_path => *id,
                _ => {
                    let id = t.ensure_dirs(ro, parent_path, layer);
                    cache = Some((parent_path.to_vec(), id));
                    id
                }
            };
            if e.kind != EntryKind::Dir && cache.as_ref().is_some_and(|(p, _)| p.starts_with(path))
            {
                // This entry may replace the cached parent directory.
                cache = None;
            }
            let name = t.names.intern(base);
            let id = t.child_or_insert(parent, name);
            let below = t.below(id, layer);
            let mut hash = e.hash;
            if e.kind == EntryKind::Hardlink
                && idx.unresolved_links.binary_search(&entry_u32(ei)).is_ok()
                && let Some(target) = t.lookup(idx.link(e))
                && let Some(tv) = t.below(target, layer)
                && let Some(te) = tv.entry_index()
            {
                hash = hash_of(&fixed, tv.layer as usize, te);
                fixed.insert((li, ei), hash);
            }
            let change = match below {
                None => Change::Added,
                Some(v) => match v.entry_index() {
                    None => {
                        if e.kind == EntryKind::Dir {
                            Change::Unchanged
                        } else {
                            Change::Modified
                        }
                    }
                    Some(bi) => compare(
                        &ro[v.layer as usize],
                        &ro[v.layer as usize].entries[bi],
                        hash_of(&fixed, v.layer as usize, bi),
                        idx,
                        e,
                        hash,
                    ),
                },
            };
            // Against the current state, same layer included: a file that
            // replaces a directory hides everything under it.
            let dir_now = t.alive(id) && {
                let v = t.versions[t.nodes[id as usize].last_version as usize];
                v.entry_index()
                    .is_none_or(|i| ro[v.layer as usize].entries[i].kind == EntryKind::Dir)
            };
            if e.kind != EntryKind::Dir && dir_now {
                // A file replacing a directory hides everything under it.
                for k in t.take_live_kids(id) {
                    t.remove_subtree(k, layer);
                }
            }
            let inode = (e.kind == EntryKind::Hardlink)
                .then(|| t.inode_of_link_target(ro, idx.link(e)))
                .flatten();
            t.set_version(id, layer, entry_u32(ei), change, true);
            if let Some(inode) = inode {
                t.inodes.add_link(inode, id, layer, entry_u32(ei));
            }
        }
        let end = u32::try_from(t.versions.len()).unwrap_or(NONE);
        for v in &t.versions[start as usize..end as usize] {
            match v.change {
                Change::Added if v.entry != NONE => changes.added += 1,
                Change::Modified => changes.modified += 1,
                Change::MetadataOnly => changes.metadata_only += 1,
                Change::Removed => changes.removed += 1,
                _ => {}
            }
        }
        t.layer_ranges.push((start, end));
        t.layer_changes.push(changes);
    }
    let mut links: Vec<(usize, usize, u128)> =
        fixed.into_iter().map(|((li, ei), h)| (li, ei, h)).collect();
    links.sort_unstable();
    (t, LinkHashes(links))
}

fn entry_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(NONE - 1)
}

fn compare(
    below_idx: &LayerIndex,
    below: &LayerEntry,
    below_hash: u128,
    idx: &LayerIndex,
    e: &LayerEntry,
    hash: u128,
) -> Change {
    let content_same = below.kind == e.kind
        && match e.kind {
            EntryKind::File => below_hash == hash && below.size == e.size,
            EntryKind::Symlink => below_idx.link(below) == idx.link(e),
            EntryKind::Hardlink => below_idx.link(below) == idx.link(e) && below_hash == hash,
            _ => true,
        };
    if !content_same {
        return Change::Modified;
    }
    if below.mode != e.mode || below.uid != e.uid || below.gid != e.gid {
        return Change::MetadataOnly;
    }
    if e.kind == EntryKind::Dir {
        Change::Unchanged
    } else {
        // Rewritten byte for byte: still a second copy in the image.
        Change::MetadataOnly
    }
}

impl MergedTree {
    /// Finds an existing, alive node for a path (for whiteouts).
    fn resolve(&self, path: &[u8]) -> Option<NodeId> {
        let id = self.lookup(path)?;
        (id != ROOT && self.alive(id)).then_some(id)
    }

    /// Makes sure every directory on `path` exists and is alive, creating
    /// implied directories for layers that omit their parents' entries.
    fn ensure_dirs(&mut self, layers: &[LayerIndex], path: &[u8], layer: u32) -> NodeId {
        let mut cur = ROOT;
        if path.is_empty() {
            return cur;
        }
        for comp in path.split(|&b| b == b'/') {
            let name = self.names.intern(comp);
            let id = self.child_or_insert(cur, name);
            // The current state counts, including what this same layer
            // wrote a moment ago: a file here becomes a directory.
            let is_dir_now = self.alive(id) && {
                let v = self.versions[self.nodes[id as usize].last_version as usize];
                v.entry_index()
                    .is_none_or(|i| layers[v.layer as usize].entries[i].kind == EntryKind::Dir)
            };
            if !is_dir_now {
                let change = match self.below(id, layer) {
                    None => Change::Added,
                    Some(v) => match v.entry_index() {
                        Some(bi) if layers[v.layer as usize].entries[bi].kind != EntryKind::Dir => {
                            Change::Modified
                        }
                        _ => Change::Unchanged,
                    },
                };
                self.set_version(id, layer, NONE, change, true);
            }
            cur = id;
        }
        cur
    }
}
