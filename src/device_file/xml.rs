//! XML property lists, tokenized by quick-xml, into a [`Node`] tree with the position of every
//! key and value. Apple's plist DTD: `<plist>` around one value; `<dict>` of `<key>` and
//! value pairs; `<array>`; `<string>`, `<integer>`, `<real>`, `<date>`, `<data>`, `<true/>`,
//! `<false/>`. Entities other than XML's five and character references are refused (no
//! entity expansion), as are characters XML 1.0 cannot carry.

use super::{Duplicate, error, too_deep, too_many};
use crate::diagnostics::{Code, Diagnostic};
use crate::limits::{MAX_DEPTH, MAX_DEVICE_FILE_VALUES};
use crate::parse::{Entry, Locator, Node, Value};
use crate::source::Span;
use quick_xml::Reader;
use quick_xml::events::Event;
use std::collections::HashMap;

const VALUES: &str =
    "`<dict>`, `<array>`, `<string>`, `<integer>`, `<real>`, `<date>`, `<data>`, `<true/>` or `<false/>`";

/// An element being read.
enum Frame {
    /// `<plist>`: holds the root value.
    Plist,
    Dict {
        start: usize,
        path: Vec<String>,
        entries: Vec<Entry>,
        seen: HashMap<String, Span>,
        /// A `<key>` waiting for its value.
        key: Option<(String, Span)>,
    },
    Array {
        start: usize,
        path: Vec<String>,
        items: Vec<Node>,
    },
    /// `<key>` or a scalar element, collecting its text.
    Text {
        name: String,
        start: usize,
        text: String,
        /// Where the text starts and ends (for key spans).
        inner: Option<(usize, usize)>,
    },
}

struct Builder<'a> {
    file: &'a str,
    locator: Locator<'a>,
    stack: Vec<Frame>,
    root: Option<Node>,
    duplicates: Vec<Duplicate>,
    values: usize,
    depth: usize,
}

/// The tree of an XML plist, and the keys given twice.
pub fn parse(file: &str, text: &str) -> Result<(Node, Vec<Duplicate>), Box<Diagnostic>> {
    let locator = Locator::new(text);
    control_characters(file, text, &locator)?;
    let mut b = Builder { file, locator, stack: Vec::new(), root: None, duplicates: Vec::new(), values: 0, depth: 0 };
    let mut reader = Reader::from_str(text);
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Err(b.syntax(at, &format!("not a valid property list: {e}"), "the XML reader stopped here"));
            }
        };
        let after = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        match event {
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            Event::Start(e) => b.open(e.name().0, before, after)?,
            Event::Empty(e) => {
                let name = e.name().0.to_string();
                b.open(&name, before, after)?;
                b.close(&name, after)?;
            }
            Event::End(e) => b.close(e.name().0, after)?,
            Event::Text(t) => b.text(&t.xml10_content(), before, after)?,
            Event::CData(t) => b.text(&t.xml10_content(), before, after)?,
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match &*r {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "quot" => '"',
                        "apos" => '\'',
                        other => {
                            return Err(Box::new(
                                b.at(Code::Syntax, format!("unknown entity `&{other};`"), before, after)
                                    .label("not one of XML's five entities")
                                    .help("write `&amp;` for `&`, or use a character reference such as `&#38;`"),
                            ));
                        }
                    },
                    Err(e) => return Err(b.syntax(before, &format!("invalid character reference: {e}"), "here")),
                };
                if !allowed(c) {
                    return Err(Box::new(control_error(b.file, b.span(before, after), c, true)));
                }
                b.text(c.encode_utf8(&mut [0; 4]), before, after)?;
            }
            Event::Eof => break,
        }
    }
    b.finish(text.len())
}

impl Builder<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.locator.pos_at_byte(start), self.locator.pos_at_byte(end))
    }

    fn at(&self, code: Code, message: impl Into<String>, start: usize, end: usize) -> Diagnostic {
        error(code, message, self.file, self.span(start, end))
    }

    fn syntax(&self, at: usize, message: &str, label: &str) -> Box<Diagnostic> {
        Box::new(
            self.at(Code::Syntax, message, at, at)
                .label(label)
                .help("check the XML: every `<key>` needs a value, and every element its closing tag"),
        )
    }

    fn count(&mut self, start: usize) -> Result<(), Box<Diagnostic>> {
        self.values += 1;
        if self.values > MAX_DEVICE_FILE_VALUES {
            return Err(Box::new(too_many(self.file, self.span(start, start))));
        }
        Ok(())
    }

    fn open(&mut self, name: &str, start: usize, end: usize) -> Result<(), Box<Diagnostic>> {
        if let Some(Frame::Text { name: parent, .. }) = self.stack.last() {
            let message = format!("`<{name}>` inside `<{parent}>`");
            return Err(Box::new(
                self.at(Code::Syntax, message, start, end)
                    .label("an element where text was expected")
                    .help(format!("`<{parent}>` holds text only")),
            ));
        }
        let frame = match name {
            "plist" if self.stack.is_empty() && self.root.is_none() => Frame::Plist,
            "dict" | "array" => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(Box::new(too_deep(self.file, self.span(start, end))));
                }
                self.count(start)?;
                let path = self.next_path();
                if name == "dict" {
                    Frame::Dict { start, path, entries: Vec::new(), seen: HashMap::new(), key: None }
                } else {
                    Frame::Array { start, path, items: Vec::new() }
                }
            }
            "key" | "string" | "integer" | "real" | "date" | "data" | "true" | "false" => {
                self.count(start)?;
                Frame::Text { name: name.to_string(), start, text: String::new(), inner: None }
            }
            _ => {
                return Err(Box::new(
                    self.at(Code::Syntax, format!("unexpected element `<{name}>`"), start, end)
                        .label("not a property list element")
                        .help(format!("a property list value is {VALUES}")),
                ));
            }
        };
        self.stack.push(frame);
        Ok(())
    }

    /// The pointer segments of the value that starts now (for duplicate keys).
    fn next_path(&self) -> Vec<String> {
        let (path, last) = match self.stack.iter().rev().find(|f| matches!(f, Frame::Dict { .. } | Frame::Array { .. }))
        {
            Some(Frame::Dict { path, key, .. }) => (path, key.as_ref().map(|(k, _)| k.clone()).unwrap_or_default()),
            Some(Frame::Array { path, items, .. }) => (path, items.len().to_string()),
            _ => return Vec::new(),
        };
        let mut path = path.clone();
        path.push(last);
        path
    }

    fn text(&mut self, text: &str, start: usize, end: usize) -> Result<(), Box<Diagnostic>> {
        match self.stack.last_mut() {
            Some(Frame::Text { text: collected, inner, .. }) => {
                collected.push_str(text);
                *inner = Some(inner.map_or((start, end), |(s, _)| (s, end)));
                Ok(())
            }
            _ if text.trim().is_empty() => Ok(()),
            _ => Err(Box::new(
                self.at(Code::Syntax, "text outside a value", start, end)
                    .label("unexpected text")
                    .help(format!("text belongs in `<key>` or `<string>`; a value is {VALUES}")),
            )),
        }
    }

    fn close(&mut self, name: &str, end: usize) -> Result<(), Box<Diagnostic>> {
        let Some(frame) = self.stack.pop() else {
            return Err(self.syntax(end, &format!("`</{name}>` closes nothing"), "here"));
        };
        let node = match frame {
            Frame::Plist => return Ok(()),
            Frame::Dict { start, entries, key, .. } => {
                self.depth -= 1;
                if let Some((key, span)) = key {
                    return Err(Box::new(
                        error(Code::Syntax, format!("`<key>{key}</key>` has no value"), self.file, span)
                            .label("a key without a value")
                            .help(format!("add its value after the key: {VALUES}")),
                    ));
                }
                Node { value: Value::Map(entries), span: self.span(start, end), raw: None, plain: false }
            }
            Frame::Array { start, items, .. } => {
                self.depth -= 1;
                Node { value: Value::Seq(items), span: self.span(start, end), raw: None, plain: false }
            }
            Frame::Text { name, start, text, inner } if name == "key" => {
                let span = match inner {
                    Some((s, e)) if e > s => self.span(s, e),
                    _ => self.span(start, end),
                };
                return self.key(text, span);
            }
            Frame::Text { name, start, text, .. } => {
                let span = self.span(start, end);
                let value = self.scalar(&name, &text, span)?;
                Node { value, span, raw: Some(text), plain: false }
            }
        };
        self.attach(node)
    }

    fn key(&mut self, key: String, span: Span) -> Result<(), Box<Diagnostic>> {
        match self.stack.last_mut() {
            Some(Frame::Dict { key: pending @ None, .. }) => {
                *pending = Some((key, span));
                Ok(())
            }
            Some(Frame::Dict { key: Some((previous, _)), .. }) => {
                let message = format!("`<key>{previous}</key>` has no value");
                Err(Box::new(
                    error(Code::Syntax, message, self.file, span)
                        .label("another key where a value was expected")
                        .help(format!("add the value of `{previous}`: {VALUES}")),
                ))
            }
            _ => Err(Box::new(
                error(Code::Syntax, "`<key>` outside a `<dict>`", self.file, span)
                    .label("a key belongs in a dictionary")
                    .help("put keys and their values in `<dict>`"),
            )),
        }
    }

    fn attach(&mut self, node: Node) -> Result<(), Box<Diagnostic>> {
        let file = self.file;
        match self.stack.last_mut() {
            Some(Frame::Dict { path, entries, seen, key, .. }) => {
                let Some((key, key_span)) = key.take() else {
                    return Err(Box::new(
                        error(Code::Syntax, "a value without a `<key>`", file, node.span)
                            .label("expected `<key>` before this value")
                            .help("in a `<dict>`, every value follows its `<key>`"),
                    ));
                };
                if let Some(&first) = seen.get(&key) {
                    self.duplicates.push(Duplicate { parent: path.clone(), key: key.clone(), first, second: key_span });
                    entries.retain(|e| e.key != key);
                }
                seen.insert(key.clone(), key_span);
                entries.push(Entry { key, key_span, value: node });
            }
            Some(Frame::Array { items, .. }) => items.push(node),
            Some(Frame::Plist) | None if self.root.is_none() => self.root = Some(node),
            _ => {
                return Err(Box::new(
                    error(Code::Syntax, "a second value at the top level", file, node.span)
                        .label("a property list holds one value")
                        .help("put the values in one `<dict>` or `<array>`"),
                ));
            }
        }
        Ok(())
    }

    fn scalar(&self, name: &str, text: &str, span: Span) -> Result<Value, Box<Diagnostic>> {
        let invalid = |what: &str, example: &str| {
            Box::new(
                error(Code::Syntax, format!("invalid `<{name}>`: `{text}` is not {what}"), self.file, span)
                    .label(format!("expected {what}"))
                    .help(format!("write {what}, such as `{example}`")),
            )
        };
        let trimmed = text.trim();
        Ok(match name {
            "string" => Value::String(text.to_string()),
            "true" | "false" if trimmed.is_empty() => Value::Bool(name == "true"),
            "true" | "false" => return Err(invalid("empty", &format!("<{name}/>"))),
            "integer" => integer(trimmed).ok_or_else(|| invalid("a whole number", "26"))?,
            "real" => Value::Float(trimmed.parse::<f64>().map_err(|_| invalid("a number", "1.5"))?),
            "date" => {
                let date = plist::Date::from_xml_format(trimmed)
                    .map_err(|_| invalid("an ISO 8601 date", "2026-12-10T09:30:00Z"))?;
                Value::String(date.to_xml_format())
            }
            _ => Value::String(format!("<{} bytes of data>", data_len(text).ok_or_else(|| invalid("base64", "AAE="))?)),
        })
    }

    fn finish(mut self, end: usize) -> Result<(Node, Vec<Duplicate>), Box<Diagnostic>> {
        if let Some(frame) = self.stack.last() {
            let name = match frame {
                Frame::Plist => "plist",
                Frame::Dict { .. } => "dict",
                Frame::Array { .. } => "array",
                Frame::Text { name, .. } => name,
            };
            let message = format!("the file ends before `<{name}>` is closed");
            return Err(self.syntax(end, &message, "the file ends here"));
        }
        match self.root.take() {
            Some(root) => Ok((root, self.duplicates)),
            None => Err(self.syntax(end, "no property list value", "the file ends here")),
        }
    }
}

/// Decimal, or hexadecimal after `0x`, as Apple's readers take them. Integers above
/// `i64::MAX` (up to `u64::MAX`) are kept as a number.
fn integer(text: &str) -> Option<Value> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let magnitude = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<u64>().ok()?,
    };
    if negative {
        let value = i64::try_from(magnitude).map(|m| -m).ok().or((magnitude == 1u64 << 63).then_some(i64::MIN))?;
        Some(Value::Int(value))
    } else {
        Some(i64::try_from(magnitude).map_or(Value::Float(magnitude as f64), Value::Int))
    }
}

/// The length of base64 data (whitespace allowed), if it is base64.
fn data_len(text: &str) -> Option<usize> {
    let mut chars = 0usize;
    let mut padding = 0usize;
    for c in text.chars().filter(|c| !c.is_ascii_whitespace()) {
        match c {
            '=' => padding += 1,
            'A'..='Z' | 'a'..='z' | '0'..='9' | '+' | '/' if padding == 0 => chars += 1,
            _ => return None,
        }
    }
    if padding > 2 || (chars + padding) % 4 == 1 {
        return None;
    }
    Some(chars * 3 / 4)
}

/// XML 1.0's `Char`: tab, LF, CR and everything from U+0020, but not U+FFFE and U+FFFF.
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// The first character XML 1.0 cannot carry, written as itself.
fn control_characters(file: &str, text: &str, locator: &Locator<'_>) -> Result<(), Box<Diagnostic>> {
    let Some((at, c)) = text.char_indices().find(|&(_, c)| !allowed(c)) else { return Ok(()) };
    let span = Span::new(locator.pos_at_byte(at), locator.pos_at_byte(at + c.len_utf8()));
    Err(Box::new(control_error(file, span, c, false)))
}

fn control_error(file: &str, span: Span, c: char, reference: bool) -> Diagnostic {
    let written = if reference { " (as a character reference)" } else { "" };
    error(Code::ControlCharacter, format!("control character U+{:04X}{written} in an XML property list", c as u32), file, span)
        .label("not allowed in XML 1.0")
        .note("XML 1.0 allows no control characters but tab, line feed and carriage return, not even as `&#…;` references; Apple's plist readers reject the profile")
        .help("remove the character; binary content belongs in a `<data>` element, base64-encoded")
}
