//! `ddmc catalog show`: what the committed snapshot offers, per platform.

use super::Catalog;
use crate::model::Platform;

/// One block per platform: its versions (newest first) with builds, release and expiry,
/// device counts and whether `latest` would skip them, then its BSIs.
pub fn render(catalog: &Catalog, platforms: &[Platform]) -> String {
    let mut out = format!("Apple's catalog as of {}", catalog.as_of);
    if let Some(fetched) = &catalog.fetched {
        out.push_str(&format!(" (fetched {fetched}"));
        if let Some(source) = &catalog.source {
            out.push_str(&format!(" from {source}"));
        }
        out.push(')');
    }
    out.push('\n');
    for &platform in platforms {
        let versions = catalog.versions(platform);
        out.push_str(&format!("\n{platform}:\n"));
        if versions.is_empty() {
            out.push_str("  (no versions)\n");
        }
        for v in versions.iter().rev() {
            let builds: Vec<String> = v.builds.iter().map(ToString::to_string).collect();
            let expires = v.expires.map_or("no expiry".to_owned(), |d| format!("expires {d}"));
            let state = match (v.available, v.device_specific(&versions)) {
                (false, _) => " [not available]".to_owned(),
                (true, Some(broader)) => format!(" [device-specific: {broader} serves all its devices]"),
                (true, None) => String::new(),
            };
            out.push_str(&format!(
                "  {:<9} {:<20} released {}, {expires}, {}{state}\n",
                v.version.to_string(),
                builds.join(", "),
                v.release,
                devices(v.devices.len())
            ));
        }
        for e in catalog.security_improvements(platform) {
            let extra = e.extra.map(|x| x.to_string()).unwrap_or_default();
            let base = e.prerequisite_build.as_ref().map(|b| format!(" on build {b}")).unwrap_or_default();
            let state = if e.available(catalog.as_of) { "" } else { " [not available]" };
            out.push_str(&format!(
                "  BSI {} {extra} {}{base}, released {}, {}{state}\n",
                e.version,
                e.build,
                e.posting,
                devices(e.devices_for(platform).len())
            ));
        }
    }
    out
}

fn devices(n: usize) -> String {
    format!("{n} {}", if n == 1 { "device" } else { "devices" })
}
