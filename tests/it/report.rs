//! `ddmc report`: the HTML page, checked as bytes (snapshot, determinism, escaping, errors)
//! and as a real browser renders it (headless Chromium: lanes, marks, matrix cells, no
//! request, a screenshot that is not blank). Without Chromium the browser tests are skipped
//! with a message, except under CI, where they fail.

use crate::common;
use assert_cmd::Command;
use regex::Regex;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

const NOW: &str = "2026-12-05T09:00:00";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report").join(name)
}

fn ddmc() -> Command {
    Command::cargo_bin("ddmc").expect("binary")
}

/// The page for `repo` on stdout, at [`NOW`].
fn report(repo: &Path, extra: &[&str]) -> String {
    report_at(repo, NOW, extra)
}

fn report_at(repo: &Path, now: &str, extra: &[&str]) -> String {
    let output = ddmc().args(["--quiet", "report"]).arg(repo).args(["--now", now]).args(extra).output().expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn small_fixture_page() {
    insta::assert_snapshot!(report(&fixture("small"), &[]));
}

#[test]
fn same_input_same_bytes() {
    let first = report(&fixture("groups"), &[]);
    assert_eq!(first, report(&fixture("groups"), &[]));
    // Into a file: the same bytes as on stdout.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report.html");
    ddmc()
        .args(["--quiet", "report"])
        .arg(fixture("groups"))
        .args(["--now", NOW, "--out"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&out).expect("written"), first);
}

/// Policy text (descriptions, beta program names, URLs) is text, never markup.
#[test]
fn policy_text_cannot_inject_markup() {
    let page = report(&fixture("injection"), &[]);
    assert_eq!(page.matches("<script").count(), 1, "only the page's own script");
    assert!(!page.contains("<img"), "no image element");
    assert!(!page.contains("<b>Corp"), "the organisation's name is text");
    // In the payload's JSON (quotes escaped by JSON, then by HTML).
    assert!(page.contains("&lt;script&gt;alert(\\&quot;beta\\&quot;)&lt;/script&gt;"), "the beta description, as text");
    assert!(page.contains("onerror=alert(3)&gt;"), "the details URL, as text");
    // A literal seeding token is not shown.
    assert!(!page.contains("not-a-real-token"));
    assert!(page.contains("&quot;Token&quot;: &quot;(secret)&quot;"));
    // The description reaches the page inside the profile's XML: escaped twice, shown once.
    assert!(page.contains("Pwn &amp;lt;script&amp;gt;alert"), "the description, as text");
}

#[test]
fn a_policy_error_writes_nothing() {
    let repo = common::repo(&[("policies/bad.yaml", "id: bad\ntargets:\n  platforms: [macOS]\nenforce: 3\n")]);
    let out = repo.path().join("report.html");
    let output = ddmc().arg("report").arg(repo.path()).arg("--out").arg(&out).output().expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stdout.is_empty());
    assert!(!out.exists(), "nothing written");
}

#[test]
fn out_must_be_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = ddmc().arg("report").arg(fixture("small")).arg("--out").arg(dir.path()).output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is a folder"));
}

/// A catalog as of 2026-11-01 offering macOS 26.1 and 26.4.
const CATALOG: &str = r#"{"fetched": "2026-11-01T06:00:00Z", "source": "https://gdmf.apple.com/v2/pmv",
    "pmv": {"PublicAssetSets": {"macOS": [{"ProductVersion": "26.1", "Build": "25B78",
    "PostingDate": "2026-10-20", "SupportedDevices": ["Mac16,1"]}, {"ProductVersion": "26.4", "Build": "25E200",
    "PostingDate": "2026-10-28", "SupportedDevices": ["Mac16,1"]}]}, "AssetSets": {}}}"#;

/// The header tells the catalog's as-of date and whether it is older than allowed.
#[test]
fn catalog_age_in_the_header() {
    let policy = std::fs::read_to_string(fixture("small/policies/macs.yaml")).expect("fixture");
    let repo = common::repo(&[
        ("ddmc.yaml", "organization:\n  identifier_prefix: org.fixture.cat\ncatalog_max_age_days: 30\n"),
        ("policies/macs.yaml", &policy),
        ("apple-catalog.json", CATALOG),
    ]);
    let fresh = report_at(repo.path(), "2026-11-20T09:00:00", &[]);
    assert!(fresh.contains("as of <time datetime=\"2026-11-01\">2026-11-01</time>, current"), "{fresh}");
    let stale = report(repo.path(), &[]);
    assert!(stale.contains("⚠ stale: older than 30 days"), "{stale}");
    let none = report(&fixture("small"), &[]);
    assert!(none.contains("no catalog"));
}

/// A target or deadline Apple's catalog chose (`latest`, days after the release) is ringed on
/// the timeline and says the rule; one written out is not.
#[test]
fn catalog_chosen_targets_stand_out() {
    let policy = "id: macs\ntargets:\n  platforms: [macOS]\nenforce:\n  - os_version: latest\n    deadline:\n      \
                  days_after_release: 7\n  - os_version: \"26.1\"\n    deadline: \"2026-12-20T18:00:00\"\n";
    let repo = common::repo(&[
        ("ddmc.yaml", "organization:\n  identifier_prefix: org.fixture.cat\n"),
        ("policies/macs.yaml", policy),
        ("apple-catalog.json", CATALOG),
    ]);
    let page = report_at(repo.path(), "2026-11-02T09:00:00", &[]);
    // The timeline's `<g …>` element of an Identifier.
    let mark = |id: &str| {
        let at =
            page.find(&format!("data-identifier=\"{id}\" data-deadline")).unwrap_or_else(|| panic!("{id}: {page}"));
        let start = page[..at].rfind("<g ").expect("opened");
        page[start..at + page[at..].find("</g>").expect("closed")].to_owned()
    };
    let latest = mark("org.fixture.cat.macs.enforcement.1");
    assert!(latest.starts_with("<g class=\"mark update catalog\""), "{latest}");
    assert!(latest.contains("<circle class=\"ring\""), "{latest}");
    assert!(latest.contains("26.4 ◎"), "a word, not colour alone: {latest}");
    assert!(latest.contains("Apple&#39;s catalog: latest") || latest.contains("Apple's catalog: latest"), "{latest}");
    assert!(latest.contains("+ 7 days"), "the deadline arithmetic: {latest}");
    let explicit = mark("org.fixture.cat.macs.enforcement.2");
    assert!(explicit.starts_with("<g class=\"mark update\""), "{explicit}");
    assert!(!explicit.contains("ring") && !explicit.contains("◎"), "{explicit}");
    assert_eq!(page.matches("<span class=\"resolved\">").count(), 1, "one table row says the rule");
}

/// `--since REV`: what changed in the output, from `ddmc diff`'s model.
#[test]
fn since_a_revision_shows_the_changes() {
    let policy = std::fs::read_to_string(fixture("small/policies/macs.yaml")).expect("fixture");
    let config = std::fs::read_to_string(fixture("small/ddmc.yaml")).expect("fixture");
    let repo = common::repo(&[("ddmc.yaml", &config), ("policies/macs.yaml", &policy)]);
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .arg("-C")
            .arg(repo.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
            .args(args)
            .stdout(Stdio::null())
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "first"]);
    std::fs::write(
        repo.path().join("policies/macs.yaml"),
        policy.replace("2026-12-15T20:00:00", "2026-12-22T20:00:00"),
    )
    .expect("edit");
    let page = report(repo.path(), &["--since", "HEAD"]);
    assert!(page.contains("<h2>Changes since <code>HEAD</code></h2>"), "{page}");
    assert!(
        page.contains(
            "<span class=\"changed\">~ changed</span></td><td><code>org.fixture.small.macs.enforcement.1</code>"
        ),
        "{page}"
    );
    assert!(page.contains("<code>TargetLocalDateTime</code>: 2026-12-15T20:00:00 → 2026-12-22T20:00:00"), "{page}");
    let unchanged = report(repo.path(), &[]);
    assert!(!unchanged.contains("id=\"changes\""));
}

// ---- in a real browser ----

/// Chromium, or `None` (skip) outside CI.
fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(!common::in_ci(), "chromium is not installed, and CI=true requires the browser tests");
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
    }
    found
}

/// Runs headless Chromium on `page` with `args`, its stdout into `stdout`; killed after 60 s.
fn run_chromium(browser: &Path, page: &Path, args: &[String], stdout: &Path) {
    let profile = tempfile::tempdir().expect("tempdir");
    let mut child = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(stdout).expect("stdout file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "chromium failed: {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What Chromium makes of `repo`'s report: its DOM after layout and scripts, and a
/// 1280x800 screenshot.
struct Rendered {
    dom: String,
    png: Vec<u8>,
    /// The page printed to PDF (the print style sheet).
    pdf: Vec<u8>,
}

fn render(browser: &Path, repo: &Path) -> Rendered {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("report.html");
    ddmc().args(["--quiet", "report"]).arg(repo).args(["--now", NOW, "--out"]).arg(&page).assert().success();
    let dom_file = dir.path().join("dom.html");
    run_chromium(browser, &page, &["--dump-dom".into()], &dom_file);
    let shot = dir.path().join("shot.png");
    let log = dir.path().join("shot.log");
    run_chromium(browser, &page, &["--window-size=1280,800".into(), format!("--screenshot={}", shot.display())], &log);
    let pdf = dir.path().join("print.pdf");
    run_chromium(browser, &page, &["--no-pdf-header-footer".into(), format!("--print-to-pdf={}", pdf.display())], &log);
    Rendered {
        dom: std::fs::read_to_string(dom_file).expect("dom"),
        png: std::fs::read(shot).expect("screenshot"),
        pdf: std::fs::read(pdf).expect("printed"),
    }
}

/// A printed page: a PDF of a few pages (the print style sheet lays the page out for paper
/// instead of cutting the timeline off or printing nothing).
fn assert_printable(pdf: &[u8]) {
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let text = String::from_utf8_lossy(pdf);
    let pages = Regex::new(r"/Type\s*/Page[^s]").expect("regex").find_iter(&text).count();
    assert!((1..=30).contains(&pages), "{pages} pages");
}

/// A lane on the page: group, platform, and its marks as (identifier, deadline).
type Lane<S> = (S, S, Vec<(S, S)>);

/// Lanes in order.
fn lanes(dom: &str) -> Vec<Lane<String>> {
    let lane = Regex::new(r#"<g class="lane" data-groups="([^"]*)" data-platform="([^"]*)">"#).expect("regex");
    let mark = Regex::new(r#"<g class="mark[^"]*" data-identifier="([^"]*)" data-deadline="([^"]*)">"#).expect("regex");
    let starts: Vec<_> = lane.captures_iter(dom).collect();
    starts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let from = c.get(0).expect("match").end();
            let to = starts.get(i + 1).map_or_else(
                || dom[from..].find("<g class=\"axis\">").expect("axis") + from,
                |n| n.get(0).expect("match").start(),
            );
            let marks = mark.captures_iter(&dom[from..to]).map(|m| (m[1].to_string(), m[2].to_string())).collect();
            (c[1].to_string(), c[2].to_string(), marks)
        })
        .collect()
}

/// The value and class of the matrix cell for `key` in the column holding `group`.
fn cell(dom: &str, platform: &str, key: &str, group: &str) -> (String, String) {
    let start = dom.find(&format!("<table class=\"matrix\" data-platform=\"{platform}\">")).expect("matrix");
    let table = &dom[start..start + dom[start..].find("</table>").expect("end")];
    let header = Regex::new(r#"<th scope="col" data-groups="([^"]*)">"#).expect("regex");
    let column = header
        .captures_iter(table)
        .position(|c| c[1].split(' ').any(|g| g == group))
        .unwrap_or_else(|| panic!("no {platform} column for {group}"));
    let row_start = table.find(&format!("<tr data-key=\"{key}\">")).unwrap_or_else(|| panic!("no row {key}"));
    let row = &table[row_start..row_start + table[row_start..].find("</tr>").expect("row end")];
    let cells = Regex::new(r#"<td class="([^"]*)" data-groups="[^"]*">(?:<span class="value">([^<]*)</span>)?"#)
        .expect("regex");
    let c = cells.captures_iter(row).nth(column).expect("cell");
    (c[1].to_string(), c.get(2).map_or("—", |m| m.as_str()).to_string())
}

/// No resource from the network: no element that loads one, no absolute URL in any
/// attribute that loads (`<a href>` to `#` anchors only), no CSS `url(`.
fn assert_no_requests(dom: &str) {
    for element in ["<img", "<link", "<iframe", "<object", "<embed", "<video", "<audio", "<source", "<base"] {
        assert!(!dom.contains(element), "the page has {element}");
    }
    assert!(!dom.contains("url("), "CSS loads nothing");
    let script = Regex::new(r"<script[^>]*>").expect("regex");
    assert!(script.find_iter(dom).all(|m| m.as_str() == "<script>"), "scripts are inline");
    let attribute = Regex::new(r#"\s(?:src|href|srcset|poster|action|data|xlink:href)="([^"]*)""#).expect("regex");
    for value in attribute.captures_iter(dom) {
        assert!(value[1].starts_with('#'), "a reference leaves the page: {}", &value[1]);
    }
}

/// A screenshot with content: many shades, not one flat colour.
fn assert_not_blank(png: &[u8]) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("png header");
    let mut buffer = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buffer).expect("png frame");
    assert_eq!((info.width, info.height), (1280, 800));
    let channels = info.color_type.samples();
    let luma: Vec<f64> = buffer[..info.buffer_size()]
        .chunks(channels)
        .map(|p| {
            if channels >= 3 {
                0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2])
            } else {
                f64::from(p[0])
            }
        })
        .collect();
    let mean = luma.iter().sum::<f64>() / luma.len() as f64;
    let variance = luma.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / luma.len() as f64;
    assert!(variance > 100.0, "the screenshot is nearly blank (variance {variance:.1})");
    let dark = luma.iter().filter(|l| **l < 128.0).count();
    assert!(dark > 5_000, "too little text on the screenshot ({dark} dark pixels)");
}

#[test]
fn multi_group_report_in_chromium() {
    let Some(browser) = chromium() else { return };
    let rendered = render(&browser, &fixture("groups"));
    let dom = &rendered.dom;
    // The script ran (the page's CSP allows exactly it): the group filter is shown.
    assert!(dom.contains("<p id=\"group-filter\" class=\"filter\">"), "the filter script did not run");
    let bsi = [
        ("org.fixture.report.bsi.bsi.1", "2026-11-20T18:00:00"),
        ("org.fixture.report.bsi.enforcement.1", "2026-11-20T18:00:00"),
    ];
    let pilot = ("org.fixture.report.pilot.enforcement.1", "2026-12-10T18:00:00");
    let broad_mac = ("org.fixture.report.broad.enforcement.1", "2027-01-15T18:00:00");
    let broad_ios = ("org.fixture.report.broad.enforcement.2", "2027-01-22T18:00:00");
    let expected: Vec<Lane<&str>> = vec![
        ("all", "macOS", bsi.to_vec()),
        ("all", "iOS", vec![]),
        ("kiosks", "macOS", bsi.to_vec()),
        ("kiosks", "iOS", vec![]),
        ("lab", "macOS", [&bsi[..], &[broad_mac]].concat()),
        ("lab", "iOS", vec![broad_ios]),
        ("pilot", "macOS", [&bsi[..], &[pilot]].concat()),
        ("pilot", "iOS", vec![]),
        ("staff", "macOS", [&bsi[..], &[broad_mac]].concat()),
        ("staff", "iOS", vec![broad_ios]),
    ];
    let found = lanes(dom);
    let found: Vec<Lane<&str>> = found
        .iter()
        .map(|(g, p, m)| (g.as_str(), p.as_str(), m.iter().map(|(i, d)| (i.as_str(), d.as_str())).collect()))
        .collect();
    assert_eq!(found, expected, "lanes and their marks, each once");
    // Each target once in the table of deadlines, with its <time>.
    for (identifier, deadline) in [bsi[0], bsi[1], pilot, broad_mac, broad_ios] {
        let row = format!("<tr data-identifier=\"{identifier}\"><td><time datetime=\"{deadline}\">");
        assert_eq!(dom.matches(&row).count(), 1, "{identifier} once in the deadlines table");
    }
    assert!(dom.contains("BSI 25D771280a (past)"), "a past BSI half is labelled so");
    // The matrix: pilot's conflict, everyone else's value.
    assert_eq!(
        cell(dom, "macOS", "AutomaticActions.InstallOSUpdates", "pilot"),
        ("set conflict".into(), "AlwaysOn".into())
    );
    assert_eq!(cell(dom, "macOS", "AutomaticActions.InstallOSUpdates", "staff"), ("set".into(), "Allowed".into()));
    assert_eq!(cell(dom, "iOS", "RecommendedCadence", "kiosks"), ("set".into(), "Oldest".into()));
    assert_eq!(cell(dom, "iOS", "RecommendedCadence", "staff"), ("unset".into(), "—".into()));
    assert_eq!(cell(dom, "iOS", "Deferrals.CombinedPeriodInDays", "kiosks"), ("set".into(), "30".into()));
    assert_no_requests(dom);
    assert_not_blank(&rendered.png);
    assert_printable(&rendered.pdf);
}

#[test]
fn shipped_policies_in_chromium() {
    let Some(browser) = chromium() else { return };
    let rendered = render(&browser, Path::new(env!("CARGO_MANIFEST_DIR")));
    let dom = &rendered.dom;
    let found = lanes(dom);
    for group in ["all", "kiosks", "production", "staff"] {
        for platform in ["macOS", "iOS"] {
            assert!(found.iter().any(|(g, p, _)| g == group && p == platform), "no lane for {group} on {platform}");
        }
    }
    // Every enforcement declaration is on the timeline, once per lane it reaches.
    let enforcement = Regex::new(r#"<tr><th scope="row"><code>([^<]*)</code></th><td><code>com\.apple\.configuration\.softwareupdate\.enforcement\.specific</code>"#).expect("regex");
    let declared: std::collections::BTreeSet<String> =
        enforcement.captures_iter(dom).map(|c| c[1].to_string()).collect();
    assert_eq!(declared.len(), 4, "the shipped policies' enforcement declarations");
    let mut on_timeline = std::collections::BTreeSet::new();
    for (group, platform, marks) in &found {
        let mut ids: Vec<&str> = marks.iter().map(|(i, _)| i.as_str()).collect();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "a target twice in lane {group} {platform}");
        on_timeline.extend(ids.into_iter().map(str::to_string));
    }
    assert_eq!(on_timeline, declared);
    let deadline = Regex::new(r#"<tr data-identifier="[^"]*"><td><time datetime="([^"]*)">"#).expect("regex");
    assert_eq!(deadline.find_iter(dom).count(), 4, "each target once in the deadlines table");
    assert_eq!(
        cell(dom, "macOS", "Deferrals.MajorPeriodInDays", "staff"),
        ("set".into(), "30".into()),
        "the baseline's deferral"
    );
    assert_eq!(cell(dom, "iOS", "Beta.ProgramEnrollment", "production"), ("set".into(), "AlwaysOff".into()));
    assert_no_requests(dom);
    assert_not_blank(&rendered.png);
    assert_printable(&rendered.pdf);
}

#[test]
fn injection_renders_as_text_in_chromium() {
    let Some(browser) = chromium() else { return };
    let rendered = render(&browser, &fixture("injection"));
    let dom = &rendered.dom;
    assert_eq!(dom.matches("<script").count(), 1, "only the page's own script");
    assert!(!dom.contains("<img"), "no image element was injected");
    assert!(dom.contains("&lt;script&gt;alert(\\\"beta\\\")&lt;/script&gt;"), "shown as text");
    assert_no_requests(dom);
}
