//! `softwareupdate.enforcement.specific`: one per `enforce` entry; a supplemental (BSI)
//! build becomes two, because Apple installs a supplemental update only on a device already
//! at its base version: the base version first, then the BSI behind an activation that
//! requires exactly that base version.

use super::identifier::Identifiers;
use super::{Configuration, Declaration, Origin, OsRange, Supervised, Supervision};
use crate::apple::{DeclarationType, support};
use crate::model::LocalDateTime;
use crate::resolve::Resolved;
use serde_json::{Map, Value, json};

pub(super) fn lower(targets: &[Resolved], ids: &Identifiers<'_>, origin: &Origin) -> Vec<Configuration> {
    let mut out = Vec::new();
    for entry in targets {
        let platform = entry.platform;
        let Some(available) = support::declaration(DeclarationType::SoftwareUpdateEnforcement, platform) else {
            continue;
        };
        let n = (entry.index + 1).to_string();
        // Only devices below the target: Apple reports an error for an enforcement whose
        // target is the device's version or older.
        let range = OsRange { platform, min: available.introduced, exactly: None, below: Some(entry.os_version) };
        let supervision: Supervision =
            if available.supervised_only { [(platform, Supervised::Declaration)].into() } else { Supervision::new() };
        let base_payload = payload(entry, !entry.supplemental, entry.deadline);
        out.push(configuration(ids.make("enforcement", Some(&n)), base_payload, range, &supervision, origin));
        if entry.supplemental {
            let base = OsRange { platform, min: entry.os_version, exactly: Some(entry.os_version), below: None };
            let bsi_payload = payload(entry, true, entry.bsi_deadline);
            out.push(configuration(ids.make("bsi", Some(&n)), bsi_payload, base, &supervision, origin));
        }
    }
    out
}

/// Apple's keys in schema order; `with_build` is false for the base half of a BSI.
fn payload(entry: &Resolved, with_build: bool, deadline: LocalDateTime) -> Map<String, Value> {
    let mut payload = Map::new();
    payload.insert("TargetOSVersion".into(), json!(entry.os_version.to_string()));
    if let Some(build) = entry.build_version.as_ref().filter(|_| with_build) {
        payload.insert("TargetBuildVersion".into(), json!(build.to_string()));
    }
    payload.insert("TargetLocalDateTime".into(), json!(deadline.to_string()));
    if let Some(url) = &entry.details_url {
        payload.insert("DetailsURL".into(), json!(url));
    }
    payload
}

fn configuration(
    identifier: String,
    payload: Map<String, Value>,
    range: OsRange,
    supervision: &Supervision,
    origin: &Origin,
) -> Configuration {
    let predicate = range.predicate();
    Configuration {
        declaration: Declaration {
            ty: DeclarationType::SoftwareUpdateEnforcement,
            identifier,
            payload,
            origin: Some(origin.clone()),
            applies_to: vec![range],
            supervision: supervision.clone(),
            secrets: Vec::new(),
        },
        predicate,
    }
}
