//! Status reports and DeviceInformation responses (`ddmc status check`): JSON, XML or binary
//! plists, parsed, then judged against a few enforcement targets.
#![no_main]

use ddmc::model::Platform;
use ddmc::status::compliance::{Target, evaluate};
use libfuzzer_sys::fuzz_target;

fn target(platform: Platform, os: &str, build: Option<&str>, supplemental: bool) -> Target {
    Target {
        platform,
        os_version: os.parse().expect("version"),
        build: build.map(|b| b.parse().expect("build")),
        supplemental,
        deadline: "2026-04-01T18:00:00".parse().ok(),
        policy: "fuzz".into(),
        source: "policies/fuzz.yaml".into(),
        identifiers: vec!["com.example.fuzz.enforcement.1".into()],
        reaches: true,
        reached_from: None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(device) = ddmc::status::report::parse(data) else { return };
    let targets = [
        target(Platform::MacOS, "26.4", None, false),
        target(Platform::MacOS, "26.3.1", Some("25D771280a"), true),
        target(Platform::IOS, "18.7.6", Some("22H300"), false),
    ];
    for t in &targets {
        for now in [None, "2026-06-01T12:00:00".parse().ok()] {
            std::hint::black_box(format!("{:?}", evaluate(t, &device, now)));
        }
    }
});
