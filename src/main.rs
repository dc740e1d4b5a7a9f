//! The `emporium` binary: see `server::cli` for its subcommands.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    emporium::server::cli::main().await
}
