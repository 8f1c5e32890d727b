//! Checks on every string of a document, before the schema: characters that XML (and so a
//! `.mobileconfig` profile) cannot hold, and the size of free-text fields, which end up
//! verbatim in declarations and profiles.

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::limits::MAX_TEXT_BYTES;
use crate::parse::{Node, Value};
use crate::source::{Pos, Span};

/// The free-text fields and their limits: `[]` stands for any list index.
pub const TEXT_LIMITS: &[(&str, usize)] = &[
    ("description", MAX_TEXT_BYTES),
    ("software_updates.beta.offer_programs[].description", MAX_TEXT_BYTES),
    ("software_updates.beta.require_program.description", MAX_TEXT_BYTES),
    ("enforce[].details_url", MAX_TEXT_BYTES),
    ("organization.name", MAX_TEXT_BYTES),
];

/// C0 controls other than tab, line feed and carriage return, DEL, and the non-characters
/// U+FFFE and U+FFFF: XML 1.0 cannot carry them, so a profile holding one is not a plist.
pub fn forbidden(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{7f}' | '\u{fffe}' | '\u{ffff}')
}

/// The first forbidden character of `s`. Its bytes are looked at first: a forbidden
/// character is a control byte, or starts with 0xEF (U+FFFE and U+FFFF), and nearly no
/// text has either.
fn first_forbidden(s: &str) -> Option<char> {
    if !s.bytes().any(|b| b < b' ' || b == 0x7f || b == 0xef) {
        return None;
    }
    s.chars().find(|c| forbidden(*c))
}

/// Reports every string value or key with a forbidden character (at the character, or at the
/// escape that writes it) and every text field over its limit. Returns whether all is well.
pub fn check(file: &str, root: &Node, out: &mut Diagnostics) -> bool {
    let mut ok = true;
    walk(file, root, &mut Vec::new(), &mut ok, out);
    ok
}

fn walk<'a>(file: &str, node: &'a Node, path: &mut Vec<&'a str>, ok: &mut bool, out: &mut Diagnostics) {
    match &node.value {
        Value::String(s) => {
            if let Some(c) = first_forbidden(s) {
                *ok = false;
                let at = node.raw.as_deref().and_then(|raw| locate(raw, node.span.start)).unwrap_or(node.span);
                out.push(control(c, &pattern(path)).at(file, at));
            }
            // The field's name is spelled out only for a string longer than some limit.
            if s.len() <= SHORTEST_LIMIT {
                return;
            }
            let field = pattern(path);
            if let Some((_, limit)) = TEXT_LIMITS.iter().find(|(p, _)| *p == field)
                && s.len() > *limit
            {
                *ok = false;
                out.push(
                    Diagnostic::error(
                        Code::OutOfRange,
                        format!("`{field}` is {} bytes long; at most {limit} are allowed", s.len()),
                    )
                    .at(file, node.span)
                    .label(format!("longer than {} KiB", limit / 1024))
                    .help("shorten it; put long explanations on the page `details_url` points to"),
                );
            }
        }
        Value::Seq(items) => {
            for item in items {
                path.push("[]");
                walk(file, item, path, ok, out);
                path.pop();
            }
        }
        Value::Map(entries) => {
            for entry in entries {
                if let Some(c) = first_forbidden(&entry.key) {
                    *ok = false;
                    out.push(control(c, &format!("{} key", pattern(path))).at(file, entry.key_span));
                }
                path.push(&entry.key);
                walk(file, &entry.value, path, ok, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The lowest of [`TEXT_LIMITS`].
const SHORTEST_LIMIT: usize = {
    let mut shortest = usize::MAX;
    let mut i = 0;
    while i < TEXT_LIMITS.len() {
        if TEXT_LIMITS[i].1 < shortest {
            shortest = TEXT_LIMITS[i].1;
        }
        i += 1;
    }
    shortest
};

fn control(c: char, field: &str) -> Diagnostic {
    let field = if field.trim().is_empty() || field == " key" { "a key".to_string() } else { format!("`{field}`") };
    Diagnostic::error(Code::InvalidValue, format!("{field} contains the control character U+{:04X}", u32::from(c)))
        .label("not allowed in text")
        .note("profiles are XML, which cannot hold control characters other than tab and line breaks")
        .help("remove the character")
}

/// `software_updates.beta.offer_programs[].description`: the path as [`TEXT_LIMITS`] writes it.
fn pattern(path: &[&str]) -> String {
    let mut out = String::new();
    for segment in path {
        if *segment != "[]" && !out.is_empty() {
            out.push('.');
        }
        out.push_str(segment);
    }
    out
}

/// Where the first forbidden character is written in `raw` (the scalar as written, starting
/// at `start`): the character itself, or the backslash of the escape that stands for it in a
/// double-quoted string (`\a`, `\x07`, `\u0007`, `\U00000007`).
fn locate(raw: &str, start: Pos) -> Option<Span> {
    let quoted = raw.starts_with('"');
    let mut pos = start;
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let here = pos;
        let mut width = c.len_utf8();
        let found = if forbidden(c) {
            true
        } else if quoted && c == '\\' {
            let rest = &raw[i + 1..];
            let (value, len) = escape(rest);
            width += len;
            for _ in 0..len {
                chars.next();
            }
            value.is_some_and(forbidden)
        } else {
            false
        };
        let after = advance(here, &raw[i..i + width]);
        if found {
            return Some(Span::new(here, after));
        }
        pos = after;
    }
    None
}

/// The character an escape after a backslash stands for, and how many bytes it takes.
fn escape(rest: &str) -> (Option<char>, usize) {
    let hex = |n: usize| {
        let digits = rest.get(1..1 + n)?;
        u32::from_str_radix(digits, 16).ok().and_then(char::from_u32)
    };
    match rest.chars().next() {
        Some('x') => (hex(2), 3.min(rest.len())),
        Some('u') => (hex(4), 5.min(rest.len())),
        Some('U') => (hex(8), 9.min(rest.len())),
        Some('0') => (Some('\0'), 1),
        Some('a') => (Some('\u{7}'), 1),
        Some('b') => (Some('\u{8}'), 1),
        Some('e') => (Some('\u{1b}'), 1),
        Some('f') => (Some('\u{c}'), 1),
        Some('v') => (Some('\u{b}'), 1),
        Some(c) => (None, c.len_utf8()),
        None => (None, 0),
    }
}

/// `pos` moved past `text`.
fn advance(mut pos: Pos, text: &str) -> Pos {
    for c in text.chars() {
        pos.offset += c.len_utf8();
        if c == '\n' {
            pos.line += 1;
            pos.column = 1;
        } else {
            pos.column += 1;
        }
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_json, parse_yaml};

    fn problems(root: &Node) -> Vec<Diagnostic> {
        let mut out = Diagnostics::default();
        check("p", root, &mut out);
        out.into_sorted()
    }

    fn start(d: &Diagnostic) -> (u32, u32) {
        let span = d.location.as_ref().expect("location").span;
        (span.start.line, span.start.column)
    }

    /// The look at bytes first misses no character, alone or after others.
    #[test]
    fn every_forbidden_character_is_found() {
        let mut buffer = [0u8; 8];
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let alone = c.encode_utf8(&mut buffer[1..]).len();
            buffer[0] = b'a';
            let text = std::str::from_utf8(&buffer[..=alone]).expect("utf-8");
            assert_eq!(first_forbidden(text), forbidden(c).then_some(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn control_characters_are_found_where_they_are_written() {
        let yaml = "id: x\ndescription: \"Patch \\a now\"\n";
        let d = &problems(&parse_yaml(yaml).expect("yaml"))[0];
        assert_eq!(d.message, "`description` contains the control character U+0007");
        assert_eq!(start(d), (2, 21));
        let json = "{\"id\": \"x\",\n \"description\": \"ok\\u0000ok\"}";
        let d = &problems(&parse_json(json).expect("json"))[0];
        assert_eq!(d.message, "`description` contains the control character U+0000");
        assert_eq!(start(d), (2, 20));
        let multi = "description: \"line one\n  then \\x1B\"\n";
        let d = &problems(&parse_yaml(multi).expect("yaml"))[0];
        assert_eq!(start(d), (2, 8));
        for ok in ["a: \"tab\\there\\nline\\r\"", "a: caf\u{e9} \u{2713}", "a: '\\a is literal'"] {
            assert!(problems(&parse_yaml(ok).expect("yaml")).is_empty(), "{ok}");
        }
        for bad in ['\u{1}', '\u{7f}', '\u{fffe}', '\u{ffff}', '\u{1f}'] {
            assert!(forbidden(bad), "{bad:?}");
        }
    }

    #[test]
    fn control_characters_in_keys_and_lists() {
        let d = &problems(&parse_json("{\"a\\u0001\": 1}").expect("json"))[0];
        assert_eq!(d.message, "a key contains the control character U+0001");
        let d = &problems(&parse_yaml("targets:\n  groups: [ok, \"b\\x7F\"]\n").expect("yaml"))[0];
        assert_eq!(d.message, "`targets.groups[]` contains the control character U+007F");
        assert_eq!(start(d), (2, 18));
    }

    #[test]
    fn text_fields_have_a_limit() {
        let long = "x".repeat(MAX_TEXT_BYTES + 1);
        let yaml = format!(
            "description: {long}\nenforce:\n  - details_url: https://{long}\nsoftware_updates:\n  beta:\n    \
             offer_programs:\n      - description: {long}\n    require_program: {{description: {long}}}\n"
        );
        let all = problems(&parse_yaml(&yaml).expect("yaml"));
        let fields: Vec<&str> = all.iter().map(|d| d.message.split('`').nth(1).unwrap_or_default()).collect();
        assert_eq!(
            fields,
            [
                "description",
                "enforce[].details_url",
                "software_updates.beta.offer_programs[].description",
                "software_updates.beta.require_program.description"
            ]
        );
        assert_eq!(all[0].message, "`description` is 4097 bytes long; at most 4096 are allowed");
        assert_eq!(start(&all[0]), (1, 14));
        let at_limit = format!("description: {}\norganization: {{name: {}}}\n", "x".repeat(4096), "y".repeat(4096));
        assert!(problems(&parse_yaml(&at_limit).expect("yaml")).is_empty());
        let org = format!("organization: {{name: {}}}\n", "y".repeat(4097));
        assert_eq!(problems(&parse_yaml(&org).expect("yaml"))[0].code, Code::OutOfRange);
    }
}
