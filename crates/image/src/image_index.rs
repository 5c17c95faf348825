//! One loaded image: its metadata, every layer's index and the merged tree,
//! with the final tree's sizes materialised once.

use crate::archive::{self, ImageMeta, Input, LoadOptions};
use crate::error::LoadError;
use crate::index::budget::Budget;
use crate::index::layer::{IndexOptions, LayerIndex, index_layer_within};
use crate::index::tree::{MergedTree, NodeId, State, merge_shared};

/// Everything the rest of ballast reads about one image.
pub struct ImageIndex {
    pub meta: ImageMeta,
    pub layers: Vec<LayerIndex>,
    pub tree: MergedTree,
    /// Sizes after the last layer, by node. The report, the findings, the
    /// package attribution and every presenter read the final tree; walking
    /// every node's version history for it costs as much as the merge on a
    /// 300k-file image, so it is computed here, once.
    final_sizes: Vec<u64>,
}

/// Loads the image and indexes every layer (the per-layer half of the
/// pipeline; [`ImageIndex::merge`] is the other half). A layer `reuse`
/// returns an index for (by diff_id, known from the config before any
/// layer is read) is not read again: `ballast diff` indexes shared layers
/// once.
pub fn load_layers(
    input: &Input,
    load: &LoadOptions,
    index: IndexOptions,
    reuse: &(dyn Fn(&str) -> Option<LayerIndex> + Sync),
) -> Result<(ImageMeta, Vec<LayerIndex>), LoadError> {
    // One budget for all the layers: together they must fit.
    let budget = Budget::new(index.max_entries);
    archive::load_reusing(input, load, reuse, |stream| {
        index_layer_within(stream, index, &budget)
    })
}

impl ImageIndex {
    /// Merges the indexed layers into one tree. `beside` runs on another
    /// core while the merge, which cannot use two, runs: work that needs only
    /// the layers (dive's metrics) costs no wall time there.
    pub fn merge<T: Send>(
        meta: ImageMeta,
        mut layers: Vec<LayerIndex>,
        beside: impl FnOnce(&[LayerIndex]) -> T + Send,
    ) -> (ImageIndex, T) {
        let ((tree, link_hashes), extra) =
            rayon::join(|| merge_shared(&layers), || beside(&layers));
        link_hashes.apply(&mut layers);
        let final_sizes = match layers.len().checked_sub(1) {
            Some(last) => tree.sizes_at(&layers, last),
            None => vec![0; tree.node_count()],
        };
        (
            ImageIndex {
                meta,
                layers,
                tree,
                final_sizes,
            },
            extra,
        )
    }

    /// The index of the last layer, `None` for an image with no layers.
    pub fn last_layer(&self) -> Option<usize> {
        self.layers.len().checked_sub(1)
    }

    /// Content bytes under each node in the final image (directories sum
    /// their contents; absent nodes are zero).
    pub fn final_sizes(&self) -> &[u64] {
        &self.final_sizes
    }

    /// Content bytes of the final image.
    pub fn final_size(&self) -> u64 {
        self.final_sizes.first().copied().unwrap_or(0)
    }

    /// The node as it stands after `layer`, if present.
    pub fn state_at(&self, id: NodeId, layer: usize) -> Option<State<'_>> {
        self.tree.state_at(&self.layers, id, layer)
    }

    /// Sizes by node as they stand after `layer`; the final layer's are
    /// the cached ones.
    pub fn sizes_at(&self, layer: usize) -> Vec<u64> {
        if Some(layer) == self.last_layer() {
            self.final_sizes.clone()
        } else {
            self.tree.sizes_at(&self.layers, layer)
        }
    }

    /// Calls `f(path, node, state)` for every node of the final image,
    /// parents first.
    pub fn walk_final<'a>(&'a self, f: impl FnMut(&[u8], NodeId, State<'a>)) {
        if let Some(last) = self.last_layer() {
            self.tree.walk_present(&self.layers, last, f);
        }
    }
}
