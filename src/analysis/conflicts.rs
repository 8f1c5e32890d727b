//! Where policies disagree for the same devices, and which value the device applies.
//! Each disagreement is reported once, with every cohort it affects.

use super::{Cohort, cohorts, effective_settings, reaches};
use crate::apple::DeclarationType;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::document::Document;
use crate::lower::Declaration;
use crate::lower::settings::field_of;
use crate::model::{GROUP_ALL, OsVersion, Platform};
use crate::pipeline::Loaded;
use std::collections::{BTreeMap, BTreeSet};

/// Warnings (`--deny-conflicts` makes them errors) for settings that policies set to
/// different values for the same cohort, and for several enforcement targets reaching
/// the same devices.
pub fn check(policies: &[Loaded], declarations: &[Declaration], out: &mut Diagnostics) {
    let docs: BTreeMap<&str, &Document> = policies.iter().map(|p| (p.policy.id.as_str(), &p.doc)).collect();
    // (key, the policies and values involved) -> the cohorts where they meet, and the winner.
    let mut found: BTreeMap<(&str, Vec<(String, String)>), (String, String, Vec<Cohort>)> = BTreeMap::new();
    let mut targets: BTreeMap<Vec<String>, Vec<Cohort>> = BTreeMap::new();
    // A group none of whose own declarations reach a platform gets exactly what `all` gets
    // there: its cohorts repeat the `all` cohorts and are skipped.
    let own: BTreeSet<(&str, Platform)> = declarations
        .iter()
        .filter_map(|d| Some((d.origin.as_ref()?, d)))
        .filter(|(o, _)| !o.groups.iter().any(|g| g == GROUP_ALL))
        .flat_map(|(o, d)| {
            o.groups.iter().flat_map(move |g| d.applies_to.iter().map(move |r| (g.as_str(), r.platform)))
        })
        .collect();
    for cohort in cohorts(declarations) {
        if cohort.group != GROUP_ALL && !own.contains(&(cohort.group.as_str(), cohort.platform)) {
            continue;
        }
        for setting in effective_settings(declarations, &cohort.group, cohort.platform, cohort.band.from) {
            if !setting.disagrees() {
                continue;
            }
            let sides: Vec<(String, String)> = setting
                .from
                .iter()
                .filter_map(|c| Some((c.declaration.origin.as_ref()?.policy.clone(), show(c.value))))
                .collect();
            let entry = found
                .entry((setting.key, sides))
                .or_insert_with(|| (show(&setting.value), setting.combine.rule(setting.key), Vec::new()));
            entry.2.push(cohort.clone());
        }
        let enforced: Vec<String> = declarations
            .iter()
            .filter(|d| d.ty == DeclarationType::SoftwareUpdateEnforcement)
            .filter(|d| d.applies_to.iter().all(|r| r.exactly.is_none()))
            .filter(|d| reaches(d, &cohort.group, cohort.platform, cohort.band.from))
            .map(|d| d.identifier.clone())
            .collect();
        if enforced.len() > 1 {
            targets.entry(enforced).or_default().push(cohort);
        }
    }
    for ((key, sides), (winner, rule, cohorts)) in found {
        out.push(conflict(key, &sides, &winner, &rule, &cohorts, &docs));
    }
    for (identifiers, cohorts) in targets {
        out.push(several_targets(&identifiers, declarations, &cohorts, &docs));
    }
}

fn show(value: &serde_json::Value) -> String {
    value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string())
}

fn where_(cohorts: &[Cohort]) -> String {
    let first = cohorts.first().map(ToString::to_string).unwrap_or_default();
    match cohorts.len() {
        0 | 1 => first,
        n => format!("{first} (and {} more cohorts)", n - 1),
    }
}

fn conflict(
    key: &str,
    sides: &[(String, String)],
    winner: &str,
    rule: &str,
    cohorts: &[Cohort],
    docs: &BTreeMap<&str, &Document>,
) -> Diagnostic {
    let field = field_of(key);
    let names: Vec<String> = sides.iter().map(|(policy, value)| format!("`{policy}` sets `{value}`")).collect();
    let mut d = Diagnostic::warning(
        Code::Conflict,
        format!("policies disagree on `{}`: {}", field.join("."), names.join(", ")),
    )
    .note(format!("devices: {}", where_(cohorts)))
    .note(format!("Apple's `{key}` combines by {rule}"))
    .help(format!("the device applies `{winner}`; make the policies agree, or narrow their groups"));
    let mut placed = false;
    for (policy, value) in sides {
        let Some(doc) = docs.get(policy.as_str()) else { continue };
        let span = doc.span(field);
        d = if placed {
            d.related(&doc.file, span, format!("`{value}` here"))
        } else {
            placed = true;
            d.at(&doc.file, span).label(format!("`{value}` here"))
        };
    }
    d
}

fn several_targets(
    identifiers: &[String],
    declarations: &[Declaration],
    cohorts: &[Cohort],
    docs: &BTreeMap<&str, &Document>,
) -> Diagnostic {
    let mut found: Vec<&Declaration> =
        identifiers.iter().filter_map(|id| declarations.iter().find(|d| &d.identifier == id)).collect();
    let text = |d: &Declaration, key: &str| show(&d.payload[key]);
    let version = |d: &Declaration| text(d, "TargetOSVersion").parse::<OsVersion>().ok();
    // Each enforcement applies at its own deadline; one whose version a target due no later
    // already reaches has nothing left to do.
    found.sort_by_key(|d| (text(d, "TargetLocalDateTime"), version(d)));
    let (mut acted, mut redundant) = (Vec::new(), Vec::new());
    let mut reached: Option<OsVersion> = None;
    for (i, d) in found.iter().enumerate() {
        let due_no_later_newer = found[i + 1..].iter().any(|later| {
            text(later, "TargetLocalDateTime") == text(d, "TargetLocalDateTime") && version(later) > version(d)
        });
        if reached >= version(d) || due_no_later_newer {
            redundant.push(*d);
        } else {
            reached = version(d);
            acted.push(*d);
        }
    }
    let describe = |d: &Declaration| {
        let policy = d.origin.as_ref().map(|o| o.policy.as_str()).unwrap_or("?");
        format!("{} by {} (policy `{policy}`)", text(d, "TargetOSVersion"), text(d, "TargetLocalDateTime"))
    };
    let list = |ds: &[&Declaration]| ds.iter().map(|d| describe(d)).collect::<Vec<_>>().join(", then ");
    let mut d =
        Diagnostic::warning(Code::Conflict, format!("{} enforcement targets reach the same devices", found.len()))
            .note(format!("devices: {}", where_(cohorts)))
            .note(format!("each applies at its own deadline: the device is expected to install {}", list(&acted)));
    d = if redundant.is_empty() {
        d.help("if the earlier target is only a step to the later one, nothing needs to change")
    } else {
        d.help(format!("redundant, since a newer target is due no later: {}; remove it", list(&redundant)))
    };
    let mut placed = false;
    for declaration in &found {
        let Some(origin) = &declaration.origin else { continue };
        let Some(doc) = docs.get(origin.policy.as_str()) else { continue };
        let entry = declaration
            .identifier
            .rsplit('.')
            .next()
            .and_then(|n| n.parse::<usize>().ok())
            .map(|n| (n - 1).to_string());
        let span = doc.span(&["enforce", entry.as_deref().unwrap_or("0"), "os_version"]);
        d = if placed {
            d.related(&doc.file, span, "also here")
        } else {
            placed = true;
            d.at(&doc.file, span)
        };
    }
    d
}
