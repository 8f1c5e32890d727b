//! Reading a catalog file: Apple's GDMF `pmv` response verbatim, ddmc's wrapper
//! `{"fetched", "source", "pmv"}`, or SOFA's cache `{"etag", "data"}` (accepted so that a
//! SOFA mirror can seed `ddmc catalog update --from`).

use super::{AssetSet, Catalog, CatalogError, Entry};
use crate::limits::MAX_CATALOG_BYTES;
use crate::model::{BuildVersion, Extra, OsVersion};
use jiff::civil::Date;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Pmv {
    #[serde(default)]
    public_asset_sets: BTreeMap<String, Vec<RawEntry>>,
    #[serde(default)]
    asset_sets: BTreeMap<String, Vec<RawEntry>>,
    /// Apple's current name; `PublicRapidSecurityResponses` before October 2025.
    #[serde(default, alias = "PublicRapidSecurityResponses")]
    public_background_security_improvements: BTreeMap<String, Vec<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawEntry {
    product_version: String,
    build: String,
    posting_date: String,
    #[serde(default)]
    expiration_date: Option<String>,
    #[serde(default)]
    supported_devices: Vec<String>,
    #[serde(default)]
    product_version_extra: Option<String>,
    #[serde(default)]
    prerequisite_build: Option<String>,
}

/// ddmc's wrapper, as `ddmc catalog update` writes it.
#[derive(Deserialize)]
struct Wrapper {
    fetched: String,
    #[serde(default)]
    source: Option<String>,
    pmv: Pmv,
}

#[derive(Deserialize)]
struct SofaCache {
    data: Pmv,
}

/// Parses a catalog file's text.
pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
    if text.len() > MAX_CATALOG_BYTES {
        return Err(CatalogError::new(format!(
            "the catalog is {} bytes; ddmc reads at most {MAX_CATALOG_BYTES}",
            text.len()
        )));
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| CatalogError::new(format!("not JSON: {e}")).at(e.line(), e.column()))?;
    let shape = |e: serde_json::Error| CatalogError::new(format!("not a GDMF catalog: {e}"));
    if !value.is_object() {
        return Err(CatalogError::new("not a GDMF catalog: expected a JSON object".into()));
    }
    let (pmv, fetched, source) = if value.get("pmv").is_some() {
        let w: Wrapper = serde_json::from_value(value).map_err(shape)?;
        let fetched = fetched_date(&w.fetched)?;
        (w.pmv, Some((w.fetched, fetched)), w.source)
    } else if value.get("data").is_some() {
        let s: SofaCache = serde_json::from_value(value).map_err(shape)?;
        (s.data, None, None)
    } else {
        (serde_json::from_value::<Pmv>(value).map_err(shape)?, None, None)
    };
    let mut entries = Vec::new();
    for (set, lists) in [
        (AssetSet::Public, pmv.public_asset_sets),
        (AssetSet::All, pmv.asset_sets),
        (AssetSet::SecurityImprovement, pmv.public_background_security_improvements),
    ] {
        for (platform_key, list) in lists {
            for raw in list {
                if let Some(entry) = entry(set, &platform_key, raw)? {
                    entries.push(entry);
                }
            }
        }
    }
    if entries.is_empty() {
        return Err(CatalogError::new("the catalog lists no OS versions".into()));
    }
    entries.sort();
    let newest_posting = entries.iter().map(|e| e.posting).max().unwrap_or_default();
    Ok(Catalog {
        as_of: fetched.as_ref().map_or(newest_posting, |(_, date)| *date),
        fetched: fetched.map(|(text, _)| text),
        source,
        entries,
    })
}

/// `2026-03-20T06:00:00Z` -> its UTC date.
fn fetched_date(text: &str) -> Result<Date, CatalogError> {
    let timestamp: jiff::Timestamp = text.parse().map_err(|_| {
        CatalogError::new(format!(
            "`fetched` must be an RFC 3339 UTC time such as `2026-03-20T06:00:00Z`, found `{text}`"
        ))
    })?;
    Ok(timestamp.to_zoned(jiff::tz::TimeZone::UTC).date())
}

fn date(text: &str, what: &str, version: &str) -> Result<Date, CatalogError> {
    text.parse::<Date>().map_err(|_| {
        CatalogError::new(format!("{what} of {version} must be a date such as `2026-03-11`, found `{text}`"))
    })
}

/// One entry, or `None` for an entry ddmc has no platform for (Apple Watch, HomePod).
fn entry(set: AssetSet, platform_key: &str, raw: RawEntry) -> Result<Option<Entry>, CatalogError> {
    let RawEntry {
        product_version,
        build,
        posting_date,
        expiration_date,
        supported_devices,
        product_version_extra,
        prerequisite_build,
    } = raw;
    let Ok(version) = product_version.parse::<OsVersion>() else {
        // watchOS and audioOS versions share the `iOS` list; ddmc's platforms all parse.
        return Ok(None);
    };
    let Ok(build_version) = build.parse::<BuildVersion>() else { return Ok(None) };
    let extra = match (set, product_version_extra) {
        (AssetSet::SecurityImprovement, Some(extra)) => Some(Extra::parse_parenthesised(&extra).map_err(|e| {
            CatalogError::new(format!("`ProductVersionExtra` of {product_version} ({build}): {}", e.message))
        })?),
        (AssetSet::SecurityImprovement, None) => {
            return Err(CatalogError::new(format!(
                "the Background Security Improvement {build} has no `ProductVersionExtra`"
            )));
        }
        _ => None,
    };
    Ok(Some(Entry {
        set,
        platform_key: platform_key.to_owned(),
        version,
        build: build_version,
        extra,
        prerequisite_build: prerequisite_build.and_then(|b| b.parse().ok()),
        posting: date(&posting_date, "`PostingDate`", &product_version)?,
        expiration: expiration_date.as_deref().map(|d| date(d, "`ExpirationDate`", &product_version)).transpose()?,
        devices: supported_devices,
    }))
}
