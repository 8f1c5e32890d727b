//! Resolution: between the model and the lowering, every `enforce` entry becomes a concrete
//! target. `latest`, `background_security_improvement: latest` and relative deadlines are
//! resolved against Apple's catalog, and explicit targets are checked against it (the
//! contract's "Apple's catalog"). `lower` never looks at the catalog: it gets [`Resolved`].

use crate::catalog::{self, Catalog, VersionCheck};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::document::Document;
use crate::model::{BuildVersion, Deadline, Enforce, LocalDateTime, OsVersion, Platform, Policy, Target};
use jiff::civil::Date;

/// A policy that parsed, validated and resolved, with its document for positions: what the
/// stages after resolution (lowering, analysis, explanations) read.
pub struct Loaded {
    pub doc: Document,
    pub policy: Policy,
    /// Its `enforce` entries resolved against Apple's catalog (those that could be).
    pub targets: Vec<Resolved>,
}

/// One `enforce` entry with everything decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The entry's index in `enforce` (from 0).
    pub index: usize,
    pub platform: Platform,
    pub os_version: OsVersion,
    pub build_version: Option<BuildVersion>,
    /// A supplemental (BSI) build: lowered as a base enforcement plus the BSI half.
    pub supplemental: bool,
    pub deadline: LocalDateTime,
    /// The BSI half's deadline: a relative deadline counts from the BSI's own release.
    pub bsi_deadline: LocalDateTime,
    pub details_url: Option<String>,
    /// What the catalog said of the version (`None` without a catalog). Boxed: thousands of
    /// entries are held until the end, most without a catalog.
    pub base: Option<Box<Provenance>>,
    /// What the catalog said of the BSI build (`None` without a catalog or a BSI).
    pub bsi: Option<Box<Provenance>>,
}

/// What was resolved and from what: the manifest's `resolved` record and `explain`'s lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    pub os_version: OsVersion,
    pub build_version: Option<BuildVersion>,
    pub release_date: Option<Date>,
    /// Which rule picked the target ("latest below 27 on 2026-03-20: 26.3.1, …").
    pub rule: String,
    pub catalog_as_of: Date,
    /// The deadline arithmetic of a relative deadline.
    pub arithmetic: Option<String>,
    /// The catalog chose the target (`latest`), rather than checking one written out.
    pub picked: bool,
}

impl Provenance {
    /// Whether the catalog decided anything the policy did not spell out: the target
    /// (`latest`) or the deadline (relative to the release).
    pub fn from_catalog(&self) -> bool {
        self.picked || self.arithmetic.is_some()
    }
}

/// The repository's catalog, with its file name for messages.
#[derive(Clone, Copy)]
pub struct Source<'a> {
    pub catalog: &'a Catalog,
    pub file: &'a str,
}

/// Resolves the entries of one policy. An entry that cannot be resolved gets an error and is
/// left out; entries without a platform are left to the validation rules.
pub fn resolve(policy: &Policy, doc: &Document, source: Option<Source<'_>>, out: &mut Diagnostics) -> Vec<Resolved> {
    let only = match policy.targets.platforms.as_slice() {
        [only] => Some(*only),
        _ => None,
    };
    let mut resolved: Vec<Resolved> = policy
        .enforce
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| {
            let platform = entry.platform.or(only)?;
            Entry { doc, index, entry, platform, source }.resolve(out)
        })
        .collect();
    // Held to the end, one list per policy: no room to spare.
    resolved.shrink_to_fit();
    resolved
}

struct Entry<'a> {
    doc: &'a Document,
    index: usize,
    entry: &'a Enforce,
    platform: Platform,
    source: Option<Source<'a>>,
}

impl Entry<'_> {
    fn at(&self, key: &str) -> crate::source::Span {
        let i = self.index.to_string();
        self.doc.span(&["enforce", &i, key])
    }

    fn field(&self, key: &str) -> String {
        format!("enforce[{}].{key}", self.index)
    }

    /// The error for a field that needs a catalog the repository does not have.
    fn needs_catalog(&self, key: &str, what: &str) -> Diagnostic {
        Diagnostic::error(Code::Catalog, format!("`{}`: {what} needs Apple's catalog", self.field(key)))
            .at(&self.doc.file, self.at(key))
            .label("resolved from Apple's catalog, which this repository does not have")
            .note("the catalog is a snapshot of Apple's software lookup service (GDMF) committed with the policies")
            .help(
                "run `ddmc catalog update` to write `apple-catalog.json` (or the `catalog:` file of ddmc.yaml) \
                 and commit it, or write an explicit value",
            )
    }

    fn resolve(&self, out: &mut Diagnostics) -> Option<Resolved> {
        let errors = out.count(crate::diagnostics::Severity::Error);
        let Some((os_version, base)) = self.version(out) else {
            // Say at once everything else that needs the catalog the repository lacks.
            if self.source.is_none() {
                if self.entry.latest_bsi {
                    out.push(self.needs_catalog("background_security_improvement", "`latest`"));
                }
                let _ = self.deadline(None, out);
            }
            return None;
        };
        let (build_version, supplemental, bsi) = self.build(os_version, out);
        let base_release = base.as_ref().and_then(|p| p.release_date);
        let bsi_release = bsi.as_ref().and_then(|p| p.release_date).or(base_release);
        let (deadline, arithmetic) = self.deadline(base_release, out)?;
        let (bsi_deadline, bsi_arithmetic) = match supplemental {
            true => self.deadline(bsi_release, &mut Diagnostics::default()).unwrap_or((deadline, arithmetic.clone())),
            false => (deadline, None),
        };
        if out.count(crate::diagnostics::Severity::Error) > errors {
            return None;
        }
        // A plain (not supplemental) build is the base declaration's own.
        let own_build = if supplemental { None } else { build_version.clone() };
        let base = base.map(|p| Box::new(Provenance { arithmetic, build_version: own_build, ..p }));
        Some(Resolved {
            index: self.index,
            platform: self.platform,
            os_version,
            build_version,
            supplemental,
            deadline,
            bsi_deadline,
            details_url: self.entry.details_url.clone(),
            base,
            bsi: bsi.map(|p| Box::new(Provenance { arithmetic: bsi_arithmetic, ..p })),
        })
    }

    /// The target version: `latest` resolved, or the explicit one checked.
    fn version(&self, out: &mut Diagnostics) -> Option<(OsVersion, Option<Provenance>)> {
        let platform = self.platform;
        match (self.entry.target, self.source) {
            (Target::Latest { .. }, None) => {
                out.push(self.needs_catalog("os_version", "`latest`"));
                None
            }
            (Target::Latest { major, below }, Some(source)) => match source.catalog.latest(platform, major, below) {
                Ok(latest) => Some((
                    latest.version,
                    Some(Provenance {
                        os_version: latest.version,
                        build_version: None,
                        release_date: Some(latest.release),
                        rule: latest.rule,
                        catalog_as_of: source.catalog.as_of,
                        arithmetic: None,
                        picked: true,
                    }),
                )),
                Err(message) => {
                    let key = if below.is_some() {
                        "below"
                    } else if major.is_some() {
                        "major"
                    } else {
                        "os_version"
                    };
                    out.push(
                        Diagnostic::error(Code::Catalog, message)
                            .at(&self.doc.file, self.at(key))
                            .label("nothing available in this range")
                            .note(format!("`{}` lists what Apple offers; `ddmc catalog show` prints it", source.file))
                            .help("widen `major` / `below`, or run `ddmc catalog update` for a newer snapshot"),
                    );
                    None
                }
            },
            (Target::Version(v), None) => Some((v, None)),
            (Target::Version(v), Some(source)) => {
                self.check_version(source, v, out)?;
                let release = source.catalog.versions(platform).into_iter().find(|x| x.version == v).map(|x| x.release);
                let rule = match release {
                    Some(day) => format!("as written: {v}, released {day}"),
                    None => format!("as written: {v}"),
                };
                Some((
                    v,
                    Some(Provenance {
                        os_version: v,
                        build_version: None,
                        release_date: release,
                        rule,
                        catalog_as_of: source.catalog.as_of,
                        arithmetic: None,
                        picked: false,
                    }),
                ))
            }
        }
    }

    /// The contract's checks on an explicit version; `None` when it is an error.
    fn check_version(&self, source: Source<'_>, v: OsVersion, out: &mut Diagnostics) -> Option<()> {
        let (platform, as_of) = (self.platform, source.catalog.as_of);
        match source.catalog.check_version(platform, v) {
            VersionCheck::Available => Some(()),
            VersionCheck::Superseded { by } => {
                out.push(
                    Diagnostic::info(Code::Catalog, format!("{platform} {v} is superseded by {by}"))
                        .at(&self.doc.file, self.at("os_version"))
                        .label(format!("Apple's catalog (as of {as_of}) also offers {by}"))
                        .help("enforce the newer version, or write `os_version: latest`"),
                );
                Some(())
            }
            VersionCheck::Expired { on } => {
                let when = on.map(|d| format!(" on {d}")).unwrap_or_default();
                out.push(
                    Diagnostic::error(Code::Catalog, format!("{platform} {v} has expired in Apple's catalog{when}"))
                        .at(&self.doc.file, self.at("os_version"))
                        .label(format!("no longer offered on {as_of}, the catalog's as-of date"))
                        .note("devices enforce a version only while Apple's lookup service offers it; Apple asks to remove such configurations")
                        .help("enforce a version Apple still offers (`os_version: latest`), or remove the entry"),
                );
                None
            }
            VersionCheck::NotOffered { nearest } => {
                let near: Vec<String> = nearest.iter().map(|n| format!("`{n}`")).collect();
                let help = match near.as_slice() {
                    [] => "write `os_version: latest`, or check the platform".to_owned(),
                    _ => {
                        format!("the nearest versions it offers are {}; or write `os_version: latest`", near.join(", "))
                    }
                };
                out.push(
                    Diagnostic::error(Code::Catalog, format!("Apple does not offer {platform} {v}"))
                        .at(&self.doc.file, self.at("os_version"))
                        .label(format!("not in `{}` (as of {as_of})", source.file))
                        .note("a version Apple does not offer is never installed: devices enforce nothing")
                        .help(help),
                );
                None
            }
        }
    }

    /// The build, whether the entry is supplemental, and what the catalog said of a BSI.
    fn build(&self, os_version: OsVersion, out: &mut Diagnostics) -> (Option<BuildVersion>, bool, Option<Provenance>) {
        let platform = self.platform;
        if self.entry.latest_bsi {
            let Some(source) = self.source else {
                out.push(self.needs_catalog("background_security_improvement", "`latest`"));
                return (None, false, None);
            };
            return match source.catalog.latest_security_improvement(platform, os_version) {
                Some(pick) => (
                    Some(pick.build.clone()),
                    true,
                    Some(Provenance {
                        os_version,
                        build_version: Some(pick.build),
                        release_date: Some(pick.release),
                        rule: pick.rule,
                        catalog_as_of: source.catalog.as_of,
                        arithmetic: None,
                        picked: true,
                    }),
                ),
                None => {
                    out.push(
                        Diagnostic::info(
                            Code::Catalog,
                            format!("no Background Security Improvement on {platform} {os_version} yet: only the version is enforced"),
                        )
                        .at(&self.doc.file, self.at("background_security_improvement"))
                        .label(format!("Apple's catalog (as of {}) has none", source.catalog.as_of)),
                    );
                    (None, false, None)
                }
            };
        }
        let build = self.entry.build_version.clone();
        let supplemental = self.entry.is_supplemental();
        let (Some(b), Some(source)) = (&build, self.source) else { return (build, supplemental, None) };
        if let Some(problem) = source.catalog.check_build(platform, os_version, b) {
            out.push(
                Diagnostic::error(Code::Catalog, problem)
                    .at(&self.doc.file, self.at("build_version"))
                    .label(format!("checked against `{}` (as of {})", source.file, source.catalog.as_of))
                    .related(&self.doc.file, self.at("os_version"), format!("the target is {platform} {os_version}"))
                    .help("use a build Apple lists for this version (`ddmc catalog show`), or remove `build_version`"),
            );
            return (build, supplemental, None);
        }
        let bsi = supplemental.then(|| {
            let posting =
                source.catalog.security_improvements(platform).filter(|e| &e.build == b).map(|e| e.posting).min();
            Provenance {
                os_version,
                build_version: Some(b.clone()),
                release_date: posting,
                rule: match posting {
                    Some(day) => format!("as written: {os_version} build {b}, released {day}"),
                    None => format!("as written: {os_version} build {b}"),
                },
                catalog_as_of: source.catalog.as_of,
                arithmetic: None,
                picked: false,
            }
        });
        (build, supplemental, bsi)
    }

    /// The deadline, and its arithmetic when it is relative to `release`.
    fn deadline(&self, release: Option<Date>, out: &mut Diagnostics) -> Option<(LocalDateTime, Option<String>)> {
        match self.entry.deadline {
            Deadline::At(at) => Some((at, None)),
            Deadline::AfterRelease(_) if self.source.is_none() => {
                out.push(self.needs_catalog("deadline", "a deadline relative to the release"));
                None
            }
            Deadline::AfterRelease(r) => {
                // No release date: the version had its own error already.
                let release = release?;
                let d = catalog::deadline(release, r.days_after_release, r.time.0, r.skip_weekends);
                Some((d.at, Some(d.arithmetic)))
            }
        }
    }
}
/// Deadlines at or before `now` (the machine's local clock, or `--now`): Apple installs such an
/// update at once on every device it reaches. Compared naively, wall clock to wall clock, as
/// each device reads its deadline in its own time zone. Only the diagnostic depends on the
/// clock, never the output.
pub fn check_deadlines(targets: &[Resolved], doc: &Document, now: LocalDateTime, out: &mut Diagnostics) {
    for entry in targets {
        let index = entry.index;
        if entry.deadline > now {
            continue;
        }
        let i = index.to_string();
        out.push(
            Diagnostic::warning(
                Code::PastDeadline,
                format!("the deadline of `enforce[{i}]`, {}, has passed", entry.deadline),
            )
            .at(&doc.file, doc.span(&["enforce", &i, "deadline"]))
            .label(format!("devices below {} install it at once", entry.os_version))
            .note(format!("now is {now} (this machine's local time; `--now` sets it)"))
            .note("Apple's schema, `TargetLocalDateTime`: \"If the user doesn't trigger the software update before this time, the device force installs it.\"")
            .help("set a future deadline, or remove the entry once the fleet is updated"),
        );
    }
}

#[cfg(test)]
mod tests;
