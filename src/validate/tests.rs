//! Each kind of schema error becomes the right message, fix and position.

use super::*;
use crate::diagnostics::{Code, Diagnostic};
use crate::parse::parse_yaml;

fn problems(yaml: &str) -> Vec<Diagnostic> {
    let node = parse_yaml(yaml).unwrap_or_else(|e| panic!("test YAML: {}", e.message));
    let mut out = Diagnostics::default();
    Validators::default().check(DocumentKind::Policy, "p.yaml", &node, &node.to_json(), &mut out);
    out.into_sorted()
}

fn only(yaml: &str) -> Diagnostic {
    let mut all = problems(yaml);
    assert_eq!(all.len(), 1, "expected one problem, got {all:#?}");
    all.remove(0)
}

fn line_col(d: &Diagnostic) -> (u32, u32) {
    let span = d.location.as_ref().expect("a location").span;
    (span.start.line, span.start.column)
}

const HEAD: &str = "id: demo\ntargets:\n  platforms: [macOS]\n";

#[test]
fn a_valid_policy_has_no_problems() {
    assert!(problems(&format!("{HEAD}software_updates:\n  automatic_install: always_on\n")).is_empty());
}

#[test]
fn unknown_key_suggests_the_near_one() {
    let d = only(&format!("{HEAD}software_updates:\n  automatic_instal: always_on\n"));
    assert_eq!(d.code, Code::UnknownKey);
    assert_eq!(d.message, "unknown key `automatic_instal` in `software_updates`");
    assert_eq!(d.help.as_deref(), Some("did you mean `automatic_install`?"));
    assert_eq!(line_col(&d), (5, 3));
}

#[test]
fn unknown_key_that_lives_elsewhere_says_where() {
    let d = only(&format!("{HEAD}software_updates:\n  user_removal: false\n"));
    assert_eq!(d.help.as_deref(), Some("`user_removal` belongs under `background_security_improvements`"));
}

#[test]
fn platform_case_is_corrected() {
    let d = only("id: demo\ntargets:\n  platforms: [macos]\n");
    assert_eq!(d.code, Code::InvalidValue);
    assert_eq!(d.help.as_deref(), Some("did you mean `macOS`?"));
    assert_eq!(line_col(&d), (3, 15));
}

#[test]
fn apple_spelling_of_an_enum_is_corrected() {
    let d = only(&format!("{HEAD}background_security_improvements:\n  automatic_install: AlwaysOn\n"));
    assert_eq!(d.help.as_deref(), Some("did you mean `always_on`?"));
}

#[test]
fn deadline_with_a_space_gets_the_exact_form() {
    let d = only(&format!("{HEAD}enforce:\n  - os_version: \"26.4\"\n    deadline: 2026-12-01 18:00\n"));
    assert_eq!(d.code, Code::InvalidFormat);
    assert!(d.help.as_deref().unwrap_or_default().contains("2026-12-01T18:00:00"), "{d:#?}");
    assert_eq!(line_col(&d), (6, 15));
}

#[test]
fn out_of_range_gives_the_range() {
    let d = only(&format!("{HEAD}software_updates:\n  deferrals:\n    major_days: 120\n"));
    assert_eq!(d.code, Code::OutOfRange);
    assert_eq!(d.label.as_deref(), Some("expected 1 to 90"));
    assert_eq!(line_col(&d), (6, 17));
}

#[test]
fn unquoted_version_number_is_explained() {
    let d = only(&format!("{HEAD}enforce:\n  - os_version: 26.10\n    deadline: \"2026-12-01T18:00:00\"\n"));
    assert_eq!(d.code, Code::WrongType);
    assert_eq!(d.help.as_deref(), Some("YAML reads `26.10` as a number; quote it: `\"26.10\"`"));
}

#[test]
fn yes_is_not_a_boolean() {
    let d = only(&format!("{HEAD}software_updates:\n  notifications: yes\n"));
    assert_eq!(d.code, Code::WrongType);
    assert_eq!(d.help.as_deref(), Some("write `true`"));
}

#[test]
fn missing_required_key_points_at_its_parent() {
    let d = only("id: demo\ntargets:\n  groups: [all]\n");
    assert_eq!(d.code, Code::MissingKey);
    assert_eq!(d.message, "missing required key `platforms` in `targets`");
    assert_eq!(line_col(&d), (3, 3));
}

#[test]
fn bad_policy_id_gets_a_slug() {
    let d = only("id: Mac_Baseline\ntargets:\n  platforms: [macOS]\n");
    assert_eq!(d.help.as_deref(), Some("write `mac-baseline`"));
}

#[test]
fn empty_section_is_a_mistake() {
    let d = only(&format!("{HEAD}software_updates:\n"));
    assert_eq!(d.code, Code::WrongType);
    assert!(d.help.as_deref().unwrap_or_default().contains("empty"), "{d:#?}");
}

#[test]
fn beta_program_needs_one_token_source() {
    let yaml = format!("{HEAD}software_updates:\n  beta:\n    offer_programs:\n      - description: Seed\n");
    assert!(only(&yaml).message.contains("needs `token` or `token_env`"));
    let both = format!("{yaml}        token: a\n        token_env: B\n");
    assert!(only(&both).message.contains("sets both"));
}

#[test]
fn alias_and_canonical_section_clash() {
    let d = only(&format!(
        "{HEAD}rapid_security_responses:\n  user_install: true\nbackground_security_improvements:\n  user_removal: false\n"
    ));
    assert_eq!(d.code, Code::DuplicateKey);
}

#[test]
fn the_alias_alone_is_accepted() {
    assert!(problems(&format!("{HEAD}rapid_security_responses:\n  user_install: true\n")).is_empty());
}

#[test]
fn several_problems_are_all_reported_in_order() {
    let all = problems("id: demo\ntargets:\n  platforms: [macos]\nsoftware_updates:\n  notifcations: true\n");
    let lines: Vec<u32> = all.iter().map(|d| line_col(d).0).collect();
    assert_eq!(lines, vec![3, 5]);
}

/// 49,990 unknown keys in one mapping (the parser's limit is 100,000 values): each is found through one index of the mapping's keys
/// (a scan per key made this quadratic: 9 s in release, far longer here).
#[test]
fn fifty_thousand_unknown_keys_are_each_found_once() {
    let keys: String = (0..49_990).map(|i| format!("k{i}: 1, ")).collect();
    let all = problems(&format!("{HEAD}software_updates: {{{keys}}}\n"));
    assert_eq!(all.len(), 49_990);
    assert_eq!(all[49_989].message, "unknown key `k49989` in `software_updates`");
    let span = all[49_989].location.as_ref().expect("location").span;
    assert_eq!(span.start.line, 4);
}

/// `30.0` is integral, which JSON Schema counts as an integer: it used to pass the schema and
/// fail in serde as an internal error at 1:1.
#[test]
fn an_integral_float_is_not_a_whole_number() {
    let d = only(&format!("{HEAD}software_updates:\n  deferrals:\n    major_days: 30.0\n"));
    assert_eq!(d.code, Code::WrongType);
    assert_eq!(d.message, "`software_updates.deferrals.major_days` must be a whole number such as 30, found `30.0`");
    assert_eq!(d.help.as_deref(), Some("write `30`"));
    assert_eq!(line_col(&d), (6, 17));
    let d = only(&format!("{HEAD}software_updates:\n  deferrals:\n    major_days: 30.5\n"));
    assert_eq!(d.message, "`software_updates.deferrals.major_days` must be a whole number such as 30, found `30.5`");
}

#[test]
fn details_url_must_be_https() {
    let d = only(&format!(
        "{HEAD}enforce:\n  - os_version: \"26.4\"\n    deadline: \"2026-12-01T18:00:00\"\n    details_url: http://it.example.com/x\n"
    ));
    assert_eq!(d.code, Code::InvalidFormat);
    assert!(d.message.contains("must start with `https://`"), "{}", d.message);
    assert_eq!(d.help.as_deref(), Some("write `https://it.example.com/x`"));
}

#[test]
fn a_document_that_is_not_a_mapping_is_named() {
    let d = only("- id: demo\n");
    assert_eq!(d.message, "the policy must be a mapping, found a list");
    assert!(d.help.as_deref().is_some_and(|h| h.contains("`id: my-policy`")), "{d:?}");
    let d = only("just text\n");
    assert_eq!(d.message, "the policy must be a mapping, found a string");
}

#[test]
fn ipados_and_enforcement_get_suggestions() {
    let d = only("id: demo\ntargets:\n  platforms: [iPadOS]\n");
    assert_eq!(d.help.as_deref(), Some("did you mean `iOS`? (iPadOS is iOS: `iOS` targets iPhone and iPad)"));
    let d = only(&format!("{HEAD}enforcement:\n  - os_version: \"26.4\"\n"));
    assert_eq!(d.help.as_deref(), Some("did you mean `enforce`?"));
}
