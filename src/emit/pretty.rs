//! Pretty JSON written field by field, laid out byte for byte as serde_json's pretty printer
//! lays out the same value (two spaces a level, `": "` after a key, `[]` and `{}` when
//! empty). The manifest is tens of megabytes of it at 10,000 policies: written this way it
//! costs a fraction of serialising structs through serde.

/// A JSON text being written into `out`, `depth` levels deep.
pub struct Pretty<'o> {
    out: &'o mut Vec<u8>,
    depth: usize,
    /// Nothing yet in the innermost open array or object.
    empty: bool,
}

impl<'o> Pretty<'o> {
    /// Writing inside an array or object `depth` levels deep (0: the top level), after an
    /// earlier item unless `first`.
    pub fn inside(out: &'o mut Vec<u8>, depth: usize, first: bool) -> Self {
        Pretty { out, depth, empty: first }
    }

    /// Opens an object (`{`) or an array (`[`).
    pub fn open(&mut self, bracket: u8) -> &mut Self {
        self.out.push(bracket);
        self.depth += 1;
        self.empty = true;
        self
    }

    /// Closes what [`Pretty::open`] opened.
    pub fn close(&mut self, bracket: u8) -> &mut Self {
        self.depth -= 1;
        if !self.empty {
            self.line();
        }
        self.out.push(bracket);
        self.empty = false;
        self
    }

    /// An object's key of ddmc's own (a literal, which needs no escaping); its value follows.
    pub fn key(&mut self, key: &'static str) -> &mut Self {
        self.item().literal(key);
        self.out.extend_from_slice(b": ");
        self
    }

    /// A string of ddmc's own (a literal: a key, an Apple Type, a platform's name), which
    /// needs no escaping.
    pub fn literal(&mut self, value: &'static str) -> &mut Self {
        debug_assert!(!needs_escape(value.as_bytes()), "{value}");
        self.out.reserve(value.len() + 4);
        self.out.push(b'"');
        self.out.extend_from_slice(value.as_bytes());
        self.out.push(b'"');
        self
    }

    /// An object's key from the data (a group's name); its value follows.
    pub fn name(&mut self, key: &str) -> &mut Self {
        self.item();
        string(self.out, key);
        self.out.extend_from_slice(b": ");
        self
    }

    /// The place of an array's next item; its value follows.
    pub fn item(&mut self) -> &mut Self {
        if !self.empty {
            self.out.push(b',');
        }
        self.line();
        self.empty = false;
        self
    }

    pub fn str(&mut self, value: &str) -> &mut Self {
        string(self.out, value);
        self
    }

    /// A value that displays as a JSON string (a version, a path), written as one.
    pub fn display(&mut self, value: impl std::fmt::Display) -> &mut Self {
        use std::io::Write;
        let start = self.out.len();
        self.out.push(b'"');
        // Writing into memory cannot fail.
        let _ = write!(self.out, "{value}");
        if needs_escape(&self.out[start + 1..]) {
            let text = String::from_utf8_lossy(&self.out[start + 1..]).into_owned();
            self.out.truncate(start);
            string(self.out, &text);
        } else {
            self.out.push(b'"');
        }
        self
    }

    /// A JSON string made of `parts` one after the other (a path), without joining them
    /// first.
    pub fn joined(&mut self, parts: &[&str]) -> &mut Self {
        if parts.iter().any(|part| needs_escape(part.as_bytes())) {
            string(self.out, &parts.concat());
        } else {
            self.out.push(b'"');
            parts.iter().for_each(|part| self.out.extend_from_slice(part.as_bytes()));
            self.out.push(b'"');
        }
        self
    }

    /// A number or a literal (`null`), written as it is.
    pub fn raw(&mut self, text: &str) -> &mut Self {
        self.out.extend_from_slice(text.as_bytes());
        self
    }

    /// `"key": "value"`.
    pub fn field(&mut self, key: &'static str, value: &str) -> &mut Self {
        self.key(key).str(value)
    }

    /// An array of strings.
    pub fn strings<'s>(&mut self, items: impl IntoIterator<Item = &'s str>) -> &mut Self {
        self.open(b'[');
        for item in items {
            self.item().str(item);
        }
        self.close(b']')
    }

    /// A new line, indented to the depth: one copy, but for the deepest.
    fn line(&mut self) {
        const LINE: &[u8; 33] = b"\n                                ";
        let width = 2 * self.depth;
        match LINE.get(..1 + width) {
            Some(line) => self.out.extend_from_slice(line),
            None => {
                self.out.extend_from_slice(LINE);
                self.out.resize(self.out.len() + width - (LINE.len() - 1), b' ');
            }
        }
    }
}

/// `value` as a JSON string: as it is when nothing in it needs escaping (nearly always),
/// else escaped by serde_json itself.
pub fn string(out: &mut Vec<u8>, value: &str) {
    if needs_escape(value.as_bytes()) {
        // Writing a string into memory cannot fail.
        let _ = serde_json::to_writer(&mut *out, value);
    } else {
        out.reserve(value.len() + 2);
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
    }
}

/// What serde_json escapes: `"`, `\\` and control characters below a space. Looked for
/// eight bytes at a time (most of a manifest is strings that need no escape).
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    // Whether a byte of `word` is below `n` (at most 128), and whether one is `c`.
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGH != 0;
    let holds = |word: u64, c: u8| below(word ^ (ONES * u64::from(c)), 1);
    let special = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    let mut words = bytes.chunks_exact(8);
    words.by_ref().any(|word| {
        let word = u64::from_ne_bytes([word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7]]);
        below(word, 0x20) || holds(word, b'"') || holds(word, b'\\')
    }) || words.remainder().iter().any(|&b| special(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Objects, arrays (empty ones too), nesting, and strings that need escaping come out as
    /// serde_json's pretty printer writes them.
    #[test]
    fn lays_out_as_serde_json_pretty() {
        let awkward = "quote \" back \\ tab \t nl \n bell \u{7} é \u{7f}";
        let mut out = Vec::new();
        let mut p = Pretty::inside(&mut out, 0, true);
        p.open(b'{').field("a", awkward).key("empty").open(b'[').close(b']');
        p.key("none").open(b'{').close(b'}').key("list").strings(["x", awkward]);
        p.key("nested").open(b'[').item().open(b'{').key("n").raw("1").key("v").display("26.4").close(b'}');
        p.item().display(format_args!("{awkward}")).item().joined(&["a/", awkward, ".json"]);
        p.item().joined(&["a/", "b", ".json"]).close(b']').name(awkward).raw("2").close(b'}');
        let expected = json!({
            "a": awkward, "empty": [], "none": {}, "list": ["x", awkward],
            "nested": [{"n": 1, "v": "26.4"}, awkward, format!("a/{awkward}.json"), "a/b.json"],
        });
        let mut expected = expected;
        expected.as_object_mut().expect("an object").insert(awkward.into(), json!(2));
        let expected = serde_json::to_string_pretty(&expected).expect("json");
        assert_eq!(String::from_utf8(out).expect("utf-8"), expected);
    }

    /// Eight bytes at a time, the test finds every byte that needs an escape, wherever it is,
    /// and no other (the bytes next to each special range included).
    #[test]
    fn finds_exactly_the_bytes_to_escape() {
        for len in [1, 7, 8, 9, 16, 17] {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    let special = b < 0x20 || b == b'"' || b == b'\\';
                    assert_eq!(needs_escape(&bytes), special, "byte {b:#x} at {at} of {len}");
                }
            }
        }
        assert!(!needs_escape(b""));
    }
}
