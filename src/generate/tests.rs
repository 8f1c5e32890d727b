//! Translation rules on small inline YAML, independent of `../shared`.

use super::*;

fn keys(yaml: &str) -> Vec<Node> {
    parse_yaml(yaml).expect("test YAML").as_seq().expect("a list of keys").to_vec()
}

#[test]
fn scalars_enums_ranges_and_presence() {
    let schema = object(&keys(
        "- key: Mode\n  type: <string>\n  presence: required\n  rangelist: [Allowed, AlwaysOn]\n  default: Allowed\n\
         - key: Days\n  type: <integer>\n  presence: optional\n  range: {min: 1, max: 90}\n\
         - key: Ratio\n  type: <real>\n\
         - key: Blob\n  type: <data>\n\
         - key: Name\n  type: <string>\n  format: '^[a-z]+$'\n",
    ));
    assert_eq!(schema["required"], json!(["Mode"]));
    assert_eq!(schema["additionalProperties"], json!(false), "unknown keys are rejected");
    let p = &schema["properties"];
    assert_eq!(p["Mode"]["enum"], json!(["Allowed", "AlwaysOn"]));
    assert_eq!(p["Mode"]["default"], json!("Allowed"));
    assert_eq!(
        (p["Days"]["type"].clone(), p["Days"]["minimum"].clone(), p["Days"]["maximum"].clone()),
        (json!("integer"), json!(1), json!(90))
    );
    assert_eq!(p["Ratio"]["type"], json!("number"));
    assert_eq!(p["Blob"]["type"], json!("string"));
    assert_eq!(p["Name"]["pattern"], json!("^[a-z]+$"));
}

#[test]
fn array_placeholders_are_items_not_keys() {
    let schema = object(&keys(
        "- key: StatusItems\n  type: <array>\n  repetition: {min: 1, max: 3}\n  subkeys:\n  - key: StatusItem\n    type: <dictionary>\n    subkeys:\n    - key: Name\n      type: <string>\n      presence: required\n\
         - key: Ids\n  type: <array>\n  subkeys:\n  - key: IdsItem\n    type: <string>\n",
    ));
    let items = &schema["properties"]["StatusItems"];
    assert_eq!((items["minItems"].clone(), items["maxItems"].clone()), (json!(1), json!(3)));
    assert_eq!(items["items"]["required"], json!(["Name"]));
    assert!(items["items"]["properties"].get("StatusItem").is_none());
    assert_eq!(schema["properties"]["Ids"]["items"]["type"], json!("string"));
}

#[test]
fn any_dictionaries_admit_every_key() {
    let schema = object(&keys("- key: ANY\n  type: <any>\n  presence: required\n"));
    assert_eq!(schema["additionalProperties"], json!({}));
    assert!(schema.get("required").is_none(), "ANY is not a key name");
    let typed = object(&keys("- key: ANY\n  type: <string>\n"));
    assert_eq!(typed["additionalProperties"]["type"], json!("string"));
}

#[test]
fn support_is_inherited_per_os_and_field() {
    let doc = parse_yaml(
        "payload:\n  declarationtype: com.example.x\n  supportedOS:\n    iOS: {introduced: '18.0', allowed-enrollments: [supervised, device]}\n    macOS: {introduced: '15.0', allowed-enrollments: [supervised]}\n\
         payloadkeys:\n- key: Outer\n  type: <dictionary>\n  supportedOS:\n    iOS: {allowed-enrollments: [supervised]}\n  subkeys:\n  - key: Inner\n    type: <string>\n    combinetype: enum-last\n    supportedOS:\n      macOS: {introduced: n/a}\n",
    )
    .expect("yaml");
    let source = Source { path: "x.yaml", kind: Kind::Declaration, doc };
    let entry = support_entry(&source);
    let inner = &entry["keys"]["Outer.Inner"];
    assert_eq!(inner["combinetype"], json!("enum-last"));
    assert_eq!(inner["supportedOS"]["iOS"], json!({"introduced": "18.0", "allowed-enrollments": ["supervised"]}));
    assert_eq!(inner["supportedOS"]["macOS"], json!({"introduced": "n/a", "allowed-enrollments": ["supervised"]}));
    assert_eq!(entry["keys"]["Outer"]["supportedOS"]["macOS"]["introduced"], json!("15.0"));
}

/// `multiple` (may a device hold several payloads of this type) reaches the support table,
/// for the payload and, inherited, for its keys.
#[test]
fn support_carries_multiple() {
    let doc = parse_yaml(
        "payload:\n  payloadtype: com.example.single\n  supportedOS:\n    macOS: {introduced: '10.7', multiple: false}\n\
         payloadkeys:\n- key: Flag\n  type: <boolean>\n  supportedOS:\n    macOS: {introduced: '10.15'}\n",
    )
    .expect("yaml");
    let source = Source { path: "x.yaml", kind: Kind::Payload, doc };
    let entry = support_entry(&source);
    assert_eq!(entry["supportedOS"]["macOS"]["multiple"], json!(false));
    assert_eq!(entry["keys"]["Flag"]["supportedOS"]["macOS"], json!({"introduced": "10.15", "multiple": false}));
}
