//! `com.apple.activation.simple`: configurations that need the same predicate share one
//! activation. Every configuration is referenced by exactly one activation, so no device
//! reports `Info.NotReferencedByActivation`.

use super::identifier::Identifiers;
use super::{Configuration, Declaration, Origin, Supervision};
use crate::apple::DeclarationType;
use serde_json::{Map, Value, json};

pub(super) fn lower(configurations: &[Configuration], ids: &Identifiers<'_>, origin: &Origin) -> Vec<Declaration> {
    // Grouped by rendered predicate, in the order of first use.
    let mut groups: Vec<(String, Vec<&Configuration>)> = Vec::new();
    for configuration in configurations {
        let predicate = configuration.predicate.to_string();
        match groups.iter_mut().find(|(p, _)| *p == predicate) {
            Some((_, members)) => members.push(configuration),
            None => groups.push((predicate, vec![configuration])),
        }
    }
    let numbered = groups.len() > 1;
    groups
        .into_iter()
        .enumerate()
        .map(|(index, (predicate, members))| {
            let n = (index + 1).to_string();
            let identifier = ids.make("activation", numbered.then_some(n.as_str()));
            let members: Vec<&Declaration> = members.iter().map(|c| &c.declaration).collect();
            activation(identifier, Some(predicate), &members, Some(origin.clone()))
        })
        .collect()
}

/// An activation of `members`, limited by `predicate`.
pub(super) fn activation(
    identifier: String,
    predicate: Option<String>,
    members: &[&Declaration],
    origin: Option<Origin>,
) -> Declaration {
    let mut payload = Map::new();
    if let Some(predicate) = predicate {
        payload.insert("Predicate".into(), Value::String(predicate));
    }
    let ids: Vec<&str> = members.iter().map(|d| d.identifier.as_str()).collect();
    payload.insert("StandardConfigurations".into(), json!(ids));
    let mut applies_to: Vec<_> = members.iter().flat_map(|d| d.applies_to.iter().cloned()).collect();
    applies_to.sort();
    applies_to.dedup();
    Declaration {
        ty: DeclarationType::ActivationSimple,
        identifier,
        payload,
        origin,
        applies_to,
        supervision: Supervision::new(),
        secrets: Vec::new(),
    }
}
