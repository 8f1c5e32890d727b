//! Lowering: typed policies become Apple declarations. Each declaration knows where it
//! applies (platforms and OS range), which activation predicate that needs, and which of
//! its keys need a supervised device.

mod activation;
pub mod content;
mod enforcement;
pub mod identifier;
pub mod legacy;
pub mod predicate;
pub mod settings;
mod subscriptions;

use crate::apple::DeclarationType;
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::document::Document;
use crate::model::{GROUP_ALL, OsVersion, Platform, Policy, Secret};
use predicate::Predicate;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub use content::{Activation, Content, Enforcement, Half, Settings, StatusSubscriptions};
pub use subscriptions::{REPOSITORY_DECLARATIONS, lower_repository};

/// What the lowering needs from outside the policy.
pub struct Context<'a> {
    pub identifier_prefix: &'a str,
    /// Reads a secret (`token_env`) from the environment.
    pub secret: &'a (dyn Fn(&str) -> Option<String> + Sync),
    /// An unset `token_env` is an error when building, a warning when only checking.
    pub missing_secret_is_error: bool,
    /// `PayloadOrganization` of legacy profiles.
    pub organization: Option<&'a str>,
}

/// Where a declaration applies on one platform.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OsRange {
    pub platform: Platform,
    pub min: OsVersion,
    /// Only this version (a BSI needs its base version exactly).
    pub exactly: Option<OsVersion>,
    /// Up to, not including, this version (legacy profiles stop where declarations start).
    pub below: Option<OsVersion>,
}

impl OsRange {
    /// The activation predicate for this range.
    pub fn predicate(&self) -> Predicate {
        let family = Predicate::family_in(self.platform.families());
        let version = match &self.exactly {
            Some(v) => Predicate::os_equals(&device_version(v)),
            None => Predicate::os_at_least(self.min.major(), self.min.minor(), self.min.patch().unwrap_or(0)),
        };
        let below = self.below.map(|b| Predicate::os_below(b.major(), b.minor(), b.patch().unwrap_or(0)));
        Predicate::All([family, version].into_iter().chain(below).collect())
    }

    /// The activation predicate of a configuration that applies to `ranges`: any of them.
    /// (Equal ranges give equal predicates: `26.4` and `26.4.0` are one version to a device.)
    pub fn any(ranges: &[OsRange]) -> Predicate {
        Predicate::Any(ranges.iter().map(OsRange::predicate).collect())
    }
}

/// How a device reports its version in `device.operating-system.version`: no `.0` patch.
pub fn device_version(v: &OsVersion) -> String {
    match v.patch() {
        Some(patch) if patch != 0 => format!("{}.{}.{patch}", v.major(), v.minor()),
        _ => format!("{}.{}", v.major(), v.minor()),
    }
}

/// Who a declaration comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub policy: String,
    pub source: String,
    pub groups: Vec<String>,
}

/// `all` and every group named by the policies the declarations come from. A policy's
/// declarations share one origin and come one after the other (as lowered, and in
/// Identifier order), so each policy's groups are read once, not once per declaration.
pub fn group_names<'a>(declarations: impl IntoIterator<Item = &'a Declaration>) -> BTreeSet<&'a str> {
    let mut names = BTreeSet::from([GROUP_ALL]);
    let mut last: Option<&Arc<Origin>> = None;
    for origin in declarations.into_iter().filter_map(|d| d.origin.as_ref()) {
        if !last.is_some_and(|last| Arc::ptr_eq(last, origin)) {
            names.extend(origin.groups.iter().map(String::as_str));
            last = Some(origin);
        }
    }
    names
}

/// A declaration before it gets its ServerToken; `emit` writes its content as the payload.
#[derive(Clone, Debug)]
pub struct Declaration {
    pub identifier: String,
    pub content: Content,
    /// `None` for the repository's own declarations, which reach every device. Shared by
    /// the policy's declarations (thousands of policies make tens of thousands).
    pub origin: Option<Arc<Origin>>,
    pub applies_to: Vec<OsRange>,
    /// What Apple allows only on supervised devices, per platform.
    pub supervision: Supervision,
    /// Values from the environment, by JSON pointer into the emitted payload, where the
    /// content holds only their placeholders (`$BETA_TOKEN`): every analysis and message sees
    /// the placeholder, and only the served bytes see the value (`emit::declaration::served`).
    pub secrets: Vec<(String, Secret)>,
}

impl Declaration {
    pub fn ty(&self) -> DeclarationType {
        self.content.ty()
    }

    pub fn settings(&self) -> Option<&Settings> {
        match &self.content {
            Content::Settings(settings) => Some(settings),
            _ => None,
        }
    }

    pub fn enforcement(&self) -> Option<&Enforcement> {
        match &self.content {
            Content::Enforcement(enforcement) => Some(enforcement),
            _ => None,
        }
    }
}

/// Per platform, what needs a supervised device: the whole declaration (Apple allows it
/// only with the `supervised` enrollment there), or some of its keys.
pub type Supervision = BTreeMap<Platform, Supervised>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Supervised {
    /// Written as the word `declaration` in the manifest.
    Declaration,
    Keys(Vec<String>),
}

/// All declarations of one policy: its configurations, then their activations.
/// A policy with settings that lowered to no declaration and no profile (an iOS policy whose
/// only setting is macOS's `major_days`) would build nothing and look fine: an error, naming
/// what was dropped (the lowering's `unsupported` warnings for this file). A policy that sets
/// nothing at all already has its own warning.
pub fn produces_nothing(policy: &Policy, doc: &Document, lowering: &Diagnostics, out: &mut Diagnostics) {
    let sets_something = policy.background_security_improvements.is_some()
        || policy.software_updates.is_some()
        || !policy.enforce.is_empty();
    if !sets_something || lowering.has_errors() {
        return;
    }
    let dropped: Vec<String> = lowering
        .iter()
        .filter(|d| d.severity == Severity::Warning && d.code == Code::Unsupported)
        .filter(|d| d.location.as_ref().is_some_and(|l| l.file == doc.file))
        .map(|d| d.message.clone())
        .collect();
    let platforms: Vec<&str> = policy.targets.platforms.iter().map(|p| p.as_str()).collect();
    let mut d = Diagnostic::error(
        Code::Unsupported,
        format!("policy `{}` produces nothing for {}", policy.id, platforms.join(" and ")),
    )
    .at(&doc.file, doc.span(&["id"]))
    .label("no declaration and no profile come from this policy")
    .help("target the platforms its settings exist on, or set what these platforms support");
    for why in dropped {
        d = d.note(format!("dropped: {why}"));
    }
    out.push(d);
}

/// `targets` are the policy's `enforce` entries, resolved (`crate::resolve`).
pub fn lower_policy(
    policy: &Policy,
    doc: &Document,
    targets: &[crate::resolve::Resolved],
    cx: &Context<'_>,
    out: &mut Diagnostics,
) -> Vec<Declaration> {
    let origin =
        Arc::new(Origin { policy: policy.id.clone(), source: doc.file.clone(), groups: policy.targets.groups.clone() });
    let ids = identifier::Identifiers::new(cx.identifier_prefix, &policy.id, doc);
    let mut declarations = settings::lower(policy, doc, cx, &ids, &origin, out);
    declarations.extend(enforcement::lower(targets, &ids, &origin));
    let activations = activation::lower(&declarations, &ids, &origin);
    declarations.extend(activations);
    // One error per policy, for its longest Identifier, says by how much to shorten it.
    if let Some(longest) = declarations.iter().map(|d| d.identifier.as_str()).max_by_key(|i| i.len()) {
        ids.check(longest, out);
    }
    declarations
}
