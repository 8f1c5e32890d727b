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

use crate::canonical::digest;
use crate::document::Document;
use crate::emit::write::remove;
use crate::limits::MAX_POLICY_CACHE_BYTES;
use crate::model::Policy;
use crate::source::SourceFile;
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
}

impl Cache {
    /// The cache at `path` for `context`; empty if there is none or it cannot be used.
    pub fn open(path: PathBuf, context: Key) -> Cache {
        let mut cache = Cache { path, context, bytes: Arc::default(), entries: HashMap::new(), appendable: false };
        let Some(bytes) = read_bounded(&cache.path).filter(|bytes| of_context(bytes, &context)) else { return cache };
        let mut at = ENTRIES;
        while let Some(end) = entry_end(&bytes, at) {
            cache.entries.insert(take(&bytes, at), (at, end));
            at = end;
        }
        cache.appendable = at == bytes.len();
        cache.bytes = Arc::new(bytes);
        cache
    }

    /// The key of `file` in this cache.
    pub fn key(&self, file: &SourceFile) -> Key {
        digest(&[&self.context, file.name.as_bytes(), file.text.as_bytes()])
    }

    /// The policy and document that loading `file` (whose key is `key`) gave when it was
    /// remembered, if it was, without a diagnostic.
    pub fn recall(&self, key: &Key, file: &SourceFile) -> Option<(Policy, Document)> {
        let &(start, end) = self.entries.get(key)?;
        let entry = self.bytes.get(start..end)?;
        let payload = &entry[HEAD..];
        if digest(&[key, payload]) != take(entry, 16) {
            return None;
        }
        let json_len = u32::from_le_bytes(payload.get(..4)?.try_into().ok()?) as usize;
        let json = payload.get(4..4 + json_len)?;
        let policy = serde_json::from_slice(json).ok()?;
        let outline = start + HEAD + 4 + json_len;
        (outline < end).then(|| (policy, Document::with_outline(file.name.clone(), self.bytes.clone(), outline, end)))
    }

    /// What to write once the build is done: the entries used (`used`, their keys) and the
    /// files read anew (`fresh`). The file's bytes are let go (but by the documents recalled).
    pub fn update(self, used: Vec<Key>, fresh: Fresh) -> Update {
        let used: HashSet<Key> = used.into_iter().collect();
        let kept = used.iter().filter_map(|k| self.entries.get(k)).map(|(s, e)| e - s).sum();
        let appendable = self.appendable.then_some(self.bytes.len());
        Update { path: self.path, context: self.context, used_keys: used, kept, appendable, fresh }
    }
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
            let seal = digest(&[&key, &entry[HEAD..]]);
            entry[16..32].copy_from_slice(&seal);
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
    /// The length of the file as read, if it was of this context and ended with a whole entry.
    appendable: Option<usize>,
    fresh: Fresh,
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
        let added = self.fresh.json.len() + self.fresh.files.len() * (HEAD + 4 + OUTLINE_GUESS);
        if let Some(len) = self.appendable
            && len + added <= ENTRIES + 2 * (self.kept + added)
        {
            if self.fresh.files.is_empty() {
                return Ok(());
            }
            let file = open_no_follow(&self.path, fs::OpenOptions::new().append(true))?;
            let mut out = io::BufWriter::with_capacity(BLOCK, file);
            self.fresh.write(doc, &mut out)?;
            return out.flush();
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
        let files: Vec<SourceFile> = policies
            .iter()
            .map(|(name, text)| SourceFile { name: (*name).into(), path: (*name).into(), text: (*text).into() })
            .collect();
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
}
