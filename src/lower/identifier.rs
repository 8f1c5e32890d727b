//! Identifiers: `<identifier_prefix>.<policy id>.<kind>[.<n>]`, at most 64 octets.

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::document::Document;

/// Apple: "The size of this string should not exceed 64 octets."
pub const MAX_OCTETS: usize = 64;

pub struct Identifiers<'a> {
    prefix: &'a str,
    policy: &'a str,
    doc: &'a Document,
}

impl<'a> Identifiers<'a> {
    pub fn new(prefix: &'a str, policy: &'a str, doc: &'a Document) -> Self {
        Identifiers { prefix, policy, doc }
    }

    /// Joined in one allocation of the exact size, without the formatting machinery (several
    /// per policy).
    pub fn make(&self, kind: &str, n: Option<&str>) -> String {
        match n {
            Some(n) => [self.prefix, ".", self.policy, ".", kind, ".", n].concat(),
            None => [self.prefix, ".", self.policy, ".", kind].concat(),
        }
    }

    /// An error, at the policy id, for an Identifier past Apple's limit.
    pub fn check(&self, identifier: &str, out: &mut Diagnostics) {
        let len = identifier.len();
        if len <= MAX_OCTETS {
            return;
        }
        out.push(
            Diagnostic::error(
                Code::IdentifierTooLong,
                format!("Identifier `{identifier}` is {len} octets; Apple allows at most {MAX_OCTETS}"),
            )
            .at(&self.doc.file, self.doc.span(&["id"]))
            .label(format!("policy id `{}` is {} octets", self.policy, self.policy.len()))
            .note(format!(
                "Identifiers are `<identifier_prefix>.<policy id>.<kind>`; the prefix `{}` is {} octets",
                self.prefix,
                self.prefix.len()
            ))
            .help(format!("shorten the policy id (or the prefix) by {} octets", len - MAX_OCTETS)),
        );
    }
}
