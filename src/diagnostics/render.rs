//! The edges: diagnostics rendered for people (rustc-style snippets) and for machines (JSON lines).

use super::{Diagnostic, Location, Severity};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde_json::json;
use std::collections::BTreeMap;

/// Source texts by file name, for snippets.
pub type Sources<'a> = BTreeMap<&'a str, &'a str>;

/// rustc-style text: the message, the offending line with a caret, help and notes.
pub fn render_human(diagnostic: &Diagnostic, sources: &Sources<'_>, styled: bool) -> String {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    };
    let title = level.primary_title(&diagnostic.message).id(diagnostic.code.as_str());
    let mut group = Group::with_title(title);
    if let Some(location) = &diagnostic.location {
        group = group.element(snippet(location, sources, diagnostic.label.as_deref(), true));
    }
    for related in &diagnostic.related {
        group = group.element(snippet(&related.location, sources, Some(&related.message), false));
    }
    for note in &diagnostic.notes {
        group = group.element(Level::NOTE.message(note));
    }
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help));
    }
    let renderer = if styled { Renderer::styled() } else { Renderer::plain() };
    renderer.render(&[group])
}

fn snippet<'a>(
    location: &'a Location,
    sources: &Sources<'a>,
    label: Option<&'a str>,
    primary: bool,
) -> Snippet<'a, annotate_snippets::Annotation<'a>> {
    let text = sources.get(location.file.as_str()).copied().unwrap_or("");
    let end = location.span.end.offset.max(location.span.start.offset).min(text.len());
    let start = location.span.start.offset.min(end);
    let kind = if primary { AnnotationKind::Primary } else { AnnotationKind::Context };
    Snippet::source(text).path(location.file.as_str()).annotation(kind.span(start..end).label(label))
}

/// `file:line:column: error[code]: message`, the form editors and grep understand.
pub fn render_short(diagnostic: &Diagnostic) -> String {
    let severity = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    };
    let place = diagnostic
        .location
        .as_ref()
        .map(|l| format!("{}:{}:{}: ", l.file, l.span.start.line, l.span.start.column))
        .unwrap_or_default();
    let help = diagnostic.help.as_ref().map(|h| format!(" (help: {h})")).unwrap_or_default();
    format!("{place}{severity}[{}]: {}{help}", diagnostic.code.as_str(), diagnostic.message)
}

/// One JSON object per diagnostic (JSON lines), with 1-based line and column.
pub fn render_json(diagnostic: &Diagnostic) -> String {
    let place = |l: &Location| {
        json!({
            "file": l.file,
            "line": l.span.start.line,
            "column": l.span.start.column,
            "end_line": l.span.end.line,
            "end_column": l.span.end.column,
        })
    };
    let mut value = json!({
        "severity": diagnostic.severity,
        "code": diagnostic.code,
        "message": diagnostic.message,
    });
    if let Some(location) = &diagnostic.location {
        value["location"] = place(location);
    }
    if let Some(label) = &diagnostic.label {
        value["label"] = json!(label);
    }
    if let Some(help) = &diagnostic.help {
        value["help"] = json!(help);
    }
    if !diagnostic.notes.is_empty() {
        value["notes"] = json!(diagnostic.notes);
    }
    if !diagnostic.related.is_empty() {
        value["related"] =
            diagnostic.related.iter().map(|r| json!({"message": r.message, "location": place(&r.location)})).collect();
    }
    value.to_string()
}

/// "2 errors, 1 warning" (or "no problems").
pub fn summary_line(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => "no problems".to_string(),
        (e, 0) => plural(e, "error"),
        (0, w) => plural(w, "warning"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;
    use crate::source::{Pos, Span};

    fn at(line: u32, column: u32, offset: usize) -> Pos {
        Pos { line, column, offset }
    }

    #[test]
    fn human_output_points_at_the_line() {
        let text = "id: x\nsoftware_updates:\n  automatic_instal: always_on\n";
        let d = Diagnostic::error(Code::UnknownKey, "unknown key `automatic_instal`")
            .at("policies/x.yaml", Span::new(at(3, 3, 26), at(3, 19, 42)))
            .label("not a field of `software_updates`")
            .help("did you mean `automatic_install`?");
        let sources = Sources::from([("policies/x.yaml", text)]);
        let out = render_human(&d, &sources, false);
        assert!(out.contains("error[unknown-key]: unknown key `automatic_instal`"), "{out}");
        assert!(out.contains("policies/x.yaml:3:3"), "{out}");
        assert!(out.contains("^^^^^^^^^^^^^^^^ not a field"), "{out}");
        assert!(out.contains("help: did you mean `automatic_install`?"), "{out}");
    }

    #[test]
    fn json_output_has_position_and_code() {
        let d = Diagnostic::warning(Code::Unsupported, "n/a on iOS")
            .at("p.yaml", Span::new(at(4, 5, 30), at(4, 9, 34)))
            .note("Apple: n/a");
        let v: serde_json::Value = serde_json::from_str(&render_json(&d)).expect("valid JSON");
        assert_eq!(v["severity"], "warning");
        assert_eq!(v["code"], "unsupported");
        assert_eq!(v["location"]["line"], 4);
        assert_eq!(v["location"]["column"], 5);
        assert_eq!(v["notes"][0], "Apple: n/a");
    }

    #[test]
    fn summary_counts_with_plurals() {
        assert_eq!(summary_line(0, 0), "no problems");
        assert_eq!(summary_line(1, 0), "1 error");
        assert_eq!(summary_line(2, 1), "2 errors, 1 warning");
    }
}
