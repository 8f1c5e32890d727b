//! The command line: parses arguments, runs the pipeline, renders diagnostics, and decides
//! the exit code in one place.

use crate::apple::generate;
use crate::diagnostics::{self, Severity, render::Sources};
use crate::emit::write::{WriteError, write_tree};
use crate::legacy::schedule::{self, InstallAction};
use crate::model::schema;
use crate::pipeline::{self, Compilation, Mode};
use crate::repo::LoadError;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Exit codes: 0 ok (warnings allowed), 1 policy errors, 2 usage errors, 3 I/O or internal.
pub mod exit {
    pub const OK: i32 = 0;
    pub const POLICY: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const IO: i32 = 3;
}

#[derive(Parser)]
#[command(
    name = "ddmc",
    version,
    about = "Compile software-update policies into Apple declarative device management declarations"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How to print problems: `human` (with source snippets), `short` (one line each) or
    /// `json` (one JSON object per line, on stdout).
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    message_format: Format,
    /// Do not print warnings.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Make conflicts between policies errors, not warnings.
    #[arg(long, global = true)]
    deny_conflicts: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Compile REPO's policies into the output folder.
    Build {
        /// The policy repository (holds `ddmc.yaml` and `policies/`).
        #[arg(default_value = ".")]
        repo: PathBuf,
        /// Output folder (default: `output` from ddmc.yaml, relative to REPO, else `out`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The local time deadlines are compared with, `yyyy-mm-ddThh:mm:ss` (default: this
        /// machine's clock). Only warnings depend on it, never the output.
        #[arg(long, value_parser = parse_local_date_time)]
        now: Option<crate::model::LocalDateTime>,
    },
    /// Everything `build` does except writing: for pre-commit hooks and CI.
    Check {
        #[arg(default_value = ".")]
        repo: PathBuf,
        /// The local time deadlines are compared with, `yyyy-mm-ddThh:mm:ss` (default: this
        /// machine's clock).
        #[arg(long, value_parser = parse_local_date_time)]
        now: Option<crate::model::LocalDateTime>,
    },
    /// Print the JSON Schema of policy files (or, with --project, of ddmc.yaml).
    Schema {
        #[arg(long)]
        project: bool,
    },
    /// MDM commands for devices that predate declarative software updates.
    Legacy {
        #[command(subcommand)]
        command: LegacyCommand,
    },
    /// Lint existing DDM declarations (`.json`) and profiles (`.mobileconfig`) written by
    /// hand or by other tools: files, or folders searched recursively.
    Lint {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Also check that everything applies on this platform (macOS, iOS, tvOS, visionOS).
        #[arg(long, value_parser = crate::lint::parse_platform)]
        platform: Option<crate::model::Platform>,
        /// ... at this OS version of `--platform`, such as `15.2`.
        #[arg(long, requires = "platform", value_parser = crate::lint::parse_os)]
        os: Option<crate::model::OsVersion>,
        /// ... with this enrollment.
        #[arg(long, requires = "platform", value_enum)]
        enrollment: Option<crate::lint::Enrollment>,
    },
    /// Explain what one device gets from REPO: its effective settings and where each comes
    /// from, the declarations and legacy profiles it receives, its deadlines, and notes.
    Explain {
        #[arg(default_value = ".")]
        repo: PathBuf,
        #[arg(long, value_parser = crate::lint::parse_platform)]
        platform: crate::model::Platform,
        /// The device's OS, `26.3.1` or `26.3.1 (a)` (default: the newest the policies know of).
        #[arg(long, value_parser = parse_device_version)]
        os: Option<crate::model::DeviceVersion>,
        /// The device's group (`all`: only what every device gets).
        #[arg(long, default_value = crate::model::GROUP_ALL)]
        group: String,
        #[arg(long, value_enum, default_value_t = crate::explain::Enrollment::Supervised)]
        enrollment: crate::explain::Enrollment,
        /// The current local time, `yyyy-mm-ddThh:mm:ss`, for deadlines (reproducible output).
        #[arg(long, value_parser = parse_local_date_time)]
        now: Option<crate::model::LocalDateTime>,
        #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
        format: ExplainFormat,
    },
    /// What devices report, against REPO's policies.
    Status {
        #[command(subcommand)]
        command: StatusCommand,
    },
    /// Regenerate `schemas/apple/` (JSON Schemas and the support table) from Apple's
    /// device-management YAML.
    AppleSchemas {
        /// Apple's schema folder (apple/device-management).
        #[arg(long, default_value = generate::DEFAULT_REFERENCE)]
        reference: PathBuf,
        #[arg(long, default_value = "schemas/apple")]
        out: PathBuf,
        /// Write nothing; exit 1 when the committed files differ from what would be generated.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Subcommand)]
enum StatusCommand {
    /// Whether a device meets REPO's enforcement targets: compliant, pending or behind, and
    /// why. Exit 0 when it meets all that apply to it (or none applies), 1 otherwise.
    Check {
        #[arg(default_value = ".")]
        repo: PathBuf,
        /// The device's DDM status report (JSON) or MDM DeviceInformation response (plist or JSON).
        #[arg(long, value_name = "FILE")]
        report: PathBuf,
        /// The device's group (`all`: only what every device gets).
        #[arg(long, default_value = crate::model::GROUP_ALL, value_parser = crate::status::parse_group)]
        group: String,
        /// The device's platform; needed when the report does not tell it.
        #[arg(long, value_parser = crate::status::parse_platform)]
        platform: Option<crate::model::Platform>,
        /// The device's local time, `yyyy-mm-ddThh:mm:ss`; without it no deadline is compared.
        #[arg(long, value_parser = crate::status::parse_now)]
        now: Option<crate::model::LocalDateTime>,
        /// `human`, or `json`: one object with the device and every target, on stdout.
        #[arg(long, default_value = "human", value_parser = ["human", "json"])]
        format: String,
    },
}

#[derive(Subcommand)]
enum LegacyCommand {
    /// Write the `ScheduleOSUpdate` command that installs the newest Rapid Security Response a
    /// device lists (macOS 13-14, iOS 16-17; deprecated in OS 26, removed in 27).
    Schedule {
        /// The device's `AvailableOSUpdates` response: XML or binary plist, or JSON; the whole
        /// response or only its array of updates.
        #[arg(long, value_name = "FILE")]
        available: PathBuf,
        /// Apple's `InstallAction` for the update.
        #[arg(long, value_enum, default_value_t = InstallAction::Default)]
        install_action: InstallAction,
        /// Write the command plist here (atomically) instead of to stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Short,
    Json,
}

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit::USAGE } else { exit::OK };
        }
    };
    let secret = |name: &str| std::env::var(name).ok();
    match &cli.command {
        Command::Schema { project } => {
            let value = if *project { schema::project_schema() } else { schema::policy_schema() };
            println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
            exit::OK
        }
        Command::Lint { paths, platform, os, enrollment } => {
            lint(&cli, paths, &crate::lint::Options { platform: *platform, os: *os, enrollment: *enrollment })
        }
        Command::AppleSchemas { reference, out, check } => apple_schemas(reference, out, *check),
        Command::Explain { repo, platform, os, group, enrollment, now, format } => {
            let device = (*platform, *os, group.clone(), *enrollment);
            explain(&cli, repo, device, *now, *format, &secret)
        }
        Command::Status { command: StatusCommand::Check { repo, report, group, platform, now, format } } => {
            let options = crate::status::Options { repo, report, group, platform: *platform, now: *now };
            status_check(&cli, &options, format == "json", &secret)
        }
        Command::Legacy { command: LegacyCommand::Schedule { available, install_action, out } } => {
            legacy_schedule(&cli, available, *install_action, out.as_deref())
        }
        Command::Check { repo, now } => match pipeline::compile_at(repo, Mode::Check, &secret, Some(clock(*now))) {
            Ok(mut c) => {
                let code = report(&cli, &mut c);
                if code == exit::OK {
                    done(
                        &cli,
                        &format!(
                            "checked {} {}: {}",
                            c.policies.len(),
                            plural(c.policies.len(), "policy", "policies"),
                            counts(&c)
                        ),
                    );
                }
                code
            }
            Err(e) => load_failed(&e),
        },
        Command::Build { repo, out, now } => {
            match pipeline::compile_at(repo, Mode::Build, &secret, Some(clock(*now))) {
                Ok(mut c) => {
                    let code = report(&cli, &mut c);
                    if code != exit::OK {
                        return code;
                    }
                    let out = out.clone().unwrap_or_else(|| repo.join(c.project.output()));
                    if let Some(problem) = unsafe_output(repo, &out) {
                        eprintln!("error: {problem}");
                        return exit::USAGE;
                    }
                    match write_tree(&out, &c.files) {
                        Ok(()) => {
                            done(
                                &cli,
                                &format!(
                                    "built {} {} into `{}`: {} declarations ({})",
                                    c.policies.len(),
                                    plural(c.policies.len(), "policy", "policies"),
                                    out.strip_prefix(".").unwrap_or(&out).display(),
                                    c.declarations.len(),
                                    counts(&c)
                                ),
                            );
                            exit::OK
                        }
                        Err(e @ WriteError::NotOurs(_)) => {
                            eprintln!("error: {e}");
                            exit::USAGE
                        }
                        Err(e) => {
                            eprintln!("error: {e}");
                            exit::IO
                        }
                    }
                }
                Err(e) => load_failed(&e),
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExplainFormat {
    Human,
    Json,
}

fn parse_device_version(s: &str) -> Result<crate::model::DeviceVersion, String> {
    s.parse().map_err(|e: crate::model::version::VersionError| e.to_string())
}

/// `--now`, else this machine's local wall clock.
fn clock(now: Option<crate::model::LocalDateTime>) -> crate::model::LocalDateTime {
    now.unwrap_or_else(crate::model::LocalDateTime::now_local)
}

fn parse_local_date_time(s: &str) -> Result<crate::model::LocalDateTime, String> {
    s.parse().map_err(|e: crate::model::datetime::DateTimeError| e.to_string())
}

type DeviceArgs = (crate::model::Platform, Option<crate::model::DeviceVersion>, String, crate::explain::Enrollment);

fn explain(
    cli: &Cli,
    repo: &Path,
    (platform, os, group, enrollment): DeviceArgs,
    now: Option<crate::model::LocalDateTime>,
    format: ExplainFormat,
    secret: &dyn Fn(&str) -> Option<String>,
) -> i32 {
    let mut c = match pipeline::compile(repo, Mode::Check, secret) {
        Ok(c) => c,
        Err(e) => return load_failed(&e),
    };
    let code = report(cli, &mut c);
    if code != exit::OK {
        return code;
    }
    let version = os.unwrap_or_else(|| crate::model::DeviceVersion { os: newest_known(&c, platform), extra: None });
    let device = crate::explain::Device { platform, version, group, enrollment };
    let explanation = crate::explain::explain(&c, &device, now);
    match format {
        ExplainFormat::Human => print!("{}", crate::explain::render_human(&explanation)),
        ExplainFormat::Json => println!("{}", serde_json::to_string_pretty(&explanation).unwrap_or_default()),
    }
    exit::OK
}

/// The newest OS version the policies distinguish on `platform`: where the last band starts.
fn newest_known(c: &Compilation, platform: crate::model::Platform) -> crate::model::OsVersion {
    crate::analysis::cohorts(&c.declarations)
        .iter()
        .filter(|cohort| cohort.platform == platform)
        .map(|cohort| cohort.band.from)
        .max()
        .unwrap_or(crate::model::OsVersion::new(26, 0, None))
}

fn apple_schemas(reference: &Path, out: &Path, check: bool) -> i32 {
    let files = match generate::generate(reference) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::IO;
        }
    };
    if check {
        let stale: Vec<&str> = files
            .iter()
            .filter(|f| std::fs::read(out.join(&f.path)).ok().as_deref() != Some(f.bytes.as_slice()))
            .map(|f| f.path.as_str())
            .collect();
        if stale.is_empty() {
            eprintln!("`{}` is up to date with `{}`", out.display(), reference.display());
            return exit::OK;
        }
        eprintln!("error: stale in `{}`: {}; run `ddmc apple-schemas`", out.display(), stale.join(", "));
        return exit::POLICY;
    }
    for file in &files {
        let path = out.join(&file.path);
        if let Err(e) = std::fs::create_dir_all(out).and_then(|()| std::fs::write(&path, &file.bytes)) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            return exit::IO;
        }
    }
    eprintln!("wrote {} files into `{}`", files.len(), out.display());
    exit::OK
}

/// `ddmc status check`: the verdicts on stdout; 0 only when every target is met.
fn status_check(
    cli: &Cli,
    options: &crate::status::Options<'_>,
    json: bool,
    secret: &dyn Fn(&str) -> Option<String>,
) -> i32 {
    use crate::status::{StatusError, render};
    let check = match crate::status::check(options, secret) {
        Ok(check) => check,
        Err(StatusError::Policy(mut c)) => return report(cli, &mut c),
        Err(StatusError::Load(e)) => return load_failed(&e),
        Err(e) => {
            eprintln!("error: {e}");
            return if matches!(e, StatusError::Platform(_)) { exit::USAGE } else { exit::IO };
        }
    };
    let text = if json {
        format!("{}\n", serde_json::to_string_pretty(&render::json(&check)).unwrap_or_default())
    } else {
        render::human(&check)
    };
    // A closed pipe (`| head`) is not worth a panic.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if check.compliant() { exit::OK } else { exit::POLICY }
}

/// `ddmc legacy schedule`: the deprecation warning, the command, one summary line.
fn legacy_schedule(cli: &Cli, available: &Path, action: InstallAction, out: Option<&Path>) -> i32 {
    if !cli.quiet {
        eprintln!("warning: {}", schedule::DEPRECATION_WARNING);
    }
    let written = schedule::schedule(available, action)
        .and_then(|scheduled| schedule::write_output(&scheduled, available, out).map(|()| scheduled));
    match written {
        Ok(scheduled) => {
            done(cli, &scheduled.summary(out));
            exit::OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            match e.kind() {
                schedule::ErrorKind::Input => exit::POLICY,
                schedule::ErrorKind::Usage => exit::USAGE,
                schedule::ErrorKind::Io => exit::IO,
            }
        }
    }
}

/// Every diagnostic, sorted, in the chosen format: human and short on stderr, JSON lines on
/// stdout. `--quiet` keeps only errors.
fn print_diagnostics(cli: &Cli, diagnostics: &diagnostics::Diagnostics, sources: &Sources<'_>) {
    let styled = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let (mut stderr, mut stdout) = (std::io::stderr().lock(), std::io::stdout().lock());
    for d in diagnostics.shown(|d| !cli.quiet || d.severity == Severity::Error) {
        let d = d.as_ref();
        // A closed pipe (`| head`) is not worth a panic.
        let _ = match cli.message_format {
            Format::Human => writeln!(stderr, "{}\n", diagnostics::render_human(d, sources, styled)),
            Format::Short => writeln!(stderr, "{}", diagnostics::render_short(d)),
            Format::Json => writeln!(stdout, "{}", diagnostics::render_json(d)),
        };
    }
}

/// Prints the diagnostics; the exit code they call for.
fn report(cli: &Cli, c: &mut Compilation) -> i32 {
    if cli.deny_conflicts {
        c.diagnostics.deny(diagnostics::Code::Conflict);
    }
    let sources: Sources<'_> =
        c.repository.project.iter().chain(&c.repository.policies).map(|f| (f.name.as_str(), f.text.as_str())).collect();
    print_diagnostics(cli, &c.diagnostics, &sources);
    if c.diagnostics.count(Severity::Error) > 0 {
        eprintln!("error: {}; nothing was written", counts(c));
        return exit::POLICY;
    }
    exit::OK
}

fn done(cli: &Cli, message: &str) {
    if !(cli.quiet && cli.message_format == Format::Json) {
        eprintln!("{message}");
    }
}

fn counts(c: &Compilation) -> String {
    diagnostics::summary_line(c.diagnostics.count(Severity::Error), c.diagnostics.count(Severity::Warning))
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn load_failed(e: &LoadError) -> i32 {
    eprintln!("error: {e}");
    match e {
        LoadError::NoRepository(_) => exit::USAGE,
        LoadError::Io(..) => exit::IO,
    }
}

/// The output folder must not hold the repository's sources: replacing it would delete them.
fn unsafe_output(repo: &Path, out: &Path) -> Option<String> {
    let repo = repo.canonicalize().ok()?;
    let out = out.canonicalize().ok()?;
    let holds = |inner: &Path| inner.starts_with(&out);
    (holds(&repo) || holds(&repo.join(crate::repo::POLICY_DIR))).then(|| {
        format!("the output folder `{}` contains the policy repository; choose another `--out`", out.display())
    })
}

/// `ddmc lint`: the diagnostics, rendered like `check`'s, and a summary.
fn lint(cli: &Cli, paths: &[PathBuf], options: &crate::lint::Options) -> i32 {
    let report = match crate::lint::lint(paths, options) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            return if e.kind() == std::io::ErrorKind::NotFound { exit::USAGE } else { exit::IO };
        }
    };
    print_diagnostics(cli, &report.diagnostics, &report.sources());
    let (errors, warnings) = (report.diagnostics.count(Severity::Error), report.diagnostics.count(Severity::Warning));
    let files = report.files.len();
    let summary =
        format!("{files} {}: {}", plural(files, "file", "files"), diagnostics::summary_line(errors, warnings));
    if errors > 0 {
        eprintln!("error: linted {summary}");
        return exit::POLICY;
    }
    done(cli, &format!("linted {summary}"));
    exit::OK
}
