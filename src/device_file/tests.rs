use super::*;
use crate::limits::MAX_DEVICE_FILE_BYTES;

const ALL: [Format; 3] = [Format::Json, Format::XmlPlist, Format::BinaryPlist];

fn read(text: &[u8]) -> Result<DeviceFile, Box<Diagnostic>> {
    parse("f", text, &ALL, "a device file").map_err(|f| f.diagnostic)
}

fn fails(text: &[u8]) -> Diagnostic {
    match read(text) {
        Ok(_) => panic!("expected an error for {:?}", String::from_utf8_lossy(text)),
        Err(d) => *d,
    }
}

fn line_col(d: &Diagnostic) -> (u32, u32) {
    let at = d.location.as_ref().expect("located").span.start;
    (at.line, at.column)
}

#[test]
fn formats_are_told_apart_by_content() {
    assert_eq!(Format::detect(b"\xef\xbb\xbf  {}"), Format::Json);
    assert_eq!(Format::detect(b"\n<?xml"), Format::XmlPlist);
    assert_eq!(Format::detect(b"bplist00"), Format::BinaryPlist);
    assert_eq!(Format::detect(b"\x30\x82"), Format::Signed);
    assert_eq!(Format::detect(b" \n"), Format::Empty);
    assert_eq!(Format::detect(b"hello"), Format::Unknown);
}

const PROFILE: &str = "<?xml version=\"1.0\"?>\n<!DOCTYPE plist>\n<plist version=\"1.0\">\n<dict>\n\
    \t<key>PayloadContent</key>\n\t<array>\n\t\t<dict>\n\t\t\t<key>a&amp;b</key>\n\t\t\t<integer>26</integer>\n\
    \t\t\t<key>flag</key><true/>\n\t\t</dict>\n\t</array>\n\t<!-- <key>x</key> -->\n\t<key>Name</key>\n\
    \t<string>x &lt; y</string>\n\t<key>When</key><date>2026-12-10T09:30:00Z</date>\n\
    \t<key>Blob</key><data>AAEC\n AwQ=</data>\n</dict>\n</plist>\n";

#[test]
fn xml_values_and_positions() {
    let file = read(PROFILE.as_bytes()).unwrap_or_else(|d| panic!("{d:?}"));
    let node = &file.root;
    let item = node.pointer(&["PayloadContent", "0", "a&b"]).expect("item");
    assert_eq!((item.span.start.line, item.span.start.column), (9, 4));
    assert_eq!(item.raw.as_deref(), Some("26"));
    assert_eq!(item.value, Value::Int(26));
    let key = node.key_span_at(&["PayloadContent", "0", "a&b"]).expect("key");
    assert_eq!(&PROFILE[key.start.offset..key.end.offset], "a&amp;b");
    assert_eq!(node.get("Name").and_then(Node::as_str), Some("x < y"));
    let flag = node.pointer(&["PayloadContent", "0", "flag"]).expect("flag");
    assert_eq!(&PROFILE[flag.span.start.offset..flag.span.end.offset], "<true/>");
    assert_eq!(flag.value, Value::Bool(true));
    assert_eq!(node.get("When").and_then(Node::as_str), Some("2026-12-10T09:30:00Z"));
    assert_eq!(node.get("Blob").and_then(Node::as_str), Some("<5 bytes of data>"));
}

#[test]
fn xml_duplicates_keep_the_last_value() {
    let text = b"<dict><key>a</key><true/><key>b</key><dict><key>a</key><true/></dict><key>a</key><false/></dict>";
    let file = read(text).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(file.duplicates.len(), 1);
    assert_eq!((file.duplicates[0].key.as_str(), file.duplicates[0].parent.len()), ("a", 0));
    assert_eq!(file.root.get("a").map(|n| &n.value), Some(&Value::Bool(false)));
    let nested = b"<dict><key>p</key><array><dict><key>x</key><true/><key>x</key><true/></dict></array></dict>";
    assert_eq!(read(nested).map(|f| f.duplicates[0].parent.clone()).ok(), Some(vec!["p".into(), "0".into()]));
}

#[test]
fn xml_errors_are_placed() {
    let cases: &[(&str, (u32, u32), &str)] = &[
        ("<dict>\n<key>a</key>\n<strin>x</strin></dict>", (3, 1), "unexpected element `<strin>`"),
        ("<dict>\n<key>a</key>\n</dict>", (2, 6), "`<key>a</key>` has no value"),
        ("<dict>\n<string>x</string></dict>", (2, 1), "a value without a `<key>`"),
        ("<dict>\n<key>a</key><integer>x1</integer></dict>", (2, 13), "invalid `<integer>`"),
        ("<dict>\n<key>a</key><string>&bogus;</string></dict>", (2, 21), "unknown entity `&bogus;`"),
        ("<plist><dict>\n<key>a</key><true/>", (2, 20), "the file ends before `<dict>` is closed"),
        ("<dict></array>", (1, 7), "not a valid property list"),
    ];
    for (text, at, message) in cases {
        let d = fails(text.as_bytes());
        assert!(d.message.contains(message), "{text}: {}", d.message);
        assert_eq!(line_col(&d), *at, "{text}: {}", d.message);
    }
}

#[test]
fn control_characters_are_errors_at_their_position() {
    let raw = fails(b"<dict>\n<key>a</key><string>x\x01y</string></dict>");
    assert_eq!((raw.code, line_col(&raw)), (Code::ControlCharacter, (2, 22)));
    let reference = fails(b"<dict>\n<key>a</key>\n  <string>&#1;</string></dict>");
    assert_eq!((reference.code, line_col(&reference)), (Code::ControlCharacter, (3, 11)));
    assert!(reference.message.contains("U+0001"), "{}", reference.message);
    // Tab, LF and CR are allowed, written or referenced.
    assert!(read(b"<string>a\tb&#9;&#10;&#xD;</string>").is_ok());
}

#[test]
fn limits_are_named() {
    let deep = format!("{}{}", "<array>".repeat(MAX_DEPTH + 1), "</array>".repeat(MAX_DEPTH + 1));
    let d = fails(deep.as_bytes());
    assert_eq!(d.code, Code::TooLarge);
    assert!(d.message.contains(&format!("more than {MAX_DEPTH} levels")), "{}", d.message);
    let ok = format!("{}{}", "<array>".repeat(MAX_DEPTH), "</array>".repeat(MAX_DEPTH));
    assert!(read(ok.as_bytes()).is_ok());
    let json = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    let d = fails(json.as_bytes());
    assert_eq!(d.code, Code::TooLarge);
    assert!(d.message.contains(&format!("more than {MAX_DEPTH} levels")), "{}", d.message);
    let bomb = fails(&binary::tests::shared(40, 2));
    assert_eq!(bomb.code, Code::TooLarge);
    assert!(bomb.message.contains(&format!("more than {MAX_DEVICE_FILE_VALUES} values")), "{}", bomb.message);
    let deep_binary = fails(&binary::tests::nested(100_000));
    assert_eq!(deep_binary.code, Code::TooLarge);
}

#[test]
fn binary_plists_are_read() {
    let mut bytes = Vec::new();
    let mut dict = plist::Dictionary::new();
    dict.insert("OSVersion".into(), plist::Value::String("26.4".into()));
    plist::Value::Dictionary(dict).to_writer_binary(&mut bytes).expect("written");
    let file = read(&bytes).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(file.format, Format::BinaryPlist);
    assert_eq!(file.root.get("OSVersion").and_then(Node::as_str), Some("26.4"));
    assert!(file.text.is_empty());
}

#[test]
fn what_is_not_accepted_says_so() {
    let d = parse("f", b"{}", &[Format::XmlPlist], "a profile").err().expect("refused").diagnostic;
    assert_eq!(d.message, "not a profile: expected an XML property list");
    let d = parse("f", b"x", &ALL, "a report").err().expect("refused").diagnostic;
    assert_eq!(d.message, "not a report: expected JSON, an XML property list or a binary property list");
    let empty = parse("f", b"  ", &ALL, "a profile").err().expect("refused").diagnostic;
    assert_eq!(empty.message, "the file is empty");
    let utf16 = fails(b"<\xff\xfe");
    assert_eq!(utf16.message, "`f` is not UTF-8 text");
}

#[test]
fn reads_are_bounded_and_only_of_regular_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.json");
    std::fs::File::create(&big).and_then(|f| f.set_len(MAX_DEVICE_FILE_BYTES + 1)).expect("sparse file");
    match super::read(&big, "big.json") {
        Err(ReadFailure::Content(d)) => {
            assert_eq!(d.code, Code::TooLarge);
            assert!(d.message.contains("larger than 8 MiB (the limit)"), "{}", d.message);
        }
        _ => panic!("a file past the limit is refused"),
    }
    let fits = dir.path().join("fits.json");
    std::fs::File::create(&fits).and_then(|f| f.set_len(MAX_DEVICE_FILE_BYTES)).expect("sparse file");
    assert!(super::read(&fits, "fits.json").is_ok_and(|b| b.len() as u64 == MAX_DEVICE_FILE_BYTES));
    match super::read(std::path::Path::new("/dev/zero"), "/dev/zero") {
        Err(ReadFailure::Content(d)) => assert_eq!(d.code, Code::NotAFile),
        _ => panic!("a device is not read"),
    }
    match super::read(dir.path(), "dir") {
        Err(ReadFailure::Content(d)) => assert!(d.message.contains("is a folder"), "{}", d.message),
        _ => panic!("a folder is not read"),
    }
    assert!(matches!(super::read(&dir.path().join("absent"), "absent"), Err(ReadFailure::Io(_))));
}
