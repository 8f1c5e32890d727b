//! `softwareupdate.enforcement.specific`: one per `enforce` entry; a supplemental (BSI)
//! build becomes two, because Apple installs a supplemental update only on a device already
//! at its base version: the base version first, then the BSI behind an activation that
//! requires exactly that base version.

use super::identifier::Identifiers;
use super::{Content, Declaration, Enforcement, Half, Origin, OsRange, Supervised, Supervision};
use crate::apple::{DeclarationType, support};
use crate::resolve::Resolved;
use std::sync::Arc;

pub(super) fn lower(targets: &[Resolved], ids: &Identifiers<'_>, origin: &Arc<Origin>) -> Vec<Declaration> {
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
        let base_id = ids.make("enforcement", Some(&n));
        let target = Enforcement {
            entry: entry.index,
            version: entry.os_version,
            build: entry.build_version.clone(),
            deadline: entry.deadline,
            details_url: entry.details_url.clone(),
            half: None,
        };
        if !entry.supplemental {
            out.push(configuration(base_id, target, range, &supervision, origin));
            continue;
        }
        let bsi_id = ids.make("bsi", Some(&n));
        let base_half = Enforcement { build: None, half: Some(Half::Base { bsi: bsi_id.clone() }), ..target.clone() };
        let bsi_half =
            Enforcement { deadline: entry.bsi_deadline, half: Some(Half::Bsi { base: base_id.clone() }), ..target };
        out.push(configuration(base_id, base_half, range, &supervision, origin));
        let base = OsRange { platform, min: entry.os_version, exactly: Some(entry.os_version), below: None };
        out.push(configuration(bsi_id, bsi_half, base, &supervision, origin));
    }
    out
}

fn configuration(
    identifier: String,
    target: Enforcement,
    range: OsRange,
    supervision: &Supervision,
    origin: &Arc<Origin>,
) -> Declaration {
    Declaration {
        identifier,
        content: Content::Enforcement(Box::new(target)),
        origin: Some(origin.clone()),
        applies_to: vec![range],
        supervision: supervision.clone(),
        secrets: Vec::new(),
    }
}
