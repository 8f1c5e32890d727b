//! Policy parsing and compilation: up to four policy files (the input split at NUL bytes;
//! JSON when a part starts with `{`), compiled with a fixed `ddmc.yaml` and a small catalog,
//! entirely in memory. Any input may be rejected with diagnostics; none may panic, hang or
//! make ddmc report an internal error (a declaration its own Apple-schema check refuses).
#![no_main]

use ddmc::diagnostics::Code;
use ddmc::pipeline::{self, Mode, Options, Sources};
use libfuzzer_sys::fuzz_target;

const PROJECT: &str = "organization:\n  name: Fuzz\n  identifier_prefix: com.example.fuzz\n";

/// A few macOS and iOS versions with a BSI, so that `latest` and relative deadlines resolve.
const CATALOG: &str = r#"{"fetched": "2026-03-20T06:00:00Z", "source": "https://gdmf.apple.com/v2/pmv", "pmv": {
 "PublicAssetSets": {
  "macOS": [
   {"ProductVersion": "26.3.1", "Build": "25D771", "PostingDate": "2026-03-11", "ExpirationDate": "2026-06-15", "SupportedDevices": ["J413AP", "Mac-1"]},
   {"ProductVersion": "26.3", "Build": "25D125", "PostingDate": "2026-02-11", "ExpirationDate": "2026-06-15", "SupportedDevices": ["J413AP", "Mac-1"]},
   {"ProductVersion": "15.7.4", "Build": "24G517", "PostingDate": "2026-03-11", "SupportedDevices": ["J413AP"]}],
  "iOS": [
   {"ProductVersion": "26.3.1", "Build": "23D771", "PostingDate": "2026-03-11", "SupportedDevices": ["iPhone17,1"]},
   {"ProductVersion": "18.7.6", "Build": "22H300", "PostingDate": "2026-03-01", "SupportedDevices": ["iPhone16,1"]}]},
 "AssetSets": {"macOS": [], "iOS": []},
 "PublicBackgroundSecurityImprovements": {
  "macOS": [{"ProductVersion": "26.3.1 (a)", "Build": "25D771280a", "PostingDate": "2026-03-17", "PrerequisiteBuild": "25D771", "SupportedDevices": ["J413AP"]}]}}}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let names = ["policies/a.yaml", "policies/b.yaml", "policies/team/c.yaml", "policies/team/d.yaml"];
    let json = ["policies/a.json", "policies/b.json", "policies/team/c.json", "policies/team/d.json"];
    let policies: Vec<(&str, &str)> = text
        .split('\0')
        .take(4)
        .enumerate()
        .map(|(i, part)| (if part.trim_start().starts_with('{') { json[i] } else { names[i] }, part))
        .collect();
    let secret = |_: &str| Some("fuzz-token".to_owned());
    let now = "2026-06-01T12:00:00".parse().ok();
    let options = Options { now, ..Options::new(Mode::Build, &secret) };
    for catalog in [None, Some(CATALOG)] {
        let sources = Sources { project: Some(PROJECT), policies: &policies, catalog };
        let compiled = pipeline::compile_sources(&sources, &options).expect("an in-memory repository always loads");
        for d in compiled.diagnostics.iter() {
            assert!(d.code != Code::Internal, "internal error: {} {:?}", d.message, d.notes);
        }
    }
});
