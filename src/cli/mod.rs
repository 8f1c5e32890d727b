//! The command line: parses arguments, runs the pipeline, renders diagnostics, and decides
//! the exit code in one place. One file per command; `args` defines them all and `output`
//! is how every command ends.

mod apple_schemas;
mod args;
mod build;
mod catalog;
mod diff;
mod explain;
mod lint;
mod output;
mod report;
mod schedule;
mod status;

use crate::model::schema;
use args::*;
use clap::Parser;
use output::*;
use std::io::Write;

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
            lint::lint(&cli, paths, &options)
        }
        Command::AppleSchemas { reference, out, check } => apple_schemas::apple_schemas(&cli, reference, out, *check),
        Command::Explain { repo, platform, os, group, enrollment, now, format } => {
            let device = (*platform, *os, group.clone(), *enrollment);
            explain::explain(&cli, repo, device, *now, *format, &secret)
        }
        Command::Status { command: StatusCommand::Check { repo, report, group, platform, now, format } } => {
            let environment = cli.env.as_deref();
            let options = crate::status::Options { repo, report, group, platform: *platform, now: *now, environment };
            status::status_check(&cli, &options, format == "json", &secret)
        }
        Command::Catalog { command } => catalog::catalog(&cli, command),
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
            report::html_report(&cli, repo, out.as_deref(), *now, since.as_deref(), &secret)
        }
        Command::Legacy { command: LegacyCommand::Schedule { available, install_action, out } } => {
            schedule::legacy_schedule(&cli, available, *install_action, out.as_deref())
        }
        Command::Check { paths, now } => {
            let (repo, only) = match build::check_target(paths) {
                Ok(target) => target,
                Err(message) => return fail(&cli, usage(message)),
            };
            build::check(&cli, &repo, only.as_deref(), clock(*now), &secret)
        }
        Command::Diff { paths, git, format } => diff::diff(&cli, paths, git.as_deref(), *format),
        Command::Build { repo, out, check, format, now } => {
            build::build(&cli, repo, out.as_deref(), *check, *format, clock(*now), &secret)
        }
    }
}
