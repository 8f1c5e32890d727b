//! `cargo bench`: compiles a generated repository of thousands of policies (every kind:
//! Mac and iPhone settings, multi-platform payloads, BSI enforcement, beta programs) and
//! reports the time of the whole pipeline, without writing. A GitOps run must stay well
//! under a second.

use ddmc::pipeline::{self, Mode};
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

const POLICIES: usize = 3000;
const RUNS: usize = 7;

fn policy(i: usize) -> String {
    match i % 5 {
        0 => format!(
            "id: mac-{i}\ntargets:\n  platforms: [macOS]\n  groups: [g{}]\nbackground_security_improvements:\n  automatic_install: always_on\n  user_removal: false\nsoftware_updates:\n  automatic_download: always_on\n  standard_users_can_update: false\n  deferrals:\n    major_days: {}\n",
            i % 40,
            1 + i % 90
        ),
        1 => format!(
            "id: ios-{i}\ntargets:\n  platforms: [iOS]\nsoftware_updates:\n  recommended_cadence: newest\n  deferrals:\n    combined_days: {}\n",
            1 + i % 90
        ),
        2 => format!(
            "id: bsi-{i}\ntargets:\n  platforms: [macOS, iOS]\nenforce:\n  - platform: macOS\n    os_version: \"26.3.1\"\n    build_version: \"25D771280a\"\n    deadline: \"2026-12-01T18:00:00\"\n  - platform: iOS\n    os_version: \"26.4\"\n    deadline: \"2026-12-15T18:00:00\"\n"
        ),
        3 => format!(
            "{{\"id\": \"json-{i}\", \"targets\": {{\"platforms\": [\"macOS\", \"iOS\"]}}, \"software_updates\": {{\"notifications\": true, \"automatic_install\": \"allowed\", \"standard_users_can_update\": true}}}}\n"
        ),
        _ => format!(
            "id: beta-{i}\ntargets:\n  platforms: [macOS, iOS]\nsoftware_updates:\n  beta:\n    enrollment: always_on\n    require_program:\n      description: Seed {i}\n      token: t{i}\n"
        ),
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policies = dir.path().join("policies");
    for i in 0..POLICIES {
        let sub = policies.join(format!("team-{}", i % 25));
        fs::create_dir_all(&sub).expect("mkdir");
        let ext = if i % 5 == 3 { "json" } else { "yaml" };
        fs::write(sub.join(format!("p{i}.{ext}")), policy(i)).expect("write");
    }
    let mut times: Vec<Duration> = (0..RUNS).map(|_| run(dir.path())).collect();
    times.sort();
    let median = times[RUNS / 2];
    println!(
        "compile {POLICIES} policies: median {:.1} ms, best {:.1} ms, worst {:.1} ms ({:.1} µs per policy)",
        ms(median),
        ms(times[0]),
        ms(times[RUNS - 1]),
        median.as_secs_f64() * 1e6 / POLICIES as f64
    );
}

fn run(repo: &Path) -> Duration {
    let start = Instant::now();
    let compiled = pipeline::compile(repo, Mode::Build, &|_| None).expect("compiles");
    let elapsed = start.elapsed();
    assert!(!compiled.diagnostics.has_errors(), "the benchmark repository is valid");
    assert!(compiled.files.len() > POLICIES, "every policy produced output");
    elapsed
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
