//! The `emporium` command line: serve (the default), migrate, seed.

use super::{
    config::Config,
    db::{Backend, Db},
    http::router,
    secret,
    state::AppState,
};
use crate::catalog::seed;
use clap::{Parser, Subcommand};
use std::{process::ExitCode, sync::Arc, time::Duration};

/// How long to wait for PostgreSQL to accept connections before giving up.
const DATABASE_PATIENCE: Duration = Duration::from_secs(10);

#[derive(Parser)]
#[command(
    name = "emporium",
    version,
    about = "An online shop. Configuration: Leptos.toml and the environment (see .env.example)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations, load the demo catalog into an empty database, and serve the shop.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Generate a deterministic demo catalog into an empty database.
    Seed {
        /// Number of products to generate.
        #[arg(long, default_value_t = 1000)]
        products: usize,
        /// Seed for the generator: the same seed gives the same catalog.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

/// A start-up failure: printed as one line, and the process exits non-zero.
type Failure = Box<dyn std::error::Error>;

/// Runs the command line and maps failures to a one-line message and exit code 1.
pub async fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    match run(cli.command.unwrap_or(Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("emporium: {failure}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), Failure> {
    let config = Config::load()?;
    let db = Db::connect(&config.database_url, DATABASE_PATIENCE).await?;
    db.migrate()
        .await
        .map_err(|e| format!("database migration failed: {e}"))?;
    match command {
        Command::Migrate => {
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Seed { products, seed } => {
            let report = seed::seed(&db, products, seed).await?;
            tracing::info!(?report, "demo catalog loaded");
            Ok(())
        }
        Command::Serve => serve(config, db).await,
    }
}

async fn serve(config: Config, db: Db) -> Result<(), Failure> {
    if config.demo_products > 0 {
        load_demo_catalog(&db, config.demo_products).await?;
    }
    let secret = secret::resolve(&config)?;
    let addr = config.leptos.site_addr;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        format!("cannot listen on {addr} ({e}); set LEPTOS_SITE_ADDR to a free address")
    })?;
    let backend = match db.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let state = AppState {
        db,
        leptos: config.leptos.clone(),
        config: Arc::new(config),
        secret,
    };
    tracing::info!(%addr, backend, "Emporium is serving at http://{addr}");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

/// A first start on an empty database gets the demo catalog, so the shop is never blank.
async fn load_demo_catalog(db: &Db, products: u32) -> Result<(), Failure> {
    match seed::seed(db, usize::try_from(products)?, 42).await {
        Ok(report) => {
            tracing::info!(?report, "first start: demo catalog loaded");
            Ok(())
        }
        Err(seed::SeedError::NotEmpty) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
