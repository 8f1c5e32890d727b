//! The `ScheduleOSUpdate` MDM command, built and checked against what Apple's schema says
//! (`mdm/commands/system.update.schedule.yaml`).

use crate::model::platform::Platform;
use crate::model::version::OsVersion;
use plist::{Dictionary, Value};
use sha2::{Digest, Sha256};

/// `RequestType` of the command.
pub const REQUEST_TYPE: &str = "ScheduleOSUpdate";

/// `UpdatesItem.InstallAction`: exactly Apple's `rangelist`, spelled as Apple spells it, so
/// that an unknown action is a usage error before anything is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InstallAction {
    /// Download or install the update, depending on the current state.
    #[value(name = "Default")]
    Default,
    /// Download the update without installing it.
    #[value(name = "DownloadOnly")]
    DownloadOnly,
    /// iOS, tvOS: install a downloaded update; macOS: download it and start the restart countdown.
    #[value(name = "InstallASAP")]
    InstallAsap,
    /// Download the update and notify the user (macOS only).
    #[value(name = "NotifyOnly")]
    NotifyOnly,
    /// Download the update and install it later (macOS only).
    #[value(name = "InstallLater")]
    InstallLater,
    /// Default, then force a restart if the update requires one; may lose data (macOS only).
    #[value(name = "InstallForceRestart")]
    InstallForceRestart,
}

const fn v(major: u16, minor: u16) -> OsVersion {
    OsVersion::new(major, minor, None)
}

impl InstallAction {
    pub const ALL: [InstallAction; 6] = [
        InstallAction::Default,
        InstallAction::DownloadOnly,
        InstallAction::InstallAsap,
        InstallAction::NotifyOnly,
        InstallAction::InstallLater,
        InstallAction::InstallForceRestart,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InstallAction::Default => "Default",
            InstallAction::DownloadOnly => "DownloadOnly",
            InstallAction::InstallAsap => "InstallASAP",
            InstallAction::NotifyOnly => "NotifyOnly",
            InstallAction::InstallLater => "InstallLater",
            InstallAction::InstallForceRestart => "InstallForceRestart",
        }
    }

    /// Where the action exists, from the "This value is available in …" sentence of each
    /// action in Apple's `InstallAction` description (a unit test re-reads that sentence).
    pub fn support(self) -> &'static [(Platform, OsVersion)] {
        const EVERYWHERE: &[(Platform, OsVersion)] =
            &[(Platform::IOS, v(9, 0)), (Platform::MacOS, v(10, 11)), (Platform::TvOS, v(12, 0))];
        const DOWNLOAD_ONLY: &[(Platform, OsVersion)] =
            &[(Platform::IOS, v(9, 0)), (Platform::MacOS, v(11, 0)), (Platform::TvOS, v(12, 0))];
        const MACOS_10_11: &[(Platform, OsVersion)] = &[(Platform::MacOS, v(10, 11))];
        const MACOS_11: &[(Platform, OsVersion)] = &[(Platform::MacOS, v(11, 0))];
        match self {
            InstallAction::Default | InstallAction::InstallAsap => EVERYWHERE,
            InstallAction::DownloadOnly => DOWNLOAD_ONLY,
            InstallAction::NotifyOnly | InstallAction::InstallLater => MACOS_10_11,
            InstallAction::InstallForceRestart => MACOS_11,
        }
    }

    /// The platforms, for messages: `macOS` or `iOS, macOS and tvOS`.
    fn platforms(self) -> String {
        let names: Vec<&str> = self.support().iter().map(|(platform, _)| platform.as_str()).collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => names.join(""),
        }
    }
}

/// Whether `action` exists on the device. `platform` is `None` when the response does not
/// tell; then only actions that every platform has are safe, since a device rejects the rest.
pub fn check_action(action: InstallAction, platform: Option<Platform>, version: OsVersion) -> Result<(), String> {
    let name = action.as_str();
    let everywhere: Vec<&str> =
        InstallAction::ALL.iter().filter(|a| a.support().len() == 3).map(|a| a.as_str()).collect();
    let Some(platform) = platform else {
        if action.support().len() == 3 {
            return Ok(());
        }
        return Err(format!(
            "`{name}` exists only on {} (Apple, ScheduleOSUpdate `InstallAction`), and the response does not \
             tell this device's platform (no `ProductName`, no macOS-only key); use {}",
            action.platforms(),
            everywhere.join(", ")
        ));
    };
    match action.support().iter().find(|(p, _)| *p == platform) {
        None => Err(format!(
            "`{name}` exists only on {} (Apple, ScheduleOSUpdate `InstallAction`), and this response comes \
             from a device running {platform}; use {}",
            action.platforms(),
            everywhere.join(", ")
        )),
        Some((_, introduced)) if version < *introduced => Err(format!(
            "`{name}` needs {platform} {introduced} or later (Apple, ScheduleOSUpdate `InstallAction`), and the \
             update is for {platform} {version}"
        )),
        Some(_) => Ok(()),
    }
}

/// The whole MDM command: `Command` (`RequestType`, `Updates`) and `CommandUUID`, keys in
/// alphabetical order as Apple writes them.
///
/// Only `ProductKey` and `InstallAction` go into the update: Apple rules out `ProductVersion`
/// for RSRs, and `MaxUserDeferrals` and `Priority` apply to minor OS updates only.
pub fn build(product_key: &str, action: InstallAction) -> Value {
    let mut update = Dictionary::new();
    update.insert("InstallAction".into(), Value::String(action.as_str().into()));
    update.insert("ProductKey".into(), Value::String(product_key.into()));
    let mut command = Dictionary::new();
    command.insert("RequestType".into(), Value::String(REQUEST_TYPE.into()));
    command.insert("Updates".into(), Value::Array(vec![Value::Dictionary(update)]));
    let mut envelope = Dictionary::new();
    envelope.insert("Command".into(), Value::Dictionary(command));
    envelope.insert("CommandUUID".into(), Value::String(command_uuid(product_key, action)));
    Value::Dictionary(envelope)
}

/// A name-based UUID of the product key and the action, so the same input always gives the
/// same file (reviewable diffs, and an MDM that keys its queue on `CommandUUID` does not queue
/// the same command twice). The bytes are the first 16 of SHA-256, with the version nibble set
/// to 8 and the RFC 9562 variant bits: the layout RFC 9562 gives for a name-based UUID over a
/// hash other than SHA-1. Upper case, as `uuidgen` on a Mac prints.
pub fn command_uuid(product_key: &str, action: InstallAction) -> String {
    let mut hasher = Sha256::new();
    for part in ["ddmc legacy schedule", REQUEST_TYPE, product_key, action.as_str()] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    for (byte, hashed) in bytes.iter_mut().zip(digest.iter()) {
        *byte = *hashed;
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// The command as an XML plist, ending with a newline.
pub fn to_xml(command: &Value) -> Result<Vec<u8>, plist::Error> {
    let mut xml = Vec::new();
    command.to_writer_xml(&mut xml)?;
    if !xml.ends_with(b"\n") {
        xml.push(b'\n');
    }
    Ok(xml)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    const SCHEMA: &str = "../shared/reference/apple-device-management/mdm/commands/system.update.schedule.yaml";

    /// The `InstallAction` part of Apple's YAML, or `None` (with a message) when the reference
    /// copy is absent.
    fn install_action_yaml() -> Option<String> {
        let Ok(text) = std::fs::read_to_string(SCHEMA) else {
            assert!(std::env::var("CI").is_err(), "{SCHEMA} is absent, and CI requires it");
            eprintln!("skipped: {SCHEMA} is absent");
            return None;
        };
        let start = text.find("- key: InstallAction")?;
        let end = text[start..].find("- key: MaxUserDeferrals").map_or(text.len(), |end| start + end);
        Some(text[start..end].to_owned())
    }

    #[test]
    fn actions_are_apples_rangelist() {
        let Some(yaml) = install_action_yaml() else { return };
        let rangelist: Vec<&str> = yaml
            .lines()
            .skip_while(|line| line.trim() != "rangelist:")
            .skip(1)
            .map_while(|line| line.trim().strip_prefix("- "))
            .collect();
        let ours: Vec<String> = InstallAction::value_variants()
            .iter()
            .filter_map(|a| a.to_possible_value())
            .map(|v| v.get_name().to_owned())
            .collect();
        assert_eq!(rangelist, ours);
        assert!(InstallAction::ALL.iter().all(|a| ours.contains(&a.as_str().to_owned())));
    }

    #[test]
    fn support_is_apples_sentence() {
        let Some(yaml) = install_action_yaml() else { return };
        let sentence =
            regex::Regex::new(r"\* '(\w+)': .*This value is available in (.*) and later\.").expect("valid regex");
        let clause = regex::Regex::new(r"(iOS|macOS|tvOS) ([0-9.]+)").expect("valid regex");
        let mut seen = 0;
        for found in sentence.captures_iter(&yaml) {
            let action = InstallAction::ALL.into_iter().find(|a| a.as_str() == &found[1]).expect("an action we know");
            let mut apple: Vec<(Platform, OsVersion)> = clause
                .captures_iter(&found[2])
                .map(|c| {
                    let platform = Platform::ALL.into_iter().find(|p| p.as_str() == &c[1]).expect("a platform we know");
                    let version = if c[2].contains('.') { c[2].to_owned() } else { format!("{}.0", &c[2]) };
                    (platform, version.parse().expect("an OS version"))
                })
                .collect();
            let mut ours = action.support().to_vec();
            apple.sort();
            ours.sort();
            assert_eq!(apple, ours, "{}", action.as_str());
            seen += 1;
        }
        assert_eq!(seen, InstallAction::ALL.len());
    }

    #[test]
    fn platform_rules() {
        let mac = Some(Platform::MacOS);
        let ios = Some(Platform::IOS);
        assert!(check_action(InstallAction::InstallForceRestart, mac, v(13, 3)).is_ok());
        assert!(check_action(InstallAction::InstallForceRestart, ios, v(16, 5)).is_err());
        assert!(check_action(InstallAction::InstallForceRestart, mac, v(10, 15)).is_err());
        assert!(check_action(InstallAction::NotifyOnly, None, v(13, 3)).is_err());
        assert!(check_action(InstallAction::InstallAsap, None, v(13, 3)).is_ok());
        assert_eq!(InstallAction::DownloadOnly.platforms(), "iOS, macOS and tvOS");
        assert_eq!(InstallAction::NotifyOnly.platforms(), "macOS");
    }

    #[test]
    fn uuid_is_stable_and_well_formed() {
        let uuid = command_uuid("MSU_UPDATE_22E772610a_patch_13.3.1_rsr", InstallAction::Default);
        assert_eq!(uuid, command_uuid("MSU_UPDATE_22E772610a_patch_13.3.1_rsr", InstallAction::Default));
        assert_ne!(uuid, command_uuid("MSU_UPDATE_22E772610a_patch_13.3.1_rsr", InstallAction::InstallAsap));
        let re = regex::Regex::new(r"^[0-9A-F]{8}-[0-9A-F]{4}-8[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$")
            .expect("valid regex");
        assert!(re.is_match(&uuid), "{uuid}");
    }
}
