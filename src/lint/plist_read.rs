//! Reading a profile's bytes into a `plist` value: what kind of file it is (XML, binary,
//! CMS-signed, something else), the `plist` crate's errors placed at their offset, and a
//! nesting limit checked before the crate reads anything (see [`bplist`]).

use super::bplist;
use super::plist_xml::file_start;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::parse::MAX_DEPTH;
use crate::source::Span;
use std::io::Cursor;

/// How the bytes start, after an optional byte order mark and whitespace.
enum Form {
    Xml,
    Binary,
    /// CMS (PKCS #7) signed data: DER, which starts with a SEQUENCE tag.
    Signed,
    Unknown,
}

fn form(bytes: &[u8]) -> Form {
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = body.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(body.len());
    let body = &body[start..];
    if body.starts_with(b"<") {
        Form::Xml
    } else if body.starts_with(b"bplist") {
        Form::Binary
    } else if body.first() == Some(&0x30) {
        Form::Signed
    } else {
        Form::Unknown
    }
}

/// The value in `bytes` and the file's text (empty unless UTF-8 XML), or only the text
/// when there is nothing to check (the reason is in `out`).
pub fn read(file: &str, bytes: &[u8], out: &mut Diagnostics) -> (Option<plist::Value>, String) {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        out.push(
            Diagnostic::error(Code::Syntax, "the file is empty")
                .at(file, file_start())
                .label("expected a property list")
                .help("a profile is an XML property list starting with `<?xml`"),
        );
        return (None, String::from_utf8(bytes.to_vec()).unwrap_or_default());
    }
    let form = form(bytes);
    let text = match form {
        Form::Xml => String::from_utf8(bytes.to_vec()).unwrap_or_default(),
        Form::Binary => String::new(),
        Form::Signed => {
            out.push(
                Diagnostic::warning(Code::Unsupported, "signed profile: its body is not checked")
                    .at(file, file_start())
                    .label("CMS-signed data, not a plain property list")
                    .note("a signed profile wraps the property list in a CMS (PKCS #7) signature")
                    .help(format!(
                        "lint the unsigned profile, or extract it on a Mac: `security cms -D -i {file} -o unsigned.mobileconfig`"
                    )),
            );
            return (None, String::new());
        }
        Form::Unknown => {
            out.push(
                Diagnostic::error(Code::Syntax, "not a property list")
                    .at(file, file_start())
                    .label("expected `<?xml`, `<plist`, `<dict>` or a binary plist")
                    .help("profiles are XML property lists; is this the right file?"),
            );
            return (None, String::new());
        }
    };
    let deep = match form {
        Form::Binary => bplist::deeper_than(bytes, MAX_DEPTH),
        _ => xml_depth(bytes) > MAX_DEPTH,
    };
    if deep {
        out.push(too_deep_error(file));
        return (None, text);
    }
    match plist::Value::from_reader(Cursor::new(bytes)) {
        Ok(value) if too_deep(&value) => {
            // Checked above; should the two counts ever disagree, dropping a value nested
            // this deep would recurse past the end of the stack. The file is at most
            // `walk::MAX_BYTES`, so leaking it is the bounded choice.
            std::mem::forget(value);
            out.push(too_deep_error(file));
            (None, text)
        }
        Ok(value) => (Some(value), text),
        Err(e) => {
            out.push(syntax_error(file, &text, &e));
            (None, text)
        }
    }
}

fn too_deep_error(file: &str) -> Diagnostic {
    let max = MAX_DEPTH;
    Diagnostic::error(Code::Syntax, format!("dictionaries and arrays are nested too deeply (more than {max} levels)"))
        .at(file, file_start())
        .label("not linted")
}

/// How deeply `<dict>` and `<array>` elements nest in XML text, counted before the `plist`
/// crate reads it: a half-read tree nested deeper than the stack would overflow it when
/// dropped after an error.
/// Zero bytes are skipped, so that UTF-16 text counts too.
fn xml_depth(bytes: &[u8]) -> usize {
    let text: Vec<u8> = bytes.iter().copied().filter(|&b| b != 0).collect();
    let (mut depth, mut max) = (0usize, 0usize);
    for (i, _) in text.iter().enumerate().filter(|(_, b)| **b == b'<') {
        let rest = &text[i + 1..];
        let opens = |name: &[u8]| {
            rest.starts_with(name) && matches!(rest.get(name.len()), Some(b'>' | b' ' | b'\t' | b'\n' | b'\r'))
        };
        if opens(b"dict") || opens(b"array") {
            let end = rest.iter().position(|&b| b == b'>').unwrap_or(rest.len());
            if end == 0 || rest.get(end - 1) != Some(&b'/') {
                depth += 1;
                max = max.max(depth);
            }
        } else if rest.starts_with(b"/dict") || rest.starts_with(b"/array") {
            depth = depth.saturating_sub(1);
        }
    }
    max
}

/// Deeper than any real profile, found without recursion (the `plist` crate reads any depth).
fn too_deep(value: &plist::Value) -> bool {
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return true;
        }
        match value {
            plist::Value::Array(items) => stack.extend(items.iter().map(|v| (v, depth + 1))),
            plist::Value::Dictionary(dict) => stack.extend(dict.values().map(|v| (v, depth + 1))),
            _ => {}
        }
    }
    false
}

/// The `plist` crate's error, placed at its byte offset when it gives one.
fn syntax_error(file: &str, text: &str, e: &plist::Error) -> Diagnostic {
    let shown = e.to_string();
    let offset = shown
        .rsplit_once("(offset ")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .and_then(|n| n.parse::<usize>().ok());
    let span = match offset {
        Some(offset) if !text.is_empty() => {
            let at = crate::parse::Locator::new(text).pos_at_byte(offset);
            Span::point(at)
        }
        _ => file_start(),
    };
    let reason = if e.is_eof() || e.is_io() {
        "the file ends before the property list does".to_string()
    } else {
        words(shown.split(" (offset").next().unwrap_or(&shown))
    };
    Diagnostic::error(Code::Syntax, format!("not a valid property list: {reason}"))
        .at(file, span)
        .label("the plist reader stopped here")
        .help("check the XML: every `<key>` needs a value, and every element its closing tag")
}

/// `UnclosedXmlElement` -> "unclosed XML element".
fn words(kind: &str) -> String {
    let mut out = String::new();
    for c in kind.chars() {
        if c.is_ascii_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out.replace("xml", "XML").replace("utf8", "UTF-8").replace("uid", "UID")
}
