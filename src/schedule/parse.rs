//! Reading a device's answer to the `AvailableOSUpdates` MDM command into typed
//! [`AvailableUpdate`]s.
//!
//! MDM servers hand these answers around in whatever form they store them: the XML plist the
//! device sent, a binary plist, or JSON from a server's API. [`crate::device_file`] reads all
//! three (bounded, with positions) and the tree becomes one [`plist::Value`], so that every
//! check below is written once. Every problem names
//! the key path (`AvailableOSUpdates[1].ProductKey`), because the files are long and admins
//! need to find the entry a message is about.

use crate::device_file::{self, DeviceFile, Failure, Format};
use plist::{Dictionary, Value};
use std::fmt;

/// The key that holds the list in a whole MDM response (Apple: `responsekeys` of
/// `system.update.available.yaml`).
pub const LIST_KEY: &str = "AvailableOSUpdates";

/// Keys Apple marks `macOS` only in an `AvailableOSUpdatesItem` (`introduced: n/a` on iOS and
/// tvOS): their presence tells a Mac's answer from an iPhone's when `ProductName` is absent.
const MACOS_ONLY_KEYS: [&str; 5] =
    ["HumanReadableNameLocale", "MetadataURL", "AppIdentifiersToClose", "IsConfigDataUpdate", "IsFirmwareUpdate"];

/// A problem in the file's content, at a key path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputError {
    /// Neither an XML plist, a binary plist nor JSON, or broken as one of them.
    Format(String),
    /// A key is missing, has the wrong type or an invalid value.
    Key { path: String, message: String },
    /// The device did not answer the command (`Status` other than `Acknowledged`).
    DeviceStatus(String),
}

impl InputError {
    pub(super) fn key(path: impl Into<String>, message: impl Into<String>) -> Self {
        InputError::Key { path: path.into(), message: message.into() }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Format(detail) => f.write_str(detail),
            InputError::Key { path, message } => write!(f, "`{path}`: {message}"),
            InputError::DeviceStatus(status) => write!(
                f,
                "the device answered with `Status` `{status}`, not `Acknowledged`, so the response lists no updates"
            ),
        }
    }
}

/// One entry of `AvailableOSUpdates`, with the keys ddmc reads, type-checked.
///
/// Versions stay text here: only security responses need them parsed (see `select`), and an
/// ordinary update with an odd `Version` must not stop an admin from scheduling an RSR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvailableUpdate {
    /// Where the entry sits in the file, such as `AvailableOSUpdates[1]`, for messages.
    pub path: String,
    pub product_key: Option<String>,
    pub human_readable_name: Option<String>,
    /// `iOS` or `tvOS`; Apple never sends it from a Mac.
    pub product_name: Option<String>,
    pub version: Option<String>,
    pub build: Option<String>,
    /// Absent on devices older than the RSR era, which is the same as `false`.
    pub is_security_response: bool,
    pub supplemental_build_version: Option<String>,
    /// `(a)`: the only place the letter of a security response may be read from.
    pub supplemental_os_version_extra: Option<String>,
    /// Whether a key that only Macs send is present.
    pub has_macos_only_keys: bool,
}

impl AvailableUpdate {
    /// The path of one of this entry's keys.
    pub fn key_path(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// How the entry is named in a list for the admin: the product key, else its name.
    pub fn describe(&self) -> String {
        let name = self
            .product_key
            .as_deref()
            .or(self.human_readable_name.as_deref())
            .map_or_else(|| format!("`{}` (no ProductKey)", self.path), |name| format!("`{name}`"));
        match (&self.version, &self.build) {
            (Some(version), Some(build)) => format!("{name} ({version}, {build})"),
            (Some(only), None) | (None, Some(only)) => format!("{name} ({only})"),
            (None, None) => name,
        }
    }
}

/// The formats an `AvailableOSUpdates` answer comes in.
pub const FORMATS: [Format; 3] = [Format::XmlPlist, Format::BinaryPlist, Format::Json];

/// Reads the file's bytes into a tree; `file` names it in diagnostics.
pub fn decode(file: &str, bytes: &[u8]) -> Result<DeviceFile, Failure> {
    device_file::parse(file, bytes, &FORMATS, "an AvailableOSUpdates response")
}

/// The list of updates in a decoded file.
pub fn updates(root: &crate::parse::Node) -> Result<Vec<AvailableUpdate>, InputError> {
    let root = device_file::to_plist(root)
        .map_err(|path| InputError::key(shown_path(&path), "expected a value, found `null`"))?;
    let (items, prefix) = update_list(&root)?;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let path = format!("{prefix}[{index}]");
            match item {
                Value::Dictionary(dict) => read_update(path, dict),
                other => Err(InputError::key(path, format!("expected a dictionary, found {}", kind(other)))),
            }
        })
        .collect()
}

/// Decodes `bytes` and reads its list of updates (for tests: a decoding failure is a
/// [`InputError::Format`] with the diagnostic's message).
pub fn parse_response(bytes: &[u8]) -> Result<Vec<AvailableUpdate>, InputError> {
    let file = decode("response", bytes).map_err(|f| InputError::Format(f.diagnostic.message))?;
    updates(&file.root)
}

/// The list of updates and the path prefix of its entries: a whole MDM response (a
/// dictionary with `AvailableOSUpdates`), or the bare array that some servers store.
fn update_list(root: &Value) -> Result<(&[Value], &'static str), InputError> {
    match root {
        Value::Array(items) => Ok((items, "")),
        Value::Dictionary(dict) => {
            if let Some(status) = dict.get("Status") {
                let status = status
                    .as_string()
                    .ok_or_else(|| InputError::key("Status", format!("expected a string, found {}", kind(status))))?;
                if status != "Acknowledged" {
                    return Err(InputError::DeviceStatus(status.to_owned()));
                }
            }
            match dict.get(LIST_KEY) {
                Some(Value::Array(items)) => Ok((items, LIST_KEY)),
                Some(other) => Err(InputError::key(LIST_KEY, format!("expected an array, found {}", kind(other)))),
                None => Err(InputError::key(
                    LIST_KEY,
                    "missing: an AvailableOSUpdates response holds its updates in this array",
                )),
            }
        }
        other => Err(InputError::key(
            "(top level)",
            format!("expected a dictionary with `{LIST_KEY}` or an array of updates, found {}", kind(other)),
        )),
    }
}

/// Reads the keys ddmc uses from one entry; keys it does not use are not checked, so that
/// a new key from Apple never breaks scheduling.
fn read_update(path: String, dict: &Dictionary) -> Result<AvailableUpdate, InputError> {
    let string = |key: &str| optional_string(dict, key, &path);
    Ok(AvailableUpdate {
        product_key: string("ProductKey")?,
        human_readable_name: string("HumanReadableName")?,
        product_name: string("ProductName")?,
        version: string("Version")?,
        build: string("Build")?,
        is_security_response: optional_bool(dict, "IsSecurityResponse", &path)?.unwrap_or(false),
        supplemental_build_version: string("SupplementalBuildVersion")?,
        supplemental_os_version_extra: string("SupplementalOSVersionExtra")?,
        has_macos_only_keys: MACOS_ONLY_KEYS.iter().any(|key| dict.contains_key(key)),
        path,
    })
}

fn optional_string(dict: &Dictionary, key: &str, path: &str) -> Result<Option<String>, InputError> {
    match dict.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => {
            Err(InputError::key(format!("{path}.{key}"), format!("expected a string, found {}", kind(other))))
        }
    }
}

fn optional_bool(dict: &Dictionary, key: &str, path: &str) -> Result<Option<bool>, InputError> {
    match dict.get(key) {
        None => Ok(None),
        Some(Value::Boolean(b)) => Ok(Some(*b)),
        Some(other) => Err(InputError::key(
            format!("{path}.{key}"),
            format!("expected a boolean (`<true/>` or `<false/>`, JSON `true` or `false`), found {}", kind(other)),
        )),
    }
}

/// A value's type as a message names it, with the value when it is short enough to help.
fn kind(value: &Value) -> String {
    match value {
        Value::Array(_) => "an array".into(),
        Value::Dictionary(_) => "a dictionary".into(),
        Value::Boolean(b) => format!("the boolean `{b}`"),
        Value::Data(_) => "data".into(),
        Value::Date(_) => "a date".into(),
        Value::Real(r) => format!("the real number `{r}`"),
        Value::Integer(i) => format!("the integer `{i}`"),
        Value::String(s) if s.chars().count() <= 40 => format!("the string `{}`", s.escape_debug()),
        Value::String(_) => "a string".into(),
        Value::Uid(_) => "a UID".into(),
        _ => "an unknown plist value".into(),
    }
}

fn shown_path(path: &str) -> String {
    if path.is_empty() { "(top level)".into() } else { path.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_error(bytes: &[u8]) -> (String, String) {
        match parse_response(bytes) {
            Err(InputError::Key { path, message }) => (path, message),
            other => panic!("expected a key error, got {other:?}"),
        }
    }

    #[test]
    fn json_and_plist_read_alike() {
        let json = br#"{"Status": "Acknowledged", "AvailableOSUpdates": [
            {"ProductKey": "K", "Version": "13.3.1", "IsSecurityResponse": true, "DeferredUntil": null,
             "SupplementalOSVersionExtra": "(a)", "MetadataURL": "https://example.com"}]}"#;
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>AvailableOSUpdates</key><array><dict>
<key>ProductKey</key><string>K</string><key>Version</key><string>13.3.1</string>
<key>IsSecurityResponse</key><true/><key>SupplementalOSVersionExtra</key><string>(a)</string>
<key>MetadataURL</key><string>https://example.com</string>
</dict></array><key>Status</key><string>Acknowledged</string></dict></plist>"#;
        let from_json = parse_response(json).expect("JSON parses");
        assert_eq!(from_json, parse_response(xml).expect("XML parses"));
        assert!(from_json[0].is_security_response && from_json[0].has_macos_only_keys);
        assert_eq!(from_json[0].path, "AvailableOSUpdates[0]");
    }

    #[test]
    fn bare_array_paths_have_no_prefix() {
        let (path, message) = key_error(br#"[{"ProductKey": "K"}, {"ProductKey": 7}]"#);
        assert_eq!(path, "[1].ProductKey");
        assert_eq!(message, "expected a string, found the integer `7`");
    }

    #[test]
    fn wrong_types_name_the_path() {
        assert_eq!(key_error(br#"{"AvailableOSUpdates": {}}"#).0, "AvailableOSUpdates");
        assert_eq!(key_error(br#"{"AvailableOSUpdates": [3]}"#).0, "AvailableOSUpdates[0]");
        assert_eq!(
            key_error(br#"{"AvailableOSUpdates": [{"IsSecurityResponse": "yes"}]}"#).0,
            "AvailableOSUpdates[0].IsSecurityResponse"
        );
        assert_eq!(key_error(br#"[null]"#).0, "[0]");
        assert_eq!(key_error(b"<plist><string>x</string></plist>").0, "(top level)");
        assert_eq!(key_error(br#"{"Status": "Acknowledged"}"#).0, "AvailableOSUpdates");
    }

    fn format_error(bytes: &[u8]) -> String {
        match parse_response(bytes) {
            Err(InputError::Format(message)) => message,
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    #[test]
    fn hostile_shapes_are_rejected_without_overflow() {
        let deep = |open: &str, close: &str, n: usize| format!("{}{}", open.repeat(n), close.repeat(n));
        let xml = format!("<plist version=\"1.0\">{}</plist>", deep("<array>", "</array>", 100_000));
        assert!(format_error(xml.as_bytes()).contains("nested more than 100 levels deep (the limit)"));
        assert!(format_error(deep("[", "]", 100_000).as_bytes()).contains("nested too deeply"));
        // 40 arrays, each holding the next one twice: 2^40 values from 150 bytes.
        let binary = crate::device_file::shared_references_plist(40, 2);
        assert!(format_error(&binary).starts_with("the file holds more than 1000000 values"));
    }

    #[test]
    fn device_errors_and_garbage_are_reported() {
        assert_eq!(
            parse_response(br#"{"Status": "Error", "ErrorChain": []}"#),
            Err(InputError::DeviceStatus("Error".into()))
        );
        for garbage in [&b""[..], b"  \n", b"hello", b"bplist00\xff", b"<plist><dict>", b"{\"a\": ", b"\xff\xfe"] {
            assert!(matches!(parse_response(garbage), Err(InputError::Format(_))), "{garbage:?}");
        }
    }
}
