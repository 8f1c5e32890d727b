//! Apple's facts, read through the generated table: the ones the lowering and its warnings
//! rest on.

use super::*;

fn v(major: u16, minor: u16) -> OsVersion {
    OsVersion::new(major, minor, None)
}

#[test]
fn the_table_is_embedded_and_readable() {
    assert!(table().get(DeclarationType::SoftwareUpdateSettings.as_str()).is_some());
}

#[test]
fn settings_need_ios_18_and_macos_15_and_supervision_on_macos() {
    let mac = declaration(DeclarationType::SoftwareUpdateSettings, Platform::MacOS).expect("macOS");
    assert_eq!((mac.introduced, mac.supervised_only), (v(15, 0), true));
    let ios = declaration(DeclarationType::SoftwareUpdateSettings, Platform::IOS).expect("iOS");
    assert_eq!((ios.introduced, ios.supervised_only), (v(18, 0), false));
    assert_eq!(ios.enrollments, ["supervised", "device"]);
}

#[test]
fn platform_only_keys() {
    assert!(settings_key("AllowStandardUserOSUpdates", Platform::IOS).is_none());
    assert!(settings_key("AllowStandardUserOSUpdates", Platform::MacOS).is_some());
    assert!(settings_key("Deferrals.MajorPeriodInDays", Platform::IOS).is_none());
    assert!(settings_key("Deferrals.CombinedPeriodInDays", Platform::MacOS).is_none());
    assert!(settings_key("RecommendedCadence", Platform::MacOS).is_none());
    assert!(settings_key("RapidSecurityResponse.Enable", Platform::TvOS).is_none());
}

#[test]
fn inherited_supervision_and_later_introduction() {
    let deferral = settings_key("Deferrals.CombinedPeriodInDays", Platform::IOS).expect("iOS");
    assert!(deferral.supervised_only, "inherited from `Deferrals` on iOS");
    assert!(!settings_key("Notifications", Platform::IOS).expect("iOS").supervised_only);
    assert_eq!(settings_key("Beta.ProgramEnrollment", Platform::MacOS).expect("macOS").introduced, v(15, 4));
    assert_eq!(settings_key("Beta.OfferPrograms", Platform::IOS).expect("iOS").introduced, v(18, 0));
}

#[test]
fn enforcement_floors() {
    assert_eq!(
        declaration(DeclarationType::SoftwareUpdateEnforcement, Platform::MacOS).expect("macOS").introduced,
        v(14, 0)
    );
    assert_eq!(
        declaration(DeclarationType::SoftwareUpdateEnforcement, Platform::IOS).expect("iOS").introduced,
        v(17, 0)
    );
}

#[test]
fn later_releases_remove_the_rsr_restrictions() {
    let install =
        key("com.apple.applicationaccess", "allowRapidSecurityResponseInstallation", Platform::IOS).expect("iOS");
    assert_eq!((install.introduced, install.removed), (v(16, 0), Some(v(27, 0))));
    assert!(install.supervised_only);
    assert!(install.at(v(26, 4)) && !install.at(v(27, 0)));
    assert!(install.later_source.is_some());
    let delay = key("com.apple.applicationaccess", "forceDelayedSoftwareUpdates", Platform::MacOS).expect("macOS");
    assert_eq!(delay.deprecated, Some(v(26, 0)));
    let payload = subject("com.apple.SoftwareUpdate", Platform::MacOS).expect("macOS");
    assert_eq!((payload.deprecated, payload.removed), (Some(v(26, 0)), Some(v(27, 0))));
    assert!(subject("com.apple.SoftwareUpdate", Platform::IOS).is_none());
}

#[test]
fn combine_types_and_order() {
    assert_eq!(combine_type(DeclarationType::SoftwareUpdateSettings.as_str(), "Notifications"), Some("boolean-and"));
    assert_eq!(combine_type(DeclarationType::SoftwareUpdateSettings.as_str(), "Beta.OfferPrograms"), Some("set-union"));
    let settings = DeclarationType::SoftwareUpdateSettings.as_str();
    assert!(order(settings, "Notifications") < order(settings, "AllowStandardUserOSUpdates"));
}

/// Apple's `multiple`: a Mac holds one `com.apple.SoftwareUpdate` payload; restrictions
/// payloads may be several.
#[test]
fn single_instance_payloads() {
    assert!(!subject("com.apple.SoftwareUpdate", Platform::MacOS).expect("macOS").multiple);
    assert!(subject("com.apple.applicationaccess", Platform::MacOS).expect("macOS").multiple);
    assert!(subject("com.apple.applicationaccess", Platform::IOS).expect("iOS").multiple);
}
