//! The committed JSON Schemas are exactly what the model types generate (and what
//! `ddmc schema` prints). Regenerate with `UPDATE_SCHEMAS=1 cargo test --test it schemas::`.

use ddmc::model::schema::{policy_schema, project_schema};
use std::path::Path;

fn check(file: &str, schema: serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas").join(file);
    let expected = serde_json::to_string_pretty(&schema).expect("schema serialises") + "\n";
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &expected).expect("write schema");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "{} is stale: run `UPDATE_SCHEMAS=1 cargo test --test it schemas::` and commit it",
        path.display()
    );
}

#[test]
fn policy_schema_is_current() {
    check("policy.schema.json", policy_schema());
}

#[test]
fn project_schema_is_current() {
    check("ddmc.schema.json", project_schema());
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let output = assert_cmd::Command::cargo_bin("ddmc").expect("binary").arg("schema").output().expect("runs");
    assert!(output.status.success());
    let committed =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/policy.schema.json")).expect("read");
    assert_eq!(output.stdout, committed);
}
