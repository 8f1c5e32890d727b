//! The bytes of a file, bounded: only regular files are opened (a FIFO would block, and
//! `/dev/zero` never ends), and at most [`MAX_DEVICE_FILE_BYTES`] and one more byte are read, so a file
//! that grows while it is read is still caught.

use super::start;
use crate::diagnostics::{Code, Diagnostic};
use crate::limits::MAX_DEVICE_FILE_BYTES;
use std::fs;
use std::io::{self, Read};
use std::path::Path;

/// Why the bytes could not be had.
pub enum ReadFailure {
    /// The file cannot be read at all (missing, no permission, an I/O error): exit 3.
    Io(io::Error),
    /// Not a regular file, or too large: a diagnostic, bad input.
    Content(Box<Diagnostic>),
}

/// The bytes of the file at `path`, shown as `file` in diagnostics.
pub fn read(path: &Path, file: &str) -> Result<Vec<u8>, ReadFailure> {
    // Symbolic links are followed: what matters is what would be opened.
    let meta = fs::metadata(path).map_err(ReadFailure::Io)?;
    if !meta.is_file() {
        let kind = kind_of(&meta);
        return Err(ReadFailure::Content(Box::new(
            Diagnostic::error(Code::NotAFile, format!("`{file}` is {kind}, not a regular file"))
                .at(file, start())
                .label("not read")
                .help("name a file: ddmc does not read from pipes, devices or sockets"),
        )));
    }
    let opened = fs::File::open(path).map_err(ReadFailure::Io)?;
    // Replaced by something else since it was looked at: say so rather than read it.
    if !opened.metadata().map_err(ReadFailure::Io)?.is_file() {
        return Err(ReadFailure::Content(Box::new(
            Diagnostic::error(Code::NotAFile, format!("`{file}` changed into something that is not a regular file"))
                .at(file, start())
                .label("not read")
                .help("name a file that is not being replaced"),
        )));
    }
    let mut bytes = Vec::new();
    opened.take(MAX_DEVICE_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(ReadFailure::Io)?;
    if bytes.len() as u64 > MAX_DEVICE_FILE_BYTES {
        return Err(ReadFailure::Content(Box::new(too_large(file))));
    }
    Ok(bytes)
}

fn too_large(file: &str) -> Diagnostic {
    let mib = MAX_DEVICE_FILE_BYTES / (1024 * 1024);
    Diagnostic::error(Code::TooLarge, format!("`{file}` is larger than {mib} MiB (the limit)"))
        .at(file, start())
        .label("not read")
        .note("declarations, profiles, status reports and update lists are kilobytes")
        .help(format!("ddmc reads files up to {mib} MiB; is this the right file?"))
}

/// The file type, for the message.
fn kind_of(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() { "a folder" } else { "not a regular file" }
}
