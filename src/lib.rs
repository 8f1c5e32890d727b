//! ddmc compiles software-update policy files into Apple declarative device management
//! declarations. The modules are layers, each using only those below it (a test,
//! `tests/it/layers.rs`, fails on a cycle):
//!
//! - foundations: `source` (files and positions), `limits`, `canonical` (canonical JSON and
//!   tokens), `diagnostics` (problems as data), `model` (the typed policy), `parse`;
//! - inputs: `repo` (a policy repository's files), `device_file` (files from devices and
//!   other tools), `catalog` (Apple's version catalog), `apple` (Apple's schema facts),
//!   `document` (a parsed file beside its model);
//! - the stages, in order: `template` -> `validate` -> `resolve` -> `lower` -> `analysis` -> `emit`, run by
//!   `pipeline`, which a build's `policy_cache` spares reading files that did not change;
//! - commands built on them: `explain`, `status`, `lint`, `schedule`, `diff`, `report`,
//!   `init`, `generate` (Apple's schemas into `schemas/apple`); `cli` is the edge.

pub mod analysis;
pub mod apple;
pub mod canonical;
pub mod catalog;
pub mod cli;
pub mod device_file;
pub mod diagnostics;
pub mod diff;
pub mod document;
pub mod emit;
pub mod explain;
pub mod generate;
pub mod init;
pub mod limits;
pub mod lint;
pub mod lower;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod policy_cache;
pub mod repo;
pub mod report;
pub mod resolve;
pub mod schedule;
pub mod source;
pub mod stamp;
pub mod status;
pub mod template;
pub mod validate;
