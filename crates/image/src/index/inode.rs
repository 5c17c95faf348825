//! Hard links as the runtime stores them: every name of a hard link is the
//! same inode, and the inode's content stays as long as any name does. A
//! link whose original name a later layer deletes or replaces still holds
//! the bytes the container sees, so sizes count content once per inode: at
//! the original name while it is present, else at the first of its links
//! (in merge order) that still is.

use std::collections::HashMap;

use super::layer::{EntryKind, LayerIndex};
use super::tree::{MergedTree, NodeId, Version};

/// (layer, entry) of a layer entry.
type EntryRef = (u32, u32);

/// A name in the tree as one version wrote it: (node, layer, entry).
type Name = (NodeId, u32, u32);

#[derive(Debug, Default)]
pub struct Inodes {
    /// A hard link's entry → the regular-file entry whose inode it names.
    of_link: HashMap<EntryRef, EntryRef>,
    /// A file entry → the node it was written at and the links naming it
    /// (node, layer, entry), in merge order.
    links: HashMap<EntryRef, (NodeId, Vec<Name>)>,
}

impl Inodes {
    pub(super) fn add_link(
        &mut self,
        inode: (EntryRef, NodeId),
        node: NodeId,
        layer: u32,
        entry: u32,
    ) {
        let (file, file_node) = inode;
        self.of_link.insert((layer, entry), file);
        self.links
            .entry(file)
            .or_insert_with(|| (file_node, Vec::new()))
            .1
            .push((node, layer, entry));
    }
}

impl MergedTree {
    /// The inode a hard link names: its target as the tree stands at that
    /// point of the merge (the runtime links to what the path holds then).
    pub(super) fn inode_of_link_target(
        &self,
        layers: &[LayerIndex],
        target: &[u8],
    ) -> Option<(EntryRef, NodeId)> {
        let node = self.lookup(target)?;
        let v = self.history(node).next().filter(|v| v.present)?;
        let ei = u32::try_from(v.entry_index()?).ok()?;
        match layers[v.layer as usize].entries[ei as usize].kind {
            EntryKind::File => Some(((v.layer, ei), node)),
            EntryKind::Hardlink => {
                let file = *self.inodes.of_link.get(&(v.layer, ei))?;
                Some((file, self.inodes.links.get(&file)?.0))
            }
            _ => None,
        }
    }

    /// Whether the version (node, layer, entry) is the one in force at `at`.
    fn names_at(&self, node: NodeId, layer: u32, entry: u32, at: usize) -> bool {
        self.version_at(node, at)
            .is_some_and(|v| v.present && v.layer == layer && v.entry == entry)
    }

    /// The content a hard link version carries at layer `at`: its inode's
    /// size when no earlier name of the inode is present, else nothing.
    pub(super) fn link_content(&self, layers: &[LayerIndex], v: &Version, at: usize) -> u64 {
        let Some(file) = self.inodes.of_link.get(&(v.layer, v.entry)) else {
            return 0;
        };
        let Some((file_node, links)) = self.inodes.links.get(file) else {
            return 0;
        };
        if self.names_at(*file_node, file.0, file.1, at) {
            return 0;
        }
        for &(node, layer, entry) in links {
            if (node, layer, entry) == (v.node, v.layer, v.entry) {
                return layers[file.0 as usize].entries[file.1 as usize].size;
            }
            if self.names_at(node, layer, entry, at) {
                return 0;
            }
        }
        0
    }

    /// Whether a hard link present at `at` still names the inode of the
    /// regular file at (layer, entry): its bytes are then still in use.
    pub fn held_by_link(&self, layer: usize, entry: usize, at: usize) -> bool {
        let (Ok(layer), Ok(entry)) = (u32::try_from(layer), u32::try_from(entry)) else {
            return false;
        };
        self.inodes
            .links
            .get(&(layer, entry))
            .is_some_and(|(_, links)| {
                links
                    .iter()
                    .any(|&(node, l, e)| self.names_at(node, l, e, at))
            })
    }

    /// The regular-file entry (layer, entry) whose inode a hard link entry
    /// names, when the merge could resolve it.
    pub fn link_inode(&self, layer: usize, entry: usize) -> Option<(usize, usize)> {
        let key = (u32::try_from(layer).ok()?, u32::try_from(entry).ok()?);
        let &(l, e) = self.inodes.of_link.get(&key)?;
        Some((l as usize, e as usize))
    }
}
