//! Apple's catalog file (`apple-catalog.json`: ddmc's wrapper, a SOFA cache, or GDMF's pmv
//! as served): parsed, every query asked of it, shown, and a repository of policies that
//! use `latest`, BSI `latest`, relative deadlines and explicit targets resolved against it.
#![no_main]

use ddmc::catalog;
use ddmc::diagnostics::Code;
use ddmc::model::Platform;
use ddmc::pipeline::{self, Mode, Options, Sources};
use libfuzzer_sys::fuzz_target;

const MAC: &str = "id: mac\ntargets:\n  platforms: [macOS]\nenforce:\n  - os_version: latest\n    below: \"27\"\n    background_security_improvement: latest\n    deadline: {days_after_release: 5, time: \"10:00:00\", skip_weekends: true}\n  - os_version: latest\n    major: 15\n    deadline: {days_after_release: 365}\n  - os_version: \"26.3.1\"\n    build_version: \"25D771280a\"\n    deadline: \"2026-12-01T18:00:00\"\n";
const IOS: &str = "id: ios\ntargets:\n  platforms: [iOS]\nenforce:\n  - os_version: latest\n    deadline: {days_after_release: 0}\n  - os_version: \"18.7.6\"\n    deadline: {days_after_release: 14, skip_weekends: true}\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(parsed) = catalog::parse(text) else { return };
    let v = |s: &str| s.parse().expect("version");
    for platform in Platform::ALL {
        std::hint::black_box(parsed.versions(platform).len());
        for (major, below) in [(None, None), (Some(26), None), (Some(15), None), (None, Some(v("27.0")))] {
            std::hint::black_box(parsed.latest(platform, major, below).is_ok());
        }
        for version in ["26.3.1", "18.7.6", "15.7.4"] {
            std::hint::black_box(format!("{:?}", parsed.check_version(platform, v(version))));
            std::hint::black_box(parsed.latest_security_improvement(platform, v(version)).is_some());
            let build = "25D771280a".parse().expect("build");
            std::hint::black_box(parsed.check_build(platform, v(version), &build));
        }
    }
    std::hint::black_box(catalog::show::render(&parsed, &Platform::ALL).len());
    let policies = [("policies/mac.yaml", MAC), ("policies/ios.yaml", IOS)];
    let sources = Sources { project: None, policies: &policies, catalog: Some(text) };
    let secret = |_: &str| None;
    let now = "2026-06-01T12:00:00".parse().ok();
    let options = Options { now, ..Options::new(Mode::Build, &secret) };
    let compiled = pipeline::compile_sources(&sources, &options).expect("loads");
    for d in compiled.diagnostics.iter() {
        assert!(d.code != Code::Internal, "internal error: {} {:?}", d.message, d.notes);
    }
});
