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
    _dir: tempfile::TempDir,
}

pub const PASSWORD: &str = "correct horse battery";

impl TestApp {
    pub async fn spawn() -> Self {
        // Server logs go to the test's output (shown when a test fails).
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("warn,server=info")
            .try_init();
        let dir = tempfile::tempdir().expect("temp dir");
        let cfg = ServeConfig::for_tests(dir.path().to_path_buf());
        let clock = ManualClock::new(chrono::Utc::now());
        let app = Application::build(cfg, Arc::new(clock.clone()))
            .await
            .expect("app builds");
        let base = format!("http://{}", app.addr);
        let db = app.state.db.clone();
        let mail = app.state.meetings.mail.clone();
        let mut app = app;
        let cb = app
            .callbridge_sim
            .take()
            .expect("tests run the Call Bridge simulator");
        tokio::spawn(app.run());
        Self {
            base,
            db,
            clock,
            cb,
            mail,
            _dir: dir,
        }
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
        users::create(
            &self.db,
            NewUser {
                username,
                display_name,
                email,
                password: Some(PASSWORD),
                time_zone,
            },
            to_millis(self.clock.now()),
        )
        .await
        .expect("user created")
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
