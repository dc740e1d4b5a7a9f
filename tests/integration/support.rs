//! The test harness: `spawn_app` builds the real router over a fresh database.

use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::{Request, Response, StatusCode, header},
};
pub use emporium::platform::db::Backend;
use emporium::{
    accounts::model::Email,
    platform::{
        config::Config,
        db::{Db, now_ms},
        secret,
        state::AppState,
    },
    server::{app_state, router::router},
};
use std::{collections::BTreeMap, net::SocketAddr};
use std::{
    path::PathBuf,
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};
use tower::ServiceExt;

/// The PostgreSQL server the tests create their databases on; `./shop setup` prepares it.
/// The role needs CREATEDB.
fn postgres_admin_url() -> String {
    std::env::var("EMPORIUM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://emporium:emporium@127.0.0.1:5432/emporium".into())
}

/// Runs one async test body against each backend, as two test functions.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::support::within_time_limit(super::$name($crate::support::Backend::Sqlite)).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::support::within_time_limit(super::$name($crate::support::Backend::Postgres)).await;
            }
        }
    )*};
}

/// Fails a test that has not finished in two minutes, so a hang shows up as a failure with its
/// name instead of stalling the whole run.
pub async fn within_time_limit(test: impl std::future::Future<Output = ()>) {
    if tokio::time::timeout(Duration::from_secs(120), test)
        .await
        .is_err()
    {
        panic!("the test did not finish within two minutes");
    }
}

/// An isolated database, removed when the value is dropped.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    format!(
        "emporium_test_{}_{}_{:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        // Nanoseconds keep names apart across runs that reuse a process id.
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos()
    )
}

impl TestDb {
    /// A fresh, migrated database on `backend`.
    pub async fn new(backend: Backend) -> Self {
        let test_db = Self::empty(backend).await;
        test_db.db.migrate().await.expect("migrations apply");
        test_db
    }

    /// A fresh database on `backend` without any table.
    pub async fn empty(backend: Backend) -> Self {
        let name = unique_name();
        let (url, cleanup) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                (
                    format!("sqlite://{}", path.display()),
                    Cleanup::SqliteFile(path),
                )
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let admin = Db::connect(&admin_url.parse().unwrap(), Duration::from_secs(5))
                    .await
                    .expect("PostgreSQL must be running for the tests: run ./shop setup");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(admin.pool())
                    .await
                    .expect("the test role needs CREATEDB");
                admin.pool().close().await;
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(&admin_url);
                (
                    format!("{base}/{name}"),
                    Cleanup::PostgresDatabase { admin_url, name },
                )
            }
        };
        let db = Db::connect(&url.parse().unwrap(), Duration::from_secs(5))
            .await
            .expect("connect to the test database");
        Self { db, url, cleanup }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime, which cannot block on async work, so the
                // database is dropped from a thread with a runtime of its own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    runtime.block_on(async {
                        let admin = Db::connect(&admin_url.parse().ok()?, Duration::from_secs(5))
                            .await
                            .ok()?;
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(admin.pool())
                            .await
                            .ok()
                    })
                })
                .join();
            }
        }
    }
}

/// The application over a fresh database, driven in-process through `tower::ServiceExt`.
pub struct TestApp {
    pub router: Router,
    state: AppState,
    pub test_db: TestDb,
    data_dir: PathBuf,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Builds the real router, configured from the shipped `Leptos.toml`, over a fresh database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// `spawn_app` with more environment variables (e.g. Stripe's keys).
pub async fn spawn_app_with(backend: Backend, env: &[(&str, String)]) -> TestApp {
    let test_db = TestDb::new(backend).await;
    let data_dir = std::env::temp_dir().join(unique_name());
    let url = test_db.url.clone();
    let data_dir_text = data_dir.display().to_string();
    let mut config = Config::from_sources(
        "Leptos.toml",
        include_str!("../../Leptos.toml"),
        |key| match key {
            "DATABASE_URL" => Some(url.clone()),
            "EMPORIUM_DATA_DIR" => Some(data_dir_text.clone()),
            _ => env.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()),
        },
    )
    .expect("the shipped configuration is valid");
    // Tests run without a built site, so there is no hash file next to the test binary.
    config.leptos.hash_files = false;
    let secret = secret::resolve(&config).expect("development secret");
    let state = app_state(test_db.db.clone(), config, secret.bytes()).expect("state");
    TestApp {
        router: router(state.clone()),
        state,
        test_db,
        data_dir,
    }
}

/// The application over a fresh database holding `products` demo products, generated from
/// `seed` (the same seed always gives the same catalog).
pub async fn seeded_app(backend: Backend, products: usize, seed: u64) -> TestApp {
    let app = spawn_app(backend).await;
    emporium::catalog::seed::seed(app.db(), products, seed)
        .await
        .expect("the demo catalog loads");
    app
}

impl TestApp {
    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn db(&self) -> &Db {
        &self.test_db.db
    }

    pub async fn request(&self, request: Request<Body>) -> Response<Body> {
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible")
    }

    pub async fn get(&self, uri: &str) -> Response<Body> {
        self.request(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    /// The one value `sql`, a query without parameters, selects.
    pub async fn scalar<T>(&self, sql: &str) -> T
    where
        T: Send + Unpin,
        (T,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_scalar(sql)
            .fetch_one(self.db().pool())
            .await
            .unwrap_or_else(|error| panic!("{sql}: {error}"))
    }

    /// The one value `sql` selects for its one parameter, `value`.
    pub async fn scalar_for<'q, T, V>(&self, sql: &'q str, value: V) -> T
    where
        T: Send + Unpin,
        (T,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
        V: 'q + Send + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        sqlx::query_scalar(sql)
            .bind(value)
            .fetch_one(self.db().pool())
            .await
            .unwrap_or_else(|error| panic!("{sql}: {error}"))
    }

    /// Every row `sql`, a query without parameters, selects.
    pub async fn rows<T>(&self, sql: &str) -> Vec<T>
    where
        T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_as(sql)
            .fetch_all(self.db().pool())
            .await
            .unwrap_or_else(|error| panic!("{sql}: {error}"))
    }

    /// One figure (a count, a sum) for each query of `state`.
    pub async fn figures(&self, state: &[&str]) -> Vec<i64> {
        let mut figures = Vec::new();
        for sql in state {
            figures.push(self.scalar(sql).await);
        }
        figures
    }

    /// Renames `table` away, so that every statement using it fails until `restore_table`.
    pub async fn hide_table(&self, table: &str) {
        self.execute(&format!("ALTER TABLE {table} RENAME TO {table}_away"))
            .await;
    }

    pub async fn restore_table(&self, table: &str) {
        self.execute(&format!("ALTER TABLE {table}_away RENAME TO {table}"))
            .await;
    }

    /// Runs `sql`, a statement without parameters, straight on the database.
    pub async fn execute(&self, sql: &str) {
        sqlx::query(sql)
            .execute(self.db().pool())
            .await
            .unwrap_or_else(|error| panic!("{sql}: {error}"));
    }

    /// Runs `sql` with its one parameter, `value`.
    pub async fn execute_for<'q, V>(&self, sql: &'q str, value: V)
    where
        V: 'q + Send + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        sqlx::query(sql)
            .bind(value)
            .execute(self.db().pool())
            .await
            .unwrap_or_else(|error| panic!("{sql}: {error}"));
    }
}

/// The whole body of a response as text.
pub async fn body_text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    String::from_utf8(bytes.to_vec()).expect("UTF-8 body")
}

/// A browser-like client: keeps cookies, sends same-site `Origin` on writes, and comes from
/// an IP address of its own (so rate limits do not leak between clients).
pub struct Client<'a> {
    app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
    ip: SocketAddr,
    /// Checkout keys the shop issued to this client, by the name a test gives each one.
    pub checkout_keys: BTreeMap<String, String>,
}

/// What a server function call returned.
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

static NEXT_IP: AtomicU32 = AtomicU32::new(1);

impl TestApp {
    pub fn client(&self) -> Client<'_> {
        let n = NEXT_IP.fetch_add(1, Ordering::Relaxed);
        Client {
            app: self,
            cookies: BTreeMap::new(),
            ip: SocketAddr::from(([10, 0, (n >> 8) as u8, n as u8], 40_000)),
            checkout_keys: BTreeMap::new(),
        }
    }
}

impl TestApp {
    /// A client at `ip`, for tests about one network address.
    pub fn client_from(&self, ip: [u8; 4]) -> Client<'_> {
        Client {
            ip: SocketAddr::from((ip, 40_000)),
            ..self.client()
        }
    }
}

impl Client<'_> {
    fn cookie_header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    pub async fn send(&mut self, mut request: Request<Body>) -> Reply {
        request.extensions_mut().insert(ConnectInfo(self.ip));
        request
            .headers_mut()
            .insert(header::HOST, "shop.test".parse().unwrap());
        if let Some(cookies) = self.cookie_header() {
            request
                .headers_mut()
                .insert(header::COOKIE, cookies.parse().unwrap());
        }
        let response = self.app.request(request).await;
        for value in response.headers().get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        Reply {
            status,
            headers,
            body: body_text(response).await,
        }
    }

    /// Calls a server function with form-encoded arguments, as `ActionForm` does.
    pub async fn call(&mut self, function: &str, form: &[(&str, &str)]) -> Reply {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = Request::post(format!("/api/{function}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "http://shop.test")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// `call`, which must succeed (200).
    pub async fn call_ok(&mut self, function: &str, form: &[(&str, &str)]) -> Reply {
        let reply = self.call(function, form).await;
        assert_eq!(reply.status, StatusCode::OK, "{function}: {}", reply.body);
        reply
    }

    /// Calls each of `changes` (server function, form) while the table `table` (one every
    /// change must also write to, such as the audit log) is renamed away: each must fail (500)
    /// and leave every figure `state` selects as it was. `more` runs last, before the table is
    /// put back.
    pub async fn changes_fail_without(
        &mut self,
        table: &str,
        changes: &[(&str, &[(&str, &str)])],
        state: &[&str],
        more: impl AsyncFnOnce(&mut Self),
    ) {
        let app = self.app;
        let before = app.figures(state).await;
        app.hide_table(table).await;
        for (function, form) in changes {
            let reply = self.call(function, form).await;
            assert_eq!(
                reply.status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{function}: {}",
                reply.body
            );
            assert_eq!(
                app.figures(state).await,
                before,
                "{function} changed the shop"
            );
        }
        more(self).await;
        assert_eq!(app.figures(state).await, before);
        app.restore_table(table).await;
    }

    /// Posts one file as a plain multipart form does: field `field`, named `file_name`, of type
    /// `kind`.
    pub async fn post_file(
        &mut self,
        path: &str,
        field: &str,
        file_name: &str,
        kind: &str,
        bytes: &[u8],
    ) -> Reply {
        let boundary = "emporium-test-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\n\
             Content-Type: {kind}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = Request::post(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::CONTENT_LENGTH, body.len())
            .header(header::ORIGIN, "http://shop.test")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// Loads a page as a browser does.
    pub async fn get(&mut self, uri: &str) -> Reply {
        let request = Request::get(uri)
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Signs in through a router of its own, for work spawned onto other tasks.
pub async fn login_with(router: Router, email: &str, password: &str) {
    let mut request = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "email={}&password={}",
            encode(email),
            encode(password)
        )))
        .unwrap();
    let n = NEXT_IP.fetch_add(1, Ordering::Relaxed);
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((
            [10, 1, (n >> 8) as u8, n as u8],
            40_000,
        ))));
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// True when `client` holds no session cookie (the visitor cookie may stay: it grants nothing).
pub fn signed_out(client: &Client<'_>) -> bool {
    !client
        .cookies
        .keys()
        .any(|name| name == "emporium_access" || name == "emporium_refresh")
}

/// The password every test account uses.
pub const PASSWORD: &str = "violet tractor sings softly";

/// An email address no other test run has used.
pub fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", unique_name())
}

/// The tokens of the links in the emails of `kind` sent to `recipient`, oldest first.
pub async fn emailed_tokens(app: &TestApp, kind: &str, recipient: &str) -> Vec<String> {
    let payloads: Vec<String> = sqlx::query_scalar(
        "SELECT payload FROM outbox WHERE kind = $1 AND recipient = $2 ORDER BY id",
    )
    .bind(kind)
    .bind(recipient)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    payloads
        .iter()
        .map(|payload| {
            let payload: serde_json::Value = serde_json::from_str(payload).unwrap();
            let link = payload["link"].as_str().unwrap();
            link.split_once("?token=").unwrap().1.to_owned()
        })
        .collect()
}

/// A new customer account (its address not confirmed yet), signed in with its password.
pub async fn register<'a>(app: &'a TestApp, name: &str, email: &str) -> Client<'a> {
    let mut client = app.client();
    let reply = client
        .call(
            "register",
            &[("name", name), ("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(
        !client.cookies.contains_key("emporium_access"),
        "signing up signs nobody in"
    );
    let reply = client
        .call("login", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(client.cookies.contains_key("emporium_access"));
    assert!(client.cookies.contains_key("emporium_refresh"));
    client
}

/// The code an authenticator app with the base32 `secret` shows at `unix_secs`.
pub fn totp_code(secret: &str, unix_secs: u64) -> String {
    let secret = totp_rs::Secret::Encoded(secret.replace(' ', ""))
        .to_bytes()
        .unwrap();
    totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        0,
        30,
        secret,
        None,
        String::new(),
    )
    .generate(unix_secs)
}

/// Seconds since 1970, as an authenticator app reads its clock.
pub fn unix_secs() -> u64 {
    (now_ms() / 1000) as u64
}

/// Turns on two-step sign-in for the signed-in `client` (whose password is `PASSWORD`), as the
/// security page does. Returns the app's secret and the recovery codes.
pub async fn enrol_two_factor(client: &mut Client<'_>) -> (String, Vec<String>) {
    let reply = client.call_ok("start_two_factor", &[]).await;
    let setup: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let secret = setup["secret"].as_str().unwrap().replace(' ', "");
    let code = totp_code(&secret, unix_secs());
    let reply = client
        .call(
            "confirm_two_factor",
            &[("code", &code), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    (secret, serde_json::from_str(&reply.body).unwrap())
}

/// A new admin account as `create-admin` leaves it, signed in with its password only (so with
/// a customer's rights until two-step sign-in is on), and the sign-in's answer.
pub async fn admin_without_two_factor(app: &TestApp) -> (Client<'_>, Reply) {
    let email = Email::parse(&unique_email("admin")).unwrap();
    let hash = app.state().passwords.hash(PASSWORD.into()).await.unwrap();
    emporium::accounts::db::upsert_admin(app.db(), &email, &hash, now_ms())
        .await
        .unwrap();
    let mut client = app.client();
    let reply = client
        .call(
            "login",
            &[("email", email.as_str()), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    (client, reply)
}

/// A new owner account, signed in, with two-step sign-in on (as staff must have it).
pub async fn admin(app: &TestApp) -> Client<'_> {
    let (mut client, _) = admin_without_two_factor(app).await;
    enrol_two_factor(&mut client).await;
    client
}

/// A new staff account with `role` ("catalog", "orders", …), signed in with two-step sign-in
/// on, and its email.
pub async fn staff<'a>(app: &'a TestApp, role: &str) -> (Client<'a>, String) {
    let (mut client, reply) = admin_without_two_factor(app).await;
    let user: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let email = user["email"].as_str().unwrap().to_owned();
    sqlx::query("UPDATE users SET role = $1 WHERE lower(email) = lower($2)")
        .bind(role)
        .bind(&email)
        .execute(app.db().pool())
        .await
        .unwrap();
    enrol_two_factor(&mut client).await;
    (client, email)
}

/// A real S3-compatible server (moto, from PyPI; `./shop setup` installs it) on a loopback
/// port, with one empty bucket; stopped when dropped.
pub struct ObjectStore {
    server: std::process::Child,
    pub endpoint: String,
}

impl ObjectStore {
    pub async fn start(bucket: &str) -> Self {
        let program = std::env::var("EMPORIUM_MOTO_SERVER").unwrap_or_else(|_| {
            let cached = std::env::var("HOME")
                .map(|home| format!("{home}/.cache/emporium/venv/bin/moto_server"))
                .unwrap_or_default();
            if std::path::Path::new(&cached).exists() {
                cached
            } else {
                "moto_server".into()
            }
        });
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let server = std::process::Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program} ({e}); `./shop setup` installs it"));
        let store = Self {
            server,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let http = emporium::platform::http::outbound_client();
        let started = std::time::Instant::now();
        while http.get(&store.endpoint).send().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto did not answer within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let created = http
            .put(format!("{}/{bucket}", store.endpoint))
            .send()
            .await
            .expect("moto answers");
        assert!(created.status().is_success(), "{}", created.status());
        store
    }

    /// The environment that points the shop at `s3://{bucket}/{prefix}` on this server.
    pub fn env(&self, bucket: &str, prefix: &str) -> Vec<(&'static str, String)> {
        vec![
            ("EMPORIUM_MEDIA_URL", format!("s3://{bucket}/{prefix}")),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "emporium-test".into()),
            ("AWS_SECRET_ACCESS_KEY", "emporium-test-secret".into()),
            ("AWS_REGION", "eu-west-1".into()),
        ]
    }
}

impl Drop for ObjectStore {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}
