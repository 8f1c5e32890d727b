//! Custom `format` checks: the domain parsers are the single source of truth, so the schema
//! accepts exactly what the model can deserialise.

use crate::model::{BuildVersion, LocalDateTime, OsVersion, TimeOfDay};
use std::str::FromStr;

type Check = fn(&str) -> bool;

pub const CHECKS: &[(&str, Check)] = &[
    ("os-version", |s| OsVersion::from_str(s).is_ok()),
    ("build-version", |s| BuildVersion::from_str(s).is_ok()),
    ("local-date-time", |s| LocalDateTime::from_str(s).is_ok()),
    ("uri", |s| web_url(s).is_ok()),
    ("time-of-day", |s| TimeOfDay::from_str(s).is_ok()),
    ("major-or-version", |s| major_or_version(s).is_ok()),
];

/// The explanation for a value that fails `format`, with a fix where one is clear.
pub fn explain(format: &str, value: &str) -> (String, Option<String>) {
    let error = match format {
        "os-version" => OsVersion::from_str(value).err().map(|e| (e.message, e.help.or_else(|| latest_typo(value)))),
        "build-version" => BuildVersion::from_str(value).err().map(|e| (e.message, e.help)),
        "local-date-time" => LocalDateTime::from_str(value).err().map(|e| (e.message, e.help)),
        "uri" => web_url(value).err(),
        "time-of-day" => TimeOfDay::from_str(value).err().map(|e| (e.message, e.help)),
        "major-or-version" => major_or_version(value).err(),
        _ => None,
    };
    error.unwrap_or_else(|| (format!("`{value}` is not a valid {format}"), None))
}

/// The corrected value for `value`, when the format's parser offers one ("write `26.0`"),
/// or `value` itself when it is already valid.
pub fn fix(format: &str, value: &str) -> Option<String> {
    let (_, help) = match CHECKS.iter().find(|(name, _)| *name == format) {
        Some((_, check)) if check(value) => return Some(value.to_string()),
        _ => explain(format, value),
    };
    let help = help?;
    let fixed = help.strip_prefix("write `")?.split('`').next()?;
    CHECKS.iter().any(|(name, check)| *name == format && check(fixed)).then(|| fixed.to_string())
}

/// `DetailsURL` is "the URL of a web page" shown to users: https (as the messages say), a
/// host, no spaces.
fn web_url(s: &str) -> Result<(), (String, Option<String>)> {
    if let Some(rest) = s.strip_prefix("http://") {
        return Err((
            format!("`{s}` is not secure: it must start with `https://`"),
            Some(format!("write `https://{rest}`")),
        ));
    }
    let Some(rest) = s.strip_prefix("https://") else {
        let help = (!s.contains("://")).then(|| format!("write `https://{s}`"));
        return Err((format!("`{s}` is not a web address: it must start with `https://`"), help));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() {
        return Err((format!("`{s}` has no host name"), None));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err((format!("`{s}` contains spaces"), Some("encode spaces as `%20`".into())));
    }
    Ok(())
}

/// `below`: a major alone (`27`, read as 27.0) or a version.
fn major_or_version(s: &str) -> Result<(), (String, Option<String>)> {
    let full = if s.contains('.') { s.to_owned() } else { format!("{s}.0") };
    OsVersion::from_str(&full)
        .map(|_| ())
        .map_err(|e| (format!("`{s}` is not an OS major or version (`27`, `26.4`)"), e.help))
}

/// `lates`, `Latest`: `os_version` also takes the word `latest`.
fn latest_typo(value: &str) -> Option<String> {
    let word = crate::model::target::LATEST;
    crate::diagnostics::suggest::did_you_mean(&value.to_ascii_lowercase(), [word])
        .or_else(|| (value.eq_ignore_ascii_case(word)).then_some(word))
        .map(|w| format!("write `{w}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixes_are_valid_values() {
        assert_eq!(fix("os-version", "26").as_deref(), Some("26.0"));
        assert_eq!(fix("os-version", "26.1").as_deref(), Some("26.1"));
        assert_eq!(fix("os-version", "x"), None);
    }

    #[test]
    fn web_urls() {
        assert!(web_url("https://it.example.com/updates").is_ok());
        let (message, help) = web_url("http://intranet/x").expect_err("plain http");
        assert_eq!(message, "`http://intranet/x` is not secure: it must start with `https://`");
        assert_eq!(help.as_deref(), Some("write `https://intranet/x`"));
        let (message, help) = web_url("it.example.com/updates").expect_err("no scheme");
        assert!(message.contains("https://"), "{message}");
        assert_eq!(help.as_deref(), Some("write `https://it.example.com/updates`"));
        assert!(web_url("https://").is_err());
        assert!(web_url("https://a b").is_err());
        assert!(web_url("mailto:it@example.com").is_err());
    }
}
