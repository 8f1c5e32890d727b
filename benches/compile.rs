//! `cargo bench`: ddmc against a floor, on generated repositories of 1k, 10k and 50k
//! policies (mixed macOS/iOS, settings plus one or two enforcement entries, 50 groups).
//!
//! The floor is the work any correct build must do, written here as a small program: read
//! every policy file and parse it with ddmc's own YAML parser (`check`'s floor), then write as
//! many files as `build` writes (`build`'s floor); for a rebuild after one change, `check` and
//! what any incremental build adds to it (a look at every output file, a new manifest: the
//! floor of a rebuild that checks every policy again, which ddmc's does not). ddmc
//! itself runs as a child process (the release binary), so its peak memory is the child's
//! `VmHWM`.
//!
//! `DDMC_BENCH_SIZES=1000,10000` picks the sizes (default `1000,10000,50000`);
//! `DDMC_BENCH_RUNS` the runs per measurement below 50k (default 3; medians are printed);
//! `DDMC_BENCH_BUILD=0` measures `check` only (builds take minutes where creating files is slow).
//!
//! Every run passes `--now` (before every deadline the generator writes): the work, and so the
//! numbers, must not depend on the day the benchmark runs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GROUPS: usize = 50;

/// The clock every run is given: before all the deadlines [`policy`] writes.
const NOW: &str = "2026-11-01T00:00:00";

/// One generated policy: settings and one or two enforcement entries, macOS or iOS.
fn policy(i: usize, variant: usize) -> String {
    let group = i % GROUPS;
    let days = 1 + (i + variant) % 90;
    if i.is_multiple_of(2) {
        format!(
            "id: mac-{i}\ntargets:\n  platforms: [macOS]\n  groups: [g{group}]\n\
             background_security_improvements:\n  automatic_install: always_on\n  user_removal: false\n\
             software_updates:\n  automatic_download: always_on\n  standard_users_can_update: false\n  \
             deferrals:\n    major_days: {days}\n\
             enforce:\n  - os_version: \"26.3.1\"\n    build_version: \"25D771280a\"\n    deadline: \"2026-12-01T18:00:00\"\n{}",
            if i.is_multiple_of(4) { "  - os_version: \"26.4\"\n    deadline: \"2026-12-15T18:00:00\"\n" } else { "" }
        )
    } else {
        format!(
            "id: ios-{i}\ntargets:\n  platforms: [iOS]\n  groups: [g{group}]\n\
             software_updates:\n  recommended_cadence: newest\n  notifications: true\n  deferrals:\n    combined_days: {days}\n\
             enforce:\n  - os_version: \"26.4\"\n    deadline: \"2026-12-15T18:00:00\"\n{}",
            if i % 4 == 1 { "  - os_version: \"26.4.1\"\n    deadline: \"2027-01-15T18:00:00\"\n" } else { "" }
        )
    }
}

fn policy_path(repo: &Path, i: usize) -> PathBuf {
    repo.join("policies").join(format!("team-{}", i % 25)).join(format!("p{i}.yaml"))
}

fn generate(repo: &Path, n: usize) {
    fs::create_dir_all(repo).expect("mkdir");
    fs::write(
        repo.join("ddmc.yaml"),
        "organization:\n  name: Bench\n  identifier_prefix: com.example.bench\nlegacy_profiles: never\n",
    )
    .expect("ddmc.yaml");
    for i in 0..n {
        let path = policy_path(repo, i);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, policy(i, 0)).expect("write");
    }
}

/// A run of the ddmc binary: its wall time and peak resident memory (`VmHWM`, polled from
/// /proc while it runs; 0 where /proc does not exist).
struct Run {
    time: Duration,
    peak_kib: u64,
}

fn ddmc(args: &[&str]) -> Run {
    warm();
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ddmc"))
        .args(args)
        .args(["--quiet", "--now", NOW])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs ddmc");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        peak_kib = peak_kib.max(vm_hwm(&status_file));
        std::thread::sleep(Duration::from_millis(2));
    };
    let time = start.elapsed();
    if !status.success() {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut err);
        }
        panic!("ddmc {args:?} failed: {status}\n{err}");
    }
    Run { time, peak_kib }
}

fn vm_hwm(status_file: &str) -> u64 {
    let text = fs::read_to_string(status_file).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// `check`'s floor: read and parse every policy file. Returns the total bytes, so nothing is
/// optimised away.
fn floor_parse(repo: &Path) -> usize {
    let mut bytes = 0;
    for path in policy_files(repo) {
        let text = fs::read_to_string(&path).expect("read");
        let node = ddmc::parse::parse_yaml(&text).expect("parses");
        bytes += text.len() + usize::from(node.span.start.line > 0);
    }
    bytes
}

/// `build`'s floor: `floor_parse`, then write `files` files of `average` bytes into `out`
/// (in folders of at most 1,000, like a tree of declarations).
fn floor_write(repo: &Path, out: &Path, files: usize, average: usize) {
    floor_parse(repo);
    let body = vec![b'x'; average];
    fs::create_dir_all(out).expect("mkdir");
    for i in 0..files {
        let dir = out.join(format!("d{}", i / 1000));
        if i % 1000 == 0 {
            fs::create_dir_all(&dir).expect("mkdir");
        }
        fs::write(dir.join(format!("f{i}.json")), &body).expect("write");
    }
}

/// What a rebuild after one change that checks every policy again must do beyond `check`,
/// whatever its design, timed: make sure every output file is unchanged (one `lstat` each, by
/// name in its folder, on every core; the names are read first, untimed: a build knows them)
/// and write the manifest anew (one file of its size, renamed over it). ddmc's rebuild can be
/// below it: the policy cache spares it parsing and validating the unchanged policies.
fn floor_rebuild(out: &Path) -> Duration {
    let entries: Vec<fs::DirEntry> = fs::read_dir(out.join("declarations")).expect("read_dir").flatten().collect();
    let manifest = out.join("manifest.json");
    let size = fs::metadata(&manifest).expect("manifest").len() as usize;
    timed(|| {
        let share = entries.len().div_ceil(cores()).max(1);
        std::thread::scope(|scope| {
            for part in entries.chunks(share) {
                scope.spawn(move || part.iter().filter(|e| e.metadata().is_ok_and(|m| m.is_file())).count());
            }
        });
        // Streamed, as ddmc writes it: never held whole.
        use std::io::Write;
        let copy = out.join(".manifest.floor");
        let mut file = fs::File::create(&copy).expect("create");
        let block = [b' '; 1 << 16];
        for start in (0..size).step_by(block.len()) {
            file.write_all(&block[..block.len().min(size - start)]).expect("write");
        }
        drop(file);
        fs::rename(&copy, &manifest).expect("rename");
    })
}

fn policy_files(repo: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![repo.join("policies")];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() { stack.push(path) } else { files.push(path) }
        }
    }
    files
}

/// Files and bytes in a tree.
fn tree_size(dir: &Path) -> (usize, usize) {
    let (mut files, mut bytes) = (0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read_dir").flatten() {
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                files += 1;
                bytes += meta.len() as usize;
            }
        }
    }
    (files, bytes)
}

/// Where the trees a size's runs are done with go, renamed, until the benchmark ends:
/// deleting them between runs made every timed step that followed slow. On ext4 without a
/// journal (the benchmark's machine) a new file's inode is looked for past each inode
/// deleted in the last minute or more, one inode-table lookup each: 60,000 files took 73 us
/// each on a quiet disk, 395 us right after 180,000 deletions. The first timed step after a
/// tree was deleted paid for it, and that was always the cold build.
struct Trash {
    dir: PathBuf,
    count: usize,
}

impl Trash {
    /// `path`, if there is anything there, moved into the trash.
    fn put(&mut self, path: &Path) {
        if fs::symlink_metadata(path).is_ok() {
            fs::create_dir_all(&self.dir).expect("mkdir");
            self.count += 1;
            fs::rename(path, self.dir.join(self.count.to_string())).expect("into the trash");
        }
    }
}

/// Writes back what earlier steps left in the page cache (`sync`), where there is `sync`.
fn settle() {
    let _ = Command::new("sync").status();
}

/// Memory the guest holds, for the step about to be timed: on a virtual machine whose host
/// takes back what the guest leaves free (a balloon, free page reporting), the first touch of
/// such memory faults in the host too, and a run started seconds after the one before paid
/// up to a third more, for ddmc and its floor alike. Touching and freeing 1 GiB right before
/// each timed step (ddmc, or a floor) leaves that much in the guest's free pages; it costs
/// nothing on a machine without a balloon.
fn warm() {
    const BYTES: usize = 1 << 30;
    let mut touched: Vec<u8> = Vec::with_capacity(BYTES);
    touched.resize(BYTES, 1);
    std::hint::black_box(&touched);
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The time `f` takes, started warm ([`warm`]).
fn timed(f: impl FnOnce()) -> Duration {
    warm();
    let start = Instant::now();
    f();
    start.elapsed()
}

struct Row {
    n: usize,
    check: Duration,
    /// The size's folder, deleted when the benchmark ends: deleted at once, the next size's
    /// timed steps would pay for it ([`Trash`]).
    _dir: tempfile::TempDir,
}

fn measure(n: usize, runs: usize) -> Row {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    generate(&repo, n);
    let repo_s = repo.to_str().expect("utf-8 path");
    let out = dir.path().join("out");
    let out_s = out.to_str().expect("utf-8 path");
    // Warm the page cache and check the repository is valid.
    ddmc(&["check", repo_s]);
    floor_parse(&repo);

    let (mut check, mut parse, mut check_mem) = (Vec::new(), Vec::new(), 0);
    for _ in 0..runs {
        parse.push(timed(|| {
            floor_parse(&repo);
        }));
        let run = ddmc(&["check", repo_s]);
        check.push(run.time);
        check_mem = check_mem.max(run.peak_kib);
    }
    let (check, parse) = (median(check), median(parse));
    if std::env::var("DDMC_BENCH_BUILD").is_ok_and(|v| v == "0") {
        println!(
            "{n:>6} policies: check {:>8.0} ms (floor {:>6.0} ms, {:.2}x) | peak memory check {:>5} MB",
            ms(check),
            ms(parse),
            ratio(check, parse),
            check_mem / 1024
        );
        return Row { n, check, _dir: dir };
    }

    let (mut cold, mut floor, mut second, mut rebuild, mut rebuild_floor, mut build_mem) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), 0);
    let mut paired: Vec<f64> = Vec::new();
    let mut files = 0;
    let mut files_bytes = (0, 0);
    let mut trash = Trash { dir: dir.path().join("trash"), count: 0 };
    let floor_out = dir.path().join("floor");
    for run in 0..runs {
        // Cold: no output and no spare tree beside it (the build before, which a rebuild
        // brings up to date). Each timed write starts with nothing left to flush, so that it
        // does not pay for the one before.
        trash.put(&out);
        trash.put(&dir.path().join(".out.ddmc-spare"));
        // Nor what the last build remembered of the policies: every file is read.
        let _ = fs::remove_file(dir.path().join(".out.ddmc-policies"));
        // The floor writes as many files as the build (counted in the first run, so the floor
        // goes second then), and each goes first every other run.
        let mut cold_build = || {
            settle();
            let build = ddmc(&["build", repo_s, "--out", out_s]);
            cold.push(build.time);
            build_mem = build_mem.max(build.peak_kib);
            tree_size(&out)
        };
        let mut floor_build = |(files, bytes): (usize, usize)| {
            trash.put(&floor_out);
            settle();
            floor.push(timed(|| floor_write(&repo, &floor_out, files, bytes / files.max(1))));
        };
        if run % 2 == 0 {
            files_bytes = cold_build();
            floor_build(files_bytes);
        } else {
            floor_build(files_bytes);
            files_bytes = cold_build();
        }
        files = files_bytes.0;
        // The build after a cold one has no spare yet: it links every file into a new one.
        settle();
        second.push(ddmc(&["build", repo_s, "--out", out_s]).time);
        // Steady state: builds seconds apart, so that the index of the last one vouches for
        // its files (an entry within a second of its index is not trusted).
        std::thread::sleep(Duration::from_secs(2));
        ddmc(&["build", repo_s, "--out", out_s]);
        std::thread::sleep(Duration::from_secs(2));
        // One policy changed: the incremental rebuild, as every build from then on.
        fs::write(policy_path(&repo, 7), policy(7, run + 1)).expect("change one policy");
        settle();
        // `check` once more, right before: the machine's speed moves by a third from minute to
        // minute, and the rebuild is also weighed against the `check` of the same minute.
        let beside = ddmc(&["check", repo_s]).time;
        let again = ddmc(&["build", repo_s, "--out", out_s]);
        paired.push(again.time.as_secs_f64() / beside.as_secs_f64().max(1e-9));
        rebuild.push(again.time);
        build_mem = build_mem.max(again.peak_kib);
        // Its floor. It overwrites the manifest: the next run starts from nothing anyway.
        settle();
        rebuild_floor.push(floor_rebuild(&out));
    }
    let (cold, floor, second, rebuild) = (median(cold), median(floor), median(second), median(rebuild));
    let rebuild_floor = check + median(rebuild_floor);
    paired.sort_by(f64::total_cmp);
    let paired = paired.get(paired.len() / 2).copied().unwrap_or(f64::NAN);

    println!(
        "{n:>6} policies, {files} output files: check {:>8.0} ms (floor {:>6.0} ms, {:.2}x) | \
         cold build {:>8.0} ms (floor {:>6.0} ms, {:.2}x) | second build {:>8.0} ms | \
         rebuild after one change {:>8.0} ms ({:.2}x check, {:.2}x the check run just before it; \
         were it to check every policy again, \
         its floor, check and a look at every output file and a new manifest: {:>6.0} ms, {:.2}x) | peak memory check {:>5} MB, build {:>5} MB",
        ms(check),
        ms(parse),
        ratio(check, parse),
        ms(cold),
        ms(floor),
        ratio(cold, floor),
        ms(second),
        ms(rebuild),
        ratio(rebuild, check),
        paired,
        ms(rebuild_floor),
        ratio(rebuild, rebuild_floor),
        check_mem / 1024,
        build_mem / 1024,
    );
    Row { n, check, _dir: dir }
}

fn main() {
    let sizes: Vec<usize> = std::env::var("DDMC_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000,50000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs: usize = std::env::var("DDMC_BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(3).max(1);
    println!("ddmc against its floor ({} cores; medians of {runs} runs, one at 50k and above)", cores());
    let rows: Vec<Row> = sizes.iter().map(|&n| measure(n, if n >= 50_000 { 1 } else { runs })).collect();
    let find = |n: usize| rows.iter().find(|r| r.n == n);
    if let (Some(small), Some(large)) = (find(10_000), find(50_000)) {
        println!("scaling: check 50k / 10k = {:.2} (linear: 5)", ratio(large.check, small.check));
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
