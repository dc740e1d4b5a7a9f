//! The `emporium` command line: serve (the default), migrate, seed, create-admin, recs, api-key,
//! backup, restore.

use super::router::router;
use crate::{
    accounts::{
        db,
        model::{Email, check_password_length},
    },
    admin, analytics, cart,
    catalog::seed,
    checkout,
    error::AppError,
    integrations::{self, model::ApiKeyForm, webhooks},
    notifications::mail::{Mailer, deliver_until_stopped},
    platform::{
        audit::{Action, Entry},
        config::Config,
        db::{Backend, Db, now_ms},
        jobs::{Stopping, run_claimed},
        password::{self, Passwords},
        secret,
        serve::{self, Timeouts},
        state::AppState,
        tokens::random_hex,
    },
    recommendations,
    search::{index::SearchIndex, sync::Follower},
};
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;
use std::{process::ExitCode, time::Duration};

/// The account made alongside the demo catalog.
const DEMO_ADMIN_EMAIL: &str = "admin@emporium.test";

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
    /// Create an admin account, or make an existing account an admin. The password is read
    /// from EMPORIUM_ADMIN_PASSWORD or, when that is unset, from the first line of stdin.
    CreateAdmin {
        #[arg(long)]
        email: String,
    },
    /// Generate a deterministic demo catalog into an empty database.
    Seed {
        /// Number of products to generate.
        #[arg(long, default_value_t = 1000)]
        products: usize,
        /// Seed for the generator: the same seed gives the same catalog.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Recommendations: rebuild the neighbour table now, or evaluate the engine offline.
    Recs {
        #[command(subcommand)]
        action: Recs,
    },
    /// Make an API key for another system and print it (it is shown this once). Admins make
    /// them in /admin/api-keys too.
    ApiKey {
        /// The system that will use it.
        #[arg(long)]
        name: String,
        /// What it may do (catalog:read, orders:read); repeat for more than one.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
    },
    /// Copy the SQLite database to a new file while the shop runs (PostgreSQL: use pg_dump).
    Backup { path: std::path::PathBuf },
    /// Replace the SQLite database with a backup. Stop every node using it first.
    Restore { path: std::path::PathBuf },
}

#[derive(Subcommand)]
enum Recs {
    /// Recompute every product's neighbours from recent behaviour (the server does this every
    /// ten minutes on one node).
    Rebuild,
    /// Hold out each shopper's last product, learn from the rest, and print hit rate and NDCG
    /// at 10 for the engine and for a best-seller list.
    Evaluate,
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
    match command {
        Command::Migrate => {
            open(&config).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Seed { products, seed } => {
            let db = open(&config).await?;
            let report = seed::seed(&db, products, seed).await?;
            let filled = super::demo::fill(&db, &config, seed).await?;
            tracing::info!(
                ?report,
                ?filled,
                "demo catalog, behaviour, orders and reviews loaded"
            );
            Ok(())
        }
        Command::CreateAdmin { email } => create_admin(&open(&config).await?, &email).await,
        Command::Recs {
            action: Recs::Rebuild,
        } => {
            let build = recommendations::rebuild::rebuild(&open(&config).await?).await?;
            tracing::info!(?build, "recommendations rebuilt");
            Ok(())
        }
        Command::Recs {
            action: Recs::Evaluate,
        } => {
            let db = open(&config).await?;
            let interactions = recommendations::db::interactions(&db, now_ms()).await?;
            let evaluation = recommendations::evaluation::evaluate(&interactions);
            print!("{evaluation}");
            Ok(())
        }
        Command::ApiKey { name, scopes } => {
            let form = ApiKeyForm { name, scopes };
            let entry = Entry::command_line(Action::ApiKeyCreated);
            let issued =
                integrations::service::issue(&open(&config).await?, &form, entry, now_ms())
                    .await
                    .map_err(|error| match error {
                        AppError::Invalid(fields) => fields
                            .iter()
                            .map(|f| format!("--{}: {}", f.field.trim_end_matches('s'), f.message))
                            .collect::<Vec<_>>()
                            .join(" "),
                        other => other.to_string(),
                    })?;
            println!("{}", issued.key);
            Ok(())
        }
        Command::Backup { path } => {
            open(&config).await?.backup_to(&path).await?;
            tracing::info!(to = %path.display(), "database backed up");
            Ok(())
        }
        // Nothing may open the database that is about to be replaced.
        Command::Restore { path } => {
            crate::platform::db::restore_sqlite(&config.database_url, &path).await?;
            tracing::info!(from = %path.display(), "database restored");
            Ok(())
        }
        Command::Serve => {
            let db = open(&config).await?;
            serve(config, db).await
        }
    }
}

/// The configured database, migrated.
async fn open(config: &Config) -> Result<Db, Failure> {
    let db = Db::connect(&config.database_url, DATABASE_PATIENCE).await?;
    db.migrate()
        .await
        .map_err(|e| format!("database migration failed: {e}"))?;
    Ok(db)
}

async fn create_admin(db: &Db, email: &str) -> Result<(), Failure> {
    let email = Email::parse(email).map_err(|m| format!("--email: {m}"))?;
    let password = match std::env::var("EMPORIUM_ADMIN_PASSWORD") {
        Ok(password) => password,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    check_password_length(&password).map_err(|m| format!("password: {m}"))?;
    password::check_strength(&password, &[email.as_str()]).map_err(|m| format!("password: {m}"))?;
    if make_admin(db, &email, password).await? {
        tracing::info!(%email, "admin account created");
    } else {
        tracing::info!(%email, "existing account is now an admin with the new password");
    }
    Ok(())
}

/// Creates the admin account `email`, or promotes it. Returns true when created.
async fn make_admin(db: &Db, email: &Email, password: String) -> Result<bool, Failure> {
    let hash = Passwords::new()
        .hash(password)
        .await
        .map_err(|e| e.to_string())?;
    Ok(db::upsert_admin(db, email, &hash, now_ms()).await?)
}

async fn serve(config: Config, db: Db) -> Result<(), Failure> {
    let secret = secret::resolve(&config)?;
    let addr = config.leptos.site_addr;
    if config.demo_products > 0 && load_demo_catalog(&db, &config).await? {
        create_demo_admin(&db, addr).await?;
    }
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        format!("cannot listen on {addr} ({e}); set LEPTOS_SITE_ADDR to a free address")
    })?;
    let backend = match db.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let mailer = Mailer::new(
        config.smtp_url.as_ref().map(ExposeSecret::expose_secret),
        &config.mail_from,
        &config.public_url,
        config.data_dir.join("mail"),
    )?;
    let state = super::app_state(db.clone(), config, secret.bytes())?;
    let pending_events = state.events.clone();
    let follower = Follower::resume(SearchIndex::of(&state).clone(), db.clone())
        .await
        .map_err(|e| format!("opening the search index failed: {e}"))?;
    tokio::spawn(follower.run());
    tokio::spawn(delete_expired_guest_carts(db.clone()));
    let (stop, stopping) = Stopping::new();
    let handing_back = [
        tokio::spawn(deliver_until_stopped(db.clone(), mailer, stopping.clone())),
        tokio::spawn(expire_reservations(state.clone(), stopping.clone())),
        tokio::spawn(send_webhooks(state.clone(), stopping.clone())),
        tokio::spawn(admin::import::run_until_stopped(
            db.clone(),
            stopping.clone(),
        )),
        tokio::spawn(roll_up_analytics(db.clone(), stopping.clone())),
        tokio::spawn(rebuild_recommendations(db, stopping)),
    ];
    tracing::info!(%addr, backend, "Emporium is serving at http://{addr}");
    serve::serve(listener, router(state), Timeouts::SHOP, shutdown_signal()).await;
    // Requests have finished: the background loops hand back their leases and claimed emails,
    // and the events requests queued are written, before the process exits.
    let _ = stop.send(true);
    let handed_back = futures::future::join_all(handing_back);
    let (finished, ()) = tokio::join!(
        tokio::time::timeout(HAND_BACK_TIME, handed_back),
        pending_events.flush()
    );
    if finished.is_err() {
        tracing::warn!("background jobs were still running at shutdown and were cut off");
    }
    Ok(())
}

/// How long the background loops get to finish a round and hand back what they hold.
const HAND_BACK_TIME: Duration = Duration::from_secs(10);

/// A first start on an empty database gets the demo catalog, so the shop is never blank.
/// Returns true when it was loaded now.
async fn load_demo_catalog(db: &Db, config: &Config) -> Result<bool, Failure> {
    match seed::seed(db, usize::try_from(config.demo_products)?, 42).await {
        Ok(report) => {
            let filled = super::demo::fill(db, config, 42).await?;
            tracing::info!(
                ?report,
                ?filled,
                "first start: demo catalog, behaviour, orders and reviews loaded"
            );
            Ok(true)
        }
        Err(seed::SeedError::NotEmpty) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// With the demo catalog comes a demo admin with a random password, shown once here so a
/// newcomer can open /admin. It is never written anywhere else.
async fn create_demo_admin(db: &Db, addr: std::net::SocketAddr) -> Result<(), Failure> {
    let password = random_hex(12);
    make_admin(db, &Email::parse(DEMO_ADMIN_EMAIL)?, password.clone()).await?;
    tracing::info!(
        "demo admin created: sign in at http://{addr}/login as {DEMO_ADMIN_EMAIL} with password {password} (shown only now)"
    );
    Ok(())
}

/// Once an hour, guest carts untouched for 30 days are deleted. (They are already invisible to
/// shoppers; this only reclaims the space.) Running on every node is harmless.
async fn delete_expired_guest_carts(db: Db) {
    let mut hours = tokio::time::interval(std::time::Duration::from_secs(60 * 60));
    loop {
        hours.tick().await;
        match cart::db::delete_expired_guest_carts(&db, now_ms()).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "expired guest carts deleted"),
            Err(error) => tracing::warn!(%error, "deleting expired guest carts failed"),
        }
    }
}

/// Every half minute, on one node at a time, unpaid orders whose reservation ran out expire.
async fn expire_reservations(state: AppState, stopping: Stopping) {
    let period = Duration::from_secs(30);
    let db = state.db.clone();
    run_claimed(db, "expire-reservations", period, stopping, |now| {
        let state = state.clone();
        async move {
            match checkout::service::expire_reservations(&state, now).await {
                Ok(0) => {}
                Ok(expired) => tracing::info!(expired, "unpaid orders expired"),
                Err(error) => tracing::warn!(%error, "expiring unpaid orders failed"),
            }
        }
    })
    .await;
}

/// Every couple of seconds, on one node at a time, webhook events go out to their endpoints.
async fn send_webhooks(state: AppState, stopping: Stopping) {
    let client = webhooks::client();
    let db = state.db.clone();
    run_claimed(db, "webhooks", webhooks::ROUND, stopping, |now| {
        let (state, client) = (state.clone(), client.clone());
        async move {
            match webhooks::round(&state.db, &client, state.config.low_stock, now).await {
                Ok(round) if round == webhooks::Round::default() => {}
                Ok(round) => tracing::info!(?round, "webhooks sent"),
                Err(error) => tracing::warn!(%error, "sending webhooks failed"),
            }
        }
    })
    .await;
}

/// Every five minutes (and at start), on one node at a time, the closed days not rolled up yet
/// (or changed since) are rolled up for the analytics.
async fn roll_up_analytics(db: Db, stopping: Stopping) {
    let period = Duration::from_secs(5 * 60);
    run_claimed(db.clone(), "roll-up-analytics", period, stopping, |now| {
        let db = db.clone();
        async move {
            match analytics::db::roll_up(&db, now).await {
                Ok(0) => {}
                Ok(days) => tracing::info!(days, "analytics rolled up"),
                Err(error) => tracing::warn!(%error, "rolling up analytics failed"),
            }
        }
    })
    .await;
}

/// Every ten minutes (and at start), on one node at a time, products' neighbours are
/// recomputed from recent behaviour.
async fn rebuild_recommendations(db: Db, stopping: Stopping) {
    let period = Duration::from_secs(10 * 60);
    run_claimed(
        db.clone(),
        "rebuild-recommendations",
        period,
        stopping,
        |_| {
            let db = db.clone();
            async move {
                match recommendations::rebuild::rebuild(&db).await {
                    Ok(build) => tracing::info!(?build, "recommendations rebuilt"),
                    Err(error) => tracing::warn!(%error, "rebuilding recommendations failed"),
                }
            }
        },
    )
    .await;
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
    use tracing_subscriber::{EnvFilter, layer::SubscriberExt, util::SubscriberInitExt};
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let format = std::env::var("EMPORIUM_LOG_FORMAT").unwrap_or_default();
    tracing_subscriber::registry()
        .with(filter)
        .with(log_lines(&format, std::io::stderr))
        .init();
    if !matches!(format.as_str(), "" | "text" | "json") {
        tracing::warn!(%format, "EMPORIUM_LOG_FORMAT is text or json; writing text");
    }
}

/// Log lines as `format` says: one JSON object a line (`json`: the event's fields, and the
/// fields of the spans it happened in, so every line of a request carries its request id), or
/// text for a person (anything else).
fn log_lines<S, W>(
    format: &str,
    writer: W,
) -> Box<dyn tracing_subscriber::Layer<S> + Send + Sync + 'static>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let lines = tracing_subscriber::fmt::layer().with_writer(writer);
    if format == "json" {
        Box::new(lines.json().flatten_event(true).with_span_list(true))
    } else {
        Box::new(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::log_lines;
    use std::{
        io,
        sync::{Arc, Mutex},
    };
    use tracing_subscriber::layer::SubscriberExt;

    /// Log output kept in memory.
    #[derive(Clone, Default)]
    struct Written(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Written {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_lines_carry_the_request_id_of_their_request() {
        let written = Written::default();
        let writer = {
            let written = written.clone();
            move || written.clone()
        };
        let subscriber = tracing_subscriber::registry().with(log_lines("json", writer));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", method = "GET", request_id = "abc123");
            let _entered = span.enter();
            tracing::warn!(order = "EM-1", "payment failed");
        });
        let text = String::from_utf8(written.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["message"], "payment failed");
        assert_eq!(line["order"], "EM-1");
        assert_eq!(line["spans"][0]["request_id"], "abc123");
    }
}
