//! `softwareupdate.settings`: one declaration per policy, or one per platform when the
//! platforms need different payloads. Keys a platform does not have are left out, with a
//! warning that cites Apple's schema.

use super::identifier::Identifiers;
use super::{Content, Context, Declaration, Origin, OsRange, Settings, Supervised, Supervision};
use crate::apple::fields::{self, Field};
use crate::apple::{DeclarationType, support};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::document::Document;
use crate::model::secret::{self, Secret};
use crate::model::{BetaProgram, Control, Platform, Policy};
use serde_json::{Value, json};
use std::sync::Arc;

/// A policy field that is set, with the Apple key it becomes.
struct Setting {
    field: &'static Field,
    value: Value,
}

pub use crate::apple::fields::{BSI, SU, field_of};

/// The declaration values a policy sets, beta programs aside (their tokens need the
/// environment): what the settings declaration and the legacy profiles are made from.
pub fn values(policy: &Policy) -> Vec<(&'static Field, Value)> {
    let mut set = Vec::new();
    // Every path here is a row of the table: a test sets every field and finds every row.
    let mut push = |path: &[&str], value: Option<Value>| {
        if let (Some(field), Some(value)) = (fields::by_path(path), value) {
            set.push((field, value));
        }
    };
    let control = |c: Option<Control>| c.map(|c| json!(c.apple()));
    if let Some(bsi) = &policy.background_security_improvements {
        push(&[BSI, "automatic_install"], control(bsi.automatic_install));
        push(&[BSI, "user_install"], bsi.user_install.map(Value::Bool));
        push(&[BSI, "user_removal"], bsi.user_removal.map(Value::Bool));
    }
    if let Some(su) = &policy.software_updates {
        push(&[SU, "notifications"], su.notifications.map(Value::Bool));
        push(&[SU, "automatic_download"], control(su.automatic_download));
        push(&[SU, "automatic_install"], control(su.automatic_install));
        push(&[SU, "standard_users_can_update"], su.standard_users_can_update.map(Value::Bool));
        push(&[SU, "recommended_cadence"], su.recommended_cadence.map(|c| json!(c.apple())));
        if let Some(d) = &su.deferrals {
            push(&[SU, "deferrals", "major_days"], d.major_days.map(|n| json!(n)));
            push(&[SU, "deferrals", "minor_days"], d.minor_days.map(|n| json!(n)));
            push(&[SU, "deferrals", "system_days"], d.system_days.map(|n| json!(n)));
            push(&[SU, "deferrals", "combined_days"], d.combined_days.map(|n| json!(n)));
        }
        if let Some(beta) = &su.beta {
            push(&[SU, "beta", "enrollment"], control(beta.enrollment));
        }
    }
    set
}

/// A secret, the settings key that holds it, and its JSON pointer into the payload.
type HeldSecret = (&'static str, String, Secret);

/// The settings a policy sets, in the order of Apple's schema, and the secrets they hold.
fn collect(
    policy: &Policy,
    doc: &Document,
    cx: &Context<'_>,
    out: &mut Diagnostics,
) -> (Vec<Setting>, Vec<HeldSecret>) {
    let mut set: Vec<Setting> = values(policy).into_iter().map(|(field, value)| Setting { field, value }).collect();
    let mut secrets = Vec::new();
    if let Some(beta) = policy.software_updates.as_ref().and_then(|su| su.beta.as_ref()) {
        // Where the token sits in the payload: the key's path, then the program's.
        let pointer = |field: &Field, rest: &str| format!("/{}{rest}/Token", field.key.replace('.', "/"));
        if let (Some(programs), Some(offer)) = (&beta.offer_programs, fields::by_path(&[SU, "beta", "offer_programs"]))
        {
            let programs = programs.iter().enumerate().map(|(i, p)| {
                let (value, secret) = program(p, &["offer_programs", &i.to_string()], doc, cx, out);
                secrets.extend(secret.map(|s| (offer.key, pointer(offer, &format!("/{i}")), s)));
                value
            });
            set.push(Setting { field: offer, value: Value::Array(programs.collect()) });
        }
        if let (Some(p), Some(require)) = (&beta.require_program, fields::by_path(&[SU, "beta", "require_program"])) {
            let (value, secret) = program(p, &["require_program"], doc, cx, out);
            secrets.extend(secret.map(|s| (require.key, pointer(require, ""), s)));
            set.push(Setting { field: require, value });
        }
    }
    // Each key's place is looked up in Apple's table once, not at every comparison.
    set.sort_by_cached_key(|s| support::order(DeclarationType::SoftwareUpdateSettings.as_str(), s.field.key));
    (set, secrets)
}

/// `{Description, Token}`. A token from `token_env` is read here but only its placeholder
/// (`$VAR`) goes into the payload; the secret comes back beside it. An unset or empty
/// variable is an error when building, a warning when only checking.
fn program(
    p: &BetaProgram,
    path: &[&str],
    doc: &Document,
    cx: &Context<'_>,
    out: &mut Diagnostics,
) -> (Value, Option<Secret>) {
    let (token, secret) = match (&p.token, &p.token_env) {
        (Some(token), _) => (token.clone(), None),
        (None, Some(var)) => {
            let secret = Secret::read(var, cx.secret);
            if secret.is_none() {
                let empty = (cx.secret)(var).is_some();
                out.push(unset_token(var, empty, path, doc, cx));
            }
            (secret::placeholder(var), secret)
        }
        (None, None) => (String::new(), None),
    };
    (json!({"Description": p.description, "Token": token}), secret)
}

fn unset_token(var: &str, empty: bool, path: &[&str], doc: &Document, cx: &Context<'_>) -> Diagnostic {
    let full: Vec<&str> = [SU, "beta"].iter().chain(path).chain(&["token_env"]).copied().collect();
    let message = format!("environment variable `{var}` is {}", if empty { "empty" } else { "not set" });
    let diagnostic = if cx.missing_secret_is_error {
        Diagnostic::error(Code::TokenEnvUnset, message)
            .help(format!("set `{var}` to the beta program's seeding token where `ddmc build` runs"))
    } else {
        Diagnostic::warning(Code::TokenEnvUnset, message).help(format!("`ddmc build` will fail unless `{var}` is set"))
    };
    diagnostic.at(&doc.file, doc.span(&full)).label("the seeding token comes from here")
}

/// One platform's settings and where they apply.
struct PlatformSettings {
    platform: Platform,
    settings: Settings,
    range: OsRange,
    supervised: Option<Supervised>,
}

pub(super) fn lower(
    policy: &Policy,
    doc: &Document,
    cx: &Context<'_>,
    ids: &Identifiers<'_>,
    origin: &Arc<Origin>,
    out: &mut Diagnostics,
) -> Vec<Declaration> {
    let (settings, secrets) = collect(policy, doc, cx, out);
    if settings.is_empty() {
        return Vec::new();
    }
    let mut payloads = Vec::new();
    let mut missing: Vec<(&Setting, Vec<Platform>)> = settings.iter().map(|s| (s, Vec::new())).collect();
    for &platform in &policy.targets.platforms {
        let Some(declaration) = support::declaration(DeclarationType::SoftwareUpdateSettings, platform) else {
            continue;
        };
        let mut entry = PlatformSettings {
            platform,
            settings: Settings::with_capacity(missing.len()),
            range: OsRange { platform, min: declaration.introduced, exactly: None, below: None },
            supervised: declaration.supervised_only.then_some(Supervised::Declaration),
        };
        for (setting, missing_on) in missing.iter_mut() {
            match support::settings_key(setting.field.key, platform) {
                Some(key) => {
                    entry.settings.push(setting.field, setting.value.clone());
                    entry.range.min = entry.range.min.max(key.introduced);
                    if key.supervised_only && !declaration.supervised_only {
                        match &mut entry.supervised {
                            Some(Supervised::Keys(keys)) => keys.push(setting.field.key.to_string()),
                            _ => entry.supervised = Some(Supervised::Keys(vec![setting.field.key.to_string()])),
                        }
                    }
                }
                None => missing_on.push(platform),
            }
        }
        warn_raised_floor(&settings, &entry, declaration.introduced, doc, out);
        if !entry.settings.is_empty() {
            payloads.push(entry);
        }
    }
    for (setting, platforms) in missing.into_iter().filter(|(_, p)| !p.is_empty()) {
        out.push(not_applied(setting, &platforms, doc));
    }
    let shared = payloads.windows(2).all(|w| w[0].settings == w[1].settings);
    let mut configurations = if shared && !payloads.is_empty() {
        let ranges: Vec<OsRange> = payloads.iter().map(|p| p.range.clone()).collect();
        let first = payloads.swap_remove(0);
        let supervised = std::iter::once((first.platform, first.supervised))
            .chain(payloads.into_iter().map(|p| (p.platform, p.supervised)))
            .filter_map(|(platform, s)| Some((platform, s?)))
            .collect();
        vec![configuration(ids.make("settings", None), first.settings, ranges, supervised, origin)]
    } else {
        payloads
            .into_iter()
            .map(|p| {
                configuration(
                    ids.make("settings", Some(p.platform.slug())),
                    p.settings,
                    vec![p.range],
                    p.supervised.map(|s| Supervision::from([(p.platform, s)])).unwrap_or_default(),
                    origin,
                )
            })
            .collect()
    };
    for d in &mut configurations {
        let settings = d.settings();
        d.secrets = secrets
            .iter()
            .filter(|(key, _, _)| settings.is_some_and(|s| s.get(key).is_some()))
            .map(|(_, pointer, secret)| (pointer.clone(), secret.clone()))
            .collect();
    }
    configurations
}

fn configuration(
    identifier: String,
    settings: Settings,
    applies_to: Vec<OsRange>,
    supervision: Supervision,
    origin: &Arc<Origin>,
) -> Declaration {
    Declaration {
        identifier,
        content: Content::Settings(settings),
        origin: Some(origin.clone()),
        applies_to,
        supervision,
        secrets: Vec::new(),
    }
}

/// "`standard_users_can_update` is not applied on iOS", with Apple's fact.
fn not_applied(setting: &Setting, platforms: &[Platform], doc: &Document) -> Diagnostic {
    let field = setting.field.path.last().copied().unwrap_or_default();
    let names: Vec<&str> = platforms.iter().map(|p| p.as_str()).collect();
    let on = names.join(" and ");
    let available: Vec<&str> = Platform::ALL
        .iter()
        .filter(|p| support::settings_key(setting.field.key, **p).is_some())
        .map(|p| p.as_str())
        .collect();
    Diagnostic::warning(Code::Unsupported, format!("`{field}` is not applied on {on}"))
        .at(&doc.file, doc.key_span(setting.field.path))
        .label(format!("{} only", available.join(", ")))
        .note(format!("Apple's schema: `{}` in `softwareupdate.settings` is n/a on {on}", setting.field.key))
        .help(format!("nothing is emitted for it on {on}; remove it, or split the policy per platform"))
}

/// A key with a later `introduced` (`Beta`: macOS 15.4) raises the floor of the whole
/// declaration: devices between the two get none of the policy's settings.
fn warn_raised_floor(
    settings: &[Setting],
    entry: &PlatformSettings,
    base: crate::model::OsVersion,
    doc: &Document,
    out: &mut Diagnostics,
) {
    if entry.range.min <= base {
        return;
    }
    let introduced = |s: &Setting| support::settings_key(s.field.key, entry.platform).map(|k| k.introduced);
    let late = settings.iter().find(|s| introduced(s).is_some_and(|i| i > base));
    let others = settings.iter().any(|s| introduced(s).is_some_and(|i| i <= base));
    if let (Some(late), true) = (late, others) {
        let platform = entry.platform;
        let path = late.field.path;
        let field = path[..path.len() - 1].join(".");
        out.push(
            Diagnostic::warning(Code::Unsupported, format!("`{field}` limits this policy's settings to {platform} {} and later", entry.range.min))
                .at(&doc.file, doc.key_span(&path[..path.len() - 1]))
                .label(format!("needs {platform} {}", entry.range.min))
                .note(format!("Apple's schema: `{}` is introduced in {platform} {}", late.field.key, entry.range.min))
                .help(format!(
                    "devices on {platform} {base} and later but older than {} get none of these settings; move `{field}` into a policy of its own",
                    entry.range.min
                )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A policy that sets every field lowers to every row of the table, once: no path that
    /// lowering names is missing from it.
    #[test]
    fn every_field_of_the_table_is_lowered() {
        let yaml = "id: all\ntargets:\n  platforms: [macOS]\nbackground_security_improvements:\n  \
                    automatic_install: always_on\n  user_install: true\n  user_removal: false\nsoftware_updates:\n  \
                    notifications: true\n  automatic_download: always_on\n  automatic_install: always_on\n  \
                    standard_users_can_update: false\n  recommended_cadence: newest\n  deferrals:\n    major_days: 30\n    \
                    minor_days: 7\n    system_days: 3\n    combined_days: 14\n  beta:\n    enrollment: allowed\n    \
                    offer_programs:\n      - token: t1\n        description: One\n    require_program:\n      \
                    token: t2\n      description: Two\n";
        let root = crate::parse::parse_yaml(yaml).expect("yaml");
        let policy: Policy = serde_json::from_value(root.to_json()).expect("a valid policy");
        let doc = Document::new("policies/all.yaml".into(), &root);
        let cx = Context {
            identifier_prefix: "com.example",
            secret: &|_| None,
            missing_secret_is_error: true,
            organization: None,
        };
        let (set, secrets) = collect(&policy, &doc, &cx, &mut Diagnostics::default());
        let mut keys: Vec<&str> = set.iter().map(|s| s.field.key).collect();
        let mut table: Vec<&str> = fields::FIELDS.iter().map(|f| f.key).collect();
        keys.sort_unstable();
        table.sort_unstable();
        assert_eq!(keys, table);
        assert!(secrets.is_empty(), "literal tokens are no secrets");
    }
}
