//! Reading policy files (YAML or JSON) into a tree of [`Node`]s that remember where every value
//! and key was written, so that later passes can report errors at `file:line:column`.
//!
//! Both formats go through the same strict rules: one document per file, no duplicate keys,
//! scalar keys only, YAML 1.2 core-schema typing (so `yes` stays a string), and bounded depth and
//! size so that hostile input cannot exhaust the stack or memory.

// `ParseError` is large (136 bytes) because its public fields are the contract with the
// diagnostics renderer; a parse fails at most once per file, so boxing would buy nothing.
#![allow(clippy::result_large_err)]

mod json;
mod node;
mod yaml;

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;

use crate::source::{Pos, Span};

pub use json::parse_json;
pub use node::{Entry, Node, Value, list_index};
pub use yaml::parse_yaml;

pub use crate::limits::{MAX_DEPTH, MAX_NODES};

/// The message of [`ParseError`] for a file with no content (only comments, or nothing).
pub const EMPTY_FILE: &str = "the file is empty; expected a policy mapping";

/// What kind of problem a [`ParseError`] is, so that callers choose codes and wording
/// without reading its message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Not valid YAML or JSON.
    #[default]
    Syntax,
    /// A key twice in one mapping.
    DuplicateKey,
    /// No content at all (only comments, or nothing).
    Empty,
    /// Over [`MAX_DEPTH`] or [`MAX_NODES`].
    TooLarge,
}

/// Why a file could not be read as a document, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    pub message: String,
    pub span: Span,
    /// How to fix it, when we can say.
    pub help: Option<String>,
    /// A related place, e.g. the first occurrence of a duplicated key.
    pub note: Option<(String, Span)>,
}

impl ParseError {
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        ParseError { kind: ParseErrorKind::Syntax, message: message.into(), span, help: None, note: None }
    }

    pub fn of_kind(mut self, kind: ParseErrorKind) -> Self {
        self.kind = kind;
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>, span: Span) -> Self {
        self.note = Some((note.into(), span));
        self
    }

    /// The error for a file without content; shared so both formats say the same thing.
    fn empty_file(locator: &Locator) -> Self {
        ParseError::new(EMPTY_FILE, Span::point(locator.pos_at_byte(0)))
            .of_kind(ParseErrorKind::Empty)
            .with_help("a policy starts with `id: my-policy` and `targets: {platforms: [macOS]}`")
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let start = self.span.start;
        write!(f, "{}:{}: {}", start.line, start.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Turns character indices (what saphyr reports) and byte offsets (what we slice with) into
/// [`Pos`]itions with 1-based line and character column.
///
/// Lookups usually move forward through the file, so a cursor remembers the last answer and
/// walks on from there: converting every node of a long single-line document stays linear.
pub(crate) struct Locator<'a> {
    text: &'a str,
    /// Start of each line as (char index, byte offset). The first line starts after a byte
    /// order mark, so the mark does not count as a column (editors do not show it).
    lines: Vec<(usize, usize)>,
    /// The last (char index, byte offset) pair computed.
    cursor: Cell<(usize, usize)>,
    /// Whether characters and bytes coincide; computed once, since every position asks.
    ascii: bool,
}

impl<'a> Locator<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let first = if text.starts_with('\u{feff}') { (1, '\u{feff}'.len_utf8()) } else { (0, 0) };
        let mut lines = vec![first];
        let mut chars = text.char_indices().enumerate().peekable();
        while let Some((ci, (byte, c))) = chars.next() {
            // Same line breaks as YAML: `\n`, `\r\n` and a lone `\r`.
            let lone_cr = c == '\r' && !matches!(chars.peek(), Some((_, (_, '\n'))));
            if c == '\n' || lone_cr {
                lines.push((ci + 1, byte + 1));
            }
        }
        Locator { text, lines, cursor: Cell::new(first), ascii: text.is_ascii() }
    }

    /// Position of the character with index `char_index` (clamped to the end of the text).
    pub(crate) fn pos_at_char(&self, char_index: usize) -> Pos {
        let byte = if self.ascii {
            char_index.min(self.text.len())
        } else {
            let (mut ci, mut byte) = self.cursor.get();
            if char_index < ci {
                // Going back: restart from the start of the line holding `char_index`.
                let line = self.lines.partition_point(|&(c, _)| c <= char_index).max(1);
                (ci, byte) = self.lines[line - 1];
            }
            for c in self.text[byte..].chars() {
                if ci >= char_index {
                    break;
                }
                ci += 1;
                byte += c.len_utf8();
            }
            self.cursor.set((ci, byte));
            byte
        };
        self.pos_at_byte(byte)
    }

    /// Position of byte offset `byte` (clamped to the text, and back to a char boundary).
    pub(crate) fn pos_at_byte(&self, byte: usize) -> Pos {
        let mut byte = byte.min(self.text.len());
        while !self.text.is_char_boundary(byte) {
            byte -= 1;
        }
        let line = self.lines.partition_point(|&(_, b)| b <= byte).max(1);
        let (line_char, line_byte) = self.lines[line - 1];
        let column = if byte < line_byte {
            0 // inside the byte order mark
        } else if self.ascii {
            byte - line_byte
        } else {
            let (mut ci, mut at) = self.cursor.get();
            if at < line_byte || at > byte {
                (ci, at) = (line_char, line_byte);
            }
            ci += self.text[at..byte].chars().count();
            self.cursor.set((ci, byte));
            ci - line_char
        };
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column + 1).unwrap_or(u32::MAX),
            offset: byte,
        }
    }
}

/// Collects the entries of one mapping, refusing a key that was already given: in a security
/// policy, silently letting the last value win would hide a mistake.
#[derive(Default)]
pub(crate) struct MapBuilder {
    entries: Vec<Entry>,
    /// Key -> entry, built only for a large mapping: a policy's mappings have a handful of
    /// keys, which a scan checks faster than hashing them.
    index: Option<HashMap<String, usize>>,
}

/// Mappings up to this size find a duplicate key by a scan.
const SCANNED: usize = 16;

impl MapBuilder {
    pub(crate) fn push(&mut self, entry: Entry) -> Result<(), ParseError> {
        let previous = match &self.index {
            Some(index) => index.get(&entry.key).copied(),
            None => self.entries.iter().position(|e| e.key == entry.key),
        };
        if let Some(previous) = previous {
            return Err(ParseError::new(format!("duplicate key `{}`", entry.key), entry.key_span)
                .of_kind(ParseErrorKind::DuplicateKey)
                .with_note("first defined here", self.entries[previous].key_span)
                .with_help("each key may appear only once in a mapping; remove one of them"));
        }
        if let Some(index) = &mut self.index {
            index.insert(entry.key.clone(), self.entries.len());
        } else if self.entries.len() == SCANNED {
            let index = self.entries.iter().enumerate().map(|(i, e)| (e.key.clone(), i));
            self.index = Some(index.chain([(entry.key.clone(), SCANNED)]).collect());
        }
        self.entries.push(entry);
        Ok(())
    }

    pub(crate) fn finish(self) -> Vec<Entry> {
        self.entries
    }
}

/// The error for nesting beyond [`MAX_DEPTH`], at the collection that went too deep.
pub(crate) fn too_deep(span: Span) -> ParseError {
    ParseError::new(format!("lists and mappings are nested too deeply (more than {MAX_DEPTH} levels)"), span)
        .of_kind(ParseErrorKind::TooLarge)
}

/// The error for a number that does not fit an i64 (integers) or a finite f64: rounding it
/// silently could change a security setting.
pub(crate) fn out_of_range(text: &str, span: Span) -> ParseError {
    ParseError::new(format!("the number `{text}` is out of range"), span).with_help("quote it if it is meant as text")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, column: u32, offset: usize) -> Pos {
        Pos { line, column, offset }
    }

    #[test]
    fn locator_ascii() {
        let loc = Locator::new("ab\ncd\r\nef\rg");
        assert_eq!(loc.pos_at_char(0), pos(1, 1, 0));
        assert_eq!(loc.pos_at_char(2), pos(1, 3, 2));
        assert_eq!(loc.pos_at_char(4), pos(2, 2, 4));
        assert_eq!(loc.pos_at_char(7), pos(3, 1, 7));
        assert_eq!(loc.pos_at_char(10), pos(4, 1, 10));
        assert_eq!(loc.pos_at_char(99), pos(4, 2, 11));
    }

    #[test]
    fn locator_non_ascii_counts_chars_in_columns_and_bytes_in_offsets() {
        let text = "é✓x\nü y";
        let loc = Locator::new(text);
        assert_eq!(loc.pos_at_char(2), pos(1, 3, 5));
        assert_eq!(loc.pos_at_char(6), pos(2, 3, 10));
        // Backwards after forwards still works (the cursor restarts).
        assert_eq!(loc.pos_at_char(1), pos(1, 2, 2));
        assert_eq!(loc.pos_at_byte(9), pos(2, 2, 9));
        assert_eq!(loc.pos_at_byte(2), pos(1, 2, 2));
        // Inside a multi-byte character: back to its start.
        assert_eq!(loc.pos_at_byte(3), pos(1, 2, 2));
    }

    #[test]
    fn locator_byte_order_mark_is_not_a_column() {
        let loc = Locator::new("\u{feff}a: é\nb");
        assert_eq!(loc.pos_at_char(1), pos(1, 1, 3));
        assert_eq!(loc.pos_at_char(4), pos(1, 4, 6));
        assert_eq!(loc.pos_at_char(6), pos(2, 1, 9));
        assert_eq!(loc.pos_at_byte(0).column, 1);
    }

    #[test]
    fn display_shows_line_and_column() {
        let e = ParseError::new("boom", Span::point(pos(3, 7, 20)));
        assert_eq!(e.to_string(), "3:7: boom");
    }
}
