//! `ddmc lint` of XML property lists: a configuration profile (`.mobileconfig`) and a bare
//! payload dictionary (`.xml`), without and with a device to check applicability for.
#![no_main]

use ddmc::lint::{self, Options};
use ddmc::model::Platform;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let device = Options { platform: Some(Platform::MacOS), os: "14.6".parse().ok(), ..Options::default() };
    for name in ["profile.mobileconfig", "payload.xml"] {
        for options in [Options::default(), device] {
            let report = lint::lint_sources(&[(name, data)], &options);
            std::hint::black_box(report.diagnostics.iter().count());
        }
    }
});
