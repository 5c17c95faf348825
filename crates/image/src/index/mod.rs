//! Index: per-layer entry lists and the merged tree after each layer. Knows
//! tar entries and paths; knows nothing of archives' formats or of any UI.

pub mod budget;
pub mod elf;
pub mod idtable;
pub mod inode;
pub mod layer;
pub mod names;
pub mod path;
pub mod tree;
