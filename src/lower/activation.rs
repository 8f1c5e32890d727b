//! `com.apple.activation.simple`: configurations that need the same predicate share one
//! activation. Every configuration is referenced by exactly one activation, so no device
//! reports `Info.NotReferencedByActivation`.

use super::identifier::Identifiers;
use super::{Activation, Configuration, Content, Declaration, Origin, Supervision};
use std::sync::Arc;

pub(super) fn lower(configurations: &[Configuration], ids: &Identifiers<'_>, origin: &Arc<Origin>) -> Vec<Declaration> {
    // Grouped by rendered predicate, in the order of first use.
    let mut groups: Vec<(String, Vec<&Configuration>)> = Vec::new();
    for configuration in configurations {
        let rendered = configuration.predicate.to_string();
        match groups.iter_mut().find(|(p, _)| *p == rendered) {
            Some((_, members)) => members.push(configuration),
            None => groups.push((rendered, vec![configuration])),
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
    origin: Option<Arc<Origin>>,
) -> Declaration {
    let configurations = members.iter().map(|d| d.identifier.clone()).collect();
    let mut applies_to: Vec<_> = members.iter().flat_map(|d| d.applies_to.iter().cloned()).collect();
    applies_to.sort();
    applies_to.dedup();
    Declaration {
        identifier,
        content: Content::Activation(Activation { predicate, configurations }),
        origin,
        applies_to,
        supervision: Supervision::new(),
        secrets: Vec::new(),
    }
}
