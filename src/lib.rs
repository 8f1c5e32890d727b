//! ddmc compiles software-update policy files into Apple declarative device management
//! declarations. The pipeline reads from the folder names:
//! `repo` -> `parse` -> `validate` -> `model` -> `resolve` -> `lower` -> `emit`, with `diagnostics`
//! flowing alongside; `pipeline` runs them in order and `cli` is the edge.

pub mod analysis;
pub mod apple;
pub mod catalog;
pub mod cli;
pub mod device_file;
pub mod diagnostics;
pub mod diff;
pub mod document;
pub mod emit;
pub mod explain;
pub mod init;
pub mod legacy;
pub mod limits;
pub mod lint;
pub mod lower;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod repo;
pub mod report;
pub mod resolve;
pub mod source;
pub mod status;
pub mod template;
pub mod validate;
