//! `softwareupdate.enforcement.specific`: one per `enforce` entry; a supplemental (BSI)
//! build becomes two, because Apple installs a supplemental update only on a device already
//! at its base version: the base version first, then the BSI behind an activation that
//! requires exactly that base version.

use super::identifier::Identifiers;
use super::{Configuration, Declaration, Origin, OsRange, Supervised, Supervision};
use crate::apple::{DeclarationType, support};
use crate::model::{Enforce, Policy};
use serde_json::{Map, Value, json};

pub(super) fn lower(policy: &Policy, ids: &Identifiers<'_>, origin: &Origin) -> Vec<Configuration> {
    let mut out = Vec::new();
    for (index, entry) in policy.enforce.iter().enumerate() {
        // An entry without a platform only has one when the policy targets exactly one; the
        // validation rules report the others.
        let only = match policy.targets.platforms.as_slice() {
            [only] => Some(*only),
            _ => None,
        };
        let Some(platform) = entry.platform.or(only) else { continue };
        let Some(available) = support::declaration(DeclarationType::SoftwareUpdateEnforcement, platform) else {
            continue;
        };
        let n = (index + 1).to_string();
        let range = OsRange { platform, min: available.introduced, exactly: None, below: None };
        let supervision: Supervision =
            if available.supervised_only { [(platform, Supervised::Declaration)].into() } else { Supervision::new() };
        if entry.is_supplemental() {
            out.push(configuration(
                ids.make("enforcement", Some(&n)),
                payload(entry, false),
                range,
                &supervision,
                origin,
            ));
            let base = OsRange { platform, min: entry.os_version, exactly: Some(entry.os_version), below: None };
            out.push(configuration(ids.make("bsi", Some(&n)), payload(entry, true), base, &supervision, origin));
        } else {
            out.push(configuration(
                ids.make("enforcement", Some(&n)),
                payload(entry, true),
                range,
                &supervision,
                origin,
            ));
        }
    }
    out
}

/// Apple's keys in schema order; `with_build` is false for the base half of a BSI.
fn payload(entry: &Enforce, with_build: bool) -> Map<String, Value> {
    let mut payload = Map::new();
    payload.insert("TargetOSVersion".into(), json!(entry.os_version.to_string()));
    if let Some(build) = entry.build_version.as_ref().filter(|_| with_build) {
        payload.insert("TargetBuildVersion".into(), json!(build.to_string()));
    }
    payload.insert("TargetLocalDateTime".into(), json!(entry.deadline.to_string()));
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
