//! Checks across files: a device holds one declaration per Identifier, and an activation
//! installs only configurations it can find. Both need every linted file, so declarations
//! are registered while files are linted and checked at the end.

use crate::diagnostics::suggest::did_you_mean;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::source::Span;
use std::collections::BTreeMap;

/// Apple's words on `Identifier` (`declarationbase`).
pub const IDENTIFIER_FACT: &str = "Apple's schema (`declarationbase`): `Identifier` is \"A string uniquely identifying \
     this declaration. The size of this string should not exceed 64 octets.\"";

struct Declared {
    /// The PATH argument the file was found under.
    root: usize,
    file: String,
    identifier: String,
    span: Span,
    activation: bool,
}

struct Reference {
    file: String,
    identifier: String,
    span: Span,
}

#[derive(Default)]
pub struct Registry {
    declared: Vec<Declared>,
    references: Vec<Reference>,
    /// Declaration files that could not be read or parsed: a configuration an activation
    /// misses may be in one of them.
    pub unreadable: usize,
    /// The PATH argument of the file being linted: Identifiers are unique per PATH.
    pub root: usize,
}

impl Registry {
    pub fn declare(&mut self, file: &str, identifier: &str, span: Span, activation: bool) {
        self.declared.push(Declared {
            root: self.root,
            file: file.into(),
            identifier: identifier.into(),
            span,
            activation,
        });
    }

    /// An activation's `StandardConfigurations` entry.
    pub fn reference(&mut self, file: &str, identifier: &str, span: Span) {
        self.references.push(Reference { file: file.into(), identifier: identifier.into(), span });
    }
}

pub fn check(registry: &Registry, out: &mut Diagnostics) {
    // Duplicates within one PATH argument: two PATHs may be two teams of one server.
    let mut first: BTreeMap<(usize, &str), &Declared> = BTreeMap::new();
    for d in &registry.declared {
        match first.get(&(d.root, d.identifier.as_str())) {
            Some(previous) => out.push(duplicate(d, previous)),
            None => {
                first.insert((d.root, &d.identifier), d);
            }
        }
    }
    let first: BTreeMap<&str, &Declared> = registry.declared.iter().rev().map(|d| (d.identifier.as_str(), d)).collect();
    let configurations: Vec<&str> =
        registry.declared.iter().filter(|d| !d.activation).map(|d| d.identifier.as_str()).collect();
    for r in &registry.references {
        match first.get(r.identifier.as_str()) {
            Some(target) if target.activation => out.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("`{}` is an activation, not a configuration", r.identifier),
                )
                .at(&r.file, r.span)
                .label("not a configuration")
                .related(&target.file, target.span, "declared here as an activation")
                .note(STANDARD_CONFIGURATIONS)
                .help("list the configurations this activation installs"),
            ),
            Some(_) => {}
            None => out.push(missing(r, &configurations, registry.unreadable)),
        }
    }
}

const STANDARD_CONFIGURATIONS: &str = "Apple's schema (`activation.simple`): `StandardConfigurations` is \"An array \
     of strings that specify the identifiers of configurations to install.\"";

fn duplicate(d: &Declared, previous: &Declared) -> Diagnostic {
    let whom =
        if previous.file == d.file { "earlier in this file".to_string() } else { format!("in `{}`", previous.file) };
    Diagnostic::error(Code::DuplicateId, format!("Identifier `{}` is also declared {whom}", d.identifier))
        .at(&d.file, d.span)
        .label("second declaration with this Identifier")
        .related(&previous.file, previous.span, "first declared here")
        .note(IDENTIFIER_FACT)
        .help("give each declaration its own Identifier: a device keeps one declaration per Identifier")
}

fn missing(r: &Reference, configurations: &[&str], unreadable: usize) -> Diagnostic {
    let help = match did_you_mean(&r.identifier, configurations.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => "lint the file that declares it together with this activation, or fix the Identifier".to_string(),
    };
    let mut d = Diagnostic::error(
        Code::InvalidValue,
        format!("activation installs `{}`, which no linted file declares", r.identifier),
    )
    .at(&r.file, r.span)
    .label("no configuration with this Identifier")
    .note(STANDARD_CONFIGURATIONS)
    .help(help);
    if unreadable > 0 {
        d = d.note(format!(
            "{unreadable} declaration {} could not be read; it may be declared there",
            if unreadable == 1 { "file" } else { "files" }
        ));
    }
    d
}
