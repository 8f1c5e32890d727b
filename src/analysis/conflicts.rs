//! Where policies disagree for the same devices, and which value the device applies.
//! Each disagreement is reported once, with every cohort it affects.

use super::{Cohort, cohorts, effective_settings, reaches};
use crate::apple::DeclarationType;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::document::Document;
use crate::emit::canonical::canonical_json;
use crate::lower::Declaration;
use crate::lower::settings::field_of;
use crate::model::{GROUP_ALL, OsVersion, Platform};
use crate::pipeline::Loaded;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};

/// Warnings (`--deny-conflicts` makes them errors) for settings that policies set to
/// different values for the same cohort, and for several enforcement targets reaching
/// the same devices.
pub fn check(policies: &[Loaded], declarations: &[Declaration], out: &mut Diagnostics) {
    let docs: BTreeMap<&str, &Document> = policies.iter().map(|p| (p.policy.id.as_str(), &p.doc)).collect();
    // (key, the policies and values involved) -> the cohorts where they meet, and the winner.
    // (key, fingerprint of who sets what) -> who sets what, the winner, the rule, the cohorts.
    let mut found: BTreeMap<(&str, u64), Found> = BTreeMap::new();
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
    // Each cohort reads only the settings and enforcement declarations of its platform.
    let on = |platform: Platform, ty: DeclarationType| -> Vec<&Declaration> {
        declarations.iter().filter(|d| d.ty == ty && d.applies_to.iter().any(|r| r.platform == platform)).collect()
    };
    let by_platform: BTreeMap<Platform, (Vec<&Declaration>, Vec<&Declaration>)> = Platform::ALL
        .into_iter()
        .map(|p| {
            (p, (on(p, DeclarationType::SoftwareUpdateSettings), on(p, DeclarationType::SoftwareUpdateEnforcement)))
        })
        .collect();
    for cohort in cohorts(declarations) {
        if cohort.group != GROUP_ALL && !own.contains(&(cohort.group.as_str(), cohort.platform)) {
            continue;
        }
        let Some((settings, enforcements)) = by_platform.get(&cohort.platform) else { continue };
        for setting in effective_settings(settings.iter().copied(), &cohort.group, cohort.platform, cohort.band.from) {
            if !setting.disagrees() {
                continue;
            }
            let sides = || -> Vec<(String, String)> {
                setting
                    .from
                    .iter()
                    .filter_map(|c| Some((c.declaration.origin.as_ref()?.policy.clone(), show(c.value))))
                    .collect()
            };
            let mut hasher = DefaultHasher::new();
            for c in &setting.from {
                c.declaration.identifier.hash(&mut hasher);
                canonical_json(c.value).hash(&mut hasher);
            }
            let entry = found.entry((setting.key, hasher.finish())).or_insert_with(|| Found {
                sides: sides(),
                winner: show(&setting.value),
                rule: setting.combine.rule(setting.key),
                cohorts: Vec::new(),
            });
            entry.cohorts.push(cohort.clone());
        }
        let enforced: Vec<String> = enforcements
            .iter()
            .filter(|d| d.applies_to.iter().all(|r| r.exactly.is_none()))
            .filter(|d| reaches(d, &cohort.group, cohort.platform, cohort.band.from))
            .map(|d| d.identifier.clone())
            .collect();
        if enforced.len() > 1 {
            targets.entry(enforced).or_default().push(cohort);
        }
    }
    for ((key, _), found) in found {
        out.push(conflict(key, &found, &docs));
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

/// A disagreement on one key among the same policies, and where it reaches.
struct Found {
    /// (policy, value) in declaration order.
    sides: Vec<(String, String)>,
    winner: String,
    rule: String,
    cohorts: Vec<Cohort>,
}

/// Policies named in a message (and places shown) at most: a fleet of hundreds of policies
/// that disagree makes one readable warning.
const SHOWN: usize = 4;

fn conflict(key: &str, found: &Found, docs: &BTreeMap<&str, &Document>) -> Diagnostic {
    let field = field_of(key);
    let sides = &found.sides;
    let mut names: Vec<String> =
        sides.iter().take(SHOWN).map(|(policy, value)| format!("`{policy}` sets `{value}`")).collect();
    if sides.len() > SHOWN {
        names.push(format!("and {} more policies", sides.len() - SHOWN));
    }
    let mut d = Diagnostic::warning(
        Code::Conflict,
        format!("policies disagree on `{}`: {}", field.join("."), names.join(", ")),
    )
    .note(format!("devices: {}", where_(&found.cohorts)))
    .note(format!("Apple's `{key}` combines by {}", found.rule))
    .help(format!("the device applies `{}`; make the policies agree, or narrow their groups", found.winner));
    let mut placed = false;
    for (policy, value) in sides.iter().take(SHOWN) {
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
