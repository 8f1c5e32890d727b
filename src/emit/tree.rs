//! The output tree: every declaration and profile validated against Apple's schema (a
//! failure is ddmc's bug, reported as an internal error), then rendered into its file, and
//! the manifest that lists them.

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

/// Whether [`tree`] renders the files or only validates what they would hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Render {
    /// Every file's bytes and the manifest (`build`, `diff`).
    Files,
    /// Self-validation only, no bytes (`check`, `explain`): at 10,000 policies rendering
    /// 60,000 pretty files and a manifest listing them is most of the work.
    ValidateOnly,
}

/// The output tree. Every declaration is first validated against Apple's schema for its
/// type: a failure is ddmc's bug, reported as an internal error, and nothing is written.
/// With [`Render::ValidateOnly`] the same validation runs and no file is returned.
pub fn tree(
    project: &Project,
    declarations: &[Declaration],
    profiles: &[Profile],
    resolutions: &BTreeMap<String, resolve::Provenance>,
    render: Render,
    out: &mut Diagnostics,
) -> Vec<OutputFile> {
    let mut sorted: Vec<&Declaration> = declarations.iter().collect();
    sorted.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    // Self-validation is the expensive part: one declaration per task, results in order.
    let each = sorted.par_iter().map(|d| emit_declaration(d, render));
    let rendered: Vec<(Option<Rendered>, Vec<Diagnostic>)> = match render {
        Render::Files => each.collect(),
        // Nothing to render: only problems are kept, not a slot per declaration.
        Render::ValidateOnly => each.filter(|(_, problems)| !problems.is_empty()).collect(),
    };
    let mut files = Vec::with_capacity(rendered.len() + profiles.len() + 1);
    let mut emitted = Vec::with_capacity(rendered.len());
    for (file, problems) in rendered {
        for problem in problems {
            out.push(problem);
        }
        if let Some((file, item)) = file {
            files.push(file);
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
        if render == Render::ValidateOnly {
            continue;
        }
        let path = format!("profiles/{}.mobileconfig", p.identifier);
        files.push(OutputFile { path: path.clone(), bytes: profile::to_xml(&top) });
        emitted_profiles.push(manifest::EmittedProfile {
            profile: p,
            uuid: profile::uuid_for(&p.identifier),
            content_token: profile::content_token(&top),
            path,
        });
    }
    if render == Render::ValidateOnly {
        return Vec::new();
    }
    emitted_profiles.sort_by(|a, b| a.profile.identifier.cmp(&b.profile.identifier));
    let manifest = manifest::render(project.identifier_prefix(), &emitted, &emitted_profiles, resolutions);
    files.push(OutputFile { path: "manifest.json".into(), bytes: manifest });
    files.sort();
    files
}

/// A declaration's file and its manifest entry.
type Rendered<'a> = (OutputFile, manifest::Emitted<'a>);

/// One declaration's file, its manifest entry, and an internal error for each way it breaks
/// Apple's schema.
fn emit_declaration(d: &Declaration, render: Render) -> (Option<Rendered<'_>>, Vec<Diagnostic>) {
    let payload = serde_json::Value::Object(payload::payload(&d.content));
    // Only a file needs the ServerToken (a hash of the served bytes); Apple's schema asks of
    // it only a string, so validation alone leaves it empty.
    let token = match render {
        Render::Files => declaration::token_of(d, &payload),
        Render::ValidateOnly => String::new(),
    };
    let envelope = declaration::wrap(d, &token, payload);
    let problems = schemas::violations(d.ty().as_str(), &envelope)
        .into_iter()
        .map(|problem| {
            Diagnostic::error(
                Code::Internal,
                format!(
                    "internal error: `{}` does not validate against Apple's schema for `{}`",
                    d.identifier,
                    d.ty().as_str()
                ),
            )
            .note(problem)
            .help("this is a bug in ddmc; please report it with the policy that caused it")
        })
        .collect();
    let file = (render == Render::Files).then(|| {
        let path = format!("declarations/{}.json", d.identifier);
        let bytes = declaration::pretty(&declaration::served(d, envelope)).into_bytes();
        (OutputFile { path: path.clone(), bytes }, manifest::Emitted { declaration: d, server_token: token, path })
    });
    (file, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lowering bug must not reach a device: emit refuses what Apple's schema rejects.
    #[test]
    fn emit_reports_a_declaration_apple_would_reject() {
        let settings = crate::lower::Settings::of([("Notifications", serde_json::json!("yes"))]);
        let bad = Declaration {
            identifier: "com.example.ddm.broken.settings".into(),
            content: crate::lower::Content::Settings(settings),
            origin: None,
            applies_to: Vec::new(),
            supervision: Default::default(),
            secrets: Vec::new(),
        };
        let mut out = Diagnostics::default();
        tree(&Project::default(), &[bad], &[], &BTreeMap::new(), Render::ValidateOnly, &mut out);
        let errors = out.into_sorted();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, Code::Internal);
        assert!(errors[0].message.contains("com.example.ddm.broken.settings"), "{:?}", errors[0]);
        assert!(errors[0].notes[0].starts_with("/Payload/Notifications"), "{:?}", errors[0]);
    }
}
