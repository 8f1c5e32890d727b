//! Environments: string values of a policy may be minijinja templates over the variables of
//! one environment of `ddmc.yaml` (`--env NAME`). Rendered after parsing and before
//! validation, so a rendered value is checked like a written one; sandboxed: the variables
//! are all a template sees (no files, no environment variables, no includes), and its run
//! time and output are bounded.

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::limits::{MAX_RENDERED_BYTES, MAX_TEMPLATE_FUEL};
use crate::parse::{Node, Value};
use crate::source::{Pos, Span};
use std::collections::BTreeMap;

/// The environment chosen with `--env`, and the names of all of them for messages.
pub struct Environment<'a> {
    pub name: &'a str,
    pub variables: &'a BTreeMap<String, String>,
}

/// Whether `text` uses template syntax.
fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

/// Whether a file's text may hold a template at all: every template has a `{`, in the text
/// as written or as a double-quoted escape (`"\x7b\x7b"`). Thousands of policies without
/// one are then not walked string by string.
pub fn may_hold(text: &str) -> bool {
    text.contains(['{', '\\'])
}

/// Renders every template string in `root` in place. Without an environment a template is
/// an error that names the environments `ddmc.yaml` defines.
pub fn render(root: &mut Node, file: &str, env: Option<&Environment<'_>>, defined: &[&str], out: &mut Diagnostics) {
    // Made for the first template of the file, if it has one.
    let mut engine = None;
    walk(root, &mut |node| {
        let Value::String(text) = &node.value else { return };
        if !is_template(text) {
            return;
        }
        let Some(env) = env else {
            out.push(without_env(file, node.span, defined));
            return;
        };
        let engine = engine.get_or_insert_with(|| {
            let mut engine = minijinja::Environment::new();
            engine.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
            engine.set_fuel(Some(MAX_TEMPLATE_FUEL));
            engine.set_debug(true);
            engine
        });
        match engine.render_str(text, env.variables) {
            Ok(rendered) if rendered.len() <= MAX_RENDERED_BYTES => node.value = Value::String(rendered),
            Ok(rendered) => out.push(
                Diagnostic::error(
                    Code::Template,
                    format!("the template renders {} bytes; at most {MAX_RENDERED_BYTES} are allowed", rendered.len()),
                )
                .at(file, node.span),
            ),
            Err(e) => out.push(template_error(&e, node, file, env)),
        }
    });
}

fn walk(node: &mut Node, visit: &mut dyn FnMut(&mut Node)) {
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| walk(n, visit)),
        Value::Map(entries) => entries.iter_mut().for_each(|e| walk(&mut e.value, visit)),
        _ => visit(node),
    }
}

fn without_env(file: &str, span: Span, defined: &[&str]) -> Diagnostic {
    let d = Diagnostic::error(Code::Template, "a template (`{{ … }}`) is rendered only with `--env`").at(file, span);
    if defined.is_empty() {
        d.help("define environments in ddmc.yaml (`environments: {staging: {day: \"2026-12-01\"}}`), then pass `--env staging`")
    } else {
        let names: Vec<String> = defined.iter().map(|n| format!("`{n}`")).collect();
        d.help(format!("pass `--env NAME`; ddmc.yaml defines {}", names.join(", ")))
    }
}

/// A syntax error, an undefined variable or a runaway template, at its place in the string.
fn template_error(e: &minijinja::Error, node: &Node, file: &str, env: &Environment<'_>) -> Diagnostic {
    use minijinja::ErrorKind;
    let detail = e.detail().map(|d| format!(": {d}")).unwrap_or_default();
    let (message, help) = match e.kind() {
        ErrorKind::UndefinedError => {
            let names: Vec<String> = env.variables.keys().map(|k| format!("`{k}`")).collect();
            let defined = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
            (
                format!("undefined variable in the template for environment `{}`", env.name),
                format!("the variables of `{}` are {defined}", env.name),
            )
        }
        ErrorKind::SyntaxError => {
            (format!("template syntax error{detail}"), "write variables as `{{ name }}`".to_owned())
        }
        ErrorKind::OutOfFuel => (
            "the template runs too long".to_owned(),
            "templates substitute variables; keep loops out of policies".to_owned(),
        ),
        kind => (format!("the template cannot be rendered: {kind}{detail}"), "check the template".to_owned()),
    };
    let span = e.range().map_or(node.span, |range| within(node, range));
    Diagnostic::error(Code::Template, message).at(file, span).help(help)
}

/// The place of bytes `range` of a string's text in the file: exact for a string on one line
/// written without escapes (after its opening quote), else the whole string.
fn within(node: &Node, range: std::ops::Range<usize>) -> Span {
    let raw = node.raw.as_deref().unwrap_or_default();
    let quote = usize::from(raw.starts_with('"') || raw.starts_with('\''));
    let Value::String(text) = &node.value else { return node.span };
    let body = &raw[quote.min(raw.len())..];
    if raw.contains('\n') || !body.starts_with(text.as_str()) || range.start > range.end || range.end > text.len() {
        return node.span;
    }
    // minijinja's ranges count bytes and may start or end inside a character (an unexpected
    // `⅀` in a name): widen them to whole characters.
    let (mut start, mut end) = (range.start, range.end);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let at = |offset: usize| Pos {
        line: node.span.start.line,
        column: node.span.start.column + (quote + text[..offset].chars().count()) as u32,
        offset: node.span.start.offset + quote + offset,
    };
    Span::new(at(start), at(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(yaml: &str, env: Option<&Environment<'_>>) -> (serde_json::Value, Vec<String>) {
        let mut root = crate::parse::parse_yaml(yaml).expect("yaml");
        let mut out = Diagnostics::default();
        render(&mut root, "p.yaml", env, &["staging"], &mut out);
        let messages = out
            .into_sorted()
            .iter()
            .map(|d| {
                let at = d.location.as_ref().map(|l| (l.span.start.line, l.span.start.column)).unwrap_or_default();
                format!("{}:{}: {}", at.0, at.1, d.message)
            })
            .collect();
        (root.to_json(), messages)
    }

    fn staging() -> BTreeMap<String, String> {
        BTreeMap::from([("day".to_owned(), "2026-12-01".to_owned())])
    }

    #[test]
    fn strings_are_rendered_with_the_environment() {
        let vars = staging();
        let env = Environment { name: "staging", variables: &vars };
        let (value, messages) = rendered("deadline: \"{{ day }}T18:00:00\"\nid: plain\n", Some(&env));
        assert!(messages.is_empty(), "{messages:?}");
        assert_eq!(value["deadline"], "2026-12-01T18:00:00");
        assert_eq!(value["id"], "plain");
    }

    #[test]
    fn errors_point_into_the_string() {
        let vars = staging();
        let env = Environment { name: "staging", variables: &vars };
        let (_, messages) = rendered("a: \"{{ days }}T18:00:00\"\nb: \"{{ day \"\n", Some(&env));
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0].starts_with("1:8: undefined variable in the template for environment `staging`"),
            "{messages:?}"
        );
        assert!(messages[1].starts_with("2:4: template syntax error") || messages[1].starts_with("2:"), "{messages:?}");
    }

    /// Found by the `project` fuzz target: minijinja's error range ended inside `⅀` (bytes
    /// 13..16), and slicing the string there panicked. The error points at the character.
    #[test]
    fn an_error_inside_a_character_points_at_the_character() {
        let vars = BTreeMap::from([("deadline_day".to_owned(), "2026-12-01".to_owned())]);
        let env = Environment { name: "staging", variables: &vars };
        let (_, messages) = rendered("a: \"{{ deadline_d⅀ay }}T18(:00:00\"\n", Some(&env));
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(messages[0].starts_with("1:18: template syntax error: unexpected character"), "{messages:?}");
    }

    /// Only a file that cannot hold a template is left unwalked: one written with escapes has
    /// no `{` in its text, yet holds a template once parsed.
    #[test]
    fn a_template_written_with_escapes_is_still_rendered() {
        let yaml = "deadline: \"\\x7b\\x7b day }}T18:00:00\"\n";
        assert!(!yaml.contains('{'));
        assert!(may_hold(yaml));
        assert!(!may_hold("id: plain\ntargets:\n  platforms: [macOS]\n"));
        let vars = staging();
        let env = Environment { name: "staging", variables: &vars };
        let (value, messages) = rendered(yaml, Some(&env));
        assert!(messages.is_empty(), "{messages:?}");
        assert_eq!(value["deadline"], "2026-12-01T18:00:00");
    }

    #[test]
    fn a_template_without_env_is_an_error() {
        let (_, messages) = rendered("deadline: \"{{ day }}T18:00:00\"\n", None);
        assert_eq!(messages, ["1:11: a template (`{{ … }}`) is rendered only with `--env`"]);
    }

    #[test]
    fn templates_are_sandboxed_and_bounded() {
        let vars = staging();
        let env = Environment { name: "staging", variables: &vars };
        for yaml in [
            "a: \"{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}\"\n",
            "a: \"{% include 'secrets.txt' %}\"\n",
            "a: \"{{ env.HOME }}\"\n",
        ] {
            let (value, messages) = rendered(yaml, Some(&env));
            assert_eq!(messages.len(), 1, "{yaml}: {messages:?} {value}");
        }
    }
}
