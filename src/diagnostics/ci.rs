//! Diagnostics for CI systems: a SARIF 2.1.0 log (GitHub code scanning and other SARIF
//! consumers) and GitHub Actions workflow commands (annotations on a pull request's lines).
//! File names are made relative to the checkout with `base`, the repository's folder as the
//! command line named it (`""` when it is the current folder).

use super::{Code, Diagnostic, Severity};
use serde_json::{Value, json};

/// One SARIF log for the whole run: a rule for every stable code, a result per diagnostic.
pub fn render_sarif(diagnostics: &[&Diagnostic], base: &str) -> String {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|code| {
            json!({
                "id": code.as_str(),
                "name": code.as_str(),
                "shortDescription": {"text": code.summary()},
                "defaultConfiguration": {"level": "warning"},
            })
        })
        .collect();
    let results: Vec<Value> = diagnostics.iter().map(|d| result(d, base)).collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "ddmc",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://ddmc.dev/",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// The message with its help and notes, as one text (SARIF has no separate help per result).
fn full_message(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    if let Some(help) = &d.help {
        text.push_str(&format!("\nhelp: {help}"));
    }
    for note in &d.notes {
        text.push_str(&format!("\nnote: {note}"));
    }
    text
}

fn uri(base: &str, file: &str) -> String {
    if base.is_empty() { file.to_owned() } else { format!("{}/{file}", base.trim_end_matches('/')) }
}

fn result(d: &Diagnostic, base: &str) -> Value {
    let index = Code::ALL.iter().position(|c| *c == d.code).unwrap_or_default();
    let mut value = json!({
        "ruleId": d.code.as_str(),
        "ruleIndex": index,
        "level": d.severity.as_str(),
        "message": {"text": full_message(d)},
    });
    if let Some(location) = &d.location {
        let span = location.span;
        let mut region = json!({"startLine": span.start.line.max(1), "startColumn": span.start.column.max(1)});
        if span.end.line >= span.start.line && span.end != span.start {
            region["endLine"] = json!(span.end.line.max(1));
            region["endColumn"] = json!(span.end.column.max(1));
        }
        value["locations"] = json!([{
            "physicalLocation": {
                "artifactLocation": {"uri": uri(base, &location.file)},
                "region": region,
            }
        }]);
    }
    if !d.related.is_empty() {
        value["relatedLocations"] = d
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| {
                json!({
                    "id": i,
                    "message": {"text": r.message},
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(base, &r.location.file)},
                        "region": {"startLine": r.location.span.start.line.max(1), "startColumn": r.location.span.start.column.max(1)},
                    }
                })
            })
            .collect();
    }
    value
}

/// One GitHub Actions workflow command: `::error file=…,line=…,col=…,title=…::message`.
pub fn render_github(d: &Diagnostic, base: &str) -> String {
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let mut properties = Vec::new();
    if let Some(location) = &d.location {
        let span = location.span;
        properties.push(format!("file={}", property(&uri(base, &location.file))));
        properties.push(format!("line={}", span.start.line.max(1)));
        properties.push(format!("col={}", span.start.column.max(1)));
        if span.end.line > span.start.line {
            properties.push(format!("endLine={}", span.end.line));
        } else if span.end.column > span.start.column {
            properties.push(format!("endColumn={}", span.end.column));
        }
    }
    properties.push(format!("title={}", property(&format!("ddmc {}", d.code.as_str()))));
    format!("::{command} {}::{}", properties.join(","), data(&full_message(d)))
}

/// Escapes for a workflow command's message.
fn data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes for a workflow command's property value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Pos, Span};

    fn sample() -> Diagnostic {
        let span = Span::new(Pos { line: 5, column: 18, offset: 60 }, Pos { line: 5, column: 21, offset: 63 });
        Diagnostic::error(Code::WrongType, "`notifications` must be true or false, found `yes`")
            .at("policies/mac, 100%.yaml", span)
            .help("write `true`\nor `false`")
    }

    #[test]
    fn github_commands_escape_their_parts() {
        assert_eq!(
            render_github(&sample(), "repo"),
            "::error file=repo/policies/mac%2C 100%25.yaml,line=5,col=18,endColumn=21,title=ddmc wrong-type::`notifications` must be true or false, found `yes`%0Ahelp: write `true`%0Aor `false`"
        );
    }

    #[test]
    fn sarif_results_point_at_rules_and_regions() {
        let d = sample();
        let log: Value = serde_json::from_str(&render_sarif(&[&d], "")).expect("json");
        let result = &log["runs"][0]["results"][0];
        let index = result["ruleIndex"].as_u64().expect("index") as usize;
        assert_eq!(log["runs"][0]["tool"]["driver"]["rules"][index]["id"], "wrong-type");
        assert_eq!(
            result["locations"][0]["physicalLocation"]["region"],
            json!({"startLine": 5, "startColumn": 18, "endLine": 5, "endColumn": 21})
        );
        assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "policies/mac, 100%.yaml");
    }
}
