//! `ddmc lint` of JSON declarations: up to four files (the input split at NUL bytes), linted
//! together (duplicate Identifiers, activations naming missing configurations), without and
//! with a device to check applicability for.
#![no_main]

use ddmc::lint::{self, Enrollment, Options, ServerTokens};
use ddmc::model::Platform;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let names = ["a.json", "b.json", "c.json", "d.json"];
    let files: Vec<(&str, &[u8])> = data.split(|b| *b == 0).take(4).enumerate().map(|(i, f)| (names[i], f)).collect();
    let device = Options {
        platform: Some(Platform::IOS),
        os: "18.2".parse().ok(),
        enrollment: Some(Enrollment::User),
        server_tokens: ServerTokens::Optional,
    };
    for options in [Options::default(), device] {
        let report = lint::lint_sources(&files, &options);
        std::hint::black_box(report.diagnostics.iter().count());
    }
});
