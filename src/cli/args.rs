//! The command line's definition: every command, argument and value parser.

use crate::generate;
use crate::pipeline::{self, Mode};
use crate::schedule::InstallAction;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "ddmc",
    version,
    about = "Compile software-update policies into Apple declarative device management declarations"
)]
pub(super) struct Cli {
    #[command(subcommand)]
    pub(super) command: Command,
    /// How to print problems: `human` (with source snippets), `short` (one line each),
    /// `json` (one JSON object per line, on stdout), `sarif` (a SARIF 2.1.0 log on stdout) or
    /// `github` (GitHub Actions annotations on stdout).
    #[arg(long, global = true, help_heading = "Global options", value_enum, default_value_t = Format::Human)]
    pub(super) message_format: Format,
    /// Do not print warnings.
    #[arg(long, short, global = true, help_heading = "Global options")]
    pub(super) quiet: bool,
    /// Make conflicts between policies errors, not warnings.
    #[arg(long, global = true, help_heading = "Global options")]
    pub(super) deny_conflicts: bool,
    /// Colour in human messages: `auto` (on a terminal, unless NO_COLOR is set), `always`, `never`.
    #[arg(long, global = true, help_heading = "Global options", value_enum, default_value_t = Color::Auto)]
    pub(super) color: Color,
    /// Render `{{ … }}` templates in policy strings with this environment of ddmc.yaml.
    #[arg(long, global = true, help_heading = "Global options", value_name = "NAME")]
    pub(super) env: Option<String>,
}

#[derive(Subcommand)]
pub(super) enum Command {
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
pub(super) enum CatalogCommand {
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
pub(super) enum StatusCommand {
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
pub(super) enum LegacyCommand {
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
    pub(super) fn repository_base(&self) -> String {
        let repo: Option<PathBuf> = match &self.command {
            Command::Build { repo, .. } | Command::Explain { repo, .. } => Some(repo.clone()),
            Command::Check { paths, .. } => super::build::check_target(paths).ok().map(|(root, _)| root),
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
    pub(super) fn options<'a>(
        &'a self,
        mode: Mode,
        secret: &'a (dyn Fn(&str) -> Option<String> + Sync),
        now: Option<crate::model::LocalDateTime>,
    ) -> pipeline::Options<'a> {
        pipeline::Options { now, environment: self.env.as_deref(), ..pipeline::Options::new(mode, secret) }
    }
}

/// For commands that read the compilation but write no output tree.
pub(super) fn validate_only(options: pipeline::Options<'_>) -> pipeline::Options<'_> {
    pipeline::Options { render: crate::emit::Render::ValidateOnly, ..options }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Format {
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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum ExplainFormat {
    Human,
    Json,
}

pub(super) fn parse_device_version(s: &str) -> Result<crate::model::DeviceVersion, String> {
    s.parse().map_err(|e: crate::model::version::VersionError| e.to_string())
}

/// `--platform`: Apple's names, any case, listed in the help; `iPadOS` is iOS, as everywhere
/// in ddmc. The one parser every command uses.
pub(super) fn platform() -> impl clap::builder::TypedValueParser<Value = crate::model::Platform> {
    use crate::model::Platform;
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["macOS", "iOS", "iPadOS", "tvOS", "visionOS"])
        .map(|name: String| Platform::from_name(&name).unwrap_or(Platform::IOS))
}

/// `--now`, else this machine's local wall clock.
pub(super) fn clock(now: Option<crate::model::LocalDateTime>) -> crate::model::LocalDateTime {
    now.unwrap_or_else(crate::model::LocalDateTime::now_local)
}

pub(super) fn parse_local_date_time(s: &str) -> Result<crate::model::LocalDateTime, String> {
    s.parse().map_err(|e: crate::model::datetime::DateTimeError| e.to_string())
}
