//! Where policies disagree for the same devices, and which value the device applies.
//! Each disagreement is reported once, with every cohort it affects.

use super::combine::CombineType;
use super::targets::{Contradiction, Target, contradictions};
use super::{Band, Cohort, Contribution, cohorts, contributions, in_group, reaches};
use crate::apple::DeclarationType;
use crate::apple::fields::{FIELDS, field_of};
use crate::canonical::canonical_json;
use crate::diagnostics::{Code, Diagnostic, Diagnostics, plain};
use crate::document::Document;
use crate::lower::Declaration;
use crate::model::{GROUP_ALL, Platform};
use crate::resolve::Loaded;
use rayon::prelude::*;
use serde_json::Value;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};

/// A contradiction's kind and the Identifiers of the declarations involved.
type ContradictionKey<'a> = (u8, Vec<&'a str>);

/// Warnings (`--deny-conflicts` makes them errors) for settings that policies set to
/// different values for the same cohort, and for enforcement targets that contradict each
/// other for the same devices (several targets with increasing versions and deadlines are a
/// plan, not a conflict).
///
/// `declarations` are the policies' declarations as lowered, `sorted` the same in Identifier
/// order (emission sorts them too: sorted once for both).
pub fn check(policies: &[Loaded], declarations: &[Declaration], sorted: &[&Declaration], out: &mut Diagnostics) {
    let docs: BTreeMap<&str, &Document> = policies.iter().map(|p| (p.policy.id.as_str(), &p.doc)).collect();
    let mut bands: BTreeMap<(Platform, Band), Vec<Cohort>> = BTreeMap::new();
    for cohort in cohorts(declarations) {
        bands.entry((cohort.platform, cohort.band)).or_default().push(cohort);
    }
    // Who may reach a platform's devices is the same in each of its bands: sorted out once.
    let platforms: BTreeSet<Platform> = bands.keys().map(|(platform, _)| *platform).collect();
    let candidates: BTreeMap<Platform, Candidates<'_>> =
        platforms.into_par_iter().map(|platform| (platform, Candidates::on(sorted, platform))).collect();
    // Each band on its own core; merged in band order, so that every finding lists its
    // cohorts in the order one pass over the bands meets them.
    let per_band: Vec<Findings<'_>> = bands
        .into_par_iter()
        .map(|((platform, band), cohorts)| in_band(&candidates[&platform], platform, band, cohorts))
        .collect();
    let mut all = Findings::default();
    for band in per_band {
        for (key, found) in band.found {
            match all.found.entry(key) {
                Entry::Vacant(e) => {
                    e.insert(found);
                }
                Entry::Occupied(mut e) => e.get_mut().cohorts.extend(found.cohorts),
            }
        }
        for (key, (contradiction, cohorts)) in band.contradicted {
            all.contradicted.entry(key).or_insert_with(|| (contradiction, Vec::new())).1.extend(cohorts);
        }
    }
    for ((key, _), found) in all.found {
        out.push(conflict(key, &found, &docs));
    }
    for (c, cohorts) in all.contradicted.into_values() {
        out.push(contradiction(&c, &cohorts, &docs));
    }
}

/// What one platform's version band holds: disagreements and contradictions, each with the
/// band's cohorts it reaches.
#[derive(Default)]
struct Findings<'a> {
    /// (key, fingerprint of who sets what) -> who sets what, the winner, the rule, the cohorts.
    found: BTreeMap<(&'static str, u64), Found>,
    /// (kind, declarations involved) -> the contradiction, and the cohorts it reaches.
    contradicted: BTreeMap<ContradictionKey<'a>, (Contradiction<'a>, Vec<Cohort>)>,
}

/// The declarations for one platform's devices: for every device (no groups, or `all`),
/// and each group's own, in Identifier order. A cohort reads only these, not every
/// declaration of the platform.
struct Candidates<'a> {
    everyone: Vec<&'a Declaration>,
    own_of: BTreeMap<&'a str, Vec<&'a Declaration>>,
}

impl<'a> Candidates<'a> {
    /// From every declaration in Identifier order (`sorted`).
    fn on(sorted: &[&'a Declaration], platform: Platform) -> Self {
        let mut everyone = Vec::new();
        let mut own_of: BTreeMap<&str, Vec<&Declaration>> = BTreeMap::new();
        for &d in sorted.iter().filter(|d| d.applies_to.iter().any(|r| r.platform == platform)) {
            match d.origin.as_ref().map(|o| o.groups.as_slice()) {
                Some(groups) if !groups.iter().any(|g| g == GROUP_ALL) => {
                    groups.iter().for_each(|g| own_of.entry(g.as_str()).or_default().push(d));
                }
                _ => everyone.push(d),
            }
        }
        Candidates { everyone, own_of }
    }

    /// Those that may reach `group` (only its own with `own`), in Identifier order.
    fn of(&self, group: &str, own: bool) -> Vec<&'a Declaration> {
        let mine = self.own_of.get(group).map_or(&[][..], Vec::as_slice);
        if own {
            return mine.to_vec();
        }
        // Both lists are in Identifier order and share no declaration: merged in one pass.
        let everyone = &self.everyone;
        let mut list = Vec::with_capacity(mine.len() + everyone.len());
        let (mut i, mut j) = (0, 0);
        while let (Some(&x), Some(&y)) = (mine.get(i), everyone.get(j)) {
            if x.identifier <= y.identifier {
                list.push(x);
                i += 1;
            } else {
                list.push(y);
                j += 1;
            }
        }
        list.extend(mine.get(i..).unwrap_or_default());
        list.extend(everyone.get(j..).unwrap_or_default());
        list
    }
}

/// [`Findings`] of one band of `platform`.
fn in_band<'a>(candidates: &Candidates<'a>, platform: Platform, band: Band, cohorts: Vec<Cohort>) -> Findings<'a> {
    let Findings { mut found, mut contradicted } = Findings::default();
    let version = band.from;
    let of = |ty: DeclarationType, group: &str, own: bool| -> Vec<&Declaration> {
        candidates
            .of(group, own)
            .into_iter()
            .filter(|d| d.ty() == ty && reaches(d, group, platform, version))
            .filter(|d| !own || !reaches(d, GROUP_ALL, platform, version))
            .collect()
    };
    // Enforcement targets, with the BSI halves whose base version lies in this band.
    let targets_of = |group: &str, own: bool| -> Vec<Target<'_>> {
        candidates
            .of(group, own)
            .into_iter()
            .filter(|d| d.ty() == DeclarationType::SoftwareUpdateEnforcement)
            .filter(|d| {
                let groups = d.origin.as_ref().map(|o| o.groups.as_slice());
                let exact_in_band = d.applies_to.iter().any(|r| {
                    r.platform == platform
                        && r.exactly.is_some_and(|v| band.from <= v && band.below.is_none_or(|b| v < b))
                });
                in_group(groups, group)
                    && (reaches(d, group, platform, version) || exact_in_band)
                    && (!own || !in_group(groups, GROUP_ALL))
            })
            .filter_map(Target::read)
            .collect()
    };
    // What every device gets here, read once; each group adds only its own declarations.
    let base_settings = of(DeclarationType::SoftwareUpdateSettings, GROUP_ALL, false);
    let base_targets = targets_of(GROUP_ALL, false);
    let keys: Vec<(&'static str, Vec<Contribution<'_>>, u64, Vec<&Value>)> = FIELDS
        .iter()
        .map(|field| field.key)
        .map(|key| {
            let base = contributions(&base_settings, key);
            let fingerprint = fingerprint(&base, 0);
            let mut distinct: Vec<&Value> = Vec::new();
            for c in &base {
                if !distinct.contains(&c.value) {
                    distinct.push(c.value);
                }
            }
            (key, base, fingerprint, distinct)
        })
        .collect();
    for cohort in cohorts {
        let group = cohort.group.as_str();
        let (own_settings, own_targets) = if group == GROUP_ALL {
            (Vec::new(), Vec::new())
        } else {
            (of(DeclarationType::SoftwareUpdateSettings, group, true), targets_of(group, true))
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
        let enforced: Vec<Target<'_>> = base_targets.iter().chain(&own_targets).copied().collect();
        if enforced.len() > 1 {
            for c in contradictions(&enforced) {
                let kind = match c {
                    Contradiction::NeverApplies { .. } => 0,
                    Contradiction::Deadlines(_) => 1,
                    Contradiction::Builds(_) => 2,
                };
                let key = (kind, c.identifiers());
                contradicted.entry(key).or_insert_with(|| (c, Vec::new())).1.push(cohort.clone());
            }
        }
    }
    Findings { found, contradicted }
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

pub(super) fn where_(cohorts: &[Cohort]) -> String {
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
pub(super) const SHOWN: usize = 4;

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

/// `version by deadline (policy `p`)`.
fn describe(t: &Target<'_>) -> String {
    let build = t.build.map(|b| format!(" ({b})")).unwrap_or_default();
    format!("{}{build} by {} (policy `{}`)", t.version, t.deadline, t.policy())
}

/// The span of the enforce entry's field the target comes from.
fn entry_span<'d>(
    t: &Target<'_>,
    field: &str,
    docs: &BTreeMap<&str, &'d Document>,
) -> Option<(&'d Document, crate::source::Span)> {
    let doc = docs.get(t.policy())?;
    Some((doc, doc.span(&["enforce", &t.enforcement.entry.to_string(), field])))
}

fn contradiction(c: &Contradiction<'_>, cohorts: &[Cohort], docs: &BTreeMap<&str, &Document>) -> Diagnostic {
    let list = |ts: &[Target<'_>]| {
        let mut shown: Vec<String> = ts.iter().take(SHOWN).map(describe).collect();
        if ts.len() > SHOWN {
            shown.push(format!("and {} more", ts.len() - SHOWN));
        }
        shown.join(", ")
    };
    let (mut d, places, field): (Diagnostic, Vec<(&Target<'_>, String)>, &str) = match c {
        Contradiction::NeverApplies { stale, newer } => {
            let when = if newer.deadline == stale.deadline { "at the same time" } else { "earlier" };
            (
                Diagnostic::warning(
                    Code::Conflict,
                    format!(
                        "enforcement target {} by {} can never apply: {} is due {when}",
                        stale.version, stale.deadline, newer.version
                    ),
                )
                .note(format!(
                    "a device that installs {} by {} is already past {} at that target's deadline",
                    newer.version, newer.deadline, stale.version
                ))
                .help(format!(
                    "remove it, or give it a deadline before {} if it is a step towards {}",
                    newer.deadline, newer.version
                )),
                vec![
                    (stale, "never applies".to_string()),
                    (newer, format!("{} is due by {}", newer.version, newer.deadline)),
                ],
                "os_version",
            )
        }
        Contradiction::Deadlines(all) => {
            let version = all.first().map(|t| t.version.to_string()).unwrap_or_default();
            let first = all.first().map(|t| t.deadline.to_string()).unwrap_or_default();
            (
                Diagnostic::warning(
                    Code::Conflict,
                    format!("{version} is enforced with {} different deadlines: {}", all.len(), list(all)),
                )
                .note(format!("the device is at {version} by the earliest, {first}: the later deadlines never apply"))
                .help(format!("give every {version} target the same deadline, or keep one")),
                all.iter().map(|t| (t, format!("deadline {}", t.deadline))).collect(),
                "deadline",
            )
        }
        Contradiction::Builds(all) => {
            let version = all.first().map(|t| t.version.to_string()).unwrap_or_default();
            (
                Diagnostic::warning(
                    Code::Conflict,
                    format!("{version} is enforced with {} different builds: {}", all.len(), list(all)),
                )
                .note(format!("a device runs one build of {version}: at most one of these targets can ever be met"))
                .help("enforce one build, or leave `build_version` out"),
                all.iter()
                    .map(|t| (t, format!("build {}", t.build.map(ToString::to_string).unwrap_or_default())))
                    .collect(),
                "build_version",
            )
        }
    };
    d = d.note(format!("devices: {}", where_(cohorts)));
    let mut placed = false;
    for (t, label) in places.into_iter().take(SHOWN) {
        let Some((doc, span)) = entry_span(t, field, docs) else { continue };
        d = if placed {
            d.related(&doc.file, span, label)
        } else {
            placed = true;
            d.at(&doc.file, span).label(label)
        };
    }
    d
}
