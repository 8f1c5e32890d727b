//! Diagnostics are data: every stage pushes them into a [`Diagnostics`] sink, and only the
//! command line renders them (human text or JSON). No stage prints.

pub mod ci;
mod codes;
pub mod render;
pub mod suggest;

pub use codes::Code;
pub use render::{render_human, render_json, render_short, summary_line};

use crate::source::Span;
use serde::Serialize;
use std::borrow::Cow;

/// Problems shown per file: past this, one diagnostic counts the rest. A thousand copies of
/// one mistake help nobody, and every format stays fast whatever a file holds.
pub const MAX_SHOWN_PER_FILE: usize = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// What something means, where nothing is wrong: never fails a build.
    Note,
}

impl Severity {
    /// `error`, `warning`, `note`: as every format names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A seeding token written literally in a policy, shown as `(secret)` wherever people read
/// (messages, `explain`, the report, `ddmc diff`): their output lands in pull requests and CI logs.
/// `token_env` placeholders (`$VAR`) stay readable.
pub fn redact(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "Token" && v.as_str().is_some_and(|t| !t.starts_with('$')) {
                    *v = serde_json::Value::String(REDACTED.into());
                } else {
                    redact(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// What stands for a literal token where people read.
pub const REDACTED: &str = "(secret)";

/// A JSON value as people read it in messages: a string without its quotes, anything else
/// as JSON (`true`, `30`, `["a"]`), literal seeding tokens redacted.
pub fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
            let mut shown = value.clone();
            redact(&mut shown);
            shown.to_string()
        }
        other => other.to_string(),
    }
}

/// A place in a source file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub file: String,
    #[serde(skip)]
    pub span: Span,
}

impl std::fmt::Display for Location {
    /// `file:line:column`, the form editors and grep understand.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.span.start.line, self.span.start.column)
    }
}

/// A secondary place that explains the primary one ("first defined here").
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub location: Option<Location>,
    /// Short text under the caret.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
    /// Facts that justify the diagnostic (Apple's schema, the contract).
    pub notes: Vec<String>,
    pub related: Vec<Related>,
    /// The key a missing-key or unknown-key diagnostic is about, for callers that treat
    /// some keys differently (never matched out of the message; not rendered).
    pub key: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    /// A note-level diagnostic: an explanation, not a problem.
    pub fn info(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Note, code, message)
    }

    fn new(severity: Severity, code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            location: None,
            label: None,
            help: None,
            notes: Vec::new(),
            related: Vec::new(),
            key: None,
        }
    }

    /// Names the key the diagnostic is about.
    pub fn about_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    pub fn at(mut self, file: &str, span: Span) -> Self {
        self.location = Some(Location { file: file.to_string(), span });
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn related(mut self, file: &str, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Related { location: Location { file: file.to_string(), span }, message: message.into() });
        self
    }

    fn sort_key(&self) -> impl Ord + '_ {
        let place = self.location.as_ref().map(|l| (l.file.as_str(), l.span.start.line, l.span.start.column));
        (place.is_none(), place, self.severity, &self.message)
    }
}

/// "and 49950 more problems in `policies/p.yaml`".
fn too_many(file: Option<&str>, n: usize, severity: Severity) -> Diagnostic {
    let problems = if n == 1 { "problem" } else { "problems" };
    let place = file.map(|f| format!(" in `{f}`")).unwrap_or_default();
    let mut d = Diagnostic::new(severity, Code::TooManyProblems, format!("and {n} more {problems}{place}"));
    d.help = Some(format!("fix the problems above first; ddmc shows at most {MAX_SHOWN_PER_FILE} per file"));
    d
}

/// The sink every stage writes to.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.items.iter().filter(|d| d.severity == severity).count()
    }

    /// Keeps only the diagnostics `keep` accepts (`ddmc check FILE...`).
    pub fn retain(&mut self, keep: impl FnMut(&Diagnostic) -> bool) {
        self.items.retain(keep);
    }

    /// Makes every diagnostic with `code` an error (`--deny-conflicts`).
    pub fn deny(&mut self, code: Code) {
        for d in self.items.iter_mut().filter(|d| d.code == code) {
            d.severity = Severity::Error;
        }
    }

    /// Sorted by file, line and column, duplicates removed: output that does not depend on
    /// the order in which files were read.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.items.dedup();
        self.items
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// What the command line prints, in every format: the diagnostics `keep` accepts, sorted,
    /// at most [`MAX_SHOWN_PER_FILE`] per file, each file's rest counted by one diagnostic
    /// (as severe as the worst it stands for). Counts and exit codes still see everything.
    pub fn shown(&self, keep: impl Fn(&Diagnostic) -> bool) -> Vec<Cow<'_, Diagnostic>> {
        let mut out: Vec<Cow<'_, Diagnostic>> = Vec::new();
        // The file being shown, how many of its problems are shown, and what was left out.
        let mut file: Option<&str> = None;
        let mut shown_in_file = 0;
        let mut hidden: Option<(usize, Severity)> = None;
        for d in self.iter_sorted().into_iter().filter(|d| keep(d)) {
            let this = d.location.as_ref().map(|l| l.file.as_str());
            if this != file || out.is_empty() {
                out.extend(hidden.take().map(|(n, severity)| too_many(file, n, severity)).map(Cow::Owned));
                file = this;
                shown_in_file = 0;
            }
            if shown_in_file < MAX_SHOWN_PER_FILE {
                shown_in_file += 1;
                out.push(Cow::Borrowed(d));
            } else {
                let (n, severity) = hidden.get_or_insert((0, d.severity));
                *n += 1;
                *severity = (*severity).min(d.severity);
            }
        }
        out.extend(hidden.map(|(n, severity)| too_many(file, n, severity)).map(Cow::Owned));
        out
    }

    /// In the order of [`Diagnostics::into_sorted`], without consuming.
    pub fn iter_sorted(&self) -> Vec<&Diagnostic> {
        let mut sorted: Vec<&Diagnostic> = self.items.iter().collect();
        sorted.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        sorted.dedup();
        sorted
    }
}
