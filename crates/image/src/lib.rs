//! The image side of ballast's pipeline: sources and archive formats in,
//! per-layer indexes and the merged tree out.
//!
//! [`archive`] reads an image wherever it is stored (archive, OCI layout
//! directory, stdin) and streams each layer, decompressed, to [`index`],
//! which records every entry exactly as a Go-based runtime (Docker,
//! containerd) would unpack it and merges the layers into one tree.
//! [`ImageIndex`] is the one value the rest of ballast reads.
//!
//! This crate never judges what it reads (no waste, no budgets) and never
//! formats for a person beyond its one-line errors.

pub mod archive;
pub mod error;
pub mod image_index;
pub mod index;
mod sha256_tap;

pub use image_index::ImageIndex;
