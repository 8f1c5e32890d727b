//! JSON: serde_json checks the syntax, so invalid JSON gets its familiar messages; then a small
//! scanner walks the now known-valid text to record where each value sits.
//!
//! We do not reuse the YAML builder: saphyr rejects some valid JSON (surrogate-pair escapes
//! such as `"\ud83d\ude00"`) and would type `-0` differently. Strings and numbers are decoded
//! by serde_json itself, so every value is exactly what serde_json reads.

use serde_json::error::Category;

use super::{Entry, Locator, MAX_DEPTH, MapBuilder, Node, ParseError, Value, out_of_range, too_deep};
use crate::source::Span;

/// The four whitespace characters JSON allows between tokens.
const WHITESPACE: [char; 4] = [' ', '\t', '\n', '\r'];

/// Parses a JSON policy file into a tree of spanned nodes. Stricter than serde_json in two
/// ways, the same as YAML: duplicate keys and integers beyond i64 are errors.
pub fn parse_json(text: &str) -> Result<Node, ParseError> {
    let locator = Locator::new(text);
    // RFC 8259 lets parsers ignore a byte order mark, which some Windows editors write.
    let start = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let body = text.get(start..).unwrap_or_default();
    if body.trim_matches(WHITESPACE).is_empty() {
        return Err(ParseError::empty_file(&locator));
    }
    if let Err(error) = serde_json::from_str::<serde_json::Value>(body) {
        let offset = start + serde_offset(body, &error);
        let at = Span::point(locator.pos_at_byte(offset));
        if error.to_string().starts_with("recursion limit exceeded") {
            return Err(too_deep(at));
        }
        return Err(ParseError::new(serde_message(&error), at));
    }
    Scanner { text, at: start, locator }.value(0)
}

/// serde_json's message without its " at line L column C" suffix: we give the position apart.
fn serde_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(end) if error.line() > 0 => message[..end].to_owned(),
        _ => message,
    }
}

/// The byte offset serde_json's error is at. It counts lines by `\n` and columns in bytes,
/// pointing at the offending byte (1-based); for an unexpected end it points at the last byte
/// read, so we point just after it, where something is missing.
fn serde_offset(body: &str, error: &serde_json::Error) -> usize {
    let line_start: usize = body.split_inclusive('\n').take(error.line().saturating_sub(1)).map(str::len).sum();
    let column = match error.classify() {
        Category::Eof => error.column(),
        _ => error.column().saturating_sub(1),
    };
    line_start + column
}

/// Walks valid JSON text, building nodes with spans. Anything unexpected is reported as an
/// internal error instead of panicking, though serde_json has already accepted the text.
struct Scanner<'a> {
    text: &'a str,
    /// Byte offset of the next unread character.
    at: usize,
    locator: Locator<'a>,
}

impl<'a> Scanner<'a> {
    /// The value starting at the next token; `depth` counts the collections around it.
    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let (value, span, raw) = self.string()?;
                Ok(Node { value: Value::String(value), span, raw: Some(raw.to_owned()), plain: false })
            }
            Some(b't' | b'f' | b'n') => {
                let (span, raw) = self.token(|b| b.is_ascii_alphabetic());
                let value = match raw {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => return Err(self.internal(span.start.offset)),
                };
                Ok(scalar(value, span, raw))
            }
            Some(b'-' | b'0'..=b'9') => {
                let (span, raw) = self.token(|b| b"+-.eE".contains(&b) || b.is_ascii_digit());
                let number: serde_json::Number =
                    serde_json::from_str(raw).map_err(|_| self.internal(span.start.offset))?;
                let value = match (number.as_i64(), number.as_f64()) {
                    (Some(int), _) => Value::Int(int),
                    // An integer literal beyond i64: an error, as in YAML, not a rounded float.
                    _ if raw.bytes().all(|b| b == b'-' || b.is_ascii_digit()) => {
                        return Err(out_of_range(raw, span));
                    }
                    (None, Some(float)) => Value::Float(float),
                    (None, None) => return Err(self.internal(span.start.offset)),
                };
                Ok(scalar(value, span, raw))
            }
            _ => Err(self.internal(self.at)),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node, ParseError> {
        let start = self.open_collection(depth)?;
        let mut map = MapBuilder::default();
        if !self.close_if(b'}') {
            loop {
                self.skip_whitespace();
                let (key, key_span, _) = self.string()?;
                self.skip_whitespace();
                self.expect(b':')?;
                let value = self.value(depth + 1)?;
                map.push(Entry { key, key_span, value })?;
                if self.close_if(b'}') {
                    break;
                }
                self.expect(b',')?;
            }
        }
        Ok(self.collection(Value::Map(map.finish()), start))
    }

    fn array(&mut self, depth: usize) -> Result<Node, ParseError> {
        let start = self.open_collection(depth)?;
        let mut items = Vec::new();
        if !self.close_if(b']') {
            loop {
                items.push(self.value(depth + 1)?);
                if self.close_if(b']') {
                    break;
                }
                self.expect(b',')?;
            }
        }
        Ok(self.collection(Value::Seq(items), start))
    }

    /// Consumes `[` or `{`, checking the nesting limit; returns its offset.
    fn open_collection(&mut self, depth: usize) -> Result<usize, ParseError> {
        let start = self.at;
        if depth >= MAX_DEPTH {
            let at = self.locator.pos_at_byte(start);
            return Err(too_deep(Span::point(at)));
        }
        self.at += 1;
        Ok(start)
    }

    /// A list or mapping spanning from `start` to just before `self.at`.
    fn collection(&self, value: Value, start: usize) -> Node {
        Node { value, span: self.span(start, self.at), raw: None, plain: false }
    }

    /// Decodes the string token here, returning its value, span (quotes included) and text.
    fn string(&mut self) -> Result<(String, Span, &'a str), ParseError> {
        let start = self.at;
        if self.peek() != Some(b'"') {
            return Err(self.internal(start));
        }
        let bytes = self.text.as_bytes();
        let mut end = start + 1;
        loop {
            match bytes.get(end) {
                Some(b'\\') => end += 2,
                Some(b'"') => break,
                Some(_) => end += 1,
                None => return Err(self.internal(start)),
            }
        }
        self.at = end + 1;
        let raw = self.text.get(start..self.at).unwrap_or_default();
        let value = serde_json::from_str(raw).map_err(|_| self.internal(start))?;
        Ok((value, self.span(start, self.at), raw))
    }

    /// Consumes the bytes matching `part`, returning their span and text.
    fn token(&mut self, part: impl Fn(u8) -> bool) -> (Span, &'a str) {
        let start = self.at;
        let rest = self.text.as_bytes().get(start..).unwrap_or_default();
        let len = rest.iter().take_while(|&&b| part(b)).count();
        self.at += len;
        let raw = self.text.get(start..self.at).unwrap_or_default();
        (self.span(start, self.at), raw)
    }

    /// After whitespace, consumes `close` if it is next.
    fn close_if(&mut self, close: u8) -> bool {
        self.skip_whitespace();
        let found = self.peek() == Some(close);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8) -> Result<(), ParseError> {
        self.skip_whitespace();
        if self.peek() != Some(byte) {
            return Err(self.internal(self.at));
        }
        self.at += 1;
        Ok(())
    }

    fn skip_whitespace(&mut self) {
        let rest = self.text.get(self.at..).unwrap_or_default();
        self.at += rest.len() - rest.trim_start_matches(WHITESPACE).len();
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.locator.pos_at_byte(start), self.locator.pos_at_byte(end))
    }

    fn internal(&self, at: usize) -> ParseError {
        let at = Span::point(self.locator.pos_at_byte(at));
        ParseError::new("internal error: unexpected JSON text", at)
    }
}

fn scalar(value: Value, span: Span, raw: &str) -> Node {
    Node { value, span, raw: Some(raw.to_owned()), plain: true }
}
