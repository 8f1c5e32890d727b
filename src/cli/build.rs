//! `ddmc check` and `ddmc build` (with `--check`).

use super::args::*;
use super::exit;
use super::output::*;
use crate::diagnostics::Diagnostic;
use crate::emit::declaration::{Digest, Made};
use crate::emit::write::{Staging, WriteError, write_tree};
use crate::emit::{Render, Sink};
use crate::pipeline::{self, Mode};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// `ddmc check`: the repository's problems (or only those of the files named); a summary.
pub(super) fn check(
    cli: &Cli,
    repo: &Path,
    only: Option<&[String]>,
    now: crate::model::LocalDateTime,
    secret: &(dyn Fn(&str) -> Option<String> + Sync),
) -> i32 {
    let mut c = match pipeline::compile_with(repo, &validate_only(cli.options(Mode::Check, secret, Some(now)))) {
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
    exiting(c);
    code
}

/// The process ends with this command: freeing every policy's tree and declaration one by
/// one would take a tenth of `check`'s time at 10,000 policies; the OS reclaims it at once.
fn exiting(c: pipeline::Compilation) {
    std::mem::forget(c);
}

/// What `ddmc check PATH...` means: one folder is the repository; files (what pre-commit
/// passes) name the repository they are in, found by walking up to the folder that holds
/// `ddmc.yaml` or `policies/`, and only their problems are reported.
pub(super) fn check_target(paths: &[PathBuf]) -> Result<(PathBuf, Option<Vec<String>>), String> {
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
pub(super) fn build_check(cli: &Cli, out: &Path, files: &[crate::emit::OutputFile]) -> i32 {
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

/// The output folder must not be, or hold, the repository's sources: replacing it would
/// delete them, or its files would be read as policies.
pub(super) fn unsafe_output(repo: &Path, out: &Path) -> Option<String> {
    let problem = crate::emit::place::clash(repo, out)?;
    Some(format!("{}; choose another `--out`", problem.describe(&out.display().to_string())))
}

/// `ddmc build`: compile, refuse an unsafe output, then write the tree atomically (or, with
/// `--check`, compare it with what is there). The raw tree is written as it is rendered (into
/// the spare beside the output, swapped in only once the build has no error); `--check`, the
/// packaged formats and `--deny-conflicts` need the whole tree first.
pub(super) fn build(
    cli: &Cli,
    repo: &Path,
    out: Option<&Path>,
    check: bool,
    format: crate::emit::format::Format,
    now: crate::model::LocalDateTime,
    secret: &(dyn Fn(&str) -> Option<String> + Sync),
) -> i32 {
    fewer_huge_pages();
    let streamed = Streamed { repo, out, staging: OnceLock::new() };
    let mut options = cli.options(Mode::Build, secret, Some(now));
    // `--deny-conflicts` turns warnings found while the tree is emitted into errors: the
    // tree is rendered first then, so that such a build writes nothing at all.
    let stream = !check && format == crate::emit::format::Format::Raw && !cli.deny_conflicts;
    // The policy cache is beside the output, which `ddmc.yaml` may name: not read beside one
    // the build will refuse (a pull request could point it at a cache planted elsewhere).
    let cache_at = |configured: &str| {
        let out = out.map_or_else(|| repo.join(configured), Path::to_path_buf);
        unsafe_output(repo, &out).is_none().then(|| crate::emit::write::policy_cache_path(&out))
    };
    if stream {
        options.render = Render::Into(&streamed);
        options.cache = Some(&cache_at);
    }
    let mut c = match pipeline::compile_with(repo, &options) {
        Ok(c) => c,
        Err(e) => return load_failed(cli, &e),
    };
    pipeline::package(&mut c, format);
    let code = match report(cli, &mut c, true) {
        exit::OK if stream => match streamed.staging.into_inner() {
            Some((folder, Ok(staging))) => {
                let cache = c.cache.take();
                // Only a speed-up for the next build: one that cannot be written is no error.
                let committed = staging.commit_then(|temporary| {
                    let _ = cache.map(|cache| cache.save(temporary, &|i| c.policies.get(i).map(|l| &l.doc)));
                });
                written(cli, &folder, committed, &c)
            }
            Some((_, Err(refused))) => fail(cli, refused),
            None => fail(cli, io("internal error: the build rendered no file")),
        },
        exit::OK => write(cli, repo, out, check, &c),
        code => code,
    };
    exiting(c);
    code
}

/// A build keeps many small objects to its end, spread over the allocator's pages: with
/// transparent huge pages each 2 MB page touched counts whole (at 10,000 policies about 20 MB
/// more resident, and no faster). `check` keeps them: it holds far less, and huge pages save
/// it page faults.
fn fewer_huge_pages() {
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

/// The sink of `ddmc build`: the output folder (`--out`, else `ddmc.yaml`'s) is known once
/// the build starts rendering, which it does only without errors; a build that renders
/// nothing touches nothing beside its output, not even the lock.
struct Streamed<'a> {
    repo: &'a Path,
    out: Option<&'a Path>,
    /// The output folder, and the build being put together beside it (or why not).
    staging: OnceLock<(PathBuf, Result<Staging, Diagnostic>)>,
}

impl Sink for Streamed<'_> {
    fn start(&self, configured_output: &str) {
        self.staging.get_or_init(|| {
            let out = self.out.map_or_else(|| self.repo.join(configured_output), Path::to_path_buf);
            if let Some(problem) = unsafe_output(self.repo, &out) {
                return (out, Err(usage(problem)));
            }
            let shown = out.display().to_string();
            let opened = Staging::open(&out, &mut || eprintln!("waiting for another build of `{shown}`"));
            (out, opened.map_err(refused))
        });
    }

    fn place(&self, path: &str, bytes: &[u8], made: Option<Made>) {
        if let Some((_, Ok(staging))) = self.staging.get() {
            staging.place(path, bytes, made);
        }
    }

    fn kept(&self, path: &str, digest: &Digest) -> Option<String> {
        match self.staging.get() {
            Some((_, Ok(staging))) => staging.kept(path, digest),
            _ => None,
        }
    }

    fn place_written(
        &self,
        path: &str,
        write: &mut dyn FnMut(&mut (dyn std::io::Write + Send)) -> std::io::Result<()>,
    ) {
        if let Some((_, Ok(staging))) = self.staging.get() {
            staging.place_written(path, write);
        }
    }
}

/// The output of a compilation without errors: written, or with `--check` compared.
fn write(cli: &Cli, repo: &Path, out: Option<&Path>, check: bool, c: &pipeline::Compilation) -> i32 {
    let out = out.map_or_else(|| repo.join(c.project.output()), Path::to_path_buf);
    if let Some(problem) = unsafe_output(repo, &out) {
        return fail(cli, usage(problem));
    }
    if check {
        return build_check(cli, &out, &c.files);
    }
    let shown = out.display().to_string();
    let mut waiting = || eprintln!("waiting for another build of `{shown}`");
    written(cli, &out, write_tree(&out, &c.files, &mut waiting), c)
}

/// Why the output could not be written, as the user is told.
fn refused(e: WriteError) -> Diagnostic {
    if e.is_usage() { usage(e.to_string()) } else { io(e.to_string()) }
}

/// The summary of a build written to `out`, or why it could not be.
fn written(cli: &Cli, out: &Path, result: Result<(), WriteError>, c: &pipeline::Compilation) -> i32 {
    match result {
        Ok(()) => {
            done(
                cli,
                &format!(
                    "built {} {} into `{}`: {} declarations ({})",
                    c.policies.len(),
                    plural(c.policies.len(), "policy", "policies"),
                    out.strip_prefix(".").unwrap_or(out).display(),
                    c.declarations.len(),
                    counts(c)
                ),
            );
            exit::OK
        }
        Err(e) => fail(cli, refused(e)),
    }
}
