//! Source files and positions: every diagnostic points into one of these.

use crate::stamp::Stamp;
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
    /// The file's stamp, taken before it was read (or instead of reading it): by it a build's
    /// policy cache knows the file unchanged next time. `None` for text not read from a
    /// regular file (a link's target, text given by a test).
    pub stamp: Option<Stamp>,
    /// Not read: a build's policy cache vouched for the file by its stamp and holds what
    /// reading it gives; `text` is empty until a diagnostic points into the file
    /// (`Repository::read_pointed_at`, in `repo`).
    pub unread: bool,
}

impl SourceFile {
    /// A file of `text`, read (or given), without a stamp.
    pub fn new(name: impl Into<String>, path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> SourceFile {
        SourceFile { name: name.into(), path: path.into(), text: text.into(), stamp: None, unread: false }
    }
}
