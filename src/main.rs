/// mimalloc: a build allocates and frees millions of small strings and JSON values on both
/// cores; glibc's allocator spent a fifth of `check`'s time on it and grew its per-thread
/// heaps by tens of thousands of `mprotect` calls. Its version 2 (the `v2` feature) returns
/// freed pages to the system after 10 ms where version 3 waits a second: a build at 10,000
/// policies peaks 15-20 MB lower, at the same speed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(ddmc::cli::run());
}
