//! `ddmc.yaml` with templates and environments: the input is `ddmc.yaml`, then a NUL byte,
//! then a policy whose strings may hold `{{ … }}`; compiled in memory once without an
//! environment and once with each environment the file defines (at most three).
#![no_main]

use ddmc::diagnostics::Code;
use ddmc::pipeline::{self, Mode, Options, Sources};
use libfuzzer_sys::fuzz_target;

const POLICY: &str = "id: mac\ndescription: \"Ring {{ ring }}\"\ntargets:\n  platforms: [macOS]\nenforce:\n  - os_version: \"26.4\"\n    deadline: \"{{ deadline_day }}T18:00:00\"\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (project, policy) = text.split_once('\0').unwrap_or((text, POLICY));
    let policies = [("policies/mac.yaml", policy)];
    let secret = |_: &str| None;
    let sources = Sources { project: Some(project), policies: &policies, catalog: None };
    let plain = pipeline::compile_sources(&sources, &Options::new(Mode::Check, &secret))
        .expect("no environment asked for: the repository loads");
    let environments: Vec<String> = plain.project.environments.keys().take(3).cloned().collect();
    for name in std::iter::once(None).chain(environments.iter().map(|n| Some(n.as_str()))) {
        let options = Options { environment: name, ..Options::new(Mode::Check, &secret) };
        let compiled = pipeline::compile_sources(&sources, &options).expect("a defined environment");
        for d in compiled.diagnostics.iter() {
            assert!(d.code != Code::Internal, "internal error: {} {:?}", d.message, d.notes);
        }
    }
});
