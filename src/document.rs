//! A parsed file kept beside its typed model, so that later stages can point at the
//! line and column of any field they talk about.

use crate::model::schema::ALIASES;
use crate::parse::Node;
use crate::source::Span;

#[derive(Debug, Clone)]
pub struct Document {
    /// File name relative to the repository, as shown in diagnostics.
    pub file: String,
    pub root: Node,
}

impl Document {
    /// The span of the value at `path`, or of its nearest ancestor that exists.
    pub fn span(&self, path: &[&str]) -> Span {
        self.find(path, |root, p| root.pointer(p).map(|n| n.span))
    }

    /// The span of the key at `path` (the value's for list items), or of its nearest ancestor.
    pub fn key_span(&self, path: &[&str]) -> Span {
        self.find(path, |root, p| root.key_span_at(p))
    }

    fn find(&self, path: &[&str], lookup: impl Fn(&Node, &[&str]) -> Option<Span>) -> Span {
        let aliased: Option<Vec<&str>> = path.first().and_then(|first| {
            let (alias, _) = ALIASES.iter().find(|(_, canonical)| canonical == first)?;
            Some(std::iter::once(*alias).chain(path[1..].iter().copied()).collect())
        });
        for len in (1..=path.len()).rev() {
            if let Some(span) = lookup(&self.root, &path[..len]) {
                return span;
            }
            if let Some(span) = aliased.as_ref().and_then(|a| lookup(&self.root, &a[..len])) {
                return span;
            }
        }
        Span::point(self.root.span.start)
    }
}
