//! `schemas/apple/` is exactly what `ddmc apple-schemas` generates from Apple's YAML in
//! `../shared/reference` (skipped, with a message, when that is absent).

use crate::common;
use ddmc::apple::generate::generate;
use std::path::Path;

#[test]
fn generated_apple_schemas_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(reference) = common::shared("apple-device-management") else { return };
    let files = generate(&reference).expect("Apple's YAML reads");
    let dir = root.join("schemas/apple");
    let committed: Vec<String> = std::fs::read_dir(&dir)
        .expect("schemas/apple")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(committed.len(), files.len(), "schemas/apple holds exactly the generated files: {committed:?}");
    for file in files {
        let on_disk = std::fs::read(dir.join(&file.path)).unwrap_or_default();
        assert!(
            on_disk == file.bytes,
            "schemas/apple/{} is stale: run `cargo run -- apple-schemas` and commit",
            file.path
        );
    }
}
