//! The typed policy model: what a policy means, independent of YAML or JSON.

pub mod datetime;
pub mod platform;
pub mod policy;
pub mod project;
pub mod schema;
pub mod secret;
pub mod supplemental;
pub mod target;
pub mod version;

pub use datetime::LocalDateTime;
pub use platform::Platform;
pub use policy::*;
pub use project::Project;
pub use secret::Secret;
pub use supplemental::{DeviceVersion, Extra};
pub use target::{AfterRelease, Deadline, OsTarget, Target, TimeOfDay};
pub use version::{BuildVersion, OsVersion};
