//! Every input has a size and a depth limit: one named constant per limit, in one place, so
//! that a pull request cannot make ddmc read a gigabyte, walk forever or exhaust memory.

/// The largest policy file or `ddmc.yaml` ddmc reads (1 MiB); a real policy is a few KiB.
pub const MAX_SOURCE_BYTES: u64 = 1024 * 1024;

/// The most policy files one repository may hold.
pub const MAX_POLICY_FILES: usize = 100_000;

/// The deepest folder nesting below `policies/` (`policies/a/b` is depth 2).
pub const MAX_POLICY_DEPTH: usize = 32;

/// The most files an output folder may hold when ddmc reads one back (`build --check`,
/// `diff`): five or six per policy at the policy limit, with room to spare.
pub const MAX_OUTPUT_FILES: usize = 1_000_000;

/// The largest output file read back: the manifest of a very large repository.
pub const MAX_OUTPUT_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// The deepest nesting read back in an output folder (ddmc writes depth 1).
pub const MAX_OUTPUT_DEPTH: usize = 4;

/// Deepest nesting of lists and mappings accepted in a policy file, `ddmc.yaml` or a file from
/// a device. Real files are a few levels deep; the limit keeps recursion (ours and every
/// later pass's) far from the stack limit. It is below serde_json's own limit (127 levels) so
/// that JSON and YAML fail alike, with our message.
pub const MAX_DEPTH: usize = 100;

/// Most nodes one YAML document may produce. Aliases copy whole subtrees, so a few lines can
/// describe billions of nodes (an "alias bomb"); this caps the work and memory.
pub const MAX_NODES: usize = 100_000;

/// Bytes a free-text field may hold. A description or a web address longer than this is a
/// mistake (a pasted file), and would be copied into every declaration and profile.
pub const MAX_TEXT_BYTES: usize = 4096;

/// Instructions a template may run before it is stopped (a loop cannot hang a build).
pub const MAX_TEMPLATE_FUEL: u64 = 50_000;

/// The longest rendered template value, like the longest text field.
pub const MAX_RENDERED_BYTES: usize = 4096;

/// The largest file from a device or another tool ddmc reads (declarations, profiles, status
/// reports and update lists are kilobytes); larger files are reported, not read.
pub const MAX_DEVICE_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Most values one file from a device may hold (every key, value and container counts once
/// per time it would be read). Real files hold hundreds; a binary plist whose arrays share
/// children can describe 2^40 values in 150 bytes.
pub const MAX_DEVICE_FILE_VALUES: usize = 1_000_000;

/// A policy cache (`policy_cache`, beside a build's output) larger than this is not read
/// (and not written): it takes about 1 KB a policy, so this is far above what 100,000
/// ordinary policies need.
pub const MAX_POLICY_CACHE_BYTES: u64 = 512 * 1024 * 1024;

/// The largest catalog file or GDMF answer: GDMF answers about 120 KB today.
pub const MAX_CATALOG_BYTES: usize = 16 * 1024 * 1024;

/// `1 MiB`, `100 KiB`, `12 bytes`: a byte count as people read it.
pub fn bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = KIB * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}
