//! The database handle: one portable `sqlx::AnyPool` over SQLite or PostgreSQL, picked by the
//! scheme of `DATABASE_URL`. Queries use `$1`-style placeholders and SQL both backends accept.

use sqlx::{
    AnyPool, Executor,
    any::{AnyPoolOptions, install_default_drivers},
    migrate::{MigrateError, Migrator},
};
use std::{fmt, str::FromStr, sync::Arc, time::Duration};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database engine a URL points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A `DATABASE_URL` whose scheme is known to be supported.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    backend: Backend,
}

impl DatabaseUrl {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// For SQLite, the file the URL names (`None` for in-memory databases).
    pub fn sqlite_path(&self) -> Option<&str> {
        if self.backend != Backend::Sqlite {
            return None;
        }
        let rest = self
            .url
            .trim_start_matches("sqlite:")
            .trim_start_matches("//");
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && path != ":memory:").then_some(path)
    }
}

/// The URL could not be used; the message says why without echoing credentials.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "must start with sqlite:// or postgres:// (for example sqlite://data/emporium.db or postgres://user:password@127.0.0.1:5432/emporium)"
)]
pub struct UnsupportedDatabaseUrl;

impl FromStr for DatabaseUrl {
    type Err = UnsupportedDatabaseUrl;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let url = url.trim();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(UnsupportedDatabaseUrl);
        };
        let has_location = url.split_once(':').is_some_and(|(_, rest)| {
            !rest.trim_start_matches('/').is_empty() || rest.contains(":memory:")
        });
        if !has_location {
            return Err(UnsupportedDatabaseUrl);
        }
        Ok(Self {
            url: url.to_owned(),
            backend,
        })
    }
}

impl fmt::Debug for DatabaseUrl {
    /// Never prints the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = match (self.url.split_once("://"), self.url.rfind('@')) {
            (Some((scheme, _)), Some(at)) => format!("{scheme}://***{}", &self.url[at..]),
            _ => self.url.clone(),
        };
        f.write_str(&shown)
    }
}

/// The shared connection pools plus the backend they talk to.
///
/// SQLite lets one connection write at a time, and a connection waiting for the write lock sleeps
/// in SQLite's busy handler while holding its place in the pool. Writes on a SQLite file
/// therefore go through a pool of one connection of their own (`writer`), where they queue
/// without sleeping and without taking connections from readers. PostgreSQL writes
/// concurrently, so there `writer` is the same pool as `pool`.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    writer: AnyPool,
    backend: Backend,
    /// SQLite's checkpoint task, stopped when the last handle goes.
    _checkpoints: Option<Arc<Background>>,
}

/// A task that lives as long as something holds it.
#[derive(Debug)]
struct Background(tokio::task::JoinHandle<()>);

impl Drop for Background {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Opening the database failed; the message names the database without its password.
#[derive(Debug)]
pub struct ConnectError {
    url: DatabaseUrl,
    source: sqlx::Error,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            sqlx::Error::PoolTimedOut => write!(
                f,
                "cannot open database {:?}: no answer within the wait time; is the server running and reachable?",
                self.url
            ),
            other => write!(f, "cannot open database {:?}: {other}", self.url),
        }
    }
}

impl std::error::Error for ConnectError {}

impl Db {
    /// Connects, waiting up to `patience` for a database that is still starting.
    /// SQLite files (and their folder) are created when missing.
    pub async fn connect(url: &DatabaseUrl, patience: Duration) -> Result<Self, ConnectError> {
        install_default_drivers();
        let url_for_pool = match url.sqlite_path() {
            Some(path) => {
                if let Some(dir) = std::path::Path::new(path).parent() {
                    std::fs::create_dir_all(dir).map_err(|e| ConnectError {
                        url: url.clone(),
                        source: sqlx::Error::Io(e),
                    })?;
                }
                with_query_param(url.as_str(), "mode=rwc")
            }
            None => url.as_str().to_owned(),
        };
        let backend = url.backend();
        let open = |max_connections, sqlite_pragmas: &'static str| {
            AnyPoolOptions::new()
                .max_connections(max_connections)
                // How long a request waits for a connection: sqlx keeps retrying refused
                // connections until then, so with the database down a request gets its 503
                // after this, not after the start-up's patience.
                .acquire_timeout(ACQUIRE_TIMEOUT.min(patience))
                .after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            conn.execute(sqlite_pragmas).await?;
                        }
                        Ok(())
                    })
                })
                .connect(&url_for_pool)
        };
        let failed = |source| ConnectError {
            url: url.clone(),
            source,
        };
        // A database that is still starting gets `patience` to come up.
        let started = std::time::Instant::now();
        let pool = loop {
            let max_connections = match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            };
            match open(max_connections, SQLITE_PRAGMAS).await {
                Ok(pool) => break pool,
                Err(error) if started.elapsed() >= patience || !is_unreachable(&error) => {
                    return Err(failed(error));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        // An in-memory SQLite database exists once per connection, so it cannot have a writer
        // of its own. The writer leaves checkpoints to a task of their own: a commit that
        // checkpoints would hold up every write queued behind it.
        let (writer, checkpoints) = match url.sqlite_path() {
            Some(_) => {
                let writer = open(1, SQLITE_WRITER_PRAGMAS).await.map_err(failed)?;
                let task = tokio::spawn(checkpoint_every_second(pool.clone()));
                (writer, Some(Arc::new(Background(task))))
            }
            None => (pool.clone(), None),
        };
        Ok(Self {
            pool,
            writer,
            backend,
            _checkpoints: checkpoints,
        })
    }

    /// Applies pending migrations for this backend; a second run is a no-op.
    ///
    /// SQLite changes a constraint by rebuilding its table, and dropping the old table must not
    /// cascade (the twelve steps of SQLite's "ALTER TABLE" page), so its migrations run on one
    /// connection with foreign keys off, checked with `foreign_key_check` before they go on.
    pub async fn migrate(&self) -> Result<(), MigrateError> {
        if self.backend == Backend::Postgres {
            return POSTGRES_MIGRATIONS.run(&self.writer).await;
        }
        let mut conn = self.writer.acquire().await?;
        conn.execute("PRAGMA foreign_keys = OFF").await?;
        let migrated = SQLITE_MIGRATIONS.run(&mut *conn).await;
        let dangling = sqlx::query("PRAGMA foreign_key_check")
            .fetch_optional(&mut *conn)
            .await;
        conn.execute("PRAGMA foreign_keys = ON").await?;
        migrated?;
        match dangling? {
            None => Ok(()),
            Some(_) => Err(MigrateError::Source(
                "a migration left rows whose foreign keys point nowhere (PRAGMA foreign_key_check)"
                    .into(),
            )),
        }
    }

    /// The pool for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for writes outside `begin_write` (single statements).
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// ` FOR UPDATE` on PostgreSQL, to end a `SELECT` that locks the rows it reads until the
    /// transaction ends; nothing on SQLite, whose write transaction holds the whole database.
    pub fn row_lock(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// Starts a transaction that will write. SQLite takes the write lock up front so that a
    /// writer from another process waits on the busy timeout instead of failing to upgrade a
    /// read lock.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.writer.begin().await,
        }
    }

    /// True when a trivial query succeeds within the time a connection may take: what
    /// `/readyz` reports.
    pub async fn is_ready(&self) -> bool {
        let probe = sqlx::query("SELECT 1").execute(&self.pool);
        matches!(
            tokio::time::timeout(ACQUIRE_TIMEOUT, probe).await,
            Ok(Ok(_))
        )
    }
}

/// The longest a request waits for a database connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
     PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";
const SQLITE_WRITER_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
     PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;";

/// Copies the SQLite write-ahead log back into the database file once a second, on a reader
/// connection, without blocking readers or the writer (`PASSIVE`).
async fn checkpoint_every_second(readers: AnyPool) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&readers)
            .await
        {
            tracing::warn!(%error, "SQLite checkpoint failed");
        }
    }
}

fn with_query_param(url: &str, param: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{param}")
}

/// A backup or restore could not be made; the message says why.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "only SQLite databases are backed up by emporium; back up PostgreSQL with pg_dump (README, Backups)"
    )]
    NotSqlite,
    #[error("{0} exists already; choose a new file")]
    Exists(String),
    #[error("{0} is not a whole backup of this shop's database: {1}")]
    NotABackup(String, String),
    #[error("{0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Db {
    /// Writes a consistent copy of the whole SQLite database to the new file `to`, while the
    /// shop keeps serving (`VACUUM INTO` reads one snapshot).
    pub async fn backup_to(&self, to: &std::path::Path) -> Result<(), BackupError> {
        if self.backend() != Backend::Sqlite {
            return Err(BackupError::NotSqlite);
        }
        if to.exists() {
            return Err(BackupError::Exists(to.display().to_string()));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(to.display().to_string())
            .execute(self.writer())
            .await?;
        Ok(())
    }
}

/// Replaces the SQLite database at `url` with the backup `from`, once it has proved to be a
/// whole database of this shop (it passes SQLite's integrity check and has the migrations
/// table). The copy is written beside the database and renamed over it, so the database is
/// the old one or the new one, never half of each. Every node using it must be stopped first.
pub async fn restore_sqlite(url: &DatabaseUrl, from: &std::path::Path) -> Result<(), BackupError> {
    let Some(target) = url.sqlite_path() else {
        return Err(BackupError::NotSqlite);
    };
    let not_a_backup = |why: String| BackupError::NotABackup(from.display().to_string(), why);
    if !from.is_file() {
        return Err(not_a_backup("no such file".into()));
    }
    install_default_drivers();
    let backup = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&format!("sqlite://{}?mode=ro", from.display()))
        .await
        .map_err(|e| not_a_backup(e.to_string()))?;
    let integrity: Result<String, sqlx::Error> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&backup)
        .await;
    let migrations: Result<i64, sqlx::Error> =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&backup)
            .await;
    backup.close().await;
    match (integrity, migrations) {
        (Ok(check), Ok(n)) if check == "ok" && n > 0 => {}
        (Ok(check), _) if check != "ok" => return Err(not_a_backup(check)),
        (Err(e), _) | (_, Err(e)) => return Err(not_a_backup(e.to_string())),
        _ => return Err(not_a_backup("it has no migrations".into())),
    }
    let restoring = format!("{target}.restoring");
    std::fs::copy(from, &restoring)?;
    std::fs::File::open(&restoring)?.sync_all()?;
    // The old database's write-ahead log must never be replayed into the new one.
    for leftover in ["-wal", "-shm"] {
        match std::fs::remove_file(format!("{target}{leftover}")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    std::fs::rename(&restoring, target)?;
    Ok(())
}

/// The `VALUES` list of a multi-row INSERT: `row` repeated `rows` times, each `?` in it replaced
/// by the next `$n` placeholder. `values_list(2, "(?, 'x', ?)")` is `($1, 'x', $2), ($3, 'x', $4)`.
pub fn values_list(rows: usize, row: &str) -> String {
    let mut sql = String::with_capacity(rows * (row.len() + 8));
    let mut n = 0;
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        for c in row.chars() {
            if c == '?' {
                n += 1;
                sql.push_str(&format!("${n}"));
            } else {
                sql.push(c);
            }
        }
    }
    sql
}

/// True when `error` violates the unique constraint or index `constraint` on `columns`
/// (`"table.column, table.column"`). PostgreSQL reports the name; SQLite names an index on an
/// expression, and otherwise lists the columns in its message:
/// `UNIQUE constraint failed: table.column`.
pub fn violates(error: &sqlx::Error, constraint: &str, columns: &str) -> bool {
    error.as_database_error().is_some_and(|e| {
        e.constraint() == Some(constraint)
            || e.message().contains(&format!("'{constraint}'"))
            || e.message().strip_prefix("UNIQUE constraint failed: ") == Some(columns)
    })
}

/// True when `error` says the database cannot be reached now (down, restarting, the network or
/// the pool exhausted), rather than that a query is wrong: the request may succeed later.
pub fn is_unreachable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL's class 08 (connection exception) and 57P01–57P03 (shutting down,
        // crashed, starting up).
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// A `LIKE … ESCAPE '\\'` pattern matching text that contains `text` literally.
pub fn contains_pattern(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// Milliseconds since the Unix epoch: the portable timestamp stored in every table.
pub fn now_ms() -> i64 {
    let elapsed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_recognised_by_scheme() {
        let sqlite: DatabaseUrl = "sqlite://data/emporium.db".parse().unwrap();
        assert_eq!(sqlite.backend(), Backend::Sqlite);
        assert_eq!(sqlite.sqlite_path(), Some("data/emporium.db"));
        let postgres: DatabaseUrl = "postgres://u:p@127.0.0.1:5432/shop".parse().unwrap();
        assert_eq!(postgres.backend(), Backend::Postgres);
        assert_eq!(postgres.sqlite_path(), None);
        for bad in [
            "",
            "mysql://x/y",
            "data/emporium.db",
            "sqlite://",
            "postgres://",
        ] {
            assert!(bad.parse::<DatabaseUrl>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn values_lists_number_their_placeholders() {
        assert_eq!(
            values_list(2, "(?, 'x', ?)"),
            "($1, 'x', $2), ($3, 'x', $4)"
        );
        assert_eq!(values_list(1, "(?)"), "($1)");
    }

    #[test]
    fn debug_output_hides_the_password() {
        let url: DatabaseUrl = "postgres://shop:s3cret@db:5432/shop".parse().unwrap();
        let shown = format!("{url:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("@db:5432/shop"), "{shown}");
    }

    /// The PostgreSQL text of a SQLite migration. The two sets differ only in how they spell
    /// an auto-numbered key, the length of a text in characters and a table kept in its key's
    /// order; anything else must be the same.
    fn postgres_spelling(sqlite: &str) -> String {
        sqlite
            .replace(
                "INTEGER PRIMARY KEY",
                "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            )
            .replace("length(", "char_length(")
            // A table kept in its primary key's order; PostgreSQL has no such option.
            .replace(") WITHOUT ROWID;", ");")
    }

    /// Migrations that must differ: SQLite rebuilds a table where PostgreSQL alters it.
    const REBUILT_ON_SQLITE: &[&str] = &[
        "0015_order_status_references.sql",
        "0017_order_discounts.sql",
    ];

    #[test]
    fn both_migration_sets_hold_the_same_schema() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let names = |backend: &str| {
            let mut names: Vec<_> = std::fs::read_dir(dir.join(backend))
                .unwrap()
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            names
        };
        let files = names("sqlite");
        assert_eq!(files, names("postgres"), "the same files in both sets");
        for file in files
            .iter()
            .filter(|f| !REBUILT_ON_SQLITE.contains(&f.as_str()))
        {
            let read =
                |backend: &str| std::fs::read_to_string(dir.join(backend).join(file)).unwrap();
            let (sqlite, postgres) = (read("sqlite"), read("postgres"));
            let expected = postgres_spelling(&sqlite);
            let differs = expected
                .lines()
                .zip(postgres.lines())
                .position(|(a, b)| a != b)
                .map(|n| n + 1);
            assert!(
                expected == postgres,
                "{file}: the PostgreSQL migration differs beyond the spellings (first at line {})",
                differs.map_or_else(|| "the end".to_owned(), |n| n.to_string())
            );
        }
    }
}
