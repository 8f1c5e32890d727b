//! The explanation as text for people.

use super::{Explanation, Setting};
use std::fmt::Write;

pub fn render_human(e: &Explanation) -> String {
    let mut out = String::new();
    let d = &e.device;
    let _ = writeln!(
        out,
        "{} {}, group `{}`, {} enrollment",
        d.platform,
        d.version,
        d.group,
        format!("{:?}", d.enrollment).to_lowercase()
    );
    let _ = writeln!(out, "\nSettings (after Apple's combine rules):");
    if e.settings.is_empty() {
        let _ = writeln!(out, "  none: no softwareupdate.settings declaration reaches this device");
    }
    settings(&mut out, &e.settings);
    let _ = writeln!(out, "\nDeclarations received ({}):", e.declarations.len());
    for r in &e.declarations {
        let _ = writeln!(out, "  {}  {}", r.identifier, r.ty);
    }
    let _ = writeln!(out, "\nLegacy profiles received ({}):", e.profiles.len());
    for r in &e.profiles {
        let _ = writeln!(out, "  {}  {}", r.identifier, r.ty);
        if let Some(policies) = &r.policy {
            let _ = writeln!(out, "      merged from {policies}");
        }
    }
    if !e.legacy_settings.is_empty() {
        let _ = writeln!(out, "\nLegacy profile settings (merged by Apple's rules):");
        settings(&mut out, &e.legacy_settings);
    }
    let _ = writeln!(out, "\nEnforcement ({}):", e.enforcement.len());
    for t in &e.enforcement {
        let build = match (&t.build, &t.build_train) {
            (Some(b), Some(train)) => format!(" ({b}, a {train} build)"),
            (Some(b), None) => format!(" ({b})"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {}{build} by {}  [{}]  policy `{}` ({})",
            t.version, t.deadline, t.state, t.policy, t.source
        );
        let _ = writeln!(out, "      {}", t.detail);
        if let Some(rule) = &t.resolved {
            let _ = writeln!(out, "      resolved: {rule}");
        }
        if let Some(arithmetic) = &t.deadline_arithmetic {
            let _ = writeln!(out, "      deadline: {arithmetic}");
        }
    }
    if !e.notes.is_empty() {
        let _ = writeln!(out, "\nNotes:");
        for n in &e.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    out
}

fn settings(out: &mut String, list: &[Setting]) {
    for s in list {
        let value = crate::diagnostics::plain(&s.value);
        let _ = writeln!(out, "  {} = {}   [{}]", s.field, value, s.key);
        let _ = writeln!(out, "      from {}", s.from.join(", "));
        if let Some(o) = &s.overridden {
            let _ = writeln!(out, "      {o}");
        }
        if let Some(n) = &s.not_applied {
            let _ = writeln!(out, "      NOT APPLIED: {n}");
        }
    }
}
