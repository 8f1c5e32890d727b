//! `ddmc lint` of binary property lists (`bplist` followed by the input): the binary reader
//! of `device_file`, its limits on sizes, offsets, references and shared objects, and the
//! profile checks on what it reads.
#![no_main]

use ddmc::lint::{self, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut bytes = b"bplist".to_vec();
    bytes.extend_from_slice(data);
    let report = lint::lint_sources(&[("profile.mobileconfig", &bytes)], &Options::default());
    std::hint::black_box(report.diagnostics.iter().count());
    // The same reader as status reports use.
    std::hint::black_box(ddmc::status::report::parse(&bytes).is_ok());
});
