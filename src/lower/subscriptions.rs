//! The repository's one `management.status-subscriptions` declaration, and the activation
//! that makes every device apply it: the status items that show where devices stand.

use super::activation::activation;
use super::{Content, Declaration, OsRange, StatusSubscriptions, Supervision};
use crate::apple::{DeclarationType, support};
use crate::model::Platform;
use std::collections::BTreeSet;

/// Always subscribed: the OS and its supplemental (BSI) version.
const OS_ITEMS: &[&str] = &[
    "device.operating-system.build-version",
    "device.operating-system.supplemental.build-version",
    "device.operating-system.supplemental.extra-version",
    "device.operating-system.version",
];

/// Apple's `related-status-items` of `softwareupdate.settings`.
const SETTINGS_ITEMS: &[&str] = &["softwareupdate.beta-enrollment", "softwareupdate.pending-version"];

/// Apple's `related-status-items` of `softwareupdate.enforcement.specific`.
const ENFORCEMENT_ITEMS: &[&str] = &[
    "softwareupdate.failure-reason",
    "softwareupdate.install-reason",
    "softwareupdate.install-state",
    "softwareupdate.pending-version",
];

/// How many declarations [`lower_repository`] makes.
pub const REPOSITORY_DECLARATIONS: usize = 2;

/// The subscription and its activation, for the declarations of every policy.
pub fn lower_repository(prefix: &str, policies: &[Declaration]) -> [Declaration; REPOSITORY_DECLARATIONS] {
    let mut items: BTreeSet<&str> = OS_ITEMS.iter().copied().collect();
    let (mut settings, mut beta, mut enforcement) = (false, false, false);
    let mut platforms = BTreeSet::new();
    for declaration in policies {
        match &declaration.content {
            Content::Settings(s) => {
                settings = true;
                beta = beta || s.sets_beta();
            }
            Content::Enforcement(_) => enforcement = true,
            Content::Activation(_) | Content::StatusSubscriptions(_) => {}
        }
        for range in &declaration.applies_to {
            platforms.insert(range.platform);
        }
    }
    if settings {
        items.insert("softwareupdate.pending-version");
    }
    if beta {
        items.extend(SETTINGS_ITEMS);
    }
    if enforcement {
        items.extend(ENFORCEMENT_ITEMS);
    }
    let subscription = Declaration {
        identifier: format!("{prefix}.status-subscriptions"),
        content: Content::StatusSubscriptions(StatusSubscriptions { items }),
        origin: None,
        applies_to: ranges(&platforms),
        supervision: Supervision::new(),
        secrets: Vec::new(),
    };
    let activation = activation(format!("{prefix}.status-subscriptions.activation"), None, &[&subscription], None);
    [subscription, activation]
}

fn ranges(platforms: &BTreeSet<Platform>) -> Vec<OsRange> {
    platforms
        .iter()
        .filter_map(|&platform| {
            let available = support::declaration(DeclarationType::StatusSubscriptions, platform)?;
            Some(OsRange { platform, min: available.introduced, exactly: None, below: None })
        })
        .collect()
}
