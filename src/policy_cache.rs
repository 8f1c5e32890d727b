//! `.<out>.ddmc-policies`: what the builds of an output read from each policy file, by a
//! digest of the file's name and text: its typed model (the JSON it was validated as) and its
//! outline of positions ([`Document`]). A rebuild after one policy changed then parses and
//! validates that one file, not every file: at 10,000 policies parsing is nearly all of
//! `check`, and a rebuild that parsed everything again could never be much faster than a
//! `check` plus the work of writing.
//!
//! Only a file that loaded without any diagnostic is remembered (one with a warning is read
//! each time, so that its warnings are reported each time). An entry is used only by the very
//! ddmc that wrote it, for the same `ddmc.yaml` and environment (the cache's context), and only
//! while its seal (a digest of the entry) holds: anything else is a miss, never an error, and
//! the file is read as if there were no cache. A hit gives what reading the file gives: the
//! model is deserialised from the validated JSON by the same code, and the outline is the one
//! the file's parse made.
//!
//! The file grows by what each build read anew, appended; it is written again whole when it
//! holds more than twice what the last build used, or was written for another context. It is
//! trusted as the output folder beside it and the index are: whoever can write them can write
//! the output itself.
//!
//! Each build also leaves, at the end of the file (in place of the last build's), a table of
//! the stamps of the policy files it remembers ([`crate::stamp`]: inode, size, times), by
//! name, with their entries' keys: a file whose stamp is still the one recorded, and was
//! settled then, is not even read by the next build ([`Cache::unchanged`]); its entry gives
//! what reading it would.

use crate::canonical::digest;
use crate::document::Document;
use crate::emit::write::remove;
use crate::limits::MAX_POLICY_CACHE_BYTES;
use crate::model::Policy;
use crate::source::SourceFile;
use crate::stamp::{STAMP_BYTES, Stamp};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The start of the file, with its format version; then the context ([`Key`]) and the entries.
const HEADER: &[u8; 16] = b"ddmc-policies 1\n";

/// An entry's head: its key, its seal, and the length of its payload (`u32`, little-endian).
const HEAD: usize = 16 + 16 + 4;

/// 128 bits of SHA-256: a policy file's key (its context, name and text), a context, a seal.
pub type Key = [u8; 16];

/// What a policy file's load depends on besides its name and text: the running ddmc (its
/// parser, schema and model), `ddmc.yaml` (templates' environments) and the environment
/// chosen (`--env`).
pub fn context(project: Option<&str>, environment: Option<&str>) -> Key {
    let project = project.map_or(&[0xff][..], str::as_bytes);
    let environment = environment.map_or(&[0xff][..], str::as_bytes);
    digest(&[HEADER, crate::canonical::running_ddmc(), project, environment])
}

/// The policy cache of one output, as read before its policies are: only a speed-up, so
/// whatever cannot be read (no file, another context, a cut or damaged entry) is a miss.
pub struct Cache {
    path: PathBuf,
    context: Key,
    /// The file as read; the entries are ranges of it. Shared with the documents recalled
    /// from it, whose outlines are read from it only if asked for.
    bytes: Arc<Vec<u8>>,
    /// Each key's entry: where it starts and ends in `bytes`.
    entries: HashMap<Key, (usize, usize)>,
    /// The file was of this context and ends with a whole entry: new ones may be appended.
    appendable: bool,
    /// Where the last build's table of stamps starts, if the file ends with it: the next table
    /// replaces it there (the file does not grow by a table each build).
    stamps_at: Option<usize>,
    /// The last build's stamps of the files it remembered, by their names' keys ([`name_key`]):
    /// each one's stamp when read and its entry's key. Only the settled ones.
    stamps: HashMap<Key, (Stamp, Key)>,
}

impl Cache {
    /// The cache at `path` for `context`; empty if there is none or it cannot be used.
    pub fn open(path: PathBuf, context: Key) -> Cache {
        let (entries, stamps) = (HashMap::new(), HashMap::new());
        let (bytes, appendable, stamps_at) = (Arc::default(), false, None);
        let mut cache = Cache { path, context, bytes, entries, appendable, stamps_at, stamps };
        let Some(bytes) = read_bounded(&cache.path).filter(|bytes| of_context(bytes, &context)) else { return cache };
        let mut at = ENTRIES;
        while let Some(end) = entry_end(&bytes, at) {
            cache.entries.insert(take(&bytes, at), (at, end));
            at = end;
        }
        cache.appendable = at == bytes.len();
        // The last table of stamps: not an entry of a file.
        if let Some((start, end)) = cache.entries.remove(&STAMPS) {
            cache.stamps = sealed(&bytes[start..end]).map(stamps_of).unwrap_or_default();
            cache.stamps_at = (end == bytes.len()).then_some(start);
        }
        cache.bytes = Arc::new(bytes);
        cache
    }

    /// The key of the entry that gives what the policy file `name` holds, if the last build
    /// remembered it with this stamp (so it is unchanged since, and need not be read) and the
    /// entry is there ([`Cache::recall`] checks its seal).
    pub fn unchanged(&self, name: &str, stamp: &Stamp) -> Option<Key> {
        let (recorded, key) = self.stamps.get(&name_key(name))?;
        (recorded == stamp && self.entries.contains_key(key)).then_some(*key)
    }

    /// The key of `file` in this cache.
    pub fn key(&self, file: &SourceFile) -> Key {
        digest(&[&self.context, file.name.as_bytes(), file.text.as_bytes()])
    }

    /// The policy and document that loading `file` (whose key is `key`) gave when it was
    /// remembered, if it was, without a diagnostic.
    pub fn recall(&self, key: &Key, file: &SourceFile) -> Option<(Policy, Document)> {
        let &(start, end) = self.entries.get(key)?;
        let payload = sealed(self.bytes.get(start..end)?)?;
        let json_len = u32::from_le_bytes(payload.get(..4)?.try_into().ok()?) as usize;
        let json = payload.get(4..4 + json_len)?;
        let policy = serde_json::from_slice(json).ok()?;
        let outline = start + HEAD + 4 + json_len;
        (outline < end).then(|| (policy, Document::with_outline(file.name.clone(), self.bytes.clone(), outline, end)))
    }

    /// What to write once the build is done: the entries used (`used`, their keys) and the
    /// files read anew (`fresh`). The file's bytes are let go (but by the documents recalled).
    /// `stamps`: each policy file remembered (used or fresh) that has a stamp, by name, with
    /// its entry's key.
    pub fn update(self, used: Vec<Key>, fresh: Fresh, stamps: Vec<(&str, Stamp, Key)>) -> Update {
        let used: HashSet<Key> = used.into_iter().collect();
        let kept = used.iter().filter_map(|k| self.entries.get(k)).map(|(s, e)| e - s).sum();
        let appendable = self.appendable.then(|| (self.bytes.len(), self.stamps_at.unwrap_or(self.bytes.len())));
        let stamps = stamps.into_iter().map(|(name, stamp, key)| (name_key(name), stamp, key)).collect();
        Update { path: self.path, context: self.context, used_keys: used, kept, appendable, fresh, stamps }
    }
}

/// The key of the table of stamps among the entries (those of files are digests).
const STAMPS: Key = *b"ddmc-stamps\0\0\0\0\0";

/// A stamp's record in the table: its file's name key, the stamp, the entry's key.
const STAMP_RECORD: usize = 16 + STAMP_BYTES + 16;

/// The key of a policy file's name, in the table of stamps.
fn name_key(name: &str) -> Key {
    digest(&[b"name", name.as_bytes()])
}

/// The payload of a whole `entry` whose seal holds.
fn sealed(entry: &[u8]) -> Option<&[u8]> {
    let payload = entry.get(HEAD..)?;
    (digest(&[&take(entry, 0), payload]) == take(entry, 16)).then_some(payload)
}

/// The table of stamps in `payload` (when it was taken, in seconds, then the records): those
/// settled then.
fn stamps_of(payload: &[u8]) -> HashMap<Key, (Stamp, Key)> {
    let Some((taken, records)) = payload.split_first_chunk::<8>() else { return HashMap::new() };
    let taken = u64::from_le_bytes(*taken);
    records
        .chunks_exact(STAMP_RECORD)
        .map(|r| {
            (
                take(r, 0),
                Stamp::from_bytes(r[16..16 + STAMP_BYTES].try_into().unwrap_or(&[0; STAMP_BYTES])),
                take(r, 16 + STAMP_BYTES),
            )
        })
        .filter(|(_, stamp, _)| stamp.settled(taken))
        .map(|(name, stamp, key)| (name, (stamp, key)))
        .collect()
}

/// The table of `stamps` as an entry, taken now (after every stamp in it: a file changed since
/// it was stamped within the same second is not trusted by the next build).
fn stamps_entry(stamps: &[(Key, Stamp, Key)]) -> Option<Vec<u8>> {
    if stamps.is_empty() {
        return None;
    }
    let taken = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    let mut entry = Vec::with_capacity(HEAD + 8 + stamps.len() * STAMP_RECORD);
    entry.extend_from_slice(&STAMPS);
    entry.extend_from_slice(&[0; 16]);
    entry.extend_from_slice(&u32::try_from(8 + stamps.len() * STAMP_RECORD).ok()?.to_le_bytes());
    entry.extend_from_slice(&taken.to_le_bytes());
    for (name, stamp, key) in stamps {
        entry.extend_from_slice(name);
        entry.extend_from_slice(&stamp.to_bytes());
        entry.extend_from_slice(key);
    }
    seal(&mut entry);
    Some(entry)
}

/// Seals a whole entry: the digest of its key and payload.
fn seal(entry: &mut [u8]) {
    let seal = digest(&[&take(entry, 0), &entry[HEAD..]]);
    entry[16..32].copy_from_slice(&seal);
}

/// Moves the time the cache at `path` says its table of stamps was taken two seconds on, so
/// that its stamps are settled (for tests, which build many times a second).
#[cfg(test)]
pub fn aged(path: &Path) {
    let Ok(mut bytes) = fs::read(path) else { return };
    let mut at = ENTRIES;
    while let Some(end) = entry_end(&bytes, at) {
        if take(&bytes, at) == STAMPS {
            let taken = at + HEAD..at + HEAD + 8;
            let later = u64::from_le_bytes(bytes[taken.clone()].try_into().unwrap_or_default()) + 2;
            bytes[taken].copy_from_slice(&later.to_le_bytes());
            seal(&mut bytes[at..end]);
        }
        at = end;
    }
    let _ = fs::write(path, bytes);
}

/// Where the entries start: after the header and the context.
const ENTRIES: usize = HEADER.len() + 16;

/// Whether `bytes` are a cache of `context` (its entries start at [`ENTRIES`]).
fn of_context(bytes: &[u8], context: &Key) -> bool {
    bytes.starts_with(HEADER) && bytes.get(HEADER.len()..ENTRIES) == Some(&context[..])
}

/// The end of the whole entry at `at` in `bytes`, if there is one.
fn entry_end(bytes: &[u8], at: usize) -> Option<usize> {
    let head = bytes.get(at..at.checked_add(HEAD)?)?;
    let len = u32::from_le_bytes(head[32..36].try_into().ok()?) as usize;
    let end = at.checked_add(HEAD)?.checked_add(len)?;
    (end <= bytes.len()).then_some(end)
}

fn take(bytes: &[u8], at: usize) -> Key {
    let mut key = [0; 16];
    key.copy_from_slice(&bytes[at..at + 16]);
    key
}

/// The policy files a build read anew, to be remembered once it is written: each one's key,
/// its place among the build's policies (whose document gives its outline then), and the JSON
/// it was validated as, all in one buffer. (Ten thousand entries made at once and held to the
/// end of a first build took 20 MB more at its peak.)
#[derive(Default)]
pub struct Fresh {
    files: Vec<(Key, usize, usize)>,
    json: Vec<u8>,
}

impl Fresh {
    /// The file whose key is `key`, the build's `policy`-th, validated as `json`.
    pub fn add(&mut self, key: Key, policy: usize, json: &[u8]) {
        self.json.extend_from_slice(json);
        self.files.push((key, policy, self.json.len()));
    }

    /// Each file's entry, its outline from `doc(policy)`, written into `out` one at a time.
    fn write<'d>(&self, doc: &dyn Fn(usize) -> Option<&'d Document>, out: &mut impl Write) -> io::Result<usize> {
        let (mut start, mut written, mut entry) = (0, 0, Vec::new());
        for &(key, policy, end) in &self.files {
            let json = &self.json[start..end];
            start = end;
            let Some(doc) = doc(policy) else { continue };
            let outline = doc.outline_bytes();
            let (Ok(json_len), Ok(len)) = (u32::try_from(json.len()), u32::try_from(4 + json.len() + outline.len()))
            else {
                continue;
            };
            entry.clear();
            entry.extend_from_slice(&key);
            entry.extend_from_slice(&[0; 16]);
            entry.extend_from_slice(&len.to_le_bytes());
            entry.extend_from_slice(&json_len.to_le_bytes());
            entry.extend_from_slice(json);
            entry.extend_from_slice(&outline);
            seal(&mut entry);
            out.write_all(&entry)?;
            written += entry.len();
        }
        Ok(written)
    }
}

/// What a build leaves for the next: [`Update::save`] writes it.
pub struct Update {
    path: PathBuf,
    context: Key,
    /// The keys of the entries used (each file's once: names are unique).
    used_keys: HashSet<Key>,
    /// The bytes of the entries used.
    kept: usize,
    /// The length of the file as read, if it was of this context and ended with a whole entry,
    /// and where to append (over the last table of stamps, if it ends with one).
    appendable: Option<(usize, usize)>,
    fresh: Fresh,
    /// The table of stamps to leave: (name key, stamp, entry key).
    stamps: Vec<(Key, Stamp, Key)>,
}

impl Update {
    /// Writes the cache (under the output's lock; `temporary` is a free name beside it), the
    /// outline of each fresh file from `doc` (its document, by its place among the build's
    /// policies). New entries are appended while what is no longer used stays at most as
    /// large as what is; else the file is written anew. A failure leaves a cache the next
    /// build can still read, or none.
    pub fn save<'d>(self, temporary: &Path, doc: &dyn Fn(usize) -> Option<&'d Document>) -> io::Result<()> {
        // Written a block at a time, never assembled whole: saving comes at the end of a build,
        // with everything the build made still held.
        let stamps = stamps_entry(&self.stamps);
        let stamps_len = stamps.as_ref().map_or(0, Vec::len);
        let added = self.fresh.json.len() + self.fresh.files.len() * (HEAD + 4 + OUTLINE_GUESS) + stamps_len;
        if let Some((len, at)) = self.appendable
            && at + added <= ENTRIES + 2 * (self.kept + added)
        {
            if self.fresh.files.is_empty() && stamps.is_none() {
                return Ok(());
            }
            let mut file = open_no_follow(&self.path, fs::OpenOptions::new().write(true))?;
            // (Unless another build wrote it since it was read: then it is written anew.)
            if file.metadata()?.len() == len as u64 {
                use std::io::Seek;
                // A build killed from here on leaves a file cut short: only its whole entries
                // are used.
                file.set_len(at as u64)?;
                file.seek(io::SeekFrom::Start(at as u64))?;
                let mut out = io::BufWriter::with_capacity(BLOCK, file);
                self.fresh.write(doc, &mut out)?;
                out.write_all(stamps.as_deref().unwrap_or_default())?;
                return out.flush();
            }
        }
        let old = read_bounded(&self.path);
        remove(temporary)?;
        let file = open_no_follow(temporary, fs::OpenOptions::new().write(true).create_new(true))?;
        let mut out = io::BufWriter::with_capacity(BLOCK, file);
        out.write_all(HEADER)?;
        out.write_all(&self.context)?;
        let mut written = ENTRIES;
        // The entries used, from the file as it is now (another build's, if one came between:
        // only whole entries of this context are taken).
        if let Some(old) = old.as_deref().filter(|old| of_context(old, &self.context)) {
            let mut at = ENTRIES;
            while let Some(end) = entry_end(old, at) {
                if self.used_keys.contains(&take(old, at)) {
                    out.write_all(&old[at..end])?;
                    written += end - at;
                }
                at = end;
            }
        }
        drop(old);
        written += self.fresh.write(doc, &mut out)?;
        out.write_all(stamps.as_deref().unwrap_or_default())?;
        written += stamps_len;
        out.flush()?;
        drop(out);
        if written as u64 > MAX_POLICY_CACHE_BYTES {
            remove(temporary)?;
            return remove(&self.path);
        }
        fs::rename(temporary, &self.path)
    }
}

/// About how large a policy's outline is, to weigh appending against writing anew.
const OUTLINE_GUESS: usize = 600;

/// How much of the cache is written at a time.
const BLOCK: usize = 1 << 16;

/// The whole file at `path` if it is a regular file (not a link) within the limit.
fn read_bounded(path: &Path) -> Option<Vec<u8>> {
    let mut file = open_no_follow(path, fs::OpenOptions::new().read(true)).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_POLICY_CACHE_BYTES {
        return None;
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    Read::by_ref(&mut file).take(MAX_POLICY_CACHE_BYTES).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// `options` opened at `path`, never through a link.
fn open_no_follow(path: &Path, options: &mut fs::OpenOptions) -> io::Result<fs::File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    #[cfg(not(unix))]
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(io::Error::other("a link"));
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{self, Compilation, Mode, Options, Sources};

    const PROJECT: &str = "organization:\n  name: T\n  identifier_prefix: com.example.t\n\
                           environments:\n  staging: {days: \"3\"}\n  production: {days: \"9\"}\n";

    fn mac(days: u32) -> String {
        format!(
            "id: mac\ntargets:\n  platforms: [macOS]\n  groups: [lab]\n\
             software_updates:\n  deferrals:\n    minor_days: {days}\n\
             enforce:\n  - os_version: \"26.4\"\n    deadline: \"2027-01-15T18:00:00\"\n"
        )
    }

    /// A policy with a value from the environment's variables.
    const TEMPLATED: &str = "id: phone\ndescription: \"Ring {{ days }}\"\ntargets:\n  platforms: [iOS]\n\
                             software_updates:\n  deferrals:\n    combined_days: 3\n";

    /// Compiles `policies` with the policy cache at `path`, writes it as a build does, and
    /// says how many files came from it and how many were read.
    fn compile(
        path: &Path,
        project: &str,
        environment: Option<&str>,
        policies: &[(&str, &str)],
    ) -> (Compilation, (usize, usize)) {
        let sources = Sources { project: Some(project), policies, catalog: None };
        let secret = |_: &str| None;
        let at = |_: &str| Some(path.to_path_buf());
        let options = Options { environment, cache: Some(&at), ..Options::new(Mode::Build, &secret) };
        let mut c = pipeline::compile_sources(&sources, &options).expect("compiles");
        let update = c.cache.take().expect("a cache update");
        let counts = (update.used_keys.len(), update.fresh.files.len());
        update.save(&path.with_extension("part"), &|i| c.policies.get(i).map(|l| &l.doc)).expect("saved");
        (c, counts)
    }

    /// What the stages after loading see of each policy: its model and its positions.
    fn seen(c: &Compilation) -> Vec<String> {
        c.policies.iter().map(|l| format!("{:?} {:?}", l.policy, l.doc)).collect()
    }

    /// A file read from the cache is what reading it gives (model, positions, output and
    /// messages), and only what changed is read again.
    #[test]
    fn a_rebuild_reads_only_the_policies_that_changed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".out.ddmc-policies");
        let (seven, eight) = (mac(7), mac(8));
        let policies =
            |mac: &str| [("policies/mac.yaml", mac.to_owned()), ("policies/phone.yaml", TEMPLATED.to_owned())];
        let run = |mac: &str| {
            let owned = policies(mac);
            let borrowed: Vec<(&str, &str)> = owned.iter().map(|(n, t)| (*n, t.as_str())).collect();
            compile(&path, PROJECT, Some("staging"), &borrowed)
        };
        let (first, counts) = run(&seven);
        assert_eq!(counts, (0, 2), "nothing remembered yet");
        let (second, counts) = run(&seven);
        assert_eq!(counts, (2, 0), "both recalled");
        assert_eq!(seen(&second), seen(&first));
        assert_eq!(second.files, first.files);
        assert_eq!(format!("{:?}", second.diagnostics), format!("{:?}", first.diagnostics));
        let (changed, counts) = run(&eight);
        assert_eq!(counts, (1, 1), "only the changed policy is read");
        assert_ne!(seen(&changed), seen(&first));
        let (back, counts) = run(&seven);
        assert_eq!(counts, (2, 0), "and both versions are remembered");
        assert_eq!(seen(&back), seen(&first));
    }

    /// Another `ddmc.yaml` or environment (templates may read them) is another context: nothing
    /// of the old one is used, and what a file is read as follows it.
    #[test]
    fn another_project_or_environment_reads_every_file_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".out.ddmc-policies");
        let policies = [("policies/phone.yaml", TEMPLATED)];
        let (staging, _) = compile(&path, PROJECT, Some("staging"), &policies);
        let (production, counts) = compile(&path, PROJECT, Some("production"), &policies);
        assert_eq!(counts, (0, 1));
        assert_ne!(seen(&production), seen(&staging), "the other environment's value");
        let edited = format!("{PROJECT}output: elsewhere\n");
        let (_, counts) = compile(&path, &edited, Some("production"), &policies);
        assert_eq!(counts, (0, 1));
        let (_, counts) = compile(&path, &edited, Some("production"), &policies);
        assert_eq!(counts, (1, 0));
    }

    /// A file with a warning is read at every build, so that the warning is reported again.
    #[test]
    fn a_policy_with_a_warning_is_not_remembered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".out.ddmc-policies");
        // `always_on` installs without automatic downloads: a warning.
        let warned = "id: mac\ntargets:\n  platforms: [macOS]\nsoftware_updates:\n  automatic_download: always_off\n  \
                      automatic_install: always_on\n";
        let policies = [("policies/mac.yaml", warned)];
        let (first, counts) = compile(&path, PROJECT, None, &policies);
        assert!(first.diagnostics.count(crate::diagnostics::Severity::Warning) > 0, "{:?}", first.diagnostics);
        assert_eq!(counts, (0, 0));
        let (second, counts) = compile(&path, PROJECT, None, &policies);
        assert_eq!(counts, (0, 0));
        assert_eq!(format!("{:?}", second.diagnostics), format!("{:?}", first.diagnostics));
    }

    /// Whatever the file holds (cut short, a byte changed, not a cache at all, a link), it is
    /// never an error: what cannot be used is read again, and the output is the same.
    #[test]
    fn a_damaged_cache_is_read_around() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".out.ddmc-policies");
        let (seven, eight) = (mac(7), mac(8));
        let policies =
            [("policies/a.yaml", seven.as_str()), ("policies/b.yaml", &eight.replace("id: mac", "id: mac-b"))];
        let (clean, _) = compile(&path, PROJECT, None, &policies);
        let whole = fs::read(&path).expect("written");
        let first_end = entry_end(&whole, ENTRIES).expect("an entry");
        let damaged: Vec<(Vec<u8>, (usize, usize))> = vec![
            // The second entry cut short: the first is still used.
            (whole[..whole.len() - 10].to_vec(), (1, 1)),
            // A byte of the first entry's payload changed: its seal no longer holds.
            (
                {
                    let mut b = whole.clone();
                    b[first_end - 5] ^= 1;
                    b
                },
                (1, 1),
            ),
            // A length that runs past the end.
            (
                {
                    let mut b = whole.clone();
                    b[ENTRIES + 32..ENTRIES + 36].copy_from_slice(&u32::MAX.to_le_bytes());
                    b
                },
                (0, 2),
            ),
            (b"not a cache".to_vec(), (0, 2)),
            (Vec::new(), (0, 2)),
        ];
        for (bytes, expected) in damaged {
            fs::write(&path, &bytes).expect("write");
            let (c, counts) = compile(&path, PROJECT, None, &policies);
            assert_eq!(counts, expected);
            assert_eq!(seen(&c), seen(&clean));
            assert_eq!(c.files, clean.files);
            // Written again whole: the next build uses every entry.
            assert_eq!(compile(&path, PROJECT, None, &policies).1, (2, 0));
        }
        #[cfg(unix)]
        {
            let elsewhere = dir.path().join("elsewhere");
            fs::write(&elsewhere, &whole).expect("write");
            fs::remove_file(&path).expect("remove");
            std::os::unix::fs::symlink(&elsewhere, &path).expect("link");
            let (c, counts) = compile(&path, PROJECT, None, &policies);
            assert_eq!(counts, (0, 2), "a link is not followed");
            assert_eq!(c.files, clean.files);
            assert_eq!(fs::read(&elsewhere).expect("read"), whole, "nor written through");
            assert!(!fs::symlink_metadata(&path).expect("there").file_type().is_symlink(), "it is replaced");
        }
    }

    /// No change to the file's bytes, anywhere, makes it give another policy than the one the
    /// file holds: a changed byte breaks the context, a length (the entries after it are then
    /// not found) or an entry's seal.
    #[test]
    fn a_changed_byte_never_gives_another_policy() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".out.ddmc-policies");
        let (seven, eight) = (mac(7), mac(8).replace("id: mac", "id: mac-b"));
        let policies = [("policies/a.yaml", seven.as_str()), ("policies/b.yaml", eight.as_str())];
        let (clean, _) = compile(&path, PROJECT, None, &policies);
        let whole = fs::read(&path).expect("written");
        let context = context(Some(PROJECT), None);
        let files: Vec<SourceFile> = policies.iter().map(|(name, text)| SourceFile::new(*name, *name, *text)).collect();
        let mut recalled = 0;
        for at in 0..whole.len() {
            for flip in [0x01, 0x80] {
                let mut bytes = whole.clone();
                bytes[at] ^= flip;
                fs::write(&path, &bytes).expect("write");
                let cache = Cache::open(path.clone(), context);
                for (file, loaded) in files.iter().zip(&clean.policies) {
                    if let Some((policy, doc)) = cache.recall(&cache.key(file), file) {
                        recalled += 1;
                        assert_eq!(format!("{policy:?} {doc:?}"), format!("{:?} {:?}", loaded.policy, loaded.doc));
                    }
                }
            }
        }
        // The other entry is still found where one entry's bytes changed.
        assert!(recalled > 0);
    }

    /// New entries are appended while what is no longer used is at most as large as what is;
    /// past that, the file is written again with only what the last build used.
    #[test]
    fn the_cache_grows_by_what_changed_and_is_written_again_when_half_unused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".out.ddmc-policies");
        let size = || fs::metadata(&path).expect("written").len();
        let (first, second, third) = (mac(1), mac(2), mac(3));
        let other = mac(9).replace("id: mac", "id: other");
        let build =
            |mac: &str| compile(&path, PROJECT, None, &[("policies/mac.yaml", mac), ("policies/other.yaml", &other)]);
        build(&first);
        let two = size();
        build(&second);
        let three = size();
        assert!(three > two, "appended");
        // Three entries, two used: appended again.
        build(&third);
        assert!(size() > three);
        // Four entries, two used: still appended up to twice what is used...
        build(&first);
        assert_eq!(size(), size(), "nothing new");
        build(&mac(4));
        // ...and then written again with only what this build used.
        assert!(size() < three, "{} against {three}", size());
        assert_eq!(build(&mac(4)).1, (2, 0));
    }

    /// A repository in `dir` with `ddmc.yaml` and these policy files; it and where its policy
    /// cache goes.
    #[cfg(unix)]
    fn on_disk(dir: &Path, policies: &[(&str, String)]) -> (PathBuf, PathBuf) {
        let (repo, path) = (dir.join("repo"), dir.join(".out.ddmc-policies"));
        fs::create_dir_all(repo.join("policies")).expect("mkdir");
        fs::write(repo.join("ddmc.yaml"), PROJECT).expect("write");
        for (name, text) in policies {
            fs::write(repo.join(name), text).expect("write");
        }
        (repo, path)
    }

    /// Compiles the repository at `repo` as a build does, with the policy cache at `path`, and
    /// saves the cache; `aged`: as if the build had been two seconds ago (its stamps settled).
    #[cfg(unix)]
    fn build_on_disk(repo: &Path, path: &Path, age: bool) -> Compilation {
        let secret = |_: &str| None;
        let at = |_: &str| Some(path.to_path_buf());
        let options = Options { cache: Some(&at), ..Options::new(Mode::Build, &secret) };
        let mut c = pipeline::compile_with(repo, &options).expect("compiles");
        let update = c.cache.take().expect("a cache update");
        update.save(&path.with_extension("part"), &|i| c.policies.get(i).map(|l| &l.doc)).expect("saved");
        if age {
            aged(path);
        }
        c
    }

    /// The names of the policy files a compilation did not read.
    #[cfg(unix)]
    fn unread(c: &Compilation) -> Vec<&str> {
        c.repository.policies.iter().filter(|f| f.unread).map(|f| f.name.as_str()).collect()
    }

    /// A policy file whose stamp is the one the cache recorded is not read at all, and
    /// compiles as reading it would; any change to a file (even one that keeps its size and
    /// modification time) has it read again. A diagnostic pointing into a file not read gets
    /// its text all the same.
    #[cfg(unix)]
    #[test]
    fn a_rebuild_does_not_even_read_the_unchanged_policy_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Another minor deferral for the same Macs: a conflict, pointing into both files.
        let policies = [("policies/a.yaml", mac(7)), ("policies/b.yaml", mac(8).replace("id: mac", "id: mac-b"))];
        let (repo, path) = on_disk(dir.path(), &policies);
        let (a, b) = (repo.join("policies/a.yaml"), repo.join("policies/b.yaml"));
        let build = || build_on_disk(&repo, &path, true);
        let first = build();
        assert!(unread(&first).is_empty());
        let conflict = first.diagnostics.iter().any(|d| d.code == crate::diagnostics::Code::Conflict);
        assert!(conflict, "{:?}", first.diagnostics);
        let second = build();
        assert_eq!(second.files, first.files);
        assert_eq!(seen(&second), seen(&first));
        assert_eq!(format!("{:?}", second.diagnostics), format!("{:?}", first.diagnostics));
        // Both were vouched for; the conflict's snippets still have their text.
        assert!(second.repository.policies.iter().all(|f| !f.text.is_empty() && !f.unread));
        // Without a diagnostic pointing into them, they stay unread.
        fs::write(&b, mac(7).replace("id: mac", "id: mac-b")).expect("write");
        let agreeing = build();
        assert_eq!(unread(&agreeing), ["policies/a.yaml"], "b changed: read");
        let third = build();
        assert_eq!(unread(&third), ["policies/a.yaml", "policies/b.yaml"]);
        assert_eq!(third.files, agreeing.files);
        // Each build's table of stamps replaces the last: nothing changed, nothing grows.
        let size = fs::metadata(&path).expect("cache").len();
        build();
        assert_eq!(fs::metadata(&path).expect("cache").len(), size);
        // The same size and modification time, other bytes: the change time gives it away.
        let modified = fs::metadata(&a).expect("meta").modified().expect("mtime");
        fs::write(&a, mac(7).replace("id: mac", "id: mad")).expect("write");
        fs::File::options().write(true).open(&a).expect("open").set_modified(modified).expect("mtime");
        let changed = build();
        assert_eq!(unread(&changed), ["policies/b.yaml"]);
        assert_ne!(changed.files, third.files, "the new id");
    }

    /// A stamp is trusted only when it was settled (the file unchanged in the second before
    /// the table was taken), and only in the table's own seal: otherwise the file is read.
    #[cfg(unix)]
    #[test]
    fn a_racy_or_damaged_table_of_stamps_vouches_for_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (repo, path) = on_disk(dir.path(), &[("policies/a.yaml", mac(7))]);
        let build = || build_on_disk(&repo, &path, false);
        build();
        // Taken now, within a second of the file's writing: not trusted.
        assert!(unread(&build()).is_empty(), "racy");
        aged(&path);
        // The last entry is the table; a byte of it changed breaks its seal.
        let mut damaged = fs::read(&path).expect("cache");
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        fs::write(&path, &damaged).expect("write");
        assert!(unread(&build()).is_empty(), "damaged");
        aged(&path);
        let vouched = build();
        assert_eq!(unread(&vouched), ["policies/a.yaml"]);
        // An entry damaged behind a whole table: the file vouched for is read after all.
        let mut damaged = fs::read(&path).expect("cache");
        let first_end = entry_end(&damaged, ENTRIES).expect("an entry");
        damaged[first_end - 5] ^= 1;
        fs::write(&path, &damaged).expect("write");
        let read_again = build();
        assert!(unread(&read_again).is_empty(), "read after all");
        assert_eq!(read_again.files, vouched.files);
        assert_eq!(seen(&read_again), seen(&vouched));
    }
}
