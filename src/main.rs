fn main() {
    std::process::exit(ddmc::cli::run());
}
