//! `manifest.json`: what an MDM importer needs to serve the declarations: every artifact
//! with its origin and reach, and per group the declarations it gets and their
//! `DeclarationsToken`. Written field by field ([`Pretty`]): with thousands of policies and
//! many groups it is the largest file of a build.

use super::pretty::Pretty;
use crate::canonical::token;
use crate::lower::legacy::Profile;
use crate::lower::{Declaration, OsRange, Supervised, Supervision};
use crate::model::GROUP_ALL;
use crate::resolve::Provenance;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Marks an output folder as ddmc's, so that a build never replaces anything else.
pub const GENERATOR: &str = "ddmc";

/// A legacy profile with its identity and file.
pub struct EmittedProfile<'a> {
    pub profile: &'a Profile,
    pub uuid: String,
    pub content_token: String,
    pub path: String,
}

/// A declaration with its ServerToken (its file is [`declaration_path`]).
pub struct Emitted<'a> {
    pub declaration: &'a Declaration,
    pub server_token: String,
}

/// Where a declaration's file goes in the output tree.
pub fn declaration_path(identifier: &str) -> String {
    declaration_path_parts(identifier).concat()
}

/// [`declaration_path`] in parts, as the manifest writes it (it holds no string per
/// declaration for it).
fn declaration_path_parts(identifier: &str) -> [&str; 3] {
    ["declarations/", identifier, ".json"]
}

/// The manifest as pretty JSON, newline-terminated. `emitted` is sorted by Identifier.
/// `resolutions`: per enforcement Identifier, what the catalog resolved it from.
pub fn render(
    prefix: &str,
    emitted: &[Emitted<'_>],
    profiles: &[EmittedProfile<'_>],
    resolutions: &BTreeMap<String, Provenance>,
) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into memory cannot fail.
    let _ = render_into(&mut out, prefix, emitted, profiles, resolutions);
    out
}

/// [`render`] into `out`, a chunk of items at a time: a build streams the manifest (tens of
/// megabytes at 10,000 policies) into its file instead of holding it.
///
/// Members in this order: `generator` (first: [`crate::emit::write`] reads only the start to
/// recognise an output folder), `format`, `identifier_prefix`, `artifacts`, `groups`. The
/// artifacts and groups are written on every core, a run of them at a time, each laid out
/// where it belongs in one pretty document ([`Pretty`]); one run is written out while the
/// next is rendered.
pub fn render_into(
    out: &mut (dyn Write + Send),
    prefix: &str,
    emitted: &[Emitted<'_>],
    profiles: &[EmittedProfile<'_>],
    resolutions: &BTreeMap<String, Provenance>,
) -> io::Result<()> {
    let artifacts: Vec<Item<'_>> =
        emitted.iter().map(Item::Declaration).chain(profiles.iter().map(Item::Profile)).collect();
    let mut head = Vec::new();
    let mut p = Pretty::inside(&mut head, 0, true);
    p.open(b'{').field("generator", GENERATOR).key("format").raw("1");
    p.field("identifier_prefix", prefix).key("artifacts");
    out.write_all(&head)?;
    // The groups (a pass over every declaration, then their tokens) are worked out while the
    // artifacts are written, not before.
    let (groups, written) = rayon::join(
        || groups(emitted, profiles),
        || {
            list(out, *b"[]", &artifacts, |p, item| match item {
                Item::Declaration(e) => artifact(p.item(), e, resolutions.get(&e.declaration.identifier)),
                Item::Profile(e) => profile_artifact(p.item(), e),
            })
        },
    );
    written?;
    out.write_all(b",\n  \"groups\": ")?;
    list(out, *b"{}", &groups, |p, (name, group)| {
        p.name(name).open(b'{').key("declarations").strings(group.declarations.iter().copied());
        p.field("DeclarationsToken", &group.declarations_token);
        if !group.profiles.is_empty() {
            p.key("profiles").strings(group.profiles.iter().copied());
        }
        p.close(b'}');
    })?;
    out.write_all(b"\n}\n")
}

/// An entry of `artifacts`.
enum Item<'a> {
    Declaration(&'a Emitted<'a>),
    Profile(&'a EmittedProfile<'a>),
}

/// Items rendered on every core at a time: only these are held (rendered, not yet written).
const CHUNK: usize = 4096;

/// Items one task renders into one buffer.
const RUN: usize = 128;

/// The items of a top-level member's array or object, as the pretty printer lays them out:
/// `render` writes one item, its separator and indentation included, inside it.
fn list<T: Sync>(
    out: &mut (dyn Write + Send),
    [open, close]: [u8; 2],
    items: &[T],
    render: impl Fn(&mut Pretty<'_>, &T) + Sync,
) -> io::Result<()> {
    let rendered = |chunk: &[T], first: bool| -> Vec<Vec<u8>> {
        chunk
            .par_chunks(RUN)
            .enumerate()
            .map(|(run, items)| {
                let mut buffer = Vec::with_capacity(items.len() * 768);
                for (i, item) in items.iter().enumerate() {
                    // Each item follows a comma, but the first of all.
                    render(&mut Pretty::inside(&mut buffer, 2, first && run == 0 && i == 0), item);
                }
                buffer
            })
            .collect()
    };
    out.write_all(&[open])?;
    let mut chunks = items.chunks(CHUNK);
    let mut pending = chunks.next().map(|chunk| rendered(chunk, true)).unwrap_or_default();
    loop {
        // The next chunk is rendered while this one is written.
        let (next, written) = rayon::join(
            || chunks.next().map(|chunk| rendered(chunk, false)),
            || pending.iter().try_for_each(|buffer| out.write_all(buffer)),
        );
        written?;
        match next {
            Some(next) => pending = next,
            None => break,
        }
    }
    if !items.is_empty() {
        out.write_all(b"\n  ")?;
    }
    out.write_all(&[close])
}

fn artifact(p: &mut Pretty<'_>, e: &Emitted<'_>, resolved: Option<&Provenance>) {
    let d = e.declaration;
    p.open(b'{').key("kind").literal("declaration").key("Type").literal(d.ty().as_str());
    p.field("Identifier", &d.identifier);
    p.field("ServerToken", &e.server_token).key("path").joined(&declaration_path_parts(&d.identifier));
    if let Some(origin) = &d.origin {
        p.field("policy", &origin.policy).field("source", &origin.source);
    }
    match &d.origin {
        Some(origin) => reach(p, origin.groups.iter().map(String::as_str), &d.applies_to, &d.supervision),
        None => reach(p, [GROUP_ALL], &d.applies_to, &d.supervision),
    }
    if let Some(r) = resolved {
        p.key("resolved").open(b'{').key("os_version").display(r.os_version);
        match &r.build_version {
            Some(build) => p.key("build_version").display(build),
            None => p.key("build_version").raw("null"),
        };
        match &r.release_date {
            Some(date) => p.key("release_date").display(date),
            None => p.key("release_date").raw("null"),
        };
        p.field("rule", &r.rule).key("catalog_as_of").display(r.catalog_as_of).close(b'}');
    }
    p.close(b'}');
}

fn profile_artifact(p: &mut Pretty<'_>, e: &EmittedProfile<'_>) {
    let profile = e.profile;
    p.open(b'{').field("kind", "profile").field("PayloadIdentifier", &profile.identifier);
    p.field("PayloadUUID", &e.uuid).field("content_token", &e.content_token).field("path", &e.path);
    p.key("payload_types").strings(profile.payloads.iter().map(|pl| pl.payload_type));
    // Every policy that contributes a key to this merged profile, with its file.
    p.key("policies").open(b'[');
    for source in &profile.policies {
        p.item().open(b'{').field("policy", &source.policy).field("source", &source.source).close(b'}');
    }
    p.close(b']');
    reach(p, [profile.group.as_str()], &profile.applies_to, &profile.supervision);
    p.close(b'}');
}

/// Which devices an artifact reaches: the same fields for declarations and profiles.
fn reach<'a>(
    p: &mut Pretty<'_>,
    groups: impl IntoIterator<Item = &'a str>,
    applies_to: &[OsRange],
    supervision: &Supervision,
) {
    p.key("groups").strings(groups);
    // By name, each once (nearly always one: nothing is collected for it).
    p.key("platforms").open(b'[');
    if let [one] = applies_to {
        p.item().literal(one.platform.as_str());
    } else {
        let mut platforms: Vec<&'static str> = applies_to.iter().map(|r| r.platform.as_str()).collect();
        platforms.sort_unstable();
        platforms.dedup();
        platforms.into_iter().for_each(|name| _ = p.item().literal(name));
    }
    p.close(b']');
    p.key("os_range").open(b'[');
    for r in applies_to {
        p.item().open(b'{').key("platform").literal(r.platform.as_str());
        match r.exactly {
            Some(v) => p.key("min").display(v).key("max").display(v),
            None => p.key("min").display(r.min),
        };
        if let Some(below) = r.below {
            // Up to, not including, this version.
            p.key("below").display(below);
        }
        p.close(b'}');
    }
    p.close(b']');
    if !supervision.is_empty() {
        p.key("supervised_only").open(b'{');
        // By the platform's name, as `platforms` is.
        let by_name: BTreeMap<&str, &Supervised> = supervision.iter().map(|(p, s)| (p.as_str(), s)).collect();
        for (platform, supervised) in by_name {
            p.key(platform);
            match supervised {
                Supervised::Declaration => p.str("declaration"),
                Supervised::Keys(keys) => p.strings(keys.iter().map(String::as_str)),
            };
        }
        p.close(b'}');
    }
}

struct Group<'a> {
    declarations: Vec<&'a str>,
    declarations_token: String,
    profiles: Vec<&'a str>,
}

/// Per group: the declarations a device in it receives (`all`'s, plus its own), the
/// `DeclarationsToken` over their Identifiers and ServerTokens, and its merged profiles.
fn groups<'a>(emitted: &'a [Emitted<'a>], profiles: &'a [EmittedProfile<'a>]) -> Vec<(&'a str, Group<'a>)> {
    let mut names = crate::lower::group_names(emitted.iter().map(|e| e.declaration));
    names.extend(profiles.iter().map(|p| p.profile.group.as_str()));
    // One pass over the declarations, in order: each joins its own groups, or every group.
    let mut members: BTreeMap<&str, Vec<&Emitted<'_>>> = names.iter().map(|&g| (g, Vec::new())).collect();
    for e in emitted {
        match &e.declaration.origin {
            Some(origin) if !origin.groups.iter().any(|g| g == GROUP_ALL) => {
                for group in &origin.groups {
                    let Some(list) = members.get_mut(group.as_str()) else { continue };
                    // A policy that names a group twice is in it once.
                    if !list.last().is_some_and(|last| std::ptr::eq(*last, e)) {
                        list.push(e);
                    }
                }
            }
            _ => members.values_mut().for_each(|list| list.push(e)),
        }
    }
    let mut profiles_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in profiles {
        profiles_of.entry(p.profile.group.as_str()).or_default().push(p.profile.identifier.as_str());
    }
    // Each group's merged profile already holds `all`'s legacy settings: a device installs
    // its group's profile only (one `com.apple.SoftwareUpdate` per Mac).
    let listed: Vec<(&str, Vec<&Emitted<'_>>, Vec<&str>)> = members
        .into_iter()
        .map(|(group, members)| (group, members, profiles_of.remove(group).unwrap_or_default()))
        .collect();
    // Each group's token on its own core (hashing tens of thousands of Identifiers and
    // ServerTokens), in group order.
    listed
        .into_par_iter()
        .map(|(group, members, profiles)| {
            let parts: Vec<&str> =
                members.iter().flat_map(|e| [e.declaration.identifier.as_str(), e.server_token.as_str()]).collect();
            let declarations = members.iter().map(|e| e.declaration.identifier.as_str()).collect();
            (group, Group { declarations, declarations_token: token(&parts), profiles })
        })
        .collect()
}
