//! The report as one HTML document: inline CSS, inline SVG, one small inline script that only
//! adds a group filter. Every value that comes from a policy goes through [`esc`]; a Content
//! Security Policy with the hashes of the page's own style and script blocks anything else.

use super::timeline;
use super::{Artifact, CatalogState, LegacyCohort, Matrix, Report};
use crate::diagnostics::{Diagnostic, plain};
use crate::diff::{Change, ChangeKind, GroupChangeKind};
use crate::explain::Setting;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::fmt::Write;

const CSS: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// Text for HTML content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A message with its `quoted` parts as `<code>`: each part is escaped on its own, so only
/// the page's own tags are markup.
fn code_spans(text: &str) -> String {
    if text.matches('`').count() % 2 == 1 {
        return esc(text);
    }
    text.split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { format!("<code>{}</code>", esc(part)) } else { esc(part) })
        .collect()
}

/// `'sha256-…'` of an inline block, for the Content Security Policy.
fn csp_hash(text: &str) -> String {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes())))
}

pub fn page(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src {}; script-src {}; \
         img-src data:; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>ddmc report: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        csp_hash(CSS),
        csp_hash(SCRIPT),
        esc(&report.repository)
    );
    header(&mut out, report);
    out.push_str("<main>\n");
    timeline_section(&mut out, report);
    matrix_section(&mut out, &report.matrices);
    legacy_section(&mut out, &report.legacy);
    diagnostics_section(&mut out, &report.diagnostics);
    artifacts_section(&mut out, "declarations", "Declarations", "ServerToken", &report.declarations, "json");
    artifacts_section(&mut out, "profiles", "Legacy profiles", "Content token", &report.profiles, "xml");
    if let Some((rev, diff)) = &report.since {
        changes_section(&mut out, rev, diff);
    }
    let _ = write!(
        out,
        "</main>\n<footer><p>Written by ddmc {}. This page makes no network requests.</p></footer>\n\
         <script>{SCRIPT}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

fn header(out: &mut String, r: &Report) {
    let c = &r.counts;
    let catalog = match &r.catalog {
        CatalogState::Absent { file } => format!("no catalog (<code>{}</code> does not exist)", esc(file)),
        CatalogState::Present { file, as_of, max_age_days } => {
            let age = if r.catalog.is_stale(r.now) {
                format!("<strong class=\"stale\">⚠ stale: older than {max_age_days} days</strong>")
            } else {
                format!("current (at most {max_age_days} days old)")
            };
            format!("<code>{}</code> as of <time datetime=\"{as_of}\">{as_of}</time>, {age}", esc(file))
        }
    };
    let _ = write!(
        out,
        "<header>\n<h1>ddmc report: <span class=\"repo\">{}</span></h1>\n<dl class=\"summary\">\n\
         <div><dt>Policies</dt><dd>{}</dd></div>\n<div><dt>Declarations</dt><dd>{}</dd></div>\n\
         <div><dt>Profiles</dt><dd>{}</dd></div>\n\
         <div><dt>Diagnostics</dt><dd>{}, {}, {}</dd></div>\n\
         <div><dt>Catalog</dt><dd>{catalog}</dd></div>\n\
         <div><dt>Now</dt><dd><time datetime=\"{now}\">{}</time> (device local time)</dd></div>\n</dl>\n",
        esc(&r.repository),
        c.policies,
        c.declarations,
        c.profiles,
        counted(c.errors, "error"),
        counted(c.warnings, "warning"),
        counted(c.notes, "note"),
        readable(r.now),
        now = r.now,
    );
    out.push_str(
        "<nav aria-label=\"Sections\"><ul><li><a href=\"#timeline\">Timeline</a></li>\
         <li><a href=\"#matrix\">Effective settings</a></li><li><a href=\"#legacy\">Legacy era</a></li>\
         <li><a href=\"#diagnostics\">Diagnostics</a></li><li><a href=\"#declarations\">Declarations</a></li>\
         <li><a href=\"#profiles\">Profiles</a></li>",
    );
    if r.since.is_some() {
        out.push_str("<li><a href=\"#changes\">Changes</a></li>");
    }
    out.push_str("</ul></nav>\n");
    let mut groups: Vec<&str> = r.lanes.iter().map(|l| l.group.as_str()).collect();
    groups.dedup();
    out.push_str(
        "<p id=\"group-filter\" class=\"filter\" hidden><label for=\"group-select\">Show group</label> \
         <select id=\"group-select\"><option value=\"\">every group</option>",
    );
    for g in groups {
        let _ = write!(out, "<option value=\"{0}\">{0}</option>", esc(g));
    }
    out.push_str("</select></p>\n</header>\n");
}

/// `2026-12-01 18:00` (seconds only when there are some): `datetime` keeps the exact value.
fn readable(at: crate::model::LocalDateTime) -> String {
    let text = at.to_string().replacen('T', " ", 1);
    text.strip_suffix(":00").map(str::to_string).unwrap_or(text)
}

/// `1 note`, `2 notes`.
fn counted(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

fn timeline_section(out: &mut String, r: &Report) {
    out.push_str(
        "<section id=\"timeline\">\n<h2>Rollout timeline</h2>\n<p class=\"legend\">\
         <span class=\"key update\">◆ OS update</span> <span class=\"key bsi\">▲ Background Security \
         Improvement (BSI half: devices at exactly its base version)</span> <span class=\"key past\">◇ past \
         deadline: installs at once</span> <span class=\"key catalog\">◎ chosen by Apple's catalog \
         (<code>latest</code>, or days after the release)</span> <span class=\"key now\">┆ now</span>. Deadlines are device local \
         time. The lane <code>all</code> is for devices in no named group; every lane holds what <code>all</code> \
         gets.</p>\n<div class=\"scroll\">",
    );
    out.push_str(&timeline::svg(&r.lanes, r.now));
    out.push_str(
        "</div>\n<table class=\"deadlines\">\n<caption>Every enforcement target</caption>\n<thead><tr>\
         <th scope=\"col\">Deadline</th><th scope=\"col\">Target</th><th scope=\"col\">Kind</th>\
         <th scope=\"col\">Lanes</th><th scope=\"col\">Policy</th><th scope=\"col\">State</th></tr></thead>\n<tbody>\n",
    );
    // One row per enforcement declaration, with every lane it reaches.
    let mut marks: Vec<&timeline::Mark> = r.lanes.iter().flat_map(|l| &l.marks).collect();
    marks.sort_by(|a, b| (a.deadline, &a.identifier).cmp(&(b.deadline, &b.identifier)));
    marks.dedup_by(|a, b| a.identifier == b.identifier);
    for m in marks {
        let lanes: Vec<String> = r
            .lanes
            .iter()
            .filter(|l| l.marks.iter().any(|x| x.identifier == m.identifier))
            .map(|l| format!("{} {}", esc(&l.group), l.platform.as_str()))
            .collect();
        let (kind, state) = (
            if m.bsi { "BSI" } else { "OS update" },
            if m.past { "<span class=\"past\">past: installs at once</span>" } else { "due" },
        );
        let _ = writeln!(
            out,
            "<tr data-identifier=\"{}\"><td><time datetime=\"{d}\">{}</time></td><td>{}{}</td><td>{kind}</td>\
             <td>{}</td><td>{} <span class=\"file\">{}</span></td><td>{state}</td></tr>",
            esc(&m.identifier),
            readable(m.deadline),
            esc(&m.label()),
            m.from_catalog
                .as_deref()
                .map(|rule| format!("<span class=\"resolved\">◎ Apple's catalog: {}</span>", esc(rule)))
                .unwrap_or_default()
                + &m.details_url
                    .as_deref()
                    .map(|u| format!("<span class=\"url\">{}</span>", esc(u)))
                    .unwrap_or_default(),
            lanes.join(", "),
            esc(&m.policy),
            esc(&m.place),
            d = m.deadline,
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn matrix_section(out: &mut String, matrices: &[Matrix]) {
    out.push_str(
        "<section id=\"matrix\">\n<h2>Effective settings</h2>\n<p>What a supervised device in each cohort \
         (group, platform, OS band) ends with after Apple's combine rules, and the policy and line it comes \
         from; groups whose devices end with the same settings share a column. <span class=\"conflict-key\">⚠ conflict</span> marks a key policies disagree on.</p>\n",
    );
    if matrices.is_empty() {
        out.push_str("<p>No policy sets software-update settings.</p>\n");
    }
    for m in matrices {
        let _ = write!(
            out,
            "<h3>{0}</h3>\n<div class=\"scroll\"><table class=\"matrix\" data-platform=\"{0}\">\n<thead><tr>\
             <th scope=\"col\">Policy field (Apple key)</th>",
            m.platform.as_str()
        );
        for c in &m.columns {
            let band = match c.band.below {
                Some(below) => format!("{} to before {below}", c.band.from),
                None => format!("{} and later", c.band.from),
            };
            let _ = write!(
                out,
                "<th scope=\"col\" data-groups=\"{}\">{}<br><span class=\"band\">{} {band}</span></th>",
                esc(&c.groups.join(" ")),
                esc(&c.groups.join(", ")),
                m.platform.as_str()
            );
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in &m.rows {
            let _ = write!(
                out,
                "<tr data-key=\"{0}\"><th scope=\"row\">{1}<br><code>{0}</code></th>",
                esc(row.key),
                esc(&row.field)
            );
            for (cell, column) in row.cells.iter().zip(&m.columns) {
                setting_cell(out, cell.as_ref(), &column.groups.join(" "));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table></div>\n");
    }
    out.push_str("</section>\n");
}

fn setting_cell(out: &mut String, setting: Option<&Setting>, groups: &str) {
    let Some(s) = setting else {
        let _ = write!(out, "<td class=\"unset\" data-groups=\"{}\">—</td>", esc(groups));
        return;
    };
    let conflict = s.overridden.is_some();
    let _ = write!(
        out,
        "<td class=\"{}\" data-groups=\"{}\"><span class=\"value\">{}</span>",
        if conflict { "set conflict" } else { "set" },
        esc(groups),
        esc(&plain(&s.value))
    );
    if conflict {
        out.push_str(" <strong class=\"flag\">⚠ conflict</strong>");
    }
    let _ = write!(out, "<span class=\"from\">{}</span>", esc(&s.from.join("; ")));
    if let Some(overridden) = &s.overridden {
        let _ = write!(out, "<span class=\"overridden\">{}</span>", esc(overridden));
    }
    if let Some(why) = &s.not_applied {
        let _ = write!(out, "<span class=\"overridden\">not applied: {}</span>", esc(why));
    }
    out.push_str("</td>");
}

/// `<table class="…">` with its header row; the body follows.
fn table_start(out: &mut String, class: &str, columns: &[&str]) {
    let _ = write!(out, "<table class=\"{class}\">\n<thead><tr>");
    for column in columns {
        let _ = write!(out, "<th scope=\"col\">{column}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
}

fn legacy_section(out: &mut String, cohorts: &[LegacyCohort]) {
    out.push_str(
        "<section id=\"legacy\">\n<h2>Legacy era</h2>\n<p>Devices too old for declarative software-update \
         settings (macOS 13–14, iOS 16–17) get one merged configuration profile per group and platform.</p>\n",
    );
    if cohorts.is_empty() {
        out.push_str("<p>No legacy profiles.</p>\n</section>\n");
        return;
    }
    table_start(out, "legacy", &["Group", "Devices", "Profile", "Keys"]);
    for c in cohorts {
        let band = match c.below {
            Some(below) => format!("{} {} to before {below}", c.platform.as_str(), c.from),
            None => format!("{} {} and later", c.platform.as_str(), c.from),
        };
        let profiles = if c.profiles.is_empty() {
            "none".to_string()
        } else {
            c.profiles.iter().map(|p| format!("<code>{}</code>", esc(p))).collect::<Vec<_>>().join("<br>")
        };
        let _ = write!(
            out,
            "<tr data-groups=\"{0}\"><th scope=\"row\">{0}</th><td>{1}</td><td>{profiles}</td><td>",
            esc(&c.group),
            esc(&band)
        );
        if !c.settings.is_empty() {
            out.push_str("<ul class=\"keys\">");
            for s in &c.settings {
                let flag = if s.overridden.is_some() { " <strong class=\"flag\">⚠ conflict</strong>" } else { "" };
                let _ = write!(
                    out,
                    "<li><code>{}</code> = {}{flag} <span class=\"from\">{}</span></li>",
                    esc(s.key),
                    esc(&plain(&s.value)),
                    esc(&s.from.join("; "))
                );
            }
            out.push_str("</ul>");
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn diagnostics_section(out: &mut String, diagnostics: &[Diagnostic]) {
    out.push_str("<section id=\"diagnostics\">\n<h2>Diagnostics</h2>\n");
    if diagnostics.is_empty() {
        out.push_str("<p>No errors, warnings or notes.</p>\n</section>\n");
        return;
    }
    table_start(out, "diagnostics", &["Severity", "Code", "Where", "Message"]);
    for d in diagnostics {
        let severity = d.severity.as_str();
        let place = d.location.as_ref().map(ToString::to_string).unwrap_or_default();
        let _ = write!(
            out,
            "<tr><td><span class=\"severity {severity}\">{severity}</span></td>\
             <td><code>{}</code></td><td class=\"file\">{}</td><td>{}",
            d.code.as_str(),
            esc(&place),
            code_spans(&d.message)
        );
        for note in &d.notes {
            let _ = write!(out, "<span class=\"note\">note: {}</span>", code_spans(note));
        }
        if let Some(help) = &d.help {
            let _ = write!(out, "<span class=\"help\">help: {}</span>", code_spans(help));
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn artifacts_section(out: &mut String, id: &str, title: &str, token: &str, artifacts: &[Artifact], lang: &str) {
    let _ = write!(out, "<section id=\"{id}\">\n<h2>{title}</h2>\n");
    if artifacts.is_empty() {
        out.push_str("<p>None.</p>\n</section>\n");
        return;
    }
    table_start(out, "artifacts", &["Identifier", "Type", token, "Payload"]);
    for a in artifacts {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\"><code>{}</code></th><td><code>{}</code></td><td><code>{}</code></td>\
             <td><details><summary>show</summary><pre class=\"{lang}\">{}</pre></details></td></tr>",
            esc(&a.identifier),
            esc(&a.ty),
            esc(&a.token),
            esc(&a.payload)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn changes_section(out: &mut String, rev: &str, diff: &crate::diff::Diff) {
    let _ = write!(out, "<section id=\"changes\">\n<h2>Changes since <code>{}</code></h2>\n", esc(rev));
    if diff.is_empty() {
        out.push_str("<p>No changes: the output is identical.</p>\n</section>\n");
        return;
    }
    table_start(out, "changes", &["Change", "Identifier", "Type", "Keys (old → new)"]);
    for c in diff.declarations.iter().chain(&diff.profiles) {
        change_row(out, c);
    }
    out.push_str("</tbody>\n</table>\n");
    if !diff.groups.is_empty() {
        out.push_str("<h3>Groups</h3>\n<ul>");
        for g in &diff.groups {
            let what = match g.change {
                GroupChangeKind::Added => "added",
                GroupChangeKind::Removed => "removed",
                GroupChangeKind::TokenChanged => "DeclarationsToken changed: its devices re-sync",
            };
            let _ = write!(out, "<li><code>{}</code>: {what}</li>", esc(&g.group));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

fn change_row(out: &mut String, c: &Change) {
    let kind = match c.change {
        ChangeKind::Added => "<span class=\"added\">+ added</span>",
        ChangeKind::Removed => "<span class=\"removed\">− removed</span>",
        ChangeKind::Changed => "<span class=\"changed\">~ changed</span>",
    };
    let _ = write!(
        out,
        "<tr><td>{kind}</td><td><code>{}</code></td><td><code>{}</code></td><td>",
        esc(&c.identifier),
        esc(&c.ty)
    );
    if !c.keys.is_empty() {
        out.push_str("<ul class=\"keys\">");
        for k in &c.keys {
            let shown = |v: &Option<serde_json::Value>| v.as_ref().map_or("(absent)".to_owned(), plain);
            let _ =
                write!(out, "<li><code>{}</code>: {} → {}</li>", esc(&k.key), esc(&shown(&k.old)), esc(&shown(&k.new)));
        }
        out.push_str("</ul>");
    }
    if c.token_changed {
        out.push_str("<span class=\"note\">devices re-sync it</span>");
    }
    out.push_str("</td></tr>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Policy text must never become markup, in content or in an attribute.
    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(esc("<script>\"x\"&'y'</script>"), "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;");
    }

    #[test]
    fn quoted_parts_become_code_and_stay_escaped() {
        assert_eq!(code_spans("set `a<b>` here"), "set <code>a&lt;b&gt;</code> here");
        assert_eq!(code_spans("odd ` <i>"), "odd ` &lt;i&gt;");
    }

    /// The policy names the page's own inline blocks by hash: nothing else may run or style it.
    #[test]
    fn csp_names_sha256_in_base64() {
        assert_eq!(csp_hash(""), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
    }
}
