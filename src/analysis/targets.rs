//! Several enforcement targets for the same devices. Targets with increasing versions and
//! increasing deadlines are a plan (each applies at its own deadline); a target that can
//! never apply is a contradiction: an older version due no earlier than a newer one, one
//! version with several deadlines, or one version with several builds.

use crate::lower::{Declaration, Enforcement};
use crate::model::{BuildVersion, LocalDateTime, OsVersion};
use std::collections::BTreeMap;

/// One enforcement declaration, read.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    pub declaration: &'a Declaration,
    pub enforcement: &'a Enforcement,
    pub version: OsVersion,
    pub deadline: LocalDateTime,
    pub build: Option<&'a BuildVersion>,
    /// The BSI half of a supplemental entry (only devices at exactly its base version).
    pub supplemental: bool,
}

impl<'a> Target<'a> {
    /// `None` for anything but an enforcement declaration.
    pub fn read(declaration: &'a Declaration) -> Option<Target<'a>> {
        let enforcement = declaration.enforcement()?;
        Some(Target {
            declaration,
            enforcement,
            version: enforcement.version,
            deadline: enforcement.deadline,
            build: enforcement.build.as_ref(),
            supplemental: enforcement.is_bsi(),
        })
    }

    pub fn policy(&self) -> &'a str {
        self.declaration.origin.as_ref().map(|o| o.policy.as_str()).unwrap_or("?")
    }
}

/// Why targets reaching the same devices cannot all apply.
#[derive(Clone, Debug)]
pub enum Contradiction<'a> {
    /// `stale` can never apply: `newer` is a newer version due no later.
    NeverApplies { stale: Target<'a>, newer: Target<'a> },
    /// One version with different deadlines: after the earliest, the others are moot.
    Deadlines(Vec<Target<'a>>),
    /// One version with different builds: a device runs one build, so at most one is met.
    Builds(Vec<Target<'a>>),
}

impl<'a> Contradiction<'a> {
    /// The declarations involved, to report each contradiction once.
    pub fn identifiers(&self) -> Vec<&'a str> {
        let targets: Vec<&Target<'a>> = match self {
            Contradiction::NeverApplies { stale, newer } => vec![stale, newer],
            Contradiction::Deadlines(all) | Contradiction::Builds(all) => all.iter().collect(),
        };
        targets.iter().map(|t| t.declaration.identifier.as_str()).collect()
    }
}

/// The contradictions among targets that reach the same devices. Linear after sorting:
/// each target is compared with the newest-earliest target above it, not with every other.
pub fn contradictions<'a>(targets: &[Target<'a>]) -> Vec<Contradiction<'a>> {
    let mut out = Vec::new();
    let mut by_version: BTreeMap<OsVersion, Vec<Target<'a>>> = BTreeMap::new();
    for t in targets {
        by_version.entry(t.version).or_default().push(*t);
    }
    for same in by_version.values_mut() {
        same.sort_by(|a, b| (a.deadline, &a.declaration.identifier).cmp(&(b.deadline, &b.declaration.identifier)));
        // The BSI half repeats its base entry's version and deadline.
        let base: Vec<Target<'a>> = same.iter().copied().filter(|t| !t.supplemental).collect();
        if base.windows(2).any(|w| w[0].deadline != w[1].deadline) {
            out.push(Contradiction::Deadlines(distinct_by(&base, |t| t.deadline)));
        }
        // A BSI build sits on top of its base version's build: compare like with like.
        for supplemental in [false, true] {
            let built: Vec<Target<'a>> =
                same.iter().copied().filter(|t| t.build.is_some() && t.supplemental == supplemental).collect();
            let builds = distinct_by(&built, |t| t.build);
            if builds.len() > 1 {
                out.push(Contradiction::Builds(builds));
            }
        }
    }
    // From the newest version down, the earliest-due target of any newer version.
    let mut earliest_newer: Option<Target<'a>> = None;
    for same in by_version.values().rev() {
        let base: Vec<&Target<'a>> = same.iter().filter(|t| !t.supplemental).collect();
        if let Some(newer) = earliest_newer {
            for stale in &base {
                if newer.deadline <= stale.deadline {
                    out.push(Contradiction::NeverApplies { stale: **stale, newer });
                }
            }
        }
        if let Some(first) = base.first()
            && earliest_newer.is_none_or(|e| first.deadline < e.deadline)
        {
            earliest_newer = Some(**first);
        }
    }
    out
}

/// The first target of each distinct value of `key`, in order.
fn distinct_by<'a, K: PartialEq>(targets: &[Target<'a>], key: impl Fn(&Target<'a>) -> K) -> Vec<Target<'a>> {
    let mut seen: Vec<K> = Vec::new();
    let mut out = Vec::new();
    for t in targets {
        if !seen.contains(&key(t)) {
            seen.push(key(t));
            out.push(*t);
        }
    }
    out
}

/// Targets that form a plan, in deadline order: more than one, with strictly increasing
/// versions and deadlines and no contradiction.
pub fn plan<'a>(targets: &[Target<'a>]) -> Option<Vec<Target<'a>>> {
    let mut base: Vec<Target<'a>> = targets.iter().copied().filter(|t| !t.supplemental).collect();
    base.sort_by_key(|t| (t.deadline, t.version));
    base.dedup_by(|a, b| a.deadline == b.deadline && a.version == b.version);
    let increasing = base.windows(2).all(|w| w[0].deadline < w[1].deadline && w[0].version < w[1].version);
    (base.len() > 1 && increasing && contradictions(targets).is_empty()).then_some(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::{Content, Half, Origin, OsRange};
    use crate::model::Platform;

    fn declaration(id: &str, version: &str, deadline: &str, build: Option<&str>, exact: bool) -> Declaration {
        let v: OsVersion = version.parse().expect("version");
        let target = Enforcement {
            entry: 0,
            version: v,
            build: build.map(|b| b.parse().expect("build")),
            deadline: deadline.parse().expect("deadline"),
            details_url: None,
            half: exact.then(|| Half::Bsi { base: format!("{id}.base") }),
        };
        Declaration {
            identifier: id.into(),
            content: Content::Enforcement(Box::new(target)),
            origin: Some(std::sync::Arc::new(Origin {
                policy: id.into(),
                source: format!("{id}.yaml"),
                groups: vec!["all".into()],
            })),
            applies_to: vec![OsRange { platform: Platform::MacOS, min: v, exactly: exact.then_some(v), below: None }],
            supervision: Default::default(),
            secrets: Vec::new(),
        }
    }

    fn kinds(ds: &[Declaration]) -> Vec<String> {
        let targets: Vec<Target<'_>> = ds.iter().filter_map(Target::read).collect();
        contradictions(&targets)
            .iter()
            .map(|c| {
                let kind = match c {
                    Contradiction::NeverApplies { .. } => "never",
                    Contradiction::Deadlines(_) => "deadlines",
                    Contradiction::Builds(_) => "builds",
                };
                format!("{kind}: {}", c.identifiers().join(" "))
            })
            .collect()
    }

    #[test]
    fn increasing_versions_and_deadlines_are_a_plan() {
        let ds = [
            declaration("b", "26.4", "2026-12-15T20:00:00", None, false),
            declaration("a", "26.3.1", "2026-12-01T18:00:00", None, false),
            declaration("a-bsi", "26.3.1", "2026-12-01T18:00:00", Some("25D771280a"), true),
        ];
        assert!(kinds(&ds).is_empty(), "{:?}", kinds(&ds));
        let targets: Vec<Target<'_>> = ds.iter().filter_map(Target::read).collect();
        let plan = plan(&targets).expect("a plan");
        assert_eq!(plan.iter().map(|t| t.policy()).collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn an_older_version_due_later_never_applies() {
        let ds = [
            declaration("old", "15.7.3", "2027-01-05T07:00:00", None, false),
            declaration("new", "26.3.1", "2026-12-01T18:00:00", None, false),
        ];
        assert_eq!(kinds(&ds), ["never: old new"]);
        let same_time = [
            declaration("old", "26.3.1", "2026-12-01T18:00:00", None, false),
            declaration("new", "26.4", "2026-12-01T18:00:00", None, false),
        ];
        assert_eq!(kinds(&same_time), ["never: old new"]);
    }

    #[test]
    fn one_version_with_two_deadlines_or_two_builds_contradicts() {
        let deadlines = [
            declaration("a", "26.4", "2026-12-15T20:00:00", None, false),
            declaration("b", "26.4", "2026-12-20T20:00:00", None, false),
            declaration("c", "26.4", "2026-12-15T20:00:00", None, false),
        ];
        assert_eq!(kinds(&deadlines), ["deadlines: a b"]);
        let builds = [
            declaration("a", "26.3.1", "2026-12-01T18:00:00", Some("25D771280a"), true),
            declaration("b", "26.3.1", "2026-12-01T18:00:00", Some("25D771280b"), true),
        ];
        assert_eq!(kinds(&builds), ["builds: a b"]);
        let agree = [
            declaration("a", "26.4", "2026-12-15T20:00:00", Some("25E100"), false),
            declaration("b", "26.4", "2026-12-15T20:00:00", Some("25E100"), false),
        ];
        assert!(kinds(&agree).is_empty());
        let bsi_on_base = [
            declaration("base", "26.3.1", "2026-12-01T18:00:00", Some("25D125"), false),
            declaration("bsi", "26.3.1", "2026-12-01T18:00:00", Some("25D771280a"), true),
        ];
        assert!(kinds(&bsi_on_base).is_empty(), "a BSI build on top of a base build: {:?}", kinds(&bsi_on_base));
    }
}
