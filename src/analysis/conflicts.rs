//! Where policies disagree for the same devices, and which value the device applies.
//! Each disagreement is reported once, with every cohort it affects.

use super::combine::CombineType;
use super::{Band, Cohort, Contribution, cohorts, contributions, reaches};
use crate::apple::DeclarationType;
use crate::diagnostics::{Code, Diagnostic, Diagnostics, plain};
use crate::document::Document;
use crate::emit::canonical::canonical_json;
use crate::lower::Declaration;
use crate::lower::settings::{FIELDS, field_of};
use crate::model::{GROUP_ALL, OsVersion, Platform};
use crate::pipeline::Loaded;
use serde_json::Value;
use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Warnings (`--deny-conflicts` makes them errors) for settings that policies set to
/// different values for the same cohort, and for several enforcement targets reaching
/// the same devices.
pub fn check(policies: &[Loaded], declarations: &[Declaration], out: &mut Diagnostics) {
    let docs: BTreeMap<&str, &Document> = policies.iter().map(|p| (p.policy.id.as_str(), &p.doc)).collect();
    // (key, fingerprint of who sets what) -> who sets what, the winner, the rule, the cohorts.
    let mut found: BTreeMap<(&str, u64), Found> = BTreeMap::new();
    // Fingerprint of the enforcement declarations -> them, and the cohorts they reach.
    let mut targets: BTreeMap<u64, (Vec<&Declaration>, Vec<Cohort>)> = BTreeMap::new();
    let mut sorted: Vec<&Declaration> = declarations.iter().collect();
    sorted.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    let mut bands: BTreeMap<(Platform, Band), Vec<Cohort>> = BTreeMap::new();
    for cohort in cohorts(declarations) {
        bands.entry((cohort.platform, cohort.band)).or_default().push(cohort);
    }
    for ((platform, band), cohorts) in bands {
        let version = band.from;
        let on_platform: Vec<&Declaration> =
            sorted.iter().copied().filter(|d| d.applies_to.iter().any(|r| r.platform == platform)).collect();
        let of = |ty: DeclarationType, group: &str, own: bool| -> Vec<&Declaration> {
            on_platform
                .iter()
                .copied()
                .filter(|d| d.ty == ty && reaches(d, group, platform, version))
                .filter(|d| !own || !reaches(d, GROUP_ALL, platform, version))
                .collect()
        };
        // What every device gets here, read once; each group adds only its own declarations.
        let base_settings = of(DeclarationType::SoftwareUpdateSettings, GROUP_ALL, false);
        let base_targets = of(DeclarationType::SoftwareUpdateEnforcement, GROUP_ALL, false);
        let keys: Vec<(&'static str, Vec<Contribution<'_>>, u64, Vec<&Value>)> = FIELDS
            .iter()
            .map(|(key, _)| {
                let base = contributions(&base_settings, key);
                let fingerprint = fingerprint(&base, 0);
                let mut distinct: Vec<&Value> = Vec::new();
                for c in &base {
                    if !distinct.contains(&c.value) {
                        distinct.push(c.value);
                    }
                }
                (*key, base, fingerprint, distinct)
            })
            .collect();
        for cohort in cohorts {
            let group = cohort.group.as_str();
            let (own_settings, own_targets) = if group == GROUP_ALL {
                (Vec::new(), Vec::new())
            } else {
                (
                    of(DeclarationType::SoftwareUpdateSettings, group, true),
                    of(DeclarationType::SoftwareUpdateEnforcement, group, true),
                )
            };
            // A group with nothing of its own here repeats the `all` cohort.
            if group != GROUP_ALL && own_settings.is_empty() && own_targets.is_empty() {
                continue;
            }
            for (key, base, base_fingerprint, base_distinct) in &keys {
                let own = contributions(&own_settings, key);
                if group != GROUP_ALL && own.is_empty() {
                    continue;
                }
                let mut values: Vec<&Value> = base_distinct.clone();
                values.extend(own.iter().map(|c| c.value).filter(|v| !base_distinct.contains(v)));
                values.dedup();
                if values.len() < 2 {
                    continue;
                }
                let Some(combine) = CombineType::of(key) else { continue };
                let entry = found.entry((key, fingerprint(&own, *base_fingerprint))).or_insert_with(|| {
                    // Both lists are in Identifier order: the first few of both, merged.
                    let first = merge_first(base, &own, SHOWN);
                    let winner = match combine {
                        CombineType::First => first.first().map(|c| c.value.clone()),
                        _ => combine.combine(key, &values),
                    };
                    Found {
                        count: base.len() + own.len(),
                        sides: first
                            .iter()
                            .filter_map(|c| Some((c.declaration.origin.as_ref()?.policy.clone(), plain(c.value))))
                            .collect(),
                        winner: winner.map(|v| plain(&v)).unwrap_or_default(),
                        rule: combine.rule(key),
                        cohorts: Vec::new(),
                    }
                });
                entry.cohorts.push(cohort.clone());
            }
            let enforced: Vec<&Declaration> = base_targets
                .iter()
                .chain(&own_targets)
                .copied()
                .filter(|d| d.applies_to.iter().all(|r| r.exactly.is_none()))
                .collect();
            if enforced.len() > 1 {
                let mut hasher = DefaultHasher::new();
                enforced.iter().for_each(|d| d.identifier.hash(&mut hasher));
                targets.entry(hasher.finish()).or_insert_with(|| (enforced, Vec::new())).1.push(cohort);
            }
        }
    }
    for ((key, _), found) in found {
        out.push(conflict(key, &found, &docs));
    }
    for (enforced, cohorts) in targets.into_values() {
        out.push(several_targets(enforced, &cohorts, &docs));
    }
}

/// The first `n` of two lists in Identifier order, in Identifier order.
fn merge_first<'a, 'b>(a: &'b [Contribution<'a>], b: &'b [Contribution<'a>], n: usize) -> Vec<&'b Contribution<'a>> {
    let (mut a, mut b) = (a.iter().peekable(), b.iter().peekable());
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if y.declaration.identifier < x.declaration.identifier => b.next(),
            (Some(_), _) => a.next(),
            (None, _) => b.next(),
        };
        match next {
            Some(c) => out.push(c),
            None => break,
        }
    }
    out
}

/// Identifies who sets what, so that a disagreement is reported once.
fn fingerprint(contributions: &[Contribution<'_>], seed: u64) -> u64 {
    let mut hasher = DefaultHasher::new();
    seed.hash(&mut hasher);
    for c in contributions {
        c.declaration.identifier.hash(&mut hasher);
        canonical_json(c.value).hash(&mut hasher);
    }
    hasher.finish()
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
    /// How many declarations take part.
    count: usize,
    /// The first few (policy, value), in Identifier order.
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
    if found.count > sides.len() {
        names.push(format!("and {} more", found.count - sides.len()));
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

fn several_targets(found: Vec<&Declaration>, cohorts: &[Cohort], docs: &BTreeMap<&str, &Document>) -> Diagnostic {
    let text = |d: &Declaration, key: &str| plain(&d.payload[key]);
    let version = |d: &Declaration| text(d, "TargetOSVersion").parse::<OsVersion>().ok();
    // Each enforcement applies at its own deadline; one whose version a target due no later
    // already reaches has nothing left to do. Sorted by (deadline, version), a newer target
    // with the same deadline is the next one.
    let key = |d: &Declaration| (text(d, "TargetLocalDateTime"), version(d));
    let mut keyed: Vec<((String, Option<OsVersion>), &Declaration)> = found.iter().map(|d| (key(d), *d)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let (mut acted, mut redundant) = (Vec::new(), Vec::new());
    let mut reached: Option<OsVersion> = None;
    for (i, ((deadline, version), d)) in keyed.iter().enumerate() {
        let due_no_later_newer = keyed.get(i + 1).is_some_and(|((next, newer), _)| next == deadline && newer > version);
        if reached >= *version || due_no_later_newer {
            redundant.push(*d);
        } else {
            reached = *version;
            acted.push(*d);
        }
    }
    let describe = |d: &Declaration| {
        let policy = d.origin.as_ref().map(|o| o.policy.as_str()).unwrap_or("?");
        format!("{} by {} (policy `{policy}`)", text(d, "TargetOSVersion"), text(d, "TargetLocalDateTime"))
    };
    let list = |ds: &[&Declaration]| {
        let mut shown: Vec<String> = ds.iter().take(SHOWN).map(|d| describe(d)).collect();
        if ds.len() > SHOWN {
            shown.push(format!("and {} more", ds.len() - SHOWN));
        }
        shown.join(", then ")
    };
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
    for declaration in found.iter().take(SHOWN) {
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
