//! The command line: parses arguments, runs the pipeline, renders diagnostics, and decides
//! the exit code in one place.

use crate::diagnostics::{self, Severity, render::Sources};
use crate::emit::write::write_tree;
use crate::generate;
use crate::model::schema;
use crate::pipeline::{self, Compilation, Mode};
use crate::repo::LoadError;
use crate::schedule::{self, InstallAction};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Exit codes: 0 ok (warnings allowed), 1 policy errors, 2 usage errors, 3 I/O or internal.
pub mod exit {
    pub const OK: i32 = 0;
    pub const POLICY: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const IO: i32 = 3;

    /// The exit class of a failure, decided here only: a usage mistake, a file that
    /// cannot be read or written, or a problem with the input's content.
    pub fn of(code: crate::diagnostics::Code) -> i32 {
        use crate::diagnostics::Code;
        match code {
            Code::Usage => USAGE,
            Code::Io => IO,
            _ => POLICY,
        }
    }
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
    /// How to print problems: `human` (with source snippets), `short` (one line each),
    /// `json` (one JSON object per line, on stdout), `sarif` (a SARIF 2.1.0 log on stdout) or
    /// `github` (GitHub Actions annotations on stdout).
    #[arg(long, global = true, help_heading = "Global options", value_enum, default_value_t = Format::Human)]
    message_format: Format,
    /// Do not print warnings.
    #[arg(long, short, global = true, help_heading = "Global options")]
    quiet: bool,
    /// Make conflicts between policies errors, not warnings.
    #[arg(long, global = true, help_heading = "Global options")]
    deny_conflicts: bool,
    /// Colour in human messages: `auto` (on a terminal, unless NO_COLOR is set), `always`, `never`.
    #[arg(long, global = true, help_heading = "Global options", value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Render `{{ … }}` templates in policy strings with this environment of ddmc.yaml.
    #[arg(long, global = true, help_heading = "Global options", value_name = "NAME")]
    env: Option<String>,
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
        /// Write nothing: compare the build with the output folder and exit 1, listing stale,
        /// missing and extra files, when the committed output is out of date.
        #[arg(long)]
        check: bool,
        /// The layout of the output: `raw` (declarations, profiles, manifest), `kmfddm` (sets
        /// and an upload script) or `fleet` (a folder and GitOps fragment per group).
        #[arg(long, value_enum, default_value_t = crate::emit::format::Format::Raw)]
        format: crate::emit::format::Format,
        /// The local time deadlines are compared with, `yyyy-mm-ddThh:mm:ss` (default: this
        /// machine's clock). Only warnings depend on it, never the output.
        #[arg(long, value_parser = parse_local_date_time)]
        now: Option<crate::model::LocalDateTime>,
    },
    /// What changed between two output folders, or between the output built from REPO at a
    /// git revision and the working tree: declarations and profiles added, removed and
    /// changed (with their keys), ServerTokens and DeclarationsTokens that moved.
    Diff {
        /// `OLD NEW` (two output folders), or with `--git`, the repository (default `.`).
        #[arg(value_name = "PATH", num_args = 0..=2)]
        paths: Vec<PathBuf>,
        /// Compare the output built from the policies at this git revision with the working tree.
        #[arg(long, value_name = "REV")]
        git: Option<String>,
        /// `human`, or `json`: one object on stdout.
        #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
        format: ExplainFormat,
    },
    /// Everything `build` does except writing: for pre-commit hooks and CI.
    Check {
        /// The policy repository, or policy files (as pre-commit passes them): the repository
        /// they belong to is checked, and only their problems are reported.
        #[arg(default_value = ".", value_name = "REPO|FILE")]
        paths: Vec<PathBuf>,
        /// The local time deadlines are compared with, `yyyy-mm-ddThh:mm:ss` (default: this
        /// machine's clock).
        #[arg(long, value_parser = parse_local_date_time)]
        now: Option<crate::model::LocalDateTime>,
    },
    /// Start a policy repository in DIR: ddmc.yaml, two example policies, the editor schemas,
    /// .gitignore, a pre-commit configuration and a CI workflow. Overwrites nothing.
    Init {
        /// The folder (created if absent).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print ddmc's manual page (roff) on stdout: `ddmc man > ddmc.1`.
    Man,
    /// Print the JSON Schema of policy files (or, with --project, of ddmc.yaml).
    Schema {
        /// Print the schema of ddmc.yaml instead.
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
        /// Declarations (`.json`), profiles (`.mobileconfig`), or folders of them.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Also check that everything applies on this platform (macOS, iOS, tvOS, visionOS).
        #[arg(long, value_parser = platform(), ignore_case = true)]
        platform: Option<crate::model::Platform>,
        /// ... at this OS version of `--platform`, such as `15.2`.
        #[arg(long, requires = "platform", value_parser = crate::lint::parse_os)]
        os: Option<crate::model::OsVersion>,
        /// ... with this enrollment.
        #[arg(long, requires = "platform", value_enum)]
        enrollment: Option<crate::lint::Enrollment>,
        /// `optional` for repositories of MDM servers that add each declaration's
        /// `ServerToken` themselves (Fleet): a missing one is then not reported.
        #[arg(long, value_enum, default_value_t = crate::lint::ServerTokens::Required)]
        server_tokens: crate::lint::ServerTokens,
    },
    /// Explain what one device gets from REPO: its effective settings and where each comes
    /// from, the declarations and legacy profiles it receives, its deadlines, and notes.
    Explain {
        /// The policy repository (the folder with `ddmc.yaml` and `policies/`).
        #[arg(default_value = ".")]
        repo: PathBuf,
        /// The device's platform.
        #[arg(long, value_parser = platform(), ignore_case = true)]
        platform: crate::model::Platform,
        /// The device's OS, `26.3.1` or `26.3.1 (a)` (default: the newest the policies know of on
        /// PLATFORM: their highest enforcement target, or the newest OS their settings start at).
        #[arg(long, value_parser = parse_device_version)]
        os: Option<crate::model::DeviceVersion>,
        /// The device's group (`all`: only what every device gets).
        #[arg(long, default_value = crate::model::GROUP_ALL)]
        group: String,
        /// How the device is enrolled (what Apple allows depends on it).
        #[arg(long, value_enum, default_value_t = crate::explain::Enrollment::Supervised)]
        enrollment: crate::explain::Enrollment,
        /// The current local time, `yyyy-mm-ddThh:mm:ss`, for deadlines (reproducible output).
        #[arg(long, value_parser = parse_local_date_time)]
        now: Option<crate::model::LocalDateTime>,
        /// `human`, or `json`: one object on stdout.
        #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
        format: ExplainFormat,
    },
    /// One self-contained HTML page about REPO for review: the rollout timeline, the
    /// effective settings per cohort, the legacy era, diagnostics, every declaration and
    /// profile, and with `--since` what changed.
    Report {
        /// The policy repository (the folder with `ddmc.yaml` and `policies/`).
        #[arg(default_value = ".")]
        repo: PathBuf,
        /// Write the page to FILE (atomically) instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// The current local time, `yyyy-mm-ddThh:mm:ss` (default: the clock): the same input
        /// and `--now` give the same bytes.
        #[arg(long, value_parser = parse_local_date_time)]
        now: Option<crate::model::LocalDateTime>,
        /// Also show what changed in the output since this git revision (as `ddmc diff --git`).
        #[arg(long, value_name = "REV")]
        since: Option<String>,
    },
    /// Apple's catalog: the GDMF snapshot that `latest` and relative deadlines resolve against.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
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
        /// Where to write the generated files (only into an empty folder or an earlier output).
        #[arg(long, default_value = "schemas/apple")]
        out: PathBuf,
        /// Write nothing; exit 1 when the committed files differ from what would be generated.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Fetch Apple's catalog (or read a file) into REPO's catalog file (`catalog:` in
    /// ddmc.yaml, default `apple-catalog.json`), atomically, and print what changed.
    Update {
        /// The policy repository (the folder with `ddmc.yaml` and `policies/`).
        #[arg(default_value = ".")]
        repo: PathBuf,
        /// Where to read GDMF from: an https:// URL (http:// only on this machine) or a file
        /// (Apple's answer, a ddmc catalog, or SOFA's `gdmf_cached.json`).
        #[arg(long, value_name = "URL|FILE", default_value = crate::catalog::update::GDMF_URL)]
        from: String,
        /// An extra root certificate (PEM) to trust, for a mirror; Apple's root is always trusted.
        #[arg(long = "ca-cert", value_name = "FILE")]
        ca_cert: Vec<PathBuf>,
        /// The time to record as `fetched` (RFC 3339, UTC), instead of the clock: reproducible runs.
        #[arg(long, value_name = "TIME")]
        now: Option<jiff::Timestamp>,
    },
    /// List the catalog's versions, builds, BSIs, release and expiry dates and device counts.
    Show {
        /// The policy repository (the folder with `ddmc.yaml` and `policies/`).
        #[arg(default_value = ".")]
        repo: PathBuf,
        /// Only this platform (macOS, iOS, tvOS, visionOS).
        #[arg(long, value_parser = platform(), ignore_case = true)]
        platform: Option<crate::model::Platform>,
    },
}

#[derive(Subcommand)]
enum StatusCommand {
    /// Whether a device meets REPO's enforcement targets: compliant, pending or behind, and
    /// why. Exit 0 when it meets all that apply to it (or none applies), 1 otherwise.
    Check {
        /// The policy repository (the folder with `ddmc.yaml` and `policies/`).
        #[arg(default_value = ".")]
        repo: PathBuf,
        /// The device's DDM status report (JSON) or MDM DeviceInformation response (plist or JSON).
        #[arg(long, value_name = "FILE")]
        report: PathBuf,
        /// The device's group (`all`: only what every device gets).
        #[arg(long, default_value = crate::model::GROUP_ALL, value_parser = crate::status::parse_group)]
        group: String,
        /// The device's platform; needed when the report does not tell it.
        #[arg(long, value_parser = platform(), ignore_case = true)]
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

impl Cli {
    /// The repository's folder as the checkout sees it (relative to the current folder, `/`
    /// separated; empty for the current folder): SARIF and GitHub name files from there.
    fn repository_base(&self) -> String {
        let repo: Option<PathBuf> = match &self.command {
            Command::Build { repo, .. } | Command::Explain { repo, .. } => Some(repo.clone()),
            Command::Check { paths, .. } => check_target(paths).ok().map(|(root, _)| root),
            Command::Status { command: StatusCommand::Check { repo, .. } } => Some(repo.clone()),
            _ => None,
        };
        let Some(repo) = repo else { return String::new() };
        let cwd = std::env::current_dir().ok();
        let relative = match (repo.is_absolute(), cwd) {
            (true, Some(cwd)) => repo.strip_prefix(&cwd).map(Path::to_path_buf).unwrap_or(repo),
            _ => repo,
        };
        let parts: Vec<String> = relative
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        parts.join("/")
    }

    /// What every compiling command passes to the pipeline.
    fn options<'a>(
        &'a self,
        mode: Mode,
        secret: &'a dyn Fn(&str) -> Option<String>,
        now: Option<crate::model::LocalDateTime>,
    ) -> pipeline::Options<'a> {
        pipeline::Options { mode, secret, now, environment: self.env.as_deref() }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// With source snippets, on stderr.
    Human,
    /// One line each, on stderr.
    Short,
    /// One JSON object per problem, on stdout.
    Json,
    /// One SARIF 2.1.0 log on stdout (GitHub code scanning).
    Sarif,
    /// GitHub Actions workflow commands on stdout (annotations on the pull request).
    Github,
}

/// The command line's definition: completions, the man page and tests read it.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
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
        Command::Lint { paths, platform, os, enrollment, server_tokens } => {
            let options = crate::lint::Options {
                platform: *platform,
                os: *os,
                enrollment: *enrollment,
                server_tokens: *server_tokens,
            };
            lint(&cli, paths, &options)
        }
        Command::AppleSchemas { reference, out, check } => apple_schemas(&cli, reference, out, *check),
        Command::Explain { repo, platform, os, group, enrollment, now, format } => {
            let device = (*platform, *os, group.clone(), *enrollment);
            explain(&cli, repo, device, *now, *format, &secret)
        }
        Command::Status { command: StatusCommand::Check { repo, report, group, platform, now, format } } => {
            let environment = cli.env.as_deref();
            let options = crate::status::Options { repo, report, group, platform: *platform, now: *now, environment };
            status_check(&cli, &options, format == "json", &secret)
        }
        Command::Catalog { command } => catalog(&cli, command),
        Command::Init { dir } => match crate::init::init(dir) {
            Ok(paths) => {
                for path in paths {
                    eprintln!("created {path}");
                }
                done(&cli, &format!("next: edit the policies, then `ddmc check {}`", dir.display()));
                exit::OK
            }
            Err(e @ crate::init::InitError::Exists(_)) => fail(&cli, usage(e.to_string())),
            Err(e) => fail(&cli, io(e.to_string())),
        },
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "ddmc", &mut std::io::stdout());
            exit::OK
        }
        Command::Man => {
            let page = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command());
            let mut out = Vec::new();
            if page.render(&mut out).is_err() {
                return exit::IO;
            }
            let _ = std::io::stdout().lock().write_all(&out);
            exit::OK
        }
        Command::Report { repo, out, now, since } => {
            html_report(&cli, repo, out.as_deref(), *now, since.as_deref(), &secret)
        }
        Command::Legacy { command: LegacyCommand::Schedule { available, install_action, out } } => {
            legacy_schedule(&cli, available, *install_action, out.as_deref())
        }
        Command::Check { paths, now } => {
            let (repo, only) = match check_target(paths) {
                Ok(target) => target,
                Err(message) => return fail(&cli, usage(message)),
            };
            check(&cli, &repo, only.as_deref(), clock(*now), &secret)
        }
        Command::Diff { paths, git, format } => diff(&cli, paths, git.as_deref(), *format),
        Command::Build { repo, out, check, format, now } => {
            match pipeline::compile_with(repo, &cli.options(Mode::Build, &secret, Some(clock(*now)))) {
                Ok(mut c) => {
                    pipeline::package(&mut c, *format);
                    let code = report(&cli, &mut c, true);
                    if code != exit::OK {
                        return code;
                    }
                    let out = out.clone().unwrap_or_else(|| repo.join(c.project.output()));
                    if let Some(problem) = unsafe_output(repo, &out) {
                        return fail(&cli, usage(problem));
                    }
                    if *check {
                        return build_check(&cli, &out, &c.files);
                    }
                    let shown = out.display().to_string();
                    let mut waiting = || eprintln!("waiting for another build of `{shown}`");
                    match write_tree(&out, &c.files, &mut waiting) {
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
                        Err(e) if e.is_usage() => fail(&cli, usage(e.to_string())),
                        Err(e) => fail(&cli, io(e.to_string())),
                    }
                }
                Err(e) => load_failed(&cli, &e),
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

/// `--platform`: Apple's names, any case, listed in the help; `iPadOS` is iOS, as everywhere
/// in ddmc. The one parser every command uses.
fn platform() -> impl clap::builder::TypedValueParser<Value = crate::model::Platform> {
    use crate::model::Platform;
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["macOS", "iOS", "iPadOS", "tvOS", "visionOS"])
        .map(|name: String| Platform::from_name(&name).unwrap_or(Platform::IOS))
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
    let mut c = match pipeline::compile_with(repo, &cli.options(Mode::Check, secret, None)) {
        Ok(c) => c,
        Err(e) => return load_failed(cli, &e),
    };
    let code = report(cli, &mut c, false);
    if code != exit::OK {
        return code;
    }
    if let Some(message) = c.unknown_group(&group) {
        return fail(cli, usage(message));
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

/// The newest OS version the policies know of on `platform`: the highest enforcement target
/// or the start of the newest band of settings, whichever is newer.
fn newest_known(c: &Compilation, platform: crate::model::Platform) -> crate::model::OsVersion {
    let bands = crate::analysis::cohorts(&c.declarations).into_iter().filter(|cohort| cohort.platform == platform);
    let targets = c
        .declarations
        .iter()
        .filter(|d| d.applies_to.iter().any(|r| r.platform == platform))
        .filter_map(|d| Some(d.enforcement()?.version));
    bands.map(|cohort| cohort.band.from).chain(targets).max().unwrap_or(crate::model::OsVersion::new(26, 0, None))
}

fn apple_schemas(cli: &Cli, reference: &Path, out: &Path, check: bool) -> i32 {
    if !reference.is_dir() {
        let d = usage(format!("Apple's schema folder `{}` does not exist", reference.display())).help(
            "pass `--reference DIR`, a checkout of https://github.com/apple/device-management \
             (the folder that holds `declarative/` and `mdm/`)",
        );
        return fail(cli, d);
    }
    let files = match generate::generate(reference) {
        Ok(files) => files,
        Err(e) => return fail(cli, io(e.to_string())),
    };
    if !check && let Some(foreign) = foreign_files(out, &files) {
        let d = usage(format!(
            "`{}` holds files `ddmc apple-schemas` does not write ({foreign}); refusing to write into it",
            out.display()
        ))
        .help("choose an empty folder, or the `schemas/apple` folder of an earlier run");
        return fail(cli, d);
    }
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
        let d = diagnostics::Diagnostic::error(
            diagnostics::Code::Stale,
            format!("stale in `{}`: {}", out.display(), stale.join(", ")),
        )
        .help("run `ddmc apple-schemas`");
        return fail(cli, d);
    }
    for file in &files {
        let path = out.join(&file.path);
        if let Err(e) = std::fs::create_dir_all(out).and_then(|()| std::fs::write(&path, &file.bytes)) {
            return fail(cli, io(format!("cannot write `{}`: {e}", path.display())));
        }
    }
    eprintln!("wrote {} files into `{}`", files.len(), out.display());
    exit::OK
}

/// What in `out` the generator would not write: it only writes into an empty folder or an
/// earlier output, so a mistyped `--out` cannot mix its files into someone else's folder.
fn foreign_files(out: &Path, files: &[crate::emit::OutputFile]) -> Option<String> {
    let entries = std::fs::read_dir(out).ok()?;
    let mut foreign: Vec<String> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            !e.file_type().is_ok_and(|t| t.is_file()) || !files.iter().any(|f| f.path == name)
        })
        .map(|e| format!("`{}`", e.file_name().to_string_lossy()))
        .collect();
    foreign.sort();
    let more = foreign.len().saturating_sub(3);
    foreign.truncate(3);
    (!foreign.is_empty())
        .then(|| if more > 0 { format!("{} and {more} more", foreign.join(", ")) } else { foreign.join(", ") })
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
        Err(StatusError::Policy(mut c)) => return report(cli, &mut c, false),
        Err(StatusError::Report(crate::status::report::ReportError::Content { diagnostic, text })) => {
            return input_failed(cli, *diagnostic, &text);
        }
        Err(StatusError::Load(e)) => return load_failed(cli, &e),
        Err(e) => {
            let usage_error = matches!(e, StatusError::Platform(_) | StatusError::UnknownGroup(_));
            return if usage_error { fail(cli, usage(e.to_string())) } else { fail(cli, io(e.to_string())) };
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

/// `ddmc check`: the repository's problems (or only those of the files named); a summary.
fn check(
    cli: &Cli,
    repo: &Path,
    only: Option<&[String]>,
    now: crate::model::LocalDateTime,
    secret: &dyn Fn(&str) -> Option<String>,
) -> i32 {
    let mut c = match pipeline::compile_with(repo, &cli.options(Mode::Check, secret, Some(now))) {
        Ok(c) => c,
        Err(e) => return load_failed(cli, &e),
    };
    if let Some(files) = only {
        c.diagnostics.retain(|d| d.location.as_ref().is_none_or(|l| files.contains(&l.file)));
    }
    let code = report(cli, &mut c, false);
    if code == exit::OK {
        let n = c.policies.len();
        done(cli, &format!("checked {n} {}: {}", plural(n, "policy", "policies"), counts(&c)));
    }
    code
}

/// What `ddmc check PATH...` means: one folder is the repository; files (what pre-commit
/// passes) name the repository they are in, found by walking up to the folder that holds
/// `ddmc.yaml` or `policies/`, and only their problems are reported.
fn check_target(paths: &[PathBuf]) -> Result<(PathBuf, Option<Vec<String>>), String> {
    if let [one] = paths
        && !one.is_file()
    {
        return Ok((one.clone(), None));
    }
    let mut root: Option<PathBuf> = None;
    let mut names = Vec::new();
    for path in paths {
        if !path.is_file() {
            return Err(format!("`{}` is not a file; give one repository folder or policy files", path.display()));
        }
        let absolute = path.canonicalize().map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let found = absolute
            .ancestors()
            .skip(1)
            .find(|dir| dir.join(crate::repo::PROJECT_FILE).is_file() || dir.join(crate::repo::POLICY_DIR).is_dir())
            .ok_or_else(|| format!("`{}` is not inside a policy repository", path.display()))?
            .to_path_buf();
        match &root {
            Some(r) if *r != found => {
                return Err(format!(
                    "`{}` and `{}` hold the given files: check one repository at a time",
                    r.display(),
                    found.display()
                ));
            }
            _ => root = Some(found.clone()),
        }
        let relative = absolute.strip_prefix(&found).unwrap_or(&absolute);
        names.push(relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"));
    }
    let root = root.ok_or("no path given")?;
    Ok((root, Some(names)))
}

/// `ddmc build --check`: 0 when `out` holds exactly this build, 1 (listing why) when not.
fn build_check(cli: &Cli, out: &Path, files: &[crate::emit::OutputFile]) -> i32 {
    use crate::diff::tree;
    let on_disk = if out.exists() {
        match tree::read(out) {
            Ok(t) => t,
            Err(e) => return fail(cli, io(e)),
        }
    } else {
        tree::Tree::new()
    };
    let drift = tree::drift(&tree::from_files(files), &on_disk);
    if drift.is_empty() {
        done(cli, &format!("`{}` is up to date", out.display()));
        return exit::OK;
    }
    for (what, paths) in [("stale", &drift.stale), ("missing", &drift.missing), ("extra", &drift.extra)] {
        for path in paths {
            println!("{what}: {path}");
        }
    }
    eprintln!(
        "error: `{}` is out of date ({} stale, {} missing, {} extra); run `ddmc build` and commit it",
        out.display(),
        drift.stale.len(),
        drift.missing.len(),
        drift.extra.len()
    );
    exit::POLICY
}

/// `ddmc diff OLD NEW` or `ddmc diff --git REV [REPO]`.
fn diff(cli: &Cli, paths: &[PathBuf], rev: Option<&str>, format: ExplainFormat) -> i32 {
    use crate::diff::{self, tree};
    let found = match (rev, paths) {
        (Some(rev), [] | [_]) => git_diff(cli, paths.first().map_or(Path::new("."), PathBuf::as_path), rev),
        (None, [old, new]) => {
            let read = |p: &Path| tree::read(p).map_err(|e| fail(cli, usage(e)));
            read(old).and_then(|old| Ok(diff::diff(&old, &read(new)?)))
        }
        _ => {
            let message = "give two output folders (`ddmc diff OLD NEW`), or `--git REV [REPO]`";
            return fail(cli, usage(message));
        }
    };
    let diff = match found {
        Ok(diff) => diff,
        Err(code) => return code,
    };
    let text = match format {
        ExplainFormat::Human => diff::render::human(&diff),
        ExplainFormat::Json => format!("{}\n", serde_json::to_string_pretty(&diff).unwrap_or_default()),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    exit::OK
}

/// What changed in the output from REPO's policies at `rev` to the working tree (`diff
/// --git`, `report --since`). No environment variable is read: a diff shows `$VAR` where a
/// seeding token goes.
fn git_diff(cli: &Cli, repo: &Path, rev: &str) -> Result<crate::diff::Diff, i32> {
    use crate::diff::{self, tree};
    let no_secrets = |_: &str| None;
    let build = |repo: &Path, what: &str| -> Result<tree::Tree, i32> {
        let options = cli.options(Mode::Check, &no_secrets, None);
        let mut c = pipeline::compile_with(repo, &options).map_err(|e| load_failed(cli, &e))?;
        if c.diagnostics.has_errors() {
            let code = report(cli, &mut c, false);
            eprintln!("error: the policies {what} do not compile");
            return Err(code);
        }
        Ok(tree::from_files(&c.files))
    };
    let old = diff::git::checkout(repo, rev).map_err(|e| fail(cli, usage(e)))?;
    Ok(diff::diff(&build(old.path(), &format!("at `{rev}`"))?, &build(repo, "in the working tree")?))
}

/// `ddmc report`: the page on stdout or in `--out`; on any error nothing is written.
fn html_report(
    cli: &Cli,
    repo: &Path,
    out: Option<&Path>,
    now: Option<crate::model::LocalDateTime>,
    since: Option<&str>,
    secret: &dyn Fn(&str) -> Option<String>,
) -> i32 {
    use crate::report;
    if let Some(out) = out.filter(|o| o.is_dir()) {
        let message = format!("`--out {}` is a folder; name the HTML file to write", out.display());
        return fail(cli, usage(message));
    }
    let mut c = match pipeline::compile_with(repo, &cli.options(Mode::Check, secret, None)) {
        Ok(c) => c,
        Err(e) => return load_failed(cli, &e),
    };
    let code = self::report(cli, &mut c, false);
    if code != exit::OK {
        return code;
    }
    let catalog = match report::catalog_state(repo, &c.project) {
        Ok(state) => state,
        Err(message) => {
            return fail(cli, diagnostics::Diagnostic::error(diagnostics::Code::Catalog, message));
        }
    };
    let since = match since {
        Some(rev) => match git_diff(cli, repo, rev) {
            Ok(diff) => Some((rev.to_string(), diff)),
            Err(code) => return code,
        },
        None => None,
    };
    let inputs =
        report::Inputs { repository: report::name_of(repo), now: now.unwrap_or_else(report::clock), catalog, since };
    let page = report::render(&report::build(&c, inputs));
    let Some(out) = out else {
        let _ = std::io::stdout().lock().write_all(page.as_bytes());
        return exit::OK;
    };
    // Beside the old page, then renamed over it: a reader never sees half a page.
    match crate::catalog::update::write_atomically(out, &page) {
        Ok(()) => {
            done(cli, &format!("wrote the report to `{}`", out.display()));
            exit::OK
        }
        Err(e) => fail(cli, io(format!("cannot write `{}`: {e}", out.display()))),
    }
}

/// `ddmc catalog update|show`.
fn catalog(cli: &Cli, command: &CatalogCommand) -> i32 {
    use crate::catalog::{self, update};
    let repo = match command {
        CatalogCommand::Update { repo, .. } | CatalogCommand::Show { repo, .. } => repo,
    };
    let (repository, project, mut diagnostics) = match pipeline::project(repo) {
        Ok(loaded) => loaded,
        Err(e) => return load_failed(cli, &e),
    };
    let sources: Sources<'_> = repository.project.iter().map(|f| (f.name.as_str(), f.text.as_str())).collect();
    if diagnostics.has_errors() {
        print_diagnostics(cli, &diagnostics, &sources);
        return exit::POLICY;
    }
    let path = match catalog::path_in(repo, project.catalog()) {
        Ok(path) => path,
        Err(message) => return fail(cli, usage(message)),
    };
    let name = project.catalog();
    let failed = |diagnostics: &mut diagnostics::Diagnostics, e: catalog::CatalogError, file: &str, code: i32| {
        let message = if e.message.contains(file) { e.message } else { format!("`{file}`: {}", e.message) };
        diagnostics.push(diagnostics::Diagnostic::error(diagnostics::Code::Catalog, message));
        print_diagnostics(cli, diagnostics, &Sources::new());
        code
    };
    let old = match (catalog::load(&path), command) {
        (Ok(old), _) => old,
        // An unreadable catalog is what `update` repairs.
        (Err(e), CatalogCommand::Update { .. }) => {
            if !cli.quiet {
                eprintln!("warning: the current `{name}` is unreadable ({e}); it will be replaced");
            }
            None
        }
        (Err(e), CatalogCommand::Show { .. }) => return failed(&mut diagnostics, e, name, exit::POLICY),
    };
    match command {
        CatalogCommand::Show { platform, .. } => {
            let Some((_, catalog)) = old else {
                let message = format!("`{name}` does not exist; run `ddmc catalog update` to create it");
                return fail(cli, usage(message));
            };
            let platforms: Vec<crate::model::Platform> = match platform {
                Some(p) => vec![*p],
                None => crate::model::Platform::ALL.to_vec(),
            };
            let _ = std::io::stdout().lock().write_all(catalog::show::render(&catalog, &platforms).as_bytes());
            exit::OK
        }
        CatalogCommand::Update { from, ca_cert, now, .. } => {
            let source = update::Source::parse(from);
            let quiet = cli.quiet;
            let mut progress = |line: &str| {
                if !quiet {
                    eprintln!("{line}");
                }
            };
            let bytes = match update::fetch(&source, ca_cert, &mut progress) {
                Ok(bytes) => bytes,
                Err(e) => return failed(&mut diagnostics, e, from, exit::IO),
            };
            let fetched = now.unwrap_or_else(jiff::Timestamp::now);
            let (text, new) = match update::wrap(&bytes, &source, fetched) {
                Ok(wrapped) => wrapped,
                Err(e) => return failed(&mut diagnostics, e, from, exit::POLICY),
            };
            for line in update::changes(old.as_ref().map(|(_, c)| c), &new) {
                println!("{line}");
            }
            // What moves in the policies: each `latest` and relative deadline resolved anew.
            if let Ok(moved) = pipeline::resolution_changes(repo, old.as_ref().map(|(_, c)| c), &new) {
                for line in moved {
                    println!("{line}");
                }
            }
            if old.as_ref().is_some_and(|(old_text, _)| *old_text == text) {
                done(cli, &format!("`{name}` is unchanged (as of {})", new.as_of));
                return exit::OK;
            }
            if let Err(e) = update::write_atomically(&path, &text) {
                return fail(cli, io(format!("cannot write `{}`: {e}", path.display())));
            }
            done(cli, &format!("wrote `{name}` (as of {})", new.as_of));
            exit::OK
        }
    }
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
        Err(schedule::ScheduleError::Input { diagnostic, text }) => input_failed(cli, *diagnostic, &text),
        Err(e) => match e.kind() {
            schedule::ErrorKind::Input => {
                fail(cli, diagnostics::Diagnostic::error(diagnostics::Code::InvalidValue, e.to_string()))
            }
            schedule::ErrorKind::Usage => fail(cli, usage(e.to_string())),
            schedule::ErrorKind::Io => fail(cli, io(e.to_string())),
        },
    }
}

/// Every diagnostic, sorted, in the chosen format: human and short on stderr, JSON lines on
/// stdout. `--quiet` keeps only errors.
fn print_diagnostics(cli: &Cli, diagnostics: &diagnostics::Diagnostics, sources: &Sources<'_>) {
    let styled = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let (mut stderr, mut stdout) = (std::io::stderr().lock(), std::io::stdout().lock());
    let shown = diagnostics.shown(|d| !cli.quiet || d.severity == Severity::Error);
    let base = cli.repository_base();
    if cli.message_format == Format::Sarif {
        let all: Vec<&diagnostics::Diagnostic> = shown.iter().map(AsRef::as_ref).collect();
        let _ = stdout.write_all(diagnostics::ci::render_sarif(&all, &base).as_bytes());
        return;
    }
    for d in &shown {
        let d = d.as_ref();
        // A closed pipe (`| head`) is not worth a panic.
        let _ = match cli.message_format {
            Format::Human => writeln!(stderr, "{}\n", diagnostics::render_human(d, sources, styled)),
            Format::Short => writeln!(stderr, "{}", diagnostics::render_short(d)),
            Format::Json => writeln!(stdout, "{}", diagnostics::render_json(d)),
            Format::Github => writeln!(stdout, "{}", diagnostics::ci::render_github(d, &base)),
            Format::Sarif => Ok(()),
        };
    }
}

/// A failure that is not about a file's content (a usage mistake, a file that cannot be
/// read or written): one diagnostic, printed like every other so that `--message-format`
/// applies, and the exit code its code calls for. The one way the command line fails.
fn fail(cli: &Cli, diagnostic: diagnostics::Diagnostic) -> i32 {
    let exit = exit::of(diagnostic.code);
    let mut found = diagnostics::Diagnostics::default();
    found.push(diagnostic);
    print_diagnostics(cli, &found, &Sources::new());
    exit
}

/// A usage mistake (exit 2).
fn usage(message: impl Into<String>) -> diagnostics::Diagnostic {
    diagnostics::Diagnostic::error(diagnostics::Code::Usage, message)
}

/// A file that cannot be read or written (exit 3).
fn io(message: impl Into<String>) -> diagnostics::Diagnostic {
    diagnostics::Diagnostic::error(diagnostics::Code::Io, message)
}

/// A device-side input file that cannot be used: its diagnostic, printed like `check`'s
/// (so `--message-format` applies), and exit 1.
fn input_failed(cli: &Cli, diagnostic: diagnostics::Diagnostic, text: &str) -> i32 {
    let mut found = diagnostics::Diagnostics::default();
    let file = diagnostic.location.as_ref().map(|l| l.file.clone()).unwrap_or_default();
    found.push(diagnostic);
    let sources: Sources<'_> = [(file.as_str(), text)].into_iter().collect();
    print_diagnostics(cli, &found, &sources);
    eprintln!("error: {}", diagnostics::summary_line(1, 0));
    exit::POLICY
}

/// Prints the diagnostics; the exit code they call for. `builds`: the command would have
/// written output (only then does "nothing was written" mean something).
fn report(cli: &Cli, c: &mut Compilation, builds: bool) -> i32 {
    if cli.deny_conflicts {
        c.diagnostics.deny(diagnostics::Code::Conflict);
    }
    let sources: Sources<'_> = c
        .repository
        .project
        .iter()
        .chain(&c.repository.policies)
        .chain(&c.repository.fragments)
        .map(|f| (f.name.as_str(), f.text.as_str()))
        .collect();
    print_diagnostics(cli, &c.diagnostics, &sources);
    if c.diagnostics.count(Severity::Error) > 0 {
        let written = if builds { "; nothing was written" } else { "" };
        eprintln!("error: {}{written}", counts(c));
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

fn load_failed(cli: &Cli, e: &LoadError) -> i32 {
    match e {
        LoadError::NoRepository(_) | LoadError::Usage(_) => fail(cli, usage(e.to_string())),
        LoadError::Io(..) => fail(cli, io(e.to_string())),
    }
}

/// The output folder must not be, or hold, the repository's sources: replacing it would
/// delete them, or its files would be read as policies.
fn unsafe_output(repo: &Path, out: &Path) -> Option<String> {
    let problem = crate::emit::place::clash(repo, out)?;
    Some(format!("{}; choose another `--out`", problem.describe(&out.display().to_string())))
}

/// `ddmc lint`: the diagnostics, rendered like `check`'s, and a summary.
fn lint(cli: &Cli, paths: &[PathBuf], options: &crate::lint::Options) -> i32 {
    let report = match crate::lint::lint(paths, options) {
        Ok(report) => report,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return fail(cli, usage(e.to_string())),
        Err(e) => return fail(cli, io(e.to_string())),
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
