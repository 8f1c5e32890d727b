use super::*;
use crate::source::Pos;
use proptest::prelude::*;

fn parse(text: &str) -> Node {
    parse_yaml(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn fail(text: &str) -> ParseError {
    match parse_yaml(text) {
        Ok(node) => panic!("{text:?} parsed as {:?}", node.to_json()),
        Err(e) => e,
    }
}

/// (line, column) of a span's start.
fn at(span: Span) -> (u32, u32) {
    (span.start.line, span.start.column)
}

fn end(span: Span) -> (u32, u32) {
    (span.end.line, span.end.column)
}

fn value_of(scalar: &str) -> Value {
    let root = parse(&format!("v: {scalar}\n"));
    root.get("v").expect("v").value.clone()
}

#[test]
fn spans_of_keys_values_and_collections() {
    let text = "name: demo\nlist:\n  - a\n  - {k: v}\nflow: [1, [2]]\n";
    let root = parse(text);
    let name = root.entry("name").expect("name");
    assert_eq!((at(name.key_span), end(name.key_span)), ((1, 1), (1, 5)));
    assert_eq!((at(name.value.span), end(name.value.span)), ((1, 7), (1, 11)));
    assert_eq!(name.value.span.start.offset, 6);
    let list = root.get("list").expect("list");
    assert_eq!((at(list.span), end(list.span)), ((3, 3), (4, 11)));
    let flow = root.get("flow").expect("flow");
    assert_eq!((at(flow.span), end(flow.span)), ((5, 7), (5, 15)));
    assert_eq!(&text[flow.span.start.offset..flow.span.end.offset], "[1, [2]]");
    // The root mapping runs from its first key to its last value.
    assert_eq!((at(root.span), end(root.span)), ((1, 1), (5, 15)));
}

#[test]
fn positions_count_characters_in_columns_and_bytes_in_offsets() {
    let text = "description: \"Café ✓\"\nversion: 26.10\nx: {é: ✓, bad: yes}\n";
    let root = parse(text);
    let description = root.get("description").expect("description");
    assert_eq!(description.as_str(), Some("Café ✓"));
    assert_eq!((at(description.span), end(description.span)), ((1, 14), (1, 22)));
    assert_eq!(description.span.end.offset, text.find('\n').expect("newline"));
    let version = root.get("version").expect("version");
    assert_eq!(at(version.span), (2, 10));
    assert_eq!(version.span.start.offset, text.find("26.10").expect("26.10"));
    let bad = root.entry("x").and_then(|x| x.value.entry("bad")).expect("bad");
    assert_eq!(at(bad.key_span), (3, 11));
    assert_eq!(bad.key_span.start.offset, text.find("bad").expect("bad"));
    assert_eq!(at(bad.value.span), (3, 16));
    assert_eq!(bad.value.span.start.offset, text.find("yes").expect("yes"));
}

#[test]
fn byte_order_mark_and_crlf_line_ends() {
    let text = "\u{feff}a: 1\r\nb: é\r\nc: 3\r\n";
    let root = parse(text);
    let a = root.entry("a").expect("a");
    assert_eq!(at(a.key_span), (1, 1));
    assert_eq!(a.key_span.start.offset, 3);
    let c = root.get("c").expect("c");
    assert_eq!(at(c.span), (3, 4));
    assert_eq!(c.span.start.offset, text.find('3').expect("3"));
}

#[test]
fn plain_scalars_follow_the_yaml_1_2_core_schema() {
    let cases = [
        ("true", Value::Bool(true)),
        ("True", Value::Bool(true)),
        ("TRUE", Value::Bool(true)),
        ("false", Value::Bool(false)),
        ("False", Value::Bool(false)),
        ("FALSE", Value::Bool(false)),
        ("null", Value::Null),
        ("Null", Value::Null),
        ("NULL", Value::Null),
        ("~", Value::Null),
        ("", Value::Null),
        ("0", Value::Int(0)),
        ("-0", Value::Int(0)),
        ("42", Value::Int(42)),
        ("-12", Value::Int(-12)),
        ("+7", Value::Int(7)),
        ("0777", Value::Int(777)),
        ("0o17", Value::Int(15)),
        ("0x1F", Value::Int(31)),
        ("0xff", Value::Int(255)),
        ("9223372036854775807", Value::Int(i64::MAX)),
        ("-9223372036854775808", Value::Int(i64::MIN)),
        ("1.5", Value::Float(1.5)),
        ("26.10", Value::Float(26.1)),
        ("-1.5E-3", Value::Float(-0.0015)),
        ("1e3", Value::Float(1000.0)),
        ("1E+3", Value::Float(1000.0)),
        (".5", Value::Float(0.5)),
        ("1.", Value::Float(1.0)),
        ("1.e2", Value::Float(100.0)),
        ("+.5", Value::Float(0.5)),
        (".inf", Value::Float(f64::INFINITY)),
        ("+.Inf", Value::Float(f64::INFINITY)),
        ("-.INF", Value::Float(f64::NEG_INFINITY)),
    ];
    for (text, expected) in cases {
        assert_eq!(value_of(text), expected, "{text:?}");
    }
    for nan in [".nan", ".NaN", ".NAN"] {
        assert!(matches!(value_of(nan), Value::Float(f) if f.is_nan()), "{nan}");
    }
    let strings = [
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Yes",
        "tRue",
        "nul",
        "26.3.1",
        "2026-12-01",
        "2026-12-01T18:00:00",
        "0b101",
        "1_000",
        "-0x1F",
        "0o8",
        "0x",
        "0o",
        "0xG",
        "1e",
        "1e+",
        ".",
        "+",
        "+-1",
        "e3",
        ".e3",
        ".infinity",
        "inf",
        "nan",
        "1.5.",
        "12:30",
        "1,000",
        "v1.2",
        "~x",
        "0x1F ff",
    ];
    for text in strings {
        assert_eq!(value_of(text), Value::String(text.to_owned()), "{text:?}");
    }
    // YAML's syntax never lets `-` alone be a plain scalar, but the rule still holds.
    assert!(matches!(resolve_plain("-"), Ok(Value::String(s)) if s == "-"));
}

#[test]
fn quoted_and_block_scalars_are_always_strings() {
    let text = "a: \"true\"\nb: '1'\nc: \"\"\nd: |\n  1\ne: >\n  null\n";
    let root = parse(text);
    let strings: Vec<_> =
        ["a", "b", "c", "d", "e"].iter().map(|k| root.get(k).and_then(Node::as_str).expect(k)).collect();
    assert_eq!(strings, ["true", "1", "", "1\n", "null\n"]);
    assert!(["a", "b", "c", "d", "e"].iter().all(|k| root.get(k).is_some_and(|n| !n.plain)));
}

#[test]
fn raw_text_is_kept_as_written() {
    let root = parse("a: 26.10\nb: yes\nc: 0x1F\nd: \"q\\u00e9\"\ne: [ 1e3 ]\nf: foo\n  bar\n");
    let raw = |k: &str| root.get(k).and_then(|n| n.raw.clone()).expect(k);
    assert_eq!(raw("a"), "26.10");
    assert_eq!(raw("b"), "yes");
    assert_eq!(raw("c"), "0x1F");
    assert_eq!(raw("d"), "\"q\\u00e9\"");
    assert_eq!(root.get("d").and_then(Node::as_str), Some("qé"));
    let first = root.pointer(&["e", "0"]).expect("e/0");
    assert_eq!((first.raw.as_deref(), first.plain), (Some("1e3"), true));
    // A multi-line plain scalar: folded value, raw text as it stands in the file.
    assert_eq!(root.get("f").and_then(Node::as_str), Some("foo bar"));
    assert_eq!(raw("f"), "foo\n  bar");
    assert!(root.get("a").is_some_and(|n| n.plain));
    assert!(root.get("d").is_some_and(|n| !n.plain));
    assert_eq!(root.raw, None);
}

#[test]
fn empty_values_are_null_and_point_at_their_indicator() {
    let root = parse("a:\nb: [x, ]\nc:\n  -\n");
    let a = root.get("a").expect("a");
    assert_eq!((&a.value, a.raw.as_deref()), (&Value::Null, Some("")));
    assert_eq!((at(a.span), end(a.span)), ((1, 2), (1, 2)));
    // An empty list item: just after its `-`.
    let item = root.pointer(&["c", "0"]).expect("c/0");
    assert_eq!((&item.value, at(item.span)), (&Value::Null, (4, 4)));
}

#[test]
fn numbers_out_of_range_are_errors() {
    for (text, column) in [
        ("9223372036854775808", 4),
        ("-9223372036854775809", 4),
        ("0x8000000000000000", 4),
        ("1e400", 4),
        ("[1, -1e999]", 8),
    ] {
        let e = fail(&format!("v: {text}"));
        assert!(e.message.contains("out of range"), "{text}: {}", e.message);
        assert_eq!(at(e.span), (1, column), "{text}");
    }
}

#[test]
fn str_tag_forces_a_string() {
    let root = parse("a: !!str 26.10\nb: !<tag:yaml.org,2002:str> true\nc: !!str\nd: [!!str 1]\n");
    let a = root.get("a").expect("a");
    assert_eq!(a.as_str(), Some("26.10"));
    assert_eq!((at(a.span), a.raw.as_deref(), a.plain), ((1, 10), Some("26.10"), false));
    assert_eq!(root.get("b").and_then(Node::as_str), Some("true"));
    assert_eq!(root.get("c").and_then(Node::as_str), Some(""));
    assert_eq!(root.pointer(&["d", "0"]).and_then(Node::as_str), Some("1"));
}

#[test]
fn other_tags_are_errors_at_the_node() {
    for (text, pos) in [
        ("a: !!int 5", (1, 4)),
        ("a: !custom x", (1, 4)),
        ("a: !!map {b: 1}", (1, 4)),
        ("a: !!str [b]", (1, 4)),
        ("a:\n  - !!binary aGk=", (2, 5)),
        ("!!int 3: x", (1, 1)),
        ("--- !!map\na: 1", (1, 5)),
    ] {
        let e = fail(text);
        assert_eq!(e.message, "tags are not supported", "{text}");
        assert_eq!(at(e.span), pos, "{text}");
    }
}

#[test]
fn keys_are_the_scalar_text_as_written() {
    let root = parse("1: a\ntrue: b\n\"q\": c\nnull: d\n~: e\n0x10: f\n'1.0': g\n");
    let keys: Vec<_> = root.as_map().expect("map").iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["1", "true", "q", "null", "~", "0x10", "1.0"]);
    let quoted = root.entry("q").expect("q");
    assert_eq!((at(quoted.key_span), end(quoted.key_span)), ((3, 1), (3, 4)));
}

#[test]
fn keys_must_be_scalars() {
    for (text, pos, kind) in [
        ("? [a]\n: 1\n", (1, 3), "a list"),
        ("? {a: 1}\n: 1\n", (1, 3), "a mapping"),
        ("x: {[a]: 1}", (1, 5), "a list"),
    ] {
        let e = fail(text);
        assert_eq!(e.message, format!("a mapping key must be a plain value, not {kind}"));
        assert_eq!(at(e.span), pos, "{text}");
    }
    let e = fail("a: &k x\n*k : 1\n");
    assert_eq!((e.message.as_str(), at(e.span)), ("an alias cannot be used as a mapping key", (2, 1)));
    let e = fail("a: 1\n: 2\n");
    assert_eq!((e.message.as_str(), at(e.span)), ("this mapping key is empty", (2, 1)));
    let e = fail("base: &b {x: 1}\nother:\n  <<: *b\n");
    assert_eq!((e.message.as_str(), at(e.span)), ("merge keys (`<<`) are not supported", (3, 3)));
    // Quoted, it is just a key.
    assert!(parse("\"<<\": 1").get("<<").is_some());
}

#[test]
fn duplicate_keys_point_at_both() {
    let e = fail("a: 1\nb: 2\na: 3\n");
    assert_eq!(e.message, "duplicate key `a`");
    assert_eq!((at(e.span), end(e.span)), ((3, 1), (3, 2)));
    let (note, first) = e.note.expect("note");
    assert_eq!((note.as_str(), at(first), end(first)), ("first defined here", (1, 1), (1, 2)));

    let e = fail("x:\n  key: 1\n  \"key\": 2\n");
    assert_eq!((e.message.as_str(), at(e.span)), ("duplicate key `key`", (3, 3)));
    assert_eq!(e.note.map(|(_, s)| at(s)), Some((2, 3)));

    let e = fail("x: {é: 1, é: 2}");
    assert_eq!(at(e.span), (1, 11));
    assert_eq!(e.span.start.offset, 11);

    // The same key in different mappings is fine.
    parse("x: {a: 1}\ny: {a: 2}\nz:\n  - a: 1\n  - a: 2\n");
}

#[test]
fn aliases_copy_the_anchored_node_at_the_alias_position() {
    let text = "base: &b {x: 1, y: [2]}\ncopy: *b\nv: &v 26.10\nw: *v\n";
    let root = parse(text);
    let base = root.get("base").expect("base");
    let copy = root.get("copy").expect("copy");
    assert_eq!(copy.value, base.value);
    assert_eq!((at(copy.span), end(copy.span)), ((2, 7), (2, 9)));
    // The anchored collection's own span starts at `{`, not at `&b`.
    assert_eq!(at(base.span), (1, 10));
    let w = root.get("w").expect("w");
    assert_eq!((&w.value, w.raw.as_deref(), at(w.span)), (&Value::Float(26.1), Some("26.10"), (4, 4)));
    let v = root.get("v").expect("v");
    assert_eq!((at(v.span), v.raw.as_deref()), ((3, 7), Some("26.10")));
}

#[test]
fn block_collections_with_anchors() {
    let root = parse("a: &x\n  b: 1\nc: *x\nd: &y # comment\n  - 1\ne: *y\n");
    assert_eq!(root.get("c").map(Node::to_json), Some(serde_json::json!({"b": 1})));
    assert_eq!(root.get("e").map(Node::to_json), Some(serde_json::json!([1])));
    assert_eq!(root.get("a").map(|a| at(a.span)), Some((2, 3)));
    assert_eq!(root.get("d").map(|d| at(d.span)), Some((5, 3)));
}

#[test]
fn anchors_can_be_redefined() {
    let root = parse("a: &x 1\nb: &x 2\nc: *x\n");
    assert_eq!(root.get("c").map(|c| &c.value), Some(&Value::Int(2)));
}

#[test]
fn unknown_and_recursive_aliases_are_errors() {
    let e = fail("a: 1\nb: *nope\n");
    assert_eq!((e.message.as_str(), at(e.span)), ("unknown anchor `nope`", (2, 4)));
    assert!(e.help.is_some());
    let e = fail("a: &a [1, *a]");
    assert_eq!((e.message.as_str(), at(e.span)), ("alias `*a` is inside the value it refers to", (1, 11)));
}

#[test]
fn alias_bombs_are_stopped() {
    let mut text = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let refs = vec![format!("*l{}", level - 1); 10].join(", ");
        text.push_str(&format!("l{level}: &l{level} [{refs}]\n"));
    }
    let e = fail(&text);
    assert!(e.message.contains("too large"), "{}", e.message);
    assert!(e.help.is_some_and(|h| h.contains("alias")));
    // A few levels of sharing stay well under the cap.
    let small: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
    let root = parse(&small);
    assert_eq!(root.pointer(&["l2", "9", "9", "9"]).and_then(Node::as_str), Some("x"));
}

#[test]
fn syntax_errors_are_reported_at_saphyrs_position() {
    let e = fail("a:\n\tb: 1\n");
    assert!(e.message.contains("tabs"), "{}", e.message);
    assert_eq!(at(e.span), (2, 1), "at the tab itself");
    assert!(e.help.is_some_and(|h| h.contains("spaces")));

    let e = fail("a: \"abc");
    assert_eq!((e.message.as_str(), at(e.span)), ("this quoted string is not closed", (1, 4)));
    let e = fail("a: ok\nb: 'it''s\n");
    assert_eq!((e.message.as_str(), at(e.span)), ("this quoted string is not closed", (2, 4)));
    let e = fail("a: \"abc\nb: 2\n");
    assert_eq!(at(e.span), (1, 4));

    let e = fail("key: [1, 2\n");
    assert!(e.message.contains("expected ',' or ']'"), "{}", e.message);
    assert_eq!(at(e.span), (2, 1));
    assert!(e.help.is_some_and(|h| h.contains(']')));

    let e = fail("a: {x: 1\n");
    assert!(e.help.is_some_and(|h| h.contains('}')));

    let e = fail("é: b: c\n");
    assert_eq!((e.message.as_str(), at(e.span)), ("mapping values are not allowed in this context", (1, 5)));
    assert_eq!(e.span.start.offset, 5);
}

#[test]
fn empty_files_are_errors_at_the_start() {
    for text in ["", "\n\n", "# only a comment\n# and another\n", "---\n", "---\n...\n", "\u{feff}"] {
        let e = fail(text);
        assert_eq!(e.message, "the file is empty; expected a policy mapping", "{text:?}");
        assert_eq!(at(e.span), (1, 1), "{text:?}");
    }
}

#[test]
fn only_one_document_per_file() {
    let e = fail("a: 1\n---\nb: 2\n");
    assert_eq!((e.message.as_str(), at(e.span), end(e.span)), ("only one document per file", (2, 1), (2, 4)));
    let e = fail("a: 1\n...\nb: 2\n");
    assert_eq!(at(e.span), (3, 1));
    let e = fail("# c\n---\na: 1\n--- # empty second\n");
    assert_eq!(at(e.span), (4, 1));
    // Document markers around a single document are fine.
    parse("---\na: 1\n...\n# trailing comment\n");
    parse("%YAML 1.2\n---\na: 1\n");
}

#[test]
fn nesting_is_limited() {
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    parse(&ok);
    let deeper = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    let e = fail(&deeper);
    assert!(e.message.contains("nested too deeply"), "{}", e.message);
    let column = u32::try_from(MAX_DEPTH + 1).expect("small");
    assert_eq!(at(e.span), (1, column));

    let mut block = String::new();
    for level in 0..=MAX_DEPTH {
        block.push_str(&format!("{}k:\n", " ".repeat(level)));
    }
    assert!(fail(&block).message.contains("nested too deeply"));

    // Far deeper input fails the same way, without exhausting the stack.
    let huge = "[".repeat(200_000);
    assert!(fail(&huge).message.contains("nested too deeply"));
}

#[test]
fn scalar_documents_are_returned_as_is() {
    assert_eq!(parse("hello\n").value, Value::String("hello".into()));
    assert_eq!(parse("~\n").value, Value::Null);
    assert_eq!(parse("- 1\n- 2\n").to_json(), serde_json::json!([1, 2]));
}

/// Line and column of `offset` computed the slow, obvious way.
fn naive_pos(text: &str, offset: usize) -> (u32, u32) {
    let before = text.get(..offset).expect("offset on a char boundary");
    let before = before.strip_prefix('\u{feff}').unwrap_or(before);
    let normalised = before.replace("\r\n", "\n").replace('\r', "\n");
    let line = normalised.matches('\n').count() + 1;
    let column = normalised.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (u32::try_from(line).expect("line"), u32::try_from(column).expect("column"))
}

fn check_pos(text: &str, pos: Pos) {
    assert!(pos.offset <= text.len(), "{pos:?} beyond {text:?}");
    assert!(text.is_char_boundary(pos.offset), "{pos:?} not on a char in {text:?}");
    assert_eq!((pos.line, pos.column), naive_pos(text, pos.offset), "{text:?}");
}

fn check_spans(text: &str, node: &Node) {
    check_pos(text, node.span.start);
    check_pos(text, node.span.end);
    assert!(node.span.start.offset <= node.span.end.offset, "{text:?}");
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|item| check_spans(text, item)),
        Value::Map(entries) => entries.iter().for_each(|entry| {
            check_pos(text, entry.key_span.start);
            check_pos(text, entry.key_span.end);
            check_spans(text, &entry.value);
        }),
        _ => assert!(node.raw.is_some()),
    }
}

/// Fragments that exercise most of YAML's syntax, including invalid combinations.
fn yamlish() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a",
        "b",
        "é",
        "✓",
        ":",
        ": ",
        " ",
        "  ",
        "\n",
        "\r\n",
        "\r",
        "- ",
        "-",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "\"",
        "'",
        "\\",
        "&a ",
        "*a",
        "!!str ",
        "!x ",
        "? ",
        "# c",
        "|",
        ">",
        "---\n",
        "...\n",
        "\t",
        "1",
        "26.10",
        "~",
        "\u{feff}",
        "%YAML 1.2\n",
        "@",
    ]);
    prop::collection::vec(pieces, 0..24).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Whatever the input, parsing returns (no panic), and every position it reports is
    /// consistent: on a char boundary, with the line and column of that byte.
    #[test]
    fn any_input_gives_consistent_positions(text in yamlish()) {
        match parse_yaml(&text) {
            Ok(root) => check_spans(&text, &root),
            Err(e) => {
                check_pos(&text, e.span.start);
                check_pos(&text, e.span.end);
                if let Some((_, span)) = e.note {
                    check_pos(&text, span.start);
                }
            }
        }
    }

    #[test]
    fn plain_scalars_never_panic(text in "[-+.0-9a-fA-FxoeEinINfFaA_:~ ]{0,12}") {
        let _ = resolve_plain(&text);
    }
}
