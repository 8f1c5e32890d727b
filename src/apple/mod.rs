//! Facts from Apple's device-management schema (`apple/device-management`): declaration
//! types, and which key exists on which platform, from which OS version, and whether it
//! needs supervision.

pub mod declaration;
mod enrollment;
pub mod fields;
pub mod later;
pub mod published;
pub mod schemas;
pub mod support;
pub mod trains;

pub use declaration::DeclarationType;
pub use enrollment::Enrollment;
