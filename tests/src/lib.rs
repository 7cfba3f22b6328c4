//! Helpers for the integration tests: each test starts the real server on
//! port 0 with a fresh database in a temporary directory.

use server::auth::users::{self, NewUser};
use server::clock::{to_millis, Clock, ManualClock};
use server::config::ServeConfig;
use server::Application;
use std::sync::Arc;

pub struct TestApp {
    pub base: String,
    pub db: server::db::Db,
    pub clock: ManualClock,
    /// The Call Bridge simulator this server talks to.
    pub cb: server::callbridge::sim::SimHandle,
    /// The invitation e-mail outbox (tests may swap its backend).
    pub mail: Arc<server::mail::Mailer>,
    /// The database this server is on: another node may join it.
    pub database_url: String,
    /// The meeting service (what the web app, the API and C2W call).
    pub meetings: Arc<server::meetings::Meetings>,
    _dir: tempfile::TempDir,
}

pub const PASSWORD: &str = "correct horse battery";

/// The JID of the Call Bridge simulator's demo user (the seed's).
pub const DEMO_JID: &str = "demo@example.com";

/// The host name the Call Bridge simulator serves HTTPS on in the suite;
/// the scheduler resolves it to 127.0.0.1 (`--callbridge-resolve`) and
/// checks the certificate against it.
pub const CALLBRIDGE_HOST: &str = "cms.test";

/// A test CA and a server certificate it issued, as PEM.
pub struct TestPki {
    pub ca_pem: String,
    pub chain_pem: String,
    pub key_pem: String,
}

impl TestPki {
    /// A new CA and a certificate it signs for `names`.
    pub fn new(names: &[&str]) -> Self {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
        let mut p = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name
            .push(DnType::CommonName, "Scheduler test suite CA");
        let ca = CertifiedIssuer::self_signed(p, KeyPair::generate().expect("CA key"))
            .expect("CA certificate");
        let key = KeyPair::generate().expect("server key");
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let cert = CertificateParams::new(names)
            .expect("server params")
            .signed_by(&key, &ca)
            .expect("server certificate");
        Self {
            ca_pem: ca.pem(),
            chain_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// The suite's: one CA for the whole run, a certificate for `cms.test`.
    pub fn suite() -> &'static TestPki {
        static PKI: std::sync::OnceLock<TestPki> = std::sync::OnceLock::new();
        PKI.get_or_init(|| TestPki::new(&[CALLBRIDGE_HOST]))
    }
}

/// Makes `cfg` run the Call Bridge simulator over HTTPS on `host` with
/// `served`'s certificate, and the scheduler trust `trusted`'s CA (written
/// to `dir`) and resolve `host` to 127.0.0.1.
pub fn callbridge_over_https(
    cfg: &mut ServeConfig,
    dir: &std::path::Path,
    served: &TestPki,
    trusted: &TestPki,
    host: &str,
) {
    let ca = dir.join("callbridge-ca.pem");
    std::fs::write(&ca, &trusted.ca_pem).expect("write the test CA");
    cfg.callbridge_simulator_tls = Some(server::config::SimulatorCert {
        chain_pem: served.chain_pem.clone(),
        key_pem: served.key_pem.clone(),
        host: host.to_string(),
    });
    cfg.callbridge_trust = Some(ca);
    cfg.callbridge_resolve = vec![format!("{host}=127.0.0.1")];
}

/// The seed's template `CoSpaceTemp-Scheduler` on the Call Bridge simulator.
pub const TEMPLATE: &str = "19577d25-f7cf-4524-9a26-5fd418dd5f96";

/// A fresh, empty PostgreSQL database on the cluster `TEST_DATABASE_URL`
/// names (scripts/test.sh starts one with scripts/pg.sh); its URL. Panics,
/// so the test fails, when the variable is not set.
pub async fn fresh_postgres_database() -> String {
    use sqlx::Connection;
    let admin_url = std::env::var("TEST_DATABASE_URL").expect(
        "the PostgreSQL tests need TEST_DATABASE_URL (a cluster's URL): \
         scripts/test.sh starts one with scripts/pg.sh",
    );
    sqlx::any::install_default_drivers();
    let name = format!("t_{}", uuid_like());
    let mut conn = sqlx::AnyConnection::connect(&admin_url)
        .await
        .expect("PostgreSQL answers at TEST_DATABASE_URL");
    // The name is made of digits and underscores here, never of input.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("CREATE DATABASE");
    let _ = conn.close().await;
    match admin_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("TEST_DATABASE_URL has no database part: {admin_url}"),
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestApp {
    /// A server on a fresh database: SQLite, or PostgreSQL when
    /// `TEST_BACKEND=postgres` (scripts/test.sh runs the suite both ways).
    pub async fn spawn() -> Self {
        if std::env::var("TEST_BACKEND").as_deref() == Ok("postgres") {
            Self::spawn_postgres().await
        } else {
            Self::spawn_on(None).await
        }
    }

    /// A server on a fresh PostgreSQL database.
    pub async fn spawn_postgres() -> Self {
        Self::spawn_on(Some(fresh_postgres_database().await)).await
    }

    /// A server on `database_url` (None: a fresh SQLite file). Several
    /// servers on one PostgreSQL URL are the nodes of one cluster.
    pub async fn spawn_on(database_url: Option<String>) -> Self {
        Self::spawn_configured(database_url, None).await
    }

    /// A server on a fresh SQLite file whose site root (the built JS, WASM
    /// and CSS under `pkg/`, the hash file) is `site_root`.
    pub async fn spawn_with_site_root(site_root: &std::path::Path) -> Self {
        Self::spawn_configured(None, Some(site_root)).await
    }

    async fn spawn_configured(
        database_url: Option<String>,
        site_root: Option<&std::path::Path>,
    ) -> Self {
        // Server logs go to the test's output (shown when a test fails).
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("warn,server=info")
            .try_init();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cfg = ServeConfig::for_tests(dir.path().to_path_buf());
        cfg.database_url = database_url;
        // The real TLS path: verified HTTPS on a host name, not an IP.
        let pki = TestPki::suite();
        callbridge_over_https(&mut cfg, dir.path(), pki, pki, CALLBRIDGE_HOST);
        if let Some(site_root) = site_root {
            cfg.site_root = site_root.display().to_string();
        }
        let database_url = cfg.database_url().expect("no URL file in tests");
        let clock = ManualClock::new(chrono::Utc::now());
        let app = Application::build(cfg, Arc::new(clock.clone()))
            .await
            .expect("app builds");
        let base = format!("http://{}", app.addr);
        let db = app.state.db.clone();
        let mail = app.state.meetings.mail.clone();
        let meetings = app.state.meetings.clone();
        let mut app = app;
        let cb = app
            .callbridge_sim
            .take()
            .expect("tests run the Call Bridge simulator");
        // No request may carry a parameter the CMS API reference does not
        // document: a real Call Bridge might silently ignore it.
        cb.set_strict(true);
        tokio::spawn(app.run());
        Self {
            base,
            db,
            clock,
            cb,
            mail,
            database_url,
            meetings,
            _dir: dir,
        }
    }

    /// A second scheduler node on this one's database (SQLite file or
    /// PostgreSQL database), with its own Call Bridge simulator, clock and
    /// data directory.
    pub async fn another_node(&self) -> Self {
        Self::spawn_on(Some(self.database_url.clone())).await
    }

    /// A Call Bridge client configuration like the server's own: the
    /// simulator over verified HTTPS (its URL, the test CA, `cms.test`
    /// resolved to 127.0.0.1).
    pub fn callbridge_config(&self) -> server::callbridge::CallBridgeConfig {
        self.meetings.cb.config().clone()
    }

    /// The server's data directory (scheduler.json lives there).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Adds a local user with [`PASSWORD`]; returns the user id.
    pub async fn add_user(&self, username: &str, display_name: &str, time_zone: &str) -> String {
        let email = format!("{username}@example.com");
        self.add_user_with_email(username, display_name, &email, time_zone)
            .await
    }

    /// Adds a local user with this e-mail address (the Call Bridge's demo
    /// user is `demo.organizer@example.com`).
    pub async fn add_user_with_email(
        &self,
        username: &str,
        display_name: &str,
        email: &str,
        time_zone: &str,
    ) -> String {
        self.add_local_user(username, display_name, email, time_zone, None)
            .await
    }

    /// Adds a local user whose Call Bridge user is the simulator's demo
    /// user (JID [`DEMO_JID`]): its template and space are theirs.
    pub async fn add_call_bridge_user(
        &self,
        username: &str,
        display_name: &str,
        time_zone: &str,
    ) -> String {
        self.add_local_user(
            username,
            display_name,
            &format!("{username}@example.com"),
            time_zone,
            Some(DEMO_JID),
        )
        .await
    }

    async fn add_local_user(
        &self,
        username: &str,
        display_name: &str,
        email: &str,
        time_zone: &str,
        jid: Option<&str>,
    ) -> String {
        users::create(
            &self.db,
            NewUser {
                username,
                display_name,
                email,
                password: Some(PASSWORD),
                time_zone,
                jid,
            },
            to_millis(self.clock.now()),
        )
        .await
        .expect("user created")
    }

    /// The demo organizer: a local user `demo` with the Call Bridge
    /// simulator's user address `demo.organizer@example.com`, in
    /// `time_zone`, and an API token for them. Returns (user id, token).
    pub async fn demo_organizer(&self, time_zone: &str) -> (String, String) {
        let id = self.add_demo_organizer(time_zone).await;
        let token = server::auth::tokens::create(&self.db, &id, "test", 0)
            .await
            .expect("token created");
        (id, token)
    }

    /// Adds the local user `demo` with the Call Bridge simulator's user
    /// address `demo.organizer@example.com`, its JID [`DEMO_JID`] and
    /// [`PASSWORD`]; its id.
    pub async fn add_demo_organizer(&self, time_zone: &str) -> String {
        self.add_local_user(
            "demo",
            "Demo Organizer",
            "demo.organizer@example.com",
            time_zone,
            Some(DEMO_JID),
        )
        .await
    }

    /// A browser-like client signed in as the demo organizer (Europe/Paris).
    pub async fn signed_in_demo(&self) -> reqwest::Client {
        self.add_demo_organizer("Europe/Paris").await;
        let c = self.client();
        self.sign_in(&c, "demo", PASSWORD).await;
        c
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            // A response that never finishes fails the test with its URL
            // instead of hanging the whole run.
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("client")
    }

    /// GETs a page (or any URL of this server) and returns its body.
    pub async fn page(&self, client: &reqwest::Client, path: impl AsRef<str>) -> String {
        client
            .get(self.url(path.as_ref()))
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("body")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GETs the sign-in page and returns the CSRF token in its form.
    pub async fn csrf_token(&self, client: &reqwest::Client) -> String {
        let html = client
            .get(self.url("/login"))
            .send()
            .await
            .expect("GET /login")
            .text()
            .await
            .expect("body");
        form_field(&html, "csrf").expect("the sign-in form has a csrf field")
    }

    /// Signs in through the form; returns the response to the POST.
    pub async fn sign_in(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        let csrf = self.csrf_token(client).await;
        client
            .post(self.url("/auth/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", username),
                ("password", password),
                ("next", "/"),
            ])
            .send()
            .await
            .expect("POST /auth/login")
    }
}

/// Posts a form and returns the redirect target.
pub async fn post_form(client: &reqwest::Client, url: &str, fields: &[(&str, &str)]) -> String {
    let r = client.post(url).form(fields).send().await.expect("POST");
    let status = r.status();
    let loc = location(&r);
    assert!(
        status.is_redirection(),
        "POST {url} answered {status}: {}",
        r.text().await.unwrap_or_default()
    );
    loc
}

/// The value of the input named `name` in the page.
pub fn form_field(html: &str, name: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(&format!("input[name=\"{name}\"]")).ok()?;
    doc.select(&sel)
        .next()?
        .value()
        .attr("value")
        .map(str::to_owned)
}

/// The text of the elements matching `css`.
pub fn texts(html: &str, css: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(css).expect("selector");
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// GETs `url` with a bearer token and returns the JSON answer.
pub async fn get_json(
    client: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    token: impl std::fmt::Display,
) -> serde_json::Value {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("a JSON answer")
}

/// POSTs `body` as JSON with a bearer token; returns the response.
pub async fn post_json(
    client: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    token: impl std::fmt::Display,
    body: &serde_json::Value,
) -> reqwest::Response {
    client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("POST")
}
