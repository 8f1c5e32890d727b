//! `ddmc report`: one self-contained HTML page an admin reads before merging: who gets which
//! update by when (a timeline), what each cohort ends with (a matrix), the legacy era, the
//! diagnostics, every artifact, and what changed since a revision.
//!
//! The data model is built here from a [`Compilation`] (reusing `explain` for what one
//! cohort gets), then rendered by [`html`]; nothing here reads the clock or the disk.

mod html;
mod timeline;

pub use timeline::{Lane, Mark};

use crate::analysis;
use crate::diagnostics::{Diagnostic, Severity};
use crate::diff::Diff;
use crate::emit::{declaration, profile};
use crate::explain::{self, Device, Enrollment, Setting};
use crate::model::{DeviceVersion, LocalDateTime, OsVersion, Platform};
use crate::pipeline::Compilation;
use jiff::civil::Date;

/// What the report needs from outside the compilation.
pub struct Inputs {
    /// The repository as shown in the header (its folder name: no machine paths).
    pub repository: String,
    /// The clock: deadlines before it are past.
    pub now: LocalDateTime,
    pub catalog: CatalogState,
    /// With `--since REV`: the revision and what changed since.
    pub since: Option<(String, Diff)>,
}

/// The repository's catalog, as the header tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CatalogState {
    Absent { file: String },
    Present { file: String, as_of: Date, max_age_days: u16 },
}

impl CatalogState {
    /// Older than `catalog_max_age_days` at `now`.
    pub fn is_stale(&self, now: LocalDateTime) -> bool {
        match self {
            CatalogState::Absent { .. } => false,
            CatalogState::Present { as_of, max_age_days, .. } => {
                now.civil().date().since(*as_of).map(|s| s.get_days()).unwrap_or(0) > i32::from(*max_age_days)
            }
        }
    }
}

/// The whole page's data.
pub struct Report {
    pub repository: String,
    pub now: LocalDateTime,
    pub catalog: CatalogState,
    pub counts: Counts,
    pub lanes: Vec<Lane>,
    pub matrices: Vec<Matrix>,
    pub legacy: Vec<LegacyCohort>,
    pub diagnostics: Vec<Diagnostic>,
    pub declarations: Vec<Artifact>,
    pub profiles: Vec<Artifact>,
    pub since: Option<(String, Diff)>,
}

pub struct Counts {
    pub policies: usize,
    pub declarations: usize,
    pub profiles: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

/// The effective settings of one platform: a row per policy field, a column per cohort;
/// cohorts of one OS band that end with exactly the same settings share a column.
pub struct Matrix {
    pub platform: Platform,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

/// Groups whose devices in one OS band end with the same settings.
pub struct Column {
    pub groups: Vec<String>,
    pub band: analysis::Band,
}

pub struct Row {
    pub field: String,
    pub key: &'static str,
    /// One per column: `None` where the cohort does not get the key.
    pub cells: Vec<Option<Setting>>,
}

/// What one group's devices of the legacy era on one platform receive.
pub struct LegacyCohort {
    pub group: String,
    pub platform: Platform,
    pub from: OsVersion,
    pub below: Option<OsVersion>,
    /// Identifiers of the profiles received.
    pub profiles: Vec<String>,
    pub settings: Vec<Setting>,
}

/// A declaration or profile as served: Identifier, Type, ServerToken (a profile's content
/// token) and its payload as text (secrets as their `$VAR` placeholders).
pub struct Artifact {
    pub identifier: String,
    pub ty: String,
    pub token: String,
    pub payload: String,
}

/// The report's data for `compiled`.
pub fn build(compiled: &Compilation, inputs: Inputs) -> Report {
    let count = |s| compiled.diagnostics.count(s);
    Report {
        counts: Counts {
            policies: compiled.policies.len(),
            declarations: compiled.declarations.len(),
            profiles: compiled.profiles.len(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            notes: count(Severity::Note),
        },
        lanes: timeline::lanes(compiled, inputs.now),
        matrices: matrices(compiled, inputs.now),
        legacy: legacy(compiled, inputs.now),
        diagnostics: compiled.diagnostics.iter_sorted().into_iter().cloned().collect(),
        declarations: declarations(compiled),
        profiles: profiles(compiled),
        repository: inputs.repository,
        now: inputs.now,
        catalog: inputs.catalog,
        since: inputs.since,
    }
}

/// The page: one HTML document, byte-identical for the same report.
pub fn render(report: &Report) -> String {
    html::page(report)
}

/// What `explain` says a supervised device of this cohort gets.
fn explain_at(
    compiled: &Compilation,
    group: &str,
    platform: Platform,
    os: OsVersion,
    now: LocalDateTime,
) -> explain::Explanation {
    let device = Device {
        platform,
        version: DeviceVersion { os, extra: None },
        group: group.to_string(),
        enrollment: Enrollment::Supervised,
    };
    explain::explain(compiled, &device, Some(now))
}

fn matrices(compiled: &Compilation, now: LocalDateTime) -> Vec<Matrix> {
    let cohorts = analysis::cohorts(&compiled.declarations);
    Platform::ALL
        .into_iter()
        .filter_map(|platform| {
            let mut columns: Vec<Column> = Vec::new();
            let mut per_column: Vec<Vec<Setting>> = Vec::new();
            for cohort in cohorts.iter().filter(|c| c.platform == platform) {
                // `explain` already shows literal seeding tokens as `(secret)`.
                let settings = explain_at(compiled, &cohort.group, platform, cohort.band.from, now).settings;
                if settings.is_empty() {
                    continue;
                }
                let same = |(column, other): (&Column, &Vec<Setting>)| {
                    column.band == cohort.band
                        && serde_json::to_value(other).ok() == serde_json::to_value(&settings).ok()
                };
                match columns.iter().zip(&per_column).position(same) {
                    Some(at) => columns[at].groups.push(cohort.group.clone()),
                    None => {
                        columns.push(Column { groups: vec![cohort.group.clone()], band: cohort.band });
                        per_column.push(settings);
                    }
                }
            }
            if columns.is_empty() {
                return None;
            }
            // Rows in Apple's key order, as `explain` gives them, first seen first.
            let mut keys: Vec<(&'static str, String)> = Vec::new();
            for s in per_column.iter().flatten() {
                if !keys.iter().any(|(k, _)| *k == s.key) {
                    keys.push((s.key, s.field.clone()));
                }
            }
            let rows = keys
                .into_iter()
                .map(|(key, field)| Row {
                    field,
                    key,
                    cells: per_column
                        .iter_mut()
                        .map(|settings| {
                            let at = settings.iter().position(|s| s.key == key)?;
                            Some(settings.remove(at))
                        })
                        .collect(),
                })
                .collect();
            Some(Matrix { platform, columns, rows })
        })
        .collect()
}

/// Per platform with legacy profiles, what each group's devices of that era receive.
fn legacy(compiled: &Compilation, now: LocalDateTime) -> Vec<LegacyCohort> {
    let mut out = Vec::new();
    for platform in Platform::ALL {
        let ranges: Vec<&crate::lower::OsRange> =
            compiled.profiles.iter().flat_map(|p| &p.applies_to).filter(|r| r.platform == platform).collect();
        let Some(range) = ranges.iter().min() else { continue };
        for group in compiled.groups() {
            let explanation = explain_at(compiled, group, platform, range.min, now);
            out.push(LegacyCohort {
                group: group.to_string(),
                platform,
                from: range.min,
                below: range.below,
                profiles: explanation.profiles.into_iter().map(|p| p.identifier).collect(),
                settings: explanation.legacy_settings,
            });
        }
    }
    out
}

fn declarations(compiled: &Compilation) -> Vec<Artifact> {
    let mut out: Vec<Artifact> = compiled
        .declarations
        .iter()
        .map(|d| {
            let token = declaration::server_token(d);
            // The envelope keeps secrets as placeholders: only served bytes carry them.
            let mut envelope = declaration::envelope(d, &token);
            let payload = envelope
                .get_mut("Payload")
                .map(|p| {
                    crate::diagnostics::redact(p);
                    declaration::pretty(p)
                })
                .unwrap_or_default();
            Artifact { identifier: d.identifier.clone(), ty: d.ty().as_str().to_string(), token, payload }
        })
        .collect();
    out.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    out
}

fn profiles(compiled: &Compilation) -> Vec<Artifact> {
    let mut out: Vec<Artifact> = compiled
        .profiles
        .iter()
        .map(|p| {
            let top = profile::top_level(p);
            let types: Vec<&str> = p.payloads.iter().map(|pl| pl.payload_type).collect();
            Artifact {
                identifier: p.identifier.clone(),
                ty: types.join(", "),
                token: profile::content_token(&top),
                payload: String::from_utf8_lossy(&profile::to_xml(&top)).into_owned(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    out
}

/// The header's catalog line: whether `catalog:` (default `apple-catalog.json`) exists, and
/// its as-of date. An unreadable catalog is an error, as in `ddmc catalog show`.
pub fn catalog_state(repo: &std::path::Path, project: &crate::model::Project) -> Result<CatalogState, String> {
    let file = project.catalog().to_string();
    let path = crate::catalog::path_in(repo, &file)?;
    match crate::catalog::load(&path) {
        Ok(None) => Ok(CatalogState::Absent { file }),
        Ok(Some((_, catalog))) => {
            Ok(CatalogState::Present { file, as_of: catalog.as_of, max_age_days: project.catalog_max_age_days() })
        }
        Err(e) => Err(e.message),
    }
}

/// The repository's folder name: the page never shows where it sits on this machine.
pub fn name_of(repo: &std::path::Path) -> String {
    let full = std::fs::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf());
    full.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| full.display().to_string())
}

/// The local wall clock, for a report without `--now`.
pub fn clock() -> LocalDateTime {
    let now = jiff::Zoned::now();
    LocalDateTime::at(now.date(), now.time())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> LocalDateTime {
        s.parse().expect("date-time")
    }

    /// Stale means older than the allowed age, not as old.
    #[test]
    fn catalog_is_stale_after_max_age_days() {
        let as_of = Date::constant(2026, 11, 1);
        let catalog = CatalogState::Present { file: "apple-catalog.json".into(), as_of, max_age_days: 30 };
        assert!(!catalog.is_stale(at("2026-12-01T23:59:59")));
        assert!(catalog.is_stale(at("2026-12-02T00:00:00")));
        assert!(!CatalogState::Absent { file: "apple-catalog.json".into() }.is_stale(at("2030-01-01T00:00:00")));
    }
}
