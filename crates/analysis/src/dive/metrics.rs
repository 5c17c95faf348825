//! dive 0.13.1's image metrics: its three numbers and its list of
//! "inefficient files", computed the way dive computes them.
//!
//! # The formula (dive's `filetree/efficiency.go` and `image/analysis.go`)
//!
//! Each layer is a tree built from its tar entries. A `.wh.NAME` entry is a
//! node of its own (named `.wh.NAME`, standing for the path `NAME`); a path
//! named only as the parent of another entry is an *implied* node with no
//! metadata (not a directory, size 0); an entry repeated in one layer is one
//! node holding the last copy's metadata.
//!
//! 1. For each layer in order, visit its **leaf** nodes (nodes with no child
//!    in that layer's tree), children before parents, siblings sorted by raw
//!    name bytes (`.wh.NAME` sorts as written).
//! 2. A visited node contributes `s` to its path `p`:
//!    * an ordinary node: its tar header size;
//!    * a whiteout of `p`, looking `p` up in the stack of the layers *below*:
//!      if `p` is a directory there, the sum of the sizes of `p` and
//!      everything under it there; if it is not a directory, 0.
//! 3. Per path: `cumulative(p) = Σ s`, `min(p) = min s`, `count(p)` = number of
//!    contributions. `p` is *inefficient* when `count(p) ≥ 2`.
//! 4. `efficiency = Σ min(p) / Σ cumulative(p)` over every path seen, or 1.0
//!    when the denominator is 0.
//! 5. `wasted_bytes = Σ cumulative(p)` over inefficient paths: every copy
//!    counts, the surviving one too (dive issue #684).
//! 6. A layer's size is the sum of the sizes of all its entries (repeats
//!    included); `size_bytes` sums all layers; `user_wasted_percent =
//!    wasted_bytes / Σ size(layer 1..n)` — only layer 0 counts as base.
//!    dive divides without a check: 0/0 is NaN (every one-layer image), which
//!    this module reports as `None`.
//!
//! "Stack of the layers below" follows dive's tree stacking: each layer's
//! nodes, in the visiting order of step 1, either remove a path and its
//! subtree (whiteouts) or set the path's metadata, keeping any children it
//! already had. An implied node therefore *resets* a path to "not a
//! directory, size 0", so a later whiteout of it contributes 0 — a dive quirk
//! that is reproduced (see the `implied_parent_*` test).
//!
//! # Inefficient-file order
//!
//! By `cumulative` descending; ties in reverse order of the moment each path
//! reached its second contribution. dive appends a path when it becomes
//! inefficient, sorts ascending with Go's `sort.Sort` and prints the result
//! backwards; for ≤ 12 entries Go uses a (stable) insertion sort, so this rule
//! reproduces dive exactly there. Above 12, Go's pdqsort orders ties in a way
//! nobody should depend on; this module keeps the same documented rule.
//!
//! # Deliberate deviations (dive bugs not copied)
//!
//! * dive 0.13.1 aborts the walk of a layer at a whiteout whose path does not
//!   exist below, leaving the rest of that layer uncounted and a phantom −1 in
//!   `Σ min` (the score reads 99.9999 %). Here such a whiteout contributes
//!   nothing and the walk goes on. The stack below layer 0 is empty (dive
//!   looks whiteouts of layer 0 up in layer 0 itself).
//! * dive takes OCI layer order from a map when there is no `manifest.json`;
//!   order is the caller's business here, and layers are taken as given.
//! * Sums saturate at `u64::MAX` instead of wrapping as Go's `int64` would.
//! * A path component named `.wh.X` *inside* a path (`a/.wh.x/b`) is taken
//!   literally; dive would half-treat it as a whiteout.
//!
//! # Complexity
//!
//! Linear in the bytes of all entries' paths, bar sorting siblings by name.
//! Each path is interned once into a trie of components shared by all
//! layers (`(parent id, name) → id`), in time linear in its length: tar
//! streams list a directory's entries together, so interning resumes from
//! the deepest directory the path shares with the previous entry's (found by
//! comparing and walking up no further than that directory's length), and
//! most entries hash only their own name. From then on everything is keyed
//! by path id in plain vectors — each layer's tree, the stack of the layers
//! below, the per-path tally — and no path is hashed or compared whole
//! again: an implied directory costs what an entry costs, so one path
//! 400 000 directories deep costs what 400 000 short entries do. A layer is
//! visited in a post-order walk of its tree with each directory's children
//! sorted by name, `O(N log N)` comparisons of single names at worst for `N`
//! nodes. The stack of layers below is kept incrementally in one arena,
//! never copied per layer. A whiteout of a directory sums that directory's
//! subtree; sums are memoised per layer, so nested whiteouts in one layer do
//! not re-walk, and a summed subtree is removed from the stack when its
//! layer is applied, so every stacked node is summed at most once. Nothing
//! recurses: every tree walk uses an explicit stack. The trie's map keeps
//! std's keyed `SipHash` on purpose: paths come from untrusted archives, and
//! a fixed hash would let one flood it. (In a release build: about 0.12 s
//! for 317 000 entries over 12 layers, 0.15 s for one path 400 000
//! directories deep.)
//!
//! # Memory
//!
//! About 100 bytes a path at a million entries: ids are `u32`, the trie's
//! map is a table of ids (4 bytes a slot, keys read from the nodes), a
//! trie node keeps its name and rebuilds its whole path only for the
//! inefficient-file list, flags share words with ids, entries are taken
//! from the caller as they are walked, and the top layer never goes on the
//! stack (nothing reads it there).

use std::cmp::Ordering;
use std::hash::{BuildHasher, RandomState};

use ballast_image::index::idtable::IdTable;

/// One tar entry of one layer, as the caller's indexer saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiveEntry<'a> {
    /// Normalized path: no leading '/' or './', components separated by '/'; may be non-UTF-8.
    /// Entries with an empty path are ignored, as dive skips `.`.
    pub path: &'a [u8],
    /// Tar header size (regular files: content length; dirs, symlinks, hardlinks: 0).
    pub size: u64,
    pub kind: DiveKind,
}

/// What a tar entry is, as far as dive's metrics care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiveKind {
    /// A directory entry (tar type `5`).
    Dir,
    /// Anything else that is not a whiteout: files, links, devices.
    NonDir,
    /// `.wh.NAME` marker already translated: `path` is the whited-out path.
    /// Opaque markers (`.wh..wh..opq`) must be dropped by the caller, as dive does.
    Whiteout,
}

/// One of dive's "inefficient files": a path with two or more contributions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InefficientFile {
    /// The path with a leading '/', as dive prints it.
    pub path: Vec<u8>,
    /// How many contributions the path had (dive's "Count").
    pub count: u32,
    /// `cumulative(p)`: all contributions, the surviving copy included.
    pub wasted_bytes: u64,
}

/// dive's numbers for one image.
#[derive(Debug, Clone, PartialEq)]
pub struct DiveMetrics {
    /// `Σ min / Σ cumulative`, 1.0 when nothing was counted.
    pub efficiency: f64,
    /// Σ cumulative over inefficient paths.
    pub wasted_bytes: u64,
    /// `wasted_bytes / size of layers 1..n`. `None` where dive computes NaN
    /// (0/0, which includes every single-layer image); dive's rule passes then.
    /// `Some(f64::INFINITY)` when the upper layers hold no bytes yet a whiteout
    /// made waste out of base-layer bytes: dive's rule fails then.
    pub user_wasted_percent: Option<f64>,
    /// Sum of all layers' entry sizes: content bytes, no tar overhead, uncompressed.
    pub size_bytes: u64,
    /// In dive's order: see the module documentation.
    pub inefficient_files: Vec<InefficientFile>,
}

/// Computes dive 0.13.1's metrics for `layers`, base layer first.
#[must_use]
pub fn compute(layers: &[Vec<DiveEntry<'_>>]) -> DiveMetrics {
    let entries: usize = layers.iter().map(Vec::len).sum();
    compute_from(entries, layers.iter().map(|layer| layer.iter().copied()))
}

/// [`compute`] over layers that yield their entries as they are walked, so
/// no list of every entry is ever made; `entries` (the total, or an upper
/// bound) sizes the tables up front, since growing a map of 300k paths
/// rehashes each key several times.
pub fn compute_from<'a, L, E>(entries: usize, layers: L) -> DiveMetrics
where
    L: IntoIterator<Item = E>,
    E: IntoIterator<Item = DiveEntry<'a>>,
{
    let mut paths = Paths::with_capacity(entries);
    let mut stack = Stack::with_capacity(0);
    let mut tally = Tally::default();
    let mut size_bytes: u64 = 0;
    let mut user_size_bytes: u64 = 0;

    let mut layers = layers.into_iter().peekable();
    let mut index = 0;
    while let Some(layer) = layers.next() {
        let tree = LayerTree::build(layer, &mut paths);
        size_bytes = size_bytes.saturating_add(tree.size);
        if index > 0 {
            user_size_bytes = user_size_bytes.saturating_add(tree.size);
        }
        let order = tree.visit_order(&paths);
        stack.cover(paths.len());
        tally.cover(paths.len());
        // Memo epochs must differ from the stack's initial 0.
        index += 1;
        let epoch = index as u32;

        // The stack still holds only the layers below this one during the walk.
        for node in order.iter().map(|&i| &tree.nodes[i as usize]) {
            if node.has_children() {
                continue;
            }
            let contribution = if node.whiteout() {
                let below = stack.of_path[node.path as usize];
                if below == NONE {
                    // Deletes nothing: dive aborts the layer here (a bug); we skip it.
                    continue;
                }
                if stack.nodes[below as usize].is_dir() {
                    stack.subtree_sum(below, epoch)
                } else {
                    0
                }
            } else {
                node.size
            };
            tally.record(node.path, contribution);
        }

        // No layer reads the top layer's stack: a one-layer image of a
        // million files never builds one.
        if layers.peek().is_none() {
            break;
        }
        for node in order.iter().map(|&i| &tree.nodes[i as usize]) {
            if node.whiteout() {
                stack.remove(node.path);
            } else {
                stack.set(node.path, node.is_dir(), node.size, &paths);
            }
        }
    }
    tally.into_metrics(&paths, size_bytes, user_size_bytes)
}

/// Ids of paths, layer-tree nodes and stack nodes are `u32`: half the
/// memory of `usize`. The loader caps an image's entries, counting the
/// directories their paths imply, at 500 million (`--max-entries`), below
/// the 2^29 a layer-tree node's parent id has beside its flags.
type Id = u32;

/// No node: the top of a layer tree, a path absent from the stack, a free slot.
const NONE: Id = Id::MAX;
/// The empty path: the root of [`Paths`] and of the [`Stack`].
const ROOT: Id = 0;

fn id(n: usize) -> Id {
    n as Id
}

/// The prefix dive's tar reader strips from a whiteout's name.
const WHITEOUT_PREFIX: &[u8] = b".wh.";

/// Every path named in any layer, interned once into a trie of components
/// shared by all layers: `(parent id, name) → id`. Everything else in this
/// module is keyed by these ids, so no path is hashed or compared whole
/// after it is interned.
struct Paths<'a> {
    nodes: Vec<PathNode<'a>>,
    /// Ids by `(parent, name)`, hashed with std's keyed `SipHash`: names
    /// come from untrusted archives, and a fixed hash would let one flood
    /// the table.
    index: IdTable,
    keys: RandomState,
    /// The directory of the last path interned, and its id: tar streams list
    /// a directory's entries together, so most paths hash only their name.
    last_dir: Option<(&'a [u8], Id)>,
}

struct PathNode<'a> {
    /// The last component, borrowed from the first entry that named it or a
    /// path under it; empty for the root.
    name: &'a [u8],
    parent: Id,
    /// Length of the whole path.
    len: u32,
    /// While a layer tree is built, that tree's node for this path and for a
    /// whiteout of it (`NONE` when there is none); free otherwise.
    in_layer: [Id; 2],
}

impl<'a> Paths<'a> {
    fn with_capacity(paths: usize) -> Self {
        let mut nodes = Vec::with_capacity(paths + 1);
        nodes.push(PathNode {
            name: b"",
            parent: ROOT,
            len: 0,
            in_layer: [NONE; 2],
        });
        Paths {
            nodes,
            index: IdTable::with_capacity(paths),
            keys: RandomState::new(),
            last_dir: None,
        }
    }

    fn len(&self) -> usize {
        self.nodes.len()
    }

    fn parent(&self, id: Id) -> Id {
        self.nodes[id as usize].parent
    }

    /// The last component, as named in the tar (without any `.wh.`).
    fn name(&self, id: Id) -> &'a [u8] {
        self.nodes[id as usize].name
    }

    /// The whole path, rebuilt from its components.
    fn path(&self, id: Id) -> Vec<u8> {
        let mut out = vec![0u8; self.nodes[id as usize].len as usize];
        let mut cur = id;
        let mut end = out.len();
        while cur != ROOT {
            let node = &self.nodes[cur as usize];
            out[end - node.name.len()..end].copy_from_slice(node.name);
            end -= node.name.len();
            if node.parent != ROOT {
                end -= 1;
                out[end] = b'/';
            }
            cur = node.parent;
        }
        out
    }

    /// The id of a non-empty normalized `path`, interning it and its
    /// ancestors: linear in the length of `path`.
    fn intern(&mut self, path: &'a [u8]) -> Id {
        match path.iter().rposition(|&b| b == b'/') {
            None => self.child(ROOT, path, 0, path.len()),
            Some(slash) => {
                let dir = self.intern_dir(&path[..slash]);
                self.child(dir, path, slash + 1, path.len())
            }
        }
    }

    /// The id of `dir`, the part of a path before its last '/' (one
    /// component at least, possibly empty ones). Starts from the deepest
    /// ancestor it shares with the last directory interned, walking up from
    /// there: the walk is no longer than that directory, the rest no longer
    /// than `dir`.
    fn intern_dir(&mut self, dir: &'a [u8]) -> Id {
        // `shared`: where the components `dir` shares with the last
        // directory end, and the id of the last directory.
        let shared = self.last_dir.and_then(|(last, id)| {
            let len = dir.len().min(last.len());
            let same = first_difference(dir, last).unwrap_or(len);
            let ends_here =
                |path: &[u8]| path.len() == same || path.get(same).is_some_and(|&b| b == b'/');
            if same == len && ends_here(dir) && ends_here(last) {
                Some((same, id))
            } else {
                dir[..same]
                    .iter()
                    .rposition(|&b| b == b'/')
                    .map(|slash| (slash, id))
            }
        });
        let (mut id, mut start) = match shared {
            Some((end, last_id)) => {
                // Ancestors' paths are strictly shorter, bar an empty first
                // component beside the root: the first one short enough is
                // the one that ends at `end`.
                let mut id = last_id;
                while self.nodes[id as usize].len as usize > end {
                    id = self.nodes[id as usize].parent;
                }
                if end == dir.len() {
                    self.last_dir = Some((dir, id));
                    return id;
                }
                (id, end + 1)
            }
            None => (ROOT, 0),
        };
        loop {
            let end = dir[start..]
                .iter()
                .position(|&b| b == b'/')
                .map_or(dir.len(), |i| start + i);
            id = self.child(id, dir, start, end);
            if end == dir.len() {
                break;
            }
            start = end + 1;
        }
        self.last_dir = Some((dir, id));
        id
    }

    /// The id of `path[..end]`, a child of `parent` named `path[start..end]`.
    fn child(&mut self, parent: Id, path: &'a [u8], start: usize, end: usize) -> Id {
        let name = &path[start..end];
        let hash = self.keys.hash_one((parent, name));
        let nodes = &self.nodes;
        if let Some(found) = self.index.find(hash, |i| {
            let node = &nodes[i as usize];
            node.parent == parent && node.name == name
        }) {
            return found;
        }
        let new = id(self.nodes.len());
        self.nodes.push(PathNode {
            name,
            parent,
            len: end as u32,
            in_layer: [NONE; 2],
        });
        let (nodes, keys) = (&self.nodes, &self.keys);
        self.index.insert(hash, new, |i| {
            let node = &nodes[i as usize];
            keys.hash_one((node.parent, node.name))
        });
        new
    }
}

/// Index of the first differing byte within the shorter length.
///
/// Sibling paths share long prefixes, so whole chunks are compared first
/// (a `memcmp`) before looking at single bytes.
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    const CHUNK: usize = 32;
    let len = a.len().min(b.len());
    let mut start = 0;
    while start + CHUNK <= len && a[start..start + CHUNK] == b[start..start + CHUNK] {
        start += CHUNK;
    }
    a[start..len]
        .iter()
        .zip(&b[start..len])
        .position(|(x, y)| x != y)
        .map(|i| start + i)
}

struct PathStats {
    cumulative: u64,
    min: u64,
    /// 0 for a path never counted.
    count: u32,
    /// When the path reached its second contribution; orders ties.
    inefficient_seq: u32,
}

/// dive's `efficiencyMap`: per-path contributions, indexed by path id.
#[derive(Default)]
struct Tally {
    stats: Vec<PathStats>,
    next_seq: u32,
}

impl Tally {
    /// Makes room for every path interned so far.
    fn cover(&mut self, paths: usize) {
        self.stats
            .reserve_exact(paths.saturating_sub(self.stats.len()));
        self.stats.resize_with(paths, || PathStats {
            cumulative: 0,
            min: u64::MAX,
            count: 0,
            inefficient_seq: 0,
        });
    }

    fn record(&mut self, path: Id, contribution: u64) {
        let entry = &mut self.stats[path as usize];
        entry.cumulative = entry.cumulative.saturating_add(contribution);
        entry.min = entry.min.min(contribution);
        entry.count = entry.count.saturating_add(1);
        if entry.count == 2 {
            entry.inefficient_seq = self.next_seq;
            self.next_seq = self.next_seq.saturating_add(1);
        }
    }

    fn into_metrics(self, paths: &Paths<'_>, size_bytes: u64, user_size_bytes: u64) -> DiveMetrics {
        let mut min_sum: u64 = 0;
        let mut cumulative_sum: u64 = 0;
        let mut inefficient: Vec<(usize, &PathStats)> = Vec::new();
        for (path, entry) in self.stats.iter().enumerate() {
            if entry.count == 0 {
                continue;
            }
            min_sum = min_sum.saturating_add(entry.min);
            cumulative_sum = cumulative_sum.saturating_add(entry.cumulative);
            if entry.count >= 2 {
                inefficient.push((path, entry));
            }
        }
        inefficient.sort_unstable_by(|a, b| {
            b.1.cumulative
                .cmp(&a.1.cumulative)
                .then(b.1.inefficient_seq.cmp(&a.1.inefficient_seq))
        });
        let wasted_bytes = inefficient
            .iter()
            .fold(0u64, |sum, (_, entry)| sum.saturating_add(entry.cumulative));

        #[allow(
            clippy::cast_precision_loss,
            reason = "dive converts its int64 sums to float64 the same way"
        )]
        let efficiency = if cumulative_sum == 0 {
            1.0
        } else {
            min_sum as f64 / cumulative_sum as f64
        };
        #[allow(
            clippy::cast_precision_loss,
            reason = "dive converts its uint64 sums to float64 the same way"
        )]
        let user_wasted_percent = match (wasted_bytes, user_size_bytes) {
            (0, 0) => None,
            (_, 0) => Some(f64::INFINITY),
            (wasted, user) => Some(wasted as f64 / user as f64),
        };

        let inefficient_files = inefficient
            .into_iter()
            .map(|(path, entry)| {
                let path = paths.path(id(path));
                let mut slashed = Vec::with_capacity(path.len() + 1);
                slashed.push(b'/');
                slashed.extend_from_slice(&path);
                InefficientFile {
                    path: slashed,
                    count: entry.count,
                    wasted_bytes: entry.cumulative,
                }
            })
            .collect();
        DiveMetrics {
            efficiency,
            wasted_bytes,
            user_wasted_percent,
            size_bytes,
            inefficient_files,
        }
    }
}

/// One node of one layer's tree, as dive would have built it.
struct LayerNode {
    /// The path's id; for a whiteout, the whited-out path's (dive's `Path()`
    /// strips `.wh.`).
    path: Id,
    /// The node of the parent directory in this layer (`NONE` at the top),
    /// and in its top bits the flags below.
    parent_flags: u32,
    size: u64,
}

const WHITEOUT: u32 = 1 << 31;
const IS_DIR: u32 = 1 << 30;
const HAS_CHILDREN: u32 = 1 << 29;
const FLAGS: u32 = WHITEOUT | IS_DIR | HAS_CHILDREN;
/// A layer tree's `NONE` parent, as stored beside the flags.
const TOP: u32 = !FLAGS;

impl LayerNode {
    fn new(path: Id, whiteout: bool, is_dir: bool, has_children: bool, size: u64) -> Self {
        let mut node = LayerNode {
            path,
            parent_flags: TOP,
            size,
        };
        node.set(WHITEOUT, whiteout);
        node.set(IS_DIR, is_dir);
        node.set(HAS_CHILDREN, has_children);
        node
    }
    fn set(&mut self, flag: u32, on: bool) {
        if on {
            self.parent_flags |= flag;
        } else {
            self.parent_flags &= !flag;
        }
    }
    fn parent(&self) -> Id {
        match self.parent_flags & !FLAGS {
            TOP => NONE,
            p => p,
        }
    }
    fn set_parent(&mut self, parent: Id) {
        self.parent_flags = (self.parent_flags & FLAGS) | parent;
    }
    fn whiteout(&self) -> bool {
        self.parent_flags & WHITEOUT != 0
    }
    fn is_dir(&self) -> bool {
        self.parent_flags & IS_DIR != 0
    }
    fn has_children(&self) -> bool {
        self.parent_flags & HAS_CHILDREN != 0
    }
}

struct LayerTree {
    nodes: Vec<LayerNode>,
    /// Sum of every entry's size, repeats included, like dive's `FileSize`.
    size: u64,
}

impl LayerTree {
    /// Builds the layer's tree, interning its paths: linear in its path bytes.
    fn build<'a>(entries: impl IntoIterator<Item = DiveEntry<'a>>, paths: &mut Paths<'a>) -> Self {
        let entries = entries.into_iter();
        let hint = entries.size_hint();
        let mut nodes: Vec<LayerNode> = Vec::with_capacity(hint.1.unwrap_or(hint.0));
        let mut size: u64 = 0;
        for entry in entries {
            if entry.path.is_empty() {
                continue;
            }
            size = size.saturating_add(entry.size);
            let whiteout = entry.kind == DiveKind::Whiteout;
            let is_dir = entry.kind == DiveKind::Dir;
            let path = paths.intern(entry.path);
            let slot = &mut paths.nodes[path as usize].in_layer[usize::from(whiteout)];
            if *slot != NONE {
                // Its parents are already in place; the last copy wins, as in dive's AddPath.
                let node = &mut nodes[*slot as usize];
                node.size = entry.size;
                node.set(IS_DIR, is_dir);
                continue;
            }
            *slot = id(nodes.len());
            nodes.push(LayerNode::new(path, whiteout, is_dir, false, entry.size));
            // Every node's ancestors are present, so stop at the first one
            // found; the ones missing become implied nodes.
            let mut child = nodes.len() - 1;
            let mut up = paths.parent(path);
            while up != ROOT {
                let slot = &mut paths.nodes[up as usize].in_layer[0];
                if *slot != NONE {
                    nodes[*slot as usize].set(HAS_CHILDREN, true);
                    nodes[child].set_parent(*slot);
                    break;
                }
                *slot = id(nodes.len());
                let next = id(nodes.len());
                nodes[child].set_parent(next);
                child = nodes.len();
                nodes.push(LayerNode::new(up, false, false, true, 0));
                up = paths.parent(up);
            }
        }
        for node in &nodes {
            paths.nodes[node.path as usize].in_layer[usize::from(node.whiteout())] = NONE;
        }
        LayerTree { nodes, size }
    }

    /// Node indices in dive's `VisitDepthChildFirst` order: a post-order walk
    /// with each directory's children sorted by the names in the tar (`.wh.`
    /// included), ties in the order the nodes were made.
    fn visit_order(&self, paths: &Paths<'_>) -> Vec<Id> {
        let n = self.nodes.len();
        // Children grouped by parent, the top level last (parent `n`); each
        // group lists its nodes in index order before sorting.
        let group = |node: &LayerNode| match node.parent() {
            NONE => n,
            p => p as usize,
        };
        let mut starts = vec![0 as Id; n + 2];
        for node in &self.nodes {
            starts[group(node) + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        // Filled from each group's end, last node first: `starts[g + 1]`
        // counts down to group g's start, so afterwards group g spans
        // `starts[g + 1]..starts[g + 2]` (the top group ends at `n`); one
        // shift puts every group back at `starts[g]..starts[g + 1]`.
        let mut children = vec![0 as Id; n];
        for (i, node) in self.nodes.iter().enumerate().rev() {
            let at = &mut starts[group(node) + 1];
            *at -= 1;
            children[*at as usize] = id(i);
        }
        starts.copy_within(1.., 0);
        starts[n + 1] = id(n);
        for parent in 0..=n {
            children[starts[parent] as usize..starts[parent + 1] as usize]
                .sort_by(|&a, &b| self.raw_name_cmp(paths, a, b));
        }

        // Pre-order with the children taken last to first, reversed at the end.
        let mut order = Vec::with_capacity(n);
        let mut todo: Vec<usize> = (starts[n] as usize..starts[n + 1] as usize).collect();
        while let Some(at) = todo.pop() {
            let id = children[at];
            order.push(id);
            // A whiteout of `x` sorts with a directory literally named
            // `.wh.x`; made first, it comes right before that directory in
            // dive's order but after everything under it.
            if let Some(&before) = todo.last()
                && before + 1 == at
                && self.whiteout_named_like(paths, children[before], id)
            {
                todo.pop();
                order.push(children[before]);
            }
            todo.extend(starts[id as usize] as usize..starts[id as usize + 1] as usize);
        }
        order.reverse();
        order
    }

    /// Compares two nodes' names as written in the tar, without building them.
    fn raw_name_cmp(&self, paths: &Paths<'_>, a: Id, b: Id) -> Ordering {
        let (a, b) = (&self.nodes[a as usize], &self.nodes[b as usize]);
        let (a_name, b_name) = (paths.name(a.path), paths.name(b.path));
        match (a.whiteout(), b.whiteout()) {
            (true, false) => prefixed_cmp(WHITEOUT_PREFIX, a_name, b_name),
            (false, true) => prefixed_cmp(WHITEOUT_PREFIX, b_name, a_name).reverse(),
            _ => a_name.cmp(b_name),
        }
    }

    /// Whether `whiteout` is a whiteout of `x` and `node`, in the same
    /// directory, an entry named `.wh.x`.
    fn whiteout_named_like(&self, paths: &Paths<'_>, whiteout: Id, node: Id) -> bool {
        let (w, n) = (&self.nodes[whiteout as usize], &self.nodes[node as usize]);
        w.whiteout()
            && !n.whiteout()
            && w.parent() == n.parent()
            && paths.name(n.path).strip_prefix(WHITEOUT_PREFIX) == Some(paths.name(w.path))
    }
}

/// `prefix` followed by `name`, compared with `other` in Go's string order.
fn prefixed_cmp(prefix: &[u8], name: &[u8], other: &[u8]) -> Ordering {
    let shared = prefix.len().min(other.len());
    prefix[..shared].cmp(&other[..shared]).then_with(|| {
        if other.len() < prefix.len() {
            Ordering::Greater
        } else {
            name.cmp(&other[prefix.len()..])
        }
    })
}

/// One path in the stack of the layers applied so far.
struct StackNode {
    path: Id,
    /// Children as a list linked through `next_sibling`; it may hold removed
    /// nodes, which are skipped, never revived.
    first_child: Id,
    next_sibling: Id,
    /// Layer epoch for which `memo_sum` holds this subtree's size, and in
    /// the top bits whether the node is a directory and alive.
    memo_epoch_flags: u32,
    size: u64,
    memo_sum: u64,
}

const ALIVE: u32 = 1 << 31;
const STACK_DIR: u32 = 1 << 30;
const EPOCH: u32 = !(ALIVE | STACK_DIR);

impl StackNode {
    fn is_dir(&self) -> bool {
        self.memo_epoch_flags & STACK_DIR != 0
    }
    fn alive(&self) -> bool {
        self.memo_epoch_flags & ALIVE != 0
    }
    fn memo_epoch(&self) -> u32 {
        self.memo_epoch_flags & EPOCH
    }
    fn set_is_dir(&mut self, on: bool) {
        if on {
            self.memo_epoch_flags |= STACK_DIR;
        } else {
            self.memo_epoch_flags &= !STACK_DIR;
        }
    }
    fn kill(&mut self) {
        self.memo_epoch_flags &= !ALIVE;
    }
    fn set_memo(&mut self, epoch: u32, sum: u64) {
        self.memo_epoch_flags = (self.memo_epoch_flags & !EPOCH) | (epoch & EPOCH);
        self.memo_sum = sum;
    }
}

/// The merged tree of the layers below the one being walked, kept
/// incrementally: an arena of nodes, root at 0, and each path's live node.
/// A path removed and added again gets a new node.
struct Stack {
    nodes: Vec<StackNode>,
    /// By path id: the path's live node, or `NONE`.
    of_path: Vec<Id>,
    scratch: Vec<Id>,
}

impl Stack {
    fn with_capacity(paths: usize) -> Self {
        let mut nodes = Vec::with_capacity(paths + 1);
        nodes.push(StackNode {
            path: ROOT,
            first_child: NONE,
            next_sibling: NONE,
            memo_epoch_flags: ALIVE | STACK_DIR,
            size: 0,
            memo_sum: 0,
        });
        let mut of_path = Vec::with_capacity(paths + 1);
        of_path.push(0);
        Stack {
            nodes,
            of_path,
            scratch: Vec::new(),
        }
    }

    /// Makes room for every path interned so far.
    fn cover(&mut self, paths: usize) {
        self.of_path
            .reserve_exact(paths.saturating_sub(self.of_path.len()));
        self.of_path.resize(paths, NONE);
    }

    /// dive's `AddPath`: set the metadata, keep the children, create missing
    /// parents as implied nodes.
    fn set(&mut self, path: Id, is_dir: bool, size: u64, paths: &Paths<'_>) {
        let id = self.of_path[path as usize];
        if id != NONE {
            let node = &mut self.nodes[id as usize];
            node.set_is_dir(is_dir);
            node.size = size;
            return;
        }
        let mut missing = std::mem::take(&mut self.scratch);
        missing.clear();
        missing.push(path);
        // The root is always present.
        let mut up = paths.parent(path);
        while self.of_path[up as usize] == NONE {
            missing.push(up);
            up = paths.parent(up);
        }
        let mut parent = self.of_path[up as usize];
        for &new_path in missing.iter().rev() {
            let (node_is_dir, node_size) = if new_path == path {
                (is_dir, size)
            } else {
                (false, 0)
            };
            let new = self::id(self.nodes.len());
            let mut node = StackNode {
                path: new_path,
                first_child: NONE,
                next_sibling: self.nodes[parent as usize].first_child,
                memo_epoch_flags: ALIVE,
                size: node_size,
                memo_sum: 0,
            };
            node.set_is_dir(node_is_dir);
            self.nodes.push(node);
            self.nodes[parent as usize].first_child = new;
            self.of_path[new_path as usize] = new;
            parent = new;
        }
        self.scratch = missing;
    }

    /// dive's `RemovePath`: the path and everything under it; absent paths are a no-op.
    fn remove(&mut self, path: Id) {
        let id = self.of_path[path as usize];
        if id == NONE {
            return;
        }
        self.of_path[path as usize] = NONE;
        self.nodes[id as usize].kill();
        let mut todo = std::mem::take(&mut self.scratch);
        todo.clear();
        todo.push(id);
        while let Some(current) = todo.pop() {
            let mut child = std::mem::replace(&mut self.nodes[current as usize].first_child, NONE);
            while child != NONE {
                let node = &mut self.nodes[child as usize];
                if node.alive() {
                    node.kill();
                    self.of_path[node.path as usize] = NONE;
                    todo.push(child);
                }
                child = node.next_sibling;
            }
        }
        self.scratch = todo;
    }

    /// Size of `id` plus everything under it, memoised for this epoch on
    /// every node it walks so nested whiteouts do not walk twice.
    fn subtree_sum(&mut self, id: Id, epoch: u32) -> u64 {
        if self.nodes[id as usize].memo_epoch() == epoch {
            return self.nodes[id as usize].memo_sum;
        }
        let mut todo = vec![(id, false)];
        while let Some((current, children_done)) = todo.pop() {
            if children_done {
                let mut sum = self.nodes[current as usize].size;
                let mut child = self.nodes[current as usize].first_child;
                while child != NONE {
                    let node = &self.nodes[child as usize];
                    if node.alive() {
                        sum = sum.saturating_add(node.memo_sum);
                    }
                    child = node.next_sibling;
                }
                self.nodes[current as usize].set_memo(epoch, sum);
                continue;
            }
            if self.nodes[current as usize].memo_epoch() == epoch {
                continue;
            }
            todo.push((current, true));
            let mut child = self.nodes[current as usize].first_child;
            while child != NONE {
                let node = &self.nodes[child as usize];
                if node.alive() && node.memo_epoch() != epoch {
                    todo.push((child, false));
                }
                child = node.next_sibling;
            }
        }
        self.nodes[id as usize].memo_sum
    }
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "dive's numbers are reproduced exactly, so tests compare exactly"
)]
mod tests {
    use super::*;

    fn file(path: &str, size: u64) -> DiveEntry<'_> {
        DiveEntry {
            path: path.as_bytes(),
            size,
            kind: DiveKind::NonDir,
        }
    }

    fn dir(path: &str) -> DiveEntry<'_> {
        DiveEntry {
            path: path.as_bytes(),
            size: 0,
            kind: DiveKind::Dir,
        }
    }

    fn whiteout(path: &str) -> DiveEntry<'_> {
        DiveEntry {
            path: path.as_bytes(),
            size: 0,
            kind: DiveKind::Whiteout,
        }
    }

    fn listed(metrics: &DiveMetrics) -> Vec<(String, u32, u64)> {
        metrics
            .inefficient_files
            .iter()
            .map(|f| {
                (
                    String::from_utf8_lossy(&f.path).into_owned(),
                    f.count,
                    f.wasted_bytes,
                )
            })
            .collect()
    }

    #[test]
    fn overwritten_file_counts_every_copy() {
        let layers = vec![vec![file("a", 100)], vec![file("a", 100)]];
        let m = compute(&layers);
        assert_eq!(m.efficiency, 0.5);
        assert_eq!(m.wasted_bytes, 200);
        assert_eq!(m.size_bytes, 200);
        assert_eq!(m.user_wasted_percent, Some(2.0));
        assert_eq!(listed(&m), vec![("/a".to_owned(), 2, 200)]);
    }

    #[test]
    fn dir_whiteout_sums_everything_under_it_below() {
        let layers = vec![
            vec![dir("d"), file("d/x", 10), dir("d/y"), file("d/y/z", 5)],
            vec![whiteout("d")],
            // An empty `d` is a leaf: its second contribution makes `d` inefficient.
            vec![dir("d")],
        ];
        let m = compute(&layers);
        // min: x 10 + z 5 + d 0; cumulative: x 10 + z 5 + d (15 + 0).
        assert_eq!(m.efficiency, 15.0 / 30.0);
        assert_eq!(listed(&m), vec![("/d".to_owned(), 2, 15)]);
        assert_eq!(m.wasted_bytes, 15);
    }

    #[test]
    fn dir_whiteout_alone_is_not_inefficient() {
        // The `rm -rf dir` dive does not see: one contribution only.
        let layers = vec![vec![dir("d"), file("d/x", 10)], vec![whiteout("d")]];
        let m = compute(&layers);
        assert_eq!(m.wasted_bytes, 0);
        assert!(m.inefficient_files.is_empty());
        assert_eq!(m.efficiency, 1.0);
        assert_eq!(m.user_wasted_percent, None);
    }

    #[test]
    fn file_whiteout_contributes_zero() {
        let layers = vec![vec![file("f", 50)], vec![whiteout("f")]];
        let m = compute(&layers);
        assert_eq!(m.efficiency, 0.0);
        assert_eq!(listed(&m), vec![("/f".to_owned(), 2, 50)]);
        assert_eq!(m.user_wasted_percent, Some(f64::INFINITY));
    }

    #[test]
    fn single_layer_has_no_user_wasted_percent() {
        let layers = vec![vec![dir("etc"), file("etc/passwd", 30)]];
        let m = compute(&layers);
        assert_eq!(m.user_wasted_percent, None);
        assert_eq!(m.efficiency, 1.0);
        assert_eq!(m.size_bytes, 30);
    }

    #[test]
    fn empty_image_is_fully_efficient() {
        let m = compute(&[]);
        assert_eq!(m.efficiency, 1.0);
        assert_eq!(m.wasted_bytes, 0);
        assert_eq!(m.size_bytes, 0);
        assert_eq!(m.user_wasted_percent, None);
        assert!(m.inefficient_files.is_empty());
        let m = compute(&[Vec::new(), Vec::new()]);
        assert_eq!(m.efficiency, 1.0);
        assert_eq!(m.user_wasted_percent, None);
    }

    #[test]
    fn whiteout_of_missing_path_does_not_stop_the_walk() {
        // `.wh.ghost` is visited before `a`; dive 0.13.1 would stop there.
        let layers = vec![vec![file("a", 10)], vec![whiteout("ghost"), file("a", 10)]];
        let m = compute(&layers);
        assert_eq!(listed(&m), vec![("/a".to_owned(), 2, 20)]);
        assert_eq!(m.efficiency, 0.5);
    }

    #[test]
    fn whiteout_in_base_layer_deletes_nothing() {
        let layers = vec![vec![whiteout("x"), file("x", 7)]];
        let m = compute(&layers);
        assert_eq!(m.efficiency, 1.0);
        assert!(m.inefficient_files.is_empty());
    }

    #[test]
    fn implied_parent_resets_a_directory_so_its_whiteout_counts_zero() {
        // dive's AddPath gives an implied parent an empty FileInfo: not a dir.
        let layers = vec![
            vec![dir("d"), file("d/f", 10)],
            vec![file("d/g", 1)],
            vec![whiteout("d")],
            vec![dir("d")],
        ];
        let m = compute(&layers);
        assert_eq!(listed(&m), vec![("/d".to_owned(), 2, 0)]);
    }

    #[test]
    fn whiteout_and_recreate_in_one_layer() {
        let layers = vec![
            vec![dir("d"), file("d/x", 10)],
            // `.wh.d` sorts before `d`, so dive removes first, then re-adds.
            vec![whiteout("d"), dir("d"), file("d/y", 3)],
            vec![whiteout("d"), dir("d")],
        ];
        let m = compute(&layers);
        // d: 10 (layer 1) + 3 (layer 2, only y survived) + 0 (empty `d` leaf in layer 2).
        assert_eq!(listed(&m), vec![("/d".to_owned(), 3, 13)]);
    }

    #[test]
    fn a_refilled_directory_never_reuses_its_removed_node() {
        // Adding `a/y` caches `a` as the last parent; the whiteout removes
        // it, so `a/z` must go under a fresh `a`, whose whiteout in layer 3
        // then sums 11 (12 for the first `a`, 11 for the second).
        let layers = vec![
            vec![dir("a"), file("a/x", 5), file("a/y", 7)],
            vec![whiteout("a"), dir("a"), file("a/z", 11)],
            vec![whiteout("a")],
        ];
        let m = compute(&layers);
        assert_eq!(listed(&m), vec![("/a".to_owned(), 2, 23)]);
        assert_eq!(m.size_bytes, 23);
    }

    #[test]
    fn ties_come_out_in_reverse_order_of_becoming_inefficient() {
        let layers = vec![
            vec![file("a", 5), file("b", 5), file("c", 9)],
            // Visited a, b, c: `a` becomes inefficient first.
            vec![file("b", 5), file("a", 5), file("c", 1)],
        ];
        let m = compute(&layers);
        assert_eq!(
            listed(&m),
            vec![
                ("/c".to_owned(), 2, 10),
                ("/b".to_owned(), 2, 10),
                ("/a".to_owned(), 2, 10),
            ]
        );
    }

    #[test]
    fn visit_order_is_children_first_by_name_bytes() {
        let entries = [
            file("a-b", 0),
            dir("a"),
            file("a/x", 0),
            whiteout("a/y"),
            file("a/.wh", 0),
            file("b", 0),
        ];
        let mut paths = Paths::with_capacity(0);
        let tree = LayerTree::build(entries.iter().copied(), &mut paths);
        let order: Vec<String> = tree
            .visit_order(&paths)
            .into_iter()
            .map(|i| {
                String::from_utf8_lossy(&raw_name(&paths, &tree.nodes[i as usize])).into_owned()
            })
            .collect();
        assert_eq!(order, ["a/.wh", "a/.wh.y", "a/x", "a", "a-b", "b"]);
    }

    #[test]
    fn repeated_entry_keeps_the_last_copy_but_counts_both_in_layer_size() {
        let layers = vec![vec![file("a", 4), file("a", 6)], vec![file("b", 1)]];
        let m = compute(&layers);
        assert_eq!(m.size_bytes, 11);
        assert_eq!(m.efficiency, 1.0);
        let layers = vec![vec![file("a", 4), file("a", 6)], vec![file("a", 1)]];
        assert_eq!(listed(&compute(&layers)), vec![("/a".to_owned(), 2, 7)]);
    }

    #[test]
    fn non_utf8_paths_are_kept_as_bytes() {
        let name: &[u8] = b"caf\xe9";
        let entry = DiveEntry {
            path: name,
            size: 3,
            kind: DiveKind::NonDir,
        };
        let m = compute(&[vec![entry], vec![entry]]);
        assert_eq!(m.inefficient_files[0].path, b"/caf\xe9".to_vec());
    }

    #[test]
    fn deep_trees_and_nested_whiteouts_stay_linear() {
        const DEPTH: usize = 3_000;
        let mut path = String::from("d");
        let mut paths = vec![path.clone()];
        for _ in 1..DEPTH {
            path.push_str("/d");
            paths.push(path.clone());
        }
        let mut base: Vec<DiveEntry<'_>> = paths.iter().map(|p| dir(p)).collect();
        base.push(DiveEntry {
            path: b"leaf",
            size: 1,
            kind: DiveKind::NonDir,
        });
        let deepest = format!("{path}/f");
        base.push(file(&deepest, 2));
        // Every level whited out in one layer: memoised sums keep this linear.
        let upper: Vec<DiveEntry<'_>> = paths.iter().map(|p| whiteout(p)).collect();
        let m = compute(&[base, upper]);
        // `d` is whited out with everything under it: 2 bytes.
        assert_eq!(m.size_bytes, 3);
        assert!(m.inefficient_files.is_empty());
        // Σ min = 1 + 2 + 2 (d) + 2 per nested whiteout; Σ cumulative the same.
        assert_eq!(m.efficiency, 1.0);
    }

    #[test]
    fn removing_and_readding_in_later_layers_stays_consistent() {
        // `t` is listed in every layer, as docker does, so it stays a directory.
        let layers = vec![
            vec![dir("t"), file("t/a", 1)],
            vec![dir("t"), whiteout("t/a")],
            vec![dir("t"), file("t/a", 2)],
            vec![whiteout("t")],
        ];
        let m = compute(&layers);
        // t/a: 1 + 0 + 2 = 3 (count 3); t: whiteout sums only the live t/a (2).
        assert_eq!(listed(&m), vec![("/t/a".to_owned(), 3, 3)]);
        assert_eq!(m.efficiency, 2.0 / 5.0);
    }

    #[test]
    fn one_path_100_000_directories_deep_stays_linear() {
        // Quadratic work here (hashing every ancestor's whole path) would
        // make the test suite crawl: 100 000 levels, a 200 KB path.
        const DEPTH: usize = 100_000;
        let mut deep = b"x/".to_vec();
        for _ in 0..DEPTH {
            deep.extend_from_slice(b"d/");
        }
        deep.push(b'f');
        let entry = |size| DiveEntry {
            path: &deep,
            size,
            kind: DiveKind::NonDir,
        };
        let layers = vec![
            vec![dir("x"), entry(5)],
            vec![whiteout("x")],
            vec![entry(7)],
        ];
        let m = compute(&layers);
        // f: 5 + 7 (count 2); x: its whiteout sums the 5 bytes under it.
        assert_eq!(m.size_bytes, 12);
        assert_eq!(m.efficiency, 10.0 / 17.0);
        assert_eq!(m.wasted_bytes, 12);
        assert_eq!(m.user_wasted_percent, Some(12.0 / 7.0));
        assert_eq!(m.inefficient_files.len(), 1);
        let listed = &m.inefficient_files[0];
        assert_eq!((listed.count, listed.wasted_bytes), (2, 12));
        assert_eq!(listed.path[0], b'/');
        assert_eq!(listed.path[1..], deep[..]);
    }

    #[test]
    fn interning_resumes_from_any_previous_directory() {
        let all: [&[u8]; 14] = [
            b"a/b/c",
            b"a/b",
            b"a/bc/d",
            b"a/b/c/d/e",
            b"a/b/x",
            b"a",
            b"a//x",
            b"a//y/z",
            b"a/",
            b"/x",
            b"/y/z",
            b"x",
            b"caf\xe9/\xff",
            b"a/b/c/d/e",
        ];
        let distinct_prefixes = |list: &[&[u8]]| {
            let mut prefixes: Vec<&[u8]> = Vec::new();
            for path in list {
                prefixes.push(path);
                prefixes.extend(
                    path.iter()
                        .enumerate()
                        .filter(|&(_, &b)| b == b'/')
                        .map(|(i, _)| &path[..i]),
                );
            }
            prefixes.sort_unstable();
            prefixes.dedup();
            prefixes.len()
        };
        let mut order: Vec<&[u8]> = all.to_vec();
        for round in 0..all.len() {
            order.rotate_left(1);
            if round % 2 == 1 {
                order.reverse();
            }
            let mut paths = Paths::with_capacity(0);
            let ids: Vec<Id> = order.iter().map(|p| paths.intern(p)).collect();
            for (&path, &id) in order.iter().zip(&ids) {
                assert_eq!(paths.path(id), path);
                assert_eq!(paths.intern(path), id, "{path:?} interned again");
                let parent = paths.path(paths.parent(id));
                let name = paths.name(id);
                if paths.parent(id) == ROOT {
                    assert_eq!(name, path);
                } else {
                    assert_eq!([&parent[..], b"/", name].concat(), path);
                }
            }
            // The root plus one node per distinct path or directory prefix.
            assert_eq!(paths.len(), 1 + distinct_prefixes(&order), "{order:?}");
        }
    }

    #[test]
    fn visit_order_matches_sorting_whole_paths() {
        // Names chosen to collide: prefixes of each other, '-' below '/' +1,
        // a literal `.wh.x` directory beside a whiteout of `x`, empty
        // components and non-UTF-8 bytes.
        let names: [&[u8]; 9] = [
            b"x", b"x-", b"xy", b".wh.x", b".wh", b"", b"\xff", b"a", b"x.y",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |below: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % below as u64).expect("small")
        };
        for _ in 0..400 {
            let mut owned: Vec<(Vec<u8>, DiveKind)> = Vec::new();
            for _ in 0..=next(24) {
                let mut path = Vec::new();
                for depth in 0..=next(4) {
                    if depth > 0 {
                        path.push(b'/');
                    }
                    path.extend_from_slice(names[next(names.len())]);
                }
                if path.is_empty() {
                    continue;
                }
                let kind = [DiveKind::Dir, DiveKind::NonDir, DiveKind::Whiteout][next(3)];
                owned.push((path, kind));
            }
            let entries: Vec<DiveEntry<'_>> = owned
                .iter()
                .map(|(path, kind)| DiveEntry {
                    path,
                    size: 0,
                    kind: *kind,
                })
                .collect();
            let mut paths = Paths::with_capacity(0);
            let tree = LayerTree::build(entries.iter().copied(), &mut paths);
            let raw: Vec<Vec<u8>> = tree.nodes.iter().map(|n| raw_name(&paths, n)).collect();
            let mut expected: Vec<Id> = (0..id(tree.nodes.len())).collect();
            expected.sort_by(|&a, &b| child_first_cmp(&raw[a as usize], &raw[b as usize]));
            let show = |order: &[Id]| -> Vec<String> {
                order
                    .iter()
                    .map(|&i| String::from_utf8_lossy(&raw[i as usize]).into_owned())
                    .collect()
            };
            let got = tree.visit_order(&paths);
            assert_eq!(show(&got), show(&expected), "{owned:?}");
            assert_eq!(got, expected, "{owned:?}");
        }
    }

    /// The node's path as named in the tar (`.wh.` before a whiteout's name).
    fn raw_name(paths: &Paths<'_>, node: &LayerNode) -> Vec<u8> {
        let path = paths.path(node.path);
        if !node.whiteout() {
            return path;
        }
        let name_start = path.len() - paths.name(node.path).len();
        [&path[..name_start], WHITEOUT_PREFIX, &path[name_start..]].concat()
    }

    /// The order this module used to get by sorting whole raw paths: '/'
    /// ranks below every other byte, and a path sorts after its descendants.
    fn child_first_cmp(a: &[u8], b: &[u8]) -> Ordering {
        let rank = |byte: u8| if byte == b'/' { 0 } else { u16::from(byte) + 1 };
        if let Some(i) = first_difference(a, b) {
            return rank(a[i]).cmp(&rank(b[i]));
        }
        match a.len().cmp(&b.len()) {
            Ordering::Equal => Ordering::Equal,
            Ordering::Less if b[a.len()] == b'/' => Ordering::Greater,
            Ordering::Less => Ordering::Less,
            Ordering::Greater if a[b.len()] == b'/' => Ordering::Less,
            Ordering::Greater => Ordering::Greater,
        }
    }

    // ---- dive's own exports for the fixture images ----

    /// The fixtures sit beside the repo, never in it; a fresh clone skips.
    fn fixture_dir() -> Option<std::path::PathBuf> {
        let candidates = [
            std::env::var_os("DIVE_FIXTURES_DIR").map(std::path::PathBuf::from),
            Some(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../shared/fixtures/dive/dive-0.13.1-json"),
            ),
        ];
        candidates.into_iter().flatten().find(|dir| dir.is_dir())
    }

    /// A layer's `fileList` as owned (path, size, kind) triples.
    fn fixture_layer(layer: &serde_json::Value) -> Vec<(Vec<u8>, u64, DiveKind)> {
        let list = layer["fileList"].as_array().expect("fileList");
        let mut out = Vec::new();
        for item in list {
            let path = item["path"].as_str().expect("path");
            let size = item["size"].as_u64().expect("size");
            let (dir, base) = match path.rfind('/') {
                Some(i) => (&path[..=i], &path[i + 1..]),
                None => ("", path),
            };
            if base.starts_with(".wh..wh.") {
                continue;
            }
            if let Some(name) = base.strip_prefix(".wh.") {
                out.push((
                    format!("{dir}{name}").into_bytes(),
                    size,
                    DiveKind::Whiteout,
                ));
                continue;
            }
            let kind = if item["isDir"].as_bool().expect("isDir") {
                DiveKind::Dir
            } else {
                DiveKind::NonDir
            };
            out.push((path.as_bytes().to_vec(), size, kind));
        }
        out
    }

    /// `efficiencyScore` parsed from its text: `serde_json` without its
    /// `float_roundtrip` feature can be one ULP off, and the comparison is exact.
    fn raw_efficiency_score(path: &std::path::Path) -> f64 {
        let text = std::fs::read_to_string(path).expect("read fixture");
        let key = "\"efficiencyScore\":";
        let start = text.find(key).expect("efficiencyScore") + key.len();
        let number = text[start..]
            .trim_start()
            .split([',', '\n', '}'])
            .next()
            .expect("number");
        number.trim().parse().expect("float")
    }

    fn load_fixture(path: &std::path::Path) -> (serde_json::Value, DiveMetrics) {
        let text = std::fs::read_to_string(path).expect("read fixture");
        let export: serde_json::Value = serde_json::from_str(&text).expect("parse fixture");
        let owned: Vec<Vec<(Vec<u8>, u64, DiveKind)>> = export["layer"]
            .as_array()
            .expect("layer")
            .iter()
            .map(fixture_layer)
            .collect();
        let layers: Vec<Vec<DiveEntry<'_>>> = owned
            .iter()
            .map(|layer| {
                layer
                    .iter()
                    .map(|(path, size, kind)| DiveEntry {
                        path,
                        size: *size,
                        kind: *kind,
                    })
                    .collect()
            })
            .collect();
        let metrics = compute(&layers);
        (export, metrics)
    }

    #[test]
    fn matches_dive_exports_for_every_fixture() {
        let Some(dir) = fixture_dir() else {
            eprintln!(
                "skipped: dive fixtures not found (set DIVE_FIXTURES_DIR or place ../shared beside the repo)"
            );
            return;
        };
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .expect("list fixtures")
            .map(|entry| entry.expect("dir entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        paths.sort();
        assert!(!paths.is_empty(), "no fixtures in {}", dir.display());
        for path in &paths {
            let name = path.display();
            let (export, m) = load_fixture(path);
            let image = &export["image"];
            let expected_efficiency = raw_efficiency_score(path);
            assert_eq!(m.efficiency, expected_efficiency, "{name}");
            assert_eq!(
                m.wasted_bytes,
                image["inefficientBytes"].as_u64().expect("wasted"),
                "{name}"
            );
            assert_eq!(
                m.size_bytes,
                image["sizeBytes"].as_u64().expect("size"),
                "{name}"
            );
            let expected: Vec<(String, u32, u64)> = image["fileReference"]
                .as_array()
                .expect("fileReference")
                .iter()
                .map(|r| {
                    (
                        r["file"].as_str().expect("file").to_owned(),
                        u32::try_from(r["count"].as_u64().expect("count")).expect("u32"),
                        r["sizeBytes"].as_u64().expect("sizeBytes"),
                    )
                })
                .collect();
            assert_eq!(listed(&m), expected, "{name}");
        }
    }

    #[test]
    fn user_wasted_percent_matches_dive_ci_text() {
        let Some(dir) = fixture_dir() else {
            eprintln!("skipped: dive fixtures not found");
            return;
        };
        for (file_name, expected) in [
            ("test-docker-image.json", "48.3491"),
            ("test-kaniko-image.json", "48.8450"),
        ] {
            let (_, m) = load_fixture(&dir.join(file_name));
            let uwp = m.user_wasted_percent.expect("multi-layer image");
            assert_eq!(format!("{:.4}", uwp * 100.0), expected, "{file_name}");
        }
        let (_, m) = load_fixture(&dir.join("test-oci-gzip-image.json"));
        assert_eq!(m.user_wasted_percent, None);
    }
}
