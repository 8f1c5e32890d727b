//! Validation: documents are checked against the JSON Schema generated from the model
//! before they are deserialised, and every schema error is mapped back to the line and
//! column of the offending value. `rules` then checks what a schema cannot say.

mod formats;
pub mod messages;
pub mod rules;
pub mod text;

use crate::diagnostics::Diagnostics;
use crate::model::schema;
use crate::parse::Node;
use jsonschema::Validator;
use serde_json::Value;

/// Which kind of document a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    Policy,
    Project,
}

impl DocumentKind {
    /// What messages call the document.
    pub fn noun(self) -> messages::Noun {
        match self {
            DocumentKind::Policy => messages::Noun { a: "a policy", the: "the policy" },
            DocumentKind::Project => messages::Noun { a: "`ddmc.yaml`", the: "`ddmc.yaml`" },
        }
    }
}

/// Compiled validators, built once per run and shared by every file.
pub struct Validators {
    policy: Compiled,
    project: Compiled,
}

struct Compiled {
    schema: Value,
    validator: Validator,
}

impl Compiled {
    fn new(schema: Value) -> Self {
        let mut options = jsonschema::draft202012::options().should_validate_formats(true);
        for (name, check) in formats::CHECKS {
            options = options.with_format(*name, *check);
        }
        // The schemas are generated from our own types; a failure here is a bug, caught by
        // the unit tests, not a user error.
        let validator = options.build(&schema).unwrap_or_else(|e| panic!("ddmc's own schema does not compile: {e}"));
        Compiled { schema, validator }
    }
}

impl Default for Validators {
    fn default() -> Self {
        Validators { policy: Compiled::new(schema::policy_schema()), project: Compiled::new(schema::project_schema()) }
    }
}

impl Validators {
    /// The validators of this process, compiled on first use: compiling the schemas is most
    /// of the work of compiling a small repository, and they never change.
    pub fn shared() -> &'static Validators {
        static SHARED: std::sync::OnceLock<Validators> = std::sync::OnceLock::new();
        SHARED.get_or_init(Validators::default)
    }

    /// Validates `node` (parsed from `file`), given also as JSON (`instance`, which the
    /// caller deserialises next); returns whether it is valid. Problems go to `diagnostics`,
    /// in document order.
    pub fn check(
        &self,
        kind: DocumentKind,
        file: &str,
        node: &Node,
        instance: &serde_json::Value,
        diagnostics: &mut Diagnostics,
    ) -> bool {
        let compiled = match kind {
            DocumentKind::Policy => &self.policy,
            DocumentKind::Project => &self.project,
        };
        let text_ok = text::check(file, node, diagnostics);
        // Nearly every document is valid: `is_valid` stops early and builds no error.
        let errors: Vec<_> = if compiled.validator.is_valid(instance) {
            Vec::new()
        } else {
            compiled.validator.iter_errors(instance).collect()
        };
        let context = messages::Context { file, document: kind.noun(), root: node, schema: &compiled.schema };
        let floats = messages::integral_floats(&context);
        let numbers_ok = floats.is_empty();
        for diagnostic in floats {
            diagnostics.push(diagnostic);
        }
        if errors.is_empty() {
            return text_ok && numbers_ok;
        }
        for diagnostic in messages::diagnose_all(&errors, &context) {
            diagnostics.push(diagnostic);
        }
        false
    }
}

#[cfg(test)]
mod tests;
