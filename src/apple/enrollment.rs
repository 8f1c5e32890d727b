//! How a device is enrolled, in Apple's words (`allowed-enrollments` in its schema): what a
//! declaration or key is allowed on depends on it. `explain --enrollment` and
//! `lint --enrollment` take it.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Enrollment {
    /// Supervised (Automated Device Enrollment, or Apple Configurator).
    Supervised,
    /// Device enrollment, not supervised.
    Device,
    /// User enrollment (a personal device).
    User,
}

impl Enrollment {
    pub fn as_str(self) -> &'static str {
        match self {
            Enrollment::Supervised => "supervised",
            Enrollment::Device => "device",
            Enrollment::User => "user",
        }
    }
}
