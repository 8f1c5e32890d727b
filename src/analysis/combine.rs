//! Apple's combine rules (`combinetype` in its schema): how a device merges one key that
//! several `softwareupdate.settings` declarations set.

use crate::apple::{DeclarationType, schemas, support};
use crate::canonical::canonical_json;
use crate::diagnostics::plain;
use serde_json::Value;
use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CombineType {
    /// The value latest in Apple's `rangelist` wins (`AlwaysOff` > `AlwaysOn` > `Allowed`).
    EnumLast,
    /// `false` wins.
    BooleanAnd,
    /// The largest number wins.
    NumberMax,
    /// Every listed value applies.
    SetUnion,
    /// The first declaration's value applies; which is first is up to the device.
    First,
}

impl CombineType {
    pub fn of(key: &str) -> Option<CombineType> {
        match support::combine_type(DeclarationType::SoftwareUpdateSettings.as_str(), key)? {
            "enum-last" => Some(CombineType::EnumLast),
            "boolean-and" => Some(CombineType::BooleanAnd),
            "number-max" => Some(CombineType::NumberMax),
            "set-union" => Some(CombineType::SetUnion),
            "first" => Some(CombineType::First),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CombineType::EnumLast => "enum-last",
            CombineType::BooleanAnd => "boolean-and",
            CombineType::NumberMax => "number-max",
            CombineType::SetUnion => "set-union",
            CombineType::First => "first",
        }
    }

    /// Why the winner wins, for messages.
    pub fn rule(self, key: &str) -> String {
        match self {
            CombineType::EnumLast => {
                let order: Vec<String> = rangelist(key).iter().rev().map(|v| format!("`{}`", plain(v))).collect();
                format!("enum-last: {}", order.join(" beats "))
            }
            CombineType::BooleanAnd => "boolean-and: `false` wins".into(),
            CombineType::NumberMax => "number-max: the largest value wins".into(),
            CombineType::SetUnion => "set-union: every value applies".into(),
            CombineType::First => "first: the device keeps one of them, in no documented order".into(),
        }
    }

    /// The value a device ends with, from the values in declaration order.
    pub fn combine(self, key: &str, values: &[&Value]) -> Option<Value> {
        let first = (*values.first()?).clone();
        Some(match self {
            CombineType::EnumLast => {
                let order = rangelist(key);
                let rank = |v: &Value| order.iter().position(|o| o == v);
                values.iter().copied().max_by_key(|v| rank(v)).cloned().unwrap_or(first)
            }
            CombineType::BooleanAnd => Value::Bool(values.iter().all(|v| v.as_bool().unwrap_or(true))),
            CombineType::NumberMax => values
                .iter()
                .copied()
                .max_by(|a, b| a.as_f64().partial_cmp(&b.as_f64()).unwrap_or(Ordering::Equal))
                .cloned()
                .unwrap_or(first),
            CombineType::SetUnion => {
                let mut seen = Vec::new();
                let mut union = Vec::new();
                for item in values.iter().flat_map(|v| v.as_array().into_iter().flatten()) {
                    let canonical = canonical_json(item);
                    if !seen.contains(&canonical) {
                        seen.push(canonical);
                        union.push(item.clone());
                    }
                }
                Value::Array(union)
            }
            CombineType::First => first,
        })
    }
}

/// Apple's `rangelist` of a settings key, from the generated schema.
fn rangelist(key: &str) -> Vec<Value> {
    let Some(schema) = schemas::get(DeclarationType::SoftwareUpdateSettings.as_str()) else { return Vec::new() };
    let mut node = &schema.schema["properties"]["Payload"];
    for part in key.split('.') {
        node = &node["properties"][part];
    }
    node["enum"].as_array().cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn combine(key: &str, values: &[Value]) -> Value {
        let refs: Vec<&Value> = values.iter().collect();
        CombineType::of(key).expect("a combine type").combine(key, &refs).expect("a value")
    }

    #[test]
    fn enum_last_follows_apples_rangelist() {
        let key = "AutomaticActions.InstallOSUpdates";
        assert_eq!(CombineType::of(key), Some(CombineType::EnumLast));
        assert_eq!(combine(key, &[json!("AlwaysOn"), json!("Allowed")]), json!("AlwaysOn"));
        assert_eq!(combine(key, &[json!("AlwaysOn"), json!("AlwaysOff"), json!("Allowed")]), json!("AlwaysOff"));
        assert_eq!(combine("RecommendedCadence", &[json!("Newest"), json!("All")]), json!("Newest"));
        assert_eq!(CombineType::EnumLast.rule(key), "enum-last: `AlwaysOff` beats `AlwaysOn` beats `Allowed`");
    }

    #[test]
    fn boolean_and_lets_false_win() {
        assert_eq!(CombineType::of("Notifications"), Some(CombineType::BooleanAnd));
        assert_eq!(combine("Notifications", &[json!(true), json!(false), json!(true)]), json!(false));
        assert_eq!(combine("RapidSecurityResponse.EnableRollback", &[json!(true), json!(true)]), json!(true));
    }

    #[test]
    fn number_max_takes_the_longest_deferral() {
        assert_eq!(CombineType::of("Deferrals.MajorPeriodInDays"), Some(CombineType::NumberMax));
        assert_eq!(combine("Deferrals.MajorPeriodInDays", &[json!(30), json!(90), json!(7)]), json!(90));
    }

    #[test]
    fn set_union_keeps_every_program_once() {
        let a = json!([{"Description": "A", "Token": "1"}]);
        let b = json!([{"Token": "2", "Description": "B"}, {"Token": "1", "Description": "A"}]);
        assert_eq!(CombineType::of("Beta.OfferPrograms"), Some(CombineType::SetUnion));
        assert_eq!(
            combine("Beta.OfferPrograms", &[a, b]),
            json!([{"Description": "A", "Token": "1"}, {"Token": "2", "Description": "B"}])
        );
    }

    #[test]
    fn first_keeps_the_first() {
        assert_eq!(CombineType::of("Beta.RequireProgram"), Some(CombineType::First));
        let (a, b) = (json!({"Description": "A", "Token": "1"}), json!({"Description": "B", "Token": "2"}));
        assert_eq!(combine("Beta.RequireProgram", &[a.clone(), b]), a);
    }
}
