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

/// The input as it may be quoted in a one-line message: control characters escaped. Parsers
/// take it up front for their messages; a valid value has none, and is borrowed.
pub(crate) fn shown(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() { out.extend(c.escape_default()) } else { out.push(c) }
    }
    std::borrow::Cow::Owned(out)
}
