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
