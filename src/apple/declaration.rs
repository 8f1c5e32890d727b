//! The declaration types ddmc emits.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum DeclarationType {
    #[serde(rename = "com.apple.configuration.softwareupdate.settings")]
    SoftwareUpdateSettings,
    #[serde(rename = "com.apple.configuration.softwareupdate.enforcement.specific")]
    SoftwareUpdateEnforcement,
    #[serde(rename = "com.apple.configuration.management.status-subscriptions")]
    StatusSubscriptions,
    #[serde(rename = "com.apple.activation.simple")]
    ActivationSimple,
}

impl DeclarationType {
    pub fn as_str(self) -> &'static str {
        match self {
            DeclarationType::SoftwareUpdateSettings => "com.apple.configuration.softwareupdate.settings",
            DeclarationType::SoftwareUpdateEnforcement => "com.apple.configuration.softwareupdate.enforcement.specific",
            DeclarationType::StatusSubscriptions => "com.apple.configuration.management.status-subscriptions",
            DeclarationType::ActivationSimple => "com.apple.activation.simple",
        }
    }

    /// Short name for messages (`softwareupdate.settings`).
    pub fn short(self) -> &'static str {
        let full = self.as_str();
        full.strip_prefix("com.apple.configuration.").or_else(|| full.strip_prefix("com.apple.")).unwrap_or(full)
    }

    pub fn is_activation(self) -> bool {
        self == DeclarationType::ActivationSimple
    }
}
