/// mimalloc: a build allocates and frees millions of small strings and JSON values on both
/// cores; glibc's allocator spent a fifth of `check`'s time on it and grew its per-thread
/// heaps by tens of thousands of `mprotect` calls.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(ddmc::cli::run());
}
