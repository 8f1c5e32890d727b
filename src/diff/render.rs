//! `ddmc diff` for people: one line per artifact, its changed keys below it.

use super::{Change, ChangeKind, Diff, GroupChangeKind};
use crate::diagnostics::plain;

pub fn human(diff: &Diff) -> String {
    if diff.is_empty() {
        return "no changes\n".to_owned();
    }
    let mut out = String::new();
    section(&mut out, "Declarations", &diff.declarations, "ServerToken changed: devices re-sync it");
    section(&mut out, "Profiles", &diff.profiles, "content changed: MDM reinstalls it");
    if !diff.groups.is_empty() {
        out.push_str("Groups:\n");
        for g in &diff.groups {
            let what = match g.change {
                GroupChangeKind::Added => "added",
                GroupChangeKind::Removed => "removed",
                GroupChangeKind::TokenChanged => "DeclarationsToken changed: its devices re-sync",
            };
            out.push_str(&format!("  {}: {what}\n", g.group));
        }
    }
    out
}

fn section(out: &mut String, title: &str, changes: &[Change], token: &str) {
    if changes.is_empty() {
        return;
    }
    out.push_str(&format!("{title}:\n"));
    for c in changes {
        let mark = match c.change {
            ChangeKind::Added => '+',
            ChangeKind::Removed => '-',
            ChangeKind::Changed => '~',
        };
        out.push_str(&format!("  {mark} {}  ({})\n", c.identifier, c.ty));
        for k in &c.keys {
            let shown = |v: &Option<serde_json::Value>| v.as_ref().map_or("(absent)".to_owned(), plain);
            out.push_str(&format!("      {}: {} -> {}\n", k.key, shown(&k.old), shown(&k.new)));
        }
        if c.token_changed {
            out.push_str(&format!("      {token}\n"));
        }
    }
}
