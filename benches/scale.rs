//! Several nodes lose nothing: a PostgreSQL server of its own, three shop nodes and Debian's
//! nginx as the balancer (round robin), all real processes on loopback, driven by shoppers
//! through nginx. It measures throughput with one, two and three nodes; runs whole journeys
//! (browse, add to cart as a guest, sign in, check the cart, check out) while one node is
//! killed with SIGKILL and started again; creates a product through one node and times until
//! every node's search finds it; and stops PostgreSQL to see every node answer 503 and recover
//! by itself. Each check that fails stops the run with a message.
//!
//! `./shop bench scale` runs it on the release build; `./shop test` runs `--quick` (a smaller
//! plan, same checks) on the debug build. `EMPORIUM_SCALE_BINARY` names the binary.

use emporium::{
    accounts::{db::insert_user, model::Email},
    platform::{auth::Role, db::Db, password::Passwords},
    ui::encode_query,
};
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode, body::Bytes, header};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use std::{
    collections::BTreeSet,
    net::{IpAddr, Ipv4Addr},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// How big a run is.
struct Plan {
    products: usize,
    /// Browsers at once in the throughput rounds.
    clients: usize,
    /// Length of each throughput round (one, two, three nodes).
    round: Duration,
    /// Shoppers doing whole journeys while a node is killed and started again.
    shoppers: usize,
    journeys: Duration,
    /// How soon every node's search must find a product saved through one of them.
    search_within: Duration,
}

const FULL: Plan = Plan {
    products: 5_000,
    clients: 24,
    round: Duration::from_secs(15),
    shoppers: 40,
    journeys: Duration::from_secs(30),
    search_within: Duration::from_secs(2),
};

const QUICK: Plan = Plan {
    products: 300,
    clients: 6,
    round: Duration::from_secs(2),
    shoppers: 8,
    journeys: Duration::from_secs(9),
    // The short run drives a debug build on a machine busy with the rest of the test suite.
    search_within: Duration::from_secs(5),
};

const NODES: usize = 3;
const PASSWORD: &str = "scale-test-password-1";
const SECRET: &str = "scale-test-secret-0123456789abcdef0123456789abcdef";

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let binary = PathBuf::from(
        std::env::var("EMPORIUM_SCALE_BINARY")
            .expect("EMPORIUM_SCALE_BINARY names the emporium binary (./shop sets it)"),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(if quick { &QUICK } else { &FULL }, &binary));
}

async fn run(plan: &Plan, binary: &Path) {
    let dir = std::env::temp_dir().join(format!("emporium-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let pg = Postgres::start(&dir.join("pg"));
    let url = pg.url();
    let started = Instant::now();
    let seeded = Command::new(binary)
        .args(["seed", "--products", &plan.products.to_string()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", &url)
        .env("EMPORIUM_DATA_DIR", dir.join("seed"))
        .env("RUST_LOG", "warn")
        .status()
        .expect("emporium seed");
    assert!(seeded.success(), "emporium seed failed");
    println!(
        "scale: {} products seeded on PostgreSQL in {:.1} s",
        plan.products,
        started.elapsed().as_secs_f64()
    );
    let db = Db::connect(&url.parse().expect("url"), Duration::from_secs(5))
        .await
        .expect("database");
    let mut nodes: Vec<Node> = (0..NODES).map(|n| Node::new(&dir, n, &url)).collect();
    for node in &mut nodes {
        node.start(binary);
    }
    for node in &nodes {
        node.wait_ready().await;
    }
    let nginx = Nginx::start(&dir.join("nginx"), &nodes);
    let catalog = Arc::new(Catalog::read(&db).await);

    throughput(plan, &nginx, &nodes, &catalog).await;
    journeys(plan, &db, &nginx, &mut nodes, binary, &catalog).await;
    search_follows(plan, binary, &url, &db, &nodes).await;
    outage(&pg, &nodes, &catalog).await;

    drop(nginx);
    drop(nodes);
    drop(pg);
    let _ = std::fs::remove_dir_all(&dir);
    println!("scale: every check held");
}

/// What the shoppers look at: a few products with a word to search for each.
struct Catalog {
    /// (slug, sku, a word of its title)
    products: Vec<(String, String, String)>,
}

impl Catalog {
    async fn read(db: &Db) -> Self {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT p.slug, v.sku, p.title FROM products p \
             JOIN product_variants v ON v.product_id = p.id \
             WHERE p.status = 'active' ORDER BY p.id LIMIT 50",
        )
        .fetch_all(db.pool())
        .await
        .expect("products");
        // Plenty of stock: the runs measure the shop, not sold-out refusals.
        sqlx::query("UPDATE product_variants SET stock = 1000000")
            .execute(db.pool())
            .await
            .expect("stock");
        Self {
            products: rows
                .into_iter()
                .map(|(slug, sku, title)| {
                    let word = title
                        .split_whitespace()
                        .last()
                        .unwrap_or("lamp")
                        .to_lowercase();
                    (slug, sku, word)
                })
                .collect(),
        }
    }

    fn pick(&self, n: usize) -> &(String, String, String) {
        &self.products[n % self.products.len()]
    }
}

// ---------------------------------------------------------------------------------------------
// The processes.

/// Runs `program` as the `postgres` user when we are root (PostgreSQL refuses root), else as us.
fn as_postgres(program: &Path) -> Command {
    let uid = Command::new("id").arg("-u").output().expect("id -u").stdout;
    if String::from_utf8_lossy(&uid).trim() == "0" {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn must(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A PostgreSQL server of the run's own (Debian's binaries), so stopping it harms nothing else.
struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl Postgres {
    fn start(dir: &Path) -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL from Debian (./shop setup installs it)")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|bin| bin.join("initdb").exists())
            .max()
            .expect("initdb under /usr/lib/postgresql/*/bin");
        std::fs::create_dir_all(dir).expect("pg dir");
        let _ = Command::new("chown").args(["postgres:"]).arg(dir).status();
        let pg = Self {
            bin,
            dir: dir.to_path_buf(),
            port: free_port(),
        };
        must(
            as_postgres(&pg.bin.join("initdb"))
                .args([
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "-D",
                ])
                .arg(dir.join("data")),
            "initdb",
        );
        pg.resume();
        pg
    }

    fn resume(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300",
            self.port,
            self.dir.display()
        );
        must(
            as_postgres(&self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(self.dir.join("data"))
                .arg("-l")
                .arg(self.dir.join("server.log"))
                .args(["-w", "-o", &options, "start"]),
            "pg_ctl start",
        );
    }

    fn stop(&self) {
        must(
            as_postgres(&self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(self.dir.join("data"))
                .args(["-m", "fast", "-w", "stop"]),
            "pg_ctl stop",
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

/// One shop node: `emporium serve` on a loopback port, with a data folder of its own.
struct Node {
    port: u16,
    dir: PathBuf,
    url: String,
    child: Option<Child>,
}

impl Node {
    fn new(root: &Path, n: usize, url: &str) -> Self {
        Self {
            port: free_port(),
            dir: root.join(format!("node-{n}")),
            url: url.to_owned(),
            child: None,
        }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn start(&mut self, binary: &Path) {
        std::fs::create_dir_all(&self.dir).expect("node dir");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("node.log"))
            .expect("node log");
        let child = Command::new(binary)
            .arg("serve")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("DATABASE_URL", &self.url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", self.port))
            .env("EMPORIUM_DATA_DIR", &self.dir)
            .env("EMPORIUM_SECRET", SECRET)
            .env("EMPORIUM_DEMO_PRODUCTS", "0")
            .env("EMPORIUM_TRUSTED_PROXIES", "127.0.0.1")
            .env("EMPORIUM_SIGN_UPS_PER_HOUR", "100000")
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("emporium serve");
        self.child = Some(child);
    }

    async fn wait_ready(&self) {
        let browser = &Browser::new(&self.base(), Ipv4Addr::LOCALHOST);
        let problem = format!(
            "node {} not ready within 60 s (see {})",
            self.port,
            self.dir.join("node.log").display()
        );
        wait_until(Instant::now(), Duration::from_secs(60), &problem, move || async move {
            browser.get("/readyz").await.map(|a| a.status) == Ok(StatusCode::OK)
        })
        .await;
    }

    /// SIGKILL: no shutdown, requests in flight cut.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill -9");
            let _ = child.wait();
        }
    }

    /// CPU seconds used so far (user + system), from /proc.
    fn cpu_seconds(&self) -> f64 {
        let Some(child) = &self.child else {
            return 0.0;
        };
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap_or_default();
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        // Fields 14 and 15 of stat(5), counted after the command name; 100 ticks a second.
        (ticks(11) + ticks(12)) / 100.0
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// nginx, on one port per pool size: `ports[k]` balances over the first k + 1 nodes.
struct Nginx {
    child: Child,
    ports: Vec<u16>,
}

impl Nginx {
    fn start(dir: &Path, nodes: &[Node]) -> Self {
        std::fs::create_dir_all(dir).expect("nginx dir");
        let ports: Vec<u16> = (0..nodes.len()).map(|_| free_port()).collect();
        let mut http = String::new();
        for (k, port) in ports.iter().enumerate() {
            let servers: String = nodes[..=k]
                .iter()
                .map(|n| {
                    format!(
                        "    server 127.0.0.1:{} max_fails=1 fail_timeout=5s;\n",
                        n.port
                    )
                })
                .collect();
            http.push_str(&format!(
                "  upstream shop{k} {{\n{servers}    keepalive 64;\n  }}\n  \
                 server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      \
                 proxy_pass http://shop{k};\n{PROXY}    }}\n  }}\n"
            ));
        }
        let d = dir.display();
        std::fs::write(
            dir.join("nginx.conf"),
            format!(
                "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\n\
                 events {{ worker_connections 4096; }}\n\
                 http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  \
                 proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  \
                 uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n{http}}}\n"
            ),
        )
        .expect("nginx.conf");
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx (Debian's package; ./shop setup installs it)");
        let started = Instant::now();
        while ports
            .iter()
            .any(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_err())
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nginx did not listen (see {d}/error.log)"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, ports }
    }

    fn base(&self, nodes: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports[nodes - 1])
    }
}

/// The proxy settings README's "Running several nodes" shows: keep-alive to the nodes, the
/// client's address for rate limits, a dead node skipped, and which node answered.
const PROXY: &str = "      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
      add_header X-Upstream $upstream_addr always;
";

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Browsers.

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// One shopper's browser: its own network address and cookies.
struct Browser {
    http: HttpClient,
    base: String,
    cookies: Mutex<Vec<(String, String)>>,
}

struct Answer {
    status: StatusCode,
    body: String,
    /// The node nginx sent the request to (all it tried, comma-separated).
    upstream: String,
}

impl Browser {
    fn new(base: &str, from: Ipv4Addr) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_local_address(Some(IpAddr::V4(from)));
        Self {
            http: Client::builder(TokioExecutor::new()).build(connector),
            base: base.to_owned(),
            cookies: Mutex::new(Vec::new()),
        }
    }

    async fn get(&self, path: &str) -> Result<Answer, String> {
        self.send("GET", path, &[]).await
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<Answer, String> {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode_query(k), encode_query(v)))
            .collect::<Vec<_>>()
            .join("&");
        let cookie = self
            .cookies
            .lock()
            .expect("cookies")
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, self.base.as_str())
            .header(
                header::ACCEPT,
                if method == "GET" { "text/html" } else { "*/*" },
            )
            .header(header::COOKIE, cookie)
            .body(Full::new(Bytes::from(body)))
            .expect("request");
        let response = tokio::time::timeout(Duration::from_secs(30), self.http.request(request))
            .await
            .map_err(|_| "no answer within 30 s".to_owned())?
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let upstream = response
            .headers()
            .get("x-upstream")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        for set in response.headers().get_all(header::SET_COOKIE) {
            let Some((name, rest)) = set.to_str().ok().and_then(|s| s.split_once('=')) else {
                continue;
            };
            let value = rest.split(';').next().unwrap_or_default();
            let mut cookies = self.cookies.lock().expect("cookies");
            cookies.retain(|(k, _)| k != name);
            if !value.is_empty() && !rest.contains("Max-Age=0") {
                cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok(Answer {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
            upstream,
        })
    }
}

/// Asks `holds` every 50 ms until it is true; fails with `problem` once `limit` has passed
/// since `from`.
async fn wait_until<F, Fut>(from: Instant, limit: Duration, problem: &str, mut holds: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    while !holds().await {
        assert!(from.elapsed() < limit, "{problem}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The address of browser `n`: each its own, as for shoppers on networks of their own.
fn address_of(n: usize) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 2, 0, 1)) + u32::try_from(n).expect("few"))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

// ---------------------------------------------------------------------------------------------
// 1. Throughput with one, two and three nodes.

async fn throughput(plan: &Plan, nginx: &Nginx, nodes: &[Node], catalog: &Catalog) {
    println!(
        "scale: throughput, {} browsers looking, searching and adding to carts for {} s per round",
        plan.clients,
        plan.round.as_secs()
    );
    for pool in 1..=NODES {
        let cpu_before: Vec<f64> = nodes.iter().map(Node::cpu_seconds).collect();
        let deadline = Instant::now() + plan.round;
        let started = Instant::now();
        let tasks: Vec<_> = (0..plan.clients)
            .map(|client| {
                let browser = Browser::new(&nginx.base(pool), address_of(client));
                let (slug, sku, word) = catalog.pick(client).clone();
                tokio::spawn(async move {
                    let mut timings = Vec::new();
                    while Instant::now() < deadline {
                        // A new visitor each time round, so no cart line reaches its limit.
                        browser.cookies.lock().expect("cookies").clear();
                        for (method, path, form) in [
                            ("GET", format!("/p/{slug}"), vec![]),
                            ("GET", format!("/search?q={word}"), vec![]),
                            (
                                "POST",
                                "/api/add_to_cart".to_owned(),
                                vec![("sku", sku.as_str()), ("quantity", "1")],
                            ),
                            ("POST", "/api/cart".to_owned(), vec![]),
                        ] {
                            let began = Instant::now();
                            let answer = browser.send(method, &path, &form).await;
                            match answer {
                                Ok(a) if a.status == StatusCode::OK => {}
                                Ok(a) => panic!("{method} {path}: {} {}", a.status, a.body),
                                Err(e) => panic!("{method} {path}: {e}"),
                            }
                            timings.push(began.elapsed());
                        }
                    }
                    timings
                })
            })
            .collect();
        let mut timings = Vec::new();
        for task in tasks {
            timings.extend(task.await.expect("browser"));
        }
        let elapsed = started.elapsed().as_secs_f64();
        timings.sort();
        let cpu: f64 = nodes
            .iter()
            .zip(&cpu_before)
            .map(|(n, before)| n.cpu_seconds() - before)
            .sum();
        println!(
            "scale: {pool} node{}: {:>6.0} requests/s  p50 {:>6.1} ms  p95 {:>6.1} ms  \
             node CPU per request {:.2} ms",
            if pool == 1 { " " } else { "s" },
            timings.len() as f64 / elapsed,
            percentile(&timings, 0.5),
            percentile(&timings, 0.95),
            cpu * 1000.0 / timings.len() as f64,
        );
    }
    println!(
        "scale: the nodes, nginx, PostgreSQL and the browsers share this machine's cores, so more \
         nodes show their overhead here, not a speed-up; a node's CPU per request is what to \
         scale by"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Whole journeys while a node is killed and started again.

/// A request that failed (5xx or no answer): when, and which node it went to.
struct Failure {
    at: Duration,
    what: &'static str,
    upstream: String,
    problem: String,
}

struct Journeys {
    started: Instant,
    failures: Mutex<Vec<Failure>>,
    /// (shopper, order number, sku, units)
    orders: Mutex<Vec<(i64, String, String, i64)>>,
}

impl Journeys {
    /// Notes a request that failed, when and on which node.
    fn record(&self, what: &'static str, upstream: String, problem: String) {
        self.failures.lock().expect("failures").push(Failure {
            at: self.started.elapsed(),
            what,
            upstream,
            problem,
        });
    }

    /// Sends until the shop answers without a server error, as a shopper presses again; each
    /// failure is recorded.
    async fn step(
        &self,
        browser: &Browser,
        what: &'static str,
        method: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> Answer {
        for _ in 0..50 {
            let (upstream, problem) = match browser.send(method, path, form).await {
                Ok(answer) if !answer.status.is_server_error() => return answer,
                Ok(answer) => (
                    answer.upstream,
                    format!("{} {}", answer.status, answer.body),
                ),
                Err(error) => (String::new(), error),
            };
            self.record(what, upstream, problem);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{what}: the shop kept failing");
    }

    fn ok(answer: &Answer, what: &str) {
        assert_eq!(answer.status, StatusCode::OK, "{what}: {}", answer.body);
    }

    /// One shopper's visit: a product page and two of it in the cart as a guest, sign in (the
    /// guest cart joins the account's), the cart as the shopper left it (twice, so on two
    /// nodes), checkout, sign out.
    async fn visit(&self, base: &str, n: usize, shopper: &Shopper, catalog: &Catalog) {
        let browser = Browser::new(base, address_of(1_000 + n));
        let (slug, sku, _) = catalog.pick(n * 7 + shopper.visits());
        let page = self
            .step(&browser, "product page", "GET", &format!("/p/{slug}"), &[])
            .await;
        Self::ok(&page, "product page");
        // Added, or already added by a try whose answer was lost.
        loop {
            let added = self
                .step(
                    &browser,
                    "add to cart",
                    "POST",
                    "/api/add_to_cart",
                    &[("sku", sku), ("quantity", "2")],
                )
                .await;
            if added.status == StatusCode::OK || units_in_cart(&self.cart(&browser).await, sku) == 2
            {
                break;
            }
        }
        let signed_in = self
            .step(
                &browser,
                "sign in",
                "POST",
                "/api/login",
                &[("email", &shopper.email), ("password", PASSWORD)],
            )
            .await;
        Self::ok(&signed_in, "sign in");
        for _ in 0..2 {
            let cart = self.cart(&browser).await;
            assert_eq!(
                units_in_cart(&cart, sku),
                2,
                "the cart after sign-in: {cart}"
            );
            assert_eq!(
                cart.matches("\"sku\"").count(),
                1,
                "one line in the cart: {cart}"
            );
        }
        let checkout = self
            .step(&browser, "checkout", "POST", "/api/checkout", &[])
            .await;
        Self::ok(&checkout, "checkout");
        let view: serde_json::Value = serde_json::from_str(&checkout.body).expect("checkout");
        let key = view["idempotency_key"].as_str().expect("a key").to_owned();
        // The same key on every press: a press whose answer was lost is not a second order.
        let placed = self
            .step(
                &browser,
                "place order",
                "POST",
                "/api/place_order",
                &[
                    ("idempotency_key", &key),
                    ("address_id", &shopper.address.to_string()),
                    ("shipping", "standard"),
                    ("card[number]", "4242424242424242"),
                    ("card[expiry]", "12/39"),
                    ("card[cvc]", "123"),
                ],
            )
            .await;
        Self::ok(&placed, "place order");
        let placed: serde_json::Value = serde_json::from_str(&placed.body).expect("placed");
        self.orders.lock().expect("orders").push((
            shopper.id,
            placed["number"].as_str().expect("number").to_owned(),
            sku.clone(),
            2,
        ));
        let out = self
            .step(&browser, "sign out", "POST", "/api/logout", &[])
            .await;
        Self::ok(&out, "sign out");
    }

    /// A visitor after another looking at a product and adding it to a cart until `deadline`,
    /// so requests are in flight when the node is killed: failures are recorded, not retried.
    /// Returns how many requests were sent.
    async fn browse(&self, base: &str, n: usize, catalog: &Catalog, deadline: Instant) -> usize {
        let browser = Browser::new(base, address_of(2_000 + n));
        let (slug, sku, _) = catalog.pick(n);
        let mut sent = 0;
        while Instant::now() < deadline {
            browser.cookies.lock().expect("cookies").clear();
            for (what, method, path, form) in [
                (
                    "browsing: product page",
                    "GET",
                    format!("/p/{slug}"),
                    vec![],
                ),
                (
                    "browsing: add to cart",
                    "POST",
                    "/api/add_to_cart".to_owned(),
                    vec![("sku", sku.as_str()), ("quantity", "1")],
                ),
            ] {
                sent += 1;
                let (upstream, problem) = match browser.send(method, &path, &form).await {
                    Ok(answer) if answer.status == StatusCode::OK => continue,
                    Ok(answer) if answer.status.is_server_error() => {
                        (answer.upstream, answer.status.to_string())
                    }
                    Ok(answer) => panic!("{what}: {} {}", answer.status, answer.body),
                    Err(error) => (String::new(), error),
                };
                self.record(what, upstream, problem);
            }
        }
        sent
    }

    async fn cart(&self, browser: &Browser) -> String {
        let cart = self.step(browser, "cart", "POST", "/api/cart", &[]).await;
        Self::ok(&cart, "cart");
        cart.body
    }
}

fn units_in_cart(cart: &str, sku: &str) -> i64 {
    let view: serde_json::Value = serde_json::from_str(cart).expect("cart");
    view["lines"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|line| line["sku"] == sku)
        .filter_map(|line| line["quantity"].as_i64())
        .sum()
}

struct Shopper {
    id: i64,
    email: String,
    address: i64,
    visits: std::sync::atomic::AtomicUsize,
}

impl Shopper {
    fn visits(&self) -> usize {
        self.visits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }
}

async fn shoppers(db: &Db, count: usize) -> Vec<Arc<Shopper>> {
    let hash = Passwords::new()
        .hash(PASSWORD.to_owned())
        .await
        .expect("hash");
    let mut made = Vec::with_capacity(count);
    for n in 0..count {
        let email = format!("scale-{n}@example.com");
        let id = insert_user(
            db,
            &Email::parse(&email).expect("email"),
            "Scale Shopper",
            &hash,
            Role::Customer,
            emporium::platform::db::now_ms(),
        )
        .await
        .expect("user");
        let address: i64 = sqlx::query_scalar(
            "INSERT INTO addresses (user_id, full_name, line1, city, postal_code, country, is_default, created_at) \
             VALUES ($1, 'Scale Shopper', '1 Loop Road', 'Localhost', '12345', 'US', 1, 0) RETURNING id",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await
        .expect("address");
        made.push(Arc::new(Shopper {
            id,
            email,
            address,
            visits: 0.into(),
        }));
    }
    made
}

/// How often each shopper starts a visit.
const VISIT_EVERY: Duration = Duration::from_millis(6_500);

async fn journeys(
    plan: &Plan,
    db: &Db,
    nginx: &Nginx,
    nodes: &mut [Node],
    binary: &Path,
    catalog: &Arc<Catalog>,
) {
    let shoppers = shoppers(db, plan.shoppers).await;
    let stock_before: Vec<(String, i64)> =
        sqlx::query_as("SELECT sku, stock FROM product_variants ORDER BY sku")
            .fetch_all(db.pool())
            .await
            .expect("stock");
    let run = Arc::new(Journeys {
        started: Instant::now(),
        failures: Mutex::new(Vec::new()),
        orders: Mutex::new(Vec::new()),
    });
    let deadline = Instant::now() + plan.journeys;
    let shoppers_len = shoppers.len();
    let tasks: Vec<_> = shoppers
        .iter()
        .enumerate()
        .map(|(n, shopper)| {
            let (run, shopper, catalog, base) = (
                run.clone(),
                shopper.clone(),
                catalog.clone(),
                nginx.base(NODES),
            );
            // "Place order" allows a shopper ten presses a minute: each shopper starts a visit
            // every VISIT_EVERY, at offsets spread over that time.
            let mut next = Instant::now() + VISIT_EVERY.mul_f64(n as f64 / shoppers_len as f64);
            tokio::spawn(async move {
                while next < deadline {
                    tokio::time::sleep_until(next.into()).await;
                    run.visit(&base, n, &shopper, &catalog).await;
                    next += VISIT_EVERY;
                }
            })
        })
        .collect();
    let browsers: Vec<_> = (0..plan.clients)
        .map(|n| {
            let (run, catalog, base) = (run.clone(), catalog.clone(), nginx.base(NODES));
            tokio::spawn(async move { run.browse(&base, n, &catalog, deadline).await })
        })
        .collect();
    tokio::time::sleep(plan.journeys / 3).await;
    let victim = nodes[1].port.to_string();
    let killed_at = run.started.elapsed();
    nodes[1].kill();
    println!(
        "scale: node :{victim} killed with SIGKILL at {:.1} s",
        killed_at.as_secs_f64()
    );
    tokio::time::sleep(plan.journeys / 3).await;
    nodes[1].start(binary);
    nodes[1].wait_ready().await;
    let back_at = run.started.elapsed();
    println!(
        "scale: node :{victim} serving again at {:.1} s",
        back_at.as_secs_f64()
    );
    for task in tasks {
        task.await.expect("shopper");
    }
    let mut browsed = 0;
    for browser in browsers {
        browsed += browser.await.expect("browser");
    }

    let failures = std::mem::take(&mut *run.failures.lock().expect("failures"));
    for failure in failures.iter() {
        assert!(
            failure.upstream.contains(&format!(":{victim}")) && failure.at >= killed_at,
            "a request failed on a live node: {} at {:.1} s via {:?}: {}",
            failure.what,
            failure.at.as_secs_f64(),
            failure.upstream,
            failure.problem
        );
    }
    let orders = std::mem::take(&mut *run.orders.lock().expect("orders"));
    let numbers: BTreeSet<&str> = orders.iter().map(|(_, n, _, _)| n.as_str()).collect();
    assert_eq!(numbers.len(), orders.len(), "each visit its own order");
    let ids: Vec<i64> = shoppers.iter().map(|s| s.id).collect();
    let stored: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT number FROM orders WHERE user_id IN ({})",
        ids.iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .fetch_all(db.pool())
    .await
    .expect("orders");
    let stored: BTreeSet<&str> = stored.iter().map(String::as_str).collect();
    assert_eq!(
        stored, numbers,
        "the database holds exactly the orders the shoppers were told of"
    );
    let stock_after: Vec<(String, i64)> =
        sqlx::query_as("SELECT sku, stock FROM product_variants ORDER BY sku")
            .fetch_all(db.pool())
            .await
            .expect("stock");
    for ((sku, before), (_, after)) in stock_before.iter().zip(&stock_after) {
        let sold: i64 = orders
            .iter()
            .filter(|(_, _, s, _)| s == sku)
            .map(|(_, _, _, units)| units)
            .sum();
        assert_eq!(before - after, sold, "stock of {sku} is exact");
    }
    println!(
        "scale: {} journeys by {} shoppers in {} s: {} orders, none lost or duplicated, stock exact, \
         every cart intact after sign-in; with {browsed} requests of {} browsers meanwhile, {} \
         requests failed, all in flight on the killed node",
        orders.len(),
        plan.shoppers,
        plan.journeys.as_secs(),
        stored.len(),
        plan.clients,
        failures.len()
    );
}

// ---------------------------------------------------------------------------------------------
// 3. A product created through one node is found on every node.

async fn search_follows(plan: &Plan, binary: &Path, url: &str, db: &Db, nodes: &[Node]) {
    let email = "scale-admin@example.com";
    must(
        Command::new(binary)
            .args(["create-admin", "--email", email])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("DATABASE_URL", url)
            .env("EMPORIUM_ADMIN_PASSWORD", PASSWORD)
            .env("RUST_LOG", "warn"),
        "emporium create-admin",
    );
    let admin = Browser::new(&nodes[0].base(), Ipv4Addr::new(127, 3, 0, 1));
    let call = |path: &'static str, form: Vec<(&'static str, String)>| {
        let admin = &admin;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let answer = admin.send("POST", path, &form).await.expect(path);
            assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
            answer.body
        }
    };
    call(
        "/api/login",
        vec![("email", email.into()), ("password", PASSWORD.into())],
    )
    .await;
    let setup: serde_json::Value =
        serde_json::from_str(&call("/api/start_two_factor", vec![]).await).expect("setup");
    let secret = setup["secret"].as_str().expect("secret").replace(' ', "");
    let secret = totp_rs::Secret::Encoded(secret).to_bytes().expect("base32");
    let code = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        0,
        30,
        secret,
        None,
        String::new(),
    )
    .generate_current()
    .expect("clock");
    call(
        "/api/confirm_two_factor",
        vec![("code", code), ("password", PASSWORD.into())],
    )
    .await;
    let category: String = sqlx::query_scalar(
        "SELECT slug FROM categories WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1",
    )
    .fetch_one(db.pool())
    .await
    .expect("category");
    let form = [
        ("product[title]", "Quasar Heron Lantern"),
        ("product[slug]", ""),
        ("product[brand]", "Scale"),
        ("product[category]", category.as_str()),
        ("product[description]", "Made on one node."),
        ("product[status]", "active"),
        ("product[variants][0][sku]", "SCALE-QHL-1"),
        ("product[variants][0][options]", ""),
        ("product[variants][0][price]", "19.00"),
        ("product[variants][0][compare_at]", ""),
        ("product[variants][0][stock]", "5"),
    ];
    let saved = Instant::now();
    call(
        "/api/save_product",
        form.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
    )
    .await;
    for node in nodes {
        let browser = &Browser::new(&node.base(), Ipv4Addr::LOCALHOST);
        let problem = format!(
            "node :{} did not find the new product within {} s",
            node.port,
            plan.search_within.as_secs()
        );
        wait_until(saved, plan.search_within, &problem, move || async move {
            let page = browser.get("/search?q=quasar").await.expect("search");
            page.body.contains("Quasar Heron Lantern")
        })
        .await;
    }
    println!(
        "scale: a product saved through one node was found by search on all {NODES} within {:.2} s",
        saved.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------------
// 4. The database goes away and comes back.

async fn outage(pg: &Postgres, nodes: &[Node], catalog: &Catalog) {
    let (slug, _, _) = catalog.pick(0);
    let page = format!("/p/{slug}");
    pg.stop();
    let stopped = Instant::now();
    let refusals = nodes.iter().map(|node| {
        let page = page.clone();
        async move {
            let browser = Browser::new(&node.base(), Ipv4Addr::LOCALHOST);
            let ready = browser.get("/readyz").await.expect("readyz");
            assert_eq!(
                ready.status,
                StatusCode::SERVICE_UNAVAILABLE,
                "/readyz: {}",
                ready.body
            );
            let shown = browser.get(&page).await.expect("page");
            assert_eq!(
                shown.status,
                StatusCode::SERVICE_UNAVAILABLE,
                "a page: {}",
                shown.body
            );
        }
    });
    futures::future::join_all(refusals).await;
    println!(
        "scale: PostgreSQL stopped: every node answered 503 on /readyz and on a product page ({:.1} s)",
        stopped.elapsed().as_secs_f64()
    );
    pg.resume();
    let resumed = Instant::now();
    for node in nodes {
        let (browser, page) = (&Browser::new(&node.base(), Ipv4Addr::LOCALHOST), &page);
        let problem = format!(
            "node :{} did not recover within 30 s of PostgreSQL's return",
            node.port
        );
        wait_until(
            resumed,
            Duration::from_secs(30),
            &problem,
            move || async move {
                let ready = browser.get("/readyz").await.map(|a| a.status);
                let shown = browser.get(page).await.map(|a| a.status);
                ready == Ok(StatusCode::OK) && shown == Ok(StatusCode::OK)
            },
        )
        .await;
    }
    println!(
        "scale: PostgreSQL back: every node served again within {:.1} s, without a restart",
        resumed.elapsed().as_secs_f64()
    );
}
