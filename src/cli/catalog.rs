//! `ddmc catalog update` and `ddmc catalog show`.

use super::args::*;
use super::exit;
use super::output::*;
use crate::diagnostics::{self, render::Sources};
use crate::pipeline;
use std::io::Write;

/// `ddmc catalog update|show`.
pub(super) fn catalog(cli: &Cli, command: &CatalogCommand) -> i32 {
    use crate::catalog::{self, update};
    let repo = match command {
        CatalogCommand::Update { repo, .. } | CatalogCommand::Show { repo, .. } => repo,
    };
    let (repository, project, diagnostics) = match pipeline::project(repo) {
        Ok(loaded) => loaded,
        Err(e) => return load_failed(cli, &e),
    };
    let sources: Sources<'_> = repository.project.iter().map(|f| (f.name.as_str(), &*f.text)).collect();
    if diagnostics.has_errors() {
        print_diagnostics(cli, &diagnostics, &sources);
        return exit::POLICY;
    }
    let path = match catalog::path_in(repo, project.catalog()) {
        Ok(path) => path,
        Err(message) => return fail(cli, usage(message)),
    };
    let name = project.catalog();
    // A catalog or answer that cannot be read is an I/O failure; one that is not a catalog, a
    // content failure.
    let failed = |e: catalog::CatalogError| {
        let code = if e.io { diagnostics::Code::Io } else { diagnostics::Code::Catalog };
        fail(cli, diagnostics::Diagnostic::error(code, e.message))
    };
    let old = match (catalog::load(&path), command) {
        (Ok(old), _) => old,
        // An unreadable catalog is what `update` repairs.
        (Err(e), CatalogCommand::Update { .. }) => {
            let mut found = diagnostics::Diagnostics::default();
            found.push(diagnostics::Diagnostic::warning(
                diagnostics::Code::Catalog,
                format!("the current catalog is unreadable ({e}); it will be replaced"),
            ));
            print_diagnostics(cli, &found, &Sources::new());
            None
        }
        (Err(e), CatalogCommand::Show { .. }) => return failed(e),
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
                // Whatever stops the fetch (the network, TLS, plain HTTP, an oversize
                // answer) is an I/O failure.
                Err(e) => return failed(catalog::CatalogError { io: true, ..e }),
            };
            let fetched = now.unwrap_or_else(jiff::Timestamp::now);
            let (text, new) = match update::wrap(&bytes, &source, fetched) {
                Ok(wrapped) => wrapped,
                Err(e) => return failed(catalog::CatalogError { message: format!("`{from}`: {}", e.message), ..e }),
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
