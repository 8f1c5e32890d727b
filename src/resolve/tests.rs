//! Resolution on a small catalog: which release a deadline counts from, and that everything
//! needing a missing catalog is said at once.

use super::*;
use crate::diagnostics::Severity;
use crate::parse::parse_yaml;

/// macOS 26.3 (public 2026-02-11, offered to MDM from 2026-02-04), 26.3.1 (public
/// 2026-02-27, a Friday) and a BSI on it posted on Saturday 2026-02-28.
const CATALOG: &str = r#"{"fetched": "2026-03-02T06:00:00Z", "source": "https://gdmf.apple.com/v2/pmv", "pmv": {
  "PublicAssetSets": {"macOS": [
    {"ProductVersion": "26.3", "Build": "25D125", "PostingDate": "2026-02-11", "SupportedDevices": ["Mac16,1", "Mac15,3"]},
    {"ProductVersion": "26.3.1", "Build": "25D2128", "PostingDate": "2026-02-27", "SupportedDevices": ["Mac16,1", "Mac15,3"]}]},
  "AssetSets": {"macOS": [
    {"ProductVersion": "26.3", "Build": "25D125", "PostingDate": "2026-02-04", "SupportedDevices": ["Mac16,1", "Mac15,3"]}]},
  "PublicBackgroundSecurityImprovements": {"macOS": [
    {"ProductVersion": "26.3.1", "ProductVersionExtra": "(a)", "Build": "25D2128a", "PrerequisiteBuild": "25D2128",
     "PostingDate": "2026-02-28", "SupportedDevices": ["Mac16,1", "Mac15,3"]}]}}}"#;

fn policy(yaml: &str) -> (Policy, Document) {
    let root = parse_yaml(yaml).expect("yaml");
    let policy: Policy = serde_json::from_value(root.to_json()).expect("a valid policy");
    (policy, Document::new("policies/p.yaml".into(), &root))
}

fn run(yaml: &str, catalog: Option<&Catalog>) -> (Vec<Resolved>, Diagnostics) {
    let (policy, doc) = policy(yaml);
    let mut out = Diagnostics::default();
    let source = catalog.map(|catalog| Source { catalog, file: "apple-catalog.json" });
    (resolve(&policy, &doc, source, &mut out), out)
}

fn at(s: &str) -> LocalDateTime {
    s.parse().expect("date-time")
}

#[test]
fn the_bsi_half_counts_from_the_bsi_release() {
    let catalog = catalog::parse(CATALOG).expect("catalog");
    let yaml = "id: p\ntargets: {platforms: [macOS]}\nenforce:\n  - os_version: latest\n    background_security_improvement: latest\n    deadline: {days_after_release: 1, skip_weekends: true}\n";
    let (resolved, out) = run(yaml, Some(&catalog));
    assert!(!out.has_errors(), "{:?}", out.into_sorted());
    let r = &resolved[0];
    assert_eq!((r.os_version.to_string(), r.supplemental), ("26.3.1".to_owned(), true));
    assert_eq!(r.build_version.as_ref().map(ToString::to_string).as_deref(), Some("25D2128a"));
    // 2026-02-27 + 1 = Saturday, moved to Monday 2026-03-02.
    assert_eq!(r.deadline, at("2026-03-02T18:00:00"));
    // 2026-02-28 + 1 = Sunday, moved to Monday 2026-03-02 too.
    assert_eq!(r.bsi_deadline, at("2026-03-02T18:00:00"));
    let base = r.base.as_ref().expect("provenance");
    assert_eq!(
        base.arithmetic.as_deref(),
        Some("release 2026-02-27 + 1 days = Saturday 2026-02-28, moved to Monday 2026-03-02 18:00:00 device time")
    );
    assert_eq!(base.catalog_as_of.to_string(), "2026-03-02");
}

/// The release date is the public posting, not the earlier MDM one.
#[test]
fn an_explicit_version_counts_from_its_public_release() {
    let catalog = catalog::parse(CATALOG).expect("catalog");
    let yaml = "id: p\ntargets: {platforms: [macOS]}\nenforce:\n  - os_version: \"26.3\"\n    deadline: {days_after_release: 0, time: \"09:15:00\"}\n";
    let (resolved, out) = run(yaml, Some(&catalog));
    let notes: Vec<String> = out.iter().map(|d| format!("{:?} {}", d.severity, d.message)).collect();
    assert_eq!(notes, ["Note macOS 26.3 is superseded by 26.3.1"]);
    assert_eq!(resolved[0].deadline, at("2026-02-11T09:15:00"));
    assert_eq!(resolved[0].base.as_ref().map(|b| b.rule.as_str()), Some("as written: 26.3, released 2026-02-11"));
}

#[test]
fn without_a_catalog_everything_that_needs_one_is_said_at_once() {
    let yaml = "id: p\ntargets: {platforms: [macOS]}\nenforce:\n  - os_version: latest\n    background_security_improvement: latest\n    deadline: {days_after_release: 3}\n  - os_version: \"26.3\"\n    deadline: \"2026-04-01T18:00:00\"\n";
    let (resolved, out) = run(yaml, None);
    assert_eq!(resolved.len(), 1, "the explicit entry resolves as written");
    assert_eq!(resolved[0].base, None, "nothing to record without a catalog");
    let errors: Vec<String> = out
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let l = d.location.as_ref().expect("a place");
            format!("{}:{} {}", l.span.start.line, l.span.start.column, d.message)
        })
        .collect();
    assert_eq!(
        errors,
        [
            "4:17 `enforce[0].os_version`: `latest` needs Apple's catalog",
            "5:38 `enforce[0].background_security_improvement`: `latest` needs Apple's catalog",
            "6:15 `enforce[0].deadline`: a deadline relative to the release needs Apple's catalog",
        ]
    );
}

/// An explicit plain build is recorded with the base declaration it goes into.
#[test]
fn a_plain_build_is_recorded_with_the_base() {
    let catalog = catalog::parse(CATALOG).expect("catalog");
    let yaml = "id: p\ntargets: {platforms: [macOS]}\nenforce:\n  - os_version: \"26.3.1\"\n    build_version: \"25D2128\"\n    deadline: \"2026-04-01T18:00:00\"\n";
    let (resolved, out) = run(yaml, Some(&catalog));
    assert!(out.iter().next().is_none(), "{:?}", out.into_sorted());
    let base = resolved[0].base.as_ref().expect("provenance");
    assert_eq!(base.build_version.as_ref().map(ToString::to_string).as_deref(), Some("25D2128"));
    assert_eq!(base.rule, "as written: 26.3.1, released 2026-02-27");
    assert_eq!(resolved[0].bsi, None);
}
