//! The output tree: every declaration and profile validated against Apple's schema (a
//! failure is ddmc's bug, reported as an internal error), then rendered into its file, and
//! the manifest that lists them.

use super::declaration::{Digest, Made};
use super::{OutputFile, declaration, manifest, payload, profile};
use crate::analysis;
use crate::apple::schemas;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::lower::Declaration;
use crate::lower::legacy::Profile;
use crate::model::Project;
use crate::resolve;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The manifest's path in the output tree.
const MANIFEST: &str = "manifest.json";

/// Whether [`tree`] renders the files or only validates what they would hold.
#[derive(Clone, Copy)]
pub enum Render<'a> {
    /// Every file's bytes and the manifest (`build --check`, `diff`, the packaged formats).
    Files,
    /// Self-validation only, no bytes (`check`, `explain`): at 10,000 policies rendering
    /// 60,000 pretty files and a manifest listing them is most of the work.
    ValidateOnly,
    /// Each file handed to a [`Sink`] as soon as it is rendered, none held (`build`).
    Into(&'a dyn Sink),
}

/// Where a build's files go as each is rendered: at 10,000 policies, holding the bytes of
/// 60,000 files to the end was a third of a build's memory.
pub trait Sink: Sync {
    /// Called once, before any file, with the output folder `ddmc.yaml` names (validated).
    fn start(&self, configured_output: &str);
    /// One file: its path relative to the output folder (`/`-separated), its bytes, and for
    /// a declaration what it was made from.
    fn place(&self, path: &str, bytes: &[u8], made: Option<Made>);
    /// One file that `write` writes a part at a time (the manifest); by default gathered,
    /// then placed.
    fn place_written(&self, path: &str, write: &mut dyn FnMut(&mut (dyn Write + Send)) -> io::Result<()>) {
        let mut bytes = Vec::new();
        if write(&mut bytes).is_ok() {
            self.place(path, &bytes, None);
        }
    }
    /// The ServerToken of the declaration file at `path` if the sink already has the one made
    /// from inputs with `digest` ([`declaration::digest`]): it keeps it, and the file is not
    /// rendered. By default it has none.
    fn kept(&self, path: &str, digest: &Digest) -> Option<String> {
        let _ = (path, digest);
        None
    }
}

/// The output tree. Every declaration (`sorted`: in Identifier order) is first validated
/// against Apple's schema for its type: a failure is ddmc's bug, reported as an internal
/// error, and nothing is written. (One a sink keeps, as the file this ddmc made from the same
/// inputs, was validated when it was rendered.) With [`Render::ValidateOnly`] the same
/// validation runs and no file is returned.
pub fn tree(
    project: &Project,
    sorted: &[&Declaration],
    profiles: &[Profile],
    resolutions: &BTreeMap<String, resolve::Provenance>,
    render: Render<'_>,
    out: &mut Diagnostics,
) -> Vec<OutputFile> {
    // What each declaration's file is made from, worked out on every other core while the
    // sink opens the output (a lock, a folder listed, an index read: one core's work).
    let digests: Vec<Option<Digest>> = match render {
        Render::Into(sink) => {
            let digests = || sorted.par_iter().map(|d| declaration::digest(d)).collect();
            rayon::join(|| sink.start(project.output()), digests).1
        }
        Render::Files | Render::ValidateOnly => Vec::new(),
    };
    // Self-validation is the expensive part: one declaration per task, results in order.
    let each = sorted.par_iter().enumerate().map_init(Validated::default, |validated, (at, d)| {
        emit_declaration(d, render, digests.get(at).copied().flatten(), validated)
    });
    let rendered: Vec<(Option<Rendered>, Vec<Diagnostic>)> = match render {
        // Nothing to render: only problems are kept, not a slot per declaration.
        Render::ValidateOnly => each.filter(|(_, problems)| !problems.is_empty()).collect(),
        Render::Files | Render::Into(_) => each.collect(),
    };
    let mut files = Vec::with_capacity(rendered.len() + profiles.len() + 1);
    let mut emitted = Vec::with_capacity(rendered.len());
    for (file, problems) in rendered {
        for problem in problems {
            out.push(problem);
        }
        if let Some((file, item)) = file {
            files.extend(file);
            emitted.push(item);
        }
    }
    for problem in analysis::legacy::single_instance_violations(profiles) {
        out.push(
            Diagnostic::error(Code::Internal, format!("internal error: {problem}"))
                .help("this is a bug in ddmc; please report it with the policy that caused it"),
        );
    }
    let mut emitted_profiles = Vec::new();
    for p in profiles {
        let top = profile::top_level(p);
        for problem in profile::violations(&top) {
            out.push(
                Diagnostic::error(
                    Code::Internal,
                    format!("internal error: profile `{}` does not validate against Apple's schema", p.identifier),
                )
                .note(problem)
                .help("this is a bug in ddmc; please report it with the policy that caused it"),
            );
        }
        if let Render::ValidateOnly = render {
            continue;
        }
        let path = format!("profiles/{}.mobileconfig", p.identifier);
        files.extend(placed(render, &path, profile::to_xml(&top), None));
        emitted_profiles.push(manifest::EmittedProfile {
            profile: p,
            uuid: profile::uuid_for(&p.identifier),
            content_token: profile::content_token(&top),
            path,
        });
    }
    if let Render::ValidateOnly = render {
        return Vec::new();
    }
    emitted_profiles.sort_by(|a, b| a.profile.identifier.cmp(&b.profile.identifier));
    let prefix = project.identifier_prefix();
    match render {
        Render::Into(sink) => sink.place_written(MANIFEST, &mut |out| {
            manifest::render_into(out, prefix, &emitted, &emitted_profiles, resolutions)
        }),
        Render::Files | Render::ValidateOnly => files.push(OutputFile {
            path: MANIFEST.into(),
            bytes: manifest::render(prefix, &emitted, &emitted_profiles, resolutions),
        }),
    }
    files.sort();
    files
}

/// A rendered file: handed to the sink, or kept.
fn placed(render: Render<'_>, path: &str, bytes: Vec<u8>, made: Option<Made>) -> Option<OutputFile> {
    match render {
        Render::Into(sink) => {
            sink.place(path, &bytes, made);
            None
        }
        Render::Files | Render::ValidateOnly => Some(OutputFile { path: path.to_owned(), bytes }),
    }
}

/// A declaration's file (unless a sink has it) and its manifest entry.
type Rendered<'a> = (Option<OutputFile>, manifest::Emitted<'a>);

/// How payloads broke Apple's schema, by what they are made from ([`payload::Key`]), on one
/// core's share of the declarations. Apple's schemas ask of a declaration's Identifier and
/// ServerToken only a string (a test holds them to it), so declarations whose payloads are
/// alike (thousands of policies set the same deferrals and targets) validate alike: once.
type Validated<'d> = foldhash::HashMap<payload::Key<'d>, Vec<String>>;

/// One declaration's file, its manifest entry, and an internal error for each way it breaks
/// Apple's schema. `digest`: what its file is made from, where a sink may keep it.
fn emit_declaration<'d>(
    d: &'d Declaration,
    render: Render<'_>,
    digest: Option<Digest>,
    validated: &mut Validated<'d>,
) -> (Option<Rendered<'d>>, Vec<Diagnostic>) {
    let path = (!matches!(render, Render::ValidateOnly)).then(|| manifest::declaration_path(&d.identifier));
    // A sink that already has this file, made by this very ddmc from the same inputs, keeps
    // it: it was validated against Apple's schema when it was rendered, and is neither
    // validated nor rendered again, nor its payload built, nor its ServerToken worked out.
    if let (Render::Into(sink), Some(path), Some(digest)) = (render, &path, &digest)
        && let Some(token) = sink.kept(path, digest)
    {
        debug_assert!(
            token == declaration::server_token(d),
            "`{}` was kept by its digest with another ServerToken",
            d.identifier
        );
        return (Some((None, manifest::Emitted { declaration: d, server_token: token })), Vec::new());
    }
    let key = payload::key(&d.content);
    // Only validating, a payload alike to one validated before is not even built.
    if path.is_none()
        && let Some(known) = key.as_ref().and_then(|key| validated.get(key))
    {
        return (None, internal_errors(d, known));
    }
    let payload = serde_json::Value::Object(payload::payload(&d.content));
    // Only a file needs the ServerToken (a hash of the served bytes); Apple's schema asks of
    // it only a string, so validation alone leaves it empty.
    let token = match render {
        Render::ValidateOnly => String::new(),
        Render::Files | Render::Into(_) => declaration::token_of(d, &payload),
    };
    let envelope = declaration::wrap(d, &token, payload);
    let violations = || schemas::violations(d.ty().as_str(), &envelope);
    let problems = match key {
        Some(key) => internal_errors(d, validated.entry(key).or_insert_with(violations)),
        None => internal_errors(d, &violations()),
    };
    let file = path.map(|path| {
        let bytes = declaration::pretty(&declaration::served(d, envelope)).into_bytes();
        let file = placed(render, &path, bytes, digest.and_then(|digest| Made::new(digest, &token)));
        (file, manifest::Emitted { declaration: d, server_token: token })
    });
    (file, problems)
}

/// An internal error for each way `d` breaks Apple's schema.
fn internal_errors(d: &Declaration, violations: &[String]) -> Vec<Diagnostic> {
    violations
        .iter()
        .map(|problem| {
            Diagnostic::error(
                Code::Internal,
                format!(
                    "internal error: `{}` does not validate against Apple's schema for `{}`",
                    d.identifier,
                    d.ty().as_str()
                ),
            )
            .note(problem.clone())
            .help("this is a bug in ddmc; please report it with the policy that caused it")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{self, Mode, Options, Sources};
    use std::sync::Mutex;

    /// A sink that keeps what it is given.
    #[derive(Default)]
    struct Recording {
        output: Mutex<Option<String>>,
        files: Mutex<Vec<OutputFile>>,
    }

    impl Sink for Recording {
        fn start(&self, configured_output: &str) {
            *self.output.lock().expect("lock") = Some(configured_output.to_owned());
        }

        fn place(&self, path: &str, bytes: &[u8], _: Option<Made>) {
            self.files.lock().expect("lock").push(OutputFile { path: path.to_owned(), bytes: bytes.to_vec() });
        }
    }

    /// `build` streams: the sink is told the output folder, then given exactly the files
    /// `Render::Files` returns (declarations, legacy profiles, manifest), and none is held.
    #[test]
    fn a_sink_receives_every_file_and_none_is_held() {
        let policy = "id: mac\ntargets:\n  platforms: [macOS]\nsoftware_updates:\n  automatic_download: always_on\n\
                      background_security_improvements:\n  user_removal: false\n\
                      enforce:\n  - os_version: \"26.4\"\n    deadline: \"2027-01-15T18:00:00\"\n";
        let project = "organization:\n  name: T\n  identifier_prefix: com.example.t\noutput: built\n";
        let policies = [("policies/mac.yaml", policy)];
        let sources = Sources { project: Some(project), policies: &policies, catalog: None };
        let secret = |_: &str| None;
        let held = pipeline::compile_sources(&sources, &Options::new(Mode::Build, &secret)).expect("compiles");
        assert!(!held.diagnostics.has_errors(), "{:?}", held.diagnostics);
        assert!(held.files.iter().any(|f| f.path.starts_with("profiles/")), "legacy profiles too");
        let sink = Recording::default();
        let options = Options { render: Render::Into(&sink), ..Options::new(Mode::Build, &secret) };
        let streamed = pipeline::compile_sources(&sources, &options).expect("compiles");
        assert!(streamed.files.is_empty(), "nothing held");
        assert_eq!(sink.output.lock().expect("lock").as_deref(), Some("built"));
        let mut placed = sink.files.into_inner().expect("lock");
        placed.sort();
        assert_eq!(placed, held.files);
    }

    /// A sink over a real output folder that notes which declaration files it had rendered.
    struct Counting {
        staging: crate::emit::write::Staging,
        rendered: Mutex<Vec<String>>,
    }

    impl Sink for Counting {
        fn start(&self, _: &str) {}

        fn place(&self, path: &str, bytes: &[u8], made: Option<Made>) {
            if path.starts_with("declarations/") {
                self.rendered.lock().expect("lock").push(path.to_owned());
            }
            self.staging.place(path, bytes, made);
        }

        fn place_written(&self, path: &str, write: &mut dyn FnMut(&mut (dyn Write + Send)) -> io::Result<()>) {
            self.staging.place_written(path, write);
        }

        fn kept(&self, path: &str, digest: &Digest) -> Option<String> {
            self.staging.kept(path, digest)
        }
    }

    /// A rebuild renders only the declarations whose inputs changed (a value, a rotated
    /// secret) and keeps every other file by what it was made from; what it leaves is byte
    /// for byte what a build from nothing writes, and each build's output is checked again.
    #[test]
    fn a_rebuild_renders_only_what_changed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let project = "organization:\n  name: T\n  identifier_prefix: com.example.t\noutput: built\n";
        let mac = |days: u32| {
            format!(
                "id: mac\ntargets:\n  platforms: [macOS]\n  groups: [lab]\nsoftware_updates:\n  deferrals:\n    \
                 minor_days: {days}\n  beta:\n    enrollment: allowed\n    offer_programs:\n      - description: Seed\n        \
                 token_env: SEED\nenforce:\n  - os_version: \"26.4\"\n    deadline: \"2027-01-15T18:00:00\"\n"
            )
        };
        let phone = "id: phone\ntargets:\n  platforms: [iOS]\nsoftware_updates:\n  automatic_download: always_on\n";
        let build = |days: u32, seed: &str| {
            let mac = mac(days);
            let policies = [("policies/mac.yaml", mac.as_str()), ("policies/phone.yaml", phone)];
            let sources = Sources { project: Some(project), policies: &policies, catalog: None };
            let lookup = |_: &str| Some(seed.to_owned());
            let staging = crate::emit::write::Staging::open(&out, &mut || {}).expect("open");
            let sink = Counting { staging, rendered: Mutex::new(Vec::new()) };
            let options = Options { render: Render::Into(&sink), ..Options::new(Mode::Build, &lookup) };
            let built = pipeline::compile_sources(&sources, &options).expect("compiles");
            assert!(!built.diagnostics.has_errors(), "{:?}", built.diagnostics);
            sink.staging.commit().expect("commit");
            crate::emit::index::aged(&dir.path().join(".out.ddmc-index"));
            let fresh = pipeline::compile_sources(&sources, &Options::new(Mode::Build, &lookup)).expect("compiles");
            let on_disk: Vec<OutputFile> = fresh
                .files
                .iter()
                .map(|f| OutputFile { path: f.path.clone(), bytes: std::fs::read(out.join(&f.path)).expect("written") })
                .collect();
            assert_eq!(on_disk, fresh.files, "{days} days, seed {seed}");
            let files = crate::diff::tree::read(&out).expect("tree").len();
            assert_eq!(files, fresh.files.len(), "no other file");
            let mut rendered = sink.rendered.into_inner().expect("lock");
            rendered.sort();
            rendered
        };
        let all = build(7, "one");
        assert!(all.len() > 4, "{all:?}");
        let none = Vec::<String>::new();
        assert_eq!(build(7, "one"), none, "nothing changed: each file shared from the output");
        assert_eq!(build(7, "one"), none, "or kept in the spare");
        let settings = vec!["declarations/com.example.t.mac.settings.json".to_owned()];
        assert_eq!(build(8, "one"), settings, "a value changed");
        assert_eq!(build(8, "two"), settings, "a secret was rotated");
        assert_eq!(build(8, "two"), none, "the spare's older file is replaced by the output's");
        assert_eq!(build(7, "one"), settings, "and back");
    }

    /// The manifest, rendered an item at a time with its own indentation, is laid out byte
    /// for byte as serde_json's pretty printer lays out the whole document.
    #[test]
    fn the_manifest_is_laid_out_as_one_pretty_document() {
        let mac = "id: mac\ntargets:\n  platforms: [macOS]\n  groups: [lab, eng]\n\
                   software_updates:\n  automatic_download: always_on\n\
                   enforce:\n  - os_version: \"26.4\"\n    deadline: \"2027-01-15T18:00:00\"\n";
        let phone = "id: phone\ntargets:\n  platforms: [iOS]\nsoftware_updates:\n  automatic_download: always_on\n";
        let project = "organization:\n  name: T\n  identifier_prefix: com.example.t\noutput: built\n";
        // A name with quotes and a backslash: escaped alike.
        let policies = [("policies/mac \"1\" \\.yaml", mac), ("policies/phone.yaml", phone)];
        let sources = Sources { project: Some(project), policies: &policies, catalog: None };
        let secret = |_: &str| None;
        let built = pipeline::compile_sources(&sources, &Options::new(Mode::Build, &secret)).expect("compiles");
        assert!(!built.diagnostics.has_errors(), "{:?}", built.diagnostics);
        let manifest = built.files.iter().find(|f| f.path == MANIFEST).expect("a manifest");
        let text = std::str::from_utf8(&manifest.bytes).expect("utf-8");
        let value: serde_json::Value = serde_json::from_str(text).expect("json");
        assert!(value["groups"].as_object().is_some_and(|g| g.len() == 3), "{text}");
        assert_eq!(text, serde_json::to_string_pretty(&value).expect("json") + "\n");
    }

    /// A lowering bug must not reach a device: emit refuses what Apple's schema rejects, in
    /// every declaration with the broken payload (validated once, reported for each).
    #[test]
    fn emit_reports_a_declaration_apple_would_reject() {
        let settings = crate::lower::Settings::of([("Notifications", serde_json::json!("yes"))]);
        let broken = |identifier: &str| Declaration {
            identifier: identifier.into(),
            content: crate::lower::Content::Settings(settings.clone()),
            origin: None,
            applies_to: Vec::new(),
            supervision: Default::default(),
            secrets: Vec::new(),
        };
        let (one, two) = (broken("com.example.ddm.one.settings"), broken("com.example.ddm.two.settings"));
        for render in [Render::ValidateOnly, Render::Files] {
            let mut out = Diagnostics::default();
            tree(&Project::default(), &[&one, &two], &[], &BTreeMap::new(), render, &mut out);
            let errors = out.into_sorted();
            assert_eq!(errors.len(), 2);
            for (error, d) in errors.iter().zip([&one, &two]) {
                assert_eq!(error.code, Code::Internal);
                assert!(error.message.contains(&d.identifier), "{error:?}");
                assert!(error.notes[0].starts_with("/Payload/Notifications"), "{error:?}");
            }
        }
    }

    /// Declarations with alike payloads are validated once ([`Validated`]): sound only while
    /// Apple asks nothing of their Identifier and ServerToken but a string.
    #[test]
    fn apple_asks_of_identifier_and_server_token_only_a_string() {
        use crate::apple::DeclarationType as T;
        for ty in [T::SoftwareUpdateSettings, T::SoftwareUpdateEnforcement, T::StatusSubscriptions, T::ActivationSimple]
        {
            let schema = &schemas::get(ty.as_str()).expect("embedded").schema;
            for key in ["Identifier", "ServerToken"] {
                let mut asks = schema["properties"][key].as_object().expect("a property").clone();
                asks.remove("description");
                assert_eq!(serde_json::Value::Object(asks), serde_json::json!({"type": "string"}), "{ty:?} {key}");
            }
        }
    }
}
