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
    let (first_line, lines, range) = excerpt(text, location);
    let kind = if primary { AnnotationKind::Primary } else { AnnotationKind::Context };
    Snippet::source(lines).line_start(first_line).path(location.file.as_str()).annotation(kind.span(range).label(label))
}

/// Only the lines the span touches (their first line number, their text, and the span within
/// them): the renderer's work is then the size of those lines, not of the file, so a
/// file's diagnostics render in time linear in their number.
fn excerpt<'a>(text: &'a str, location: &Location) -> (usize, &'a str, std::ops::Range<usize>) {
    let start = floor_char_boundary(text, location.span.start.offset.min(text.len()));
    let end = floor_char_boundary(text, location.span.end.offset.clamp(start, text.len()));
    let from = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let to = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let line = usize::try_from(location.span.start.line).unwrap_or(1).max(1);
    (line, &text[from..to], start - from..end - from)
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `file:line:column: error[code]: message`, the form editors and grep understand.
pub fn render_short(diagnostic: &Diagnostic) -> String {
    let severity = diagnostic.severity.as_str();
    let place = diagnostic.location.as_ref().map(|l| format!("{l}: ")).unwrap_or_default();
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

    /// 50,000 problems on one 600 KB line (the shape that took minutes): the cap leaves 50
    /// and one count, and each shown snippet is rendered from its own line only. Without the
    /// cap and the excerpt this test does not finish.
    #[test]
    fn fifty_thousand_problems_on_one_line_render_through_the_cap() {
        let n = 50_000;
        let line: String = (0..n).map(|i| format!("k{i:05}: 1, ")).collect();
        let text = format!("id: x\nsoftware_updates: {{{line}}}\n");
        let mut all = crate::diagnostics::Diagnostics::default();
        let base = text.find('{').expect("brace") + 1;
        for i in 0..n {
            let offset = base + i * 11;
            let column = u32::try_from(offset - 6 + 1).expect("column");
            all.push(
                Diagnostic::error(Code::UnknownKey, format!("unknown key `k{i:05}`"))
                    .at("p.yaml", Span::new(at(2, column, offset), at(2, column + 6, offset + 6))),
            );
        }
        let sources = Sources::from([("p.yaml", text.as_str())]);
        let shown = all.shown(|_| true);
        assert_eq!(shown.len(), crate::diagnostics::MAX_SHOWN_PER_FILE + 1);
        let last = shown.last().expect("the count");
        assert_eq!(last.code, Code::TooManyProblems);
        assert_eq!(last.severity, Severity::Error);
        assert_eq!(last.message, "and 49950 more problems in `p.yaml`");
        for d in &shown {
            assert!(!render_human(d, &sources, false).is_empty());
            assert!(!render_short(d).is_empty());
            assert!(!render_json(d).is_empty());
        }
        let first = render_human(&shown[0], &sources, false);
        assert!(first.contains("p.yaml:2:20"), "{first}");
    }

    /// The renderer gets the lines of the span, never the whole file: its work per
    /// diagnostic does not grow with the file.
    #[test]
    fn a_snippet_is_only_the_lines_of_its_span() {
        let filler = "# filler\n".repeat(10_000);
        let text = format!("{filler}key: value\nnext: 1\n");
        let offset = filler.len() + 5;
        let location =
            Location { file: "p.yaml".into(), span: Span::new(at(10_001, 6, offset), at(10_001, 11, offset + 5)) };
        let (line, lines, range) = excerpt(&text, &location);
        assert_eq!((line, lines, range), (10_001, "key: value", 5..10));
        let d = Diagnostic::error(Code::InvalidValue, "bad").at("p.yaml", location.span).label("here");
        let out = render_human(&d, &Sources::from([("p.yaml", text.as_str())]), false);
        assert!(out.contains("p.yaml:10001:6"), "{out}");
        assert!(out.contains("10001 | key: value"), "{out}");
        assert!(out.contains("^^^^^ here"), "{out}");
    }

    /// Each file gets its own 50; the count is as severe as the worst problem it hides, and
    /// `keep` (`--quiet`) applies before the cap.
    #[test]
    fn the_cap_is_per_file_and_after_the_filter() {
        let mut all = crate::diagnostics::Diagnostics::default();
        for file in ["a.yaml", "b.yaml"] {
            for i in 0..60u32 {
                let severity_error = file == "a.yaml" || i % 2 == 0;
                let d = if severity_error {
                    Diagnostic::error(Code::InvalidValue, format!("e{i}"))
                } else {
                    Diagnostic::warning(Code::InvalidValue, format!("w{i}"))
                };
                all.push(d.at(file, Span::point(at(i + 1, 1, 0))));
            }
        }
        let shown = all.shown(|_| true);
        assert_eq!(shown.len(), 102);
        assert_eq!(shown[50].message, "and 10 more problems in `a.yaml`");
        assert_eq!(shown[101].message, "and 10 more problems in `b.yaml`");
        assert_eq!(shown[101].severity, Severity::Error);
        let errors_only = all.shown(|d| d.severity == Severity::Error);
        assert_eq!(errors_only.len(), 50 + 1 + 30);
        let mut one = crate::diagnostics::Diagnostics::default();
        for i in 0..51u32 {
            one.push(Diagnostic::warning(Code::InvalidValue, "w").at("c.yaml", Span::point(at(i + 1, 1, 0))));
        }
        let shown = one.shown(|_| true);
        assert_eq!(shown[50].message, "and 1 more problem in `c.yaml`");
        assert_eq!(shown[50].severity, Severity::Warning);
    }
}
