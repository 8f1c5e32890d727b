//! `manifest.json`: what an MDM importer needs to serve the declarations: every artifact
//! with its origin and reach, and per group the declarations it gets and their
//! `DeclarationsToken`. Serialised from borrowed structs: with thousands of policies and
//! many groups it is the largest file of a build.

use crate::canonical::token;
use crate::lower::legacy::{PolicySource, Profile};
use crate::lower::{Declaration, OsRange, Supervised, Supervision};
use crate::model::{GROUP_ALL, OsVersion};
use crate::resolve::Provenance;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
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
    DeclarationPath(identifier).to_string()
}

/// [`declaration_path`] of an Identifier, written where it is needed: the manifest holds no
/// string per declaration for it.
struct DeclarationPath<'a>(&'a str);

impl std::fmt::Display for DeclarationPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "declarations/{}.json", self.0)
    }
}

impl Serialize for DeclarationPath<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[derive(Serialize)]
#[serde(untagged)]
enum Entry<'a> {
    Declaration(Artifact<'a>),
    Profile(ProfileArtifact<'a>),
}

#[derive(Serialize)]
struct ProfileArtifact<'a> {
    kind: &'static str,
    #[serde(rename = "PayloadIdentifier")]
    identifier: &'a str,
    #[serde(rename = "PayloadUUID")]
    uuid: &'a str,
    /// Changes exactly when the profile's content does.
    content_token: &'a str,
    path: &'a str,
    payload_types: Vec<&'static str>,
    /// Every policy that contributes a key to this merged profile, with its file.
    policies: &'a [PolicySource],
    #[serde(flatten)]
    reach: Reach<'a>,
}

#[derive(Serialize)]
struct Artifact<'a> {
    kind: &'static str,
    #[serde(rename = "Type")]
    ty: &'static str,
    #[serde(rename = "Identifier")]
    identifier: &'a str,
    #[serde(rename = "ServerToken")]
    server_token: &'a str,
    path: DeclarationPath<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(flatten)]
    reach: Reach<'a>,
    /// What Apple's catalog resolved an enforcement from (with a catalog only).
    #[serde(skip_serializing_if = "Option::is_none")]
    resolved: Option<Resolved>,
}

/// The contract's `resolved` record.
#[derive(Serialize)]
struct Resolved {
    os_version: String,
    build_version: Option<String>,
    release_date: Option<String>,
    rule: String,
    catalog_as_of: String,
}

impl From<&Provenance> for Resolved {
    fn from(p: &Provenance) -> Self {
        Resolved {
            os_version: p.os_version.to_string(),
            build_version: p.build_version.as_ref().map(ToString::to_string),
            release_date: p.release_date.map(|d| d.to_string()),
            rule: p.rule.clone(),
            catalog_as_of: p.catalog_as_of.to_string(),
        }
    }
}

/// Which devices an artifact reaches; the same fields for declarations and profiles.
#[derive(Serialize)]
struct Reach<'a> {
    groups: Vec<&'a str>,
    platforms: BTreeSet<&'static str>,
    os_range: Vec<Range>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    supervised_only: BTreeMap<&'static str, &'a Supervised>,
}

impl<'a> Reach<'a> {
    fn new(groups: Vec<&'a str>, applies_to: &[OsRange], supervision: &'a Supervision) -> Self {
        Reach {
            groups,
            platforms: applies_to.iter().map(|r| r.platform.as_str()).collect(),
            os_range: applies_to.iter().map(range).collect(),
            supervised_only: supervision.iter().map(|(p, s)| (p.as_str(), s)).collect(),
        }
    }
}

/// Versions are written as they display, without a string made for each.
#[derive(Serialize)]
struct Range {
    platform: &'static str,
    min: OsVersion,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<OsVersion>,
    /// Up to, not including, this version.
    #[serde(skip_serializing_if = "Option::is_none")]
    below: Option<OsVersion>,
}

#[derive(Serialize)]
struct Group<'a> {
    declarations: Vec<&'a str>,
    #[serde(rename = "DeclarationsToken")]
    declarations_token: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    profiles: Vec<&'a str>,
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
/// recognise an output folder), `format`, `identifier_prefix`, `artifacts`, `groups`. Each
/// artifact and group is serialised on its own core, then put in its place exactly as one
/// pretty printer writes the whole document.
pub fn render_into(
    out: &mut dyn Write,
    prefix: &str,
    emitted: &[Emitted<'_>],
    profiles: &[EmittedProfile<'_>],
    resolutions: &BTreeMap<String, Provenance>,
) -> io::Result<()> {
    let artifacts: Vec<Item<'_>> =
        emitted.iter().map(Item::Declaration).chain(profiles.iter().map(Item::Profile)).collect();
    let groups = groups(emitted, profiles);
    out.write_all(b"{\n  \"generator\": ")?;
    out.write_all(&serde_json::to_vec(GENERATOR).unwrap_or_default())?;
    out.write_all(b",\n  \"format\": 1,\n  \"identifier_prefix\": ")?;
    out.write_all(&serde_json::to_vec(prefix).unwrap_or_default())?;
    out.write_all(b",\n  \"artifacts\": ")?;
    list(out, *b"[]", &artifacts, |item| match item {
        Item::Declaration(e) => nested(&Entry::Declaration(artifact(e, resolutions.get(&e.declaration.identifier)))),
        Item::Profile(p) => nested(&Entry::Profile(profile_artifact(p))),
    })?;
    out.write_all(b",\n  \"groups\": ")?;
    list(out, *b"{}", &groups, |(name, group)| {
        let mut member = b"    ".to_vec();
        member.extend(serde_json::to_vec(name).unwrap_or_default());
        member.extend_from_slice(b": ");
        member.extend(nested(group).trim_ascii_start());
        member
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

/// The items of a top-level member's array or object, as the pretty printer lays them out.
fn list<T: Sync>(
    out: &mut dyn Write,
    [open, close]: [u8; 2],
    items: &[T],
    render: impl Fn(&T) -> Vec<u8> + Sync,
) -> io::Result<()> {
    out.write_all(&[open])?;
    for (c, chunk) in items.chunks(CHUNK).enumerate() {
        let rendered: Vec<Vec<u8>> = chunk.par_iter().map(&render).collect();
        // Straight into `out` (buffered): no copy of the chunk gathered first.
        for (i, item) in rendered.iter().enumerate() {
            out.write_all(if c == 0 && i == 0 { b"\n" } else { b",\n" })?;
            out.write_all(item)?;
        }
    }
    if !items.is_empty() {
        out.write_all(b"\n  ")?;
    }
    out.write_all(&[close])
}

/// `value` pretty-printed as a value two levels deep (in a member of the top-level object),
/// first line indented too.
fn nested<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, Nested { depth: 2, has_value: false });
    // Serialising borrowed strings, numbers and maps with string keys into memory cannot fail.
    let _ = value.serialize(&mut serializer);
    out
}

/// serde_json's pretty layout (two spaces a level) for a value `depth` levels deep: its
/// lines come out indented where they belong, not shifted by a second pass over the text.
struct Nested {
    depth: usize,
    has_value: bool,
}

impl Nested {
    fn open<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(writer, false)?;
        }
        writer.write_all(bracket)
    }

    /// A new line (after a comma if `comma`), indented to the current depth.
    fn line<W: ?Sized + Write>(&self, writer: &mut W, comma: bool) -> io::Result<()> {
        const SPACES: &[u8] = &[b' '; 64];
        writer.write_all(if comma { b",\n" } else { b"\n" })?;
        let mut width = 2 * self.depth;
        while width > 0 {
            let n = width.min(SPACES.len());
            writer.write_all(&SPACES[..n])?;
            width -= n;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.line(writer, !first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.line(writer, !first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

fn artifact<'a>(e: &'a Emitted<'a>, resolved: Option<&Provenance>) -> Artifact<'a> {
    let d = e.declaration;
    Artifact {
        kind: "declaration",
        ty: d.ty().as_str(),
        identifier: &d.identifier,
        server_token: &e.server_token,
        path: DeclarationPath(&d.identifier),
        policy: d.origin.as_ref().map(|o| o.policy.as_str()),
        source: d.origin.as_ref().map(|o| o.source.as_str()),
        reach: Reach::new(
            match &d.origin {
                Some(origin) => origin.groups.iter().map(String::as_str).collect(),
                None => vec![GROUP_ALL],
            },
            &d.applies_to,
            &d.supervision,
        ),
        resolved: resolved.map(Resolved::from),
    }
}

fn profile_artifact<'a>(e: &'a EmittedProfile<'a>) -> ProfileArtifact<'a> {
    let p = e.profile;
    ProfileArtifact {
        kind: "profile",
        identifier: &p.identifier,
        uuid: &e.uuid,
        content_token: &e.content_token,
        path: &e.path,
        payload_types: p.payloads.iter().map(|pl| pl.payload_type).collect(),
        policies: &p.policies,
        reach: Reach::new(vec![p.group.as_str()], &p.applies_to, &p.supervision),
    }
}

fn range(r: &OsRange) -> Range {
    let (min, max) = match r.exactly {
        Some(v) => (v, Some(v)),
        None => (r.min, None),
    };
    Range { platform: r.platform.as_str(), min, max, below: r.below }
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
