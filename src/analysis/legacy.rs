//! The legacy era (macOS 13–14, iOS 16–17): what a device in a group receives. Apple allows
//! one `com.apple.SoftwareUpdate` payload per Mac (`multiple: false`), so every policy's
//! legacy keys that reach a group are merged into ONE profile per (group, platform),
//! `all`'s with the group's own, by Apple's combine rules; where policies set a key to
//! different values, a `conflict` warning names them and the value the device gets.

use super::combine::CombineType;
use super::conflicts::{SHOWN, where_};
use super::{Band, Cohort, in_group};
use crate::apple::fields::{self, LegacyRule};
use crate::apple::support;
use crate::diagnostics::{Code, Diagnostic, Diagnostics, plain};
use crate::document::Document;
use crate::lower::legacy::{
    KeySource, LegacyPlatform, LegacyPolicy, MergedKey, PolicySource, Profile, ProfilePayload, RESTRICTIONS,
    SOFTWARE_UPDATE, identifier, payload_name,
};
use crate::lower::{Supervised, Supervision};
use crate::model::{GROUP_ALL, Platform};
use crate::resolve::Loaded;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};

/// The value a device gets for `key` from `values`, and the rule, for messages.
fn combine(key: &str, values: &[&Value]) -> Option<(Value, String)> {
    let (field, legacy) = fields::legacy_sources(key).next()?;
    match legacy.rule {
        LegacyRule::TrueWins => {
            Some((Value::Bool(values.iter().any(|v| v.as_bool() == Some(true))), "`true` wins".to_string()))
        }
        LegacyRule::Declaration => {
            let ddm = field.key;
            let combine = CombineType::of(ddm)?;
            let rule = format!("{} (the rule of the declaration's `{ddm}`)", combine.rule(ddm));
            if combine != CombineType::EnumLast {
                return Some((combine.combine(ddm, values)?, rule));
            }
            let control = |v: &Value| json!(if v.as_bool() == Some(false) { "AlwaysOff" } else { "AlwaysOn" });
            let controls: Vec<Value> = values.iter().map(|v| control(v)).collect();
            let refs: Vec<&Value> = controls.iter().collect();
            let winner = combine.combine(ddm, &refs)?;
            Some((Value::Bool(winner != json!("AlwaysOff")), format!("{rule}, `true` being `AlwaysOn`")))
        }
    }
}

/// What the project says about every profile.
pub struct Settings<'a> {
    pub identifier_prefix: &'a str,
    pub organization: Option<&'a str>,
}

/// One merged profile per group and RSR-era platform that has any legacy key. `groups` are
/// every group the repository names; `all` is always one of them.
pub fn merge(policies: &[LegacyPolicy], groups: &BTreeSet<&str>, settings: &Settings<'_>) -> Vec<Profile> {
    let mut sorted: Vec<&LegacyPolicy> = policies.iter().collect();
    sorted.sort_by(|a, b| a.source.cmp(&b.source));
    let mut out = Vec::new();
    let mut groups = groups.clone();
    groups.insert(GROUP_ALL);
    for group in groups {
        for platform in Platform::ALL {
            let reaching: Vec<(&LegacyPolicy, &LegacyPlatform)> = sorted
                .iter()
                .filter(|p| in_group(Some(&p.groups), group))
                .filter_map(|p| Some((*p, p.platforms.iter().find(|e| e.platform == platform)?)))
                .collect();
            if let Some(profile) = profile(group, platform, &reaching, settings) {
                out.push(profile);
            }
        }
    }
    out.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    out
}

fn profile(
    group: &str,
    platform: Platform,
    reaching: &[(&LegacyPolicy, &LegacyPlatform)],
    settings: &Settings<'_>,
) -> Option<Profile> {
    let range = reaching.first()?.1.range.clone();
    let mut merged = Vec::new();
    let mut payloads: Vec<ProfilePayload> = Vec::new();
    let mut supervised = Vec::new();
    for key in fields::legacy_keys() {
        let from: Vec<(KeySource, &'static str, bool)> = reaching
            .iter()
            .flat_map(|(policy, entry)| {
                entry.keys.iter().filter(|k| k.key == key).map(|k| {
                    (
                        KeySource { policy: policy.source.clone(), field: k.field, value: k.value.clone() },
                        k.payload_type,
                        k.supervised,
                    )
                })
            })
            .collect();
        let Some(&(_, payload_type, needs_supervision)) = from.first() else { continue };
        let key_name: &'static str = key;
        let values: Vec<&Value> = from.iter().map(|(s, _, _)| &s.value).collect();
        let Some((value, rule)) = combine(key, &values) else { continue };
        if needs_supervision {
            supervised.push(key_name.to_string());
        }
        let index = match payloads.iter().position(|p| p.payload_type == payload_type) {
            Some(index) => index,
            None => {
                payloads.push(ProfilePayload { payload_type, name: payload_name(payload_type), keys: Map::new() });
                payloads.len() - 1
            }
        };
        payloads[index].keys.insert(key_name.to_string(), value.clone());
        merged.push(MergedKey {
            payload_type,
            key: key_name,
            value,
            rule,
            from: from.into_iter().map(|(s, _, _)| s).collect(),
        });
    }
    if merged.is_empty() {
        return None;
    }
    // Restrictions first, as Apple's examples have them.
    payloads.sort_by_key(|p| p.payload_type != RESTRICTIONS);
    let mut policies: Vec<PolicySource> = merged.iter().flat_map(|k| k.from.iter().map(|s| s.policy.clone())).collect();
    policies.sort();
    policies.dedup();
    // Each contributing policy, with its description.
    let described: Vec<String> = reaching
        .iter()
        .filter(|(p, _)| policies.contains(&p.source))
        .map(|(p, _)| match &p.description {
            Some(text) => format!("{}: {text}", p.source.policy),
            None => p.source.policy.clone(),
        })
        .collect();
    let mut supervision = Supervision::new();
    if !supervised.is_empty() {
        supervision.insert(platform, Supervised::Keys(supervised));
    }
    let below = range.below.map(|b| format!(" to before {b}")).unwrap_or_default();
    Some(Profile {
        identifier: identifier(settings.identifier_prefix, platform, group),
        display_name: format!("Software updates: {group} ({platform})"),
        description: format!(
            "Software-update settings for devices in group `{group}` on {platform} {}{below}, which predate declarative software-update settings, merged from:\n{}",
            range.min,
            described.join("\n")
        ),
        organization: settings.organization.map(str::to_string),
        // Apple lists `PayloadScope` under macOS only (iOS merely inherits TopLevel's
        // support by the general rule, and has no user scope).
        system_scope: platform == Platform::MacOS,
        payloads,
        group: group.to_string(),
        policies,
        applies_to: vec![range],
        supervision,
        merged,
    })
}

/// Payload types a device would hold more often than Apple allows (`multiple: false`):
/// a lowering bug, reported as an internal error before anything is written.
pub fn single_instance_violations(profiles: &[Profile]) -> Vec<String> {
    let mut count: BTreeMap<(&str, Platform, &str), usize> = BTreeMap::new();
    for p in profiles {
        for range in &p.applies_to {
            for payload in &p.payloads {
                *count.entry((p.group.as_str(), range.platform, payload.payload_type)).or_default() += 1;
            }
        }
    }
    count
        .into_iter()
        .filter(|((_, platform, ty), n)| *n > 1 && support::subject(ty, *platform).is_some_and(|a| !a.multiple))
        .map(|((group, platform, ty), n)| {
            format!("a {platform} device in group `{group}` would hold {n} `{ty}` payloads; Apple allows one")
        })
        .collect()
}

/// Warnings (`--deny-conflicts` makes them errors) for legacy keys that policies set to
/// different values for the same devices; each disagreement once, with every cohort.
pub fn check(policies: &[Loaded], profiles: &[Profile], out: &mut Diagnostics) {
    let mut found: BTreeMap<u64, (&MergedKey, Vec<Cohort>)> = BTreeMap::new();
    for profile in profiles {
        for key in &profile.merged {
            if key.from.iter().all(|s| s.value == key.from[0].value) {
                continue;
            }
            let mut hasher = DefaultHasher::new();
            key.key.hash(&mut hasher);
            for s in &key.from {
                s.policy.policy.hash(&mut hasher);
                s.value.to_string().hash(&mut hasher);
            }
            let cohorts = profile.applies_to.iter().map(|r| Cohort {
                group: profile.group.clone(),
                platform: r.platform,
                band: Band { from: r.min, below: r.below },
            });
            found.entry(hasher.finish()).or_insert_with(|| (key, Vec::new())).1.extend(cohorts);
        }
    }
    if found.is_empty() {
        return;
    }
    let docs: BTreeMap<&str, &Document> = policies.iter().map(|p| (p.policy.id.as_str(), &p.doc)).collect();
    for (key, mut cohorts) in found.into_values() {
        cohorts.sort();
        out.push(conflict(key, &cohorts, &docs));
    }
}

fn conflict(key: &MergedKey, cohorts: &[Cohort], docs: &BTreeMap<&str, &Document>) -> Diagnostic {
    let field = key.from.first().map(|s| s.field).unwrap_or_default();
    let mut names: Vec<String> =
        key.from.iter().take(SHOWN).map(|s| format!("`{}` sets `{}`", s.policy.policy, plain(&s.value))).collect();
    if key.from.len() > SHOWN {
        names.push(format!("and {} more", key.from.len() - SHOWN));
    }
    let how = if key.payload_type == RESTRICTIONS {
        format!("Apple combines restrictions most-restrictive-wins: for `{}`, {}", key.key, key.rule)
    } else {
        format!(
            "a Mac holds one `{SOFTWARE_UPDATE}` payload (Apple: `multiple: false`), so ddmc merges the policies' `{}` into one profile: {}",
            key.key, key.rule
        )
    };
    let mut d = Diagnostic::warning(
        Code::Conflict,
        format!("policies disagree on `{}` for RSR-era devices: {}", field.join("."), names.join(", ")),
    )
    .note(format!("devices: {}", where_(cohorts)))
    .note(format!("legacy profile key `{}` in `{}`", key.key, key.payload_type))
    .note(how)
    .help(format!("the device gets `{}`; make the policies agree, or narrow their groups", plain(&key.value)));
    let mut placed = false;
    for s in key.from.iter().take(SHOWN) {
        let Some(doc) = docs.get(s.policy.policy.as_str()) else { continue };
        let span = doc.span(s.field);
        let label = format!("`{}` here", plain(&s.value));
        d = if placed {
            d.related(&doc.file, span, label)
        } else {
            placed = true;
            d.at(&doc.file, span).label(label)
        };
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn combined(key: &str, values: &[Value]) -> Value {
        let refs: Vec<&Value> = values.iter().collect();
        combine(key, &refs).expect("a rule").0
    }

    #[test]
    fn restrictions_combine_most_restrictive_wins() {
        assert_eq!(combined("allowRapidSecurityResponseRemoval", &[json!(true), json!(false)]), json!(false));
        assert_eq!(combined("allowRapidSecurityResponseInstallation", &[json!(true), json!(true)]), json!(true));
        assert_eq!(combined("forceDelayedSoftwareUpdates", &[json!(false), json!(true)]), json!(true));
        assert_eq!(combined("enforcedSoftwareUpdateMajorOSDeferredInstallDelay", &[json!(30), json!(90)]), json!(90));
    }

    #[test]
    fn software_update_keys_follow_the_declaration_rule() {
        // enum-last: `AlwaysOff` (false) beats `AlwaysOn` (true).
        assert_eq!(combined("AutomaticDownload", &[json!(true), json!(false)]), json!(false));
        assert_eq!(combined("CriticalUpdateInstall", &[json!(true), json!(true)]), json!(true));
        let (_, rule) = combine("AutomaticDownload", &[&json!(true)]).expect("a rule");
        assert!(rule.contains("`AutomaticActions.Download`"), "{rule}");
    }

    fn policy(id: &str, groups: &[&str], key: &'static str, value: Value) -> LegacyPolicy {
        let platform = Platform::MacOS;
        let (min, below) = crate::lower::legacy::era(platform).expect("an era");
        LegacyPolicy {
            source: PolicySource { policy: id.into(), source: format!("{id}.yaml") },
            description: None,
            groups: groups.iter().map(|g| g.to_string()).collect(),
            platforms: vec![LegacyPlatform {
                platform,
                range: crate::lower::OsRange { platform, min, exactly: None, below: Some(below) },
                keys: vec![crate::lower::legacy::LegacyKey {
                    payload_type: SOFTWARE_UPDATE,
                    key,
                    value,
                    field: &["software_updates", "automatic_download"],
                    supervised: false,
                }],
            }],
        }
    }

    /// `all`'s keys are in every group's profile, and a group's device holds one
    /// `com.apple.SoftwareUpdate`: the per-policy profiles of before gave it two.
    #[test]
    fn each_group_gets_one_profile_with_alls_keys() {
        let policies = [
            policy("base", &["all"], "AutomaticDownload", json!(true)),
            policy("lab", &["lab"], "AutomaticallyInstallMacOSUpdates", json!(true)),
        ];
        let settings = Settings { identifier_prefix: "com.example.ddm", organization: None };
        let profiles = merge(&policies, &BTreeSet::from(["all", "lab"]), &settings);
        let ids: Vec<&str> = profiles.iter().map(|p| p.identifier.as_str()).collect();
        assert_eq!(ids, ["com.example.ddm.legacy.macos.all", "com.example.ddm.legacy.macos.lab"]);
        let lab = &profiles[1];
        assert_eq!(lab.payloads.len(), 1);
        assert_eq!(
            lab.payloads[0].keys,
            json!({"AutomaticDownload": true, "AutomaticallyInstallMacOSUpdates": true})
                .as_object()
                .cloned()
                .expect("map")
        );
        assert!(single_instance_violations(&profiles).is_empty());
        // Two profiles for one group, each with the single-instance payload, are refused.
        let mut twice = profiles.clone();
        twice[0].group = "lab".into();
        assert_eq!(
            single_instance_violations(&twice),
            ["a macOS device in group `lab` would hold 2 `com.apple.SoftwareUpdate` payloads; Apple allows one"]
        );
    }

    #[test]
    fn every_written_key_has_a_rule() {
        for key in fields::legacy_keys() {
            assert!(combine(key, &[&json!(true)]).is_some() || combine(key, &[&json!(7)]).is_some(), "{key}");
        }
    }
}
