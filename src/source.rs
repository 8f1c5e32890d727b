//! Source files and positions: every diagnostic points into one of these.

use std::path::PathBuf;
use std::sync::Arc;

/// A position in a source file. `line` and `column` are 1-based, the column counted in
/// characters (what editors show); `offset` is the byte offset, for snippet rendering.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
    pub offset: usize,
}

/// A half-open byte range `[start, end)` with the positions of both ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    pub fn new(start: Pos, end: Pos) -> Self {
        Span { start, end }
    }

    /// An empty span at one position (for "missing" things).
    pub fn point(at: Pos) -> Self {
        Span { start: at, end: at }
    }
}

/// One file read from the policy repository.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the repository root, with `/` separators: what users see.
    pub name: String,
    /// Path on disk.
    pub path: PathBuf,
    /// Shared: a policy's document keeps it, to find positions in when
    /// a diagnostic asks for one, instead of an outline of every file.
    pub text: Arc<str>,
}
