//! Directory sizes for the selected step, without a pass over the whole tree
//! per step. [`SizeCursor`] holds the sizes after one layer and moves to
//! another by applying (or undoing) only what the layers in between changed:
//! each changed path's size difference, added to it and its ancestors. One
//! step down the list costs that step's changes, not the image's file count.
//! Layers already visited are kept (within a memory budget), so going back
//! to one costs a copy.

use crate::index::layer::LayerIndex;
use crate::index::tree::{MergedTree, NodeId, ROOT, Version};

/// Memory for remembered layers' sizes (8 bytes per node per layer).
const CACHE_BUDGET_BYTES: usize = 256 << 20;

/// Aggregated sizes (as [`MergedTree::sizes_at`] computes them) at a layer.
pub struct SizeCursor {
    layer: usize,
    sizes: Vec<u64>,
    /// Sizes of layers visited before, by layer.
    cache: Vec<Option<Vec<u64>>>,
    cached_bytes: usize,
}

impl SizeCursor {
    /// Starts from sizes already computed for `layer`.
    pub fn new(sizes: Vec<u64>, layer: usize) -> SizeCursor {
        SizeCursor {
            layer,
            sizes,
            cache: Vec::new(),
            cached_bytes: 0,
        }
    }

    pub fn layer(&self) -> usize {
        self.layer
    }

    pub fn sizes(&self) -> &[u64] {
        &self.sizes
    }

    pub fn move_to(&mut self, tree: &MergedTree, layers: &[LayerIndex], target: usize) {
        let target = target.min(tree.layer_count().saturating_sub(1));
        if target == self.layer {
            return;
        }
        self.cache.resize_with(tree.layer_count(), || None);
        let bytes = self.sizes.len() * std::mem::size_of::<u64>();
        if self.cache[self.layer].is_none() && self.cached_bytes + bytes <= CACHE_BUDGET_BYTES {
            self.cache[self.layer] = Some(self.sizes.clone());
            self.cached_bytes += bytes;
        }
        // Start from whichever known layer is fewest changes away.
        let cost = |from: usize| {
            let (lo, hi) = if from < target {
                (from, target)
            } else {
                (target, from)
            };
            (lo + 1..=hi)
                .map(|l| tree.layer_versions(l).len())
                .sum::<usize>()
        };
        let best = (0..self.cache.len())
            .filter(|&l| self.cache[l].is_some())
            .min_by_key(|&l| cost(l));
        if let Some(b) = best
            && cost(b) < cost(self.layer)
            && let Some(c) = &self.cache[b]
        {
            self.sizes.copy_from_slice(c);
            self.layer = b;
        }
        while self.layer < target {
            self.layer += 1;
            apply(&mut self.sizes, tree, layers, self.layer, true);
        }
        while self.layer > target {
            apply(&mut self.sizes, tree, layers, self.layer, false);
            self.layer -= 1;
        }
    }
}

/// Content bytes a version contributes: a present entry's size.
fn own(layers: &[LayerIndex], v: &Version) -> u64 {
    if !v.present {
        return 0;
    }
    v.entry_index()
        .and_then(|e| layers.get(v.layer as usize)?.entries.get(e))
        .map_or(0, |e| e.size)
}

/// Adds (or, undoing, subtracts) what `layer` changed.
fn apply(sizes: &mut [u64], tree: &MergedTree, layers: &[LayerIndex], layer: usize, forward: bool) {
    let versions = tree.versions();
    for v in tree.layer_versions(layer) {
        let new = own(layers, v);
        let old = versions.get(v.prev as usize).map_or(0, |p| own(layers, p));
        if new == old {
            continue;
        }
        let (add, amount) = match (new > old, forward) {
            (up, true) => (up, new.abs_diff(old)),
            (up, false) => (!up, new.abs_diff(old)),
        };
        add_up(sizes, tree, v.node, amount, add);
    }
}

fn add_up(sizes: &mut [u64], tree: &MergedTree, node: NodeId, amount: u64, add: bool) {
    let mut n = node;
    loop {
        if let Some(s) = sizes.get_mut(n as usize) {
            *s = if add {
                s.wrapping_add(amount)
            } else {
                s.wrapping_sub(amount)
            };
        }
        if n == ROOT {
            break;
        }
        n = tree.node(n).parent;
    }
}

/// Directory sizes counting only `files` (the paths a filter matched):
/// each file's size from `size`, rolled up to its ancestors, so a filtered
/// tree shows the matching bytes. Costs the files times path depth.
pub fn subset_sizes(
    tree: &MergedTree,
    files: impl Iterator<Item = NodeId>,
    size: impl Fn(NodeId) -> u64,
    out: &mut Vec<u64>,
) {
    out.clear();
    out.resize(tree.node_count(), 0);
    for n in files {
        let s = size(n);
        if s > 0 {
            add_up(out, tree, n, s, true);
        }
    }
}

/// Bytes one layer itself wrote under each node (its step's own size),
/// rolled up to the ancestors. Costs the layer's changes times path depth.
pub fn layer_sizes(tree: &MergedTree, layers: &[LayerIndex], layer: usize, out: &mut Vec<u64>) {
    out.clear();
    out.resize(tree.node_count(), 0);
    if layer >= tree.layer_count() {
        return;
    }
    for v in tree.layer_versions(layer) {
        let s = own(layers, v);
        if s > 0 {
            add_up(out, tree, v.node, s, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Input;

    fn sample() -> crate::Analysis {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sample-images/ml-mistakes.docker.tar"
        );
        crate::run_pipeline(&Input::parse(path), &crate::Options::default()).expect("sample loads")
    }

    #[test]
    fn cursor_matches_a_full_recount_at_every_layer_in_any_order() {
        let a = sample();
        let n = a.image.tree.layer_count();
        let last = n - 1;
        let mut c = SizeCursor::new(a.image.tree.sizes_at(&a.image.layers, last), last);
        let order = [0, last, 3, 2, 7, 1, last, 0];
        for l in order.iter().copied().chain(0..n) {
            let l = l.min(last);
            c.move_to(&a.image.tree, &a.image.layers, l);
            assert_eq!(c.layer(), l);
            assert_eq!(
                c.sizes(),
                a.image.tree.sizes_at(&a.image.layers, l).as_slice(),
                "layer {l}"
            );
        }
    }

    #[test]
    fn layer_sizes_sum_to_the_layer_content() {
        let a = sample();
        let mut out = Vec::new();
        for l in 0..a.image.tree.layer_count() {
            layer_sizes(&a.image.tree, &a.image.layers, l, &mut out);
            assert_eq!(
                out[ROOT as usize],
                a.image.layers[l].content_bytes(),
                "layer {l}"
            );
        }
    }
}
