//! Every integration test in one binary: the crate is linked once, not once per file.

mod apple_conformance;
mod apple_schemas;
mod build;
mod catalog;
mod catalog_policies;
mod cli;
mod common;
mod conflicts;
mod crash;
mod diff;
mod environments;
mod errors;
mod explain;
mod file_system;
mod init;
mod layers;
mod legacy_profiles;
mod legacy_schedule;
mod lint;
mod message_formats;
mod properties;
mod report;
mod samples;
mod schemas;
mod secrets;
mod status;
