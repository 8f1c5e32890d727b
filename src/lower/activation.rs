//! `com.apple.activation.simple`: configurations that need the same predicate share one
//! activation. Every configuration is referenced by exactly one activation, so no device
//! reports `Info.NotReferencedByActivation`.

use super::identifier::Identifiers;
use super::{Activation, Content, Declaration, Origin, OsRange, Supervision};
use std::cell::RefCell;
use std::sync::Arc;

/// `configurations` are each limited to where they apply (`applies_to`).
pub(super) fn lower(configurations: &[Declaration], ids: &Identifiers<'_>, origin: &Arc<Origin>) -> Vec<Declaration> {
    // Grouped by rendered predicate, in the order of first use.
    let mut groups: Vec<(Arc<str>, Vec<&Declaration>)> = Vec::new();
    for configuration in configurations {
        let rendered = rendered(&configuration.applies_to);
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
            activation(identifier, Some(predicate), &members, Some(origin.clone()))
        })
        .collect()
}

/// How many distinct predicates each thread keeps to share.
const SHARED_PREDICATES: usize = 1024;

/// The predicate of `ranges` ([`OsRange::any`]) as text, shared with the activations of the
/// same ranges before: thousands of policies target the same platforms and versions, and
/// each activation would build and render its predicate (a twentieth of `check`'s work at
/// 10,000 policies) and hold its own copy. Looked up by the ranges, a few numbers each.
fn rendered(ranges: &[OsRange]) -> Arc<str> {
    thread_local! {
        static SEEN: RefCell<foldhash::HashMap<Vec<OsRange>, Arc<str>>> = RefCell::default();
    }
    SEEN.with_borrow_mut(|seen| {
        if let Some(found) = seen.get(ranges) {
            return found.clone();
        }
        let new: Arc<str> = Arc::from(OsRange::any(ranges).to_string());
        if seen.len() < SHARED_PREDICATES {
            seen.insert(ranges.to_vec(), new.clone());
        }
        new
    })
}

/// An activation of `members`, limited by `predicate`.
pub(super) fn activation(
    identifier: String,
    predicate: Option<Arc<str>>,
    members: &[&Declaration],
    origin: Option<Arc<Origin>>,
) -> Declaration {
    let configurations = members.iter().map(|d| d.identifier.clone()).collect();
    let mut applies_to: Vec<_> = members.iter().flat_map(|d| d.applies_to.iter().cloned()).collect();
    applies_to.sort();
    applies_to.dedup();
    // Held to the end, tens of thousands of them: no room to spare.
    applies_to.shrink_to_fit();
    Declaration {
        identifier,
        content: Content::Activation(Activation { predicate, configurations }),
        origin,
        applies_to,
        supervision: Supervision::new(),
        secrets: Vec::new(),
    }
}
