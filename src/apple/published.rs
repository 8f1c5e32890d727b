//! The declaration Types Apple publishes (`schemas/apple/declaration-types.json`, generated
//! by `ddmc apple-schemas` from the reference's `declaration-types.txt`): a Type outside this
//! list is one no device knows, where a Type in it that ddmc has no schema for is merely
//! not checked.

use std::sync::OnceLock;

const EMBEDDED: &str = include_str!("../../schemas/apple/declaration-types.json");

/// Every published declaration Type, sorted.
pub fn declaration_types() -> &'static [String] {
    static ALL: OnceLock<Vec<String>> = OnceLock::new();
    ALL.get_or_init(|| serde_json::from_str(EMBEDDED).unwrap_or_default())
}

/// Whether Apple publishes `ty` (exactly: Types are case-sensitive).
pub fn is_declaration_type(ty: &str) -> bool {
    declaration_types().binary_search_by(|t| t.as_str().cmp(ty)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_read() {
        assert!(declaration_types().len() > 50);
        assert!(is_declaration_type("com.apple.configuration.passcode.settings"));
        assert!(is_declaration_type("com.apple.configuration.softwareupdate.enforcement.specific"));
        assert!(!is_declaration_type("com.apple.configuration.softwareupdate.enforcement.latest"));
        assert!(!is_declaration_type("com.apple.configuration.Passcode.settings"));
    }
}
