//! Properties of compilation over generated policy sets (proptest; few cases each, so the
//! suite stays fast; `PROPTEST_CASES=1000` runs more):
//!
//! - any valid policy set compiles without errors, and every declaration and profile passes
//!   ddmc's own Apple-schema self-validation (a failure there is an `internal` error);
//! - the order files are created in and their names (file names, folders, `.yaml`/`.yml`) do
//!   not change the output (the manifest's `source` fields name the files, and nothing else);
//! - compiling twice gives identical bytes, from disk and from memory alike;
//! - a policy set with Apple's catalog (`latest`, `major`/`below`, BSI `latest`, relative
//!   deadlines) resolves identically on every run.
//!
//! Policies are generated from the fields of the README's "Policy reference" (macOS and iOS,
//! groups, settings, beta programs, enforcement entries with explicit versions and deadlines),
//! written as YAML or JSON.

use crate::common;
use ddmc::diagnostics::{Code, Severity};
use ddmc::emit::OutputFile;
use ddmc::pipeline::{self, Compilation, Mode, Options, Sources};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fs;

const PROJECT: &str = "organization:\n  name: Property & Sons\n  identifier_prefix: com.example.prop\n";
const NEVER_LEGACY: &str = "organization:\n  identifier_prefix: com.example.prop\nlegacy_profiles: never\n";
const GROUPS: &[&str] = &["all", "pilot", "staff", "eng-2", "lab_3"];
const CONTROLS: &[&str] = &["allowed", "always_on", "always_off"];

/// `n` cases, or `PROPTEST_CASES`.
fn cases(n: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(n);
    Config { cases, failure_persistence: None, ..Config::default() }
}

fn control() -> impl Strategy<Value = Option<Value>> {
    proptest::option::of(select(CONTROLS).prop_map(|c| json!(c)))
}

fn boolean() -> impl Strategy<Value = Option<Value>> {
    proptest::option::of(any::<bool>().prop_map(Value::Bool))
}

fn days() -> impl Strategy<Value = Option<Value>> {
    proptest::option::of((1u32..=90).prop_map(|d| json!(d)))
}

/// Printable text, quotes and markup included (profiles are XML, declarations JSON).
fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 .,&<>'\"é-]{1,24}"
}

/// An object of the fields that are present.
fn object(fields: Vec<(&str, Option<Value>)>) -> Value {
    Value::Object(fields.into_iter().filter_map(|(k, v)| Some((k.to_owned(), v?))).collect::<Map<_, _>>())
}

fn program() -> impl Strategy<Value = Value> {
    (text(), "[a-z0-9-]{4,16}").prop_map(|(description, token)| json!({"description": description, "token": token}))
}

/// `beta`, following Apple's prose rules: `offer_programs` only with `allowed`/`always_on`,
/// `require_program` only with `always_on`, never both.
fn beta() -> impl Strategy<Value = Value> {
    (select(CONTROLS), 0usize..3, proptest::collection::vec(program(), 1..3), program()).prop_map(
        |(enrollment, extra, offers, required)| {
            let mut beta = json!({"enrollment": enrollment});
            match (enrollment, extra) {
                ("allowed" | "always_on", 1) => beta["offer_programs"] = Value::Array(offers),
                ("always_on", 2) => beta["require_program"] = required,
                _ => {}
            }
            beta
        },
    )
}

fn software_updates() -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        (control(), control(), boolean()),
        proptest::option::of(select(&["all", "oldest", "newest"][..]).prop_map(|c| json!(c))),
        (days(), days(), days(), days()),
        proptest::option::of(beta()),
    )
        .prop_map(
            |(notifications, (download, install, standard), cadence, (major, minor, system, combined), beta)| {
                let deferrals = object(vec![
                    ("major_days", major),
                    ("minor_days", minor),
                    ("system_days", system),
                    ("combined_days", combined),
                ]);
                let deferrals = (deferrals != json!({})).then_some(deferrals);
                // `notifications` exists on every platform: a policy with settings always
                // produces something, whatever its platforms drop.
                object(vec![
                    ("notifications", Some(Value::Bool(notifications))),
                    ("automatic_download", download),
                    ("automatic_install", install),
                    ("standard_users_can_update", standard),
                    ("recommended_cadence", cadence),
                    ("deferrals", deferrals),
                    ("beta", beta),
                ])
            },
        )
}

fn background_security_improvements() -> impl Strategy<Value = Value> {
    // At least one field: an empty section is `null` in YAML.
    (select(CONTROLS), boolean(), boolean()).prop_map(|(install, user_install, user_removal)| {
        object(vec![
            ("automatic_install", Some(json!(install))),
            ("user_install", user_install),
            ("user_removal", user_removal),
        ])
    })
}

/// Explicit targets Apple shipped, with builds that belong to them.
const TARGETS: &[(&str, &str, Option<&str>)] = &[
    ("macOS", "26.4", None),
    ("macOS", "26.3.1", Some("25D771280a")),
    ("macOS", "26.3.1", None),
    ("macOS", "15.7.3", None),
    ("iOS", "26.4", None),
    ("iOS", "26.3.1", Some("23D771330a")),
    ("iOS", "26.4", Some("23E5234a")),
    ("iOS", "18.7.6", None),
];

/// One `enforce` entry for one of `platforms` (the raw index picks which).
fn enforce_entry() -> impl Strategy<Value = (usize, Value)> {
    (
        0usize..TARGETS.len(),
        (2026u32..=2027, 1u32..=12, 1u32..=28, 0u32..24, select(&[0u32, 15, 30, 45][..])),
        proptest::option::of("[a-z]{1,8}"),
        any::<bool>(),
    )
        .prop_map(|(pick, (year, month, day, hour, minute), url, explicit)| {
            let (_, version, build) = TARGETS[pick];
            let mut entry = json!({
                "os_version": version,
                "deadline": format!("{year}-{month:02}-{day:02}T{hour:02}:{minute:02}:00"),
            });
            if let Some(build) = build {
                entry["build_version"] = json!(build);
                // Inferred from the build when absent; stated it must agree.
                if explicit && build.ends_with('a') && !build.contains("E5") {
                    entry["supplemental"] = json!(true);
                }
            }
            if let Some(url) = url {
                entry["details_url"] = json!(format!("https://it.example.com/{url}"));
            }
            (pick, entry)
        })
}

/// A policy (without its `id`, which the set gives).
fn policy() -> impl Strategy<Value = Value> {
    (
        subsequence(vec!["macOS", "iOS"], 1..=2).prop_shuffle(),
        proptest::option::of(subsequence(GROUPS.to_vec(), 1..=2)),
        proptest::option::of(text()),
        proptest::option::of(software_updates()),
        proptest::option::of(background_security_improvements()),
        proptest::collection::vec(enforce_entry(), 0..3),
    )
        .prop_map(|(platforms, groups, description, software, bsi, entries)| {
            let mut targets = json!({"platforms": platforms});
            if let Some(groups) = groups {
                targets["groups"] = json!(groups);
            }
            // Each entry goes to a platform of the policy: the one its target was picked for.
            let enforce: Vec<Value> = entries
                .into_iter()
                .filter(|(pick, _)| platforms.contains(&TARGETS[*pick].0))
                .map(|(pick, mut entry)| {
                    if platforms.len() > 1 {
                        entry["platform"] = json!(TARGETS[pick].0);
                    }
                    entry
                })
                .collect();
            let software = match (&software, &bsi, enforce.is_empty()) {
                // A policy that sets nothing is only a warning, but say something.
                (None, None, true) => Some(json!({"notifications": true})),
                _ => software,
            };
            let mut policy = object(vec![
                ("description", description.map(Value::String)),
                ("targets", Some(targets)),
                ("software_updates", software),
                ("background_security_improvements", bsi),
            ]);
            if !enforce.is_empty() {
                policy["enforce"] = Value::Array(enforce);
            }
            policy
        })
}

/// A policy file: its name and text (YAML written by hand, or JSON).
#[derive(Clone, Debug)]
struct File {
    name: String,
    text: String,
}

/// 1 to 6 policies with unique ids, in files under `policies/`.
fn policy_set() -> impl Strategy<Value = (bool, Vec<File>)> {
    (any::<bool>(), proptest::collection::vec(("[a-z][a-z0-9-]{0,8}[a-z0-9]", policy(), any::<bool>()), 1..=6))
        .prop_map(|(legacy, policies)| {
            let files = policies
                .into_iter()
                .enumerate()
                .map(|(i, (id, mut policy, as_json))| {
                    let id = format!("{id}-{i}");
                    let mut with_id = Map::new();
                    with_id.insert("id".into(), json!(id));
                    with_id.extend(policy.as_object_mut().expect("object").clone());
                    let value = Value::Object(with_id);
                    if as_json {
                        File {
                            name: format!("policies/{id}.json"),
                            text: serde_json::to_string_pretty(&value).expect("json"),
                        }
                    } else {
                        File { name: format!("policies/team-{}/{id}.yaml", i % 2), text: yaml(&value, 0) }
                    }
                })
                .collect();
            (legacy, files)
        })
}

/// Block-style YAML; strings double-quoted (JSON escapes are YAML escapes).
fn yaml(value: &Value, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let scalar = |v: &Value| match v {
        Value::String(s) => serde_json::to_string(s).expect("string"),
        other => other.to_string(),
    };
    let mut out = String::new();
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match v {
                    Value::Object(_) | Value::Array(_) => {
                        out.push_str(&format!("{pad}{key}:\n{}", yaml(v, indent + 2)))
                    }
                    _ => out.push_str(&format!("{pad}{key}: {}\n", scalar(v))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    // `- ` then the object's first key on the same line.
                    Value::Object(_) => {
                        let inner = yaml(item, indent + 2);
                        out.push_str(&format!("{pad}- {}", &inner[indent + 2..]));
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
    out
}

fn project(legacy: bool) -> &'static str {
    if legacy { PROJECT } else { NEVER_LEGACY }
}

fn secret(_: &str) -> Option<String> {
    Some("token".into())
}

fn compile_memory(project: &str, files: &[File], catalog: Option<&str>) -> Compilation {
    let policies: Vec<(&str, &str)> = files.iter().map(|f| (f.name.as_str(), f.text.as_str())).collect();
    let sources = Sources { project: Some(project), policies: &policies, catalog };
    pipeline::compile_sources(&sources, &Options::new(Mode::Build, &secret)).expect("in memory: loads")
}

/// The files written to a temporary repository in the order given, then compiled from disk.
fn compile_disk(project: &str, files: &[File], catalog: Option<&str>) -> Compilation {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("ddmc.yaml"), project).expect("ddmc.yaml");
    if let Some(catalog) = catalog {
        fs::write(dir.path().join("apple-catalog.json"), catalog).expect("catalog");
    }
    for file in files {
        let path = dir.path().join(&file.name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, &file.text).expect("write");
    }
    pipeline::compile_with(dir.path(), &Options::new(Mode::Build, &secret)).expect("loads")
}

/// Every error, rendered for a failure message.
fn errors(c: &Compilation) -> Vec<String> {
    c.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{:?} {:?}: {} {:?}", d.code, d.location, d.message, d.notes))
        .collect()
}

fn shown(files: &[File]) -> String {
    files.iter().map(|f| format!("--- {}\n{}", f.name, f.text)).collect()
}

/// Any valid policy set compiles, and ddmc's Apple-schema check accepts everything emitted.
#[test]
fn valid_policy_sets_compile_and_pass_self_validation() {
    let mut runner = TestRunner::new(cases(64));
    runner
        .run(&policy_set(), |(legacy, files)| {
            let c = compile_memory(project(legacy), &files, None);
            let internal: Vec<String> = errors(&c).into_iter().filter(|e| e.starts_with("Internal")).collect();
            prop_assert!(internal.is_empty(), "internal errors: {internal:#?}\n{}", shown(&files));
            prop_assert!(!c.diagnostics.has_errors(), "errors: {:#?}\n{}", errors(&c), shown(&files));
            prop_assert!(c.files.iter().any(|f| f.path.starts_with("declarations/")), "declarations");
            prop_assert!(c.files.iter().any(|f| f.path == "manifest.json"));
            Ok(())
        })
        .expect("property holds");
}

/// The same policies from disk, in another creation order, under other names and folders
/// (`.yaml` as `.yml`): the same declarations and profiles, byte for byte, and the same
/// manifest once its `source` fields are mapped back to the original names.
#[test]
fn file_order_and_names_do_not_change_the_output() {
    let renamed = (policy_set(), any::<u64>(), proptest::collection::vec(("[a-z0-9_]{1,8}", any::<bool>()), 6));
    let mut runner = TestRunner::new(cases(32));
    runner
        .run(&renamed, |((legacy, files), seed, names)| {
            let project = project(legacy);
            let original = compile_memory(project, &files, None);
            prop_assert!(!original.diagnostics.has_errors(), "{:#?}", errors(&original));

            // Created in a shuffled order, same names: the same bytes, manifest included.
            let mut shuffled = files.clone();
            shuffle(&mut shuffled, seed);
            let from_disk = compile_disk(project, &shuffled, None);
            prop_assert_eq!(&from_disk.files, &original.files, "created in another order");

            // Renamed: other names and folders, same contents.
            let mut back = BTreeMap::new();
            let renamed: Vec<File> = files
                .iter()
                .zip(&names)
                .enumerate()
                .map(|(i, (file, (name, deeper)))| {
                    let extension = if file.name.ends_with(".json") { "json" } else { "yml" };
                    let folder = if *deeper { format!("policies/x{i}/nested") } else { "policies".to_owned() };
                    let new_name = format!("{folder}/{name}-{i}.{extension}");
                    back.insert(new_name.clone(), file.name.clone());
                    File { name: new_name, text: file.text.clone() }
                })
                .collect();
            let moved = compile_disk(project, &renamed, None);
            prop_assert!(!moved.diagnostics.has_errors(), "{:#?}", errors(&moved));
            prop_assert_eq!(without_manifest(&moved.files), without_manifest(&original.files));
            let mut manifest = manifest(&moved.files);
            rename_sources(&mut manifest, &back);
            prop_assert_eq!(manifest, self::manifest(&original.files));
            Ok(())
        })
        .expect("property holds");
}

/// Compiling twice gives the same bytes (and the same diagnostics), in memory and from disk.
#[test]
fn compiling_twice_gives_identical_bytes() {
    let mut runner = TestRunner::new(cases(32));
    runner
        .run(&policy_set(), |(legacy, files)| {
            let project = project(legacy);
            let first = compile_memory(project, &files, None);
            let second = compile_memory(project, &files, None);
            prop_assert!(!first.files.is_empty());
            prop_assert_eq!(&first.files, &second.files);
            prop_assert_eq!(rendered(&first), rendered(&second));
            let disk = compile_disk(project, &files, None);
            prop_assert_eq!(&first.files, &disk.files, "from disk as from memory");
            Ok(())
        })
        .expect("property holds");
}

/// `enforce` entries resolved against Apple's catalog.
fn catalog_entry() -> impl Strategy<Value = (&'static str, Value)> {
    (
        select(&["macOS", "iOS"][..]),
        0usize..4,
        any::<bool>(),
        prop_oneof![
            (2026u32..=2027, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| json!(format!("{y}-{m:02}-{d:02}T18:00:00"))),
            (0u32..=365, proptest::option::of(0u32..24), any::<bool>()).prop_map(|(days, hour, skip)| {
                let mut d = json!({"days_after_release": days, "skip_weekends": skip});
                if let Some(hour) = hour {
                    d["time"] = json!(format!("{hour:02}:30:00"));
                }
                d
            }),
        ],
    )
        .prop_map(|(platform, kind, bsi, deadline)| {
            let mut entry = json!({"platform": platform, "deadline": deadline});
            match (platform, kind) {
                (_, 0) => entry["os_version"] = json!("latest"),
                ("macOS", 1) => entry
                    .as_object_mut()
                    .expect("object")
                    .extend([("os_version".to_owned(), json!("latest")), ("major".to_owned(), json!(15))]),
                ("iOS", 1) => entry
                    .as_object_mut()
                    .expect("object")
                    .extend([("os_version".to_owned(), json!("latest")), ("major".to_owned(), json!(18))]),
                (_, 2) => entry
                    .as_object_mut()
                    .expect("object")
                    .extend([("os_version".to_owned(), json!("latest")), ("below".to_owned(), json!("27"))]),
                _ => entry["os_version"] = json!("26.3.1"),
            }
            if bsi && platform == "macOS" && kind != 1 {
                entry["background_security_improvement"] = json!("latest");
            }
            (platform, entry)
        })
}

fn catalog_policy_set() -> impl Strategy<Value = Vec<File>> {
    proptest::collection::vec(proptest::collection::vec(catalog_entry(), 1..4), 1..4).prop_map(|policies| {
        policies
            .into_iter()
            .enumerate()
            .map(|(i, entries)| {
                let mut platforms: Vec<&str> = entries.iter().map(|(p, _)| *p).collect();
                platforms.sort_unstable();
                platforms.dedup();
                let enforce: Vec<Value> = entries.into_iter().map(|(_, e)| e).collect();
                let policy = json!({"id": format!("cat-{i}"), "targets": {"platforms": platforms}, "enforce": enforce});
                File { name: format!("policies/cat-{i}.yaml"), text: yaml(&policy, 0) }
            })
            .collect()
    })
}

/// The March 2026 capture in ddmc's wrapper, fetched on `day`.
fn catalog(day: &str) -> Option<String> {
    let sample = common::shared("samples/gdmf-pmv/sofa/gdmf_cached.2026-03-17_97f9aa09.json")?;
    let cache: Value = serde_json::from_str(&fs::read_to_string(sample).expect("sample reads")).expect("json");
    let wrapper =
        json!({"fetched": format!("{day}T06:00:00Z"), "source": "https://gdmf.apple.com/v2/pmv", "pmv": cache["data"]});
    Some(serde_json::to_string_pretty(&wrapper).expect("json"))
}

/// With a catalog, every run resolves every entry the same way (and gives the same bytes and
/// diagnostics), from memory and from disk.
#[test]
fn a_policy_set_with_a_catalog_resolves_identically_on_every_run() {
    let days = ["2026-03-05", "2026-03-12", "2026-03-20", "2026-04-30"];
    let catalogs: Vec<String> = days.iter().filter_map(|d| catalog(d)).collect();
    if catalogs.is_empty() {
        return;
    }
    let mut runner = TestRunner::new(cases(32));
    runner
        .run(&(catalog_policy_set(), 0..catalogs.len()), |(files, which)| {
            let catalog = Some(catalogs[which].as_str());
            let first = compile_memory(PROJECT, &files, catalog);
            let internal: Vec<String> = errors(&first).into_iter().filter(|e| e.starts_with("Internal")).collect();
            prop_assert!(internal.is_empty(), "internal errors: {internal:#?}\n{}", shown(&files));
            for run in 0..3 {
                let again = if run == 0 {
                    compile_disk(PROJECT, &files, catalog)
                } else {
                    compile_memory(PROJECT, &files, catalog)
                };
                prop_assert_eq!(again.resolutions(), first.resolutions(), "run {}", run);
                prop_assert_eq!(&again.files, &first.files, "run {}", run);
                prop_assert_eq!(rendered(&again), rendered(&first), "run {}", run);
            }
            Ok(())
        })
        .expect("property holds");
}

fn rendered(c: &Compilation) -> Vec<String> {
    c.diagnostics
        .iter_sorted()
        .iter()
        .map(|d| format!("{:?} {:?} {:?} {}", d.severity, d.code, d.location, d.message))
        .collect()
}

fn without_manifest(files: &[OutputFile]) -> Vec<&OutputFile> {
    files.iter().filter(|f| f.path != "manifest.json").collect()
}

fn manifest(files: &[OutputFile]) -> Value {
    let file = files.iter().find(|f| f.path == "manifest.json").expect("a manifest");
    serde_json::from_slice(&file.bytes).expect("manifest is JSON")
}

/// Every string that names a renamed file, back to the file's original name.
fn rename_sources(value: &mut Value, back: &BTreeMap<String, String>) {
    match value {
        Value::String(s) => {
            if let Some(original) = back.get(s.as_str()) {
                *s = original.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_sources(v, back)),
        Value::Object(map) => map.values_mut().for_each(|v| rename_sources(v, back)),
        _ => {}
    }
}

/// A deterministic shuffle (Fisher-Yates with a small LCG): proptest varies the seed.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let j = (seed >> 33) as usize % (i + 1);
        items.swap(i, j);
    }
}

#[test]
fn the_generator_writes_yaml_that_reads_as_the_json() {
    let value = json!({"id": "a-1", "targets": {"platforms": ["macOS"]}, "enforce": [{"os_version": "26.4", "deadline": "2026-12-01T18:00:00"}, {"os_version": "26.3.1", "deadline": "2027-01-01T09:00:00"}]});
    let text = yaml(&value, 0);
    assert_eq!(
        text,
        "id: \"a-1\"\ntargets:\n  platforms:\n    - \"macOS\"\nenforce:\n  - os_version: \"26.4\"\n    deadline: \"2026-12-01T18:00:00\"\n  - os_version: \"26.3.1\"\n    deadline: \"2027-01-01T09:00:00\"\n"
    );
    let c = compile_memory(PROJECT, &[File { name: "policies/a.yaml".into(), text }], None);
    assert!(!c.diagnostics.has_errors(), "{:#?}", errors(&c));
    assert!(c.diagnostics.iter().all(|d| d.code != Code::Internal));
}
