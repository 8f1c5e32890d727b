//! The whole compiler, without I/O of its own output: load -> parse -> validate -> model ->
//! lower -> emit. Every problem becomes a diagnostic; output exists only without errors.

use crate::analysis;
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::document::Document;
use crate::emit::{self, OutputFile, place};
use crate::lower::legacy::Profile;
use crate::lower::{self, Declaration, identifier::MAX_OCTETS};
use crate::model::project::{DEFAULT_OUTPUT, DEFAULT_PREFIX, LegacyProfiles};
use crate::model::{LocalDateTime, Policy, Project};
use crate::parse::{self, Node};
use crate::policy_cache::{self, Cache};
use crate::repo::{self, LoadError, Repository};
use crate::resolve;
use crate::source::{SourceFile, Span};
use crate::stamp::Stamp;
use crate::template;
use crate::validate::{DocumentKind, Validators, rules};
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Everything but writing: a missing secret is only a warning.
    Check,
    Build,
}

pub struct Compilation {
    pub repository: Repository,
    pub project: Project,
    pub diagnostics: Diagnostics,
    /// The output tree; empty when there are errors or it was not rendered
    /// ([`Options::render`]).
    pub files: Vec<OutputFile>,
    /// Policies that parsed and validated, in file order.
    pub policies: Vec<Loaded>,
    pub declarations: Vec<Declaration>,
    pub profiles: Vec<Profile>,
    /// Apple's catalog, when the repository has one.
    pub catalog: Option<crate::catalog::Catalog>,
    /// What to write into the policy cache once the build is written ([`Options::cache`]).
    pub cache: Option<policy_cache::Update>,
}

pub use crate::resolve::Loaded;

/// How to compile, besides the repository.
pub struct Options<'a> {
    pub mode: Mode,
    /// Reads `token_env` variables.
    pub secret: &'a (dyn Fn(&str) -> Option<String> + Sync),
    /// Warn about deadlines at or before this local time (`check` and `build` pass the clock
    /// or `--now`). The output never depends on it.
    pub now: Option<LocalDateTime>,
    /// The environment of `ddmc.yaml` whose variables templates use (`--env`).
    pub environment: Option<&'a str>,
    /// Whether [`Compilation::files`] is rendered (`diff`, `build --check`), every file handed
    /// to a sink as it is rendered (`build`), or every declaration only validated (`check`,
    /// `explain`, `report`, `status`).
    pub render: emit::Render<'a>,
    /// Where the policy cache of the output is, given the output folder `ddmc.yaml` names
    /// (`build`; none for an output the build will refuse): the policy files it remembers are
    /// not read again, and [`Compilation::cache`] says what to remember of those that were.
    pub cache: Option<&'a CacheAt<'a>>,
}

/// Where the policy cache is, given the output folder `ddmc.yaml` names ([`Options::cache`]).
pub type CacheAt<'a> = dyn Fn(&str) -> Option<std::path::PathBuf> + Sync + 'a;

impl<'a> Options<'a> {
    pub fn new(mode: Mode, secret: &'a (dyn Fn(&str) -> Option<String> + Sync)) -> Self {
        Options { mode, secret, now: None, environment: None, render: emit::Render::Files, cache: None }
    }
}

pub fn compile(
    root: &Path,
    mode: Mode,
    secret: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Compilation, LoadError> {
    compile_with(root, &Options::new(mode, secret))
}

pub fn compile_with(root: &Path, options: &Options<'_>) -> Result<Compilation, LoadError> {
    // The schemas compile on another core while the repository is walked and read (with a
    // policy cache, its policy files are read once it is open: it may vouch for them unread).
    let walk = || if options.cache.is_some() { repo::find(root) } else { repo::load(root) };
    let (repository, _) = rayon::join(walk, Validators::shared);
    let repository = repository?;
    compile_repository(repository, Origin::Disk(root), options)
}

/// A repository given as text instead of a folder, for fuzzing and tests: compiled exactly
/// as [`compile_with`] compiles a folder holding these files, without reading the disk.
/// Names are as in a repository (`policies/team/mac.yaml`); `output:` is not checked against
/// a folder, since there is none.
pub struct Sources<'a> {
    /// `ddmc.yaml`.
    pub project: Option<&'a str>,
    /// (name, text) of each policy file.
    pub policies: &'a [(&'a str, &'a str)],
    /// The catalog file `ddmc.yaml` names (`apple-catalog.json` by default).
    pub catalog: Option<&'a str>,
}

/// [`compile_with`] for a repository given as text.
pub fn compile_sources(sources: &Sources<'_>, options: &Options<'_>) -> Result<Compilation, LoadError> {
    let file = |name: &str, text: &str| SourceFile::new(name, name, text);
    let mut policies: Vec<SourceFile> = sources.policies.iter().map(|(name, text)| file(name, text)).collect();
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    let repository = Repository::given(sources.project.map(|text| file(repo::PROJECT_FILE, text)), policies);
    compile_repository(repository, Origin::Memory { catalog: sources.catalog }, options)
}

/// Where a repository's files come from: a folder, or [`Sources`].
#[derive(Clone, Copy)]
enum Origin<'a> {
    Disk(&'a Path),
    Memory { catalog: Option<&'a str> },
}

fn compile_repository(
    mut repository: Repository,
    origin: Origin<'_>,
    options: &Options<'_>,
) -> Result<Compilation, LoadError> {
    let (mode, secret, now) = (options.mode, options.secret, options.now);
    let validators = Validators::shared();
    let mut diagnostics = Diagnostics::default();
    let (project, project_doc) = match &repository.project {
        Some(file) => load_project(file, validators, &mut diagnostics),
        None => (Project::default(), None),
    };
    let defined: Vec<&str> = project.environments.keys().map(String::as_str).collect();
    let environment = match options.environment {
        Some(name) => match project.environments.get(name) {
            Some(variables) => Some(template::Environment { name, variables: &variables.0 }),
            None => return Err(LoadError::Usage(unknown_environment(name, &defined))),
        },
        None => None,
    };
    let templates = Templates { environment: environment.as_ref(), defined: &defined };
    // Apple's catalog first: it depends on `ddmc.yaml` only, and every policy resolves
    // against it in the pass below.
    let errors = diagnostics.count(Severity::Error);
    let catalog =
        load_catalog(origin, &project, project_doc.as_ref(), now, &mut repository.fragments, &mut diagnostics);
    // A catalog that exists but cannot be read has its error: "this repository has no
    // catalog" for each `latest` would mislead.
    let unreadable = diagnostics.count(Severity::Error) > errors;
    let source = catalog.as_ref().map(|(file, catalog)| resolve::Source { catalog, file: file.as_str() });
    let cx = lower::Context {
        identifier_prefix: project.identifier_prefix(),
        secret,
        missing_secret_is_error: mode == Mode::Build,
        organization: project.organization.name.as_deref(),
    };
    // The cache is read while the policy files' stamps are taken, by which it may vouch for
    // them unread.
    let (cache, stamps) = match options.cache.and_then(|at| at(project.output())) {
        Some(path) => {
            let context = policy_cache::context(repository.project.as_ref().map(|f| &*f.text), options.environment);
            let (cache, stamps) = rayon::join(|| Cache::open(path, context), || repository.stamp_policies());
            (Some(cache), stamps)
        }
        None => (None, Vec::new()),
    };
    let unchanged = cache.as_ref().map(|cache| move |name: &str, stamp: &Stamp| cache.unchanged(name, stamp).is_some());
    repository.read_policies(unchanged.as_ref().map(|unchanged| (&stamps[..], unchanged as repo::Unchanged<'_>)))?;
    for problem in &repository.problems {
        diagnostics.push(problem.clone());
    }
    // Each file is parsed and validated on its own core (or recalled from the cache); results
    // (and their diagnostics) are merged in file order, so output and messages stay
    // deterministic.
    let per_file: Vec<(Option<Loaded>, Diagnostics, Remembered, Option<SourceFile>)> = repository
        .policies
        .par_iter()
        .map(|file| {
            let mut found = Diagnostics::default();
            let Some(cache) = &cache else {
                return (load_policy(file, validators, &templates, &mut found, None), found, Remembered::No, None);
            };
            let key = match file.unread {
                // Vouched for by its stamp: its entry gives what reading it gives.
                true => file.stamp.and_then(|stamp| cache.unchanged(&file.name, &stamp)),
                false => Some(cache.key(file)),
            };
            if let Some(key) = key
                && let Some((policy, doc)) = cache.recall(&key, file)
            {
                return (Some(Loaded { doc, policy, targets: Vec::new() }), found, Remembered::Used(key), None);
            }
            // (A file not read whose entry cannot be used after all is read now.)
            let read_now = match file.unread {
                true => match repo::read_again(file, &mut found) {
                    Some(read) => Some(read),
                    None => return (None, found, Remembered::No, None),
                },
                false => None,
            };
            let (file, key) = match (&read_now, key) {
                (None, Some(key)) => (file, key),
                (read, _) => {
                    let file = read.as_ref().unwrap_or(file);
                    (file, cache.key(file))
                }
            };
            let mut json = Vec::new();
            let loaded = load_policy(file, validators, &templates, &mut found, Some(&mut json));
            // Remembered only without a diagnostic: a warning is reported at every build.
            let fresh = loaded.is_some() && found.iter().next().is_none();
            (loaded, found, if fresh { Remembered::Fresh(key, json) } else { Remembered::No }, read_now)
        })
        .collect();
    let mut loaded: Vec<Loaded> = Vec::with_capacity(per_file.len());
    let (mut used, mut fresh, mut stamps) = (Vec::new(), policy_cache::Fresh::default(), Vec::new());
    for (i, (item, found, remembered, read_now)) in per_file.into_iter().enumerate() {
        diagnostics.extend(found);
        if let Some(file) = read_now {
            repository.policies[i] = file;
        }
        let key = match remembered {
            Remembered::Used(key) => {
                used.push(key);
                Some(key)
            }
            Remembered::Fresh(key, json) => {
                fresh.add(key, loaded.len(), &json);
                Some(key)
            }
            Remembered::No => None,
        };
        // By its stamp the next build knows the file unchanged, and recalls it unread.
        stamps.extend(key.and_then(|key| Some((i, repository.policies[i].stamp?, key))));
        loaded.extend(item);
    }
    let stamps = stamps.into_iter().map(|(i, stamp, key)| (repository.policies[i].name.as_str(), stamp, key)).collect();
    let cache = cache.map(|cache| cache.update(used, fresh, stamps));
    // Then each policy is resolved and lowered on its own core. (In a second pass: parsing's
    // short-lived trees and the declarations that live to the end are then not interleaved
    // in the allocator's pages, which at 10,000 policies kept 5-10 MB more resident.)
    let lowered: Vec<Lowered> = loaded
        .par_iter_mut()
        .map(|item| {
            let mut found = Diagnostics::default();
            let mut resolving = Diagnostics::default();
            item.targets = resolve::resolve(&item.policy, &item.doc, source, &mut resolving);
            if !unreadable {
                found.extend(resolving);
            }
            if let Some(now) = now {
                resolve::check_deadlines(&item.targets, &item.doc, now, &mut found);
            }
            let (declarations, legacy) = lower_one(item, &project, &cx, &mut found);
            Lowered { declarations, legacy, found }
        })
        .collect();
    // Sized once: grown by doubling, tens of thousands of declarations are copied (and their
    // fresh pages zeroed) again and again on the one thread that merges them.
    let count = lowered.iter().map(|l| l.declarations.len()).sum::<usize>() + lower::REPOSITORY_DECLARATIONS;
    let mut declarations: Vec<Declaration> = Vec::with_capacity(count);
    let mut legacy = Vec::new();
    for lowered in lowered {
        diagnostics.extend(lowered.found);
        declarations.extend(lowered.declarations);
        legacy.extend(lowered.legacy);
    }
    if repository.policies.is_empty() && !repository.problems.iter().any(|d| d.severity == Severity::Error) {
        diagnostics.push(no_policies(origin));
    }
    check_unique_ids(&loaded, &mut diagnostics);
    if let Origin::Disk(root) = origin {
        check_output(root, &project, project_doc.as_ref(), &mut diagnostics);
    }
    check_prefix_is_chosen(&repository, &project, project_doc.as_ref(), &mut diagnostics);
    // Conflicts are warnings only (`--deny-conflicts` raises them later): they are looked
    // for while the tree is emitted, on the policies' declarations.
    let policy_declarations = declarations.len();
    // One merged legacy profile per group and platform: what a device may hold.
    let groups: BTreeSet<&str> =
        loaded.iter().flat_map(|l| l.policy.targets.groups.iter().map(String::as_str)).collect();
    let legacy_settings =
        analysis::legacy::Settings { identifier_prefix: cx.identifier_prefix, organization: cx.organization };
    let profiles: Vec<Profile> = analysis::legacy::merge(&legacy, &groups, &legacy_settings);
    analysis::legacy::check(&loaded, &profiles, &mut diagnostics);
    let repository_declarations = lower::lower_repository(cx.identifier_prefix, &declarations);
    check_prefix_length(&repository_declarations, project_doc.as_ref(), &mut diagnostics);
    declarations.extend(repository_declarations);

    let resolutions = resolutions(cx.identifier_prefix, &loaded);

    let valid = !diagnostics.has_errors();
    // Emission and conflicts both read the declarations in Identifier order: sorted once, on
    // every core, with each Identifier beside its declaration (one pointer fewer to follow at
    // each comparison). Identifiers are unique but where a policy id is used twice (an error).
    let mut keyed: Vec<(&str, &Declaration)> = declarations.iter().map(|d| (d.identifier.as_str(), d)).collect();
    keyed.par_sort_unstable_by(|a, b| a.0.cmp(b.0));
    let sorted: Vec<&Declaration> = keyed.into_iter().map(|(_, d)| d).collect();
    let of_policies = declarations[..policy_declarations].as_ptr_range();
    let policies_sorted: Vec<&Declaration> =
        sorted.iter().copied().filter(|d| of_policies.contains(&std::ptr::from_ref(*d))).collect();
    let (mut conflicts, mut emitting) = (Diagnostics::default(), Diagnostics::default());
    let ((), mut files) = rayon::join(
        || {
            let policy_declarations = &declarations[..policy_declarations];
            analysis::conflicts::check(&loaded, policy_declarations, &policies_sorted, &mut conflicts);
        },
        || {
            if valid {
                emit::tree(&project, &sorted, &profiles, &resolutions, options.render, &mut emitting)
            } else {
                Vec::new()
            }
        },
    );
    diagnostics.extend(conflicts);
    diagnostics.extend(emitting);
    if diagnostics.has_errors() {
        files.clear();
    }
    // A diagnostic's snippet needs the text of a file the cache vouched for unread.
    repository.read_pointed_at(diagnostics.iter());
    let catalog = catalog.map(|(_, c)| c);
    Ok(Compilation {
        policies: loaded,
        declarations,
        profiles,
        repository,
        project,
        diagnostics,
        files,
        catalog,
        cache,
    })
}

/// What the policy cache has to do with one policy file.
enum Remembered {
    /// Nothing: there is no cache, or the file loaded with a diagnostic.
    No,
    /// It came from the cache entry with this key.
    Used(policy_cache::Key),
    /// It was read, and is to be remembered: its key and the JSON it was validated as.
    Fresh(policy_cache::Key, Vec<u8>),
}

/// What one policy lowered to: its declarations and legacy settings, and the diagnostics of
/// resolving and lowering it.
struct Lowered {
    declarations: Vec<Declaration>,
    legacy: Option<lower::legacy::LegacyPolicy>,
    found: Diagnostics,
}

/// A resolved policy lowered into its declarations and (with `legacy_profiles: auto`) its
/// legacy settings; a policy that yields nothing is told so.
fn lower_one(
    item: &Loaded,
    project: &Project,
    cx: &lower::Context<'_>,
    out: &mut Diagnostics,
) -> (Vec<Declaration>, Option<lower::legacy::LegacyPolicy>) {
    let mut lowering = Diagnostics::default();
    let declarations = lower::lower_policy(&item.policy, &item.doc, &item.targets, cx, &mut lowering);
    let legacy = (project.legacy_profiles == LegacyProfiles::Auto)
        .then(|| lower::legacy::lower(&item.policy, &item.doc, &mut lowering));
    let legacy_keys: usize = legacy.iter().flat_map(|l| &l.platforms).map(|p| p.keys.len()).sum();
    // An entry that could not be resolved has its own error.
    let resolved_all = item.targets.len() == item.policy.enforce.len();
    let mut nothing = Diagnostics::default();
    if declarations.is_empty() && legacy_keys == 0 && resolved_all {
        lower::produces_nothing(&item.policy, &item.doc, &lowering, &mut nothing);
    }
    out.extend(lowering);
    out.extend(nothing);
    (declarations, legacy)
}

impl Compilation {
    /// Per enforcement Identifier, what Apple's catalog resolved it from.
    pub fn resolutions(&self) -> BTreeMap<String, resolve::Provenance> {
        resolutions(self.project.identifier_prefix(), &self.policies)
    }

    /// Every group a policy names, and `all`.
    pub fn groups(&self) -> BTreeSet<&str> {
        let mut groups = BTreeSet::from([crate::model::GROUP_ALL]);
        groups.extend(self.policies.iter().flat_map(|p| p.policy.targets.groups.iter().map(String::as_str)));
        groups
    }

    /// Why `group` is not one the policies know, for `--group`: a typo must not silently
    /// mean "nothing applies".
    pub fn unknown_group(&self, group: &str) -> Option<String> {
        let groups = self.groups();
        if groups.contains(group) {
            return None;
        }
        let names: Vec<String> = groups.iter().map(|g| format!("`{g}`")).collect();
        let hint = match crate::diagnostics::suggest::did_you_mean(group, groups.iter().copied()) {
            Some(near) => format!("; did you mean `{near}`?"),
            None => String::new(),
        };
        Some(format!("no policy names the group `{group}`: the groups are {}{hint}", names.join(", ")))
    }
}

/// The output tree in an MDM server's format. Fleet enforces OS updates itself: `enforce`
/// entries are not exported for it, and each policy that has them gets a warning saying
/// what to set in Fleet instead.
pub fn package(c: &mut Compilation, format: crate::emit::format::Format) {
    use crate::emit::format::{Format, package};
    if format == Format::Fleet {
        for item in c.policies.iter().filter(|p| !p.policy.enforce.is_empty()) {
            let targets: Vec<String> =
                item.policy.enforce.iter().map(|e| format!("{} by {}", e.target, e.deadline)).collect();
            c.diagnostics.push(
                Diagnostic::warning(
                    Code::Unsupported,
                    format!("`enforce` is not exported for Fleet ({})", targets.join(", ")),
                )
                .at(&item.doc.file, item.doc.key_span(&["enforce"]))
                .label("Fleet enforces OS updates itself")
                .help("set the target in Fleet: `controls.macos_updates` (`minimum_version`, `deadline`), and `ios_updates` / `ipados_updates`"),
            );
        }
    }
    c.files = package(format, std::mem::take(&mut c.files));
}

/// Every `latest` and relative deadline of REPO's policies that resolves differently against
/// `new` than against `old` (`ddmc catalog update`): "policy `p` (file) enforce[0]:
/// os_version 26.3 -> 26.3.1". Policies that do not load are left out; `check` reports them.
pub fn resolution_changes(
    root: &Path,
    old: Option<&crate::catalog::Catalog>,
    new: &crate::catalog::Catalog,
) -> Result<Vec<String>, LoadError> {
    let (repository, project, _) = project(root)?;
    let validators = Validators::shared();
    let defined: Vec<&str> = project.environments.keys().map(String::as_str).collect();
    let templates = Templates { environment: None, defined: &defined };
    let file = project.catalog();
    let mut lines = Vec::new();
    for source_file in &repository.policies {
        let Some(item) = load_policy(source_file, validators, &templates, &mut Diagnostics::default(), None) else {
            continue;
        };
        let against = |catalog: Option<&crate::catalog::Catalog>| {
            let source = catalog.map(|catalog| resolve::Source { catalog, file });
            resolve::resolve(&item.policy, &item.doc, source, &mut Diagnostics::default())
        };
        let (before, after) = (against(old), against(Some(new)));
        for (index, entry) in item.policy.enforce.iter().enumerate() {
            let moves = matches!(entry.target, crate::model::Target::Latest { .. })
                || entry.latest_bsi
                || matches!(entry.deadline, crate::model::Deadline::AfterRelease(_));
            if !moves {
                continue;
            }
            let find = |all: &[resolve::Resolved]| all.iter().find(|r| r.index == index).cloned();
            let (was, now) = (find(&before), find(&after));
            let (a, b) = (shown_fields(was.as_ref()), shown_fields(now.as_ref()));
            for ((name, a), (_, b)) in a.into_iter().zip(b) {
                if a != b {
                    lines.push(format!(
                        "policy `{}` ({}) enforce[{index}]: {name} {a} -> {b}",
                        item.policy.id, item.doc.file
                    ));
                }
            }
        }
    }
    Ok(lines)
}

/// What `catalog update` compares of a resolved entry, as it prints it.
fn shown_fields(r: Option<&resolve::Resolved>) -> [(&'static str, String); 3] {
    let unresolved = || "(unresolved)".to_owned();
    [
        ("os_version", r.map_or_else(unresolved, |r| r.os_version.to_string())),
        (
            "build_version",
            r.map_or_else(unresolved, |r| {
                r.build_version.as_ref().map_or_else(|| "(none)".to_owned(), ToString::to_string)
            }),
        ),
        (
            "deadline",
            r.map_or_else(unresolved, |r| match r.supplemental {
                true => format!("{} (BSI {})", r.deadline, r.bsi_deadline),
                false => r.deadline.to_string(),
            }),
        ),
    ]
}

/// `ddmc.yaml` alone, for commands that compile no policies (`ddmc catalog`).
pub fn project(root: &Path) -> Result<(Repository, Project, Diagnostics), LoadError> {
    let repository = repo::load(root)?;
    let mut diagnostics = Diagnostics::default();
    for problem in &repository.problems {
        diagnostics.push(problem.clone());
    }
    let project = match &repository.project {
        Some(file) => load_project(file, Validators::shared(), &mut diagnostics).0,
        None => Project::default(),
    };
    Ok((repository, project, diagnostics))
}

/// Whether a policy file is read as JSON (else YAML).
fn is_json(file: &SourceFile) -> bool {
    file.name.to_ascii_lowercase().ends_with(".json")
}

fn parse_file(file: &SourceFile, out: &mut Diagnostics) -> Option<Node> {
    let parsed = if is_json(file) { parse::parse_json(&file.text) } else { parse::parse_yaml(&file.text) };
    parsed.map_err(|e| out.push(parse_error(file, e))).ok()
}

fn parse_error(file: &SourceFile, e: parse::ParseError) -> Diagnostic {
    let code = match e.kind {
        parse::ParseErrorKind::DuplicateKey => Code::DuplicateKey,
        parse::ParseErrorKind::TooLarge => Code::TooLarge,
        parse::ParseErrorKind::Syntax | parse::ParseErrorKind::Empty => Code::Syntax,
    };
    let mut d = Diagnostic::error(code, e.message).at(&file.name, e.span).help_opt(e.help);
    if let Some((message, span)) = e.note {
        d = d.related(&file.name, span, message);
    }
    d
}

/// Parse, validate against the schema, then deserialise: a document is typed only once
/// it is known to be valid, so serde never has to explain anything to a user. `document`
/// makes the [`Document`] of the tree that was typed.
fn typed<T: DeserializeOwned>(
    kind: DocumentKind,
    file: &SourceFile,
    root: Node,
    validators: &Validators,
    out: &mut Diagnostics,
    json: Option<&mut Vec<u8>>,
    document: impl FnOnce(&Node) -> Document,
) -> Option<(T, Document)> {
    let instance = root.to_json();
    if !validators.check(kind, &file.name, &root, &instance, out) {
        return None;
    }
    if let Some(json) = json {
        // A `Value` always serialises.
        let _ = serde_json::to_writer(json, &instance);
    }
    match serde_json::from_value::<T>(instance) {
        Ok(value) => Some((value, document(&root))),
        Err(e) => {
            out.push(
                Diagnostic::error(Code::Internal, format!("valid document that ddmc cannot read: {e}"))
                    .at(&file.name, Span::point(root.span.start)),
            );
            None
        }
    }
}

fn load_project(file: &SourceFile, validators: &Validators, out: &mut Diagnostics) -> (Project, Option<Document>) {
    let root = match parse::parse_yaml(&file.text) {
        Ok(root) => root,
        // Every setting is optional: a ddmc.yaml with nothing but comments means the defaults.
        Err(e) if e.kind == parse::ParseErrorKind::Empty => return (Project::default(), None),
        Err(e) => {
            out.push(parse_error(file, e));
            return (Project::default(), None);
        }
    };
    let document = |root: &Node| Document::new(file.name.clone(), root);
    match typed::<Project>(DocumentKind::Project, file, root, validators, out, None, document) {
        Some((project, doc)) => (project, Some(doc)),
        None => (Project::default(), None),
    }
}

/// The environment templates render with, and the names `ddmc.yaml` defines.
struct Templates<'a> {
    environment: Option<&'a template::Environment<'a>>,
    defined: &'a [&'a str],
}

/// `--env` naming an environment `ddmc.yaml` does not define.
fn unknown_environment(name: &str, defined: &[&str]) -> String {
    if defined.is_empty() {
        return format!("`--env {name}`: ddmc.yaml defines no environments (add `environments:` to it)");
    }
    let names: Vec<String> = defined.iter().map(|n| format!("`{n}`")).collect();
    let near = crate::diagnostics::suggest::did_you_mean(name, defined.iter().copied())
        .map(|n| format!("; did you mean `{n}`?"))
        .unwrap_or_default();
    format!("`--env {name}`: ddmc.yaml defines {}{near}", names.join(", "))
}

/// A policy file parsed, its templates rendered, validated and typed. `json`: where to keep
/// the document it was validated as (compact JSON), for the policy cache.
fn load_policy(
    file: &SourceFile,
    validators: &Validators,
    templates: &Templates<'_>,
    out: &mut Diagnostics,
    json: Option<&mut Vec<u8>>,
) -> Option<Loaded> {
    let mut root = parse_file(file, out)?;
    // A template that cannot be rendered leaves text that would only fail validation again.
    let errors = out.count(Severity::Error);
    let rendered = template::may_hold(&file.text);
    if rendered {
        template::render(&mut root, &file.name, templates.environment, templates.defined, out);
    }
    if out.count(Severity::Error) > errors {
        return None;
    }
    // Positions come from the text, parsed again if a diagnostic ever asks for one, unless
    // templates changed the tree, or the policy cache is to remember the outline at once.
    let from_text = !rendered && json.is_none();
    let document = |root: &Node| {
        if from_text {
            Document::of_text(file.name.clone(), file.text.clone(), is_json(file))
        } else {
            Document::new(file.name.clone(), root)
        }
    };
    let (policy, doc) = typed::<Policy>(DocumentKind::Policy, file, root, validators, out, json, document)?;
    rules::check_policy(&policy, &doc, out);
    Some(Loaded { doc, policy, targets: Vec::new() })
}

/// Where ddmc looked, and the likely mistake: REPO given as the `policies/` folder itself.
fn no_policies(origin: Origin<'_>) -> Diagnostic {
    let root = match origin {
        Origin::Disk(root) => root,
        Origin::Memory { .. } => Path::new("."),
    };
    let dir = root.join(repo::POLICY_DIR);
    let holds_policies = matches!(origin, Origin::Disk(_))
        && std::fs::read_dir(root)
            .map(|entries| {
                entries.flatten().any(|e| e.file_name() != repo::PROJECT_FILE && repo::is_policy_file(&e.path()))
            })
            .unwrap_or(false);
    if holds_policies && !dir.is_dir() {
        let parent = root.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".."));
        return Diagnostic::error(
            Code::NoPolicies,
            format!("`{}` has no `{}/` folder", root.display(), repo::POLICY_DIR),
        )
        .note(format!("REPO is the folder that contains `{}/` (and `ddmc.yaml`)", repo::POLICY_DIR))
        .help(format!("run ddmc on `{}`", parent.display()));
    }
    Diagnostic::error(Code::NoPolicies, format!("no policy files in `{}`", dir.display()))
        .note("policies are `.yaml`, `.yml` or `.json` files, searched recursively")
        .help(format!("add a policy file such as `{}/mac-baseline.yaml`", repo::POLICY_DIR))
}

/// Policy ids are unique in the repository: they name Identifiers and files.
fn check_unique_ids(loaded: &[Loaded], out: &mut Diagnostics) {
    let mut first: std::collections::HashMap<&str, &Document> = std::collections::HashMap::with_capacity(loaded.len());
    for item in loaded {
        match first.get(item.policy.id.as_str()) {
            Some(previous) => out.push(
                Diagnostic::error(
                    Code::DuplicateId,
                    format!("policy id `{}` is also used by `{}`", item.policy.id, previous.file),
                )
                .at(&item.doc.file, item.doc.span(&["id"]))
                .label("second use of this id")
                .related(&previous.file, previous.span(&["id"]), "first used here")
                .help("give each policy its own id"),
            ),
            None => {
                first.insert(&item.policy.id, &item.doc);
            }
        }
    }
}

/// `output:` comes from the repository, so a pull request controls it: it must stay inside
/// the repository and must not replace its sources (see `emit::place`).
fn check_output(root: &Path, project: &Project, doc: Option<&Document>, out: &mut Diagnostics) {
    let (Some(output), Some(doc)) = (project.output.as_deref(), doc) else { return };
    let Some(problem) = place::configured(root, output) else { return };
    out.push(
        Diagnostic::error(Code::UnsafeOutput, problem.describe(output))
            .at(&doc.file, doc.span(&["output"]))
            .label("the output folder, replaced whole by every build")
            .note("`output` must be a relative path inside the repository, outside `policies/`")
            .help(format!("write `output: {}`, or pass `--out DIR` on the command line", DEFAULT_OUTPUT)),
    );
}

/// Identifiers are forever: a repository that keeps the default prefix and changes it later
/// replaces every declaration on every device. Say so while it is cheap to fix.
fn check_prefix_is_chosen(repository: &Repository, project: &Project, doc: Option<&Document>, out: &mut Diagnostics) {
    // Without policies there are no Identifiers (and REPO may be the wrong folder).
    if project.organization.identifier_prefix.is_some() || repository.policies.is_empty() {
        return;
    }
    // A ddmc.yaml that is not valid has its own error.
    let project_error = |d: &Diagnostic| {
        d.severity == Severity::Error && d.location.as_ref().is_some_and(|l| l.file == repo::PROJECT_FILE)
    };
    if out.iter().any(project_error) {
        return;
    }
    let mut d = Diagnostic::warning(
        Code::DefaultPrefix,
        format!("no `organization.identifier_prefix`: every Identifier starts with `{DEFAULT_PREFIX}`"),
    )
    .note("Identifiers are forever: changing the prefix later replaces every declaration on every device")
    .help(format!(
        "add the two lines `organization:` and `  identifier_prefix: com.your-domain.ddm` (your reverse-DNS name) \
         to `{}`",
        repo::PROJECT_FILE
    ));
    if let Some(doc) = doc {
        d = d.at(&doc.file, Span::point(doc.key_span(&["organization"]).start));
    } else if let Some(file) = &repository.project {
        d = d.at(&file.name, Span::point(crate::source::Pos { line: 1, column: 1, offset: 0 }));
    }
    out.push(d);
}

/// Reads the repository's catalog, if it has one: errors are diagnostics at the catalog file
/// (line and column where JSON tells them), and a catalog older than
/// `catalog_max_age_days` on `now` is a warning naming the command that refreshes it.
fn load_catalog(
    origin: Origin<'_>,
    project: &Project,
    doc: Option<&Document>,
    now: Option<LocalDateTime>,
    shown: &mut Vec<SourceFile>,
    out: &mut Diagnostics,
) -> Option<(String, crate::catalog::Catalog)> {
    let name = project.catalog();
    let root = match origin {
        Origin::Disk(root) => root,
        Origin::Memory { .. } => Path::new(""),
    };
    let path = match crate::catalog::path_in(root, name) {
        Ok(path) => path,
        Err(message) => {
            let mut d = Diagnostic::error(Code::Catalog, message).help("write `catalog: apple-catalog.json`");
            if let Some(doc) = doc {
                d = d.at(&doc.file, doc.span(&["catalog"]));
            }
            out.push(d);
            return None;
        }
    };
    // The file's text goes with the diagnostics, so that they show the line.
    let mut show = |text: String| shown.push(SourceFile::new(name, path.clone(), text));
    let found = match origin {
        Origin::Disk(_) => crate::catalog::load(&path),
        Origin::Memory { catalog } => {
            catalog.map(|text| crate::catalog::parse(text).map(|parsed| (text.to_owned(), parsed))).transpose()
        }
    };
    // The file again, to show the line of an error.
    let reread = || match origin {
        Origin::Disk(_) => read_bounded(&path),
        Origin::Memory { catalog } => catalog.map(str::to_owned),
    };
    let (catalog, fetched) = match found {
        Ok(found) => {
            let (text, catalog) = found?;
            let fetched = text.find("\"fetched\"").map(|at| pos_at(&text, at));
            show(text);
            (catalog, fetched)
        }
        Err(e) => {
            let (line, column) = e.position.unwrap_or((1, 1));
            let mut pos = crate::source::Pos {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(column).unwrap_or(u32::MAX),
                offset: 0,
            };
            // A position means the file was read and is JSON text: show that line.
            if e.position.is_some()
                && let Some(text) = reread()
            {
                pos = line_column(&text, pos.line, pos.column);
                show(text);
            }
            out.push(
                Diagnostic::error(Code::Catalog, format!("Apple's catalog cannot be read: {}", e.message))
                    .at(name, Span::point(pos))
                    .help("run `ddmc catalog update` to write it again"),
            );
            return None;
        }
    };
    let max_age = project.catalog_max_age_days();
    if let Some(now) = now {
        let today = now.civil().date();
        let age = catalog.as_of.until(today).ok().and_then(|span| span.get_days().try_into().ok()).unwrap_or(0u32);
        if age > u32::from(max_age) {
            let first = fetched.unwrap_or(crate::source::Pos { line: 1, column: 1, offset: 0 });
            out.push(
                Diagnostic::warning(
                    Code::Catalog,
                    format!("Apple's catalog is {age} days old (as of {})", catalog.as_of),
                )
                .at(name, Span::point(first))
                .label(format!("older than `catalog_max_age_days` ({max_age})"))
                .note(format!("now is {now} (this machine's clock; `--now` sets it); the output does not depend on it"))
                .help("run `ddmc catalog update` and commit the new snapshot"),
            );
        }
    }
    Some((name.to_owned(), catalog))
}

/// At most the catalog's size limit of a file, as text.
fn read_bounded(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let file = std::fs::File::open(path).ok()?;
    file.take(crate::limits::MAX_CATALOG_BYTES as u64).read_to_end(&mut bytes).ok()?;
    String::from_utf8(bytes).ok()
}

/// The position of byte `offset` in `text` (columns count characters, from 1).
fn pos_at(text: &str, offset: usize) -> crate::source::Pos {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    crate::source::Pos { line: clamp(line), column: clamp(column), offset }
}

/// The position of `line`:`column` in `text`, with its byte offset.
fn line_column(text: &str, line: u32, column: u32) -> crate::source::Pos {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1) as usize).map(str::len).sum();
    let rest = text.get(start..).unwrap_or("");
    let within: usize = rest.chars().take(column.saturating_sub(1) as usize).map(char::len_utf8).sum();
    crate::source::Pos { line, column, offset: start + within }
}

/// Per enforcement declaration, what the catalog resolved it from (the manifest's
/// `resolved`): the base half by `…enforcement.<n>`, the BSI half by `…bsi.<n>`.
fn resolutions(prefix: &str, loaded: &[Loaded]) -> BTreeMap<String, resolve::Provenance> {
    use resolve::Provenance;
    let mut out = BTreeMap::new();
    for item in loaded {
        let ids = lower::identifier::Identifiers::new(prefix, &item.policy.id, &item.doc);
        for t in &item.targets {
            let n = (t.index + 1).to_string();
            if let Some(base) = &t.base {
                out.insert(ids.make("enforcement", Some(&n)), Provenance::clone(base));
            }
            if let Some(bsi) = &t.bsi {
                out.insert(ids.make("bsi", Some(&n)), Provenance::clone(bsi));
            }
        }
    }
    out
}

/// The repository's own Identifiers depend only on the prefix.
fn check_prefix_length(declarations: &[Declaration], project: Option<&Document>, out: &mut Diagnostics) {
    let Some(longest) = declarations.iter().map(|d| d.identifier.as_str()).max_by_key(|i| i.len()) else { return };
    if longest.len() <= MAX_OCTETS {
        return;
    }
    let mut d = Diagnostic::error(
        Code::IdentifierTooLong,
        format!("Identifier `{longest}` is {} octets; Apple allows at most {MAX_OCTETS}", longest.len()),
    )
    .help(format!("shorten `identifier_prefix` by {} octets", longest.len() - MAX_OCTETS));
    if let Some(doc) = project {
        d = d.at(&doc.file, doc.span(&["organization", "identifier_prefix"])).label("the prefix of every Identifier");
    }
    out.push(d);
}
