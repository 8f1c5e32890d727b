//! Positions for plists. The `plist` crate reads the values (it is the authority on what
//! is valid) but reports no positions; a small scan of the XML text finds where each key
//! and value was written, so that profile diagnostics get `file:line:column` and snippets
//! like everything else. The scan is best effort: whatever it cannot place points at the
//! nearest enclosing value instead.

use crate::parse::{Entry, Locator, Node, Value};
use crate::source::{Pos, Span};
use std::collections::HashMap;

/// Where a value (and its key, in a dictionary) was written.
#[derive(Clone)]
struct Spot {
    key: Option<Span>,
    value: Span,
    /// The text of a scalar element, as written (`26`, `true`).
    raw: Option<String>,
}

/// A key given twice in one dictionary: the `plist` crate silently keeps the last value.
pub struct Duplicate {
    /// Pointer segments of the dictionary.
    pub parent: Vec<String>,
    pub key: String,
    pub first: Span,
    pub second: Span,
}

#[derive(Default)]
pub struct Index {
    spots: HashMap<Vec<String>, Spot>,
    pub duplicates: Vec<Duplicate>,
}

enum Frame {
    Dict { path: Vec<String>, key: Option<(String, Span)>, seen: HashMap<String, Span>, start: usize, at: Option<Span> },
    Array { path: Vec<String>, next: usize, start: usize, at: Option<Span> },
}

/// Scans XML plist text. Elements the scan does not understand end it early: the index is
/// then partial, never wrong about what it did record.
pub fn index(text: &str) -> Index {
    let locator = Locator::new(text);
    let span = |start: usize, end: usize| Span::new(locator.pos_at_byte(start), locator.pos_at_byte(end));
    let mut out = Index::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut root_done = false;
    let mut at = 0;
    while let Some(found) = text.get(at..).and_then(|rest| rest.find('<')) {
        let start = at + found;
        let rest = &text[start..];
        let skip_to = |close: &str| rest.find(close).map(|i| start + i + close.len());
        if rest.starts_with("<!--") {
            let Some(next) = skip_to("-->") else { break };
            at = next;
            continue;
        }
        if rest.starts_with("<?") || rest.starts_with("<!") {
            let Some(next) = skip_to(">") else { break };
            at = next;
            continue;
        }
        let Some(tag_end) = rest.find('>').map(|i| start + i) else { break };
        let inner = &text[start + 1..tag_end];
        let closing = inner.starts_with('/');
        let empty = inner.ends_with('/');
        let name = inner.trim_matches('/').split_whitespace().next().unwrap_or("");
        at = tag_end + 1;
        match (closing, name) {
            (_, "plist") => {}
            (false, "key") => {
                let (key, key_span) = if empty {
                    (String::new(), span(start, at))
                } else {
                    let Some(close) = text[at..].find("</key>").map(|i| at + i) else { break };
                    let key = unescape(&text[at..close]);
                    let key_span = if close > at { span(at, close) } else { span(start, close + 6) };
                    at = close + "</key>".len();
                    (key, key_span)
                };
                let Some(Frame::Dict { path, key: pending, seen, .. }) = stack.last_mut() else { break };
                if let Some(&first) = seen.get(&key) {
                    out.duplicates.push(Duplicate { parent: path.clone(), key: key.clone(), first, second: key_span });
                }
                seen.insert(key.clone(), key_span);
                *pending = Some((key, key_span));
            }
            (false, "dict" | "array") => {
                let Some((path, key)) = next_path(&mut stack, &mut root_done) else { break };
                if empty {
                    out.spots.insert(path, Spot { key, value: span(start, at), raw: None });
                } else if name == "dict" {
                    stack.push(Frame::Dict { path, key: None, seen: HashMap::new(), start, at: key });
                } else {
                    stack.push(Frame::Array { path, next: 0, start, at: key });
                }
            }
            (true, "dict" | "array") => {
                let Some(frame) = stack.pop() else { break };
                let (path, begin, key) = match frame {
                    Frame::Dict { path, start, at: key, .. } | Frame::Array { path, start, at: key, .. } => {
                        (path, start, key)
                    }
                };
                out.spots.insert(path, Spot { key, value: span(begin, at), raw: None });
            }
            (false, "string" | "integer" | "real" | "date" | "data" | "true" | "false") => {
                let Some((path, key)) = next_path(&mut stack, &mut root_done) else { break };
                let raw = if empty {
                    match name {
                        "true" | "false" => name.to_string(),
                        _ => String::new(),
                    }
                } else {
                    let close_tag = format!("</{name}>");
                    let Some(close) = text[at..].find(&close_tag).map(|i| at + i) else { break };
                    let raw = unescape(&text[at..close]);
                    at = close + close_tag.len();
                    raw
                };
                out.spots.insert(path, Spot { key, value: span(start, at), raw: Some(raw) });
            }
            _ => break,
        }
    }
    out
}

/// The path of the value that starts now, and the span of its key.
fn next_path(stack: &mut [Frame], root_done: &mut bool) -> Option<(Vec<String>, Option<Span>)> {
    match stack.last_mut() {
        None if !*root_done => {
            *root_done = true;
            Some((Vec::new(), None))
        }
        None => None,
        Some(Frame::Dict { path, key, .. }) => {
            let (key, key_span) = key.take()?;
            let mut path = path.clone();
            path.push(key);
            Some((path, Some(key_span)))
        }
        Some(Frame::Array { path, next, .. }) => {
            let mut path = path.clone();
            path.push(next.to_string());
            *next += 1;
            Some((path, None))
        }
    }
}

/// XML's five entities and numeric character references; CDATA sections as their text.
fn unescape(text: &str) -> String {
    let text = text.replace("<![CDATA[", "").replace("]]>", "");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';').filter(|&i| i <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The plist value as a [`Node`] tree, with the positions the index found; values it could
/// not place take their parent's position (`fallback` for the root).
pub fn to_node(value: &plist::Value, index: &Index, fallback: Span) -> Node {
    convert(value, index, &mut Vec::new(), fallback, 0)
}

/// Deeper than any real profile; the `plist` crate has its own limits, this keeps our
/// recursion bounded whatever it accepts.
const MAX_DEPTH: usize = crate::parse::MAX_DEPTH;

fn convert(value: &plist::Value, index: &Index, path: &mut Vec<String>, parent: Span, depth: usize) -> Node {
    let spot = index.spots.get(path.as_slice());
    let span = spot.map_or(parent, |s| s.value);
    let raw = spot.and_then(|s| s.raw.clone());
    let value = if depth > MAX_DEPTH {
        Value::Null
    } else {
        match value {
            plist::Value::Dictionary(dict) => Value::Map(
                dict.iter()
                    .map(|(key, item)| {
                        path.push(key.clone());
                        let key_span = index.spots.get(path.as_slice()).and_then(|s| s.key).unwrap_or(span);
                        let value = convert(item, index, path, span, depth + 1);
                        path.pop();
                        Entry { key: key.clone(), key_span, value }
                    })
                    .collect(),
            ),
            plist::Value::Array(items) => Value::Seq(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        path.push(i.to_string());
                        let node = convert(item, index, path, span, depth + 1);
                        path.pop();
                        node
                    })
                    .collect(),
            ),
            plist::Value::Boolean(b) => Value::Bool(*b),
            plist::Value::Integer(i) => match (i.as_signed(), i.as_unsigned()) {
                (Some(i), _) => Value::Int(i),
                (None, Some(u)) => Value::Float(u as f64),
                (None, None) => Value::Null,
            },
            plist::Value::Real(f) => Value::Float(*f),
            plist::Value::String(s) => Value::String(s.clone()),
            plist::Value::Date(d) => Value::String(d.to_xml_format()),
            plist::Value::Data(bytes) => Value::String(format!("<{} bytes of data>", bytes.len())),
            plist::Value::Uid(uid) => Value::Int(i64::try_from(uid.get()).unwrap_or(i64::MAX)),
            _ => Value::Null,
        }
    };
    Node { value, span, raw, plain: false }
}

/// The start of a text, for diagnostics about a whole file.
pub fn file_start() -> Span {
    Span::point(Pos { line: 1, column: 1, offset: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROFILE: &str = "<?xml version=\"1.0\"?>\n<!DOCTYPE plist>\n<plist version=\"1.0\">\n<dict>\n\
        \t<key>PayloadContent</key>\n\t<array>\n\t\t<dict>\n\t\t\t<key>a&amp;b</key>\n\t\t\t<integer>26</integer>\n\
        \t\t\t<key>flag</key><true/>\n\t\t</dict>\n\t</array>\n\t<!-- <key>x</key> -->\n\t<key>Name</key>\n\
        \t<string>x &lt; y</string>\n</dict>\n</plist>\n";

    fn parse(text: &str) -> plist::Value {
        plist::Value::from_reader(std::io::Cursor::new(text.as_bytes())).expect("plist")
    }

    #[test]
    fn keys_and_values_are_placed() {
        let node = to_node(&parse(PROFILE), &index(PROFILE), file_start());
        let item = node.pointer(&["PayloadContent", "0", "a&b"]).expect("item");
        assert_eq!((item.span.start.line, item.span.start.column), (9, 4));
        assert_eq!(item.raw.as_deref(), Some("26"));
        let key = node.key_span_at(&["PayloadContent", "0", "a&b"]).expect("key");
        assert_eq!(&PROFILE[key.start.offset..key.end.offset], "a&amp;b");
        assert_eq!(node.key_span_at(&["Name"]).map(|s| s.start.line), Some(14));
        assert_eq!(node.get("Name").and_then(Node::as_str), Some("x < y"));
        let flag = node.pointer(&["PayloadContent", "0", "flag"]).expect("flag");
        assert_eq!(&PROFILE[flag.span.start.offset..flag.span.end.offset], "<true/>");
    }

    #[test]
    fn duplicate_keys_are_found() {
        let text = "<dict><key>a</key><true/><key>b</key><dict><key>a</key><true/></dict><key>a</key><false/></dict>";
        let found = index(text).duplicates;
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].key.as_str(), found[0].parent.len()), ("a", 0));
    }

    #[test]
    fn unplaced_values_fall_back_to_their_parent() {
        // The scan stops at the unknown element; the plist crate is not asked here.
        let idx = index("<dict><key>a</key><dict><key>b</key><weird/></dict></dict>");
        assert!(!idx.spots.contains_key(&vec!["a".to_string(), "b".to_string()]));
        assert_eq!(unescape("&#x41;&#66;&bogus;&"), "AB&bogus;&");
    }
}
