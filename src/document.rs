//! Where each field of a parsed file is, kept beside its typed model, so that later stages
//! can point at the line and column of any field they talk about. Only the positions are
//! kept: the parsed tree (values, raw text) is dropped once the file is typed, since a
//! repository of thousands of policies would otherwise hold every tree to the end.

use crate::model::schema::ALIASES;
use crate::parse::{Node, Value};
use crate::source::{Pos, Span};
use std::sync::{Arc, OnceLock};

#[derive(Clone)]
pub struct Document {
    /// File name relative to the repository, as shown in diagnostics.
    pub file: String,
    /// The outline: made at once from a parsed tree, or from `later` when a position is first
    /// asked for. Nearly every policy is never asked (only those a diagnostic names), and
    /// 10,000 outlines held to the end of a run were a sixth of `check`'s memory.
    outline: OnceLock<Outline>,
    later: Option<Later>,
}

/// Where an outline comes from when it is first needed.
#[derive(Clone)]
enum Later {
    /// As [`Document::outline_bytes`] wrote it: a range of a policy cache's bytes.
    Encoded { bytes: Arc<Vec<u8>>, start: usize, end: usize },
    /// The file's text, parsed again (the same parser, the same tree: only for a file that
    /// nothing, such as a template, changed after it was parsed).
    Text { text: Arc<str>, json: bool },
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document").field("file", &self.file).field("outline", self.outline()).finish()
    }
}

/// Every node of a parsed file in document order (the root first), with its key and spans.
/// Serialised as it is (MessagePack, [`Document::outline_bytes`]) into the policy cache.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Outline {
    nodes: Vec<Located>,
    /// Each list's and mapping's children (indices into `nodes`), one block per parent, so
    /// that a list item is found by its index and a key among its siblings only.
    children: Vec<u32>,
    /// Mapping keys as written, one after the other.
    keys: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Located {
    /// Byte range of the key in `keys` (empty for list items and the root).
    key: (u32, u32),
    /// Whether the children are list items (named by index) rather than mapping entries.
    list: bool,
    /// The block of `children` holding this node's children.
    first: u32,
    count: u32,
    /// The value's span.
    span: Packed,
    /// The key's span for a mapping entry; the value's for a list item and the root.
    key_span: Packed,
}

/// A span in 32-bit numbers (a source file is at most 1 MiB, `limits`): thousands of
/// outlines live to the end of the run, and `Span` counts offsets in `usize`.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Packed([u32; 6]);

impl Packed {
    fn new(span: Span) -> Packed {
        let (start, end) = (span.start, span.end);
        Packed([start.line, start.column, small(start.offset), end.line, end.column, small(end.offset)])
    }

    fn span(self) -> Span {
        let [line, column, offset, end_line, end_column, end_offset] = self.0;
        Span::new(
            Pos { line, column, offset: offset as usize },
            Pos { line: end_line, column: end_column, offset: end_offset as usize },
        )
    }
}

impl Outline {
    fn of(root: &Node) -> Outline {
        // Sized exactly first: thousands of documents live to the end of the run.
        let (mut nodes, mut keys) = (0, 0);
        size(root, &mut nodes, &mut keys);
        let mut outline = Outline {
            nodes: Vec::with_capacity(nodes),
            children: Vec::with_capacity(nodes.saturating_sub(1)),
            keys: String::with_capacity(keys),
        };
        outline.add(root, "", root.span);
        outline
    }

    /// Adds `node` and everything below it; returns its index.
    fn add(&mut self, node: &Node, key: &str, key_span: Span) -> u32 {
        let index = self.nodes.len();
        let start = self.keys.len();
        self.keys.push_str(key);
        let key = (small(start), small(self.keys.len()));
        let list = matches!(node.value, Value::Seq(_));
        self.nodes.push(Located {
            key,
            list,
            first: 0,
            count: 0,
            span: Packed::new(node.span),
            key_span: Packed::new(key_span),
        });
        // Each block is reserved before the children are added: their own blocks follow it.
        let first = self.children.len();
        let count = match &node.value {
            Value::Map(entries) => {
                self.children.resize(first + entries.len(), 0);
                for (slot, e) in entries.iter().enumerate() {
                    self.children[first + slot] = self.add(&e.value, &e.key, e.key_span);
                }
                entries.len()
            }
            Value::Seq(items) => {
                self.children.resize(first + items.len(), 0);
                for (slot, item) in items.iter().enumerate() {
                    self.children[first + slot] = self.add(item, "", item.span);
                }
                items.len()
            }
            _ => 0,
        };
        self.nodes[index].first = small(first);
        self.nodes[index].count = small(count);
        small(index)
    }

    fn key(&self, located: &Located) -> &str {
        let (start, end) = located.key;
        self.keys.get(start as usize..end as usize).unwrap_or_default()
    }

    /// The node at `path`: each segment names a child of the one before (a list item by its
    /// index, written as JSON Pointer writes it).
    fn at(&self, path: &[&str]) -> Option<&Located> {
        let mut current = self.nodes.first()?;
        for segment in path {
            let block = self.children.get(current.first as usize..)?.get(..current.count as usize)?;
            let child = if current.list {
                block.get(crate::parse::list_index(segment)?)
            } else {
                block.iter().find(|&&i| self.nodes.get(i as usize).is_some_and(|n| self.key(n) == *segment))
            };
            current = self.nodes.get(*child? as usize)?;
        }
        Some(current)
    }
}

/// How many nodes, and bytes of keys, `node` and everything below it have.
fn size(node: &Node, nodes: &mut usize, keys: &mut usize) {
    *nodes += 1;
    match &node.value {
        Value::Map(entries) => entries.iter().for_each(|e| {
            *keys += e.key.len();
            size(&e.value, nodes, keys);
        }),
        Value::Seq(items) => items.iter().for_each(|item| size(item, nodes, keys)),
        _ => {}
    }
}

/// A position in the outline; a file is far below 4 GiB (`limits`).
fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Document {
    /// The document of `root`, parsed from `file`.
    pub fn new(file: String, root: &Node) -> Document {
        Document { file, outline: OnceLock::from(Outline::of(root)), later: None }
    }

    /// The document of `file`, whose `text` parses (as JSON if `json`, else YAML) to the
    /// tree that was typed; parsed again only when a position is asked for.
    pub fn of_text(file: String, text: Arc<str>, json: bool) -> Document {
        Document { file, outline: OnceLock::new(), later: Some(Later::Text { text, json }) }
    }

    fn outline(&self) -> &Outline {
        self.outline.get_or_init(|| {
            let made = match &self.later {
                Some(Later::Encoded { bytes, start, end }) => {
                    bytes.get(*start..*end).and_then(|bytes| rmp_serde::from_slice(bytes).ok())
                }
                Some(Later::Text { text, json: true }) => crate::parse::parse_json(text).ok().map(|r| Outline::of(&r)),
                Some(Later::Text { text, json: false }) => crate::parse::parse_yaml(text).ok().map(|r| Outline::of(&r)),
                None => None,
            };
            // A cache entry is sealed and written by this very ddmc, and a text parsed once
            // parses again: an outline that cannot be made is a bug, and then positions fall
            // back to the start of the file.
            made.unwrap_or(Outline { nodes: Vec::new(), children: Vec::new(), keys: String::new() })
        })
    }

    /// The outline as bytes, for the policy cache of a build: read back by
    /// [`Document::with_outline`].
    pub fn outline_bytes(&self) -> Vec<u8> {
        // Plain numbers, strings and lists: nothing here can fail to serialise.
        rmp_serde::to_vec(self.outline()).unwrap_or_default()
    }

    /// The document of `file` whose outline [`Document::outline_bytes`] wrote into `bytes`
    /// from `start` to `end`; read only when a position is asked for. (An outline whose
    /// numbers point nowhere cannot mislead a lookup into a panic: every index is looked up
    /// with `get`.)
    pub fn with_outline(file: String, bytes: Arc<Vec<u8>>, start: usize, end: usize) -> Document {
        Document { file, outline: OnceLock::new(), later: Some(Later::Encoded { bytes, start, end }) }
    }

    /// The span of the value at `path`, or of its nearest ancestor that exists.
    pub fn span(&self, path: &[&str]) -> Span {
        self.find(path, |l| l.span.span())
    }

    /// The span of the key at `path` (the value's for list items), or of its nearest ancestor.
    pub fn key_span(&self, path: &[&str]) -> Span {
        self.find(path, |l| l.key_span.span())
    }

    fn find(&self, path: &[&str], span: impl Fn(&Located) -> Span) -> Span {
        let aliased: Option<Vec<&str>> = path.first().and_then(|first| {
            let (alias, _) = ALIASES.iter().find(|(_, canonical)| canonical == first)?;
            Some(std::iter::once(*alias).chain(path[1..].iter().copied()).collect())
        });
        for len in (1..=path.len()).rev() {
            if let Some(found) = self.outline().at(&path[..len]) {
                return span(found);
            }
            if let Some(found) = aliased.as_ref().and_then(|a| self.outline().at(&a[..len])) {
                return span(found);
            }
        }
        let root = self.outline().nodes.first().map(|l| l.span.span()).unwrap_or_default();
        Span::point(root.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_yaml;

    /// The outline answers as the parsed tree does, for values, keys, list items and paths
    /// that do not exist (the nearest ancestor).
    #[test]
    fn spans_match_the_parsed_tree() {
        let text = "id: a\ntargets:\n  groups: [g1, g2]\nenforce:\n  - os_version: \"26.4\"\n    deadline: x\n";
        let root = parse_yaml(text).expect("yaml");
        let doc = Document::new("p.yaml".into(), &root);
        for path in [&["id"][..], &["targets", "groups", "1"], &["enforce", "0", "deadline"], &["enforce"]] {
            assert_eq!(doc.span(path), root.pointer(path).expect("exists").span, "{path:?}");
            assert_eq!(Some(doc.key_span(path)), root.key_span_at(path), "{path:?}");
        }
        let deadline = root.pointer(&["enforce", "0"]).expect("entry").span;
        assert_eq!(doc.span(&["enforce", "0", "missing"]), deadline);
        // A list index is only ever its canonical decimal form.
        assert_eq!(doc.span(&["targets", "groups", "01"]), root.pointer(&["targets", "groups"]).expect("groups").span);
        assert_eq!(doc.span(&["nothing"]), Span::point(root.span.start));
    }

    /// A document kept as its text is parsed again only when a position is first asked for,
    /// and then answers as one outlined at once from the same YAML or JSON.
    #[test]
    fn a_document_of_text_is_outlined_when_asked_and_alike() {
        let yaml = "id: a\ntargets:\n  groups: [g1, g2]\nenforce:\n  - os_version: \"26.4\"\n";
        let json = "{\"id\": \"a\",\n \"targets\": {\"groups\": [\"g1\", \"g2\"]},\n \"enforce\": [{\"os_version\": \"26.4\"}]}";
        for (text, is_json) in [(yaml, false), (json, true)] {
            let root = if is_json { crate::parse::parse_json(text) } else { parse_yaml(text) }.expect("parses");
            let at_once = Document::new("p".into(), &root);
            let later = Document::of_text("p".into(), text.into(), is_json);
            assert!(later.outline.get().is_none(), "nothing parsed before a position is asked for");
            for path in [&["id"][..], &["targets", "groups", "1"], &["enforce", "0", "os_version"], &["missing"]] {
                assert_eq!(later.span(path), at_once.span(path), "{path:?}");
                assert_eq!(later.key_span(path), at_once.key_span(path), "{path:?}");
            }
            assert!(later.outline.get().is_some());
        }
    }
}
