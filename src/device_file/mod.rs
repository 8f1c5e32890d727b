//! Reading files that come from devices and other tools, not from the policy repository:
//! declarations and profiles (`lint`), status reports and DeviceInformation responses
//! (`status check`), `AvailableOSUpdates` answers (`legacy schedule`).
//!
//! One reader for all of them: JSON, XML property lists and binary property lists, told apart
//! by their content, into a [`Node`] tree with positions where the format has them (JSON and
//! XML; a binary plist has none). Every input is bounded before anything is built: its size
//! ([`MAX_DEVICE_FILE_BYTES`], read at most one byte past it, and only from a regular file), its nesting
//! ([`MAX_DEPTH`]) and its number of values ([`MAX_DEVICE_FILE_VALUES`], counting a binary plist's shared
//! objects as often as they are referenced, as any reader expands them). Each limit has its
//! own diagnostic that names it.
//!
//! A low layer: it knows `parse` (the tree, JSON) and `diagnostics`, and no command.

mod binary;
#[cfg(test)]
pub(crate) use binary::tests::shared as shared_references_plist;
mod locate;
mod read;
mod xml;

pub use locate::{span_at, to_plist};
pub use read::{ReadFailure, read};

use crate::diagnostics::{Code, Diagnostic};
use crate::limits::{MAX_DEPTH, MAX_DEVICE_FILE_VALUES};
use crate::parse::{self, Node, Value};
use crate::source::{Pos, Span};

/// How a file is written, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    XmlPlist,
    BinaryPlist,
    /// CMS (PKCS #7) signed data: DER, which starts with a SEQUENCE tag. Not read.
    Signed,
    /// Nothing but whitespace.
    Empty,
    Unknown,
}

impl Format {
    /// Decided by content, not by trying each reader: a plist reader would take almost any
    /// text for an old ASCII plist and turn "not a plist" into nonsense.
    pub fn detect(bytes: &[u8]) -> Format {
        let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let start = body.iter().position(|b| !b.is_ascii_whitespace());
        let Some(start) = start else { return Format::Empty };
        let body = &body[start..];
        match body[0] {
            b'{' | b'[' => Format::Json,
            b'<' => Format::XmlPlist,
            0x30 => Format::Signed,
            _ if body.starts_with(b"bplist") => Format::BinaryPlist,
            _ => Format::Unknown,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::XmlPlist => "XML property list",
            Format::BinaryPlist => "binary property list",
            Format::Signed => "signed (CMS) data",
            Format::Empty => "empty file",
            Format::Unknown => "unknown format",
        }
    }

    /// `an XML property list`, `JSON`: as a message says it.
    pub fn with_article(self) -> String {
        match self {
            Format::Json => "JSON".to_string(),
            Format::XmlPlist => "an XML property list".to_string(),
            Format::Signed => "signed (CMS) data".to_string(),
            Format::Empty => "an empty file".to_string(),
            Format::Unknown => "in an unknown format".to_string(),
            Format::BinaryPlist => "a binary property list".to_string(),
        }
    }
}

/// A file read into a tree.
pub struct DeviceFile {
    pub format: Format,
    pub root: Node,
    /// The text, for snippets; empty for a binary plist, which has no lines.
    pub text: String,
    /// Keys given twice in one XML dictionary (the tree keeps the last value, as plist
    /// readers do). JSON refuses duplicates outright.
    pub duplicates: Vec<Duplicate>,
}

/// A key given twice in one dictionary.
pub struct Duplicate {
    /// Pointer segments of the dictionary.
    pub parent: Vec<String>,
    pub key: String,
    pub first: Span,
    pub second: Span,
}

/// Reads `bytes` as one of `accepted` formats. `file` is the name diagnostics use; `what`
/// names the document for messages ("a status report"). Only the text of XML and JSON files
/// is kept, and only when it is UTF-8.
pub fn parse(file: &str, bytes: &[u8], accepted: &[Format], what: &str) -> Result<DeviceFile, Failure> {
    let format = Format::detect(bytes);
    let wanted = || {
        let names: Vec<String> = accepted.iter().map(|f| f.with_article()).collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.join(""),
        }
    };
    if !accepted.contains(&format) {
        let text = String::from_utf8(bytes.to_vec()).unwrap_or_default();
        let message = match format {
            Format::Empty => "the file is empty".to_string(),
            _ => format!("not {what}: expected {}", wanted()),
        };
        let label = match format {
            Format::Empty => "nothing to read".to_string(),
            Format::Unknown => "not a known format".to_string(),
            other => format!("this is {}", other.with_article()),
        };
        return Err(Failure { diagnostic: Box::new(error(Code::Syntax, message, file, start()).label(label)), text });
    }
    let text = match format {
        Format::Json | Format::XmlPlist => match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(e) => {
                let text = String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned();
                let at = parse::Locator::new(&text).pos_at_byte(e.valid_up_to());
                let d = error(Code::Syntax, format!("`{file}` is not UTF-8 text"), file, Span::point(at))
                    .label("this byte is not UTF-8")
                    .help(format!("save the file as UTF-8 ({} files are UTF-8)", format.name()));
                return Err(Failure { diagnostic: Box::new(d), text });
            }
        },
        _ => String::new(),
    };
    let fail = |d: Diagnostic, text: String| Failure { diagnostic: Box::new(d), text };
    match format {
        Format::Json => match json(file, &text) {
            Ok(root) => Ok(DeviceFile { format, root, text, duplicates: Vec::new() }),
            Err(d) => Err(fail(*d, text)),
        },
        Format::XmlPlist => match xml::parse(file, &text) {
            Ok((root, duplicates)) => Ok(DeviceFile { format, root, text, duplicates }),
            Err(d) => Err(fail(*d, text)),
        },
        Format::BinaryPlist => match binary::parse(file, bytes) {
            Ok(root) => Ok(DeviceFile { format, root, text, duplicates: Vec::new() }),
            Err(d) => Err(fail(*d, text)),
        },
        Format::Signed | Format::Empty | Format::Unknown => {
            Err(fail(error(Code::Syntax, format!("not {what}"), file, start()), text))
        }
    }
}

/// Why a file could not be read: the diagnostic, and the text it points into.
pub struct Failure {
    pub diagnostic: Box<Diagnostic>,
    pub text: String,
}

/// JSON with `parse`'s positions and depth limit, and [`MAX_DEVICE_FILE_VALUES`].
fn json(file: &str, text: &str) -> Result<Node, Box<Diagnostic>> {
    let root = parse::parse_json(text).map_err(|e| {
        let code = match e.kind {
            parse::ParseErrorKind::DuplicateKey => Code::DuplicateKey,
            parse::ParseErrorKind::TooLarge => Code::TooLarge,
            parse::ParseErrorKind::Syntax | parse::ParseErrorKind::Empty => Code::Syntax,
        };
        let empty = e.kind == parse::ParseErrorKind::Empty;
        let message = if empty { "the file is empty".to_string() } else { e.message };
        let label = if code == Code::DuplicateKey { "second definition" } else { "not valid JSON here" };
        let mut d = error(code, message, file, e.span).label(label);
        d.help = if empty { None } else { e.help.or_else(|| Some("fix the JSON syntax".into())) };
        if let Some((note, span)) = e.note {
            d = d.related(file, span, note);
        }
        Box::new(d)
    })?;
    let mut count = 0usize;
    let mut stack = vec![&root];
    while let Some(node) = stack.pop() {
        count += 1;
        if count > MAX_DEVICE_FILE_VALUES {
            return Err(Box::new(too_many(file, start())));
        }
        match &node.value {
            Value::Seq(items) => stack.extend(items),
            Value::Map(entries) => {
                count += entries.len();
                stack.extend(entries.iter().map(|e| &e.value));
            }
            _ => {}
        }
    }
    Ok(root)
}

fn error(code: Code, message: impl Into<String>, file: &str, span: Span) -> Diagnostic {
    Diagnostic::error(code, message).at(file, span)
}

/// The start of a file, for diagnostics about all of it.
pub fn start() -> Span {
    Span::point(Pos { line: 1, column: 1, offset: 0 })
}

/// Past [`MAX_DEVICE_FILE_VALUES`].
fn too_many(file: &str, span: Span) -> Diagnostic {
    error(Code::TooLarge, format!("the file holds more than {MAX_DEVICE_FILE_VALUES} values (the limit)"), file, span)
        .label("too many values")
        .note("device files hold hundreds of values; a binary plist counts each shared object as often as it is referenced")
        .help("is this the right file?")
}

/// Past [`MAX_DEPTH`].
fn too_deep(file: &str, span: Span) -> Diagnostic {
    error(
        Code::TooLarge,
        format!("dictionaries and arrays are nested more than {MAX_DEPTH} levels deep (the limit)"),
        file,
        span,
    )
    .label("nested too deeply")
    .help("device files nest a few levels; is this the right file?")
}

#[cfg(test)]
mod tests;
