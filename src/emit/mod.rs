//! Emit: declarations get their ServerTokens and become files; the manifest lists every
//! artifact and a DeclarationsToken per group; the writer swaps the output folder in whole.

pub mod declaration;
pub mod format;
mod index;
pub mod manifest;
pub mod payload;
pub mod place;
mod pretty;
pub mod profile;
mod tree;
pub mod write;

pub use tree::{Render, Sink, tree};

/// A file of the output tree: its path relative to the output folder, and its bytes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct OutputFile {
    pub path: String,
    pub bytes: Vec<u8>,
}
